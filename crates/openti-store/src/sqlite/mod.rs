//! SQLite backend: one file, WAL mode, one writer connection behind a mutex and a small pool
//! of reader connections so reads run concurrently with writes. All blocking SQLite work runs
//! on tokio's blocking pool.
//!
//! Module map: [`migrations`] (schema), `write`/`write_intel` (batch aggregation), `read`
//! (collections and single entities), `render` (rows → Graph entities), `search`
//! (`$search`, full text via `fts`), `extra` (evidence, tokens, counts).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use openti_model::evidence::HostEvidence;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use crate::{
    Batch, BatchOutcome, EntityKind, ListQuery, Page, Store, StoreError, StoreResult, TableCounts,
    TokenRecord,
};

mod extra;
mod fts;
mod ip_hosts;
pub mod migrations;
mod odata;
mod pdns_facts;
mod read;
mod render;
mod reputation;
mod search;
mod time;
mod write;
mod write_intel;

pub use odata::explain;

/// Number of reader connections for a file database.
const READERS: usize = 4;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

struct Inner {
    writer: Mutex<Connection>,
    /// Empty for an in-memory database: reads then use the writer connection.
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock cannot leave a half-written transaction behind (rusqlite
    // rolls back on drop), so a poisoned connection is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    fn reader(&self) -> MutexGuard<'_, Connection> {
        if self.readers.is_empty() {
            return lock(&self.writer);
        }
        let n = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        // Prefer an idle reader; otherwise wait for the round-robin pick.
        for i in 0..self.readers.len() {
            if let Ok(g) = self.readers[(n + i) % self.readers.len()].try_lock() {
                return g;
            }
        }
        lock(&self.readers[n])
    }
}

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("readers", &self.inner.readers.len())
            .finish()
    }
}

fn configure(conn: &Connection, wal: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    if wal {
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Bulk ingest touches pages all over the B-trees: a 64 MiB page cache (instead of 2 MiB)
    // and a 64 MiB WAL between checkpoints (instead of 4 MiB) write each hot page far fewer
    // times (measured with scripts/bench: a third less ingest CPU, see BENCHMARKS.md).
    conn.pragma_update(None, "cache_size", -65536)?;
    conn.pragma_update(None, "wal_autocheckpoint", 16384)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and applies pending migrations.
    /// Blocking: call it from `spawn_blocking` inside an async runtime.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut writer = Connection::open(path).map_err(open_err)?;
        configure(&writer, true).map_err(open_err)?;
        migrations::migrate(&mut writer).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI;
            let r = Connection::open_with_flags(path, flags).map_err(open_err)?;
            r.busy_timeout(Duration::from_secs(10)).map_err(open_err)?;
            r.set_prepared_statement_cache_capacity(64);
            readers.push(r);
        }
        Ok(Self::from_parts(writer, readers))
    }

    /// A private in-memory database on a single connection (for unit tests).
    pub fn open_in_memory() -> StoreResult<Self> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            path: ":memory:".into(),
            message: e.to_string(),
        };
        let mut conn = Connection::open_in_memory().map_err(open_err)?;
        configure(&conn, false).map_err(open_err)?;
        migrations::migrate(&mut conn)?;
        Ok(Self::from_parts(conn, Vec::new()))
    }

    fn from_parts(writer: Connection, readers: Vec<Connection>) -> Self {
        SqliteStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers: readers.into_iter().map(Mutex::new).collect(),
                next_reader: AtomicUsize::new(0),
            }),
        }
    }

    /// Schema versions applied to this database, ascending.
    pub async fn schema_versions(&self) -> StoreResult<Vec<i64>> {
        self.read(migrations::applied_versions).await
    }

    /// Re-runs the migrator on the open database; returns how many migrations were applied
    /// (0 when the schema is current).
    pub async fn migrate(&self) -> StoreResult<usize> {
        self.write(migrations::migrate).await
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let conn = inner.reader();
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::Database(format!("blocking task failed: {e}")))?
    }

    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut conn = lock(&inner.writer);
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Database(format!("blocking task failed: {e}")))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn apply_batch(&self, batch: Batch) -> StoreResult<BatchOutcome> {
        self.write(move |c| write::apply_batch(c, &batch)).await
    }

    async fn list(&self, query: &ListQuery) -> StoreResult<Page> {
        let q = query.clone();
        self.read(move |c| read::list(c, &q)).await
    }

    async fn get(&self, kind: EntityKind, id: &str) -> StoreResult<Option<Value>> {
        let id = id.to_string();
        self.read(move |c| read::get(c, kind, &id)).await
    }

    async fn host_whois(&self, host: &str) -> StoreResult<Option<Value>> {
        let host = host.to_string();
        self.read(move |c| read::whois_current(c, &host)).await
    }

    async fn host_evidence(&self, host: &str) -> StoreResult<Option<HostEvidence>> {
        let host = host.to_string();
        self.read(move |c| extra::host_evidence(c, &host)).await
    }

    async fn rescore(
        &self,
        set: crate::reputation::RescoreSet,
        scorer: crate::reputation::Scorer,
        version: &str,
    ) -> StoreResult<crate::reputation::RescoreStats> {
        let version = version.to_string();
        self.write(move |c| reputation::rescore(c, &set, &scorer, &version))
            .await
    }

    async fn stored_reputation(
        &self,
        host: &str,
    ) -> StoreResult<Option<crate::reputation::StoredReputation>> {
        let host = host.to_string();
        self.read(move |c| reputation::stored(c, &host)).await
    }

    async fn mark_reputation_dirty(&self, hosts: Option<Vec<String>>) -> StoreResult<u64> {
        self.write(move |c| reputation::mark_dirty(c, hosts.as_deref()))
            .await
    }

    async fn replace_reputation_list(
        &self,
        list: &openti_model::lists::ReputationList,
    ) -> StoreResult<u64> {
        let list = list.clone();
        self.write(move |c| reputation::replace_list(c, &list))
            .await
    }

    async fn reputation_lists(&self) -> StoreResult<Vec<openti_model::lists::ListSummary>> {
        self.read(reputation::lists).await
    }

    async fn create_token(&self, record: &TokenRecord, secret_sha256: &str) -> StoreResult<()> {
        let (record, secret) = (record.clone(), secret_sha256.to_string());
        self.write(move |c| extra::create_token(c, &record, &secret))
            .await
    }

    async fn find_token(&self, secret_sha256: &str) -> StoreResult<Option<TokenRecord>> {
        let secret = secret_sha256.to_string();
        self.read(move |c| extra::find_token(c, &secret)).await
    }

    async fn list_tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        self.read(extra::list_tokens).await
    }

    async fn revoke_token(&self, id: &str) -> StoreResult<bool> {
        let id = id.to_string();
        self.write(move |c| extra::revoke_token(c, &id)).await
    }

    async fn counts(&self) -> StoreResult<TableCounts> {
        self.read(extra::counts).await
    }

    async fn passive_dns_facts(&self, host: &str) -> StoreResult<Vec<crate::PassiveDnsFact>> {
        let host = host.to_string();
        self.read(move |c| pdns_facts::passive_dns_facts(c, &host))
            .await
    }

    async fn ip_host_ids(&self, after: &str, limit: u32) -> StoreResult<Vec<String>> {
        let after = after.to_string();
        self.read(move |c| ip_hosts::ip_host_ids(c, &after, limit))
            .await
    }
}
