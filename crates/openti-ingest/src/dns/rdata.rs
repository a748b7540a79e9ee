//! Record data of the passive-DNS types: decoding from the wire and presentation text.
//!
//! Presentation follows zone-file conventions (names with a trailing dot, TXT strings quoted),
//! except that [`RData::value`] gives the value OpenTI stores (target names only for MX/SRV,
//! names without the trailing dot).

use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine;

use super::wire::{rtype, Cursor, WireError};

/// Decoded record data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    /// A.
    A(Ipv4Addr),
    /// AAAA.
    Aaaa(Ipv6Addr),
    /// NS, CNAME, PTR, DNAME: one name.
    Name(String),
    /// MX.
    Mx {
        /// Preference.
        preference: u16,
        /// Exchange.
        exchange: String,
    },
    /// TXT: one or more character strings.
    Txt(Vec<Vec<u8>>),
    /// SOA.
    Soa {
        /// Primary name server.
        mname: String,
        /// Responsible mailbox.
        rname: String,
        /// Serial.
        serial: u32,
        /// Refresh.
        refresh: u32,
        /// Retry.
        retry: u32,
        /// Expire.
        expire: u32,
        /// Negative-caching TTL.
        minimum: u32,
    },
    /// SRV.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target.
        target: String,
    },
    /// CAA.
    Caa {
        /// Flags.
        flags: u8,
        /// Property tag (`issue`, `issuewild`, `iodef`, …).
        tag: String,
        /// Property value.
        value: Vec<u8>,
    },
    /// SVCB and HTTPS.
    Svcb {
        /// SvcPriority (0 = alias mode).
        priority: u16,
        /// TargetName.
        target: String,
        /// SvcParams as (key, value) in wire order.
        params: Vec<(u16, Vec<u8>)>,
    },
    /// Any other type: raw octets.
    Other(Vec<u8>),
}

/// Decodes the record data of type `rt` at `start..end` of the message `buf`.
pub fn parse_rdata(buf: &[u8], rt: u16, start: usize, end: usize) -> Result<RData, WireError> {
    let bad = || WireError::BadRdata {
        rtype: rt,
        offset: start,
    };
    // Names in record data may point anywhere earlier in the message, but must end inside it.
    let mut c = Cursor::new(buf, start);
    let data = match rt {
        rtype::A if end - start == 4 => RData::A(c.ipv4()?),
        rtype::AAAA if end - start == 16 => RData::Aaaa(c.ipv6()?),
        rtype::A | rtype::AAAA => return Err(bad()),
        rtype::NS | rtype::CNAME | rtype::PTR | rtype::DNAME => RData::Name(c.name()?),
        rtype::MX => RData::Mx {
            preference: c.u16()?,
            exchange: c.name()?,
        },
        rtype::TXT => {
            let mut strings = Vec::new();
            while c.pos() < end {
                let n = usize::from(c.u8()?);
                strings.push(c.bytes(n)?.to_vec());
            }
            if strings.is_empty() {
                return Err(bad());
            }
            RData::Txt(strings)
        }
        rtype::SOA => RData::Soa {
            mname: c.name()?,
            rname: c.name()?,
            serial: c.u32()?,
            refresh: c.u32()?,
            retry: c.u32()?,
            expire: c.u32()?,
            minimum: c.u32()?,
        },
        rtype::SRV => RData::Srv {
            priority: c.u16()?,
            weight: c.u16()?,
            port: c.u16()?,
            target: c.name()?,
        },
        rtype::CAA => {
            let flags = c.u8()?;
            let tag_len = usize::from(c.u8()?);
            if tag_len == 0 || c.pos() + tag_len > end {
                return Err(bad());
            }
            let tag = c.bytes(tag_len)?;
            if !tag.iter().all(u8::is_ascii_alphanumeric) {
                return Err(bad());
            }
            let tag = String::from_utf8_lossy(tag).to_ascii_lowercase();
            let value = c.bytes(end - c.pos())?.to_vec();
            RData::Caa { flags, tag, value }
        }
        rtype::SVCB | rtype::HTTPS => {
            let priority = c.u16()?;
            let target = c.name()?;
            let mut params = Vec::new();
            while c.pos() < end {
                let key = c.u16()?;
                let n = usize::from(c.u16()?);
                if c.pos() + n > end {
                    return Err(bad());
                }
                params.push((key, c.bytes(n)?.to_vec()));
            }
            RData::Svcb {
                priority,
                target,
                params,
            }
        }
        _ => RData::Other(c.bytes(end - start)?.to_vec()),
    };
    if c.pos() != end {
        return Err(bad());
    }
    Ok(data)
}

fn fqdn(out: &mut String, name: &str) {
    out.push_str(name);
    if name != "." {
        out.push('.');
    }
}

/// Appends a quoted character string (`"…"` with `"` and `\` escaped, other non-printable
/// octets as `\DDD`).
fn quoted(out: &mut String, s: &[u8]) {
    out.push('"');
    for &c in s {
        match c {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7E => out.push(c as char),
            _ => {
                let _ = write!(out, "\\{c:03}");
            }
        }
    }
    out.push('"');
}

