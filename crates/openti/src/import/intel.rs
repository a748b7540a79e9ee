//! `openti import stix | misp-galaxy | cve | nvd | kev | exploitdb`: finished intelligence and
//! vulnerability sources through the keyed pipeline, with progress, a summary and a rate line
//! (`N records in T s (R records/s)`) on standard error.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use openti_ingest::cve::{self, VulnFormat};
use openti_ingest::pipeline::Record;
use openti_ingest::{ingest_records, misp, stix, IngestOptions, IngestSummary, Observation};
use openti_model::IntelligenceProfileKind;
use openti_store::Store;

use super::Common;

const EXIT_REJECTED: u8 = 2;

/// `openti import stix`.
#[derive(Args, Debug)]
pub struct StixArgs {
    #[command(flatten)]
    common: Common,
    /// Also import revoked objects (marked as revoked) instead of skipping them.
    #[arg(long)]
    include_revoked: bool,
    /// Records per transaction.
    #[arg(long, default_value_t = 1000)]
    batch_size: usize,
    /// Bundle files, or directories searched for `*.json`.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// Profile kinds on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// Threat actors.
    Actor,
    /// Malware and tools.
    Tool,
}

/// `openti import misp-galaxy`.
#[derive(Args, Debug)]
pub struct MispArgs {
    #[command(flatten)]
    common: Common,
    /// Profile kind (default: from the galaxy `type`).
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// `country.json` cluster for country names (default: next to each file, if present).
    #[arg(long)]
    countries: Option<PathBuf>,
    /// Records per transaction.
    #[arg(long, default_value_t = 1000)]
    batch_size: usize,
    /// Cluster files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// `openti import cve | nvd | kev | exploitdb`.
#[derive(Args, Debug)]
pub struct VulnArgs {
    #[command(flatten)]
    common: Common,
    /// Reference date of the priority score's recency term (RFC 3339 or YYYY-MM-DD; default now).
    #[arg(long)]
    as_of: Option<String>,
    /// Records per transaction.
    #[arg(long, default_value_t = 1000)]
    batch_size: usize,
    /// Input files (for `cve` also cvelistV5 directories).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// Parses `--as-of`.
pub fn as_of(arg: &Option<String>) -> anyhow::Result<DateTime<Utc>> {
    match arg {
        None => Ok(Utc::now()),
        Some(s) => cve::parse_time(s).with_context(|| format!("--as-of: invalid date {s:?}")),
    }
}

struct Run {
    bar: ProgressBar,
    total: IngestSummary,
    started: Instant,
    done: u64,
    records: Arc<std::sync::atomic::AtomicU64>,
}

impl Run {
    fn new(bytes: u64) -> Run {
        let bar = ProgressBar::new(bytes);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Run {
            bar,
            total: IngestSummary::default(),
            started: Instant::now(),
            done: 0,
            records: Arc::default(),
        }
    }

