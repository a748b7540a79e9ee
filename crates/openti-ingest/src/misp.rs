//! MISP galaxy cluster files (`clusters/*.json` of the MISP galaxy project) → intelligence
//! profiles, one per cluster value, streamed over the `values` array.
//!
//! | cluster value | `intel_profile` |
//! |---|---|
//! | `value` | `title` (id: `sha256("{kind}$${title lower-cased}")`, the store's default) |
//! | `meta.synonyms` | `aliases` (the title itself and duplicates removed) |
//! | `meta.country` (ISO code) | `countries` `{code, label}`, label from `country.json` |
//! | `meta.cfr-target-category`, `meta.targeted-sector`, `meta.cfr-suspected-victims` | `targets` |
//! | `meta.since` (a year) | `first_active` (1 January of that year) |
//! | `description` | `description` (plus up to 5 `meta.refs` links and a source line); its first sentence → `summary` |
//!
//! The profile kind follows the cluster `type`: actor galaxies (`threat-actor`,
//! `microsoft-activity-group`, `mitre-intrusion-set`, …) give `actor`, software galaxies
//! (`tool`, `rat`, `ransomware`, `botnet`, `mitre-malware`, …) give `tool`; other galaxies need
//! an explicit kind.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use openti_model::complex::IntelligenceProfileCountryOrRegionOfOrigin as Country;
use openti_model::observation::Text;
use openti_model::{ids, IntelligenceProfileKind, Observation};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::jsonstream::{spawn_records, stream_array, CountingReader, ThreadRecords};
use crate::pipeline::Record;
use crate::text::{clean, dedupe, first_sentence};

/// Version of the mapping; part of the batch digest.
pub const MAPPING_VERSION: &str = "openti-misp-galaxy-1";
/// Reference links listed under a description.
pub const MAX_REFS: usize = 5;

/// Galaxy types whose clusters are threat actors.
pub const ACTOR_TYPES: &[&str] = &[
    "threat-actor",
    "microsoft-activity-group",
    "mitre-intrusion-set",
    "mitre-enterprise-attack-intrusion-set",
    "mitre-mobile-attack-intrusion-set",
    "mitre-pre-attack-intrusion-set",
    "mitre-ics-groups",
    "tidal-groups",
    "360net-threat-actor",
];

/// Galaxy types whose clusters are malware or tools.
pub const TOOL_TYPES: &[&str] = &[
    "tool",
    "rat",
    "ransomware",
    "botnet",
    "backdoor",
    "banker",
    "stealer",
    "android",
    "exploit-kit",
    "cryptominers",
    "malpedia",
    "mitre-malware",
    "mitre-tool",
    "mitre-enterprise-attack-malware",
    "mitre-enterprise-attack-tool",
    "mitre-mobile-attack-malware",
    "mitre-mobile-attack-tool",
    "mitre-ics-software",
    "tidal-software",
];

/// The profile kind of a galaxy `type`.
pub fn kind_of_galaxy(galaxy_type: &str) -> Option<IntelligenceProfileKind> {
    if ACTOR_TYPES.contains(&galaxy_type) {
        Some(IntelligenceProfileKind::Actor)
    } else if TOOL_TYPES.contains(&galaxy_type) {
        Some(IntelligenceProfileKind::Tool)
    } else {
        None
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ClusterValue {
    value: String,
    description: Option<String>,
    meta: serde_json::Map<String, Value>,
}

fn as_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Null) | None => vec![],
        Some(other) => vec![other.to_string()],
    }
}

/// ISO code → country name, from the galaxy's own `country.json` cluster.
pub fn load_countries(path: &Path) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    stream_array(f, "values", |_, raw| {
        if let Ok(v) = serde_json::from_str::<ClusterValue>(raw.get()) {
            if let Some(iso) = v.meta.get("ISO").and_then(Value::as_str) {
                let label = v
                    .description
                    .as_deref()
                    .map(clean)
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| v.value.clone());
                out.insert(iso.trim().to_ascii_uppercase(), label);
            }
        }
        Ok(())
    })
    .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(out)
}

