//! `openti scan` against services started on loopback, checked through the Graph API; then
//! Debian's nmap (`-sV -oX`) on the same services, imported with `openti import nmap`, must
//! give the same ports and comparable services. Only 127.0.0.1 is contacted.

mod common;
mod loopback;

use std::collections::BTreeMap;
use std::process::Command;

use common::*;
use serde_json::Value;
use sha1::{Digest, Sha1};

/// port → (scan protocols, services as "name version") from `/hosts/127.0.0.1/ports`.
fn ports_of(server: &Server) -> BTreeMap<u64, (Vec<String>, Vec<String>, Value)> {
    let v = server.graph("hosts/127.0.0.1/ports?$top=100").ok();
    let mut out = BTreeMap::new();
    for p in v["value"].as_array().unwrap() {
        let protos = p["banners"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["scanProtocol"].as_str().map(str::to_string))
            .collect();
        let services = p["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let c = &s["component"];
                format!(
                    "{} {}",
                    c["name"].as_str().unwrap_or(""),
                    c["version"].as_str().unwrap_or("")
                )
                .trim()
                .to_string()
            })
            .collect();
        out.insert(p["port"].as_u64().unwrap(), (protos, services, p.clone()));
    }
    out
}

#[test]
fn scan_finds_ports_banners_services_and_certificates() {
    let http = loopback::http();
    let ssh = loopback::ssh();
    let smtp = loopback::smtp();
    let (tls, der) = loopback::tls();
    let redis = loopback::redis();
    loopback::require("redis-server", redis.is_some());
    // A port with nothing listening: bind, note, close.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut ports = vec![http, ssh, smtp, tls, closed];
    if let Some((r, _)) = &redis {
        ports.push(r.port);
    }
    let list = ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scan.db");
    let dbs = db.to_str().unwrap();

    // The safety policy refuses loopback unless allowed.
    let refused = openti(&["scan", "127.0.0.1", "--ports", &list, "--database", dbs]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("loopback") && refused.stderr.contains("--allow-net"),
        "{}",
        refused.stderr
    );

    let out = openti(&[
        "scan",
        "127.0.0.1",
        "--ports",
        &list,
        "--allow-net",
        "127.0.0.0/8",
        "--all-states",
        "--rate",
        "50",
        "--read-timeout-ms",
        "1500",
        "--database",
        dbs,
    ]);
    assert_eq!(out.code, 0, "scan failed: {}", out.stderr);

    let server = Server::start(
        &["--database", dbs],
        token(&db, "ThreatIntelligence.Read.All"),
    );
    let found = ports_of(&server);
    let (protos, services, p) = &found[&u64::from(http)];
    assert_eq!(protos, &vec!["http".to_string()]);
    assert!(
        services.contains(&"nginx 1.22.1".to_string()),
        "{services:?}"
    );
    assert_eq!(p["status"], "open");
    assert!(p["banners"][0]["banner"]
        .as_str()
        .unwrap()
        .starts_with("HTTP/1.1 200 OK"));
    assert!(p["lastScanDateTime"].is_string());
    assert_eq!(p["timesObserved"], 1);

    let (protos, services, p) = &found[&u64::from(ssh)];
    assert_eq!(protos, &vec!["ssh".to_string()]);
    assert!(
        services.contains(&"OpenSSH 9.2p1".to_string()),
        "{services:?}"
    );
    assert!(services.contains(&"Debian".to_string()), "{services:?}");
    assert_eq!(
        p["banners"][0]["banner"],
        "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
    );

    let (protos, services, _) = &found[&u64::from(smtp)];
    assert_eq!(protos, &vec!["smtp".to_string()]);
    assert!(services.contains(&"Postfix".to_string()), "{services:?}");

    let sha1 = hex(&Sha1::digest(&der));
    let (protos, services, p) = &found[&u64::from(tls)];
    assert_eq!(protos, &vec!["https".to_string()]);
    assert!(
        services.contains(&"nginx 1.22.1".to_string()),
        "{services:?}"
    );
    let cert_ref = &p["mostRecentSslCertificate"];
    assert!(!cert_ref.is_null(), "TLS port has no certificate: {p}");
    let cert = server
        .graph(&format!("sslCertificates/{}", esc(&b64(&[&sha1]))))
        .ok();
    assert_eq!(cert["sha1"], sha1.as_str());
    let sans = cert["subject"]["alternateNames"].as_array().unwrap();
    assert!(sans.iter().any(|s| s == "tls.example.test"), "{cert}");
    assert!(
        cert["expirationDateTime"].is_string() && cert["issueDateTime"].is_string(),
        "{cert}"
    );
    assert!(cert["serialNumber"].is_string(), "{cert}");
    let hc = server.graph("hosts/127.0.0.1/sslCertificates").ok();
    assert_eq!(hc["value"].as_array().unwrap().len(), 1, "{hc}");

    if let Some((r, version)) = &redis {
        let (protos, services, _) = &found[&u64::from(r.port)];
        assert_eq!(protos, &vec!["redis".to_string()]);
        assert!(
            services.contains(&format!("Redis {version}")),
            "{services:?}"
        );
    }
    let (_, _, p) = &found[&u64::from(closed)];
    assert_eq!(p["status"], "closed");
    assert_eq!(found.len(), ports.len());

    // A second scan is a second observation of the same ports.
    let again = openti(&[
        "scan",
        "127.0.0.1",
        "--ports",
        &http.to_string(),
        "--allow-net",
        "127.0.0.1/32",
        "--database",
        dbs,
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(ports_of(&server)[&u64::from(http)].2["timesObserved"], 2);
    drop(server);

    // nmap -sV on the same services, imported, must agree on ports and protocols.
    let have_nmap = Command::new("nmap").arg("--version").output().is_ok();
    if !loopback::require("nmap", have_nmap) {
        return;
    }
    let xml = dir.path().join("nmap.xml");
    let open: Vec<u16> = ports.iter().copied().filter(|p| *p != closed).collect();
    let open_list = open
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let nmap = Command::new("nmap")
        .args([
            "-sV",
            "--version-light",
            "-sT",
            "-Pn",
            "-n",
            "--max-retries",
            "1",
            "--host-timeout",
            "180s",
            "--script",
            "ssl-cert,banner",
            "-p",
            &open_list,
            "-oX",
        ])
        .arg(&xml)
        .arg("127.0.0.1")
        .output()
        .expect("run nmap");
    assert!(
        nmap.status.success(),
        "nmap: {}",
        String::from_utf8_lossy(&nmap.stderr)
    );
    let db2 = dir.path().join("nmap.db");
    let db2s = db2.to_str().unwrap();
    let imp = openti(&[
        "import",
        "nmap",
        "--json",
        "--database",
        db2s,
        xml.to_str().unwrap(),
    ]);
    assert_eq!(imp.code, 0, "import: {}", imp.stderr);
    let server2 = Server::start(
        &["--database", db2s],
        token(&db2, "ThreatIntelligence.Read.All"),
    );
    let from_nmap = ports_of(&server2);
    let theirs: Vec<u64> = from_nmap.keys().copied().collect();
    let ours: Vec<u64> = open
        .iter()
        .map(|p| u64::from(*p))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(theirs, ours, "nmap found other ports");
    for (port, (protos, services, _)) in &from_nmap {
        let (our_protos, our_services, _) = &found[port];
        eprintln!(
            "port {port}: ours {our_protos:?} {our_services:?} / nmap {protos:?} {services:?}"
        );
        if our_protos == &vec!["https".to_string()] {
            // nmap names TLS services it cannot see into `ssl/…`: both saw TLS.
            assert!(
                protos.iter().all(|p| p == "https" || p.starts_with("ssl/")),
                "port {port}: {protos:?}"
            );
        } else {
            assert_eq!(protos, our_protos, "protocol on port {port}");
        }
    }
    let (_, svc, _) = &from_nmap[&u64::from(http)];
    assert!(
        svc.contains(&"nginx 1.22.1".to_string()),
        "same product and version: {svc:?}"
    );
    let (_, svc, _) = &from_nmap[&u64::from(ssh)];
    assert!(
        svc.iter().any(|s| s.starts_with("OpenSSH 9.2p1")),
        "{svc:?}"
    );
    let (_, svc, _) = &from_nmap[&u64::from(smtp)];
    assert!(svc.iter().any(|s| s.starts_with("Postfix")), "{svc:?}");
    if let Some((r, _)) = &redis {
        let (_, svc, _) = &from_nmap[&u64::from(r.port)];
        assert!(svc.iter().any(|s| s.contains("Redis")), "{svc:?}");
    }
    // nmap's ssl-cert script saw the same certificate.
    let (_, _, p) = &from_nmap[&u64::from(tls)];
    assert!(!p["mostRecentSslCertificate"].is_null(), "{p}");
    let cert = server2
        .graph(&format!("sslCertificates/{}", esc(&b64(&[&sha1]))))
        .ok();
    assert_eq!(cert["sha1"], sha1.as_str());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn import_masscan_json_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let json = dir.path().join("m.json");
    std::fs::write(
        &json,
        "[\n{   \"ip\": \"192.0.2.7\",   \"timestamp\": \"1700000000\", \"ports\": [ {\"port\": 443, \"proto\": \"tcp\", \"status\": \"open\", \"reason\": \"syn-ack\", \"ttl\": 64} ] }\n,\n{   \"ip\": \"192.0.2.7\",   \"timestamp\": \"1700000005\", \"ports\": [ {\"port\": 22, \"proto\": \"tcp\", \"service\": {\"name\": \"ssh\", \"banner\": \"SSH-2.0-OpenSSH_8.9p1\"} } ] }\n,\n{ \"nope\": 1 }\n]\n",
    )
    .unwrap();
    let list = dir.path().join("m.txt");
    std::fs::write(&list, "#masscan\nopen tcp 80 192.0.2.8 1700000000\nbanner tcp 80 192.0.2.8 1700000001 http HTTP/1.0 200 OK\n# end\n").unwrap();
    let out = openti(&[
        "import",
        "masscan",
        "--json",
        "--database",
        db.to_str().unwrap(),
        json.to_str().unwrap(),
        list.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2, "one bad object: {}", out.stderr);
    let s: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(
        (s["accepted"].as_u64(), s["rejected"].as_u64()),
        (Some(4), Some(1)),
        "{s}"
    );
    assert!(out.stderr.contains("m.json:6"), "{}", out.stderr);
    let server = Server::start(
        &["--database", db.to_str().unwrap()],
        token(&db, "ThreatIntelligence.Read.All"),
    );
    let v = server.graph("hosts/192.0.2.7/ports").ok();
    assert_eq!(v["value"].as_array().unwrap().len(), 2, "{v}");
    let v = server.graph("hosts/192.0.2.8/ports").ok();
    let p = &v["value"][0];
    assert_eq!(
        (p["port"].as_u64(), p["timesObserved"].as_u64()),
        (Some(80), Some(2)),
        "{p}"
    );
    assert_eq!(p["banners"][0]["scanProtocol"], "http");
    // Importing the same file again stores nothing new.
    let again = openti(&[
        "import",
        "masscan",
        "--json",
        "--database",
        db.to_str().unwrap(),
        list.to_str().unwrap(),
    ]);
    let s: Value = serde_json::from_str(again.stdout.trim()).unwrap();
    assert_eq!(s["skipped"].as_u64(), Some(2), "{s}");
}
