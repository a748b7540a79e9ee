//! Raw WHOIS text → a flat list of key/value entries.
//!
//! WHOIS has no grammar, only house styles. The tokenizer recognises the shapes they share:
//!
//! * `Key: value` on one line (ICANN gTLD, RPSL `key:   value`, DENIC, AFNIC, registro.br…),
//!   also indented (Verisign thin registry output);
//! * `Key:` alone, followed by value lines (Nominet, SIDN, EURid, SWITCH): a **section**
//!   whose value lines (more indented than the header, or any line without a key shape) belong
//!   to it until a blank line; indented `Sub: value` lines inside become section-scoped keys;
//! * `[Key]   value` and `a. [Key]   value` (JPRS); a bracket line without a value (`[Tech-C]`,
//!   DENIC) opens a section that lasts until the next blank line;
//! * blank lines separate **blocks** (RPSL objects such as AFNIC/registro.br contacts).
//!
//! Comment lines (`%`, `#`, JPRS `[ … ]` notices) are skipped, and everything after ICANN's
//! `>>> Last update of WHOIS database` line (legal notices) is ignored.

/// One key/value pair found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Index of the blank-line separated block the entry is in.
    pub block: usize,
    /// Normalised section header this entry belongs to, if any.
    pub section: Option<String>,
    /// Normalised key (lower case, words separated by single spaces); for a section's plain
    /// value lines, the section name.
    pub key: String,
    /// The value, trimmed.
    pub value: String,
    /// Position of this value line inside its section (0 = first), for value lines only.
    pub line_in_section: Option<usize>,
}