/// Maps one cluster value to a profile (`None`: no title).
pub fn map_value(
    raw: &str,
    kind: IntelligenceProfileKind,
    countries: &HashMap<String, String>,
) -> Result<Option<Observation>, String> {
    let v: ClusterValue =
        serde_json::from_str(raw).map_err(|e| format!("invalid cluster value: {e}"))?;
    let title = clean(&v.value);
    if title.is_empty() {
        return Ok(None);
    }
    let meta = |k: &str| as_list(v.meta.get(k));
    let aliases = dedupe(meta("synonyms"), &title);
    let targets = dedupe(
        meta("cfr-target-category")
            .into_iter()
            .chain(meta("targeted-sector"))
            .chain(meta("cfr-suspected-victims")),
        "",
    );
    let country_list = dedupe(meta("country"), "")
        .into_iter()
        .map(|c| {
            let code = c.to_ascii_uppercase();
            Country {
                label: Some(
                    countries
                        .get(&code)
                        .cloned()
                        .unwrap_or_else(|| code.clone()),
                ),
                code: Some(code),
            }
        })
        .collect();
    let since = meta("since").into_iter().next().unwrap_or_default();
    let since = since.trim();
    let first_active = (since.len() == 4 && since.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{since}-01-01T00:00:00Z").parse().ok())
        .flatten();
    let desc = clean(v.description.as_deref().unwrap_or(""));
    let refs: Vec<String> = meta("refs")
        .into_iter()
        .filter(|r| r.starts_with("http://") || r.starts_with("https://"))
        .take(MAX_REFS)
        .collect();
    let mut description = desc.clone();
    if !refs.is_empty() {
        description.push_str("\n\n**References**\n\n");
        description.push_str(
            &refs
                .iter()
                .map(|r| format!("- <{r}>"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    description.push_str("\n\n_Source: MISP galaxy (CC0-1.0 or BSD-2-Clause)._");
    let summary = first_sentence(&desc);
    let o = Observation::IntelProfile {
        id: Some(ids::intelligence_profile(kind.as_str(), &title)),
        profile_kind: kind,
        title,
        aliases,
        targets,
        countries: country_list,
        first_active,
        summary: (!summary.is_empty()).then_some(Text::Plain(summary)),
        description: Some(Text::Plain(description.trim().to_string())),
        tradecraft: None,
        indicators: Vec::new(),
    };
    o.normalize().map(Some).map_err(|e| e.to_string())
}

/// Reads the `type` of a cluster file (streamed; stops at the key).
pub fn galaxy_type(path: &Path) -> Result<Option<String>, String> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    // Cluster files are small enough (the largest is a few MB) to read the head fully.
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let h: Head = serde_json::from_reader(std::io::BufReader::new(f))
        .map_err(|e| format!("{}: not a MISP galaxy cluster file: {e}", path.display()))?;
    Ok(h.kind)
}

/// The batch digest of a cluster file imported as `kind` with a country table.
pub fn digest(
    path: &Path,
    kind: IntelligenceProfileKind,
    countries: &HashMap<String, String>,
) -> Result<String, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file = crate::pipeline::digest_reader(f).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut table: Vec<_> = countries.iter().collect();
    table.sort();
    let mut h = Sha256::new();
    h.update(format!("{MAPPING_VERSION}:{}:{file}:", kind.as_str()).as_bytes());
    for (k, v) in table {
        h.update(format!("{k}={v};").as_bytes());
    }
    Ok(hex::encode(h.finalize()))
}

/// The records of a cluster file (one per value), produced on a worker thread.
pub fn records(
    path: &Path,
    kind: IntelligenceProfileKind,
    countries: Arc<HashMap<String, String>>,
) -> ThreadRecords {
    let path = path.to_path_buf();
    spawn_records(move |emit| {
        let f = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let count = Arc::new(AtomicU64::new(0));
        let reader = CountingReader::new(f, Arc::clone(&count));
        stream_array(reader, "values", |position, raw| {
            let outcome = map_value(raw.get(), kind, &countries)
                .map(|o| o.map(|o| vec![o]))
                .transpose();
            let rec = Record {
                position,
                consumed: count.load(std::sync::atomic::Ordering::Relaxed),
                outcome,
            };
            if emit(rec) {
                Ok(())
            } else {
                Err("stopped".into())
            }
        })
        .map(|_| ())
        .map_err(|e| format!("{}: {e}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_like_the_demo_generator() {
        let countries: HashMap<String, String> = [("RU".to_string(), "Russia".to_string())].into();
        let raw = r#"{"value":"APT28","description":"APT28 is a threat group that has been attributed to Russia. More text.",
            "meta":{"synonyms":["Fancy Bear","APT28","fancy bear","Sofacy"],"country":"RU","since":"2004",
            "cfr-target-category":["Government","Military"],"targeted-sector":["Government"],
            "refs":["https://a.example/1","ftp://x","https://a.example/2"]}}"#;
        let o = map_value(raw, IntelligenceProfileKind::Actor, &countries)
            .unwrap()
            .unwrap();
        let Observation::IntelProfile {
            id,
            aliases,
            targets,
            countries,
            first_active,
            summary,
            description,
            ..
        } = o
        else {
            panic!()
        };
        assert_eq!(
            id.unwrap(),
            "0af8f73b644cd3342bf795ea64548ab448264f44eaa44c8c455f990c54732a47"
        );
        assert_eq!(aliases, vec!["Fancy Bear", "Sofacy"]);
        assert_eq!(targets, vec!["Government", "Military"]);
        assert_eq!(countries[0].label.as_deref(), Some("Russia"));
        assert_eq!(
            first_active.unwrap().to_rfc3339(),
            "2004-01-01T00:00:00+00:00"
        );
        assert_eq!(
            summary.unwrap(),
            Text::Plain("APT28 is a threat group that has been attributed to Russia.".into())
        );
        let Text::Plain(d) = description.unwrap() else {
            panic!()
        };
        assert!(d.contains("- <https://a.example/2>") && !d.contains("ftp://"));
        assert_eq!(
            kind_of_galaxy("ransomware"),
            Some(IntelligenceProfileKind::Tool)
        );
        assert_eq!(kind_of_galaxy("sector"), None);
    }
}
