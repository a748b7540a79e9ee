//! Capture containers: classic pcap (both byte orders, micro- and nanosecond) and pcapng
//! (sections of either byte order, interface description blocks with `if_tsresol` and
//! `if_tsoffset`, enhanced, simple and obsolete packet blocks; other blocks are skipped).

use std::io::Read;

use chrono::{DateTime, Utc};

/// Largest packet record or pcapng block accepted.
pub const MAX_RECORD: usize = 16 << 20;

/// Container errors (the framing is lost: reading stops there).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// Reading failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Not a capture file, or its structure is broken.
    #[error("{0}")]
    Format(String),
}

/// One captured packet (its octets are in the caller's buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMeta {
    /// Link type of its interface (LINKTYPE_*).
    pub linktype: u32,
    /// Capture time (`None` for pcapng simple packet blocks).
    pub time: Option<DateTime<Utc>>,
    /// Original length on the wire (captured length is the buffer's length).
    pub orig_len: u32,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    snaplen: u32,
    /// Ticks per second.
    units: u64,
    offset: i64,
}

enum Block {
    Packet(PacketMeta),
    Other,
    End,
}

enum Format {
    Pcap {
        big: bool,
        nanos: bool,
        linktype: u32,
    },
    Pcapng {
        big: bool,
        interfaces: Vec<Interface>,
    },
}

/// Reads packets from a pcap or pcapng stream.
pub struct CaptureReader<R> {
    r: R,
    format: Format,
    consumed: u64,
    block: Vec<u8>,
}

fn u16_at(b: &[u8], p: usize, big: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(p..p + 2)?.try_into().ok()?;
    Some(if big {
        u16::from_be_bytes(s)
    } else {
        u16::from_le_bytes(s)
    })
}

fn u32_at(b: &[u8], p: usize, big: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(p..p + 4)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    })
}

fn fmt_err(msg: impl Into<String>) -> CaptureError {
    CaptureError::Format(msg.into())
}

/// Reads exactly `buf.len()` octets; `Ok(false)` on a clean end of input before the first.
fn read_exact_or_eof(r: &mut impl Read, buf: &mut [u8]) -> Result<bool, CaptureError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) if n == 0 => return Ok(false),
            Ok(0) => return Err(fmt_err("input ends inside a record")),
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

fn time_of(ticks: u64, units: u64, offset: i64) -> Option<DateTime<Utc>> {
    let units = units.max(1);
    let secs = i64::try_from(ticks / units).ok()?.checked_add(offset)?;
    let frac = (ticks % units) as u128 * 1_000_000_000 / units as u128;
    DateTime::from_timestamp(secs, frac as u32)
}

impl<R: Read> CaptureReader<R> {
    /// Reads the file header (pcap global header or first pcapng section header).
    pub fn new(mut r: R) -> Result<Self, CaptureError> {
        let mut magic = [0u8; 4];
        if !read_exact_or_eof(&mut r, &mut magic)? {
            return Err(fmt_err("empty input: not a pcap or pcapng file"));
        }
        let mut me = CaptureReader {
            r,
            format: Format::Pcap {
                big: false,
                nanos: false,
                linktype: 0,
            },
            consumed: 4,
            block: Vec::new(),
        };
        match magic {
            [0xD4, 0xC3, 0xB2, 0xA1]
            | [0xA1, 0xB2, 0xC3, 0xD4]
            | [0x4D, 0x3C, 0xB2, 0xA1]
            | [0xA1, 0xB2, 0x3C, 0x4D] => {
                let big = magic[0] == 0xA1;
                let nanos = magic == [0x4D, 0x3C, 0xB2, 0xA1] || magic == [0xA1, 0xB2, 0x3C, 0x4D];
                let mut h = [0u8; 20];
                if !read_exact_or_eof(&mut me.r, &mut h)? {
                    return Err(fmt_err("truncated pcap header"));
                }
                me.consumed += 20;
                let linktype = u32_at(&h, 16, big).unwrap_or(0) & 0x0FFF_FFFF;
                me.format = Format::Pcap {
                    big,
                    nanos,
                    linktype,
                };
            }
            [0x0A, 0x0D, 0x0D, 0x0A] => {
                me.format = Format::Pcapng {
                    big: false,
                    interfaces: Vec::new(),
                };
                me.section_header()?;
            }
            _ => return Err(fmt_err("not a pcap or pcapng file (unknown magic)")),
        }
        Ok(me)
    }

