//! The first pass over STIX inputs: the small maps the second pass needs, because relationships
//! may come before or after their endpoints (and in other files of the same directory).
//!
//! Kept: id → (type, name) of the objects that can be named in a profile (groups, actors,
//! malware, tools, campaigns, techniques, identities, locations, vulnerabilities), the
//! relationship edges OpenTI maps (`indicates`, `uses`, `attributed-to`, `originates-from`,
//! `targets`, `revoked-by`), which reports reference which indicators and vulnerabilities, and
//! the revoked / deprecated flags. Descriptions, patterns and everything else are not kept.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

/// The relationship types OpenTI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rel {
    /// `indicates` (indicator → what it detects).
    Indicates,
    /// `uses` (group/actor/campaign/malware → malware/tool/technique).
    Uses,
    /// `attributed-to` (campaign → group → actor).
    AttributedTo,
    /// `originates-from` (group/actor/malware → location).
    OriginatesFrom,
    /// `targets` (→ identity / location / vulnerability).
    Targets,
    /// `revoked-by` (old → replacement).
    RevokedBy,
}

impl Rel {
    fn parse(s: &str) -> Option<Rel> {
        Some(match s {
            "indicates" => Rel::Indicates,
            "uses" => Rel::Uses,
            "attributed-to" => Rel::AttributedTo,
            "originates-from" => Rel::OriginatesFrom,
            "targets" => Rel::Targets,
            "revoked-by" => Rel::RevokedBy,
            _ => return None,
        })
    }
}

/// What the index remembers of a named object.
#[derive(Debug, Clone, Default)]
pub struct Named {
    /// STIX type.
    pub kind: String,
    /// Display name (`name`, or for locations the country / region).
    pub name: String,
    /// ATT&CK id (`T1059`, `S0002`, …) or CVE id (vulnerabilities).
    pub external_id: Option<String>,
    /// Locations: ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// Identities: targeted sectors.
    pub sectors: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExtRef {
    source_name: String,
    external_id: Option<String>,
}

/// The fields pass 1 reads from each object (everything else is skipped unparsed).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct IndexObject {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    name: Option<String>,
    revoked: bool,
    x_mitre_deprecated: bool,
    relationship_type: Option<String>,
    source_ref: Option<String>,
    target_ref: Option<String>,
    object_refs: Vec<String>,
    country: Option<String>,
    region: Option<String>,
    sectors: Vec<String>,
    external_references: Vec<ExtRef>,
}

/// Object types whose names the index keeps.
pub const NAMED_TYPES: &[&str] = &[
    "intrusion-set",
    "threat-actor",
    "malware",
    "tool",
    "campaign",
    "attack-pattern",
    "identity",
    "location",
    "vulnerability",
];

/// The maps built by pass 1.
#[derive(Debug, Default)]
pub struct StixIndex {
    /// Named objects by id.
    pub named: HashMap<String, Named>,
    /// Outgoing edges by source id.
    pub out_edges: HashMap<String, Vec<(Rel, String)>>,
    /// Incoming edges by target id.
    pub in_edges: HashMap<String, Vec<(Rel, String)>>,
    /// Reports referencing each indicator.
    pub reports_of_indicator: HashMap<String, Vec<String>>,
    /// Revoked object ids.
    pub revoked: HashSet<String>,
    /// Deprecated object ids (`x_mitre_deprecated`).
    pub deprecated: HashSet<String>,
    /// Objects seen.
    pub objects: u64,
}

fn type_of(id: &str) -> &str {
    id.split("--").next().unwrap_or("")
}

/// Whether a STIX type becomes an intelligence profile.
pub fn is_profile_type(t: &str) -> bool {
    matches!(t, "intrusion-set" | "threat-actor" | "malware" | "tool")
}

