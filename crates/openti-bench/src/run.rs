//! `openti-bench run`: generate, ingest, serve, load every main route, and report.
//!
//! Each figure is measured several times (ingest into a fresh database each time; route load
//! repeats interleaved across routes so that a passing disturbance spreads over all of them)
//! and reported as median [min–max]. The machine's quietness is checked before the run and
//! the CPU used by other processes is recorded during every load run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use crate::gen::{self, intel::TOPICS, GenConfig};
use crate::load::{self, LoadSpec};
use crate::names::{ipv4, SHARED_IPV4_BASE};
use crate::openti::{self, Backend, Server};
use crate::report::{self, BenchResult, IngestFigure, IngestRun, RouteFigure, RouteRun, Spread};
use crate::rng::Rng;
use crate::sys;

/// Options of `openti-bench run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scale: passive DNS rows (every other count follows from it).
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Database: a SQLite path (default: OUT/bench-ROWS.db) or a `postgres://…/NAME` URL
    /// (the database NAME is dropped and created again before each ingest repeat).
    #[arg(long)]
    pub database: Option<String>,
    /// The `openti` binary to measure.
    #[arg(long, default_value = "target/release/openti")]
    pub openti: PathBuf,
    /// Output directory (data cache, database, result files).
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
    /// Measured seconds per route repeat.
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// Unmeasured warm-up seconds before each route repeat.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Repeats of each route measurement.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Repeats of the ingest measurement (default: 3 up to 2 M rows, else 1).
    #[arg(long)]
    pub ingest_repeats: Option<usize>,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Hard cap on requests per route repeat.
    #[arg(long, default_value_t = 2_000_000)]
    pub max_requests: u64,
    /// Observations per ingest transaction.
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
    /// Keep the database after the run.
    #[arg(long)]
    pub keep: bool,
    /// Fail (exit 1) when any request failed or answered other than 200 (for CI).
    #[arg(long)]
    pub strict: bool,
    /// Serve the database as it is (ingested before, e.g. by `openti ingest` of the same data
    /// file) instead of recreating and ingesting it: the run measures the routes only.
    #[arg(long)]
    pub reuse_database: bool,
    /// Only generate (or find cached) the data set, print its path and stop: prepares a large
    /// run ahead of time, when the machine need not be quiet.
    #[arg(long)]
    pub prepare_only: bool,
}

/// A benchmarked route: name and the paths it cycles through.
struct Route {
    name: &'static str,
    paths: Vec<String>,
    auth: bool,
}

const GRAPH: &str = "/v1.0/security/threatIntelligence";

/// Draws `n` keys with `draw` and keeps those that `exists` (at most `8 n` draws).
fn existing(
    n: usize,
    mut draw: impl FnMut() -> String,
    exists: &mut dyn FnMut(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n * 8 {
        if out.len() == n {
            break;
        }
        let k = draw();
        if !out.contains(&k) && exists(&k) {
            out.push(k);
        }
    }
    out
}

fn routes(cfg: &GenConfig, exists: &mut dyn FnMut(&str) -> bool) -> Vec<Route> {
    let world = cfg.world();
    let mut rng = Rng::new(cfg.seed ^ 0x0062_656e_6368);
    // Queried hosts follow the popularity of the data (popular hosts are asked more often);
    // hosts the data never mentioned are left out so that every request finds its host.
    let hosts = existing(64, || world.popular(&mut rng).name, exists);
    let hot = world.by_rank(0).name;
    let mut rng2 = Rng::new(cfg.seed ^ 0x6970);
    let mut i = 0u64;
    let ips = existing(
        64,
        || {
            i += 1;
            if i.is_multiple_of(4) {
                ipv4(SHARED_IPV4_BASE + rng2.below(64)).to_string()
            } else {
                world.primary_ip(world.popular(&mut rng2).id)
            }
        },
        exists,
    );
    let per_host = |suffix: &str| -> Vec<String> {
        hosts
            .iter()
            .map(|h| format!("{GRAPH}/hosts/{h}{suffix}"))
            .collect()
    };
    let r = |name, paths, auth| Route { name, paths, auth };
    vec![
        r("ping (ceiling)", vec!["/openti/v1/ping".to_string()], true),
        r("healthz (no auth)", vec!["/healthz".to_string()], false),
        r("host", per_host(""), true),
        r("passiveDns page", per_host("/passiveDns"), true),
        r(
            "passiveDns hot host",
            vec![format!("{GRAPH}/hosts/{hot}/passiveDns")],
            true,
        ),
        r(
            "passiveDnsReverse",
            ips.iter()
                .map(|ip| format!("{GRAPH}/hosts/{ip}/passiveDnsReverse"))
                .collect(),
            true,
        ),
        r("components", per_host("/components"), true),
        r("trackers", per_host("/trackers"), true),
        r("hostPairs", per_host("/hostPairs"), true),
        r(
            "articles $search",
            TOPICS
                .iter()
                .map(|t| format!("{GRAPH}/articles?$search={t}&$top=10"))
                .collect(),
            true,
        ),
        // `$filter` through the OData engine: actors only.
        r(
            "intelProfiles $filter",
            vec![format!(
                "{GRAPH}/intelProfiles?$filter=kind%20eq%20%27actor%27&$top=20"
            )],
            true,
        ),
    ]
}

/// Generates the NDJSON data set unless an identical one is cached; returns its path and the
/// generation time (`None` when cached).
fn data_file(cfg: &GenConfig, out: &std::path::Path) -> anyhow::Result<(PathBuf, Option<f64>)> {
    let dir = out.join("data");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("obs-{}-s{}.ndjson", cfg.pdns, cfg.seed));
    let meta = dir.join(format!("obs-{}-s{}.json", cfg.pdns, cfg.seed));
    let want = serde_json::to_string(cfg)?;
    if path.exists() && std::fs::read_to_string(&meta).ok().as_deref() == Some(want.as_str()) {
        return Ok((path, None));
    }
    let t = Instant::now();
    let tmp = path.with_extension("partial");
    let f = std::fs::File::create(&tmp)?;
    gen::generate_to(cfg, gen::Format::Ndjson, f)?;
    std::fs::rename(&tmp, &path)?;
    std::fs::write(&meta, want)?;
    Ok((path, Some(t.elapsed().as_secs_f64())))
}

