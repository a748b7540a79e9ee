//! Opening the store named by `--database`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use openti_store::{SqliteStore, Store};

/// Opens (creating and migrating if needed) the store at `spec`: a SQLite file path, or a
/// `sqlite://` URL.
pub async fn open(spec: &str) -> anyhow::Result<Arc<dyn Store>> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        bail!("--database {spec}: the PostgreSQL backend is not available in this build yet; use a SQLite file path");
    }
    let path = spec.strip_prefix("sqlite://").unwrap_or(spec);
    let p = Path::new(path).to_path_buf();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&p))
        .await
        .context("opening the database")?
        .with_context(|| format!("opening database {path}"))?;
    Ok(Arc::new(store))
}
