//! `openti import FORMAT [--database ...] FILE...`: readers of external formats.
//!
//! Each format lives in its own module with a clap `Args` struct and a `run` function that
//! turns its input into observations and feeds them through
//! [`openti_ingest::pipeline`](openti_ingest::pipeline) (keyed batches, exactly-once).
//! Add a format by adding a module and one variant below.

use clap::{Args, Subcommand};

/// Options every import shares.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Database path (SQLite) or URL.
    #[arg(long, env = "OPENTI_DATABASE", default_value = crate::DEFAULT_DATABASE)]
    pub database: String,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// The formats `openti import` reads.
#[derive(Subcommand, Debug)]
pub enum ImportFormat {}

/// Runs an import; returns the process exit code.
pub async fn run(format: ImportFormat) -> anyhow::Result<u8> {
    match format {}
}
