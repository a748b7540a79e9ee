//! Part of the store contract (see `mod.rs`).

use super::*;

/// First/last seen are min/max and counts add up across batches.
pub async fn windows_and_counts_merge(store: &dyn Store) {
    apply(store, Some("k1"), &[DNS_A, PORT_A]).await;
    apply(store, Some("k2"), &[DNS_B, PORT_B]).await;
    let dns = items(
        store,
        Scope::PassiveDns {
            host: Some("www.example.com".into()),
        },
    )
    .await;
    assert_eq!(dns.len(), 1);
    assert_eq!(dns[0]["firstSeenDateTime"], "2023-01-01T00:00:00Z");
    assert_eq!(dns[0]["lastSeenDateTime"], "2023-06-01T00:00:00Z");
    assert_eq!(
        dns[0]["id"],
        ids::passive_dns("www.example.com", "A", "192.0.2.10")
    );
    assert!(dns[0]["collectedDateTime"].is_string());
    let ports = items(
        store,
        Scope::HostPorts {
            host: Some("192.0.2.10".into()),
        },
    )
    .await;
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0]["timesObserved"], 12);
    assert_eq!(ports[0]["banners"][0]["timesObserved"], 12);
    assert_eq!(ports[0]["firstSeenDateTime"], "2023-02-01T00:00:00Z");
    assert_eq!(ports[0]["lastSeenDateTime"], "2024-02-01T00:00:00Z");
}

/// The same key twice writes nothing the second time; another key with the same facts adds up.
pub async fn batch_keys_are_idempotent(store: &dyn Store) {
    assert_eq!(
        apply(store, Some("input:1000:0"), &[DNS_A, PORT_A]).await,
        BatchOutcome::Applied(2)
    );
    let before = store.counts().await.expect("counts");
    assert_eq!(
        apply(store, Some("input:1000:0"), &[DNS_A, PORT_A, DNS_B]).await,
        BatchOutcome::AlreadyApplied
    );
    assert_eq!(store.counts().await.expect("counts"), before);
    let ports = items(
        store,
        Scope::HostPorts {
            host: Some("192.0.2.10".into()),
        },
    )
    .await;
    assert_eq!(ports[0]["timesObserved"], 11);
    let dns = items(
        store,
        Scope::PassiveDns {
            host: Some("www.example.com".into()),
        },
    )
    .await;
    assert_eq!(dns[0]["firstSeenDateTime"], "2023-03-01T00:00:00Z");

    // a different key with the same facts (and an earlier window) adds counts and widens
    let earlier = r#"{"kind":"port","host":"192.0.2.10","port":22,"banner":"SSH-2.0-OpenSSH_9.2","first_seen":"2022-01-01T00:00:00Z","last_seen":"2022-02-01T00:00:00Z","count":11}"#;
    assert_eq!(
        apply(store, Some("other:1000:0"), &[earlier, DNS_B]).await,
        BatchOutcome::Applied(2)
    );
    let ports = items(
        store,
        Scope::HostPorts {
            host: Some("192.0.2.10".into()),
        },
    )
    .await;
    assert_eq!(ports[0]["timesObserved"], 22);
    assert_eq!(ports[0]["firstSeenDateTime"], "2022-01-01T00:00:00Z");
    assert_eq!(
        ports[0]["status"], "open",
        "status stays that of the newest scan"
    );
    let dns = items(
        store,
        Scope::PassiveDns {
            host: Some("www.example.com".into()),
        },
    )
    .await;
    assert_eq!(dns[0]["firstSeenDateTime"], "2023-01-01T00:00:00Z");
    // unkeyed batches always apply
    assert_eq!(apply(store, None, &[DNS_A]).await, BatchOutcome::Applied(1));
    assert_eq!(apply(store, None, &[DNS_A]).await, BatchOutcome::Applied(1));
}

