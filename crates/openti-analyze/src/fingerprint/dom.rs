//! `dom` rules evaluated on a parsed document (no JavaScript): CSS selectors with `exists`,
//! `text` and `attributes` checks. `properties` need a live DOM and are evaluated on the
//! attribute of the same name, which covers the common `href`/`src`/`content` cases.

use scraper::{Html, Selector};

use super::Technology;

/// Evaluates a technology's DOM rules; returns `(pattern source, version, confidence)` per match.
pub fn analyze(t: &Technology, doc: &Html) -> Vec<(String, String, u32)> {
    let mut out = Vec::new();
    for rule in &t.dom {
        let Ok(sel) = Selector::parse(&rule.selector) else {
            continue;
        };
        let nodes: Vec<_> = doc.select(&sel).take(50).collect();
        if nodes.is_empty() {
            continue;
        }
        for check in &rule.checks {
            let mut hit = |p: &super::pattern::Pattern, value: &str, tag: &str| {
                if let Some(v) = p.matches(value) {
                    let key = format!("dom:{}:{tag}:{}", rule.selector, p.source);
                    if !out
                        .iter()
                        .any(|(k, vv, _): &(String, String, u32)| *k == key && *vv == v)
                    {
                        out.push((key, v, p.confidence));
                    }
                }
            };
            if let Some(p) = &check.exists {
                hit(p, "", "exists");
            }
            for node in &nodes {
                if let Some(p) = &check.text {
                    let text: String = node.text().collect();
                    let text = text.trim();
                    if !text.is_empty() {
                        hit(p, text, "text");
                    }
                }
                for (name, p) in check.attributes.iter().chain(check.properties.iter()) {
                    if let Some(v) = node.value().attr(name) {
                        hit(p, v, name);
                    }
                }
            }
        }
    }
    out
}
