//! `openti-bench`: OpenTI's benchmark suite (see BENCHMARKS.md).
//!
//! * `openti-bench gen` — deterministic, seeded, realistic observations at a given scale, as
//!   observation NDJSON or passive DNS COF;
//! * `openti-bench load` — a bounded, loopback-only HTTP load generator;
//! * `openti-bench run` — the whole benchmark: generate, ingest, serve, load, report
//!   (`scripts/bench` wraps it).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

mod gen;
mod load;
mod names;
mod openti;
mod report;
mod rng;
mod run;
mod sys;

#[derive(Parser)]
#[command(name = "openti-bench", version, about = "OpenTI benchmark suite")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a realistic synthetic data set.
    Gen(GenArgs),
    /// Drive a running server on a loopback address with HTTP load.
    Load(LoadArgs),
    /// Run the whole benchmark and print the table.
    Run(run::RunArgs),
}

#[derive(Args)]
struct GenArgs {
    /// Scale: passive DNS rows (sets the defaults of every other count).
    #[arg(long, alias = "pdns", default_value_t = 100_000)]
    rows: u64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = gen::Format::Ndjson)]
    format: gen::Format,
    /// Output file (`-` = standard output).
    #[arg(long, short, default_value = "-")]
    out: PathBuf,
    /// Host names (default rows/10).
    #[arg(long)]
    hosts: Option<u64>,
    /// Zipf exponent of host popularity.
    #[arg(long)]
    zipf: Option<f64>,
    /// Share of extra DNS observations repeating an earlier fact.
    #[arg(long)]
    resight: Option<f64>,
    /// Component observations (default rows/10).
    #[arg(long)]
    components: Option<u64>,
    /// Tracker observations (default rows/20).
    #[arg(long)]
    trackers: Option<u64>,
    /// Cookie observations (default rows/20).
    #[arg(long)]
    cookies: Option<u64>,
    /// Host-pair observations (default rows/20).
    #[arg(long)]
    host_pairs: Option<u64>,
    /// Certificate sightings (default rows/50).
    #[arg(long)]
    certificates: Option<u64>,
    /// Port observations (default rows/20).
    #[arg(long)]
    ports: Option<u64>,
    /// IP enrichment observations (default rows/50).
    #[arg(long)]
    ips: Option<u64>,
    /// WHOIS snapshots (default 1.5 per domain).
    #[arg(long)]
    whois: Option<u64>,
    /// Articles (default rows/5000, at least 20).
    #[arg(long)]
    articles: Option<u64>,
    /// Profiles (default rows/20000, at least 10).
    #[arg(long)]
    profiles: Option<u64>,
    /// Vulnerabilities (default 50).
    #[arg(long)]
    vulnerabilities: Option<u64>,
}

impl GenArgs {
    fn config(&self) -> gen::GenConfig {
        let mut c = gen::GenConfig::for_rows(self.rows, self.seed);
        if let Some(h) = self.hosts {
            c.hosts = h.max(2);
            c.whois = c.hosts / 5 * 3 / 2;
        }
        let set = |dst: &mut u64, v: Option<u64>| {
            if let Some(v) = v {
                *dst = v;
            }
        };
        set(&mut c.components, self.components);
        set(&mut c.trackers, self.trackers);
        set(&mut c.cookies, self.cookies);
        set(&mut c.host_pairs, self.host_pairs);
        set(&mut c.certificates, self.certificates);
        set(&mut c.ports, self.ports);
        set(&mut c.ips, self.ips);
        set(&mut c.whois, self.whois);
        set(&mut c.articles, self.articles);
        set(&mut c.profiles, self.profiles);
        set(&mut c.vulnerabilities, self.vulnerabilities);
        if let Some(z) = self.zipf {
            c.zipf = z;
        }
        if let Some(r) = self.resight {
            c.resight = r.clamp(0.0, 1.0);
        }
        c
    }
}

#[derive(Args)]
struct LoadArgs {
    /// Server address, e.g. 127.0.0.1:8080 (loopback only).
    #[arg(long)]
    addr: std::net::SocketAddr,
    /// Paths to request in turn (with query).
    #[arg(long = "path", required = true)]
    paths: Vec<String>,
    /// Bearer token.
    #[arg(long, env = "OPENTI_TOKEN")]
    token: Option<String>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Warm-up seconds.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Request cap.
    #[arg(long, default_value_t = 2_000_000)]
    max_requests: u64,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(a) => gen_cmd(&a),
        Command::Load(a) => load_cmd(&a),
        Command::Run(a) if a.prepare_only => run::prepare(&a),
        Command::Run(a) => run::run(&a).map(|_| ()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn gen_cmd(a: &GenArgs) -> anyhow::Result<()> {
    let cfg = a.config();
    let t = std::time::Instant::now();
    let summary = if a.out == std::path::Path::new("-") {
        gen::generate_to(&cfg, a.format, std::io::stdout().lock())?
    } else {
        let f = std::fs::File::create(&a.out)
            .with_context(|| format!("creating {}", a.out.display()))?;
        gen::generate_to(&cfg, a.format, f)?
    };
    eprintln!(
        "generated {} observations ({} DNS, {} distinct passive DNS facts) in {:.1} s",
        summary.observations,
        summary.dns,
        summary.pdns_rows,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn load_cmd(a: &LoadArgs) -> anyhow::Result<()> {
    let spec = load::LoadSpec {
        addr: a.addr,
        paths: a.paths.clone(),
        token: a.token.clone(),
        concurrency: a.concurrency,
        duration: Duration::from_secs_f64(a.duration),
        warmup: Duration::from_secs_f64(a.warmup),
        max_requests: a.max_requests,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let r = rt.block_on(load::run(&spec))?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    Ok(())
}
