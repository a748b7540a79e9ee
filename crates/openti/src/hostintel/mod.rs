//! Host intelligence commands: `openti scan`, `openti whois`, `openti enrich`.
//!
//! Collectors produce observations; these commands normalise them, optionally print them as
//! NDJSON, and store them (one transaction per 1000 observations, no replay key: a new scan
//! is a new sighting).

pub mod enrich;
pub mod scan;
pub mod whois;

use anyhow::Context;
use openti_collect::{Cidr, NetPolicy};
use openti_model::Observation;
use openti_store::{Batch, Store};

/// The policy from `--allow-net` values.
pub fn policy(allow: &[String]) -> anyhow::Result<NetPolicy> {
    let nets = allow
        .iter()
        .map(|a| a.parse::<Cidr>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NetPolicy::new().allow(nets))
}

/// Normalises, prints (when asked) and stores observations; returns how many were stored.
pub async fn emit(
    store: Option<&dyn Store>,
    observations: Vec<Observation>,
    ndjson: bool,
) -> anyhow::Result<usize> {
    let mut normalised = Vec::with_capacity(observations.len());
    for o in observations {
        let kind = o.kind_name();
        match o.normalize() {
            Ok(o) => normalised.push(o),
            Err(e) => eprintln!("warning: dropping a {kind} observation: {e}"),
        }
    }
    if ndjson {
        for o in &normalised {
            println!("{}", serde_json::to_string(o)?);
        }
    }
    let n = normalised.len();
    if let Some(store) = store {
        for chunk in normalised.chunks(1000) {
            store
                .apply_batch(Batch {
                    key: None,
                    observations: chunk.to_vec(),
                })
                .await
                .context("storing observations")?;
        }
    }
    Ok(n)
}
