//! One port: connect (open / closed / filtered), then grab a banner — a passive read first,
//! then protocol probes (HTTP, TLS, Redis, PostgreSQL) on fresh connections, ordered by the
//! port's usual service.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

use super::detect::{self, Detection};
use super::tls::{cert_info, CertInfo};

/// Most bytes read from one response.
const READ_LIMIT: usize = 16 * 1024;
/// Most characters of a banner kept.
pub const BANNER_MAX: usize = 2048;

/// Ports where TLS is tried before anything else.
const TLS_PORTS: &[u16] = &[
    443, 465, 563, 636, 853, 990, 993, 995, 4443, 5986, 6443, 8443, 9443,
];

/// State of a TCP port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The handshake completed.
    Open,
    /// Actively refused (RST).
    Closed,
    /// No answer within the timeout, or unreachable.
    Filtered,
}

/// Settings for probing.
#[derive(Clone)]
pub struct ProbeConfig {
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// How long to wait for a banner or a probe's reply.
    pub read_timeout: Duration,
    /// TLS client configuration that captures any certificate.
    pub tls: Arc<rustls::ClientConfig>,
    /// Host name for SNI and HTTP `Host` (the target as given, when it was a name).
    pub server_name: Option<String>,
}

/// What one open port told us.
#[derive(Debug, Clone, Default)]
pub struct PortReport {
    /// Banner or response head (printable).
    pub banner: Option<String>,
    /// Protocol and products.
    pub detection: Detection,
    /// Certificate, when the port speaks TLS.
    pub cert: Option<CertInfo>,
}

/// Connects once: the stream when open, else the status.
pub async fn connect(addr: SocketAddr, cfg: &ProbeConfig) -> Result<TcpStream, Status> {
    match timeout(cfg.connect_timeout, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(Status::Closed),
        _ => Err(Status::Filtered),
    }
}

/// Reads until `until` appears, the limit, EOF, or `wait` passes without data.
async fn read_some<S: AsyncRead + Unpin>(s: &mut S, wait: Duration, until: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() >= READ_LIMIT
                    || (!until.is_empty() && buf.windows(until.len()).any(|w| w == until))
                {
                    break;
                }
            }
            _ => break,
        }
    }
    buf.truncate(READ_LIMIT);
    buf
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    send: &[u8],
    wait: Duration,
    until: &[u8],
) -> Vec<u8> {
    if s.write_all(send).await.is_err() || s.flush().await.is_err() {
        return Vec::new();
    }
    read_some(s, wait, until).await
}

fn http_request(cfg: &ProbeConfig, addr: SocketAddr) -> Vec<u8> {
    let host = cfg
        .server_name
        .clone()
        .unwrap_or_else(|| addr.ip().to_string());
    format!("GET / HTTP/1.0\r\nHost: {host}\r\nUser-Agent: openti-scan\r\nAccept: */*\r\n\r\n")
        .into_bytes()
}

fn head(bytes: &[u8]) -> String {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    detect::printable(&bytes[..end], BANNER_MAX)
}

async fn probe_http(addr: SocketAddr, cfg: &ProbeConfig) -> Option<PortReport> {
    let mut s = connect(addr, cfg).await.ok()?;
    let reply = exchange(
        &mut s,
        &http_request(cfg, addr),
        cfg.read_timeout,
        b"\r\n\r\n",
    )
    .await;
    let text = head(&reply);
    let detection = detect::http(&text, false)?;
    Some(PortReport {
        banner: Some(text),
        detection,
        cert: None,
    })
}

/// TLS handshake on `s`, certificate capture, then an HTTP request inside the session.
async fn probe_tls(s: TcpStream, addr: SocketAddr, cfg: &ProbeConfig) -> Option<PortReport> {
    let name = cfg
        .server_name
        .clone()
        .and_then(|n| ServerName::try_from(n).ok())
        .unwrap_or_else(|| ServerName::IpAddress(addr.ip().into()));
    let connector = tokio_rustls::TlsConnector::from(Arc::clone(&cfg.tls));
    let mut tls = timeout(cfg.read_timeout * 2, connector.connect(name, s))
        .await
        .ok()?
        .ok()?;
    let cert = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|der| cert_info(der.as_ref()));
    let reply = exchange(
        &mut tls,
        &http_request(cfg, addr),
        cfg.read_timeout,
        b"\r\n\r\n",
    )
    .await;
    let text = head(&reply);
    let (banner, detection) = match detect::http(&text, true) {
        Some(d) => (Some(text), d),
        None => (
            None,
            Detection {
                protocol: Some("tls".into()),
                services: Vec::new(),
            },
        ),
    };
    Some(PortReport {
        banner,
        detection,
        cert,
    })
}

