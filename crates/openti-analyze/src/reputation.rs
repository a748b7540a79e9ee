//! Host reputation: explainable rules over [`HostEvidence`], summed into a 0–100 score with
//! Defender TI's bands (0–24 unknown, 25–49 neutral, 50–74 suspicious, 75–100 malicious).
//!
//! Each rule that fires contributes its weight and appears in `rules` with a description of
//! the evidence and a link to the OpenTI route that shows it.

use chrono::{DateTime, Duration, Utc};
use openti_model::evidence::HostEvidence;
use openti_model::{
    ids, HostReputation, HostReputationClassification, HostReputationRule,
    HostReputationRuleSeverity,
};

/// A built-in rule: name, weight and severity.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// Rule name as shown in `rules[].name`.
    pub name: &'static str,
    /// Score contribution.
    pub weight: i32,
    /// Severity.
    pub severity: HostReputationRuleSeverity,
}

const API: &str = "/v1.0/security/threatIntelligence";

/// The built-in rules, in evaluation order.
pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        name: "Threat intelligence listing",
        weight: 75,
        severity: HostReputationRuleSeverity::High,
    },
    RuleInfo {
        name: "Shared infrastructure",
        weight: 25,
        severity: HostReputationRuleSeverity::Medium,
    },
    RuleInfo {
        name: "Newly registered domain",
        weight: 20,
        severity: HostReputationRuleSeverity::Medium,
    },
    RuleInfo {
        name: "Self-signed certificate",
        weight: 15,
        severity: HostReputationRuleSeverity::Medium,
    },
    RuleInfo {
        name: "Expired certificate",
        weight: 10,
        severity: HostReputationRuleSeverity::Low,
    },
    RuleInfo {
        name: "Newly observed host",
        weight: 10,
        severity: HostReputationRuleSeverity::Low,
    },
];

fn rule(idx: usize, description: String, url: Option<String>) -> (i32, HostReputationRule) {
    let r = RULES[idx];
    (
        r.weight,
        HostReputationRule {
            name: r.name.into(),
            description,
            severity: r.severity,
            related_details_url: url,
        },
    )
}

/// Scores a host at time `now`.
pub fn score_host(ev: &HostEvidence, now: DateTime<Utc>) -> HostReputation {
    let mut fired: Vec<(i32, HostReputationRule)> = Vec::new();
    if let Some(first) = ev.listed_in.first() {
        let names: Vec<String> = ev
            .listed_in
            .iter()
            .map(|l| format!("{} \"{}\"", l.source_kind, l.title))
            .collect();
        let set = if first.source_kind == "article" {
            "articles"
        } else {
            "intelProfiles"
        };
        fired.push(rule(
            0,
            format!(
                "{} is listed as an indicator in {}",
                ev.host,
                names.join(", ")
            ),
            Some(format!("{API}/{set}/{}", first.id)),
        ));
    }
    if !ev.listed_neighbours.is_empty() {
        fired.push(rule(
            1,
            format!(
                "shares resolving IP addresses with listed hosts: {}",
                ev.listed_neighbours.join(", ")
            ),
            Some(format!("{API}/hosts/{}/passiveDns", ev.host)),
        ));
    }
    if let Some(reg) = ev.registered {
        if now - reg < Duration::days(30) && reg <= now {
            fired.push(rule(
                2,
                format!(
                    "domain registered {} ({} days ago)",
                    reg.format("%Y-%m-%d"),
                    (now - reg).num_days()
                ),
                Some(format!("{API}/hosts/{}/whois", ev.host)),
            ));
        }
    }
    let certs_url = Some(format!("{API}/hosts/{}/sslCertificates", ev.host));
    if let Some(c) = ev.certificates.iter().find(|c| c.self_signed) {
        fired.push(rule(
            3,
            format!("serves a self-signed certificate ({})", c.id),
            certs_url.clone(),
        ));
    }
    if let Some(c) = ev
        .certificates
        .iter()
        .find(|c| c.expires.is_some_and(|e| e < now))
    {
        let when = c
            .expires
            .map(|e| e.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        fired.push(rule(
            4,
            format!("serves a certificate that expired on {when} ({})", c.id),
            certs_url,
        ));
    }
    if let Some(first) = ev.first_seen {
        if now - first < Duration::days(14) && first <= now {
            fired.push(rule(
                5,
                format!("first observed {}", first.format("%Y-%m-%d")),
                Some(format!("{API}/hosts/{}", ev.host)),
            ));
        }
    }
    let score = fired.iter().map(|(w, _)| *w).sum::<i32>().clamp(0, 100);
    HostReputation {
        id: ids::host_reputation(&ev.host),
        classification: HostReputationClassification::from_score(score),
        score,
        rules: fired.into_iter().map(|(_, r)| r).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openti_model::evidence::{CertEvidence, IntelListing};

    fn now() -> DateTime<Utc> {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn clean_old_host_is_unknown_with_no_rules() {
        let ev = HostEvidence {
            host: "a.test".into(),
            first_seen: Some("2020-01-01T00:00:00Z".parse().unwrap()),
            ..Default::default()
        };
        let r = score_host(&ev, now());
        assert_eq!(r.score, 0);
        assert_eq!(r.classification, HostReputationClassification::Unknown);
        assert!(r.rules.is_empty());
    }

    #[test]
    fn listed_host_is_malicious_and_explained() {
        let ev = HostEvidence {
            host: "bad.test".into(),
            listed_in: vec![IntelListing {
                source_kind: "intelProfile".into(),
                id: "abc".into(),
                title: "APT Test".into(),
            }],
            ..Default::default()
        };
        let r = score_host(&ev, now());
        assert_eq!(r.score, 75);
        assert_eq!(r.classification, HostReputationClassification::Malicious);
        assert_eq!(r.rules[0].name, "Threat intelligence listing");
        assert!(r.rules[0].description.contains("APT Test"));
        assert!(r.rules[0]
            .related_details_url
            .as_deref()
            .unwrap()
            .ends_with("/intelProfiles/abc"));
    }

    #[test]
    fn weak_signals_add_up_and_cap() {
        let ev = HostEvidence {
            host: "new.test".into(),
            first_seen: Some("2025-12-28T00:00:00Z".parse().unwrap()),
            registered: Some("2025-12-20T00:00:00Z".parse().unwrap()),
            certificates: vec![CertEvidence {
                id: "c".into(),
                issued: None,
                expires: Some("2025-06-01T00:00:00Z".parse().unwrap()),
                self_signed: true,
            }],
            ..Default::default()
        };
        let r = score_host(&ev, now());
        assert_eq!(r.score, 20 + 15 + 10 + 10);
        assert_eq!(r.classification, HostReputationClassification::Suspicious);
        assert_eq!(r.rules.len(), 4);
        let mut all = ev.clone();
        all.listed_in = vec![IntelListing {
            source_kind: "article".into(),
            id: "x".into(),
            title: "t".into(),
        }];
        assert_eq!(score_host(&all, now()).score, 100);
    }
}
