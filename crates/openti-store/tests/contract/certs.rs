//! Part of the store contract (see `mod.rs`).

use super::*;

pub const SHA_A: &str = "a4c123b1612dd272d1371c17149d439536b3216f";
pub const SHA_B: &str = "daeeb975729fae923d5a4fd12aabfe228f219e9c";

/// Port status = newest scan; banners, services and the most recent certificate.
pub async fn ports_status_banners_services(store: &dyn Store) {
    let newest_cert = format!(
        r#"{{"kind":"port","host":"192.0.2.10","port":443,"banner":"nginx/1.25","services":[{{"name":"nginx","version":"1.25","category":"Server"}}],"certificate_sha1":"{SHA_B}","time":"2024-03-01T00:00:00Z"}}"#
    );
    let older_cert = format!(
        r#"{{"kind":"port","host":"192.0.2.10","port":443,"status":"filtered","banner":"nginx/1.24","services":[{{"name":"nginx","version":"1.24","category":"Server"}}],"certificate_sha1":"{SHA_A}","first_seen":"2023-01-01T00:00:00Z","last_seen":"2024-01-01T00:00:00Z","count":3}}"#
    );
    apply(store, None, &[&newest_cert, &older_cert, PORT_A]).await;
    let ports = items(
        store,
        Scope::HostPorts {
            host: Some("192.0.2.10".into()),
        },
    )
    .await;
    assert_eq!(ports.len(), 2);
    let p = &ports[0];
    assert_eq!(p["port"], 443);
    assert_eq!(p["protocol"], "tcp");
    assert_eq!(p["status"], "open", "status of the newest scan");
    assert_eq!(p["timesObserved"], 4);
    assert_eq!(p["lastScanDateTime"], "2024-03-01T00:00:00Z");
    assert_eq!(p["id"], ids::host_port("192.0.2.10", 443, "tcp"));
    assert_eq!(
        p["mostRecentSslCertificate"]["id"],
        ids::ssl_certificate(SHA_B)
    );
    assert_eq!(p["banners"].as_array().map(Vec::len), Some(2));
    let services = p["services"].as_array().cloned().unwrap_or_default();
    assert_eq!(services.len(), 2);
    let new = services
        .iter()
        .find(|s| s["component"]["version"] == "1.25")
        .expect("1.25");
    let old = services
        .iter()
        .find(|s| s["component"]["version"] == "1.24")
        .expect("1.24");
    assert_eq!(new["isRecent"], true);
    assert_eq!(old["isRecent"], false);
    assert_eq!(
        new["component"]["@odata.type"],
        "#microsoft.graph.security.hostComponent"
    );
    assert_eq!(
        new["component"]["id"],
        ids::host_component("192.0.2.10", "nginx", "1.25", "Server")
    );
    let got = store
        .get(EntityKind::HostPort, p["id"].as_str().unwrap_or_default())
        .await
        .expect("get");
    assert_eq!(got.as_ref(), Some(p));
    // the certificate is known (as a stub) and attached to the host
    assert!(store
        .get(EntityKind::SslCertificate, &ids::ssl_certificate(SHA_B))
        .await
        .expect("get")
        .is_some());
    let ev = store
        .host_evidence("192.0.2.10")
        .await
        .expect("evidence")
        .expect("known");
    assert_eq!(ev.open_ports, vec![22, 443]);
}

pub fn cert_line(host: &str, port: u16, sha1: &str, time: &str) -> String {
    format!(
        r#"{{"kind":"certificate","host":"{host}","port":{port},"sha1":"{sha1}","fingerprint":"A4:C1:23:B1:61:2D","serial_number":"90210","issuer":{{"common_name":"Example CA","organization_name":"Example Trust"}},"subject":{{"common_name":"www.example.com","alternate_names":["www.example.com","example.com"],"city":"Seattle"}},"time":"{time}"}}"#
    )
}

