//! Model ↔ schema drift tests: the JSON produced by the Rust structs in `entities.rs` /
//! `complex.rs` must carry exactly the members the schema declares.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::*;
use crate::complex::*;
use crate::entities::*;
use crate::enums::*;

/// Navigations that the Rust model emits inline without `$expand`.
const INLINE_NAVS: &[&str] = &[
    "host",
    "artifact",
    "parentHost",
    "childHost",
    "sslCertificate",
    "mostRecentSslCertificate",
];

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .expect("JSON object")
        .keys()
        .filter(|k| *k != "@odata.type")
        .cloned()
        .collect()
}

/// The concrete entity type of an inline object: its `@odata.type`, else the declared type.
fn concrete_type(v: &Value, declared: &str) -> &'static str {
    let t = match v.get("@odata.type").and_then(Value::as_str) {
        Some(t) => {
            entity_type_by_qualified_name(t).unwrap_or_else(|| panic!("unknown @odata.type {t}"))
        }
        None => entity_type(declared).unwrap(),
    };
    assert!(
        derives_from(t.name, declared),
        "{} is not a {declared}",
        t.name
    );
    t.name
}

/// Checks the values of complex properties and inline navigations of `v` recursively.
fn check_members(ctx: &str, v: &Value, props: &[&Property], navs: &[&Navigation]) {
    for p in props {
        let (EdmType::Complex(c), Some(val)) = (p.ty, v.get(p.name)) else {
            continue;
        };
        let items: Vec<&Value> = if p.collection {
            val.as_array().expect("array").iter().collect()
        } else {
            vec![val]
        };
        for item in items.into_iter().filter(|i| !i.is_null()) {
            check_complex(&format!("{ctx}.{}", p.name), item, complex_type(c).unwrap());
        }
    }
    for n in navs {
        let Some(val) = v.get(n.name).filter(|v| !v.is_null()) else {
            continue;
        };
        // Inline navigations may be stubs: a subset of the concrete type's members.
        let t = concrete_type(val, n.target);
        let allowed: BTreeSet<String> = all_properties(t)
            .iter()
            .map(|p| p.name.to_string())
            .chain(
                all_navigations(t)
                    .iter()
                    .filter(|n| INLINE_NAVS.contains(&n.name))
                    .map(|n| n.name.to_string()),
            )
            .collect();
        let actual = keys(val);
        assert!(
            actual.is_subset(&allowed),
            "{ctx}.{}: {actual:?} not within {t} members {allowed:?}",
            n.name
        );
        assert!(
            actual.contains("id"),
            "{ctx}.{}: inline entity without id",
            n.name
        );
        check_members(
            &format!("{ctx}.{}", n.name),
            val,
            &all_properties(t),
            &all_navigations(t),
        );
    }
}

fn check_complex(ctx: &str, v: &Value, c: &ComplexType) {
    let expected: BTreeSet<String> = c
        .properties
        .iter()
        .map(|p| p.name)
        .chain(c.navigations.iter().map(|n| n.name))
        .map(String::from)
        .collect();
    assert_eq!(keys(v), expected, "{ctx}: complex type {} drifted", c.name);
    let props: Vec<&Property> = c.properties.iter().collect();
    let navs: Vec<&Navigation> = c.navigations.iter().collect();
    check_members(ctx, v, &props, &navs);
}

/// Asserts that the JSON of a model value has exactly the members the schema declares.
fn assert_matches_schema(entity: &impl GraphEntity) {
    let v = entity.to_json();
    let t = entity_type_by_qualified_name(v["@odata.type"].as_str().unwrap()).unwrap();
    assert!(!t.is_abstract, "{} is abstract", t.name);
    let props = all_properties(t.name);
    let navs = all_navigations(t.name);
    let expected: BTreeSet<String> = props
        .iter()
        .map(|p| p.name)
        .chain(
            navs.iter()
                .filter(|n| INLINE_NAVS.contains(&n.name))
                .map(|n| n.name),
        )
        .map(String::from)
        .collect();
    assert_eq!(
        keys(&v),
        expected,
        "entity type {} drifted from the Rust model",
        t.name
    );
    for p in &props {
        if !p.nullable {
            assert!(
                !v[p.name].is_null(),
                "{}.{} is declared non-nullable",
                t.name,
                p.name
            );
        }
    }
    check_members(t.name, &v, &props, &navs);
}

