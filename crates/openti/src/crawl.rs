//! `openti crawl URL...`: crawl pages under the network-safety policy and store what they
//! reveal (host pairs, cookies, trackers, JARM, components, certificates, DNS answers).

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use openti_analyze::fingerprint::Fingerprints;
use openti_analyze::web::{Analyzer, Registry};
use openti_collect::crawl::render::Chromium;
use openti_collect::crawl::{self, CrawlOptions, Fetcher, Render};
use openti_collect::{Cidr, NetPolicy};
use openti_ingest::{ingest_records, IngestOptions, IngestSummary, Observation, Record};
use sha2::{Digest, Sha256};
use url::Url;

/// Options of `openti crawl`.
#[derive(Args, Debug)]
pub struct CrawlArgs {
    /// Database path (SQLite) or URL.
    #[arg(long, env = "OPENTI_DATABASE", default_value = crate::DEFAULT_DATABASE)]
    pub database: String,
    /// Link depth from the seeds (0: only the seeds; frames count as links).
    #[arg(long, default_value_t = 1)]
    pub depth: u32,
    /// Most pages fetched.
    #[arg(long, default_value_t = 50)]
    pub max_pages: usize,
    /// Requests per second per host.
    #[arg(long, default_value_t = 2.0)]
    pub rate: f64,
    /// Allow contacting a special-purpose network (private, loopback, …); repeatable.
    #[arg(long = "allow-net", value_name = "CIDR")]
    pub allow_net: Vec<String>,
    /// Use these addresses for a host instead of DNS (`HOST:IP`, repeatable); still checked
    /// by the safety policy.
    #[arg(long = "resolve", value_name = "HOST:IP")]
    pub resolve: Vec<String>,
    /// Do not read robots.txt.
    #[arg(long)]
    pub ignore_robots: bool,
    /// Do not probe JARM on HTTPS endpoints.
    #[arg(long)]
    pub no_jarm: bool,
    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 20)]
    pub timeout: u64,
    /// Body-size cap in bytes.
    #[arg(long, default_value_t = 5 << 20)]
    pub max_body: usize,
    /// Follow links to other hosts (frames are always followed).
    #[arg(long)]
    pub follow_external: bool,
    /// Speak HTTP/2 with prior knowledge on clear-text connections.
    #[arg(long)]
    pub h2c: bool,
    /// Wappalyzer-format fingerprint directory [default: the fetched wappalyzer-6.10.47 data].
    #[arg(long, env = "OPENTI_FINGERPRINTS")]
    pub fingerprints: Option<PathBuf>,
    /// Extra tracker registry file (TOML, the format of the built-in one).
    #[arg(long)]
    pub trackers: Option<PathBuf>,
    /// Render pages with headless Chromium (script requests, script-set cookies, `js` rules);
    /// Chromium's own requests go through the crawler and its safety policy.
    #[arg(long)]
    pub render: bool,
    /// Chromium binary for --render.
    #[arg(long, env = "OPENTI_CHROMIUM", default_value = "chromium")]
    pub chromium: String,
    /// Also write the observations as NDJSON to this file.
    #[arg(long)]
    pub ndjson: Option<PathBuf>,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// Seed URLs (http or https).
    #[arg(required = true)]
    pub urls: Vec<String>,
}

