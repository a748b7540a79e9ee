//! Golden tests: one crafted host per default rule triggers exactly that rule, with its
//! severity and score band.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use openti_model::evidence::{
    CertEvidence, HostEvidence, IntelListing, ListHit, PivotEvidence, Resolution,
};
use openti_model::{HostReputationClassification as Band, HostReputationRuleSeverity as Sev};

use super::*;

fn now() -> DateTime<Utc> {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn t(s: &str) -> Option<DateTime<Utc>> {
    Some(s.parse().unwrap())
}

/// An old, quiet host name with no signals.
fn plain(host: &str) -> HostEvidence {
    HostEvidence {
        host: host.into(),
        first_seen: t("2020-01-01T00:00:00Z"),
        last_seen: t("2025-12-01T00:00:00Z"),
        registered_domain: openti_model::normalize::registered_domain(host),
        is_ip: host.parse::<std::net::IpAddr>().is_ok(),
        ..Default::default()
    }
}

fn hit(list: &str, source: &str) -> ListHit {
    ListHit {
        list: list.into(),
        source: source.into(),
        entry: "example.com".into(),
    }
}

fn pivot(kind: &str, value: &str, hosts: u64, malicious: u64) -> PivotEvidence {
    PivotEvidence {
        kind: kind.into(),
        value: value.into(),
        hosts,
        malicious,
        examples: vec!["bad.example.net".into()],
    }
}

fn cert(issued: &str, expires: &str, served: &str, self_signed: bool) -> CertEvidence {
    CertEvidence {
        id: "Y2VydA==".into(),
        issued: t(issued),
        expires: t(expires),
        self_signed,
        last_served: t(served),
    }
}

/// (rule name, crafted evidence, severity, band)
fn golden() -> Vec<(&'static str, HostEvidence, Sev, Band)> {
    let mut v = Vec::new();
    let mut e = plain("www.example.com");
    e.listed_in = vec![IntelListing {
        source_kind: "intelProfile".into(),
        id: "p1".into(),
        title: "Velvet Heron".into(),
    }];
    v.push(("Threat intelligence listing", e, Sev::High, Band::Malicious));
    let mut e = plain("www.example.com");
    e.blocklisted = vec![hit("my-blocklist", "blocklist")];
    v.push(("Block-listed", e, Sev::High, Band::Malicious));
    let mut e = plain("www.example.com");
    e.registered = Some(now() - Duration::days(10));
    v.push(("Newly registered domain", e, Sev::Medium, Band::Unknown));
    let mut e = plain("www.example.com");
    e.first_seen = Some(now() - Duration::days(3));
    v.push(("Newly observed host", e, Sev::Low, Band::Unknown));
    v.push((
        "Algorithmically generated name",
        plain("xjw8kq2lzpv.com"),
        Sev::Medium,
        Band::Unknown,
    ));
    v.push((
        "High-entropy name",
        plain("thequickbrownfoxjumps.com"),
        Sev::Low,
        Band::Unknown,
    ));
    v.push((
        "Suspicious top-level domain",
        plain("www.example.zip"),
        Sev::Low,
        Band::Unknown,
    ));
    let mut e = plain("www.example.com");
    e.certificates = vec![cert(
        "2025-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
        "2025-12-01T00:00:00Z",
        true,
    )];
    v.push(("Self-signed certificate", e, Sev::Medium, Band::Unknown));
    let mut e = plain("www.example.com");
    e.certificates = vec![cert(
        "2024-06-01T00:00:00Z",
        "2025-06-01T00:00:00Z",
        "2025-07-01T00:00:00Z",
        false,
    )];
    v.push(("Expired certificate", e, Sev::Low, Band::Unknown));
    let mut e = plain("www.example.com");
    e.certificates = vec![cert(
        "2025-12-30T00:00:00Z",
        "2026-01-02T00:00:00Z",
        "2025-12-31T00:00:00Z",
        false,
    )];
    v.push(("Short-lived certificate", e, Sev::Low, Band::Unknown));
    let mut e = plain("www.example.com");
    e.resolutions = (1..=6)
        .map(|i| Resolution {
            ip: format!("198.51.100.{i}"),
            first_seen: t("2025-12-20T00:00:00Z"),
            last_seen: t("2025-12-20T06:00:00Z"),
        })
        .collect();
    e.asns = vec![64500, 64501];
    v.push(("Fast-flux resolution", e, Sev::Medium, Band::Neutral));
    let mut e = plain("192.0.2.7");
    e.open_ports = vec![22, 3389];
    v.push(("Risky open port", e, Sev::Low, Band::Unknown));
    let pivots: [(&str, &str, u64, u64, &str, Sev, Band); 7] = [
        (
            "ip",
            "192.0.2.1",
            3,
            1,
            "Shared resolving address",
            Sev::Medium,
            Band::Neutral,
        ),
        (
            "nameserver",
            "ns1.bad.example",
            5,
            3,
            "Shared name server",
            Sev::Medium,
            Band::Unknown,
        ),
        (
            "registrar",
            "shady registrar",
            10,
            5,
            "Registrar with many malicious domains",
            Sev::Low,
            Band::Unknown,
        ),
        (
            "asn",
            "64500",
            10,
            5,
            "Hosting network with many malicious hosts",
            Sev::Low,
            Band::Unknown,
        ),
        (
            "tracker",
            "GoogleAnalyticsID:UA-1-1",
            1,
            1,
            "Shared tracker",
            Sev::Medium,
            Band::Neutral,
        ),
        (
            "jarm",
            "2ad2ad0002ad2ad22c",
            3,
            2,
            "Shared JARM fingerprint",
            Sev::Medium,
            Band::Unknown,
        ),
        (
            "certificate",
            "a4c123b1612dd272d1371c17149d439536b3216f",
            1,
            1,
            "Shared certificate",
            Sev::Medium,
            Band::Neutral,
        ),
    ];
    for (kind, value, hosts, mal, name, sev, band) in pivots {
        let mut e = plain("www.example.com");
        e.pivots = vec![pivot(kind, value, hosts, mal)];
        v.push((name, e, sev, band));
    }
    let mut e = plain("www.example.com");
    e.allowlisted = vec![hit("tranco10k", "warninglist")];
    v.push((
        "Well-known benign infrastructure",
        e,
        Sev::Low,
        Band::Unknown,
    ));
    let mut e = plain("192.0.2.8");
    e.allowlisted = vec![hit("amazon-aws", "warninglist")];
    v.push(("Cloud provider address", e, Sev::Low, Band::Unknown));
    let mut e = plain("www.example.com");
    e.allowlisted = vec![hit("my-allowlist", "user")];
    v.push(("User allow-list", e, Sev::Low, Band::Unknown));
    v
}

#[test]
fn every_default_rule_has_a_golden_host_that_triggers_exactly_it() {
    let engine = Engine::builtin();
    let cases = golden();
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.0).collect();
    let all: BTreeSet<&str> = engine.rules().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(covered, all, "a golden case per default rule");
    for (name, ev, severity, band) in cases {
        let a = engine.evaluate(&ev, now());
        let r = &a.reputation;
        let names: Vec<&str> = r.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, [name], "{name}: {r:?}");
        assert_eq!(r.rules[0].severity, severity, "{name}");
        assert_eq!(r.classification, band, "{name}: score {}", r.score);
        assert!(
            !r.rules[0].description.contains('{'),
            "{name}: {}",
            r.rules[0].description
        );
        let url = r.rules[0].related_details_url.as_deref().unwrap();
        assert!(url.starts_with(API) && !url.contains('{'), "{name}: {url}");
    }
}

