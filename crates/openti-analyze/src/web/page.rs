//! What a page references: links by cause, scripts, meta tags, stylesheets and CSS imports.

use std::collections::BTreeMap;

use scraper::{Html, Selector};
use url::Url;

/// Defender TI host-pair causes.
pub mod cause {
    /// An HTTP redirect hop.
    pub const REDIRECT: &str = "redirect";
    /// First URL → final URL of a redirect chain.
    pub const FINAL_REDIRECT: &str = "finalRedirect";
    /// `<script src>`.
    pub const SCRIPT_SRC: &str = "script.src";
    /// `<link href>`.
    pub const LINK_HREF: &str = "link.href";
    /// `<img src>`.
    pub const IMG_SRC: &str = "img.src";
    /// `<a href>`.
    pub const A_HREF: &str = "a.href";
    /// CSS `@import`.
    pub const CSS_IMPORT: &str = "css.import";
    /// A framed page (`<iframe src>`, `<frame src>`): the page is the parent.
    pub const PARENT_PAGE: &str = "parentPage";
    /// A request made by a script (rendering).
    pub const XHR: &str = "xmlhttprequest";
    /// Any other reference (meta refresh, form action, embed, media sources).
    pub const UNKNOWN: &str = "unknown";
}

/// References found in a page.
#[derive(Debug, Default)]
pub struct Extracted {
    /// `(cause, absolute URL)` of every reference.
    pub links: Vec<(&'static str, Url)>,
    /// Absolute script URLs (Wappalyzer `scriptSrc`).
    pub script_src: Vec<String>,
    /// Inline script texts (Wappalyzer `scripts`).
    pub scripts: Vec<String>,
    /// Meta tags: lower-case name/property → contents.
    pub meta: BTreeMap<String, Vec<String>>,
    /// Stylesheets (`<link rel=stylesheet>`), to fetch for `@import`s.
    pub stylesheets: Vec<Url>,
    /// Pages to follow: `<a href>`, frames, meta refresh.
    pub follow: Vec<Url>,
}

fn sel(s: &str) -> Option<Selector> {
    Selector::parse(s).ok()
}

fn http(u: Url) -> Option<Url> {
    matches!(u.scheme(), "http" | "https").then_some(u)
}

/// Parses a page and extracts its references; returns the parsed document too (for `dom`).
pub fn extract(page_url: &Url, html: &str) -> (Html, Extracted) {
    let doc = Html::parse_document(html);
    let mut ex = Extracted::default();
    let base = sel("base[href]")
        .and_then(|s| doc.select(&s).next().and_then(|e| e.value().attr("href")))
        .and_then(|h| page_url.join(h).ok())
        .unwrap_or_else(|| page_url.clone());
    let join = |v: &str| http(base.join(v.trim()).ok()?);
    let table: [(&str, &str, &'static str); 13] = [
        ("script[src]", "src", cause::SCRIPT_SRC),
        ("link[href]", "href", cause::LINK_HREF),
        ("img[src]", "src", cause::IMG_SRC),
        ("a[href]", "href", cause::A_HREF),
        ("area[href]", "href", cause::A_HREF),
        ("iframe[src]", "src", cause::PARENT_PAGE),
        ("frame[src]", "src", cause::PARENT_PAGE),
        ("form[action]", "action", cause::UNKNOWN),
        ("embed[src]", "src", cause::UNKNOWN),
        ("object[data]", "data", cause::UNKNOWN),
        ("source[src]", "src", cause::UNKNOWN),
        ("video[src]", "src", cause::UNKNOWN),
        ("audio[src]", "src", cause::UNKNOWN),
    ];
    for (selector, attr, why) in table {
        let Some(s) = sel(selector) else { continue };
        for e in doc.select(&s) {
            let Some(v) = e.value().attr(attr) else {
                continue;
            };
            if selector == "script[src]" && !v.starts_with("data:text/javascript;") {
                if let Ok(u) = base.join(v.trim()) {
                    ex.script_src.push(u.to_string());
                }
            }
            let Some(u) = join(v) else { continue };
            if selector == "link[href]" {
                let rel = e.value().attr("rel").unwrap_or("").to_ascii_lowercase();
                if rel.split_whitespace().any(|r| r == "stylesheet") {
                    ex.stylesheets.push(u.clone());
                }
            }
            if matches!(why, cause::A_HREF | cause::PARENT_PAGE) {
                ex.follow.push(u.clone());
            }
            ex.links.push((why, u));
        }
    }
    if let Some(s) = sel("script") {
        for e in doc.select(&s) {
            let text: String = e.text().collect();
            if !text.is_empty() {
                ex.scripts.push(text);
            }
        }
    }
    if let Some(s) = sel("meta") {
        for e in doc.select(&s) {
            let el = e.value();
            let key = el
                .attr("name")
                .filter(|k| !k.is_empty())
                .or_else(|| el.attr("property"));
            if let Some(k) = key.filter(|k| !k.is_empty()) {
                ex.meta
                    .entry(k.to_lowercase())
                    .or_default()
                    .push(el.attr("content").unwrap_or("").to_string());
            }
            let refresh = el
                .attr("http-equiv")
                .is_some_and(|h| h.eq_ignore_ascii_case("refresh"));
            if refresh {
                if let Some(u) = el
                    .attr("content")
                    .and_then(refresh_target)
                    .and_then(|t| join(&t))
                {
                    ex.follow.push(u.clone());
                    ex.links.push((cause::UNKNOWN, u));
                }
            }
        }
    }
    if let Some(s) = sel("style") {
        for e in doc.select(&s) {
            let css: String = e.text().collect();
            for u in css_imports(&base, &css) {
                ex.links.push((cause::CSS_IMPORT, u));
            }
        }
    }
    (doc, ex)
}

/// The URL of a `<meta http-equiv=refresh content="5; url=…">`.
fn refresh_target(content: &str) -> Option<String> {
    let (_, rest) = content
        .split_once(';')
        .or_else(|| content.split_once(','))?;
    let rest = rest.trim();
    let rest = rest
        .strip_prefix("url=")
        .or_else(|| rest.strip_prefix("URL="))
        .or_else(|| rest.strip_prefix("Url="))
        .unwrap_or(rest);
    let t = rest.trim().trim_matches(|c| c == '\'' || c == '"');
    (!t.is_empty()).then(|| t.to_string())
}

/// `@import` targets of a stylesheet, resolved against `base`.
pub fn css_imports(base: &Url, css: &str) -> Vec<Url> {
    use std::sync::OnceLock;
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| regex::Regex::new(r#"(?i)@import\s+(?:url\(\s*)?["']?([^"')\s;]+)"#).ok())
        .as_ref()
    else {
        return Vec::new();
    };
    re.captures_iter(css)
        .filter_map(|c| c.get(1))
        .filter_map(|m| http(base.join(m.as_str()).ok()?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes() {
        let u = Url::parse("https://www.example.test/dir/page.html").unwrap();
        let html = r#"<html><head><meta name="Generator" content="WordPress 6.2">
<script src="/js/app.js"></script><script src="https://cdn.example.net/x.js"></script>
<link rel="stylesheet" href="//static.example.org/s.css"><style>@import url("https://fonts.example.com/f.css");</style>
<meta http-equiv="refresh" content="0; url=https://next.example.test/"></head>
<body><img src="https://img.example.com/a.png"><a href="../other.html">o</a>
<iframe src="https://frame.example.com/f"></iframe><script>var x=1</script></body></html>"#;
        let (_, ex) = extract(&u, html);
        let has = |c: &str, h: &str| {
            ex.links
                .iter()
                .any(|(k, l)| *k == c && l.host_str() == Some(h))
        };
        assert!(has(cause::SCRIPT_SRC, "cdn.example.net"));
        assert!(has(cause::LINK_HREF, "static.example.org"));
        assert!(has(cause::CSS_IMPORT, "fonts.example.com"));
        assert!(has(cause::IMG_SRC, "img.example.com"));
        assert!(has(cause::PARENT_PAGE, "frame.example.com"));
        assert!(has(cause::UNKNOWN, "next.example.test"));
        assert!(has(cause::A_HREF, "www.example.test"));
        assert_eq!(ex.script_src[0], "https://www.example.test/js/app.js");
        assert_eq!(ex.meta["generator"], vec!["WordPress 6.2".to_string()]);
        assert_eq!(ex.scripts, vec!["var x=1".to_string()]);
        assert_eq!(ex.stylesheets.len(), 1);
    }
}
