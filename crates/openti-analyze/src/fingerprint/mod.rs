//! A technology fingerprint engine reading the Wappalyzer technology format.
//!
//! A fingerprint directory is either a Wappalyzer package root (`technologies/*.json` plus
//! `categories.json`) or a directory of technology files with `categories.json` beside them or
//! one level up. The pinned MIT-licensed data of npm `wappalyzer@6.10.47` is fetched by
//! `scripts/fetch-data.sh`; users may point at their own directory in the same format.
//!
//! Supported fields: `headers`, `cookies`, `meta`, `html`, `scriptSrc`, `scripts`, `url`,
//! `xhr`, `text`, `css`, `robots`, `certIssuer`, `dns`, `dom` (CSS selectors with `exists`,
//! `text`, `attributes`, `properties`), `js` (when a renderer supplies values), `implies`,
//! `requires`, `requiresCategory`, `excludes`, `\;confidence:` and `\;version:` templates.
//! [`engine`] reproduces Wappalyzer's `analyze` / `resolve` semantics.

pub mod dom;
pub mod engine;
pub mod pattern;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub use engine::{Detected, Inputs};
use pattern::Pattern;

/// Patterns keyed by a name (header, cookie, meta name, JS chain).
pub type Keyed = Vec<(String, Vec<Pattern>)>;

/// A DOM rule: a CSS selector and what must hold for matched nodes.
#[derive(Debug)]
pub struct DomRule {
    /// The CSS selector.
    pub selector: String,
    /// Checks (any may match).
    pub checks: Vec<DomCheck>,
}

/// One check of a DOM rule.
#[derive(Debug, Default)]
pub struct DomCheck {
    /// The node exists.
    pub exists: Option<Pattern>,
    /// The node's text matches.
    pub text: Option<Pattern>,
    /// Attributes match.
    pub attributes: Vec<(String, Pattern)>,
    /// DOM properties match (evaluated on attributes of the same name without a renderer).
    pub properties: Vec<(String, Pattern)>,
}

/// An implied technology.
#[derive(Debug)]
pub struct Implied {
    /// Name.
    pub name: String,
    /// Confidence.
    pub confidence: u32,
    /// Version (literal).
    pub version: String,
}

/// One technology.
#[derive(Debug, Default)]
pub struct Technology {
    /// Name.
    pub name: String,
    /// Category ids.
    pub categories: Vec<u32>,
    /// One-to-one patterns by input type (`url`, `xhr`, `html`, `text`, `scripts`, `css`,
    /// `robots`, `certIssuer`).
    pub url: Vec<Pattern>,
    /// XHR host names.
    pub xhr: Vec<Pattern>,
    /// HTML.
    pub html: Vec<Pattern>,
    /// Body text.
    pub text: Vec<Pattern>,
    /// Inline scripts (joined with `,`).
    pub scripts: Vec<Pattern>,
    /// CSS rules.
    pub css: Vec<Pattern>,
    /// robots.txt.
    pub robots: Vec<Pattern>,
    /// TLS certificate issuer.
    pub cert_issuer: Vec<Pattern>,
    /// Script URLs (one-to-many).
    pub script_src: Vec<Pattern>,
    /// Cookies by lower-case name.
    pub cookies: Keyed,
    /// Meta tags by lower-case name.
    pub meta: Keyed,
    /// Headers by lower-case name.
    pub headers: Keyed,
    /// DNS records by type.
    pub dns: Keyed,
    /// JavaScript globals by chain (case-sensitive).
    pub js: Keyed,
    /// DOM rules.
    pub dom: Vec<DomRule>,
    /// Implied technologies.
    pub implies: Vec<Implied>,
    /// Excluded technologies.
    pub excludes: Vec<String>,
    /// Only detected when these are.
    pub requires: Vec<String>,
    /// Only detected when a technology of these categories is.
    pub requires_category: Vec<u32>,
}

/// A category.
#[derive(Debug, Clone)]
pub struct Category {
    /// Name.
    pub name: String,
    /// Priority.
    pub priority: i64,
}

