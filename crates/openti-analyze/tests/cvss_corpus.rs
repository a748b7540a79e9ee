//! CVSS scores equal those of the reference Python library `cvss` (PyPI, pinned in
//! `scripts/make-cvss-corpus.py`): first against the committed corpus
//! (`fixtures/cvss/corpus.json`, 400+ vectors over v2, v3.0, v3.1 and v4.0), then live, when
//! `python3` with `cvss` is installed (`scripts/test` installs it), on freshly mutated vectors.

use std::path::PathBuf;
use std::process::Command;

use openti_analyze::cvss::{score, CvssVersion};
use serde_json::Value;

fn corpus() -> Vec<(String, f64, Option<String>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cvss/corpus.json");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("corpus")).expect("json");
    v["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .map(|r| {
            (
                r["vector"].as_str().unwrap().to_string(),
                r["score"].as_f64().unwrap(),
                r["severity"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn corpus_scores_equal_reference() {
    let rows = corpus();
    assert!(rows.len() >= 200);
    let mut per_version = [0usize; 4];
    let mut failures = Vec::new();
    for (vector, expected, severity) in &rows {
        let got = score(vector).unwrap_or_else(|e| panic!("{vector}: {e}"));
        per_version[match got.version {
            CvssVersion::V2 => 0,
            CvssVersion::V30 => 1,
            CvssVersion::V31 => 2,
            CvssVersion::V40 => 3,
        }] += 1;
        if got.score != *expected {
            failures.push(format!("{vector}: got {} expected {expected}", got.score));
        }
        if let Some(s) = severity {
            if got.severity.as_str() != s {
                failures.push(format!(
                    "{vector}: severity {} expected {s}",
                    got.severity.as_str()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(per_version.iter().all(|n| *n >= 50), "{per_version:?}");
}

fn python_with_cvss() -> bool {
    Command::new("python3")
        .args(["-c", "import cvss"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Deterministic mutations of the corpus vectors: every metric value of a few vectors replaced
/// by each allowed alternative, so the live run covers vectors the committed file does not.
fn mutations(rows: &[(String, f64, Option<String>)]) -> Vec<String> {
    let alts: &[(&str, &[&str])] = &[
        ("AV", &["N", "A", "L", "P"]),
        ("AC", &["L", "H"]),
        ("PR", &["N", "L", "H"]),
        ("VC", &["H", "L", "N"]),
        ("SC", &["H", "L", "N"]),
        ("C", &["H", "L", "N"]),
        ("E", &["A", "P", "U"]),
    ];
    let mut out = Vec::new();
    for (vector, _, _) in rows.iter().step_by(7) {
        let parts: Vec<&str> = vector.split('/').collect();
        for (i, p) in parts.iter().enumerate() {
            let Some((k, _)) = p.split_once(':') else {
                continue;
            };
            let v2 = !vector.starts_with("CVSS:");
            let Some((_, vals)) = alts.iter().find(|(m, _)| *m == k) else {
                continue;
            };
            for val in *vals {
                if v2 && k == "C" {
                    continue; // v2 uses N/P/C for C
                }
                let mut q: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
                q[i] = format!("{k}:{val}");
                let cand = q.join("/");
                if score(&cand).is_ok() {
                    out.push(cand);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn live_reference_comparison() {
    if !python_with_cvss() {
        eprintln!("skipped: python3 with the `cvss` package is not installed");
        return;
    }
    let vectors = mutations(&corpus());
    assert!(vectors.len() >= 200, "{}", vectors.len());
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("vectors.json");
    std::fs::write(&input, serde_json::to_string(&vectors).unwrap()).unwrap();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/make-cvss-corpus.py");
    let out = Command::new("python3")
        .arg(script)
        .arg("--check")
        .arg(&input)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<f64> = serde_json::from_slice(&out.stdout).expect("scores");
    let mut failures = Vec::new();
    for (v, e) in vectors.iter().zip(&expected) {
        let got = score(v).unwrap().score;
        if got != *e {
            failures.push(format!("{v}: got {got} expected {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
