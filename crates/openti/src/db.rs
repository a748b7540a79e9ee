//! Opening the store named by `--database`: a SQLite file path (or `sqlite://PATH`), or a
//! PostgreSQL URL (`postgres://user@host:5432/db`), and `openti db migrate|status`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use openti_store::postgres::{retry_with_backoff, PgOptions, PgStore};
use openti_store::{SqliteStore, Store};

/// Whether `spec` names a PostgreSQL database.
pub fn is_postgres(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

static FILE_INGEST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// This process ingests files that can be run again (`openti ingest`, `openti import`):
/// PostgreSQL commits its batches without waiting for the WAL flush (see
/// [`PgOptions::async_commit`]; batch keys make a re-run restore exactly what a database crash
/// lost).
pub fn file_ingest_mode() {
    FILE_INGEST.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// PostgreSQL pool settings from `OPENTI_PG_MAX_CONNECTIONS` and
/// `OPENTI_PG_STATEMENT_TIMEOUT_SECS` (defaults: 8 connections, 60 s).
pub fn pg_options() -> PgOptions {
    let mut o = PgOptions {
        async_commit: FILE_INGEST.load(std::sync::atomic::Ordering::Relaxed),
        ..PgOptions::default()
    };
    if let Some(n) = env_u64("OPENTI_PG_MAX_CONNECTIONS") {
        o.max_connections = n.max(1) as usize;
    }
    if let Some(s) = env_u64("OPENTI_PG_STATEMENT_TIMEOUT_SECS") {
        o.statement_timeout = Duration::from_secs(s.max(1));
    }
    o
}

/// How long a command waits for PostgreSQL at start (`OPENTI_DATABASE_WAIT_SECS`, default 30).
fn wait() -> Duration {
    Duration::from_secs(env_u64("OPENTI_DATABASE_WAIT_SECS").unwrap_or(30))
}

/// Opens (creating and migrating if needed) the store at `spec`. PostgreSQL is retried with
/// back-off for up to `OPENTI_DATABASE_WAIT_SECS`; the error names the URL (password hidden).
pub async fn open(spec: &str) -> anyhow::Result<Arc<dyn Store>> {
    if is_postgres(spec) {
        let store = PgStore::connect_async(spec, pg_options(), wait())
            .await
            .context("opening the PostgreSQL database")?;
        return Ok(Arc::new(store));
    }
    let path = spec.strip_prefix("sqlite://").unwrap_or(spec);
    let p = Path::new(path).to_path_buf();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&p))
        .await
        .context("opening the database")?
        .with_context(|| format!("opening database {path}"))?;
    Ok(Arc::new(store))
}

/// For `serve`: PostgreSQL is connected in the background (retrying with back-off and
/// logging each failure) so the server starts at once and `/readyz` answers 503 until the
/// database is reachable and migrated. SQLite opens as with [`open`].
pub async fn open_for_serve(spec: &str) -> anyhow::Result<Arc<dyn Store>> {
    if !is_postgres(spec) {
        return open(spec).await;
    }
    let store = PgStore::new(spec, pg_options()).context("--database")?;
    let bg = store.clone();
    tokio::task::spawn_blocking(move || {
        let ready = retry_with_backoff(
            None,
            || bg.ensure_ready(),
            |_| true,
            |e, delay| tracing::warn!("database not ready, retrying in {delay:?}: {e}"),
        );
        if ready.is_ok() {
            tracing::info!("database {} ready", bg.display_url());
        }
    });
    Ok(Arc::new(store))
}

/// Runs `f`, retrying "unavailable" errors with back-off for up to `wait`. Blocking.
fn retry_unavailable<T>(
    wait: Duration,
    f: impl Fn() -> openti_store::StoreResult<T>,
) -> openti_store::StoreResult<T> {
    retry_with_backoff(
        Some(wait),
        f,
        |e| matches!(e, openti_store::StoreError::Unavailable(_)),
        |_, _| {},
    )
}

/// `openti db …`.
#[derive(Subcommand)]
pub enum DbCommand {
    /// Apply pending schema migrations and print how many were applied.
    Migrate {
        /// Database path (SQLite) or URL [default: ./openti.db].
        #[arg(long, env = "OPENTI_DATABASE")]
        database: Option<String>,
    },
    /// Print the backend and the applied schema versions.
    Status {
        /// Database path (SQLite) or URL [default: ./openti.db].
        #[arg(long, env = "OPENTI_DATABASE")]
        database: Option<String>,
    },
}

/// Runs `openti db …`.
pub async fn run(cmd: DbCommand, file: &crate::config::FileConfig) -> anyhow::Result<u8> {
    let (migrate, database) = match cmd {
        DbCommand::Migrate { database } => (true, database),
        DbCommand::Status { database } => (false, database),
    };
    let spec = crate::config::database(database, file);
    let (backend, applied, versions) = if is_postgres(&spec) {
        let store = PgStore::new(&spec, pg_options())?;
        let wait = wait();
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let applied = if migrate {
                retry_unavailable(wait, || store.migrate_now())?
            } else {
                0
            };
            Ok((
                "postgresql",
                applied,
                retry_unavailable(wait, || store.schema_versions())?,
            ))
        })
        .await??
    } else {
        let path = spec.strip_prefix("sqlite://").unwrap_or(&spec).to_string();
        let store =
            tokio::task::spawn_blocking(move || SqliteStore::open(Path::new(&path))).await??;
        // opening applies pending migrations (counted); a second run applies what is left
        let applied = if migrate {
            store.migrated_on_open() + store.migrate().await?
        } else {
            0
        };
        ("sqlite", applied, store.schema_versions().await?)
    };
    if migrate {
        println!("{backend}: {applied} migration(s) applied");
    }
    println!(
        "{backend}: schema versions {}",
        versions
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(0)
}
