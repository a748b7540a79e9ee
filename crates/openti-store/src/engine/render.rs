//! Rows → Graph entities. Each entity has its column list (`*_COLS`, selected in this order)
//! and a mapper; ids always come from `openti_model::ids`.

use crate::db::{params, Conn, Row};
use chrono::Duration;
use openti_model::observation::record_value_is_host;
use openti_model::*;

use super::time::{col, json_col, json_opt};
use super::write_intel::{artifact, WhoisSnapshot};
use crate::{IntoItem, Item, StoreResult};

fn formatted(
    row: &Row,
    content: usize,
    format: usize,
) -> crate::db::Result<Option<FormattedContent>> {
    let c: Option<String> = row.get(content)?;
    let f: Option<String> = row.get(format)?;
    Ok(c.map(|content| FormattedContent {
        content,
        format: f
            .as_deref()
            .and_then(ContentFormat::parse)
            .unwrap_or(ContentFormat::Markdown),
    }))
}

fn source(row: &Row, idx: usize) -> crate::db::Result<IndicatorSource> {
    let s: String = row.get(idx)?;
    Ok(IndicatorSource::parse(&s).unwrap_or(IndicatorSource::UnknownFutureValue))
}

/// Host columns (table alias `h`).
pub const HOST_COLS: &str =
    "h.id, h.first_seen, h.last_seen, h.is_ip, h.registrar, h.registrant, h.asn, h.as_name, \
     h.as_org, h.netblock, h.country, h.hosting_provider";

/// A host row as a `hostname` / `ipAddress`.
pub fn host(row: &Row) -> crate::db::Result<Item> {
    let id: String = row.get(0)?;
    let is_ip: bool = row.get(3)?;
    let details = if is_ip {
        let number: Option<i64> = row.get(6)?;
        let name: Option<String> = row.get(7)?;
        let organization: Option<String> = row.get(8)?;
        let autonomous_system = (number.is_some() || name.is_some() || organization.is_some())
            .then(|| {
                let value = match (number, &name) {
                    (Some(n), Some(nm)) => Some(format!("AS{n} {nm}")),
                    (Some(n), None) => Some(format!("AS{n}")),
                    (None, nm) => nm.clone(),
                };
                AutonomousSystem {
                    name,
                    number: number.and_then(|n| i32::try_from(n).ok()),
                    organization,
                    value,
                }
            });
        HostDetails::IpAddress {
            autonomous_system,
            country_or_region: row.get(10)?,
            hosting_provider: row.get(11)?,
            netblock: row.get(9)?,
        }
    } else {
        HostDetails::Hostname {
            registrant: row.get(5)?,
            registrar: row.get(4)?,
        }
    };
    Ok(Host {
        id,
        first_seen_date_time: col(row, 1)?,
        last_seen_date_time: col(row, 2)?,
        details,
    }
    .into_item())
}

/// Component columns.
pub const COMPONENT_COLS: &str = "host, name, version, category, first_seen, last_seen";

