//! WHOIS and RDAP end to end: referrals across three loopback WHOIS servers (IANA-style →
//! registry → registrar), history rows only on content change, RDAP through a loopback
//! bootstrap, raw-text and RDAP file imports, and IP enrichment from the real ip-location-db
//! files. Only 127.0.0.1 is contacted.

mod common;
mod loopback;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;

fn registrar_answer(org: &str) -> String {
    format!(
        "Domain Name: example-shop.test\nRegistrar WHOIS Server: 127.0.0.1:1\nUpdated Date: 2024-02-10T09:15:00Z\nCreation Date: 2010-03-15T12:00:00Z\nRegistrar Registration Expiration Date: 2026-03-15T12:00:00Z\nRegistrar: Example Registrar, Inc.\nRegistrar Abuse Contact Email: abuse@registrar.example\nDomain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited\nRegistrant Name: Alex Example\nRegistrant Organization: {org}\nRegistrant Country: US\nRegistrant Email: owner@example-shop.test\nTech Email: hostmaster@example-shop.test\nName Server: ns1.example-dns.test\nName Server: ns2.example-dns.test\n>>> Last update of WHOIS database: 2024-09-01T12:00:00Z <<<\n"
    )
}

#[test]
fn whois_follows_referrals_and_keeps_history() {
    // Registrar: the registrant organisation changes from the third query on.
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let (registrar, registrar_hits) = loopback::whois(move |_q| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        registrar_answer(if n < 2 {
            "Example Shop Holdings LLC"
        } else {
            "Example Shop Group plc"
        })
    });
    let (registry, registry_hits) = loopback::whois(move |q| {
        format!("   Domain Name: {}\n   Registrar WHOIS Server: 127.0.0.1:{registrar}\n   Creation Date: 2010-03-15T12:00:00Z\n   Registry Expiry Date: 2026-03-15T12:00:00Z\n   Registrar: Example Registrar, Inc.\n   Name Server: NS1.EXAMPLE-DNS.TEST\n", q.to_uppercase())
    });
    let (iana, iana_hits) = loopback::whois(move |_| {
        format!("% IANA WHOIS server\n\nrefer:        127.0.0.1:{registry}\n\ndomain:       TEST\nwhois:        127.0.0.1:{registry}\nstatus:       ACTIVE\n")
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let dbs = db.to_str().unwrap();
    let first = format!("127.0.0.1:{iana}");

    let refused = openti(&[
        "whois",
        "example-shop.test",
        "--whois-server",
        &first,
        "--database",
        dbs,
    ]);
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("loopback"), "{}", refused.stderr);
    assert_eq!(
        iana_hits.load(Ordering::SeqCst),
        0,
        "no packet before the policy check"
    );

    for _ in 0..3 {
        let out = openti(&[
            "whois",
            "example-shop.test",
            "--whois-server",
            &first,
            "--allow-net",
            "127.0.0.0/8",
            "--database",
            dbs,
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    assert_eq!(iana_hits.load(Ordering::SeqCst), 3);
    assert_eq!(registry_hits.load(Ordering::SeqCst), 3);
    assert_eq!(registrar_hits.load(Ordering::SeqCst), 3);

    let server = Server::start(
        &["--database", dbs],
        token(&db, "ThreatIntelligence.Read.All"),
    );
    let w = server.graph("hosts/example-shop.test/whois").ok();
    assert_eq!(
        w["registrant"]["organization"], "Example Shop Group plc",
        "{w}"
    );
    assert_eq!(w["registrar"]["name"], "Example Registrar, Inc.");
    assert_eq!(w["abuse"]["email"], "abuse@registrar.example");
    assert_eq!(w["technical"]["email"], "hostmaster@example-shop.test");
    assert!(
        w["registrationDateTime"]
            .as_str()
            .unwrap()
            .starts_with("2010-03-15"),
        "{w}"
    );
    assert!(
        w["expirationDateTime"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-15"),
        "{w}"
    );
    assert_eq!(w["whoisServer"], format!("127.0.0.1:{registrar}"), "{w}");
    assert!(w["rawWhoisText"]
        .as_str()
        .unwrap()
        .contains("Registrant Organization: Example Shop Group plc"));
    assert_eq!(w["nameservers"].as_array().unwrap().len(), 2, "{w}");
    let h = server.graph("hosts/example-shop.test/whois/history").ok();
    assert_eq!(
        h["value"].as_array().unwrap().len(),
        2,
        "one row per distinct content: {h}"
    );
    let host = server.graph("hosts/example-shop.test").ok();
    assert_eq!(host["registrar"], "Example Registrar, Inc.", "{host}");
}

#[test]
fn rdap_through_a_loopback_bootstrap() {
    let domain = std::fs::read_to_string(repo().join("fixtures/rdap/domain-example.json"))
        .unwrap()
        .replace("EXAMPLE-RDAP.COM", "EXAMPLE-RDAP.TEST");
    let port = Arc::new(AtomicUsize::new(0));
    let p = Arc::clone(&port);
    let srv = loopback::files(move |path| {
        let me = p.load(Ordering::SeqCst);
        match path {
            "/rdap/dns.json" => Some(format!("{{\"version\":\"1.0\",\"services\":[[[\"test\"],[\"http://127.0.0.1:{me}/rdap/\"]]]}}")),
            "/rdap/domain/example-rdap.test" => Some(domain.clone()),
            _ => None,
        }
    });
    port.store(usize::from(srv), Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let dbs = db.to_str().unwrap();
    let boot = format!("http://127.0.0.1:{srv}/rdap/");
    let out = openti(&[
        "whois",
        "--rdap",
        "--rdap-bootstrap",
        &boot,
        "example-rdap.test",
        "--database",
        dbs,
    ]);
    assert_ne!(out.code, 0, "loopback must be refused by default");
    let out = openti(&[
        "whois",
        "--rdap",
        "--rdap-bootstrap",
        &boot,
        "example-rdap.test",
        "--allow-net",
        "127.0.0.1/32",
        "--database",
        dbs,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let missing = openti(&[
        "whois",
        "--rdap",
        "--rdap-bootstrap",
        &boot,
        "nothing.invalid",
        "--allow-net",
        "127.0.0.1/32",
        "--database",
        dbs,
    ]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("no RDAP service"),
        "{}",
        missing.stderr
    );

    // Raw-text and RDAP file imports land next to it.
    let imp = openti(&[
        "import",
        "whois",
        "--json",
        "--time",
        "2024-09-01T00:00:00Z",
        "--database",
        dbs,
        repo()
            .join("fixtures/whois/nominet-uk.txt")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(imp.code, 0, "{}", imp.stderr);
    let imp = openti(&[
        "import",
        "rdap",
        "--json",
        "--database",
        dbs,
        repo()
            .join("fixtures/rdap/ip-example.json")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(imp.code, 0, "{}", imp.stderr);

    let server = Server::start(
        &["--database", dbs],
        token(&db, "ThreatIntelligence.Read.All"),
    );
    let w = server.graph("hosts/example-rdap.test/whois").ok();
    assert_eq!(
        w["registrant"]["organization"], "Example RDAP Holdings",
        "{w}"
    );
    assert_eq!(
        w["whoisServer"],
        format!("http://127.0.0.1:{srv}/rdap/domain/example-rdap.test")
    );
    let w = server.graph("hosts/example.co.uk/whois").ok();
    assert_eq!(w["registrar"]["name"], "Example Registrar Ltd", "{w}");
    assert!(w["expirationDateTime"]
        .as_str()
        .unwrap()
        .starts_with("2026-02-21"));
    let w = server.graph("hosts/192.0.2.0/whois").ok();
    assert_eq!(
        w["registrant"]["organization"], "Example Networks Inc.",
        "{w}"
    );
}

fn ip_data() -> Option<PathBuf> {
    let base = std::env::var_os("OPENTI_DATA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("data/cache"));
    let dir = base.join("ip-location-db");
    let ok = dir.join("asn/asn-ipv4.csv").exists();
    loopback::require("ip-location-db data (scripts/fetch-test-data.sh)", ok);
    ok.then_some(dir)
}

#[test]
fn enrich_fills_asn_netblock_country() {
    let Some(data) = ip_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    let dbs = db.to_str().unwrap();
    let nd = dir.path().join("ips.ndjson");
    std::fs::write(
        &nd,
        "{\"kind\":\"dns\",\"name\":\"a.example.test\",\"type\":\"A\",\"value\":\"1.1.1.1\",\"time\":\"2024-01-01T00:00:00Z\"}\n\
         {\"kind\":\"dns\",\"name\":\"b.example.test\",\"type\":\"A\",\"value\":\"8.8.8.8\",\"time\":\"2024-01-01T00:00:00Z\"}\n\
         {\"kind\":\"dns\",\"name\":\"c.example.test\",\"type\":\"AAAA\",\"value\":\"2001:4860:4860::8888\",\"time\":\"2024-01-01T00:00:00Z\"}\n\
         {\"kind\":\"dns\",\"name\":\"d.example.test\",\"type\":\"A\",\"value\":\"192.0.2.1\",\"time\":\"2024-01-01T00:00:00Z\"}\n",
    )
    .unwrap();
    let (code, _) = ingest(&db, &[&nd]);
    assert_eq!(code, 0);
    let out = openti(&[
        "enrich",
        "--database",
        dbs,
        "--asn-db",
        data.join("asn/asn-ipv4.csv").to_str().unwrap(),
        "--asn-db",
        data.join("asn/asn-ipv6.csv").to_str().unwrap(),
        "--geo-db",
        data.join("geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("enriched 3 of 4 IP host(s)"),
        "{}",
        out.stderr
    );
    eprintln!("{}", out.stderr);
    let server = Server::start(
        &["--database", dbs],
        token(&db, "ThreatIntelligence.Read.All"),
    );
    let h = server.graph("hosts/1.1.1.1").ok();
    assert_eq!(h["autonomousSystem"]["number"], 13335, "{h}");
    assert_eq!(
        h["autonomousSystem"]["organization"], "Cloudflare, Inc.",
        "{h}"
    );
    assert_eq!(h["netblock"], "1.1.1.0/24");
    assert_eq!(h["countryOrRegion"], "AU");
    assert_eq!(h["hostingProvider"], "Cloudflare, Inc.");
    let h = server.graph("hosts/2001:4860:4860::8888").ok();
    assert_eq!(h["autonomousSystem"]["number"], 15169, "{h}");
    assert_eq!(h["countryOrRegion"], "US");
    let h = server.graph("hosts/192.0.2.1").ok();
    assert!(h["autonomousSystem"].is_null(), "{h}");
}
