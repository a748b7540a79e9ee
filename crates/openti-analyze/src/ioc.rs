//! Indicator-of-compromise extraction from free text (articles, reports).
//!
//! [`refang`] first undoes the usual defanging (`hxxp://`, `example[.]com`, `1.2.3(.)4`,
//! `(dot)`, `[:]`, `[@]`, …); [`extract`] then finds URLs, e-mail addresses, IPv4 and IPv6
//! addresses, MD5/SHA-1/SHA-256 hashes, CVE ids and domain names. Domains must end in a suffix
//! of the Public Suffix List (the `psl` crate) or in one of the reserved documentation TLDs
//! `.test` / `.example` (RFC 2606), so file names such as `report.pdf` are not taken for hosts.
//! Known-benign values ([`Allowlist`]: well-known sites, documentation-only names, private and
//! special-purpose addresses, public resolvers) are suppressed.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

/// What an extracted value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IocKind {
    /// A domain name.
    Hostname,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A URL.
    Url,
    /// An e-mail address.
    Email,
    /// An MD5 hash.
    Md5,
    /// A SHA-1 hash.
    Sha1,
    /// A SHA-256 hash.
    Sha256,
    /// A CVE id.
    Cve,
}

impl IocKind {
    /// The indicator `type` used in observations (`hostname`, `ip`, `url`, …, `cve`).
    pub fn as_str(self) -> &'static str {
        match self {
            IocKind::Hostname => "hostname",
            IocKind::Ip => "ip",
            IocKind::Url => "url",
            IocKind::Email => "email",
            IocKind::Md5 => "md5",
            IocKind::Sha1 => "sha1",
            IocKind::Sha256 => "sha256",
            IocKind::Cve => "cve",
        }
    }
}

/// One extracted indicator (values are refanged and canonical: hosts and hashes lower-cased,
/// IPs in canonical text, CVE ids upper-cased).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ioc {
    /// Kind.
    pub kind: IocKind,
    /// Value.
    pub value: String,
}

/// Undoes common defanging so the text can be scanned for indicators.
pub fn refang(text: &str) -> String {
    static SCHEME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:hxxp|hxtp|htxp|h\[tt\]p|meow)(s?)(?:\[:\]|\(:\)|:)?(?:\[://\]|://|\[:\]//|//)")
            .expect("valid regex")
    });
    static DOT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\s?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\[\s*\.\s*\])\s?")
            .expect("valid regex")
    });
    static AT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\s?(?:\[@\]|\(@\)|\{@\}|\[at\]|\(at\)|\{at\})\s?").expect("valid regex")
    });
    static COLON: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\[:\]|\(:\)|\{:\}").expect("valid regex"));
    let t = SCHEME.replace_all(text, "http${1}://");
    let t = DOT.replace_all(&t, ".");
    let t = AT.replace_all(&t, "@");
    let t = COLON.replace_all(&t, ":");
    t.replace("[/]", "/").replace("\\.", ".")
}

/// Values that are never reported as indicators.
#[derive(Debug, Clone)]
pub struct Allowlist {
    domains: HashSet<String>,
    ips: HashSet<IpAddr>,
}

/// Well-known benign domains (the domain and all its subdomains are suppressed).
pub const BENIGN_DOMAINS: &[&str] = &[
    "example.com",
    "example.net",
    "example.org",
    "microsoft.com",
    "windows.com",
    "office.com",
    "live.com",
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "youtube.com",
    "github.com",
    "githubusercontent.com",
    "gitlab.com",
    "twitter.com",
    "x.com",
    "t.co",
    "linkedin.com",
    "facebook.com",
    "apple.com",
    "icloud.com",
    "amazon.com",
    "amazonaws.com",
    "cloudflare.com",
    "akamai.net",
    "mozilla.org",
    "w3.org",
    "schema.org",
    "wikipedia.org",
    "virustotal.com",
    "mitre.org",
    "cve.org",
    "nist.gov",
    "cisa.gov",
    "first.org",
    "exploit-db.com",
    "misp-project.org",
    "oasis-open.org",
    "python.org",
    "pypi.org",
    "crates.io",
    "rust-lang.org",
];

/// Well-known public resolvers that appear in reports without being indicators.
pub const BENIGN_IPS: &[&str] = &["8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9"];

impl Default for Allowlist {
    fn default() -> Self {
        Allowlist {
            domains: BENIGN_DOMAINS.iter().map(|d| d.to_string()).collect(),
            ips: BENIGN_IPS.iter().filter_map(|i| i.parse().ok()).collect(),
        }
    }
}

impl Allowlist {
    /// An empty list (only special-purpose addresses are still suppressed).
    pub fn empty() -> Self {
        Allowlist {
            domains: HashSet::new(),
            ips: HashSet::new(),
        }
    }

