//! Wappalyzer patterns: `regex\;version:\1\;confidence:50` strings, compiled with the same
//! textual rewriting Wappalyzer applies (`/` escaped, `+` → `{1,250}`, `*` → `{0,250}`) and then
//! translated from JavaScript regex syntax to Rust's (`regex`, or `fancy-regex` for look-around
//! and back-references), case-insensitive like Wappalyzer's `new RegExp(…, 'i')`.

use std::sync::OnceLock;

/// A compiled regular expression (plain or with look-around / back-references).
#[derive(Debug)]
pub enum Re {
    /// Finite-automaton engine.
    Std(regex::Regex),
    /// Backtracking engine for look-around and back-references.
    Fancy(Box<fancy_regex::Regex>),
}

impl Re {
    /// Compiles a Wappalyzer-rewritten JavaScript pattern (case-insensitive).
    pub fn compile_js(js: &str) -> Result<Re, String> {
        let rust = translate(js);
        let with_flags = format!("(?i){rust}");
        match regex::RegexBuilder::new(&with_flags)
            .size_limit(64 << 20)
            .dfa_size_limit(16 << 20)
            .build()
        {
            Ok(r) => Ok(Re::Std(r)),
            Err(_) => fancy_regex::RegexBuilder::new(&with_flags)
                .delegate_size_limit(64 << 20)
                .build()
                .map(|r| Re::Fancy(Box::new(r)))
                .map_err(|e| format!("{js:?}: {e}")),
        }
    }

    /// The capture groups of the first match (index 0 = whole match); `None` without a match.
    pub fn captures(&self, text: &str) -> Option<Vec<Option<String>>> {
        match self {
            Re::Std(r) => r.captures(text).map(|c| {
                c.iter()
                    .map(|m| m.map(|m| m.as_str().to_string()))
                    .collect()
            }),
            Re::Fancy(r) => match r.captures(text) {
                Ok(Some(c)) => Some(
                    c.iter()
                        .map(|m| m.map(|m| m.as_str().to_string()))
                        .collect(),
                ),
                _ => None,
            },
        }
    }

    /// Whether the expression matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        match self {
            Re::Std(r) => r.is_match(text),
            Re::Fancy(r) => r.is_match(text).unwrap_or(false),
        }
    }
}

/// One parsed pattern.
#[derive(Debug)]
pub struct Pattern {
    /// The rewritten JavaScript source (identifies the pattern, as `regex.toString()` does).
    pub source: String,
    /// The compiled expression; `None` if it could not be compiled (never matches).
    pub regex: Option<Re>,
    /// Confidence (default 100).
    pub confidence: u32,
    /// Version template (`\1`, `\1?a:b`), may be empty.
    pub version: String,
}

/// Wappalyzer's textual rewriting of a pattern before `new RegExp`.
pub fn rewrite(attr: &str) -> String {
    attr.replace('/', "\\/")
        .replace("\\+", "__escapedPlus__")
        .replace('+', "{1,250}")
        .replace('*', "{0,250}")
        .replace("__escapedPlus__", "\\+")
}

impl Pattern {
    /// Parses `regex\;key:value\;…`. With `is_regex = false` the expression is empty (matches
    /// everything), as for DOM selectors.
    pub fn parse(text: &str, is_regex: bool) -> Pattern {
        let mut parts = text.split("\\;");
        let first = parts.next().unwrap_or("");
        let mut confidence = None;
        let mut version = String::new();
        for attr in parts {
            let mut kv = attr.split(':');
            let key = kv.next().unwrap_or("");
            let rest: Vec<&str> = kv.collect();
            if rest.is_empty() {
                continue;
            }
            let value = rest.join(":");
            match key {
                "confidence" => confidence = Some(parse_int(&value).unwrap_or(0).max(0) as u32),
                "version" => version = value,
                _ => {}
            }
        }
        let source = if is_regex {
            rewrite(first)
        } else {
            String::new()
        };
        let regex = Re::compile_js(&source).ok();
        Pattern {
            source,
            regex,
            confidence: confidence.unwrap_or(100),
            version,
        }
    }

    /// Matches `value`; returns the resolved version on a match.
    pub fn matches(&self, value: &str) -> Option<String> {
        let re = self.regex.as_ref()?;
        if self.version.is_empty() {
            return re.is_match(value).then(String::new);
        }
        let caps = re.captures(value)?;
        Some(resolve_version(&self.version, &caps))
    }
}

