//! IP fragment reassembly (RFC 791 for IPv4, RFC 8200 for IPv6).
//!
//! Fragments are collected per datagram, keyed by source, destination, protocol and
//! identification for IPv4 and by source, destination and identification for IPv6, in any order.
//! A datagram is complete when its last fragment (More Fragments clear) has arrived and the
//! fragments cover it without holes; its payload then goes through the same transport decoding
//! as an unfragmented packet.
//!
//! * Exact duplicates (same offset, same octets, same More Fragments flag) are ignored.
//! * Any other overlap, or fragments that disagree on where the datagram ends, drop the whole
//!   datagram (RFC 5722: the IPv6 rule, applied to IPv4 too). So does a datagram longer than
//!   [`MAX_PAYLOAD`] octets or cut into more than [`MAX_FRAGMENTS`] fragments. A dropped
//!   datagram stays known, without its data, until it would have expired, so that its late
//!   fragments are discarded as well instead of starting a new datagram.
//! * Memory is bounded: at most [`MAX_PENDING`] datagrams are held (the oldest-started is evicted
//!   beyond that), each of at most [`MAX_PAYLOAD`] octets in at most [`MAX_FRAGMENTS`] pieces.
//! * A datagram still incomplete [`TIMEOUT`] after its first fragment, in **capture time** (never
//!   the wall clock, so the outcome depends only on the input), expires; so does every datagram
//!   still incomplete at the end of the capture ([`Defragmenter::finish`]).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};

/// Most datagrams held at once (the oldest-started is evicted beyond this).
pub const MAX_PENDING: usize = 1024;
/// Largest reassembled payload, in octets (the IP total length is a 16-bit field).
pub const MAX_PAYLOAD: usize = 65_535;
/// Most fragments one datagram may be cut into.
pub const MAX_FRAGMENTS: usize = 64;
/// How long an incomplete datagram is kept after its first fragment, in capture time.
pub const TIMEOUT: TimeDelta = TimeDelta::seconds(30);

/// What identifies the fragments of one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragKey {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The IPv4 protocol (`None` for IPv6, whose key has no protocol).
    pub proto: Option<u8>,
    /// The identification (16 bits in IPv4, 32 in IPv6).
    pub id: u32,
}

/// One fragment as decoded from a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// The datagram it belongs to.
    pub key: FragKey,
    /// Offset of `data` in the reassembled payload, in octets.
    pub offset: usize,
    /// More Fragments: this is not the last fragment.
    pub more: bool,
    /// The protocol (IPv4) or the Next Header of the Fragment header (IPv6); the value of the
    /// fragment at offset zero is the one used.
    pub next: u8,
    /// The fragment's octets.
    pub data: &'a [u8],
}

/// A reassembled datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// The key of its fragments.
    pub key: FragKey,
    /// The protocol (IPv4) or the first header of the fragmentable part (IPv6).
    pub next: u8,
    /// The reassembled payload.
    pub payload: Vec<u8>,
}

/// Why a fragment made its datagram be dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Dropped {
    /// It overlaps another fragment (not an exact duplicate), or disagrees on the end.
    #[error("overlapping IP fragments, datagram dropped")]
    Overlap,
    /// The datagram would exceed [`MAX_PAYLOAD`] octets or [`MAX_FRAGMENTS`] fragments.
    #[error("IP fragments beyond the largest datagram, datagram dropped")]
    TooLarge,
}

/// Counters of the reassembler (fragments seen are [`super::PcapStats::fragments`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DefragStats {
    /// Datagrams reassembled from their fragments.
    pub reassembled: u64,
    /// Fragments ignored as exact duplicates of one already held.
    pub duplicates: u64,
    /// Fragments of a datagram already dropped (overlap, too large), discarded with it.
    pub discarded: u64,
    /// Datagrams dropped because fragments overlapped or disagreed on the end.
    pub overlapping: u64,
    /// Datagrams dropped for exceeding [`MAX_PAYLOAD`] octets or [`MAX_FRAGMENTS`] fragments.
    pub too_large: u64,
    /// Incomplete datagrams evicted because [`MAX_PENDING`] were held.
    pub evicted: u64,
    /// Datagrams still incomplete [`TIMEOUT`] after their first fragment, or at the end of
    /// the capture.
    pub expired: u64,
}

#[derive(Debug)]
struct Pending {
    first: DateTime<Utc>,
    serial: u64,
    /// Offset → octets; disjoint, all within `end` once it is known.
    parts: BTreeMap<usize, Vec<u8>>,
    /// Octets held (the sum of the parts' lengths).
    held: usize,
    /// End of the datagram, known from the last fragment.
    end: Option<usize>,
    /// Next header of the fragment at offset zero.
    next: Option<u8>,
    /// Dropped: only remembered so later fragments are discarded too.
    dead: bool,
}

impl Pending {
    fn deadline(&self) -> DateTime<Utc> {
        self.first + TIMEOUT
    }

