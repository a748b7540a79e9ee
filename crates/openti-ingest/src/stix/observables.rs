//! Observables named by a STIX pattern: the values an indicator's equality and `IN`
//! comparisons test, mapped onto OpenTI indicator types.
//!
//! | object path | indicator type |
//! |---|---|
//! | `domain-name:value` | `hostname` |
//! | `ipv4-addr:value`, `ipv6-addr:value` | `ip` (a CIDR wider than one address: `cidr`) |
//! | `url:value` | `url` |
//! | `file:hashes.MD5`, `'SHA-1'`, `'SHA-256'`, `'SHA-512'`, `SSDEEP`, … | `md5`, `sha1`, `sha256`, `sha512`, `ssdeep`, … |
//! | `email-addr:value`, `email-message:from_ref.value`, `…sender_ref.value` | `email` |
//! | `network-traffic:dst_ref.value`, `…src_ref.value` | `ip` or `hostname` by the value |
//!
//! Negated tests (`NOT`, `!=`), ordering, `LIKE`/`MATCHES` and other paths name no observable.
//! Every observable of the pattern is reported whether it sits under `AND`, `OR` or
//! `FOLLOWEDBY`: each one is evidence linked to the indicator's targets.

use openti_model::observation::IndicatorRef;

use super::pattern::{CompExpr, Literal, ObjectPath, ObsExpr, Op, PropTest, Step};

/// The observables of a parsed pattern, de-duplicated, in pattern order.
pub fn observables(e: &ObsExpr) -> Vec<IndicatorRef> {
    let mut out = Vec::new();
    walk_obs(e, &mut out);
    let mut seen = std::collections::HashSet::new();
    out.retain(|r: &IndicatorRef| seen.insert((r.kind.clone(), r.value.clone())));
    out
}

fn walk_obs(e: &ObsExpr, out: &mut Vec<IndicatorRef>) {
    match e {
        ObsExpr::Observation(c) => walk_comp(c, out),
        ObsExpr::And(a, b) | ObsExpr::Or(a, b) | ObsExpr::FollowedBy(a, b) => {
            walk_obs(a, out);
            walk_obs(b, out);
        }
        ObsExpr::Qualified(a, _) | ObsExpr::Group(a) => walk_obs(a, out),
    }
}

fn walk_comp(c: &CompExpr, out: &mut Vec<IndicatorRef>) {
    match c {
        CompExpr::And(a, b) | CompExpr::Or(a, b) => {
            walk_comp(a, out);
            walk_comp(b, out);
        }
        CompExpr::Group(a) => walk_comp(a, out),
        CompExpr::Test(PropTest::Compare {
            path,
            negated: false,
            op,
            value,
        }) => {
            let values: Vec<&str> = match (op, value) {
                (Op::Eq, Literal::Str(s)) => vec![s.as_str()],
                (Op::In, Literal::Set(items)) => items
                    .iter()
                    .filter_map(|l| match l {
                        Literal::Str(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect(),
                _ => vec![],
            };
            for v in values {
                if let Some(r) = classify(path, v) {
                    out.push(r);
                }
            }
        }
        CompExpr::Test(_) => {}
    }
}

fn keys(path: &ObjectPath) -> Vec<&str> {
    path.steps
        .iter()
        .filter_map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Index(_) => None,
        })
        .collect()
}

fn ip_or_cidr(v: &str) -> (&'static str, String) {
    match v.split_once('/') {
        Some((ip, "32")) | Some((ip, "128")) => ("ip", ip.to_string()),
        Some(_) => ("cidr", v.to_string()),
        None => ("ip", v.to_string()),
    }
}

fn hash_kind(name: &str) -> String {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    n
}

fn classify(path: &ObjectPath, value: &str) -> Option<IndicatorRef> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let k = keys(path);
    let (kind, value): (String, String) = match (path.object_type.as_str(), k.as_slice()) {
        ("domain-name", ["value"]) => ("hostname".into(), value.to_string()),
        ("ipv4-addr" | "ipv6-addr", ["value"]) => {
            let (k, v) = ip_or_cidr(value);
            (k.into(), v)
        }
        ("url", ["value"]) => ("url".into(), value.to_string()),
        ("file", ["hashes", h]) => (hash_kind(h), value.to_ascii_lowercase()),
        ("email-addr", ["value"]) | ("email-message", ["from_ref" | "sender_ref", "value"]) => {
            ("email".into(), value.to_ascii_lowercase())
        }
        ("network-traffic", ["dst_ref" | "src_ref", "value"]) => {
            if value.parse::<std::net::IpAddr>().is_ok() || value.contains('/') {
                let (k, v) = ip_or_cidr(value);
                (k.into(), v)
            } else {
                ("hostname".into(), value.to_string())
            }
        }
        _ => return None,
    };
    if kind.is_empty() {
        return None;
    }
    Some(IndicatorRef {
        kind,
        value,
        source: None,
    })
}
