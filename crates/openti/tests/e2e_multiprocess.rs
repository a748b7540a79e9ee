//! Several processes on one database, and crash recovery, on the backend under test (SQLite
//! by default; PostgreSQL with `OPENTI_TEST_BACKEND=postgres`, see `common`).
//!
//! * Concurrency: three `openti ingest` processes (two of them on the same file) run at the
//!   same time as two `openti serve` processes that keep reading; the database ends with
//!   exactly the facts and counts of a sequential ingest of the same files, and every read
//!   during the run answers 200 with a total that never goes down.
//! * Crash: `openti ingest` is killed with SIGKILL in the middle of a large file and run
//!   again on the same file; while it runs, readers only ever see whole batches, and the end
//!   state equals one clean ingest (nothing lost, nothing counted twice).

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const RW: &str = "ThreatIntelligence.ReadWrite.All";

/// Writes `lines` DNS observations: host `h{i % hosts}.multi.test` resolving to a distinct
/// value per line, times spread over a year, count 1 each.
fn write_dns(path: &Path, first: usize, lines: usize, hosts: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in first..first + lines {
        let h = i % hosts;
        let day = 1 + (i % 28);
        let month = 1 + (i / 28) % 12;
        writeln!(
            f,
            r#"{{"kind":"dns","name":"h{h}.multi.test","type":"A","value":"10.{}.{}.{}","time":"2024-{month:02}-{day:02}T00:00:00Z"}}"#,
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        )
        .unwrap();
    }
    f.flush().unwrap();
}

fn spawn_ingest(db: &str, file: &Path, batch: usize) -> Child {
    Command::new(bin())
        .args([
            "ingest",
            "--json",
            "--batch-size",
            &batch.to_string(),
            "--database",
            db,
            file.to_str().unwrap(),
        ])
        .env("OPENTI_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ingest")
}

fn finish(child: Child) {
    let out = child.wait_with_output().expect("wait ingest");
    assert!(
        out.status.success(),
        "ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `$count` of a collection.
fn count(s: &Server, collection: &str) -> u64 {
    let r = s.graph(&format!("{collection}/$count"));
    assert_eq!(r.status, 200, "{collection}/$count: {}", r.text);
    r.text.trim().parse().expect("count")
}

/// Every passive DNS fact of the hosts with its count, through the COF export route.
fn facts(s: &Server, hosts: usize) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for h in 0..hosts {
        let r = s.get(&format!("/openti/v1/hosts/h{h}.multi.test/passiveDns/cof"));
        assert_eq!(r.status, 200, "cof h{h}: {}", r.text);
        for line in r.text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("cof line");
            let key = format!(
                "{} {} {}",
                v["rrname"].as_str().unwrap_or(""),
                v["rrtype"].as_str().unwrap_or(""),
                v["rdata"]
            );
            let n = v["count"].as_u64().expect("count");
            assert!(out.insert(key, n).is_none(), "duplicate fact");
        }
    }
    out
}

/// A database spec for a new test database in `dir`.
fn new_db(dir: &Path, name: &str) -> (PathBuf, String) {
    let p = dir.join(name);
    let spec = db_spec(p.to_str().unwrap());
    (p, spec)
}