    /// Adds a domain (it and its subdomains become benign) or an IP address.
    pub fn add(&mut self, value: &str) {
        let v = value.trim().trim_end_matches('.').to_ascii_lowercase();
        match v.parse::<IpAddr>() {
            Ok(ip) => {
                self.ips.insert(ip);
            }
            Err(_) if !v.is_empty() => {
                self.domains.insert(v.trim_start_matches("*.").to_string());
            }
            Err(_) => {}
        }
    }

    /// Adds the values of a MISP warning list (`{"list": [...], "type": "hostname" | "string" |
    /// "cidr" | "substring"}`); CIDR entries wider than a single address are skipped.
    /// Returns how many entries were added.
    pub fn add_misp_warninglist(&mut self, json: &serde_json::Value) -> usize {
        let Some(list) = json.get("list").and_then(|l| l.as_array()) else {
            return 0;
        };
        let mut n = 0;
        for v in list.iter().filter_map(|v| v.as_str()) {
            let v = v
                .strip_suffix("/32")
                .or(v.strip_suffix("/128"))
                .unwrap_or(v);
            if v.contains('/') {
                continue;
            }
            self.add(v);
            n += 1;
        }
        n
    }

    /// Whether a host name is benign (itself or a parent domain is listed).
    pub fn is_benign_domain(&self, host: &str) -> bool {
        let mut h = host;
        loop {
            if self.domains.contains(h) {
                return true;
            }
            match h.split_once('.') {
                Some((_, rest)) => h = rest,
                None => return false,
            }
        }
    }

    /// Whether an address is benign: listed, or private, loopback, link-local, multicast,
    /// unspecified or broadcast.
    pub fn is_benign_ip(&self, ip: &IpAddr) -> bool {
        if self.ips.contains(ip) {
            return true;
        }
        match ip {
            IpAddr::V4(v) => {
                v.is_private()
                    || v.is_loopback()
                    || v.is_link_local()
                    || v.is_multicast()
                    || v.is_unspecified()
                    || v.is_broadcast()
                    || v.octets()[0] == 0
            }
            IpAddr::V6(v) => {
                v.is_loopback()
                    || v.is_unspecified()
                    || v.is_multicast()
                    || (v.segments()[0] & 0xfe00) == 0xfc00
                    || (v.segments()[0] & 0xffc0) == 0xfe80
            }
        }
    }
}

/// File extensions that look like TLDs; a two-label name ending in one (`invoice.zip`) is
/// taken for a file name, not a host.
const FILE_EXTENSIONS: &[&str] = &[
    "zip", "mov", "exe", "dll", "doc", "docx", "xls", "xlsx", "ppt", "pdf", "js", "py", "sh",
    "ps1", "bat", "vbs", "jar", "apk", "bin", "dat", "tmp", "log", "txt", "md", "json", "xml",
    "html", "htm", "php", "asp", "aspx", "jsp", "png", "jpg", "gif", "rs", "go", "so", "lnk",
    "iso", "img", "rar", "sys", "cab", "msi", "ini", "cfg", "csv", "dmg", "pl", "rb", "app",
];

/// Whether a lower-case name has a known public suffix (or a reserved documentation TLD).
pub fn has_real_tld(name: &str) -> bool {
    let tld = name.rsplit('.').next().unwrap_or("");
    if tld == "test" || tld == "example" {
        return name.contains('.');
    }
    match psl::suffix(name.as_bytes()) {
        Some(s) => s.is_known() && s.as_bytes().len() < name.len(),
        None => false,
    }
}

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:https?|ftp)://[^\s<>"'`\\^{}|]+"#).expect("valid regex")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b[a-z0-9._%+\-]+@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z0-9\-]{2,63}\b",
    )
    .expect("valid regex")
});
static IPV4: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}").expect("valid regex"));
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3})?")
        .expect("valid regex")
});
static HASH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b[0-9a-f]{32,64}\b").expect("valid regex"));
static CVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bCVE-[0-9]{4}-[0-9]{4,7}\b").expect("valid regex"));
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:[a-z0-9_](?:[a-z0-9\-_]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9\-]{0,61}[a-z0-9]\b")
        .expect("valid regex")
});

fn trim_url(u: &str) -> &str {
    let mut u = u.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"', '*', '_']);
    // Drop unbalanced closing brackets that belong to the surrounding prose / markdown.
    for (open, close) in [('(', ')'), ('[', ']')] {
        while u.ends_with(close) && u.matches(close).count() > u.matches(open).count() {
            u = &u[..u.len() - 1];
        }
    }
    u.trim_end_matches(['.', ',', ';', ':', '!', '?'])
}

