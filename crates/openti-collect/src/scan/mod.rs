//! `openti scan`: a TCP connect scanner with bounded concurrency and rate, banner grabbing,
//! service detection and TLS certificate capture, producing `port` (and `certificate`)
//! observations.
//!
//! Targets are IP addresses, host names or small CIDR blocks (at most 256 addresses); every
//! resolved address is checked with the [`NetPolicy`] before any packet is sent.

pub mod detect;
pub mod probe;
pub mod tls;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use openti_model::enums::{HostPortProtocol, HostPortStatus};
use openti_model::observation::{ComponentName, Seen};
use openti_model::Observation;
use thiserror::Error;
use tokio::sync::Semaphore;

use crate::policy::{Cidr, NetPolicy, PolicyError};
use probe::{ProbeConfig, Status};

/// Most addresses one CIDR target may expand to.
pub const MAX_CIDR_HOSTS: u32 = 256;
/// Most probes (address × port) in one run.
pub const MAX_PROBES: usize = 1 << 20;

/// Scan errors (per-port failures are statuses, not errors).
#[derive(Debug, Error)]
pub enum ScanError {
    /// A port list could not be parsed.
    #[error("invalid port list {0:?}: expected e.g. 22,80,443,8000-8010 (ports 1-65535)")]
    BadPorts(String),
    /// A target could not be resolved or parsed.
    #[error("cannot resolve target {target:?}: {message}")]
    Resolve {
        /// The target.
        target: String,
        /// Why.
        message: String,
    },
    /// The policy refused a target.
    #[error("target {target:?}: {source}")]
    Refused {
        /// The target.
        target: String,
        /// The refusal.
        source: PolicyError,
    },
    /// Too many probes for one run.
    #[error("{0} probes requested; at most {MAX_PROBES} per run")]
    TooMany(usize),
    /// TLS could not be set up.
    #[error("TLS setup: {0}")]
    Tls(String),
}

/// Options of one scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Ports to probe.
    pub ports: Vec<u16>,
    /// Connection attempts per second (across all targets).
    pub rate: f64,
    /// Most connections in flight.
    pub concurrency: usize,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Banner / probe reply timeout.
    pub read_timeout: Duration,
    /// Emit closed and filtered ports too (default: open ports only).
    pub all_states: bool,
    /// Which addresses may be contacted.
    pub policy: NetPolicy,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            ports: Vec::new(),
            rate: 100.0,
            concurrency: 64,
            connect_timeout: Duration::from_secs(3),
            read_timeout: Duration::from_secs(2),
            all_states: false,
            policy: NetPolicy::new(),
        }
    }
}

/// Parses `22,80,443,8000-8010` (sorted, de-duplicated).
pub fn parse_ports(list: &str) -> Result<Vec<u16>, ScanError> {
    let bad = || ScanError::BadPorts(list.to_string());
    let mut ports = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let a: u16 = a.parse().map_err(|_| bad())?;
        let b: u16 = b.parse().map_err(|_| bad())?;
        if a == 0 || b < a {
            return Err(bad());
        }
        ports.extend(a..=b);
    }
    ports.sort_unstable();
    ports.dedup();
    if ports.is_empty() {
        return Err(bad());
    }
    Ok(ports)
}

/// A resolved target: the address to contact and the name it was given by, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Address.
    pub ip: IpAddr,
    /// Host name the user gave (for SNI / HTTP Host).
    pub name: Option<String>,
}

/// Resolves targets (IP, host name, or CIDR ≤ 256 addresses) and checks each address with the
/// policy. A name is refused if any of its addresses is.
pub async fn resolve_targets(
    targets: &[String],
    policy: &NetPolicy,
) -> Result<Vec<Target>, ScanError> {
    let mut out = Vec::new();
    for t in targets {
        let t = t.trim();
        let refused = |source| ScanError::Refused {
            target: t.to_string(),
            source,
        };
        if let Ok(ip) = t.trim_matches(['[', ']']).parse::<IpAddr>() {
            policy.check(ip).map_err(refused)?;
            out.push(Target { ip, name: None });
        } else if t.contains('/') {
            let cidr: Cidr = t.parse().map_err(|e: PolicyError| ScanError::Resolve {
                target: t.to_string(),
                message: e.to_string(),
            })?;
            for ip in expand(&cidr, t)? {
                policy.check(ip).map_err(refused)?;
                out.push(Target { ip, name: None });
            }
        } else {
            let addrs: Vec<IpAddr> = tokio::net::lookup_host((t, 0))
                .await
                .map_err(|e| ScanError::Resolve {
                    target: t.to_string(),
                    message: e.to_string(),
                })?
                .map(|a| a.ip())
                .collect();
            policy.check_all(&addrs).map_err(refused)?;
            let mut seen = std::collections::HashSet::new();
            for ip in addrs.into_iter().filter(|ip| seen.insert(*ip)) {
                out.push(Target {
                    ip,
                    name: Some(t.to_ascii_lowercase()),
                });
            }
        }
    }
    Ok(out)
}