async fn probe_redis(addr: SocketAddr, cfg: &ProbeConfig) -> Option<PortReport> {
    let mut s = connect(addr, cfg).await.ok()?;
    let pong = exchange(&mut s, b"*1\r\n$4\r\nPING\r\n", cfg.read_timeout, b"\r\n").await;
    let pong = String::from_utf8_lossy(&pong).into_owned();
    detect::redis(&pong)?;
    let mut text = pong.trim_end().to_string();
    if pong.starts_with("+PONG") {
        let info = exchange(
            &mut s,
            b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n",
            cfg.read_timeout,
            b"\r\n\r\n",
        )
        .await;
        let info = String::from_utf8_lossy(&info);
        for line in info
            .lines()
            .filter(|l| l.starts_with("redis_") || l.starts_with("os:"))
        {
            text.push('\n');
            text.push_str(line.trim_end());
        }
    }
    let _ = s.write_all(b"*1\r\n$4\r\nQUIT\r\n").await;
    let detection = detect::redis(&text)?;
    Some(PortReport {
        banner: Some(detect::printable(text.as_bytes(), BANNER_MAX)),
        detection,
        cert: None,
    })
}

async fn probe_postgresql(addr: SocketAddr, cfg: &ProbeConfig) -> Option<PortReport> {
    let mut s = connect(addr, cfg).await.ok()?;
    let reply = exchange(&mut s, &[0, 0, 0, 8, 4, 210, 22, 47], cfg.read_timeout, b"").await;
    let detection =
        detect::postgresql(&reply[..reply.len().min(1)]).or_else(|| detect::postgresql(&reply))?;
    Some(PortReport {
        banner: None,
        detection,
        cert: None,
    })
}

/// Grabs what an open port offers. `first` is the connection that found the port open.
pub async fn grab(first: TcpStream, addr: SocketAddr, cfg: &ProbeConfig) -> PortReport {
    let port = addr.port();
    let mut first = Some(first);
    if TLS_PORTS.contains(&port) {
        if let Some(s) = first.take() {
            if let Some(r) = probe_tls(s, addr, cfg).await {
                return r;
            }
        }
    }
    let mut s = match first.take() {
        Some(s) => Some(s),
        None => connect(addr, cfg).await.ok(),
    };
    if let Some(stream) = s.as_mut() {
        let greeting = read_some(stream, cfg.read_timeout, b"\n").await;
        // Multi-line greetings (SMTP 220-, FTP 220-) arrive in pieces: read a little more.
        let mut greeting = greeting;
        if !greeting.is_empty() && !greeting.ends_with(b"\n") || greeting.starts_with(b"220-") {
            greeting.extend(read_some(stream, cfg.read_timeout / 4, b"").await);
        }
        if !greeting.is_empty() {
            let detection = detect::passive(&greeting, port).unwrap_or_default();
            if detection.protocol.as_deref() == Some("smtp") {
                let _ = stream.write_all(b"QUIT\r\n").await;
            }
            return PortReport {
                banner: Some(detect::printable(&greeting, BANNER_MAX)),
                detection,
                cert: None,
            };
        }
    }
    drop(s);
    let order: &[&str] = match port {
        6379 | 6380 => &["redis", "http", "tls", "postgresql"],
        5432 | 5433 => &["postgresql", "http", "tls", "redis"],
        _ => &["http", "tls", "redis", "postgresql"],
    };
    for probe in order {
        let r = match *probe {
            "http" => probe_http(addr, cfg).await,
            "tls" => match connect(addr, cfg).await {
                Ok(s) => probe_tls(s, addr, cfg).await,
                Err(_) => None,
            },
            "redis" => probe_redis(addr, cfg).await,
            _ => probe_postgresql(addr, cfg).await,
        };
        if let Some(r) = r {
            return r;
        }
    }
    PortReport::default()
}
