//! End to end: malformed input, the HTTP ingest route, authentication and Graph errors, and the
//! demo server.

mod common;

use common::*;

const RW: &str = "ThreatIntelligence.ReadWrite.All";
const READ: &str = "ThreatIntelligence.Read.All";

#[test]
fn malformed_lines_are_reported_and_good_lines_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (code, summary) = ingest(&db, &[&fixture("malformed.ndjson")]);
    assert_eq!(code, 2, "exit code 2 when lines were rejected");
    assert_eq!(summary["read"], 14);
    assert_eq!(summary["accepted"], 5);
    assert_eq!(summary["rejected"], 9);
    let lines: Vec<u64> = summary["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 4, 5, 7, 8, 9, 11, 13, 14]);
    let msg = |line: u64| -> String {
        summary["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["line"] == line)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(msg(2).contains("invalid JSON"), "{}", msg(2));
    assert!(msg(4).contains("unknown kind"), "{}", msg(4));
    assert!(msg(5).contains("192.0.2.300"), "{}", msg(5));
    assert!(msg(7).contains("field `time`"), "{}", msg(7));
    assert!(msg(9).contains("object"), "{}", msg(9));
    assert!(msg(14).contains("CVE"), "{}", msg(14));
    // the human report names file and line
    let out = openti(&[
        "ingest",
        "--database",
        db.to_str().unwrap(),
        fixture("malformed.ndjson").to_str().unwrap(),
    ]);
    assert!(out.stderr.contains("malformed.ndjson:5:"), "{}", out.stderr);

    let s = Server::start(&["--database", db.to_str().unwrap()], token(&db, READ));
    assert_eq!(
        s.graph("hosts/www.example.org/passiveDns").ok()["value"][0]["artifact"]["id"],
        "192.0.2.30"
    );
    assert_eq!(s.graph("hosts/www.example.org/cookies/$count").text, "1");
    assert_eq!(s.graph("hosts/www.example.org/trackers/$count").text, "1");
    assert_eq!(s.graph("hosts/192.0.2.30/ports/$count").text, "1");
    s.graph("hosts/bad-ip.example.org").graph_error(404);
    s.graph("hosts/array.example.org").graph_error(404);
}

#[test]
fn http_ingest_route() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let writer = token(&db, RW);
    let reader = token(&db, READ);
    let s = Server::start(&["--database", db.to_str().unwrap()], writer.clone());
    let body = std::fs::read_to_string(fixture("all-kinds.ndjson")).unwrap();
    let r = s.request(
        "POST",
        "/openti/v1/observations",
        Some(&writer),
        Some(&body),
    );
    let v = r.ok();
    assert_eq!(v["accepted"], 66);
    assert_eq!(v["rejected"], 0);
    let again = s
        .request(
            "POST",
            "/openti/v1/observations",
            Some(&writer),
            Some(&body),
        )
        .ok();
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["skipped"], 66);
    assert_eq!(s.graph("hosts/example.com").ok()["id"], "example.com");

    let bad = std::fs::read_to_string(fixture("malformed.ndjson")).unwrap();
    let v = s
        .request("POST", "/openti/v1/observations", Some(&writer), Some(&bad))
        .ok();
    assert_eq!(v["rejected"], 9);
    assert_eq!(v["accepted"], 5);

    // a read-only token may not write
    let code = s
        .request(
            "POST",
            "/openti/v1/observations",
            Some(&reader),
            Some(&body),
        )
        .graph_error(403);
    assert_eq!(code, "Forbidden");
    let code = s
        .request("POST", "/openti/v1/observations", None, Some(&body))
        .graph_error(401);
    assert_eq!(code, "InvalidAuthenticationToken");
}

