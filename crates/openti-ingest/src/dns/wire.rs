//! DNS wire-format (RFC 1035) message parser.
//!
//! Reads the header, the question section and the answer section of a message, with name
//! compression. Every read is bounds-checked: malformed input is a [`WireError`], never a
//! panic. Compression pointers must point before themselves, a name may follow at most
//! [`MAX_POINTER_HOPS`] pointers and may not exceed 255 octets, so pointer loops are rejected.
//! The authority and additional sections are not read.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::rdata::RData;

/// Longest name on the wire (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Most compression pointers followed while reading one name.
pub const MAX_POINTER_HOPS: usize = 64;

/// RR type numbers OpenTI understands.
pub mod rtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Name server.
    pub const NS: u16 = 2;
    /// Canonical name.
    pub const CNAME: u16 = 5;
    /// Start of authority.
    pub const SOA: u16 = 6;
    /// Pointer (reverse DNS).
    pub const PTR: u16 = 12;
    /// Mail exchanger.
    pub const MX: u16 = 15;
    /// Text.
    pub const TXT: u16 = 16;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service locator.
    pub const SRV: u16 = 33;
    /// Delegation name.
    pub const DNAME: u16 = 39;
    /// EDNS(0) pseudo-RR.
    pub const OPT: u16 = 41;
    /// Service binding.
    pub const SVCB: u16 = 64;
    /// HTTPS service binding.
    pub const HTTPS: u16 = 65;
    /// Certification authority authorisation.
    pub const CAA: u16 = 257;
}

/// The mnemonic of a passive-DNS record type, `None` for types OpenTI does not collect.
pub fn type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        rtype::A => "A",
        rtype::NS => "NS",
        rtype::CNAME => "CNAME",
        rtype::SOA => "SOA",
        rtype::PTR => "PTR",
        rtype::MX => "MX",
        rtype::TXT => "TXT",
        rtype::AAAA => "AAAA",
        rtype::SRV => "SRV",
        rtype::DNAME => "DNAME",
        rtype::SVCB => "SVCB",
        rtype::HTTPS => "HTTPS",
        rtype::CAA => "CAA",
        _ => return None,
    })
}

/// Why a message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The message ends before a field does.
    #[error("truncated message at offset {0}")]
    Truncated(usize),
    /// A compression pointer points forward, to itself, or loops.
    #[error("bad compression pointer at offset {0}")]
    BadPointer(usize),
    /// A name is longer than 255 octets.
    #[error("name longer than 255 octets at offset {0}")]
    NameTooLong(usize),
    /// A label uses the reserved 0b01/0b10 prefixes.
    #[error("reserved label type at offset {0}")]
    BadLabel(usize),
    /// The record data does not match its type's layout.
    #[error("malformed {rtype} record data at offset {offset}")]
    BadRdata {
        /// RR type number.
        rtype: u16,
        /// Offset of the record data.
        offset: usize,
    },
}

/// The fixed 12-octet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Query id.
    pub id: u16,
    /// QR, opcode, AA, TC, RD, RA, Z, AD, CD and RCODE bits.
    pub flags: u16,
    /// Questions.
    pub qdcount: u16,
    /// Answers.
    pub ancount: u16,
    /// Authority records.
    pub nscount: u16,
    /// Additional records.
    pub arcount: u16,
}

impl Header {
    /// QR: this is a response.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// OPCODE (0 = QUERY).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    /// RCODE (0 = NOERROR).
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }
    /// TC: the message was truncated by the sender.
    pub fn truncated(&self) -> bool {
        self.flags & 0x0200 != 0
    }
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Name, lower-cased presentation form without the trailing dot (`.` for the root).
    pub name: String,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
}

/// One resource record of the answer section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord {
    /// Owner name (lower-cased presentation form, no trailing dot).
    pub name: String,
    /// TYPE.
    pub rtype: u16,
    /// CLASS.
    pub class: u16,
    /// TTL.
    pub ttl: u32,
    /// Decoded record data.
    pub data: RData,
}

/// A parsed message (header, questions, answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Header.
    pub header: Header,
    /// Question section.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<ResourceRecord>,
}

/// A bounds-checked cursor over a message.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at `pos` of the whole message `buf` (names may point anywhere before).
    pub fn new(buf: &'a [u8], pos: usize) -> Self {
        Cursor { buf, pos }
    }
    /// Current offset.
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// The next `n` octets.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(WireError::Truncated(self.pos))?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or(WireError::Truncated(self.pos))?;
        self.pos = end;
        Ok(s)
    }
    /// One octet.
    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.bytes(1)?[0])
    }
    /// A big-endian u16.
    pub fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    /// A big-endian u32.
    pub fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A (possibly compressed) name, appended to `out` in presentation form.
    pub fn name_into(&mut self, out: &mut String) -> Result<(), WireError> {
        self.pos = read_name(self.buf, self.pos, out)?;
        Ok(())
    }
    /// A (possibly compressed) name.
    pub fn name(&mut self) -> Result<String, WireError> {
        // most names fit: no regrowth while labels are appended
        let mut s = String::with_capacity(48);
        self.name_into(&mut s)?;
        Ok(s)
    }
    /// An IPv4 address.
    pub fn ipv4(&mut self) -> Result<Ipv4Addr, WireError> {
        let b = self.bytes(4)?;
        Ok(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    }
    /// An IPv6 address.
    pub fn ipv6(&mut self) -> Result<Ipv6Addr, WireError> {
        let b = self.bytes(16)?;
        let mut a = [0u8; 16];
        a.copy_from_slice(b);
        Ok(Ipv6Addr::from(a))
    }
}

