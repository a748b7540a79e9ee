//! Wappalyzer's `analyze` and `resolve`, including the driver's second pass for technologies
//! with `requires` / `requiresCategory` and its de-duplication of detections.

use std::collections::{BTreeMap, HashSet};

use super::{dom, pattern::parse_int, pattern::Pattern, Fingerprints, Keyed, Technology};

/// What a page offers to the engine. Empty fields are skipped, as in Wappalyzer.
#[derive(Debug, Default)]
pub struct Inputs<'a> {
    /// The page URL (serialised).
    pub url: String,
    /// The HTML.
    pub html: String,
    /// Inline scripts joined with `,` (as JavaScript stringifies the array).
    pub scripts: String,
    /// Absolute script URLs.
    pub script_src: Vec<String>,
    /// Cookies: lower-case name → values.
    pub cookies: BTreeMap<String, Vec<String>>,
    /// Meta tags: lower-case name/property → contents.
    pub meta: BTreeMap<String, Vec<String>>,
    /// Response headers: lower-case name → values.
    pub headers: BTreeMap<String, Vec<String>>,
    /// TLS certificate issuer (organisation).
    pub cert_issuer: String,
    /// Host names contacted by scripts (rendering only).
    pub xhr: Vec<String>,
    /// robots.txt body.
    pub robots: String,
    /// Body text.
    pub text: String,
    /// CSS rules text.
    pub css: String,
    /// JavaScript values: chain → value (rendering only).
    pub js: BTreeMap<String, String>,
    /// The parsed document for `dom` rules (`None`: skip them, as Wappalyzer's core does).
    pub dom: Option<&'a scraper::Html>,
}

/// A raw detection (one pattern matched).
#[derive(Debug, Clone, PartialEq)]
struct Detection {
    tech: usize,
    source: String,
    version: String,
    confidence: u32,
}

/// A resolved technology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// Name.
    pub name: String,
    /// Version (may be empty).
    pub version: String,
    /// Confidence 0–100.
    pub confidence: u32,
    /// Category names, in the technology's order.
    pub categories: Vec<String>,
}

fn one(tech: usize, pats: &[Pattern], value: &str, out: &mut Vec<Detection>) {
    for p in pats {
        if let Some(version) = p.matches(value) {
            out.push(Detection {
                tech,
                source: p.source.clone(),
                version,
                confidence: p.confidence,
            });
        }
    }
}

fn many(
    tech: usize,
    pats: &Keyed,
    items: &BTreeMap<String, Vec<String>>,
    out: &mut Vec<Detection>,
) {
    if items.is_empty() {
        return;
    }
    for (key, list) in pats {
        if let Some(values) = items.get(key) {
            for p in list {
                for v in values {
                    one(tech, std::slice::from_ref(p), v, out);
                }
            }
        }
    }
}

/// Which inputs a pass may use (the driver's second pass has no headers / certificate issuer).
#[derive(Clone, Copy)]
struct Pass {
    headers: bool,
}

fn analyze_tech(i: usize, t: &Technology, inp: &Inputs, pass: Pass, out: &mut Vec<Detection>) {
    let oo: [(&[Pattern], &str); 7] = [
        (&t.url, &inp.url),
        (&t.html, &inp.html),
        (&t.text, &inp.text),
        (&t.scripts, &inp.scripts),
        (&t.css, &inp.css),
        (&t.robots, &inp.robots),
        (
            &t.cert_issuer,
            if pass.headers { &inp.cert_issuer } else { "" },
        ),
    ];
    for (pats, value) in oo {
        if !value.is_empty() && !pats.is_empty() {
            one(i, pats, value, out);
        }
    }
    for x in &inp.xhr {
        one(i, &t.xhr, x, out);
    }
    for s in &inp.script_src {
        one(i, &t.script_src, s, out);
    }
    many(i, &t.cookies, &inp.cookies, out);
    many(i, &t.meta, &inp.meta, out);
    if pass.headers {
        many(i, &t.headers, &inp.headers, out);
    }
    if !inp.js.is_empty() {
        for (chain, pats) in &t.js {
            if let Some(v) = inp.js.get(chain) {
                one(i, pats, v, out);
            }
        }
    }
    if let Some(doc) = inp.dom {
        for (source, version, confidence) in dom::analyze(t, doc) {
            out.push(Detection {
                tech: i,
                source,
                version,
                confidence,
            });
        }
    }
}

