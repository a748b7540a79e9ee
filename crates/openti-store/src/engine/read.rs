//! Collections and single entities.
//!
//! Default orders (deterministic, every list ends on its primary key):
//! * time-windowed facts (passive DNS forward and reverse, components, cookies, trackers,
//!   host pairs, ports, certificates, host certificates, profile indicators, hosts and a
//!   certificate's related hosts): `lastSeenDateTime` descending (unknown last), then key
//!   ascending;
//! * subdomains: `firstSeenDateTime` descending, then domain and name;
//! * articles (also a vulnerability's articles): `createdDateTime` descending, then id;
//! * article indicators: article, artifact kind, artifact value;
//! * intelligence profiles: title, then id;
//! * vulnerabilities: id; vulnerability components: name;
//! * WHOIS records and WHOIS history: `lastSeenDateTime` descending, then host (and content
//!   hash).

use crate::db::Value as SqlValue;
use crate::db::{params_from_iter, Conn, OptionalExtension, Row};
use openti_model::ids;
use serde_json::Value;

use super::render::{self, *};
use super::{odata, search};
use crate::{EntityKind, Item, ListQuery, Page, PairRole, Scope, StoreResult};

/// RR types whose value is a host: the rows that make up reverse passive DNS.
const HOST_VALUED_TYPES: &str =
    "rtype IN ('A', 'AAAA', 'CNAME', 'NS', 'MX', 'PTR', 'SRV', 'DNAME')";

/// The host pairs in which a host is parent or child (three parameters: the host).
const HOST_PAIRS_OF_HOST: &str = "(SELECT * FROM host_pairs WHERE parent = ? \
     UNION ALL SELECT * FROM host_pairs WHERE child = ? AND parent <> ?) AS host_pairs";

/// A SELECT assembled from fixed fragments; every user value is a bound parameter (those of
/// placeholders in `from` first, then those of the conditions).
#[derive(Clone)]
pub(crate) struct Sel {
    cols: &'static str,
    from: &'static str,
    conds: Vec<String>,
    group: &'static str,
    order: &'static str,
    params: Vec<SqlValue>,
}

impl Sel {
    pub(crate) fn new(cols: &'static str, from: &'static str, order: &'static str) -> Self {
        Sel {
            cols,
            from,
            conds: Vec::new(),
            group: "",
            order,
            params: Vec::new(),
        }
    }

    /// Adds a condition with its parameters (anonymous `?` placeholders, in order).
    pub(crate) fn cond(
        &mut self,
        sql: impl Into<String>,
        params: impl IntoIterator<Item = SqlValue>,
    ) {
        self.conds.push(sql.into());
        self.params.extend(params);
    }

    fn with(mut self, sql: &'static str, p: &str) -> Self {
        self.cond(sql, [SqlValue::Text(p.to_string())]);
        self
    }

    fn with_opt(self, sql: &'static str, p: &Option<String>) -> Self {
        match p {
            Some(v) => self.with(sql, v),
            None => self,
        }
    }

    /// The bound parameters of the conditions.
    pub(crate) fn params_slice(&self) -> &[SqlValue] {
        &self.params
    }

    pub(crate) fn body(&self) -> String {
        let mut s = format!("FROM {}", self.from);
        if !self.conds.is_empty() {
            s.push_str(" WHERE ");
            s.push_str(&self.conds.join(" AND "));
        }
        if !self.group.is_empty() {
            s.push(' ');
            s.push_str(self.group);
        }
        s
    }
}

struct Rows<T> {
    items: Vec<T>,
    more: bool,
    total: Option<u64>,
    cursor: Option<openti_odata::Cursor>,
}