    async fn input<I>(
        &mut self,
        store: &dyn Store,
        name: &str,
        digest: &str,
        size: u64,
        records: I,
        batch: usize,
    ) -> anyhow::Result<()>
    where
        I: Iterator<Item = Result<Record, std::io::Error>> + Send,
    {
        let b = self.bar.clone();
        let base = self.done;
        let mut progress = move |consumed: u64, s: &IngestSummary| {
            b.set_position(base + consumed.min(size));
            b.set_message(format!("{} records, {} rejected", s.read, s.rejected));
        };
        let opts = IngestOptions { batch_size: batch };
        let counter = Arc::clone(&self.records);
        let records = records.inspect(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        let s = ingest_records(store, name, digest, records, &opts, &mut progress).await?;
        for e in &s.errors {
            self.bar
                .suspend(|| eprintln!("{name}:{}: {}", e.line, e.message));
        }
        self.total.merge(s);
        self.done += size;
        Ok(())
    }

    fn finish(self, what: &str, json: bool) -> anyhow::Result<u8> {
        self.bar.finish_and_clear();
        let secs = self.started.elapsed().as_secs_f64();
        let t = &self.total;
        let n = self.records.load(std::sync::atomic::Ordering::Relaxed);
        eprintln!(
            "{n} {what} read, {} mapped: {} observations stored, {} already imported (skipped), {} rejected",
            t.read, t.accepted, t.skipped, t.rejected
        );
        eprintln!(
            "{n} {what} in {secs:.2} s ({:.0} {what}/s)",
            n as f64 / secs.max(1e-9)
        );
        if json {
            let mut v = serde_json::to_value(t)?;
            v["records"] = serde_json::json!(n);
            v["seconds"] = serde_json::json!(secs);
            println!("{}", serde_json::to_string(&v)?);
        }
        Ok(if t.rejected > 0 { EXIT_REJECTED } else { 0 })
    }
}

/// `openti import stix`.
pub async fn run_stix(a: StixArgs) -> anyhow::Result<u8> {
    let store = crate::db::open(&a.common.database).await?;
    let mut run = Run::new(0);
    let opts = stix::MapOptions {
        include_revoked: a.include_revoked,
    };
    let paths = a.paths.clone();
    let inputs = tokio::task::spawn_blocking(move || stix::prepare(&paths, opts))
        .await?
        .map_err(anyhow::Error::msg)?;
    if inputs.files.is_empty() {
        bail!("no STIX files found");
    }
    run.bar.set_length(inputs.files.iter().map(|f| f.2).sum());
    for (file, digest, size) in &inputs.files {
        let name = file.display().to_string();
        run.input(
            store.as_ref(),
            &name,
            digest,
            *size,
            inputs.records(file),
            a.batch_size,
        )
        .await?;
    }
    run.finish("objects", a.common.json)
}

/// `openti import misp-galaxy`.
pub async fn run_misp(a: MispArgs) -> anyhow::Result<u8> {
    let store = crate::db::open(&a.common.database).await?;
    let size: u64 = a
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let mut run = Run::new(size);
    for file in &a.files {
        let kind = match a.kind {
            Some(KindArg::Actor) => IntelligenceProfileKind::Actor,
            Some(KindArg::Tool) => IntelligenceProfileKind::Tool,
            None => {
                let t = misp::galaxy_type(file)
                    .map_err(anyhow::Error::msg)?
                    .unwrap_or_default();
                misp::kind_of_galaxy(&t).with_context(|| {
                    format!(
                        "{}: galaxy type {t:?} is not an actor or tool galaxy; pass --kind",
                        file.display()
                    )
                })?
            }
        };
        let countries_file = a.countries.clone().or_else(|| {
            file.parent()
                .map(|p| p.join("country.json"))
                .filter(|p| p.exists())
        });
        let countries = match countries_file {
            Some(c) => misp::load_countries(&c).map_err(anyhow::Error::msg)?,
            None => Default::default(),
        };
        let digest = misp::digest(file, kind, &countries).map_err(anyhow::Error::msg)?;
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let records = misp::records(file, kind, Arc::new(countries));
        run.input(
            store.as_ref(),
            &file.display().to_string(),
            &digest,
            size,
            records,
            a.batch_size,
        )
        .await?;
    }
    run.finish("cluster values", a.common.json)
}

/// `openti import cve | nvd | kev | exploitdb`: the records, then the priority of every CVE
/// touched.
pub async fn run_vuln(format: VulnFormat, a: VulnArgs) -> anyhow::Result<u8> {
    let as_of = as_of(&a.as_of)?;
    let store = crate::db::open(&a.common.database).await?;
    let mut run = Run::new(0);
    let inputs = cve::inputs(format, &a.paths).map_err(anyhow::Error::msg)?;
    run.bar.set_length(inputs.iter().map(|i| i.size).sum());
    let touched: Arc<Mutex<HashSet<String>>> = Arc::default();
    for input in &inputs {
        let seen = Arc::clone(&touched);
        let records = input.records().inspect(move |r| {
            if let Ok(Record {
                outcome: Some(Ok(obs)),
                ..
            }) = r
            {
                let mut set = seen.lock().unwrap_or_else(|p| p.into_inner());
                for o in obs {
                    if let Observation::VulnerabilityUpdate(u) = o {
                        set.insert(u.id.clone());
                    }
                }
            }
        });
        run.input(
            store.as_ref(),
            &input.name,
            &input.digest,
            input.size,
            records,
            a.batch_size,
        )
        .await?;
    }
    let mut cves: Vec<String> = touched
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .drain()
        .collect();
    cves.sort();
    let updated = openti_ingest::intel::refresh_priorities(store.as_ref(), &cves, as_of).await?;
    let st = &cve::SCORE_STATS;
    use std::sync::atomic::Ordering::Relaxed;
    run.bar.suspend(|| {
        eprintln!(
            "CVSS: {} vectors scored, {} published scores differ from their vector, {} invalid vectors; \
             priority updated for {updated} of {} CVEs",
            st.checked.load(Relaxed),
            st.mismatched.load(Relaxed),
            st.invalid.load(Relaxed),
            cves.len()
        )
    });
    run.finish("records", a.common.json)
}
