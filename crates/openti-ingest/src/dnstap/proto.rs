//! A minimal protobuf decoder and encoder for the dnstap schema (`dnstap.proto`).
//!
//! Only the fields OpenTI uses are kept; unknown fields are skipped by wire type, so newer
//! senders remain readable. Decoding borrows from the frame (no copies).

/// `Dnstap.type` MESSAGE.
pub const DNSTAP_TYPE_MESSAGE: u64 = 1;

/// `Message.type` values.
pub mod message_type {
    /// AUTH_QUERY.
    pub const AUTH_QUERY: u64 = 1;
    /// AUTH_RESPONSE.
    pub const AUTH_RESPONSE: u64 = 2;
    /// RESOLVER_QUERY.
    pub const RESOLVER_QUERY: u64 = 3;
    /// RESOLVER_RESPONSE.
    pub const RESOLVER_RESPONSE: u64 = 4;
    /// CLIENT_QUERY.
    pub const CLIENT_QUERY: u64 = 5;
    /// CLIENT_RESPONSE.
    pub const CLIENT_RESPONSE: u64 = 6;
    /// FORWARDER_QUERY.
    pub const FORWARDER_QUERY: u64 = 7;
    /// FORWARDER_RESPONSE.
    pub const FORWARDER_RESPONSE: u64 = 8;
    /// STUB_QUERY.
    pub const STUB_QUERY: u64 = 9;
    /// STUB_RESPONSE.
    pub const STUB_RESPONSE: u64 = 10;
    /// TOOL_QUERY.
    pub const TOOL_QUERY: u64 = 11;
    /// TOOL_RESPONSE.
    pub const TOOL_RESPONSE: u64 = 12;
}

/// Protobuf decoding errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    /// The buffer ends inside a field.
    #[error("truncated protobuf")]
    Truncated,
    /// A varint longer than 10 octets.
    #[error("varint too long")]
    VarintTooLong,
    /// Wire types 3/4 (groups) or 6/7.
    #[error("unsupported wire type {0}")]
    WireType(u8),
    /// A required field is missing or has the wrong wire type.
    #[error("{0}")]
    Invalid(&'static str),
}

/// A decoded `Dnstap` frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dnstap<'a> {
    /// `identity` (server name).
    pub identity: Option<&'a [u8]>,
    /// `version` (server version).
    pub version: Option<&'a [u8]>,
    /// `type` (1 = MESSAGE).
    pub kind: u64,
    /// `message`.
    pub message: Option<Message<'a>>,
}

/// A decoded `Message`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message<'a> {
    /// `type` (see [`message_type`]).
    pub kind: u64,
    /// `socket_family` (1 = INET, 2 = INET6).
    pub socket_family: Option<u64>,
    /// `socket_protocol` (1 = UDP, 2 = TCP, …).
    pub socket_protocol: Option<u64>,
    /// `query_address`.
    pub query_address: Option<&'a [u8]>,
    /// `response_address`.
    pub response_address: Option<&'a [u8]>,
    /// `query_port`.
    pub query_port: Option<u64>,
    /// `response_port`.
    pub response_port: Option<u64>,
    /// `query_time_sec`.
    pub query_time_sec: Option<u64>,
    /// `query_time_nsec`.
    pub query_time_nsec: Option<u32>,
    /// `query_message` (DNS wire format).
    pub query_message: Option<&'a [u8]>,
    /// `query_zone`.
    pub query_zone: Option<&'a [u8]>,
    /// `response_time_sec`.
    pub response_time_sec: Option<u64>,
    /// `response_time_nsec`.
    pub response_time_nsec: Option<u32>,
    /// `response_message` (DNS wire format).
    pub response_message: Option<&'a [u8]>,
}

enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, ProtoError> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = *self.buf.get(self.pos).ok_or(ProtoError::Truncated)?;
            self.pos += 1;
            v |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(ProtoError::VarintTooLong)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtoError> {
        let end = self.pos.checked_add(n).ok_or(ProtoError::Truncated)?;
        let s = self.buf.get(self.pos..end).ok_or(ProtoError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn field(&mut self) -> Result<Option<(u64, Value<'a>)>, ProtoError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let wt = (key & 7) as u8;
        let v = match wt {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| ProtoError::Truncated)?;
                Value::Bytes(self.take(n)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            w => return Err(ProtoError::WireType(w)),
        };
        Ok(Some((key >> 3, v)))
    }
}

/// Decodes a `Dnstap` frame.
pub fn decode(buf: &[u8]) -> Result<Dnstap<'_>, ProtoError> {
    let mut r = Reader { buf, pos: 0 };
    let mut d = Dnstap::default();
    let mut has_type = false;
    while let Some((tag, v)) = r.field()? {
        match (tag, v) {
            (1, Value::Bytes(b)) => d.identity = Some(b),
            (2, Value::Bytes(b)) => d.version = Some(b),
            (14, Value::Bytes(b)) => d.message = Some(decode_message(b)?),
            (15, Value::Varint(t)) => {
                d.kind = t;
                has_type = true;
            }
            (1 | 2 | 14 | 15, _) => {
                return Err(ProtoError::Invalid("dnstap field has wrong wire type"))
            }
            _ => {}
        }
    }
    if !has_type {
        return Err(ProtoError::Invalid("dnstap frame without type"));
    }
    Ok(d)
}