/// One page: `$filter` added to `sel`, keyset-ordered by `$orderby` then the scope's default
/// order, positioned by the cursor and `$skip` (see [`odata`]).
fn fetch<T>(
    conn: &Conn<'_>,
    q: &ListQuery,
    sel: &Sel,
    mut map: impl FnMut(&Row) -> crate::db::Result<T>,
) -> StoreResult<Rows<T>> {
    let mut sel = sel.clone();
    odata::apply_filter(conn.dialect(), q, &mut sel)?;
    let plan = odata::Plan::new(conn.dialect(), q, sel.order)?;
    let body = sel.body();
    let ncols = odata::column_count(sel.cols);
    let nkeys = plan.len();
    let (sql, params) = plan.page_sql(sel.cols, &body, &sel.params, q.top, q.skip);
    let top = q.top as usize;
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut items = Vec::new();
    let mut last_keys = None;
    let mut more = false;
    let mut rows = stmt.query(params_from_iter(params))?;
    while let Some(row) = rows.next()? {
        if items.len() == top {
            more = true;
            break;
        }
        items.push(map(row)?);
        last_keys = Some(odata::key_values(row, ncols, nkeys)?);
    }
    let cursor = match (more, last_keys) {
        (true, Some(k)) => Some(plan.cursor(k)),
        _ => None,
    };
    let total = if q.count {
        let sql = format!("SELECT COUNT(*) FROM (SELECT 1 {body}) AS _c");
        let n: i64 = conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(sel.params.iter()), |r| r.get(0))?;
        Some(u64::try_from(n).unwrap_or(0))
    } else {
        None
    };
    Ok(Rows {
        items,
        more,
        total,
        cursor,
    })
}

fn page(r: Rows<Item>) -> Page {
    Page {
        items: r.items,
        total: r.total,
        more: r.more,
        cursor: r.cursor,
    }
}

fn empty(q: &ListQuery) -> Page {
    Page {
        items: Vec::new(),
        total: q.count.then_some(0),
        more: false,
        cursor: None,
    }
}

