//! The ingest pipeline: input → numbered lines → observations → keyed batches → store.
//!
//! Exactly-once: an input is identified by the SHA-256 of its bytes; its lines are cut into
//! batches of a fixed size, and each batch's key `sha256:size:index` is recorded by the store
//! in the same transaction as the batch's rows. Re-running the same input (or resuming one that
//! stopped half-way) therefore skips every batch already committed, while the same facts in a
//! different input still add to counts and widen first/last seen.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use openti_model::Observation;
use openti_store::{Batch, BatchOutcome, Store, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ndjson::{parse_line, LineError};

/// Most line errors kept in a summary (the count is always exact).
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// Options of one ingest run.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Lines per batch (and per transaction).
    pub batch_size: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { batch_size: 1000 }
    }
}

/// Totals of an ingest run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    /// Non-blank lines read.
    pub read: u64,
    /// Observations written in this run.
    pub accepted: u64,
    /// Observations whose batch was already in the store (repeated or resumed input).
    pub skipped: u64,
    /// Lines refused.
    pub rejected: u64,
    /// Refused lines with their reasons (at most [`MAX_REPORTED_ERRORS`]).
    pub errors: Vec<LineError>,
}

impl IngestSummary {
    /// Adds another run's totals.
    pub fn merge(&mut self, other: IngestSummary) {
        self.read += other.read;
        self.accepted += other.accepted;
        self.skipped += other.skipped;
        self.rejected += other.rejected;
        for e in other.errors {
            if self.errors.len() < MAX_REPORTED_ERRORS {
                self.errors.push(e);
            }
        }
    }

    fn reject(&mut self, line: u64, message: String) {
        self.rejected += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(LineError { line, message });
        }
    }
}

/// SHA-256 hex of a reader's bytes.
pub fn digest_reader(mut r: impl Read) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Ingest errors that stop a run (line errors never do).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Reading the input failed.
    #[error("reading {input}: {source}")]
    Io {
        /// Input name.
        input: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The store refused a batch (the batch was rolled back; earlier batches stay).
    #[error("storing batch {index} of {input}: {source}")]
    Store {
        /// Input name.
        input: String,
        /// Batch index.
        index: u64,
        /// Cause.
        source: StoreError,
    },
}

/// Ingests a file (`-` = standard input). `progress` is called with the bytes consumed so far.
pub async fn ingest_path(
    store: &dyn Store,
    path: &Path,
    opts: &IngestOptions,
    progress: &mut (dyn FnMut(u64, &IngestSummary) + Send),
) -> Result<IngestSummary, IngestError> {
    let name = path.display().to_string();
    let io = |source| IngestError::Io { input: name.clone(), source };
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(io)?;
        return ingest_bytes(store, &name, &bytes, opts, progress).await;
    }
    let digest = digest_reader(std::fs::File::open(path).map_err(io)?).map_err(io)?;
    let file = std::fs::File::open(path).map_err(io)?;
    ingest_lines(store, &name, &digest, BufReader::new(file), opts, progress).await
}

/// Ingests an in-memory input (HTTP bodies, standard input).
pub async fn ingest_bytes(
    store: &dyn Store,
    name: &str,
    bytes: &[u8],
    opts: &IngestOptions,
    progress: &mut (dyn FnMut(u64, &IngestSummary) + Send),
) -> Result<IngestSummary, IngestError> {
    let digest = hex::encode(Sha256::digest(bytes));
    ingest_lines(store, name, &digest, BufReader::new(bytes), opts, progress).await
}

async fn ingest_lines<R: BufRead>(
    store: &dyn Store,
    name: &str,
    digest: &str,
    mut reader: R,
    opts: &IngestOptions,
    progress: &mut (dyn FnMut(u64, &IngestSummary) + Send),
) -> Result<IngestSummary, IngestError> {
    let size = opts.batch_size.max(1);
    let mut summary = IngestSummary::default();
    let mut batch: Vec<Observation> = Vec::with_capacity(size);
    let mut lines_in_batch = 0usize;
    let mut index = 0u64;
    let mut line_no = 0u64;
    let mut consumed = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| IngestError::Io { input: name.to_string(), source })?;
        let eof = n == 0;
        if !eof {
            consumed += n as u64;
            line_no += 1;
            lines_in_batch += 1;
            match std::str::from_utf8(&buf) {
                Err(_) => {
                    summary.read += 1;
                    summary.reject(line_no, "line is not valid UTF-8".into());
                }
                Ok(text) => match parse_line(text) {
                    None => {}
                    Some(Ok(o)) => {
                        summary.read += 1;
                        batch.push(o);
                    }
                    Some(Err(message)) => {
                        summary.read += 1;
                        summary.reject(line_no, message);
                    }
                },
            }
        }
        if lines_in_batch == size || (eof && lines_in_batch > 0) {
            let key = format!("{digest}:{size}:{index}");
            let observations = std::mem::take(&mut batch);
            let n_obs = observations.len() as u64;
            if n_obs > 0 {
                let outcome = store
                    .apply_batch(Batch { key: Some(key), observations })
                    .await
                    .map_err(|source| IngestError::Store { input: name.to_string(), index, source })?;
                match outcome {
                    BatchOutcome::Applied(_) => summary.accepted += n_obs,
                    BatchOutcome::AlreadyApplied => summary.skipped += n_obs,
                }
            }
            index += 1;
            lines_in_batch = 0;
            progress(consumed, &summary);
        }
        if eof {
            break;
        }
    }
    Ok(summary)
}
