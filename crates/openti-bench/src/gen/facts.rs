//! Web and network facts around hosts: components, trackers, cookies, host pairs,
//! certificates, ports and IP enrichment.

use chrono::{DateTime, TimeZone, Utc};
use openti_model::observation::{CertName, ComponentName};
use openti_model::{HostPortProtocol, HostPortStatus, Observation, Seen};

use super::world::{Host, World};
use crate::names::{self, domain_name};
use crate::rng::{mix2, Rng, Zipf};

/// Start of the generated time range (2022-01-01T00:00:00Z).
pub const EPOCH_START: i64 = 1_640_995_200;
/// Length of the generated time range (about 3.5 years).
pub const EPOCH_SPAN: i64 = 110_000_000;

/// A second-resolution UTC time.
pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// A sighting window: start anywhere in the range, duration skewed short, count Zipf-skewed.
pub fn window(rng: &mut Rng, counts: &Zipf) -> Seen {
    let first = EPOCH_START + rng.below(EPOCH_SPAN as u64) as i64;
    let span = (rng.f64().powi(3) * (EPOCH_START + EPOCH_SPAN - first) as f64) as i64;
    Seen {
        time: None,
        first_seen: Some(at(first)),
        last_seen: Some(at(first + span)),
        count: Some(1 + counts.sample(rng)),
    }
}

/// `(name, category, versions)` of the component catalogue.
const COMPONENTS: &[(&str, &str, &[&str])] = &[
    ("nginx", "Server", &["1.18.0", "1.22.1", "1.24.0", "1.25.3"]),
    ("Apache", "Server", &["2.4.41", "2.4.57", "2.4.58"]),
    ("Microsoft-IIS", "Server", &["8.5", "10.0"]),
    ("WordPress", "CMS", &["5.8.3", "6.2.2", "6.4.3"]),
    ("Drupal", "CMS", &["9.5", "10.1"]),
    (
        "jQuery",
        "JavaScript Library",
        &["1.12.4", "3.5.1", "3.6.0", "3.7.1"],
    ),
    ("React", "JavaScript Framework", &["17.0.2", "18.2.0"]),
    ("Bootstrap", "UI Framework", &["4.6.0", "5.3.2"]),
    (
        "PHP",
        "Programming Language",
        &["7.4.33", "8.1.27", "8.2.15"],
    ),
    ("Cloudflare", "CDN", &[""]),
    ("Google Analytics", "Analytics", &["GA4", "UA"]),
    ("OpenSSL", "Library", &["1.1.1w", "3.0.13"]),
];

const TRACKER_KINDS: &[&str] = &[
    "GoogleAnalyticsID",
    "GoogleTagManagerID",
    "JarmHash",
    "FacebookPixelID",
];

const COOKIES: &[&str] = &[
    "_ga",
    "_gid",
    "sessionid",
    "PHPSESSID",
    "JSESSIONID",
    "csrftoken",
    "__cf_bm",
    "_fbp",
    "lang",
    "consent",
];

const LINK_KINDS: &[&str] = &[
    "a.href",
    "script.src",
    "img.src",
    "iframe.src",
    "redirect",
    "finalRedirect",
    "form.action",
];

const CAS: &[(&str, &str)] = &[
    ("Example Test CA R1", "Example Trust Services"),
    ("Example Test CA E2", "Example Trust Services"),
    ("Test Issuing CA 2023", "Test PKI Ltd"),
    ("Benchmark Root CA", "Benchmark Certs"),
];

/// Web facts about one host: a component, a tracker, a cookie or a host pair.
pub fn component(world: &World, rng: &mut Rng, counts: &Zipf) -> Observation {
    let host = world.popular(rng);
    let (name, category, versions) = *rng.pick(COMPONENTS);
    Observation::Component {
        host: host.name,
        component: ComponentName {
            name: name.to_string(),
            version: rng.pick(versions).to_string(),
            category: category.to_string(),
        },
        seen: window(rng, counts),
    }
}

/// A tracker; values come from a shared pool so that popular codes span many hosts.
pub fn tracker(world: &World, rng: &mut Rng, counts: &Zipf, pool: &Zipf) -> Observation {
    let host = world.popular(rng);
    let t = pool.sample(rng);
    let kind = TRACKER_KINDS[(t % TRACKER_KINDS.len() as u64) as usize];
    let code = mix2(world.seed ^ 0x74, t);
    let value = match kind {
        "GoogleAnalyticsID" => format!("UA-{}-{}", 1_000_000 + code % 9_000_000, 1 + code % 3),
        "GoogleTagManagerID" => format!("GTM-{}", &names::hex(code, 1, 7).to_uppercase()),
        "JarmHash" => names::hex(code, 2, 62),
        _ => format!("{}", 100_000_000_000_000u64 + code % 900_000_000_000_000),
    };
    Observation::Tracker {
        host: host.name,
        tracker_kind: kind.to_string(),
        value,
        seen: window(rng, counts),
    }
}

/// A cookie, set for the host or for its registered domain.
pub fn cookie(world: &World, rng: &mut Rng, counts: &Zipf) -> Observation {
    let host = world.popular(rng);
    let domain = if rng.chance(0.5) {
        String::new()
    } else {
        format!(".{}", domain_name(host.domain, world.seed))
    };
    Observation::Cookie {
        host: host.name,
        name: rng.pick(COOKIES).to_string(),
        domain,
        seen: window(rng, counts),
    }
}

