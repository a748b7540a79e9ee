//! Frame Streams: the length-prefixed framing dnstap travels in.
//!
//! A data frame is a big-endian u32 length (non-zero) and that many octets. A control frame is
//! an escape (u32 zero), a u32 length (at most [`MAX_CONTROL_LEN`]), a u32 control type and
//! fields (u32 field type, u32 length, payload; only CONTENT_TYPE = 1 is defined).
//!
//! * Unidirectional (files, one-way sockets): START, data frames, STOP.
//! * Bidirectional (sockets): the sender sends READY with the content types it can produce, the
//!   receiver answers ACCEPT with the one it takes, the sender sends START, data frames, STOP,
//!   and the receiver answers FINISH.
//!
//! [`decode_frame`] works on a byte slice (for fuzzing and buffered readers), [`FrameReader`]
//! on any [`Read`]; [`Sender`] is a blocking bidirectional sender (tests, benchmarks).

use std::io::{Read, Write};

/// The dnstap content type.
pub const DNSTAP_CONTENT_TYPE: &[u8] = b"protobuf:dnstap.Dnstap";
/// Largest control frame payload accepted.
pub const MAX_CONTROL_LEN: usize = 512;
/// Largest data frame accepted by default (dnstap frames carry at most two 64 KiB messages).
pub const DEFAULT_MAX_FRAME: usize = 1 << 20;
/// The CONTENT_TYPE control field.
pub const FIELD_CONTENT_TYPE: u32 = 1;

/// Control frame types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlType {
    /// ACCEPT (receiver → sender).
    Accept,
    /// START.
    Start,
    /// STOP.
    Stop,
    /// READY (sender → receiver).
    Ready,
    /// FINISH (receiver → sender).
    Finish,
}

impl ControlType {
    /// Wire value.
    pub fn code(self) -> u32 {
        match self {
            ControlType::Accept => 1,
            ControlType::Start => 2,
            ControlType::Stop => 3,
            ControlType::Ready => 4,
            ControlType::Finish => 5,
        }
    }
    /// From a wire value.
    pub fn from_code(c: u32) -> Option<Self> {
        Some(match c {
            1 => ControlType::Accept,
            2 => ControlType::Start,
            3 => ControlType::Stop,
            4 => ControlType::Ready,
            5 => ControlType::Finish,
            _ => return None,
        })
    }
}

/// A control frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    /// Its type.
    pub kind: ControlType,
    /// CONTENT_TYPE fields, in order.
    pub content_types: Vec<Vec<u8>>,
}

impl Control {
    /// A control frame with one content type (or none).
    pub fn new(kind: ControlType, content_type: Option<&[u8]>) -> Self {
        Control {
            kind,
            content_types: content_type.map(|c| vec![c.to_vec()]).unwrap_or_default(),
        }
    }
    /// Whether it names `ct` (a control without content types matches any).
    pub fn offers(&self, ct: &[u8]) -> bool {
        self.content_types.is_empty() || self.content_types.iter().any(|c| c == ct)
    }
}

/// A frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A data frame's payload.
    Data(Vec<u8>),
    /// A control frame.
    Control(Control),
}

/// Framing errors.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The underlying reader or writer failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The input ended inside a frame.
    #[error("input ends inside a frame")]
    Truncated,
    /// A frame is larger than allowed.
    #[error("frame of {0} octets is larger than allowed")]
    TooLarge(usize),
    /// A control frame is malformed.
    #[error("malformed control frame: {0}")]
    BadControl(&'static str),
    /// The peer broke the handshake protocol.
    #[error("protocol: {0}")]
    Protocol(String),
}

