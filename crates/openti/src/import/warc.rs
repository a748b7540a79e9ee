//! `openti import warc FILE...`: web archives (WARC, plain or gzip members, Common Crawl
//! layout) through the same page analyser as `openti crawl`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use openti_ingest::warc::{records, WarcReader};
use openti_ingest::{digest_reader, ingest_records, IngestOptions, IngestSummary};

use super::Common;

/// Options of `openti import warc`.
#[derive(Args, Debug)]
pub struct WarcArgs {
    #[command(flatten)]
    pub common: Common,
    /// Wappalyzer-format fingerprint directory [default: the fetched wappalyzer-6.10.47 data].
    #[arg(long, env = "OPENTI_FINGERPRINTS")]
    pub fingerprints: Option<PathBuf>,
    /// Extra tracker registry file (TOML).
    #[arg(long)]
    pub trackers: Option<PathBuf>,
    /// WARC files (`.warc` or `.warc.gz`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs the import; returns the exit code (2 when some records were rejected).
pub async fn run(args: WarcArgs) -> anyhow::Result<u8> {
    let analyzer = crate::crawl::analyzer(args.fingerprints, args.trackers)?;
    let store = crate::db::open(&args.common.database).await?;
    let mut total = IngestSummary::default();
    for file in &args.files {
        let name = file.display().to_string();
        let digest = digest_reader(std::fs::File::open(file).with_context(|| name.clone())?)?;
        let reader = WarcReader::new(std::fs::File::open(file).with_context(|| name.clone())?)?;
        let summary = ingest_records(
            store.as_ref(),
            &name,
            &digest,
            records(reader, &analyzer),
            &IngestOptions { batch_size: 100 },
            &mut |_, _| {},
        )
        .await?;
        for e in &summary.errors {
            eprintln!("{name}: record {}: {}", e.line, e.message);
        }
        total.merge(summary);
    }
    eprintln!(
        "read {} page records: {} observations stored, {} already ingested (skipped), {} rejected",
        total.read, total.accepted, total.skipped, total.rejected
    );
    if args.common.json {
        println!("{}", serde_json::to_string(&total)?);
    }
    Ok(if total.rejected > 0 { 2 } else { 0 })
}
