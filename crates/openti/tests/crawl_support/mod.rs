//! Loopback web sites for the crawl tests: a clear-text and a TLS listener (HTTP/1.1 and
//! HTTP/2, certificates from a test CA made with rcgen), virtual hosts chosen by Host/SNI,
//! redirects, frames, scripts, CSS imports, cookies and tracker snippets.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Running sites.
pub struct Sites {
    pub http: u16,
    pub https: u16,
    pub ca_der: Vec<u8>,
    pub leaf_der: Vec<u8>,
    /// `host path` of every request served.
    pub hits: Arc<Mutex<Vec<String>>>,
    _rt: tokio::runtime::Runtime,
}

fn page(status: u16, headers: &[(&str, String)], body: String) -> Response<Full<Bytes>> {
    let mut b = Response::builder().status(status);
    for (n, v) in headers {
        b = b.header(*n, v);
    }
    b.body(Full::new(Bytes::from(body))).expect("response")
}

fn route(host: &str, path: &str, http: u16, https: u16) -> Response<Full<Bytes>> {
    let html = |s: &str| ("content-type", s.to_string());
    match (host, path) {
        ("start.test", "/") => page(
            301,
            &[
                ("location", format!("https://shop.test:{https}/")),
                ("set-cookie", "visit=1; Path=/".into()),
            ],
            String::new(),
        ),
        ("shop.test", "/robots.txt") => page(200, &[html("text/plain")], "User-agent: *\nDisallow: /private\n".into()),
        ("shop.test", "/") => page(
            200,
            &[
                html("text/html; charset=utf-8"),
                ("server", "nginx/1.24.0".into()),
                ("x-powered-by", "PHP/8.2.13".into()),
                ("set-cookie", "sid=abc123; Path=/; Domain=.shop.test; HttpOnly".into()),
            ],
            format!(
                r#"<!DOCTYPE html><html><head><title>Shop</title>
<meta name="generator" content="WordPress 6.4.2">
<link rel="stylesheet" href="https://cdn.test:{https}/css/site.css">
<style>@import url("https://style.test:{https}/x.css");</style>
<script src="https://cdn.test:{https}/js/jquery-3.6.0.min.js"></script>
<script async src="https://www.googletagmanager.test/gtag/js?id=G-TEST12345"></script>
<script>window.dataLayer=[];function gtag(){{dataLayer.push(arguments);}}gtag('config', 'G-TEST12345');
ga('create', 'UA-7654321-3', 'auto'); fbq('init', '998877665544332');</script>
</head><body><div id="widget-root" data-version="2.1.0"></div>
<img src="http://img.test:{http}/logo.png"><a href="http://blog.test:{http}/">blog</a>
<a href="/private/secret">private</a>
<iframe src="http://frame.test:{http}/"></iframe></body></html>"#
            ),
        ),
        ("cdn.test", "/css/site.css") => page(
            200,
            &[html("text/css")],
            format!("@import url(https://fonts.test:{https}/f.css);\nbody {{ margin: 0 }}\n"),
        ),
        ("cdn.test", p) if p.starts_with("/js/") => page(200, &[html("application/javascript")], "/*js*/".into()),
        ("frame.test", "/") => page(
            200,
            &[
                html("text/html"),
                ("server", "Caddy".into()),
                ("set-cookie", "fr=xyz; Domain=frame.test; Path=/".into()),
            ],
            r#"<html><head><script>(function(h,o,t,j,a,r){h._hjSettings={hjid:3456789,hjsv:6};})(window,document,'https://static.hotjar.com/c/hotjar-','.js?sv=');</script></head><body>framed</body></html>"#.into(),
        ),
        ("app.test", "/") => page(
            200,
            &[html("text/html")],
            format!(
                r#"<html><head><script>window.TestLib = {{ version: "1.2.3" }};
document.cookie = "jsck=1; path=/";
fetch("http://api.test:{http}/data").then(function (r) {{ return r.text(); }});</script></head>
<body>app</body></html>"#
            ),
        ),
        ("api.test", "/data") => page(200, &[html("application/json")], "{}".into()),
        ("inner.test", "/") | ("outer.test", "/inner") => page(200, &[html("text/html")], "<html>inner</html>".into()),
        _ => page(404, &[html("text/plain")], "not found".into()),
    }
}

fn tls_config(leaf: &[u8], ca: &[u8], key: Vec<u8>) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![
                CertificateDer::from(leaf.to_vec()),
                CertificateDer::from(ca.to_vec()),
            ],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .expect("server cert");
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(cfg)
}

/// A test CA and a leaf for the site names; returns (ca DER, leaf DER, leaf PKCS#8 key).
pub fn certificates(names: &[&str]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "OpenTI Test CA");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "OpenTI Test Trust");
    let ca = ca_params.self_signed(&ca_key).expect("ca cert");
    let key = KeyPair::generate().expect("leaf key");
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .expect("leaf params");
    params.distinguished_name.push(DnType::CommonName, names[0]);
    let leaf = params.signed_by(&key, &ca, &ca_key).expect("leaf cert");
    (ca.der().to_vec(), leaf.der().to_vec(), key.serialize_der())
}

async fn serve_conn<S>(io: S, hits: Arc<Mutex<Vec<String>>>, sni: Option<String>, ports: (u16, u16))
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let hits = Arc::clone(&hits);
        let sni = sni.clone();
        async move {
            let host = req
                .uri()
                .host()
                .map(str::to_string)
                .or_else(|| {
                    req.headers()
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .map(|h| h.rsplit_once(':').map(|(a, _)| a).unwrap_or(h).to_string())
                })
                .or(sni)
                .unwrap_or_default();
            let path = req.uri().path().to_string();
            hits.lock().expect("hits").push(format!("{host} {path}"));
            Ok::<_, Infallible>(route(&host, &path, ports.0, ports.1))
        }
    });
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), svc)
        .await;
}

impl Sites {
    /// Starts both listeners on `bind` (a loopback address).
    pub fn start(bind: IpAddr) -> Sites {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let names = ["shop.test", "cdn.test", "style.test", "fonts.test"];
        let (ca_der, leaf_der, key) = certificates(&names);
        let hits = Arc::new(Mutex::new(Vec::new()));
        let (http_l, https_l) = rt.block_on(async {
            (
                tokio::net::TcpListener::bind(SocketAddr::new(bind, 0))
                    .await
                    .expect("bind http"),
                tokio::net::TcpListener::bind(SocketAddr::new(bind, 0))
                    .await
                    .expect("bind https"),
            )
        });
        let http = http_l.local_addr().expect("addr").port();
        let https = https_l.local_addr().expect("addr").port();
        let h = Arc::clone(&hits);
        rt.spawn(async move {
            while let Ok((s, _)) = http_l.accept().await {
                tokio::spawn(serve_conn(s, Arc::clone(&h), None, (http, https)));
            }
        });
        let acceptor = tokio_rustls::TlsAcceptor::from(tls_config(&leaf_der, &ca_der, key));
        let h = Arc::clone(&hits);
        rt.spawn(async move {
            while let Ok((s, _)) = https_l.accept().await {
                let acceptor = acceptor.clone();
                let h = Arc::clone(&h);
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(s).await {
                        let sni = tls.get_ref().1.server_name().map(str::to_string);
                        serve_conn(tls, h, sni, (http, https)).await;
                    }
                });
            }
        });
        Sites {
            http,
            https,
            ca_der,
            leaf_der,
            hits,
            _rt: rt,
        }
    }

    /// Requests served so far.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().expect("hits").clone()
    }
}
