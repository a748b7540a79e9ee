//! Realistic names under reserved test domains and addresses in documentation ranges.
//!
//! Only RFC 2606 / RFC 6761 names (`*.test`, `*.example`, `example.com`, `example.net`,
//! `example.org`) and RFC 5737 / RFC 2544 / RFC 3849 addresses (192.0.2.0/24,
//! 198.51.100.0/24, 203.0.113.0/24, 198.18.0.0/15, 2001:db8::/32) are ever produced.
//!
//! Every name and address is a pure function of an index, so nothing needs to be kept in
//! memory to generate a stream, and the bench runner can name the hosts it queries.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::rng::{mix2, mix3};

/// First halves of registered-domain names.
pub const ADJECTIVES: &[&str] = &[
    "blue", "red", "green", "silver", "golden", "quiet", "rapid", "bright", "dark", "north",
    "south", "east", "west", "iron", "stone", "cloud", "swift", "amber", "cedar", "coral",
    "crimson", "frost", "lunar", "solar", "urban", "vivid", "wild", "noble", "prime", "clear",
    "sharp", "bold", "calm", "deep", "early", "fair", "grand", "happy", "jolly", "keen", "lucky",
    "merry", "neat", "open", "proud", "royal", "smart", "tidy", "upper", "vast", "warm", "young",
    "zen", "alpha", "beta", "delta", "omega", "meta", "hyper", "micro", "nano", "mega", "ultra",
    "retro",
];

/// Second halves of registered-domain names.
pub const NOUNS: &[&str] = &[
    "harbor",
    "river",
    "forest",
    "mountain",
    "valley",
    "bridge",
    "castle",
    "garden",
    "market",
    "station",
    "tower",
    "village",
    "beacon",
    "canyon",
    "delta",
    "falcon",
    "heron",
    "lynx",
    "otter",
    "panda",
    "raven",
    "tiger",
    "wolf",
    "badger",
    "comet",
    "nebula",
    "orbit",
    "pixel",
    "quartz",
    "rocket",
    "signal",
    "vector",
    "anchor",
    "compass",
    "engine",
    "factory",
    "foundry",
    "gateway",
    "hub",
    "lab",
    "labs",
    "works",
    "systems",
    "cloud",
    "data",
    "net",
    "soft",
    "tech",
    "media",
    "news",
    "shop",
    "store",
    "bank",
    "pay",
    "mail",
    "health",
    "travel",
    "games",
    "sports",
    "energy",
    "logistics",
    "finance",
    "legal",
    "studio",
];

/// Subdomain labels, most common first.
pub const LABELS: &[&str] = &[
    "www", "mail", "api", "cdn", "static", "login", "m", "shop", "blog", "dev", "staging", "vpn",
    "portal", "admin", "app", "auth", "docs", "img", "assets", "smtp", "imap", "ns1", "ns2",
    "test", "beta", "support", "status", "help", "git", "ci", "media", "files", "download",
    "update", "secure", "my", "account", "web", "cloud", "remote",
];

/// Second-level prefixes of nested subdomains (`eu.api.…`).
pub const REGIONS: &[&str] = &[
    "eu", "us", "ap", "eu-west", "us-east", "internal", "prod", "edge", "origin", "int",
];

/// Registered domains that act as platforms hosting many tenants as subdomains.
pub const PLATFORMS: &[&str] = &["example.com", "example.net", "example.org"];

/// Shared CDN edge zones (CNAME targets many hosts point at).
pub const CDN_ZONES: &[&str] = &["cdn.example.net", "edge.example.com", "akam.example.org"];

/// Name-server providers.
pub const NS_PROVIDERS: &[&str] = &[
    "dns.example.net",
    "ns.example.com",
    "nameserver.example.org",
    "dnshost.test",
];

