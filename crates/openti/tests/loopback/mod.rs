//! Services the host-intelligence tests start on 127.0.0.1: HTTP, TLS (certificate made with
//! rcgen), an SSH-style banner, SMTP, WHOIS, a static HTTP file server, and Redis (Debian's
//! `redis-server` on a free port, else the one already on 6379). Every listener runs in its own
//! thread with read timeouts; connections are handled one thread each and end by themselves.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds 127.0.0.1:0 and serves each connection with `handle` in its own thread.
pub fn serve(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = l.local_addr().unwrap().port();
    let handle = Arc::new(handle);
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let _ = s.set_read_timeout(Some(IO_TIMEOUT));
            let _ = s.set_write_timeout(Some(IO_TIMEOUT));
            let h = Arc::clone(&handle);
            std::thread::spawn(move || h(s));
        }
    });
    port
}

fn read_head(s: &mut impl Read) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut b = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
        match s.read(&mut b) {
            Ok(n) if n > 0 => buf.extend_from_slice(&b[..n]),
            _ => break,
        }
    }
    buf
}

/// An HTTP server answering every request with `Server: nginx/1.22.1`.
pub fn http() -> u16 {
    serve(|mut s| {
        let req = read_head(&mut s);
        if req.starts_with(b"GET") || req.starts_with(b"HEAD") || req.starts_with(b"OPTIONS") {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 40\r\nConnection: close\r\n\r\n<html><title>loopback</title>ok</html>\n\n");
        } else if !req.is_empty() {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    })
}

/// An SSH-style banner (no key exchange).
pub fn ssh() -> u16 {
    serve(|mut s| {
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
        let mut b = [0u8; 256];
        let _ = s.read(&mut b);
    })
}

/// A minimal SMTP dialogue.
pub fn smtp() -> u16 {
    serve(|s| {
        let mut w = s.try_clone().expect("clone");
        let _ = w.write_all(b"220 mail.example.test ESMTP Postfix (Debian/GNU)\r\n");
        for line in BufReader::new(s).lines().map_while(Result::ok).take(20) {
            let cmd = line.to_ascii_uppercase();
            let reply: &[u8] = if cmd.starts_with("EHLO") {
                b"250-mail.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
            } else if cmd.starts_with("HELO") {
                b"250 mail.example.test\r\n"
            } else if cmd.starts_with("QUIT") {
                let _ = w.write_all(b"221 2.0.0 Bye\r\n");
                return;
            } else {
                b"502 5.5.2 Error: command not recognized\r\n"
            };
            if w.write_all(reply).is_err() {
                return;
            }
        }
    })
}

/// A TLS server with a fresh self-signed certificate; returns (port, certificate DER).
pub fn tls() -> (u16, Vec<u8>) {
    let ck = rcgen::generate_simple_self_signed(vec![
        "tls.example.test".to_string(),
        "alt.example.test".to_string(),
    ])
    .expect("rcgen");
    let der = ck.cert.der().to_vec();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![der.clone().into()], key)
        .expect("server config");
    let config = Arc::new(config);
    let port = serve(move |s| {
        let Ok(conn) = rustls::ServerConnection::new(Arc::clone(&config)) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(conn, s);
        let req = read_head(&mut tls);
        if !req.is_empty() {
            let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (port, der)
}

/// A WHOIS server answering every query with `answer(query)`; counts queries.
pub fn whois(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> (u16, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = Arc::clone(&hits);
    let port = serve(move |s| {
        let mut w = s.try_clone().expect("clone");
        let mut line = String::new();
        if BufReader::new(s).read_line(&mut line).is_ok() {
            h.fetch_add(1, Ordering::SeqCst);
            let _ = w.write_all(answer(line.trim()).as_bytes());
        }
    });
    (port, hits)
}

/// A static HTTP server: `routes(path)` gives the body, `None` is a 404.
pub fn files(routes: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> u16 {
    serve(move |mut s| {
        let req = String::from_utf8_lossy(&read_head(&mut s)).into_owned();
        let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
        let resp = match routes(&path) {
            Some(body) => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/rdap+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
            None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
        };
        let _ = s.write_all(resp.as_bytes());
    })
}

/// A Redis server for the test; killed on drop when we started it.
pub struct Redis {
    pub port: u16,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn redis_pong(port: u16) -> Option<String> {
    let mut s =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n").ok()?;
    let mut buf = vec![0u8; 8192];
    let n = s.read(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map(|v| v.trim().to_string())
}

/// Starts Debian's `redis-server` on a free loopback port (else uses 127.0.0.1:6379).
/// Returns the server and its version; `None` when no Redis is available.
pub fn redis() -> Option<(Redis, String)> {
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok()
    {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").ok()?;
            l.local_addr().ok()?.port()
        };
        let dir = tempfile::tempdir().ok()?;
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let r = Redis {
            port,
            child: Some(child),
            _dir: Some(dir),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(v) = redis_pong(port) {
                return Some((r, v));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    redis_pong(6379).map(|v| {
        (
            Redis {
                port: 6379,
                child: None,
                _dir: None,
            },
            v,
        )
    })
}

/// Fails under CI (where every tool must be installed), else tells why a part is skipped.
pub fn require(what: &str, available: bool) -> bool {
    if !available {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{what} is required under CI (scripts/test installs it)"
        );
        eprintln!("skipping the {what} part: not installed");
    }
    available
}
