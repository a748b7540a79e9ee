//! End to end: throttling (429 + Retry-After, then recovery), configuration precedence
//! (flags > environment > file > defaults), health, metrics, `$metadata`, `/openapi.json`, and
//! the Graph envelope on 404 / 405 / 429.

mod common;

use std::time::Duration;

use common::*;

const READ: &str = "ThreatIntelligence.Read.All";

/// Sends GETs until the first 429; returns how many succeeded before it and the 429.
fn until_throttled(s: &Server, token: &str, limit: usize) -> (usize, Response) {
    for i in 0..limit {
        let r = s.request(
            "GET",
            "/v1.0/security/threatIntelligence/articles",
            Some(token),
            None,
        );
        if r.status == 429 {
            return (i, r);
        }
        assert_eq!(r.status, 200, "{}", r.text);
    }
    panic!("not throttled within {limit} requests");
}

#[test]
fn throttling_answers_429_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let a = token(&db, READ);
    let b = token(&db, READ);
    let s = Server::start(
        &[
            "--database",
            db.to_str().unwrap(),
            "--throttle-rate",
            "1",
            "--throttle-burst",
            "3",
        ],
        a.clone(),
    );
    let (ok, r) = until_throttled(&s, &a, 10);
    assert_eq!(ok, 3, "the burst is served");
    assert_eq!(r.graph_error(429), "TooManyRequests");
    let retry: u64 = r
        .header("Retry-After")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // Buckets are per caller.
    let other = s.request(
        "GET",
        "/v1.0/security/threatIntelligence/articles",
        Some(&b),
        None,
    );
    assert_eq!(other.status, 200);
    // Recovery after the advertised wait.
    std::thread::sleep(Duration::from_secs(retry) + Duration::from_millis(100));
    s.graph("articles").ok();
    // Unauthenticated public routes are not throttled.
    for _ in 0..10 {
        assert_eq!(s.request("GET", "/healthz", None, None).status, 200);
    }
    let metrics = s.request("GET", "/metrics", None, None).text;
    assert!(
        metrics.contains(
            "openti_http_requests_total{method=\"GET\",route=\"/v1.0/security/threatIntelligence/articles\",status=\"429\"} 1"
        ),
        "{metrics}"
    );
}

