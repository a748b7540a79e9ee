//! The generated world: registered domains, their subdomain trees, host popularity, and the
//! passive DNS records of each host. Everything is a pure function of indices and the seed,
//! except the per-host record counters kept by the generator.

use crate::names::{
    self, domain_is_registered, domain_name, ipv4, ipv6, CDN_ZONES, LABELS, NS_PROVIDERS, REGIONS,
    SHARED_IPV4_BASE,
};
use crate::rng::{mix, mix2, mix3, Permutation, Rng, Zipf};

/// One host of the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Host id (`0..hosts`).
    pub id: u64,
    /// Full name.
    pub name: String,
    /// Index of its domain (`0..domains`).
    pub domain: u64,
    /// Whether it is the domain itself (not a subdomain).
    pub apex: bool,
}

/// The shape of the world.
#[derive(Debug, Clone)]
pub struct World {
    /// Seed.
    pub seed: u64,
    /// Number of host names.
    pub hosts: u64,
    /// Number of domains (hosts `0..domains` are their apexes).
    pub domains: u64,
    /// Cumulative subdomain counts of the tree rounds (see [`World::host`]).
    rounds: Vec<u64>,
    /// Popularity rank → host id.
    popularity: Permutation,
    zipf: Zipf,
    shared_ip_zipf: Zipf,
}

impl World {
    /// A world of `hosts` host names (one fifth of them registered domains or platform
    /// tenants), with Zipf exponent `s` for host popularity.
    pub fn new(seed: u64, hosts: u64, s: f64) -> World {
        let hosts = hosts.max(2);
        let domains = (hosts / 5).max(1);
        // Subdomain trees: round j gives one more subdomain to each of the first
        // domains/(j+1) domains, so tree sizes fall off like 1/d (a few big trees, many small).
        let mut rounds = Vec::new();
        let mut total = 0u64;
        let mut j = 0u64;
        while total < hosts - domains {
            total += (domains / (j + 1)).max(1);
            rounds.push(total);
            j += 1;
        }
        World {
            seed,
            hosts,
            domains,
            rounds,
            popularity: Permutation::new(hosts, seed ^ 0x686f_7374),
            zipf: Zipf::new(hosts, s),
            shared_ip_zipf: Zipf::new(names::IPV4_SPACE - SHARED_IPV4_BASE, 1.1),
        }
    }

    /// The host at popularity rank `r` (0 = most popular).
    pub fn by_rank(&self, r: u64) -> Host {
        self.host(self.popularity.apply(r % self.hosts))
    }

    /// A host drawn by popularity.
    pub fn popular(&self, rng: &mut Rng) -> Host {
        self.by_rank(self.zipf.sample(rng))
    }

    /// Host number `i`.
    pub fn host(&self, i: u64) -> Host {
        if i < self.domains {
            return Host {
                id: i,
                name: domain_name(i, self.seed),
                domain: i,
                apex: true,
            };
        }
        let m = i - self.domains;
        let round = self.rounds.partition_point(|&c| c <= m) as u64;
        let before = if round == 0 {
            0
        } else {
            self.rounds[round as usize - 1]
        };
        let d = m - before;
        Host {
            id: i,
            name: format!("{}.{}", sub_label(round), domain_name(d, self.seed)),
            domain: d,
            apex: false,
        }
    }

    /// Whether domain `d` has its own WHOIS (not a tenant of a platform domain).
    pub fn registered(&self, d: u64) -> bool {
        domain_is_registered(d, self.seed)
    }

    /// The primary IPv4 address of host `h` (record 0).
    pub fn primary_ip(&self, h: u64) -> String {
        self.a_value(h, 0)
    }

    /// IPv4 answer number `k` of host `h`: mostly distinct addresses of 198.18.0.0/15, one in
    /// seven a popular shared-hosting address of the /24 documentation ranges.
    pub fn a_value(&self, h: u64, k: u64) -> String {
        let x = mix3(self.seed, h, k);
        if x.is_multiple_of(7) {
            let mut rng = Rng::new(x);
            return ipv4(SHARED_IPV4_BASE + self.shared_ip_zipf.sample(&mut rng)).to_string();
        }
        ipv4((mix2(self.seed, h) % 131_072 + k * 7919) % 131_072).to_string()
    }

    /// Passive DNS record number `k` of `host`: `(type, value)`, distinct for distinct `k`
    /// except when two answers land on the same shared-hosting address.
    pub fn record(&self, host: &Host, k: u64) -> (&'static str, String) {
        let h = host.id;
        let x = mix3(self.seed ^ 0x0072_6563, h, k);
        let dom = || domain_name(host.domain, self.seed);
        match (k, host.apex) {
            (0, _) => ("A", self.a_value(h, 0)),
            (1, _) if x.is_multiple_of(2) => ("AAAA", ipv6(h, 0).to_string()),
            (1, _) => ("A", self.a_value(h, 1)),
            (2, true) => ("NS", format!("ns1.{}", NS_PROVIDERS[(mix(h) % 4) as usize])),
            (2, false) => (
                "CNAME",
                format!("e{}.{}", mix(h) % 2000, CDN_ZONES[(mix(h) % 3) as usize]),
            ),
            (3, true) => ("NS", format!("ns2.{}", NS_PROVIDERS[(mix(h) % 4) as usize])),
            (3, false) => ("A", self.a_value(h, 3)),
            (4, true) => ("MX", format!("10 mail.{}.", dom())),
            (4, false) => ("TXT", format!("\"v=spf1 include:_spf.{} ~all\"", dom())),
            (5, true) => ("TXT", "\"v=spf1 mx -all\"".to_string()),
            _ => match x % 20 {
                0..=13 => ("A", self.a_value(h, k)),
                14..=16 => ("AAAA", ipv6(h, k).to_string()),
                17..=18 => (
                    "TXT",
                    format!("\"site-verification={}\"", names::hex(h, k, 32)),
                ),
                _ => (
                    "CNAME",
                    format!("e{k}-{}.{}", mix(h) % 100, CDN_ZONES[(x % 3) as usize]),
                ),
            },
        }
    }
}

/// Label of a subdomain in tree round `j` (unique per `j`): `www`, `mail`, …, then nested
/// names such as `eu.api` or `us-east.cdn2`.
fn sub_label(j: u64) -> String {
    let n = LABELS.len() as u64;
    if j < n {
        return LABELS[j as usize].to_string();
    }
    let j = j - n;
    format!(
        "{}.{}",
        REGIONS[(j % REGIONS.len() as u64) as usize],
        names::label(j / REGIONS.len() as u64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_unique_and_trees_are_skewed() {
        let w = World::new(5, 20_000, 1.0);
        let mut names = std::collections::HashSet::new();
        let mut per_domain = vec![0u32; w.domains as usize];
        for i in 0..w.hosts {
            let h = w.host(i);
            assert!(names.insert(h.name.clone()), "duplicate {}", h.name);
            if !h.apex {
                assert!(h.name.ends_with(&domain_name(h.domain, 5)));
                per_domain[h.domain as usize] += 1;
            }
        }
        assert!(per_domain[0] > 20, "{}", per_domain[0]);
        assert!(per_domain[w.domains as usize - 1] <= 2);
    }

    #[test]
    fn records_are_mostly_distinct() {
        let w = World::new(5, 1000, 1.0);
        let h = w.host(3);
        let recs: std::collections::HashSet<_> = (0..5000).map(|k| w.record(&h, k)).collect();
        assert!(recs.len() > 4500, "{}", recs.len());
    }
}
