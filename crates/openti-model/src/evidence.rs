//! Facts about one host gathered from the store for the reputation engine.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// An intel profile or article that lists the host as an indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntelListing {
    /// `intelProfile` or `article`.
    pub source_kind: String,
    /// Profile or article id.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// A certificate the host served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertEvidence {
    /// Certificate id.
    pub id: String,
    /// notBefore.
    pub issued: Option<DateTime<Utc>>,
    /// notAfter.
    pub expires: Option<DateTime<Utc>>,
    /// Issuer equals subject.
    pub self_signed: bool,
}

/// Everything the reputation rules read about one host.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostEvidence {
    /// Host id.
    pub host: String,
    /// First seen over all facts.
    pub first_seen: Option<DateTime<Utc>>,
    /// Last seen over all facts.
    pub last_seen: Option<DateTime<Utc>>,
    /// Profiles and articles listing the host (or, for a hostname, its registered domain).
    pub listed_in: Vec<IntelListing>,
    /// WHOIS registration date of the host's registered domain.
    pub registered: Option<DateTime<Utc>>,
    /// Registrar of the newest WHOIS.
    pub registrar: Option<String>,
    /// Certificates served.
    pub certificates: Vec<CertEvidence>,
    /// Distinct IPs the host resolved to (A/AAAA).
    pub resolved_ips: Vec<String>,
    /// Open TCP/UDP ports.
    pub open_ports: Vec<i32>,
    /// Hosts that are listed as indicators and share a resolving IP with this host.
    pub listed_neighbours: Vec<String>,
}
