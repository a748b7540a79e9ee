//! Packet layers: link (Ethernet with VLAN tags, Linux cooked SLL and SLL2, BSD loopback, raw
//! IP), network (IPv4, IPv6 with extension headers) and transport (UDP, TCP). Bounds-checked;
//! a packet shorter than its headers say is [`LayerError::Truncated`]. IP fragments come out as
//! [`Segment::Fragment`] for [`super::defrag`]; a reassembled datagram is decoded by
//! [`reassembled`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::defrag::{Datagram, FragKey, Fragment};

/// LINKTYPE_NULL (BSD loopback, host byte order family).
pub const LINKTYPE_NULL: u32 = 0;
/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// LINKTYPE_RAW.
pub const LINKTYPE_RAW: u32 = 101;
/// LINKTYPE_LOOP (OpenBSD loopback, network byte order family).
pub const LINKTYPE_LOOP: u32 = 108;
/// LINKTYPE_LINUX_SLL.
pub const LINKTYPE_LINUX_SLL: u32 = 113;
/// LINKTYPE_IPV4.
pub const LINKTYPE_IPV4: u32 = 228;
/// LINKTYPE_IPV6.
pub const LINKTYPE_IPV6: u32 = 229;
/// LINKTYPE_LINUX_SLL2.
pub const LINKTYPE_LINUX_SLL2: u32 = 276;

/// Why a packet carries nothing for us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// A link type this reader does not decode.
    UnsupportedLink,
    /// Not IPv4/IPv6 (ARP, LLDP, …).
    NotIp,
    /// Neither UDP nor TCP.
    OtherProtocol,
}

/// A packet too short for its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LayerError {
    /// The named header or payload is cut short.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// A header field is impossible (IP version, header length).
    #[error("malformed {0}")]
    Malformed(&'static str),
}

/// The transport segment of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    /// UDP datagram.
    Udp {
        /// Source address and port.
        src: (IpAddr, u16),
        /// Destination address and port.
        dst: (IpAddr, u16),
        /// Payload.
        payload: &'a [u8],
    },
    /// TCP segment.
    Tcp {
        /// Source address and port.
        src: (IpAddr, u16),
        /// Destination address and port.
        dst: (IpAddr, u16),
        /// Sequence number.
        seq: u32,
        /// Flags octet (FIN 0x01, SYN 0x02, RST 0x04, …).
        flags: u8,
        /// Payload.
        payload: &'a [u8],
    },
    /// An IP fragment, to be reassembled.
    Fragment(Fragment<'a>),
    /// Nothing to decode.
    Skip(Skip),
}

fn get<'a>(
    d: &'a [u8],
    r: std::ops::Range<usize>,
    what: &'static str,
) -> Result<&'a [u8], LayerError> {
    d.get(r).ok_or(LayerError::Truncated(what))
}

fn be16(d: &[u8], p: usize, what: &'static str) -> Result<u16, LayerError> {
    let b = get(d, p..p + 2, what)?;
    Ok(u16::from_be_bytes([b[0], b[1]]))
}

/// Decodes a packet of the given link type down to its transport segment.
pub fn decode(linktype: u32, data: &[u8]) -> Result<Segment<'_>, LayerError> {
    let (ethertype, rest) = match linktype {
        LINKTYPE_ETHERNET => {
            let mut et = be16(data, 12, "ethernet header")?;
            let mut p = 14;
            // 802.1Q / 802.1ad tags
            while et == 0x8100 || et == 0x88A8 || et == 0x9100 {
                et = be16(data, p + 2, "VLAN tag")?;
                p += 4;
            }
            (et, &data[p..])
        }
        LINKTYPE_LINUX_SLL => (
            be16(data, 14, "SLL header")?,
            get(data, 16..data.len(), "SLL header")?,
        ),
        LINKTYPE_LINUX_SLL2 => (
            be16(data, 0, "SLL2 header")?,
            get(data, 20..data.len(), "SLL2 header")?,
        ),
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            let b = get(data, 0..4, "loopback header")?;
            let le = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let be = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            let et = if le == 2 || be == 2 {
                0x0800
            } else if [24, 28, 30].contains(&le) || [24, 28, 30].contains(&be) {
                0x86DD
            } else {
                0
            };
            (et, &data[4..])
        }
        LINKTYPE_RAW | 12 | 14 | LINKTYPE_IPV4 | LINKTYPE_IPV6 => {
            let v = *data.first().ok_or(LayerError::Truncated("IP header"))? >> 4;
            (if v == 6 { 0x86DD } else { 0x0800 }, data)
        }
        _ => return Ok(Segment::Skip(Skip::UnsupportedLink)),
    };
    match ethertype {
        0x0800 => ipv4(rest),
        0x86DD => ipv6(rest),
        _ => Ok(Segment::Skip(Skip::NotIp)),
    }
}

