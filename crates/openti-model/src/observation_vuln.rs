//! The `vulnerability_update` observation: a partial vulnerability that is merged into the
//! stored one instead of replacing it.
//!
//! Sources that know only some facts of a CVE (CISA KEV: exploitation in the wild; Exploit-DB:
//! public exploits; CVE records and NVD: descriptions, CVSS, CWE, references, products) send
//! updates, so the order in which they are imported does not matter. Scalars that are present
//! overwrite the stored value, absent ones keep it; list items (CWE ids, exploit and reference
//! links by URL, components, article ids) are added to the stored lists. An update of an unknown
//! CVE creates it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{bad, Cvss, Link, ObservationError, Text};
use crate::enums::VulnerabilitySeverity;

/// A partial vulnerability (see the module documentation for the merge rules).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VulnerabilityUpdate {
    /// CVE id.
    pub id: String,
    /// Severity; when absent it follows a given `cvss3` (or `cvss2` if the stored record has
    /// no CVSS v3), else it is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<VulnerabilitySeverity>,
    /// Priority 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_score: Option<i32>,
    /// CVSS v2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss2: Option<Cvss>,
    /// CVSS v3.x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss3: Option<Cvss>,
    /// CWE ids to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// Remediation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Text>,
    /// Exploit links to add (by URL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exploits: Vec<Link>,
    /// Reference links to add (by URL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Link>,
    /// A public exploit exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploits_available: Option<bool>,
    /// Exploitation observed in the wild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_exploits_observed: Option<bool>,
    /// Discussed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_chatter: Option<bool>,
    /// Created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// Last modified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<DateTime<Utc>>,
    /// Published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Affected products to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    /// Related article ids to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub articles: Vec<String>,
}

impl VulnerabilityUpdate {
    /// An empty update of one CVE.
    pub fn new(id: impl Into<String>) -> Self {
        VulnerabilityUpdate {
            id: id.into(),
            ..Default::default()
        }
    }

    /// Validates and canonicalises: CVE id upper-cased, priority 0–100, scores 0–10, CWE ids
    /// trimmed, empty strings dropped, lists de-duplicated.
    pub fn normalize(mut self) -> Result<Self, ObservationError> {
        self.id = crate::ids::cve(&self.id)
            .ok_or_else(|| bad("id", format!("invalid CVE id {:?}", self.id)))?;
        if let Some(p) = self.priority_score {
            if !(0..=100).contains(&p) {
                return Err(bad("priority_score", "must be 0-100"));
            }
        }
        for c in [&self.cvss2, &self.cvss3].into_iter().flatten() {
            if let Some(s) = c.score {
                if !(0.0..=10.0).contains(&s) {
                    return Err(bad("cvss", "score must be 0-10"));
                }
            }
        }
        fn tidy(v: &mut Vec<String>) {
            let mut seen = std::collections::HashSet::new();
            v.retain_mut(|s| {
                *s = s.trim().to_string();
                !s.is_empty() && seen.insert(s.clone())
            });
        }
        tidy(&mut self.cwe);
        tidy(&mut self.components);
        tidy(&mut self.articles);
        for l in [&mut self.exploits, &mut self.references] {
            let mut seen = std::collections::HashSet::new();
            l.retain(|x| !x.url.trim().is_empty() && seen.insert(x.url.clone()));
        }
        Ok(self)
    }
}
