//! Small text helpers shared by the intelligence readers (STIX, MISP galaxies, Markdown).

/// Collapses runs of spaces/tabs, drops `\r`, trims.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        match c {
            '\r' => {}
            ' ' | '\t' => space = true,
            _ => {
                if space && !out.is_empty() && !out.ends_with('\n') {
                    out.push(' ');
                }
                space = false;
                out.push(c);
            }
        }
    }
    out.trim().to_string()
}

/// Removes ATT&CK-style citation markers `(Citation: …)`.
pub fn strip_citations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("(Citation:") {
        out.push_str(rest[..i].trim_end_matches(' '));
        match rest[i..].find(')') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Replaces markdown links `[text](url)` by their text.
pub fn unlink(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match after.find("](") {
            Some(close) if !after[..close].contains('[') => {
                let tail = &after[close + 2..];
                match tail.find(')') {
                    Some(end) => {
                        out.push_str(&rest[..open]);
                        out.push_str(&after[..close]);
                        rest = &tail[end + 1..];
                    }
                    None => {
                        out.push_str(&rest[..open + 1]);
                        rest = after;
                    }
                }
            }
            _ => {
                out.push_str(&rest[..open + 1]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The first sentence of a text (at least 25 characters long), on one line.
pub fn first_sentence(text: &str) -> String {
    let t = clean(text).replace('\n', " ");
    let chars: Vec<(usize, char)> = t.char_indices().collect();
    for w in 0..chars.len().saturating_sub(2) {
        let (i, c) = chars[w];
        let (_, next) = chars[w + 1];
        let (_, after) = chars[w + 2];
        let prev_ok = w > 0 && {
            let p = chars[w - 1].1;
            p.is_ascii_lowercase() || p.is_ascii_digit() || p == ')' || p == ']' || p == '"'
        };
        if matches!(c, '.' | '!' | '?')
            && prev_ok
            && next == ' '
            && (after.is_uppercase() || after == '"' || after == '(')
            && i >= 25
        {
            return t[..=i].to_string();
        }
    }
    t
}

/// De-duplicates case-insensitively, dropping empty strings and `except` (keeps order).
pub fn dedupe<I: IntoIterator<Item = String>>(items: I, except: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    seen.insert(except.trim().to_lowercase());
    items
        .into_iter()
        .map(|s| clean(&s))
        .filter(|s| !s.is_empty() && seen.insert(s.to_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(clean("  a \t b\r\n c  "), "a b\nc");
        assert_eq!(
            strip_citations("Active since 2014.(Citation: X 2021)(Citation: Y) More."),
            "Active since 2014. More."
        );
        assert_eq!(
            unlink("[APT28](https://attack.mitre.org/groups/G0007) uses [x]"),
            "APT28 uses [x]"
        );
        assert_eq!(
            first_sentence("APT28 is a threat group attributed to Russia. It has been active."),
            "APT28 is a threat group attributed to Russia."
        );
        assert_eq!(
            dedupe(vec!["A".into(), "a".into(), "".into(), "B".into()], "b"),
            vec!["A"]
        );
    }
}
