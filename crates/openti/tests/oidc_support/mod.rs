//! Test identity provider: signing keys the test generates itself (RSA-2048 for RS256, P-256
//! for ES256), JWTs signed with them, and a JWKS served on loopback by a tiny HTTP server
//! whose key set the test can change while it runs.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

pub const ISSUER: &str = "https://login.test.example/tenant-1/v2.0";
pub const AUDIENCE: &str = "api://openti-test";

/// A signing key with its public JWK.
pub struct Key {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    pub jwk: Value,
}

impl Key {
    /// A fresh RSA-2048 key (RS256).
    pub fn rsa(kid: &str) -> Key {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        let mut rng = rand::thread_rng();
        let private = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("rsa key");
        let der = private.to_pkcs1_der().expect("pkcs1 der");
        let jwk = json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        });
        Key {
            kid: kid.into(),
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            jwk,
        }
    }

    /// A fresh P-256 key (ES256).
    pub fn ec(kid: &str) -> Key {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::random(&mut rand::thread_rng());
        let point = secret.public_key().to_encoded_point(false);
        let der = secret.to_pkcs8_der().expect("pkcs8 der");
        let jwk = json!({
            "kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(point.x().expect("x")),
            "y": URL_SAFE_NO_PAD.encode(point.y().expect("y")),
        });
        Key {
            kid: kid.into(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            jwk,
        }
    }

    /// Signs `claims` with this key, naming `kid` in the header (normally the key's own).
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(kid.to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
    }

    /// Signs `claims` under this key's own `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(&self.kid, claims)
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Standard claims valid for an hour, plus `extra`.
pub fn claims(extra: Value) -> Value {
    let mut c = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "subject-1", "oid": "object-1",
        "iat": now() - 10, "nbf": now() - 10, "exp": now() + 3600,
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut c, extra) {
        m.extend(e);
    }
    c
}

/// A JWKS endpoint on loopback.
pub struct Jwks {
    pub url: String,
    body: Arc<Mutex<String>>,
    pub fetches: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    addr: String,
}

impl Jwks {
    /// Serves `keys` at `http://127.0.0.1:PORT/keys`.
    pub fn serve(keys: &[&Key]) -> Jwks {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind jwks");
        let addr = listener.local_addr().expect("addr").to_string();
        let body = Arc::new(Mutex::new(String::new()));
        let fetches = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (b, f, s) = (body.clone(), fetches.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().expect("clone"));
                let mut line = String::new();
                // Read the request head.
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if line == "\r\n" || line == "\n" {
                        break;
                    }
                    line.clear();
                }
                f.fetch_add(1, Ordering::SeqCst);
                let text = b.lock().unwrap().clone();
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        let j = Jwks {
            url: format!("http://{addr}/keys"),
            body,
            fetches,
            stop,
            addr,
        };
        j.set(keys);
        j
    }

    /// Replaces the published key set.
    pub fn set(&self, keys: &[&Key]) {
        let set = json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() });
        *self.body.lock().unwrap() = set.to_string();
    }

    /// How many times the key set was fetched.
    pub fn fetch_count(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// `serve` flags enabling OIDC against this endpoint.
    pub fn flags(&self) -> Vec<String> {
        vec![
            "--oidc-issuer".into(),
            ISSUER.into(),
            "--oidc-audience".into(),
            format!("{AUDIENCE},other-audience"),
            "--oidc-jwks-url".into(),
            self.url.clone(),
            "--oidc-jwks-min-refresh-secs".into(),
            "0".into(),
        ]
    }
}

impl Drop for Jwks {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
    }
}

/// A request with a raw `Authorization` header (or none); returns status, headers, body.
pub fn raw(
    base: &str,
    method: &str,
    path: &str,
    authorization: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let mut req =
        ureq::request(method, &format!("{base}{path}")).set("client-request-id", "test-client-id");
    if let Some(a) = authorization {
        req = req.set("Authorization", a);
    }
    let result = if method == "POST" {
        req.send_string("")
    } else {
        req.call()
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .map(|n| {
            let v = resp.header(&n).unwrap_or("").to_string();
            (n, v)
        })
        .collect();
    (status, headers, resp.into_string().unwrap_or_default())
}
