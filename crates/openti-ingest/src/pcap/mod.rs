//! pcap and pcapng captures → DNS messages.
//!
//! [`container`] reads the capture formats, [`layers`] decodes link, IP and transport headers,
//! [`defrag`] reassembles IPv4 and IPv6 fragments, [`tcp`] reassembles DNS over TCP, and
//! [`write`](mod@write) builds captures byte-exactly (tests, seeds). [`PcapFile`] is the
//! [`MessageSource`]: DNS over UDP where either port is a DNS port, and DNS over TCP **from** a
//! DNS port (responses; queries carry no answers), whether the IP datagram came whole or in
//! fragments. Truncated and malformed packets are counted and skipped; a broken container stops
//! the read, keeping what came before.

pub mod container;
pub mod defrag;
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
    /// IP fragments seen (IPv4 with More Fragments or an offset, IPv6 with a Fragment header that
    /// is not atomic); reassembled datagrams go on like unfragmented packets.
    pub fragments: u64,
    /// Fragment reassembly counters.
    pub defrag: defrag::DefragStats,
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
    defrag: defrag::Defragmenter,
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
            defrag: defrag::Defragmenter::new(),
            stats,
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> PcapStats {
        let mut s = self.stats.clone();
        s.tcp = self.tcp.stats.clone();
        s.defrag = self.defrag.stats.clone();
        s
    }

    /// Counts a decoding error; the unit's status.
    fn bad_layer(&mut self, e: layers::LayerError) -> UnitStatus {
        if matches!(e, layers::LayerError::Truncated(_)) {
            self.stats.truncated += 1;
        } else {
            self.stats.malformed += 1;
        }
        UnitStatus::Bad(format!("packet {}: {e}", self.position))
    }

    /// A decoded packet (or reassembled datagram): DNS messages go to `sink`.
    fn segment(
        &mut self,
        seg: Segment<'_>,
        snapped: bool,
        time: DateTime<Utc>,
        sink: &mut dyn FnMut(DateTime<Utc>, &[u8]),
    ) -> UnitStatus {
        match seg {
            Segment::Skip(why) => {
                match why {
                    Skip::UnsupportedLink => self.stats.unsupported_link += 1,
                    Skip::NotIp => self.stats.not_ip += 1,
                    Skip::OtherProtocol => self.stats.other_protocol += 1,
                }
                UnitStatus::Skipped
            }
            Segment::Fragment(f) => {
                self.stats.fragments += 1;
                if snapped {
                    self.stats.truncated += 1;
                    return UnitStatus::Bad(format!(
                        "packet {}: truncated IP fragment (snap length)",
                        self.position
                    ));
                }
                match self.defrag.push(&f, time) {
                    Ok(None) => UnitStatus::Read,
                    Ok(Some(d)) => match layers::reassembled(&d) {
                        // a fragment again cannot come out of a reassembled datagram
                        Ok(Segment::Fragment(_)) => self
                            .bad_layer(layers::LayerError::Malformed("IP fragment in a fragment")),
                        Ok(seg) => self.segment(seg, false, time, sink),
                        Err(e) => self.bad_layer(e),
                    },
                    Err(why) => UnitStatus::Bad(format!("packet {}: {why}", self.position)),
                }
            }
            Segment::Udp { src, dst, payload } => {
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
            Segment::Tcp {
                src,
                dst,
                seq,
                flags,
                payload,
            } => {
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
        }
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
                self.defrag.finish();
                return None;
            }
            Err(CaptureError::Io(e)) => return Some(Err(e)),
            Err(CaptureError::Format(msg)) => {
                let consumed = reader.consumed();
                self.reader = None;
                self.defrag.finish();
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
        self.defrag.advance(time);
        // the packet's bytes leave `self` while it is decoded, so the counters can be updated
        let buf = std::mem::take(&mut self.buf);
        let status = match layers::decode(meta.linktype, &buf) {
            Err(e) => self.bad_layer(e),
            Ok(seg) => self.segment(seg, snapped, time, sink),
        };
        self.buf = buf;
        Some(Ok(UnitInfo {
            position: self.position,
            consumed,
            status,
        }))
    }
}
