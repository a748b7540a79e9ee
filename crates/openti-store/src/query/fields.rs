//! Per-scope mapping from the schema's property paths to SQL over the store's tables.
//!
//! Outer-row columns are always qualified (table name or alias) so that they stay unambiguous
//! inside the correlated sub-queries of lambda operators. JSON paths are derived from
//! validated property names and bound as parameters by the dialect.

use super::{Dialect, Frag, Param};
use crate::Scope;

/// Decodes a composite-id literal into the values of its key columns.
pub type IdDecoder = fn(&str) -> Option<Vec<Param>>;

/// Rows of a child table that form a collection-valued property.
#[derive(Debug)]
pub struct RowSource {
    /// FROM item with its alias, e.g. `port_banners pb`.
    pub from: &'static str,
    /// Correlation with the outer row.
    pub join: &'static str,
    /// Element property path → column of the alias.
    pub fields: &'static [(&'static str, &'static str)],
}

/// How one property (path) is stored.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// A scalar SQL expression (the path must match exactly).
    Expr(&'static str),
    /// A JSON document and the path of this property inside it; deeper Graph paths are
    /// appended (`registrant` → `registrant/address/city`).
    Json(&'static str, &'static [&'static str]),
    /// The entity id, a composite of these key columns.
    Id(&'static [&'static str], IdDecoder),
    /// A collection of scalars stored as a JSON array (document, path inside it).
    Scalars(&'static str, &'static [&'static str]),
    /// A collection of objects stored as a JSON array (document, path inside it).
    Objects(&'static str, &'static [&'static str]),
    /// A collection stored as child-table rows.
    Rows(&'static RowSource),
    /// WHOIS name servers: a JSON array of host names (document, path); each element's window
    /// is the record's (`first`, `last`).
    Nameservers(
        &'static str,
        &'static [&'static str],
        &'static str,
        &'static str,
    ),
}

/// A property resolved to SQL.
#[derive(Debug, Clone)]
pub enum Mapped {
    /// A scalar value.
    Scalar(Frag),
    /// A composite id.
    Id(&'static [&'static str], IdDecoder),
    /// A collection.
    Collection(Collection),
}

/// A collection-valued property resolved to SQL.
#[derive(Debug, Clone)]
pub enum Collection {
    /// JSON array of scalars.
    Scalars(Frag),
    /// JSON array of objects.
    Objects(Frag),
    /// Child-table rows.
    Rows(&'static RowSource),
    /// WHOIS name servers with the record's window columns.
    Nameservers(Frag, &'static str, &'static str),
}

use super::idmap::*;
use Field::*;

static ARTICLES: &[(&str, Field)] = &[
    ("id", Expr("a.id")),
    ("title", Expr("a.title")),
    ("summary", Expr("a.summary")),
    ("summary/content", Expr("a.summary")),
    (
        "summary/format",
        Expr(
            "CASE WHEN a.summary IS NULL THEN NULL ELSE coalesce(a.summary_format, 'markdown') END",
        ),
    ),
    ("body", Expr("a.body")),
    ("body/content", Expr("a.body")),
    (
        "body/format",
        Expr("CASE WHEN a.body IS NULL THEN NULL ELSE coalesce(a.body_format, 'markdown') END"),
    ),
    ("tags", Scalars("a.tags", &[])),
    ("isFeatured", Expr("a.featured")),
    ("imageUrl", Expr("a.image_url")),
    ("createdDateTime", Expr("a.created")),
    ("lastUpdatedDateTime", Expr("a.updated")),
];

static ARTICLE_INDICATORS: &[(&str, Field)] = &[
    ("id", Expr("article_indicators.id")),
    ("source", Expr("article_indicators.source")),
    ("artifact", Expr("article_indicators.artifact_value")),
    ("artifact/id", Expr("article_indicators.artifact_value")),
];

static PROFILES: &[(&str, Field)] = &[
    ("id", Expr("p.id")),
    ("kind", Expr("p.kind")),
    ("title", Expr("p.title")),
    ("aliases", Scalars("p.aliases", &[])),
    ("targets", Scalars("p.targets", &[])),
    ("countriesOrRegionsOfOrigin", Objects("p.countries", &[])),
    ("firstActiveDateTime", Expr("p.first_active")),
    ("summary", Expr("p.summary")),
    ("summary/content", Expr("p.summary")),
    ("summary/format", Expr("CASE WHEN p.summary IS NULL THEN NULL ELSE coalesce(p.summary_format, 'markdown') END")),
    ("description", Expr("p.description")),
    ("description/content", Expr("p.description")),
    ("description/format", Expr("CASE WHEN p.description IS NULL THEN NULL ELSE coalesce(p.description_format, 'markdown') END")),
    ("tradecraft", Expr("p.tradecraft")),
    ("tradecraft/content", Expr("p.tradecraft")),
    ("tradecraft/format", Expr("CASE WHEN p.tradecraft IS NULL THEN NULL ELSE coalesce(p.tradecraft_format, 'markdown') END")),
];

static PROFILE_INDICATORS: &[(&str, Field)] = &[
    ("id", Expr("profile_indicators.id")),
    ("source", Expr("profile_indicators.source")),
    ("firstSeenDateTime", Expr("profile_indicators.first_seen")),
    ("lastSeenDateTime", Expr("profile_indicators.last_seen")),
    ("artifact", Expr("profile_indicators.artifact_value")),
    ("artifact/id", Expr("profile_indicators.artifact_value")),
];

static HOSTS: &[(&str, Field)] = &[
    ("id", Expr("h.id")),
    ("firstSeenDateTime", Expr("h.first_seen")),
    ("lastSeenDateTime", Expr("h.last_seen")),
    (
        "registrar",
        Expr("CASE WHEN h.is_ip = 0 THEN h.registrar END"),
    ),
    (
        "registrant",
        Expr("CASE WHEN h.is_ip = 0 THEN h.registrant END"),
    ),
    (
        "countryOrRegion",
        Expr("CASE WHEN h.is_ip = 1 THEN h.country END"),
    ),
    (
        "hostingProvider",
        Expr("CASE WHEN h.is_ip = 1 THEN h.hosting_provider END"),
    ),
    (
        "netblock",
        Expr("CASE WHEN h.is_ip = 1 THEN h.netblock END"),
    ),
    (
        "autonomousSystem/number",
        Expr("CASE WHEN h.is_ip = 1 THEN h.asn END"),
    ),
    (
        "autonomousSystem/name",
        Expr("CASE WHEN h.is_ip = 1 THEN h.as_name END"),
    ),
    (
        "autonomousSystem/organization",
        Expr("CASE WHEN h.is_ip = 1 THEN h.as_org END"),
    ),
];

static COMPONENTS: &[(&str, Field)] = &[
    (
        "id",
        Id(
            &[
                "components.name",
                "components.version",
                "components.category",
                "components.host",
            ],
            id_component,
        ),
    ),
    ("name", Expr("components.name")),
    ("version", Expr("components.version")),
    ("category", Expr("components.category")),
    ("firstSeenDateTime", Expr("components.first_seen")),
    ("lastSeenDateTime", Expr("components.last_seen")),
    ("host", Expr("components.host")),
    ("host/id", Expr("components.host")),
];

static COOKIES: &[(&str, Field)] = &[
    (
        "id",
        Id(
            &["cookies.domain", "cookies.name", "cookies.host"],
            id_three,
        ),
    ),
    ("name", Expr("cookies.name")),
    ("domain", Expr("cookies.domain")),
    ("firstSeenDateTime", Expr("cookies.first_seen")),
    ("lastSeenDateTime", Expr("cookies.last_seen")),
    ("host", Expr("cookies.host")),
    ("host/id", Expr("cookies.host")),
];

static TRACKERS: &[(&str, Field)] = &[
    (
        "id",
        Id(
            &["trackers.value", "trackers.kind", "trackers.host"],
            id_three,
        ),
    ),
    ("kind", Expr("trackers.kind")),
    ("value", Expr("trackers.value")),
    ("firstSeenDateTime", Expr("trackers.first_seen")),
    ("lastSeenDateTime", Expr("trackers.last_seen")),
    ("host", Expr("trackers.host")),
    ("host/id", Expr("trackers.host")),
];

static BANNERS: RowSource = RowSource {
    from: "port_banners pb",
    join: "pb.host = ports.host AND pb.port = ports.port AND pb.protocol = ports.protocol",
    fields: &[
        ("banner", "pb.banner"),
        ("scanProtocol", "pb.scan_protocol"),
        ("timesObserved", "pb.times"),
        ("firstSeenDateTime", "pb.first_seen"),
        ("lastSeenDateTime", "pb.last_seen"),
    ],
};

static SERVICES: RowSource = RowSource {
    from: "port_services ps",
    join: "ps.host = ports.host AND ps.port = ports.port AND ps.protocol = ports.protocol",
    fields: &[
        ("firstSeenDateTime", "ps.first_seen"),
        ("lastSeenDateTime", "ps.last_seen"),
        ("component/name", "ps.name"),
        ("component/version", "ps.version"),
        ("component/category", "ps.category"),
        ("component/firstSeenDateTime", "ps.first_seen"),
        ("component/lastSeenDateTime", "ps.last_seen"),
    ],
};

static PORTS: &[(&str, Field)] = &[
    (
        "id",
        Id(&["ports.host", "ports.port", "ports.protocol"], id_port),
    ),
    ("port", Expr("ports.port")),
    ("protocol", Expr("ports.protocol")),
    ("status", Expr("ports.status")),
    ("timesObserved", Expr("ports.times_observed")),
    ("firstSeenDateTime", Expr("ports.first_seen")),
    ("lastSeenDateTime", Expr("ports.last_seen")),
    ("lastScanDateTime", Expr("ports.last_scan")),
    ("banners", Rows(&BANNERS)),
    ("services", Rows(&SERVICES)),
    ("host", Expr("ports.host")),
    ("host/id", Expr("ports.host")),
    ("mostRecentSslCertificate", Expr("ports.recent_cert_sha1")),
    (
        "mostRecentSslCertificate/id",
        Id(&["ports.recent_cert_sha1"], id_cert),
    ),
    (
        "mostRecentSslCertificate/sha1",
        Expr("ports.recent_cert_sha1"),
    ),
];

static HOST_CERT_PORTS: RowSource = RowSource {
    from: "host_certificates hcp",
    join: "hcp.host = hc.host AND hcp.sha1 = hc.sha1",
    fields: &[
        ("port", "hcp.port"),
        ("firstSeenDateTime", "hcp.first_seen"),
        ("lastSeenDateTime", "hcp.last_seen"),
    ],
};

static HOST_CERTS: &[(&str, Field)] = &[
    ("id", Id(&["hc.host", "hc.sha1"], id_host_cert)),
    ("firstSeenDateTime", Expr("(SELECT min(x.first_seen) FROM host_certificates x WHERE x.host = hc.host AND x.sha1 = hc.sha1)")),
    ("lastSeenDateTime", Expr("(SELECT max(x.last_seen) FROM host_certificates x WHERE x.host = hc.host AND x.sha1 = hc.sha1)")),
    ("ports", Rows(&HOST_CERT_PORTS)),
    ("host", Expr("hc.host")),
    ("host/id", Expr("hc.host")),
    ("sslCertificate", Expr("hc.sha1")),
    ("sslCertificate/id", Id(&["hc.sha1"], id_cert)),
    ("sslCertificate/sha1", Expr("hc.sha1")),
];

static PAIRS: &[(&str, Field)] = &[
    (
        "id",
        Id(
            &[
                "host_pairs.link_kind",
                "host_pairs.parent",
                "host_pairs.child",
            ],
            id_three,
        ),
    ),
    ("linkKind", Expr("host_pairs.link_kind")),
    ("firstSeenDateTime", Expr("host_pairs.first_seen")),
    ("lastSeenDateTime", Expr("host_pairs.last_seen")),
    ("parentHost", Expr("host_pairs.parent")),
    ("parentHost/id", Expr("host_pairs.parent")),
    ("childHost", Expr("host_pairs.child")),
    ("childHost/id", Expr("host_pairs.child")),
];

static DNS: &[(&str, Field)] = &[
    (
        "id",
        Id(
            &["passive_dns.host", "passive_dns.rtype", "passive_dns.value"],
            id_three,
        ),
    ),
    ("recordType", Expr("passive_dns.rtype")),
    ("collectedDateTime", Expr("passive_dns.collected")),
    ("firstSeenDateTime", Expr("passive_dns.first_seen")),
    ("lastSeenDateTime", Expr("passive_dns.last_seen")),
    ("parentHost", Expr("passive_dns.host")),
    ("parentHost/id", Expr("passive_dns.host")),
    ("artifact", Expr("passive_dns.value")),
    ("artifact/id", Expr("passive_dns.value")),
];

static DNS_REVERSE: &[(&str, Field)] = &[
    (
        "id",
        Id(
            &["passive_dns.value", "passive_dns.rtype", "passive_dns.host"],
            id_reverse,
        ),
    ),
    ("recordType", Expr("passive_dns.rtype")),
    ("collectedDateTime", Expr("passive_dns.collected")),
    ("firstSeenDateTime", Expr("passive_dns.first_seen")),
    ("lastSeenDateTime", Expr("passive_dns.last_seen")),
    ("parentHost", Expr("passive_dns.value")),
    ("parentHost/id", Expr("passive_dns.value")),
    ("artifact", Expr("passive_dns.host")),
    ("artifact/id", Expr("passive_dns.host")),
];

static SUBDOMAINS: &[(&str, Field)] = &[
    ("id", Id(&["subdomains.sub", "subdomains.domain"], id_two)),
    ("firstSeenDateTime", Expr("subdomains.first_seen")),
    ("host", Expr("subdomains.sub")),
    ("host/id", Expr("subdomains.sub")),
];

static CERTS: &[(&str, Field)] = &[
    ("id", Id(&["c.sha1"], id_cert)),
    ("fingerprint", Expr("c.fingerprint")),
    ("sha1", Expr("c.sha1")),
    ("serialNumber", Expr("c.serial")),
    ("issueDateTime", Expr("c.issued")),
    ("expirationDateTime", Expr("c.expires")),
    ("firstSeenDateTime", Expr("c.first_seen")),
    ("lastSeenDateTime", Expr("c.last_seen")),
    (
        "issuer/alternateNames",
        Scalars("c.issuer", &["alternateNames"]),
    ),
    (
        "subject/alternateNames",
        Scalars("c.subject", &["alternateNames"]),
    ),
    ("issuer", Json("c.issuer", &[])),
    ("subject", Json("c.subject", &[])),
];

static VULNS: &[(&str, Field)] = &[
    ("id", Expr("vulnerabilities.id")),
    ("severity", Expr("vulnerabilities.severity")),
    ("priorityScore", Expr("vulnerabilities.priority")),
    ("cvss2Summary", Json("vulnerabilities.cvss2", &[])),
    ("cvss3Summary", Json("vulnerabilities.cvss3", &[])),
    ("commonWeaknessEnumerationIds", Scalars("vulnerabilities.cwe", &[])),
    ("description", Expr("vulnerabilities.description")),
    ("description/content", Expr("vulnerabilities.description")),
    ("description/format", Expr("CASE WHEN vulnerabilities.description IS NULL THEN NULL ELSE coalesce(vulnerabilities.description_format, 'markdown') END")),
    ("remediation", Expr("vulnerabilities.remediation")),
    ("remediation/content", Expr("vulnerabilities.remediation")),
    ("remediation/format", Expr("CASE WHEN vulnerabilities.remediation IS NULL THEN NULL ELSE coalesce(vulnerabilities.remediation_format, 'markdown') END")),
    ("exploits", Objects("vulnerabilities.exploits", &[])),
    ("references", Objects("vulnerabilities.refs", &[])),
    ("exploitsAvailable", Expr("vulnerabilities.exploits_available")),
    ("activeExploitsObserved", Expr("vulnerabilities.active_exploits")),
    ("hasChatter", Expr("vulnerabilities.has_chatter")),
    ("createdDateTime", Expr("vulnerabilities.created")),
    ("lastModifiedDateTime", Expr("vulnerabilities.modified")),
    ("publishedDateTime", Expr("vulnerabilities.published")),
];

static VULN_COMPONENTS: &[(&str, Field)] = &[
    (
        "id",
        Id(
            &[
                "vulnerability_components.cve",
                "vulnerability_components.name",
            ],
            id_vuln_component,
        ),
    ),
    ("name", Expr("vulnerability_components.name")),
];

const ROLES: [&str; 8] = [
    "abuse",
    "admin",
    "billing",
    "noc",
    "registrant",
    "registrar",
    "technical",
    "zone",
];

static WHOIS: &[(&str, Field)] = &[
    ("id", Id(&["whois.host"], id_whois)),
    ("rawWhoisText", Json("whois.snapshot", &["raw"])),
    ("whoisServer", Expr("whois.server")),
    ("registrationDateTime", Expr("whois.registered")),
    ("expirationDateTime", Expr("whois.expires")),
    ("lastUpdateDateTime", Expr("whois.updated")),
    ("firstSeenDateTime", Expr("whois.first_seen")),
    ("lastSeenDateTime", Expr("whois.last_seen")),
    (
        "nameservers",
        Nameservers(
            "whois.nameservers",
            &[],
            "whois.first_seen",
            "whois.last_seen",
        ),
    ),
    ("host", Expr("whois.host")),
    ("host/id", Expr("whois.host")),
];

static WHOIS_HISTORY: &[(&str, Field)] = &[
    (
        "id",
        Id(
            &["whois_history.host", "whois_history.content_hash"],
            id_two,
        ),
    ),
    ("rawWhoisText", Json("whois_history.snapshot", &["raw"])),
    ("whoisServer", Json("whois_history.snapshot", &["server"])),
    (
        "registrationDateTime",
        Json("whois_history.snapshot", &["registered"]),
    ),
    (
        "expirationDateTime",
        Json("whois_history.snapshot", &["expires"]),
    ),
    (
        "lastUpdateDateTime",
        Json("whois_history.snapshot", &["updated"]),
    ),
    ("firstSeenDateTime", Expr("whois_history.first_seen")),
    ("lastSeenDateTime", Expr("whois_history.last_seen")),
    (
        "nameservers",
        Nameservers(
            "whois_history.snapshot",
            &["nameservers"],
            "whois_history.first_seen",
            "whois_history.last_seen",
        ),
    ),
    ("host", Expr("whois_history.host")),
    ("host/id", Expr("whois_history.host")),
];

/// The mapping table of a scope.
pub fn table(scope: &Scope) -> &'static [(&'static str, Field)] {
    match scope {
        Scope::Articles | Scope::VulnerabilityArticles { .. } => ARTICLES,
        Scope::ArticleIndicators { .. } => ARTICLE_INDICATORS,
        Scope::IntelProfiles => PROFILES,
        Scope::ProfileIndicators { .. } => PROFILE_INDICATORS,
        Scope::Hosts | Scope::CertificateHosts { .. } => HOSTS,
        Scope::HostComponents { .. } => COMPONENTS,
        Scope::HostCookies { .. } => COOKIES,
        Scope::HostTrackers { .. } => TRACKERS,
        Scope::HostPorts { .. } => PORTS,
        Scope::HostSslCertificates { .. } => HOST_CERTS,
        Scope::HostPairs { .. } => PAIRS,
        Scope::PassiveDns { .. } => DNS,
        Scope::PassiveDnsReverse { .. } => DNS_REVERSE,
        Scope::Subdomains { .. } => SUBDOMAINS,
        Scope::SslCertificates => CERTS,
        Scope::Vulnerabilities => VULNS,
        Scope::VulnerabilityComponents { .. } => VULN_COMPONENTS,
        Scope::WhoisRecords => WHOIS,
        Scope::WhoisHistory { .. } => WHOIS_HISTORY,
    }
}

/// Which JSON document holds the WHOIS contacts of a scope, if any.
fn contacts(scope: &Scope) -> Option<(&'static str, &'static [&'static str])> {
    match scope {
        Scope::WhoisRecords => Some(("whois.contacts", &[])),
        Scope::WhoisHistory { .. } => Some(("whois_history.snapshot", &["contacts"])),
        _ => None,
    }
}

fn json_at(d: &dyn Dialect, doc: &str, base: &[&str], rest: &[&str]) -> Frag {
    let path: Vec<&str> = base.iter().chain(rest.iter()).copied().collect();
    d.json_value(&Frag::raw(doc), &path)
}

/// Resolves an entity-rooted property path of `scope` to SQL; `None` when the store cannot
/// evaluate that property on this collection.
pub fn resolve(d: &dyn Dialect, scope: &Scope, path: &str) -> Option<Mapped> {
    for (key, f) in table(scope) {
        let rest: Vec<&str> = if path == *key {
            Vec::new()
        } else if let Some(r) = path.strip_prefix(key).and_then(|r| r.strip_prefix('/')) {
            if !matches!(f, Json(..)) {
                continue;
            }
            r.split('/').collect()
        } else {
            continue;
        };
        return Some(match *f {
            Expr(sql) => Mapped::Scalar(Frag::raw(sql)),
            Json(doc, base) => Mapped::Scalar(json_at(d, doc, base, &rest)),
            Id(cols, dec) => Mapped::Id(cols, dec),
            Scalars(doc, base) => {
                Mapped::Collection(Collection::Scalars(json_at(d, doc, base, &[])))
            }
            Objects(doc, base) => {
                Mapped::Collection(Collection::Objects(json_at(d, doc, base, &[])))
            }
            Rows(src) => Mapped::Collection(Collection::Rows(src)),
            Nameservers(doc, base, first, last) => Mapped::Collection(Collection::Nameservers(
                json_at(d, doc, base, &[]),
                first,
                last,
            )),
        });
    }
    // WHOIS contacts: `<role>[/<field>…]`.
    let (doc, base) = contacts(scope)?;
    let segs: Vec<&str> = path.split('/').collect();
    if !ROLES.contains(&segs[0]) {
        return None;
    }
    Some(Mapped::Scalar(json_at(d, doc, base, &segs)))
}
