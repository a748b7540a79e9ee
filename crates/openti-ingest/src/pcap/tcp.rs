//! TCP stream reassembly for DNS over TCP (RFC 7766: each message prefixed by a u16 length).
//!
//! Per flow (source → destination), bytes are put in sequence order: a SYN fixes the initial
//! sequence number (otherwise the first segment seen does), retransmitted bytes are dropped,
//! segments that arrive early wait (bounded) until the gap is filled, and complete messages are
//! cut from the front of the stream. FIN or RST ends the flow. Memory is bounded per flow and in
//! the number of flows.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use chrono::{DateTime, Utc};

/// Most flows tracked at once (the oldest-started are dropped beyond this).
pub const MAX_FLOWS: usize = 16_384;
/// Most buffered octets per flow (in order plus early segments).
pub const MAX_FLOW_BYTES: usize = 256 * 1024;

/// Flow key: source and destination.
pub type FlowKey = ((IpAddr, u16), (IpAddr, u16));

#[derive(Debug, Default)]
struct Flow {
    next_seq: Option<u32>,
    data: Vec<u8>,
    early: BTreeMap<u32, Vec<u8>>,
    early_bytes: usize,
    serial: u64,
}

/// Counters of the reassembler.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TcpStats {
    /// Segments with payload.
    pub segments: u64,
    /// Segments that arrived before a gap was filled.
    pub out_of_order: u64,
    /// Segments (or parts) already seen.
    pub retransmitted: u64,
    /// Messages cut from streams.
    pub messages: u64,
    /// Flows dropped because a buffer limit was hit.
    pub overflows: u64,
}

/// The reassembler.
#[derive(Debug, Default)]
pub struct Reassembler {
    flows: HashMap<FlowKey, Flow>,
    serial: u64,
    /// Counters.
    pub stats: TcpStats,
}

impl Reassembler {
    /// An empty reassembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Flows currently tracked.
    pub fn flows(&self) -> usize {
        self.flows.len()
    }

    /// Feeds one segment; complete messages go to `sink`.
    pub fn segment(
        &mut self,
        key: FlowKey,
        seq: u32,
        flags: u8,
        payload: &[u8],
        time: DateTime<Utc>,
        sink: &mut dyn FnMut(DateTime<Utc>, &[u8]),
    ) {
        const FIN: u8 = 0x01;
        const SYN: u8 = 0x02;
        const RST: u8 = 0x04;
        if flags & RST != 0 {
            self.flows.remove(&key);
            return;
        }
        if !self.flows.contains_key(&key) && self.flows.len() >= MAX_FLOWS {
            if let Some(oldest) = self
                .flows
                .iter()
                .min_by_key(|(_, f)| f.serial)
                .map(|(k, _)| *k)
            {
                self.flows.remove(&oldest);
                self.stats.overflows += 1;
            }
        }
        self.serial += 1;
        let serial = self.serial;
        let flow = self.flows.entry(key).or_insert_with(|| Flow {
            serial,
            ..Flow::default()
        });
        let mut seq = seq;
        if flags & SYN != 0 {
            *flow = Flow {
                serial,
                next_seq: Some(seq.wrapping_add(1)),
                ..Flow::default()
            };
            seq = seq.wrapping_add(1);
        }
        if !payload.is_empty() {
            self.stats.segments += 1;
            let next = *flow.next_seq.get_or_insert(seq);
            let ahead = seq.wrapping_sub(next) as i32;
            if ahead > 0 {
                self.stats.out_of_order += 1;
                flow.early_bytes += payload.len();
                flow.early.insert(seq, payload.to_vec());
            } else {
                let skip = ahead.unsigned_abs() as usize;
                if skip > 0 {
                    self.stats.retransmitted += 1;
                }
                if skip < payload.len() {
                    flow.data.extend_from_slice(&payload[skip..]);
                    flow.next_seq = Some(next.wrapping_add((payload.len() - skip) as u32));
                }
                // fill from early segments that now fit
                while let Some((&s, _)) = flow.early.iter().next() {
                    let next = flow.next_seq.unwrap_or(s);
                    let ahead = s.wrapping_sub(next) as i32;
                    if ahead > 0 {
                        break;
                    }
                    let Some(p) = flow.early.remove(&s) else {
                        break;
                    };
                    flow.early_bytes -= p.len();
                    let skip = ahead.unsigned_abs() as usize;
                    if skip < p.len() {
                        flow.data.extend_from_slice(&p[skip..]);
                        flow.next_seq = Some(next.wrapping_add((p.len() - skip) as u32));
                    } else {
                        self.stats.retransmitted += 1;
                    }
                }
            }
            // cut complete messages
            let mut at = 0;
            while flow.data.len() - at >= 2 {
                let len = usize::from(u16::from_be_bytes([flow.data[at], flow.data[at + 1]]));
                if flow.data.len() - at - 2 < len {
                    break;
                }
                sink(time, &flow.data[at + 2..at + 2 + len]);
                self.stats.messages += 1;
                at += 2 + len;
            }
            flow.data.drain(..at);
            if flow.data.len() + flow.early_bytes > MAX_FLOW_BYTES {
                self.stats.overflows += 1;
                self.flows.remove(&key);
                return;
            }
        }
        if flags & FIN != 0 {
            self.flows.remove(&key);
        }
    }
}