/// Reads the name at `start`, appends its presentation form (lower-cased, escaped, no trailing
/// dot, `.` for the root) to `out`, and returns the offset just after the name at `start`.
pub fn read_name(buf: &[u8], start: usize, out: &mut String) -> Result<usize, WireError> {
    let begin = out.len();
    let mut pos = start;
    let mut end: Option<usize> = None;
    let mut hops = 0usize;
    let mut wire_len = 0usize;
    loop {
        let b = *buf.get(pos).ok_or(WireError::Truncated(pos))?;
        match b & 0xC0 {
            0x00 => {
                wire_len += 1 + b as usize;
                if wire_len > MAX_NAME_LEN {
                    return Err(WireError::NameTooLong(start));
                }
                if b == 0 {
                    if end.is_none() {
                        end = Some(pos + 1);
                    }
                    break;
                }
                let label = buf
                    .get(pos + 1..pos + 1 + b as usize)
                    .ok_or(WireError::Truncated(pos + 1))?;
                if out.len() > begin {
                    out.push('.');
                }
                push_label(out, label);
                pos += 1 + b as usize;
            }
            0xC0 => {
                let lo = *buf.get(pos + 1).ok_or(WireError::Truncated(pos + 1))?;
                let target = (usize::from(b & 0x3F) << 8) | usize::from(lo);
                if end.is_none() {
                    end = Some(pos + 2);
                }
                hops += 1;
                if target >= pos || hops > MAX_POINTER_HOPS {
                    return Err(WireError::BadPointer(pos));
                }
                pos = target;
            }
            _ => return Err(WireError::BadLabel(pos)),
        }
    }
    if out.len() == begin {
        out.push('.');
    }
    end.ok_or(WireError::Truncated(pos))
}

/// Appends one label: ASCII lower-cased, `.` and `\` escaped, other non-printable octets as
/// `\DDD`.
fn push_label(out: &mut String, label: &[u8]) {
    // Fast path: a label of printable ASCII other than `.` and `\` (nearly all of them).
    let mut lower = [0u8; 63];
    if label.len() <= lower.len()
        && label
            .iter()
            .all(|&c| matches!(c, 0x21..=0x7E) && c != b'.' && c != b'\\')
    {
        let lower = &mut lower[..label.len()];
        for (d, &c) in lower.iter_mut().zip(label) {
            *d = c.to_ascii_lowercase();
        }
        if let Ok(text) = std::str::from_utf8(lower) {
            out.push_str(text);
            return;
        }
    }
    for &c in label {
        match c {
            b'.' | b'\\' => {
                out.push('\\');
                out.push(c as char);
            }
            0x21..=0x7E => out.push(c.to_ascii_lowercase() as char),
            _ => {
                out.push('\\');
                out.push(char::from(b'0' + c / 100));
                out.push(char::from(b'0' + (c / 10) % 10));
                out.push(char::from(b'0' + c % 10));
            }
        }
    }
}

/// Parses just the header.
pub fn parse_header(buf: &[u8]) -> Result<Header, WireError> {
    let mut c = Cursor::new(buf, 0);
    Ok(Header {
        id: c.u16()?,
        flags: c.u16()?,
        qdcount: c.u16()?,
        ancount: c.u16()?,
        nscount: c.u16()?,
        arcount: c.u16()?,
    })
}

/// Parses header, questions and answers of a message.
pub fn parse(buf: &[u8]) -> Result<Message, WireError> {
    let header = parse_header(buf)?;
    let mut c = Cursor::new(buf, 12);
    // Counts come from the sender: never trust them for allocation sizes.
    let mut questions = Vec::with_capacity(usize::from(header.qdcount).min(4));
    for _ in 0..header.qdcount {
        let name = c.name()?;
        questions.push(Question {
            name,
            qtype: c.u16()?,
            qclass: c.u16()?,
        });
    }
    let mut answers = Vec::with_capacity(usize::from(header.ancount).min(16));
    for _ in 0..header.ancount {
        answers.push(parse_rr(&mut c)?);
    }
    Ok(Message {
        header,
        questions,
        answers,
    })
}

/// Parses one resource record at the cursor.
pub fn parse_rr(c: &mut Cursor<'_>) -> Result<ResourceRecord, WireError> {
    let name = c.name()?;
    let rtype = c.u16()?;
    let class = c.u16()?;
    let ttl = c.u32()?;
    let rdlen = usize::from(c.u16()?);
    let start = c.pos();
    c.bytes(rdlen)?;
    let data = super::rdata::parse_rdata(c.buf, rtype, start, start + rdlen)?;
    Ok(ResourceRecord {
        name,
        rtype,
        class,
        ttl,
        data,
    })
}

impl<'a> Cursor<'a> {
    /// The whole message this cursor reads.
    pub fn message(&self) -> &'a [u8] {
        self.buf
    }
}
