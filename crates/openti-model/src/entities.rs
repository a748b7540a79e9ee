//! Graph entity types (spec section 2.3) as the store returns them and the API renders them.
//!
//! Each entity serialises with its exact Graph property names. The `@odata.type` annotation is
//! added by [`GraphEntity::to_json`], so polymorphic types (host → hostname / ipAddress,
//! whoisRecord / whoisHistoryRecord) carry their concrete type.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::complex::*;
use crate::enums::*;
use crate::normalize::is_ip_text;

/// Namespace prefix of every `@odata.type` value.
pub const NS: &str = "#microsoft.graph.security.";

/// A serialisable Graph entity with a known `@odata.type`.
pub trait GraphEntity: Serialize {
    /// The concrete `@odata.type` (e.g. `#microsoft.graph.security.hostname`).
    fn odata_type(&self) -> String;

    /// The entity id.
    fn entity_id(&self) -> &str;

    /// JSON text of the object with `@odata.type` first, then the properties: the same
    /// document as [`GraphEntity::to_json`], serialised straight from the struct.
    fn to_json_text(&self) -> String {
        let body = serde_json::to_string(self).unwrap_or_else(|_| "{}".into());
        let t = self.odata_type();
        let mut out = String::with_capacity(body.len() + t.len() + 18);
        out.push_str("{\"@odata.type\":");
        out.push_str(&serde_json::to_string(&t).unwrap_or_default());
        match body.strip_prefix('{') {
            Some("}") | None => out.push('}'),
            Some(rest) => {
                out.push(',');
                out.push_str(rest);
            }
        }
        out
    }

    /// JSON object with `@odata.type` first, then the properties ([`GraphEntity::to_json_text`]
    /// as a tree).
    fn to_json(&self) -> Value {
        serde_json::from_str(&self.to_json_text()).unwrap_or(Value::Null)
    }
}

macro_rules! entity {
    ($ty:ident, $name:literal) => {
        impl GraphEntity for $ty {
            fn odata_type(&self) -> String {
                format!("{NS}{}", $name)
            }
            fn entity_id(&self) -> &str {
                &self.id
            }
        }
    };
}

/// `@odata.type` of a host id: `hostname` or `ipAddress`.
pub fn host_odata_type(id: &str) -> String {
    host_odata_type_str(id).to_string()
}

fn host_odata_type_str(id: &str) -> &'static str {
    if is_ip_text(id) {
        "#microsoft.graph.security.ipAddress"
    } else {
        "#microsoft.graph.security.hostname"
    }
}

/// Inline reference to a host (`{"@odata.type": …, "id": …}`), as Graph returns navigations.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HostRef {
    /// The hostname or IP.
    pub id: String,
}

impl HostRef {
    /// A stub for a host id.
    pub fn new(id: impl Into<String>) -> Self {
        HostRef { id: id.into() }
    }
}

impl Serialize for HostRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_host_ref(&self.id, s)
    }
}

/// `{"@odata.type": hostname|ipAddress, "id": id}`.
fn serialize_host_ref<S: serde::Serializer>(id: &str, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(2))?;
    m.serialize_entry("@odata.type", host_odata_type_str(id))?;
    m.serialize_entry("id", id)?;
    m.end()
}

/// An artifact as it appears inline in indicators and passive DNS records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactRef {
    /// A hostname or IP address.
    Host(String),
    /// Anything else (URL, file hash, e-mail, TXT data, …).
    Unclassified {
        /// Kind of value (`url`, `sha256`, `email`, `TXT`, …).
        kind: String,
        /// The value.
        value: String,
    },
}

impl ArtifactRef {
    /// The artifact id (host id, or base64 of `kind$$value`).
    pub fn id(&self) -> String {
        match self {
            ArtifactRef::Host(h) => h.clone(),
            ArtifactRef::Unclassified { kind, value } => {
                crate::ids::unclassified_artifact(kind, value)
            }
        }
    }
}

impl Serialize for ArtifactRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            ArtifactRef::Host(h) => serialize_host_ref(h, s),
            ArtifactRef::Unclassified { kind, value } => {
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry(
                    "@odata.type",
                    "#microsoft.graph.security.unclassifiedArtifact",
                )?;
                m.serialize_entry("id", &self.id())?;
                m.serialize_entry("kind", kind)?;
                m.serialize_entry("value", value)?;
                m.end()
            }
        }
    }
}

