//! The second pass: one STIX object → OpenTI observations, using the [`StixIndex`].
//!
//! | STIX | OpenTI |
//! |---|---|
//! | `intrusion-set`, `threat-actor` | `intel_profile` kind `actor` |
//! | `malware`, `tool` | `intel_profile` kind `tool` |
//! | `report` | `article` (CVE ids of referenced `vulnerability` objects → `cves`) |
//! | `indicator` (STIX patterns) | one `indicator` per observable and linked profile / report |
//! | everything else | nothing (relationships were read in pass 1) |
//!
//! Ids are derived from the STIX id, so a re-import of a newer bundle updates the same rows
//! even when names change: profiles `sha256("stix$$" + id)` (64 hex), articles the first 16 hex
//! digits of the same.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use openti_model::complex::IntelligenceProfileCountryOrRegionOfOrigin as Country;
use openti_model::observation::{IndicatorRef, Seen, Text};
use openti_model::{ids, IntelligenceProfileKind, Observation};
use serde::Deserialize;

use super::index::{Rel, StixIndex};
use super::observables::observables;
use super::pattern;
use crate::text::{clean, dedupe, first_sentence, strip_citations, unlink};

/// How many external references are listed under a profile's or article's text.
pub const MAX_REFERENCES: usize = 10;

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExtRef {
    source_name: String,
    url: Option<String>,
    external_id: Option<String>,
}

/// The fields pass 2 reads.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct FullObject {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    name: Option<String>,
    description: Option<String>,
    aliases: Vec<String>,
    x_mitre_aliases: Vec<String>,
    first_seen: Option<DateTime<Utc>>,
    last_seen: Option<DateTime<Utc>>,
    created: Option<DateTime<Utc>>,
    modified: Option<DateTime<Utc>>,
    published: Option<DateTime<Utc>>,
    valid_from: Option<DateTime<Utc>>,
    revoked: bool,
    x_mitre_deprecated: bool,
    pattern: Option<String>,
    pattern_type: Option<String>,
    labels: Vec<String>,
    report_types: Vec<String>,
    object_refs: Vec<String>,
    external_references: Vec<ExtRef>,
}

/// Profile id of a STIX object.
pub fn profile_id(stix_id: &str) -> String {
    ids::sha256_hex(&format!("stix$${stix_id}"))
}

/// Article id of a STIX report.
pub fn article_id(stix_id: &str) -> String {
    profile_id(stix_id)[..16].to_string()
}

/// Options of the mapping.
#[derive(Debug, Clone, Copy, Default)]
pub struct MapOptions {
    /// Import revoked objects too (marked as such) instead of skipping them.
    pub include_revoked: bool,
}

fn references(refs: &[ExtRef]) -> String {
    let lines: Vec<String> = refs
        .iter()
        .filter_map(|r| {
            let url = r.url.as_deref()?;
            let label = match &r.external_id {
                Some(e) => format!("{} {e}", r.source_name),
                None => r.source_name.clone(),
            };
            Some(format!("- [{}](<{url}>)", label.replace(['[', ']'], "")))
        })
        .take(MAX_REFERENCES)
        .collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!("\n\n**References**\n\n{}", lines.join("\n"))
    }
}

fn status_note(o: &FullObject, ix: &StixIndex) -> String {
    if o.revoked {
        let by: Vec<String> = ix
            .out(&o.id, Rel::RevokedBy)
            .filter_map(|t| ix.named.get(t).map(|n| n.name.clone()))
            .collect();
        if by.is_empty() {
            "_Revoked in the source._\n\n".into()
        } else {
            format!(
                "_Revoked in the source; superseded by {}._\n\n",
                by.join(", ")
            )
        }
    } else if o.x_mitre_deprecated {
        "_Deprecated in the source._\n\n".into()
    } else {
        String::new()
    }
}

