//! `openti enrich --asn-db FILE... --geo-db FILE`: ASN, AS organisation, netblock, country and
//! hosting provider for every stored `ipAddress` host (or for the IPs given), from local files
//! only — no network traffic.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::Utc;
use clap::Args;
use openti_ingest::enrich::Enricher;

/// Options of `openti enrich`.
#[derive(Args, Debug)]
pub struct EnrichArgs {
    /// ASN source: a `.mmdb` (GeoLite2-ASN layout) or an iptoasn-style CSV/TSV range table
    /// (repeat for the IPv4 and IPv6 files).
    #[arg(long = "asn-db")]
    asn_db: Vec<PathBuf>,
    /// Country source: a `.mmdb` (ip-location-db or GeoLite2-Country layout).
    #[arg(long = "geo-db")]
    geo_db: Option<PathBuf>,
    /// Enrich only these addresses (default: every stored IP host).
    #[arg(long = "ip")]
    ips: Vec<IpAddr>,
    /// Database path (SQLite) or URL.
    #[arg(long, env = "OPENTI_DATABASE", default_value = crate::DEFAULT_DATABASE)]
    database: String,
    /// Print the observations as NDJSON on standard output.
    #[arg(long)]
    ndjson: bool,
}

/// Runs the enrichment; returns the exit code.
pub async fn run(a: EnrichArgs) -> anyhow::Result<u8> {
    let t = Instant::now();
    let mut e = Enricher::default();
    for p in &a.asn_db {
        e.add_asn_db(p)?;
    }
    if let Some(g) = &a.geo_db {
        e.set_geo_db(g)?;
    }
    if e.is_empty() {
        bail!("give at least one --asn-db or --geo-db");
    }
    eprintln!("databases loaded in {:.2}s", t.elapsed().as_secs_f64());
    let store = crate::db::open(&a.database).await?;
    let now = Utc::now();
    let (mut looked, mut found, mut lookup_secs) = (0u64, 0usize, 0f64);
    let mut after = String::new();
    let mut explicit = a.ips.iter().map(|i| i.to_string()).collect::<Vec<_>>();
    loop {
        let ids = if a.ips.is_empty() {
            store
                .ip_host_ids(&after, 5000)
                .await
                .context("reading IP hosts")?
        } else {
            std::mem::take(&mut explicit)
        };
        let Some(last) = ids.last().cloned() else {
            break;
        };
        let t = Instant::now();
        let obs: Vec<_> = ids
            .iter()
            .filter_map(|id| id.parse::<IpAddr>().ok())
            .filter_map(|ip| e.observation(ip, now))
            .collect();
        lookup_secs += t.elapsed().as_secs_f64();
        looked += ids.len() as u64;
        found += super::emit(Some(store.as_ref()), obs, a.ndjson).await?;
        after = last;
    }
    let rate = if lookup_secs > 0.0 {
        format!(" ({:.0} lookups/s)", looked as f64 / lookup_secs)
    } else {
        String::new()
    };
    eprintln!("enriched {found} of {looked} IP host(s){rate}");
    Ok(0)
}
