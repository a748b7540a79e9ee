//! The live dnstap listener behind `openti collect dnstap`.
//!
//! Resolvers (unbound, BIND, Knot, PowerDNS, CoreDNS) connect to it over a Unix socket or TCP
//! and stream dnstap over bidirectional Frame Streams (READY/ACCEPT/START … STOP/FINISH; a
//! sender that starts with START is served one-way). Answers of NOERROR responses are
//! aggregated in memory and written to the store once per window (one upsert per distinct
//! (name, type, value) per window, however often it was seen), and once more at shutdown.
//!
//! **Network policy**: the listener only *accepts* connections; it never opens one, so it has no
//! outbound target for [`NetPolicy`](crate::policy::NetPolicy) to check. It binds where the
//! operator says; prefer a Unix socket or a loopback address, since dnstap carries client
//! addresses and queries.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openti_ingest::dnstap::session::{Live, LiveStats, Session};
use openti_store::{Batch, Store};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Where to listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// A Unix stream socket at this path (a stale socket file is replaced).
    Unix(PathBuf),
    /// A TCP address.
    Tcp(SocketAddr),
}

impl FromStr for Listen {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(p) = s.strip_prefix("unix:") {
            if p.is_empty() {
                return Err("unix: needs a socket path".into());
            }
            Ok(Listen::Unix(PathBuf::from(p)))
        } else if let Some(a) = s.strip_prefix("tcp:") {
            a.parse()
                .map(Listen::Tcp)
                .map_err(|e| format!("tcp:{a}: {e} (expected tcp:ADDRESS:PORT)"))
        } else {
            Err(format!(
                "{s:?}: expected unix:/path/to/socket or tcp:127.0.0.1:PORT"
            ))
        }
    }
}

/// Options of the listener.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Aggregation window: facts are written once per window.
    pub window: Duration,
    /// Sensor id stored with every fact.
    pub sensor: Option<String>,
}

/// Listener errors (per-connection problems are counted, never returned).
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// Binding the socket failed.
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}

type Shared = Arc<Mutex<Live>>;

fn lock(live: &Shared) -> std::sync::MutexGuard<'_, Live> {
    // A panic while holding the lock cannot leave the aggregator inconsistent in a way that
    // matters more than losing the collector: keep going with the data.
    live.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs the listener until `shutdown` resolves, then writes the last window and returns the
/// counters. `on_ready` receives the bound address (`unix:/path` or `tcp:IP:PORT`).
pub async fn run(
    listen: &Listen,
    store: Arc<dyn Store>,
    opts: CollectOptions,
    shutdown: impl std::future::Future<Output = ()>,
    on_ready: impl FnOnce(&str),
) -> Result<LiveStats, CollectError> {
    let live: Shared = Arc::new(Mutex::new(Live::new()));
    let mut ticker = tokio::time::interval(opts.window.max(Duration::from_millis(10)));
    ticker.tick().await;
    tokio::pin!(shutdown);
    match listen {
        Listen::Unix(path) => {
            if let Ok(meta) = std::fs::symlink_metadata(path) {
                use std::os::unix::fs::FileTypeExt;
                if meta.file_type().is_socket() {
                    let _ = std::fs::remove_file(path);
                }
            }
            let l = tokio::net::UnixListener::bind(path)
                .map_err(|e| CollectError::Bind(path.display().to_string(), e))?;
            on_ready(&format!("unix:{}", path.display()));
            loop {
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = ticker.tick() => flush(&live, store.as_ref(), &opts).await,
                    a = l.accept() => if let Ok((s, _)) = a {
                        tokio::spawn(connection(s, live.clone()));
                    },
                }
            }
            let _ = std::fs::remove_file(path);
        }
        Listen::Tcp(addr) => {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| CollectError::Bind(addr.to_string(), e))?;
            let bound = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
            on_ready(&format!("tcp:{bound}"));
            loop {
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = ticker.tick() => flush(&live, store.as_ref(), &opts).await,
                    a = l.accept() => if let Ok((s, _)) = a {
                        let _ = s.set_nodelay(true);
                        tokio::spawn(connection(s, live.clone()));
                    },
                }
            }
        }
    }
    flush(&live, store.as_ref(), &opts).await;
    let stats = lock(&live).stats.clone();
    Ok(stats)
}

/// Serves one connection until the sender finishes, disconnects or breaks the protocol.
async fn connection<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, live: Shared) {
    lock(&live).stats.connections += 1;
    let mut session = Session::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let result = {
            let mut l = lock(&live);
            session.feed(&buf[..n], &mut l, chrono_now())
        };
        match result {
            Ok(reply) => {
                if !reply.is_empty() && s.write_all(&reply).await.is_err() {
                    break;
                }
                if session.is_done() {
                    let _ = s.flush().await;
                    let _ = s.shutdown().await;
                    return;
                }
            }
            Err(_) => {
                lock(&live).stats.connection_errors += 1;
                return;
            }
        }
    }
    if session.has_partial_frame() {
        lock(&live).stats.connection_errors += 1;
    }
}

fn chrono_now() -> openti_ingest::dnstap::Time {
    openti_ingest::dnstap::now()
}

/// Writes the window's facts (failed writes are merged back for the next window).
async fn flush(live: &Shared, store: &dyn Store, opts: &CollectOptions) {
    let facts = lock(live).agg.drain();
    if facts.is_empty() {
        return;
    }
    let mut observations = Vec::with_capacity(facts.len());
    let mut bad = 0u64;
    for f in &facts {
        match f.observation(opts.sensor.as_deref()) {
            Ok(o) => observations.push(o),
            Err(_) => bad += 1,
        }
    }
    let n = observations.len() as u64;
    let result = if observations.is_empty() {
        Ok(())
    } else {
        store
            .apply_batch(Batch {
                key: None,
                observations,
            })
            .await
            .map(|_| ())
    };
    let mut l = lock(live);
    l.stats.unnormalizable += bad;
    l.stats.flushes += 1;
    match result {
        Ok(()) => l.stats.facts_written += n,
        Err(_) => {
            for f in facts {
                l.agg.add(f.answer.clone(), f.first, f.count);
                l.agg.add(f.answer, f.last, 0);
            }
        }
    }
}
