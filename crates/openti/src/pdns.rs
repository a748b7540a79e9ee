//! Passive DNS verbs: `openti collect dnstap` (live listener) and `openti export cof`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use openti_collect::dnstap::{CollectOptions, Listen};

/// `openti collect …`.
#[derive(Subcommand, Debug)]
pub enum CollectCommand {
    /// Listen for dnstap from resolvers (Frame Streams over a Unix socket or TCP) and store the
    /// answers of NOERROR responses as passive DNS, aggregated per window.
    Dnstap(CollectDnstapArgs),
}

/// Options of `openti collect dnstap`.
#[derive(Args, Debug)]
pub struct CollectDnstapArgs {
    /// `unix:/path/to/socket` or `tcp:127.0.0.1:PORT`.
    #[arg(long)]
    listen: String,
    /// Database path (SQLite) or URL.
    #[arg(long, env = "OPENTI_DATABASE", default_value = crate::DEFAULT_DATABASE)]
    database: String,
    /// Sensor id stored with every fact.
    #[arg(long)]
    sensor: Option<String>,
    /// Aggregation window in seconds: facts are written once per window.
    #[arg(long, default_value_t = 10)]
    window: u64,
    /// Print the final counters as JSON on standard output.
    #[arg(long)]
    json: bool,
}

/// `openti export …`.
#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// A host's passive DNS in the Passive DNS Common Output Format (NDJSON).
    Cof(ExportCofArgs),
}

/// Options of `openti export cof`.
#[derive(Args, Debug)]
pub struct ExportCofArgs {
    /// Host name or IP whose forward passive DNS is exported.
    #[arg(long)]
    host: String,
    /// Database path (SQLite) or URL.
    #[arg(long, env = "OPENTI_DATABASE", default_value = crate::DEFAULT_DATABASE)]
    database: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs `openti collect`.
pub async fn collect(cmd: CollectCommand) -> anyhow::Result<u8> {
    let CollectCommand::Dnstap(a) = cmd;
    let listen: Listen = a
        .listen
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--listen {e}"))?;
    let store = crate::db::open(&a.database).await?;
    let opts = CollectOptions {
        window: Duration::from_secs(a.window.max(1)),
        sensor: a.sensor,
    };
    let stats = openti_collect::dnstap::run(&listen, store, opts, shutdown_signal(), |addr| {
        eprintln!("openti collect dnstap: listening on {addr}");
    })
    .await?;
    eprintln!(
        "openti collect dnstap: {} connections ({} with errors), {} frames ({} bad), {} NOERROR responses, {} answers, {} facts written in {} flushes",
        stats.connections,
        stats.connection_errors,
        stats.frames,
        stats.bad_frames,
        stats.noerror,
        stats.answers,
        stats.facts_written,
        stats.flushes
    );
    if a.json {
        println!("{}", serde_json::to_string(&stats)?);
    }
    Ok(0)
}

/// Runs `openti export`.
pub async fn export(cmd: ExportCommand) -> anyhow::Result<u8> {
    let ExportCommand::Cof(a) = cmd;
    let store = crate::db::open(&a.database).await?;
    let host = openti_model::normalize::HostName::parse(&a.host)
        .map_err(|e| anyhow::anyhow!("--host {:?}: {e}", a.host))?
        .as_id();
    let facts = store.passive_dns_facts(&host).await?;
    let mut out = String::new();
    for f in &facts {
        out.push_str(&openti_ingest::cof::to_cof(&openti_ingest::cof::CofFact {
            rrname: &f.name,
            rrtype: &f.rtype,
            rdata: &f.value,
            first: f.first,
            last: f.last,
            count: f.count,
            sensor: f.sensor.as_deref(),
        }));
        out.push('\n');
    }
    match a.output {
        Some(p) => std::fs::write(&p, out).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{out}"),
    }
    eprintln!("{}: {} passive DNS facts", host, facts.len());
    Ok(0)
}
