//! Throw-away databases for tests and benchmarks: [`ScratchDatabase::create`] makes a new,
//! uniquely named database on the server named by `OPENTI_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432`, the loopback server) and drops it when dropped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Environment variable naming the test server (URL without a database name).
pub const ENV: &str = "OPENTI_TEST_POSTGRES";
/// The default test server.
pub const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// A freshly created database, dropped (with its connections) on drop.
#[derive(Debug)]
pub struct ScratchDatabase {
    server: String,
    name: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn server() -> String {
    std::env::var(ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SERVER.to_string())
        .trim_end_matches('/')
        .to_string()
}

impl ScratchDatabase {
    /// Creates `openti_test_<pid>_<n>_<time>` on the test server.
    pub fn create() -> Result<ScratchDatabase, String> {
        let server = server();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "openti_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let (s, n) = (server.clone(), name.clone());
        // The synchronous client runs its own runtime: keep it off any async caller's thread.
        std::thread::spawn(move || {
            let mut admin = postgres::Client::connect(&format!("{s}/postgres"), postgres::NoTls)
                .map_err(|e| format!("cannot reach the test PostgreSQL at {s} (set {ENV}): {e}"))?;
            admin
                .batch_execute(&format!("CREATE DATABASE {n}"))
                .map_err(|e| format!("cannot create database {n}: {e}"))
        })
        .join()
        .map_err(|_| "scratch database thread panicked".to_string())??;
        Ok(ScratchDatabase { server, name })
    }

    /// The database's URL.
    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Drops scratch databases left behind by test processes that have exited (their pid, the
/// first number in the name, no longer runs). Returns how many were dropped. Blocking; runs
/// on its own thread.
pub fn sweep_stale() -> usize {
    let server = server();
    std::thread::spawn(move || {
        let Ok(mut admin) =
            postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls)
        else {
            return 0;
        };
        let Ok(rows) = admin.query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'openti\\_test\\_%'",
            &[],
        ) else {
            return 0;
        };
        let mut n = 0;
        for r in rows {
            let name: String = r.get(0);
            let pid = name
                .trim_start_matches("openti_test_")
                .split('_')
                .next()
                .unwrap_or("");
            let alive = !pid.is_empty() && std::path::Path::new(&format!("/proc/{pid}")).exists();
            if !alive
                && admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .is_ok()
            {
                n += 1;
            }
        }
        n
    })
    .join()
    .unwrap_or(0)
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut admin) =
                postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls)
            {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}