/// JavaScript `parseInt(s, 10)`: leading whitespace, optional sign, digits; `None` for NaN.
pub fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let n: i64 = digits[..end].parse().unwrap_or(i64::MAX);
    Some(if neg { -n } else { n })
}

/// Wappalyzer's `resolveVersion`: back-references `\N` and ternaries `\N?a:b`, applied in
/// capture-group order exactly as the reference does (each ternary restarts from the template).
pub fn resolve_version(template: &str, caps: &[Option<String>]) -> String {
    static TERNARY: OnceLock<Vec<regex::Regex>> = OnceLock::new();
    let ternaries = TERNARY.get_or_init(|| {
        (0..32)
            .filter_map(|i| regex::Regex::new(&format!(r"\\{i}\?([^:\n\r]+):([^\n\r]*)$")).ok())
            .collect()
    });
    let mut resolved = template.to_string();
    for (index, m) in caps.iter().enumerate() {
        let m = m.as_deref().unwrap_or("");
        if let Some(t) = ternaries.get(index).and_then(|re| re.captures(template)) {
            let whole = t.get(0).map(|x| x.as_str()).unwrap_or("");
            let pick = if m.is_empty() {
                t.get(2).map(|x| x.as_str()).unwrap_or("")
            } else {
                t.get(1).map(|x| x.as_str()).unwrap_or("")
            };
            resolved = template.replacen(whole, pick, 1);
        }
        resolved = resolved.trim().replace(&format!("\\{index}"), m);
    }
    resolved
}

/// Translates JavaScript regex syntax (non-unicode mode, Annex B) into Rust `regex` syntax.
pub fn translate(js: &str) -> String {
    let c: Vec<char> = js.chars().collect();
    let mut out = String::with_capacity(js.len() + 16);
    let mut i = 0;
    let mut quantifiable = false;
    while i < c.len() {
        let ch = c[i];
        match ch {
            '\\' => {
                i += 1;
                let Some(&e) = c.get(i) else {
                    out.push_str("\\\\");
                    break;
                };
                i += escape(&c, i, e, false, &mut out);
                i += 1;
                quantifiable = !matches!(e, 'b' | 'B');
                continue;
            }
            '[' => {
                i = class(&c, i, &mut out);
                quantifiable = true;
                continue;
            }
            '.' => {
                out.push_str("[^\\n\\r\\x{2028}\\x{2029}]");
                quantifiable = true;
            }
            '{' => {
                if let Some(len) = quantifier_len(&c, i).filter(|_| quantifiable) {
                    // Wappalyzer bounds `+`/`*` to 250 repetitions to tame its backtracking
                    // engine; Rust's engine is linear-time, and the bounded forms are costly to
                    // compile (nested ones exceed any size limit), so they become `+`/`*` again.
                    let q: String = c[i..i + len].iter().collect();
                    match q.as_str() {
                        "{1,250}" => out.push('+'),
                        "{0,250}" => out.push('*'),
                        _ => out.push_str(&q),
                    }
                    i += len;
                    if c.get(i) == Some(&'?') {
                        out.push('?');
                        i += 1;
                    }
                    quantifiable = false;
                    continue;
                }
                out.push_str("\\{");
                quantifiable = true;
            }
            '}' => {
                out.push_str("\\}");
                quantifiable = true;
            }
            '(' => {
                out.push('(');
                quantifiable = false;
            }
            ')' => {
                out.push(')');
                quantifiable = true;
            }
            '|' | '^' => {
                out.push(ch);
                quantifiable = false;
            }
            '$' => {
                out.push('$');
                quantifiable = false;
            }
            '*' | '+' | '?' => {
                out.push(ch);
                quantifiable = false;
            }
            '#' | '&' | '~' | ' ' | ']' => {
                out.push('\\');
                out.push(ch);
                quantifiable = true;
            }
            _ => {
                out.push(ch);
                quantifiable = true;
            }
        }
        i += 1;
    }
    out
}

/// Length of a `{n}`, `{n,}` or `{n,m}` quantifier starting at `i`, if it is one.
fn quantifier_len(c: &[char], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let start = j;
    while j < c.len() && c[j].is_ascii_digit() {
        j += 1;
    }
    if j == start {
        return None;
    }
    if c.get(j) == Some(&',') {
        j += 1;
        while j < c.len() && c[j].is_ascii_digit() {
            j += 1;
        }
    }
    (c.get(j) == Some(&'}')).then_some(j + 1 - i)
}