/// A link between two hosts; children are popular too (shared CDNs and trackers).
pub fn host_pair(world: &World, rng: &mut Rng, counts: &Zipf) -> Observation {
    let parent = world.popular(rng);
    let child = if rng.chance(0.3) {
        // Inside the same site.
        world.host(parent.domain)
    } else {
        world.popular(rng)
    };
    Observation::HostPair {
        parent: parent.name,
        child: child.name,
        link_kind: rng.pick(LINK_KINDS).to_string(),
        seen: window(rng, counts),
    }
}

/// Number of distinct certificates for a world (one per four domains, at least 8).
pub fn certificate_pool(world: &World) -> u64 {
    (world.domains / 4).max(8)
}

/// SHA-1 hex of certificate `c`.
pub fn cert_sha1(world: &World, c: u64) -> String {
    names::hex(world.seed ^ 0x63657274, c, 40)
}

/// The certificate a host serves: shared by every host of its domain (a wildcard).
pub fn cert_of(world: &World, host: &Host) -> u64 {
    mix2(world.seed, host.domain) % certificate_pool(world)
}

/// The details of certificate `c`, without a host (as from a CT log).
pub fn certificate_details(world: &World, c: u64) -> Observation {
    let d = c % world.domains;
    let dom = domain_name(d, world.seed);
    let (ca, org) = CAS[(mix2(world.seed, c) % CAS.len() as u64) as usize];
    let issued = EPOCH_START + (mix2(c, 9) % EPOCH_SPAN as u64) as i64;
    Observation::Certificate {
        host: None,
        port: None,
        sha1: cert_sha1(world, c),
        fingerprint: None,
        serial_number: Some(format!("{}", mix2(c, 11) >> 1)),
        issued: Some(at(issued)),
        expires: Some(at(issued + 90 * 86_400)),
        issuer: Box::new(CertName {
            common_name: Some(ca.to_string()),
            organization_name: Some(org.to_string()),
            country: Some("US".to_string()),
            ..CertName::default()
        }),
        subject: Box::new(CertName {
            common_name: Some(format!("*.{dom}")),
            alternate_names: vec![format!("*.{dom}"), dom],
            ..CertName::default()
        }),
        seen: Seen::default(),
    }
}

/// A certificate seen on a host.
pub fn certificate_sighting(world: &World, rng: &mut Rng, counts: &Zipf) -> Observation {
    let host = world.popular(rng);
    Observation::Certificate {
        host: Some(host.name.clone()),
        port: Some(if rng.chance(0.9) { 443 } else { 8443 }),
        sha1: cert_sha1(world, cert_of(world, &host)),
        fingerprint: None,
        serial_number: None,
        issued: None,
        expires: None,
        issuer: Box::default(),
        subject: Box::default(),
        seen: window(rng, counts),
    }
}

const PORTS: &[(u16, &str, &str)] = &[
    (443, "https", "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0"),
    (
        80,
        "http",
        "HTTP/1.1 301 Moved Permanently\r\nServer: nginx/1.24.0",
    ),
    (22, "ssh", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2"),
    (25, "smtp", "220 mail.example.net ESMTP Postfix"),
    (53, "dns", ""),
    (8080, "http", "HTTP/1.1 200 OK\r\nServer: Apache/2.4.57"),
    (3389, "rdp", ""),
    (8443, "https", "HTTP/1.1 403 Forbidden"),
];

/// A port scan result on a host's primary address.
pub fn port(world: &World, rng: &mut Rng, counts: &Zipf) -> Observation {
    let host = world.popular(rng);
    let (port, proto, banner) = PORTS[(rng.f64().powi(2) * PORTS.len() as f64) as usize];
    let status = match rng.below(10) {
        0 => HostPortStatus::Filtered,
        1 => HostPortStatus::Closed,
        _ => HostPortStatus::Open,
    };
    let cert = (proto == "https").then(|| cert_sha1(world, cert_of(world, &host)));
    Observation::Port {
        host: world.primary_ip(host.id),
        port,
        protocol: Some(if port == 53 {
            HostPortProtocol::Udp
        } else {
            HostPortProtocol::Tcp
        }),
        status: Some(status),
        banner: (!banner.is_empty()).then(|| banner.to_string()),
        scan_protocol: Some(proto.to_string()),
        services: match proto {
            "https" | "http" => vec![ComponentName {
                name: "nginx".into(),
                version: "1.24.0".into(),
                category: "Server".into(),
            }],
            _ => Vec::new(),
        },
        certificate_sha1: cert,
        seen: window(rng, counts),
    }
}

/// Network enrichment of a host's primary address (documentation ASNs 64496–64511).
pub fn ip_enrichment(world: &World, rng: &mut Rng, counts: &Zipf) -> Observation {
    let host = world.popular(rng);
    let ip = world.primary_ip(host.id);
    let n = mix2(world.seed, host.id) % 16;
    Observation::Ip {
        ip,
        asn: Some(64_496 + n as u32),
        as_name: Some(format!("EXAMPLE-NET-{n}")),
        as_organization: Some(format!("Example Hosting {n}")),
        netblock: None,
        country: Some(["US", "DE", "NL", "FR", "JP"][(n % 5) as usize].to_string()),
        hosting_provider: Some(format!("Example Hosting {n}")),
        seen: window(rng, counts),
    }
}
