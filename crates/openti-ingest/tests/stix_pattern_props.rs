//! Property tests of the STIX pattern parser: it never panics on arbitrary text, and every
//! pattern generated from the grammar parses, prints back, and parses to the same tree, with the
//! observables of its equality tests found.

use openti_ingest::stix::observables::observables;
use openti_ingest::stix::pattern::parse;
use proptest::prelude::*;

fn value() -> impl Strategy<Value = String> {
    // Includes quotes and backslashes, which must be escaped.
    "[a-z0-9.'\\\\ -]{1,16}".prop_map(|s| s)
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn path() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "domain-name:value",
        "ipv4-addr:value",
        "url:value",
        "file:hashes.'SHA-256'",
        "file:hashes.MD5",
        "email-addr:value",
        "network-traffic:dst_ref.value",
        "file:name",
        "process:arguments[*]",
        "x-custom-object:x_field[2].name",
    ])
}

fn test_expr() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            path(),
            prop::sample::select(vec!["=", "!=", "NOT ="]),
            value()
        )
            .prop_map(|(p, op, v)| format!("{p} {op} {}", quote(&v))),
        (path(), proptest::collection::vec(value(), 1..4)).prop_map(|(p, vs)| format!(
            "{p} IN ({})",
            vs.iter().map(|v| quote(v)).collect::<Vec<_>>().join(", ")
        )),
        (path(), -1000i64..1000).prop_map(|(p, n)| format!("{p} >= {n}")),
        (path(), value()).prop_map(|(p, v)| format!("{p} LIKE {}", quote(&v))),
        path().prop_map(|p| format!("EXISTS {p}")),
    ]
}

fn comparison() -> impl Strategy<Value = String> {
    test_expr().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} AND {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} OR {b}")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

fn observation() -> impl Strategy<Value = String> {
    let leaf = (
        comparison(),
        prop::sample::select(vec!["", " WITHIN 60 SECONDS", " REPEATS 3 TIMES"]),
    )
        .prop_map(|(c, q)| format!("[{c}]{q}"));
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} AND {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} OR {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} FOLLOWEDBY {b}")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn never_panics(s in "\\PC{0,120}") {
        let _ = parse(&s);
    }

    #[test]
    fn never_panics_on_pattern_like_noise(s in "[\\[\\]()':.=!<> a-zA-Z0-9_*-]{0,80}") {
        let _ = parse(&s);
    }

    #[test]
    fn generated_patterns_round_trip(p in observation()) {
        let tree = parse(&p).map_err(|e| TestCaseError::fail(format!("{p}: {e}")))?;
        let printed = tree.to_string();
        let again = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert_eq!(&again, &tree);
        let _ = observables(&tree);
    }

    #[test]
    fn equality_values_are_observables(v in "[a-z]{1,10}\\.example\\.test") {
        let tree = parse(&format!("[domain-name:value = '{v}']")).unwrap();
        let obs = observables(&tree);
        prop_assert_eq!(obs.len(), 1);
        prop_assert_eq!(&obs[0].value, &v);
    }
}
