//! The network-safety policy shared by every collector.
//!
//! By default a collector may only contact globally routable unicast addresses. Refused unless
//! allowed with `--allow-net CIDR` (or configuration): unspecified, loopback, private (RFC 1918,
//! IPv6 ULA), carrier-grade NAT, link-local, multicast, broadcast, documentation, benchmarking,
//! reserved and IPv4-mapped forms of those. Tests allow `127.0.0.0/8` / `::1/128` explicitly.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use thiserror::Error;

/// An IP network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

/// Errors of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// A CIDR could not be parsed.
    #[error("invalid CIDR {0:?}: expected ADDRESS/PREFIX such as 127.0.0.0/8 or ::1/128")]
    BadCidr(String),
    /// The target is refused.
    #[error("refusing to contact {addr} ({reason}); allow it explicitly with --allow-net CIDR")]
    Refused {
        /// The refused address.
        addr: IpAddr,
        /// Which special range it is in.
        reason: &'static str,
    },
}

impl Cidr {
    /// A network from an address and prefix length (host bits are cleared).
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, PolicyError> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(PolicyError::BadCidr(format!("{addr}/{prefix}")));
        }
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
        };
        Ok(Cidr { addr, prefix })
    }

    /// Whether `ip` lies in this network (IPv4-mapped IPv6 addresses match IPv4 networks).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, unmap(ip)) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                u32::from(a) & mask32(self.prefix) == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                u128::from(a) & mask128(self.prefix) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn mask32(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

fn mask128(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix))
    }
}

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

impl FromStr for Cidr {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PolicyError::BadCidr(s.to_string());
        let (a, p) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().map_err(|_| bad())?;
        let prefix = match p {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if addr.is_ipv4() => 32,
            None => 128,
        };
        Cidr::new(addr, prefix)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Special-purpose ranges refused by default, with the reason shown to the user.
const SPECIAL: &[(&str, &str)] = &[
    ("0.0.0.0/8", "unspecified/\"this network\""),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("255.255.255.255/32", "broadcast"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("100::/64", "discard-only"),
    ("2001:db8::/32", "documentation"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
];

/// Which targets collectors may contact.
#[derive(Debug, Clone, Default)]
pub struct NetPolicy {
    allowed: Vec<Cidr>,
}

impl NetPolicy {
    /// The default policy: only globally routable unicast addresses.
    pub fn new() -> Self {
        NetPolicy::default()
    }

    /// Adds explicitly allowed networks (e.g. from `--allow-net`).
    pub fn allow(mut self, nets: impl IntoIterator<Item = Cidr>) -> Self {
        self.allowed.extend(nets);
        self
    }

    /// A policy that allows exactly loopback beyond the default (for tests and local labs).
    pub fn with_loopback() -> Self {
        NetPolicy::new().allow(
            ["127.0.0.0/8", "::1/128"]
                .iter()
                .filter_map(|c| c.parse().ok()),
        )
    }

    /// Checks one resolved address. Call it after DNS resolution and on every redirect.
    pub fn check(&self, ip: IpAddr) -> Result<(), PolicyError> {
        let ip = unmap(ip);
        if self.allowed.iter().any(|c| c.contains(ip)) {
            return Ok(());
        }
        for (net, reason) in SPECIAL {
            if let Ok(c) = net.parse::<Cidr>() {
                if c.contains(ip) {
                    return Err(PolicyError::Refused { addr: ip, reason });
                }
            }
        }
        Ok(())
    }

    /// Checks every address a name resolved to; all must pass (a name that resolves to one
    /// public and one private address is refused, so DNS rebinding cannot slip through).
    pub fn check_all(&self, ips: &[IpAddr]) -> Result<(), PolicyError> {
        ips.iter().try_for_each(|ip| self.check(*ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn default_refuses_special_ranges() {
        let p = NetPolicy::new();
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "100.64.0.1",
        ] {
            assert!(p.check(ip(a)).is_err(), "{a} must be refused");
        }
        let e = p.check(ip("10.0.0.1")).unwrap_err().to_string();
        assert!(e.contains("private") && e.contains("--allow-net"), "{e}");
        for a in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(p.check(ip(a)).is_ok(), "{a} must be allowed");
        }
    }

    #[test]
    fn explicit_allow_wins() {
        let p = NetPolicy::with_loopback();
        assert!(p.check(ip("127.0.0.1")).is_ok());
        assert!(p.check(ip("127.5.6.7")).is_ok());
        assert!(p.check(ip("::1")).is_ok());
        assert!(p.check(ip("10.0.0.1")).is_err());
        assert!(p.check_all(&[ip("127.0.0.1"), ip("10.0.0.1")]).is_err());
    }

    #[test]
    fn cidr_parsing() {
        assert_eq!(
            "10.1.2.3/8".parse::<Cidr>().unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!("::1".parse::<Cidr>().unwrap().to_string(), "::1/128");
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nope/8".parse::<Cidr>().is_err());
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
    }
}
