//! The generator through its binary: deterministic, valid observations, COF fields.

use std::process::Command;

use openti_model::Observation;

fn gen(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_openti-bench"))
        .arg("gen")
        .args(args)
        .output()
        .expect("run openti-bench gen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = gen(&["--rows", "3000", "--seed", "7"]);
    assert_eq!(a, gen(&["--rows", "3000", "--seed", "7"]));
    assert_ne!(a, gen(&["--rows", "3000", "--seed", "8"]));
}

#[test]
fn every_line_is_a_valid_observation_under_reserved_names() {
    let text = gen(&["--rows", "5000"]);
    let mut kinds = std::collections::BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let o: Observation =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", i + 1));
        let o = o
            .normalize()
            .unwrap_or_else(|e| panic!("line {}: {e}: {line}", i + 1));
        let v = serde_json::to_value(&o).unwrap();
        kinds.insert(v["kind"].as_str().unwrap().to_string());
        let fields: &[&str] = match v["kind"].as_str().unwrap() {
            "dns" => &["name"],
            "host_pair" => &["parent", "child"],
            "whois" => &["domain"],
            "ip" => &["ip"],
            "cookie" => &["host", "domain"],
            _ => &["host"],
        };
        for field in fields {
            if let Some(h) = v[*field].as_str() {
                let ok = h.is_empty()
                    || h.ends_with(".test")
                    || h.ends_with(".example")
                    || ["example.com", "example.net", "example.org"]
                        .iter()
                        .any(|d| h == *d || h.ends_with(&format!(".{d}")))
                    || h.starts_with("198.18.")
                    || h.starts_with("198.19.")
                    || h.starts_with("192.0.2.")
                    || h.starts_with("198.51.100.")
                    || h.starts_with("203.0.113.")
                    || h.starts_with("2001:db8:");
                assert!(ok, "line {}: {field} {h} is not reserved", i + 1);
            }
        }
    }
    for k in [
        "dns",
        "component",
        "tracker",
        "cookie",
        "host_pair",
        "certificate",
        "port",
        "whois",
        "ip",
        "article",
        "intel_profile",
        "vulnerability",
    ] {
        assert!(kinds.contains(k), "no {k} generated: {kinds:?}");
    }
}

#[test]
fn cof_has_the_standard_fields() {
    let text = gen(&["--rows", "2000", "--format", "cof"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 2000);
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for f in [
            "rrname",
            "rrtype",
            "rdata",
            "time_first",
            "time_last",
            "count",
            "bailiwick",
            "sensor_id",
        ] {
            assert!(!v[f].is_null(), "{f} missing in {line}");
        }
        assert!(v["time_first"].as_i64() <= v["time_last"].as_i64());
        assert!(v["rrname"].as_str().unwrap().ends_with('.'));
    }
}
