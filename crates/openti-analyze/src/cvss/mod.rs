//! CVSS calculators: v2, v3.0, v3.1 and v4.0 base scores and severities computed from vector
//! strings.
//!
//! * v2 and v3.x are computed in exact decimal fixed point ([`fixed`]), with the rounding the
//!   specifications define (v2: round half up to one decimal; v3.x: round up to one decimal), so
//!   no binary floating-point artefact can move a score across a tenth.
//! * v4.0 follows the FIRST reference algorithm (macro vectors, the published lookup table and
//!   the severity-distance interpolation), with its final "round half up" after adding 1e-6.
//!
//! Results are checked against the reference Python library `cvss` by
//! `crates/openti-analyze/tests/cvss_corpus.rs` over a committed corpus of vectors.

mod fixed;
mod v2;
mod v3;
mod v4;
mod v4_table;

use openti_model::VulnerabilitySeverity;

pub use v2::score_v2;
pub use v3::score_v3;
pub use v4::score_v4;

/// The CVSS version of a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CvssVersion {
    /// CVSS v2 (no prefix, e.g. `AV:N/AC:L/Au:N/C:P/I:P/A:P`).
    V2,
    /// CVSS v3.0 (`CVSS:3.0/…`).
    V30,
    /// CVSS v3.1 (`CVSS:3.1/…`).
    V31,
    /// CVSS v4.0 (`CVSS:4.0/…`).
    V40,
}

/// A computed base score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CvssScore {
    /// Version of the vector.
    pub version: CvssVersion,
    /// Base score 0.0–10.0 (for v4.0: the CVSS-B/BT/BE/BTE score of the metrics given).
    pub score: f64,
    /// Qualitative severity (v2: low/medium/high; v3/v4: none…critical).
    pub severity: VulnerabilitySeverity,
}

/// Why a vector was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CVSS vector: {0}")]
pub struct CvssError(pub String);

pub(crate) fn err(msg: impl Into<String>) -> CvssError {
    CvssError(msg.into())
}

/// Splits `K:V/K:V…` into pairs, refusing duplicates, empty parts and unknown keys.
pub(crate) fn metrics<'a>(
    body: &'a str,
    known: &[&str],
) -> Result<Vec<(&'a str, &'a str)>, CvssError> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for part in body.split('/') {
        let (k, v) = part
            .split_once(':')
            .ok_or_else(|| err(format!("metric {part:?} has no value")))?;
        if !known.contains(&k) {
            return Err(err(format!("unknown metric {k:?}")));
        }
        if out.iter().any(|(kk, _)| *kk == k) {
            return Err(err(format!("metric {k:?} given twice")));
        }
        out.push((k, v));
    }
    Ok(out)
}

/// Looks up a metric's value, or `None`.
pub(crate) fn get<'a>(m: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    m.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// The version a vector string declares (v2 vectors have no prefix; `(AV:N/…)` parentheses
/// as written by NVD's v2 feeds are accepted).
pub fn version_of(vector: &str) -> Result<CvssVersion, CvssError> {
    let v = vector.trim();
    if let Some(rest) = v.strip_prefix("CVSS:") {
        match rest.get(..4) {
            Some("3.0/") => Ok(CvssVersion::V30),
            Some("3.1/") => Ok(CvssVersion::V31),
            Some("4.0/") => Ok(CvssVersion::V40),
            _ => Err(err(format!("unsupported version in {v:?}"))),
        }
    } else if v.trim_start_matches('(').starts_with("AV:") {
        Ok(CvssVersion::V2)
    } else {
        Err(err(format!("unrecognised vector {v:?}")))
    }
}

/// Computes the base score and severity of any supported vector.
pub fn score(vector: &str) -> Result<CvssScore, CvssError> {
    let v = vector.trim();
    let version = version_of(v)?;
    let score = match version {
        CvssVersion::V2 => score_v2(v)?,
        CvssVersion::V30 | CvssVersion::V31 => score_v3(v)?,
        CvssVersion::V40 => score_v4(v)?,
    };
    let severity = match version {
        CvssVersion::V2 => v2_severity(score),
        _ => VulnerabilitySeverity::from_cvss3(score),
    };
    Ok(CvssScore {
        version,
        score,
        severity,
    })
}

/// CVSS v2 severity band (NVD): < 4 low, < 7 medium, else high.
pub fn v2_severity(score: f64) -> VulnerabilitySeverity {
    if score < 4.0 {
        VulnerabilitySeverity::Low
    } else if score < 7.0 {
        VulnerabilitySeverity::Medium
    } else {
        VulnerabilitySeverity::High
    }
}

/// Result of checking a published score against its vector.
#[derive(Debug, Clone, PartialEq)]
pub enum ScoreCheck {
    /// The vector is valid and the published score (if any) agrees.
    Agrees(CvssScore),
    /// The vector computes to another score than the one published.
    Differs {
        /// What the vector computes to.
        computed: CvssScore,
        /// What the source said.
        published: f64,
    },
    /// The vector cannot be parsed.
    Invalid(CvssError),
}

/// Computes a vector's score and compares it with a published one (tolerance 0.05).
pub fn check(vector: &str, published: Option<f64>) -> ScoreCheck {
    match score(vector) {
        Err(e) => ScoreCheck::Invalid(e),
        Ok(s) => match published {
            Some(p) if (p - s.score).abs() > 0.05 => ScoreCheck::Differs {
                computed: s,
                published: p,
            },
            _ => ScoreCheck::Agrees(s),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_scores() {
        // Log4Shell (CVE-2021-44228).
        assert_eq!(
            score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H")
                .unwrap()
                .score,
            10.0
        );
        assert_eq!(score("AV:N/AC:M/Au:N/C:C/I:C/A:C").unwrap().score, 9.3);
        assert_eq!(
            score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                .unwrap()
                .score,
            9.8
        );
        let s = score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        assert_eq!(s.score, 9.3);
        assert_eq!(s.severity, VulnerabilitySeverity::Critical);
        assert_eq!(
            score("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N")
                .unwrap()
                .score,
            0.0
        );
    }

    #[test]
    fn bad_vectors() {
        assert!(score("CVSS:3.1/AV:N").is_err());
        assert!(score("CVSS:9.9/AV:N").is_err());
        assert!(score("hello").is_err());
        assert!(score("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
        assert!(matches!(
            check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Some(5.0)),
            ScoreCheck::Differs { .. }
        ));
    }
}
