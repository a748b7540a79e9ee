//! pcap and pcapng captures → DNS messages.
//!
//! [`container`] reads the capture formats, [`layers`] decodes link, IP and transport headers,
//! [`tcp`] reassembles DNS over TCP, and [`write`] builds captures byte-exactly (tests, seeds).
//! [`PcapFile`] is the [`MessageSource`]: DNS over UDP where either port is a DNS port, and DNS
//! over TCP **from** a DNS port (responses; queries carry no answers). Truncated and malformed
//! packets are counted and skipped; a broken container stops the read, keeping what came before.

pub mod container;
pub mod layers;
pub mod tcp;
pub mod write;

#[cfg(test)]
mod tests;

use std::io::Read;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::dns::driver::{MessageSource, UnitInfo, UnitStatus};
use container::{CaptureError, CaptureReader};
use layers::{Segment, Skip};

/// Counters specific to a capture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PcapStats {
    /// `pcap` or `pcapng`.
    pub format: String,
    /// Packets read.
    pub packets: u64,
    /// Packets shorter than their headers (or snapped before the end of the DNS message).
    pub truncated: u64,
    /// Packets with impossible header fields.
    pub malformed: u64,
    /// Packets of link types this reader does not decode.
    pub unsupported_link: u64,
    /// Non-IP packets.
    pub not_ip: u64,
    /// IP packets that are neither UDP nor TCP.
    pub other_protocol: u64,
    /// IP fragments (not reassembled).
    pub fragments: u64,
    /// UDP or TCP packets not on a DNS port.
    pub not_dns: u64,
    /// DNS messages over UDP.
    pub udp_messages: u64,
    /// TCP reassembly counters.
    pub tcp: tcp::TcpStats,
    /// Why reading stopped early, if it did.
    pub format_error: Option<String>,
}

/// A capture file as a source of DNS messages.
pub struct PcapFile<R> {
    reader: Option<CaptureReader<R>>,
    ports: Vec<u16>,
    buf: Vec<u8>,
    position: u64,
    last_time: DateTime<Utc>,
    tcp: tcp::Reassembler,
    stats: PcapStats,
}

impl<R: Read> PcapFile<R> {
    /// Opens a capture; `ports` are the DNS ports (usually `[53]`). Packets without a time are
    /// timed like the packet before them (or `fallback_time`).
    pub fn new(
        reader: R,
        ports: Vec<u16>,
        fallback_time: DateTime<Utc>,
    ) -> Result<Self, CaptureError> {
        let reader = CaptureReader::new(reader)?;
        let stats = PcapStats {
            format: reader.format_name().to_string(),
            ..PcapStats::default()
        };
        Ok(PcapFile {
            reader: Some(reader),
            ports,
            buf: Vec::with_capacity(2048),
            position: 0,
            last_time: fallback_time,
            tcp: tcp::Reassembler::new(),
            stats,
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> PcapStats {
        let mut s = self.stats.clone();
        s.tcp = self.tcp.stats.clone();
        s
    }
}

impl<R: Read> MessageSource for PcapFile<R> {
    fn next_unit(
        &mut self,
        sink: &mut dyn FnMut(DateTime<Utc>, &[u8]),
    ) -> Option<std::io::Result<UnitInfo>> {
        let reader = self.reader.as_mut()?;
        let meta = match reader.next_packet(&mut self.buf) {
            Ok(Some(m)) => m,
            Ok(None) => {
                self.reader = None;
                return None;
            }
            Err(CaptureError::Io(e)) => return Some(Err(e)),
            Err(CaptureError::Format(msg)) => {
                let consumed = reader.consumed();
                self.reader = None;
                self.position += 1;
                self.stats.format_error = Some(msg.clone());
                return Some(Ok(UnitInfo {
                    position: self.position,
                    consumed,
                    status: UnitStatus::Bad(format!("packet {}: {msg}", self.position)),
                }));
            }
        };
        let consumed = reader.consumed();
        self.position += 1;
        self.stats.packets += 1;
        let time = meta.time.unwrap_or(self.last_time);
        self.last_time = time;
        let snapped = (self.buf.len() as u64) < u64::from(meta.orig_len);
        let status = match layers::decode(meta.linktype, &self.buf) {
            Err(e) => {
                if matches!(e, layers::LayerError::Truncated(_)) {
                    self.stats.truncated += 1;
                } else {
                    self.stats.malformed += 1;
                }
                UnitStatus::Bad(format!("packet {}: {e}", self.position))
            }
            Ok(Segment::Skip(why)) => {
                match why {
                    Skip::UnsupportedLink => self.stats.unsupported_link += 1,
                    Skip::NotIp => self.stats.not_ip += 1,
                    Skip::OtherProtocol => self.stats.other_protocol += 1,
                    Skip::Fragment => self.stats.fragments += 1,
                }
                UnitStatus::Skipped
            }
            Ok(Segment::Udp { src, dst, payload }) => {
                if !self.ports.contains(&src.1) && !self.ports.contains(&dst.1) {
                    self.stats.not_dns += 1;
                    UnitStatus::Skipped
                } else if snapped {
                    self.stats.truncated += 1;
                    UnitStatus::Bad(format!(
                        "packet {}: truncated DNS message (snap length)",
                        self.position
                    ))
                } else {
                    self.stats.udp_messages += 1;
                    sink(time, payload);
                    UnitStatus::Read
                }
            }
            Ok(Segment::Tcp {
                src,
                dst,
                seq,
                flags,
                payload,
            }) => {
                if !self.ports.contains(&src.1) {
                    self.stats.not_dns += 1;
                    UnitStatus::Skipped
                } else if snapped {
                    self.stats.truncated += 1;
                    UnitStatus::Bad(format!(
                        "packet {}: truncated TCP segment (snap length)",
                        self.position
                    ))
                } else {
                    self.tcp
                        .segment((src, dst), seq, flags, payload, time, sink);
                    UnitStatus::Read
                }
            }
        };
        Some(Ok(UnitInfo {
            position: self.position,
            consumed,
            status,
        }))
    }
}
