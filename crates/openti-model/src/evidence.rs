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
    /// When the host was last seen serving it.
    pub last_served: Option<DateTime<Utc>>,
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
    /// Whether the host is an IP address.
    pub is_ip: bool,
    /// Registered domain of a hostname (Public Suffix List), if any.
    pub registered_domain: Option<String>,
    /// Block-list entries matching the host (see [`ListHit`]).
    pub blocklisted: Vec<ListHit>,
    /// Allow-list entries matching the host (MISP warninglists and user lists).
    pub allowlisted: Vec<ListHit>,
    /// Name servers of the host's registered domain (newest WHOIS and passive DNS `NS`).
    pub nameservers: Vec<String>,
    /// Autonomous systems: an IP's own, or those of the IPs a hostname resolved to.
    pub asns: Vec<i64>,
    /// A/AAAA resolutions with their observation windows (fast-flux detection).
    pub resolutions: Vec<Resolution>,
    /// Trackers seen on the host (JARM hashes included, `kind` tells them apart).
    pub trackers: Vec<TrackerEvidence>,
    /// Certificates (SHA-1 hex) the host served.
    pub certificate_sha1s: Vec<String>,
    /// Infrastructure shared with hosts that are malicious on their own evidence, one entry per
    /// shared value (filled by the store from the pivot index; see [`HostEvidence::pivot_keys`]).
    pub pivots: Vec<PivotEvidence>,
}

/// One matching entry of a block- or allow-list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListHit {
    /// List name (e.g. `tranco10k`, `user-blocklist`).
    pub list: String,
    /// `warninglist`, `user` or `blocklist`.
    pub source: String,
    /// The entry that matched (a domain or a CIDR).
    pub entry: String,
}

/// One A/AAAA answer of a host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    /// The address.
    pub ip: String,
    /// First seen.
    pub first_seen: Option<DateTime<Utc>>,
    /// Last seen.
    pub last_seen: Option<DateTime<Utc>>,
}

/// A tracker value on the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackerEvidence {
    /// Tracker kind (`GoogleAnalyticsID`, `JarmHash`, …).
    pub kind: String,
    /// Value.
    pub value: String,
}

/// The kinds of infrastructure pivots.
pub const PIVOT_KINDS: &[&str] = &[
    "ip",
    "nameserver",
    "registrar",
    "asn",
    "tracker",
    "jarm",
    "certificate",
];

/// A value this host shares with others, with how many of them are malicious.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PivotEvidence {
    /// One of [`PIVOT_KINDS`].
    pub kind: String,
    /// The shared value (IP, name server, registrar, ASN, `kind:value` tracker, JARM, SHA-1).
    pub value: String,
    /// Other hosts sharing the value (counted up to a limit).
    pub hosts: u64,
    /// Of those, hosts malicious on their own evidence.
    pub malicious: u64,
    /// Up to five malicious examples.
    pub examples: Vec<String>,
}

impl TrackerEvidence {
    /// Whether this is a JARM TLS fingerprint rather than a web tracker.
    pub fn is_jarm(&self) -> bool {
        self.kind.to_ascii_lowercase().contains("jarm")
    }
}

impl HostEvidence {
    /// The `(kind, value)` pairs under which this host is indexed for infrastructure pivots:
    /// the IPs it resolves to (an IP: itself), its name servers, registrar (lower-cased),
    /// ASNs, trackers (`kind:value`), JARM hashes and certificates. Sorted, deduplicated.
    pub fn pivot_keys(&self) -> Vec<(String, String)> {
        let mut keys: Vec<(String, String)> = Vec::new();
        if self.is_ip {
            keys.push(("ip".into(), self.host.clone()));
        }
        keys.extend(self.resolved_ips.iter().map(|ip| ("ip".into(), ip.clone())));
        keys.extend(
            self.nameservers
                .iter()
                .map(|n| ("nameserver".into(), n.clone())),
        );
        if let Some(r) = self.registrar.as_deref().map(str::trim) {
            if !r.is_empty() {
                keys.push(("registrar".into(), r.to_lowercase()));
            }
        }
        keys.extend(self.asns.iter().map(|a| ("asn".into(), a.to_string())));
        for t in &self.trackers {
            if t.is_jarm() {
                keys.push(("jarm".into(), t.value.clone()));
            } else {
                keys.push(("tracker".into(), format!("{}:{}", t.kind, t.value)));
            }
        }
        keys.extend(
            self.certificate_sha1s
                .iter()
                .map(|c| ("certificate".into(), c.clone())),
        );
        keys.sort();
        keys.dedup();
        keys
    }
}
