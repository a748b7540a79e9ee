//! End to end: hostile query options. More than a hundred malformed or injection-style
//! `$filter`, `$orderby`, `$search` and `$skiptoken` values are sent to every collection; each
//! must answer 400 in the Graph error envelope — never 5xx, never rows.

mod common;

use common::*;

const RW: &str = "ThreatIntelligence.ReadWrite.All";

fn q(v: &str) -> String {
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

/// Collections (root and navigation) that the hostile values are sent to.
const COLLECTIONS: &[&str] = &[
    "articles",
    "articleIndicators",
    "articles/1a2b3c4d5e6f7081/indicators",
    "intelProfiles",
    "intelligenceProfileIndicators",
    "hosts",
    "hostComponents",
    "hostCookies",
    "hostTrackers",
    "hostPorts",
    "hostSslCertificates",
    "hostPairs",
    "passiveDnsRecords",
    "subdomains",
    "sslCertificates",
    "vulnerabilities",
    "whoisRecords",
    "whoisHistoryRecords",
    "hosts/example.com/passiveDns",
    "hosts/192.0.2.10/passiveDnsReverse",
    "hosts/www.example.com/childHostPairs",
    "hosts/192.0.2.10/ports",
    "vulnerabilities/CVE-2021-44228/components",
    "vulnerabilities/CVE-2021-44228/articles",
];

/// Malformed or injection-style `$filter` values: invalid on every collection.
const FILTERS: &[&str] = &[
    "",
    " ",
    "'",
    "''''",
    "' or 1=1 --",
    "id eq '1' OR '1'='1'",
    "id eq 1; DROP TABLE hosts",
    "id eq 'x'; DROP TABLE hosts; --",
    "1=1",
    "id = 'x'",
    "id == 'x'",
    "id eq",
    "eq 'x'",
    "id eq 'x' and",
    "id eq 'x' or",
    "not",
    "(id eq 'x'",
    "id eq 'x')",
    "((((((id eq 'x'",
    "id eq \"x\"",
    "id eq `x`",
    "id eq 'x' --",
    "id eq 'x' /* c */",
    "id eq 0x41",
    "id eq 1e",
    "id eq 1.2.3",
    "id eq --1",
    "id eq 99999999999999999999999",
    "id eq 2024-13-45T99:99:99Z",
    "nosuchproperty eq 'x'",
    "nosuch/any(t: t eq 'x')",
    "id/any(t: t eq 'x')",
    "id/nosuch eq 1",
    "microsoft.graph.security.nosuch/id eq 'x'",
    "id eq microsoft.graph.security.nosuchEnum'x'",
    "id in ()",
    "id in ('a'",
    "id in 'a'",
    "id in (id)",
    "id in ('a', null)",
    "contains(id)",
    "contains(id, 'a', 'b')",
    "contains(1, 'a')",
    "length(id) eq 1",
    "substringof('a', id)",
    "tolower(id)",
    "id eq null and null",
    "id gt null",
    "'x'",
    "42",
    "null",
    "id",
    "id eq 'x' xor id eq 'y'",
    "id eq 'x' AND id eq 'y'",
    "id EQ 'x'",
    "id eq 'x' && id eq 'y'",
    "id eq 'x' | id eq 'y'",
    "id eq $it",
    "$it eq 1",
    "id eq @p1",
    "id eq 'x'\u{0}",
    "id eq 'x' union select * from api_tokens",
    "id eq (select secret_sha256 from api_tokens)",
    "exists(select 1)",
    "id/any(",
    "id/any(t:",
    "id/any(t: t eq 'x'",
    "id/all()",
    "any(t: t eq 'x')",
    "id eq 'x' and not",
    "not not not",
    "id eq 'é",
    "☃ eq 1",
    "id eq '\u{7f}' and ☃",
];

const ORDERBYS: &[&str] = &[
    "",
    "nosuch",
    "nosuch desc",
    "id asc desc",
    "id descending",
    "id,",
    ",id",
    "id desc,,id",
    "1",
    "'id'",
    "(id)",
    "id; DROP TABLE hosts",
    "id desc; --",
    "id) desc",
    "random()",
    "id COLLATE NOCASE",
    "id desc nulls first",
    "id/nosuch",
    "nosuch/id desc",
    "id asc, nosuch desc",
];

/// `$search` values that no collection accepts (no words, empty, overlong).
const SEARCHES: &[&str] = &[
    "",
    "\"\"",
    "\" \"",
    "%",
    "*",
    "' = ''",
    "\" * ( ) ^ :",
    "\";--",
    "()",
    "--",
    "\"%_%\"",
];

const TOKENS: &[&str] = &[
    "",
    "x",
    "1",
    "2AAAA",
    "1!!!!",
    "1AAAAAAAAAAAAAAAAAAA",
    "1eyJvIjoiYSIsInYiOltdfQ",
    "' OR 1=1 --",
    "1' OR '1'='1",
    "../../etc/passwd",
    "%00",
    "1=1;DROP TABLE hosts",
];

#[test]
fn hostile_options_are_refused_on_every_collection() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (code, summary) = ingest(&db, &[&fixture("all-kinds.ndjson")]);
    assert_eq!(code, 0, "{summary}");
    let s = Server::start_env(
        &["--database", db.to_str().unwrap()],
        token(&db, RW),
        &[
            ("OPENTI_THROTTLE_RATE", "1000000"),
            ("OPENTI_THROTTLE_BURST", "1000000"),
        ],
    );

    let long_search = "a".repeat(5000);
    let long_filter = format!("id eq '{}'", "x".repeat(9000));
    let deep = format!("{}id eq 'x'{}", "(".repeat(200), ")".repeat(200));
    let many_ors = vec!["id eq 'x'"; 400].join(" or ");
    let dynamic_filters = [long_filter.as_str(), deep.as_str(), many_ors.as_str()];

    let mut cases: Vec<(&str, String)> = Vec::new();
    cases.extend(
        FILTERS
            .iter()
            .chain(dynamic_filters.iter())
            .map(|f| ("$filter", f.to_string())),
    );
    cases.extend(ORDERBYS.iter().map(|o| ("$orderby", o.to_string())));
    cases.extend(SEARCHES.iter().map(|v| ("$search", v.to_string())));
    cases.push(("$search", long_search));
    cases.extend(TOKENS.iter().map(|t| ("$skiptoken", t.to_string())));
    assert!(cases.len() >= 100, "{} hostile values", cases.len());

    let mut requests = 0;
    for coll in COLLECTIONS {
        // the collection itself answers
        assert_eq!(s.graph(coll).status, 200, "{coll}");
        for (opt, value) in &cases {
            let r = s.graph(&format!("{coll}?{opt}={}", q(value)));
            assert!(
                r.status < 500,
                "{coll} {opt}={value:?}: {} {}",
                r.status,
                r.text
            );
            assert_eq!(r.status, 400, "{coll} {opt}={value:?}: {}", r.text);
            assert_eq!(r.graph_error(400), "BadRequest");
            assert!(!r.text.contains("\"value\""), "rows returned: {}", r.text);
            requests += 1;
        }
    }
    assert!(requests >= 100 * COLLECTIONS.len());
    // the database is intact
    assert_eq!(s.graph("hosts/example.com").status, 200);
}
