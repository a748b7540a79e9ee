//! Readers of block- and allow-lists for the reputation engine.
//!
//! * **Plain lists** (`openti import blocklist|allowlist`): one entry per line — a domain
//!   (matches itself and every name below it), an IP address or a CIDR range. Blank lines and
//!   comments (`#`, `;`, `!`, `//`) are skipped, as is anything after ` #`. Hosts-file lines
//!   (`0.0.0.0 bad.example`, `127.0.0.1 bad.example`) and Adblock-style `||bad.example^` are
//!   accepted and yield the domain. A bad line is reported with its number.
//! * **MISP warninglists** (`openti import warninglist`): the `list.json` files of the
//!   `misp-warninglists` project. `hostname` lists become domain entries, `string` lists exact
//!   names (or CIDRs when the values are addresses), `cidr` lists ranges; `substring` and
//!   `regex` lists are not supported.

use std::net::IpAddr;

use openti_model::lists::{ListEntry, ListKind, ReputationList};
use openti_model::normalize::HostName;
use serde::Deserialize;

/// A rejected line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub message: String,
}

/// Errors reading a list.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// Not a warninglist document.
    #[error("not a MISP warninglist: {0}")]
    Warninglist(String),
    /// A warninglist type OpenTI cannot match on.
    #[error("warninglist \"{name}\" has unsupported type \"{kind}\" (supported: hostname, string, cidr)")]
    UnsupportedType {
        /// List name.
        name: String,
        /// Its type.
        kind: String,
    },
}

/// Parses one entry (domain, IP or CIDR), after comment and hosts-file handling.
pub fn parse_entry(text: &str) -> Result<Option<ListEntry>, String> {
    let mut t = text.trim();
    for c in ["#", ";", "!", "//"] {
        if t.starts_with(c) {
            return Ok(None);
        }
    }
    if let Some(i) = t.find(" #") {
        t = t[..i].trim();
    }
    let fields: Vec<&str> = t.split_whitespace().collect();
    t = match fields.as_slice() {
        [] => return Ok(None),
        [one] => one,
        // hosts file: "0.0.0.0 name" (an address followed by a name)
        [addr, name, ..] if addr.parse::<IpAddr>().is_ok() => name,
        _ => return Err(format!("expected one entry, got \"{t}\"")),
    };
    t = t.trim_start_matches("||").trim_end_matches('^');
    if let Some((addr, prefix)) = t.split_once('/') {
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("invalid CIDR address \"{addr}\""))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("invalid CIDR prefix \"{prefix}\""))?;
        let addr = openti_model::normalize::canonical_ip(addr);
        return ListEntry::cidr(addr, prefix)
            .map(Some)
            .ok_or_else(|| format!("prefix /{prefix} too long"));
    }
    match HostName::parse(t.trim_start_matches("*.")) {
        Ok(HostName::Ip(ip)) => Ok(ListEntry::cidr(ip, if ip.is_ipv4() { 32 } else { 128 })),
        Ok(HostName::Name(n)) => Ok(Some(ListEntry::Domain(n))),
        Err(e) => Err(format!("invalid entry \"{t}\": {e}")),
    }
}

/// Reads a plain list. Bad lines are returned, the rest kept (duplicates removed).
pub fn parse_plain(
    name: &str,
    kind: ListKind,
    source: &str,
    text: &str,
) -> (ReputationList, Vec<BadLine>) {
    let mut entries = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match parse_entry(line) {
            Ok(Some(e)) => entries.push(e),
            Ok(None) => {}
            Err(message) => bad.push(BadLine {
                line: i + 1,
                message,
            }),
        }
    }
    dedup(&mut entries);
    (
        ReputationList {
            name: name.into(),
            kind,
            source: source.into(),
            entries,
        },
        bad,
    )
}

fn dedup(entries: &mut Vec<ListEntry>) {
    let mut seen = std::collections::HashSet::new();
    entries.retain(|e| seen.insert(e.text()));
}

#[derive(Deserialize)]
struct WarninglistDoc {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    list: Vec<String>,
}

/// Reads a MISP warninglist `list.json` as an allow-list named `name` (default: the file's
/// directory name, given by the caller). Returns the list and how many values were skipped.
pub fn parse_warninglist(name: &str, json: &str) -> Result<(ReputationList, usize), ListError> {
    let doc: WarninglistDoc =
        serde_json::from_str(json).map_err(|e| ListError::Warninglist(e.to_string()))?;
    let exact = match doc.kind.as_str() {
        "hostname" | "cidr" => false,
        "string" => true,
        other => {
            return Err(ListError::UnsupportedType {
                name: doc.name,
                kind: other.into(),
            })
        }
    };
    let mut entries = Vec::with_capacity(doc.list.len());
    let mut skipped = 0;
    for v in &doc.list {
        match parse_entry(v) {
            Ok(Some(ListEntry::Domain(d))) if exact => entries.push(ListEntry::Exact(d)),
            Ok(Some(e)) => entries.push(e),
            Ok(None) => {}
            Err(_) => skipped += 1,
        }
    }
    dedup(&mut entries);
    Ok((
        ReputationList {
            name: name.into(),
            kind: ListKind::Allow,
            source: "warninglist".into(),
            entries,
        },
        skipped,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lists_accept_domains_ips_cidrs_hosts_and_adblock_lines() {
        let text = "# comment\n\nBad.Example.COM\n192.0.2.7\n198.51.100.0/24 # office\n\
                    0.0.0.0 tracker.example.net\n||ads.example.org^\nnot a domain!\n10.0.0.0/40\n\
                    ; also a comment\nbad.example.com\n2001:DB8::/32\n";
        let (list, bad) = parse_plain("t", ListKind::Block, "blocklist", text);
        let got: Vec<String> = list.entries.iter().map(ListEntry::text).collect();
        assert_eq!(
            got,
            [
                "bad.example.com",
                "192.0.2.7/32",
                "198.51.100.0/24",
                "tracker.example.net",
                "ads.example.org",
                "2001:db8::/32"
            ]
        );
        assert_eq!(bad.iter().map(|b| b.line).collect::<Vec<_>>(), [8, 9]);
    }

    #[test]
    fn warninglists_by_type() {
        let host = r#"{"name":"Top sites","type":"hostname","list":["example.com","example.org."],"version":1}"#;
        let (l, skipped) = parse_warninglist("top", host).unwrap();
        assert_eq!(
            l.entries,
            [
                ListEntry::Domain("example.com".into()),
                ListEntry::Domain("example.org".into())
            ]
        );
        assert_eq!((l.kind, skipped), (ListKind::Allow, 0));
        let s = r#"{"name":"s","type":"string","list":["a.example.com","192.0.2.1"]}"#;
        let (l, _) = parse_warninglist("s", s).unwrap();
        assert_eq!(l.entries[0], ListEntry::Exact("a.example.com".into()));
        assert_eq!(l.entries[1].text(), "192.0.2.1/32");
        let c = r#"{"name":"c","type":"cidr","list":["192.0.2.0/24","2001:db8::/48","junk/99"]}"#;
        let (l, skipped) = parse_warninglist("c", c).unwrap();
        assert_eq!((l.entries.len(), skipped), (2, 1));
        let r = r#"{"name":"r","type":"regex","list":[".*"]}"#;
        assert!(parse_warninglist("r", r).is_err());
    }
}