/// Name of registered domain number `d` (unique per `d`; the word lists must stay 64 long): `blue-harbor.test`,
/// `crimson-falcon7.example`, or a platform tenant such as `quiet-river.example.com`.
pub fn domain_name(d: u64, seed: u64) -> String {
    let combos = (ADJECTIVES.len() * NOUNS.len()) as u64;
    // An odd multiplier permutes 0..combos (a power of two), so neighbouring domains do not
    // share a word.
    let c = (d % combos * 2897 + 1234) % combos;
    let a = ADJECTIVES[(c % ADJECTIVES.len() as u64) as usize];
    let n = NOUNS[(c / ADJECTIVES.len() as u64) as usize];
    let suffix = match d / combos {
        0 => String::new(),
        k => k.to_string(),
    };
    let tld = match mix2(seed, d) % 10 {
        0..=3 => "test",
        4..=7 => "example",
        8 => PLATFORMS[0],
        _ => PLATFORMS[1 + (d % 2) as usize],
    };
    format!("{a}-{n}{suffix}.{tld}")
}

/// Whether domain `d` is a registered domain of its own (not a platform tenant).
pub fn domain_is_registered(d: u64, seed: u64) -> bool {
    mix2(seed, d) % 10 <= 7
}

/// Subdomain label number `m` (unique per `m`): `www`, `api`, `api3`, …
pub fn label(m: u64) -> String {
    let l = LABELS[(m % LABELS.len() as u64) as usize];
    match m / LABELS.len() as u64 {
        0 => l.to_string(),
        k => format!("{l}{k}"),
    }
}

/// The IPv4 address number `i` of the benchmark and documentation ranges: 0..131072 are
/// 198.18.0.0/15, then 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 (wrapping).
pub fn ipv4(i: u64) -> Ipv4Addr {
    let i = i % IPV4_SPACE;
    if i < 131_072 {
        let base = u32::from(Ipv4Addr::new(198, 18, 0, 0));
        return Ipv4Addr::from(base + i as u32);
    }
    let j = (i - 131_072) as u32;
    let (a, b, c) = match j / 256 {
        0 => (192, 0, 2),
        1 => (198, 51, 100),
        _ => (203, 0, 113),
    };
    Ipv4Addr::new(a, b, c, (j % 256) as u8)
}

/// Number of distinct addresses [`ipv4`] yields.
pub const IPV4_SPACE: u64 = 131_072 + 3 * 256;

/// Index of the first "shared hosting" address (the three /24 documentation ranges).
pub const SHARED_IPV4_BASE: u64 = 131_072;

/// An IPv6 address in 2001:db8::/32 for host `h`, record `k`.
pub fn ipv6(h: u64, k: u64) -> Ipv6Addr {
    let x = mix2(h, 0x6);
    Ipv6Addr::new(
        0x2001,
        0x0db8,
        (x >> 48) as u16,
        (x >> 32) as u16,
        0,
        (k >> 32) as u16,
        (k >> 16) as u16,
        k as u16,
    )
}

/// Hex digits of a deterministic pseudo-random value (`len` ≤ 64).
pub fn hex(a: u64, b: u64, len: usize) -> String {
    let mut s = String::with_capacity(len + 16);
    let mut i = 0u64;
    while s.len() < len {
        s.push_str(&format!("{:016x}", mix3(a, b, i)));
        i += 1;
    }
    s.truncate(len);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_unique_and_reserved() {
        assert_eq!(
            ADJECTIVES.len() * NOUNS.len(),
            4096,
            "the name permutation needs 2^12"
        );
        let mut seen = std::collections::HashSet::new();
        for d in 0..20_000 {
            let n = domain_name(d, 1);
            assert!(
                n.ends_with(".test")
                    || n.ends_with(".example")
                    || PLATFORMS.iter().any(|p| n.ends_with(&format!(".{p}"))),
                "{n}"
            );
            assert!(seen.insert(n));
        }
    }

    #[test]
    fn addresses_stay_in_documentation_ranges() {
        for i in [0, 1, 131_071, 131_072, 131_327, 131_328, 131_839, 131_840] {
            let a = ipv4(i).octets();
            assert!(
                (a[0] == 198 && (a[1] == 18 || a[1] == 19))
                    || a[..3] == [192, 0, 2]
                    || a[..3] == [198, 51, 100]
                    || a[..3] == [203, 0, 113],
                "{a:?}"
            );
        }
        assert_eq!(ipv6(1, 2).segments()[..2], [0x2001, 0x0db8]);
    }

    #[test]
    fn labels_are_unique() {
        let all: std::collections::HashSet<String> = (0..500).map(label).collect();
        assert_eq!(all.len(), 500);
    }
}
