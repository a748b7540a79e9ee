//! A small HTTP/1.1 load generator for loopback benchmarks.
//!
//! `concurrency` keep-alive connections each send one request at a time (closed loop), cycling
//! through a list of paths, until a time limit or a request limit is reached. Latency is
//! measured per request from sending to the last body byte. Only loopback addresses are
//! accepted: benchmarks never leave the machine.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde::Serialize;

/// One load run.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// Server address (must be loopback).
    pub addr: SocketAddr,
    /// Request paths (with query), used in turn.
    pub paths: Vec<String>,
    /// Bearer token, if the routes need one.
    pub token: Option<String>,
    /// Concurrent connections.
    pub concurrency: usize,
    /// Measured duration.
    pub duration: Duration,
    /// Unmeasured warm-up before it.
    pub warmup: Duration,
    /// Hard cap on measured requests.
    pub max_requests: u64,
}

/// What one load run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadResult {
    /// Completed requests (any status).
    pub requests: u64,
    /// Responses other than 200.
    pub non_200: u64,
    /// Connection or protocol errors.
    pub errors: u64,
    /// Measured wall time, seconds.
    pub seconds: f64,
    /// Requests per second.
    pub rps: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, milliseconds.
    pub p95_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Slowest request, milliseconds.
    pub max_ms: f64,
    /// Mean response body size, bytes.
    pub mean_bytes: f64,
    /// First non-200 status seen, with the start of its body (for diagnosis).
    pub first_failure: Option<String>,
}

struct Worker {
    lat_us: Vec<u32>,
    non_200: u64,
    errors: u64,
    bytes: u64,
    first_failure: Option<String>,
}

/// Runs the load and returns the measurements.
pub async fn run(spec: &LoadSpec) -> anyhow::Result<LoadResult> {
    if !spec.addr.ip().is_loopback() {
        bail!(
            "refusing to load {}: benchmarks only target loopback addresses",
            spec.addr
        );
    }
    if spec.paths.is_empty() {
        bail!("no paths to request");
    }
    let spec = Arc::new(spec.clone());
    let issued = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let measure_from = start + spec.warmup;
    let deadline = measure_from + spec.duration;
    let mut tasks = Vec::new();
    for w in 0..spec.concurrency.max(1) {
        let spec = Arc::clone(&spec);
        let issued = Arc::clone(&issued);
        tasks.push(tokio::spawn(async move {
            worker(w, &spec, &issued, measure_from, deadline).await
        }));
    }
    let mut all = Vec::new();
    let mut out = LoadResult::default();
    let mut bytes = 0u64;
    for t in tasks {
        let w = t.await.context("load worker panicked")??;
        all.extend_from_slice(&w.lat_us);
        out.non_200 += w.non_200;
        out.errors += w.errors;
        bytes += w.bytes;
        if out.first_failure.is_none() {
            out.first_failure = w.first_failure;
        }
    }
    let end = Instant::now().min(deadline);
    out.seconds = end
        .saturating_duration_since(measure_from)
        .as_secs_f64()
        .max(1e-9);
    out.requests = all.len() as u64;
    out.rps = out.requests as f64 / out.seconds;
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((p * all.len() as f64).ceil() as usize).clamp(1, all.len()) - 1;
        f64::from(all[i]) / 1000.0
    };
    out.p50_ms = pct(0.50);
    out.p95_ms = pct(0.95);
    out.p99_ms = pct(0.99);
    out.max_ms = all.last().map(|&v| f64::from(v) / 1000.0).unwrap_or(0.0);
    out.mean_bytes = if out.requests > 0 {
        bytes as f64 / out.requests as f64
    } else {
        0.0
    };
    Ok(out)
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn worker(
    w: usize,
    spec: &LoadSpec,
    issued: &AtomicU64,
    measure_from: Instant,
    deadline: Instant,
) -> anyhow::Result<Worker> {
    let mut out = Worker {
        lat_us: Vec::with_capacity(4096),
        non_200: 0,
        errors: 0,
        bytes: 0,
        first_failure: None,
    };
    let host = spec.addr.to_string();
    let auth = spec.token.as_ref().map(|t| format!("Bearer {t}"));
    let mut sender = connect(spec.addr).await?;
    let mut i = w;
    // Connection failures in a row; a dead server ends the worker instead of spinning.
    let mut failures = 0u32;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let measured = now >= measure_from;
        if measured && issued.fetch_add(1, Ordering::Relaxed) >= spec.max_requests {
            break;
        }
        let path = &spec.paths[i % spec.paths.len()];
        i += 1;
        let mut req = Request::get(path.as_str()).header("host", &host);
        if let Some(a) = &auth {
            req = req.header("authorization", a);
        }
        let req = req.body(Empty::<Bytes>::new())?;
        let t0 = Instant::now();
        let result = async {
            sender.ready().await?;
            let resp = sender.send_request(req).await?;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        }
        .await;
        let us = t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        match result {
            Ok((status, body)) => {
                failures = 0;
                if measured {
                    out.lat_us.push(us);
                    out.bytes += body.len() as u64;
                    if status != 200 {
                        out.non_200 += 1;
                    }
                }
                if status != 200 && out.first_failure.is_none() {
                    let head = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
                    out.first_failure = Some(format!("{status} {path}: {head}"));
                }
            }
            Err(_) => {
                out.errors += 1;
                failures += 1;
                if failures > 10 {
                    bail!("{path}: the server stopped answering");
                }
                sender = connect(spec.addr).await?;
            }
        }
    }
    Ok(out)
}
