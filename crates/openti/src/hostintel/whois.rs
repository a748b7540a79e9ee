//! `openti whois DOMAIN|IP...`: port-43 WHOIS with referrals (or `--rdap`), parsed and stored
//! as WHOIS snapshots (history rows appear only when the content changes).

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use openti_collect::rdap::{self, RdapOptions};
use openti_collect::whois::{lookup, WhoisOptions};
use openti_ingest::whois::{self as parse, ParsedWhois};

/// Options of `openti whois`.
#[derive(Args, Debug)]
pub struct WhoisArgs {
    /// Domains or IP addresses.
    #[arg(required = true)]
    queries: Vec<String>,
    /// First WHOIS server, `host[:port]`.
    #[arg(long, default_value = "whois.iana.org")]
    whois_server: String,
    /// Most WHOIS servers asked per query (referrals followed).
    #[arg(long, default_value_t = 4)]
    max_hops: usize,
    /// Use RDAP instead of port 43.
    #[arg(long)]
    rdap: bool,
    /// Base URL of the RDAP bootstrap files (`dns.json`, `ipv4.json`, `ipv6.json`).
    #[arg(long, default_value = rdap::IANA_BOOTSTRAP)]
    rdap_bootstrap: String,
    /// Timeout per server in seconds.
    #[arg(long, default_value_t = 15)]
    timeout: u64,
    /// Allow contacting this network although the safety policy refuses it (repeatable).
    #[arg(long = "allow-net")]
    allow_net: Vec<String>,
    /// Database path (SQLite) or URL.
    #[arg(long, env = "OPENTI_DATABASE", default_value = crate::DEFAULT_DATABASE)]
    database: String,
    /// Print the observations as NDJSON on standard output.
    #[arg(long)]
    ndjson: bool,
    /// Print each server's raw answer on standard error.
    #[arg(long)]
    raw: bool,
}

/// Fills the fields `deep` lacks from `shallow` (registry data under a registrar answer).
fn merge(mut deep: ParsedWhois, shallow: &ParsedWhois) -> ParsedWhois {
    deep.domain = deep.domain.or_else(|| shallow.domain.clone());
    deep.registered = deep.registered.or(shallow.registered);
    deep.expires = deep.expires.or(shallow.expires);
    deep.updated = deep.updated.or(shallow.updated);
    if deep.status.is_empty() {
        deep.status = shallow.status.clone();
    }
    if deep.nameservers.is_empty() {
        deep.nameservers = shallow.nameservers.clone();
    }
    for (d, s) in deep.contacts.iter_mut().zip(&shallow.contacts) {
        if d.is_none() {
            d.clone_from(s);
        }
    }
    deep
}

/// Runs the lookups; returns the exit code (1 if any query failed).
pub async fn run(a: WhoisArgs) -> anyhow::Result<u8> {
    let policy = super::policy(&a.allow_net)?;
    let store = crate::db::open(&a.database).await?;
    let mut failed = false;
    for q in &a.queries {
        let now = Utc::now();
        let obs = if a.rdap {
            let opts = RdapOptions {
                bootstrap: a.rdap_bootstrap.clone(),
                timeout: Duration::from_secs(a.timeout),
                policy: policy.clone(),
            };
            let query = q.clone();
            let answer = tokio::task::spawn_blocking(move || rdap::lookup(&query, &opts))
                .await
                .context("RDAP task")?;
            match answer {
                Ok(ans) => {
                    if a.raw {
                        eprintln!("== {}\n{}", ans.url, ans.body);
                    }
                    parse::rdap::observation(&ans.json, Some(&ans.body), Some(&ans.url), now)
                        .map_err(anyhow::Error::msg)
                }
                Err(e) => Err(e.into()),
            }
        } else {
            let opts = WhoisOptions {
                first_server: a.whois_server.clone(),
                timeout: Duration::from_secs(a.timeout),
                max_hops: a.max_hops,
                policy: policy.clone(),
            };
            match lookup(q, &opts).await {
                Ok(l) => {
                    if let Some(why) = &l.incomplete {
                        eprintln!("warning: {q}: referral chain stopped: {why}");
                    }
                    if a.raw {
                        for h in &l.hops {
                            eprintln!("== {}\n{}", h.server, h.response);
                        }
                    }
                    // The first answer describes the TLD (IANA) when referrals followed.
                    let hops = if l.hops.len() > 1 {
                        &l.hops[1..]
                    } else {
                        &l.hops[..]
                    };
                    let mut parsed = ParsedWhois::default();
                    for h in hops {
                        parsed = merge(parse::parse(&h.response), &parsed);
                    }
                    let last = hops
                        .last()
                        .map(|h| (h.server.as_str(), h.response.as_str()));
                    parse::observation(Some(q), last.map(|l| l.0), last.map(|l| l.1), &parsed, now)
                        .map_err(anyhow::Error::msg)
                }
                Err(e) => Err(e.into()),
            }
        };
        match obs {
            Ok(o) => {
                super::emit(Some(store.as_ref()), vec![o], a.ndjson).await?;
                eprintln!("{q}: WHOIS snapshot stored");
            }
            Err(e) => {
                eprintln!("error: {q}: {e:#}");
                failed = true;
            }
        }
    }
    Ok(u8::from(failed))
}