fn ts() -> Option<DateTime<Utc>> {
    Some("2024-01-02T03:04:05Z".parse().unwrap())
}

fn text(s: &str) -> Option<FormattedContent> {
    Some(FormattedContent {
        content: s.into(),
        format: ContentFormat::Markdown,
    })
}

fn address() -> Option<PhysicalAddress> {
    Some(PhysicalAddress {
        city: Some("Town".into()),
        country_or_region: Some("NL".into()),
        ..Default::default()
    })
}

fn contact() -> Option<WhoisContact> {
    Some(WhoisContact {
        email: Some("a@example.com".into()),
        address: address(),
        ..Default::default()
    })
}

fn ssl_certificate() -> SslCertificate {
    let party = SslCertificateEntity {
        common_name: Some("example.com".into()),
        alternate_names: vec!["www.example.com".into()],
        address: address(),
        ..Default::default()
    };
    SslCertificate {
        id: "c2hh".into(),
        fingerprint: Some("aa:bb".into()),
        sha1: "aabb".into(),
        serial_number: Some("1".into()),
        issue_date_time: ts(),
        expiration_date_time: ts(),
        first_seen_date_time: ts(),
        last_seen_date_time: None,
        issuer: party.clone(),
        subject: party,
    }
}

fn host_component() -> HostComponent {
    HostComponent {
        id: "hc".into(),
        name: "nginx".into(),
        version: "1.25".into(),
        category: "Server".into(),
        first_seen_date_time: ts(),
        last_seen_date_time: ts(),
        host: HostRef::new("example.com"),
    }
}

fn whois(is_history: bool) -> WhoisRecord {
    WhoisRecord {
        id: "d2hvaXM=".into(),
        is_history,
        expiration_date_time: ts(),
        registration_date_time: ts(),
        first_seen_date_time: None,
        last_seen_date_time: None,
        last_update_date_time: ts(),
        domain_status: Some("clientTransferProhibited".into()),
        raw_whois_text: Some("raw".into()),
        whois_server: Some("whois.example".into()),
        abuse: contact(),
        admin: contact(),
        billing: None,
        noc: None,
        registrant: contact(),
        registrar: contact(),
        technical: contact(),
        zone: None,
        nameservers: vec![WhoisNameserver {
            host: HostRef::new("ns1.example.com"),
            first_seen_date_time: ts(),
            last_seen_date_time: ts(),
        }],
        host: HostRef::new("example.com"),
    }
}