/// Extracts indicators with the default [`Allowlist`].
pub fn extract(text: &str) -> Vec<Ioc> {
    extract_with(text, &Allowlist::default())
}

/// Extracts indicators from (possibly defanged) text, in order of first appearance, without
/// duplicates, suppressing what `allow` lists as benign.
pub fn extract_with(text: &str, allow: &Allowlist) -> Vec<Ioc> {
    let text = refang(text);
    let mut out: Vec<(usize, Ioc)> = Vec::new();
    let mut seen: HashSet<(IocKind, String)> = HashSet::new();
    let mut push = |pos: usize, kind: IocKind, value: String| {
        if seen.insert((kind, value.clone())) {
            out.push((pos, Ioc { kind, value }));
        }
    };
    for m in URL.find_iter(&text) {
        let u = trim_url(m.as_str());
        let host = url_host(u);
        let benign = match host.as_deref().map(|h| h.parse::<IpAddr>()) {
            Some(Ok(ip)) => allow.is_benign_ip(&ip),
            Some(Err(_)) => host.as_deref().is_some_and(|h| allow.is_benign_domain(h)),
            None => true,
        };
        if !benign {
            push(m.start(), IocKind::Url, u.to_string());
        }
    }
    for m in EMAIL.find_iter(&text) {
        let e = m.as_str().to_ascii_lowercase();
        let domain = e.rsplit('@').next().unwrap_or("");
        if has_real_tld(domain) && !allow.is_benign_domain(domain) {
            push(m.start(), IocKind::Email, e);
        }
    }
    let bytes = text.as_bytes();
    let before = |i: usize| {
        if i == 0 {
            None
        } else {
            bytes.get(i - 1).copied()
        }
    };
    for g in IPV4.find_iter(&text) {
        // Not part of a longer dotted number (versions such as 1.2.3.4.5, OIDs).
        if before(g.start()).is_some_and(|b| b.is_ascii_digit() || b == b'.')
            || bytes.get(g.end()).is_some_and(|b| b.is_ascii_digit())
            || (bytes.get(g.end()) == Some(&b'.')
                && bytes.get(g.end() + 1).is_some_and(|b| b.is_ascii_digit()))
        {
            continue;
        }
        if let Ok(ip) = g.as_str().parse::<Ipv4Addr>() {
            let ip = IpAddr::V4(ip);
            if !allow.is_benign_ip(&ip) {
                push(g.start(), IocKind::Ip, ip.to_string());
            }
        }
    }
    for g in IPV6.find_iter(&text) {
        if before(g.start()).is_some_and(|b| b.is_ascii_alphanumeric() || b == b':')
            || bytes
                .get(g.end())
                .is_some_and(|b| b.is_ascii_alphanumeric())
        {
            continue;
        }
        let s = g.as_str();
        if s.matches(':').count() < 2 || !s.bytes().any(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        if let Ok(ip) = s.parse::<Ipv6Addr>() {
            let ip = match ip.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(ip),
            };
            if !allow.is_benign_ip(&ip) {
                push(g.start(), IocKind::Ip, ip.to_string());
            }
        }
    }
    for m in HASH.find_iter(&text) {
        let kind = match m.as_str().len() {
            32 => IocKind::Md5,
            40 => IocKind::Sha1,
            64 => IocKind::Sha256,
            _ => continue,
        };
        let h = m.as_str().to_ascii_lowercase();
        // A run of one repeated digit (all zeros, …) is padding, not a hash.
        if h.bytes().all(|b| b == h.as_bytes()[0]) {
            continue;
        }
        push(m.start(), kind, h);
    }
    for m in CVE.find_iter(&text) {
        push(m.start(), IocKind::Cve, m.as_str().to_ascii_uppercase());
    }
    for g in DOMAIN.find_iter(&text) {
        if before(g.start()).is_some_and(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
            continue;
        }
        let d = g.as_str().to_ascii_lowercase();
        if d.parse::<IpAddr>().is_ok() || d.len() > 253 {
            continue;
        }
        let labels: Vec<&str> = d.split('.').collect();
        let last = labels.last().copied().unwrap_or("");
        if last.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if labels.len() == 2 && FILE_EXTENSIONS.contains(&last) {
            continue;
        }
        if has_real_tld(&d) && !allow.is_benign_domain(&d) {
            push(g.start(), IocKind::Hostname, d);
        }
    }
    out.sort_by_key(|(pos, _)| *pos);
    out.into_iter().map(|(_, i)| i).collect()
}

/// The host part of a URL (lower-cased, brackets of IPv6 literals removed).
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit('@').next()?;
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        hostport.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