impl RData {
    /// Zone-file presentation of the record data.
    pub fn presentation(&self) -> String {
        let mut s = String::new();
        match self {
            RData::A(ip) => {
                let _ = write!(s, "{ip}");
            }
            RData::Aaaa(ip) => {
                let _ = write!(s, "{ip}");
            }
            RData::Name(n) => fqdn(&mut s, n),
            RData::Mx {
                preference,
                exchange,
            } => {
                let _ = write!(s, "{preference} ");
                fqdn(&mut s, exchange);
            }
            RData::Txt(strings) => {
                for (i, t) in strings.iter().enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    quoted(&mut s, t);
                }
            }
            RData::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => {
                fqdn(&mut s, mname);
                s.push(' ');
                fqdn(&mut s, rname);
                let _ = write!(s, " {serial} {refresh} {retry} {expire} {minimum}");
            }
            RData::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                let _ = write!(s, "{priority} {weight} {port} ");
                fqdn(&mut s, target);
            }
            RData::Caa { flags, tag, value } => {
                let _ = write!(s, "{flags} {tag} ");
                quoted(&mut s, value);
            }
            RData::Svcb {
                priority,
                target,
                params,
            } => {
                let _ = write!(s, "{priority} ");
                fqdn(&mut s, target);
                for (key, value) in params {
                    s.push(' ');
                    svc_param(&mut s, *key, value);
                }
            }
            RData::Other(bytes) => {
                // RFC 3597 generic form.
                let _ = write!(s, "\\# {} {}", bytes.len(), hex::encode(bytes));
            }
        }
        s
    }

    /// The value OpenTI stores for this record: the IP for A/AAAA, the target name (no trailing
    /// dot) for NS/CNAME/PTR/DNAME/MX/SRV, the presentation text otherwise.
    pub fn value(&self) -> String {
        match self {
            RData::A(ip) => ipv4_text(*ip),
            RData::Aaaa(ip) => ip.to_string(),
            RData::Name(n) => n.clone(),
            RData::Mx { exchange, .. } => exchange.clone(),
            RData::Srv { target, .. } => target.clone(),
            other => other.presentation(),
        }
    }
}

/// Dotted-quad text of an IPv4 address (as `Ipv4Addr`'s `Display`, without the formatter:
/// A records are most of passive DNS).
pub fn ipv4_text(ip: std::net::Ipv4Addr) -> String {
    let mut s = String::with_capacity(15);
    push_ipv4(&mut s, ip.octets());
    s
}

/// Appends the dotted-quad text of an IPv4 address.
pub fn push_ipv4(s: &mut String, octets: [u8; 4]) {
    for (i, o) in octets.into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        if o >= 100 {
            s.push(char::from(b'0' + o / 100));
        }
        if o >= 10 {
            s.push(char::from(b'0' + (o / 10) % 10));
        }
        s.push(char::from(b'0' + o % 10));
    }
}

/// Appends one SvcParam in presentation form (RFC 9460 §7).
fn svc_param(s: &mut String, key: u16, value: &[u8]) {
    const NAMES: [&str; 7] = [
        "mandatory",
        "alpn",
        "no-default-alpn",
        "port",
        "ipv4hint",
        "ech",
        "ipv6hint",
    ];
    match NAMES.get(usize::from(key)) {
        Some(n) => s.push_str(n),
        None => {
            let _ = write!(s, "key{key}");
        }
    }
    let generic = |s: &mut String| {
        s.push('=');
        quoted(s, value);
    };
    match key {
        0 if value.len().is_multiple_of(2) => {
            s.push('=');
            for (i, k) in value.chunks_exact(2).enumerate() {
                if i > 0 {
                    s.push(',');
                }
                let k = u16::from_be_bytes([k[0], k[1]]);
                match NAMES.get(usize::from(k)) {
                    Some(n) => s.push_str(n),
                    None => {
                        let _ = write!(s, "key{k}");
                    }
                }
            }
        }
        1 => {
            // length-prefixed protocol ids
            let mut ids = Vec::new();
            let mut rest = value;
            while let Some((&n, tail)) = rest.split_first() {
                let n = usize::from(n);
                if tail.len() < n {
                    return generic(s);
                }
                ids.push(&tail[..n]);
                rest = &tail[n..];
            }
            s.push('=');
            let joined: Vec<u8> = ids.join(&b","[..]);
            quoted(s, &joined);
        }
        2 if value.is_empty() => {}
        3 if value.len() == 2 => {
            let _ = write!(s, "={}", u16::from_be_bytes([value[0], value[1]]));
        }
        4 if !value.is_empty() && value.len().is_multiple_of(4) => {
            s.push('=');
            for (i, a) in value.chunks_exact(4).enumerate() {
                if i > 0 {
                    s.push(',');
                }
                let _ = write!(s, "{}", Ipv4Addr::new(a[0], a[1], a[2], a[3]));
            }
        }
        5 => {
            s.push('=');
            s.push_str(&base64::engine::general_purpose::STANDARD.encode(value));
        }
        6 if !value.is_empty() && value.len().is_multiple_of(16) => {
            s.push('=');
            for (i, a) in value.chunks_exact(16).enumerate() {
                if i > 0 {
                    s.push(',');
                }
                let mut b = [0u8; 16];
                b.copy_from_slice(a);
                let _ = write!(s, "{}", Ipv6Addr::from(b));
            }
        }
        _ => generic(s),
    }
}
