//! Vulnerability sources → `vulnerability_update` observations (merged by the store, so the
//! sources compose in any order): CVE JSON 5 records ([`cve5`], single files and cvelistV5
//! trees), NVD API 2.0 JSON ([`nvd`]), the CISA KEV catalogue ([`kev`], JSON and CSV) and
//! Exploit-DB's `files_exploits.csv` ([`exploitdb`]). The field mapping is documented in
//! `docs/intel-import.md`.
//!
//! CVSS: every vector is scored by [`openti_analyze::cvss`]; the computed base score is stored
//! (the vector is authoritative) and a published score that disagrees is counted in
//! [`ScoreStats`]. CVSS v3.1 is preferred over v3.0; a record with only a v4.0 evaluation gets
//! its severity from the v4.0 score (Graph has no CVSS v4 summary).

pub mod cve5;
pub mod exploitdb;
pub mod inputs;
pub mod kev;
pub mod nvd;

pub use inputs::{inputs, VulnFormat, VulnInput};

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, NaiveDateTime, Utc};
use openti_analyze::cvss::{self, CvssVersion};
use openti_model::observation::{Cvss, VulnerabilityUpdate};
use openti_model::VulnerabilitySeverity;

/// Parses the time formats vulnerability feeds use: RFC 3339, or a date-time without offset
/// (taken as UTC), or a bare `YYYY-MM-DD`.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Counts of published scores checked against their vectors.
#[derive(Debug, Default)]
pub struct ScoreStats {
    /// Vectors scored.
    pub checked: AtomicU64,
    /// Published scores that differ from the vector's.
    pub mismatched: AtomicU64,
    /// Vectors that could not be parsed (the published score is kept).
    pub invalid: AtomicU64,
}

/// Process-wide score statistics (reported by the CLI at the end of an import).
pub static SCORE_STATS: ScoreStats = ScoreStats {
    checked: AtomicU64::new(0),
    mismatched: AtomicU64::new(0),
    invalid: AtomicU64::new(0),
};

/// One CVSS evaluation as found in a feed.
#[derive(Debug, Clone, Default)]
pub struct FoundCvss {
    /// Vector string.
    pub vector: Option<String>,
    /// Published base score.
    pub score: Option<f64>,
}

/// Scores a found evaluation: `(version, Cvss)`, the computed score replacing the published
/// one when the vector parses.
pub fn evaluate(found: &FoundCvss) -> Option<(Option<CvssVersion>, Cvss)> {
    let vector = found
        .vector
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    match vector.map(cvss::score) {
        Some(Ok(s)) => {
            SCORE_STATS.checked.fetch_add(1, Ordering::Relaxed);
            if let Some(p) = found.score {
                if (p - s.score).abs() > 0.05 {
                    SCORE_STATS.mismatched.fetch_add(1, Ordering::Relaxed);
                }
            }
            Some((
                Some(s.version),
                Cvss {
                    score: Some(s.score),
                    severity: Some(s.severity),
                    vector: vector.map(str::to_string),
                },
            ))
        }
        Some(Err(_)) => {
            SCORE_STATS.invalid.fetch_add(1, Ordering::Relaxed);
            found.score.map(|score| {
                (
                    None,
                    Cvss {
                        score: Some(score),
                        severity: None,
                        vector: vector.map(str::to_string),
                    },
                )
            })
        }
        None => found.score.map(|score| {
            (
                None,
                Cvss {
                    score: Some(score),
                    severity: None,
                    vector: None,
                },
            )
        }),
    }
}

/// Puts the best evaluations of each family on an update: v3.1 over v3.0 for `cvss3`, v2 for
/// `cvss2`, and the v4.0 severity when there is no v3.
pub fn apply_cvss(
    u: &mut VulnerabilityUpdate,
    v31: &[FoundCvss],
    v30: &[FoundCvss],
    v2: &[FoundCvss],
    v4: &[FoundCvss],
) {
    let first = |l: &[FoundCvss]| l.iter().find_map(evaluate);
    u.cvss3 = first(v31).or_else(|| first(v30)).map(|(_, c)| c);
    u.cvss2 = first(v2).map(|(_, c)| c);
    if u.cvss3.is_none() {
        if let Some((_, c)) = first(v4) {
            u.severity = c
                .severity
                .or(c.score.map(VulnerabilitySeverity::from_cvss3));
        }
    }
}

/// `vendor product` of a CPE 2.3 name (`cpe:2.3:a:apache:log4j:2.14.1:…` → `apache log4j`),
/// underscores as spaces; `None` for anything else.
pub fn cpe_product(cpe: &str) -> Option<String> {
    let parts: Vec<&str> = cpe.split(':').collect();
    if parts.len() < 5 || parts[0] != "cpe" || parts[1] != "2.3" {
        return None;
    }
    let (vendor, product) = (parts[3], parts[4]);
    if vendor.is_empty() || product.is_empty() || vendor == "*" || product == "*" {
        return None;
    }
    let tidy = |s: &str| s.replace("\\", "").replace('_', " ");
    Some(format!("{} {}", tidy(vendor), tidy(product)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_cpes() {
        assert!(parse_time("2021-12-10T10:15:09.143").is_some());
        assert!(parse_time("2021-12-10T10:15:09.143Z").is_some());
        assert!(parse_time("2021-12-10").is_some());
        assert!(parse_time("soon").is_none());
        assert_eq!(
            cpe_product("cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*").as_deref(),
            Some("apache log4j")
        );
        assert_eq!(cpe_product("cpe:/a:apache:log4j"), None);
    }

    #[test]
    fn computed_score_wins_and_v4_only_sets_severity() {
        let mut u = VulnerabilityUpdate::new("CVE-2024-0001");
        apply_cvss(
            &mut u,
            &[],
            &[FoundCvss {
                vector: Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
                score: Some(7.0),
            }],
            &[],
            &[],
        );
        assert_eq!(u.cvss3.unwrap().score, Some(9.8));
        let mut u = VulnerabilityUpdate::new("CVE-2024-0001");
        apply_cvss(
            &mut u,
            &[],
            &[],
            &[],
            &[FoundCvss {
                vector: Some(
                    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
                ),
                score: None,
            }],
        );
        assert_eq!(u.severity, Some(VulnerabilitySeverity::Critical));
        assert!(u.cvss3.is_none());
    }
}
