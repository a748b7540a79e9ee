//! In-memory aggregation of passive-DNS facts over a window.
//!
//! A resolver that sees the same answer a million times in a window costs one entry here and
//! one upsert in the store: facts are keyed by (name, type, value) and keep first seen, last
//! seen and a count. Draining returns the entries in first-insertion order, so the output for
//! a given input is deterministic (the exactly-once batch keys of the pipeline rely on it).

use std::collections::HashMap;

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

/// Facts of the current window.
#[derive(Debug, Default)]
pub struct Aggregator {
    index: HashMap<Answer, usize>,
    entries: Vec<AggregatedFact>,
    sightings: u64,
}

impl Aggregator {
    /// An empty aggregator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `count` sightings of `answer` at `time`.
    pub fn add(&mut self, answer: Answer, time: DateTime<Utc>, count: u64) {
        self.sightings += count;
        if let Some(&i) = self.index.get(&answer) {
            let e = &mut self.entries[i];
            e.count += count;
            if time < e.first {
                e.first = time;
            }
            if time > e.last {
                e.last = time;
            }
            return;
        }
        self.index.insert(answer.clone(), self.entries.len());
        self.entries.push(AggregatedFact {
            answer,
            first: time,
            last: time,
            count,
        });
    }

    /// Distinct facts held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sightings added since the last drain.
    pub fn sightings(&self) -> u64 {
        self.sightings
    }

    /// Takes every fact (in first-insertion order) and starts a new window.
    pub fn drain(&mut self) -> Vec<AggregatedFact> {
        self.index.clear();
        self.sightings = 0;
        std::mem::take(&mut self.entries)
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