/// A loaded fingerprint set.
#[derive(Debug, Default)]
pub struct Fingerprints {
    /// Every technology, in file order.
    pub techs: Vec<Technology>,
    /// Technologies analysed on every page (no `requires`).
    pub base: Vec<usize>,
    /// Technologies analysed once the named technology is detected.
    pub requires: Vec<(String, Vec<usize>)>,
    /// Technologies analysed once a technology of the category is detected.
    pub category_requires: Vec<(u32, Vec<usize>)>,
    /// Categories by id.
    pub categories: HashMap<u32, Category>,
    /// Index by name.
    pub by_name: HashMap<String, usize>,
    /// Patterns that could not be compiled (they never match).
    pub bad_patterns: usize,
}

/// Errors loading fingerprints.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A file is not valid JSON of the expected shape.
    #[error("parsing {path}: {message}")]
    Parse {
        /// Path.
        path: PathBuf,
        /// Reason.
        message: String,
    },
}

fn read_json(path: &Path) -> Result<Map<String, Value>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(LoadError::Parse {
            path: path.to_path_buf(),
            message: "expected a JSON object".into(),
        }),
        Err(e) => Err(LoadError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

impl Fingerprints {
    /// Loads a fingerprint directory (see the module documentation for the layouts).
    pub fn load_dir(dir: &Path) -> Result<Fingerprints, LoadError> {
        let (tech_dir, cat_file) = if dir.join("technologies").is_dir() {
            (dir.join("technologies"), dir.join("categories.json"))
        } else if dir.join("categories.json").is_file() {
            (dir.to_path_buf(), dir.join("categories.json"))
        } else {
            (dir.to_path_buf(), dir.join("../categories.json"))
        };
        let io = |source| LoadError::Io {
            path: tech_dir.clone(),
            source,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&tech_dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && p.file_name().is_some_and(|n| n != "categories.json")
            })
            .collect();
        files.sort();
        let mut techs = Map::new();
        for f in files {
            techs.extend(read_json(&f)?);
        }
        let categories = if cat_file.is_file() {
            read_json(&cat_file)?
        } else {
            Map::new()
        };
        Ok(Fingerprints::from_json(&techs, &categories))
    }

    /// Builds a fingerprint set from parsed `technologies` and `categories` objects.
    pub fn from_json(techs: &Map<String, Value>, categories: &Map<String, Value>) -> Fingerprints {
        let mut fp = Fingerprints::default();
        for (id, c) in categories {
            if let Ok(id) = id.parse::<u32>() {
                fp.categories.insert(
                    id,
                    Category {
                        name: c["name"].as_str().unwrap_or("").to_string(),
                        priority: c["priority"].as_i64().unwrap_or(0),
                    },
                );
            }
        }
        for (name, t) in techs {
            let tech = parse_technology(name, t);
            fp.by_name.insert(name.clone(), fp.techs.len());
            fp.techs.push(tech);
        }
        let mut requires: Vec<(String, Vec<usize>)> = Vec::new();
        let mut cat_requires: Vec<(u32, Vec<usize>)> = Vec::new();
        for (i, t) in fp.techs.iter().enumerate() {
            for r in &t.requires {
                match requires.iter_mut().find(|(n, _)| n == r) {
                    Some((_, v)) => v.push(i),
                    None => requires.push((r.clone(), vec![i])),
                }
            }
            for c in &t.requires_category {
                match cat_requires.iter_mut().find(|(n, _)| n == c) {
                    Some((_, v)) => v.push(i),
                    None => cat_requires.push((*c, vec![i])),
                }
            }
            if t.requires.is_empty() && t.requires_category.is_empty() {
                fp.base.push(i);
            }
        }
        // JavaScript orders integer-like object keys numerically.
        cat_requires.sort_by_key(|(c, _)| *c);
        fp.requires = requires;
        fp.category_requires = cat_requires;
        fp.bad_patterns = fp.techs.iter().map(count_bad).sum();
        fp
    }

    /// Name of a category id (empty if unknown).
    pub fn category_name(&self, id: u32) -> &str {
        self.categories
            .get(&id)
            .map(|c| c.name.as_str())
            .unwrap_or("")
    }
}

