//! The backend-independent store contract. Every function takes a fresh, empty store; a
//! backend's test file runs each one (see `sqlite_contract.rs`).
//!
//! Backends must reject a port outside 1–65535 at the database level (used to prove that a
//! failing batch leaves nothing behind).

#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use openti_model::{ids, Observation};
use openti_store::*;
use serde_json::Value;

mod certs;
mod intel;
mod observed;

/// Calls `$runner!(a, b, …)` with every contract function, so each backend's test file runs
/// the same list.
macro_rules! every_contract {
    ($runner:ident) => {
        $runner!(
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
            sensors_follow_the_newest_sighting,
            fixture_entities_round_trip_by_id,
            writes_mark_hosts_dirty,
        );
    };
}
pub(crate) use every_contract;

pub use certs::*;
pub use intel::*;
pub use observed::*;

/// Parses and normalises one observation line.
pub fn obs(json: &str) -> Observation {
    let o: Observation =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("bad observation {json}: {e}"));
    o.normalize()
        .unwrap_or_else(|e| panic!("cannot normalise {json}: {e}"))
}

/// A batch of observation lines.
pub fn batch(key: Option<&str>, lines: &[&str]) -> Batch {
    Batch {
        key: key.map(str::to_string),
        observations: lines.iter().map(|l| obs(l)).collect(),
    }
}

pub async fn apply(store: &dyn Store, key: Option<&str>, lines: &[&str]) -> BatchOutcome {
    store
        .apply_batch(batch(key, lines))
        .await
        .expect("apply batch")
}

pub fn q(scope: Scope) -> ListQuery {
    ListQuery {
        scope,
        search: None,
        top: 100,
        skip: 0,
        count: true,
        filter: None,
        orderby: None,
        cursor: None,
    }
}

pub async fn items(store: &dyn Store, scope: Scope) -> Vec<Value> {
    store.list(&q(scope)).await.expect("list").values()
}

pub async fn search(store: &dyn Store, scope: Scope, s: Search) -> StoreResult<Vec<Value>> {
    store
        .list(&ListQuery {
            search: Some(s),
            ..q(scope)
        })
        .await
        .map(|p| p.values())
}

pub fn prop(path: &str, value: &str) -> Search {
    Search::Property {
        path: path.into(),
        value: value.into(),
    }
}

pub fn ids_of(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub async fn count_of(store: &dyn Store, table: &str) -> u64 {
    let counts = store.counts().await.expect("counts");
    counts
        .iter()
        .find(|(t, _)| t == table)
        .map(|(_, n)| *n)
        .unwrap_or_else(|| panic!("no table {table}"))
}

pub async fn host(store: &dyn Store, id: &str) -> Value {
    store
        .get(EntityKind::Host, id)
        .await
        .expect("get host")
        .unwrap_or_else(|| panic!("host {id} missing"))
}

pub const PORT_A: &str = r#"{"kind":"port","host":"192.0.2.10","port":22,"status":"open","banner":"SSH-2.0-OpenSSH_9.2","scan_protocol":"ssh","services":[{"name":"OpenSSH","version":"9.2","category":"Remote Access"}],"first_seen":"2023-02-01T00:00:00Z","last_seen":"2023-12-01T00:00:00Z","count":11}"#;
pub const PORT_B: &str = r#"{"kind":"port","host":"192.0.2.10","port":22,"status":"closed","banner":"SSH-2.0-OpenSSH_9.2","time":"2024-02-01T00:00:00Z"}"#;
pub const DNS_A: &str = r#"{"kind":"dns","name":"www.example.com","type":"A","value":"192.0.2.10","first_seen":"2023-03-01T00:00:00Z","last_seen":"2023-06-01T00:00:00Z","count":4}"#;
pub const DNS_B: &str = r#"{"kind":"dns","name":"www.example.com","type":"A","value":"192.0.2.10","first_seen":"2023-01-01T00:00:00Z","last_seen":"2023-04-01T00:00:00Z","count":2}"#;

/// Every entity listed from the shared fixture resolves by its own id to the same JSON.
pub async fn fixture_entities_round_trip_by_id(store: &dyn Store) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/all-kinds.ndjson");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    apply(store, Some("fixture"), &lines).await;
    let scopes = [
        (Scope::Articles, EntityKind::Article),
        (
            Scope::ArticleIndicators { article: None },
            EntityKind::ArticleIndicator,
        ),
        (Scope::IntelProfiles, EntityKind::IntelProfile),
        (
            Scope::ProfileIndicators { profile: None },
            EntityKind::ProfileIndicator,
        ),
        (Scope::Hosts, EntityKind::Host),
        (
            Scope::HostComponents { host: None },
            EntityKind::HostComponent,
        ),
        (Scope::HostCookies { host: None }, EntityKind::HostCookie),
        (Scope::HostTrackers { host: None }, EntityKind::HostTracker),
        (Scope::HostPorts { host: None }, EntityKind::HostPort),
        (
            Scope::HostSslCertificates { host: None },
            EntityKind::HostSslCertificate,
        ),
        (
            Scope::HostPairs {
                host: None,
                role: PairRole::Either,
            },
            EntityKind::HostPair,
        ),
        (
            Scope::PassiveDns { host: None },
            EntityKind::PassiveDnsRecord,
        ),
        (Scope::Subdomains { host: None }, EntityKind::Subdomain),
        (Scope::SslCertificates, EntityKind::SslCertificate),
        (Scope::Vulnerabilities, EntityKind::Vulnerability),
        (Scope::WhoisRecords, EntityKind::WhoisRecord),
        (
            Scope::WhoisHistory {
                record: None,
                host: None,
            },
            EntityKind::WhoisHistoryRecord,
        ),
    ];
    for (scope, kind) in scopes {
        let page = store
            .list(&ListQuery {
                scope: scope.clone(),
                search: None,
                top: 1000,
                skip: 0,
                count: true,
                filter: None,
                orderby: None,
                cursor: None,
            })
            .await;
        let page = page.expect("list");
        assert!(!page.items.is_empty(), "{scope:?} is empty");
        assert_eq!(page.total, Some(page.items.len() as u64), "{scope:?}");
        for item in &page.values() {
            assert!(item["@odata.type"]
                .as_str()
                .is_some_and(|t| t.starts_with("#microsoft.graph.security.")));
            let id = item["id"].as_str().expect("id");
            let got = store.get(kind, id).await.expect("get");
            assert_eq!(got.as_ref(), Some(item), "{kind:?} {id}");
        }
    }
    let whois: Option<Value> = store.host_whois("example.com").await.expect("whois");
    assert!(whois.is_some());
}
