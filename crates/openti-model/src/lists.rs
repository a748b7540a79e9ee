//! Block- and allow-lists for the reputation engine: named lists of domains and CIDR ranges.
//!
//! Readers (`openti-ingest::lists`) turn files into [`ReputationList`]s; the store keeps them
//! and matches hosts against them when it gathers [`HostEvidence`](crate::evidence::HostEvidence).

use std::net::IpAddr;

use serde::Serialize;

/// What a list does to the hosts it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    /// A block-list: matching hosts are suspect (`blocklisted` rules).
    Block,
    /// An allow-list: matching hosts are well-known benign infrastructure (`allowlisted` rules).
    Allow,
}

impl ListKind {
    /// `block` or `allow` (stored text).
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Block => "block",
            ListKind::Allow => "allow",
        }
    }
}

/// One entry of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ListEntry {
    /// A domain: matches the name itself and every name below it.
    Domain(String),
    /// A name that matches only itself (MISP `string` warninglists).
    Exact(String),
    /// An address range (a single address is a /32 or /128).
    Cidr {
        /// Network address (host bits cleared).
        network: IpAddr,
        /// Prefix length.
        prefix: u8,
    },
}

impl ListEntry {
    /// A CIDR entry with host bits cleared; `None` if the prefix is too long.
    pub fn cidr(addr: IpAddr, prefix: u8) -> Option<ListEntry> {
        let network = match addr {
            IpAddr::V4(a) if prefix <= 32 => {
                let mask = if prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - prefix)
                };
                IpAddr::V4((u32::from(a) & mask).into())
            }
            IpAddr::V6(a) if prefix <= 128 => {
                let mask = if prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - prefix)
                };
                IpAddr::V6((u128::from(a) & mask).into())
            }
            _ => return None,
        };
        Some(ListEntry::Cidr { network, prefix })
    }

    /// The entry's text as stored and shown (`example.com`, `192.0.2.0/24`).
    pub fn text(&self) -> String {
        match self {
            ListEntry::Domain(d) | ListEntry::Exact(d) => d.clone(),
            ListEntry::Cidr { network, prefix } => format!("{network}/{prefix}"),
        }
    }

    /// The inclusive address range of a CIDR entry as comparable byte strings: one family
    /// byte (4 or 6) followed by the address bytes, so byte order is address order within a
    /// family and the families never overlap.
    pub fn range_bytes(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        let ListEntry::Cidr { network, prefix } = self else {
            return None;
        };
        Some(match network {
            IpAddr::V4(a) => {
                let lo = u32::from(*a);
                let host = if *prefix == 0 {
                    u32::MAX
                } else {
                    (1u32 << (32 - prefix)).wrapping_sub(1)
                };
                (key4(lo), key4(lo | host))
            }
            IpAddr::V6(a) => {
                let lo = u128::from(*a);
                let host = if *prefix == 0 {
                    u128::MAX
                } else {
                    (1u128 << (128 - prefix)).wrapping_sub(1)
                };
                (key6(lo), key6(lo | host))
            }
        })
    }
}

fn key4(v: u32) -> Vec<u8> {
    let mut k = vec![4u8];
    k.extend_from_slice(&v.to_be_bytes());
    k
}

fn key6(v: u128) -> Vec<u8> {
    let mut k = vec![6u8];
    k.extend_from_slice(&v.to_be_bytes());
    k
}

/// The comparable key of one address (see [`ListEntry::range_bytes`]).
pub fn ip_key(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => key4(u32::from(a)),
        IpAddr::V6(a) => key6(u128::from(a)),
    }
}

/// A named list with its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReputationList {
    /// List name (unique; importing a list again replaces it).
    pub name: String,
    /// Block or allow.
    pub kind: ListKind,
    /// Where it came from: `blocklist`, `user` or `warninglist`.
    pub source: String,
    /// Entries.
    pub entries: Vec<ListEntry>,
}

/// A stored list and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListSummary {
    /// Name.
    pub name: String,
    /// Block or allow.
    pub kind: ListKind,
    /// Source.
    pub source: String,
    /// Number of entries.
    pub entries: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_ranges_are_inclusive_and_ordered() {
        let e = ListEntry::cidr("192.0.2.77".parse().unwrap(), 24).unwrap();
        assert_eq!(e.text(), "192.0.2.0/24");
        let (lo, hi) = e.range_bytes().unwrap();
        let inside = ip_key("192.0.2.255".parse().unwrap());
        let outside = ip_key("192.0.3.0".parse().unwrap());
        assert!(lo <= inside && inside <= hi);
        assert!(outside > hi);
        let all = ListEntry::cidr("::".parse().unwrap(), 0).unwrap();
        let (lo6, hi6) = all.range_bytes().unwrap();
        assert!(lo6 > hi, "families never overlap");
        assert!(ip_key("2001:db8::1".parse().unwrap()) <= hi6);
        assert!(ListEntry::cidr("192.0.2.1".parse().unwrap(), 33).is_none());
    }
}