fn count_bad(t: &Technology) -> usize {
    let lists = [
        &t.url,
        &t.xhr,
        &t.html,
        &t.text,
        &t.scripts,
        &t.css,
        &t.robots,
        &t.cert_issuer,
        &t.script_src,
    ];
    let keyed = [&t.cookies, &t.meta, &t.headers, &t.dns, &t.js];
    lists
        .iter()
        .flat_map(|l| l.iter())
        .chain(
            keyed
                .iter()
                .flat_map(|k| k.iter().flat_map(|(_, v)| v.iter())),
        )
        .filter(|p| p.regex.is_none())
        .count()
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn to_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(scalar).collect(),
        other => scalar(other).into_iter().collect(),
    }
}

/// `transformPatterns` for fields that are a pattern or a list of patterns.
fn plain(v: Option<&Value>) -> Vec<Pattern> {
    match v {
        None | Some(Value::Null) | Some(Value::Object(_)) => Vec::new(),
        Some(v) => to_list(v).iter().map(|p| Pattern::parse(p, true)).collect(),
    }
}

/// `transformPatterns` for fields keyed by a name.
fn keyed(v: Option<&Value>, case_sensitive: bool) -> Keyed {
    let Some(Value::Object(m)) = v else {
        return Vec::new();
    };
    let mut out: Keyed = Vec::new();
    for (k, v) in m {
        let key = if case_sensitive {
            k.clone()
        } else {
            k.to_lowercase()
        };
        let pats = to_list(v).iter().map(|p| Pattern::parse(p, true)).collect();
        match out.iter_mut().find(|(n, _)| *n == key) {
            Some(slot) => slot.1 = pats,
            None => out.push((key, pats)),
        }
    }
    out
}

fn dom_rules(v: Option<&Value>) -> Vec<DomRule> {
    let exists = || DomCheck {
        exists: Some(Pattern::parse("", true)),
        ..DomCheck::default()
    };
    match v {
        Some(Value::String(s)) => vec![DomRule {
            selector: s.clone(),
            checks: vec![exists()],
        }],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| DomRule {
                selector: s.to_string(),
                checks: vec![exists()],
            })
            .collect(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(sel, spec)| {
                let specs: Vec<&Value> = match spec {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                DomRule {
                    selector: sel.clone(),
                    checks: specs.into_iter().filter_map(dom_check).collect(),
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn dom_check(spec: &Value) -> Option<DomCheck> {
    let m = spec.as_object()?;
    let named = |k: &str| -> Vec<(String, Pattern)> {
        m.get(k)
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .filter_map(|(n, p)| scalar(p).map(|p| (n.clone(), Pattern::parse(&p, true))))
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(DomCheck {
        exists: m
            .get("exists")
            .and_then(scalar)
            .map(|p| Pattern::parse(&p, true)),
        text: m
            .get("text")
            .and_then(scalar)
            .map(|p| Pattern::parse(&p, true)),
        attributes: named("attributes"),
        properties: named("properties"),
    })
}

fn names(v: Option<&Value>) -> Vec<String> {
    v.map(to_list)
        .unwrap_or_default()
        .iter()
        .map(|s| s.split("\\;").next().unwrap_or("").to_string())
        .collect()
}

fn parse_technology(name: &str, t: &Value) -> Technology {
    let f = |k: &str| t.get(k);
    let implies = f("implies")
        .map(to_list)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let p = Pattern::parse(s, false);
            Implied {
                name: s.split("\\;").next().unwrap_or("").to_string(),
                confidence: p.confidence,
                version: p.version,
            }
        })
        .collect();
    Technology {
        name: name.to_string(),
        categories: f("cats")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_u64().map(|c| c as u32))
                    .collect()
            })
            .unwrap_or_default(),
        url: plain(f("url")),
        xhr: plain(f("xhr")),
        html: plain(f("html")),
        text: plain(f("text")),
        scripts: plain(f("scripts")),
        css: plain(f("css")),
        robots: plain(f("robots")),
        cert_issuer: plain(f("certIssuer")),
        script_src: plain(f("scriptSrc")),
        cookies: keyed(f("cookies"), false),
        meta: keyed(f("meta"), false),
        headers: keyed(f("headers"), false),
        dns: keyed(f("dns"), false),
        js: keyed(f("js"), true),
        dom: dom_rules(f("dom")),
        implies,
        excludes: names(f("excludes")),
        requires: names(f("requires")),
        requires_category: f("requiresCategory")
            .map(to_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
    }
}