#[test]
fn rust_model_matches_schema() {
    assert_matches_schema(&Article {
        id: "0a1b".into(),
        created_date_time: ts(),
        last_updated_date_time: ts(),
        title: Some("t".into()),
        summary: text("s"),
        is_featured: true,
        body: text("b"),
        tags: vec!["x".into()],
        image_url: None,
    });
    assert_matches_schema(&ArticleIndicator {
        id: "ai".into(),
        source: IndicatorSource::Microsoft,
        artifact: ArtifactRef::Host("bad.example".into()),
    });
    assert_matches_schema(&IntelligenceProfileIndicator {
        id: "pi".into(),
        source: IndicatorSource::Osint,
        first_seen_date_time: ts(),
        last_seen_date_time: None,
        artifact: ArtifactRef::Unclassified {
            kind: "url".into(),
            value: "http://x.test/".into(),
        },
    });
    assert_matches_schema(&IntelligenceProfile {
        id: "ip".into(),
        kind: IntelligenceProfileKind::Actor,
        title: "Actor".into(),
        aliases: vec!["A".into()],
        targets: vec!["Energy".into()],
        countries_or_regions_of_origin: vec![IntelligenceProfileCountryOrRegionOfOrigin {
            code: Some("XX".into()),
            label: Some("X".into()),
        }],
        first_active_date_time: ts(),
        summary: text("s"),
        description: text("d"),
        tradecraft: text("t"),
    });
    assert_matches_schema(&Host {
        id: "example.com".into(),
        first_seen_date_time: ts(),
        last_seen_date_time: ts(),
        details: HostDetails::Hostname {
            registrant: Some("R".into()),
            registrar: None,
        },
    });
    assert_matches_schema(&Host {
        id: "192.0.2.1".into(),
        first_seen_date_time: None,
        last_seen_date_time: None,
        details: HostDetails::IpAddress {
            autonomous_system: Some(AutonomousSystem {
                name: Some("AS".into()),
                number: Some(64500),
                organization: None,
                value: Some("AS64500 AS".into()),
            }),
            country_or_region: Some("US".into()),
            hosting_provider: None,
            netblock: Some("192.0.2.0/24".into()),
        },
    });
    assert_matches_schema(&host_component());
    assert_matches_schema(&HostCookie {
        id: "ck".into(),
        name: "sid".into(),
        domain: "example.com".into(),
        first_seen_date_time: ts(),
        last_seen_date_time: ts(),
        host: HostRef::new("example.com"),
    });
    assert_matches_schema(&HostTracker {
        id: "tr".into(),
        kind: "JarmHash".into(),
        value: "abc".into(),
        first_seen_date_time: ts(),
        last_seen_date_time: ts(),
        host: HostRef::new("192.0.2.1"),
    });
    assert_matches_schema(&HostPair {
        id: "hp".into(),
        link_kind: "redirect".into(),
        first_seen_date_time: ts(),
        last_seen_date_time: ts(),
        parent_host: HostRef::new("a.example"),
        child_host: HostRef::new("192.0.2.1"),
    });
    assert_matches_schema(&HostPort {
        id: "port".into(),
        port: 443,
        protocol: HostPortProtocol::Tcp,
        status: HostPortStatus::Open,
        times_observed: 3,
        first_seen_date_time: ts(),
        last_seen_date_time: ts(),
        last_scan_date_time: ts(),
        banners: vec![HostPortBanner {
            banner: "HTTP/1.1 200 OK".into(),
            scan_protocol: Some("http_raw".into()),
            times_observed: 2,
            first_seen_date_time: ts(),
            last_seen_date_time: ts(),
        }],
        services: vec![HostPortComponent {
            component: host_component().to_json(),
            is_recent: true,
            first_seen_date_time: ts(),
            last_seen_date_time: ts(),
        }],
        host: HostRef::new("example.com"),
        most_recent_ssl_certificate: Some(SslCertificateRef { id: "c2hh".into() }),
    });
    assert_matches_schema(&ssl_certificate());
    assert_matches_schema(&HostSslCertificate {
        id: "hsc".into(),
        first_seen_date_time: ts(),
        last_seen_date_time: ts(),
        ports: vec![HostSslCertificatePort {
            port: 443,
            first_seen_date_time: ts(),
            last_seen_date_time: ts(),
        }],
        host: HostRef::new("example.com"),
        ssl_certificate: ssl_certificate(),
    });
    assert_matches_schema(&PassiveDnsRecord {
        id: "pdns".into(),
        record_type: "A".into(),
        collected_date_time: ts(),
        first_seen_date_time: ts(),
        last_seen_date_time: ts(),
        parent_host: HostRef::new("example.com"),
        artifact: ArtifactRef::Host("192.0.2.1".into()),
    });
    assert_matches_schema(&Subdomain {
        id: "sd".into(),
        first_seen_date_time: ts(),
        host: HostRef::new("a.example.com"),
    });
    assert_matches_schema(&Vulnerability {
        id: "CVE-2024-0001".into(),
        severity: VulnerabilitySeverity::High,
        priority_score: Some(80),
        cvss2_summary: None,
        cvss3_summary: Some(CvssSummary {
            score: Some(7.5),
            severity: Some(VulnerabilitySeverity::High),
            vector_string: Some("CVSS:3.1/AV:N".into()),
        }),
        common_weakness_enumeration_ids: vec!["CWE-20".into()],
        description: text("d"),
        remediation: None,
        exploits: vec![Hyperlink {
            name: Some("poc".into()),
            url: Some("https://x.test/".into()),
        }],
        references: vec![],
        exploits_available: true,
        active_exploits_observed: false,
        has_chatter: false,
        created_date_time: ts(),
        last_modified_date_time: ts(),
        published_date_time: ts(),
    });
    assert_matches_schema(&VulnerabilityComponent {
        id: "vc".into(),
        name: "product 1.0".into(),
    });
    assert_matches_schema(&whois(false));
    assert_matches_schema(&whois(true));
    assert_matches_schema(&HostReputation {
        id: "rep".into(),
        classification: HostReputationClassification::Suspicious,
        score: 60,
        rules: vec![HostReputationRule {
            name: "r".into(),
            description: "d".into(),
            severity: HostReputationRuleSeverity::Medium,
            related_details_url: None,
        }],
    });
}