/// One hostSslCertificate per host and certificate, listing every port.
pub async fn host_certificates_aggregate_ports(store: &dyn Store) {
    let a = cert_line("www.example.com", 443, SHA_A, "2024-01-01T00:00:00Z");
    let b = cert_line("www.example.com", 8443, SHA_A, "2024-02-01T00:00:00Z");
    let c = cert_line("mail.example.com", 443, SHA_A, "2023-02-01T00:00:00Z");
    apply(store, None, &[&a, &b, &c]).await;
    let hc = items(
        store,
        Scope::HostSslCertificates {
            host: Some("www.example.com".into()),
        },
    )
    .await;
    assert_eq!(hc.len(), 1);
    assert_eq!(
        hc[0]["id"],
        ids::host_ssl_certificate("www.example.com", SHA_A)
    );
    assert_eq!(hc[0]["firstSeenDateTime"], "2024-01-01T00:00:00Z");
    assert_eq!(hc[0]["lastSeenDateTime"], "2024-02-01T00:00:00Z");
    let ports: Vec<i64> = hc[0]["ports"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["port"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(ports, vec![443, 8443]);
    assert_eq!(hc[0]["sslCertificate"]["sha1"], SHA_A);
    assert_eq!(
        hc[0]["sslCertificate"]["subject"]["commonName"],
        "www.example.com"
    );
    let got = store
        .get(
            EntityKind::HostSslCertificate,
            hc[0]["id"].as_str().unwrap_or_default(),
        )
        .await
        .expect("get");
    assert_eq!(got.as_ref(), Some(&hc[0]));
    assert_eq!(
        items(store, Scope::HostSslCertificates { host: None })
            .await
            .len(),
        2
    );
    let related = items(
        store,
        Scope::CertificateHosts {
            certificate: ids::ssl_certificate(SHA_A),
        },
    )
    .await;
    assert_eq!(
        ids_of(&related),
        vec!["www.example.com", "mail.example.com"]
    );
    assert_eq!(
        related[0]["@odata.type"],
        "#microsoft.graph.security.hostname"
    );
}

/// `$search` on certificates and WHOIS records.
pub async fn property_search(store: &dyn Store) {
    let a = cert_line("www.example.com", 443, SHA_A, "2024-01-01T00:00:00Z");
    let other = format!(
        r#"{{"kind":"certificate","sha1":"{SHA_B}","subject":{{"common_name":"other.example"}}}}"#
    );
    apply(store, None, &[&a, &other]).await;
    let s = |path: &str, value: &str| search(store, Scope::SslCertificates, prop(path, value));
    let want = vec![ids::ssl_certificate(SHA_A)];
    assert_eq!(
        ids_of(
            &s("subject/commonName", "WWW.example.com")
                .await
                .expect("cn")
        ),
        want
    );
    assert_eq!(
        ids_of(&s("sha1", &SHA_A.to_uppercase()).await.expect("sha1")),
        want
    );
    assert_eq!(
        ids_of(&s("fingerprint", "a4:c1:23:b1:61:2d").await.expect("fp")),
        want
    );
    assert_eq!(
        ids_of(&s("fingerprint", "A4C123B1612D").await.expect("fp")),
        want
    );
    assert_eq!(
        ids_of(&s("serialNumber", "90210").await.expect("serial")),
        want
    );
    assert_eq!(
        ids_of(
            &s("issuer/organizationName", "example trust")
                .await
                .expect("org")
        ),
        want
    );
    assert_eq!(
        ids_of(
            &s("subject/alternateNames", "example.com")
                .await
                .expect("san")
        ),
        want
    );
    assert_eq!(
        ids_of(&s("subject/address/city", "seattle").await.expect("city")),
        want
    );
    assert!(s("subject/commonName", "nothing.example")
        .await
        .expect("none")
        .is_empty());
    match s("subject/favouriteColour", "blue").await {
        Err(StoreError::InvalidQuery(m)) => assert!(m.contains("subject/favouriteColour"), "{m}"),
        other => panic!("expected InvalidQuery, got {other:?}"),
    }
    assert!(matches!(
        s("bogus", "x").await,
        Err(StoreError::InvalidQuery(_))
    ));

    let w = whois_line("Holdings LLC", "ns1.example.net", "2023-01-01T00:00:00Z");
    apply(store, None, &[&w]).await;
    let ws = |path: &str, value: &str| search(store, Scope::WhoisRecords, prop(path, value));
    let want = vec![ids::whois_record("example.com")];
    assert_eq!(
        ids_of(
            &ws("registrant/email", "owner@example.com")
                .await
                .expect("email")
        ),
        want
    );
    assert_eq!(
        ids_of(&ws("registrant/address/state", "wa").await.expect("state")),
        want
    );
    assert_eq!(
        ids_of(
            &ws("nameservers/host/id", "NS1.example.net")
                .await
                .expect("ns")
        ),
        want
    );
    assert!(ws("admin/email", "owner@example.com")
        .await
        .expect("admin")
        .is_empty());
    match ws("registrant/shoeSize", "42").await {
        Err(StoreError::InvalidQuery(m)) => assert!(m.contains("registrant/shoeSize"), "{m}"),
        other => panic!("expected InvalidQuery, got {other:?}"),
    }
    // search on a collection that has none
    let r = search(store, Scope::Hosts, Search::Text("x".into())).await;
    assert!(matches!(r, Err(StoreError::InvalidQuery(_))), "{r:?}");
}

/// `$skip`, `$top`, `more` and `total`.
pub async fn paging(store: &dyn Store) {
    let lines: Vec<String> = (1..=5)
        .map(|i| {
            format!(r#"{{"kind":"component","host":"www.example.com","name":"c{i}","time":"2024-01-0{i}T00:00:00Z"}}"#)
        })
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    apply(store, None, &refs).await;
    let scope = Scope::HostComponents {
        host: Some("www.example.com".into()),
    };
    let p = store
        .list(&ListQuery {
            scope: scope.clone(),
            search: None,
            top: 2,
            skip: 0,
            count: true,
            filter: None,
            orderby: None,
            cursor: None,
        })
        .await
        .expect("p1");
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.total, Some(5));
    assert!(p.more);
    assert_eq!(p.values()[0]["name"], "c5", "newest first");
    let p = store
        .list(&ListQuery {
            scope: scope.clone(),
            search: None,
            top: 2,
            skip: 4,
            count: false,
            filter: None,
            orderby: None,
            cursor: None,
        })
        .await
        .expect("p3");
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.values()[0]["name"], "c1");
    assert!(!p.more);
    assert_eq!(p.total, None);
    let p = store
        .list(&ListQuery {
            scope,
            search: None,
            top: 5,
            skip: 0,
            count: false,
            filter: None,
            orderby: None,
            cursor: None,
        })
        .await
        .expect("all");
    assert!(!p.more);
}