#[test]
fn concurrent_processes_match_sequential_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = 20;
    let a = dir.path().join("a.ndjson");
    let b = dir.path().join("b.ndjson");
    // b overlaps the second half of a (same facts, different file → counted again)
    write_dns(&a, 0, 4000, hosts);
    write_dns(&b, 2000, 4000, hosts);

    // sequential reference
    let (seq_path, seq) = new_db(dir.path(), "seq.db");
    for f in [&a, &b, &a] {
        finish(spawn_ingest(&seq, f, 250));
    }
    let reference = Server::start(&["--database", &seq], token(&seq_path, RW));
    let want_facts = facts(&reference, hosts);
    let want_rows = count(&reference, "passiveDnsRecords");
    let want_hosts = count(&reference, "hosts");
    drop(reference);
    assert_eq!(want_rows, 6000, "distinct facts");
    let doubled = want_facts.values().filter(|&&n| n == 2).count();
    assert_eq!(doubled, 2000, "the overlap is counted once per file");

    // the same files at the same time, with two API servers reading throughout
    let (con_path, con) = new_db(dir.path(), "con.db");
    let t = token(&con_path, RW);
    let servers = [
        Server::start(&["--database", &con], t.clone()),
        Server::start(&["--database", &con], t.clone()),
    ];
    let ingests: Vec<Child> = [&a, &b, &a]
        .iter()
        .map(|f| spawn_ingest(&con, f, 250))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = [0u64; 2];
    let mut reads = 0;
    let mut running = ingests;
    while !running.is_empty() {
        assert!(Instant::now() < deadline, "ingest did not finish in time");
        for (i, s) in servers.iter().enumerate() {
            let n = count(s, "passiveDnsRecords");
            assert!(
                n >= last[i],
                "server {i}: total went down {} → {n}",
                last[i]
            );
            last[i] = n;
            reads += 1;
        }
        let mut still = Vec::new();
        for mut c in running {
            match c.try_wait().expect("try_wait") {
                Some(_) => finish(c),
                None => still.push(c),
            }
        }
        running = still;
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(reads >= 2, "servers were read during the run");
    for s in &servers {
        assert_eq!(count(s, "passiveDnsRecords"), want_rows);
        assert_eq!(count(s, "hosts"), want_hosts);
    }
    assert_eq!(
        facts(&servers[0], hosts),
        want_facts,
        "same facts and counts"
    );
    assert_eq!(facts(&servers[1], hosts), want_facts, "both servers agree");
}

#[cfg(unix)]
#[test]
fn sigkill_mid_file_then_rerun_equals_one_clean_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = 50;
    let lines = 40_000;
    let batch = 500;
    let file = dir.path().join("big.ndjson");
    write_dns(&file, 0, lines, hosts);

    let (db_path, db) = new_db(dir.path(), "crash.db");
    let t = token(&db_path, RW);
    let s = Server::start(&["--database", &db], t);

    let mut child = spawn_ingest(&db, &file, batch);
    // Watch until a few batches are in, never seeing a partial one; then kill.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    loop {
        assert!(Instant::now() < deadline, "ingest made no progress");
        let n = count(&s, "passiveDnsRecords");
        assert_eq!(n % batch as u64, 0, "a partial batch is visible: {n} rows");
        seen.push(n);
        if n >= 3 * batch as u64 {
            break;
        }
        if let Some(st) = child.try_wait().expect("try_wait") {
            panic!("ingest ended before it could be killed: {st}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let at_kill = count(&s, "passiveDnsRecords");
    assert_eq!(
        at_kill % batch as u64,
        0,
        "killed mid-batch left a partial batch"
    );
    assert!(
        at_kill < lines as u64,
        "killed before the end ({at_kill} rows)"
    );

    // run again on the same file: applied batches are skipped by key
    let out = Command::new(bin())
        .args([
            "ingest",
            "--json",
            "--batch-size",
            &batch.to_string(),
            "--database",
            &db,
        ])
        .arg(&file)
        .env("OPENTI_LOG", "warn")
        .output()
        .expect("rerun");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).expect("summary");
    assert_eq!(
        summary["skipped"].as_u64().unwrap_or(0) + summary["accepted"].as_u64().unwrap_or(0),
        lines as u64,
        "{summary}"
    );
    assert!(
        summary["skipped"].as_u64().unwrap_or(0) >= at_kill,
        "{summary}"
    );

    assert_eq!(count(&s, "passiveDnsRecords"), lines as u64, "nothing lost");
    let got = facts(&s, hosts);
    assert_eq!(got.len(), lines);
    assert!(got.values().all(|&n| n == 1), "nothing counted twice");
}
