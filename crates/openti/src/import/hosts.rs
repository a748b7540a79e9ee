//! `openti import nmap|masscan|whois|rdap FILE...`: scan results and registration data.
//!
//! Each file is read whole, turned into pipeline records by its reader in `openti-ingest`
//! and stored through the keyed, exactly-once pipeline (the file's SHA-256 keys its batches,
//! so importing the same file twice stores it once).

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use openti_ingest::{ingest_records, IngestOptions, IngestSummary, Record};
use sha2::{Digest, Sha256};

use super::Common;

/// Exit code when some input was refused (everything else was stored).
const EXIT_REJECTED: u8 = 2;

/// Options of `openti import nmap` and `openti import masscan`.
#[derive(Args, Debug)]
pub struct ScanFileArgs {
    #[command(flatten)]
    common: Common,
    /// Input files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Options of `openti import whois` (raw text, one response per file).
#[derive(Args, Debug)]
pub struct WhoisFileArgs {
    #[command(flatten)]
    common: Common,
    /// The domain or IP the response is about (default: the name the response gives).
    #[arg(long)]
    domain: Option<String>,
    /// The WHOIS server that answered.
    #[arg(long)]
    server: Option<String>,
    /// When the response was captured (RFC 3339; default: the file's modification time).
    #[arg(long)]
    time: Option<DateTime<Utc>>,
    /// Input files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Options of `openti import rdap` (RDAP JSON objects or search results).
#[derive(Args, Debug)]
pub struct RdapFileArgs {
    #[command(flatten)]
    common: Common,
    /// The RDAP URL the objects came from.
    #[arg(long)]
    server: Option<String>,
    /// When the response was captured (RFC 3339; default: the file's modification time).
    #[arg(long)]
    time: Option<DateTime<Utc>>,
    /// Input files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Which reader.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// nmap `-oX`.
    Nmap,
    /// masscan `-oJ` / `-oL`.
    Masscan,
}

fn mtime(path: &std::path::Path) -> DateTime<Utc> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now())
}

/// A reader: file bytes and path → pipeline records.
type Reader<'a> = dyn Fn(&[u8], &std::path::Path) -> Vec<Result<Record, std::io::Error>> + 'a;

async fn run_files(common: &Common, files: &[PathBuf], read: &Reader<'_>) -> anyhow::Result<u8> {
    let store = crate::db::open(&common.database).await?;
    let mut total = IngestSummary::default();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let digest = hex::encode(Sha256::digest(&bytes));
        let records = read(&bytes, f);
        let name = f.display().to_string();
        let summary = ingest_records(
            store.as_ref(),
            &name,
            &digest,
            records.into_iter(),
            &IngestOptions::default(),
            &mut |_, _| {},
        )
        .await?;
        for e in &summary.errors {
            eprintln!("{name}:{}: {}", e.line, e.message);
        }
        total.merge(summary);
    }
    eprintln!(
        "read {} records: {} accepted, {} already imported (skipped), {} rejected",
        total.read, total.accepted, total.skipped, total.rejected
    );
    if common.json {
        println!("{}", serde_json::to_string(&total)?);
    }
    Ok(if total.rejected > 0 { EXIT_REJECTED } else { 0 })
}

/// `openti import nmap|masscan`.
pub async fn run_scan(kind: Kind, a: ScanFileArgs) -> anyhow::Result<u8> {
    let read = move |b: &[u8], _: &std::path::Path| match kind {
        Kind::Nmap => openti_ingest::nmap::records(b),
        Kind::Masscan => openti_ingest::masscan::records(b),
    };
    run_files(&a.common, &a.files, &read).await
}

/// `openti import whois`.
pub async fn run_whois(a: WhoisFileArgs) -> anyhow::Result<u8> {
    let read = |b: &[u8], p: &std::path::Path| {
        let time = a.time.unwrap_or_else(|| mtime(p));
        openti_ingest::whois::text_records(b, a.domain.as_deref(), a.server.as_deref(), time)
    };
    run_files(&a.common, &a.files, &read).await
}

/// `openti import rdap`.
pub async fn run_rdap(a: RdapFileArgs) -> anyhow::Result<u8> {
    let read = |b: &[u8], p: &std::path::Path| {
        let time = a.time.unwrap_or_else(|| mtime(p));
        openti_ingest::whois::rdap::json_records(b, a.server.as_deref(), time)
    };
    run_files(&a.common, &a.files, &read).await
}
