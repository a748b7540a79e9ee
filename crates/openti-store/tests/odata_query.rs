//! `$filter` / `$orderby` / keyset paging translated to SQL and run against real stores of
//! both backends (SQLite, PostgreSQL) loaded with `fixtures/all-kinds.ndjson`.

mod backends;

use openti_model::Observation;
use openti_odata::{compile, endpoint, RawOptions};
use openti_store::*;
use serde_json::Value;

async fn load(store: &dyn Store) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/all-kinds.ndjson"
    ))
    .expect("fixture");
    let observations: Vec<Observation> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<Observation>(l).ok())
        .filter_map(|o| o.normalize().ok())
        .collect();
    store
        .apply_batch(Batch {
            key: None,
            observations,
        })
        .await
        .expect("apply");
}

fn query(scope: Scope, filter: Option<&str>, orderby: Option<&str>) -> ListQuery {
    let ep = endpoint(scope.endpoint()).expect("endpoint");
    let c = compile(
        ep.entity_type,
        Some(ep),
        &RawOptions {
            filter: filter.map(str::to_string),
            orderby: orderby.map(str::to_string),
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{filter:?}: {e}"));
    ListQuery {
        filter: c.filter,
        orderby: (!c.orderby.is_empty()).then_some(c.orderby),
        count: true,
        top: 1000,
        ..ListQuery::new(scope)
    }
}

async fn ids(store: &dyn Store, scope: Scope, filter: &str) -> Vec<String> {
    let p = store
        .list(&query(scope, Some(filter), None))
        .await
        .unwrap_or_else(|e| panic!("{filter}: {e}"));
    assert_eq!(p.total, Some(p.items.len() as u64), "{filter}");
    p.values()
        .iter()
        .map(|i| i["id"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn count(store: &dyn Store, scope: Scope, filter: &str) -> usize {
    ids(store, scope, filter).await.len()
}

on_both!(
    filters => filters_select_the_right_rows,
    keyset => every_scope_orders_and_pages_by_keyset,
    full_text => full_text_index_follows_upserts,
);

async fn filters_select_the_right_rows(s: &dyn Store) {
    load(s).await;
    let v = Scope::Vulnerabilities;
    assert_eq!(
        ids(s, v.clone(), "cvss3Summary/score ge 10").await,
        vec!["CVE-2021-44228"]
    );
    assert_eq!(count(s, v.clone(), "cvss3Summary/score gt 9").await, 2);
    assert_eq!(count(s, v.clone(), "severity eq 'critical'").await, 2);
    assert_eq!(count(s, v.clone(), "severity lt 'critical'").await, 0);
    assert_eq!(count(s, v.clone(), "severity ge 'high'").await, 2);
    assert_eq!(
        count(
            s,
            v.clone(),
            "commonWeaknessEnumerationIds/any(c: c eq 'CWE-119')"
        )
        .await,
        1
    );
    assert_eq!(
        count(s, v.clone(), "references/any(r: r/name eq 'NVD')").await,
        2
    );
    assert_eq!(count(s, v.clone(), "exploits/any()").await, 1);
    assert_eq!(
        count(s, v.clone(), "exploits/any(e: contains(e/url, 'poc'))").await,
        1
    );
    assert_eq!(
        count(s, v.clone(), "references/all(r: r/url ne null)").await,
        2
    );

    let a = Scope::Articles;
    assert_eq!(count(s, a.clone(), "tags/any(t: t eq 'phishing')").await, 1);
    assert_eq!(
        count(s, a.clone(), "contains(tolower(title), 'phishing')").await,
        1
    );
    assert_eq!(
        count(s, a.clone(), "contains(title, 'PHISHING')").await,
        0,
        "case-sensitive"
    );
    assert_eq!(count(s, a.clone(), "startswith(title, 'Harvest')").await, 1);
    assert_eq!(count(s, a.clone(), "endswith(title, 'domains')").await, 1);
    assert_eq!(count(s, a.clone(), "endswith(title, '')").await, 2);
    assert_eq!(
        count(s, a.clone(), "createdDateTime ge 2024-03-01T00:00:00Z").await,
        1
    );
    assert_eq!(
        count(
            s,
            a.clone(),
            "not (createdDateTime ge 2024-03-01T00:00:00Z)"
        )
        .await,
        1
    );
    assert_eq!(count(s, a.clone(), "title eq 'x'' OR 1=1 --'").await, 0);
    assert_eq!(count(s, a.clone(), "summary/format eq 'text'").await, 1);

    let p = Scope::IntelProfiles;
    assert_eq!(
        count(
            s,
            p.clone(),
            "countriesOrRegionsOfOrigin/any(c: c/code eq 'AQ')"
        )
        .await,
        1
    );
    assert_eq!(count(s, p.clone(), "kind eq 'tool'").await, 1);
    assert_eq!(
        count(
            s,
            p.clone(),
            "aliases/any(a: a eq 'HERON-1') or title eq 'PaperKite'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            s,
            p.clone(),
            "countriesOrRegionsOfOrigin/all(c: c/code eq 'AQ')"
        )
        .await,
        2,
        "all() over empty is true"
    );

    let pairs = Scope::HostPairs {
        host: None,
        role: PairRole::Either,
    };
    assert_eq!(
        count(s, pairs.clone(), "childHost/id eq 'www.example.com'").await,
        2
    );
    assert_eq!(
        count(
            s,
            pairs.clone(),
            "parentHost/id in ('example.com', 'login.example.test')"
        )
        .await,
        2
    );
    assert_eq!(count(s, pairs.clone(), "linkKind ne 'redirect'").await, 3);

    let ports = Scope::HostPorts { host: None };
    assert_eq!(count(s, ports.clone(), "status eq 'filtered'").await, 1);
    assert_eq!(
        count(s, ports.clone(), "protocol eq 'udp' or port in (22, 80)").await,
        3
    );
    assert_eq!(
        count(
            s,
            ports.clone(),
            "banners/any(b: contains(b/banner, 'nginx/1.25'))"
        )
        .await,
        1
    );
    assert_eq!(
        count(s, ports.clone(), "mostRecentSslCertificate ne null").await,
        1
    );

    let certs = Scope::SslCertificates;
    assert_eq!(
        count(
            s,
            certs.clone(),
            "issuer/commonName eq 'Example Test CA R1'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            s,
            certs.clone(),
            "subject/alternateNames/any(n: n eq 'mail.example.com')"
        )
        .await,
        1
    );

    let w = Scope::WhoisRecords;
    assert_eq!(
        count(
            s,
            w.clone(),
            "nameservers/any(n: n/host/id eq 'ns1.example.org')"
        )
        .await,
        1
    );
    assert_eq!(
        count(s, w.clone(), "registrant/email eq 'hostmaster@example.net'").await,
        1
    );

    let dns = Scope::PassiveDns { host: None };
    let all = count(s, dns.clone(), "recordType ne 'zzz'").await;
    let a_rr = count(s, dns.clone(), "recordType eq 'A'").await;
    let not_a = count(s, dns.clone(), "not (recordType eq 'A')").await;
    assert_eq!(a_rr + not_a, all);
    // composite ids
    let first = ids(s, dns.clone(), "recordType eq 'NS'").await;
    assert_eq!(
        ids(s, dns.clone(), &format!("id eq '{}'", first[0])).await,
        vec![first[0].clone()]
    );
    assert_eq!(
        count(s, dns.clone(), &format!("id ne '{}'", first[0])).await,
        all - 1
    );
    assert_eq!(count(s, dns.clone(), "id eq 'not-an-id'").await, 0);
    assert!(s.list(&query(dns, Some("id gt 'x'"), None)).await.is_err());
}

async fn every_scope_orders_and_pages_by_keyset(s: &dyn Store) {
    load(s).await;
    for scope in [
        Scope::Hosts,
        Scope::PassiveDns { host: None },
        Scope::HostComponents { host: None },
        Scope::HostPorts { host: None },
        Scope::HostSslCertificates { host: None },
        Scope::SslCertificates,
        Scope::Articles,
        Scope::IntelProfiles,
        Scope::WhoisRecords,
        Scope::WhoisHistory {
            record: None,
            host: None,
        },
        Scope::Vulnerabilities,
    ] {
        for orderby in [
            None,
            Some("id desc"),
            Some("firstSeenDateTime,id"),
            Some("id"),
        ] {
            if orderby.is_some_and(|o| o.contains("firstSeen"))
                && matches!(
                    scope,
                    Scope::Articles | Scope::IntelProfiles | Scope::Vulnerabilities
                )
            {
                continue;
            }
            let mut q = query(scope.clone(), None, orderby);
            let everything = s.list(&q).await.expect("all").values();
            q.top = 2;
            let mut walked: Vec<Value> = Vec::new();
            for _ in 0..100 {
                let p = s.list(&q).await.expect("page");
                walked.extend(p.values());
                match p.cursor {
                    Some(c) => q.cursor = Some(c),
                    None => break,
                }
            }
            assert_eq!(walked, everything, "{scope:?} {orderby:?}");
        }
    }
    // A cursor from another order is refused.
    let mut q = query(Scope::Hosts, None, Some("id"));
    q.top = 1;
    let c = s.list(&q).await.expect("p").cursor.expect("cursor");
    let mut other = query(Scope::Hosts, None, None);
    other.cursor = Some(c);
    assert!(matches!(
        s.list(&other).await,
        Err(StoreError::InvalidQuery(_))
    ));
}

#[test]
fn user_values_are_bound_never_spliced() {
    let q = query(
        Scope::Articles,
        Some("title eq 'x'' OR 1=1; DROP TABLE articles; --' or tags/any(t: startswith(t, 'ran'))"),
        Some("createdDateTime desc"),
    );
    let (sql, n) = openti_store::sqlite::explain(&q).expect("sql");
    assert!(!sql.contains("DROP"), "{sql}");
    assert!(!sql.contains("ran'"), "{sql}");
    assert_eq!(sql.matches('?').count(), n);
}

async fn full_text_index_follows_upserts(s: &dyn Store) {
    load(s).await;
    let search = |text: &str| ListQuery {
        search: Some(Search::Text(text.into())),
        ..ListQuery::new(Scope::Articles)
    };
    assert_eq!(s.list(&search("harvest")).await.expect("s").items.len(), 1);
    assert_eq!(
        s.list(&search("HARV")).await.expect("prefix").items.len(),
        1
    );
    assert_eq!(
        s.list(&search("sëssion hijacking"))
            .await
            .expect("tags, accents")
            .items
            .len(),
        1
    );
    // Re-ingesting the article with a new title replaces its indexed text.
    let line = r#"{"kind":"article","id":"2ef1fc72893b36da","title":"Renamed winter report","summary":"x","body":"y","tags":[]}"#;
    let o: Observation = serde_json::from_str(line).expect("obs");
    s.apply_batch(Batch {
        key: None,
        observations: vec![o.normalize().expect("normalize")],
    })
    .await
    .expect("apply");
    assert_eq!(
        s.list(&search("harvest")).await.expect("old").items.len(),
        0
    );
    assert_eq!(s.list(&search("winter")).await.expect("new").items.len(), 1);
    // FTS5 syntax in the request is plain text.
    assert!(s.list(&search("NEAR(\"x\" OR *")).await.is_ok());
}
