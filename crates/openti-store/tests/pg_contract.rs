//! Runs the store contract against PostgreSQL (the loopback server, or `OPENTI_TEST_POSTGRES`),
//! each test in its own freshly created database that is dropped afterwards, plus
//! PostgreSQL-specific checks (migrations under concurrent starts, several stores on one
//! database, concurrent overlapping ingest).

mod contract;

use std::time::Duration;

use openti_store::postgres::scratch::ScratchDatabase;
use openti_store::postgres::PgOptions;
use openti_store::*;

async fn pg_store() -> (ScratchDatabase, PgStore) {
    let db = tokio::task::spawn_blocking(ScratchDatabase::create)
        .await
        .expect("join")
        .expect("scratch database");
    let store = PgStore::connect_async(&db.url(), PgOptions::default(), Duration::from_secs(10))
        .await
        .expect("connect");
    (db, store)
}

macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_db, store) = pg_store().await;
                contract::$name(&store).await;
            }
        )+
    };
}

contract_tests!(
    windows_and_counts_merge,
    batch_keys_are_idempotent,
    host_window_spans_fact_kinds,
    subdomains_are_derived,
    reverse_passive_dns,
    whois_history_and_current,
    host_pairs_by_role,
    ports_status_banners_services,
    host_certificates_aggregate_ports,
    property_search,
    paging,
    garbage_ids_are_none,
    vulnerabilities,
    intel_and_indicators,
    tokens,
    failed_batch_rolls_back,
    hosts_and_enrichment,
    fixture_entities_round_trip_by_id,
);
