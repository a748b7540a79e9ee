//! End to end: OData query options against the real server and store holding
//! `fixtures/all-kinds.ndjson` — `$filter`, `$orderby`, `$select`, `$expand`, `$count`,
//! `$search` (full text and `"property:value"`), `$skiptoken` paging, and errors.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

const RW: &str = "ThreatIntelligence.ReadWrite.All";

/// Percent-encodes a query option value.
pub fn q(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn ids(v: &Value) -> Vec<String> {
    v["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (code, summary) = ingest(&db, &[&fixture("all-kinds.ndjson")]);
    assert_eq!(code, 0, "{summary}");
    let t = token(&db, RW);
    let s = Server::start(&["--database", db.to_str().unwrap()], t);
    (dir, s)
}

fn get(s: &Server, path: &str, opts: &[(&str, &str)]) -> Value {
    let qs: Vec<String> = opts.iter().map(|(k, v)| format!("{k}={}", q(v))).collect();
    s.graph(&format!("{path}?{}", qs.join("&"))).ok()
}

#[test]
fn filter_orderby_select_count() {
    let (_d, s) = server();
    let v = get(
        &s,
        "vulnerabilities",
        &[("$filter", "cvss3Summary/score ge 10")],
    );
    assert_eq!(ids(&v), vec!["CVE-2021-44228"]);
    let v = get(
        &s,
        "hosts/www.example.com/parentHostPairs",
        &[
            (
                "$filter",
                "parentHost/id in ('example.com','promo.example.org')",
            ),
            ("$orderby", "firstSeenDateTime desc"),
            ("$count", "true"),
        ],
    );
    assert_eq!(v["@odata.count"], 2);
    let parents: Vec<&str> = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["parentHost"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(parents, vec!["promo.example.org", "example.com"]);
    let v = get(
        &s,
        "articles",
        &[
            ("$filter", "tags/any(t: t eq 'phishing')"),
            ("$select", "title,tags"),
        ],
    );
    let a = &v["value"][0];
    assert!(a["title"].as_str().unwrap().starts_with("Harvest season"));
    assert!(a.get("body").is_none(), "projected: {a}");
    assert!(a["id"].is_string());
    let v = get(
        &s,
        "intelProfiles",
        &[(
            "$filter",
            "countriesOrRegionsOfOrigin/any(c: c/code eq 'AQ')",
        )],
    );
    assert_eq!(v["value"][0]["title"], "Velvet Heron");
    let v = get(
        &s,
        "sslCertificates",
        &[
            ("$filter", "issuer/commonName eq 'Example Test CA R1'"),
            ("$orderby", "expirationDateTime desc"),
        ],
    );
    assert_eq!(v["value"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["value"][0]["sha1"],
        "a4c123b1612dd272d1371c17149d439536b3216f"
    );
    let v = get(
        &s,
        "whoisRecords",
        &[("$filter", "registrant/email eq 'hostmaster@example.net'")],
    );
    assert_eq!(v["value"][0]["host"]["id"], "example.net");
    let v = get(
        &s,
        "hostPorts",
        &[
            ("$filter", "status eq 'open' and port in (22, 443)"),
            ("$orderby", "port"),
        ],
    );
    let ports: Vec<i64> = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, vec![22, 443, 443]);
    // Graph's passiveDns shape: recordType filter, ordering by lastSeen
    let v = get(
        &s,
        "hosts/example.com/passiveDns",
        &[
            ("$filter", "recordType eq 'NS'"),
            ("$orderby", "lastSeenDateTime desc"),
        ],
    );
    assert_eq!(v["value"].as_array().unwrap().len(), 2);
    // /$count honours $filter and $search
    let r = s.graph(&format!(
        "hosts/example.com/passiveDns/$count?$filter={}",
        q("recordType eq 'NS'")
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.text, "2");
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let r = s.graph(&format!("articles/$count?$search={}", q("\"phishing\"")));
    assert_eq!(r.text, "1");
    // enum members: bare and qualified, case-insensitive bare form
    let a = get(&s, "intelProfiles", &[("$filter", "kind eq 'Tool'")]);
    let b = get(
        &s,
        "intelProfiles",
        &[(
            "$filter",
            "kind eq microsoft.graph.security.intelligenceProfileKind'tool'",
        )],
    );
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a["value"][0]["title"], "PaperKite");
}

#[test]
fn expand_and_search() {
    let (_d, s) = server();
    let v = get(
        &s,
        "hosts/192.0.2.10/ports",
        &[
            ("$expand", "mostRecentSslCertificate($select=sha1)"),
            ("$filter", "port eq 443"),
        ],
    );
    let cert = &v["value"][0]["mostRecentSslCertificate"];
    assert_eq!(cert["sha1"], "a4c123b1612dd272d1371c17149d439536b3216f");
    assert!(cert.get("issuer").is_none(), "nested $select: {cert}");
    let v = get(
        &s,
        "hostPairs",
        &[
            ("$expand", "childHost"),
            ("$filter", "linkKind eq 'redirect'"),
            ("$select", "linkKind"),
        ],
    );
    let p = &v["value"][0];
    assert_eq!(p["childHost"]["id"], "www.example.com");
    assert!(
        p["childHost"]["firstSeenDateTime"].is_string(),
        "expanded: {p}"
    );
    let v = get(
        &s,
        "vulnerabilities/CVE-2021-44228",
        &[("$expand", "components,articles($select=title)")],
    );
    assert!(!v["components"].as_array().unwrap().is_empty(), "{v}");
    assert!(v["articles"][0]["title"].is_string());
    assert!(v["articles"][0].get("body").is_none());
    let w = get(
        &s,
        "whoisRecords",
        &[("$search", "\"registrant/email:hostmaster@example.net\"")],
    );
    let id = w["value"][0]["id"].as_str().unwrap().to_string();
    let v = get(
        &s,
        &format!("whoisRecords/{}", esc(&id)),
        &[("$expand", "history")],
    );
    assert!(v["history"].is_array());
    // full text (FTS5) over title, summary, body and tags; every word must match
    let v = get(&s, "articles", &[("$search", "\"phishing kit\"")]);
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    let v = get(&s, "articles", &[("$search", "\"PaperKite\"")]);
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    let v = get(
        &s,
        "intelProfiles",
        &[("$search", "\"heron\""), ("$filter", "kind eq 'actor'")],
    );
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    let v = get(&s, "articles", &[("$search", "\"nosuchwordanywhere\"")]);
    assert!(v["value"].as_array().unwrap().is_empty());
    // Graph's property form
    let v = get(
        &s,
        "sslCertificates",
        &[
            ("$search", "\"subject/commonName:mail.example.com\""),
            ("$count", "true"),
        ],
    );
    assert_eq!(v["@odata.count"], 1);
    let v = get(
        &s,
        "whoisRecords",
        &[("$search", "\"nameservers/host/id:ns1.example.org\"")],
    );
    assert_eq!(v["value"][0]["host"]["id"], "example.com");
}

#[test]
fn skiptoken_paging() {
    let (_d, s) = server();
    for (path, orderby) in [
        ("passiveDnsRecords", None),
        (
            "passiveDnsRecords",
            Some("recordType,firstSeenDateTime desc"),
        ),
        ("hosts", Some("id desc")),
        ("hostComponents", None),
    ] {
        let mut opts = vec![("$top", "2"), ("$count", "true")];
        if let Some(o) = orderby {
            opts.push(("$orderby", o));
        }
        let all_opts: Vec<(&str, &str)> =
            opts.iter().filter(|(k, _)| *k != "$top").copied().collect();
        let everything = ids(&get(&s, path, &all_opts));
        let mut page = get(&s, path, &opts);
        let mut seen = ids(&page);
        let mut hops = 0;
        while let Some(next) = page["@odata.nextLink"].as_str().map(str::to_string) {
            assert!(next.contains("$skiptoken="), "{next}");
            assert!(!next.contains("$skip="), "{next}");
            page = s.get(&next).ok();
            assert_eq!(
                page["@odata.count"],
                everything.len(),
                "count on every page"
            );
            seen.extend(ids(&page));
            hops += 1;
            assert!(hops < 100);
        }
        assert_eq!(seen, everything, "{path} {orderby:?}");
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len());
    }
    // $skip still works, also together with $orderby
    let all = ids(&get(&s, "hosts", &[("$orderby", "id")]));
    let v = get(
        &s,
        "hosts",
        &[("$orderby", "id"), ("$skip", "3"), ("$top", "2")],
    );
    assert_eq!(ids(&v), all[3..5].to_vec());
    // a token from one query is refused by another
    let first = get(&s, "hosts", &[("$orderby", "id"), ("$top", "1")]);
    let next = first["@odata.nextLink"].as_str().unwrap();
    let token = next.split("$skiptoken=").nth(1).unwrap();
    s.graph(&format!("hosts?$skiptoken={token}"))
        .graph_error(400);
    s.graph(&format!("articles?$orderby=id&$skiptoken={token}"))
        .graph_error(400);
}

#[test]
fn errors_name_the_token_and_position() {
    let (_d, s) = server();
    let msg = |path: &str, opt: &str, v: &str| {
        let r = s.graph(&format!("{path}?{opt}={}", q(v)));
        assert_eq!(r.graph_error(400), "BadRequest");
        r.json()["error"]["message"].as_str().unwrap().to_string()
    };
    let m = msg("articles", "$filter", "title eq 'a' and nosuch eq 1");
    assert!(m.contains("position 17") && m.contains("'nosuch'"), "{m}");
    let m = msg("vulnerabilities", "$filter", "cvss3Summary/score ge 'high'");
    assert!(m.contains("position 22") && m.contains("Edm.Double"), "{m}");
    let m = msg("hostPorts", "$filter", "status eq 'ajar'");
    assert!(
        m.contains("not a member") && m.contains("hostPortStatus"),
        "{m}"
    );
    let m = msg("articles", "$filter", "title eq 'unterminated");
    assert!(
        m.contains("unterminated string") && m.contains("position 9"),
        "{m}"
    );
    let m = msg("articles", "$orderby", "tags desc");
    assert!(
        m.contains("$orderby") && m.contains("collection-valued"),
        "{m}"
    );
    let m = msg("articles", "$select", "title,nosuch");
    assert!(m.contains("'nosuch'"), "{m}");
    let m = msg("hostPorts", "$expand", "host");
    assert!(m.contains("cannot be expanded"), "{m}");
    let m = msg("hosts", "$search", "x");
    assert!(m.contains("$search is not supported"), "{m}");
    let m = msg("hosts", "$skiptoken", "garbage");
    assert!(m.contains("$skiptoken"), "{m}");
    let m = msg("hosts/example.com", "$filter", "id eq 'x'");
    assert!(m.contains("single entity"), "{m}");
    let m = msg("hosts/example.com/passiveDns", "$filter", "id gt 'x'");
    assert!(m.contains("eq, ne or in"), "{m}");
}
