//! Name randomness: Shannon entropy and a character-bigram "DGA score" of a host's
//! registrable label (`xjw8kq2lzpv` in `xjw8kq2lzpv.example.com`).

use super::bigrams::{ALPHABET, COST};
use openti_model::normalize::registered_domain;

/// Mean bigram cost of the median benign label (Tranco top 10k): scores 0.
const BENIGN_COST: f32 = 2.75;
/// Mean bigram cost of the median uniformly random 8–20 letter label: scores 1.
const RANDOM_COST: f32 = 4.0;

/// The label that names the registrant: the leftmost label of the registered domain (for a
/// name without a known suffix, its second-to-last label).
pub fn registrable_label(host: &str) -> &str {
    let reg_len = registered_domain(host)
        .map(|d| d.len())
        .unwrap_or(host.len());
    let start = host.len().saturating_sub(reg_len);
    let reg = &host[start..];
    reg.split('.').next().unwrap_or(reg)
}

/// Shannon entropy (bits per character) of `s`.
pub fn entropy(s: &str) -> f64 {
    let n = s.chars().count();
    if n == 0 {
        return 0.0;
    }
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

fn symbol(c: char) -> usize {
    let c = c.to_ascii_lowercase();
    if c.is_ascii_lowercase() {
        1 + (c as usize - 'a' as usize)
    } else if c.is_ascii_digit() {
        27
    } else {
        28
    }
}

/// 0 (reads like a benign name) to 1 (reads like random characters): the mean bigram cost of
/// `^label$` under the benign model, rescaled between the benign and random medians.
pub fn dga_score(label: &str) -> f64 {
    debug_assert_eq!(ALPHABET.len(), COST.len());
    let end = COST.len() - 1;
    let mut prev = 0usize;
    let mut total = 0f32;
    let mut n = 0u32;
    for c in label.chars() {
        let s = symbol(c);
        total += COST[prev][s];
        prev = s;
        n += 1;
    }
    total += COST[prev][end];
    n += 1;
    let mean = total / n as f32;
    f64::from(((mean - BENIGN_COST) / (RANDOM_COST - BENIGN_COST)).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(registrable_label("xjw8kq2lzpv.example.com"), "example");
        assert_eq!(registrable_label("www.bbc.co.uk"), "bbc");
        assert_eq!(registrable_label("login.example.test"), "example");
        assert_eq!(registrable_label("localhost"), "localhost");
    }

    #[test]
    fn random_names_score_high_and_words_low() {
        for benign in [
            "google",
            "wikipedia",
            "microsoftonline",
            "cloudflare",
            "velvetheron",
        ] {
            assert!(dga_score(benign) < 0.3, "{benign}: {}", dga_score(benign));
        }
        for random in ["xjw8kq2lzpv", "qxvbnmzrtkl", "kqzvhtxwp", "a1b2c3d4e5f6"] {
            assert!(dga_score(random) > 0.6, "{random}: {}", dga_score(random));
        }
        assert!(entropy("aaaa") < 0.01);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
