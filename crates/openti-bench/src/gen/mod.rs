//! `openti-bench gen`: a deterministic, seeded generator of realistic observations.
//!
//! The scale is set by the number of passive DNS rows (`--pdns`); every other count defaults
//! to a ratio of it and can be set on its own. Host popularity is Zipf-distributed (a few
//! hosts carry most records), registered domains have subdomain trees whose sizes fall off
//! like 1/rank, trackers and certificates are shared across hosts, domains have WHOIS
//! histories, and articles and profiles quote generated hosts and addresses as indicators.
//!
//! Formats: observation NDJSON (every kind), passive DNS COF and dnstap (DNS facts only).
//! Output is streamed: memory is O(hosts) (one record counter per host), independent of the
//! number of rows. The same seed and counts give byte-identical output.

use std::io::{self, Write};

use openti_model::Observation;

use crate::rng::{Rng, Zipf};

mod dnstap;
pub mod facts;
pub mod intel;
mod sink;
pub mod world;

pub use sink::{CofSink, NdjsonSink, Sink};
use world::World;

/// Every count of a generated data set.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GenConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Distinct passive DNS rows (facts `name type value`).
    pub pdns: u64,
    /// Extra DNS observations that repeat an earlier fact (per distinct row).
    pub resight: f64,
    /// Host names.
    pub hosts: u64,
    /// Zipf exponent of host popularity.
    pub zipf: f64,
    /// Component observations.
    pub components: u64,
    /// Tracker observations.
    pub trackers: u64,
    /// Cookie observations.
    pub cookies: u64,
    /// Host-pair observations.
    pub host_pairs: u64,
    /// Certificate sightings (the certificate details come on top, one line per certificate).
    pub certificates: u64,
    /// Port scan observations.
    pub ports: u64,
    /// IP enrichment observations.
    pub ips: u64,
    /// WHOIS snapshots.
    pub whois: u64,
    /// Articles.
    pub articles: u64,
    /// Actor and tool profiles.
    pub profiles: u64,
    /// Vulnerabilities.
    pub vulnerabilities: u64,
}

impl GenConfig {
    /// Defaults for a scale of `pdns` passive DNS rows.
    pub fn for_rows(pdns: u64, seed: u64) -> GenConfig {
        let hosts = (pdns / 10).max(100);
        GenConfig {
            seed,
            pdns,
            resight: 0.05,
            hosts,
            zipf: 1.0,
            components: pdns / 10,
            trackers: pdns / 20,
            cookies: pdns / 20,
            host_pairs: pdns / 20,
            certificates: pdns / 50,
            ports: pdns / 20,
            ips: pdns / 50,
            whois: hosts / 5 * 3 / 2,
            articles: (pdns / 5000).max(20),
            profiles: (pdns / 20_000).max(10),
            vulnerabilities: 50,
        }
    }

    /// The world these counts describe.
    pub fn world(&self) -> World {
        World::new(self.seed, self.hosts, self.zipf)
    }
}

/// What a run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GenSummary {
    /// Observations written (lines of NDJSON).
    pub observations: u64,
    /// DNS observations among them (new rows plus re-sightings).
    pub dns: u64,
    /// Distinct passive DNS facts generated.
    pub pdns_rows: u64,
}

/// Spreads `total` items evenly over `steps` steps (Bresenham): how many are due by step `i`.
fn due(total: u64, steps: u64, i: u64) -> u64 {
    ((u128::from(total) * u128::from(i + 1)) / u128::from(steps.max(1))) as u64
}

