//! The Observation: the single currency between every source and the store.
//!
//! One observation is one JSON object with a `kind` field (NDJSON: one per line); the format is
//! documented in `docs/observations.md`. Sources produce observations, [`Observation::normalize`]
//! validates and canonicalises them, and the store aggregates them into Graph entities.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::enums::*;
use crate::normalize::{normalize_hostname, HostName};

#[path = "observation_vuln.rs"]
mod vuln;
pub use vuln::VulnerabilityUpdate;

/// When and how often a fact was observed.
///
/// Either a single `time`, or a window `first_seen`..`last_seen` (each defaulting to the other
/// or to `time`); `count` defaults to 1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    /// One observation instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// Window start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    /// Window end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    /// How many times (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// A resolved observation window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Earliest sighting.
    pub first: DateTime<Utc>,
    /// Latest sighting.
    pub last: DateTime<Utc>,
    /// Number of sightings.
    pub count: u64,
}

impl Seen {
    /// The window this observation stands for; `None` if it carries no time at all.
    pub fn window(&self) -> Option<Window> {
        let first = self.first_seen.or(self.time).or(self.last_seen)?;
        let last = self.last_seen.or(self.time).or(self.first_seen)?;
        let (first, last) = if first <= last {
            (first, last)
        } else {
            (last, first)
        };
        Some(Window {
            first,
            last,
            count: self.count.unwrap_or(1).max(1),
        })
    }
}

/// Issuer or subject of a certificate, as observed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CertName {
    /// CN.
    pub common_name: Option<String>,
    /// SANs.
    pub alternate_names: Vec<String>,
    /// emailAddress.
    pub email: Option<String>,
    /// GN.
    pub given_name: Option<String>,
    /// SN.
    pub surname: Option<String>,
    /// O.
    pub organization_name: Option<String>,
    /// OU.
    pub organization_unit_name: Option<String>,
    /// serialNumber attribute.
    pub serial_number: Option<String>,
    /// L.
    pub city: Option<String>,
    /// ST.
    pub state: Option<String>,
    /// C.
    pub country: Option<String>,
    /// postalCode.
    pub postal_code: Option<String>,
    /// street.
    pub street: Option<String>,
}

/// A WHOIS contact, as observed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// Name.
    pub name: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Telephone.
    pub telephone: Option<String>,
    /// Fax.
    pub fax: Option<String>,
    /// Street.
    pub street: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Country or region.
    pub country: Option<String>,
}

/// A component (product) as observed on a host or port.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComponentName {
    /// Product name.
    pub name: String,
    /// Version (may be empty).
    pub version: String,
    /// Category.
    pub category: String,
}

/// An observable referenced by an indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorRef {
    /// `hostname`, `ip`, or any other kind (`url`, `sha256`, `email`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The value.
    pub value: String,
    /// Source (default `osint`).
    #[serde(default)]
    pub source: Option<IndicatorSource>,
}

/// A CVSS evaluation, as observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// Base score.
    pub score: Option<f64>,
    /// Severity (derived from the score if absent).
    #[serde(default)]
    pub severity: Option<VulnerabilitySeverity>,
    /// Vector.
    #[serde(default)]
    pub vector: Option<String>,
}

/// A named link, as observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Text.
    #[serde(default)]
    pub name: Option<String>,
    /// URL.
    pub url: String,
}

/// Text with an optional format (default markdown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Text {
    /// Plain string (markdown).
    Plain(String),
    /// Explicit content and format.
    Formatted {
        /// The text.
        content: String,
        /// Its markup.
        format: ContentFormat,
    },
}

impl Text {
    /// As a Graph `formattedContent`.
    pub fn to_formatted(&self) -> crate::complex::FormattedContent {
        match self {
            Text::Plain(s) => crate::complex::FormattedContent {
                content: s.clone(),
                format: ContentFormat::Markdown,
            },
            Text::Formatted { content, format } => crate::complex::FormattedContent {
                content: content.clone(),
                format: *format,
            },
        }
    }
}

