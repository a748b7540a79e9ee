//! Readers of input formats that turn them into [`Observation`]s, and the one pipeline that
//! feeds observations into a [`Store`](openti_store::Store) in keyed, transactional batches.
//!
//! Readers: the NDJSON observation format (`docs/observations.md`); passive DNS from dnstap
//! ([`dnstap`]), pcap/pcapng captures ([`pcap`]) and COF/DNSDB NDJSON ([`cof`]), all through
//! the DNS parser and window aggregator in [`dns`]. Every reader yields the same
//! [`Observation`]s and reuses the pipeline.

pub mod cof;
pub mod cve;
pub mod dns;
pub mod dnstap;
pub mod enrich;
pub mod intel;
pub mod jsonstream;
pub mod lists;
pub mod markdown;
pub mod masscan;
pub mod misp;
pub mod ndjson;
pub mod nmap;
pub mod pcap;
pub mod pipeline;
pub mod stix;
pub mod text;
pub mod warc;
pub mod whois;

pub use ndjson::{parse_line, LineError};
pub use pipeline::{
    digest_reader, ingest_bytes, ingest_path, ingest_records, IngestError, IngestOptions,
    IngestSummary, InputDigest, Record,
};

pub use openti_model::Observation;
