//! Articles authored in Markdown: optional YAML-style front matter between `---` lines
//! (`title`, `id`, `summary`, `tags`, `image`, `featured`, `date`/`created`, `updated`), then
//! the body. Indicators are extracted from the title, summary and body
//! ([`openti_analyze::ioc`], defanged forms included, known-benign names suppressed); CVE ids
//! link the article to those vulnerabilities.
//!
//! Front matter is the common subset of YAML: `key: value` (quoted or not), inline lists
//! `[a, "b"]` and block lists (`- item` lines under the key), `true`/`false`. Without a `title`
//! the first `# heading` of the body is the title.

use chrono::{DateTime, Utc};
use openti_analyze::ioc::{extract_with, Allowlist, IocKind};
use openti_model::observation::{IndicatorRef, Text};
use openti_model::{ContentFormat, Observation};

/// A parsed front-matter value.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    List(Vec<String>),
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].replace("\\\"", "\"").replace("''", "'");
        }
    }
    s.to_string()
}

fn parse_front_matter(fm: &str) -> Result<Vec<(String, Value)>, String> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for (n, line) in fm.lines().enumerate() {
        let t = line.trim_end();
        if t.trim().is_empty() || t.trim_start().starts_with('#') {
            continue;
        }
        if let Some(item) = t
            .trim_start()
            .strip_prefix("- ")
            .or_else(|| (t.trim() == "-").then_some(""))
        {
            match out.last_mut() {
                Some((_, Value::List(l))) => l.push(unquote(item)),
                Some((_, v)) if *v == Value::Str(String::new()) => {
                    *v = Value::List(vec![unquote(item)])
                }
                _ => {
                    return Err(format!(
                        "front matter line {}: list item without a key",
                        n + 2
                    ))
                }
            }
            continue;
        }
        let (k, v) = t
            .split_once(':')
            .ok_or_else(|| format!("front matter line {}: expected `key: value`", n + 2))?;
        let v = v.trim();
        let value = if v.starts_with('[') && v.ends_with(']') {
            Value::List(
                v[1..v.len() - 1]
                    .split(',')
                    .map(unquote)
                    .filter(|s| !s.is_empty())
                    .collect(),
            )
        } else {
            Value::Str(unquote(v))
        };
        out.push((k.trim().to_ascii_lowercase(), value));
    }
    Ok(out)
}

fn time(v: &str) -> Result<DateTime<Utc>, String> {
    crate::cve::parse_time(v).ok_or_else(|| format!("invalid date {v:?}"))
}

/// What was extracted besides the article itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    /// Indicators (type, value).
    pub indicators: Vec<IndicatorRef>,
    /// CVE ids.
    pub cves: Vec<String>,
}

/// Parses a Markdown article into an `article` observation (normalised).
pub fn article_from_markdown(
    text: &str,
    allow: &Allowlist,
) -> Result<(Observation, Extracted), String> {
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let (fm, body) = match text.strip_prefix("---\n") {
        Some(rest) => match rest.find("\n---") {
            Some(end) => {
                let after = &rest[end + 4..];
                (
                    parse_front_matter(&rest[..end])?,
                    after.trim_start_matches(['-']).trim_start_matches('\n'),
                )
            }
            None => return Err("front matter is not closed by a `---` line".into()),
        },
        None => (Vec::new(), text.as_str()),
    };
    let get = |k: &str| {
        fm.iter().find(|(key, _)| key == k).map(|(_, v)| match v {
            Value::Str(s) => s.clone(),
            Value::List(l) => l.join(", "),
        })
    };
    let title = get("title")
        .filter(|t| !t.is_empty())
        .or_else(|| {
            body.lines()
                .find_map(|l| l.strip_prefix("# ").map(|t| t.trim().to_string()))
        })
        .ok_or("the article needs a `title` in its front matter or a `# heading`")?;
    let tags = match fm.iter().find(|(k, _)| k == "tags") {
        Some((_, Value::List(l))) => l.clone(),
        Some((_, Value::Str(s))) => s
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        None => Vec::new(),
    };
    let featured = match get("featured").as_deref() {
        None | Some("") | Some("false") | Some("no") => false,
        Some("true") | Some("yes") => true,
        Some(other) => return Err(format!("featured: expected true or false, got {other:?}")),
    };
    let summary = get("summary").filter(|s| !s.is_empty());
    let created = get("created")
        .or_else(|| get("date"))
        .map(|d| time(&d))
        .transpose()?;
    let updated = get("updated").map(|d| time(&d)).transpose()?;
    let scan = format!("{title}\n{}\n{body}", summary.clone().unwrap_or_default());
    let mut extracted = Extracted::default();
    for i in extract_with(&scan, allow) {
        match i.kind {
            IocKind::Cve => extracted.cves.push(i.value),
            k => extracted.indicators.push(IndicatorRef {
                kind: k.as_str().to_string(),
                value: i.value,
                source: None,
            }),
        }
    }
    let o = Observation::Article {
        id: get("id").filter(|s| !s.is_empty()),
        title,
        summary: summary.map(Text::Plain),
        body: Some(Text::Formatted {
            content: body.trim().to_string(),
            format: ContentFormat::Markdown,
        }),
        tags,
        featured,
        image_url: get("image")
            .or_else(|| get("image_url"))
            .filter(|s| !s.is_empty()),
        created,
        updated,
        indicators: extracted.indicators.clone(),
        cves: extracted.cves.clone(),
    };
    let o = o.normalize().map_err(|e| e.to_string())?;
    Ok((o, extracted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_and_extraction() {
        let md = "---\ntitle: \"Heron phishing wave\"\ntags: [phishing, 'heron']\nimage: https://img.example.test/h.png\nfeatured: true\nsummary: Short.\ndate: 2024-03-01\n---\n\n## Details\n\nThe lure pointed to hxxps://login-portal[.]example[.]test/auth and 203.0.113[.]45, \
                  exploiting CVE-2023-4966. See https://www.microsoft.com/ for nothing.\n";
        let (o, x) = article_from_markdown(md, &Allowlist::default()).unwrap();
        let Observation::Article {
            title,
            tags,
            featured,
            image_url,
            created,
            cves,
            indicators,
            ..
        } = o
        else {
            panic!()
        };
        assert_eq!(title, "Heron phishing wave");
        assert_eq!(tags, vec!["phishing", "heron"]);
        assert!(featured);
        assert!(image_url.is_some() && created.is_some());
        assert_eq!(cves, vec!["CVE-2023-4966"]);
        let kinds: Vec<&str> = indicators.iter().map(|i| i.kind.as_str()).collect();
        assert_eq!(kinds, vec!["url", "hostname", "ip"]);
        assert_eq!(x.cves.len(), 1);
    }

    #[test]
    fn heading_title_block_lists_and_errors() {
        let md = "---\ntags:\n  - a\n  - b\n---\n# From heading\n\ntext";
        let (o, _) = article_from_markdown(md, &Allowlist::default()).unwrap();
        assert!(
            matches!(o, Observation::Article { ref title, ref tags, .. } if title == "From heading" && tags.len() == 2)
        );
        assert!(article_from_markdown("no title here", &Allowlist::default()).is_err());
        assert!(article_from_markdown("---\ntitle: x\n", &Allowlist::default()).is_err());
        assert!(article_from_markdown(
            "---\ntitle: x\nfeatured: maybe\n---\n",
            &Allowlist::default()
        )
        .is_err());
    }
}
