//! robots.txt: the group for our user agent (or `*`), longest-match `Allow` / `Disallow` with
//! `*` wildcards and `$` anchors (RFC 9309).

/// Parsed rules that apply to one user agent.
#[derive(Debug, Default, Clone)]
pub struct Robots {
    /// `(allow, pattern)`.
    rules: Vec<(bool, String)>,
}

impl Robots {
    /// Everything allowed (no robots.txt, or it could not be fetched).
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// Parses robots.txt for `agent` (matched case-insensitively as a product token prefix).
    pub fn parse(text: &str, agent: &str) -> Robots {
        let agent = agent.to_ascii_lowercase();
        let mut specific: Vec<(bool, String)> = Vec::new();
        let mut star: Vec<(bool, String)> = Vec::new();
        let mut group_agents: Vec<String> = Vec::new();
        let mut in_rules = false;
        let mut matched_specific = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            match k.as_str() {
                "user-agent" => {
                    if in_rules {
                        group_agents.clear();
                        in_rules = false;
                    }
                    group_agents.push(v.to_ascii_lowercase());
                }
                "allow" | "disallow" => {
                    in_rules = true;
                    let allow = k == "allow";
                    if v.is_empty() {
                        continue;
                    }
                    for a in &group_agents {
                        if a == "*" {
                            star.push((allow, v.to_string()));
                        } else if !a.is_empty() && agent.starts_with(a.as_str()) {
                            matched_specific = true;
                            specific.push((allow, v.to_string()));
                        }
                    }
                }
                _ => {}
            }
        }
        Robots {
            rules: if matched_specific { specific } else { star },
        }
    }

    /// Whether `path` (path and query) may be fetched.
    pub fn allowed(&self, path: &str) -> bool {
        if path == "/robots.txt" {
            return true;
        }
        let mut best: Option<(usize, bool)> = None;
        for (allow, pat) in &self.rules {
            if matches(pat, path) {
                let len = pat.len();
                let better = match best {
                    None => true,
                    Some((l, a)) => len > l || (len == l && *allow && !a),
                };
                if better {
                    best = Some((len, *allow));
                }
            }
        }
        best.map(|(_, a)| a).unwrap_or(true)
    }
}

/// Matches a robots pattern (`*` any run, trailing `$` end) against a path prefix-wise.
fn matches(pat: &str, path: &str) -> bool {
    let (pat, anchored) = match pat.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pat, false),
    };
    let parts: Vec<&str> = pat.split('*').collect();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !path.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if i == parts.len() - 1 && anchored {
            return path.len() >= pos + part.len() && path.ends_with(part);
        } else {
            match path[pos..].find(part) {
                Some(at) => pos += at + part.len(),
                None => return false,
            }
        }
    }
    !anchored || pos == path.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_longest_match() {
        let txt = "User-agent: *\nDisallow: /private\nAllow: /private/open\n\nUser-agent: other\nDisallow: /\n";
        let r = Robots::parse(txt, "OpenTI");
        assert!(!r.allowed("/private/x"));
        assert!(r.allowed("/private/open/y"));
        assert!(r.allowed("/public"));
        let r = Robots::parse(txt, "other-bot");
        assert!(!r.allowed("/public"));
        let r = Robots::parse("User-agent: *\nDisallow: /*.php$\n", "x");
        assert!(!r.allowed("/a/b.php"));
        assert!(r.allowed("/a/b.php?x=1"));
    }
}