/// Default fingerprint locations, in order.
fn default_fingerprints() -> Option<PathBuf> {
    let cache = std::env::var_os("OPENTI_DATA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("data/cache"));
    [
        cache.join("wappalyzer-6.10.47/package"),
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/cache/wappalyzer-6.10.47/package"),
    ]
    .into_iter()
    .find(|p| p.join("technologies").is_dir())
}

/// Builds the page analyser from the options shared by `crawl` and `import warc`.
pub fn analyzer(
    fingerprints: Option<PathBuf>,
    trackers: Option<PathBuf>,
) -> anyhow::Result<Analyzer> {
    let mut a = Analyzer::default();
    match fingerprints.or_else(default_fingerprints) {
        Some(dir) => {
            let fp = Fingerprints::load_dir(&dir)
                .with_context(|| format!("loading fingerprints from {}", dir.display()))?;
            tracing::info!("{} technologies from {}", fp.techs.len(), dir.display());
            a.fingerprints = Some(Arc::new(fp));
        }
        None => eprintln!(
            "warning: no fingerprint directory (run scripts/fetch-data.sh or pass --fingerprints); components are not detected"
        ),
    }
    if let Some(path) = trackers {
        let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
        let extra =
            Registry::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let mut reg = Registry::builtin();
        reg.extend(extra);
        a.trackers = Arc::new(reg);
    }
    Ok(a)
}

/// Stores observations through the keyed ingest pipeline; `name` labels the input.
pub async fn store(
    database: &str,
    name: &str,
    obs: &[Observation],
) -> anyhow::Result<IngestSummary> {
    let store = crate::db::open(database).await?;
    let mut digest = Sha256::new();
    for o in obs {
        digest.update(serde_json::to_vec(o)?);
        digest.update(b"\n");
    }
    let digest = hex::encode(digest.finalize());
    let records = obs.iter().enumerate().map(|(i, o)| {
        Ok(Record {
            position: i as u64 + 1,
            consumed: i as u64 + 1,
            outcome: Some(
                o.clone()
                    .normalize()
                    .map(|o| vec![o])
                    .map_err(|e| e.to_string()),
            ),
        })
    });
    let summary = ingest_records(
        store.as_ref(),
        name,
        &digest,
        records,
        &IngestOptions::default(),
        &mut |_, _| {},
    )
    .await?;
    Ok(summary)
}

fn policy(allow: &[String]) -> anyhow::Result<NetPolicy> {
    let nets = allow
        .iter()
        .map(|c| c.parse::<Cidr>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NetPolicy::new().allow(nets))
}

/// Runs the command; returns the exit code (0: every seed analysed, 2: some failed).
pub async fn run(args: CrawlArgs) -> anyhow::Result<u8> {
    let seeds = args
        .urls
        .iter()
        .map(|u| {
            let url = Url::parse(u).with_context(|| format!("bad URL {u}"))?;
            if !matches!(url.scheme(), "http" | "https") {
                bail!("only http and https URLs can be crawled: {u}");
            }
            Ok(url)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut fetcher = Fetcher::new(policy(&args.allow_net)?)?;
    for r in &args.resolve {
        let (host, ip) = r
            .rsplit_once(':')
            .filter(|(h, _)| !h.is_empty())
            .with_context(|| format!("--resolve expects HOST:IP, got {r}"))?;
        let ip: IpAddr = ip
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .with_context(|| format!("--resolve {r}: bad IP"))?;
        fetcher
            .overrides
            .entry(host.to_ascii_lowercase())
            .or_default()
            .push(ip);
    }
    fetcher.timeout = Duration::from_secs(args.timeout.max(1));
    fetcher.max_body = args.max_body;
    fetcher.h2c = args.h2c;
    let analyzer = analyzer(args.fingerprints.clone(), args.trackers.clone())?;
    let opts = CrawlOptions {
        depth: args.depth,
        max_pages: args.max_pages,
        rate: args.rate,
        robots: !args.ignore_robots,
        jarm: !args.no_jarm,
        follow_external: args.follow_external,
        ..CrawlOptions::default()
    };
    let chromium = if args.render {
        let chains: Vec<String> = analyzer
            .fingerprints
            .iter()
            .flat_map(|fp| fp.techs.iter())
            .flat_map(|t| t.js.iter().map(|(chain, _)| chain.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let c = Chromium::start(&args.chromium, fetcher.clone(), chains)
            .await
            .map_err(|e| anyhow::anyhow!("--render: {e}"))?;
        Some(c)
    } else {
        None
    };
    let render = chromium.as_ref().map(|c| c as &dyn Render);
    let report = crawl::crawl(&seeds, &opts, &fetcher, &analyzer, render).await;
    drop(chromium);
    let mut failed = 0;
    for p in &report.pages {
        match &p.error {
            Some(e) => {
                failed += usize::from(!p.skipped);
                eprintln!("{}: {e}", p.url);
            }
            None => eprintln!(
                "{} -> {} ({}, {} redirect(s))",
                p.url,
                p.final_url.as_deref().unwrap_or("-"),
                p.status.map(|s| s.to_string()).unwrap_or_default(),
                p.hops
            ),
        }
    }
    if let Some(path) = &args.ndjson {
        let mut text = String::new();
        for o in &report.observations {
            text.push_str(&serde_json::to_string(o)?);
            text.push('\n');
        }
        std::fs::write(path, text).with_context(|| path.display().to_string())?;
    }
    let summary = store(&args.database, "crawl", &report.observations).await?;
    eprintln!(
        "crawled {} page(s): {} observations stored, {} rejected",
        report.pages.len(),
        summary.accepted,
        summary.rejected
    );
    for e in &summary.errors {
        eprintln!("rejected observation {}: {}", e.line, e.message);
    }
    if args.json {
        let out = serde_json::json!({"pages": report.pages, "ingest": summary});
        println!("{out}");
    }
    Ok(if failed > 0 || summary.rejected > 0 {
        2
    } else {
        0
    })
}