/// A news-style article.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Article {
    /// Id.
    pub id: String,
    /// Creation time.
    pub created_date_time: Option<DateTime<Utc>>,
    /// Last edit.
    pub last_updated_date_time: Option<DateTime<Utc>>,
    /// Headline.
    pub title: Option<String>,
    /// Abstract.
    pub summary: Option<FormattedContent>,
    /// Featured flag.
    pub is_featured: bool,
    /// Full text.
    pub body: Option<FormattedContent>,
    /// Keywords.
    pub tags: Vec<String>,
    /// Header image.
    pub image_url: Option<String>,
}
entity!(Article, "article");

/// An indicator quoted by an article.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleIndicator {
    /// Id.
    pub id: String,
    /// Source.
    pub source: IndicatorSource,
    /// The observable.
    pub artifact: ArtifactRef,
}
entity!(ArticleIndicator, "articleIndicator");

/// An actor or tool profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntelligenceProfile {
    /// Id.
    pub id: String,
    /// Actor or tool.
    pub kind: IntelligenceProfileKind,
    /// Display name.
    pub title: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// Targeted sectors / organisations.
    pub targets: Vec<String>,
    /// Origins.
    pub countries_or_regions_of_origin: Vec<IntelligenceProfileCountryOrRegionOfOrigin>,
    /// First active.
    pub first_active_date_time: Option<DateTime<Utc>>,
    /// Synopsis.
    pub summary: Option<FormattedContent>,
    /// Long text.
    pub description: Option<FormattedContent>,
    /// TTPs.
    pub tradecraft: Option<FormattedContent>,
}
entity!(IntelligenceProfile, "intelligenceProfile");

/// A network indicator tied to a profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntelligenceProfileIndicator {
    /// Id.
    pub id: String,
    /// Source.
    pub source: IndicatorSource,
    /// First seen active.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen active.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// The observable.
    pub artifact: ArtifactRef,
}
entity!(IntelligenceProfileIndicator, "intelligenceProfileIndicator");

/// Host-kind specific properties.
#[derive(Debug, Clone, PartialEq)]
pub enum HostDetails {
    /// A hostname with its WHOIS-derived registrar and registrant.
    Hostname {
        /// Registrant (from the newest WHOIS).
        registrant: Option<String>,
        /// Registrar (from the newest WHOIS).
        registrar: Option<String>,
    },
    /// An IP address with its enrichment.
    IpAddress {
        /// ASN details.
        autonomous_system: Option<AutonomousSystem>,
        /// Country or region code.
        country_or_region: Option<String>,
        /// Hosting provider.
        hosting_provider: Option<String>,
        /// Containing netblock.
        netblock: Option<String>,
    },
}

/// A host (hostname or IP address).
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    /// The name or IP.
    pub id: String,
    /// First observation over all facts.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Latest observation over all facts.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// Concrete-type properties.
    pub details: HostDetails,
}

impl Serialize for Host {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("firstSeenDateTime", &self.first_seen_date_time)?;
        m.serialize_entry("lastSeenDateTime", &self.last_seen_date_time)?;
        match &self.details {
            HostDetails::Hostname {
                registrant,
                registrar,
            } => {
                m.serialize_entry("registrant", registrant)?;
                m.serialize_entry("registrar", registrar)?;
            }
            HostDetails::IpAddress {
                autonomous_system,
                country_or_region,
                hosting_provider,
                netblock,
            } => {
                m.serialize_entry("autonomousSystem", autonomous_system)?;
                m.serialize_entry("countryOrRegion", country_or_region)?;
                m.serialize_entry("hostingProvider", hosting_provider)?;
                m.serialize_entry("netblock", netblock)?;
            }
        }
        m.end()
    }
}

impl GraphEntity for Host {
    fn odata_type(&self) -> String {
        match self.details {
            HostDetails::Hostname { .. } => format!("{NS}hostname"),
            HostDetails::IpAddress { .. } => format!("{NS}ipAddress"),
        }
    }
    fn entity_id(&self) -> &str {
        &self.id
    }
}

/// A web component seen on a host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostComponent {
    /// Id.
    pub id: String,
    /// Product name.
    pub name: String,
    /// Version text (may be empty).
    pub version: String,
    /// Category.
    pub category: String,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// Host.
    pub host: HostRef,
}
entity!(HostComponent, "hostComponent");