#[test]
fn configuration_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("from-file.db");
    let t = token(&db, READ);
    let cfg = dir.path().join("openti.toml");
    std::fs::write(
        &cfg,
        format!(
            "database = {:?}\nlisten = \"127.0.0.1:1\"\n\n[throttle]\nrate = 0.01\nburst = 2\n",
            db_spec(db.to_str().unwrap())
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    // File only (database and throttle from the file; --listen flag beats the file's).
    let s = Server::start(&["--config", cfg], t.clone());
    assert_eq!(until_throttled(&s, &t, 10).0, 2, "burst from the file");
    drop(s);
    // Environment beats the file (OPENTI_CONFIG names the file).
    let s = Server::start_env(
        &[],
        t.clone(),
        &[("OPENTI_CONFIG", cfg), ("OPENTI_THROTTLE_BURST", "4")],
    );
    assert_eq!(
        until_throttled(&s, &t, 10).0,
        4,
        "burst from the environment"
    );
    drop(s);
    // Flags beat the environment.
    let s = Server::start_env(
        &["--throttle-burst", "1"],
        t.clone(),
        &[("OPENTI_CONFIG", cfg), ("OPENTI_THROTTLE_BURST", "4")],
    );
    assert_eq!(until_throttled(&s, &t, 10).0, 1, "burst from the flag");
    drop(s);
    // A broken file is a clear startup error.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "unknown_key = 1\n").unwrap();
    let out = openti(&["--config", bad.to_str().unwrap(), "token", "list"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("unknown_key"), "{}", out.stderr);
    // Other commands read the database from the file too.
    let out = openti(&["--config", cfg, "token", "list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("test"), "{}", out.stdout);
}

#[test]
fn health_metrics_metadata_openapi_and_envelopes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    ingest(&db, &[&fixture("all-kinds.ndjson")]);
    let s = Server::start(&["--database", db.to_str().unwrap()], token(&db, READ));
    for p in ["/healthz", "/readyz"] {
        let r = s.request("GET", p, None, None);
        assert_eq!(r.status, 200, "{p}");
        assert!(r.header("request-id").is_some());
        assert_eq!(r.header("client-request-id"), Some("test-client-id"));
    }
    let meta = s.request("GET", "/v1.0/$metadata", None, None);
    assert_eq!(meta.status, 200);
    assert!(meta
        .header("content-type")
        .unwrap()
        .starts_with("application/xml"));
    assert!(meta
        .text
        .contains("<Schema Namespace=\"microsoft.graph.security\""));
    let api = s.request("GET", "/openapi.json", None, None);
    let doc = api.ok();
    assert_eq!(doc["servers"][0]["url"].as_str(), Some(s.base.as_str()));
    assert!(
        doc["paths"]["/v1.0/security/threatIntelligence/hosts/{host-id}/passiveDns/$count"]
            .is_object()
    );

    s.graph("hosts/www.example.com").ok();
    s.graph("hosts/192.0.2.10/ports/$count");
    s.graph("hosts/no-such-host.example").graph_error(404);
    // Envelope on the 404 fallback, 405 on Graph and non-Graph routes.
    s.get("/no/such/route").graph_error(404);
    let r = s.request(
        "PUT",
        "/v1.0/security/threatIntelligence/articles",
        Some(&s.token),
        Some("{}"),
    );
    assert_eq!(r.graph_error(405), "MethodNotAllowed");
    assert_eq!(r.header("Allow"), Some("GET, HEAD"));
    let r = s.request("POST", "/healthz", None, Some(""));
    assert_eq!(r.graph_error(405), "MethodNotAllowed");
    assert!(
        r.header("Allow").unwrap().contains("GET"),
        "{:?}",
        r.headers
    );
    let r = s.request("GET", "/openti/v1/observations", Some(&s.token), None);
    r.graph_error(405);

    let m = s.request("GET", "/metrics", None, None);
    assert_eq!(m.status, 200);
    assert!(m.header("content-type").unwrap().starts_with("text/plain"));
    let text = m.text;
    for want in [
        "route=\"/v1.0/security/threatIntelligence/hosts/{host-id}\",status=\"200\"} 1",
        "route=\"/v1.0/security/threatIntelligence/hosts/{host-id}/ports/$count\",status=\"200\"",
        "route=\"/v1.0/security/threatIntelligence/hosts/{host-id}\",status=\"404\"",
        "route=\"unmatched\",status=\"404\"",
        "openti_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",status=\"200\",le=\"+Inf\"} 1",
        "# TYPE openti_http_request_duration_seconds histogram",
    ] {
        assert!(text.contains(want), "missing {want}\n{text}");
    }
    for id in [
        "www.example.com",
        "192.0.2.10",
        "no-such-host",
        "/no/such/route",
    ] {
        assert!(!text.contains(id), "high-cardinality id {id} in labels");
    }
}

#[test]
fn db_migrate_counts_and_rescore_interval_zero_leaves_dirty_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let d = db.to_str().unwrap();
    // the first migrate applies every migration and says how many, the second none
    let first = openti(&["db", "migrate", "--database", d]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let applied: u32 = first
        .stdout
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {:?}", first.stdout));
    assert!(applied >= 5, "{}", first.stdout);
    let second = openti(&["db", "migrate", "--database", d]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stdout.contains(" 0 migration(s) applied"),
        "{}",
        second.stdout
    );

    // hosts ingested without rescoring stay dirty while a server with --rescore-interval 0 runs
    let dns = |name: &str, ip: &str| {
        format!("{{\"kind\":\"dns\",\"name\":\"{name}\",\"type\":\"A\",\"value\":\"{ip}\",\"time\":\"2024-01-01T00:00:00Z\"}}\n")
    };
    let ingest_unscored = |name: &str, text: String| {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        let out = openti(&[
            "ingest",
            "--no-reputation",
            "--database",
            d,
            f.to_str().unwrap(),
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    };
    let dirty_scored = || {
        let out = openti(&["reputation", "recompute", "--json", "--database", d]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
        v["scored"].as_u64().unwrap()
    };
    let serve_for = |args: &[&str], secs: u64| {
        let s = Server::start(args, token(&db, READ));
        std::thread::sleep(Duration::from_secs(secs));
        drop(s);
    };
    ingest_unscored(
        "facts.ndjson",
        dns("a.rescore.test", "192.0.2.7") + &dns("b.rescore.test", "192.0.2.8"),
    );
    serve_for(&["--database", d, "--rescore-interval", "0"], 3);
    assert!(dirty_scored() >= 2, "the hosts were left dirty");

    // with the default interval the server scores new ones within a few seconds
    ingest_unscored("more.ndjson", dns("c.rescore.test", "192.0.2.9"));
    serve_for(&["--database", d], 5);
    assert_eq!(
        dirty_scored(),
        0,
        "the server's background pass scored them"
    );
}

#[test]
fn dnstap_import_twice_stores_every_window_once_and_marks_hosts_dirty() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let d = db.to_str().unwrap();
    let file = dir.path().join("t.fstrm");
    let f = file.to_str().unwrap();
    // 30,000 messages at 200/s of message time: 150 s, so three 60 s windows, with many
    // frame batches in between that carry no facts
    let gen = openti(&[
        "bench",
        "dnstap",
        "--messages",
        "30000",
        "--rate",
        "200",
        "--names",
        "2000",
        "--file",
        f,
    ]);
    assert_eq!(gen.code, 0, "{}", gen.stderr);
    let import = || {
        let out = openti(&[
            "import",
            "dnstap",
            "--json",
            "--batch-size",
            "1000",
            "--database",
            d,
            f,
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        serde_json::from_str::<serde_json::Value>(out.stdout.trim()).unwrap()
    };
    let first = import();
    let accepted = first["total"]["accepted"].as_u64().unwrap();
    assert!(accepted > 2000, "{first}");
    assert_eq!(first["total"]["skipped"], 0);
    assert_eq!(first["files"][0]["dns"]["windows"], 3, "{first}");
    assert_eq!(first["files"][0]["dns"]["messages"], 30000);
    // the same file again: its digest names the same batches, all already applied
    let second = import();
    assert_eq!(second["total"]["accepted"], 0, "{second}");
    assert_eq!(second["total"]["skipped"].as_u64(), Some(accepted));
    // every host the import wrote waits for rescoring (marked by the writer)
    let out = openti(&["reputation", "recompute", "--json", "--database", d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert!(v["scored"].as_u64().unwrap() > 2000, "{v}");
}