impl StixIndex {
    /// Adds one object from pass 1.
    pub(crate) fn add(&mut self, o: IndexObject) {
        self.objects += 1;
        if o.revoked {
            self.revoked.insert(o.id.clone());
        }
        if o.x_mitre_deprecated {
            self.deprecated.insert(o.id.clone());
        }
        match o.kind.as_str() {
            "relationship" => {
                let (Some(rt), Some(src), Some(dst)) =
                    (o.relationship_type, o.source_ref, o.target_ref)
                else {
                    return;
                };
                let Some(rel) = Rel::parse(&rt) else { return };
                // `uses` matters only from groups, actors, campaigns and software.
                if rel == Rel::Uses
                    && !matches!(
                        type_of(&src),
                        "intrusion-set" | "threat-actor" | "campaign" | "malware" | "tool"
                    )
                {
                    return;
                }
                self.in_edges
                    .entry(dst.clone())
                    .or_default()
                    .push((rel, src.clone()));
                self.out_edges.entry(src).or_default().push((rel, dst));
            }
            "report" => {
                for r in o.object_refs {
                    if type_of(&r) == "indicator" {
                        self.reports_of_indicator
                            .entry(r)
                            .or_default()
                            .push(o.id.clone());
                    }
                }
            }
            t if NAMED_TYPES.contains(&t) => {
                let external_id = o.external_references.iter().find_map(|r| {
                    match (r.source_name.as_str(), &r.external_id) {
                        ("mitre-attack" | "cve", Some(e)) => Some(e.clone()),
                        _ => None,
                    }
                });
                let name = o
                    .name
                    .clone()
                    .or_else(|| o.country.clone())
                    .or_else(|| o.region.clone())
                    .unwrap_or_default();
                self.named.insert(
                    o.id,
                    Named {
                        kind: o.kind,
                        name,
                        external_id,
                        country: o.country.map(|c| c.trim().to_ascii_uppercase()),
                        sectors: o.sectors,
                    },
                );
            }
            _ => {}
        }
    }

    /// Targets of `id`'s outgoing edges of one relationship type.
    pub fn out(&self, id: &str, rel: Rel) -> impl Iterator<Item = &str> {
        self.out_edges
            .get(id)
            .into_iter()
            .flatten()
            .filter(move |(r, _)| *r == rel)
            .map(|(_, t)| t.as_str())
    }

    /// Sources of `id`'s incoming edges of one relationship type.
    pub fn into_(&self, id: &str, rel: Rel) -> impl Iterator<Item = &str> {
        self.in_edges
            .get(id)
            .into_iter()
            .flatten()
            .filter(move |(r, _)| *r == rel)
            .map(|(_, s)| s.as_str())
    }

    /// The profiles an indicator's observables are linked to: what it `indicates`, the groups
    /// and actors that `use` that software, and what campaigns and groups are `attributed-to`,
    /// followed up to three steps. `skip` excludes ids (revoked objects not imported).
    pub fn indicator_profiles(&self, indicator: &str, skip: &HashSet<String>) -> Vec<String> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut frontier: Vec<&str> = self.out(indicator, Rel::Indicates).collect();
        let mut out = Vec::new();
        for _ in 0..3 {
            let mut next = Vec::new();
            for id in frontier {
                if !seen.insert(id) || skip.contains(id) {
                    continue;
                }
                let t = type_of(id);
                if is_profile_type(t) {
                    out.push(id.to_string());
                }
                next.extend(self.out(id, Rel::AttributedTo));
                if matches!(t, "malware" | "tool") {
                    next.extend(self.into_(id, Rel::Uses).filter(|s| {
                        matches!(type_of(s), "intrusion-set" | "threat-actor" | "campaign")
                    }));
                }
            }
            frontier = next;
        }
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(src: &str, rt: &str, dst: &str) -> IndexObject {
        IndexObject {
            kind: "relationship".into(),
            id: format!("relationship--{src}{dst}"),
            relationship_type: Some(rt.into()),
            source_ref: Some(src.into()),
            target_ref: Some(dst.into()),
            ..Default::default()
        }
    }

    #[test]
    fn indicator_reaches_software_users_and_attributions() {
        let mut ix = StixIndex::default();
        ix.add(rel("indicator--1", "indicates", "malware--m"));
        ix.add(rel("intrusion-set--g", "uses", "malware--m"));
        ix.add(rel("campaign--c", "uses", "malware--m"));
        ix.add(rel("campaign--c", "attributed-to", "threat-actor--a"));
        ix.add(rel("attack-pattern--t", "uses", "malware--m")); // ignored source type
        let got = ix.indicator_profiles("indicator--1", &HashSet::new());
        assert_eq!(
            got,
            vec!["intrusion-set--g", "malware--m", "threat-actor--a"]
        );
        let skip: HashSet<String> = ["intrusion-set--g".to_string()].into();
        assert_eq!(ix.indicator_profiles("indicator--1", &skip).len(), 2);
    }
}