/// The SHA-1 a certificate id (base64 of the SHA-1 hex) or raw SHA-1 stands for.
pub(crate) fn cert_sha1(id: &str) -> Option<String> {
    let is_sha1 = |s: &str| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let t = id.trim();
    if is_sha1(t) {
        return Some(t.to_ascii_lowercase());
    }
    let parts = ids::decode_composite(t)?;
    match parts.as_slice() {
        [s] if is_sha1(s) => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}

/// One page of a collection.
pub fn list(conn: &Conn<'_>, q: &ListQuery) -> StoreResult<Page> {
    let mut sel = match &q.scope {
        Scope::Articles => Sel::new(ARTICLE_COLS, "articles a", "a.created DESC, a.id"),
        Scope::ArticleIndicators { article } => Sel::new(
            ARTICLE_INDICATOR_COLS,
            "article_indicators",
            "article_id, artifact_kind, artifact_value",
        )
        .with_opt("article_id = ?", article),
        Scope::IntelProfiles => Sel::new(PROFILE_COLS, "intel_profiles p", "p.title, p.id"),
        Scope::ProfileIndicators { profile } => Sel::new(
            PROFILE_INDICATOR_COLS,
            "profile_indicators",
            "last_seen DESC, profile_id, artifact_kind, artifact_value",
        )
        .with_opt("profile_id = ?", profile),
        Scope::Hosts => Sel::new(HOST_COLS, "hosts h", "h.last_seen DESC, h.id"),
        Scope::HostComponents { host } => Sel::new(
            COMPONENT_COLS,
            "components",
            "last_seen DESC, host, name, version, category",
        )
        .with_opt("host = ?", host),
        Scope::HostCookies { host } => {
            Sel::new(COOKIE_COLS, "cookies", "last_seen DESC, host, name, domain")
                .with_opt("host = ?", host)
        }
        Scope::HostTrackers { host } => Sel::new(
            TRACKER_COLS,
            "trackers",
            "last_seen DESC, host, kind, value",
        )
        .with_opt("host = ?", host),
        Scope::HostPorts { host } => {
            let sel = Sel::new(PORT_COLS, "ports", "last_seen DESC, host, port, protocol")
                .with_opt("host = ?", host);
            no_search(q)?;
            let rows = fetch(conn, q, &sel, port_row)?;
            let items = rows
                .items
                .into_iter()
                .map(|p| render::port(conn, p))
                .collect::<StoreResult<Vec<_>>>()?;
            return Ok(Page {
                items,
                total: rows.total,
                more: rows.more,
                cursor: rows.cursor,
            });
        }
        Scope::HostSslCertificates { host } => {
            let mut sel = Sel::new(
                HOST_CERT_COLS,
                "host_certificates hc",
                "max(hc.last_seen) DESC, hc.host, hc.sha1",
            )
            .with_opt("hc.host = ?", host);
            sel.group = "GROUP BY hc.host, hc.sha1";
            no_search(q)?;
            let rows = fetch(conn, q, &sel, |r| {
                Ok((r.get(0)?, r.get(1)?, [r.get(2)?, r.get(3)?]))
            })?;
            let items = rows
                .items
                .into_iter()
                .map(|(h, s, w): (String, String, [Option<String>; 2])| {
                    render::host_cert(conn, &h, &s, w)
                })
                .collect::<StoreResult<Vec<_>>>()?;
            return Ok(Page {
                items,
                total: rows.total,
                more: rows.more,
                cursor: rows.cursor,
            });
        }
        Scope::HostPairs { host, role } => {
            const ORDER: &str = "last_seen DESC, parent, child, link_kind";
            let mut sel = Sel::new(PAIR_COLS, "host_pairs", ORDER);
            if let Some(h) = host {
                let v = || SqlValue::Text(h.clone());
                match role {
                    PairRole::Parent => sel.cond("parent = ?", [v()]),
                    PairRole::Child => sel.cond("child = ?", [v()]),
                    // Both halves in their own index order, merged (SQLite plans MERGE
                    // (UNION ALL)) instead of sorting every pair of a popular host; PostgreSQL 15
                    // still appends the halves' index-only scans and sorts the top N (see
                    // BENCHMARKS.md). A pair of the host with itself comes from the first half.
                    PairRole::Either => {
                        sel = Sel::new(PAIR_COLS, HOST_PAIRS_OF_HOST, ORDER);
                        sel.params.extend([v(), v(), v()]);
                    }
                }
            }
            sel
        }
        Scope::PassiveDns { host } => Sel::new(
            DNS_COLS,
            "passive_dns",
            "last_seen DESC, host, rtype, value",
        )
        .with_opt("host = ?", host),
        Scope::PassiveDnsReverse { host } => {
            let mut sel = Sel::new(
                DNS_COLS,
                "passive_dns",
                "last_seen DESC, host, rtype, value",
            )
            .with("value = ?", host);
            sel.cond(HOST_VALUED_TYPES, []);
            no_search(q)?;
            return fetch(conn, q, &sel, dns_reverse).map(page);
        }
        Scope::Subdomains { host } => {
            Sel::new(SUBDOMAIN_COLS, "subdomains", "first_seen DESC, domain, sub")
                .with_opt("domain = ?", host)
        }
        Scope::SslCertificates => Sel::new(CERT_COLS, "certificates c", "c.last_seen DESC, c.sha1"),
        Scope::CertificateHosts { certificate } => {
            let Some(sha1) = cert_sha1(certificate) else {
                return Ok(empty(q));
            };
            Sel::new(HOST_COLS, "hosts h", "h.last_seen DESC, h.id").with(
                "h.id IN (SELECT host FROM host_certificates WHERE sha1 = ?)",
                &sha1,
            )
        }
        Scope::Vulnerabilities => Sel::new(VULN_COLS, "vulnerabilities", "id"),
        Scope::VulnerabilityComponents { cve } => {
            let Some(cve) = ids::cve(cve) else {
                return Ok(empty(q));
            };
            Sel::new(VULN_COMPONENT_COLS, "vulnerability_components", "name").with("cve = ?", &cve)
        }
        Scope::VulnerabilityArticles { cve } => {
            let Some(cve) = ids::cve(cve) else {
                return Ok(empty(q));
            };
            let mut sel = Sel::new(ARTICLE_COLS, "articles a", "a.created DESC, a.id");
            sel.cond(
                "a.id IN (SELECT article_id FROM vulnerability_articles WHERE cve = ? \
                 UNION SELECT article_id FROM article_cves WHERE cve = ?)",
                [SqlValue::Text(cve.clone()), SqlValue::Text(cve)],
            );
            sel
        }
        Scope::WhoisRecords => Sel::new(WHOIS_COLS, "whois", "last_seen DESC, host"),
        Scope::WhoisHistory { record, host } => {
            let mut sel = Sel::new(
                WHOIS_HISTORY_COLS,
                "whois_history",
                "last_seen DESC, host, content_hash",
            )
            .with_opt("host = ?", host);
            if let Some(r) = record {
                let Some(h) = whois_record_host(r) else {
                    return Ok(empty(q));
                };
                sel = sel.with("host = ?", &h);
            }
            no_search(q)?;
            return fetch(conn, q, &sel, whois_history).map(page);
        }
    };
    if let Some(s) = &q.search {
        search::apply(conn.backend(), &q.scope, s, &mut sel)?;
    }
    let map: fn(&Row) -> crate::db::Result<Item> = match &q.scope {
        Scope::Articles | Scope::VulnerabilityArticles { .. } => article,
        Scope::ArticleIndicators { .. } => article_indicator,
        Scope::IntelProfiles => profile,
        Scope::ProfileIndicators { .. } => profile_indicator,
        Scope::Hosts | Scope::CertificateHosts { .. } => host,
        Scope::HostComponents { .. } => component,
        Scope::HostCookies { .. } => cookie,
        Scope::HostTrackers { .. } => tracker,
        Scope::HostPairs { .. } => pair,
        Scope::PassiveDns { .. } => dns_forward,
        Scope::Subdomains { .. } => subdomain,
        Scope::SslCertificates => cert,
        Scope::Vulnerabilities => vulnerability,
        Scope::VulnerabilityComponents { .. } => vuln_component,
        Scope::WhoisRecords => whois,
        // handled above
        Scope::HostPorts { .. }
        | Scope::HostSslCertificates { .. }
        | Scope::PassiveDnsReverse { .. }
        | Scope::WhoisHistory { .. } => return Ok(empty(q)),
    };
    fetch(conn, q, &sel, map).map(page)
}

fn no_search(q: &ListQuery) -> StoreResult<()> {
    match &q.search {
        Some(s) => {
            let mut scratch = Sel::new("", "", "");
            search::apply(crate::db::Backend::Sqlite, &q.scope, s, &mut scratch)
        }
        None => Ok(()),
    }
}

fn whois_record_host(id: &str) -> Option<String> {
    match ids::decode_composite(id)?.as_slice() {
        [host, tag] if tag == "whois" => Some(host.clone()),
        _ => None,
    }
}

fn one(
    conn: &Conn<'_>,
    cols: &str,
    from_where: &str,
    params: &[&str],
    map: impl FnOnce(&Row) -> crate::db::Result<Item>,
) -> StoreResult<Option<Value>> {
    let sql = format!("SELECT {cols} FROM {from_where}");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(params.iter()), map)
        .optional()?
        .map(|i| i.to_value()))
}

