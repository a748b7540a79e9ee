//! `openti reputation recompute|show|lists|rules`, the rule-file option shared by the commands
//! that score hosts, and the rescoring step after `openti ingest` and list imports.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use openti_model::GraphEntity;
use openti_server::reputation::{self as rep, Engine};
use openti_store::Store;

use crate::config::FileConfig;

/// Options of every reputation subcommand.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// Database path (SQLite) or URL [default: ./openti.db].
    #[arg(long, env = "OPENTI_DATABASE")]
    pub database: Option<String>,
}

/// `openti reputation …`.
#[derive(Subcommand, Debug)]
pub enum ReputationCommand {
    /// Rescore hosts whose facts changed (or, with --all, every host).
    Recompute {
        #[command(flatten)]
        db: DbArgs,
        /// Rescore every host, not only the changed ones.
        #[arg(long)]
        all: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a host's reputation as Graph JSON (scoring it if needed).
    Show {
        #[command(flatten)]
        db: DbArgs,
        /// Host name or IP address.
        host: String,
    },
    /// List the stored block- and allow-lists.
    Lists {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the effective rule file (the embedded defaults unless --reputation-rules is set).
    Rules,
}

static RULES_PATH: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

/// Records the rule file for this process: `--reputation-rules` / `OPENTI_REPUTATION_RULES`,
/// else the configuration file's `reputation_rules`, else none (the embedded defaults).
pub fn set_rules_path(flag: Option<PathBuf>, file: &FileConfig) {
    let path = flag.or_else(|| file.reputation_rules.as_ref().map(PathBuf::from));
    let _ = RULES_PATH.set(path);
}

/// The rule file recorded by [`set_rules_path`].
pub fn rules_path() -> Option<&'static Path> {
    RULES_PATH.get().and_then(|p| p.as_deref())
}

/// The serve settings with the configured rule set.
pub fn with_engine(
    mut settings: crate::config::Settings,
) -> anyhow::Result<crate::config::Settings> {
    let engine = engine(rules_path())?;
    eprintln!(
        "reputation rules: {} ({} rules, version {})",
        engine.origin(),
        engine.rules().len(),
        engine.version()
    );
    settings.server.reputation = engine;
    Ok(settings)
}

/// Loads the rule set.
pub fn engine(path: Option<&Path>) -> anyhow::Result<Arc<Engine>> {
    Ok(Arc::new(
        Engine::load(path).context("loading the reputation rules")?,
    ))
}

/// Rescores the dirty hosts of `store` and reports on standard error.
pub async fn rescore_dirty(store: &dyn Store) -> anyhow::Result<()> {
    let engine = engine(rules_path())?;
    let s = rep::recompute_dirty(store, &engine).await?;
    if s.scored > 0 {
        eprintln!(
            "reputation: {} host(s) scored ({} pivot neighbour(s) revisited)",
            s.scored, s.neighbours
        );
    }
    Ok(())
}

/// After `openti ingest`: opens the database and rescores its dirty hosts.
pub async fn after_ingest(database: &str) -> anyhow::Result<()> {
    let store = crate::db::open(database).await?;
    rescore_dirty(store.as_ref()).await
}

/// Runs a subcommand; returns the exit code.
pub async fn run(cmd: ReputationCommand, file: &FileConfig) -> anyhow::Result<u8> {
    let path = rules_path();
    let db = |d: &DbArgs| crate::config::database(d.database.clone(), file);
    match cmd {
        ReputationCommand::Recompute { db: d, all, json } => {
            let store = crate::db::open(&db(&d)).await?;
            let engine = engine(path)?;
            let started = std::time::Instant::now();
            let s = if all {
                rep::recompute_all(store.as_ref(), &engine).await?
            } else {
                rep::recompute_dirty(store.as_ref(), &engine).await?
            };
            let secs = started.elapsed().as_secs_f64();
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "scored": s.scored,
                        "neighbours": s.neighbours,
                        "seconds": secs,
                        "rules": engine.origin(),
                        "rulesVersion": engine.version(),
                    })
                );
            } else {
                eprintln!(
                    "reputation: {} host(s) scored in {secs:.2}s ({} pivot neighbour(s) revisited; rules {} {})",
                    s.scored,
                    s.neighbours,
                    engine.origin(),
                    engine.version()
                );
            }
            Ok(0)
        }
        ReputationCommand::Show { db: d, host } => {
            let store = crate::db::open(&db(&d)).await?;
            let engine = engine(path)?;
            let id = openti_model::normalize::HostName::parse(&host)
                .map(|h| h.as_id())
                .with_context(|| format!("invalid host {host}"))?;
            match rep::host_reputation(store.as_ref(), &engine, &id).await? {
                Some(r) => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&r.to_entity().to_json())?
                    );
                    Ok(0)
                }
                None => {
                    eprintln!("unknown host {id}");
                    Ok(1)
                }
            }
        }
        ReputationCommand::Lists { db: d } => {
            let store = crate::db::open(&db(&d)).await?;
            for l in store.reputation_lists().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    l.name,
                    l.kind.as_str(),
                    l.source,
                    l.entries
                );
            }
            Ok(0)
        }
        ReputationCommand::Rules => {
            match path {
                Some(p) => print!(
                    "{}",
                    std::fs::read_to_string(p)
                        .with_context(|| format!("reading {}", p.display()))?
                ),
                None => print!("{}", openti_analyze_rules()),
            }
            Ok(0)
        }
    }
}

fn openti_analyze_rules() -> &'static str {
    openti_server::reputation::DEFAULT_RULES
}
