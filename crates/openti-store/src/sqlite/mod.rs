//! SQLite backend: one file, WAL mode, one writer connection behind a mutex and a small pool
//! of reader connections so reads run concurrently with writes. All blocking SQLite work runs
//! on tokio's blocking pool.
//!
//! The store's logic lives in [`crate::engine`] (shared with PostgreSQL); this module owns the
//! connections, the pragmas and the SQLite [`migrations`].

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::db::Conn;
use crate::engine::Pool;
use crate::{StoreError, StoreResult};

pub mod migrations;

pub use crate::engine::explain;

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
    /// Migrations applied when the database was opened.
    migrated_on_open: usize,
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
    if wal {
        // The writer: a statement that fires a trigger (every host upsert marks the host for
        // rescoring) keeps a statement journal; past 64 KiB SQLite spills it to a temporary
        // file and then writes every journalled page of every later statement of the
        // transaction there (a third of a passive DNS batch's time). Kept in memory instead.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
    }
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
        let migrated = migrations::migrate(&mut writer).map_err(|e| StoreError::Open {
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
        Ok(Self::from_parts(writer, readers, migrated))
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
        Ok(Self::from_parts(conn, Vec::new(), 0))
    }

    fn from_parts(writer: Connection, readers: Vec<Connection>, migrated_on_open: usize) -> Self {
        SqliteStore {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers: readers.into_iter().map(Mutex::new).collect(),
                next_reader: AtomicUsize::new(0),
                migrated_on_open,
            }),
        }
    }

    /// Schema versions applied to this database, ascending.
    pub async fn schema_versions(&self) -> StoreResult<Vec<i64>> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || migrations::applied_versions(&lock(&inner.writer)))
            .await
            .map_err(|e| StoreError::Database(format!("blocking task failed: {e}")))?
    }

    /// How many migrations [`SqliteStore::open`] applied (opening brings the schema up to
    /// date).
    pub fn migrated_on_open(&self) -> usize {
        self.inner.migrated_on_open
    }

    /// Re-runs the migrator on the open database; returns how many migrations were applied
    /// (0 when the schema is current).
    pub async fn migrate(&self) -> StoreResult<usize> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || migrations::migrate(&mut lock(&inner.writer)))
            .await
            .map_err(|e| StoreError::Database(format!("blocking task failed: {e}")))?
    }
}

impl Pool for SqliteStore {
    fn with_read<T>(&self, f: impl Fn(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self.inner.reader();
        f(&Conn::Sqlite(&conn))
    }

    fn with_write<T>(&self, f: impl Fn(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let conn = lock(&self.inner.writer);
        f(&Conn::Sqlite(&conn))
    }
}

crate::impl_store!(SqliteStore, crate::engine::write::apply_batch);
