//! The rule file: TOML types, validation and description/URL templates.

use std::collections::BTreeSet;

use openti_model::HostReputationRuleSeverity;
use serde::Deserialize;

/// Errors in a rule file.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// Not valid TOML, or a field has the wrong shape.
    #[error("{origin}: {message}")]
    Syntax {
        /// File or `built-in`.
        origin: String,
        /// Parser message.
        message: String,
    },
    /// A rule is inconsistent (unknown placeholder, duplicate name, bad value…).
    #[error("{origin}: rule \"{rule}\": {message}")]
    Invalid {
        /// File or `built-in`.
        origin: String,
        /// Rule name.
        rule: String,
        /// What is wrong.
        message: String,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// Path.
        path: String,
        /// Why.
        message: String,
    },
}

/// A whole rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Format version; must be 1.
    pub version: u32,
    /// The rules, in evaluation and display order.
    #[serde(rename = "rule", default)]
    pub rules: Vec<Rule>,
}

/// Rule severity as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// low
    Low,
    /// medium
    Medium,
    /// high
    High,
}

impl Severity {
    /// The Graph enum member.
    pub fn graph(self) -> HostReputationRuleSeverity {
        match self {
            Severity::Low => HostReputationRuleSeverity::Low,
            Severity::Medium => HostReputationRuleSeverity::Medium,
            Severity::High => HostReputationRuleSeverity::High,
        }
    }
}

/// Which hosts a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppliesTo {
    /// Host names and IP addresses.
    #[default]
    Any,
    /// Host names only.
    Hostname,
    /// IP addresses only.
    Ip,
}

/// One rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Name shown in `rules[].name` (unique in the file).
    pub name: String,
    /// Description template (`{host}`, `{api}`, `{domain}` and the condition's variables).
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Score contribution when the rule fires (-100..=100; negative lowers the score).
    pub weight: i32,
    /// Upper bound on the final score when the rule fires (allow-lists).
    #[serde(default)]
    pub cap: Option<i32>,
    /// `relatedDetailsUrl` template; substituted values are percent-encoded.
    #[serde(default)]
    pub details: Option<String>,
    /// Host kinds the rule applies to.
    #[serde(default)]
    pub applies_to: AppliesTo,
    /// When the rule fires.
    pub condition: Condition,
}

/// Infrastructure shared between hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pivot {
    /// A resolving IP address.
    Ip,
    /// A name server of the registered domain.
    Nameserver,
    /// The registrar.
    Registrar,
    /// The hosting autonomous system.
    Asn,
    /// A web tracker (analytics id, tag manager…).
    Tracker,
    /// A JARM TLS fingerprint.
    Jarm,
    /// A served certificate.
    Certificate,
}

impl Pivot {
    /// The pivot-key kind (see `HostEvidence::pivot_keys`).
    pub fn key(self) -> &'static str {
        match self {
            Pivot::Ip => "ip",
            Pivot::Nameserver => "nameserver",
            Pivot::Registrar => "registrar",
            Pivot::Asn => "asn",
            Pivot::Tracker => "tracker",
            Pivot::Jarm => "jarm",
            Pivot::Certificate => "certificate",
        }
    }
}

fn one() -> u64 {
    1
}

fn eight() -> usize {
    8
}

/// The condition kinds (`condition = { kind = "...", ... }`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Listed as an indicator by an intel profile or article (optionally only these source
    /// kinds: `intelProfile`, `article`).
    ListedIndicator {
        #[serde(default)]
        sources: Vec<String>,
    },
    /// On a block-list (optionally only these lists).
    Blocklisted {
        #[serde(default)]
        lists: Vec<String>,
    },
    /// On an allow-list (optionally only these sources — `warninglist`, `user` — and lists).
    Allowlisted {
        #[serde(default)]
        sources: Vec<String>,
        #[serde(default)]
        lists: Vec<String>,
    },
    /// The registered domain was created less than `lt` days ago (WHOIS).
    DomainAgeDays { lt: i64 },
    /// The host was first observed less than `lt` days ago.
    FirstSeenDays { lt: i64 },
    /// The registrable label has more than `gt` bits of entropy per character.
    NameEntropy {
        gt: f64,
        #[serde(default = "eight")]
        min_length: usize,
    },
    /// The registrable label's bigram DGA score (0–1) exceeds `gt`.
    DgaScore {
        gt: f64,
        #[serde(default = "eight")]
        min_length: usize,
    },
    /// The top-level domain is one of `tlds`.
    TldIn { tlds: Vec<String> },
    /// A served certificate is self-signed (issuer = subject).
    CertSelfSigned {},
    /// A certificate was served after its expiry.
    CertExpired {},
    /// A served certificate's validity is shorter than `lt` days.
    CertLifetimeDays { lt: i64 },
    /// At least `distinct_a` A/AAAA answers each observed for at most `window_hours`, and at
    /// least `min_asns` autonomous systems among the answers.
    FastFlux {
        distinct_a: usize,
        window_hours: i64,
        #[serde(default = "one")]
        min_asns: u64,
    },
    /// Shares `pivot` with at least `min_malicious` malicious hosts that are at least
    /// `min_ratio` of the hosts sharing it.
    Shares {
        pivot: Pivot,
        #[serde(default = "one")]
        min_malicious: u64,
        #[serde(default)]
        min_ratio: f64,
    },
    /// One of `ports` is open.
    OpenPortIn { ports: Vec<i32> },
}

