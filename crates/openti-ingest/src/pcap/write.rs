//! Byte-exact capture writers (pcap and pcapng) and packet builders, for tests, fuzz seeds and
//! benchmarks. Checksums are left zero (readers here do not verify them).

use std::net::IpAddr;

use super::layers::*;

/// Link framing to put around an IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II (optionally with one 802.1Q tag).
    Ethernet {
        /// Add a VLAN tag.
        vlan: bool,
    },
    /// Linux cooked capture v1.
    Sll,
    /// Linux cooked capture v2.
    Sll2,
    /// Raw IP.
    Raw,
    /// BSD loopback (host byte order family, little-endian here).
    Null,
}

impl Link {
    /// The LINKTYPE value.
    pub fn linktype(self) -> u32 {
        match self {
            Link::Ethernet { .. } => LINKTYPE_ETHERNET,
            Link::Sll => LINKTYPE_LINUX_SLL,
            Link::Sll2 => LINKTYPE_LINUX_SLL2,
            Link::Raw => LINKTYPE_RAW,
            Link::Null => LINKTYPE_NULL,
        }
    }

    /// Wraps an IP packet.
    pub fn frame(self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().map(|b| b >> 4) == Some(6);
        let et: u16 = if v6 { 0x86DD } else { 0x0800 };
        let mut out = Vec::with_capacity(ip.len() + 24);
        match self {
            Link::Ethernet { vlan } => {
                out.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]);
                if vlan {
                    out.extend_from_slice(&[0x81, 0x00, 0x00, 0x2A]);
                }
                out.extend_from_slice(&et.to_be_bytes());
            }
            Link::Sll => {
                out.extend_from_slice(&[0, 0, 0, 1, 0, 6, 0x02, 0, 0, 0, 0, 1, 0, 0]);
                out.extend_from_slice(&et.to_be_bytes());
            }
            Link::Sll2 => {
                out.extend_from_slice(&et.to_be_bytes());
                out.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 0, 6]);
                out.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0, 0]);
            }
            Link::Raw => {}
            Link::Null => out.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_le_bytes()),
        }
        out.extend_from_slice(ip);
        out
    }
}

/// An IP packet (v4 or v6 after the addresses) carrying `transport` with protocol `proto`.
pub fn ip_packet(src: IpAddr, dst: IpAddr, proto: u8, transport: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(transport.len() + 40);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = (20 + transport.len()) as u16;
            out.extend_from_slice(&[0x45, 0]);
            out.extend_from_slice(&total.to_be_bytes());
            out.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        (s, d) => {
            let to6 = |a: IpAddr| match a {
                IpAddr::V4(v) => v.to_ipv6_mapped(),
                IpAddr::V6(v) => v,
            };
            out.extend_from_slice(&[0x60, 0, 0, 0]);
            out.extend_from_slice(&(transport.len() as u16).to_be_bytes());
            out.extend_from_slice(&[proto, 64]);
            out.extend_from_slice(&to6(s).octets());
            out.extend_from_slice(&to6(d).octets());
        }
    }
    out.extend_from_slice(transport);
    out
}

/// One IP fragment of a datagram with identification `id` (16 bits used in IPv4): `data` at
/// octet `offset` of the payload, `more` for More Fragments. IPv6 gets a Fragment header whose
/// Next Header is `proto`.
pub fn ip_fragment(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
    offset: usize,
    more: bool,
    data: &[u8],
) -> Vec<u8> {
    let field = ((offset / 8) as u16) & 0x1FFF;
    match (src, dst) {
        (IpAddr::V4(_), IpAddr::V4(_)) => {
            let mut p = ip_packet(src, dst, proto, data);
            let flags = field | if more { 0x2000 } else { 0 };
            p[4..6].copy_from_slice(&(id as u16).to_be_bytes());
            p[6..8].copy_from_slice(&flags.to_be_bytes());
            p
        }
        _ => {
            let mut h = vec![proto, 0];
            h.extend_from_slice(&((field << 3) | u16::from(more)).to_be_bytes());
            h.extend_from_slice(&id.to_be_bytes());
            h.extend_from_slice(data);
            ip_packet(src, dst, 44, &h)
        }
    }
}