    /// Adds a fragment; `Ok(true)` when it was an exact duplicate.
    fn add(&mut self, f: &Fragment<'_>) -> Result<bool, Dropped> {
        let start = f.offset;
        let stop = start + f.data.len();
        if stop > MAX_PAYLOAD {
            return Err(Dropped::TooLarge);
        }
        // an exact duplicate: same place, same octets, and a flag that agrees with the end
        if let Some(d) = self.parts.get(&start) {
            if d[..] == *f.data && f.more != (self.end == Some(stop)) {
                return Ok(true);
            }
        }
        if f.more {
            if self.end.is_some_and(|e| stop > e) {
                return Err(Dropped::Overlap);
            }
        } else {
            if self.end.is_some_and(|e| e != stop) {
                return Err(Dropped::Overlap);
            }
            let beyond = self.parts.iter().next_back();
            if beyond.is_some_and(|(o, d)| o + d.len() > stop) {
                return Err(Dropped::Overlap);
            }
            self.end = Some(stop);
        }
        if f.data.is_empty() {
            return Ok(false);
        }
        let before = self.parts.range(..=start).next_back();
        if before.is_some_and(|(o, d)| o + d.len() > start) {
            return Err(Dropped::Overlap);
        }
        if self.parts.range(start..stop).next().is_some() {
            return Err(Dropped::Overlap);
        }
        if self.parts.len() >= MAX_FRAGMENTS {
            return Err(Dropped::TooLarge);
        }
        if start == 0 {
            self.next = Some(f.next);
        }
        self.parts.insert(start, f.data.to_vec());
        self.held += f.data.len();
        Ok(false)
    }

    /// The parts are disjoint and within the end, so no hole is left when they add up to it.
    fn complete(&self) -> bool {
        self.end.is_some_and(|e| e > 0 && self.held == e)
    }

    fn kill(&mut self) {
        self.dead = true;
        self.parts = BTreeMap::new();
        self.held = 0;
    }
}

/// The reassembler.
#[derive(Debug, Default)]
pub struct Defragmenter {
    pending: HashMap<FragKey, Pending>,
    serial: u64,
    /// No datagram expires before this capture time.
    next_deadline: Option<DateTime<Utc>>,
    /// Counters.
    pub stats: DefragStats,
}

impl Defragmenter {
    /// An empty reassembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Datagrams currently held (incomplete or dropped and not yet expired).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Expires the datagrams whose [`TIMEOUT`] has passed at capture time `now`. Cheap when
    /// none has.
    pub fn advance(&mut self, now: DateTime<Utc>) {
        if self.next_deadline.is_none_or(|d| now < d) {
            return;
        }
        let stats = &mut self.stats;
        self.pending.retain(|_, p| {
            let keep = now < p.deadline();
            if !keep && !p.dead {
                stats.expired += 1;
            }
            keep
        });
        self.next_deadline = self.pending.values().map(Pending::deadline).min();
    }

    /// Counts every datagram still incomplete as expired and forgets them all: the capture
    /// has ended.
    pub fn finish(&mut self) {
        for p in self.pending.values() {
            if !p.dead {
                self.stats.expired += 1;
            }
        }
        self.pending.clear();
        self.next_deadline = None;
    }

    /// Feeds one fragment seen at capture time `time`: the datagram when it is now complete,
    /// nothing while it is not, or why it was dropped.
    pub fn push(
        &mut self,
        f: &Fragment<'_>,
        time: DateTime<Utc>,
    ) -> Result<Option<Datagram>, Dropped> {
        self.advance(time);
        if !self.pending.contains_key(&f.key) && self.pending.len() >= MAX_PENDING {
            self.evict_oldest();
        }
        self.serial += 1;
        let serial = self.serial;
        let p = self.pending.entry(f.key).or_insert_with(|| Pending {
            first: time,
            serial,
            parts: BTreeMap::new(),
            held: 0,
            end: None,
            next: None,
            dead: false,
        });
        let deadline = p.deadline();
        if self.next_deadline.is_none_or(|d| deadline < d) {
            self.next_deadline = Some(deadline);
        }
        if p.dead {
            self.stats.discarded += 1;
            return Ok(None);
        }
        match p.add(f) {
            Err(why) => {
                p.kill();
                match why {
                    Dropped::Overlap => self.stats.overlapping += 1,
                    Dropped::TooLarge => self.stats.too_large += 1,
                }
                Err(why)
            }
            Ok(true) => {
                self.stats.duplicates += 1;
                Ok(None)
            }
            Ok(false) if p.complete() => {
                let next = p.next.unwrap_or(f.next);
                let held = p.held;
                let parts = std::mem::take(&mut p.parts);
                self.pending.remove(&f.key);
                let mut payload = Vec::with_capacity(held);
                for d in parts.into_values() {
                    payload.extend_from_slice(&d);
                }
                self.stats.reassembled += 1;
                Ok(Some(Datagram {
                    key: f.key,
                    next,
                    payload,
                }))
            }
            Ok(false) => Ok(None),
        }
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .pending
            .iter()
            .min_by_key(|(_, p)| p.serial)
            .map(|(k, p)| (*k, p.dead));
        if let Some((k, dead)) = oldest {
            self.pending.remove(&k);
            if !dead {
                self.stats.evicted += 1;
            }
        }
    }
}
