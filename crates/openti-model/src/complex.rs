//! Graph complex types (spec section 2.4), serialised with their exact wire names.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::enums::*;

/// Text plus its markup kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormattedContent {
    /// The text.
    pub content: String,
    /// Its markup.
    pub format: ContentFormat,
}

/// Origin country or region of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntelligenceProfileCountryOrRegionOfOrigin {
    /// ISO 3166 code.
    pub code: Option<String>,
    /// Display label.
    pub label: Option<String>,
}

/// One distinct banner seen on a port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostPortBanner {
    /// Banner text.
    pub banner: String,
    /// Scan protocol that produced it (e.g. `http_raw`, `ssh`).
    pub scan_protocol: Option<String>,
    /// How many scans saw it.
    pub times_observed: i32,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
}

/// A component detected on a port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostPortComponent {
    /// The component (inline).
    pub component: serde_json::Value,
    /// Seen at or after the latest banner / within 2 days of the latest scan.
    pub is_recent: bool,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
}

/// One reputation rule that contributed to a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostReputationRule {
    /// Rule name.
    pub name: String,
    /// What fired and why.
    pub description: String,
    /// Severity.
    pub severity: HostReputationRuleSeverity,
    /// Where the evidence can be seen.
    pub related_details_url: Option<String>,
}

/// A port on which a certificate was served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostSslCertificatePort {
    /// Port number.
    pub port: i32,
    /// First seen on this port.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen on this port.
    pub last_seen_date_time: Option<DateTime<Utc>>,
}

/// `microsoft.graph.physicalAddress` (v1.0 shape).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PhysicalAddress {
    /// City.
    pub city: Option<String>,
    /// Country or region.
    pub country_or_region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// State or province.
    pub state: Option<String>,
    /// Street.
    pub street: Option<String>,
}

impl PhysicalAddress {
    /// True when every field is empty.
    pub fn is_empty(&self) -> bool {
        self.city.is_none()
            && self.country_or_region.is_none()
            && self.postal_code.is_none()
            && self.state.is_none()
            && self.street.is_none()
    }
}

/// Issuer or subject of a certificate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SslCertificateEntity {
    /// Common name.
    pub common_name: Option<String>,
    /// Subject alternative names.
    pub alternate_names: Vec<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Surname.
    pub surname: Option<String>,
    /// Organisation.
    pub organization_name: Option<String>,
    /// Organisational unit.
    pub organization_unit_name: Option<String>,
    /// Serial number attribute.
    pub serial_number: Option<String>,
    /// Postal address.
    pub address: Option<PhysicalAddress>,
}

/// Autonomous system details of an IP.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutonomousSystem {
    /// AS name.
    pub name: Option<String>,
    /// AS number.
    pub number: Option<i32>,
    /// Owning organisation.
    pub organization: Option<String>,
    /// Display text (`AS64500 NAME`).
    pub value: Option<String>,
}

/// One CVSS evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssSummary {
    /// Base score.
    pub score: Option<f64>,
    /// Qualitative severity.
    pub severity: Option<VulnerabilitySeverity>,
    /// Vector string.
    pub vector_string: Option<String>,
}

/// A named link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hyperlink {
    /// Link text.
    pub name: Option<String>,
    /// Target URL.
    pub url: Option<String>,
}

/// A WHOIS contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WhoisContact {
    /// Person name.
    pub name: Option<String>,
    /// Organisation.
    pub organization: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Telephone (unformatted).
    pub telephone: Option<String>,
    /// Fax (unformatted).
    pub fax: Option<String>,
    /// Postal address.
    pub address: Option<PhysicalAddress>,
}

/// A name server of a WHOIS record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoisNameserver {
    /// The name server host (stub).
    pub host: crate::entities::HostRef,
    /// First seen.
    pub first_seen_date_time: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen_date_time: Option<DateTime<Utc>>,
}
