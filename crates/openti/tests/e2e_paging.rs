//! End to end: keyset paging while ingest continues. A few thousand passive DNS facts are
//! ingested, then a client walks the collection page by page (following `@odata.nextLink`)
//! while another thread keeps posting new observations over HTTP. Every pre-existing row must
//! be seen exactly once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use serde_json::Value;

const RW: &str = "ThreatIntelligence.ReadWrite.All";

/// `n` DNS observations with distinct names and times spread over 2023–2024.
fn observations(prefix: &str, n: usize, seed: u64) -> String {
    let mut out = String::new();
    let mut x = seed;
    for i in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let day = 1 + (x >> 33) % 28;
        let month = 1 + (x >> 40) % 12;
        let year = 2023 + (x >> 50) % 2;
        out.push_str(&format!(
            "{{\"kind\":\"dns\",\"name\":\"{prefix}{i}.paging.example\",\"type\":\"A\",\"value\":\"198.51.100.{}\",\"time\":\"{year}-{month:02}-{day:02}T00:00:00Z\"}}\n",
            i % 250 + 1
        ));
    }
    out
}

fn ids(v: &Value) -> Vec<String> {
    v["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn paging_sees_every_preexisting_row_once_while_ingesting() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let file = dir.path().join("bulk.ndjson");
    std::fs::write(&file, observations("pre", 3000, 7)).unwrap();
    let (code, summary) = ingest(&db, &[&file]);
    assert_eq!(code, 0, "{summary}");
    let s = Arc::new(Server::start_env(
        &["--database", db.to_str().unwrap()],
        token(&db, RW),
        &[
            ("OPENTI_THROTTLE_RATE", "1000000"),
            ("OPENTI_THROTTLE_BURST", "1000000"),
        ],
    ));

    // The pre-existing rows, read before ingest resumes.
    let mut before = BTreeSet::new();
    let mut next =
        Some("/v1.0/security/threatIntelligence/passiveDnsRecords?$top=1000".to_string());
    while let Some(url) = next {
        let page = s.get(&url).ok();
        before.extend(ids(&page));
        next = page["@odata.nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(before.len(), 3000);

    let stop = Arc::new(AtomicBool::new(false));
    let posted = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (s, stop, posted) = (Arc::clone(&s), Arc::clone(&stop), Arc::clone(&posted));
        std::thread::spawn(move || {
            let mut round = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let body = observations(&format!("new{round}-"), 50, round + 11);
                let token = s.token.clone();
                let r = s.request("POST", "/openti/v1/observations", Some(&token), Some(&body));
                assert_eq!(r.status, 200, "{}", r.text);
                posted.fetch_add(50, Ordering::Relaxed);
                round += 1;
            }
        })
    };

    for (orderby, top) in [
        (None, 97),
        (Some("firstSeenDateTime desc"), 211),
        (Some("id"), 150),
    ] {
        let mut url = format!("/v1.0/security/threatIntelligence/passiveDnsRecords?$top={top}");
        if let Some(o) = orderby {
            url.push_str(&format!("&$orderby={}", o.replace(' ', "%20")));
        }
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut next = Some(url);
        let mut pages = 0;
        while let Some(url) = next {
            let page = s.get(&url).ok();
            for id in ids(&page) {
                *seen.entry(id).or_default() += 1;
            }
            next = page["@odata.nextLink"].as_str().map(str::to_string);
            pages += 1;
            assert!(pages < 1000, "runaway paging");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        for id in &before {
            assert_eq!(
                seen.get(id),
                Some(&1),
                "{orderby:?}: pre-existing row {id} seen {:?} times",
                seen.get(id)
            );
        }
        assert!(
            seen.values().all(|n| *n == 1),
            "{orderby:?}: a row was repeated"
        );
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    assert!(
        posted.load(Ordering::Relaxed) > 0,
        "ingest ran concurrently"
    );
}
