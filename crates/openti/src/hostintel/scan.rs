//! `openti scan TARGET... --ports LIST [--rate R] [--allow-net CIDR]...`

use std::time::{Duration, Instant};

use clap::Args;
use openti_collect::scan::{parse_ports, scan, ScanOptions};
use openti_model::Observation;

/// Options of `openti scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Targets: IP addresses, host names, or CIDR blocks of at most 256 addresses.
    #[arg(required = true)]
    targets: Vec<String>,
    /// Ports, e.g. `22,80,443,8000-8010`.
    #[arg(long, short = 'p')]
    ports: String,
    /// Connection attempts per second.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Most connections in flight.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// TCP connect timeout in milliseconds.
    #[arg(long, default_value_t = 3000)]
    connect_timeout_ms: u64,
    /// Banner and probe reply timeout in milliseconds.
    #[arg(long, default_value_t = 2000)]
    read_timeout_ms: u64,
    /// Also record closed and filtered ports.
    #[arg(long)]
    all_states: bool,
    /// Allow contacting this network although the safety policy refuses it (repeatable),
    /// e.g. `127.0.0.0/8` for a local lab.
    #[arg(long = "allow-net")]
    allow_net: Vec<String>,
    /// Database path (SQLite) or URL.
    #[arg(long, env = "OPENTI_DATABASE", default_value = crate::DEFAULT_DATABASE)]
    database: String,
    /// Print the observations as NDJSON on standard output.
    #[arg(long)]
    ndjson: bool,
    /// Do not store (use with --ndjson).
    #[arg(long)]
    no_store: bool,
}

/// Runs the scan; returns the exit code.
pub async fn run(a: ScanArgs) -> anyhow::Result<u8> {
    let opts = ScanOptions {
        ports: parse_ports(&a.ports)?,
        rate: a.rate,
        concurrency: a.concurrency,
        connect_timeout: Duration::from_millis(a.connect_timeout_ms),
        read_timeout: Duration::from_millis(a.read_timeout_ms),
        all_states: a.all_states,
        policy: super::policy(&a.allow_net)?,
    };
    let store = if a.no_store {
        None
    } else {
        Some(crate::db::open(&a.database).await?)
    };
    let t = Instant::now();
    let obs = scan(&a.targets, &opts).await?;
    for o in &obs {
        if let Observation::Port {
            host,
            port,
            status,
            scan_protocol,
            services,
            ..
        } = o
        {
            let svc: Vec<String> = services
                .iter()
                .map(|s| format!("{} {}", s.name, s.version).trim().to_string())
                .collect();
            eprintln!(
                "{host}:{port} {} {} {}",
                status
                    .map(|s| format!("{s:?}").to_lowercase())
                    .unwrap_or_default(),
                scan_protocol.as_deref().unwrap_or("-"),
                svc.join(", ")
            );
        }
    }
    let ports = obs
        .iter()
        .filter(|o| matches!(o, Observation::Port { .. }))
        .count();
    let n = super::emit(store.as_deref(), obs, a.ndjson).await?;
    eprintln!(
        "scanned {} port(s) in {:.1}s: {ports} port result(s), {n} observation(s){}",
        opts.ports.len() * a.targets.len(),
        t.elapsed().as_secs_f64(),
        if a.no_store { "" } else { " stored" }
    );
    Ok(0)
}
