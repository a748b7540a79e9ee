//! Reputation benchmark: evaluations per second for hosts with typical fact counts.
//!
//! ```text
//! cargo run --release -p openti-server --example reputation_bench [-- HOSTS]
//! ```
//!
//! Builds a synthetic world in a temporary SQLite file (default 20 000 host names; each with
//! two A records drawn from a shared address pool, an NS record, a tracker from a shared pool,
//! a certificate shared by two hosts, a WHOIS record, and enrichment of its addresses; 5 % of
//! names listed by an intel profile), then measures:
//!
//! 1. **engine only** — `Engine::evaluate` over evidence already read (default rules);
//! 2. **evidence read** — `Store::host_evidence` (the SQL of one evaluation);
//! 3. **full rescore** — `openti reputation recompute --all`: evidence + rules + save + pivot
//!    neighbour marking, in write transactions of 500 hosts;
//! 4. **incremental** — list 1 % more hosts, then rescore only what became dirty.

use std::sync::Arc;
use std::time::Instant;

use openti_model::Observation;
use openti_server::reputation::{recompute_all, recompute_dirty, Engine};
use openti_store::{Batch, SqliteStore, Store};

fn world(hosts: usize, listed_every: usize, profile: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let ips = (hosts / 4).max(1);
    let mut indicators = Vec::new();
    for i in 0..hosts {
        let h = format!("www.site{i}.example");
        let d = format!("site{i}.example");
        let t = format!("2024-0{}-1{}T00:00:00Z", 1 + i % 9, i % 10);
        for k in 0..2 {
            let ip = (i * 7 + k * 13) % ips;
            lines.push(format!(
                r#"{{"kind":"dns","name":"{h}","type":"A","value":"10.{}.{}.{}","time":"{t}"}}"#,
                ip / 65536 % 256,
                ip / 256 % 256,
                ip % 256
            ));
        }
        lines.push(format!(
            r#"{{"kind":"dns","name":"{d}","type":"NS","value":"ns{}.dns-host.example","time":"{t}"}}"#,
            i % 200
        ));
        lines.push(format!(
            r#"{{"kind":"tracker","host":"{h}","tracker_kind":"GoogleAnalyticsID","value":"UA-{}-1","time":"{t}"}}"#,
            i % (hosts / 10).max(1)
        ));
        lines.push(format!(
            r#"{{"kind":"certificate","host":"{h}","sha1":"{:040x}","issued":"2024-01-01T00:00:00Z","expires":"2025-01-01T00:00:00Z","time":"{t}"}}"#,
            i / 2 + 1
        ));
        lines.push(format!(
            r#"{{"kind":"whois","domain":"{d}","registered":"2015-01-01T00:00:00Z","registrar":{{"name":"Registrar {}"}},"nameservers":["ns{}.dns-host.example"],"time":"{t}"}}"#,
            i % 20,
            i % 200
        ));
        if i % listed_every == 0 {
            indicators.push(format!(r#"{{"type":"hostname","value":"{h}"}}"#));
        }
    }
    for ip in 0..ips {
        lines.push(format!(
            r#"{{"kind":"ip","ip":"10.{}.{}.{}","asn":{},"time":"2024-01-01T00:00:00Z"}}"#,
            ip / 65536 % 256,
            ip / 256 % 256,
            ip % 256,
            64500 + ip % 50
        ));
    }
    lines.push(format!(
        r#"{{"kind":"intel_profile","profile_kind":"actor","title":"{profile}","indicators":[{}]}}"#,
        indicators.join(",")
    ));
    lines
}

async fn load(store: &dyn Store, lines: &[String]) {
    let obs: Vec<Observation> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<Observation>(l)
                .expect("synthetic line")
                .normalize()
                .expect("normalise")
        })
        .collect();
    for chunk in obs.chunks(5000) {
        store
            .apply_batch(Batch {
                key: None,
                observations: chunk.to_vec(),
            })
            .await
            .expect("apply");
    }
}