/// One observation. The `kind` tag selects the variant.
///
/// WHOIS snapshots are large (eight contacts); they are rare next to DNS facts, so the size of
/// the enum is accepted rather than boxing every contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Observation {
    /// A DNS answer: `name` resolved to `value` with RR type `type`.
    Dns {
        /// Queried name (or reverse name / IP for PTR).
        name: String,
        /// RR type (`A`, `AAAA`, `CNAME`, …).
        #[serde(rename = "type")]
        record_type: String,
        /// Answer data (IP for A/AAAA, target name for CNAME/NS/MX/PTR/SRV, text otherwise).
        value: String,
        /// Sensor that saw it.
        #[serde(default)]
        sensor: Option<String>,
        /// When.
        #[serde(flatten)]
        seen: Seen,
    },
    /// A web component seen on a host.
    Component {
        /// Host.
        host: String,
        /// Component.
        #[serde(flatten)]
        component: ComponentName,
        /// When.
        #[serde(flatten)]
        seen: Seen,
    },
    /// A tracking code seen on a host.
    Tracker {
        /// Host.
        host: String,
        /// Tracker family (e.g. `GoogleAnalyticsID`, `JarmHash`).
        tracker_kind: String,
        /// Tracking code.
        value: String,
        /// When.
        #[serde(flatten)]
        seen: Seen,
    },
    /// A cookie set by a host.
    Cookie {
        /// Host.
        host: String,
        /// Cookie name.
        name: String,
        /// Cookie domain (empty or absent: the host).
        #[serde(default)]
        domain: String,
        /// When.
        #[serde(flatten)]
        seen: Seen,
    },
    /// A link from one host to another.
    HostPair {
        /// Parent host.
        parent: String,
        /// Child host.
        child: String,
        /// Cause (`redirect`, `script.src`, …).
        link_kind: String,
        /// When.
        #[serde(flatten)]
        seen: Seen,
    },
    /// A certificate, optionally seen on `host`:`port`.
    Certificate {
        /// Host that served it (absent for e.g. CT entries).
        #[serde(default)]
        host: Option<String>,
        /// Port (default 443 when a host is given).
        #[serde(default)]
        port: Option<u16>,
        /// SHA-1 hex of the DER.
        sha1: String,
        /// Fingerprint (colon hex).
        #[serde(default)]
        fingerprint: Option<String>,
        /// Serial number (decimal).
        #[serde(default)]
        serial_number: Option<String>,
        /// notBefore.
        #[serde(default)]
        issued: Option<DateTime<Utc>>,
        /// notAfter.
        #[serde(default)]
        expires: Option<DateTime<Utc>>,
        /// Issuer.
        #[serde(default)]
        issuer: Box<CertName>,
        /// Subject.
        #[serde(default)]
        subject: Box<CertName>,
        /// When.
        #[serde(flatten)]
        seen: Seen,
    },
    /// One scan result of a port.
    Port {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// Protocol (default tcp).
        #[serde(default)]
        protocol: Option<HostPortProtocol>,
        /// Status (default open).
        #[serde(default)]
        status: Option<HostPortStatus>,
        /// Banner text.
        #[serde(default)]
        banner: Option<String>,
        /// Protocol of the probe that produced the banner.
        #[serde(default)]
        scan_protocol: Option<String>,
        /// Detected services.
        #[serde(default)]
        services: Vec<ComponentName>,
        /// SHA-1 of the certificate served on the port.
        #[serde(default)]
        certificate_sha1: Option<String>,
        /// When.
        #[serde(flatten)]
        seen: Seen,
    },
    /// A WHOIS / RDAP snapshot of a domain (or IP).
    Whois {
        /// Domain or IP.
        domain: String,
        /// Server queried.
        #[serde(default)]
        server: Option<String>,
        /// Raw text.
        #[serde(default)]
        raw: Option<String>,
        /// Created.
        #[serde(default)]
        registered: Option<DateTime<Utc>>,
        /// Expires.
        #[serde(default)]
        expires: Option<DateTime<Utc>>,
        /// Updated.
        #[serde(default)]
        updated: Option<DateTime<Utc>>,
        /// Status flags.
        #[serde(default)]
        status: Vec<String>,
        /// Registrar.
        #[serde(default)]
        registrar: Option<Box<Contact>>,
        /// Registrant.
        #[serde(default)]
        registrant: Option<Box<Contact>>,
        /// Admin.
        #[serde(default)]
        admin: Option<Box<Contact>>,
        /// Technical.
        #[serde(default)]
        technical: Option<Box<Contact>>,
        /// Billing.
        #[serde(default)]
        billing: Option<Box<Contact>>,
        /// NOC.
        #[serde(default)]
        noc: Option<Box<Contact>>,
        /// Zone.
        #[serde(default)]
        zone: Option<Box<Contact>>,
        /// Abuse.
        #[serde(default)]
        abuse: Option<Box<Contact>>,
        /// Name servers.
        #[serde(default)]
        nameservers: Vec<String>,
        /// When.
        #[serde(flatten)]
        seen: Seen,
    },
    /// Network enrichment of an IP.
    Ip {
        /// The IP.
        ip: String,
        /// ASN.
        #[serde(default)]
        asn: Option<u32>,
        /// AS name.
        #[serde(default)]
        as_name: Option<String>,
        /// AS organisation.
        #[serde(default)]
        as_organization: Option<String>,
        /// Netblock (CIDR).
        #[serde(default)]
        netblock: Option<String>,
        /// Country code.
        #[serde(default)]
        country: Option<String>,
        /// Hosting provider.
        #[serde(default)]
        hosting_provider: Option<String>,
        /// When.
        #[serde(flatten)]
        seen: Seen,
    },
    /// A finished-intelligence article.
    Article {
        /// Id (default: derived from the title).
        #[serde(default)]
        id: Option<String>,
        /// Title.
        title: String,
        /// Summary.
        #[serde(default)]
        summary: Option<Text>,
        /// Body.
        #[serde(default)]
        body: Option<Text>,
        /// Tags.
        #[serde(default)]
        tags: Vec<String>,
        /// Featured.
        #[serde(default)]
        featured: bool,
        /// Image.
        #[serde(default)]
        image_url: Option<String>,
        /// Created.
        #[serde(default)]
        created: Option<DateTime<Utc>>,
        /// Updated.
        #[serde(default)]
        updated: Option<DateTime<Utc>>,
        /// Indicators quoted.
        #[serde(default)]
        indicators: Vec<IndicatorRef>,
        /// CVE ids referenced.
        #[serde(default)]
        cves: Vec<String>,
    },
    /// An actor or tool profile.
    IntelProfile {
        /// Id (default: derived from kind and title).
        #[serde(default)]
        id: Option<String>,
        /// Actor or tool.
        profile_kind: IntelligenceProfileKind,
        /// Title.
        title: String,
        /// Aliases.
        #[serde(default)]
        aliases: Vec<String>,
        /// Targets.
        #[serde(default)]
        targets: Vec<String>,
        /// Countries of origin.
        #[serde(default)]
        countries: Vec<crate::complex::IntelligenceProfileCountryOrRegionOfOrigin>,
        /// First active.
        #[serde(default)]
        first_active: Option<DateTime<Utc>>,
        /// Summary.
        #[serde(default)]
        summary: Option<Text>,
        /// Description.
        #[serde(default)]
        description: Option<Text>,
        /// Tradecraft.
        #[serde(default)]
        tradecraft: Option<Text>,
        /// Indicators.
        #[serde(default)]
        indicators: Vec<IndicatorRef>,
    },
    /// Links an observable to a profile or an article.
    Indicator {
        /// Profile id.
        #[serde(default)]
        profile: Option<String>,
        /// Article id.
        #[serde(default)]
        article: Option<String>,
        /// Observable.
        #[serde(flatten)]
        artifact: IndicatorRef,
        /// When active.
        #[serde(flatten)]
        seen: Seen,
    },
    /// A vulnerability.
    Vulnerability {
        /// CVE id.
        id: String,
        /// Severity (derived from CVSS v3 if absent).
        #[serde(default)]
        severity: Option<VulnerabilitySeverity>,
        /// Priority 0–100.
        #[serde(default)]
        priority_score: Option<i32>,
        /// CVSS v2.
        #[serde(default)]
        cvss2: Option<Cvss>,
        /// CVSS v3.
        #[serde(default)]
        cvss3: Option<Cvss>,
        /// CWE ids.
        #[serde(default)]
        cwe: Vec<String>,
        /// Description.
        #[serde(default)]
        description: Option<Text>,
        /// Remediation.
        #[serde(default)]
        remediation: Option<Text>,
        /// Exploit links.
        #[serde(default)]
        exploits: Vec<Link>,
        /// Reference links.
        #[serde(default)]
        references: Vec<Link>,
        /// Public exploit exists.
        #[serde(default)]
        exploits_available: bool,
        /// Exploitation observed.
        #[serde(default)]
        active_exploits_observed: bool,
        /// Chatter.
        #[serde(default)]
        has_chatter: bool,
        /// Created.
        #[serde(default)]
        created: Option<DateTime<Utc>>,
        /// Modified.
        #[serde(default)]
        modified: Option<DateTime<Utc>>,
        /// Published.
        #[serde(default)]
        published: Option<DateTime<Utc>>,
        /// Affected products.
        #[serde(default)]
        components: Vec<String>,
        /// Related article ids.
        #[serde(default)]
        articles: Vec<String>,
    },
    /// A partial vulnerability merged into the stored one (see [`VulnerabilityUpdate`]).
    VulnerabilityUpdate(Box<VulnerabilityUpdate>),
}

