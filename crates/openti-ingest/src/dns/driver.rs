//! From any source of DNS messages to pipeline records, through the window aggregator.
//!
//! A [`MessageSource`] (dnstap frames, pcap packets) reads one *unit* at a time and hands each
//! DNS message in it to a sink. [`DnsRecords`] parses the messages, keeps the answers of
//! NOERROR responses, aggregates them over a window of **message time** (so the output for a
//! given input never depends on the wall clock) and yields [`Record`]s for
//! [`ingest_records`](crate::ingest_records): one per unit (nothing, or the reason it was
//! refused), plus one carrying the window's aggregated observations whenever a window closes.
//! Bad units and malformed messages are counted and skipped, never fatal.

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::aggregate::{AggregatedFact, Aggregator};
use super::{scan_answers, ScannedAnswers, Verdict};
use crate::Record;

/// What a unit of input turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitStatus {
    /// Read; its DNS messages (if any) went to the sink.
    Read,
    /// Not DNS or not relevant (a query frame, a non-DNS packet): skipped silently.
    Skipped,
    /// Unusable (bad frame, truncated packet): counted, reported and skipped.
    Bad(String),
}

/// One unit (frame, packet) as reported by a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInfo {
    /// 1-based position in the input.
    pub position: u64,
    /// Input bytes consumed so far.
    pub consumed: u64,
    /// What it was.
    pub status: UnitStatus,
}

/// A reader that yields DNS messages unit by unit.
pub trait MessageSource {
    /// Reads the next unit, calling `sink(time, message)` for each DNS message in it; `None` at
    /// the end of the input. An I/O error ends the run.
    fn next_unit(
        &mut self,
        sink: &mut dyn FnMut(DateTime<Utc>, &[u8]),
    ) -> Option<std::io::Result<UnitInfo>>;
}

/// Counters of a DNS import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DnsStats {
    /// Units read (frames, packets).
    pub units: u64,
    /// Units refused (bad frames, truncated or malformed packets).
    pub bad_units: u64,
    /// Units skipped as irrelevant.
    pub skipped_units: u64,
    /// DNS messages seen.
    pub messages: u64,
    /// DNS messages that failed to parse.
    pub malformed_messages: u64,
    /// Queries (not responses).
    pub queries: u64,
    /// Responses with an RCODE other than NOERROR (or an opcode other than QUERY).
    pub not_noerror: u64,
    /// NOERROR responses.
    pub noerror: u64,
    /// Answers of collected types in NOERROR responses.
    pub answers: u64,
    /// Aggregated facts emitted.
    pub facts: u64,
    /// Facts whose name or value did not normalise (reported as rejected).
    pub unnormalizable: u64,
    /// Windows flushed.
    pub windows: u64,
}

/// Options of the DNS driver.
#[derive(Debug, Clone)]
pub struct DriverOptions {
    /// Aggregation window in message time.
    pub window: TimeDelta,
    /// Flush early when this many distinct facts are held.
    pub max_facts: usize,
    /// Sensor id stored with every fact.
    pub sensor: Option<String>,
}

impl Default for DriverOptions {
    fn default() -> Self {
        DriverOptions {
            window: TimeDelta::seconds(60),
            max_facts: 200_000,
            sensor: None,
        }
    }
}

/// The iterator of pipeline records over a [`MessageSource`].
pub struct DnsRecords<S> {
    source: S,
    opts: DriverOptions,
    agg: Aggregator,
    stats: DnsStats,
    window_start: Option<DateTime<Utc>>,
    pending: VecDeque<Record>,
    flushed: Vec<AggregatedFact>,
    answers: ScannedAnswers,
    last: (u64, u64),
    done: bool,
}

impl<S: MessageSource> DnsRecords<S> {
    /// Wraps a source.
    pub fn new(source: S, opts: DriverOptions) -> Self {
        DnsRecords {
            source,
            opts,
            agg: Aggregator::new(),
            stats: DnsStats::default(),
            window_start: None,
            pending: VecDeque::new(),
            flushed: Vec::new(),
            answers: ScannedAnswers::new(),
            last: (0, 0),
            done: false,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &DnsStats {
        &self.stats
    }

    /// The source (for its own counters).
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Gives the source back.
    pub fn into_source(self) -> S {
        self.source
    }

    /// Turns drained facts into a record of observations (plus one refused record per fact
    /// that does not normalise).
    fn emit(&mut self, position: u64, consumed: u64) {
        if self.flushed.is_empty() {
            return;
        }
        self.stats.windows += 1;
        let sensor = self.opts.sensor.as_deref();
        let mut obs = Vec::with_capacity(self.flushed.len());
        let mut errors = Vec::new();
        for f in self.flushed.drain(..) {
            match f.observation(sensor) {
                Ok(o) => obs.push(o),
                Err(e) => errors.push(e),
            }
        }
        self.stats.facts += obs.len() as u64;
        self.stats.unnormalizable += errors.len() as u64;
        if !obs.is_empty() {
            self.pending.push_back(Record {
                position,
                consumed,
                outcome: Some(Ok(obs)),
            });
        }
        for e in errors {
            self.pending.push_back(Record {
                position,
                consumed,
                outcome: Some(Err(e)),
            });
        }
    }
}

impl<S: MessageSource> Iterator for DnsRecords<S> {
    type Item = std::io::Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Some(Ok(r));
            }
            if self.done {
                return None;
            }
            let DnsRecords {
                source,
                opts,
                agg,
                stats,
                window_start,
                flushed,
                answers,
                ..
            } = self;
            let mut first_error: Option<String> = None;
            let mut sink = |time: DateTime<Utc>, wire: &[u8]| {
                stats.messages += 1;
                match scan_answers(wire, answers) {
                    Err(e) => {
                        stats.malformed_messages += 1;
                        first_error.get_or_insert_with(|| format!("malformed DNS message: {e}"));
                        return;
                    }
                    Ok(Verdict::Query) => stats.queries += 1,
                    Ok(Verdict::NotNoError) => stats.not_noerror += 1,
                    Ok(Verdict::NoError) => stats.noerror += 1,
                }
                if answers.is_empty() {
                    return;
                }
                let start = *window_start.get_or_insert(time);
                let out_of_window = time - start >= opts.window || start - time >= opts.window;
                if out_of_window || agg.len() >= opts.max_facts {
                    flushed.extend(agg.drain());
                    *window_start = Some(time);
                }
                for (name, rtype, value) in answers.iter() {
                    stats.answers += 1;
                    agg.add_parts(name, rtype, value, time, 1);
                }
            };
            match source.next_unit(&mut sink) {
                None => {
                    self.done = true;
                    self.flushed.extend(self.agg.drain());
                    let (p, c) = self.last;
                    self.emit(p, c);
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Some(Ok(info)) => {
                    self.stats.units += 1;
                    self.last = (info.position, info.consumed);
                    let outcome = match info.status {
                        UnitStatus::Bad(reason) => {
                            self.stats.bad_units += 1;
                            Some(Err(reason))
                        }
                        UnitStatus::Skipped => {
                            self.stats.skipped_units += 1;
                            None
                        }
                        UnitStatus::Read => first_error.map(Err),
                    };
                    self.pending.push_back(Record {
                        position: info.position,
                        consumed: info.consumed,
                        outcome,
                    });
                    self.emit(info.position, info.consumed);
                }
            }
        }
    }
}