/// A `hostComponent`.
pub fn component(row: &Row) -> crate::db::Result<Item> {
    let (host, name, version, category): (String, String, String, String) =
        (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
    Ok(HostComponent {
        id: ids::host_component(&host, &name, &version, &category),
        name,
        version,
        category,
        first_seen_date_time: col(row, 4)?,
        last_seen_date_time: col(row, 5)?,
        host: HostRef::new(host),
    }
    .into_item())
}

/// Cookie columns.
pub const COOKIE_COLS: &str = "host, name, domain, first_seen, last_seen";

/// A `hostCookie`.
pub fn cookie(row: &Row) -> crate::db::Result<Item> {
    let (host, name, domain): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
    Ok(HostCookie {
        id: ids::host_cookie(&host, &name, &domain),
        name,
        domain,
        first_seen_date_time: col(row, 3)?,
        last_seen_date_time: col(row, 4)?,
        host: HostRef::new(host),
    }
    .into_item())
}

/// Tracker columns.
pub const TRACKER_COLS: &str = "host, kind, value, first_seen, last_seen";

/// A `hostTracker`.
pub fn tracker(row: &Row) -> crate::db::Result<Item> {
    let (host, kind, value): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
    Ok(HostTracker {
        id: ids::host_tracker(&host, &kind, &value),
        kind,
        value,
        first_seen_date_time: col(row, 3)?,
        last_seen_date_time: col(row, 4)?,
        host: HostRef::new(host),
    }
    .into_item())
}

/// Host pair columns.
pub const PAIR_COLS: &str = "parent, child, link_kind, first_seen, last_seen";

/// A `hostPair`.
pub fn pair(row: &Row) -> crate::db::Result<Item> {
    let (parent, child, link_kind): (String, String, String) =
        (row.get(0)?, row.get(1)?, row.get(2)?);
    Ok(HostPair {
        id: ids::host_pair(&link_kind, &parent, &child),
        link_kind,
        first_seen_date_time: col(row, 3)?,
        last_seen_date_time: col(row, 4)?,
        parent_host: HostRef::new(parent),
        child_host: HostRef::new(child),
    }
    .into_item())
}

/// Passive DNS columns.
pub const DNS_COLS: &str = "host, rtype, value, first_seen, last_seen, collected";

/// A forward `passiveDnsRecord` (parent host = the name, artifact = the value).
pub fn dns_forward(row: &Row) -> crate::db::Result<Item> {
    let (host, rtype, value): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
    let artifact = if record_value_is_host(&rtype) {
        ArtifactRef::Host(value.clone())
    } else {
        ArtifactRef::Unclassified {
            kind: rtype.clone(),
            value: value.clone(),
        }
    };
    Ok(PassiveDnsRecord {
        id: ids::passive_dns(&host, &rtype, &value),
        record_type: rtype,
        collected_date_time: col(row, 5)?,
        first_seen_date_time: col(row, 3)?,
        last_seen_date_time: col(row, 4)?,
        parent_host: HostRef::new(host),
        artifact,
    }
    .into_item())
}

/// A reverse `passiveDnsRecord` (parent host = the value that was queried, artifact = the name).
pub fn dns_reverse(row: &Row) -> crate::db::Result<Item> {
    let (host, rtype, value): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
    Ok(PassiveDnsRecord {
        id: ids::passive_dns_reverse(&host, &rtype, &value),
        record_type: rtype,
        collected_date_time: col(row, 5)?,
        first_seen_date_time: col(row, 3)?,
        last_seen_date_time: col(row, 4)?,
        parent_host: HostRef::new(value),
        artifact: ArtifactRef::Host(host),
    }
    .into_item())
}

/// Subdomain columns.
pub const SUBDOMAIN_COLS: &str = "domain, sub, first_seen";

/// A `subdomain`.
pub fn subdomain(row: &Row) -> crate::db::Result<Item> {
    let (domain, sub): (String, String) = (row.get(0)?, row.get(1)?);
    Ok(Subdomain {
        id: ids::subdomain(&sub, &domain),
        first_seen_date_time: col(row, 2)?,
        host: HostRef::new(sub),
    }
    .into_item())
}

/// Certificate columns (table alias `c`).
pub const CERT_COLS: &str =
    "c.sha1, c.fingerprint, c.serial, c.issued, c.expires, c.issuer, c.subject, c.first_seen, c.last_seen";

/// An `sslCertificate` struct.
pub fn cert_struct(row: &Row) -> crate::db::Result<SslCertificate> {
    let sha1: String = row.get(0)?;
    Ok(SslCertificate {
        id: ids::ssl_certificate(&sha1),
        fingerprint: row.get(1)?,
        sha1,
        serial_number: row.get(2)?,
        issue_date_time: col(row, 3)?,
        expiration_date_time: col(row, 4)?,
        first_seen_date_time: col(row, 7)?,
        last_seen_date_time: col(row, 8)?,
        issuer: json_col(row, 5)?,
        subject: json_col(row, 6)?,
    })
}

/// An `sslCertificate`.
pub fn cert(row: &Row) -> crate::db::Result<Item> {
    cert_struct(row).map(IntoItem::into_item)
}

/// Port columns.
pub const PORT_COLS: &str =
    "host, port, protocol, status, times_observed, first_seen, last_seen, last_scan, recent_cert_sha1";

/// A port row before its banners and services are attached.
pub struct PortRow {
    port: HostPort,
    host: String,
    protocol: String,
}

/// Reads a port row.
pub fn port_row(row: &Row) -> crate::db::Result<PortRow> {
    let host: String = row.get(0)?;
    let port: u16 = row.get(1)?;
    let protocol: String = row.get(2)?;
    let status: String = row.get(3)?;
    let sha1: Option<String> = row.get(8)?;
    Ok(PortRow {
        port: HostPort {
            id: ids::host_port(&host, port, &protocol),
            port: i32::from(port),
            protocol: HostPortProtocol::parse(&protocol)
                .unwrap_or(HostPortProtocol::UnknownFutureValue),
            status: HostPortStatus::parse(&status).unwrap_or(HostPortStatus::UnknownFutureValue),
            times_observed: i32::try_from(row.get::<i64>(4)?).unwrap_or(i32::MAX),
            first_seen_date_time: col(row, 5)?,
            last_seen_date_time: col(row, 6)?,
            last_scan_date_time: col(row, 7)?,
            banners: Vec::new(),
            services: Vec::new(),
            host: HostRef::new(host.clone()),
            most_recent_ssl_certificate: sha1.map(|s| SslCertificateRef {
                id: ids::ssl_certificate(&s),
            }),
        },
        host,
        protocol,
    })
}

/// Attaches banners and services to a port and renders it.
pub fn port(conn: &Conn<'_>, p: PortRow) -> StoreResult<Item> {
    let PortRow {
        mut port,
        host,
        protocol,
    } = p;
    let mut stmt = conn.prepare_cached(
        "SELECT banner, scan_protocol, times, first_seen, last_seen FROM port_banners \
         WHERE host = ?1 AND port = ?2 AND protocol = ?3 ORDER BY last_seen DESC, banner",
    )?;
    let banners = stmt.query_map(params![host, port.port, protocol], |r| {
        Ok(HostPortBanner {
            banner: r.get(0)?,
            scan_protocol: r.get(1)?,
            times_observed: i32::try_from(r.get::<i64>(2)?).unwrap_or(i32::MAX),
            first_seen_date_time: col(r, 3)?,
            last_seen_date_time: col(r, 4)?,
        })
    })?;
    port.banners = banners.collect::<Result<Vec<_>, _>>()?;
    let newest_banner = port
        .banners
        .iter()
        .filter_map(|b| b.last_seen_date_time)
        .max();
    let last_scan = port.last_scan_date_time;
    let mut stmt = conn.prepare_cached(
        "SELECT name, version, category, first_seen, last_seen FROM port_services \
         WHERE host = ?1 AND port = ?2 AND protocol = ?3 ORDER BY last_seen DESC, name, version, category",
    )?;
    let services = stmt.query_map(params![host, port.port, protocol], |r| {
        let (name, version, category): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let first = col(r, 3)?;
        let last = col(r, 4)?;
        let is_recent = match (newest_banner, last_scan, last) {
            (Some(b), _, Some(l)) => l >= b,
            (None, Some(scan), Some(l)) => scan - l <= Duration::days(2),
            _ => false,
        };
        let component = HostComponent {
            id: ids::host_component(&host, &name, &version, &category),
            name,
            version,
            category,
            first_seen_date_time: first,
            last_seen_date_time: last,
            host: HostRef::new(host.clone()),
        };
        Ok(HostPortComponent {
            component: component.to_json(),
            is_recent,
            first_seen_date_time: first,
            last_seen_date_time: last,
        })
    })?;
    port.services = services.collect::<Result<Vec<_>, _>>()?;
    Ok(port.into_item())
}

/// Aggregated host-certificate columns (one row per host and certificate).
pub const HOST_CERT_COLS: &str = "hc.host, hc.sha1, min(hc.first_seen), max(hc.last_seen)";

/// Renders one aggregated host-certificate row with its ports and inline certificate.
pub fn host_cert(
    conn: &Conn<'_>,
    host: &str,
    sha1: &str,
    window: [Option<String>; 2],
) -> StoreResult<Item> {
    let mut stmt = conn.prepare_cached(
        "SELECT port, first_seen, last_seen FROM host_certificates WHERE host = ?1 AND sha1 = ?2 ORDER BY port",
    )?;
    let ports = stmt
        .query_map(params![host, sha1], |r| {
            Ok(HostSslCertificatePort {
                port: r.get(0)?,
                first_seen_date_time: col(r, 1)?,
                last_seen_date_time: col(r, 2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let sql = format!("SELECT {CERT_COLS} FROM certificates c WHERE c.sha1 = ?1");
    let cert = conn.prepare_cached(&sql)?.query_row([sha1], cert_struct)?;
    let parse = |t: &Option<String>| t.as_deref().and_then(super::time::parse);
    Ok(HostSslCertificate {
        id: ids::host_ssl_certificate(host, sha1),
        first_seen_date_time: parse(&window[0]),
        last_seen_date_time: parse(&window[1]),
        ports,
        host: HostRef::new(host),
        ssl_certificate: cert,
    }
    .into_item())
}

/// Current WHOIS columns.
pub const WHOIS_COLS: &str = "host, first_seen, last_seen, snapshot";
/// WHOIS history columns.
pub const WHOIS_HISTORY_COLS: &str = "host, content_hash, first_seen, last_seen, snapshot";

fn whois_record(
    id: String,
    is_history: bool,
    host: String,
    row: &Row,
    base: usize,
) -> crate::db::Result<Item> {
    let first = col(row, base)?;
    let last = col(row, base + 1)?;
    let s: WhoisSnapshot = json_col(row, base + 2)?;
    let c = s.contacts;
    Ok(WhoisRecord {
        id,
        is_history,
        expiration_date_time: s.expires,
        registration_date_time: s.registered,
        first_seen_date_time: first,
        last_seen_date_time: last,
        last_update_date_time: s.updated,
        domain_status: (!s.status.is_empty()).then(|| s.status.join(",")),
        raw_whois_text: s.raw,
        whois_server: s.server,
        abuse: c.abuse,
        admin: c.admin,
        billing: c.billing,
        noc: c.noc,
        registrant: c.registrant,
        registrar: c.registrar,
        technical: c.technical,
        zone: c.zone,
        nameservers: s
            .nameservers
            .into_iter()
            .map(|n| WhoisNameserver {
                host: HostRef::new(n),
                first_seen_date_time: first,
                last_seen_date_time: last,
            })
            .collect(),
        host: HostRef::new(host),
    }
    .into_item())
}

/// A current `whoisRecord`.
pub fn whois(row: &Row) -> crate::db::Result<Item> {
    let host: String = row.get(0)?;
    whois_record(ids::whois_record(&host), false, host, row, 1)
}

/// A `whoisHistoryRecord`.
pub fn whois_history(row: &Row) -> crate::db::Result<Item> {
    let host: String = row.get(0)?;
    let hash: String = row.get(1)?;
    whois_record(ids::whois_history(&host, &hash), true, host, row, 2)
}

/// Article columns (table alias `a`).
pub const ARTICLE_COLS: &str =
    "a.id, a.title, a.summary, a.summary_format, a.body, a.body_format, a.tags, \
     a.featured, a.image_url, a.created, a.updated";

/// An `article`.
pub fn article(row: &Row) -> crate::db::Result<Item> {
    Ok(Article {
        id: row.get(0)?,
        created_date_time: col(row, 9)?,
        last_updated_date_time: col(row, 10)?,
        title: row.get(1)?,
        summary: formatted(row, 2, 3)?,
        is_featured: row.get(7)?,
        body: formatted(row, 4, 5)?,
        tags: json_col(row, 6)?,
        image_url: row.get(8)?,
    }
    .into_item())
}

/// Article indicator columns.
pub const ARTICLE_INDICATOR_COLS: &str = "id, source, artifact_kind, artifact_value";

/// An `articleIndicator`.
pub fn article_indicator(row: &Row) -> crate::db::Result<Item> {
    let (kind, value): (String, String) = (row.get(2)?, row.get(3)?);
    Ok(ArticleIndicator {
        id: row.get(0)?,
        source: source(row, 1)?,
        artifact: artifact(&kind, &value),
    }
    .into_item())
}

/// Profile columns (table alias `p`).
pub const PROFILE_COLS: &str = "p.id, p.kind, p.title, p.aliases, p.targets, p.countries, p.first_active, \
     p.summary, p.summary_format, p.description, p.description_format, p.tradecraft, p.tradecraft_format";

/// An `intelligenceProfile`.
pub fn profile(row: &Row) -> crate::db::Result<Item> {
    let kind: String = row.get(1)?;
    Ok(IntelligenceProfile {
        id: row.get(0)?,
        kind: IntelligenceProfileKind::parse(&kind)
            .unwrap_or(IntelligenceProfileKind::UnknownFutureValue),
        title: row.get(2)?,
        aliases: json_col(row, 3)?,
        targets: json_col(row, 4)?,
        countries_or_regions_of_origin: json_col(row, 5)?,
        first_active_date_time: col(row, 6)?,
        summary: formatted(row, 7, 8)?,
        description: formatted(row, 9, 10)?,
        tradecraft: formatted(row, 11, 12)?,
    }
    .into_item())
}

/// Profile indicator columns.
pub const PROFILE_INDICATOR_COLS: &str =
    "id, source, artifact_kind, artifact_value, first_seen, last_seen";

/// An `intelligenceProfileIndicator`.
pub fn profile_indicator(row: &Row) -> crate::db::Result<Item> {
    let (kind, value): (String, String) = (row.get(2)?, row.get(3)?);
    Ok(IntelligenceProfileIndicator {
        id: row.get(0)?,
        source: source(row, 1)?,
        first_seen_date_time: col(row, 4)?,
        last_seen_date_time: col(row, 5)?,
        artifact: artifact(&kind, &value),
    }
    .into_item())
}

/// Vulnerability columns.
pub const VULN_COLS: &str = "id, severity, priority, cvss2, cvss3, cwe, description, description_format, \
     remediation, remediation_format, exploits, refs, exploits_available, active_exploits, has_chatter, created, \
     modified, published";

/// A `vulnerability`.
pub fn vulnerability(row: &Row) -> crate::db::Result<Item> {
    let sev: String = row.get(1)?;
    Ok(Vulnerability {
        id: row.get(0)?,
        severity: VulnerabilitySeverity::parse(&sev)
            .unwrap_or(VulnerabilitySeverity::UnknownFutureValue),
        priority_score: row.get(2)?,
        cvss2_summary: json_opt(row, 3)?,
        cvss3_summary: json_opt(row, 4)?,
        common_weakness_enumeration_ids: json_col(row, 5)?,
        description: formatted(row, 6, 7)?,
        remediation: formatted(row, 8, 9)?,
        exploits: json_col(row, 10)?,
        references: json_col(row, 11)?,
        exploits_available: row.get(12)?,
        active_exploits_observed: row.get(13)?,
        has_chatter: row.get(14)?,
        created_date_time: col(row, 15)?,
        last_modified_date_time: col(row, 16)?,
        published_date_time: col(row, 17)?,
    }
    .into_item())
}

/// Vulnerability component columns.
pub const VULN_COMPONENT_COLS: &str = "cve, name";

/// A `vulnerabilityComponent`.
pub fn vuln_component(row: &Row) -> crate::db::Result<Item> {
    let (cve, name): (String, String) = (row.get(0)?, row.get(1)?);
    Ok(VulnerabilityComponent {
        id: ids::vulnerability_component(&cve, &name),
        name,
    }
    .into_item())
}
