//! End to end: the real binary ingests `fixtures/all-kinds.ndjson` into a real SQLite file,
//! serves it on loopback, and every Graph endpoint is checked over HTTP.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

const RW: &str = "ThreatIntelligence.ReadWrite.All";
const NS: &str = "#microsoft.graph.security.";

fn ids(v: &Value) -> BTreeSet<String> {
    v["value"]
        .as_array()
        .expect("value array")
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn find<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {v}"))
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Starts a server over a database holding the fixture.
fn fixture_server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (code, summary) = ingest(&db, &[&fixture("all-kinds.ndjson")]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["read"], 66);
    assert_eq!(summary["accepted"], 66);
    assert_eq!(summary["rejected"], 0);
    let t = token(&db, RW);
    let s = Server::start(&["--database", db.to_str().unwrap()], t);
    (dir, s)
}

#[test]
fn hosts_and_passive_dns() {
    let (_d, s) = fixture_server();

    let h = s.graph("hosts/example.com").ok();
    assert_eq!(h["@odata.type"], format!("{NS}hostname"));
    assert_eq!(h["id"], "example.com");
    assert_eq!(h["firstSeenDateTime"], "2023-01-05T00:00:00Z");
    assert_eq!(h["lastSeenDateTime"], "2024-03-15T12:00:00Z");
    assert_eq!(h["registrar"], "Example Registrar, Inc.");
    assert_eq!(h["registrant"], "Example Group Ltd");
    assert!(h["@odata.context"].as_str().unwrap().contains("$metadata#"));
    // case, trailing dot and OData key syntax all reach the same host
    assert_eq!(s.graph("hosts/EXAMPLE.com.").ok()["id"], "example.com");
    assert_eq!(s.graph("hosts('example.com')").ok()["id"], "example.com");

    let ip = s.graph("hosts/192.0.2.10").ok();
    assert_eq!(ip["@odata.type"], format!("{NS}ipAddress"));
    assert_eq!(ip["countryOrRegion"], "US");
    assert_eq!(ip["netblock"], "192.0.2.0/24");
    assert_eq!(ip["hostingProvider"], "Example Hosting");
    assert_eq!(ip["autonomousSystem"]["number"], 64500);
    assert!(ip.get("registrar").is_none());

    // forward passive DNS: merged window of the two A observations
    let p = s.graph("hosts/example.com/passiveDns?$count=true").ok();
    assert_eq!(p["@odata.count"], 5, "{p}");
    let a_id = b64(&["example.com", "A", "192.0.2.10"]);
    let a = find(&p, &a_id);
    assert_eq!(a["@odata.type"], format!("{NS}passiveDnsRecord"));
    assert_eq!(a["recordType"], "A");
    assert_eq!(a["firstSeenDateTime"], "2023-01-05T00:00:00Z");
    assert_eq!(a["lastSeenDateTime"], "2024-03-15T12:00:00Z");
    assert_eq!(a["parentHost"]["id"], "example.com");
    assert_eq!(a["artifact"]["@odata.type"], format!("{NS}ipAddress"));
    assert_eq!(a["artifact"]["id"], "192.0.2.10");
    assert!(a["collectedDateTime"].is_string());
    let mx = find(&p, &b64(&["example.com", "MX", "mail.example.com"]));
    assert_eq!(mx["artifact"]["@odata.type"], format!("{NS}hostname"));
    let txt = p["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["recordType"] == "TXT")
        .unwrap();
    assert_eq!(
        txt["artifact"]["@odata.type"],
        format!("{NS}unclassifiedArtifact")
    );
    assert_eq!(txt["artifact"]["value"], "v=spf1 mx -all");
    assert_eq!(s.graph("hosts/example.com/passiveDns/$count").text, "5");

    // get by id: raw '=' and %3D both work, through both paths
    let raw = s.graph(&format!("passiveDnsRecords/{a_id}")).ok();
    let escaped = s.graph(&format!("passiveDnsRecords/{}", esc(&a_id))).ok();
    assert_eq!(raw["id"], a_id);
    assert_eq!(raw["lastSeenDateTime"], escaped["lastSeenDateTime"]);
    assert_eq!(
        s.graph(&format!("hosts/example.com/passiveDns/{}", esc(&a_id)))
            .ok()["id"],
        a_id
    );
    s.graph(&format!("hosts/www.example.com/passiveDns/{}", esc(&a_id)))
        .graph_error(404);
    assert_eq!(
        s.graph(&format!("passiveDnsRecords/{}/parentHost", esc(&a_id)))
            .ok()["id"],
        "example.com"
    );
    let art = s
        .graph(&format!("passiveDnsRecords/{}/artifact", esc(&a_id)))
        .ok();
    assert_eq!(art["@odata.type"], format!("{NS}ipAddress"));
    assert_eq!(art["countryOrRegion"], "US");

    // reverse passive DNS: which names resolved to the shared IP (PTR name normalised)
    let r = s.graph("hosts/198.51.100.7/passiveDnsReverse").ok();
    let names: BTreeSet<String> = r["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["artifact"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, set(&["api.example.org", "shop.example.net"]));
    for rec in r["value"].as_array().unwrap() {
        assert_eq!(rec["parentHost"]["id"], "198.51.100.7");
        assert_eq!(rec["artifact"]["@odata.type"], format!("{NS}hostname"));
        let one = s
            .graph(&format!(
                "hosts/198.51.100.7/passiveDnsReverse/{}",
                esc(rec["id"].as_str().unwrap())
            ))
            .ok();
        assert_eq!(one["id"], rec["id"]);
    }
    let ptr = s.graph("hosts/198.51.100.7/passiveDns").ok();
    assert!(ptr["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["recordType"] == "PTR" && x["artifact"]["id"] == "shop.example.net"));
    let cname = s.graph("hosts/www.example.com/passiveDnsReverse").ok();
    assert!(cname["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["recordType"] == "CNAME" && x["artifact"]["id"] == "api.example.com"));

    // subdomains derived from the Public Suffix List
    let sd = s.graph("hosts/example.com/subdomains").ok();
    let subs: BTreeSet<String> = sd["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["host"]["id"].as_str().unwrap().to_string())
        .collect();
    for want in ["www.example.com", "mail.example.com", "api.example.com"] {
        assert!(subs.contains(want), "{want} missing from {subs:?}");
    }
    let sid = b64(&["www.example.com", "example.com"]);
    let one = s.graph(&format!("subdomains/{}", esc(&sid))).ok();
    assert_eq!(one["@odata.type"], format!("{NS}subdomain"));
    assert_eq!(one["host"]["id"], "www.example.com");
    assert_eq!(
        s.graph(&format!("hosts/example.com/subdomains/{}", esc(&sid)))
            .ok()["id"],
        sid
    );
    assert_eq!(
        s.graph(&format!("subdomains/{}/host", esc(&sid))).ok()["id"],
        "www.example.com"
    );
    assert_eq!(
        s.graph("hosts/example.test/subdomains").ok()["value"][0]["host"]["id"],
        "login.example.test"
    );
}

#[test]
fn web_components_trackers_cookies_pairs() {
    let (_d, s) = fixture_server();

    let c = s.graph("hosts/www.example.com/components?$count=true").ok();
    assert_eq!(c["@odata.count"], 3);
    let nginx_id = b64(&["nginx", "1.24.0", "Server", "www.example.com"]);
    let nginx = find(&c, &nginx_id);
    assert_eq!(nginx["@odata.type"], format!("{NS}hostComponent"));
    assert_eq!(nginx["firstSeenDateTime"], "2023-02-01T00:00:00Z");
    assert_eq!(nginx["lastSeenDateTime"], "2024-02-01T00:00:00Z");
    assert_eq!(nginx["category"], "Server");
    assert_eq!(nginx["host"]["id"], "www.example.com");
    assert_eq!(
        s.graph(&format!("hostComponents/{}", esc(&nginx_id))).ok()["name"],
        "nginx"
    );
    assert_eq!(
        s.graph(&format!("hostComponents/{}/host", esc(&nginx_id)))
            .ok()["id"],
        "www.example.com"
    );
    assert_eq!(
        s.graph(&format!(
            "hosts/www.example.com/components/{}",
            esc(&nginx_id)
        ))
        .ok()["version"],
        "1.24.0"
    );
    let express = s.graph("hosts/api.example.com/components").ok();
    assert_eq!(express["value"][0]["version"], "");

    let t = s.graph("hosts/www.example.com/trackers").ok();
    let ga_id = b64(&["UA-1234567-1", "GoogleAnalyticsID", "www.example.com"]);
    assert_eq!(find(&t, &ga_id)["kind"], "GoogleAnalyticsID");
    assert_eq!(t["value"].as_array().unwrap().len(), 2);
    assert_eq!(
        s.graph(&format!("hostTrackers/{}", esc(&ga_id))).ok()["value"],
        "UA-1234567-1"
    );
    assert_eq!(
        s.graph(&format!("hostTrackers/{}/host", esc(&ga_id))).ok()["id"],
        "www.example.com"
    );
    assert_eq!(
        s.graph(&format!("hosts/www.example.com/trackers/{}", esc(&ga_id)))
            .ok()["id"],
        ga_id
    );

    let k = s.graph("hosts/www.example.com/cookies").ok();
    let sess = find(&k, &b64(&["example.com", "sessionid", "www.example.com"]));
    assert_eq!(sess["domain"], "example.com");
    assert_eq!(sess["firstSeenDateTime"], "2023-03-01T00:00:00Z");
    let ga = find(&k, &b64(&["www.example.com", "_ga", "www.example.com"]));
    assert_eq!(ga["@odata.type"], format!("{NS}hostCookie"));
    let cid = ga["id"].as_str().unwrap();
    assert_eq!(
        s.graph(&format!("hostCookies/{}", esc(cid))).ok()["name"],
        "_ga"
    );
    assert_eq!(
        s.graph(&format!("hostCookies/{}/host", esc(cid))).ok()["id"],
        "www.example.com"
    );
    assert_eq!(
        s.graph(&format!("hosts/www.example.com/cookies/{}", esc(cid)))
            .ok()["id"],
        cid
    );

    // host pairs by role
    let child = s.graph("hosts/example.com/childHostPairs").ok();
    assert_eq!(
        ids(&child),
        set(&[&b64(&["redirect", "example.com", "www.example.com"])])
    );
    let pair = &child["value"][0];
    assert_eq!(pair["@odata.type"], format!("{NS}hostPair"));
    assert_eq!(pair["linkKind"], "redirect");
    assert_eq!(pair["parentHost"]["id"], "example.com");
    assert_eq!(pair["childHost"]["id"], "www.example.com");
    let parents = s.graph("hosts/www.example.com/parentHostPairs").ok();
    let kinds: BTreeSet<String> = parents["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["linkKind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, set(&["finalRedirect", "redirect"]));
    assert_eq!(s.graph("hosts/www.example.com/hostPairs/$count").text, "3");
    assert_eq!(
        s.graph("hosts/cdn.example.net/parentHostPairs/$count").text,
        "2"
    );
    let pid = pair["id"].as_str().unwrap();
    assert_eq!(
        s.graph(&format!("hostPairs/{}", esc(pid))).ok()["linkKind"],
        "redirect"
    );
    assert_eq!(
        s.graph(&format!("hostPairs/{}/parentHost", esc(pid))).ok()["id"],
        "example.com"
    );
    assert_eq!(
        s.graph(&format!("hostPairs/{}/childHost", esc(pid))).ok()["id"],
        "www.example.com"
    );
    assert_eq!(
        s.graph(&format!("hosts/example.com/childHostPairs/{}", esc(pid)))
            .ok()["id"],
        pid
    );
    assert_eq!(
        s.graph(&format!("hosts/www.example.com/hostPairs/{}", esc(pid)))
            .ok()["id"],
        pid
    );
    s.graph(&format!("hosts/example.com/parentHostPairs/{}", esc(pid)))
        .graph_error(404);
}

#[test]
fn ports_and_certificates() {
    let (_d, s) = fixture_server();

    let p = s.graph("hosts/192.0.2.10/ports?$count=true").ok();
    assert_eq!(p["@odata.count"], 4);
    let ssh_id = b64(&["192.0.2.10", "22"]);
    let ssh = find(&p, &ssh_id);
    assert_eq!(ssh["@odata.type"], format!("{NS}hostPort"));
    assert_eq!(ssh["port"], 22);
    assert_eq!(ssh["protocol"], "tcp");
    assert_eq!(ssh["status"], "open");
    assert_eq!(ssh["timesObserved"], 12);
    assert_eq!(ssh["firstSeenDateTime"], "2023-02-01T00:00:00Z");
    assert_eq!(ssh["lastSeenDateTime"], "2024-02-01T00:00:00Z");
    assert_eq!(ssh["lastScanDateTime"], "2024-02-01T00:00:00Z");
    assert_eq!(ssh["banners"].as_array().unwrap().len(), 1);
    assert_eq!(ssh["banners"][0]["timesObserved"], 12);
    assert_eq!(ssh["banners"][0]["scanProtocol"], "ssh");
    assert_eq!(ssh["services"][0]["component"]["name"], "OpenSSH");
    assert!(ssh["services"][0]["isRecent"].is_boolean());
    assert_eq!(ssh["host"]["id"], "192.0.2.10");
    let udp = p["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["port"] == 123)
        .unwrap();
    assert_eq!(udp["protocol"], "udp");
    assert_eq!(udp["status"], "filtered");
    let cert_id = b64(&["a4c123b1612dd272d1371c17149d439536b3216f"]);
    let https_id = b64(&["192.0.2.10", "443"]);
    let https = find(&p, &https_id);
    assert_eq!(https["banners"].as_array().unwrap().len(), 2);
    assert_eq!(https["mostRecentSslCertificate"]["id"], cert_id);
    let expanded = s
        .graph(&format!(
            "hostPorts/{}?$expand=mostRecentSslCertificate",
            esc(&https_id)
        ))
        .ok();
    assert_eq!(
        expanded["mostRecentSslCertificate"]["sha1"],
        "a4c123b1612dd272d1371c17149d439536b3216f"
    );
    assert_eq!(
        s.graph(&format!(
            "hostPorts/{}/mostRecentSslCertificate",
            esc(&https_id)
        ))
        .ok()["id"],
        cert_id
    );
    assert_eq!(
        s.graph(&format!("hostPorts/{}/host", esc(&https_id))).ok()["id"],
        "192.0.2.10"
    );
    assert_eq!(
        s.graph(&format!("hosts/192.0.2.10/ports/{}", esc(&ssh_id)))
            .ok()["port"],
        22
    );

    // certificates seen on a host, aggregated per certificate with their ports
    let hc = s.graph("hosts/www.example.com/sslCertificates").ok();
    assert_eq!(hc["value"].as_array().unwrap().len(), 2);
    let hc_id = b64(&[
        "www.example.com",
        "a4c123b1612dd272d1371c17149d439536b3216f",
    ]);
    let one = find(&hc, &hc_id);
    assert_eq!(one["@odata.type"], format!("{NS}hostSslCertificate"));
    assert_eq!(one["ports"][0]["port"], 443);
    assert_eq!(
        one["sslCertificate"]["sha1"],
        "a4c123b1612dd272d1371c17149d439536b3216f"
    );
    assert_eq!(
        one["sslCertificate"]["subject"]["commonName"],
        "www.example.com"
    );
    assert_eq!(
        one["sslCertificate"]["subject"]["alternateNames"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        one["sslCertificate"]["issuer"]["organizationName"],
        "Example Trust Services"
    );
    assert_eq!(one["host"]["id"], "www.example.com");
    let staging = find(
        &hc,
        &b64(&[
            "www.example.com",
            "daeeb975729fae923d5a4fd12aabfe228f219e9c",
        ]),
    );
    assert_eq!(staging["ports"][0]["port"], 8443);
    assert_eq!(
        s.graph(&format!("hostSslCertificates/{}", esc(&hc_id)))
            .ok()["id"],
        hc_id
    );
    assert_eq!(
        s.graph(&format!("hostSslCertificates/{}/host", esc(&hc_id)))
            .ok()["id"],
        "www.example.com"
    );
    assert_eq!(
        s.graph(&format!(
            "hostSslCertificates/{}/sslCertificate",
            esc(&hc_id)
        ))
        .ok()["id"],
        cert_id
    );
    assert_eq!(
        s.graph(&format!(
            "hosts/www.example.com/sslCertificates/{}",
            esc(&hc_id)
        ))
        .ok()["id"],
        hc_id
    );

    let cert = s.graph(&format!("sslCertificates/{}", esc(&cert_id))).ok();
    assert_eq!(cert["@odata.type"], format!("{NS}sslCertificate"));
    assert_eq!(cert["serialNumber"], "90210123456789");
    assert_eq!(cert["expirationDateTime"], "2024-12-01T23:59:59Z");
    let related = s
        .graph(&format!("sslCertificates/{}/relatedHosts", esc(&cert_id)))
        .ok();
    assert_eq!(
        ids(&related),
        set(&["192.0.2.10", "example.com", "www.example.com"])
    );
    assert_eq!(
        s.graph(&format!(
            "sslCertificates/{}/relatedHosts/$count",
            esc(&cert_id)
        ))
        .text,
        "3"
    );
    assert_eq!(
        s.graph(&format!(
            "sslCertificates/{}/relatedHosts/example.com",
            esc(&cert_id)
        ))
        .ok()["id"],
        "example.com"
    );
    s.graph(&format!(
        "sslCertificates/{}/relatedHosts/mail.example.com",
        esc(&cert_id)
    ))
    .graph_error(404);

    // Graph's "$search=property:value" form
    let by_cn = s
        .graph("sslCertificates?$search=%22subject/commonName:www.example.com%22&$count=true")
        .ok();
    assert_eq!(by_cn["@odata.count"], 2, "{by_cn}");
    let by_fp = s.graph("sslCertificates?$search=%22fingerprint:A4:C1:23:B1:61:2D:D2:72:D1:37:1C:17:14:9D:43:95:36:B3:21:6F%22").ok();
    assert_eq!(ids(&by_fp), set(&[&cert_id]));
    let by_issuer = s
        .graph("sslCertificates?$search=%22issuer/commonName:Example%20Test%20CA%20R1%22")
        .ok();
    assert_eq!(by_issuer["value"].as_array().unwrap().len(), 2);
    assert_eq!(s.graph("sslCertificates/$count").text, "3");
    s.graph("sslCertificates?$search=%22bogus/path:x%22")
        .graph_error(400);
}

#[test]
fn whois_and_history() {
    let (_d, s) = fixture_server();
    let w = s.graph("hosts/example.com/whois").ok();
    assert_eq!(w["@odata.type"], format!("{NS}whoisRecord"));
    assert_eq!(w["id"], b64(&["example.com", "whois"]));
    assert_eq!(w["registrant"]["organization"], "Example Group Ltd");
    assert_eq!(w["registrant"]["address"]["city"], "Shelbyville");
    assert_eq!(w["registrationDateTime"], "1995-08-14T04:00:00Z");
    assert_eq!(w["expirationDateTime"], "2025-08-13T04:00:00Z");
    assert_eq!(w["host"]["id"], "example.com");
    let ns: BTreeSet<String> = w["nameservers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["host"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ns, set(&["ns1.example.org", "ns2.example.org"]));
    assert!(w["domainStatus"]
        .as_str()
        .unwrap()
        .contains("clientUpdateProhibited"));
    assert!(w["billing"].is_null());
    let wid = w["id"].as_str().unwrap().to_string();
    assert_eq!(
        s.graph(&format!("whoisRecords/{}", esc(&wid))).ok()["id"],
        wid
    );
    assert_eq!(
        s.graph(&format!("whoisRecords/{}/host", esc(&wid))).ok()["id"],
        "example.com"
    );

    let h = s.graph("hosts/example.com/whois/history?$count=true").ok();
    assert_eq!(h["@odata.count"], 2);
    for item in h["value"].as_array().unwrap() {
        assert_eq!(item["@odata.type"], format!("{NS}whoisHistoryRecord"));
        let hid = item["id"].as_str().unwrap();
        assert_eq!(
            s.graph(&format!("whoisHistoryRecords/{}", esc(hid))).ok()["id"],
            hid
        );
        assert_eq!(
            s.graph(&format!("whoisHistoryRecord/{}", esc(hid))).ok()["id"],
            hid
        );
        assert_eq!(
            s.graph(&format!("whoisRecords/{}/history/{}", esc(&wid), esc(hid)))
                .ok()["id"],
            hid
        );
        assert_eq!(
            s.graph(&format!("whoisHistoryRecords/{}/host", esc(hid)))
                .ok()["id"],
            "example.com"
        );
    }
    let orgs: BTreeSet<String> = h["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["registrant"]["organization"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(orgs, set(&["Example Group Ltd", "Example Holdings LLC"]));
    assert_eq!(
        s.graph(&format!("whoisRecords/{}/history/$count", esc(&wid)))
            .text,
        "2"
    );
    assert_eq!(s.graph("hosts/example.com/whois/history/$count").text, "2");

    let by_mail = s
        .graph("whoisRecords?$search=%22registrant/email:dns-admin@example.com%22")
        .ok();
    assert_eq!(ids(&by_mail), set(&[&wid]));
    let by_ns = s
        .graph("whoisRecords?$search=%22nameservers/host/id:ns1.example.org%22")
        .ok();
    assert_eq!(ids(&by_ns), set(&[&wid]));
    let none = s
        .graph("whoisRecords?$search=%22registrant/email:hostmaster@example.com%22")
        .ok();
    assert!(
        none["value"].as_array().unwrap().is_empty(),
        "old content must not match the current record"
    );
    assert_eq!(s.graph("whoisRecords/$count").text, "3");
}

#[test]
fn intelligence_and_vulnerabilities() {
    let (_d, s) = fixture_server();
    let arts = s.graph("articles?$count=true").ok();
    assert_eq!(arts["@odata.count"], 2);
    let a = s.graph("articles/1a2b3c4d5e6f7081").ok();
    assert_eq!(a["@odata.type"], format!("{NS}article"));
    assert!(a["title"]
        .as_str()
        .unwrap()
        .starts_with("Unpatched logging library"));
    assert!(a["summary"]["content"].is_string());
    assert_eq!(a["summary"]["format"], "markdown");
    assert!(a["tags"].is_array());
    assert!(a["isFeatured"].is_boolean());
    let ind = s.graph("articles/1a2b3c4d5e6f7081/indicators").ok();
    assert!(!ind["value"].as_array().unwrap().is_empty());
    let cdn = ind["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["artifact"]["id"] == "cdn.example.net")
        .expect("standalone indicator line");
    assert_eq!(cdn["@odata.type"], format!("{NS}articleIndicator"));
    assert_eq!(cdn["artifact"]["@odata.type"], format!("{NS}hostname"));
    let email = ind["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["artifact"]["@odata.type"] == format!("{NS}unclassifiedArtifact"))
        .unwrap();
    assert_eq!(email["artifact"]["kind"], "email");
    let iid = cdn["id"].as_str().unwrap();
    assert_eq!(
        s.graph(&format!("articleIndicators/{}", esc(iid))).ok()["id"],
        iid
    );
    assert_eq!(
        s.graph(&format!(
            "articles/1a2b3c4d5e6f7081/indicators/{}",
            esc(iid)
        ))
        .ok()["id"],
        iid
    );
    assert_eq!(
        s.graph(&format!("articleIndicators/{}/artifact", esc(iid)))
            .ok()["@odata.type"],
        format!("{NS}hostname")
    );
    assert!(!s.graph("articleIndicators").ok()["value"]
        .as_array()
        .unwrap()
        .is_empty());
    let search = s.graph("articles?$search=phishing").ok();
    assert_eq!(ids(&search), set(&["2ef1fc72893b36da"]));

    let actor_id = "3a39d057bce5f2a2a2445d5494f41ade862c732134e885e0e2815b73cc973b9d";
    let profs = s.graph("intelProfiles").ok();
    assert_eq!(profs["value"].as_array().unwrap().len(), 2);
    let actor = s.graph(&format!("intelProfiles/{actor_id}")).ok();
    assert_eq!(actor["@odata.type"], format!("{NS}intelligenceProfile"));
    assert_eq!(actor["kind"], "actor");
    assert_eq!(actor["title"], "Velvet Heron");
    assert_eq!(actor["countriesOrRegionsOfOrigin"][0]["code"], "AQ");
    assert_eq!(actor["firstActiveDateTime"], "2019-05-01T00:00:00Z");
    assert!(actor["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "Quiet Marsh"));
    let pind = s
        .graph(&format!("intelProfiles/{actor_id}/indicators?$count=true"))
        .ok();
    let ipi = pind["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["artifact"]["id"] == "203.0.113.5")
        .expect("ip indicator");
    assert_eq!(
        ipi["@odata.type"],
        format!("{NS}intelligenceProfileIndicator")
    );
    assert_eq!(ipi["source"], "microsoft");
    assert_eq!(ipi["firstSeenDateTime"], "2024-01-12T00:00:00Z");
    assert_eq!(ipi["artifact"]["@odata.type"], format!("{NS}ipAddress"));
    let pid = ipi["id"].as_str().unwrap();
    assert_eq!(
        s.graph(&format!("intelligenceProfileIndicators/{}", esc(pid)))
            .ok()["id"],
        pid
    );
    assert_eq!(
        s.graph(&format!("intelProfiles/{actor_id}/indicators/{}", esc(pid)))
            .ok()["id"],
        pid
    );
    assert_eq!(
        s.graph(&format!(
            "intelligenceProfileIndicators/{}/artifact",
            esc(pid)
        ))
        .ok()["id"],
        "203.0.113.5"
    );
    assert!(ids(&s.graph("intelProfiles?$search=heron").ok()).contains(actor_id));
    assert!(s.graph("intelProfiles?$search=zzzunknownzzz").ok()["value"]
        .as_array()
        .unwrap()
        .is_empty());

    // vulnerabilities: case-insensitive keys, components, articles
    let v = s.graph("vulnerabilities/cve-2021-44228").ok();
    assert_eq!(v["@odata.type"], format!("{NS}vulnerability"));
    assert_eq!(v["id"], "CVE-2021-44228");
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["cvss3Summary"]["score"], 10.0);
    assert_eq!(
        v["commonWeaknessEnumerationIds"].as_array().unwrap().len(),
        4
    );
    let comps = s.graph("vulnerabilities/CVE-2021-44228/components").ok();
    let comp = &comps["value"][0];
    assert_eq!(comp["@odata.type"], format!("{NS}vulnerabilityComponent"));
    let cid = comp["id"].as_str().unwrap();
    assert_eq!(
        s.graph(&format!(
            "vulnerabilities/CVE-2021-44228/components/{}",
            esc(cid)
        ))
        .ok()["name"],
        comp["name"]
    );
    let va = s.graph("vulnerabilities/CVE-2021-44228/articles").ok();
    assert_eq!(ids(&va), set(&["1a2b3c4d5e6f7081"]));
    assert_eq!(
        s.graph("vulnerabilities/CVE-2021-44228/articles/1a2b3c4d5e6f7081")
            .ok()["id"],
        "1a2b3c4d5e6f7081"
    );
    s.graph("vulnerabilities/CVE-2021-44228/articles/2ef1fc72893b36da")
        .graph_error(404);
    let v2 = s.graph("vulnerabilities/CVE-2023-4966").ok();
    assert_eq!(
        v2["severity"], "critical",
        "severity derived from cvss3 9.4"
    );
    assert_eq!(s.graph("vulnerabilities/$count").text, "2");

    // reputation: listed through its registered domain and shared infrastructure
    let rep = s.graph("hosts/login.example.test/reputation").ok();
    assert_eq!(rep["@odata.type"], format!("{NS}hostReputation"));
    assert_eq!(rep["classification"], "malicious", "{rep}");
    assert!(rep["score"].as_i64().unwrap() >= 75);
    assert!(rep["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["severity"] == "high"
            && r["description"].as_str().unwrap().contains("Velvet Heron")));
    let clean = s.graph("hosts/mail.example.com/reputation").ok();
    assert!(clean["score"].as_i64().unwrap() < 50, "{clean}");
}

#[test]
fn root_collections_paging_and_select() {
    let (_d, s) = fixture_server();
    let root = s.graph("").ok();
    assert_eq!(root["@odata.type"], format!("{NS}threatIntelligence"));
    for set_name in ROOT_COLLECTIONS {
        let v = s.graph(&format!("{set_name}?$count=true")).ok();
        let n = v["@odata.count"].as_u64().unwrap();
        assert!(n > 0, "{set_name} is empty");
        assert_eq!(
            s.graph(&format!("{set_name}/$count")).text,
            n.to_string(),
            "{set_name}"
        );
        let c = s.graph(&format!("{set_name}/$count"));
        assert!(c.header("content-type").unwrap().starts_with("text/plain"));
        assert!(v["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with(&format!("$metadata#security/threatIntelligence/{set_name}")));
    }

    // walk hosts two at a time: every host exactly once
    let total: usize = s.graph("hosts/$count").text.parse().unwrap();
    let mut seen = Vec::new();
    let mut next = Some(format!(
        "{}/v1.0/security/threatIntelligence/hosts?$top=2",
        s.base
    ));
    let mut pages = 0;
    while let Some(url) = next {
        let page = s.get(&url).ok();
        assert!(page["value"].as_array().unwrap().len() <= 2);
        seen.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["id"].as_str().unwrap().to_string()),
        );
        next = page["@odata.nextLink"].as_str().map(str::to_string);
        pages += 1;
        assert!(pages <= total, "paging does not end");
    }
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), total);
    assert_eq!(unique.len(), total);
    let skipped = s.graph("hosts?$skip=3&$top=2").ok();
    assert_eq!(ids(&skipped), seen[3..5].iter().cloned().collect());

    // $select keeps id, @odata.type and the named properties
    let sel = s
        .graph("hosts/example.com/passiveDns?$select=recordType,lastSeenDateTime")
        .ok();
    for item in sel["value"].as_array().unwrap() {
        let keys: BTreeSet<String> = item.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            set(&["@odata.type", "id", "recordType", "lastSeenDateTime"])
        );
    }
}

#[test]
fn reingest_is_idempotent_and_new_inputs_merge() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    ingest(&db, &[&fixture("all-kinds.ndjson")]);
    let t = token(&db, RW);
    let snapshot = |s: &Server| -> Vec<Value> {
        [
            "hosts/192.0.2.10/ports",
            "hosts/example.com/passiveDns",
            "hosts/example.com",
            "hosts/example.com/whois/history",
            "hosts/www.example.com/components",
            "hostPairs",
            "sslCertificates",
        ]
        .iter()
        .map(|p| {
            let mut v = s.graph(p).ok();
            v.as_object_mut().unwrap().remove("@odata.context");
            for item in v
                .get_mut("value")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                item.as_object_mut().unwrap().remove("collectedDateTime");
            }
            v
        })
        .collect()
    };
    let before = {
        let s = Server::start(&["--database", db.to_str().unwrap()], t.clone());
        snapshot(&s)
    };
    let (_, again) = ingest(&db, &[&fixture("all-kinds.ndjson")]);
    assert_eq!(again["accepted"], 0, "{again}");
    assert_eq!(again["skipped"], 66);
    let s = Server::start(&["--database", db.to_str().unwrap()], t.clone());
    assert_eq!(
        snapshot(&s),
        before,
        "a second ingest of the same file changed the data"
    );
    drop(s);

    // the same fact in another input still counts and widens the window
    let extra = dir.path().join("extra.ndjson");
    std::fs::write(&extra, "{\"kind\":\"port\",\"host\":\"192.0.2.10\",\"port\":22,\"banner\":\"SSH-2.0-OpenSSH_9.2p1 Debian-2\",\"scan_protocol\":\"ssh\",\"time\":\"2024-06-01T00:00:00Z\"}\n").unwrap();
    let (_, s2) = ingest(&db, &[&extra]);
    assert_eq!(s2["accepted"], 1);
    let s = Server::start(&["--database", db.to_str().unwrap()], t);
    let port = s
        .graph(&format!("hostPorts/{}", esc(&b64(&["192.0.2.10", "22"]))))
        .ok();
    assert_eq!(port["timesObserved"], 13);
    assert_eq!(port["lastSeenDateTime"], "2024-06-01T00:00:00Z");
    assert_eq!(port["banners"][0]["timesObserved"], 13);
    assert_eq!(port["firstSeenDateTime"], "2023-02-01T00:00:00Z");
}
