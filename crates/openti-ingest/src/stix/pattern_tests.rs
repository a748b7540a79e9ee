use super::*;
use crate::stix::observables::observables;

fn obs(p: &str) -> Vec<(String, String)> {
    observables(&parse(p).unwrap())
        .into_iter()
        .map(|r| (r.kind, r.value))
        .collect()
}

#[test]
fn spec_examples_parse() {
    for p in [
        "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
        "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
        "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
        "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
        "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
        "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar'] WITHIN 300 SECONDS",
        "([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']",
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
        "[file:size > 1024 AND file:created >= t'2016-01-01T00:00:00Z'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
        "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=' AND file:x = h'ff00']",
        "[ipv4-addr:value NOT IN ('10.0.0.1', '10.0.0.2') AND EXISTS file:name AND file:size != 3 AND file:v < -1.5]",
    ] {
        let e = parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        // Printing and parsing again gives the same tree.
        assert_eq!(parse(&e.to_string()).unwrap(), e, "{p}");
    }
}

#[test]
fn observables_from_patterns() {
    assert_eq!(
        obs("[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.0/24' OR ipv6-addr:value = '2001:db8::1']"),
        vec![
            ("ip".into(), "198.51.100.1".into()),
            ("cidr".into(), "203.0.113.0/24".into()),
            ("ip".into(), "2001:db8::1".into())
        ]
    );
    assert_eq!(
        obs("[file:hashes.'SHA-256' = 'AEC0' AND file:hashes.MD5 = 'ab'] OR [email-addr:value = 'A@B.test']"),
        vec![
            ("sha256".into(), "aec0".into()),
            ("md5".into(), "ab".into()),
            ("email".into(), "a@b.test".into())
        ]
    );
    assert_eq!(
        obs("[domain-name:value IN ('a.test', 'b.test') AND url:value != 'http://x.test/' AND NOT_A:v = 'x']"),
        vec![("hostname".into(), "a.test".into()), ("hostname".into(), "b.test".into())]
    );
    assert_eq!(
        obs("[network-traffic:dst_ref.value = 'c2.example.test' AND network-traffic:src_ref.value = '192.0.2.1']"),
        vec![("hostname".into(), "c2.example.test".into()), ("ip".into(), "192.0.2.1".into())]
    );
    assert!(obs("[domain-name:value NOT = 'a.test']").is_empty());
}

#[test]
fn errors_have_offsets() {
    for (p, off) in [
        ("[domain-name:value = 'a.test'", 29),
        ("domain-name:value = 'x'", 0),
        ("[domain-name:value == 'x']", 20),
        ("[domain-name:value = 'x] ", 21),
        ("[file:name LIKE 3]", 16),
        ("[a:b = 'x'] WITHIN SECONDS", 19),
        ("[a:b = 'x'] extra", 12),
        ("[a = 'x']", 3),
    ] {
        let e = parse(p).unwrap_err();
        assert_eq!(e.offset, off, "{p}: {e}");
    }
}