    /// `pcap` or `pcapng`.
    pub fn format_name(&self) -> &'static str {
        match self.format {
            Format::Pcap { .. } => "pcap",
            Format::Pcapng { .. } => "pcapng",
        }
    }

    /// Octets consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Reads a section header block whose type has just been read.
    fn section_header(&mut self) -> Result<(), CaptureError> {
        let mut h = [0u8; 8];
        if !read_exact_or_eof(&mut self.r, &mut h)? {
            return Err(fmt_err("truncated section header"));
        }
        let big = match &h[4..8] {
            [0x1A, 0x2B, 0x3C, 0x4D] => true,
            [0x4D, 0x3C, 0x2B, 0x1A] => false,
            _ => return Err(fmt_err("bad pcapng byte-order magic")),
        };
        let total = u32_at(&h, 0, big).unwrap_or(0) as usize;
        if total < 28 || !total.is_multiple_of(4) || total > MAX_RECORD {
            return Err(fmt_err(format!("bad section header length {total}")));
        }
        let mut rest = vec![0u8; total - 12];
        if !read_exact_or_eof(&mut self.r, &mut rest)? {
            return Err(fmt_err("truncated section header"));
        }
        self.consumed += total as u64 - 4;
        self.format = Format::Pcapng {
            big,
            interfaces: Vec::new(),
        };
        Ok(())
    }

    /// The next packet, its octets in `buf`; `Ok(None)` at the end of the input.
    pub fn next_packet(&mut self, buf: &mut Vec<u8>) -> Result<Option<PacketMeta>, CaptureError> {
        loop {
            match &mut self.format {
                Format::Pcap {
                    big,
                    nanos,
                    linktype,
                } => {
                    let (big, nanos, linktype) = (*big, *nanos, *linktype);
                    let mut h = [0u8; 16];
                    if !read_exact_or_eof(&mut self.r, &mut h)? {
                        return Ok(None);
                    }
                    let sec = u32_at(&h, 0, big).unwrap_or(0);
                    let frac = u32_at(&h, 4, big).unwrap_or(0);
                    let incl = u32_at(&h, 8, big).unwrap_or(0) as usize;
                    let orig = u32_at(&h, 12, big).unwrap_or(0);
                    if incl > MAX_RECORD {
                        return Err(fmt_err(format!("packet record of {incl} octets")));
                    }
                    buf.clear();
                    buf.resize(incl, 0);
                    if incl > 0 && !read_exact_or_eof(&mut self.r, buf)? {
                        return Err(fmt_err("input ends inside a packet"));
                    }
                    self.consumed += 16 + incl as u64;
                    let nsec = if nanos {
                        frac
                    } else {
                        frac.saturating_mul(1000)
                    };
                    return Ok(Some(PacketMeta {
                        linktype,
                        time: DateTime::from_timestamp(i64::from(sec), nsec.min(999_999_999)),
                        orig_len: orig,
                    }));
                }
                Format::Pcapng { .. } => match self.next_block(buf)? {
                    Block::Packet(p) => return Ok(Some(p)),
                    Block::Other => {}
                    Block::End => return Ok(None),
                },
            }
        }
    }

    /// Reads one pcapng block.
    fn next_block(&mut self, buf: &mut Vec<u8>) -> Result<Block, CaptureError> {
        let mut h = [0u8; 4];
        if !read_exact_or_eof(&mut self.r, &mut h)? {
            return Ok(Block::End);
        }
        self.consumed += 4;
        if h == [0x0A, 0x0D, 0x0D, 0x0A] {
            self.section_header()?;
            return Ok(Block::Other);
        }
        let Format::Pcapng { big, .. } = self.format else {
            return Ok(Block::Other);
        };
        let kind = u32_at(&h, 0, big).unwrap_or(0);
        let mut l = [0u8; 4];
        if !read_exact_or_eof(&mut self.r, &mut l)? {
            return Err(fmt_err("truncated block header"));
        }
        let total = u32_at(&l, 0, big).unwrap_or(0) as usize;
        if total < 12 || !total.is_multiple_of(4) || total > MAX_RECORD {
            return Err(fmt_err(format!("bad block length {total}")));
        }
        self.block.clear();
        self.block.resize(total - 8, 0);
        if !read_exact_or_eof(&mut self.r, &mut self.block)? {
            return Err(fmt_err("input ends inside a block"));
        }
        self.consumed += total as u64 - 4;
        let body_len = total - 12;
        if u32_at(&self.block, body_len, big) != Some(total as u32) {
            return Err(fmt_err("block trailer length does not match"));
        }
        let body = &self.block[..body_len];
        let Format::Pcapng { interfaces, .. } = &mut self.format else {
            return Ok(Block::Other);
        };
        let bad = || fmt_err(format!("malformed pcapng block of type {kind}"));
        match kind {
            1 => {
                let linktype = u32::from(u16_at(body, 0, big).ok_or_else(bad)?);
                let snaplen = u32_at(body, 4, big).ok_or_else(bad)?;
                let mut iface = Interface {
                    linktype,
                    snaplen,
                    units: 1_000_000,
                    offset: 0,
                };
                let mut p = 8;
                while p + 4 <= body.len() {
                    let code = u16_at(body, p, big).unwrap_or(0);
                    let len = usize::from(u16_at(body, p + 2, big).unwrap_or(0));
                    let v = body.get(p + 4..p + 4 + len).ok_or_else(bad)?;
                    match (code, len) {
                        (0, _) => break,
                        (9, 1) => {
                            let r = v[0];
                            let exp = u32::from(r & 0x7F);
                            iface.units = if r & 0x80 == 0 {
                                10u64.checked_pow(exp).ok_or_else(bad)?
                            } else {
                                2u64.checked_pow(exp).ok_or_else(bad)?
                            };
                        }
                        (14, 8) => {
                            let b: [u8; 8] = v.try_into().map_err(|_| bad())?;
                            iface.offset = if big {
                                i64::from_be_bytes(b)
                            } else {
                                i64::from_le_bytes(b)
                            };
                        }
                        _ => {}
                    }
                    p += 4 + len.div_ceil(4) * 4;
                }
                interfaces.push(iface);
                Ok(Block::Other)
            }
            6 | 2 => {
                let (iface, hi, lo, cap, orig, data_at) = if kind == 6 {
                    (
                        u32_at(body, 0, big).ok_or_else(bad)? as usize,
                        u32_at(body, 4, big).ok_or_else(bad)?,
                        u32_at(body, 8, big).ok_or_else(bad)?,
                        u32_at(body, 12, big).ok_or_else(bad)? as usize,
                        u32_at(body, 16, big).ok_or_else(bad)?,
                        20,
                    )
                } else {
                    (
                        usize::from(u16_at(body, 0, big).ok_or_else(bad)?),
                        u32_at(body, 4, big).ok_or_else(bad)?,
                        u32_at(body, 8, big).ok_or_else(bad)?,
                        u32_at(body, 12, big).ok_or_else(bad)? as usize,
                        u32_at(body, 16, big).ok_or_else(bad)?,
                        20,
                    )
                };
                let i = *interfaces
                    .get(iface)
                    .ok_or_else(|| fmt_err(format!("packet on unknown interface {iface}")))?;
                let data = body.get(data_at..data_at + cap).ok_or_else(bad)?;
                buf.clear();
                buf.extend_from_slice(data);
                let ticks = (u64::from(hi) << 32) | u64::from(lo);
                Ok(Block::Packet(PacketMeta {
                    linktype: i.linktype,
                    time: time_of(ticks, i.units, i.offset),
                    orig_len: orig,
                }))
            }
            3 => {
                let i = *interfaces
                    .first()
                    .ok_or_else(|| fmt_err("simple packet block without an interface"))?;
                let orig = u32_at(body, 0, big).ok_or_else(bad)?;
                let mut cap = (orig as usize).min(body.len() - 4);
                if i.snaplen > 0 {
                    cap = cap.min(i.snaplen as usize);
                }
                buf.clear();
                buf.extend_from_slice(&body[4..4 + cap]);
                Ok(Block::Packet(PacketMeta {
                    linktype: i.linktype,
                    time: None,
                    orig_len: orig,
                }))
            }
            _ => Ok(Block::Other),
        }
    }
}
