//! Property tests of the IoC extractor: it never panics, refanging is idempotent, and every
//! defanged form of a generated indicator embedded in prose is found again.

use openti_analyze::ioc::{extract, refang, IocKind};
use proptest::prelude::*;

fn label() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{1,10}".prop_map(|s| s)
}

fn domain() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(label(), 1..4),
        prop::sample::select(vec![
            "com", "net", "org", "io", "top", "xyz", "ru", "de", "co.uk",
        ]),
    )
        .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
        .prop_filter("not an allow-listed site", |d| {
            !openti_analyze::ioc::Allowlist::default().is_benign_domain(d)
        })
        // generated names can hit private public suffixes such as `za.com`, which are not
        // registrable domains and are rightly not extracted
        .prop_filter("registrable under the Public Suffix List", |d| {
            openti_model::normalize::registered_domain(d).is_some()
        })
}

fn public_ipv4() -> impl Strategy<Value = String> {
    (1u8..=223, any::<u8>(), any::<u8>(), 1u8..=254)
        .prop_filter("public", |(a, b, _, _)| {
            !(matches!((a, b), (10, _) | (127, _) | (169, 254) | (192, 168))
                || (*a == 172 && (16..32).contains(b))
                || (*a == 100 && (64..128).contains(b)))
        })
        .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"))
        .prop_filter("not a listed resolver", |ip| {
            !openti_analyze::ioc::BENIGN_IPS.contains(&ip.as_str())
        })
}

fn defang_dots(s: &str, style: usize) -> String {
    let rep = ["[.]", "(.)", "{.}", "[dot]", "(dot)", "."][style % 6];
    s.replace('.', rep)
}

fn prose() -> impl Strategy<Value = String> {
    "[A-Za-z ,;]{0,30}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        let _ = extract(&s);
    }

    #[test]
    fn never_panics_on_indicator_like_noise(s in "[0-9a-fA-F:.\\[\\]()@/hxtps -]{0,120}") {
        let _ = extract(&s);
    }

    #[test]
    fn refang_keeps_plain_text(s in "[a-z0-9 .,:/@-]{0,120}") {
        prop_assert_eq!(refang(&s), s.clone());
    }

    #[test]
    fn defanged_domains_are_found(d in domain(), style in 0usize..6, pre in prose(), post in prose()) {
        let text = format!("{pre} {} {post}", defang_dots(&d, style));
        let got = extract(&text);
        prop_assert!(got.iter().any(|i| i.kind == IocKind::Hostname && i.value == d), "{} -> {:?}", text, got);
    }

    #[test]
    fn defanged_ips_and_urls_are_found(ip in public_ipv4(), d in domain(), style in 0usize..6, path in "[a-z0-9]{0,8}") {
        let text = format!("C2 {} and hxxps[://]{}/{path} seen", defang_dots(&ip, style), defang_dots(&d, style));
        let got = extract(&text);
        prop_assert!(got.iter().any(|i| i.kind == IocKind::Ip && i.value == ip), "{} -> {:?}", text, got);
        let url = format!("https://{d}/{path}");
        prop_assert!(got.iter().any(|i| i.kind == IocKind::Url && i.value == url), "{} -> {:?}", text, got);
    }
}
