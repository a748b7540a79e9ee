//! End to end with a real resolver: Debian's unbound serves a local test zone on loopback (no
//! recursion: every other name is refused), logs client responses over dnstap to
//! `openti collect dnstap` on a Unix socket, `dig` sends real queries over UDP and TCP, and the
//! resolutions, reverse resolutions and subdomains are then read back through the Graph API.
//! While the queries run, tcpdump records the loopback traffic and `openti import pcap` must
//! find the same facts in that capture. Only 127.0.0.1 is ever contacted.
//!
//! unbound, dig and tcpdump are installed by `scripts/test`. Without unbound the test is skipped
//! with a message, except under CI (`CI` set), where it fails.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const READ: &str = "ThreatIntelligence.Read.All";

fn find_tool(name: &str) -> Option<PathBuf> {
    for dir in [
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
    ] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return Some(p);
        }
    }
    None
}

fn free_port() -> u16 {
    // a port free for both UDP and TCP on 127.0.0.1
    for _ in 0..50 {
        let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = u.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port");
}

fn signal(child: &Child, sig: &str) {
    let _ = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status();
}

struct Guard(Vec<Child>);
impl Drop for Guard {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn unbound_conf(dir: &Path, port: u16, sock: &Path) -> String {
    format!(
        r#"server:
    verbosity: 1
    interface: 127.0.0.1
    port: {port}
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    username: ""
    chroot: ""
    directory: "{dir}"
    pidfile: "{dir}/unbound.pid"
    logfile: "{dir}/unbound.log"
    use-syslog: no
    do-daemonize: no
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    module-config: "iterator"
    # nothing outside the test zones is ever resolved: no recursion to the Internet
    local-zone: "." refuse
    local-zone: "e2e.test." static
    local-data: "e2e.test. 300 IN A 192.0.2.10"
    local-data: "e2e.test. 300 IN MX 10 mail.e2e.test."
    local-data: "e2e.test. 300 IN TXT \"v=spf1 -all\""
    local-data: "www.e2e.test. 300 IN A 192.0.2.10"
    local-data: "api.e2e.test. 300 IN A 192.0.2.11"
    local-data: "api.e2e.test. 300 IN AAAA 2001:db8::11"
    local-data: "mail.e2e.test. 300 IN A 192.0.2.25"
    local-data: "cdn.e2e.test. 300 IN CNAME www.e2e.test."
    local-zone: "2.0.192.in-addr.arpa." static
    local-data-ptr: "192.0.2.10 www.e2e.test."
    local-data-ptr: "192.0.2.11 api.e2e.test."

remote-control:
    control-enable: no

dnstap:
    dnstap-enable: yes
    dnstap-bidirectional: yes
    dnstap-socket-path: "{sock}"
    dnstap-send-identity: yes
    dnstap-identity: "unbound-e2e"
    dnstap-log-client-query-messages: yes
    dnstap-log-client-response-messages: yes
"#,
        dir = dir.display(),
        sock = sock.display()
    )
}

fn dig(dig: &Path, port: u16, args: &[&str]) -> String {
    let out = Command::new(dig)
        .args(["@127.0.0.1", "-p", &port.to_string(), "+tries=2", "+time=3"])
        .args(args)
        .output()
        .expect("run dig");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn artifacts(s: &Server, rel: &str) -> BTreeSet<String> {
    s.graph(rel).ok()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{} {}",
                x["recordType"].as_str().unwrap_or(""),
                x["artifact"]["id"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn unbound_dnstap_to_graph() {
    let (Some(unbound), Some(dig_bin)) = (find_tool("unbound"), find_tool("dig")) else {
        if std::env::var_os("CI").is_some() {
            panic!("unbound and dig are required under CI (scripts/test installs them)");
        }
        eprintln!("SKIP unbound_dnstap_to_graph: unbound or dig is not installed (apt-get install unbound dnsutils)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pdns.db");
    let sock = dir.path().join("dnstap.sock");
    let port = free_port();
    let mut guard = Guard(Vec::new());

    // 1. the collector
    let mut collector = Command::new(bin())
        .args([
            "collect",
            "dnstap",
            "--json",
            "--window",
            "1",
            "--sensor",
            "unbound-e2e",
        ])
        .args(["--listen", &format!("unix:{}", sock.display())])
        .args(["--database", &db_spec(db.to_str().unwrap())])
        .env("OPENTI_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn collector");
    let stderr = collector.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    guard.0.push(collector);
    let ready = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("collector output");
    assert!(ready.contains("listening on unix:"), "{ready}");

    // 2. tcpdump on loopback (optional outside CI)
    let cap = dir.path().join("lo.pcap");
    let tcpdump = find_tool("tcpdump").and_then(|t| {
        Command::new(t)
            .args(["-i", "lo", "-U", "-n", "-w", cap.to_str().unwrap()])
            .args([&format!("port {port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()
    });
    let capturing = tcpdump.is_some();
    if let Some(t) = tcpdump {
        guard.0.push(t);
        std::thread::sleep(Duration::from_millis(1000));
    } else if std::env::var_os("CI").is_some() {
        panic!("tcpdump is required under CI (scripts/test installs it)");
    }

    // 3. unbound on loopback, dnstap to the collector
    let conf = dir.path().join("unbound.conf");
    std::fs::write(&conf, unbound_conf(dir.path(), port, &sock)).unwrap();
    let ub = Command::new(&unbound)
        .args(["-d", "-c", conf.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn unbound");
    guard.0.push(ub);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dig(&dig_bin, port, &["+short", "www.e2e.test", "A"]).contains("192.0.2.10") {
        let log = std::fs::read_to_string(dir.path().join("unbound.log")).unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "unbound did not answer; log:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // 4. real queries
    for _ in 0..3 {
        assert!(dig(&dig_bin, port, &["+short", "www.e2e.test", "A"]).contains("192.0.2.10"));
    }
    assert!(dig(&dig_bin, port, &["+short", "api.e2e.test", "AAAA"]).contains("2001:db8::11"));
    assert!(dig(&dig_bin, port, &["+short", "+tcp", "api.e2e.test", "A"]).contains("192.0.2.11"));
    assert!(dig(&dig_bin, port, &["+short", "e2e.test", "A"]).contains("192.0.2.10"));
    assert!(dig(&dig_bin, port, &["+short", "e2e.test", "MX"]).contains("mail.e2e.test."));
    assert!(dig(&dig_bin, port, &["+short", "e2e.test", "TXT"]).contains("v=spf1"));
    assert!(dig(&dig_bin, port, &["+short", "mail.e2e.test", "A"]).contains("192.0.2.25"));
    assert!(dig(&dig_bin, port, &["+short", "cdn.e2e.test", "A"]).contains("www.e2e.test."));
    assert!(dig(&dig_bin, port, &["+short", "-x", "192.0.2.10"]).contains("www.e2e.test."));
    assert!(dig(&dig_bin, port, &["+short", "+tcp", "-x", "192.0.2.11"]).contains("api.e2e.test."));
    assert!(dig(&dig_bin, port, &["nope.e2e.test", "A"]).contains("NXDOMAIN"));
    // anything else is refused, not resolved
    assert!(dig(&dig_bin, port, &["example.com", "A"]).contains("REFUSED"));

    // 5. stop unbound (it sends STOP, we answer FINISH), then the collector (final flush)
    std::thread::sleep(Duration::from_millis(1500));
    let mut ub = guard.0.pop().unwrap();
    signal(&ub, "-TERM");
    let _ = ub.wait();
    if capturing {
        let mut t = guard.0.pop().unwrap();
        signal(&t, "-TERM");
        let _ = t.wait();
    }
    let mut collector = guard.0.pop().unwrap();
    signal(&collector, "-TERM");
    let status = collector.wait().unwrap();
    assert!(status.success(), "collector exit: {status:?}");
    let mut out = String::new();
    std::io::Read::read_to_string(collector.stdout.as_mut().unwrap(), &mut out).unwrap();
    let stats: serde_json::Value = serde_json::from_str(out.trim()).expect("collector JSON");
    assert!(stats["connections"].as_u64().unwrap() >= 1, "{stats}");
    assert_eq!(stats["connection_errors"], 0, "{stats}");
    assert!(stats["noerror"].as_u64().unwrap() >= 12, "{stats}");

    // 6. the Graph API
    let t = token(&db, READ);
    let s = Server::start(&["--database", db.to_str().unwrap()], t);
    let www = artifacts(&s, "hosts/www.e2e.test/passiveDns");
    assert_eq!(www, BTreeSet::from(["A 192.0.2.10".to_string()]), "{www:?}");
    let api = artifacts(&s, "hosts/api.e2e.test/passiveDns");
    assert!(
        api.contains("A 192.0.2.11") && api.contains("AAAA 2001:db8::11"),
        "{api:?}"
    );
    let apex = artifacts(&s, "hosts/e2e.test/passiveDns");
    assert!(
        apex.contains("MX mail.e2e.test") && apex.contains("A 192.0.2.10"),
        "{apex:?}"
    );
    assert!(apex.iter().any(|x| x.starts_with("TXT ")), "{apex:?}");
    assert!(artifacts(&s, "hosts/cdn.e2e.test/passiveDns").contains("CNAME www.e2e.test"));
    // reverse resolutions: PTR answers stored under the IP, and names pointing at the IP
    let ptr = artifacts(&s, "hosts/192.0.2.10/passiveDns");
    assert!(ptr.contains("PTR www.e2e.test"), "{ptr:?}");
    assert!(artifacts(&s, "hosts/192.0.2.11/passiveDns").contains("PTR api.e2e.test"));
    let rev = artifacts(&s, "hosts/192.0.2.10/passiveDnsReverse");
    assert!(
        rev.contains("A www.e2e.test") && rev.contains("A e2e.test"),
        "{rev:?}"
    );
    // subdomains of the registered domain
    let subs: BTreeSet<String> = s.graph("hosts/e2e.test/subdomains").ok()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["host"]["id"].as_str().unwrap().to_string())
        .collect();
    for want in [
        "www.e2e.test",
        "api.e2e.test",
        "mail.e2e.test",
        "cdn.e2e.test",
    ] {
        assert!(subs.contains(want), "{want} missing from {subs:?}");
    }
    // NXDOMAIN and refused names are not facts
    assert!(
        s.graph("hosts/nope.e2e.test/passiveDns").status != 200
            || artifacts(&s, "hosts/nope.e2e.test/passiveDns").is_empty()
    );
    assert!(
        s.graph("hosts/example.com/passiveDns").status != 200
            || artifacts(&s, "hosts/example.com/passiveDns").is_empty()
    );
    // COF export over REST and the CLI carry the counts
    let cof = s.get("/openti/v1/hosts/www.e2e.test/passiveDns/cof");
    assert_eq!(cof.status, 200, "{}", cof.text);
    let line: serde_json::Value = serde_json::from_str(cof.text.lines().next().unwrap()).unwrap();
    assert_eq!(line["rrname"], "www.e2e.test.");
    assert_eq!(line["rdata"], "192.0.2.10");
    assert!(line["count"].as_u64().unwrap() >= 4, "{line}");
    assert_eq!(
        line["sensor_id"], "unbound-e2e",
        "the collector's sensor is kept: {line}"
    );
    let out = openti(&[
        "export",
        "cof",
        "--host",
        "e2e.test",
        "--database",
        db.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(r#""rrtype":"MX""#) && out.stdout.contains("mail.e2e.test."));
    drop(s);

    // 7. the loopback capture of the same traffic, imported as pcap
    if capturing {
        let db2 = dir.path().join("pcap.db");
        let out = openti(&[
            "import",
            "pcap",
            "--json",
            "--database",
            db2.to_str().unwrap(),
            "--dns-port",
            &port.to_string(),
            cap.to_str().unwrap(),
        ]);
        assert!(out.code == 0 || out.code == 2, "{}", out.stderr);
        let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
        let f = &v["files"][0];
        assert!(f["dns"]["noerror"].as_u64().unwrap() >= 12, "{v}");
        assert!(f["pcap"]["tcp"]["messages"].as_u64().unwrap() >= 2, "{v}");
        let out = openti(&[
            "export",
            "cof",
            "--host",
            "www.e2e.test",
            "--database",
            db2.to_str().unwrap(),
        ]);
        assert!(out.stdout.contains("192.0.2.10"), "{}", out.stdout);
        let out = openti(&[
            "export",
            "cof",
            "--host",
            "192.0.2.11",
            "--database",
            db2.to_str().unwrap(),
        ]);
        assert!(out.stdout.contains(r#""rrtype":"PTR""#), "{}", out.stdout);
    }
}
