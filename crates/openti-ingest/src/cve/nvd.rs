//! NVD CVE API 2.0 JSON (`{"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":…}]}`),
//! streamed over `vulnerabilities`.
//!
//! | NVD `cve` | `vulnerability_update` |
//! |---|---|
//! | `id` (`vulnStatus` `Rejected` skipped) | `id` |
//! | `published` / `lastModified` | `published` / `modified` |
//! | `descriptions[lang=en]` | `description` |
//! | `metrics.cvssMetricV31` / `V30` / `V2` / `V40` (`Primary` first) | `cvss3`, `cvss2`, severity |
//! | `weaknesses[].description[].value` (`CWE-…`) | `cwe` |
//! | `configurations[].nodes[].cpeMatch[vulnerable].criteria` | `components` (`vendor product`) |
//! | `references[].url` | `references` |
//! | `cisaExploitAdd` present | `active_exploits_observed` |

use openti_model::observation::{Link, Text, VulnerabilityUpdate};
use openti_model::Observation;
use serde::Deserialize;

use super::{apply_cvss, cpe_product, parse_time, FoundCvss};

#[derive(Deserialize, Default)]
#[serde(default)]
struct Item {
    cve: Cve,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Cve {
    id: String,
    published: Option<String>,
    last_modified: Option<String>,
    vuln_status: Option<String>,
    descriptions: Vec<LangText>,
    metrics: Metrics,
    weaknesses: Vec<Weakness>,
    configurations: Vec<Configuration>,
    references: Vec<Reference>,
    cisa_exploit_add: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LangText {
    lang: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metrics {
    #[serde(rename = "cvssMetricV31")]
    v31: Vec<Metric>,
    #[serde(rename = "cvssMetricV30")]
    v30: Vec<Metric>,
    #[serde(rename = "cvssMetricV2")]
    v2: Vec<Metric>,
    #[serde(rename = "cvssMetricV40")]
    v4: Vec<Metric>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Metric {
    #[serde(rename = "type")]
    kind: String,
    cvss_data: CvssData,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct CvssData {
    vector_string: Option<String>,
    base_score: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Weakness {
    description: Vec<LangText>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Configuration {
    nodes: Vec<Node>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Node {
    cpe_match: Vec<CpeMatch>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CpeMatch {
    vulnerable: bool,
    criteria: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reference {
    url: String,
}

fn found(list: &[Metric]) -> Vec<FoundCvss> {
    let mut l: Vec<&Metric> = list.iter().collect();
    l.sort_by_key(|m| m.kind != "Primary");
    l.iter()
        .map(|m| FoundCvss {
            vector: m.cvss_data.vector_string.clone(),
            score: m.cvss_data.base_score,
        })
        .collect()
}

/// Maps one element of `vulnerabilities`; `Ok(None)` for rejected CVEs.
pub fn map_item(raw: &str) -> Result<Option<Observation>, String> {
    let item: Item = serde_json::from_str(raw).map_err(|e| format!("invalid NVD item: {e}"))?;
    let c = item.cve;
    if c.id.is_empty() {
        return Err("NVD item without cve.id".into());
    }
    if c.vuln_status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("Rejected"))
    {
        return Ok(None);
    }
    let mut u = VulnerabilityUpdate::new(&c.id);
    u.published = c.published.as_deref().and_then(parse_time);
    u.modified = c.last_modified.as_deref().and_then(parse_time);
    u.description = c
        .descriptions
        .iter()
        .find(|d| d.lang == "en")
        .map(|d| Text::Plain(d.value.trim().to_string()));
    apply_cvss(
        &mut u,
        &found(&c.metrics.v31),
        &found(&c.metrics.v30),
        &found(&c.metrics.v2),
        &found(&c.metrics.v4),
    );
    for w in &c.weaknesses {
        for d in &w.description {
            if d.value.starts_with("CWE-") {
                u.cwe.push(d.value.clone());
            }
        }
    }
    for cfg in &c.configurations {
        for n in &cfg.nodes {
            for m in n.cpe_match.iter().filter(|m| m.vulnerable) {
                u.components.extend(cpe_product(&m.criteria));
            }
        }
    }
    u.references = c
        .references
        .iter()
        .filter(|r| !r.url.trim().is_empty())
        .map(|r| Link {
            name: None,
            url: r.url.trim().to_string(),
        })
        .collect();
    if c.cisa_exploit_add.is_some() {
        u.active_exploits_observed = Some(true);
    }
    Observation::VulnerabilityUpdate(Box::new(u))
        .normalize()
        .map(Some)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvd_item() {
        let raw = r#"{"cve":{"id":"CVE-2023-4966","published":"2023-10-10T14:15:10.007","lastModified":"2024-02-01T00:00:00.000",
          "vulnStatus":"Analyzed","descriptions":[{"lang":"en","value":"Sensitive information disclosure in NetScaler ADC."}],
          "metrics":{"cvssMetricV31":[{"source":"secure@citrix.com","type":"Secondary","cvssData":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8}},
            {"source":"nvd@nist.gov","type":"Primary","cvssData":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N","baseScore":7.5}}]},
          "weaknesses":[{"description":[{"lang":"en","value":"CWE-119"},{"lang":"en","value":"NVD-CWE-noinfo"}]}],
          "configurations":[{"nodes":[{"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:a:citrix:netscaler_application_delivery_controller:*:*:*:*:fips:*:*:*"},
            {"vulnerable":false,"criteria":"cpe:2.3:o:citrix:other:*:*:*:*:*:*:*:*"}]}]}],
          "references":[{"url":"https://support.citrix.com/article/CTX579459"}],"cisaExploitAdd":"2023-10-18","cisaRequiredAction":"Apply mitigations."}}"#;
        let Some(Observation::VulnerabilityUpdate(u)) = map_item(raw).unwrap() else {
            panic!()
        };
        assert_eq!(u.cvss3.unwrap().score, Some(7.5));
        assert_eq!(u.cwe, vec!["CWE-119"]);
        assert_eq!(
            u.components,
            vec!["citrix netscaler application delivery controller"]
        );
        assert_eq!(u.active_exploits_observed, Some(true));
    }
}