fn push_unique(
    all: &mut Vec<Detection>,
    seen: &mut HashSet<(usize, String, String)>,
    new: Vec<Detection>,
) {
    for d in new {
        if seen.insert((d.tech, d.version.clone(), d.source.clone())) {
            all.push(d);
        }
    }
}

impl Fingerprints {
    /// Detects the technologies of one page: base technologies first, then (repeatedly) the
    /// technologies whose `requires` / `requiresCategory` became satisfied, then `resolve`.
    pub fn analyze(&self, inp: &Inputs) -> Vec<Detected> {
        let mut all = Vec::new();
        let mut seen = HashSet::new();
        let mut first = Vec::new();
        for &i in &self.base {
            analyze_tech(i, &self.techs[i], inp, Pass { headers: true }, &mut first);
        }
        push_unique(&mut all, &mut seen, first);
        let mut done_names: HashSet<&str> = HashSet::new();
        let mut done_cats: HashSet<u32> = HashSet::new();
        loop {
            let resolved = self.resolve_idx(&all);
            let mut groups: Vec<&Vec<usize>> = Vec::new();
            for (name, techs) in &self.requires {
                if !done_names.contains(name.as_str())
                    && resolved.iter().any(|r| self.techs[r.0].name == *name)
                {
                    done_names.insert(name);
                    groups.push(techs);
                }
            }
            for (cat, techs) in &self.category_requires {
                if !done_cats.contains(cat)
                    && resolved
                        .iter()
                        .any(|r| self.techs[r.0].categories.contains(cat))
                {
                    done_cats.insert(*cat);
                    groups.push(techs);
                }
            }
            if groups.is_empty() {
                break;
            }
            for g in groups {
                let mut found = Vec::new();
                for &i in g {
                    analyze_tech(i, &self.techs[i], inp, Pass { headers: false }, &mut found);
                }
                push_unique(&mut all, &mut seen, found);
            }
        }
        self.resolve_idx(&all)
            .into_iter()
            .map(|(i, version, confidence)| Detected {
                name: self.techs[i].name.clone(),
                version,
                confidence,
                categories: self.techs[i]
                    .categories
                    .iter()
                    .map(|c| self.category_name(*c).to_string())
                    .collect(),
            })
            .collect()
    }

    /// `resolve`: merge detections per technology (confidence adds up to 100, the longest
    /// plausible version wins), then apply `excludes` and `implies`.
    fn resolve_idx(&self, detections: &[Detection]) -> Vec<(usize, String, u32)> {
        let mut resolved: Vec<(usize, String, u32)> = Vec::new();
        for d in detections {
            if resolved.iter().any(|r| r.0 == d.tech) {
                continue;
            }
            let mut version = String::new();
            let mut confidence = 0u32;
            for o in detections.iter().filter(|o| o.tech == d.tech) {
                confidence = (confidence + o.confidence).min(100);
                let vlen = o.version.encode_utf16().count();
                if vlen > version.encode_utf16().count()
                    && vlen <= 15
                    && parse_int(&o.version).unwrap_or(0) < 10000
                {
                    version = o.version.clone();
                }
            }
            resolved.push((d.tech, version, confidence));
        }
        // excludes (index walk, like Array.prototype.forEach over a shrinking array)
        let mut i = 0;
        while i < resolved.len() {
            let t = resolved[i].0;
            for ex in &self.techs[t].excludes {
                resolved.retain(|r| self.techs[r.0].name != *ex);
            }
            i += 1;
        }
        // implies (forEach visits only the elements present when it starts)
        loop {
            let mut done = true;
            let n = resolved.len();
            for k in 0..n {
                let (t, _, conf) = resolved[k].clone();
                for imp in &self.techs[t].implies {
                    let Some(&j) = self.by_name.get(&imp.name) else {
                        continue;
                    };
                    if !resolved.iter().any(|r| r.0 == j) {
                        resolved.push((j, imp.version.clone(), conf.min(imp.confidence)));
                        done = false;
                    }
                }
            }
            if resolved.is_empty() || done {
                break;
            }
        }
        resolved
    }
}
