//! An RDAP client (RFC 9224 bootstrap, RFC 9082 queries) for domains and IP addresses.
//!
//! The bootstrap files (`dns.json`, `ipv4.json`, `ipv6.json`) are read from a configurable
//! base URL (IANA's by default; tests serve them on loopback). Every host contacted —
//! bootstrap, RDAP server and each redirect — is resolved through a resolver that applies the
//! [`NetPolicy`]. Blocking: call from `spawn_blocking` inside async code.

use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use serde_json::Value;
use thiserror::Error;

use crate::policy::{Cidr, NetPolicy};

/// Default bootstrap base URL.
pub const IANA_BOOTSTRAP: &str = "https://data.iana.org/rdap/";
/// Most bytes read from one response.
pub const BODY_LIMIT: u64 = 8 << 20;

/// RDAP client errors.
#[derive(Debug, Error)]
pub enum RdapError {
    /// HTTP, resolution or policy failure.
    #[error("RDAP request {url}: {message}")]
    Http {
        /// URL.
        url: String,
        /// Why (a policy refusal names the address and `--allow-net`).
        message: String,
    },
    /// The bootstrap has no service for the query.
    #[error("no RDAP service for {0} in the bootstrap registry")]
    NoService(String),
    /// A response was not the expected JSON.
    #[error("RDAP response from {url} is not valid JSON: {message}")]
    Json {
        /// URL.
        url: String,
        /// Why.
        message: String,
    },
}

/// Options of the client.
#[derive(Debug, Clone)]
pub struct RdapOptions {
    /// Base URL of the bootstrap files (ends with `/`).
    pub bootstrap: String,
    /// Request timeout.
    pub timeout: Duration,
    /// Which addresses may be contacted.
    pub policy: NetPolicy,
}

impl Default for RdapOptions {
    fn default() -> Self {
        RdapOptions {
            bootstrap: IANA_BOOTSTRAP.into(),
            timeout: Duration::from_secs(20),
            policy: NetPolicy::new(),
        }
    }
}

/// One RDAP answer: the URL asked and the body.
#[derive(Debug, Clone)]
pub struct RdapAnswer {
    /// URL of the object.
    pub url: String,
    /// Body text.
    pub body: String,
    /// Parsed JSON.
    pub json: Value,
}

struct PolicyResolver(NetPolicy);

impl ureq::Resolver for PolicyResolver {
    fn resolve(&self, netloc: &str) -> std::io::Result<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
        let ips: Vec<IpAddr> = addrs.iter().map(|a| a.ip()).collect();
        self.0.check_all(&ips).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::PermissionDenied, e.to_string())
        })?;
        Ok(addrs)
    }
}

fn agent(opts: &RdapOptions) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(opts.timeout)
        .redirects(5)
        .resolver(PolicyResolver(opts.policy.clone()))
        .user_agent("openti-rdap")
        .build()
}

fn get_json(agent: &ureq::Agent, url: &str) -> Result<(String, Value), RdapError> {
    let http = |message: String| RdapError::Http {
        url: url.to_string(),
        message,
    };
    let resp = match agent
        .get(url)
        .set("Accept", "application/rdap+json, application/json")
        .call()
    {
        Ok(r) => r,
        Err(ureq::Error::Status(code, _)) => return Err(http(format!("HTTP status {code}"))),
        Err(e) => return Err(http(e.to_string())),
    };
    let mut body = String::new();
    resp.into_reader()
        .take(BODY_LIMIT)
        .read_to_string(&mut body)
        .map_err(|e| http(e.to_string()))?;
    let json = serde_json::from_str(&body).map_err(|e| RdapError::Json {
        url: url.to_string(),
        message: e.to_string(),
    })?;
    Ok((body, json))
}

/// The service base URLs of a bootstrap file whose keys match `pick`.
fn services(bootstrap: &Value, mut pick: impl FnMut(&str) -> Option<usize>) -> Option<&str> {
    let mut best: Option<(usize, &str)> = None;
    for svc in bootstrap.get("services")?.as_array()? {
        let keys = svc.get(0)?.as_array()?;
        let urls = svc.get(1)?.as_array()?;
        let url = urls
            .iter()
            .filter_map(Value::as_str)
            .find(|u| u.starts_with("https://"))
            .or_else(|| urls.iter().find_map(Value::as_str))?;
        for k in keys.iter().filter_map(Value::as_str) {
            if let Some(score) = pick(k) {
                if best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, url));
                }
            }
        }
    }
    best.map(|(_, u)| u)
}

fn join(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path)
}

/// Looks up a domain or an IP address.
pub fn lookup(query: &str, opts: &RdapOptions) -> Result<RdapAnswer, RdapError> {
    let agent = agent(opts);
    let q = query.trim().trim_end_matches('.').to_ascii_lowercase();
    let (file, path) = match q.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => ("ipv4.json", format!("ip/{q}")),
        Ok(IpAddr::V6(_)) => ("ipv6.json", format!("ip/{q}")),
        Err(_) => ("dns.json", format!("domain/{q}")),
    };
    let (_, bootstrap) = get_json(&agent, &join(&opts.bootstrap, file))?;
    let base = match q.parse::<IpAddr>() {
        Ok(ip) => services(&bootstrap, |k| {
            let c: Cidr = k.parse().ok()?;
            let prefix: usize = k.split('/').nth(1)?.parse().ok()?;
            c.contains(ip).then_some(prefix)
        }),
        Err(_) => services(&bootstrap, |k| {
            let k = k.to_ascii_lowercase();
            (q == k || q.ends_with(&format!(".{k}"))).then(|| k.split('.').count())
        }),
    }
    .ok_or_else(|| RdapError::NoService(q.clone()))?;
    let url = join(base, &path);
    let (body, json) = get_json(&agent, &url)?;
    Ok(RdapAnswer { url, body, json })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_matching() {
        let b: Value = serde_json::json!({"services": [
            [["com", "net"], ["https://rdap.example/com/"]],
            [["co.example"], ["http://a.example/", "https://b.example/"]],
            [["192.0.2.0/24"], ["https://rdap.example/ip/"]]
        ]});
        let pick = |q: &str| {
            let q = q.to_string();
            move |k: &str| (q == k || q.ends_with(&format!(".{k}"))).then(|| k.split('.').count())
        };
        assert_eq!(
            services(&b, pick("www.example.com")),
            Some("https://rdap.example/com/")
        );
        assert_eq!(
            services(&b, pick("x.co.example")),
            Some("https://b.example/")
        );
        assert_eq!(services(&b, pick("example.org")), None);
        assert_eq!(join("http://h/rdap/", "domain/x"), "http://h/rdap/domain/x");
    }

    #[test]
    fn policy_applies_to_bootstrap() {
        let opts = RdapOptions {
            bootstrap: "http://127.0.0.1:9/".into(),
            timeout: Duration::from_secs(2),
            policy: NetPolicy::new(),
        };
        let e = lookup("example.com", &opts).unwrap_err().to_string();
        assert!(e.contains("loopback"), "{e}");
    }
}