/// The current WHOIS record of a host.
pub fn whois_current(conn: &Conn<'_>, host: &str) -> StoreResult<Option<Value>> {
    one(conn, WHOIS_COLS, "whois WHERE host = ?", &[host], whois)
}

/// One entity by id; unknown or malformed ids give `None`.
pub fn get(conn: &Conn<'_>, kind: EntityKind, id: &str) -> StoreResult<Option<Value>> {
    let parts = || ids::decode_composite(id).unwrap_or_default();
    let p = parts();
    let ps: Vec<&str> = p.iter().map(String::as_str).collect();
    match kind {
        EntityKind::Article => one(
            conn,
            ARTICLE_COLS,
            "articles a WHERE a.id = ?",
            &[id],
            article,
        ),
        EntityKind::ArticleIndicator => one(
            conn,
            ARTICLE_INDICATOR_COLS,
            "article_indicators WHERE id = ?",
            &[id],
            article_indicator,
        ),
        EntityKind::IntelProfile => one(
            conn,
            PROFILE_COLS,
            "intel_profiles p WHERE p.id = ?",
            &[id],
            profile,
        ),
        EntityKind::ProfileIndicator => one(
            conn,
            PROFILE_INDICATOR_COLS,
            "profile_indicators WHERE id = ?",
            &[id],
            profile_indicator,
        ),
        EntityKind::Host => one(conn, HOST_COLS, "hosts h WHERE h.id = ?", &[id], host),
        EntityKind::HostComponent => match ps.as_slice() {
            [name, version, category, host] => one(
                conn,
                COMPONENT_COLS,
                "components WHERE host = ? AND name = ? AND version = ? AND category = ?",
                &[host, name, version, category],
                component,
            ),
            _ => Ok(None),
        },
        EntityKind::HostCookie => match ps.as_slice() {
            [domain, name, host] => one(
                conn,
                COOKIE_COLS,
                "cookies WHERE host = ? AND name = ? AND domain = ?",
                &[host, name, domain],
                cookie,
            ),
            _ => Ok(None),
        },
        EntityKind::HostTracker => match ps.as_slice() {
            [value, kind, host] => one(
                conn,
                TRACKER_COLS,
                "trackers WHERE host = ? AND kind = ? AND value = ?",
                &[host, kind, value],
                tracker,
            ),
            _ => Ok(None),
        },
        EntityKind::HostPort => {
            let (host, port, protocol) = match ps.as_slice() {
                [h, p] => (*h, *p, "tcp"),
                [h, p, proto] => (*h, *p, *proto),
                _ => return Ok(None),
            };
            let Ok(port) = port.parse::<u16>() else {
                return Ok(None);
            };
            let sql = format!(
                "SELECT {PORT_COLS} FROM ports WHERE host = ?1 AND port = ?2 AND protocol = ?3"
            );
            let row = conn
                .prepare_cached(&sql)?
                .query_row(
                    crate::db::params![host, port, protocol.to_ascii_lowercase()],
                    port_row,
                )
                .optional()?;
            row.map(|r| render::port(conn, r).map(|i| i.to_value()))
                .transpose()
        }
        EntityKind::HostSslCertificate => match ps.as_slice() {
            [host, sha1] => {
                let sha1 = sha1.to_ascii_lowercase();
                let sql = format!(
                    "SELECT {HOST_CERT_COLS} FROM host_certificates hc WHERE hc.host = ?1 AND hc.sha1 = ?2 \
                     GROUP BY hc.host, hc.sha1"
                );
                let row: Option<[Option<String>; 2]> = conn
                    .prepare_cached(&sql)?
                    .query_row([host, &sha1.as_str()], |r| Ok([r.get(2)?, r.get(3)?]))
                    .optional()?;
                row.map(|w| render::host_cert(conn, host, &sha1, w).map(|i| i.to_value()))
                    .transpose()
            }
            _ => Ok(None),
        },
        EntityKind::HostPair => match ps.as_slice() {
            [link, parent, child] => one(
                conn,
                PAIR_COLS,
                "host_pairs WHERE parent = ? AND child = ? AND link_kind = ?",
                &[parent, child, link],
                pair,
            ),
            _ => Ok(None),
        },
        EntityKind::PassiveDnsRecord => match ps.as_slice() {
            [host, rtype, value] => one(
                conn,
                DNS_COLS,
                "passive_dns WHERE host = ? AND rtype = ? AND value = ?",
                &[host, rtype, value],
                dns_forward,
            ),
            [value, rtype, host, "reverse"] => one(
                conn,
                DNS_COLS,
                "passive_dns WHERE host = ? AND rtype = ? AND value = ?",
                &[host, rtype, value],
                dns_reverse,
            ),
            _ => Ok(None),
        },
        EntityKind::Subdomain => match ps.as_slice() {
            [sub, domain] => one(
                conn,
                SUBDOMAIN_COLS,
                "subdomains WHERE domain = ? AND sub = ?",
                &[domain, sub],
                subdomain,
            ),
            _ => Ok(None),
        },
        EntityKind::SslCertificate => match cert_sha1(id) {
            Some(sha1) => one(
                conn,
                CERT_COLS,
                "certificates c WHERE c.sha1 = ?",
                &[&sha1],
                cert,
            ),
            None => Ok(None),
        },
        EntityKind::Vulnerability => match ids::cve(id) {
            Some(cve) => one(
                conn,
                VULN_COLS,
                "vulnerabilities WHERE id = ?",
                &[&cve],
                vulnerability,
            ),
            None => Ok(None),
        },
        EntityKind::VulnerabilityComponent => match ps.as_slice() {
            [cve, name] => match ids::cve(cve) {
                Some(cve) => one(
                    conn,
                    VULN_COMPONENT_COLS,
                    "vulnerability_components WHERE cve = ? AND name = ?",
                    &[&cve, name],
                    vuln_component,
                ),
                None => Ok(None),
            },
            _ => Ok(None),
        },
        EntityKind::WhoisRecord => match whois_record_host(id) {
            Some(h) => whois_current(conn, &h),
            None => Ok(None),
        },
        EntityKind::WhoisHistoryRecord => match ps.as_slice() {
            [host, hash] => one(
                conn,
                WHOIS_HISTORY_COLS,
                "whois_history WHERE host = ? AND content_hash = ?",
                &[host, hash],
                whois_history,
            ),
            _ => Ok(None),
        },
    }
}
