//! Page analysis: one fetched (or archived) HTTP response → host pairs, cookies, trackers and
//! components, as [`Observation`]s. Used by the live crawler and the WARC reader alike, so both
//! yield the same facts for the same page.

pub mod page;
pub mod trackers;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use openti_model::observation::{ComponentName, Observation, Seen};
use url::Url;

use crate::fingerprint::{Detected, Fingerprints, Inputs};
pub use page::{cause, css_imports, extract, Extracted};
pub use trackers::Registry;

/// One HTTP response to analyse.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL that was fetched.
    pub url: Url,
    /// Status code.
    pub status: u16,
    /// Response headers in order (names as received).
    pub headers: Vec<(String, String)>,
    /// Body (possibly truncated by the body-size cap).
    pub body: Vec<u8>,
    /// Issuer organisation of the TLS certificate, if any (Wappalyzer `certIssuer`).
    pub cert_issuer: Option<String>,
}

impl Page {
    /// Values of a header (case-insensitive name).
    pub fn header<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the body is HTML (by Content-Type, or by sniffing when there is none).
    pub fn is_html(&self) -> bool {
        match self.header("content-type").next() {
            Some(ct) => {
                let ct = ct.to_ascii_lowercase();
                ct.contains("html") || ct.contains("xml")
            }
            None => {
                let head =
                    String::from_utf8_lossy(&self.body[..self.body.len().min(512)]).to_lowercase();
                head.contains("<html") || head.contains("<!doctype html")
            }
        }
    }
}

/// A cookie set by a `Set-Cookie` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// `Domain` attribute without a leading dot (empty: host-only).
    pub domain: String,
}

/// Parses one `Set-Cookie` header value.
pub fn parse_set_cookie(v: &str) -> Option<SetCookie> {
    let mut parts = v.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let mut domain = String::new();
    for attr in parts {
        if let Some((k, v)) = attr.split_once('=') {
            if k.trim().eq_ignore_ascii_case("domain") {
                domain = v.trim().trim_start_matches('.').to_ascii_lowercase();
            }
        }
    }
    Some(SetCookie {
        name: name.to_string(),
        value: value.trim().trim_matches('"').to_string(),
        domain,
    })
}

/// Everything learnt from one page.
#[derive(Debug, Default)]
pub struct PageFacts {
    /// Host of the page.
    pub host: String,
    /// `(parent host, child host, cause)`, de-duplicated, different hosts only.
    pub pairs: Vec<(String, String, String)>,
    /// Cookies set by the response (and, when rendering, by scripts).
    pub cookies: Vec<SetCookie>,
    /// `(tracker kind, value)`.
    pub trackers: Vec<(String, String)>,
    /// Detected technologies.
    pub components: Vec<Detected>,
    /// What the page references (for crawling further).
    pub extracted: Extracted,
}

impl PageFacts {
    /// Adds a host pair unless it is a self-reference or already present.
    pub fn add_pair(&mut self, parent: &str, child: &str, cause: &str) {
        if parent.is_empty() || child.is_empty() || parent == child {
            return;
        }
        let p = (parent.to_string(), child.to_string(), cause.to_string());
        if !self.pairs.contains(&p) {
            self.pairs.push(p);
        }
    }

    /// The facts as observations seen at `time`.
    pub fn observations(&self, time: DateTime<Utc>) -> Vec<Observation> {
        let seen = || Seen {
            time: Some(time),
            ..Seen::default()
        };
        let mut out = Vec::new();
        for (parent, child, cause) in &self.pairs {
            out.push(Observation::HostPair {
                parent: parent.clone(),
                child: child.clone(),
                link_kind: cause.clone(),
                seen: seen(),
            });
        }
        for c in &self.cookies {
            out.push(Observation::Cookie {
                host: self.host.clone(),
                name: c.name.clone(),
                domain: c.domain.clone(),
                seen: seen(),
            });
        }
        for (kind, value) in &self.trackers {
            out.push(Observation::Tracker {
                host: self.host.clone(),
                tracker_kind: kind.clone(),
                value: value.clone(),
                seen: seen(),
            });
        }
        for d in &self.components {
            out.push(Observation::Component {
                host: self.host.clone(),
                component: ComponentName {
                    name: d.name.clone(),
                    version: d.version.clone(),
                    category: d.categories.first().cloned().unwrap_or_default(),
                },
                seen: seen(),
            });
        }
        out
    }
}