fn count(server: &Server, token: &str, set: &str) -> Option<u64> {
    match openti::get(server.addr, &format!("{GRAPH}/{set}/$count"), Some(token)) {
        Ok((200, body)) => body.trim().parse().ok(),
        _ => None,
    }
}

/// Generates (or finds cached) the data set of `args` and prints its path.
pub fn prepare(args: &RunArgs) -> anyhow::Result<()> {
    let cfg = GenConfig::for_rows(args.rows, args.seed);
    let (file, gen_seconds) = data_file(&cfg, &args.out)?;
    match gen_seconds {
        Some(s) => eprintln!("generated {} in {s:.1} s", file.display()),
        None => eprintln!("cached: {}", file.display()),
    }
    println!("{}", file.display());
    Ok(())
}

/// Runs the whole benchmark and returns the result (also written to OUT/result-DATE.json).
pub fn run(args: &RunArgs) -> anyhow::Result<BenchResult> {
    let started = Instant::now();
    let date = chrono::Utc::now();
    std::fs::create_dir_all(&args.out)?;
    let mut warnings = Vec::new();
    eprintln!("checking that the machine is quiet…");
    let quiet = sys::quiet_check(Duration::from_secs(2));
    for w in &quiet.warnings {
        eprintln!("warning: {w}");
        warnings.push(format!("before the run: {w}"));
    }

    let cfg = GenConfig::for_rows(args.rows, args.seed);
    eprintln!(
        "generating {} passive DNS rows (seed {})…",
        cfg.pdns, cfg.seed
    );
    let (file, gen_seconds) = data_file(&cfg, &args.out)?;

    let backend = Backend::parse(
        args.database.as_deref(),
        args.out.join(format!("bench-{}.db", args.rows)),
    );
    let repeats = if args.reuse_database {
        eprintln!("serving {} as it is (--reuse-database)", backend.spec());
        0
    } else {
        args.ingest_repeats
            .unwrap_or(if args.rows <= 2_000_000 { 3 } else { 1 })
            .max(1)
    };
    let mut runs = Vec::new();
    for i in 0..repeats {
        backend.reset()?;
        eprintln!("ingest {}/{repeats} into {}…", i + 1, backend.spec());
        let (c0, k0) = (sys::cpu_times(), sys::children_ticks());
        let t = Instant::now();
        let n = openti::ingest(&args.openti, &backend, &file, args.batch_size)?;
        let seconds = t.elapsed().as_secs_f64();
        let cpu = sys::cpu_use(c0, sys::cpu_times());
        let cpu_seconds = sys::children_ticks().saturating_sub(k0) as f64 / sys::TICKS_PER_SECOND;
        eprintln!(
            "  {n} observations in {seconds:.1} s ({cpu_seconds:.1} CPU s): {:.0}/s",
            n as f64 / seconds
        );
        runs.push(IngestRun {
            observations: n,
            seconds,
            rate: n as f64 / seconds,
            cpu_seconds,
            cpu_rate: n as f64 / cpu_seconds.max(0.01),
            cpu,
        });
    }
    let mut ingest = IngestFigure {
        backend: backend.name().to_string(),
        rate: Spread::of(runs.iter().map(|r| r.rate)),
        cpu_rate: Spread::of(runs.iter().map(|r| r.cpu_rate)),
        runs,
        database_bytes: backend.size(),
        pdns_rows: None,
        hosts: None,
    };

    let token = openti::token(&args.openti, &backend)?;
    let server = Server::start(&args.openti, &backend)?;
    ingest.pdns_rows = count(&server, &token, "passiveDnsRecords");
    ingest.hosts = count(&server, &token, "hosts");

    let mut exists = |h: &str| {
        matches!(
            openti::get(server.addr, &format!("{GRAPH}/hosts/{h}"), Some(&token)),
            Ok((200, _))
        )
    };
    let routes = routes(&cfg, &mut exists);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut measured: Vec<Vec<RouteRun>> = routes.iter().map(|_| Vec::new()).collect();
    for rep in 0..args.repeats.max(1) {
        for (i, route) in routes.iter().enumerate() {
            eprintln!("load {}/{}: {}…", rep + 1, args.repeats.max(1), route.name);
            let spec = LoadSpec {
                addr: server.addr,
                paths: route.paths.clone(),
                token: route.auth.then(|| token.clone()),
                concurrency: args.concurrency,
                duration: Duration::from_secs_f64(args.duration),
                warmup: Duration::from_secs_f64(args.warmup),
                max_requests: args.max_requests,
            };
            let (c0, s0, m0) = (
                sys::cpu_times(),
                sys::process_ticks(server.pid()),
                sys::process_ticks(std::process::id()),
            );
            let t = Instant::now();
            let result = rt.block_on(load::run(&spec)).context(route.name)?;
            let wall = t.elapsed().as_secs_f64().max(1e-9);
            let cpu = sys::cpu_use(c0, sys::cpu_times());
            let pct = |ticks: u64| 100.0 * ticks as f64 / sys::TICKS_PER_SECOND / wall;
            let server_cpu = pct(sys::process_ticks(server.pid()).saturating_sub(s0));
            let own_cpu = pct(sys::process_ticks(std::process::id()).saturating_sub(m0));
            let other = (cpu.busy_pct - (server_cpu + own_cpu) / sys::cores() as f64).max(0.0);
            measured[i].push(RouteRun {
                load: result,
                server_cpu_pct: server_cpu,
                other_cpu_pct: other,
            });
        }
    }
    for (route, runs) in routes.iter().zip(&measured) {
        let failed: u64 = runs.iter().map(|r| r.load.non_200 + r.load.errors).sum();
        if let Some(f) = runs.iter().find_map(|r| r.load.first_failure.as_ref()) {
            warnings.push(format!(
                "{}: {failed} failed requests, e.g. {f}",
                route.name
            ));
        }
    }
    let others = Spread::of(measured.iter().flatten().map(|r| r.other_cpu_pct));
    if others.max > 10.0 {
        warnings.push(format!(
            "other processes used {} % of the machine during the load runs (median [min–max]): \
             figures are disturbed; repeat on a quiet machine",
            others.show(0)
        ));
    }
    let failed: u64 = measured
        .iter()
        .flatten()
        .map(|r| r.load.non_200 + r.load.errors)
        .sum();
    let server_memory = sys::process_memory(server.pid());
    drop(server);
    let mut figures: Vec<RouteFigure> = routes
        .iter()
        .zip(measured)
        .map(|(r, runs)| RouteFigure::new(r.name, &r.paths, runs))
        .collect();
    let ceiling = figures.first().map(|f| f.rps.median).unwrap_or(0.0);
    for f in &mut figures {
        f.ratio_to_ceiling = if ceiling > 0.0 {
            f.rps.median / ceiling
        } else {
            0.0
        };
    }
    if !args.keep {
        backend.reset()?;
    }
    let result = BenchResult {
        format: 1,
        date: date.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        command: std::env::var("OPENTI_BENCH_COMMAND")
            .unwrap_or_else(|_| std::env::args().collect::<Vec<_>>().join(" ")),
        commit: commit(),
        machine: sys::machine(),
        quiet_before: quiet,
        data: serde_json::json!({
            "pdns": cfg.pdns,
            "config": cfg,
            "file_bytes": std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0),
            "generate_seconds": gen_seconds,
        }),
        ingest,
        load: serde_json::json!({
            "concurrency": args.concurrency,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "repeats": args.repeats,
            "client": "openti-bench (hyper HTTP/1.1 keep-alive, one thread)",
        }),
        routes: figures,
        server_memory,
        warnings,
        total_seconds: started.elapsed().as_secs_f64(),
    };
    let path = args
        .out
        .join(format!("result-{}.json", date.format("%Y%m%dT%H%M%SZ")));
    std::fs::write(&path, serde_json::to_string_pretty(&result)?)?;
    print!("{}", report::table(&result));
    println!("result file: {}", path.display());
    if args.strict && failed > 0 {
        anyhow::bail!("{failed} requests failed (--strict)");
    }
    Ok(result)
}

fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    if dirty {
        format!("{head}-dirty")
    } else {
        head
    }
}
