//! A port-43 WHOIS client that follows referrals: IANA → registry → registrar (or RIR).
//!
//! Each hop's server is resolved and checked with the [`NetPolicy`] before connecting. The
//! first server is configurable (tests use a WHOIS server on loopback). Referrals are read
//! from `refer:`, `whois:`, `Registrar WHOIS Server:`, `ReferralServer:` and `Whois Server:`
//! lines; a server is never asked twice, and at most `max_hops` servers are asked.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::policy::{NetPolicy, PolicyError};

/// Most bytes kept from one response.
pub const RESPONSE_LIMIT: usize = 1 << 20;

/// WHOIS client errors.
#[derive(Debug, Error)]
pub enum WhoisError {
    /// A server name did not resolve.
    #[error("cannot resolve WHOIS server {server}: {message}")]
    Resolve {
        /// Server.
        server: String,
        /// Why.
        message: String,
    },
    /// The policy refused a server.
    #[error("WHOIS server {server}: {source}")]
    Refused {
        /// Server.
        server: String,
        /// The refusal.
        source: PolicyError,
    },
    /// Connecting, sending or reading failed.
    #[error("WHOIS server {server}: {message}")]
    Io {
        /// Server.
        server: String,
        /// Why.
        message: String,
    },
}

/// Options of a lookup.
#[derive(Debug, Clone)]
pub struct WhoisOptions {
    /// First server, `host[:port]` (default `whois.iana.org`).
    pub first_server: String,
    /// Per-hop timeout (connect + read).
    pub timeout: Duration,
    /// Most servers asked.
    pub max_hops: usize,
    /// Which addresses may be contacted.
    pub policy: NetPolicy,
}

impl Default for WhoisOptions {
    fn default() -> Self {
        WhoisOptions {
            first_server: "whois.iana.org".into(),
            timeout: Duration::from_secs(15),
            max_hops: 4,
            policy: NetPolicy::new(),
        }
    }
}

/// One server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhoisHop {
    /// `host:port` asked.
    pub server: String,
    /// Response text (lossy UTF-8).
    pub response: String,
}

/// Splits `host`, `host:port`, `[v6]:port`, `v6` (port 43 by default).
pub fn split_server(server: &str) -> (String, u16) {
    let s = server.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return (ip.to_string(), 43);
    }
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((h, p)) = rest.split_once(']') {
            let port = p.trim_start_matches(':').parse().unwrap_or(43);
            return (h.to_string(), port);
        }
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), p.parse().unwrap_or(43)),
        _ => (s.to_string(), 43),
    }
}

/// The referral a response names, as `host[:port]`, if any.
pub fn find_referral(response: &str) -> Option<String> {
    for line in response.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let key = k.trim().to_ascii_lowercase();
        if !matches!(
            key.as_str(),
            "refer" | "whois" | "registrar whois server" | "referralserver" | "whois server"
        ) {
            continue;
        }
        let v = v.trim();
        let v = v
            .strip_prefix("whois://")
            .or_else(|| v.strip_prefix("http://"))
            .or_else(|| v.strip_prefix("https://"))
            .unwrap_or(v)
            .trim_end_matches('/');
        if v.is_empty() || v.contains("://") || v.contains(' ') {
            continue;
        }
        return Some(v.to_ascii_lowercase());
    }
    None
}

async fn ask(server: &str, query: &str, opts: &WhoisOptions) -> Result<WhoisHop, WhoisError> {
    let (host, port) = split_server(server);
    let label = format!("{host}:{port}");
    let addrs: Vec<SocketAddr> =
        timeout(opts.timeout, tokio::net::lookup_host((host.as_str(), port)))
            .await
            .map_err(|_| WhoisError::Resolve {
                server: label.clone(),
                message: "timed out".into(),
            })?
            .map_err(|e| WhoisError::Resolve {
                server: label.clone(),
                message: e.to_string(),
            })?
            .collect();
    let ips: Vec<IpAddr> = addrs.iter().map(|a| a.ip()).collect();
    opts.policy
        .check_all(&ips)
        .map_err(|source| WhoisError::Refused {
            server: label.clone(),
            source,
        })?;
    let io = |message: String| WhoisError::Io {
        server: label.clone(),
        message,
    };
    let addr = *addrs.first().ok_or_else(|| io("no address".into()))?;
    let exchange = async {
        let mut s = TcpStream::connect(addr)
            .await
            .map_err(|e| io(e.to_string()))?;
        s.write_all(format!("{query}\r\n").as_bytes())
            .await
            .map_err(|e| io(e.to_string()))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = s.read(&mut chunk).await.map_err(|e| io(e.to_string()))?;
            if n == 0 || buf.len() >= RESPONSE_LIMIT {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.truncate(RESPONSE_LIMIT);
        Ok::<_, WhoisError>(buf)
    };
    let buf = timeout(opts.timeout, exchange)
        .await
        .map_err(|_| io("timed out".into()))??;
    Ok(WhoisHop {
        server: label,
        response: String::from_utf8_lossy(&buf).into_owned(),
    })
}

/// The answers of one lookup.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// Every hop's answer, first server first.
    pub hops: Vec<WhoisHop>,
    /// Why the referral chain stopped early, if a later server failed.
    pub incomplete: Option<String>,
}

/// Looks `query` up, following referrals. Fails only if the first server fails.
pub async fn lookup(query: &str, opts: &WhoisOptions) -> Result<Lookup, WhoisError> {
    let mut hops: Vec<WhoisHop> = Vec::new();
    let mut incomplete = None;
    let mut server = opts.first_server.clone();
    for _ in 0..opts.max_hops.max(1) {
        let hop = ask(&server, query, opts).await;
        let hop = match hop {
            Ok(h) => h,
            // A failing referral still leaves the answers so far.
            Err(e) if hops.is_empty() => return Err(e),
            Err(e) => {
                incomplete = Some(e.to_string());
                break;
            }
        };
        let next = find_referral(&hop.response);
        hops.push(hop);
        match next {
            Some(n) => {
                let (h, p) = split_server(&n);
                let label = format!("{h}:{p}");
                if hops.iter().any(|x| x.server == label) {
                    break;
                }
                server = n;
            }
            None => break,
        }
    }
    Ok(Lookup { hops, incomplete })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_and_referrals() {
        assert_eq!(
            split_server("whois.iana.org"),
            ("whois.iana.org".into(), 43)
        );
        assert_eq!(split_server("127.0.0.1:4343"), ("127.0.0.1".into(), 4343));
        assert_eq!(split_server("[::1]:4343"), ("::1".into(), 4343));
        assert_eq!(split_server("::1"), ("::1".into(), 43));
        assert_eq!(
            find_referral("% x\nrefer:        whois.nic.example\n").as_deref(),
            Some("whois.nic.example")
        );
        assert_eq!(
            find_referral("   Registrar WHOIS Server: whois://Whois.Registrar.Example/\n")
                .as_deref(),
            Some("whois.registrar.example")
        );
        assert_eq!(
            find_referral("ReferralServer:  rwhois://rwhois.example:4321\n"),
            None
        );
        assert_eq!(find_referral("Domain Name: x\n"), None);
    }

    #[tokio::test]
    async fn refuses_loopback_by_default() {
        let opts = WhoisOptions {
            first_server: "127.0.0.1:9".into(),
            ..WhoisOptions::default()
        };
        let e = lookup("example.test", &opts).await.unwrap_err();
        assert!(matches!(e, WhoisError::Refused { .. }), "{e}");
    }
}