/// `transport` cut into IP fragments of at most `size` octets (rounded down to a multiple of
/// 8), in order.
pub fn ip_fragments(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
    transport: &[u8],
    size: usize,
) -> Vec<Vec<u8>> {
    let size = (size / 8).max(1) * 8;
    let mut out = Vec::new();
    let mut at = 0;
    while at < transport.len() {
        let end = (at + size).min(transport.len());
        let more = end < transport.len();
        out.push(ip_fragment(
            src,
            dst,
            proto,
            id,
            at,
            more,
            &transport[at..end],
        ));
        at = end;
    }
    out
}

/// A UDP datagram.
pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.extend_from_slice(&sport.to_be_bytes());
    out.extend_from_slice(&dport.to_be_bytes());
    out.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    out
}

/// A TCP segment (no options).
pub fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 20);
    out.extend_from_slice(&sport.to_be_bytes());
    out.extend_from_slice(&dport.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]);
    out.extend_from_slice(payload);
    out
}

/// A classic pcap file (little-endian, microseconds) of `(time µs, frame)` packets.
pub fn pcap(linktype: u32, packets: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xA1B2_C3D4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&linktype.to_le_bytes());
    for (us, p) in packets {
        out.extend_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

fn block(out: &mut Vec<u8>, big: bool, kind: u32, body: &[u8]) {
    let pad = (4 - body.len() % 4) % 4;
    let total = (12 + body.len() + pad) as u32;
    let w = |out: &mut Vec<u8>, v: u32| {
        out.extend_from_slice(&if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    w(out, kind);
    w(out, total);
    out.extend_from_slice(body);
    out.extend(std::iter::repeat_n(0u8, pad));
    w(out, total);
}

/// A pcapng file with one section and one interface (nanosecond resolution when `nanos`), in
/// either byte order, of `(time ns, frame)` packets as enhanced packet blocks.
pub fn pcapng(linktype: u32, big: bool, nanos: bool, packets: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let u16b = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out = Vec::new();
    let mut shb = Vec::new();
    shb.extend_from_slice(&u32b(0x1A2B_3C4D));
    shb.extend_from_slice(&u16b(1));
    shb.extend_from_slice(&u16b(0));
    shb.extend_from_slice(&[0xFF; 8]);
    block(&mut out, big, 0x0A0D_0D0A, &shb);
    let mut idb = Vec::new();
    idb.extend_from_slice(&u16b(linktype as u16));
    idb.extend_from_slice(&u16b(0));
    idb.extend_from_slice(&u32b(0));
    if nanos {
        idb.extend_from_slice(&u16b(9));
        idb.extend_from_slice(&u16b(1));
        idb.extend_from_slice(&[9, 0, 0, 0]);
    }
    idb.extend_from_slice(&[0, 0, 0, 0]);
    block(&mut out, big, 1, &idb);
    // an unknown block must be skipped
    block(&mut out, big, 0x0BAD, b"ignored");
    for (ns, p) in packets {
        let ticks = if nanos { *ns } else { ns / 1000 };
        let mut epb = Vec::new();
        epb.extend_from_slice(&u32b(0));
        epb.extend_from_slice(&u32b((ticks >> 32) as u32));
        epb.extend_from_slice(&u32b(ticks as u32));
        epb.extend_from_slice(&u32b(p.len() as u32));
        epb.extend_from_slice(&u32b(p.len() as u32));
        epb.extend_from_slice(p);
        epb.extend(std::iter::repeat_n(0u8, (4 - p.len() % 4) % 4));
        block(&mut out, big, 6, &epb);
    }
    out
}
