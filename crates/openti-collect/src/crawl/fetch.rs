//! One HTTP exchange under the network-safety policy: resolve (or use `--resolve` overrides),
//! check every address with [`NetPolicy`], connect, TLS with certificate capture and ALPN
//! (`h2`, `http/1.1`), HTTP/1.1 or HTTP/2 (also clear-text HTTP/2 with prior knowledge), a
//! size-capped body and an overall timeout. Redirects are *not* followed here: the crawler
//! follows them hop by hop so each hop is recorded and checked again.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use url::Url;

use crate::policy::{NetPolicy, PolicyError};

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The policy refused an address.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// Name resolution failed.
    #[error("resolving {host}: {message}")]
    Resolve {
        /// Host.
        host: String,
        /// Reason.
        message: String,
    },
    /// No address accepted the connection.
    #[error("connecting to {host}: {message}")]
    Connect {
        /// Host.
        host: String,
        /// Reason.
        message: String,
    },
    /// The TLS handshake failed.
    #[error("TLS with {host}: {message}")]
    Tls {
        /// Host.
        host: String,
        /// Reason.
        message: String,
    },
    /// The HTTP exchange failed.
    #[error("HTTP: {0}")]
    Http(String),
    /// The overall timeout elapsed.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Not an http(s) URL with a host.
    #[error("unsupported URL {0}")]
    Url(String),
}

/// A response.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Status code.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body, at most the cap.
    pub body: Vec<u8>,
    /// The body was cut at the cap.
    pub truncated: bool,
    /// Peer certificates, leaf first (HTTPS only).
    pub certs: Vec<Vec<u8>>,
    /// The address connected to.
    pub peer: SocketAddr,
    /// Every address the host resolved to (all passed the policy).
    pub resolved: Vec<IpAddr>,
    /// `HTTP/1.1` or `HTTP/2`.
    pub version: &'static str,
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// The safety policy.
    pub policy: NetPolicy,
    /// Host → addresses overrides (`--resolve HOST:IP`); still checked by the policy.
    pub overrides: HashMap<String, Vec<IpAddr>>,
    /// TLS client configuration (captures any certificate; ALPN h2 + http/1.1).
    pub tls: Arc<rustls::ClientConfig>,
    /// Timeout of one exchange (connect + TLS + headers + body).
    pub timeout: Duration,
    /// Body-size cap in bytes.
    pub max_body: usize,
    /// User-Agent header.
    pub user_agent: String,
    /// Use HTTP/2 with prior knowledge on clear-text connections.
    pub h2c: bool,
}

