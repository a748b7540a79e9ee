//! Deterministic ids in Graph's own style (DESIGN.md conventions, spec section 3).
//!
//! * hosts: the normalised hostname or canonical IP text itself;
//! * vulnerabilities: the upper-case CVE id;
//! * intelligence profiles: 64 lower-case hex chars (SHA-256 of `kind$$title`) unless given;
//! * articles: 16 lower-case hex chars (SHA-256 of the title) unless given;
//! * everything else: standard base64 (with `=` padding) of the `$$`-joined canonical key.
//!
//! The same fact therefore has the same id on every backend and after every re-ingest.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Separator between the parts of a composite key.
pub const KEY_SEP: &str = "$$";

/// Standard base64 of the `$$`-joined parts.
pub fn composite(parts: &[&str]) -> String {
    STANDARD.encode(parts.join(KEY_SEP))
}

/// Decodes a composite id back into its parts; `None` if it is not base64 of UTF-8.
pub fn decode_composite(id: &str) -> Option<Vec<String>> {
    let bytes = STANDARD.decode(id.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    Some(text.split(KEY_SEP).map(str::to_string).collect())
}

/// Lower-case hex SHA-256 of a string.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Id of a passive DNS fact: `host$$type$$value`.
pub fn passive_dns(host: &str, record_type: &str, value: &str) -> String {
    composite(&[host, record_type, value])
}

/// Id of the reverse view of a passive DNS fact, as seen from the resolved value:
/// `value$$type$$host$$reverse`.
pub fn passive_dns_reverse(host: &str, record_type: &str, value: &str) -> String {
    composite(&[value, record_type, host, "reverse"])
}

/// Id of a web component on a host: `name$$version$$category$$host` (Graph's own layout).
pub fn host_component(host: &str, name: &str, version: &str, category: &str) -> String {
    composite(&[name, version, category, host])
}

/// Id of a cookie on a host: `domain$$name$$host` (Graph's own layout).
pub fn host_cookie(host: &str, name: &str, domain: &str) -> String {
    composite(&[domain, name, host])
}

/// Id of a tracker on a host: `value$$kind$$host`.
pub fn host_tracker(host: &str, kind: &str, value: &str) -> String {
    composite(&[value, kind, host])
}

/// Id of a host pair: `linkKind$$parent$$child`.
pub fn host_pair(link_kind: &str, parent: &str, child: &str) -> String {
    composite(&[link_kind, parent, child])
}

/// Id of a port on a host: `host$$port` for TCP, `host$$port$$udp` for UDP.
pub fn host_port(host: &str, port: u16, protocol: &str) -> String {
    let p = port.to_string();
    if protocol.eq_ignore_ascii_case("tcp") {
        composite(&[host, &p])
    } else {
        composite(&[host, &p, protocol])
    }
}

/// Id of a certificate: base64 of its lower-case SHA-1 hex (Graph's own layout).
pub fn ssl_certificate(sha1: &str) -> String {
    STANDARD.encode(sha1.to_ascii_lowercase())
}

/// Id of a certificate seen on a host: `host$$sha1`.
pub fn host_ssl_certificate(host: &str, sha1: &str) -> String {
    composite(&[host, &sha1.to_ascii_lowercase()])
}

/// Id of a subdomain: `subdomain$$registeredDomain` (Graph's own layout).
pub fn subdomain(sub: &str, domain: &str) -> String {
    composite(&[sub, domain])
}

/// Id of a current WHOIS record: `host$$whois`.
pub fn whois_record(host: &str) -> String {
    composite(&[host, "whois"])
}

/// Id of a WHOIS history row: `host$$contentHash`.
pub fn whois_history(host: &str, content_hash: &str) -> String {
    composite(&[host, content_hash])
}

/// Id of an article indicator: `articleId$$artifactId`.
pub fn article_indicator(article_id: &str, artifact_id: &str) -> String {
    composite(&[article_id, artifact_id])
}

/// Id of a profile indicator: `profileId$$artifactId`.
pub fn profile_indicator(profile_id: &str, artifact_id: &str) -> String {
    composite(&[profile_id, artifact_id])
}

/// Id of a vulnerability component: `cve$$name` with the CVE in lower case (Graph's layout).
pub fn vulnerability_component(cve: &str, name: &str) -> String {
    composite(&[&cve.to_ascii_lowercase(), name])
}

/// Id of an unclassified artifact: `kind$$value`.
pub fn unclassified_artifact(kind: &str, value: &str) -> String {
    composite(&[kind, value])
}

/// Id of a host reputation: a GUID-shaped digest of the host, stable across recomputations.
pub fn host_reputation(host: &str) -> String {
    let h = sha256_hex(&format!("reputation$${host}"));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Default article id: 16 hex chars of the SHA-256 of the title.
pub fn article(title: &str) -> String {
    sha256_hex(&format!("article$${}", title.trim()))[..16].to_string()
}

/// Default intelligence profile id: SHA-256 hex of `kind$$lower-case title`.
pub fn intelligence_profile(kind: &str, title: &str) -> String {
    sha256_hex(&format!("{}$${}", kind, title.trim().to_lowercase()))
}

/// Canonical CVE id (`CVE-YYYY-NNNN`, upper case), or `None` if the text is not one.
pub fn cve(id: &str) -> Option<String> {
    let up = id.trim().to_ascii_uppercase();
    let rest = up.strip_prefix("CVE-")?;
    let (year, num) = rest.split_once('-')?;
    let ok = year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(up)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_matches_graph_examples() {
        // spec section 3: base64("contoso.com$$20.103.85.33$$false")
        assert_eq!(
            composite(&["contoso.com", "20.103.85.33", "false"]),
            "Y29udG9zby5jb20kJDIwLjEwMy44NS4zMyQkZmFsc2U="
        );
        assert_eq!(
            host_port("85.13.139.18", 21, "tcp"),
            "ODUuMTMuMTM5LjE4JCQyMQ=="
        );
        assert_eq!(
            host_component("c1.microsoft.com", "Microsoft-IIS", "10.0", "Server"),
            "TWljcm9zb2Z0LUlJUyQkMTAuMCQkU2VydmVyJCRjMS5taWNyb3NvZnQuY29t"
        );
        assert_eq!(
            ssl_certificate("fb96551505f1edb24dd3b36fcffdb765833b8118"),
            "ZmI5NjU1MTUwNWYxZWRiMjRkZDNiMzZmY2ZmZGI3NjU4MzNiODExOA=="
        );
    }

    #[test]
    fn decode_round_trips_and_rejects_garbage() {
        let id = passive_dns("a.example.com", "A", "192.0.2.1");
        assert_eq!(
            decode_composite(&id).unwrap(),
            vec!["a.example.com", "A", "192.0.2.1"]
        );
        assert!(decode_composite("not base64 !!").is_none());
    }

    #[test]
    fn ids_are_deterministic() {
        assert_eq!(article("Hello"), article(" Hello "));
        assert_eq!(intelligence_profile("actor", "APT1").len(), 64);
        assert_eq!(host_reputation("a.test"), host_reputation("a.test"));
        assert_ne!(host_reputation("a.test"), host_reputation("b.test"));
    }

    #[test]
    fn cve_ids() {
        assert_eq!(cve("cve-2021-44228").as_deref(), Some("CVE-2021-44228"));
        assert_eq!(cve("CVE-21-1"), None);
        assert_eq!(cve("CVE-2021-44228x"), None);
    }
}
