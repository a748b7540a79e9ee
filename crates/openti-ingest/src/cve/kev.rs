//! The CISA Known Exploited Vulnerabilities catalogue, JSON (`vulnerabilities` array, streamed)
//! or CSV (same field names as columns).
//!
//! | KEV | `vulnerability_update` |
//! |---|---|
//! | `cveID` | `id`, `active_exploits_observed = true` |
//! | `vendorProject` + `product` | `components` |
//! | `cwes` (JSON list, or `;`/`,`-separated in CSV) | `cwe` |
//! | URLs in `notes` | `references` |
//!
//! The catalogue's `requiredAction`, dates and ransomware flag are not stored: remediation text
//! comes from the CVE record, so the result does not depend on the import order.

use openti_model::observation::{Link, VulnerabilityUpdate};
use openti_model::Observation;
use serde::Deserialize;
use serde_json::Value;

/// One KEV entry (JSON object or CSV row).
#[derive(Deserialize, Default, Debug)]
#[serde(default, rename_all = "camelCase")]
pub struct KevEntry {
    /// CVE id.
    #[serde(rename = "cveID")]
    pub cve_id: String,
    /// Vendor.
    pub vendor_project: String,
    /// Product.
    pub product: String,
    /// Date added to the catalogue.
    pub date_added: String,
    /// Required action.
    pub required_action: String,
    /// Due date for US federal agencies.
    pub due_date: String,
    /// `Known` / `Unknown`.
    pub known_ransomware_campaign_use: String,
    /// Notes (URLs separated by ` ; `).
    pub notes: String,
    /// CWE ids.
    pub cwes: Value,
}

/// Maps one entry.
pub fn map_entry(e: KevEntry) -> Result<Observation, String> {
    let mut u = VulnerabilityUpdate::new(&e.cve_id);
    u.active_exploits_observed = Some(true);
    let component = format!("{} {}", e.vendor_project.trim(), e.product.trim());
    if !component.trim().is_empty() {
        u.components.push(component.trim().to_string());
    }
    u.cwe = match &e.cwes {
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Value::String(s) => s.split([';', ',']).map(|x| x.trim().to_string()).collect(),
        _ => vec![],
    };
    u.cwe.retain(|c| c.starts_with("CWE-"));
    u.references = e
        .notes
        .split([' ', ';'])
        .filter(|s| s.starts_with("https://") || s.starts_with("http://"))
        .map(|s| Link {
            name: None,
            url: s.to_string(),
        })
        .collect();
    Observation::VulnerabilityUpdate(Box::new(u))
        .normalize()
        .map_err(|e| e.to_string())
}

/// Maps one element of the JSON catalogue's `vulnerabilities`.
pub fn map_json(raw: &str) -> Result<Option<Observation>, String> {
    let e: KevEntry = serde_json::from_str(raw).map_err(|e| format!("invalid KEV entry: {e}"))?;
    map_entry(e).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kev_entry() {
        let raw = r#"{"cveID":"CVE-2021-44228","vendorProject":"Apache","product":"Log4j2","vulnerabilityName":"Apache Log4j2 Remote Code Execution Vulnerability",
          "dateAdded":"2021-12-10","shortDescription":"…","requiredAction":"For all affected software assets …","dueDate":"2021-12-24",
          "knownRansomwareCampaignUse":"Known","notes":"https://logging.apache.org/log4j/2.x/security.html ; https://nvd.nist.gov/vuln/detail/CVE-2021-44228","cwes":["CWE-20","CWE-400","CWE-502"]}"#;
        let Some(Observation::VulnerabilityUpdate(u)) = map_json(raw).unwrap() else {
            panic!()
        };
        assert_eq!(u.active_exploits_observed, Some(true));
        assert_eq!(u.components, vec!["Apache Log4j2"]);
        assert_eq!(u.cwe.len(), 3);
        assert_eq!(u.references.len(), 2);
        assert!(map_json(r#"{"cveID":"nope"}"#).is_err());
    }
}
