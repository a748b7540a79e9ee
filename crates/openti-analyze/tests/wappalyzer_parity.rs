//! Component detections of OpenTI's fingerprint engine versus Wappalyzer's own engine
//! (`wappalyzer.js` of npm `wappalyzer@6.10.47`, run in Node by
//! `scripts/wappalyzer-reference/reference.js`) on the saved-page corpus
//! `fixtures/web-corpus/pages.ndjson`: at least 98 % of (page, technology) pairs must agree on
//! detection and version. Also reports pages/s of both engines.
//!
//! Needs the data fetched by `scripts/fetch-data.sh --web` (skipped with a message otherwise).
//! `OPENTI_BENCH_ROUNDS=N` repeats the analysis N times for the throughput figures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use openti_analyze::fingerprint::Fingerprints;
use openti_analyze::web::{Analyzer, Page, Registry};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cache() -> PathBuf {
    std::env::var_os("OPENTI_DATA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("data/cache"))
}

type Techs = BTreeMap<String, String>;

fn node_reference(pkg: &Path, pages: &Path, rounds: u32) -> Option<(Vec<Techs>, f64)> {
    let modules = cache().join("wappalyzer-reference/node_modules");
    let out = Command::new("node")
        .arg(repo().join("scripts/wappalyzer-reference/reference.js"))
        .arg(pkg)
        .arg(pages)
        .arg(rounds.to_string())
        .env("NODE_PATH", &modules)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "node reference failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let mut pages_out = Vec::new();
    let mut pps = 0.0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).ok()?;
        if let Some(p) = v["pagesPerSecond"].as_f64() {
            pps = p;
            continue;
        }
        let techs = v["techs"]
            .as_array()?
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().unwrap_or("").to_string(),
                    t["version"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        pages_out.push(techs);
    }
    Some((pages_out, pps))
}

#[test]
fn detections_match_wappalyzer() {
    let pkg = cache().join("wappalyzer-6.10.47/package");
    if !pkg.join("technologies").is_dir() {
        eprintln!(
            "skipped: run scripts/fetch-data.sh --web first ({} missing)",
            pkg.display()
        );
        return;
    }
    let corpus = repo().join("fixtures/web-corpus/pages.ndjson");
    let rounds: u32 = std::env::var("OPENTI_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let t0 = Instant::now();
    let fp = Fingerprints::load_dir(&pkg).expect("load fingerprints");
    eprintln!(
        "loaded {} technologies ({} patterns not compilable) in {:.2}s",
        fp.techs.len(),
        fp.bad_patterns,
        t0.elapsed().as_secs_f64()
    );
    assert!(fp.techs.len() >= 3000);
    let analyzer = Analyzer {
        fingerprints: Some(Arc::new(fp)),
        trackers: Arc::new(Registry::builtin()),
        // Wappalyzer's core engine has no DOM without a browser; compare like with like.
        dom: false,
    };
    let text = std::fs::read_to_string(&corpus).expect("corpus");
    let pages: Vec<Page> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("page JSON");
            Page {
                url: v["url"].as_str().unwrap().parse().unwrap(),
                status: 200,
                headers: v["headers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| (h[0].as_str().unwrap().into(), h[1].as_str().unwrap().into()))
                    .collect(),
                body: v["html"].as_str().unwrap().as_bytes().to_vec(),
                cert_issuer: None,
            }
        })
        .collect();
    assert!(pages.len() >= 50, "corpus has {} pages", pages.len());
    let t = Instant::now();
    let mut ours: Vec<Techs> = Vec::new();
    for _ in 0..rounds {
        ours = pages
            .iter()
            .map(|p| {
                analyzer
                    .analyze(p, None)
                    .components
                    .into_iter()
                    .map(|d| (d.name, d.version))
                    .collect()
            })
            .collect();
    }
    let ours_pps = (pages.len() as f64 * rounds as f64) / t.elapsed().as_secs_f64();
    let Some((theirs, theirs_pps)) = node_reference(&pkg, &corpus, rounds) else {
        eprintln!("skipped comparison: node or the reference harness is unavailable");
        return;
    };
    assert_eq!(theirs.len(), pages.len());
    let (mut agree, mut total) = (0usize, 0usize);
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for n in names {
            total += 1;
            if a.get(n) == b.get(n) {
                agree += 1;
            } else {
                eprintln!(
                    "page {i} {n}: openti {:?} wappalyzer {:?}",
                    a.get(n),
                    b.get(n)
                );
            }
        }
    }
    let ratio = agree as f64 / total as f64;
    eprintln!(
        "parity: {agree}/{total} (page, technology) pairs agree = {:.2}%; pages/s: openti {ours_pps:.1}, wappalyzer (node) {theirs_pps:.1} ({rounds} round(s), {} pages)",
        ratio * 100.0,
        pages.len()
    );
    assert!(ratio >= 0.98, "parity {ratio:.4} below 98%");
}
