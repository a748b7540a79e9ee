//! The embedded demo dataset: real threat-actor and tool profiles from MISP galaxies (CC0 /
//! BSD-2-Clause, see docs/data-sources.md) plus synthetic hosts under reserved names.

use openti_ingest::{ingest_bytes, IngestOptions, IngestSummary};
use openti_store::Store;

/// Demo inputs, compiled into the binary so `serve --demo` works from anywhere.
pub const DATASETS: &[(&str, &str)] = &[
    (
        "demo/profiles.ndjson",
        include_str!("../demo/profiles.ndjson"),
    ),
    ("demo/hosts.ndjson", include_str!("../demo/hosts.ndjson")),
];

/// Loads the demo dataset (idempotent: a second load skips every batch).
pub async fn load(store: &dyn Store) -> anyhow::Result<IngestSummary> {
    let mut total = IngestSummary::default();
    for (name, text) in DATASETS {
        let s = ingest_bytes(
            store,
            name,
            text.as_bytes(),
            &IngestOptions::default(),
            &mut |_, _| {},
        )
        .await?;
        for e in &s.errors {
            tracing::warn!("{name}:{}: {}", e.line, e.message);
        }
        total.merge(s);
    }
    Ok(total)
}
