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

/// The identity of an input (SHA-256 hex of its bytes): known, or being computed on another
/// thread while the input is already read and parsed (a large capture's digest then costs no
/// time before its first batch).
#[derive(Debug)]
pub enum InputDigest {
    /// Known.
    Known(String),
    /// Computing; joined when the first batch needs its key.
    Computing(Option<std::thread::JoinHandle<std::io::Result<String>>>),
}

impl From<&str> for InputDigest {
    fn from(d: &str) -> Self {
        InputDigest::Known(d.to_string())
    }
}

impl From<&String> for InputDigest {
    fn from(d: &String) -> Self {
        InputDigest::Known(d.clone())
    }
}

impl InputDigest {
    /// Digests the file at `path` on a new thread.
    pub fn of_file(path: &Path) -> Self {
        let path = path.to_path_buf();
        InputDigest::Computing(Some(std::thread::spawn(move || {
            digest_reader(std::fs::File::open(&path)?)
        })))
    }

    /// The digest (waits for the digesting thread the first time).
    pub fn get(&mut self) -> std::io::Result<&str> {
        if let InputDigest::Computing(handle) = self {
            let handle = handle
                .take()
                .ok_or_else(|| std::io::Error::other("input digest failed earlier"))?;
            let d = handle
                .join()
                .map_err(|_| std::io::Error::other("input digest thread panicked"))??;
            *self = InputDigest::Known(d);
        }
        match self {
            InputDigest::Known(d) => Ok(d),
            InputDigest::Computing(_) => unreachable!("set just above"),
        }
    }
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
    let io = |source| IngestError::Io {
        input: name.clone(),
        source,
    };
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

async fn ingest_lines<R: BufRead + Send>(
    store: &dyn Store,
    name: &str,
    digest: &str,
    reader: R,
    opts: &IngestOptions,
    progress: &mut (dyn FnMut(u64, &IngestSummary) + Send),
) -> Result<IngestSummary, IngestError> {
    let records = NdjsonRecords {
        reader,
        line_no: 0,
        consumed: 0,
        buf: Vec::new(),
    };
    ingest_records(store, name, digest, records, opts, progress).await
}

/// One unit of input as a reader sees it: its position (line, frame or packet number, 1-based),
/// the input bytes consumed so far, and what it yielded (`None`: nothing to ingest, e.g. a blank
/// line or a DNS query without answers; otherwise one or more observations, or an error).
#[derive(Debug)]
pub struct Record {
    /// 1-based position in the input (line, frame, packet, object).
    pub position: u64,
    /// Input bytes consumed up to and including this record (for progress).
    pub consumed: u64,
    /// The outcome.
    pub outcome: Option<Result<Vec<Observation>, String>>,
}

struct NdjsonRecords<R> {
    reader: R,
    line_no: u64,
    consumed: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> Iterator for NdjsonRecords<R> {
    type Item = Result<Record, std::io::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.buf.clear();
        match self.reader.read_until(b'\n', &mut self.buf) {
            Err(e) => Some(Err(e)),
            Ok(0) => None,
            Ok(n) => {
                self.consumed += n as u64;
                self.line_no += 1;
                let outcome = match std::str::from_utf8(&self.buf) {
                    Err(_) => Some(Err("line is not valid UTF-8".to_string())),
                    Ok(text) => parse_line(text).map(|r| r.map(|o| vec![o])),
                };
                Some(Ok(Record {
                    position: self.line_no,
                    consumed: self.consumed,
                    outcome,
                }))
            }
        }
    }
}

/// The generic pipeline: records from any reader → keyed batches → store.
///
/// `digest` identifies the input (SHA-256 of its bytes). Records are cut into batches of
/// `opts.batch_size` records; batch `i` has key `digest:size:i` and is written in one
/// transaction together with its key, so re-running the same input skips committed batches.
/// A record's error is reported with its position and never stops the run.
pub async fn ingest_records<I>(
    store: &dyn Store,
    name: &str,
    digest: impl Into<InputDigest>,
    records: I,
    opts: &IngestOptions,
    progress: &mut (dyn FnMut(u64, &IngestSummary) + Send),
) -> Result<IngestSummary, IngestError>
where
    I: Iterator<Item = Result<Record, std::io::Error>> + Send,
{
    let size = opts.batch_size.max(1);
    let mut digest: InputDigest = digest.into();
    let mut summary = IngestSummary::default();
    let mut batch: Vec<Observation> = Vec::new();
    let mut in_batch = 0usize;
    let mut index = 0u64;
    let mut consumed = 0u64;
    let mut records = records.peekable();
    let mut in_flight: Option<InFlight<'_>> = None;
    let mut consumed_then = 0u64;
    loop {
        let next = records.next();
        let eof = next.is_none();
        if let Some(rec) = next {
            let rec = rec.map_err(|source| IngestError::Io {
                input: name.to_string(),
                source,
            })?;
            consumed = rec.consumed;
            in_batch += 1;
            match rec.outcome {
                None => {}
                Some(Ok(obs)) => {
                    summary.read += 1;
                    if batch.is_empty() {
                        // a window of aggregated facts arrives as one record: keep its vector
                        batch = obs;
                    } else {
                        batch.extend(obs);
                    }
                }
                Some(Err(message)) => {
                    summary.read += 1;
                    summary.reject(rec.position, message);
                }
            }
        }
        if in_batch == size || (eof && in_batch > 0) {
            let observations = std::mem::take(&mut batch);
            let n_obs = observations.len() as u64;
            if n_obs > 0 {
                let digest = digest.get().map_err(|source| IngestError::Io {
                    input: name.to_string(),
                    source,
                })?;
                let key = format!("{digest}:{size}:{index}");
                // The previous batch must be stored before this one starts (batches apply in
                // order). Batches without observations (DNS input between two windows) write
                // nothing, so reading goes on past them while the store works.
                if let Some(w) = in_flight.take() {
                    w.finish(name, &mut summary).await?;
                    progress(consumed_then, &summary);
                }
                let mut write = InFlight {
                    index,
                    n_obs,
                    future: store.apply_batch(Batch {
                        key: Some(key),
                        observations,
                    }),
                };
                // Start it (the store works on its own thread) and read the next batch
                // meanwhile.
                write.start().await;
                in_flight = Some(write);
                consumed_then = consumed;
            } else if in_flight.is_none() {
                progress(consumed, &summary);
            }
            index += 1;
            in_batch = 0;
        }
        if eof {
            break;
        }
    }
    if let Some(w) = in_flight.take() {
        w.finish(name, &mut summary).await?;
    }
    progress(consumed, &summary);
    Ok(summary)
}

type BatchFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = openti_store::StoreResult<BatchOutcome>> + Send + 'a>,
>;

/// A batch handed to the store and not yet confirmed: the store runs it on its own thread
/// while the caller reads and parses the next batch (one batch in flight, so batches are
/// applied in input order and a failure stops the run at that batch).
struct InFlight<'a> {
    index: u64,
    n_obs: u64,
    future: BatchFuture<'a>,
}

impl InFlight<'_> {
    /// Polls once, which hands the batch to the store's blocking thread.
    async fn start(&mut self) {
        std::future::poll_fn(|cx| {
            if let std::task::Poll::Ready(r) = self.future.as_mut().poll(cx) {
                // finished at once: keep the result for `finish`
                self.future = Box::pin(std::future::ready(r));
            }
            std::task::Poll::Ready(())
        })
        .await;
    }

    /// Waits for the store and counts the outcome.
    async fn finish(self, name: &str, summary: &mut IngestSummary) -> Result<(), IngestError> {
        let outcome = self.future.await.map_err(|source| IngestError::Store {
            input: name.to_string(),
            index: self.index,
            source,
        })?;
        match outcome {
            BatchOutcome::Applied(_) => summary.accepted += self.n_obs,
            BatchOutcome::AlreadyApplied => summary.skipped += self.n_obs,
        }
        Ok(())
    }
}