fn main() {
    let hosts: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let path = std::env::temp_dir().join(format!("openti-rep-bench-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let p = path.clone();
        let store: Arc<dyn Store> = Arc::new(
            tokio::task::spawn_blocking(move || SqliteStore::open(&p))
                .await
                .expect("join")
                .expect("open"),
        );
        let t = Instant::now();
        let lines = world(hosts, 20, "Bench Actor");
        load(store.as_ref(), &lines).await;
        let total_hosts = store
            .counts()
            .await
            .expect("counts")
            .into_iter()
            .find(|(t, _)| t == "hosts")
            .map(|(_, n)| n)
            .unwrap_or(0);
        println!(
            "world: {hosts} names, {} observations, {total_hosts} hosts (incl. IPs, domains, name servers) loaded in {:.1}s",
            lines.len(),
            t.elapsed().as_secs_f64()
        );
        let engine = Arc::new(Engine::builtin());

        // full rescore first, so pivot evidence is populated for the next measurements
        let t = Instant::now();
        let s = recompute_all(store.as_ref(), &engine).await.expect("recompute");
        let full = t.elapsed().as_secs_f64();

        let sample: Vec<String> = (0..2000.min(hosts)).map(|i| format!("www.site{i}.example")).collect();
        let t = Instant::now();
        let mut evs = Vec::new();
        for h in &sample {
            evs.push(store.host_evidence(h).await.expect("evidence").expect("known"));
        }
        let read = t.elapsed().as_secs_f64();
        let facts: usize = evs
            .iter()
            .map(|e| e.resolved_ips.len() + e.certificates.len() + e.trackers.len() + e.nameservers.len() + e.asns.len() + e.listed_in.len() + e.pivots.len() + usize::from(e.registered.is_some()))
            .sum();

        let now = chrono::Utc::now();
        let rounds = 50;
        let t = Instant::now();
        let mut fired = 0usize;
        for _ in 0..rounds {
            for e in &evs {
                fired += engine.evaluate(e, now).reputation.rules.len();
            }
        }
        let eval = t.elapsed().as_secs_f64();
        let n_eval = (rounds * evs.len()) as f64;

        // incremental: 1 % more names listed
        let more: Vec<String> = (0..hosts)
            .filter(|i| i % 100 == 7)
            .map(|i| format!(r#"{{"type":"hostname","value":"www.site{i}.example"}}"#))
            .collect();
        let line = format!(
            r#"{{"kind":"intel_profile","profile_kind":"actor","title":"Bench Actor 2","indicators":[{}]}}"#,
            more.join(",")
        );
        load(store.as_ref(), &[line]).await;
        let t = Instant::now();
        let inc = recompute_dirty(store.as_ref(), &engine).await.expect("dirty");
        let inc_s = t.elapsed().as_secs_f64();

        println!();
        println!("| measurement | hosts | time | rate |");
        println!("|---|---|---|---|");
        println!(
            "| engine only (default rules, {:.1} facts/host, {:.2} rules fired/host) | {} | {:.3}s | {:.0} evaluations/s |",
            facts as f64 / evs.len() as f64,
            fired as f64 / n_eval,
            n_eval,
            eval,
            n_eval / eval
        );
        println!(
            "| evidence read (SQL) | {} | {:.3}s | {:.0} hosts/s |",
            evs.len(),
            read,
            evs.len() as f64 / read
        );
        println!(
            "| full rescore (read + evaluate + save, {} neighbour marks) | {} | {:.2}s | {:.0} hosts/s |",
            s.neighbours,
            s.scored,
            full,
            s.scored as f64 / full
        );
        println!(
            "| incremental after listing {} more names ({} neighbour marks) | {} | {:.2}s | {:.0} hosts/s |",
            more.len(),
            inc.neighbours,
            inc.scored,
            inc_s,
            inc.scored as f64 / inc_s.max(1e-9)
        );
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    });
}
