//! `openti ingest`: NDJSON observation files into the store, with progress and a summary.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use openti_ingest::{ingest_path, IngestOptions, IngestSummary};

/// Exit code when some lines were rejected (everything else was stored).
pub const EXIT_REJECTED: u8 = 2;

/// Runs the command; returns the process exit code.
pub async fn run(
    database: &str,
    batch_size: usize,
    json: bool,
    files: &[PathBuf],
) -> anyhow::Result<u8> {
    let store = crate::db::open(database).await?;
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = ProgressBar::new(total_bytes);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let opts = IngestOptions { batch_size };
    let mut total = IngestSummary::default();
    let mut done_bytes = 0u64;
    for file in files {
        let name = file.display().to_string();
        let b = bar.clone();
        let base = done_bytes;
        let mut progress = move |consumed: u64, s: &IngestSummary| {
            b.set_position(base + consumed);
            b.set_message(format!(
                "{} accepted, {} rejected",
                s.accepted + s.skipped,
                s.rejected
            ));
        };
        let summary = ingest_path(store.as_ref(), file, &opts, &mut progress).await?;
        done_bytes += std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        for e in &summary.errors {
            bar.suspend(|| eprintln!("{name}:{}: {}", e.line, e.message));
        }
        total.merge(summary);
    }
    bar.finish_and_clear();
    eprintln!(
        "read {} lines: {} accepted, {} already ingested (skipped), {} rejected",
        total.read, total.accepted, total.skipped, total.rejected
    );
    if json {
        println!("{}", serde_json::to_string(&total)?);
    }
    Ok(if total.rejected > 0 { EXIT_REJECTED } else { 0 })
}