/// Normalises a key: camelCase split (`OrgAbuseEmail` → `org abuse email`), `_`/`-`/`.`/`/`
/// and runs of white space to one space, `'s` dropped, lower-cased.
pub fn normalize_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let has_space = key.contains([' ', '-', '_']);
    let mut prev_lower = false;
    for c in key.trim().chars() {
        if !has_space && c.is_ascii_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_ascii_lowercase();
        match c {
            '_' | '-' | '.' | '/' | '\t' | ' ' => out.push(' '),
            '\'' | '\u{2019}' => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    let joined = out.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .split(' ')
        .map(|w| match w {
            "registrants" => "registrant",
            "contacts" => "contact",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits `Key: value` when the line has that shape: a key of at most 60 characters that
/// starts with a letter, then `:` followed by white space or the end of the line.
fn split_key_value(line: &str) -> Option<(&str, &str)> {
    let t = line.trim_start();
    let first = t.chars().next()?;
    if !first.is_alphabetic() {
        return None;
    }
    let mut idx = None;
    for (i, c) in t.char_indices() {
        if c == ':' {
            let rest = &t[i + 1..];
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                idx = Some(i);
            }
            break;
        }
        if i > 60 || c == '[' || c == '@' || c == '=' {
            return None;
        }
    }
    let i = idx?;
    let key = t[..i].trim_end();
    if key.is_empty() || key.split_whitespace().count() > 8 {
        return None;
    }
    Some((key, t[i + 1..].trim()))
}

/// Splits `[Key]  value` or `a. [Key]  value`.
fn split_bracket(line: &str) -> Option<(&str, &str)> {
    let t = line.trim_start();
    let t = match t.split_once(". [") {
        Some((p, rest)) if p.len() == 1 && p.chars().all(|c| c.is_ascii_lowercase()) => rest,
        _ => t.strip_prefix('[')?,
    };
    let (key, value) = t.split_once(']')?;
    if key.starts_with(' ') || key.is_empty() || key.chars().count() > 40 {
        return None;
    }
    Some((key, value.trim()))
}

fn indent(line: &str) -> usize {
    line.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { 8 } else { 1 })
        .sum()
}

struct Section {
    name: String,
    indent: usize,
    /// Bracket sections keep key/value lines until a blank line.
    sticky: bool,
    lines: usize,
    /// The last `Sub: value` key inside the section (continuation lines repeat it).
    last_key: Option<String>,
}

/// A header line without a colon (`.it`: `Registrant`, `Admin Contact`): up to three words
/// of letters.
fn bare_header(t: &str) -> bool {
    t.len() <= 40
        && t.split_whitespace().count() <= 3
        && t.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')
}

/// Tokenizes raw WHOIS text into entries.
pub fn entries(raw: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut block = 0usize;
    let mut section: Option<Section> = None;
    let mut blank_run = true;
    for line in raw.lines() {
        let line = line.trim_end_matches(['\r', ' ', '\t']);
        let t = line.trim_start();
        if t.starts_with(">>>") || t.starts_with("--") && t.contains("last update") {
            break;
        }
        if t.is_empty() {
            if !blank_run {
                block += 1;
            }
            blank_run = true;
            section = None;
            continue;
        }
        if t.starts_with('%') || t.starts_with('#') || (t.starts_with("[ ") && t.ends_with(']')) {
            continue;
        }
        blank_run = false;
        let ind = indent(line);
        let mut push = |section: &Option<Section>, key: String, value: &str, lis: Option<usize>| {
            if !value.is_empty() || lis.is_some() {
                out.push(Entry {
                    block,
                    section: section.as_ref().map(|s| s.name.clone()),
                    key,
                    value: value.to_string(),
                    line_in_section: lis,
                });
            }
        };
        if let Some((k, v)) = split_bracket(line) {
            if v.is_empty() {
                if !k.contains(' ') && section.as_ref().is_none_or(|s| s.sticky) {
                    section = Some(Section {
                        name: normalize_key(k),
                        indent: ind,
                        sticky: true,
                        lines: 0,
                        last_key: None,
                    });
                }
                continue;
            }
            push(&section, normalize_key(k), v, None);
            continue;
        }
        if let Some((k, v)) = split_key_value(line) {
            let inside = section.as_ref().is_some_and(|s| s.sticky || ind > s.indent);
            if !inside {
                section = None;
            }
            if v.is_empty() {
                if !inside {
                    section = Some(Section {
                        name: normalize_key(k),
                        indent: ind,
                        sticky: false,
                        lines: 0,
                        last_key: None,
                    });
                }
                continue;
            }
            let key = normalize_key(k);
            if let Some(s) = section.as_mut() {
                s.last_key = Some(key.clone());
            }
            push(&section, key, v, None);
            continue;
        }
        if let Some(s) = section.as_mut() {
            if let Some(k) = s.last_key.clone() {
                push(&section, k, t, None);
                continue;
            }
            let n = s.lines;
            s.lines += 1;
            let name = s.name.clone();
            push(&section, name, t, Some(n));
        } else if ind == 0 && bare_header(t) {
            section = Some(Section {
                name: normalize_key(t),
                indent: 0,
                sticky: false,
                lines: 0,
                last_key: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalise() {
        assert_eq!(normalize_key("OrgAbuseEmail"), "org abuse email");
        assert_eq!(normalize_key("Registrant's address"), "registrant address");
        assert_eq!(normalize_key("holder-c"), "holder c");
        assert_eq!(
            normalize_key("Registry Expiry Date"),
            "registry expiry date"
        );
        assert_eq!(normalize_key("e-mail"), "e mail");
    }

    #[test]
    fn shapes() {
        let raw = "Domain Name: EXAMPLE.COM\n   Registrar URL: http://r.example\n\n    Registrant:\n        Example Ltd\n\n[Tech-C]\nName: Jane\n\nf. [Organization]   Example KK\n>>> Last update <<<\nLegal: no\n";
        let e = entries(raw);
        assert_eq!(e[0].key, "domain name");
        assert_eq!(e[1].value, "http://r.example");
        assert_eq!(e[2].section.as_deref(), Some("registrant"));
        assert_eq!(e[2].value, "Example Ltd");
        assert_eq!(e[3].section.as_deref(), Some("tech c"));
        assert_eq!(e[3].key, "name");
        assert_eq!(e[4].key, "organization");
        assert_eq!(e.len(), 5);
    }
}