#[test]
fn hosts_without_facts_are_unknown_with_no_rules() {
    let engine = Engine::builtin();
    for host in ["quiet.example.com", "192.0.2.1", "2001:db8::1"] {
        let ev = HostEvidence {
            host: host.into(),
            is_ip: host.parse::<std::net::IpAddr>().is_ok(),
            ..Default::default()
        };
        let r = engine.evaluate(&ev, now()).reputation;
        assert_eq!((r.score, r.classification), (0, Band::Unknown), "{host}");
        assert!(r.rules.is_empty(), "{host}: {:?}", r.rules);
    }
}

#[test]
fn descriptions_and_links_explain_the_evidence() {
    let cases = golden();
    let engine = Engine::builtin();
    let listed = engine.evaluate(&cases[0].1, now()).reputation;
    assert_eq!(listed.score, 75);
    assert!(listed.rules[0]
        .description
        .contains("intelProfile \"Velvet Heron\""));
    assert_eq!(
        listed.rules[0].related_details_url.as_deref(),
        Some("/v1.0/security/threatIntelligence/intelProfiles/p1")
    );
    let cert = cases.iter().find(|c| c.0 == "Shared certificate").unwrap();
    let r = engine.evaluate(&cert.1, now()).reputation;
    assert_eq!(
        r.rules[0].related_details_url.as_deref(),
        Some("/v1.0/security/threatIntelligence/sslCertificates/YTRjMTIzYjE2MTJkZDI3MmQxMzcxYzE3MTQ5ZDQzOTUzNmIzMjE2Zg==/relatedHosts")
    );
    let reg = cases
        .iter()
        .find(|c| c.0 == "Newly registered domain")
        .unwrap();
    let r = engine.evaluate(&reg.1, now()).reputation;
    assert_eq!(
        r.rules[0].description,
        "example.com was registered on 2025-12-22 (10 days ago)"
    );
}

