//! `priorityScore`: a documented, reproducible 0–100 ranking of a vulnerability.
//!
//! | part | points | from |
//! |---|---|---|
//! | severity | `5 × CVSS` (0–50) | the CVSS v3.x base score, else v2, else the midpoint of the severity band (v4-only records: the band of the v4 score) |
//! | known exploitation | 25 | `activeExploitsObserved` (CISA KEV) |
//! | public exploit | 10 | `exploitsAvailable` or any exploit link (Exploit-DB) |
//! | intelligence | 2 per linked article, at most 6 | `/vulnerabilities/{id}/articles` |
//! | chatter | 3 | `hasChatter` |
//! | recency | 6 if published ≤ 365 days before the reference date, falling linearly to 0 at 4 × 365 days; 0 when unknown or in the future beyond a day | `publishedDateTime` |
//!
//! The sum is rounded half away from zero and clamped to 0–100. The reference date is an
//! explicit input (the import's `--as-of`, default: today), so the same facts and date always
//! give the same score.

use chrono::{DateTime, Utc};
use openti_model::VulnerabilitySeverity;
use serde_json::Value;

/// The facts the score is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriorityInput {
    /// CVSS v3.x base score.
    pub cvss3: Option<f64>,
    /// CVSS v2 base score.
    pub cvss2: Option<f64>,
    /// Overall severity (used when no score is known).
    pub severity: Option<VulnerabilitySeverity>,
    /// Exploitation in the wild observed.
    pub active_exploits: bool,
    /// A public exploit exists.
    pub exploits_available: bool,
    /// Discussed.
    pub has_chatter: bool,
    /// Number of linked articles.
    pub articles: u64,
    /// Publication time.
    pub published: Option<DateTime<Utc>>,
}

fn band_midpoint(s: VulnerabilitySeverity) -> f64 {
    match s {
        VulnerabilitySeverity::Critical => 9.5,
        VulnerabilitySeverity::High => 8.0,
        VulnerabilitySeverity::Medium => 5.5,
        VulnerabilitySeverity::Low => 2.0,
        _ => 0.0,
    }
}

/// The recency points (0–6) of a publication time relative to `as_of`.
pub fn recency_points(published: Option<DateTime<Utc>>, as_of: DateTime<Utc>) -> f64 {
    let Some(p) = published else { return 0.0 };
    let days = (as_of - p).num_seconds() as f64 / 86_400.0;
    if days < -1.0 {
        0.0
    } else if days <= 365.0 {
        6.0
    } else if days >= 4.0 * 365.0 {
        0.0
    } else {
        6.0 * (4.0 * 365.0 - days) / (3.0 * 365.0)
    }
}

/// The score, 0–100.
pub fn priority_score(input: &PriorityInput, as_of: DateTime<Utc>) -> i32 {
    let cvss = input
        .cvss3
        .or(input.cvss2)
        .or(input.severity.map(band_midpoint))
        .unwrap_or(0.0)
        .clamp(0.0, 10.0);
    let mut total = 5.0 * cvss;
    if input.active_exploits {
        total += 25.0;
    }
    if input.exploits_available {
        total += 10.0;
    }
    total += 2.0 * (input.articles.min(3) as f64);
    if input.has_chatter {
        total += 3.0;
    }
    total += recency_points(input.published, as_of);
    (total.round() as i32).clamp(0, 100)
}

/// Reads the inputs from a Graph `vulnerability` JSON object plus its article count.
pub fn input_from_graph(v: &Value, articles: u64) -> PriorityInput {
    let score = |k: &str| {
        v.get(k)
            .and_then(|c| c.get("score"))
            .and_then(Value::as_f64)
    };
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    let exploits = v
        .get("exploits")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    PriorityInput {
        cvss3: score("cvss3Summary"),
        cvss2: score("cvss2Summary"),
        severity: v
            .get("severity")
            .and_then(Value::as_str)
            .and_then(VulnerabilitySeverity::parse),
        active_exploits: flag("activeExploitsObserved"),
        exploits_available: flag("exploitsAvailable") || exploits,
        has_chatter: flag("hasChatter"),
        articles,
        published: v
            .get("publishedDateTime")
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn formula() {
        let as_of = t("2024-01-01T00:00:00Z");
        let log4shell = PriorityInput {
            cvss3: Some(10.0),
            active_exploits: true,
            exploits_available: true,
            articles: 5,
            published: Some(t("2021-12-10T00:00:00Z")),
            ..Default::default()
        };
        // 50 + 25 + 10 + 6 + recency(752 days → 6 × 708/1095 = 3.88)
        assert_eq!(priority_score(&log4shell, as_of), 95);
        assert_eq!(priority_score(&PriorityInput::default(), as_of), 0);
        let only_band = PriorityInput {
            severity: Some(VulnerabilitySeverity::High),
            ..Default::default()
        };
        assert_eq!(priority_score(&only_band, as_of), 40);
        assert_eq!(recency_points(Some(t("2023-06-01T00:00:00Z")), as_of), 6.0);
        assert_eq!(recency_points(Some(t("2010-06-01T00:00:00Z")), as_of), 0.0);
    }

    #[test]
    fn from_graph_json() {
        let v = serde_json::json!({"cvss3Summary": {"score": 9.8}, "activeExploitsObserved": true,
            "exploits": [{"url": "https://www.exploit-db.com/exploits/1"}], "severity": "critical",
            "publishedDateTime": "2023-12-01T00:00:00Z"});
        let i = input_from_graph(&v, 1);
        assert_eq!(i.cvss3, Some(9.8));
        assert!(i.exploits_available && i.active_exploits);
        assert_eq!(
            priority_score(&i, t("2024-01-01T00:00:00Z")),
            49 + 25 + 10 + 2 + 6
        );
    }
}