fn decode_message(buf: &[u8]) -> Result<Message<'_>, ProtoError> {
    let mut r = Reader { buf, pos: 0 };
    let mut m = Message::default();
    let mut has_type = false;
    while let Some((tag, v)) = r.field()? {
        match (tag, v) {
            (1, Value::Varint(t)) => {
                m.kind = t;
                has_type = true;
            }
            (2, Value::Varint(x)) => m.socket_family = Some(x),
            (3, Value::Varint(x)) => m.socket_protocol = Some(x),
            (4, Value::Bytes(b)) => m.query_address = Some(b),
            (5, Value::Bytes(b)) => m.response_address = Some(b),
            (6, Value::Varint(x)) => m.query_port = Some(x),
            (7, Value::Varint(x)) => m.response_port = Some(x),
            (8, Value::Varint(x)) => m.query_time_sec = Some(x),
            (9, Value::Fixed32(x)) => m.query_time_nsec = Some(x),
            (10, Value::Bytes(b)) => m.query_message = Some(b),
            (11, Value::Bytes(b)) => m.query_zone = Some(b),
            (12, Value::Varint(x)) => m.response_time_sec = Some(x),
            (13, Value::Fixed32(x)) => m.response_time_nsec = Some(x),
            (14, Value::Bytes(b)) => m.response_message = Some(b),
            (1..=14, _) => return Err(ProtoError::Invalid("message field has wrong wire type")),
            _ => {}
        }
    }
    if !has_type {
        return Err(ProtoError::Invalid("message without type"));
    }
    Ok(m)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_key(out: &mut Vec<u8>, tag: u64, wt: u64) {
    put_varint(out, (tag << 3) | wt);
}

fn put_bytes(out: &mut Vec<u8>, tag: u64, b: &[u8]) {
    put_key(out, tag, 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_fixed32(out: &mut Vec<u8>, tag: u64, v: u32) {
    put_key(out, tag, 5);
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_uint(out: &mut Vec<u8>, tag: u64, v: u64) {
    put_key(out, tag, 0);
    put_varint(out, v);
}

/// Encodes a `Message` (fields in tag order, as protobuf encoders do).
pub fn encode_message(m: &Message<'_>, out: &mut Vec<u8>) {
    put_uint(out, 1, m.kind);
    if let Some(x) = m.socket_family {
        put_uint(out, 2, x);
    }
    if let Some(x) = m.socket_protocol {
        put_uint(out, 3, x);
    }
    if let Some(b) = m.query_address {
        put_bytes(out, 4, b);
    }
    if let Some(b) = m.response_address {
        put_bytes(out, 5, b);
    }
    if let Some(x) = m.query_port {
        put_uint(out, 6, x);
    }
    if let Some(x) = m.response_port {
        put_uint(out, 7, x);
    }
    if let Some(x) = m.query_time_sec {
        put_uint(out, 8, x);
    }
    if let Some(x) = m.query_time_nsec {
        put_fixed32(out, 9, x);
    }
    if let Some(b) = m.query_message {
        put_bytes(out, 10, b);
    }
    if let Some(b) = m.query_zone {
        put_bytes(out, 11, b);
    }
    if let Some(x) = m.response_time_sec {
        put_uint(out, 12, x);
    }
    if let Some(x) = m.response_time_nsec {
        put_fixed32(out, 13, x);
    }
    if let Some(b) = m.response_message {
        put_bytes(out, 14, b);
    }
}

/// Encodes a `Dnstap` frame payload into `out` (cleared first).
pub fn encode(d: &Dnstap<'_>, out: &mut Vec<u8>) {
    out.clear();
    if let Some(b) = d.identity {
        put_bytes(out, 1, b);
    }
    if let Some(b) = d.version {
        put_bytes(out, 2, b);
    }
    if let Some(m) = &d.message {
        let mut inner = Vec::with_capacity(128);
        encode_message(m, &mut inner);
        put_bytes(out, 14, &inner);
    }
    put_uint(out, 15, d.kind);
}
