//! Readers of input formats that turn them into [`Observation`]s, and the one pipeline that
//! feeds observations into a [`Store`](openti_store::Store) in keyed, transactional batches.
//!
//! The NDJSON observation format (`docs/observations.md`) is the first reader; later readers
//! (dnstap, pcap, COF, nmap, STIX, …) produce the same [`Observation`]s and reuse the pipeline.

pub mod ndjson;
pub mod pipeline;

pub use ndjson::{parse_line, LineError};
pub use pipeline::{
    digest_reader, ingest_bytes, ingest_path, ingest_records, IngestError, IngestOptions,
    IngestSummary, Record,
};

pub use openti_model::Observation;
