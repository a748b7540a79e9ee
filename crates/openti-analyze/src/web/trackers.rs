//! The tracker registry: an open, data-driven list of tracker kinds and their extractors.
//!
//! The built-in registry is `trackers.toml` beside this file (compiled in); users may load
//! their own file in the same format. JARM hashes (`JarmHash`) come from the active probe in
//! `openti-collect`, not from page content.

use serde::Deserialize;

/// Where a tracker's patterns run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The page source.
    #[default]
    Html,
    /// Each response header as `name: value`.
    Header,
    /// Each URL referenced by the page.
    Url,
}

#[derive(Debug, Deserialize)]
struct FileEntry {
    kind: String,
    #[serde(default)]
    description: String,
    patterns: Vec<String>,
    #[serde(default)]
    source: Source,
    #[serde(default)]
    case: Option<String>,
}

#[derive(Debug, Deserialize)]
struct File {
    tracker: Vec<FileEntry>,
}

/// One tracker kind with compiled extractors.
#[derive(Debug)]
pub struct TrackerKind {
    /// The `tracker_kind` name.
    pub kind: String,
    /// What it is.
    pub description: String,
    /// Where the patterns run.
    pub source: Source,
    patterns: Vec<regex::Regex>,
    case: Option<String>,
}

/// The registry.
#[derive(Debug)]
pub struct Registry {
    /// Tracker kinds in file order.
    pub kinds: Vec<TrackerKind>,
}

/// The built-in registry file.
pub const BUILTIN: &str = include_str!("trackers.toml");

impl Registry {
    /// The built-in registry.
    pub fn builtin() -> Registry {
        // The built-in file is tested; a failure here would be a build defect.
        Registry::from_toml(BUILTIN).unwrap_or(Registry { kinds: Vec::new() })
    }

    /// Parses a registry file.
    pub fn from_toml(text: &str) -> Result<Registry, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut kinds = Vec::new();
        for e in file.tracker {
            let patterns = e
                .patterns
                .iter()
                .map(|p| regex::Regex::new(p).map_err(|err| format!("{}: {err}", e.kind)))
                .collect::<Result<Vec<_>, _>>()?;
            kinds.push(TrackerKind {
                kind: e.kind,
                description: e.description,
                source: e.source,
                patterns,
                case: e.case,
            });
        }
        Ok(Registry { kinds })
    }

    /// Adds the kinds of another registry (a user file extends the built-in one).
    pub fn extend(&mut self, other: Registry) {
        self.kinds.extend(other.kinds);
    }

    /// Extracts `(kind, value)` pairs, de-duplicated, in registry order.
    pub fn extract(
        &self,
        html: &str,
        headers: &[(String, String)],
        urls: &[String],
    ) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let header_lines: Vec<String> = headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
        for k in &self.kinds {
            let texts: Vec<&str> = match k.source {
                Source::Html => vec![html],
                Source::Header => header_lines.iter().map(String::as_str).collect(),
                Source::Url => urls.iter().map(String::as_str).collect(),
            };
            for t in texts {
                for re in &k.patterns {
                    for c in re.captures_iter(t) {
                        let Some(m) = c.get(1).or_else(|| c.get(0)) else {
                            continue;
                        };
                        let v = match k.case.as_deref() {
                            Some("upper") => m.as_str().to_uppercase(),
                            Some("lower") => m.as_str().to_lowercase(),
                            _ => m.as_str().to_string(),
                        };
                        let pair = (k.kind.clone(), v);
                        if !pair.1.is_empty() && !out.contains(&pair) {
                            out.push(pair);
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_forty_kinds() {
        let r = Registry::from_toml(BUILTIN).expect("builtin registry parses");
        assert!(r.kinds.len() >= 40, "{}", r.kinds.len());
        let mut names: Vec<&str> = r.kinds.iter().map(|k| k.kind.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), r.kinds.len(), "kinds are unique");
    }

    #[test]
    fn extracts_common_snippets() {
        let r = Registry::builtin();
        let html = r#"<!-- saved from url=(0022)http://phish.example/ -->
<script>ga('create', 'UA-1234567-2', 'auto'); gtag('config', 'G-ABCDEF1234');
(function(w,d,s,l,i){})(window,document,'script','dataLayer','GTM-K9X2ZQ');
fbq('init', '123456789012345'); ym(87654321, "init", {}); window.NREUM={info:{applicationID:"1234567"}};
hj=function(){}; _hjSettings={hjid:3456789,hjsv:6}; clicky_site_ids.push(101234567);
var sc_project=12345678; mixpanel.init("0123456789abcdef0123456789abcdef");
</script><script src="https://hm.baidu.com/hm.js?0123456789abcdef0123456789abcdef"></script>
<script async src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js?client=ca-pub-1234567890123456"></script>
<script>(function(c,l,a,r,i,t,y){})(window, document, "clarity", "script", "abcd1234ef");</script>
<!-- Mirrored from www.victim.example/ by HTTrack Website Copier/3.x [XR&CO'2014], Mon, 01 Jan 2024 -->"#;
        let got = r.extract(html, &[], &[]);
        let has = |k: &str, v: &str| got.iter().any(|(a, b)| a == k && b == v);
        for (k, v) in [
            ("GoogleAnalyticsID", "UA-1234567-2"),
            ("GoogleAnalyticsTrackingId", "G-ABCDEF1234"),
            ("GoogleTagManagerId", "GTM-K9X2ZQ"),
            ("FacebookId", "123456789012345"),
            ("YandexMetricaCounterId", "87654321"),
            ("NewRelicId", "1234567"),
            ("HotjarId", "3456789"),
            ("ClickyId", "101234567"),
            ("StatCounterId", "12345678"),
            ("MixpanelId", "0123456789abcdef0123456789abcdef"),
            ("BaiduAnalyticsId", "0123456789abcdef0123456789abcdef"),
            ("AdsenseId", "pub-1234567890123456"),
            ("MicrosoftClarityId", "abcd1234ef"),
            ("MarkOfTheWeb", "http://phish.example/"),
            ("HTTrack", "www.victim.example/"),
        ] {
            assert!(has(k, v), "missing {k}={v} in {got:?}");
        }
    }
}