fn ipv4(d: &[u8]) -> Result<Segment<'_>, LayerError> {
    let h = get(d, 0..20, "IPv4 header")?;
    if h[0] >> 4 != 4 {
        return Err(LayerError::Malformed("IPv4 version"));
    }
    let ihl = usize::from(h[0] & 0x0F) * 4;
    if ihl < 20 {
        return Err(LayerError::Malformed("IPv4 header length"));
    }
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    if total < ihl {
        return Err(LayerError::Malformed("IPv4 total length"));
    }
    let body = get(d, ihl..total, "IPv4 packet")?;
    let src = IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19]));
    let frag = u16::from_be_bytes([h[6], h[7]]);
    let (more, offset) = (frag & 0x2000 != 0, usize::from(frag & 0x1FFF) * 8);
    if more || offset != 0 {
        if more && !body.len().is_multiple_of(8) {
            return Err(LayerError::Malformed("IPv4 fragment length"));
        }
        let key = FragKey {
            src,
            dst,
            proto: Some(h[9]),
            id: u32::from(u16::from_be_bytes([h[4], h[5]])),
        };
        return Ok(Segment::Fragment(Fragment {
            key,
            offset,
            more,
            next: h[9],
            data: body,
        }));
    }
    transport(h[9], src, dst, body, false)
}

fn ipv6(d: &[u8]) -> Result<Segment<'_>, LayerError> {
    let h = get(d, 0..40, "IPv6 header")?;
    if h[0] >> 4 != 6 {
        return Err(LayerError::Malformed("IPv6 version"));
    }
    let plen = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let body = get(d, 40..40 + plen, "IPv6 packet")?;
    let addr = |o: usize| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&h[o..o + 16]);
        IpAddr::V6(Ipv6Addr::from(a))
    };
    ipv6_chain(h[6], addr(8), addr(24), body, false)
}

/// Walks IPv6 extension headers from `next` down to the transport. A Fragment header that is
/// not atomic (RFC 6946) makes a [`Segment::Fragment`]; in a reassembled payload (`reassembled`)
/// it is malformed.
fn ipv6_chain(
    mut next: u8,
    src: IpAddr,
    dst: IpAddr,
    mut body: &[u8],
    reassembled: bool,
) -> Result<Segment<'_>, LayerError> {
    for _ in 0..8 {
        match next {
            0 | 43 | 60 => {
                let e = get(body, 0..2, "IPv6 extension header")?;
                let len = (usize::from(e[1]) + 1) * 8;
                next = e[0];
                body = get(body, len..body.len(), "IPv6 extension header")?;
            }
            51 => {
                let e = get(body, 0..2, "IPv6 AH header")?;
                let len = (usize::from(e[1]) + 2) * 4;
                next = e[0];
                body = get(body, len..body.len(), "IPv6 AH header")?;
            }
            44 => {
                let e = get(body, 0..8, "IPv6 fragment header")?;
                let off = u16::from_be_bytes([e[2], e[3]]);
                let data = &body[8..];
                if off & 0xFFF9 != 0 {
                    if reassembled {
                        return Err(LayerError::Malformed("IPv6 fragment in a fragment"));
                    }
                    let more = off & 1 != 0;
                    if more && !data.len().is_multiple_of(8) {
                        return Err(LayerError::Malformed("IPv6 fragment length"));
                    }
                    let key = FragKey {
                        src,
                        dst,
                        proto: None,
                        id: u32::from_be_bytes([e[4], e[5], e[6], e[7]]),
                    };
                    return Ok(Segment::Fragment(Fragment {
                        key,
                        offset: usize::from(off & 0xFFF8),
                        more,
                        next: e[0],
                        data,
                    }));
                }
                next = e[0];
                body = data;
            }
            _ => break,
        }
    }
    transport(next, src, dst, body, reassembled)
}

/// Decodes a reassembled datagram down to its transport segment, like an unfragmented packet;
/// a UDP length that disagrees with the reassembled length is malformed.
pub fn reassembled(d: &Datagram) -> Result<Segment<'_>, LayerError> {
    let FragKey { src, dst, .. } = d.key;
    if d.key.proto.is_some() {
        transport(d.next, src, dst, &d.payload, true)
    } else {
        ipv6_chain(d.next, src, dst, &d.payload, true)
    }
}

/// The transport segment; `exact`: the UDP length must be the whole of `d` (reassembled).
fn transport(
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    d: &[u8],
    exact: bool,
) -> Result<Segment<'_>, LayerError> {
    match proto {
        17 => {
            let h = get(d, 0..8, "UDP header")?;
            let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
            if len < 8 {
                return Err(LayerError::Malformed("UDP length"));
            }
            if exact && len != d.len() {
                return Err(LayerError::Malformed(
                    "UDP length of a reassembled datagram",
                ));
            }
            Ok(Segment::Udp {
                src: (src, u16::from_be_bytes([h[0], h[1]])),
                dst: (dst, u16::from_be_bytes([h[2], h[3]])),
                payload: get(d, 8..len, "UDP payload")?,
            })
        }
        6 => {
            let h = get(d, 0..20, "TCP header")?;
            let off = usize::from(h[12] >> 4) * 4;
            if off < 20 {
                return Err(LayerError::Malformed("TCP data offset"));
            }
            Ok(Segment::Tcp {
                src: (src, u16::from_be_bytes([h[0], h[1]])),
                dst: (dst, u16::from_be_bytes([h[2], h[3]])),
                seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                flags: h[13],
                payload: get(d, off..d.len(), "TCP header")?,
            })
        }
        _ => Ok(Segment::Skip(Skip::OtherProtocol)),
    }
}
