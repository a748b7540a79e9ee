//! End-to-end crawl tests: the real `openti crawl` against web sites served on loopback by
//! the test (HTTP and HTTPS with a test CA), then the facts through the Graph API; the network
//! safety policy (loopback targets and redirects into them refused without `--allow-net`);
//! and `openti import warc` of the real Common Crawl excerpt of npm `warc@1.0.1`.

mod common;
mod crawl_support;

use std::path::PathBuf;

use common::{b64, esc, openti, repo, token, Server};
use crawl_support::Sites;
use sha1::{Digest, Sha1};

fn fingerprints() -> String {
    repo()
        .join("crates/openti/tests/fixtures/fingerprints")
        .display()
        .to_string()
}

fn resolve_args(names: &[&str], ip: &str) -> Vec<String> {
    names
        .iter()
        .flat_map(|n| ["--resolve".to_string(), format!("{n}:{ip}")])
        .collect()
}

#[test]
fn crawl_finds_pairs_cookies_trackers_components_certificates() {
    let sites = Sites::start("127.0.0.1".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crawl.db");
    let db_s = db.to_str().unwrap().to_string();
    let start = format!("http://start.test:{}/", sites.http);
    let mut args: Vec<String> = vec![
        "crawl".into(),
        "--database".into(),
        db_s.clone(),
        "--allow-net".into(),
        "127.0.0.0/8".into(),
        "--fingerprints".into(),
        fingerprints(),
        "--rate".into(),
        "50".into(),
        "--depth".into(),
        "1".into(),
        "--json".into(),
    ];
    args.extend(resolve_args(
        &[
            "start.test",
            "shop.test",
            "cdn.test",
            "frame.test",
            "style.test",
            "fonts.test",
        ],
        "127.0.0.1",
    ));
    args.push(start);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = openti(&argv);
    assert_eq!(out.code, 0, "crawl failed: {}\n{}", out.stderr, out.stdout);
    let summary: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("summary JSON");
    assert!(
        summary["ingest"]["accepted"].as_u64().unwrap() > 20,
        "{summary}"
    );
    let hits = sites.hits();
    assert!(
        hits.contains(&"shop.test /robots.txt".to_string()),
        "{hits:?}"
    );
    assert!(
        !hits.iter().any(|h| h.contains("/private")),
        "robots.txt ignored: {hits:?}"
    );
    assert!(
        hits.contains(&"cdn.test /css/site.css".to_string()),
        "{hits:?}"
    );
    assert!(
        hits.contains(&"frame.test /".to_string()),
        "frame followed: {hits:?}"
    );

    let s = Server::start(
        &["--database", &db_s],
        token(&db, "ThreatIntelligence.Read.All"),
    );
    // host pairs, with Defender TI's causes
    for (kind, parent, child) in [
        ("redirect", "start.test", "shop.test"),
        ("finalRedirect", "start.test", "shop.test"),
        ("link.href", "shop.test", "cdn.test"),
        ("script.src", "shop.test", "cdn.test"),
        ("script.src", "shop.test", "www.googletagmanager.test"),
        ("css.import", "shop.test", "style.test"),
        ("css.import", "cdn.test", "fonts.test"),
        ("img.src", "shop.test", "img.test"),
        ("a.href", "shop.test", "blog.test"),
        ("parentPage", "shop.test", "frame.test"),
    ] {
        let id = b64(&[kind, parent, child]);
        let p = s.graph(&format!("hostPairs/{}", esc(&id)));
        assert_eq!(
            p.status, 200,
            "missing pair {kind} {parent} -> {child}: {}",
            p.text
        );
        assert_eq!(p.json()["linkKind"], kind);
    }
    // cookies
    for (host, name, domain) in [
        ("shop.test", "sid", "shop.test"),
        ("frame.test", "fr", "frame.test"),
        ("start.test", "visit", "start.test"),
    ] {
        let c = s.graph(&format!("hostCookies/{}", esc(&b64(&[domain, name, host]))));
        assert_eq!(c.status, 200, "missing cookie {name} on {host}: {}", c.text);
        assert_eq!(c.json()["domain"], domain);
    }
    // trackers
    for (host, kind, value) in [
        ("shop.test", "GoogleAnalyticsID", "UA-7654321-3"),
        ("shop.test", "GoogleAnalyticsTrackingId", "G-TEST12345"),
        ("shop.test", "FacebookId", "998877665544332"),
        ("frame.test", "HotjarId", "3456789"),
    ] {
        let t = s.graph(&format!("hostTrackers/{}", esc(&b64(&[value, kind, host]))));
        assert_eq!(
            t.status, 200,
            "missing tracker {kind}={value} on {host}: {}",
            t.text
        );
    }
    let trackers = s.graph("hosts/shop.test/trackers").ok();
    let jarm = trackers["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "JarmHash")
        .unwrap_or_else(|| panic!("no JarmHash: {trackers}"));
    assert_eq!(jarm["value"].as_str().unwrap().len(), 62);
    // components (Wappalyzer-format fingerprints, including a dom rule and an implied one)
    for (host, name, version, category) in [
        ("shop.test", "WordPress", "6.4.2", "CMS"),
        ("shop.test", "jQuery", "3.6.0", "JavaScript libraries"),
        ("shop.test", "Nginx", "1.24.0", "Web servers"),
        ("shop.test", "PHP", "8.2.13", "Programming languages"),
        ("shop.test", "Test Widget", "2.1.0", "JavaScript frameworks"),
        ("frame.test", "Caddy", "", "Web servers"),
    ] {
        let c = s.graph(&format!(
            "hostComponents/{}",
            esc(&b64(&[name, version, category, host]))
        ));
        assert_eq!(
            c.status, 200,
            "missing component {name} {version} on {host}: {}",
            c.text
        );
    }
    // certificates: the leaf on host:port, the CA from the chain
    let leaf_sha1 = hex(&Sha1::digest(&sites.leaf_der));
    let ca_sha1 = hex(&Sha1::digest(&sites.ca_der));
    let hc = s.graph("hosts/shop.test/sslCertificates").ok();
    let one = hc["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["sslCertificate"]["sha1"] == leaf_sha1.as_str())
        .unwrap_or_else(|| panic!("leaf not on shop.test: {hc}"));
    assert_eq!(one["ports"][0]["port"], sites.https);
    assert_eq!(
        one["sslCertificate"]["issuer"]["commonName"],
        "OpenTI Test CA"
    );
    let alt = one["sslCertificate"]["subject"]["alternateNames"].to_string();
    assert!(alt.contains("cdn.test"), "{alt}");
    assert_eq!(
        s.graph(&format!("sslCertificates/{}", esc(&b64(&[&ca_sha1]))))
            .status,
        200
    );
    assert_eq!(
        s.graph("hosts/cdn.test/sslCertificates").ok()["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // DNS answers the crawler used
    let pdns = s.graph("hosts/shop.test/passiveDns").ok();
    assert_eq!(pdns["value"][0]["artifact"]["id"], "127.0.0.1", "{pdns}");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn policy_refuses_loopback_and_redirects_into_it() {
    let inner = Sites::start("127.0.0.1".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let db_s = db.to_str().unwrap();
    // a loopback literal without --allow-net
    let url = format!("http://127.0.0.1:{}/", inner.http);
    let out = openti(&["crawl", "--database", db_s, &url]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("refusing to contact 127.0.0.1 (loopback)"),
        "{}",
        out.stderr
    );
    // a name that resolves to loopback
    let url = format!("http://shop.test:{}/", inner.https);
    let out = openti(&[
        "crawl",
        "--database",
        db_s,
        "--resolve",
        "shop.test:127.0.0.1",
        &url,
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("refusing to contact 127.0.0.1"),
        "{}",
        out.stderr
    );
    assert!(
        inner.hits().is_empty(),
        "nothing may reach the server: {:?}",
        inner.hits()
    );
    // an allowed host (127.0.0.2 only) that redirects into refused loopback 127.0.0.1
    let outer = Sites::start("127.0.0.2".parse().unwrap());
    let url = format!("http://start.test:{}/", outer.http);
    let out = openti(&[
        "crawl",
        "--database",
        db_s,
        "--allow-net",
        "127.0.0.2/32",
        "--resolve",
        "start.test:127.0.0.2",
        "--resolve",
        "shop.test:127.0.0.1",
        "--no-jarm",
        &url,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("refusing to contact 127.0.0.1 (loopback)"),
        "{}",
        out.stderr
    );
    assert_eq!(
        outer
            .hits()
            .iter()
            .filter(|h| h.as_str() == "start.test /")
            .count(),
        1
    );
    assert!(
        inner.hits().is_empty(),
        "the redirect target was contacted: {:?}",
        inner.hits()
    );
}

#[test]
fn warc_excerpt_imports() {
    let cache = std::env::var_os("OPENTI_DATA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("data/cache"));
    let warc = cache.join(
        "warc-1.0.1/package/test/fixtures/CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc",
    );
    if !warc.is_file() {
        eprintln!("skipped: run scripts/fetch-data.sh --web first");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let db_s = db.to_str().unwrap();
    // plain, then the same records as gzip members (Common Crawl's .warc.gz layout)
    let gz = dir.path().join("excerpt.warc.gz");
    gzip_members(&warc, &gz);
    for file in [&warc, &gz] {
        let out = openti(&[
            "import",
            "warc",
            "--database",
            db_s,
            "--json",
            "--fingerprints",
            &fingerprints(),
            file.to_str().unwrap(),
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let s: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
        assert_eq!(s["rejected"], 0, "{s}");
        assert_eq!(s["read"], 4, "four response records: {s}");
        assert!(s["accepted"].as_u64().unwrap() > 0, "{s}");
    }
    let s = Server::start(
        &["--database", db_s],
        token(&db, "ThreatIntelligence.Read.All"),
    );
    let pairs = s.graph("hosts/0pointer.de/childHostPairs").ok();
    assert!(!pairs["value"].as_array().unwrap().is_empty(), "{pairs}");
}

/// Writes each WARC record of `src` as its own gzip member.
fn gzip_members(src: &std::path::Path, dst: &std::path::Path) {
    let data = std::fs::read(src).unwrap();
    let mut starts: Vec<usize> = Vec::new();
    let mut i = 0;
    while let Some(p) = data[i..].windows(9).position(|w| w == b"WARC/1.0\r") {
        starts.push(i + p);
        i += p + 9;
    }
    starts.push(data.len());
    let mut out = Vec::new();
    for w in starts.windows(2) {
        let mut child = std::process::Command::new("gzip")
            .arg("-c")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("gzip");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&data[w[0]..w[1]])
            .unwrap();
        out.extend(child.wait_with_output().unwrap().stdout);
    }
    std::fs::write(dst, out).unwrap();
}