impl Fetcher {
    /// A fetcher with the capture-any TLS configuration of the scanner plus ALPN.
    pub fn new(policy: NetPolicy) -> Result<Fetcher, FetchError> {
        let base = crate::scan::tls::capture_config().map_err(|e| FetchError::Tls {
            host: String::new(),
            message: e.to_string(),
        })?;
        let mut cfg = (*base).clone();
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Fetcher {
            policy,
            overrides: HashMap::new(),
            tls: Arc::new(cfg),
            timeout: Duration::from_secs(20),
            max_body: 5 << 20,
            user_agent: format!("OpenTI/{} (+crawler)", env!("CARGO_PKG_VERSION")),
            h2c: false,
        })
    }

    /// Resolves a host and checks every address against the policy.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, FetchError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ips: Vec<IpAddr> = if let Ok(ip) = bare.parse::<IpAddr>() {
            vec![ip]
        } else if let Some(ips) = self.overrides.get(&bare.to_ascii_lowercase()) {
            ips.clone()
        } else {
            let mut v: Vec<IpAddr> = tokio::net::lookup_host((bare, port))
                .await
                .map_err(|e| FetchError::Resolve {
                    host: host.to_string(),
                    message: e.to_string(),
                })?
                .map(|a| a.ip())
                .collect();
            v.dedup();
            v
        };
        if ips.is_empty() {
            return Err(FetchError::Resolve {
                host: host.to_string(),
                message: "no addresses".into(),
            });
        }
        self.policy.check_all(&ips)?;
        Ok(ips)
    }

    /// Fetches one URL (GET, no redirect following).
    pub async fn get(&self, url: &Url) -> Result<Fetched, FetchError> {
        tokio::time::timeout(self.timeout, self.get_inner(url))
            .await
            .map_err(|_| FetchError::Timeout(self.timeout))?
    }

    /// Resolves, checks and connects; returns the stream, the peer and all resolved addresses.
    pub async fn connect(
        &self,
        host: &str,
        port: u16,
    ) -> Result<(TcpStream, SocketAddr, Vec<IpAddr>), FetchError> {
        let ips = self.resolve(host, port).await?;
        let mut last = String::new();
        for ip in &ips {
            let addr = SocketAddr::new(*ip, port);
            match TcpStream::connect(addr).await {
                Ok(s) => return Ok((s, addr, ips)),
                Err(e) => last = e.to_string(),
            }
        }
        Err(FetchError::Connect {
            host: host.to_string(),
            message: last,
        })
    }

    async fn get_inner(&self, url: &Url) -> Result<Fetched, FetchError> {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(FetchError::Url(url.to_string())),
        };
        let host = url
            .host_str()
            .ok_or_else(|| FetchError::Url(url.to_string()))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| FetchError::Url(url.to_string()))?;
        let (tcp, peer, resolved) = self.connect(host, port).await?;
        let mut out = if https {
            let bare = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let name = ServerName::try_from(bare).map_err(|e| FetchError::Tls {
                host: host.to_string(),
                message: e.to_string(),
            })?;
            let tls = tokio_rustls::TlsConnector::from(Arc::clone(&self.tls))
                .connect(name, tcp)
                .await
                .map_err(|e| FetchError::Tls {
                    host: host.to_string(),
                    message: e.to_string(),
                })?;
            let (_, conn) = tls.get_ref();
            let certs: Vec<Vec<u8>> = conn
                .peer_certificates()
                .map(|c| c.iter().map(|d| d.as_ref().to_vec()).collect())
                .unwrap_or_default();
            let h2 = conn.alpn_protocol() == Some(b"h2");
            let mut f = self.exchange(tls, h2, url).await?;
            f.certs = certs;
            f
        } else {
            self.exchange(tcp, self.h2c, url).await?
        };
        out.peer = peer;
        out.resolved = resolved;
        Ok(out)
    }

    async fn exchange<S>(&self, stream: S, h2: bool, url: &Url) -> Result<Fetched, FetchError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let http = |e: &dyn std::fmt::Display| FetchError::Http(e.to_string());
        let io = TokioIo::new(stream);
        let authority = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
            None => url.host_str().unwrap_or("").to_string(),
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let builder = hyper::Request::get(if h2 { url.as_str() } else { path.as_str() })
            .header("user-agent", &self.user_agent)
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .header("accept-encoding", "identity");
        let resp = if h2 {
            let req = builder.body(Empty::<Bytes>::new()).map_err(|e| http(&e))?;
            let (mut sender, conn) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|e| http(&e))?;
            tokio::spawn(conn);
            sender.send_request(req).await.map_err(|e| http(&e))?
        } else {
            let req = builder
                .header("host", authority)
                .header("connection", "close")
                .body(Empty::<Bytes>::new())
                .map_err(|e| http(&e))?;
            let (mut sender, conn) = http1::handshake(io).await.map_err(|e| http(&e))?;
            tokio::spawn(conn);
            sender.send_request(req).await.map_err(|e| http(&e))?
        };
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = resp.into_body();
        let mut data = Vec::new();
        let mut truncated = false;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| http(&e))?;
            if let Some(chunk) = frame.data_ref() {
                let room = self.max_body.saturating_sub(data.len());
                if chunk.len() > room {
                    data.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                data.extend_from_slice(chunk);
            }
        }
        Ok(Fetched {
            status,
            headers,
            body: data,
            truncated,
            certs: Vec::new(),
            peer: SocketAddr::from(([0, 0, 0, 0], 0)),
            resolved: Vec::new(),
            version: if h2 { "HTTP/2" } else { "HTTP/1.1" },
        })
    }
}