/// Host first/last seen span every kind of fact naming the host.
pub async fn host_window_spans_fact_kinds(store: &dyn Store) {
    apply(
        store,
        None,
        &[
            r#"{"kind":"dns","name":"a.example.org","type":"CNAME","value":"b.example.org","time":"2023-05-01T00:00:00Z"}"#,
            r#"{"kind":"component","host":"a.example.org","name":"nginx","version":"1.2","category":"Server","time":"2023-01-01T00:00:00Z"}"#,
            r#"{"kind":"port","host":"a.example.org","port":443,"time":"2024-03-01T00:00:00Z"}"#,
            r#"{"kind":"host_pair","parent":"c.example.org","child":"a.example.org","link_kind":"redirect","time":"2022-12-01T00:00:00Z"}"#,
        ],
    )
    .await;
    let a = host(store, "a.example.org").await;
    assert_eq!(a["@odata.type"], "#microsoft.graph.security.hostname");
    assert_eq!(a["firstSeenDateTime"], "2022-12-01T00:00:00Z");
    assert_eq!(a["lastSeenDateTime"], "2024-03-01T00:00:00Z");
    let b = host(store, "b.example.org").await;
    assert_eq!(b["firstSeenDateTime"], "2023-05-01T00:00:00Z");
    let c = host(store, "c.example.org").await;
    assert_eq!(c["lastSeenDateTime"], "2022-12-01T00:00:00Z");
}

