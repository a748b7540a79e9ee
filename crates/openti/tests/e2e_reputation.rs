//! Host reputation end to end: facts ingested by the normal path (`openti ingest`, the HTTP
//! ingest route, `openti import blocklist|allowlist|warninglist`), scores read through the
//! Graph API of the real binary. Pivot rules (shared address, tracker, certificate) must follow
//! the hosts that are malicious on their own evidence, including hosts listed later.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const RW: &str = "ThreatIntelligence.ReadWrite.All";
const SHA_B: &str = "2222222222222222222222222222222222222222";

/// A listed C2 host and hosts that share its address, tracker or certificate; a clean host;
/// and a pair sharing a certificate whose first member is listed only later.
const WORLD: &str = r#"
{"kind":"intel_profile","profile_kind":"actor","title":"Copper Finch","indicators":[{"type":"hostname","value":"c2.finch-ops.test"}]}
{"kind":"dns","name":"c2.finch-ops.test","type":"A","value":"198.51.100.10","time":"2020-03-01T00:00:00Z"}
{"kind":"tracker","host":"c2.finch-ops.test","tracker_kind":"GoogleAnalyticsID","value":"UA-999999-1","time":"2020-03-01T00:00:00Z"}
{"kind":"certificate","host":"c2.finch-ops.test","sha1":"1111111111111111111111111111111111111111","time":"2020-03-01T00:00:00Z"}
{"kind":"dns","name":"neighbour.shared-hosting.test","type":"A","value":"198.51.100.10","time":"2020-03-02T00:00:00Z"}
{"kind":"tracker","host":"analytics-twin.example.net","tracker_kind":"GoogleAnalyticsID","value":"UA-999999-1","time":"2020-03-03T00:00:00Z"}
{"kind":"certificate","host":"cert-twin.example.org","sha1":"1111111111111111111111111111111111111111","time":"2020-03-04T00:00:00Z"}
{"kind":"dns","name":"clean.example.com","type":"A","value":"192.0.2.50","time":"2020-03-01T00:00:00Z"}
{"kind":"certificate","host":"later.example.net","sha1":"2222222222222222222222222222222222222222","time":"2020-03-01T00:00:00Z"}
{"kind":"certificate","host":"later-twin.example.net","sha1":"2222222222222222222222222222222222222222","time":"2020-03-01T00:00:00Z"}
"#;

