//! JARM of local TLS servers equals the reference Python implementation (PyPI `pyjarm`
//! 0.0.5, installed by `scripts/test`) against the same server: a rustls server and, when the
//! `openssl` binary exists, `openssl s_server`. Loopback only. Skipped (with a message) when
//! pyjarm is not importable.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use openti_collect::jarm::jarm;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

fn pyjarm(port: u16) -> Option<String> {
    let code = format!(
        "from jarm.scanner.scanner import Scanner\nprint(Scanner.scan('127.0.0.1', {port}, timeout=5, suppress=True)[0])"
    );
    let out = Command::new("python3").arg("-c").arg(code).output().ok()?;
    if !out.status.success() {
        eprintln!("pyjarm failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn have_pyjarm() -> bool {
    Command::new("python3")
        .args(["-c", "import jarm.scanner.scanner"])
        .status()
        .is_ok_and(|s| s.success())
}

fn cert() -> (Vec<u8>, Vec<u8>, String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let c = params.self_signed(&key).unwrap();
    (
        c.der().to_vec(),
        key.serialize_der(),
        c.pem(),
        key.serialize_pem(),
    )
}

async fn ours(port: u16) -> String {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    jarm(addr, "127.0.0.1", Duration::from_secs(5)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jarm_equals_pyjarm_on_rustls_and_openssl() {
    if !have_pyjarm() {
        eprintln!("skipped: pyjarm is not installed (pip install pyjarm==0.0.5)");
        return;
    }
    let (der, key, cert_pem, key_pem) = cert();
    // rustls server (TLS 1.2 + 1.3, h2/http1.1 ALPN)
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(der)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let a = acceptor.clone();
            tokio::spawn(async move {
                let _ = a.accept(s).await;
            });
        }
    });
    let mine = ours(port).await;
    let theirs = tokio::task::spawn_blocking(move || pyjarm(port))
        .await
        .unwrap()
        .expect("pyjarm ran");
    eprintln!("rustls server: openti {mine} pyjarm {theirs}");
    assert_eq!(mine.len(), 62);
    assert_ne!(mine, "0".repeat(62), "the server answered");
    assert_eq!(mine, theirs, "JARM of the rustls server");

    // openssl s_server, if available
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.pem"), cert_pem).unwrap();
    std::fs::write(dir.path().join("k.pem"), key_pem).unwrap();
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let oport = probe.local_addr().unwrap().port();
    drop(probe);
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{oport}"))
        .arg("-cert")
        .arg(dir.path().join("c.pem"))
        .arg("-key")
        .arg(dir.path().join("k.pem"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("openssl not available: rustls comparison only");
        return;
    };
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", oport)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mine = ours(oport).await;
    let theirs = tokio::task::spawn_blocking(move || pyjarm(oport))
        .await
        .unwrap()
        .expect("pyjarm ran");
    let _ = child.kill();
    let _ = child.wait();
    eprintln!("openssl s_server: openti {mine} pyjarm {theirs}");
    assert_ne!(mine, "0".repeat(62));
    assert_eq!(mine, theirs, "JARM of openssl s_server");
}