/// A cookie seen on a host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostCookie {
    /// Id.
    pub id: String,
    /// Cookie name.
    pub name: String,
    /// Cookie domain.
    pub domain: String,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// Host.
    pub host: HostRef,
}
entity!(HostCookie, "hostCookie");

/// A tracking code seen on a host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostTracker {
    /// Id.
    pub id: String,
    /// Tracker family.
    pub kind: String,
    /// Tracking code.
    pub value: String,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// Host.
    pub host: HostRef,
}
entity!(HostTracker, "hostTracker");

/// A link between two hosts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostPair {
    /// Id.
    pub id: String,
    /// Why they are linked.
    pub link_kind: String,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// Parent host.
    pub parent_host: HostRef,
    /// Child host.
    pub child_host: HostRef,
}
entity!(HostPair, "hostPair");

/// Inline reference to a certificate (`{"id": …}`), used for `mostRecentSslCertificate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SslCertificateRef {
    /// Certificate id.
    pub id: String,
}

/// A scanned port.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostPort {
    /// Id.
    pub id: String,
    /// Port number.
    pub port: i32,
    /// Protocol.
    pub protocol: HostPortProtocol,
    /// Latest status.
    pub status: HostPortStatus,
    /// Scans that saw it.
    pub times_observed: i32,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// Last scan.
    pub last_scan_date_time: Option<DateTime<Utc>>,
    /// Distinct banners.
    pub banners: Vec<HostPortBanner>,
    /// Components on the port.
    pub services: Vec<HostPortComponent>,
    /// Host.
    pub host: HostRef,
    /// Latest certificate (stub unless expanded).
    pub most_recent_ssl_certificate: Option<SslCertificateRef>,
}
entity!(HostPort, "hostPort");

/// A certificate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SslCertificate {
    /// Id (base64 of the SHA-1 hex).
    pub id: String,
    /// Fingerprint (colon-separated hex).
    pub fingerprint: Option<String>,
    /// SHA-1 hex.
    pub sha1: String,
    /// Serial number.
    pub serial_number: Option<String>,
    /// notBefore.
    pub issue_date_time: Option<DateTime<Utc>>,
    /// notAfter.
    pub expiration_date_time: Option<DateTime<Utc>>,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// Issuer.
    pub issuer: SslCertificateEntity,
    /// Subject.
    pub subject: SslCertificateEntity,
}
entity!(SslCertificate, "sslCertificate");

/// A certificate seen on a host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostSslCertificate {
    /// Id.
    pub id: String,
    /// First seen on the host.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen on the host.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// Ports it was served on.
    pub ports: Vec<HostSslCertificatePort>,
    /// Host.
    pub host: HostRef,
    /// The certificate (inline, as Graph returns it).
    pub ssl_certificate: SslCertificate,
}
entity!(HostSslCertificate, "hostSslCertificate");

/// A passive DNS record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassiveDnsRecord {
    /// Id.
    pub id: String,
    /// RR type.
    pub record_type: String,
    /// When collected (latest write).
    pub collected_date_time: Option<DateTime<Utc>>,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// The searched host.
    pub parent_host: HostRef,
    /// The resolved value.
    pub artifact: ArtifactRef,
}
entity!(PassiveDnsRecord, "passiveDnsRecord");

/// A subdomain of a registered domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subdomain {
    /// Id.
    pub id: String,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// The subdomain host.
    pub host: HostRef,
}
entity!(Subdomain, "subdomain");

/// A vulnerability (CVE).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vulnerability {
    /// The CVE id.
    pub id: String,
    /// Overall severity.
    pub severity: VulnerabilitySeverity,
    /// Priority 0–100.
    pub priority_score: Option<i32>,
    /// CVSS v2.
    pub cvss2_summary: Option<CvssSummary>,
    /// CVSS v3.
    pub cvss3_summary: Option<CvssSummary>,
    /// CWE ids.
    pub common_weakness_enumeration_ids: Vec<String>,
    /// Description.
    pub description: Option<FormattedContent>,
    /// Remediation.
    pub remediation: Option<FormattedContent>,
    /// Exploit links.
    pub exploits: Vec<Hyperlink>,
    /// Further reading.
    pub references: Vec<Hyperlink>,
    /// Public exploit exists.
    pub exploits_available: bool,
    /// Exploitation observed.
    pub active_exploits_observed: bool,
    /// Chatter detected.
    pub has_chatter: bool,
    /// Created.
    pub created_date_time: Option<DateTime<Utc>>,
    /// Last modified.
    pub last_modified_date_time: Option<DateTime<Utc>>,
    /// Published.
    pub published_date_time: Option<DateTime<Utc>>,
}
entity!(Vulnerability, "vulnerability");

