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

/// Connects to `url` and runs `f` on a plain thread: the synchronous client runs its own
/// runtime, which must stay off any async caller's thread.
fn on_connection<T: Send + 'static>(
    url: String,
    f: impl FnOnce(&mut postgres::Client) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls)
            .map_err(|e| format!("cannot reach {}: {e}", super::redact(&url)))?;
        f(&mut c)
    })
    .join()
    .map_err(|_| "database thread panicked".to_string())?
}

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
        let n = name.clone();
        on_connection(format!("{server}/postgres"), move |admin| {
            admin
                .batch_execute(&format!("CREATE DATABASE {n}"))
                .map_err(|e| format!("cannot create database {n}: {e}"))
        })
        .map_err(|e| format!("test PostgreSQL (set {ENV}): {e}"))?;
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
    on_connection(format!("{}/postgres", server()), |admin| {
        let rows = admin
            .query(
                "SELECT datname::text FROM pg_database WHERE datname LIKE 'openti\\_test\\_%'",
                &[],
            )
            .map_err(|e| e.to_string())?;
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
        Ok(n)
    })
    .unwrap_or(0)
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = on_connection(format!("{}/postgres", self.server), move |admin| {
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .map_err(|e| e.to_string())
        });
    }
}

/// Splits `postgres://…/name?opts` into the server part, the database name and the options.
fn split_url(url: &str) -> Option<(String, String, String)> {
    let (base, opts) = match url.split_once('?') {
        Some((b, o)) => (b, format!("?{o}")),
        None => (url, String::new()),
    };
    let slash = base.rfind('/')?;
    if base[..slash].ends_with('/') {
        return None; // no database name
    }
    let name = &base[slash + 1..];
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| (base[..slash].to_string(), name.to_string(), opts))
}

/// Drops and creates again the database named by `url` (a benchmark's fresh start). The name
/// must be letters, digits and `_`. Blocking; runs on its own thread.
pub fn recreate_database(url: &str) -> Result<(), String> {
    let (server, name, opts) =
        split_url(url).ok_or_else(|| format!("{url}: expected postgres://…/NAME"))?;
    on_connection(format!("{server}/postgres{opts}"), move |admin| {
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .and_then(|_| admin.batch_execute(&format!("CREATE DATABASE {name}")))
            .map_err(|e| format!("cannot recreate {name}: {e}"))
    })
}

/// `pg_database_size` of the database named by `url`. Blocking; runs on its own thread.
pub fn database_size(url: &str) -> Option<u64> {
    on_connection(url.to_string(), |c| {
        let row = c
            .query_one("SELECT pg_database_size(current_database())", &[])
            .map_err(|e| e.to_string())?;
        u64::try_from(row.get::<_, i64>(0)).map_err(|e| e.to_string())
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_server_name_and_options() {
        assert_eq!(
            split_url("postgres://u@h:5432/bench_5m?sslmode=disable"),
            Some((
                "postgres://u@h:5432".into(),
                "bench_5m".into(),
                "?sslmode=disable".into()
            ))
        );
        assert_eq!(split_url("postgres://u@h:5432/x;drop"), None);
        assert_eq!(split_url("postgres://h"), None);
    }
}