/// Writes the Rust form of the escape `\e` (at `c[i]`); returns extra characters consumed.
fn escape(c: &[char], i: usize, e: char, in_class: bool, out: &mut String) -> usize {
    match e {
        'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'n' | 'r' | 't' | 'f' | 'v' => {
            out.push('\\');
            out.push(e);
            0
        }
        'b' if in_class => {
            out.push_str("\\x08");
            0
        }
        'b' | 'B' => {
            out.push('\\');
            out.push(e);
            0
        }
        'x' => {
            let hex: String = c.iter().skip(i + 1).take(2).collect();
            if hex.len() == 2 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                out.push_str(&format!("\\x{{{hex}}}"));
                2
            } else {
                out.push('x');
                0
            }
        }
        'u' => {
            let hex: String = c.iter().skip(i + 1).take(4).collect();
            if hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                out.push_str(&format!("\\x{{{hex}}}"));
                4
            } else {
                out.push('u');
                0
            }
        }
        '0' => {
            out.push_str("\\x00");
            0
        }
        '1'..='9' if !in_class => {
            let mut n = 0;
            out.push('\\');
            while let Some(d) = c.get(i + n).filter(|d| d.is_ascii_digit()) {
                out.push(*d);
                n += 1;
            }
            n - 1
        }
        _ if e.is_ascii_alphanumeric() => {
            out.push(e);
            0
        }
        _ => {
            literal(e, out);
            0
        }
    }
}

/// Writes a literal character, escaped when Rust would read it as syntax.
fn literal(ch: char, out: &mut String) {
    if ch.is_ascii_punctuation() || ch == ' ' {
        out.push('\\');
    }
    out.push(ch);
}

/// Translates a character class starting at `c[i] == '['`; returns the index after it.
fn class(c: &[char], mut i: usize, out: &mut String) -> usize {
    i += 1;
    let negated = c.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    if c.get(i) == Some(&']') {
        // JavaScript `[]` matches nothing, `[^]` matches anything.
        out.push_str(if negated {
            "(?s:.)"
        } else {
            "[^\\x00-\\x{10FFFF}]"
        });
        return i + 1;
    }
    out.push('[');
    if negated {
        out.push('^');
    }
    while i < c.len() && c[i] != ']' {
        let ch = c[i];
        if ch == '\\' {
            i += 1;
            if let Some(&e) = c.get(i) {
                i += escape(c, i, e, true, out);
            }
        } else if ch == '-' {
            let first = out.ends_with('[') || out.ends_with("[^");
            let last = c.get(i + 1) == Some(&']');
            if first || last || c.get(i + 1) == Some(&'-') || out.ends_with("\\-") {
                out.push_str("\\-");
            } else {
                out.push('-');
            }
        } else if matches!(ch, '[' | '&' | '~' | '^' | '{' | '}') {
            out.push('\\');
            out.push(ch);
        } else {
            out.push(ch);
        }
        i += 1;
    }
    out.push(']');
    i + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_and_translate() {
        assert_eq!(
            rewrite("jquery-([\\d.]+)\\.js"),
            "jquery-([\\d.]{1,250})\\.js"
        );
        let p = Pattern::parse("jquery[.-]([\\d.]*\\d)[^/]*\\.js\\;version:\\1", true);
        assert_eq!(
            p.matches("/js/jquery-3.6.0.min.js").as_deref(),
            Some("3.6.0")
        );
        let p = Pattern::parse("^nginx(?:/([\\d.]+))?\\;version:\\1", true);
        assert_eq!(p.matches("nginx/1.24.0").as_deref(), Some("1.24.0"));
        assert_eq!(p.matches("NGINX").as_deref(), Some(""));
        let p = Pattern::parse("x(?!y)", true);
        assert!(p.matches("xz").is_some() && p.matches("xy").is_none());
        let p = Pattern::parse("a\\*{b", true);
        assert!(p.regex.is_some());
    }

    #[test]
    fn ternary_versions() {
        let caps = vec![Some("ab".into()), Some("x".into())];
        assert_eq!(resolve_version("\\1?yes:no", &caps), "yes");
        let caps = vec![Some("ab".into()), None];
        assert_eq!(resolve_version("\\1?yes:no", &caps), "no");
        assert_eq!(parse_int(" 12.3"), Some(12));
        assert_eq!(parse_int("v1"), None);
    }
}
