//! CVE JSON 5 records (CVE Record Format 5.x, as published in cvelistV5): one record per file.
//!
//! | record | `vulnerability_update` |
//! |---|---|
//! | `cveMetadata.cveId` | `id` (records with `state` `REJECTED` are skipped) |
//! | `cveMetadata.datePublished` / `dateUpdated` / `dateReserved` | `published` / `modified` / `created` |
//! | `containers.cna.descriptions[lang=en]` | `description` |
//! | `cna.solutions[lang=en]` | `remediation` |
//! | `problemTypes[].descriptions[].cweId` (CNA and ADP containers) | `cwe` |
//! | `metrics[].cvssV3_1` / `cvssV3_0` / `cvssV2_0` / `cvssV4_0` (CNA, then ADP) | `cvss3`, `cvss2`, severity |
//! | `references[].url` (`name` when given) | `references` |
//! | `affected[]` `vendor` + `product`, `cpes[]` | `components` |

use openti_model::observation::{Link, Text, VulnerabilityUpdate};
use openti_model::Observation;
use serde::Deserialize;

use super::{apply_cvss, cpe_product, parse_time, FoundCvss};

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Record {
    cve_metadata: Meta,
    containers: Containers,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Meta {
    cve_id: String,
    state: String,
    date_published: Option<String>,
    date_updated: Option<String>,
    date_reserved: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Containers {
    cna: Container,
    adp: Vec<Container>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Container {
    descriptions: Vec<LangText>,
    solutions: Vec<LangText>,
    problem_types: Vec<ProblemType>,
    metrics: Vec<Metric>,
    references: Vec<Reference>,
    affected: Vec<Affected>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LangText {
    lang: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProblemType {
    descriptions: Vec<ProblemDescription>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ProblemDescription {
    cwe_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct CvssBlock {
    vector_string: Option<String>,
    base_score: Option<f64>,
}

impl CvssBlock {
    fn found(&self) -> FoundCvss {
        FoundCvss {
            vector: self.vector_string.clone(),
            score: self.base_score,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metric {
    #[serde(rename = "cvssV3_1")]
    v31: Option<CvssBlock>,
    #[serde(rename = "cvssV3_0")]
    v30: Option<CvssBlock>,
    #[serde(rename = "cvssV2_0")]
    v2: Option<CvssBlock>,
    #[serde(rename = "cvssV4_0")]
    v4: Option<CvssBlock>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reference {
    url: String,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Affected {
    vendor: Option<String>,
    product: Option<String>,
    cpes: Vec<String>,
}

fn english(list: &[LangText]) -> Option<String> {
    list.iter()
        .find(|d| d.lang.to_ascii_lowercase().starts_with("en"))
        .or(list.first())
        .map(|d| d.value.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn useful(s: &Option<String>) -> Option<&str> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("n/a"))
}

/// Maps one CVE JSON 5 record; `Ok(None)` for rejected records.
pub fn map_record(raw: &str) -> Result<Option<Observation>, String> {
    let r: Record = serde_json::from_str(raw).map_err(|e| format!("invalid CVE record: {e}"))?;
    if r.cve_metadata.cve_id.is_empty() {
        return Err("not a CVE record: no cveMetadata.cveId".into());
    }
    if r.cve_metadata.state.eq_ignore_ascii_case("REJECTED") {
        return Ok(None);
    }
    let mut u = VulnerabilityUpdate::new(&r.cve_metadata.cve_id);
    let m = &r.cve_metadata;
    u.published = m.date_published.as_deref().and_then(parse_time);
    u.modified = m.date_updated.as_deref().and_then(parse_time);
    u.created = m.date_reserved.as_deref().and_then(parse_time);
    let cna = &r.containers.cna;
    u.description = english(&cna.descriptions).map(Text::Plain);
    u.remediation = english(&cna.solutions).map(Text::Plain);
    let all: Vec<&Container> = std::iter::once(cna).chain(&r.containers.adp).collect();
    let (mut v31, mut v30, mut v2, mut v4) = (vec![], vec![], vec![], vec![]);
    for c in &all {
        for p in &c.problem_types {
            for d in &p.descriptions {
                if let Some(id) = useful(&d.cwe_id) {
                    u.cwe.push(id.to_string());
                }
            }
        }
        for mt in &c.metrics {
            v31.extend(mt.v31.as_ref().map(CvssBlock::found));
            v30.extend(mt.v30.as_ref().map(CvssBlock::found));
            v2.extend(mt.v2.as_ref().map(CvssBlock::found));
            v4.extend(mt.v4.as_ref().map(CvssBlock::found));
        }
        for rf in &c.references {
            if !rf.url.trim().is_empty() {
                u.references.push(Link {
                    name: useful(&rf.name).map(str::to_string),
                    url: rf.url.trim().to_string(),
                });
            }
        }
        for a in &c.affected {
            match (useful(&a.vendor), useful(&a.product)) {
                (Some(v), Some(p)) => u.components.push(format!("{v} {p}")),
                (None, Some(p)) => u.components.push(p.to_string()),
                _ => {}
            }
            u.components
                .extend(a.cpes.iter().filter_map(|c| cpe_product(c)));
        }
    }
    apply_cvss(&mut u, &v31, &v30, &v2, &v4);
    Observation::VulnerabilityUpdate(Box::new(u))
        .normalize()
        .map(Some)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log4shell_record() {
        let raw = r#"{"dataType":"CVE_RECORD","dataVersion":"5.1","cveMetadata":{"cveId":"CVE-2021-44228","state":"PUBLISHED",
          "datePublished":"2021-12-10T00:00:00","dateUpdated":"2024-08-04T04:17:00.000Z","dateReserved":"2021-11-26T00:00:00"},
          "containers":{"cna":{"descriptions":[{"lang":"en","value":"Apache Log4j2 JNDI features do not protect against attacker controlled LDAP."}],
          "affected":[{"vendor":"Apache Software Foundation","product":"Apache Log4j2","versions":[{"version":"2.0-beta9","status":"affected"}]}],
          "problemTypes":[{"descriptions":[{"type":"CWE","cweId":"CWE-502","lang":"en","description":"CWE-502 Deserialization of Untrusted Data"}]}],
          "metrics":[{"cvssV3_1":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H","baseScore":10.0,"baseSeverity":"CRITICAL"}}],
          "references":[{"url":"https://logging.apache.org/log4j/2.x/security.html"}]},
          "adp":[{"problemTypes":[{"descriptions":[{"cweId":"CWE-20"}]}]}]}}"#;
        let Some(Observation::VulnerabilityUpdate(u)) = map_record(raw).unwrap() else {
            panic!()
        };
        assert_eq!(u.id, "CVE-2021-44228");
        assert_eq!(u.cwe, vec!["CWE-502", "CWE-20"]);
        assert_eq!(u.cvss3.unwrap().score, Some(10.0));
        assert_eq!(
            u.components,
            vec!["Apache Software Foundation Apache Log4j2"]
        );
        assert!(u.published.is_some());
        let rejected =
            r#"{"cveMetadata":{"cveId":"CVE-2021-0001","state":"REJECTED"},"containers":{}}"#;
        assert!(map_record(rejected).unwrap().is_none());
        assert!(map_record("{}").is_err());
    }
}