/// Why an observation was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ObservationError {
    /// A field holds an invalid value.
    #[error("field `{field}`: {message}")]
    Field {
        /// Field name.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

fn bad(field: &'static str, message: impl Into<String>) -> ObservationError {
    ObservationError::Field {
        field,
        message: message.into(),
    }
}

fn host(field: &'static str, text: &str) -> Result<String, ObservationError> {
    HostName::parse(text)
        .map(|h| h.as_id())
        .map_err(|e| bad(field, e.to_string()))
}

fn ip(field: &'static str, text: &str) -> Result<String, ObservationError> {
    match HostName::parse(text) {
        Ok(h @ HostName::Ip(_)) => Ok(h.as_id()),
        _ => Err(bad(field, format!("invalid IP address {text:?}"))),
    }
}

fn required(field: &'static str, text: &str) -> Result<String, ObservationError> {
    let t = text.trim();
    if t.is_empty() {
        Err(bad(field, "must not be empty"))
    } else {
        Ok(t.to_string())
    }
}

fn need_time(seen: &Seen) -> Result<(), ObservationError> {
    seen.window()
        .map(|_| ())
        .ok_or_else(|| bad("time", "a `time` or `first_seen`/`last_seen` is required"))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Normalises an indicator's observable: host kinds are canonicalised, others trimmed.
pub fn normalize_indicator(r: &IndicatorRef) -> Result<IndicatorRef, ObservationError> {
    let kind = r.kind.trim().to_ascii_lowercase();
    let value = match kind.as_str() {
        "hostname" | "domain" => host("value", &r.value)?,
        "ip" | "ipaddress" | "ipv4" | "ipv6" => ip("value", &r.value)?,
        _ => required("value", &r.value)?,
    };
    let kind = match kind.as_str() {
        "domain" => "hostname".to_string(),
        "ipaddress" | "ipv4" | "ipv6" => "ip".to_string(),
        "" => return Err(bad("type", "must not be empty")),
        _ => kind,
    };
    Ok(IndicatorRef {
        kind,
        value,
        source: r.source,
    })
}

/// RR types whose answer data is a host name (or IP for A/AAAA).
pub fn record_value_is_host(record_type: &str) -> bool {
    matches!(
        record_type,
        "A" | "AAAA" | "CNAME" | "NS" | "MX" | "PTR" | "SRV" | "DNAME"
    )
}

impl Observation {
    /// The `kind` tag of this observation.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Observation::Dns { .. } => "dns",
            Observation::Component { .. } => "component",
            Observation::Tracker { .. } => "tracker",
            Observation::Cookie { .. } => "cookie",
            Observation::HostPair { .. } => "host_pair",
            Observation::Certificate { .. } => "certificate",
            Observation::Port { .. } => "port",
            Observation::Whois { .. } => "whois",
            Observation::Ip { .. } => "ip",
            Observation::Article { .. } => "article",
            Observation::IntelProfile { .. } => "intel_profile",
            Observation::Indicator { .. } => "indicator",
            Observation::Vulnerability { .. } => "vulnerability",
            Observation::VulnerabilityUpdate(_) => "vulnerability_update",
        }
    }

    /// Validates and canonicalises: host names normalised, IPs canonical, hashes lower-case,
    /// required times present. The result is what the store aggregates.
    pub fn normalize(self) -> Result<Observation, ObservationError> {
        use Observation::*;
        Ok(match self {
            Dns {
                name,
                record_type,
                value,
                sensor,
                seen,
            } => {
                need_time(&seen)?;
                let record_type = required("type", &record_type)?.to_ascii_uppercase();
                if !record_type.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(bad("type", format!("invalid RR type {record_type:?}")));
                }
                let name = host("name", &name)?;
                let value = match record_type.as_str() {
                    "A" | "AAAA" => ip("value", &value)?,
                    "MX" | "SRV" => {
                        // keep only the target name: "10 mail.example.com" / "0 5 5060 sip.example.com"
                        let target = value.split_whitespace().last().unwrap_or("");
                        host("value", target)?
                    }
                    t if record_value_is_host(t) => host("value", &value)?,
                    _ => required("value", &value)?,
                };
                Dns {
                    name,
                    record_type,
                    value,
                    sensor,
                    seen,
                }
            }
            Component {
                host: h,
                component,
                seen,
            } => {
                need_time(&seen)?;
                let component = ComponentName {
                    name: required("name", &component.name)?,
                    version: component.version.trim().to_string(),
                    category: component.category.trim().to_string(),
                };
                Component {
                    host: host("host", &h)?,
                    component,
                    seen,
                }
            }
            Tracker {
                host: h,
                tracker_kind,
                value,
                seen,
            } => {
                need_time(&seen)?;
                Tracker {
                    host: host("host", &h)?,
                    tracker_kind: required("tracker_kind", &tracker_kind)?,
                    value: required("value", &value)?,
                    seen,
                }
            }
            Cookie {
                host: h,
                name,
                domain,
                seen,
            } => {
                need_time(&seen)?;
                let d = domain.trim().trim_start_matches('.');
                let domain = if d.is_empty() {
                    host("host", &h)?
                } else {
                    host("domain", d)?
                };
                Cookie {
                    host: host("host", &h)?,
                    name: required("name", &name)?,
                    domain,
                    seen,
                }
            }
            HostPair {
                parent,
                child,
                link_kind,
                seen,
            } => {
                need_time(&seen)?;
                HostPair {
                    parent: host("parent", &parent)?,
                    child: host("child", &child)?,
                    link_kind: required("link_kind", &link_kind)?,
                    seen,
                }
            }
            Certificate {
                host: h,
                port,
                sha1,
                fingerprint,
                serial_number,
                issued,
                expires,
                issuer,
                subject,
                seen,
            } => {
                let sha1 = sha1.trim().replace(':', "").to_ascii_lowercase();
                if !is_hex(&sha1, 40) {
                    return Err(bad("sha1", "must be 40 hex digits"));
                }
                let h = match h {
                    Some(h) => Some(host("host", &h)?),
                    None => None,
                };
                if h.is_some() {
                    need_time(&seen)?;
                }
                let port = if h.is_some() {
                    Some(port.unwrap_or(443))
                } else {
                    port
                };
                if port == Some(0) {
                    return Err(bad("port", "must be 1-65535"));
                }
                Certificate {
                    host: h,
                    port,
                    sha1,
                    fingerprint: fingerprint.map(|f| f.trim().to_ascii_lowercase()),
                    serial_number,
                    issued,
                    expires,
                    issuer,
                    subject,
                    seen,
                }
            }
            Port {
                host: h,
                port,
                protocol,
                status,
                banner,
                scan_protocol,
                services,
                certificate_sha1,
                seen,
            } => {
                need_time(&seen)?;
                if port == 0 {
                    return Err(bad("port", "must be 1-65535"));
                }
                let certificate_sha1 = match certificate_sha1 {
                    Some(s) => {
                        let s = s.replace(':', "").to_ascii_lowercase();
                        if !is_hex(&s, 40) {
                            return Err(bad("certificate_sha1", "must be 40 hex digits"));
                        }
                        Some(s)
                    }
                    None => None,
                };
                let services = services
                    .into_iter()
                    .map(|c| {
                        Ok(ComponentName {
                            name: required("services.name", &c.name)?,
                            version: c.version.trim().to_string(),
                            category: c.category.trim().to_string(),
                        })
                    })
                    .collect::<Result<Vec<_>, ObservationError>>()?;
                Port {
                    host: host("host", &h)?,
                    port,
                    protocol: Some(protocol.unwrap_or(HostPortProtocol::Tcp)),
                    status: Some(status.unwrap_or(HostPortStatus::Open)),
                    banner: banner.filter(|b| !b.is_empty()),
                    scan_protocol,
                    services,
                    certificate_sha1,
                    seen,
                }
            }
            Whois {
                domain,
                server,
                raw,
                registered,
                expires,
                updated,
                status,
                registrar,
                registrant,
                admin,
                technical,
                billing,
                noc,
                zone,
                abuse,
                nameservers,
                seen,
            } => {
                need_time(&seen)?;
                let nameservers = nameservers
                    .iter()
                    .map(|n| host("nameservers", n))
                    .collect::<Result<Vec<_>, _>>()?;
                Whois {
                    domain: host("domain", &domain)?,
                    server,
                    raw,
                    registered,
                    expires,
                    updated,
                    status: status
                        .into_iter()
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                    registrar,
                    registrant,
                    admin,
                    technical,
                    billing,
                    noc,
                    zone,
                    abuse,
                    nameservers,
                    seen,
                }
            }
            Ip {
                ip: i,
                asn,
                as_name,
                as_organization,
                netblock,
                country,
                hosting_provider,
                seen,
            } => {
                need_time(&seen)?;
                Ip {
                    ip: ip("ip", &i)?,
                    asn,
                    as_name,
                    as_organization,
                    netblock,
                    country: country.map(|c| c.trim().to_ascii_uppercase()),
                    hosting_provider,
                    seen,
                }
            }
            Article {
                id,
                title,
                summary,
                body,
                tags,
                featured,
                image_url,
                created,
                updated,
                indicators,
                cves,
            } => {
                let title = required("title", &title)?;
                let id = match id {
                    Some(i) => required("id", &i)?,
                    None => crate::ids::article(&title),
                };
                let indicators = indicators
                    .iter()
                    .map(normalize_indicator)
                    .collect::<Result<Vec<_>, _>>()?;
                let cves = cves
                    .iter()
                    .map(|c| {
                        crate::ids::cve(c)
                            .ok_or_else(|| bad("cves", format!("invalid CVE id {c:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Article {
                    id: Some(id),
                    title,
                    summary,
                    body,
                    tags,
                    featured,
                    image_url,
                    created,
                    updated,
                    indicators,
                    cves,
                }
            }
            IntelProfile {
                id,
                profile_kind,
                title,
                aliases,
                targets,
                countries,
                first_active,
                summary,
                description,
                tradecraft,
                indicators,
            } => {
                let title = required("title", &title)?;
                let id = match id {
                    Some(i) => required("id", &i)?,
                    None => crate::ids::intelligence_profile(profile_kind.as_str(), &title),
                };
                let indicators = indicators
                    .iter()
                    .map(normalize_indicator)
                    .collect::<Result<Vec<_>, _>>()?;
                IntelProfile {
                    id: Some(id),
                    profile_kind,
                    title,
                    aliases,
                    targets,
                    countries,
                    first_active,
                    summary,
                    description,
                    tradecraft,
                    indicators,
                }
            }
            Indicator {
                profile,
                article,
                artifact,
                seen,
            } => {
                if profile.is_some() == article.is_some() {
                    return Err(bad(
                        "profile",
                        "exactly one of `profile` or `article` is required",
                    ));
                }
                Indicator {
                    profile,
                    article,
                    artifact: normalize_indicator(&artifact)?,
                    seen,
                }
            }
            Vulnerability {
                id,
                severity,
                priority_score,
                cvss2,
                cvss3,
                cwe,
                description,
                remediation,
                exploits,
                references,
                exploits_available,
                active_exploits_observed,
                has_chatter,
                created,
                modified,
                published,
                components,
                articles,
            } => {
                let id = crate::ids::cve(&id)
                    .ok_or_else(|| bad("id", format!("invalid CVE id {id:?}")))?;
                if let Some(p) = priority_score {
                    if !(0..=100).contains(&p) {
                        return Err(bad("priority_score", "must be 0-100"));
                    }
                }
                for c in [&cvss2, &cvss3].into_iter().flatten() {
                    if let Some(s) = c.score {
                        if !(0.0..=10.0).contains(&s) {
                            return Err(bad("cvss", "score must be 0-10"));
                        }
                    }
                }
                Vulnerability {
                    id,
                    severity,
                    priority_score,
                    cvss2,
                    cvss3,
                    cwe,
                    description,
                    remediation,
                    exploits,
                    references,
                    exploits_available,
                    active_exploits_observed,
                    has_chatter,
                    created,
                    modified,
                    published,
                    components,
                    articles,
                }
            }
            VulnerabilityUpdate(u) => VulnerabilityUpdate(Box::new(u.normalize()?)),
        })
    }
}

/// Normalises a hostname only (no IPs); exposed for readers that must refuse IPs.
pub fn hostname_only(text: &str) -> Result<String, ObservationError> {
    normalize_hostname(text).map_err(|e| bad("host", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Observation, String> {
        let o: Observation = serde_json::from_str(line).map_err(|e| e.to_string())?;
        o.normalize().map_err(|e| e.to_string())
    }

    #[test]
    fn dns_is_normalised() {
        let o = parse(r#"{"kind":"dns","name":"WWW.Example.com.","type":"a","value":"192.0.2.1","time":"2024-01-01T00:00:00+02:00"}"#).unwrap();
        match o {
            Observation::Dns {
                name,
                record_type,
                value,
                seen,
                ..
            } => {
                assert_eq!(name, "www.example.com");
                assert_eq!(record_type, "A");
                assert_eq!(value, "192.0.2.1");
                assert_eq!(
                    seen.window().unwrap().first.to_rfc3339(),
                    "2023-12-31T22:00:00+00:00"
                );
            }
            _ => panic!("wrong kind"),
        }
        let mx = parse(r#"{"kind":"dns","name":"example.com","type":"MX","value":"10 Mail.Example.com.","time":"2024-01-01T00:00:00Z"}"#).unwrap();
        assert!(matches!(mx, Observation::Dns { ref value, .. } if value == "mail.example.com"));
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(parse(r#"{"kind":"dns","name":"a.test","type":"A","value":"999.1.1.1","time":"2024-01-01T00:00:00Z"}"#)
            .unwrap_err()
            .contains("value"));
        assert!(parse(
            r#"{"kind":"dns","name":"a.test","type":"A","value":"192.0.2.1","time":"yesterday"}"#
        )
        .is_err());
        assert!(parse(r#"{"kind":"nope"}"#)
            .unwrap_err()
            .contains("unknown variant"));
        assert!(
            parse(r#"{"kind":"cookie","host":"a.test","name":"x","domain":""}"#)
                .unwrap_err()
                .contains("time")
        );
        assert!(parse(r#"{"kind":"vulnerability","id":"CVE-1"}"#)
            .unwrap_err()
            .contains("CVE"));
        assert!(parse(r#"{"kind":"indicator","type":"ip","value":"192.0.2.1"}"#).is_err());
    }

    #[test]
    fn window_orders_and_defaults() {
        let s = Seen {
            first_seen: None,
            last_seen: None,
            time: None,
            count: None,
        };
        assert!(s.window().is_none());
        let t1 = "2024-01-02T00:00:00Z".parse().unwrap();
        let t0 = "2024-01-01T00:00:00Z".parse().unwrap();
        let w = Seen {
            first_seen: Some(t1),
            last_seen: Some(t0),
            time: None,
            count: Some(0),
        }
        .window()
        .unwrap();
        assert!(w.first < w.last);
        assert_eq!(w.count, 1);
    }

    #[test]
    fn ids_default_from_titles() {
        let a = parse(r#"{"kind":"article","title":"Hello","indicators":[{"type":"domain","value":"Bad.Test"}]}"#).unwrap();
        match a {
            Observation::Article { id, indicators, .. } => {
                assert_eq!(id.unwrap(), crate::ids::article("Hello"));
                assert_eq!(indicators[0].kind, "hostname");
                assert_eq!(indicators[0].value, "bad.test");
            }
            _ => panic!(),
        }
    }
}
