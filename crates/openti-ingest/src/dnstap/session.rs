//! The receiving side of a Frame Streams connection, without I/O ("sans-IO"): feed it the bytes
//! that arrive, write back the bytes it returns. Used by the live dnstap listener
//! (`openti collect dnstap`) over Unix sockets and TCP.
//!
//! Bidirectional: READY (with our content type) → we answer ACCEPT; START; data frames; STOP →
//! we answer FINISH and the session is over. A sender that starts with START is served
//! unidirectionally (no replies). A frame that does not decode as dnstap is counted and
//! skipped; a broken framing (oversized or garbled control frame, wrong content type) ends the
//! session with an error.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::framestream::{
    decode_frame, encode_control, Control, ControlType, Frame, FrameError, DEFAULT_MAX_FRAME,
    DNSTAP_CONTENT_TYPE,
};
use crate::dns::{scan_answers, Aggregator, ScannedAnswers, Verdict};

/// Counters of the live collector (over all connections).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LiveStats {
    /// Connections accepted.
    pub connections: u64,
    /// Connections that ended with a protocol error.
    pub connection_errors: u64,
    /// Data frames.
    pub frames: u64,
    /// Frames that did not decode as dnstap.
    pub bad_frames: u64,
    /// DNS messages that did not parse.
    pub malformed_messages: u64,
    /// Response messages seen.
    pub responses: u64,
    /// NOERROR responses.
    pub noerror: u64,
    /// Answers aggregated.
    pub answers: u64,
    /// Facts written to the store.
    pub facts_written: u64,
    /// Facts that did not normalise.
    pub unnormalizable: u64,
    /// Windows flushed.
    pub flushes: u64,
}

/// What the collector aggregates into: the window's facts and the counters.
#[derive(Debug, Default)]
pub struct Live {
    /// Facts of the current window.
    pub agg: Aggregator,
    /// Counters.
    pub stats: LiveStats,
    answers: ScannedAnswers,
}

impl Live {
    /// An empty collector state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles one dnstap data frame; `now` times frames that carry no time.
    pub fn frame(&mut self, payload: &[u8], now: DateTime<Utc>) {
        self.stats.frames += 1;
        let r = match super::response_of(payload) {
            Err(_) => {
                self.stats.bad_frames += 1;
                return;
            }
            Ok(None) => return,
            Ok(Some(r)) => r,
        };
        self.stats.responses += 1;
        match scan_answers(r.wire, &mut self.answers) {
            Err(_) => {
                self.stats.malformed_messages += 1;
                return;
            }
            Ok(Verdict::NoError) => self.stats.noerror += 1,
            Ok(_) => {}
        }
        let time = r.time.unwrap_or(now);
        for (name, rtype, value) in self.answers.iter() {
            self.stats.answers += 1;
            self.agg.add_parts(name, rtype, value, time, 1);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing received yet.
    Idle,
    /// READY answered with ACCEPT; waiting for START.
    Accepted,
    /// START received.
    Started,
    /// STOP received (and FINISH sent if bidirectional).
    Done,
}

/// One connection's receiving state.
#[derive(Debug)]
pub struct Session {
    buf: Vec<u8>,
    state: State,
    bidirectional: bool,
    max_frame: usize,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// A new connection.
    pub fn new() -> Self {
        Session {
            buf: Vec::new(),
            state: State::Idle,
            bidirectional: false,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }

    /// Whether the sender finished (STOP received).
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Whether bytes of an incomplete frame are pending.
    pub fn has_partial_frame(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Feeds received bytes; data frames go to `live`; returns the bytes to send back.
    pub fn feed(
        &mut self,
        data: &[u8],
        live: &mut Live,
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, FrameError> {
        self.buf.extend_from_slice(data);
        let mut reply = Vec::new();
        let mut at = 0;
        while self.state != State::Done {
            let Some((frame, n)) = decode_frame(&self.buf[at..], self.max_frame)? else {
                break;
            };
            at += n;
            match frame {
                Frame::Data(payload) => {
                    if self.state != State::Started {
                        return Err(FrameError::Protocol("data frame before START".into()));
                    }
                    live.frame(&payload, now);
                }
                Frame::Control(c) => self.control(c, &mut reply)?,
            }
        }
        self.buf.drain(..at);
        Ok(reply)
    }

    fn control(&mut self, c: Control, reply: &mut Vec<u8>) -> Result<(), FrameError> {
        let proto = |m: &str| Err(FrameError::Protocol(m.to_string()));
        match (self.state, c.kind) {
            (State::Idle, ControlType::Ready) => {
                if !c.offers(DNSTAP_CONTENT_TYPE) {
                    return proto("READY does not offer protobuf:dnstap.Dnstap");
                }
                reply.extend(encode_control(&Control::new(
                    ControlType::Accept,
                    Some(DNSTAP_CONTENT_TYPE),
                )));
                self.bidirectional = true;
                self.state = State::Accepted;
            }
            (State::Idle | State::Accepted, ControlType::Start) => {
                if !c.offers(DNSTAP_CONTENT_TYPE) {
                    return proto("START content type is not protobuf:dnstap.Dnstap");
                }
                self.state = State::Started;
            }
            (State::Started, ControlType::Stop) => {
                if self.bidirectional {
                    reply.extend(encode_control(&Control::new(ControlType::Finish, None)));
                }
                self.state = State::Done;
            }
            (s, k) => {
                return Err(FrameError::Protocol(format!(
                    "unexpected {k:?} control frame in state {s:?}"
                )))
            }
        }
        Ok(())
    }
}
