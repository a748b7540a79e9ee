//! WHOIS histories and finished intelligence: vulnerabilities, actor and tool profiles, and
//! articles, each quoting indicators drawn from the generated hosts.

use openti_model::observation::{Contact, IndicatorRef, Text};
use openti_model::{IntelligenceProfileCountryOrRegionOfOrigin, IntelligenceProfileKind};
use openti_model::{Observation, Seen};

use super::facts::{at, EPOCH_SPAN, EPOCH_START};
use super::world::World;
use crate::names::{domain_name, ADJECTIVES, NOUNS, NS_PROVIDERS};
use crate::rng::{mix2, mix3, Rng};

const REGISTRARS: &[&str] = &[
    "Example Registrar, Inc.",
    "Test Domains LLC",
    "Reserved Names Registry GmbH",
    "Benchmark Registrar Ltd",
];

/// Words used in article and profile texts; `$search` benchmarks use the first ones.
pub const TOPICS: &[&str] = &[
    "phishing",
    "ransomware",
    "botnet",
    "credential",
    "loader",
    "exploit",
    "espionage",
    "wiper",
    "supply-chain",
    "infostealer",
    "backdoor",
    "cryptominer",
];

const SECTORS: &[&str] = &[
    "Government",
    "Finance",
    "Healthcare",
    "Energy",
    "Logistics",
    "Education",
    "Telecom",
    "Retail",
    "Manufacturing",
    "Media",
];

const TOOL_SUFFIXES: &[&str] = &["Loader", "RAT", "Stealer", "Dropper", "Kit", "Agent"];