/// Subdomains are derived under the registered domain, which becomes a host.
pub async fn subdomains_are_derived(store: &dyn Store) {
    apply(
        store,
        None,
        &[
            DNS_A,
            r#"{"kind":"component","host":"shop.example.com","name":"x","time":"2022-01-01T00:00:00Z"}"#,
            r#"{"kind":"dns","name":"www.example.com","type":"A","value":"192.0.2.11","time":"2021-01-01T00:00:00Z"}"#,
        ],
    )
    .await;
    let subs = items(
        store,
        Scope::Subdomains {
            host: Some("example.com".into()),
        },
    )
    .await;
    let names: Vec<&str> = subs
        .iter()
        .map(|s| s["host"]["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, vec!["shop.example.com", "www.example.com"]);
    let www = subs
        .iter()
        .find(|s| s["host"]["id"] == "www.example.com")
        .expect("www");
    assert_eq!(www["firstSeenDateTime"], "2021-01-01T00:00:00Z");
    assert_eq!(www["id"], ids::subdomain("www.example.com", "example.com"));
    let domain = host(store, "example.com").await;
    assert!(domain["firstSeenDateTime"].is_null());
    assert!(items(
        store,
        Scope::Subdomains {
            host: Some("www.example.com".into())
        }
    )
    .await
    .is_empty());
    let got = store
        .get(
            EntityKind::Subdomain,
            www["id"].as_str().unwrap_or_default(),
        )
        .await
        .expect("get");
    assert_eq!(got.as_ref(), Some(www));
}

/// Reverse passive DNS for an IP (A rows) and a CNAME target.
pub async fn reverse_passive_dns(store: &dyn Store) {
    apply(
        store,
        None,
        &[
            DNS_A,
            r#"{"kind":"dns","name":"mail.example.com","type":"A","value":"192.0.2.10","time":"2024-01-01T00:00:00Z"}"#,
            r#"{"kind":"dns","name":"api.example.com","type":"CNAME","value":"www.example.com","time":"2024-01-02T00:00:00Z"}"#,
            r#"{"kind":"dns","name":"example.com","type":"TXT","value":"www.example.com","time":"2024-01-02T00:00:00Z"}"#,
        ],
    )
    .await;
    let rev = items(
        store,
        Scope::PassiveDnsReverse {
            host: "192.0.2.10".into(),
        },
    )
    .await;
    assert_eq!(rev.len(), 2);
    assert_eq!(rev[0]["artifact"]["id"], "mail.example.com", "newest first");
    assert_eq!(rev[0]["parentHost"]["id"], "192.0.2.10");
    assert_eq!(
        rev[0]["parentHost"]["@odata.type"],
        "#microsoft.graph.security.ipAddress"
    );
    assert_eq!(
        rev[0]["id"],
        ids::passive_dns_reverse("mail.example.com", "A", "192.0.2.10")
    );
    let rid = rev[0]["id"].as_str().unwrap_or_default();
    assert_eq!(
        store
            .get(EntityKind::PassiveDnsRecord, rid)
            .await
            .expect("get")
            .as_ref(),
        Some(&rev[0])
    );

    let rev = items(
        store,
        Scope::PassiveDnsReverse {
            host: "www.example.com".into(),
        },
    )
    .await;
    assert_eq!(rev.len(), 1, "TXT data is not a reverse record");
    assert_eq!(rev[0]["recordType"], "CNAME");
    assert_eq!(rev[0]["artifact"]["id"], "api.example.com");

    let fwd = items(
        store,
        Scope::PassiveDns {
            host: Some("example.com".into()),
        },
    )
    .await;
    assert_eq!(
        fwd[0]["artifact"]["@odata.type"],
        "#microsoft.graph.security.unclassifiedArtifact"
    );
    assert_eq!(fwd[0]["artifact"]["kind"], "TXT");
    let fwd = items(
        store,
        Scope::PassiveDns {
            host: Some("www.example.com".into()),
        },
    )
    .await;
    assert_eq!(
        fwd[0]["artifact"]["@odata.type"],
        "#microsoft.graph.security.ipAddress"
    );
    let fid = fwd[0]["id"].as_str().unwrap_or_default();
    assert_eq!(
        store
            .get(EntityKind::PassiveDnsRecord, fid)
            .await
            .expect("get")
            .as_ref(),
        Some(&fwd[0])
    );
}

pub fn whois_line(registrant: &str, ns: &str, time: &str) -> String {
    format!(
        r#"{{"kind":"whois","domain":"example.com","registered":"1995-08-14T04:00:00Z","registrar":{{"name":"Example Registrar, Inc.","email":"abuse@registrar.example"}},"registrant":{{"organization":"{registrant}","email":"Owner@Example.com","state":"WA"}},"nameservers":["{ns}"],"time":"{time}"}}"#
    )
}

/// WHOIS history keeps one row per distinct content; the current record is the newest.
pub async fn whois_history_and_current(store: &dyn Store) {
    let a1 = whois_line("Holdings LLC", "ns1.example.net", "2023-01-01T00:00:00Z");
    let a2 = whois_line("Holdings LLC", "ns1.example.net", "2023-06-01T00:00:00Z");
    apply(store, None, &[&a1, &a2]).await;
    let hist = items(
        store,
        Scope::WhoisHistory {
            record: None,
            host: Some("example.com".into()),
        },
    )
    .await;
    assert_eq!(hist.len(), 1);
    assert_eq!(
        hist[0]["@odata.type"],
        "#microsoft.graph.security.whoisHistoryRecord"
    );
    assert_eq!(hist[0]["firstSeenDateTime"], "2023-01-01T00:00:00Z");
    assert_eq!(hist[0]["lastSeenDateTime"], "2023-06-01T00:00:00Z");

    let b = whois_line("Group Ltd", "ns1.example.org", "2024-01-01T00:00:00Z");
    let old = whois_line("Ancient Inc", "ns0.example.org", "2020-01-01T00:00:00Z");
    apply(store, None, &[&b, &old]).await;
    let record_id = ids::whois_record("example.com");
    let hist = items(
        store,
        Scope::WhoisHistory {
            record: Some(record_id.clone()),
            host: None,
        },
    )
    .await;
    assert_eq!(hist.len(), 3);
    assert_eq!(hist[0]["registrant"]["organization"], "Group Ltd");
    let hid = hist[0]["id"].as_str().unwrap_or_default();
    assert_eq!(
        store
            .get(EntityKind::WhoisHistoryRecord, hid)
            .await
            .expect("get")
            .as_ref(),
        Some(&hist[0])
    );

    let cur = store
        .host_whois("example.com")
        .await
        .expect("whois")
        .expect("current record");
    assert_eq!(cur["@odata.type"], "#microsoft.graph.security.whoisRecord");
    assert_eq!(cur["id"], record_id);
    assert_eq!(cur["registrant"]["organization"], "Group Ltd");
    assert_eq!(cur["nameservers"][0]["host"]["id"], "ns1.example.org");
    assert_eq!(cur["registrationDateTime"], "1995-08-14T04:00:00Z");
    assert_eq!(
        store
            .get(EntityKind::WhoisRecord, &record_id)
            .await
            .expect("get"),
        Some(cur)
    );
    let h = host(store, "example.com").await;
    assert_eq!(h["registrant"], "Group Ltd");
    assert_eq!(h["registrar"], "Example Registrar, Inc.");
    assert_eq!(items(store, Scope::WhoisRecords).await.len(), 1);
}

/// Host pairs listed by role.
pub async fn host_pairs_by_role(store: &dyn Store) {
    apply(
        store,
        None,
        &[
            r#"{"kind":"host_pair","parent":"a.example.com","child":"b.example.com","link_kind":"redirect","time":"2024-01-01T00:00:00Z"}"#,
            r#"{"kind":"host_pair","parent":"b.example.com","child":"c.example.com","link_kind":"script.src","time":"2024-01-02T00:00:00Z"}"#,
        ],
    )
    .await;
    let b = || Some("b.example.com".to_string());
    let parent = items(
        store,
        Scope::HostPairs {
            host: b(),
            role: PairRole::Parent,
        },
    )
    .await;
    assert_eq!(parent.len(), 1);
    assert_eq!(parent[0]["childHost"]["id"], "c.example.com");
    assert_eq!(
        parent[0]["id"],
        ids::host_pair("script.src", "b.example.com", "c.example.com")
    );
    let child = items(
        store,
        Scope::HostPairs {
            host: b(),
            role: PairRole::Child,
        },
    )
    .await;
    assert_eq!(child.len(), 1);
    assert_eq!(child[0]["parentHost"]["id"], "a.example.com");
    assert_eq!(
        items(
            store,
            Scope::HostPairs {
                host: b(),
                role: PairRole::Either
            }
        )
        .await
        .len(),
        2
    );
    assert_eq!(
        items(
            store,
            Scope::HostPairs {
                host: None,
                role: PairRole::Either
            }
        )
        .await
        .len(),
        2
    );
    let id = child[0]["id"].as_str().unwrap_or_default();
    assert_eq!(
        store
            .get(EntityKind::HostPair, id)
            .await
            .expect("get")
            .as_ref(),
        Some(&child[0])
    );
}

/// A passive DNS fact keeps the sensor of its newest sighting, whatever the input order.
pub async fn sensors_follow_the_newest_sighting(store: &dyn Store) {
    let line = |sensor: &str, last: &str| {
        format!(
            r#"{{"kind":"dns","name":"s.example.com","type":"A","value":"192.0.2.7","sensor":"{sensor}","first_seen":"2024-01-01T00:00:00Z","last_seen":"{last}"}}"#
        )
    };
    let (old, new) = (
        line("old", "2024-02-01T00:00:00Z"),
        line("new", "2024-03-01T00:00:00Z"),
    );
    apply(store, None, &[&new]).await;
    apply(store, None, &[&old]).await;
    apply(store, None, &[r#"{"kind":"dns","name":"s.example.com","type":"A","value":"192.0.2.7","time":"2024-01-15T00:00:00Z"}"#]).await;
    let facts = store
        .passive_dns_facts("s.example.com")
        .await
        .expect("facts");
    assert_eq!(facts.len(), 1);
    assert_eq!(facts[0].count, 3);
    assert_eq!(
        facts[0].sensor.as_deref(),
        Some("new"),
        "newest sighting's sensor"
    );
    // in one batch too
    apply(
        store,
        None,
        &[
            &line("b-new", "2024-05-01T00:00:00Z"),
            &line("b-old", "2024-04-01T00:00:00Z"),
        ],
    )
    .await;
    let facts = store
        .passive_dns_facts("s.example.com")
        .await
        .expect("facts");
    assert_eq!(facts[0].sensor.as_deref(), Some("b-new"));
}
