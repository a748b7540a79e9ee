//! Host reputation: an explainable rule engine over [`HostEvidence`], producing a 0–100 score
//! with Defender TI's bands (0–24 unknown, 25–49 neutral, 50–74 suspicious, 75–100 malicious).
//!
//! Rules are data: a TOML rule file ([`rules`]) — the defaults are embedded
//! (`default_rules.toml`) and a user file can replace them. Each rule has a condition over the
//! stored facts ([`conditions`]), a weight, a severity, an optional score cap, a description
//! template and a `relatedDetailsUrl` template pointing at the OpenTI route that shows the
//! evidence. The score is the sum of the weights of the rules that fire, clamped to 0..=100,
//! then limited by the smallest cap among them.
//!
//! Infrastructure-pivot rules (`shares`) read how many *malicious* hosts share a name server,
//! tracker, certificate…; a host counts as malicious there when its score **without** pivot
//! rules is malicious (`base_malicious`), so verdicts never feed on each other.

use std::path::Path;

use chrono::{DateTime, Utc};
use openti_model::evidence::HostEvidence;
use openti_model::{ids, HostReputation, HostReputationClassification, HostReputationRule};
use sha2::{Digest, Sha256};

mod bigrams;
pub mod conditions;
pub mod dga;
pub mod rules;
#[cfg(test)]
mod tests;

pub use rules::{Condition, Rule, RuleError, RuleFile};

/// The embedded default rule file.
pub const DEFAULT_RULES: &str = include_str!("default_rules.toml");

/// Graph API prefix substituted for `{api}`.
pub const API: &str = "/v1.0/security/threatIntelligence";

/// A loaded, validated rule set.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: Vec<Rule>,
    version: String,
    origin: String,
}

/// One evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// The Graph entity (score, band, rules that fired).
    pub reputation: HostReputation,
    /// Score without pivot rules.
    pub base_score: i32,
    /// Whether `base_score` is in the malicious band.
    pub base_malicious: bool,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::builtin()
    }
}

impl Engine {
    /// The embedded default rules.
    pub fn builtin() -> Engine {
        static BUILTIN: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                // The embedded file is validated by a unit test; failing here is a build defect.
                Engine::from_toml(DEFAULT_RULES, "built-in").unwrap_or_else(|e| {
                    panic!("embedded default reputation rules are invalid: {e}")
                })
            })
            .clone()
    }

    /// Parses and validates a rule file's text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Engine, RuleError> {
        let file: RuleFile = toml::from_str(text).map_err(|e| RuleError::Syntax {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        rules::validate(&file, origin)?;
        let digest = Sha256::digest(text.as_bytes());
        let version: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Ok(Engine {
            rules: file.rules,
            version,
            origin: origin.into(),
        })
    }

    /// Reads a rule file.
    pub fn from_path(path: &Path) -> Result<Engine, RuleError> {
        let text = std::fs::read_to_string(path).map_err(|e| RuleError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Engine::from_toml(&text, &path.display().to_string())
    }

    /// The rule file at `path`, or the defaults.
    pub fn load(path: Option<&Path>) -> Result<Engine, RuleError> {
        match path {
            Some(p) => Engine::from_path(p),
            None => Ok(Engine::builtin()),
        }
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Digest of the rule file text (stored with each score: a different rule set rescoring).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Where the rules came from (`built-in` or a path).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Evaluates every rule over `ev` at `now`.
    pub fn evaluate(&self, ev: &HostEvidence, now: DateTime<Utc>) -> Assessment {
        let domain = ev
            .registered_domain
            .clone()
            .unwrap_or_else(|| ev.host.clone());
        let mut fired: Vec<HostReputationRule> = Vec::new();
        let (mut sum, mut base_sum) = (0i32, 0i32);
        let (mut cap, mut base_cap) = (100i32, 100i32);
        for rule in &self.rules {
            let applies = match rule.applies_to {
                rules::AppliesTo::Any => true,
                rules::AppliesTo::Hostname => !ev.is_ip,
                rules::AppliesTo::Ip => ev.is_ip,
            };
            if !applies {
                continue;
            }
            let Some(mut vars) = conditions::eval(&rule.condition, ev, now) else {
                continue;
            };
            vars.push(("host", ev.host.clone()));
            vars.push(("api", API.to_string()));
            vars.push(("domain", domain.clone()));
            sum += rule.weight;
            cap = cap.min(rule.cap.unwrap_or(100));
            if !rule.condition.is_pivot() {
                base_sum += rule.weight;
                base_cap = base_cap.min(rule.cap.unwrap_or(100));
            }
            fired.push(HostReputationRule {
                name: rule.name.clone(),
                description: rules::render(&rule.description, &vars, false),
                severity: rule.severity.graph(),
                related_details_url: rule
                    .details
                    .as_deref()
                    .map(|d| rules::render(d, &vars, true)),
            });
        }
        let score = sum.clamp(0, 100).min(cap);
        let base_score = base_sum.clamp(0, 100).min(base_cap);
        Assessment {
            reputation: HostReputation {
                id: ids::host_reputation(&ev.host),
                classification: HostReputationClassification::from_score(score),
                score,
                rules: fired,
            },
            base_score,
            base_malicious: HostReputationClassification::from_score(base_score)
                == HostReputationClassification::Malicious,
        }
    }
}

/// Scores a host with the default rules at `now`.
pub fn score_host(ev: &HostEvidence, now: DateTime<Utc>) -> HostReputation {
    Engine::builtin().evaluate(ev, now).reputation
}