#[test]
fn auth_errors_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    ingest(&db, &[&fixture("all-kinds.ndjson")]);
    let reader = token(&db, READ);
    let s = Server::start(&["--database", db.to_str().unwrap()], reader.clone());

    let ok = s.graph("hosts/example.com");
    assert_eq!(ok.status, 200);
    assert!(ok.header("request-id").is_some_and(|v| v.len() >= 32));
    assert_eq!(ok.header("client-request-id"), Some("test-client-id"));

    let none = s.request(
        "GET",
        "/v1.0/security/threatIntelligence/hosts/example.com",
        None,
        None,
    );
    assert_eq!(none.graph_error(401), "InvalidAuthenticationToken");
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    let wrong = s.request(
        "GET",
        "/v1.0/security/threatIntelligence/hosts/example.com",
        Some("oti_not-a-token"),
        None,
    );
    assert_eq!(wrong.graph_error(401), "InvalidAuthenticationToken");

    // revoked and expired tokens are refused
    let list = openti(&["token", "list", "--database", db.to_str().unwrap()]);
    assert!(list.stdout.contains("ThreatIntelligence.Read.All"));
    assert!(
        !list.stdout.contains(&reader),
        "token list must never print secrets"
    );
    let id = list
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        openti(&["token", "revoke", "--database", db.to_str().unwrap(), &id]).code,
        0
    );
    // Verified tokens are cached for TOKEN_CACHE_TTL (5 s): the revocation takes effect
    // within it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    loop {
        let r = s.request(
            "GET",
            "/v1.0/security/threatIntelligence/hosts/example.com",
            Some(&reader),
            None,
        );
        if r.status == 401 {
            r.graph_error(401);
            break;
        }
        assert_eq!(
            r.status, 200,
            "before the cache expires the token still works"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "revocation not effective after the cache TTL"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let short = openti(&[
        "token",
        "create",
        "--database",
        db.to_str().unwrap(),
        "--name",
        "short",
        "--expires",
        "0m",
    ]);
    assert_eq!(short.code, 0);
    s.request(
        "GET",
        "/v1.0/security/threatIntelligence/hosts/example.com",
        Some(short.stdout.trim()),
        None,
    )
    .graph_error(401);

    let rw = token(&db, RW);
    // write verbs on Graph paths
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let r = s.request(
            method,
            "/v1.0/security/threatIntelligence/articles",
            Some(&rw),
            Some("{}"),
        );
        assert_eq!(r.graph_error(405), "MethodNotAllowed", "{method}");
    }
    // unknown ids and paths: 404 in the Graph envelope
    for p in [
        "hosts/unknown.example.com",
        "articles/ffffffff",
        "intelProfiles/nope",
        "passiveDnsRecords/bm9wZQ==",
        "passiveDnsRecords/%%%",
        "hostComponents/not-base64!",
        "vulnerabilities/CVE-1999-0001",
        "whoisRecords/eA==",
        "sslCertificates/eA==/relatedHosts",
        "hosts/unknown.example.com/passiveDns",
        "nosuchcollection",
        "hosts/example.com/nosuchnav",
    ] {
        let r = s.request(
            "GET",
            &format!("/v1.0/security/threatIntelligence/{p}"),
            Some(&rw),
            None,
        );
        assert!(r.status == 404 || r.status == 400, "{p}: {}", r.status);
        r.graph_error(r.status);
    }
    s.request("GET", "/v1.0/nothing", Some(&rw), None)
        .graph_error(404);
    // bad options: 400 naming the option
    for q in [
        "articles?$top=-1",
        "articles?$count=maybe",
        "articles?$bogus=1",
        "hosts/example.com/passiveDns?$skip=x",
    ] {
        let r = s.request(
            "GET",
            &format!("/v1.0/security/threatIntelligence/{q}"),
            Some(&rw),
            None,
        );
        assert_eq!(r.graph_error(400), "BadRequest", "{q}");
    }
    // health needs no token
    assert_eq!(s.request("GET", "/healthz", None, None).status, 200);
    assert_eq!(s.request("GET", "/readyz", None, None).status, 200);
}

#[test]
fn demo_serves_real_data_on_every_collection() {
    let s = Server::demo(&[]);
    assert!(
        s.stdout_lines
            .iter()
            .filter(|l| l.trim_start().starts_with("curl "))
            .count()
            >= 3,
        "{:?}",
        s.stdout_lines
    );
    for set_name in ROOT_COLLECTIONS {
        let n: u64 = s.graph(&format!("{set_name}/$count")).text.parse().unwrap();
        assert!(n > 0, "demo {set_name} is empty");
    }
    let n: u64 = s.graph("intelProfiles/$count").text.parse().unwrap();
    assert!(n >= 50, "real MISP profiles expected, got {n}");
    // every curl command the demo prints answers 200 with data
    for line in s
        .stdout_lines
        .iter()
        .filter(|l| l.trim_start().starts_with("curl "))
    {
        let url = line.split('\'').nth(3).expect("quoted URL");
        let v = s.get(url).ok();
        assert!(
            v.get("value")
                .is_none_or(|x| !x.as_array().unwrap().is_empty()),
            "{url}: {v}"
        );
    }
}
