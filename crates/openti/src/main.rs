//! `openti`: the OpenTI command-line binary.
//!
//! Stable contract (scripts rely on it):
//! * `openti [--config FILE] serve [--database PATH|URL] [--listen ADDR:PORT] [--demo] …`
//! * `openti ingest [--database PATH|URL] FILE...` (`-` = standard input)
//! * `openti token create|list|revoke`
//! * `openti db migrate|status` (`--database` is a SQLite path or a `postgres://` URL)
//!
//! Readers of external formats will live under `openti import FORMAT`; active collectors get
//! their own verbs (`collect`, `crawl`, `scan`, `whois`).

use std::path::PathBuf;

/// mimalloc instead of the system allocator: the server renders every page into many small
/// allocations from several threads, where glibc's allocator spent a quarter of the CPU of a
/// passive DNS page (arena locks, `malloc_consolidate`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

mod article;
mod bench;
mod config;
mod crawl;
mod db;
mod demo;
mod hostintel;
mod import;
mod ingest;
mod pdns;
mod reputation;
mod serve;
mod token;

/// Default database when `--database` is not given.
pub const DEFAULT_DATABASE: &str = "./openti.db";

#[derive(Parser)]
#[command(name = "openti", version, about = "OpenTI threat-intelligence server")]
struct Cli {
    /// TOML configuration file (see docs/configuration.md). Precedence: flags > OPENTI_*
    /// environment > file > defaults.
    #[arg(long, global = true, env = "OPENTI_CONFIG")]
    config: Option<PathBuf>,
    /// Host reputation rule file (TOML) replacing the embedded defaults (docs/reputation.md).
    #[arg(long, global = true, env = "OPENTI_REPUTATION_RULES")]
    reputation_rules: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Graph-compatible API.
    Serve {
        /// Database path (SQLite) or URL [default: ./openti.db].
        #[arg(long, env = "OPENTI_DATABASE")]
        database: Option<String>,
        /// Listen address [default: 127.0.0.1:8080].
        #[arg(long, env = "OPENTI_LISTEN")]
        listen: Option<String>,
        /// Load the demo dataset and print a ready token (fresh temporary database unless
        /// --database is given).
        #[arg(long)]
        demo: bool,
        /// Public base URL used in @odata.context / @odata.nextLink (default: from Host).
        #[arg(long, env = "OPENTI_PUBLIC_URL")]
        public_url: Option<String>,
        /// Expected JWT issuer (enables OIDC together with audience and JWKS URL).
        #[arg(long, env = "OPENTI_OIDC_ISSUER")]
        oidc_issuer: Option<String>,
        /// Accepted JWT audiences, comma-separated.
        #[arg(long, env = "OPENTI_OIDC_AUDIENCE")]
        oidc_audience: Option<String>,
        /// JWKS URL of the identity provider.
        #[arg(long, env = "OPENTI_OIDC_JWKS_URL")]
        oidc_jwks_url: Option<String>,
        /// Minimum seconds between JWKS refreshes forced by unknown key ids [default: 10].
        #[arg(long, env = "OPENTI_OIDC_JWKS_MIN_REFRESH_SECS")]
        oidc_jwks_min_refresh_secs: Option<u64>,
        /// Requests per second per caller; 0 disables throttling [default: 2000].
        #[arg(long, env = "OPENTI_THROTTLE_RATE")]
        throttle_rate: Option<f64>,
        /// Burst size per caller [default: 5000].
        #[arg(long, env = "OPENTI_THROTTLE_BURST")]
        throttle_burst: Option<u32>,
        /// Seconds between background rescoring passes over changed hosts; 0 turns the
        /// background rescoring off (another process rescores, or a read-only API) [default: 2].
        #[arg(long = "rescore-interval", env = "OPENTI_RESCORE_INTERVAL_SECS")]
        rescore_interval_secs: Option<u64>,
    },
    /// Ingest NDJSON observation files (`-` reads standard input).
    Ingest {
        /// Database path (SQLite) or URL [default: ./openti.db].
        #[arg(long, env = "OPENTI_DATABASE")]
        database: Option<String>,
        /// Observations per transaction.
        #[arg(long, default_value_t = 1000)]
        batch_size: usize,
        /// Print the summary as JSON on standard output.
        #[arg(long)]
        json: bool,
        /// Do not rescore changed hosts after the ingest (a running `openti serve` rescores
        /// them in the background).
        #[arg(long)]
        no_reputation: bool,
        /// Input files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Crawl web pages: host pairs, cookies, trackers, components, certificates (see docs/crawl.md).
    Crawl(crawl::CrawlArgs),
    /// Import an external format (each reader turns its input into observations).
    Import {
        #[command(subcommand)]
        format: import::ImportFormat,
    },
    /// Finished-intelligence articles (`article add FILE.md`).
    Article {
        #[command(subcommand)]
        command: article::ArticleCommand,
    },
    /// Host reputation: rescore hosts, show a score, list block/allow-lists, print the rules.
    Reputation {
        #[command(subcommand)]
        command: reputation::ReputationCommand,
    },
    /// TCP connect scan with banners, services and TLS certificates (see docs/collectors.md).
    Scan(hostintel::scan::ScanArgs),
    /// WHOIS (port 43, following referrals) or RDAP lookup, stored with history.
    Whois(hostintel::whois::WhoisArgs),
    /// ASN, AS organisation, netblock, country and hosting provider for stored IP hosts.
    Enrich(hostintel::enrich::EnrichArgs),
    /// Run a collector (`collect dnstap --listen unix:/path|tcp:127.0.0.1:PORT`).
    Collect {
        #[command(subcommand)]
        what: pdns::CollectCommand,
    },
    /// Export stored facts (`export cof --host H`).
    Export {
        #[command(subcommand)]
        what: pdns::ExportCommand,
    },
    /// Benchmarks (`bench dnstap`).
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
    /// Database schema: `db migrate` applies pending migrations, `db status` lists them.
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: token::TokenCommand,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OPENTI_LOG")
                .unwrap_or_else(|_| "warn,openti=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        let file = config::load(cli.config.as_deref())?;
        reputation::set_rules_path(cli.reputation_rules.clone(), &file);
        match cli.command {
            Command::Serve {
                database,
                listen,
                demo,
                public_url,
                oidc_issuer,
                oidc_audience,
                oidc_jwks_url,
                oidc_jwks_min_refresh_secs,
                throttle_rate,
                throttle_burst,
                rescore_interval_secs,
            } => {
                let flags = config::ServeFlags {
                    database,
                    listen,
                    public_url,
                    oidc_issuer,
                    oidc_audience,
                    oidc_jwks_url,
                    oidc_jwks_min_refresh_secs,
                    throttle_rate,
                    throttle_burst,
                    rescore_interval_secs,
                };
                serve::run(
                    reputation::with_engine(config::resolve(flags, file)?)?,
                    demo,
                )
                .await
                .map(|_| 0u8)
            }
            Command::Ingest {
                database,
                batch_size,
                json,
                no_reputation,
                files,
            } => {
                let database = config::database(database, &file);
                db::file_ingest_mode();
                let code = ingest::run(&database, batch_size, json, &files).await?;
                if !no_reputation {
                    reputation::after_ingest(&database).await?;
                }
                Ok(code)
            }
            Command::Import { format } => {
                db::file_ingest_mode();
                import::run(format).await
            }
            Command::Collect { what } => pdns::collect(what).await,
            Command::Export { what } => pdns::export(what).await,
            Command::Bench { what } => bench::run(what).await,
            Command::Crawl(args) => crawl::run(args).await,
            Command::Article { command } => article::run(command).await,
            Command::Reputation { command } => reputation::run(command, &file).await,
            Command::Scan(a) => hostintel::scan::run(a).await,
            Command::Whois(a) => hostintel::whois::run(a).await,
            Command::Enrich(a) => hostintel::enrich::run(a).await,
            Command::Token { command } => token::run(command, &file).await.map(|_| 0u8),
            Command::Db { command } => db::run(command, &file).await,
        }
    });
    match result {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
