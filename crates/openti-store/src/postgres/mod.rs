//! PostgreSQL backend: the shared engine ([`crate::engine`]) over a pool of connections.
//!
//! * Connections are opened on demand up to [`PgOptions::max_connections`], each with a
//!   `statement_timeout`, and returned to the pool after use (a broken one is dropped).
//! * The first use runs the migrations (under an advisory lock, so concurrent processes
//!   migrate once); until the database answers, calls fail with
//!   [`StoreError::Unavailable`] and [`crate::Store::health`] reports it (`/readyz` false).
//!   [`PgStore::connect`] retries with exponential back-off for a bounded time.
//! * Write transactions that lose a deadlock or serialization conflict with another process
//!   are run again (up to [`RETRIES`] times); a batch is keyed and transactional, so a retry
//!   applies it exactly once.
//! * Passive DNS observations take a bulk path ([`bulk`]): rows aggregated per batch and
//!   upserted with `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE`.

pub mod bulk;
pub mod migrations;
pub mod scratch;

use std::cell::RefCell;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::db::{Conn, PgConn};
use crate::engine::Pool;
use crate::{StoreError, StoreResult};

/// How many times a write transaction is run again after a deadlock or serialization failure.
pub const RETRIES: usize = 8;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Most open connections.
    pub max_connections: usize,
    /// Per-statement time limit.
    pub statement_timeout: Duration,
    /// Time limit for opening one connection.
    pub connect_timeout: Duration,
    /// How long to wait for a free connection.
    pub acquire_timeout: Duration,
    /// Commit without waiting for the WAL flush (`synchronous_commit = off`). For re-runnable
    /// file ingest only: a database crash may lose the last moments of committed batches, and
    /// their batch keys with them, so running the same input again restores exactly them.
    pub async_commit: bool,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 8,
            statement_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(30),
            async_commit: false,
        }
    }
}

struct Inner {
    config: postgres::Config,
    /// The URL without its password, for messages.
    display: String,
    options: PgOptions,
    idle: Mutex<Slots>,
    freed: Condvar,
    migrated: AtomicBool,
    migrate_lock: Mutex<()>,
}

struct Slots {
    idle: Vec<PgConn>,
    open: usize,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The synchronous client blocks on its own runtime when it closes; an async caller's
        // thread must not do that, so the idle connections are closed on a plain thread.
        let idle = std::mem::take(&mut self.idle.get_mut().unwrap_or_else(|p| p.into_inner()).idle);
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.inner.display)
            .finish()
    }
}