/// Generates the data set into `sink`.
pub fn generate(cfg: &GenConfig, sink: &mut dyn Sink) -> io::Result<GenSummary> {
    let world = cfg.world();
    let mut rng = Rng::new(cfg.seed);
    let counts = Zipf::new(1000, 1.2);
    let tracker_pool = Zipf::new((cfg.hosts / 40).max(16), 1.0);
    let mut per_host = vec![0u32; cfg.hosts as usize];
    let mut out = GenSummary::default();
    let emit = |o: &Observation, sink: &mut dyn Sink, out: &mut GenSummary| {
        out.observations += 1;
        if matches!(o, Observation::Dns { .. }) {
            out.dns += 1;
        }
        sink.write(o)
    };

    for c in 0..facts::certificate_pool(&world) {
        emit(&facts::certificate_details(&world, c), sink, &mut out)?;
    }
    let mut done = [0u64; 8];
    let mut whois_domain = 0u64;
    for i in 0..cfg.pdns {
        // One new passive DNS fact.
        let host = world.popular(&mut rng);
        let k = per_host[host.id as usize];
        per_host[host.id as usize] = k.saturating_add(1);
        emit(
            &dns(&world, &mut rng, &counts, &host, u64::from(k)),
            sink,
            &mut out,
        )?;
        out.pdns_rows += 1;
        if cfg.resight > 0.0 && rng.chance(cfg.resight) {
            let host = world.popular(&mut rng);
            let seen = u64::from(per_host[host.id as usize]);
            if seen > 0 {
                let k = rng.below(seen);
                emit(&dns(&world, &mut rng, &counts, &host, k), sink, &mut out)?;
            }
        }
        // Everything else, spread evenly over the DNS stream.
        let targets = [
            cfg.components,
            cfg.trackers,
            cfg.cookies,
            cfg.host_pairs,
            cfg.certificates,
            cfg.ports,
            cfg.ips,
            cfg.whois,
        ];
        for (kind, total) in targets.iter().enumerate() {
            while done[kind] < due(*total, cfg.pdns, i) {
                done[kind] += 1;
                let o = match kind {
                    0 => facts::component(&world, &mut rng, &counts),
                    1 => facts::tracker(&world, &mut rng, &counts, &tracker_pool),
                    2 => facts::cookie(&world, &mut rng, &counts),
                    3 => facts::host_pair(&world, &mut rng, &counts),
                    4 => facts::certificate_sighting(&world, &mut rng, &counts),
                    5 => facts::port(&world, &mut rng, &counts),
                    6 => facts::ip_enrichment(&world, &mut rng, &counts),
                    _ => {
                        // Domains in turn; a second pass gives the next snapshot (history).
                        let mut d = whois_domain % world.domains;
                        let mut guard = 0;
                        while !world.registered(d) && guard < 64 {
                            whois_domain += 1;
                            d = whois_domain % world.domains;
                            guard += 1;
                        }
                        let v = whois_domain / world.domains;
                        whois_domain += 1;
                        intel::whois(&world, d, v)
                    }
                };
                emit(&o, sink, &mut out)?;
            }
        }
    }
    for v in 0..cfg.vulnerabilities {
        emit(&intel::vulnerability(v), sink, &mut out)?;
    }
    for p in 0..cfg.profiles {
        emit(&intel::profile(&world, &mut rng, p), sink, &mut out)?;
    }
    for a in 0..cfg.articles {
        let o = intel::article(&world, &mut rng, a, cfg.profiles, cfg.vulnerabilities);
        emit(&o, sink, &mut out)?;
    }
    sink.finish()?;
    Ok(out)
}

fn dns(world: &World, rng: &mut Rng, counts: &Zipf, host: &world::Host, k: u64) -> Observation {
    let (rtype, value) = world.record(host, k);
    Observation::Dns {
        name: host.name.clone(),
        record_type: rtype.to_string(),
        value,
        sensor: Some(format!("sensor-{:02}", rng.below(8))),
        seen: facts::window(rng, counts),
    }
}

/// Generates into a writer in the given format.
pub fn generate_to(cfg: &GenConfig, format: Format, w: impl Write) -> io::Result<GenSummary> {
    match format {
        Format::Ndjson => generate(cfg, &mut NdjsonSink::new(w)),
        Format::Cof => generate(cfg, &mut CofSink::new(w)),
        Format::Dnstap => generate(cfg, &mut dnstap::DnstapSink::new(w)),
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Observation NDJSON (`docs/observations.md`): every kind.
    Ndjson,
    /// Passive DNS Common Output Format, one JSON object per line: DNS facts only.
    Cof,
    /// dnstap (Frame Streams): one `CLIENT_RESPONSE` message per DNS observation.
    Dnstap,
}
