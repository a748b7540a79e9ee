//! Driving the real `openti` binary: ingest, token, serve; plus a tiny blocking HTTP GET for
//! readiness and counts. Nothing here talks to anything but the loopback server it started.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// Where the benchmark's data lives.
#[derive(Debug, Clone)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL; the database is dropped and created again before each ingest repeat.
    Postgres(String),
}

impl Backend {
    /// From `--database` (default: a SQLite file in the output directory).
    pub fn parse(spec: Option<&str>, default: PathBuf) -> Backend {
        match spec {
            Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => {
                Backend::Postgres(s.to_string())
            }
            Some(s) => Backend::Sqlite(PathBuf::from(s.strip_prefix("sqlite://").unwrap_or(s))),
            None => Backend::Sqlite(default),
        }
    }

    /// Backend name for the result file.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The `--database` argument for `openti`.
    pub fn spec(&self) -> String {
        match self {
            Backend::Sqlite(p) => p.display().to_string(),
            Backend::Postgres(u) => u.clone(),
        }
    }

    fn sqlite_files(p: &Path) -> [PathBuf; 3] {
        let s = p.display().to_string();
        [
            p.to_path_buf(),
            format!("{s}-wal").into(),
            format!("{s}-shm").into(),
        ]
    }

    /// Empties the database before an ingest repeat (PostgreSQL: drop and create again).
    pub fn reset(&self) -> anyhow::Result<()> {
        match self {
            Backend::Sqlite(p) => {
                for f in Self::sqlite_files(p) {
                    match std::fs::remove_file(&f) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(e).with_context(|| format!("removing {}", f.display()))
                        }
                    }
                }
                Ok(())
            }
            Backend::Postgres(url) => openti_store::postgres::scratch::recreate_database(url)
                .map_err(|e| anyhow::anyhow!("resetting the benchmark database: {e}")),
        }
    }

    /// Bytes on disk (database file plus WAL; PostgreSQL: `pg_database_size`).
    pub fn size(&self) -> Option<u64> {
        match self {
            Backend::Sqlite(p) => Some(
                Self::sqlite_files(p)
                    .iter()
                    .filter_map(|f| std::fs::metadata(f).ok())
                    .map(|m| m.len())
                    .sum(),
            ),
            Backend::Postgres(url) => openti_store::postgres::scratch::database_size(url),
        }
    }
}

/// Runs `openti ingest --json` and returns the number of accepted observations.
pub fn ingest(openti: &Path, db: &Backend, file: &Path, batch_size: usize) -> anyhow::Result<u64> {
    let out = Command::new(openti)
        .args([
            "ingest",
            "--json",
            "--no-reputation",
            "--database",
            &db.spec(),
            "--batch-size",
        ])
        .arg(batch_size.to_string())
        .arg(file)
        .env("OPENTI_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", openti.display()))?;
    let code = out.status.code().unwrap_or(-1);
    if code != 0 && code != 2 {
        bail!(
            "openti ingest failed ({code}): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("ingest summary: {}", String::from_utf8_lossy(&out.stdout)))?;
    let rejected = summary["rejected"].as_u64().unwrap_or(0);
    if rejected > 0 {
        bail!(
            "generated data had {rejected} rejected lines: {}",
            summary["errors"]
        );
    }
    Ok(summary["accepted"].as_u64().unwrap_or(0))
}

/// Creates a read token and returns its secret.
pub fn token(openti: &Path, db: &Backend) -> anyhow::Result<String> {
    let out = Command::new(openti)
        .args([
            "token",
            "create",
            "--name",
            "bench",
            "--database",
            &db.spec(),
        ])
        .env("OPENTI_LOG", "warn")
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        bail!(
            "token create: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A running `openti serve` on a loopback port, killed on drop.
pub struct Server {
    child: Child,
    /// Its address.
    pub addr: SocketAddr,
}

impl Server {
    /// Starts the server on 127.0.0.1 (any free port) and waits until `/readyz` answers.
    pub fn start(openti: &Path, db: &Backend) -> anyhow::Result<Server> {
        let mut child = Command::new(openti)
            .args(["serve", "--listen", "127.0.0.1:0", "--database", &db.spec()])
            .env("OPENTI_LOG", "warn")
            // Measure the engine, not the per-caller throttle (one caller sends everything).
            .env("OPENTI_THROTTLE_RATE", "0")
            // Measure the routes alone: the ingest ran without rescoring (`--no-reputation`),
            // so a background rescorer would score every host during the load runs.
            .env("OPENTI_RESCORE_INTERVAL_SECS", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {} serve", openti.display()))?;
        let stderr = child.stderr.take().context("server stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining so the server never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr: SocketAddr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a.parse().context("server address")?,
            Err(_) => {
                let _ = child.kill();
                bail!("the server did not report its address within 60 s");
            }
        };
        let server = Server { child, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok((200, _)) = get(addr, "/readyz", None) {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("the server was not ready within 60 s")
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One blocking `GET` over a fresh loopback connection: `(status, body)`.
pub fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> anyhow::Result<(u16, String)> {
    if !addr.ip().is_loopback() {
        bail!("refusing to contact {addr}: not a loopback address");
    }
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Ok((
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    ))
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].strip_prefix("\r\n").unwrap_or(&tail[n..]);
    }
    out
}