fn expand(cidr: &Cidr, text: &str) -> Result<Vec<IpAddr>, ScanError> {
    let (base, prefix) = text.split_once('/').unwrap_or((text, ""));
    let prefix: u32 = prefix.parse().unwrap_or(0);
    let too_big = || ScanError::Resolve {
        target: text.to_string(),
        message: format!("CIDR targets may cover at most {MAX_CIDR_HOSTS} addresses"),
    };
    let ip: IpAddr = base.parse().map_err(|_| too_big())?;
    let bits = if ip.is_ipv4() { 32 } else { 128 };
    if prefix > bits || bits - prefix > 8 {
        return Err(too_big());
    }
    let n = 1u32 << (bits - prefix);
    let start = cidr.to_string();
    let start: IpAddr = start
        .split('/')
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(too_big)?;
    Ok((0..n.min(MAX_CIDR_HOSTS))
        .map(|i| match start {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) + i).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) + u128::from(i)).into()),
        })
        .collect())
}

/// Scans every target × port; returns observations (ports, and certificates for TLS ports).
pub async fn scan(targets: &[String], opts: &ScanOptions) -> Result<Vec<Observation>, ScanError> {
    let targets = resolve_targets(targets, &opts.policy).await?;
    let total = targets.len() * opts.ports.len();
    if total > MAX_PROBES {
        return Err(ScanError::TooMany(total));
    }
    let tls = tls::capture_config().map_err(|e| ScanError::Tls(e.to_string()))?;
    let sem = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let period = Duration::from_secs_f64(1.0 / opts.rate.clamp(0.1, 100_000.0));
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tasks = tokio::task::JoinSet::new();
    for target in &targets {
        for &port in &opts.ports {
            ticker.tick().await;
            let permit = Arc::clone(&sem).acquire_owned().await;
            let cfg = ProbeConfig {
                connect_timeout: opts.connect_timeout,
                read_timeout: opts.read_timeout,
                tls: Arc::clone(&tls),
                server_name: target.name.clone(),
            };
            let addr = SocketAddr::new(target.ip, port);
            let all = opts.all_states;
            tasks.spawn(async move {
                let _permit = permit;
                one_port(addr, &cfg, all).await
            });
        }
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        if let Ok(obs) = r {
            out.extend(obs);
        }
    }
    out.sort_by_key(|o| match o {
        Observation::Port { host, port, .. } => (host.clone(), *port, 0),
        Observation::Certificate { host, port, .. } => {
            (host.clone().unwrap_or_default(), port.unwrap_or(0), 1)
        }
        _ => (String::new(), 0, 2),
    });
    Ok(out)
}

async fn one_port(addr: SocketAddr, cfg: &ProbeConfig, all_states: bool) -> Vec<Observation> {
    let seen = Seen {
        time: Some(Utc::now()),
        ..Seen::default()
    };
    let host = addr.ip().to_string();
    let status = |s| Observation::Port {
        host: host.clone(),
        port: addr.port(),
        protocol: Some(HostPortProtocol::Tcp),
        status: Some(s),
        banner: None,
        scan_protocol: None,
        services: Vec::new(),
        certificate_sha1: None,
        seen: seen.clone(),
    };
    let stream = match probe::connect(addr, cfg).await {
        Ok(s) => s,
        Err(Status::Closed) if all_states => return vec![status(HostPortStatus::Closed)],
        Err(_) if all_states => return vec![status(HostPortStatus::Filtered)],
        Err(_) => return Vec::new(),
    };
    let report = probe::grab(stream, addr, cfg).await;
    let mut services = report.detection.services.clone();
    if services.is_empty() {
        if let Some(p) = &report.detection.protocol {
            services.push(ComponentName {
                name: p.clone(),
                version: String::new(),
                category: "Service".into(),
            });
        }
    }
    let mut out = vec![Observation::Port {
        host: host.clone(),
        port: addr.port(),
        protocol: Some(HostPortProtocol::Tcp),
        status: Some(HostPortStatus::Open),
        banner: report.banner.clone(),
        scan_protocol: report.detection.protocol.clone(),
        services,
        certificate_sha1: report.cert.as_ref().map(|c| c.sha1.clone()),
        seen: seen.clone(),
    }];
    if let Some(c) = report.cert {
        out.push(c.into_observation(Some(host), Some(addr.port()), seen));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists() {
        assert_eq!(
            parse_ports("80, 22,443,20-22").unwrap(),
            vec![20, 21, 22, 80, 443]
        );
        assert!(parse_ports("0").is_err());
        assert!(parse_ports("70000").is_err());
        assert!(parse_ports("9-3").is_err());
        assert!(parse_ports("").is_err());
    }

    #[tokio::test]
    async fn policy_refuses_before_any_packet() {
        let e = resolve_targets(&["127.0.0.1".into()], &NetPolicy::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("loopback"), "{e}");
        let ok = resolve_targets(&["127.0.0.0/30".into()], &NetPolicy::with_loopback())
            .await
            .unwrap();
        assert_eq!(ok.len(), 4);
        assert!(
            resolve_targets(&["127.0.0.0/8".into()], &NetPolicy::with_loopback())
                .await
                .is_err()
        );
    }
}
