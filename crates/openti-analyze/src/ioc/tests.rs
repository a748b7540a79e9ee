use super::*;

fn kinds(text: &str) -> Vec<(&'static str, String)> {
    extract(text)
        .into_iter()
        .map(|i| (i.kind.as_str(), i.value))
        .collect()
}

#[test]
fn defanged_forms() {
    let t = "C2 at hxxps://evil-cdn[.]example[.]test/gate.php and 203.0.113[.]7, \
             backup update(dot)badhost(dot)top, mail admin[@]phish-login[.]xyz, \
             hxxp[:]//198.51.100.23[:]8080/x";
    let got = kinds(t);
    assert!(
        got.contains(&("url", "https://evil-cdn.example.test/gate.php".into())),
        "{got:?}"
    );
    assert!(got.contains(&("hostname", "evil-cdn.example.test".into())));
    assert!(got.contains(&("ip", "203.0.113.7".into())));
    assert!(got.contains(&("hostname", "update.badhost.top".into())));
    assert!(got.contains(&("email", "admin@phish-login.xyz".into())));
    assert!(got.contains(&("url", "http://198.51.100.23:8080/x".into())));
}

#[test]
fn hashes_cves_and_ipv6() {
    let t = "Dropper 44d88612fea8a8f36de82e1278abb02f (MD5), SHA-1 3395856ce81f2b7382dee72602f798b642f14140, \
             SHA-256 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f exploits cve-2021-44228; \
             beacon to 2001:db8:85a3::8a2e:370:7334 and [2001:db8::1]:443";
    let got = kinds(t);
    assert!(got.contains(&("md5", "44d88612fea8a8f36de82e1278abb02f".into())));
    assert!(got.contains(&("sha1", "3395856ce81f2b7382dee72602f798b642f14140".into())));
    assert!(got.iter().any(|(k, _)| *k == "sha256"));
    assert!(got.contains(&("cve", "CVE-2021-44228".into())));
    assert!(
        got.contains(&("ip", "2001:db8:85a3::8a2e:370:7334".into())),
        "{got:?}"
    );
    assert!(got.contains(&("ip", "2001:db8::1".into())), "{got:?}");
}

#[test]
fn benign_and_non_hosts_are_suppressed() {
    let t =
        "See https://attack.mitre.org/groups/G0007/ and www.microsoft.com, the file report.pdf, \
             version 1.2.3.4.5, resolver 8.8.8.8, LAN 192.168.1.10, localhost 127.0.0.1, \
             e.g. and i.e. and foo.bar.notatld, file invoice.zip, module os.path";
    let got = kinds(t);
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn order_and_dedup() {
    let got = kinds("b.example.test a.example.test b.example.test");
    assert_eq!(
        got,
        vec![
            ("hostname", "b.example.test".to_string()),
            ("hostname", "a.example.test".to_string())
        ]
    );
}

#[test]
fn allowlist_and_warninglists() {
    let mut a = Allowlist::empty();
    assert_eq!(
        a.add_misp_warninglist(&serde_json::json!({"list": ["bad.example.test", "203.0.113.9/32", "10.0.0.0/8"], "type": "string"})),
        2
    );
    let got = extract_with(
        "bad.example.test sub.bad.example.test 203.0.113.9 203.0.113.10",
        &a,
    );
    let values: Vec<String> = got.into_iter().map(|i| i.value).collect();
    assert_eq!(values, vec!["203.0.113.10"]);
}

#[test]
fn url_hosts() {
    assert_eq!(
        url_host("http://u:p@Host.Example:80/x").as_deref(),
        Some("host.example")
    );
    assert_eq!(
        url_host("https://[2001:db8::1]:443/").as_deref(),
        Some("2001:db8::1")
    );
    assert_eq!(url_host("nope"), None);
}