/// Extra inputs only a renderer can supply.
#[derive(Debug, Default, Clone)]
pub struct Rendered {
    /// The DOM serialised after scripts ran (replaces the body for analysis).
    pub html: Option<String>,
    /// URLs requested by scripts (XHR/fetch and script-inserted resources).
    pub requests: Vec<Url>,
    /// Cookies present after scripts ran: `(name, value, domain)`.
    pub cookies: Vec<SetCookie>,
    /// JavaScript values by chain (Wappalyzer `js`).
    pub js: BTreeMap<String, String>,
}

/// The page analyser: fingerprints, tracker registry, options.
#[derive(Debug, Clone)]
pub struct Analyzer {
    /// Technology fingerprints (`None`: no component detection).
    pub fingerprints: Option<Arc<Fingerprints>>,
    /// Tracker registry.
    pub trackers: Arc<Registry>,
    /// Evaluate `dom` rules on the parsed page.
    pub dom: bool,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            fingerprints: None,
            trackers: Arc::new(Registry::builtin()),
            dom: true,
        }
    }
}

/// Host of a URL as stored (lower-case, no brackets).
pub fn host_of(u: &Url) -> String {
    u.host_str()
        .unwrap_or("")
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

impl Analyzer {
    /// Analyses one response (plus rendered extras, if any).
    pub fn analyze(&self, page: &Page, rendered: Option<&Rendered>) -> PageFacts {
        let host = host_of(&page.url);
        let mut facts = PageFacts {
            host: host.clone(),
            ..PageFacts::default()
        };
        let mut cookie_map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let rendered_cookies = rendered.map(|r| r.cookies.as_slice()).unwrap_or(&[]);
        for c in page
            .header("set-cookie")
            .filter_map(parse_set_cookie)
            .chain(rendered_cookies.iter().cloned())
        {
            let mut key = c.name.to_lowercase();
            if key.starts_with("_ga_") && key.len() > 4 {
                key = "_ga_*".into();
            }
            cookie_map.insert(key, vec![c.value.clone()]);
            if !facts
                .cookies
                .iter()
                .any(|o| o.name == c.name && o.domain == c.domain)
            {
                facts.cookies.push(c);
            }
        }
        let html_owned;
        let html: &str = match rendered.and_then(|r| r.html.as_deref()) {
            Some(h) => h,
            None if page.is_html() => {
                html_owned = String::from_utf8_lossy(&page.body).into_owned();
                &html_owned
            }
            None => "",
        };
        let (doc, ex) = extract(&page.url, html);
        for (why, u) in &ex.links {
            facts.add_pair(&host, &host_of(u), why);
        }
        if let Some(r) = rendered {
            for u in &r.requests {
                let known = ex.links.iter().any(|(_, l)| l.host_str() == u.host_str());
                if !known {
                    facts.add_pair(&host, &host_of(u), cause::XHR);
                }
            }
        }
        let urls: Vec<String> = ex.links.iter().map(|(_, u)| u.to_string()).collect();
        facts.trackers = self.trackers.extract(html, &page.headers, &urls);
        if let Some(fp) = &self.fingerprints {
            let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (n, v) in &page.headers {
                headers.entry(n.to_lowercase()).or_default().push(v.clone());
            }
            let inputs = Inputs {
                url: page.url.to_string(),
                html: html.to_string(),
                scripts: ex.scripts.join(","),
                script_src: ex.script_src.clone(),
                cookies: cookie_map,
                meta: ex.meta.clone(),
                headers,
                cert_issuer: page.cert_issuer.clone().unwrap_or_default(),
                xhr: rendered
                    .map(|r| r.requests.iter().map(host_of).collect())
                    .unwrap_or_default(),
                js: rendered.map(|r| r.js.clone()).unwrap_or_default(),
                dom: self.dom.then_some(&doc),
                ..Inputs::default()
            };
            facts.components = fp.analyze(&inputs);
        }
        facts.extracted = ex;
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_parsing() {
        let c = parse_set_cookie("sid=abc; Path=/; Domain=.Example.test; HttpOnly").unwrap();
        assert_eq!(
            (c.name.as_str(), c.value.as_str(), c.domain.as_str()),
            ("sid", "abc", "example.test")
        );
        let c = parse_set_cookie("x=1").unwrap();
        assert_eq!(c.domain, "");
        assert!(parse_set_cookie("novalue").is_none());
    }
}