/// An affected product.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VulnerabilityComponent {
    /// Id.
    pub id: String,
    /// Product/version.
    pub name: String,
}
entity!(VulnerabilityComponent, "vulnerabilityComponent");

/// Current or historical WHOIS record (`whoisRecord` / `whoisHistoryRecord`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoisRecord {
    /// Id.
    pub id: String,
    /// `true` for a `whoisHistoryRecord`.
    #[serde(skip)]
    pub is_history: bool,
    /// Expiry.
    pub expiration_date_time: Option<DateTime<Utc>>,
    /// Registration.
    pub registration_date_time: Option<DateTime<Utc>>,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
    /// Last update.
    pub last_update_date_time: Option<DateTime<Utc>>,
    /// Status flags, comma-joined.
    pub domain_status: Option<String>,
    /// Raw text.
    pub raw_whois_text: Option<String>,
    /// Server queried.
    pub whois_server: Option<String>,
    /// Abuse contact.
    pub abuse: Option<WhoisContact>,
    /// Admin contact.
    pub admin: Option<WhoisContact>,
    /// Billing contact.
    pub billing: Option<WhoisContact>,
    /// NOC contact.
    pub noc: Option<WhoisContact>,
    /// Registrant.
    pub registrant: Option<WhoisContact>,
    /// Registrar.
    pub registrar: Option<WhoisContact>,
    /// Technical contact.
    pub technical: Option<WhoisContact>,
    /// Zone contact.
    pub zone: Option<WhoisContact>,
    /// Name servers.
    pub nameservers: Vec<WhoisNameserver>,
    /// The domain.
    pub host: HostRef,
}

impl GraphEntity for WhoisRecord {
    fn odata_type(&self) -> String {
        if self.is_history {
            format!("{NS}whoisHistoryRecord")
        } else {
            format!("{NS}whoisRecord")
        }
    }
    fn entity_id(&self) -> &str {
        &self.id
    }
}

/// A computed host reputation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostReputation {
    /// Id.
    pub id: String,
    /// Verdict band.
    pub classification: HostReputationClassification,
    /// Score 0–100.
    pub score: i32,
    /// Contributing rules.
    pub rules: Vec<HostReputationRule>,
}
entity!(HostReputation, "hostReputation");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_is_polymorphic() {
        let h = Host {
            id: "192.0.2.1".into(),
            first_seen_date_time: None,
            last_seen_date_time: None,
            details: HostDetails::IpAddress {
                autonomous_system: None,
                country_or_region: Some("US".into()),
                hosting_provider: None,
                netblock: None,
            },
        };
        let v = h.to_json();
        assert_eq!(v["@odata.type"], "#microsoft.graph.security.ipAddress");
        assert_eq!(v["countryOrRegion"], "US");
        assert!(v.get("registrar").is_none());
        assert_eq!(
            serde_json::to_value(HostRef::new("a.example")).unwrap()["@odata.type"],
            "#microsoft.graph.security.hostname"
        );
    }

    #[test]
    fn whois_history_type() {
        let mut w = WhoisRecord {
            id: "x".into(),
            is_history: true,
            expiration_date_time: None,
            registration_date_time: None,
            first_seen_date_time: None,
            last_seen_date_time: None,
            last_update_date_time: None,
            domain_status: None,
            raw_whois_text: None,
            whois_server: None,
            abuse: None,
            admin: None,
            billing: None,
            noc: None,
            registrant: None,
            registrar: None,
            technical: None,
            zone: None,
            nameservers: vec![],
            host: HostRef::new("example.com"),
        };
        assert_eq!(
            w.to_json()["@odata.type"],
            "#microsoft.graph.security.whoisHistoryRecord"
        );
        w.is_history = false;
        let v = w.to_json();
        assert_eq!(v["@odata.type"], "#microsoft.graph.security.whoisRecord");
        assert!(v.get("isHistory").is_none());
        assert!(v["billing"].is_null());
    }

    #[test]
    fn unclassified_artifact_shape() {
        let a = ArtifactRef::Unclassified {
            kind: "url".into(),
            value: "http://x.test/a".into(),
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(
            v["@odata.type"],
            "#microsoft.graph.security.unclassifiedArtifact"
        );
        assert_eq!(v["kind"], "url");
    }
}