fn tradecraft(o: &FullObject, ix: &StixIndex) -> Option<Text> {
    let mut techniques: Vec<String> = Vec::new();
    let mut software: Vec<String> = Vec::new();
    for t in ix.out(&o.id, Rel::Uses) {
        if ix.revoked.contains(t) {
            continue;
        }
        let Some(n) = ix.named.get(t) else { continue };
        let label = match &n.external_id {
            Some(e) => format!("{e} {}", n.name),
            None => n.name.clone(),
        };
        match n.kind.as_str() {
            "attack-pattern" => techniques.push(label),
            "malware" | "tool" => software.push(label),
            _ => {}
        }
    }
    techniques.sort();
    techniques.dedup();
    software.sort();
    software.dedup();
    let mut md = String::new();
    if !techniques.is_empty() {
        md.push_str("**Techniques**\n\n");
        md.push_str(
            &techniques
                .iter()
                .map(|t| format!("- {t}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    if !software.is_empty() {
        if !md.is_empty() {
            md.push_str("\n\n");
        }
        md.push_str("**Software**\n\n");
        md.push_str(
            &software
                .iter()
                .map(|t| format!("- {t}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    (!md.is_empty()).then_some(Text::Plain(md))
}

fn profile(o: FullObject, ix: &StixIndex, kind: IntelligenceProfileKind) -> Option<Observation> {
    let title = clean(o.name.as_deref().unwrap_or(""));
    if title.is_empty() {
        return None;
    }
    let aliases = dedupe(o.aliases.iter().chain(&o.x_mitre_aliases).cloned(), &title);
    let mut countries: Vec<Country> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    for t in ix.out(&o.id, Rel::OriginatesFrom) {
        if let Some(n) = ix.named.get(t) {
            let c = Country {
                code: n.country.clone(),
                label: Some(n.name.clone()).filter(|s| !s.is_empty()),
            };
            if !countries.contains(&c) {
                countries.push(c);
            }
        }
    }
    for t in ix.out(&o.id, Rel::Targets) {
        if let Some(n) = ix.named.get(t) {
            match n.kind.as_str() {
                "identity" if !n.sectors.is_empty() => targets.extend(n.sectors.iter().cloned()),
                "identity" | "location" => targets.push(n.name.clone()),
                _ => {}
            }
        }
    }
    let targets = dedupe(targets, "");
    let desc = strip_citations(o.description.as_deref().unwrap_or(""));
    let summary = first_sentence(&unlink(&desc));
    let description = format!(
        "{}{}{}",
        status_note(&o, ix),
        clean(&desc),
        references(&o.external_references)
    );
    Some(Observation::IntelProfile {
        id: Some(profile_id(&o.id)),
        profile_kind: kind,
        title,
        aliases,
        targets,
        countries,
        first_active: o.first_seen,
        summary: (!summary.is_empty()).then_some(Text::Plain(summary)),
        description: (!description.trim().is_empty()).then_some(Text::Plain(description)),
        tradecraft: tradecraft(&o, ix),
        indicators: Vec::new(),
    })
}

fn report(o: FullObject, ix: &StixIndex) -> Option<Observation> {
    let title = clean(o.name.as_deref().unwrap_or(""));
    if title.is_empty() {
        return None;
    }
    let desc = o.description.as_deref().unwrap_or("");
    let cves: Vec<String> = o
        .object_refs
        .iter()
        .filter_map(|r| ix.named.get(r))
        .filter(|n| n.kind == "vulnerability")
        .filter_map(|n| ids::cve(n.external_id.as_deref().unwrap_or(&n.name)))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let summary = first_sentence(desc);
    Some(Observation::Article {
        id: Some(article_id(&o.id)),
        title,
        summary: (!summary.is_empty()).then_some(Text::Plain(summary)),
        body: Some(Text::Plain(format!(
            "{}{}",
            clean(desc),
            references(&o.external_references)
        ))),
        tags: dedupe(o.labels.iter().chain(&o.report_types).cloned(), ""),
        featured: false,
        image_url: None,
        created: o.published.or(o.created),
        updated: o.modified,
        indicators: Vec::new(),
        cves,
    })
}

fn indicator(
    o: FullObject,
    ix: &StixIndex,
    skip: &HashSet<String>,
) -> Result<Vec<Observation>, String> {
    if let Some(t) = o.pattern_type.as_deref() {
        if t != "stix" {
            return Ok(Vec::new());
        }
    }
    let Some(p) = o.pattern.as_deref() else {
        return Err(format!("{}: indicator without a pattern", o.id));
    };
    let tree = pattern::parse(p).map_err(|e| format!("{}: {e}", o.id))?;
    let artifacts: Vec<IndicatorRef> = observables(&tree);
    let profiles = ix.indicator_profiles(&o.id, skip);
    let reports: Vec<&String> = ix
        .reports_of_indicator
        .get(&o.id)
        .map(|r| r.iter().filter(|r| !skip.contains(*r)).collect())
        .unwrap_or_default();
    let first = o.valid_from.or(o.created);
    let seen = Seen {
        time: None,
        first_seen: first,
        last_seen: o.modified.or(first),
        count: None,
    };
    let mut out = Vec::new();
    for a in &artifacts {
        let Ok(a) = openti_model::observation::normalize_indicator(a) else {
            continue;
        };
        for p in &profiles {
            out.push(Observation::Indicator {
                profile: Some(profile_id(p)),
                article: None,
                artifact: a.clone(),
                seen: seen.clone(),
            });
        }
        for r in &reports {
            out.push(Observation::Indicator {
                profile: None,
                article: Some(article_id(r)),
                artifact: a.clone(),
                seen: Seen::default(),
            });
        }
    }
    Ok(out)
}

/// An article plus one `vulnerability_update` per CVE it names, so that
/// `/vulnerabilities/{id}/articles` works even before the CVE itself is imported.
pub fn with_cve_links(article: Observation) -> Vec<Observation> {
    let mut out = Vec::new();
    if let Observation::Article {
        id: Some(id), cves, ..
    } = &article
    {
        for c in cves {
            let mut u = openti_model::observation::VulnerabilityUpdate::new(c.clone());
            u.articles = vec![id.clone()];
            out.push(Observation::VulnerabilityUpdate(Box::new(u)));
        }
    }
    out.insert(0, article);
    out
}

/// Maps one object (raw JSON) to observations: `Ok(None)` when nothing is imported from it.
pub fn map_object(
    raw: &str,
    ix: &StixIndex,
    opts: MapOptions,
    skip: &HashSet<String>,
) -> Result<Option<Vec<Observation>>, String> {
    let o: FullObject =
        serde_json::from_str(raw).map_err(|e| format!("invalid STIX object: {e}"))?;
    if o.revoked && !opts.include_revoked {
        return Ok(None);
    }
    let obs = match o.kind.as_str() {
        "intrusion-set" | "threat-actor" => {
            profile(o, ix, IntelligenceProfileKind::Actor).map(|p| vec![p])
        }
        "malware" | "tool" => profile(o, ix, IntelligenceProfileKind::Tool).map(|p| vec![p]),
        "report" => report(o, ix).map(with_cve_links),
        "indicator" => Some(indicator(o, ix, skip)?).filter(|v| !v.is_empty()),
        _ => None,
    };
    match obs {
        None => Ok(None),
        Some(v) => v
            .into_iter()
            .map(|o| o.normalize().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
    }
}
