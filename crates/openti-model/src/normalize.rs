//! Normalisation of names, addresses and times (DESIGN.md "normalize").
//!
//! Hostnames are lower-cased, IDNA-encoded (punycode) and lose their trailing dot; IP addresses
//! get their canonical text form; reverse-DNS names (`in-addr.arpa`, `ip6.arpa`) become IPs;
//! the registered domain comes from the Public Suffix List.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use thiserror::Error;

/// Why a host text was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// Empty after trimming.
    #[error("empty host name")]
    Empty,
    /// Not a valid hostname or IP address.
    #[error("invalid host name or IP address {0:?}")]
    Invalid(String),
}

/// A normalised host: either a hostname or an IP address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostName {
    /// A DNS name in lower-case ASCII (punycode), no trailing dot.
    Name(String),
    /// An IP address.
    Ip(IpAddr),
}

impl HostName {
    /// Parses and normalises host text (name or IP; reverse-DNS names become IPs).
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(NameError::Empty);
        }
        let unbracketed = t.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok(HostName::Ip(canonical_ip(ip)));
        }
        let name = normalize_hostname(t)?;
        if let Some(ip) = reverse_name_to_ip(&name) {
            return Ok(HostName::Ip(ip));
        }
        Ok(HostName::Name(name))
    }

    /// The id text (the name, or the canonical IP).
    pub fn as_id(&self) -> String {
        match self {
            HostName::Name(n) => n.clone(),
            HostName::Ip(ip) => ip.to_string(),
        }
    }

    /// True for an IP address.
    pub fn is_ip(&self) -> bool {
        matches!(self, HostName::Ip(_))
    }
}

/// True if the id text is an IP address (used to pick `hostname` vs `ipAddress`).
pub fn is_ip_text(id: &str) -> bool {
    id.parse::<IpAddr>().is_ok()
}

/// IPv4-mapped IPv6 addresses become IPv4; everything else is kept.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Lower-case, IDNA (UTS 46) to ASCII, trailing dot removed, label syntax checked.
pub fn normalize_hostname(text: &str) -> Result<String, NameError> {
    let t = text.trim().trim_end_matches('.');
    if t.is_empty() {
        return Err(NameError::Empty);
    }
    let ascii = idna::domain_to_ascii(t).map_err(|_| NameError::Invalid(text.to_string()))?;
    if ascii.is_empty() || ascii.len() > 253 {
        return Err(NameError::Invalid(text.to_string()));
    }
    for label in ascii.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*');
        if !ok {
            return Err(NameError::Invalid(text.to_string()));
        }
    }
    Ok(ascii)
}

/// `10.2.0.192.in-addr.arpa` → `192.0.2.10`; nibble `ip6.arpa` names → IPv6.
pub fn reverse_name_to_ip(name: &str) -> Option<IpAddr> {
    if let Some(rest) = name.strip_suffix(".in-addr.arpa") {
        let parts: Vec<&str> = rest.split('.').collect();
        if parts.len() != 4 {
            return None;
        }
        let mut octets = [0u8; 4];
        for (i, p) in parts.iter().rev().enumerate() {
            octets[i] = p.parse().ok()?;
        }
        return Some(IpAddr::V4(Ipv4Addr::from(octets)));
    }
    if let Some(rest) = name.strip_suffix(".ip6.arpa") {
        let nibbles: Vec<&str> = rest.split('.').collect();
        if nibbles.len() != 32 {
            return None;
        }
        let mut value: u128 = 0;
        for n in nibbles.iter().rev() {
            if n.len() != 1 {
                return None;
            }
            value = (value << 4) | u128::from_str_radix(n, 16).ok()?;
        }
        return Some(IpAddr::V6(Ipv6Addr::from(value)));
    }
    None
}

/// The registered domain (eTLD+1) of a hostname per the Public Suffix List, if it has one.
pub fn registered_domain(name: &str) -> Option<String> {
    let d = psl::domain(name.as_bytes())?;
    // psl treats unknown TLDs as public suffixes of one label; keep that behaviour so
    // reserved names such as `example.test` still group their subdomains.
    std::str::from_utf8(d.as_bytes()).ok().map(str::to_string)
}

/// If `name` is a strict subdomain of its registered domain, that domain.
pub fn parent_domain_of_subdomain(name: &str) -> Option<String> {
    let reg = registered_domain(name)?;
    (reg != name).then_some(reg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_are_normalised() {
        assert_eq!(
            HostName::parse("WWW.Example.COM.").unwrap().as_id(),
            "www.example.com"
        );
        assert_eq!(
            HostName::parse("bücher.example").unwrap().as_id(),
            "xn--bcher-kva.example"
        );
        assert!(HostName::parse("bad host!").is_err());
        assert!(HostName::parse("   ").is_err());
    }

    #[test]
    fn ips_are_canonical() {
        assert_eq!(
            HostName::parse("::ffff:192.0.2.1").unwrap().as_id(),
            "192.0.2.1"
        );
        assert_eq!(
            HostName::parse("2001:DB8:0::1").unwrap().as_id(),
            "2001:db8::1"
        );
        assert_eq!(
            HostName::parse("10.2.0.192.in-addr.arpa.").unwrap().as_id(),
            "192.0.2.10"
        );
        let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
        assert_eq!(HostName::parse(v6).unwrap().as_id(), "2001:db8::1");
    }

    #[test]
    fn registered_domains() {
        assert_eq!(
            registered_domain("a.b.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(
            parent_domain_of_subdomain("www.example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(parent_domain_of_subdomain("example.com"), None);
        assert_eq!(
            parent_domain_of_subdomain("mail.corp.test").as_deref(),
            Some("corp.test")
        );
    }
}
