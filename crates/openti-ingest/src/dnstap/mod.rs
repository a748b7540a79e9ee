//! dnstap: Frame Streams framing ([`framestream`]), the protobuf messages ([`proto`]) and a
//! [`MessageSource`](crate::dns::MessageSource) over dnstap files ([`DnstapFile`]).
//!
//! Every frame whose `Message` is a response (`*_RESPONSE`) with a `response_message`
//! contributes that DNS message, timed by `response_time` (else `query_time`, else the import
//! time). Query frames are skipped; frames that do not decode are counted as bad.

pub mod framestream;
pub mod proto;
pub mod session;

#[cfg(test)]
mod tests;

use std::io::Read;

use chrono::{DateTime, Utc};

use crate::dns::driver::{MessageSource, UnitInfo, UnitStatus};
use framestream::{FrameError, FrameKind, FrameReader, DEFAULT_MAX_FRAME, DNSTAP_CONTENT_TYPE};

/// The time type used by readers (UTC).
pub type Time = DateTime<Utc>;

/// The current time (for frames that carry none).
pub fn now() -> Time {
    Utc::now()
}

/// A time from Unix seconds (clamped to the representable range; for callers without chrono).
pub fn unix_time(secs: i64) -> Time {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// The DNS response carried by a dnstap frame, with its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// Response time (else query time), if the frame carries one.
    pub time: Option<DateTime<Utc>>,
    /// DNS wire-format message.
    pub wire: &'a [u8],
}

/// Decodes a dnstap data frame: `Ok(Some(_))` for a response frame, `Ok(None)` for frames that
/// carry no response (queries, non-MESSAGE types), `Err` for frames that do not decode.
pub fn response_of(frame: &[u8]) -> Result<Option<Response<'_>>, proto::ProtoError> {
    let d = proto::decode(frame)?;
    if d.kind != proto::DNSTAP_TYPE_MESSAGE {
        return Ok(None);
    }
    let Some(m) = d.message else {
        return Ok(None);
    };
    // Response types are the even ones (AUTH_RESPONSE = 2 … UPDATE_RESPONSE = 14).
    if m.kind == 0 || m.kind % 2 != 0 {
        return Ok(None);
    }
    let Some(wire) = m.response_message else {
        return Ok(None);
    };
    let time = match (m.response_time_sec, m.query_time_sec) {
        (Some(s), _) => timestamp(s, m.response_time_nsec),
        (None, Some(s)) => timestamp(s, m.query_time_nsec),
        (None, None) => None,
    };
    Ok(Some(Response { time, wire }))
}

fn timestamp(sec: u64, nsec: Option<u32>) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(i64::try_from(sec).ok()?, nsec.unwrap_or(0).min(999_999_999))
}

/// Counters specific to a dnstap input.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DnstapStats {
    /// Data frames read.
    pub data_frames: u64,
    /// Control frames read.
    pub control_frames: u64,
    /// Frames whose protobuf did not decode.
    pub bad_frames: u64,
    /// Frames without a response message (queries and others).
    pub non_response_frames: u64,
    /// Whether the input ended inside a frame, or had a bad content type (then reading stops
    /// early; everything before is kept).
    pub framing_error: Option<String>,
}

/// A dnstap file (unidirectional Frame Streams: START, data frames, STOP).
pub struct DnstapFile<R> {
    frames: FrameReader<R>,
    buf: Vec<u8>,
    position: u64,
    fallback_time: DateTime<Utc>,
    stats: DnstapStats,
    stopped: bool,
}

impl<R: Read> DnstapFile<R> {
    /// Reads frames from `reader`; frames without a time are timed `fallback_time`.
    pub fn new(reader: R, fallback_time: DateTime<Utc>) -> Self {
        DnstapFile {
            frames: FrameReader::new(reader, DEFAULT_MAX_FRAME),
            buf: Vec::with_capacity(4096),
            position: 0,
            fallback_time,
            stats: DnstapStats::default(),
            stopped: false,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &DnstapStats {
        &self.stats
    }
}

impl<R: Read> MessageSource for DnstapFile<R> {
    fn next_unit(
        &mut self,
        sink: &mut dyn FnMut(DateTime<Utc>, &[u8]),
    ) -> Option<std::io::Result<UnitInfo>> {
        loop {
            if self.stopped {
                return None;
            }
            let kind = match self.frames.read_into(&mut self.buf) {
                Ok(None) => return None,
                Ok(Some(k)) => k,
                Err(FrameError::Io(e)) => return Some(Err(e)),
                Err(e) => {
                    // The framing is lost: nothing after this point can be trusted.
                    self.stats.framing_error = Some(e.to_string());
                    self.stopped = true;
                    self.position += 1;
                    return Some(Ok(UnitInfo {
                        position: self.position,
                        consumed: self.frames.consumed(),
                        status: UnitStatus::Bad(format!("frame {}: {e}", self.position)),
                    }));
                }
            };
            self.position += 1;
            let consumed = self.frames.consumed();
            match kind {
                FrameKind::Control(c) => {
                    self.stats.control_frames += 1;
                    use framestream::ControlType::*;
                    match c.kind {
                        Start if !c.offers(DNSTAP_CONTENT_TYPE) => {
                            let msg = "content type is not protobuf:dnstap.Dnstap".to_string();
                            self.stats.framing_error = Some(msg.clone());
                            self.stopped = true;
                            return Some(Ok(UnitInfo {
                                position: self.position,
                                consumed,
                                status: UnitStatus::Bad(msg),
                            }));
                        }
                        Stop => self.stopped = true,
                        _ => {}
                    }
                    continue;
                }
                FrameKind::Data => {
                    self.stats.data_frames += 1;
                    let status = match response_of(&self.buf) {
                        Err(e) => {
                            self.stats.bad_frames += 1;
                            UnitStatus::Bad(format!(
                                "frame {}: bad dnstap protobuf: {e}",
                                self.position
                            ))
                        }
                        Ok(None) => {
                            self.stats.non_response_frames += 1;
                            UnitStatus::Skipped
                        }
                        Ok(Some(r)) => {
                            sink(r.time.unwrap_or(self.fallback_time), r.wire);
                            UnitStatus::Read
                        }
                    };
                    return Some(Ok(UnitInfo {
                        position: self.position,
                        consumed,
                        status,
                    }));
                }
            }
        }
    }
}

/// Encodes a `CLIENT_RESPONSE` dnstap frame payload for a DNS response (for tests, benchmarks
/// and the generator): UDP over IPv4 from 127.0.0.1 to `client` port `port`.
pub fn client_response_frame(
    identity: Option<&[u8]>,
    wire: &[u8],
    time: DateTime<Utc>,
    client: [u8; 4],
    port: u16,
    out: &mut Vec<u8>,
) {
    let m = proto::Message {
        kind: proto::message_type::CLIENT_RESPONSE,
        socket_family: Some(1),
        socket_protocol: Some(1),
        query_address: Some(&client),
        response_address: Some(&[127, 0, 0, 1]),
        query_port: Some(u64::from(port)),
        response_port: Some(53),
        response_time_sec: Some(time.timestamp().max(0) as u64),
        response_time_nsec: Some(time.timestamp_subsec_nanos()),
        response_message: Some(wire),
        ..Default::default()
    };
    let d = proto::Dnstap {
        identity,
        version: Some(b"openti"),
        kind: proto::DNSTAP_TYPE_MESSAGE,
        message: Some(m),
    };
    proto::encode(&d, out);
}