/// Variables every template may use.
pub const COMMON_VARS: &[&str] = &["host", "api", "domain"];

impl Condition {
    /// Template variables this condition provides.
    pub fn vars(&self) -> &'static [&'static str] {
        match self {
            Condition::ListedIndicator { .. } => &["listings", "set", "id", "title", "count"],
            Condition::Blocklisted { .. } | Condition::Allowlisted { .. } => {
                &["lists", "list", "entry"]
            }
            Condition::DomainAgeDays { .. } => &["registered", "days"],
            Condition::FirstSeenDays { .. } => &["first_seen", "days"],
            Condition::NameEntropy { .. } => &["label", "entropy"],
            Condition::DgaScore { .. } => &["label", "dga"],
            Condition::TldIn { .. } => &["tld"],
            Condition::CertSelfSigned {}
            | Condition::CertExpired {}
            | Condition::CertLifetimeDays { .. } => &["cert", "issued", "expires", "days"],
            Condition::FastFlux { .. } => &["count", "window_hours", "asns", "addresses"],
            Condition::Shares { .. } => {
                &["pivot", "value", "value_id", "malicious", "total", "hosts"]
            }
            Condition::OpenPortIn { .. } => &["ports"],
        }
    }

    /// Whether this is an infrastructure-pivot condition (excluded from a host's own verdict).
    pub fn is_pivot(&self) -> bool {
        matches!(self, Condition::Shares { .. })
    }
}

/// Placeholders (`{name}`) in a template, or an error for an unclosed brace.
pub fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            return Err(format!("unclosed '{{' in \"{template}\""));
        };
        out.push(&after[..j]);
        rest = &after[j + 1..];
    }
    Ok(out)
}

/// Substitutes `{name}` placeholders; values are percent-encoded when `encode` (except
/// `api`). Unknown names are left as they are (validation rejects them up front).
pub fn render(template: &str, vars: &[(&str, String)], encode: bool) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let name = &after[..j];
        match vars.iter().find(|(k, _)| *k == name) {
            Some((k, v)) if encode && *k != "api" => out.push_str(&percent(v)),
            Some((_, v)) => out.push_str(v),
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

/// Percent-encodes everything but unreserved characters and the `=`, `+`, `:`, `@` that ids
/// and host names carry.
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~=+:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Checks names, weights, caps, parameters and template placeholders.
pub fn validate(file: &RuleFile, origin: &str) -> Result<(), RuleError> {
    if file.version != 1 {
        return Err(RuleError::Syntax {
            origin: origin.into(),
            message: format!(
                "unsupported rule file version {} (expected 1)",
                file.version
            ),
        });
    }
    let mut names = BTreeSet::new();
    for r in &file.rules {
        let bad = |message: String| RuleError::Invalid {
            origin: origin.into(),
            rule: r.name.clone(),
            message,
        };
        if r.name.trim().is_empty() {
            return Err(bad("empty name".into()));
        }
        if !names.insert(r.name.as_str()) {
            return Err(bad("duplicate rule name".into()));
        }
        if !(-100..=100).contains(&r.weight) {
            return Err(bad(format!("weight {} outside -100..=100", r.weight)));
        }
        if let Some(c) = r.cap {
            if !(0..=100).contains(&c) {
                return Err(bad(format!("cap {c} outside 0..=100")));
            }
        }
        check_params(&r.condition).map_err(bad)?;
        let allowed: Vec<&str> = COMMON_VARS
            .iter()
            .chain(r.condition.vars())
            .copied()
            .collect();
        for t in std::iter::once(&r.description).chain(r.details.iter()) {
            for p in placeholders(t).map_err(bad)? {
                if !allowed.contains(&p) {
                    return Err(bad(format!(
                        "unknown placeholder {{{p}}}; this condition provides {}",
                        allowed.join(", ")
                    )));
                }
            }
        }
    }
    Ok(())
}

fn check_params(c: &Condition) -> Result<(), String> {
    match c {
        Condition::DomainAgeDays { lt }
        | Condition::FirstSeenDays { lt }
        | Condition::CertLifetimeDays { lt }
            if *lt <= 0 =>
        {
            Err(format!("lt must be positive, got {lt}"))
        }
        Condition::DgaScore { gt, .. } if !(0.0..1.0).contains(gt) => {
            Err(format!("gt must be in 0..1, got {gt}"))
        }
        Condition::TldIn { tlds } if tlds.is_empty() => Err("tlds is empty".into()),
        Condition::OpenPortIn { ports } if ports.is_empty() => Err("ports is empty".into()),
        Condition::FastFlux {
            distinct_a,
            window_hours,
            ..
        } if *distinct_a == 0 || *window_hours <= 0 => {
            Err("distinct_a and window_hours must be positive".into())
        }
        Condition::Shares {
            min_malicious,
            min_ratio,
            ..
        } if *min_malicious == 0 || !(0.0..=1.0).contains(min_ratio) => {
            Err("min_malicious must be ≥ 1 and min_ratio in 0..=1".into())
        }
        _ => Ok(()),
    }
}
