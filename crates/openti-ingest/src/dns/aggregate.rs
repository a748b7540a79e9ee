//! In-memory aggregation of passive-DNS facts over a window.
//!
//! A resolver that sees the same answer a million times in a window costs one entry here and
//! one upsert in the store: facts are keyed by (name, type, value) and keep first seen, last
//! seen and a count. Draining returns the entries in first-insertion order, so the output for
//! a given input is deterministic (the exactly-once batch keys of the pipeline rely on it).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, Utc};
use openti_model::{Observation, Seen};

use super::Answer;

/// One aggregated fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregatedFact {
    /// Name, type, value.
    pub answer: Answer,
    /// Earliest sighting.
    pub first: DateTime<Utc>,
    /// Latest sighting.
    pub last: DateTime<Utc>,
    /// Sightings.
    pub count: u64,
}

impl AggregatedFact {
    /// The normalised `dns` observation of this fact (`Err` with the reason if the name or
    /// value does not normalise, e.g. a name with characters no host name can have).
    pub fn observation(&self, sensor: Option<&str>) -> Result<Observation, String> {
        Observation::Dns {
            name: self.answer.name.clone(),
            record_type: self.answer.rtype.to_string(),
            value: self.answer.value.clone(),
            sensor: sensor.map(str::to_string),
            seen: Seen {
                time: None,
                first_seen: Some(self.first),
                last_seen: Some(self.last),
                count: Some(self.count),
            },
        }
        .normalize()
        .map_err(|e| {
            format!(
                "dns {} {} {:?}: {e}",
                self.answer.name, self.answer.rtype, self.answer.value
            )
        })
    }
}

/// The Fx hash (as in rustc): fast for short keys; the keys here come from DNS traffic, but a
/// window is bounded in size, so hash flooding can only slow one window down.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    count: u64,
    seq: u64,
    rtype: &'static str,
}

/// Facts of the current window.
///
/// A fact's key is one string, `{name length}:{name}{type}\0{value}` (the length delimits the
/// name, the type mnemonic never holds a NUL), so a sighting is looked up from borrowed text
/// and allocates only when the fact is new.
#[derive(Debug, Default)]
pub struct Aggregator {
    facts: HashMap<Box<str>, Slot, BuildHasherDefault<FxHasher>>,
    key: String,
    seq: u64,
    sightings: u64,
}

impl Aggregator {
    /// An empty aggregator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `count` sightings of `answer` at `time`.
    pub fn add(&mut self, answer: Answer, time: DateTime<Utc>, count: u64) {
        self.add_parts(&answer.name, answer.rtype, &answer.value, time, count);
    }

    /// Adds `count` sightings of (`name`, `rtype`, `value`) at `time`.
    pub fn add_parts(
        &mut self,
        name: &str,
        rtype: &'static str,
        value: &str,
        time: DateTime<Utc>,
        count: u64,
    ) {
        self.sightings += count;
        self.key.clear();
        push_decimal(&mut self.key, name.len());
        self.key.push(':');
        self.key.push_str(name);
        self.key.push_str(rtype);
        self.key.push('\0');
        self.key.push_str(value);
        let e = match self.facts.get_mut(self.key.as_str()) {
            Some(e) => e,
            None => {
                let seq = self.seq;
                self.seq += 1;
                self.facts
                    .entry(Box::from(self.key.as_str()))
                    .or_insert(Slot {
                        first: time,
                        last: time,
                        count: 0,
                        seq,
                        rtype,
                    })
            }
        };
        e.count += count;
        if time < e.first {
            e.first = time;
        }
        if time > e.last {
            e.last = time;
        }
    }

    /// Distinct facts held.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// Sightings added since the last drain.
    pub fn sightings(&self) -> u64 {
        self.sightings
    }

    /// Takes every fact (in first-insertion order) and starts a new window.
    pub fn drain(&mut self) -> Vec<AggregatedFact> {
        self.sightings = 0;
        self.seq = 0;
        let mut v: Vec<(u64, AggregatedFact)> = self
            .facts
            .drain()
            .map(|(key, s)| {
                (
                    s.seq,
                    AggregatedFact {
                        answer: split_key(&key, s.rtype),
                        first: s.first,
                        last: s.last,
                        count: s.count,
                    },
                )
            })
            .collect();
        v.sort_unstable_by_key(|(seq, _)| *seq);
        v.into_iter().map(|(_, f)| f).collect()
    }
}

/// Appends `n` in decimal.
fn push_decimal(s: &mut String, n: usize) {
    if n >= 10 {
        push_decimal(s, n / 10);
    }
    s.push(char::from(b'0' + (n % 10) as u8));
}

/// The answer a key was built from (see [`Aggregator`]).
fn split_key(key: &str, rtype: &'static str) -> Answer {
    let (len, rest) = key.split_once(':').unwrap_or(("0", key));
    let len: usize = len.parse().unwrap_or(0);
    let (name, rest) = (
        rest.get(..len).unwrap_or(""),
        rest.get(len..).unwrap_or(rest),
    );
    let value = rest
        .strip_prefix(rtype)
        .and_then(|r| r.strip_prefix('\0'))
        .unwrap_or(rest);
    Answer {
        name: name.to_string(),
        rtype,
        value: value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: &str, v: &str) -> Answer {
        Answer {
            name: name.into(),
            rtype: "A",
            value: v.into(),
        }
    }

    #[test]
    fn keys_that_look_alike_stay_apart_and_round_trip() {
        let t = DateTime::from_timestamp(1, 0).unwrap();
        let mut g = Aggregator::new();
        let answers = [
            ("1:a", "A", "b"),
            ("1", "A", ":ab"),
            ("1:aA", "A", "b"),
            ("x", "A", "\0A\0"),
            ("x\0A", "A", ""),
            ("", "TXT", "\"\""),
        ];
        for (n, r, v) in answers {
            g.add_parts(n, r, v, t, 1);
        }
        g.add_parts("1:a", "A", "b", t, 2);
        assert_eq!(g.len(), answers.len());
        let out = g.drain();
        let back: Vec<_> = out
            .iter()
            .map(|f| {
                (
                    f.answer.name.as_str(),
                    f.answer.rtype,
                    f.answer.value.as_str(),
                )
            })
            .collect();
        assert_eq!(back, answers);
        assert_eq!(out[0].count, 3);
    }

    #[test]
    fn merges_first_last_count_in_order() {
        let t = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        let mut g = Aggregator::new();
        g.add(a("b.test", "192.0.2.2"), t(10), 1);
        g.add(a("a.test", "192.0.2.1"), t(20), 1);
        g.add(a("b.test", "192.0.2.2"), t(5), 2);
        g.add(a("b.test", "192.0.2.2"), t(30), 1);
        assert_eq!(g.len(), 2);
        assert_eq!(g.sightings(), 5);
        let out = g.drain();
        assert!(g.is_empty());
        assert_eq!(out[0].answer.name, "b.test");
        assert_eq!((out[0].first, out[0].last, out[0].count), (t(5), t(30), 4));
        assert_eq!(out[1].count, 1);
        let o = out[0].observation(Some("s1")).unwrap();
        assert!(matches!(o, Observation::Dns { sensor: Some(ref s), .. } if s == "s1"));
        let bad = AggregatedFact {
            answer: a("bad name.test", "192.0.2.1"),
            first: t(1),
            last: t(1),
            count: 1,
        };
        assert!(bad.observation(None).is_err());
    }
}