fn rule_names(rep: &Value) -> Vec<String> {
    rep["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

fn rule<'a>(rep: &'a Value, name: &str) -> &'a Value {
    rep["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no rule {name}: {rep}"))
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn pivot_rules_follow_malicious_hosts_through_ingest_and_http() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let world = write(dir.path(), "world.ndjson", WORLD);
    let (code, _) = ingest(&db, &[&world]);
    assert_eq!(code, 0);
    let token = token(&db, RW);
    let s = Server::start(&["--database", db.to_str().unwrap()], token.clone());

    let c2 = s.graph("hosts/c2.finch-ops.test/reputation").ok();
    assert_eq!(c2["classification"], "malicious", "{c2}");
    assert!(rule(&c2, "Threat intelligence listing")["description"]
        .as_str()
        .unwrap()
        .contains("Copper Finch"));

    let n = s
        .graph("hosts/neighbour.shared-hosting.test/reputation")
        .ok();
    assert_eq!(rule_names(&n), ["Shared resolving address"], "{n}");
    assert_eq!(
        (n["score"].as_i64(), &n["classification"]),
        (Some(25), &"neutral".into())
    );
    let r = rule(&n, "Shared resolving address");
    assert_eq!(r["severity"], "medium");
    assert!(r["description"]
        .as_str()
        .unwrap()
        .contains("c2.finch-ops.test"));
    let url = r["relatedDetailsUrl"].as_str().unwrap();
    assert_eq!(
        url,
        "/v1.0/security/threatIntelligence/hosts/198.51.100.10/passiveDnsReverse"
    );
    // the link shows the evidence
    let rev = s.get(url).ok();
    assert!(rev["value"]
        .to_string()
        .contains("neighbour.shared-hosting.test"));

    let t = s.graph("hosts/analytics-twin.example.net/reputation").ok();
    assert_eq!(rule_names(&t), ["Shared tracker"], "{t}");
    assert!(rule(&t, "Shared tracker")["description"]
        .as_str()
        .unwrap()
        .contains("UA-999999-1"));

    let c = s.graph("hosts/cert-twin.example.org/reputation").ok();
    assert_eq!(rule_names(&c), ["Shared certificate"], "{c}");
    let url = rule(&c, "Shared certificate")["relatedDetailsUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let related = s.get(&url).ok();
    assert!(
        related["value"].to_string().contains("c2.finch-ops.test"),
        "{related}"
    );

    let clean = s.graph("hosts/clean.example.com/reputation").ok();
    assert_eq!(
        (clean["score"].as_i64(), &clean["classification"]),
        (Some(0), &"unknown".into())
    );
    assert!(clean["rules"].as_array().unwrap().is_empty());
    let twin = s.graph("hosts/later-twin.example.net/reputation").ok();
    assert!(twin["rules"].as_array().unwrap().is_empty(), "{twin}");

    // later.example.net is listed over HTTP: its certificate twin is rescored incrementally
    let body = format!(
        "{{\"kind\":\"article\",\"title\":\"Finch expands\",\"indicators\":[{{\"type\":\"domain\",\"value\":\"later.example.net\"}}]}}\n\
         {{\"kind\":\"certificate\",\"sha1\":\"{SHA_B}\",\"issued\":\"2019-01-01T00:00:00Z\",\"expires\":\"2030-01-01T00:00:00Z\"}}\n"
    );
    let v = s
        .request("POST", "/openti/v1/observations", Some(&token), Some(&body))
        .ok();
    assert_eq!(v["accepted"], 2, "{v}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let twin = s.graph("hosts/later-twin.example.net/reputation").ok();
        if rule_names(&twin) == ["Shared certificate"] {
            assert!(rule(&twin, "Shared certificate")["description"]
                .as_str()
                .unwrap()
                .contains("later.example.net"));
            break;
        }
        assert!(Instant::now() < deadline, "twin never rescored: {twin}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let later = s.graph("hosts/later.example.net/reputation").ok();
    assert_eq!(later["classification"], "malicious", "{later}");
    assert!(
        rule(&later, "Threat intelligence listing")["relatedDetailsUrl"]
            .as_str()
            .unwrap()
            .contains("/articles/")
    );
    s.graph("hosts/never-seen.example.net/reputation")
        .graph_error(404);
}

#[test]
fn block_and_allow_lists_and_recompute() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let d = db.to_str().unwrap();
    let world = write(
        dir.path(),
        "w.ndjson",
        r#"{"kind":"dns","name":"www.bad-list.test","type":"A","value":"203.0.113.9","time":"2020-01-01T00:00:00Z"}
{"kind":"dns","name":"cdn.good-site.test","type":"A","value":"192.0.2.80","time":"2020-01-01T00:00:00Z"}
{"kind":"dns","name":"mine.corp.test","type":"A","value":"192.0.2.81","time":"2020-01-01T00:00:00Z"}
{"kind":"intel_profile","profile_kind":"tool","title":"Noisy Tool","indicators":[{"type":"hostname","value":"cdn.good-site.test"},{"type":"hostname","value":"mine.corp.test"}]}
"#,
    );
    ingest(&db, &[&world]);
    let bl = write(
        dir.path(),
        "my-blocklist.txt",
        "# test block-list\nbad-list.test\n203.0.113.0/24 # a range\nnot valid!\n",
    );
    let out = openti(&["import", "blocklist", "--database", d, bl.to_str().unwrap()]);
    assert_eq!(out.code, 2, "one bad line: {}", out.stderr);
    assert!(out.stderr.contains("my-blocklist.txt:4:"), "{}", out.stderr);
    let wl_dir = dir.path().join("lists/tranco10k");
    std::fs::create_dir_all(&wl_dir).unwrap();
    write(
        &wl_dir,
        "list.json",
        r#"{"name":"Top sites (test)","type":"hostname","version":1,"list":["good-site.test"]}"#,
    );
    let out = openti(&[
        "import",
        "warninglist",
        "--database",
        d,
        wl_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let al = write(dir.path(), "corp-allow.txt", "corp.test\n");
    let out = openti(&["import", "allowlist", "--database", d, al.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lists = openti(&["reputation", "lists", "--database", d]);
    assert_eq!(
        lists.stdout,
        "corp-allow\tallow\tuser\t1\nmy-blocklist\tblock\tblocklist\t2\ntranco10k\tallow\twarninglist\t1\n"
    );

    let token = token(&db, RW);
    let s = Server::start(&["--database", d], token);
    let bad = s.graph("hosts/www.bad-list.test/reputation").ok();
    // the block-listed range also makes its address malicious: the pivot follows
    assert_eq!(
        rule_names(&bad),
        ["Block-listed", "Shared resolving address"],
        "{bad}"
    );
    assert_eq!(bad["classification"], "malicious");
    assert_eq!(rule(&bad, "Block-listed")["severity"], "high");
    let ip = s.graph("hosts/203.0.113.9/reputation").ok();
    assert!(rule(&ip, "Block-listed")["description"]
        .as_str()
        .unwrap()
        .contains("203.0.113.0/24"));
    // a listed host on a warninglist is capped below suspicious; a user allow-list zeroes it
    let good = s.graph("hosts/cdn.good-site.test/reputation").ok();
    assert_eq!(
        rule_names(&good),
        [
            "Threat intelligence listing",
            "Well-known benign infrastructure"
        ]
    );
    assert_eq!(
        (good["score"].as_i64(), &good["classification"]),
        (Some(24), &"unknown".into())
    );
    let mine = s.graph("hosts/mine.corp.test/reputation").ok();
    assert_eq!(mine["score"], 0, "{mine}");
    assert_eq!(rule_names(&mine).last().unwrap(), "User allow-list");

    // recompute everything with a user rule file
    let rules = write(
        dir.path(),
        "rules.toml",
        "version = 1\n[[rule]]\nname = \"Any address\"\ndescription = \"{host} resolves\"\nseverity = \"low\"\n\
         weight = 30\ndetails = \"{api}/hosts/{host}/passiveDns\"\ncondition = { kind = \"fast_flux\", distinct_a = 1, window_hours = 1, min_asns = 0 }\n",
    );
    let out = openti(&[
        "reputation",
        "recompute",
        "--all",
        "--json",
        "--database",
        d,
        "--reputation-rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert!(v["scored"].as_u64().unwrap() >= 8, "{v}");
    let out = openti(&[
        "reputation",
        "show",
        "--database",
        d,
        "--reputation-rules",
        rules.to_str().unwrap(),
        "www.bad-list.test",
    ]);
    let shown: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rule_names(&shown), ["Any address"]);
    assert_eq!(shown["classification"], "neutral");
    // the server (default rules) sees another rule version and rescores on request
    let again = s.graph("hosts/www.bad-list.test/reputation").ok();
    assert_eq!(rule_names(&again)[0], "Block-listed");
    let bad_rules = write(
        dir.path(),
        "bad.toml",
        "version = 1\n[[rule]]\nname = \"x\"\n",
    );
    let out = openti(&[
        "reputation",
        "recompute",
        "--database",
        d,
        "--reputation-rules",
        bad_rules.to_str().unwrap(),
    ]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("bad.toml"), "{}", out.stderr);
}
