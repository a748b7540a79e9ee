//! Part of the store contract (see `mod.rs`).

use super::*;

/// Malformed or unknown ids give `None`, never an error.
pub async fn garbage_ids_are_none(store: &dyn Store) {
    apply(store, None, &[DNS_A, PORT_A]).await;
    let kinds = [
        EntityKind::Article,
        EntityKind::ArticleIndicator,
        EntityKind::IntelProfile,
        EntityKind::ProfileIndicator,
        EntityKind::Host,
        EntityKind::HostComponent,
        EntityKind::HostCookie,
        EntityKind::HostTracker,
        EntityKind::HostPort,
        EntityKind::HostSslCertificate,
        EntityKind::HostPair,
        EntityKind::PassiveDnsRecord,
        EntityKind::Subdomain,
        EntityKind::SslCertificate,
        EntityKind::Vulnerability,
        EntityKind::VulnerabilityComponent,
        EntityKind::WhoisRecord,
        EntityKind::WhoisHistoryRecord,
    ];
    let garbage = [
        "",
        "!!!",
        "%%%%",
        "Zm9v",
        "not base64 at all",
        &ids::composite(&["192.0.2.10", "99999"]),
        "==",
    ];
    for kind in kinds {
        for id in garbage {
            assert_eq!(
                store.get(kind, id).await.expect("no error"),
                None,
                "{kind:?} {id:?}"
            );
        }
    }
}

/// Vulnerability ids are case-insensitive; components and articles are linked.
pub async fn vulnerabilities(store: &dyn Store) {
    apply(
        store,
        None,
        &[
            r#"{"kind":"vulnerability","id":"cve-2021-44228","cvss3":{"score":10.0},"components":["Apache Log4j 2.0"],"articles":["a1"]}"#,
            r#"{"kind":"article","id":"a1","title":"Log4Shell","created":"2021-12-10T00:00:00Z"}"#,
            r#"{"kind":"article","id":"a2","title":"Follow-up","created":"2021-12-20T00:00:00Z","cves":["CVE-2021-44228"]}"#,
        ],
    )
    .await;
    let v = store
        .get(EntityKind::Vulnerability, "cve-2021-44228")
        .await
        .expect("get")
        .expect("found");
    assert_eq!(v["id"], "CVE-2021-44228");
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["cvss3Summary"]["severity"], "critical");
    let comps = items(
        store,
        Scope::VulnerabilityComponents {
            cve: "Cve-2021-44228".into(),
        },
    )
    .await;
    assert_eq!(comps.len(), 1);
    assert_eq!(
        comps[0]["id"],
        ids::vulnerability_component("CVE-2021-44228", "Apache Log4j 2.0")
    );
    let cid = comps[0]["id"].as_str().unwrap_or_default();
    assert_eq!(
        store
            .get(EntityKind::VulnerabilityComponent, cid)
            .await
            .expect("get")
            .as_ref(),
        Some(&comps[0])
    );
    let arts = items(
        store,
        Scope::VulnerabilityArticles {
            cve: "CVE-2021-44228".into(),
        },
    )
    .await;
    assert_eq!(ids_of(&arts), vec!["a2", "a1"]);
    assert_eq!(items(store, Scope::Vulnerabilities).await.len(), 1);
}

