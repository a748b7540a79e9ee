//! DNS messages → passive-DNS facts.
//!
//! [`wire`] parses messages, [`rdata`] decodes and renders record data, [`aggregate`] merges
//! repeated facts over a window, and [`driver`] turns any source of DNS messages (dnstap
//! frames, pcap packets) into pipeline [`Record`](crate::Record)s with counters.
//!
//! Only answers of **responses** to standard queries (opcode QUERY) with RCODE **NOERROR** are
//! facts, and only for the types in [`wire::type_name`] (A, AAAA, CNAME, NS, MX, TXT, SOA,
//! PTR, SRV, CAA, HTTPS, SVCB, DNAME).

pub mod aggregate;
pub mod build;
pub mod driver;
pub mod rdata;
pub mod scan;
pub mod wire;

#[cfg(test)]
pub(crate) mod tests;

pub use aggregate::{AggregatedFact, Aggregator};
pub use driver::{DnsRecords, DnsStats, DriverOptions, MessageSource, UnitInfo, UnitStatus};
pub use scan::{scan_answers, ScannedAnswers};
pub use wire::{parse, Message, WireError};

/// One answer worth keeping: owner name, type mnemonic, stored value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Answer {
    /// Owner name (lower-cased, no trailing dot).
    pub name: String,
    /// Type mnemonic (`A`, `MX`, …).
    pub rtype: &'static str,
    /// Stored value (see [`rdata::RData::value`]).
    pub value: String,
}

/// What a parsed message contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A query, not a response.
    Query,
    /// A response with an opcode other than QUERY, or an RCODE other than NOERROR.
    NotNoError,
    /// A NOERROR response: its answers count.
    NoError,
}

/// Classifies a message and moves its collectable answers into `out`.
pub fn collect_answers(msg: Message, out: &mut Vec<Answer>) -> Verdict {
    let h = msg.header;
    if !h.is_response() {
        return Verdict::Query;
    }
    if h.opcode() != 0 || h.rcode() != 0 {
        return Verdict::NotNoError;
    }
    for rr in msg.answers {
        // Class IN only (CH/HS answers are not passive DNS of the Internet).
        if rr.class != 1 {
            continue;
        }
        if let Some(rtype) = wire::type_name(rr.rtype) {
            let value = match rr.data {
                rdata::RData::Name(n) => n,
                rdata::RData::Mx { exchange, .. } => exchange,
                rdata::RData::Srv { target, .. } => target,
                other => other.value(),
            };
            out.push(Answer {
                name: rr.name,
                rtype,
                value,
            });
        }
    }
    Verdict::NoError
}