/// WHOIS snapshot number `v` of domain `d`: registrar, name servers and dates change between
/// versions, so successive snapshots build a history.
pub fn whois(world: &World, d: u64, v: u64) -> Observation {
    let dom = domain_name(d, world.seed);
    let registered = EPOCH_START - (mix2(d, 1) % 300_000_000) as i64;
    let seen_at = EPOCH_START + ((v * 31_536_000 + mix2(d, v) % 20_000_000) as i64).min(EPOCH_SPAN);
    let registrar = REGISTRARS[(mix3(world.seed, d, v / 2) % REGISTRARS.len() as u64) as usize];
    let ns = NS_PROVIDERS[(mix3(world.seed, d, v) % NS_PROVIDERS.len() as u64) as usize];
    let contact = |role: &str| Contact {
        name: Some(format!("{role} contact")),
        organization: Some(format!(
            "{} Holdings",
            capitalise(dom.split('-').next().unwrap_or("x"))
        )),
        email: Some(format!("{}@{dom}", role.to_lowercase())),
        telephone: Some(format!("+1.555010{:04}", d % 10_000)),
        country: Some("US".into()),
        ..Contact::default()
    };
    Observation::Whois {
        domain: dom.clone(),
        server: Some("whois.example.net".into()),
        raw: None,
        registered: Some(at(registered)),
        expires: Some(at(registered + 31_536_000 * (2 + v as i64))),
        updated: Some(at(seen_at - 86_400)),
        status: vec!["clientTransferProhibited".into()],
        registrar: Some(Box::new(Contact {
            name: Some(registrar.into()),
            organization: Some(registrar.into()),
            email: Some("abuse@registrar.example".into()),
            ..Contact::default()
        })),
        registrant: Some(Box::new(contact("Registrant"))),
        admin: Some(Box::new(contact("Admin"))),
        technical: Some(Box::new(contact("Tech"))),
        billing: None,
        noc: None,
        zone: None,
        abuse: None,
        nameservers: vec![format!("ns1.{ns}"), format!("ns2.{ns}")],
        seen: Seen {
            time: Some(at(seen_at)),
            ..Seen::default()
        },
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// CVE id of generated vulnerability `i` (year 2099: never a real CVE).
pub fn cve_id(i: u64) -> String {
    format!("CVE-2099-{}", 10_000 + i)
}

/// Vulnerability `i`.
pub fn vulnerability(i: u64) -> Observation {
    let score = (mix2(i, 5) % 101) as f64 / 10.0;
    serde_json::from_value(serde_json::json!({
        "kind": "vulnerability",
        "id": cve_id(i),
        "cvss3": {"score": score},
        "description": format!("Synthetic benchmark vulnerability {i} in a fictional product."),
        "published": at(EPOCH_START + (mix2(i, 6) % EPOCH_SPAN as u64) as i64),
        "components": [format!("Example Product {}", i % 7)],
    }))
    .expect("vulnerability observation")
}

/// Title of profile `p`: actors are two words (`Velvet Heron`), tools one (`FalconLoader`).
pub fn profile_title(world: &World, p: u64) -> (IntelligenceProfileKind, String) {
    let a = ADJECTIVES[(mix2(world.seed, p) % ADJECTIVES.len() as u64) as usize];
    let n = NOUNS[(p % NOUNS.len() as u64) as usize];
    if p % 3 == 2 {
        let s = TOOL_SUFFIXES[(p % TOOL_SUFFIXES.len() as u64) as usize];
        (
            IntelligenceProfileKind::Tool,
            format!("{}{s} {p}", capitalise(n)),
        )
    } else {
        (
            IntelligenceProfileKind::Actor,
            format!("{} {} {p}", capitalise(a), capitalise(n)),
        )
    }
}

fn indicators(world: &World, rng: &mut Rng, n: u64) -> Vec<IndicatorRef> {
    (0..n)
        .map(|_| {
            let h = world.popular(rng);
            if rng.chance(0.3) {
                IndicatorRef {
                    kind: "ip".into(),
                    value: world.primary_ip(h.id),
                    source: None,
                }
            } else {
                IndicatorRef {
                    kind: "hostname".into(),
                    value: h.name,
                    source: None,
                }
            }
        })
        .collect()
}

/// Profile `p` with 5–50 indicators.
pub fn profile(world: &World, rng: &mut Rng, p: u64) -> Observation {
    let (kind, title) = profile_title(world, p);
    let topic = TOPICS[(p % TOPICS.len() as u64) as usize];
    let sector = SECTORS[(mix2(p, 3) % SECTORS.len() as u64) as usize];
    let n = 5 + rng.below(46);
    Observation::IntelProfile {
        id: None,
        profile_kind: kind,
        title: title.clone(),
        aliases: vec![
            format!("TA-{}", 1000 + p),
            format!("{}-{p}", topic.to_uppercase()),
        ],
        targets: vec![
            sector.into(),
            SECTORS[(p % SECTORS.len() as u64) as usize].into(),
        ],
        countries: vec![IntelligenceProfileCountryOrRegionOfOrigin {
            code: Some("XA".into()),
            label: Some("Fictional Region".into()),
        }],
        first_active: Some(at(EPOCH_START - (mix2(p, 4) % 200_000_000) as i64)),
        summary: Some(Text::Plain(format!(
            "{title} is a fictional {} known for {topic} against {sector}.",
            if kind == IntelligenceProfileKind::Tool {
                "tool"
            } else {
                "intrusion set"
            }
        ))),
        description: Some(Text::Plain(paragraph(rng, 60))),
        tradecraft: None,
        indicators: indicators(world, rng, n),
    }
}

/// Article `a`, naming a profile and topics, with 3–30 indicators and sometimes CVEs.
pub fn article(world: &World, rng: &mut Rng, a: u64, profiles: u64, vulns: u64) -> Observation {
    let topic = TOPICS[(mix2(world.seed, a) % TOPICS.len() as u64) as usize];
    let (_, actor) = profile_title(world, a % profiles.max(1));
    let sector = SECTORS[(a % SECTORS.len() as u64) as usize];
    let n = 3 + rng.below(28);
    let cves = if vulns > 0 && rng.chance(0.3) {
        vec![cve_id(rng.below(vulns))]
    } else {
        Vec::new()
    };
    let created = EPOCH_START + (mix2(a, 8) % EPOCH_SPAN as u64) as i64;
    Observation::Article {
        id: None,
        title: format!("{actor} runs {topic} campaign against {sector} (report {a})"),
        summary: Some(Text::Plain(format!(
            "Analysts observed {actor} using {topic} infrastructure against {sector}."
        ))),
        body: Some(Text::Plain(format!(
            "## Overview\n\n{}\n\n## Infrastructure\n\n{}",
            paragraph(rng, 80),
            paragraph(rng, 60)
        ))),
        tags: vec![topic.into(), sector.to_lowercase()],
        featured: a.is_multiple_of(17),
        image_url: None,
        created: Some(at(created)),
        updated: Some(at(created + 86_400)),
        indicators: indicators(world, rng, n),
        cves,
    }
}

fn paragraph(rng: &mut Rng, words: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "operators",
        "registered",
        "domains",
        "hosting",
        "servers",
        "observed",
        "payload",
        "delivered",
        "through",
        "lure",
        "documents",
        "infrastructure",
        "rotated",
        "weekly",
        "certificates",
        "shared",
        "across",
        "clusters",
        "resolution",
        "history",
        "shows",
        "overlap",
        "with",
        "previous",
        "activity",
        "analysts",
        "assess",
        "moderate",
        "confidence",
    ];
    let mut out = String::new();
    for i in 0..words {
        if i > 0 {
            out.push(' ');
        }
        if rng.chance(0.05) {
            let w = rng.pick::<&str>(TOPICS);
            out.push_str(w);
        } else {
            let w = rng.pick::<&str>(WORDS);
            out.push_str(w);
        }
    }
    out.push('.');
    out
}