/// Articles, profiles and indicators: replacement on re-import, text search, indicator hosts.
pub async fn intel_and_indicators(store: &dyn Store) {
    let profile = r#"{"kind":"intel_profile","id":"p1","profile_kind":"actor","title":"Velvet Heron","aliases":["HERON-1"],"summary":"Likes 50%_discounts","indicators":[{"type":"domain","value":"Bad.Example.test"},{"type":"url","value":"http://x.test/a"}]}"#;
    let profile2 = r#"{"kind":"intel_profile","id":"p1","profile_kind":"actor","title":"Velvet Heron","aliases":["HERON-1"],"indicators":[{"type":"ip","value":"203.0.113.5"}]}"#;
    let link = r#"{"kind":"indicator","profile":"p1","type":"hostname","value":"linked.example.test","time":"2024-01-12T00:00:00Z"}"#;
    let article = r#"{"kind":"article","id":"a1","title":"Harvest season","body":"Phishing kit on shop.example.net","tags":["phishing"],"indicators":[{"type":"hostname","value":"shop.example.net"}]}"#;
    apply(store, None, &[profile, link, article]).await;
    let ind = items(
        store,
        Scope::ProfileIndicators {
            profile: Some("p1".into()),
        },
    )
    .await;
    assert_eq!(ind.len(), 3);
    assert_eq!(
        ind[0]["artifact"]["id"], "linked.example.test",
        "windowed link first"
    );
    assert_eq!(ind[0]["firstSeenDateTime"], "2024-01-12T00:00:00Z");
    let only_indicator = host(store, "bad.example.test").await;
    assert!(only_indicator["firstSeenDateTime"].is_null());
    let iid = ind[1]["id"].as_str().unwrap_or_default();
    assert_eq!(
        store
            .get(EntityKind::ProfileIndicator, iid)
            .await
            .expect("get")
            .as_ref(),
        Some(&ind[1])
    );

    apply(store, None, &[profile2]).await;
    let ind = items(
        store,
        Scope::ProfileIndicators {
            profile: Some("p1".into()),
        },
    )
    .await;
    let artifacts: Vec<&str> = ind
        .iter()
        .map(|i| i["artifact"]["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        artifacts,
        vec!["linked.example.test", "203.0.113.5"],
        "embedded list replaced, link kept"
    );

    let s = |q: &str| search(store, Scope::IntelProfiles, Search::Text(q.into()));
    assert_eq!(s("heron").await.expect("s").len(), 1);
    assert_eq!(s("velvet HERON-1").await.expect("s").len(), 1);
    assert_eq!(s("velvet nothing").await.expect("s").len(), 0);
    assert_eq!(s("%").await.expect("s").len(), 0, "wildcards are literal");
    let a = search(store, Scope::Articles, Search::Text("PHISHING kit".into()))
        .await
        .expect("articles");
    assert_eq!(ids_of(&a), vec!["a1"]);
    let ai = items(
        store,
        Scope::ArticleIndicators {
            article: Some("a1".into()),
        },
    )
    .await;
    assert_eq!(ai[0]["artifact"]["id"], "shop.example.net");
    let aid = ai[0]["id"].as_str().unwrap_or_default();
    assert_eq!(
        store
            .get(EntityKind::ArticleIndicator, aid)
            .await
            .expect("get")
            .as_ref(),
        Some(&ai[0])
    );
    let p = store
        .get(EntityKind::IntelProfile, "p1")
        .await
        .expect("get")
        .expect("profile");
    assert_eq!(p["kind"], "actor");
    assert!(p["summary"].is_null(), "re-import updates in place");

    // evidence: listed via the registered domain, neighbours sharing an IP
    apply(
        store,
        None,
        &[
            r#"{"kind":"dns","name":"www.example.test","type":"A","value":"203.0.113.9","time":"2024-01-12T00:00:00Z"}"#,
            r#"{"kind":"dns","name":"linked.example.test","type":"A","value":"203.0.113.9","time":"2024-01-12T00:00:00Z"}"#,
        ],
    )
    .await;
    let ev = store
        .host_evidence("www.example.test")
        .await
        .expect("evidence")
        .expect("known");
    assert_eq!(ev.resolved_ips, vec!["203.0.113.9"]);
    assert_eq!(ev.listed_neighbours, vec!["linked.example.test"]);
    let ev = store
        .host_evidence("linked.example.test")
        .await
        .expect("evidence")
        .expect("known");
    assert_eq!(ev.listed_in.len(), 1);
    assert_eq!(ev.listed_in[0].source_kind, "intelProfile");
    assert!(store
        .host_evidence("unknown.example")
        .await
        .expect("evidence")
        .is_none());
}

/// Tokens round-trip.
pub async fn tokens(store: &dyn Store) {
    let created = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("time");
    let t = TokenRecord {
        id: "t1".into(),
        name: "ci".into(),
        permission: "ThreatIntelligence.Read.All".into(),
        created,
        expires: Some(created + chrono::Duration::days(30)),
        revoked: None,
    };
    store.create_token(&t, "abc123").await.expect("create");
    assert_eq!(
        store.find_token("abc123").await.expect("find"),
        Some(t.clone())
    );
    assert_eq!(store.find_token("nope").await.expect("find"), None);
    assert_eq!(store.list_tokens().await.expect("list"), vec![t.clone()]);
    assert!(
        store.create_token(&t, "other").await.is_err(),
        "duplicate id"
    );
    assert!(store.revoke_token("t1").await.expect("revoke"));
    assert!(!store.revoke_token("t2").await.expect("revoke"));
    let found = store
        .find_token("abc123")
        .await
        .expect("find")
        .expect("token");
    assert!(found.revoked.is_some());
}

/// A batch failing half-way leaves nothing behind, including its key.
pub async fn failed_batch_rolls_back(store: &dyn Store) {
    let mut b = batch(Some("bad"), &[DNS_A, PORT_A]);
    // an out-of-range port that bypassed normalisation: the database refuses it
    if let Observation::Port { port, .. } = &mut b.observations[1] {
        *port = 0;
    }
    assert!(store.apply_batch(b).await.is_err());
    for (table, n) in store.counts().await.expect("counts") {
        assert_eq!(n, 0, "{table} has rows after a failed batch");
    }
    assert_eq!(
        apply(store, Some("bad"), &[DNS_A]).await,
        BatchOutcome::Applied(1),
        "key was not recorded"
    );
}

/// Hosts render as hostname / ipAddress with enrichment.
pub async fn hosts_and_enrichment(store: &dyn Store) {
    apply(
        store,
        None,
        &[
            DNS_A,
            r#"{"kind":"ip","ip":"192.0.2.10","asn":64500,"as_name":"EXAMPLE-AS","country":"us","time":"2024-02-01T00:00:00Z"}"#,
            r#"{"kind":"ip","ip":"192.0.2.10","asn":64999,"country":"de","time":"2023-02-01T00:00:00Z"}"#,
        ],
    )
    .await;
    let ip = host(store, "192.0.2.10").await;
    assert_eq!(ip["@odata.type"], "#microsoft.graph.security.ipAddress");
    assert_eq!(ip["countryOrRegion"], "US", "newest enrichment wins");
    assert_eq!(ip["autonomousSystem"]["number"], 64500);
    let all = items(store, Scope::Hosts).await;
    assert_eq!(
        ids_of(&all),
        vec!["192.0.2.10", "www.example.com", "example.com"]
    );
    assert!(store
        .get(EntityKind::Host, "missing.example")
        .await
        .expect("get")
        .is_none());
}

/// Every write marks the hosts it touches for rescoring, and an IP's ASN change marks the
/// names resolving to it; a write that leaves the ASN alone does not.
pub async fn writes_mark_hosts_dirty(store: &dyn Store) {
    let clear = || async {
        let scorer: reputation::Scorer = std::sync::Arc::new(
            |_: &openti_model::evidence::HostEvidence| reputation::Scored {
                score: 0,
                rules: Vec::new(),
                base_malicious: false,
            },
        );
        let mut total = 0;
        loop {
            let s = store
                .rescore(
                    reputation::RescoreSet::Dirty(1000),
                    scorer.clone(),
                    "contract",
                )
                .await
                .expect("rescore");
            total += s.scored;
            if s.remaining == 0 {
                return total;
            }
        }
    };
    // marking an already dirty host marks nothing new: 0 means it was dirty
    let was_dirty = |host: &'static str| async move {
        store
            .mark_reputation_dirty(Some(vec![host.to_string()]))
            .await
            .expect("mark")
            == 0
    };
    let dns = |last: &str| {
        format!(
            r#"{{"kind":"dns","name":"www.dirty.test","type":"A","value":"192.0.2.55","first_seen":"2024-01-01T00:00:00Z","last_seen":"{last}"}}"#
        )
    };
    let ip = |asn: u32, time: &str| {
        format!(r#"{{"kind":"ip","ip":"192.0.2.55","asn":{asn},"time":"{time}"}}"#)
    };
    apply(
        store,
        None,
        &[
            &dns("2024-01-02T00:00:00Z"),
            &ip(64500, "2024-01-02T00:00:00Z"),
        ],
    )
    .await;
    assert!(
        clear().await >= 3,
        "name, IP and registered domain were dirty"
    );
    assert!(!was_dirty("www.dirty.test").await);
    clear().await;

    // a later sighting widens both hosts' windows: both are marked
    apply(store, None, &[&dns("2024-02-01T00:00:00Z")]).await;
    assert!(was_dirty("www.dirty.test").await);
    assert!(was_dirty("192.0.2.55").await);
    clear().await;

    // the IP's ASN changes: the name resolving to it is marked too
    apply(store, None, &[&ip(64501, "2024-03-01T00:00:00Z")]).await;
    assert!(
        was_dirty("www.dirty.test").await,
        "ASN change marks the names"
    );
    clear().await;

    // the same ASN again: the IP is marked (its window widened), the name is not
    apply(store, None, &[&ip(64501, "2024-04-01T00:00:00Z")]).await;
    assert!(was_dirty("192.0.2.55").await);
    assert!(!was_dirty("www.dirty.test").await, "no ASN change, no mark");
}