/// `url` with any password replaced by `***`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl PgStore {
    /// A store for `url` (`postgres://user@host:port/db?…`) without connecting yet: the first
    /// call connects and migrates.
    pub fn new(url: &str, options: PgOptions) -> StoreResult<PgStore> {
        let display = redact(url);
        let mut config = postgres::Config::from_str(url).map_err(|e| StoreError::Open {
            path: display.clone(),
            message: format!("bad PostgreSQL URL: {e}"),
        })?;
        // settings given in the URL win over the defaults
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("openti");
        }
        let ms = options.statement_timeout.as_millis();
        let url_options = config.get_options().unwrap_or("").to_string();
        let mut opts = url_options.clone();
        if !url_options.contains("statement_timeout") {
            opts = format!("-c statement_timeout={ms} {opts}");
        }
        if options.async_commit && !url_options.contains("synchronous_commit") {
            opts = format!("-c synchronous_commit=off {opts}");
        }
        config.options(opts.trim());
        Ok(PgStore {
            inner: Arc::new(Inner {
                config,
                display,
                options,
                idle: Mutex::new(Slots {
                    idle: Vec::new(),
                    open: 0,
                }),
                freed: Condvar::new(),
                migrated: AtomicBool::new(false),
                migrate_lock: Mutex::new(()),
            }),
        })
    }

    /// Connects and migrates, retrying with exponential back-off (0.2 s doubling to 5 s) for
    /// up to `wait`; the error names the database and the last failure. Blocking.
    pub fn connect(url: &str, options: PgOptions, wait: Duration) -> StoreResult<PgStore> {
        let store = PgStore::new(url, options)?;
        store.wait_ready(wait)?;
        Ok(store)
    }

    /// [`PgStore::connect`] on a blocking thread, for async callers.
    pub async fn connect_async(
        url: &str,
        options: PgOptions,
        wait: Duration,
    ) -> StoreResult<PgStore> {
        let url = url.to_string();
        tokio::task::spawn_blocking(move || PgStore::connect(&url, options, wait))
            .await
            .map_err(|e| StoreError::Database(format!("blocking task failed: {e}")))?
    }

    /// Retries [`PgStore::ensure_ready`] with back-off for up to `wait`. Blocking.
    pub fn wait_ready(&self, wait: Duration) -> StoreResult<()> {
        let start = Instant::now();
        retry_with_backoff(Some(wait), || self.ensure_ready(), |_| true, |_, _| {}).map_err(|e| {
            StoreError::Open {
                path: self.inner.display.clone(),
                message: format!("{e} (gave up after {:.1} s)", start.elapsed().as_secs_f64()),
            }
        })
    }

    /// The database URL without its password.
    pub fn display_url(&self) -> &str {
        &self.inner.display
    }

    /// Connects (if needed) and applies pending migrations once per process. Blocking.
    pub fn ensure_ready(&self) -> StoreResult<()> {
        if self.inner.migrated.load(Ordering::Acquire) {
            return Ok(());
        }
        let _g = self
            .inner
            .migrate_lock
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if self.inner.migrated.load(Ordering::Acquire) {
            return Ok(());
        }
        self.with_conn(|c| migrations::migrate(c).map(|_| ()))?;
        self.inner.migrated.store(true, Ordering::Release);
        Ok(())
    }

    /// Applies pending migrations now; returns how many were applied. Blocking.
    pub fn migrate_now(&self) -> StoreResult<usize> {
        let n = self.with_conn(migrations::migrate)?;
        self.inner.migrated.store(true, Ordering::Release);
        Ok(n)
    }

    /// Schema versions applied to this database, ascending. Blocking.
    pub fn schema_versions(&self) -> StoreResult<Vec<i64>> {
        self.with_conn(migrations::applied_versions)
    }

    fn acquire(&self) -> StoreResult<PgConn> {
        let deadline = Instant::now() + self.inner.options.acquire_timeout;
        let mut slots = self.inner.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(c) = slots.idle.pop() {
                if !c.is_closed() {
                    return Ok(c);
                }
                slots.open -= 1;
                continue;
            }
            if slots.open < self.inner.options.max_connections.max(1) {
                slots.open += 1;
                drop(slots);
                return match self.inner.config.connect(postgres::NoTls) {
                    Ok(client) => Ok(PgConn::new(client)),
                    Err(e) => {
                        let mut s = self.inner.idle.lock().unwrap_or_else(|p| p.into_inner());
                        s.open -= 1;
                        self.inner.freed.notify_one();
                        let cause = std::error::Error::source(&e)
                            .map(|c| format!(": {c}"))
                            .unwrap_or_default();
                        Err(StoreError::Unavailable(format!(
                            "cannot connect to {}: {e}{cause}",
                            self.inner.display
                        )))
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Unavailable(format!(
                    "no free connection to {} within {:?}",
                    self.inner.display, self.inner.options.acquire_timeout
                )));
            }
            slots = self
                .inner
                .freed
                .wait_timeout(slots, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn release(&self, c: PgConn) {
        let mut slots = self.inner.idle.lock().unwrap_or_else(|p| p.into_inner());
        if c.is_closed() {
            slots.open -= 1;
        } else {
            slots.idle.push(c);
        }
        self.inner.freed.notify_one();
    }

    /// Runs `f` on a pooled connection (no migration check).
    fn with_conn<T>(&self, f: impl FnOnce(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let cell = RefCell::new(self.acquire()?);
        let out = f(&Conn::Postgres(&cell));
        let mut conn = cell.into_inner();
        // A statement that failed inside an explicit transaction leaves it open only if `f`
        // returned while holding it; the Tx guard rolls back on drop, so this is a safety net.
        if out.is_err() && !conn.is_closed() {
            let _ = conn.batch("ROLLBACK");
        }
        self.release(conn);
        out
    }
}

/// Runs `f` until it succeeds, `retry` refuses its error, or the next attempt would end after
/// `wait` (`None`: no limit), sleeping 0.2 s doubling to 5 s between attempts and calling
/// `on_retry` with the error and the coming delay first. Blocking.
pub fn retry_with_backoff<T>(
    wait: Option<Duration>,
    mut f: impl FnMut() -> StoreResult<T>,
    retry: impl Fn(&StoreError) -> bool,
    mut on_retry: impl FnMut(&StoreError, Duration),
) -> StoreResult<T> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(200);
    loop {
        match f() {
            Err(e) if retry(&e) && wait.is_none_or(|w| start.elapsed() + delay <= w) => {
                on_retry(&e, delay);
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

impl Pool for PgStore {
    fn write_parallelism(&self) -> usize {
        // leave connections for the API while a rescore runs
        (self.inner.options.max_connections / 2).clamp(1, 4)
    }

    fn with_read<T>(&self, f: impl Fn(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
        self.ensure_ready()?;
        match self.with_conn(&f) {
            // a pooled connection the server closed (restart, failover): once more on a new one
            Err(StoreError::Unavailable(_)) => self.with_conn(&f),
            other => other,
        }
    }

    fn with_write<T>(&self, f: impl Fn(&Conn<'_>) -> StoreResult<T>) -> StoreResult<T> {
        self.ensure_ready()?;
        let mut attempt = 0;
        loop {
            match self.with_conn(&f) {
                Err(StoreError::Conflict(_)) if attempt < RETRIES => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(5 << attempt.min(6)));
                }
                other => return other,
            }
        }
    }
}

crate::impl_store!(PgStore, crate::engine::write::apply_batch);

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@db:5432/x"),
            "postgres://u:***@db:5432/x"
        );
        assert_eq!(redact("postgres://u@db/x"), "postgres://u@db/x");
        assert_eq!(redact("host=db user=u"), "host=db user=u");
    }
}
