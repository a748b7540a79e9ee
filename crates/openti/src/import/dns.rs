//! `openti import dnstap|pcap|cof|dnsdb`: passive DNS from files.
//!
//! dnstap and pcap go through the DNS parser and the window aggregator (one fact per
//! (name, type, value) per window of message time); COF and DNSDB lines carry their own
//! counts and windows. All four feed the keyed, exactly-once pipeline.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use openti_ingest::dns::{DnsRecords, DriverOptions, MessageSource};
use openti_ingest::{ingest_records, IngestOptions, IngestSummary, InputDigest, Record};
use openti_store::Store;
use serde_json::{json, Value};

use super::Common;

/// Exit code when some input was refused (everything else was stored).
const EXIT_REJECTED: u8 = 2;

/// Options of `openti import dnstap` and `openti import pcap`.
#[derive(Args, Debug)]
pub struct DnsFileArgs {
    #[command(flatten)]
    common: Common,
    /// Sensor id stored with every fact.
    #[arg(long)]
    sensor: Option<String>,
    /// Aggregation window in seconds of message time.
    #[arg(long, default_value_t = 60)]
    window: u64,
    /// Frames or packets per transaction.
    #[arg(long, default_value_t = 10_000)]
    batch_size: usize,
    /// DNS ports (pcap only; repeat for several).
    #[arg(long = "dns-port", default_values_t = [53u16])]
    dns_ports: Vec<u16>,
    /// Input files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Options of `openti import cof` and `openti import dnsdb`.
#[derive(Args, Debug)]
pub struct CofArgs {
    #[command(flatten)]
    common: Common,
    /// Lines per transaction.
    #[arg(long, default_value_t = 1000)]
    batch_size: usize,
    /// Input files (NDJSON).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Which DNS input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// dnstap (Frame Streams file).
    Dnstap,
    /// pcap or pcapng.
    Pcap,
    /// Passive DNS Common Output Format.
    Cof,
    /// DNSDB NDJSON.
    Dnsdb,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Dnstap => "dnstap",
            Kind::Pcap => "pcap",
            Kind::Cof => "cof",
            Kind::Dnsdb => "dnsdb",
        }
    }
}

/// Opens a capture for reading while its digest (the input's identity) is computed on another
/// thread.
fn open(path: &Path) -> anyhow::Result<(InputDigest, BufReader<std::fs::File>)> {
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok((
        InputDigest::of_file(path),
        BufReader::with_capacity(1 << 20, f),
    ))
}

async fn pipeline<I>(
    store: &dyn Store,
    name: &str,
    digest: InputDigest,
    records: I,
    batch_size: usize,
) -> anyhow::Result<IngestSummary>
where
    I: Iterator<Item = std::io::Result<Record>> + Send,
{
    let opts = IngestOptions { batch_size };
    let mut progress = |_: u64, _: &IngestSummary| {};
    Ok(ingest_records(store, name, digest, records, &opts, &mut progress).await?)
}

/// Imports one dnstap or pcap file; returns its summary and totals.
pub async fn import_messages(
    store: &dyn Store,
    kind: Kind,
    path: &Path,
    opts: DriverOptions,
    ports: Vec<u16>,
    batch_size: usize,
) -> anyhow::Result<(IngestSummary, Value)> {
    let name = path.display().to_string();
    let (digest, reader) = open(path)?;
    let now = openti_ingest::dnstap::now();
    async fn go<S: MessageSource + Send>(
        store: &dyn Store,
        name: &str,
        digest: InputDigest,
        src: S,
        opts: DriverOptions,
        batch_size: usize,
    ) -> anyhow::Result<(IngestSummary, openti_ingest::dns::DnsStats, S)> {
        let mut recs = DnsRecords::new(src, opts);
        let s = pipeline(store, name, digest, &mut recs, batch_size).await?;
        let stats = recs.stats().clone();
        Ok((s, stats, recs.into_source()))
    }
    match kind {
        Kind::Dnstap => {
            let src = openti_ingest::dnstap::DnstapFile::new(reader, now);
            let (s, dns, src) = go(store, &name, digest, src, opts, batch_size).await?;
            let v = json!({"file": name, "format": "dnstap", "ingest": s, "dns": dns, "dnstap": src.stats()});
            Ok((s, v))
        }
        _ => {
            let src = openti_ingest::pcap::PcapFile::new(reader, ports, now)
                .with_context(|| format!("{name}: not a readable capture"))?;
            let (s, dns, src) = go(store, &name, digest, src, opts, batch_size).await?;
            let v = json!({"file": name, "format": "pcap", "ingest": s, "dns": dns, "pcap": src.stats()});
            Ok((s, v))
        }
    }
}

fn report(name: &str, s: &IngestSummary) {
    for e in s.errors.iter().take(20) {
        eprintln!("{name}:{}: {}", e.line, e.message);
    }
    if s.errors.len() > 20 {
        eprintln!("{name}: … {} more refused", s.rejected - 20);
    }
}

/// `openti import dnstap|pcap`.
pub async fn run_messages(kind: Kind, args: DnsFileArgs) -> anyhow::Result<u8> {
    let store = crate::db::open(&args.common.database).await?;
    let opts = DriverOptions {
        window: chrono_secs(args.window),
        sensor: args.sensor.clone(),
        ..DriverOptions::default()
    };
    let mut total = IngestSummary::default();
    let mut reports = Vec::new();
    for f in &args.files {
        let (s, v) = import_messages(
            store.as_ref(),
            kind,
            f,
            opts.clone(),
            args.dns_ports.clone(),
            args.batch_size,
        )
        .await?;
        report(&f.display().to_string(), &s);
        let dns = &v["dns"];
        eprintln!(
            "{}: {} {}: {} messages ({} NOERROR responses, {} malformed), {} bad units, {} facts stored, {} already ingested",
            f.display(),
            kind.name(),
            v["format"].as_str().unwrap_or(""),
            dns["messages"],
            dns["noerror"],
            dns["malformed_messages"],
            dns["bad_units"],
            s.accepted,
            s.skipped
        );
        total.merge(s);
        reports.push(v);
    }
    finish(args.common.json, &total, reports)
}

fn finish(json: bool, total: &IngestSummary, reports: Vec<Value>) -> anyhow::Result<u8> {
    if json {
        println!("{}", json!({"files": reports, "total": total}));
    }
    Ok(if total.rejected > 0 { EXIT_REJECTED } else { 0 })
}

/// `openti import cof|dnsdb`.
pub async fn run_cof(kind: Kind, args: CofArgs) -> anyhow::Result<u8> {
    let store = crate::db::open(&args.common.database).await?;
    let mut total = IngestSummary::default();
    let mut reports = Vec::new();
    for f in &args.files {
        let name = f.display().to_string();
        let (digest, reader) = open(f)?;
        let recs = openti_ingest::cof::CofRecords::new(reader);
        let s = pipeline(store.as_ref(), &name, digest, recs, args.batch_size).await?;
        report(&name, &s);
        eprintln!(
            "{name}: {} lines read: {} facts stored, {} already ingested, {} refused",
            s.read, s.accepted, s.skipped, s.rejected
        );
        reports.push(json!({"file": name, "format": kind.name(), "ingest": s}));
        total.merge(s);
    }
    finish(args.common.json, &total, reports)
}

/// Seconds as a window (at least one second).
pub fn chrono_secs(s: u64) -> chrono::TimeDelta {
    chrono::TimeDelta::seconds(i64::try_from(s.max(1)).unwrap_or(i64::MAX / 1000))
}