#[test]
fn weights_add_caps_limit_and_pivots_stay_out_of_the_base_verdict() {
    let engine = Engine::builtin();
    let mut e = plain("www.example.com");
    e.registered = Some(now() - Duration::days(5));
    e.first_seen = Some(now() - Duration::days(2));
    e.pivots = vec![
        pivot("ip", "192.0.2.1", 2, 2),
        pivot(
            "certificate",
            "a4c123b1612dd272d1371c17149d439536b3216f",
            1,
            1,
        ),
    ];
    let a = engine.evaluate(&e, now());
    assert_eq!(a.reputation.score, 20 + 10 + 25 + 30);
    assert_eq!(a.reputation.classification, Band::Malicious);
    assert_eq!((a.base_score, a.base_malicious), (30, false));

    e.listed_in = vec![IntelListing {
        source_kind: "article".into(),
        id: "a1".into(),
        title: "t".into(),
    }];
    let a = engine.evaluate(&e, now());
    assert_eq!(a.reputation.score, 100);
    assert!(a.base_malicious);
    assert!(a.reputation.rules[0]
        .related_details_url
        .as_deref()
        .unwrap()
        .ends_with("/articles/a1"));

    e.allowlisted = vec![hit("tranco10k", "warninglist")];
    let a = engine.evaluate(&e, now());
    assert_eq!(a.reputation.score, 24, "warninglists cap at 24");
    assert!(!a.base_malicious);
    e.allowlisted = vec![hit("amazon-aws", "warninglist")];
    assert_eq!(engine.evaluate(&e, now()).reputation.score, 49);
    e.allowlisted = vec![hit("mine", "user")];
    let a = engine.evaluate(&e, now());
    assert_eq!(a.reputation.score, 0);
    assert_eq!(a.reputation.rules.last().unwrap().name, "User allow-list");
}

#[test]
fn thresholds_are_respected() {
    let engine = Engine::builtin();
    let mut e = plain("www.example.com");
    // a big shared-hosting address: 1 malicious of 100 is below min_ratio 0.05
    e.pivots = vec![pivot("ip", "192.0.2.1", 100, 1)];
    assert!(engine.evaluate(&e, now()).reputation.rules.is_empty());
    // 2 name-server neighbours are below min_malicious 3
    e.pivots = vec![pivot("nameserver", "ns1.example.net", 2, 2)];
    assert!(engine.evaluate(&e, now()).reputation.rules.is_empty());
    // a domain registered 40 days ago, a host first seen in the future
    e.pivots.clear();
    e.registered = Some(now() - Duration::days(40));
    e.first_seen = Some(now() + Duration::days(1));
    assert!(engine.evaluate(&e, now()).reputation.rules.is_empty());
    // fast flux needs two ASNs
    e.resolutions = (1..=6)
        .map(|i| Resolution {
            ip: format!("198.51.100.{i}"),
            first_seen: t("2025-12-20T00:00:00Z"),
            last_seen: t("2025-12-20T06:00:00Z"),
        })
        .collect();
    e.asns = vec![64500];
    assert!(engine.evaluate(&e, now()).reputation.rules.is_empty());
    // name rules ignore IP addresses
    let ip = plain("203.0.113.250");
    assert!(engine.evaluate(&ip, now()).reputation.rules.is_empty());
}

#[test]
fn user_rule_files_replace_the_defaults_and_are_validated() {
    let text = r#"
version = 1
[[rule]]
name = "Telnet"
description = "{host} exposes {ports}"
severity = "high"
weight = 80
details = "{api}/hosts/{host}/ports"
condition = { kind = "open_port_in", ports = [23] }
"#;
    let engine = Engine::from_toml(text, "test.toml").unwrap();
    assert_eq!(engine.rules().len(), 1);
    assert_ne!(engine.version(), Engine::builtin().version());
    let mut e = plain("192.0.2.9");
    e.open_ports = vec![23];
    let r = engine.evaluate(&e, now()).reputation;
    assert_eq!((r.score, r.classification), (80, Band::Malicious));
    assert_eq!(r.rules[0].description, "192.0.2.9 exposes 23");

    let bad = [
        (
            text.replace("{ports}", "{port}"),
            "unknown placeholder {port}",
        ),
        (text.replace("version = 1", "version = 2"), "version 2"),
        (
            text.replace("open_port_in", "open_ports"),
            "unknown variant",
        ),
        (text.replace("weight = 80", "weight = 180"), "weight 180"),
        (
            text.replace("ports = [23]", "ports = [23], extra = 1"),
            "unknown field",
        ),
        (format!("{text}{}", &text[12..]), "duplicate rule name"),
        (
            text.replace("severity = \"high\"", "severity = \"critical\""),
            "unknown variant",
        ),
    ];
    for (t, want) in bad {
        let err = Engine::from_toml(&t, "test.toml").unwrap_err().to_string();
        assert!(err.contains(want), "{want}: {err}");
    }
}

#[test]
fn builtin_rules_parse() {
    let e = Engine::from_toml(DEFAULT_RULES, "built-in").unwrap();
    assert!(e.rules().len() >= 20);
    assert_eq!(e.origin(), "built-in");
}