/// Decodes a control frame's payload (type and fields, after the escape and length).
pub fn decode_control(payload: &[u8]) -> Result<Control, FrameError> {
    if payload.len() > MAX_CONTROL_LEN {
        return Err(FrameError::BadControl("longer than 512 octets"));
    }
    let u32_at = |p: usize| -> Option<u32> {
        let b = payload.get(p..p + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let code = u32_at(0).ok_or(FrameError::BadControl("no control type"))?;
    let kind = ControlType::from_code(code).ok_or(FrameError::BadControl("unknown type"))?;
    let mut content_types = Vec::new();
    let mut p = 4;
    while p < payload.len() {
        let field = u32_at(p).ok_or(FrameError::BadControl("truncated field"))?;
        let len = u32_at(p + 4).ok_or(FrameError::BadControl("truncated field"))? as usize;
        let value = payload
            .get(p + 8..p + 8 + len)
            .ok_or(FrameError::BadControl("field longer than frame"))?;
        if field == FIELD_CONTENT_TYPE {
            if matches!(kind, ControlType::Stop | ControlType::Finish) {
                return Err(FrameError::BadControl("content type on STOP/FINISH"));
            }
            content_types.push(value.to_vec());
        }
        p += 8 + len;
    }
    if kind == ControlType::Start && content_types.len() > 1 {
        return Err(FrameError::BadControl("START with several content types"));
    }
    Ok(Control {
        kind,
        content_types,
    })
}

/// Encodes a control frame, escape and length included.
pub fn encode_control(c: &Control) -> Vec<u8> {
    let body: usize = 4 + c.content_types.iter().map(|t| 8 + t.len()).sum::<usize>();
    let mut out = Vec::with_capacity(8 + body);
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&(body as u32).to_be_bytes());
    out.extend_from_slice(&c.kind.code().to_be_bytes());
    for t in &c.content_types {
        out.extend_from_slice(&FIELD_CONTENT_TYPE.to_be_bytes());
        out.extend_from_slice(&(t.len() as u32).to_be_bytes());
        out.extend_from_slice(t);
    }
    out
}

/// Appends a data frame (length prefix and payload) to `out`.
pub fn encode_data(payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
}

/// Decodes the frame at the start of `buf`: `Ok(None)` if `buf` holds only part of a frame,
/// otherwise the frame and the octets it took.
pub fn decode_frame(buf: &[u8], max_frame: usize) -> Result<Option<(Frame, usize)>, FrameError> {
    let Some(len) = buf.get(0..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if len != 0 {
        if len > max_frame {
            return Err(FrameError::TooLarge(len));
        }
        return Ok(buf
            .get(4..4 + len)
            .map(|p| (Frame::Data(p.to_vec()), 4 + len)));
    }
    let Some(clen) = buf.get(4..8) else {
        return Ok(None);
    };
    let clen = u32::from_be_bytes([clen[0], clen[1], clen[2], clen[3]]) as usize;
    if clen > MAX_CONTROL_LEN {
        return Err(FrameError::TooLarge(clen));
    }
    match buf.get(8..8 + clen) {
        None => Ok(None),
        Some(p) => Ok(Some((Frame::Control(decode_control(p)?), 8 + clen))),
    }
}

/// Reads frames from a byte stream.
pub struct FrameReader<R> {
    reader: R,
    max_frame: usize,
    consumed: u64,
}

impl<R: Read> FrameReader<R> {
    /// A reader accepting data frames up to `max_frame` octets.
    pub fn new(reader: R, max_frame: usize) -> Self {
        FrameReader {
            reader,
            max_frame,
            consumed: 0,
        }
    }

    /// Octets consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The next frame into `buf` (data payloads are stored in `buf`, which is reused);
    /// `Ok(None)` at a clean end of input between frames.
    pub fn read_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<FrameKind>, FrameError> {
        let mut len = [0u8; 4];
        match read_full(&mut self.reader, &mut len)? {
            0 => return Ok(None),
            4 => {}
            _ => return Err(FrameError::Truncated),
        }
        let len = u32::from_be_bytes(len) as usize;
        let (payload_len, control) = if len == 0 {
            let mut clen = [0u8; 4];
            if read_full(&mut self.reader, &mut clen)? != 4 {
                return Err(FrameError::Truncated);
            }
            let clen = u32::from_be_bytes(clen) as usize;
            if clen > MAX_CONTROL_LEN {
                return Err(FrameError::TooLarge(clen));
            }
            (clen, true)
        } else {
            if len > self.max_frame {
                return Err(FrameError::TooLarge(len));
            }
            (len, false)
        };
        buf.clear();
        buf.resize(payload_len, 0);
        if read_full(&mut self.reader, buf)? != payload_len {
            return Err(FrameError::Truncated);
        }
        self.consumed += (4 + payload_len + if control { 4 } else { 0 }) as u64;
        if control {
            Ok(Some(FrameKind::Control(decode_control(buf)?)))
        } else {
            Ok(Some(FrameKind::Data))
        }
    }

    /// The next frame, allocated.
    pub fn read_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        let mut buf = Vec::new();
        Ok(match self.read_into(&mut buf)? {
            None => None,
            Some(FrameKind::Data) => Some(Frame::Data(buf)),
            Some(FrameKind::Control(c)) => Some(Frame::Control(c)),
        })
    }

    /// The inner reader.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

/// What [`FrameReader::read_into`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameKind {
    /// A data frame; its payload is in the buffer.
    Data,
    /// A control frame.
    Control(Control),
}

/// Reads until `buf` is full or the input ends; returns the octets read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A blocking Frame Streams sender over a bidirectional stream (READY/ACCEPT/START … STOP/
/// FINISH), or a unidirectional writer (files) with [`Sender::unidirectional`].
pub struct Sender<S: Read + Write> {
    stream: S,
    content_type: Vec<u8>,
    bidirectional: bool,
    buf: Vec<u8>,
}

impl<S: Read + Write> Sender<S> {
    /// Performs the bidirectional handshake (READY → ACCEPT → START).
    pub fn connect(mut stream: S, content_type: &[u8]) -> Result<Self, FrameError> {
        stream.write_all(&encode_control(&Control::new(
            ControlType::Ready,
            Some(content_type),
        )))?;
        stream.flush()?;
        let mut r = FrameReader::new(&mut stream, MAX_CONTROL_LEN);
        match r.read_frame()? {
            Some(Frame::Control(c)) if c.kind == ControlType::Accept => {
                if !c.offers(content_type) {
                    return Err(FrameError::Protocol(
                        "ACCEPT without our content type".into(),
                    ));
                }
            }
            other => {
                return Err(FrameError::Protocol(format!(
                    "expected ACCEPT, got {other:?}"
                )))
            }
        }
        Self::start(stream, content_type, true)
    }

    /// Writes START without a handshake (files, one-way sockets).
    pub fn unidirectional(stream: S, content_type: &[u8]) -> Result<Self, FrameError> {
        Self::start(stream, content_type, false)
    }

    fn start(mut stream: S, content_type: &[u8], bidirectional: bool) -> Result<Self, FrameError> {
        stream.write_all(&encode_control(&Control::new(
            ControlType::Start,
            Some(content_type),
        )))?;
        Ok(Sender {
            stream,
            content_type: content_type.to_vec(),
            bidirectional,
            buf: Vec::new(),
        })
    }

    /// The content type agreed on.
    pub fn content_type(&self) -> &[u8] {
        &self.content_type
    }

    /// Writes one data frame.
    pub fn send(&mut self, payload: &[u8]) -> Result<(), FrameError> {
        if payload.is_empty() {
            return Err(FrameError::Protocol("empty data frame".into()));
        }
        self.buf.clear();
        encode_data(payload, &mut self.buf);
        self.stream.write_all(&self.buf)?;
        Ok(())
    }

    /// Writes STOP and, bidirectionally, waits for FINISH; returns the stream.
    pub fn finish(mut self) -> Result<S, FrameError> {
        self.stream
            .write_all(&encode_control(&Control::new(ControlType::Stop, None)))?;
        self.stream.flush()?;
        if self.bidirectional {
            let mut r = FrameReader::new(&mut self.stream, MAX_CONTROL_LEN);
            match r.read_frame()? {
                Some(Frame::Control(c)) if c.kind == ControlType::Finish => {}
                other => {
                    return Err(FrameError::Protocol(format!(
                        "expected FINISH, got {other:?}"
                    )))
                }
            }
        }
        Ok(self.stream)
    }
}
