//! Test harness: runs the real `openti` binary against a real database and talks to it over
//! loopback HTTP.
//!
//! The backend is SQLite (the file paths the tests name) unless `OPENTI_TEST_BACKEND=postgres`:
//! then every distinct `--database PATH` (and `OPENTI_DATABASE`) a test passes is mapped to its
//! own freshly created PostgreSQL database on the loopback server, so the same end-to-end
//! suite runs unchanged on both backends. Databases of exited test processes are dropped by
//! the next run ([`openti_store::postgres::scratch::sweep_stale`]).
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Mutex;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Every root collection of the Graph threat-intelligence singleton.
pub const ROOT_COLLECTIONS: [&str; 17] = [
    "articles",
    "articleIndicators",
    "intelProfiles",
    "intelligenceProfileIndicators",
    "hosts",
    "hostComponents",
    "hostCookies",
    "hostTrackers",
    "hostPairs",
    "hostPorts",
    "hostSslCertificates",
    "passiveDnsRecords",
    "subdomains",
    "sslCertificates",
    "vulnerabilities",
    "whoisRecords",
    "whoisHistoryRecords",
];

/// Path of the binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_openti")
}

/// Repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// A fixture file path.
pub fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join(name)
}

/// Output of a finished command.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Whether the suite runs against PostgreSQL (`OPENTI_TEST_BACKEND=postgres`).
pub fn postgres_backend() -> bool {
    std::env::var("OPENTI_TEST_BACKEND").is_ok_and(|v| v.eq_ignore_ascii_case("postgres"))
}

static PG_DATABASES: Mutex<
    Option<HashMap<String, openti_store::postgres::scratch::ScratchDatabase>>,
> = Mutex::new(None);

/// The database spec to pass for a test's SQLite `path`: the path itself, or (PostgreSQL
/// backend) the URL of the scratch database standing for it.
pub fn db_spec(path: &str) -> String {
    if !postgres_backend() || path.starts_with("postgres") {
        return path.to_string();
    }
    let mut guard = PG_DATABASES.lock().unwrap_or_else(|p| p.into_inner());
    let map = guard.get_or_insert_with(|| {
        openti_store::postgres::scratch::sweep_stale();
        HashMap::new()
    });
    map.entry(path.to_string())
        .or_insert_with(|| {
            openti_store::postgres::scratch::ScratchDatabase::create()
                .expect("scratch PostgreSQL database")
        })
        .url()
}

/// `args` with the value of every `--database` replaced by [`db_spec`].
pub fn map_args(args: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(args.len());
    for a in args {
        if out.last().is_some_and(|p| p == "--database") {
            out.push(db_spec(a));
        } else if let Some(v) = a.strip_prefix("--database=") {
            out.push(format!("--database={}", db_spec(v)));
        } else {
            out.push(a.to_string());
        }
    }
    out
}

/// `env` with `OPENTI_DATABASE` mapped by [`db_spec`].
pub fn map_env(env: &[(&str, &str)]) -> Vec<(String, String)> {
    env.iter()
        .map(|(k, v)| {
            let v = if *k == "OPENTI_DATABASE" {
                db_spec(v)
            } else {
                v.to_string()
            };
            (k.to_string(), v)
        })
        .collect()
}

/// Runs `openti ARGS` to completion.
pub fn openti(args: &[&str]) -> Output {
    let out = Command::new(bin())
        .args(map_args(args))
        .env("OPENTI_LOG", "warn")
        .output()
        .expect("run openti");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Ingests files and returns the JSON summary.
pub fn ingest(db: &Path, files: &[&Path]) -> (i32, Value) {
    let mut args = vec!["ingest", "--json", "--database", db.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = openti(&args);
    assert!(
        out.code == 0 || out.code == 2,
        "ingest failed ({}): {}",
        out.code,
        out.stderr
    );
    let summary: Value = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("summary JSON: {e}: {}", out.stdout));
    (out.code, summary)
}

/// Creates a token and returns its secret.
pub fn token(db: &Path, permission: &str) -> String {
    let out = openti(&[
        "token",
        "create",
        "--database",
        db.to_str().unwrap(),
        "--name",
        "test",
        "--permission",
        permission,
    ]);
    assert_eq!(out.code, 0, "token create: {}", out.stderr);
    let t = out.stdout.trim().to_string();
    assert!(
        t.starts_with("oti_") && !t.contains('\n'),
        "token printed alone: {t:?}"
    );
    t
}

/// A running server, killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub token: String,
    pub stdout_lines: Vec<String>,
}

impl Server {
    /// Starts `openti serve` on a free loopback port with the given extra args.
    pub fn start(args: &[&str], token: String) -> Server {
        Server::start_env(args, token, &[])
    }

    /// Like [`Server::start`], without waiting for `/readyz` (a server whose database is not
    /// there yet).
    pub fn start_unready(args: &[&str], token: String) -> Server {
        Server::spawn(args, token, &[])
    }

    /// Like [`Server::start`], with extra environment variables.
    pub fn start_env(args: &[&str], token: String, env: &[(&str, &str)]) -> Server {
        let server = Server::spawn(args, token, env);
        server.wait_ready();
        server
    }

    fn spawn(args: &[&str], token: String, env: &[(&str, &str)]) -> Server {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let mut child = Command::new(bin())
            .args(map_args(&all))
            .envs(map_env(env))
            .env("OPENTI_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn openti serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server did not report its address");
        Server {
            child,
            base,
            token,
            stdout_lines: Vec::new(),
        }
    }

    /// Starts `openti serve --demo` and reads the printed token.
    pub fn demo(extra: &[&str]) -> Server {
        let mut args = vec!["--demo"];
        args.extend_from_slice(extra);
        let mut s = Server::start(&args, String::new());
        let stdout = s.child.stdout.take().unwrap();
        let mut lines = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            lines.push(line.clone());
            if let Some(t) = line.strip_prefix("token: ") {
                s.token = t.trim().to_string();
                break;
            }
            assert!(Instant::now() < deadline, "no token line");
        }
        s.stdout_lines = lines;
        assert!(!s.token.is_empty(), "demo printed no token");
        s
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = ureq::get(&format!("{}/readyz", self.base)).call() {
                if r.status() == 200 {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server not ready");
    }

    /// GET a Graph path (relative to `/v1.0/security/threatIntelligence/`).
    pub fn graph(&self, rel: &str) -> Response {
        self.get(&format!("/v1.0/security/threatIntelligence/{rel}"))
    }

    /// GET an absolute path with the server's token.
    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, Some(&self.token.clone()), None)
    }

    /// Any request.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Response {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        };
        let mut req = ureq::request(method, &url).set("client-request-id", "test-client-id");
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let result = match body {
            Some(b) => req.send_string(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {url}: {e}"),
        };
        let status = resp.status();
        let headers: Vec<(String, String)> = resp
            .headers_names()
            .into_iter()
            .map(|n| {
                let v = resp.header(&n).unwrap_or("").to_string();
                (n, v)
            })
            .collect();
        let text = resp.into_string().unwrap_or_default();
        Response {
            status,
            headers,
            text,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A finished HTTP exchange.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Response {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Asserts 200 and returns the JSON.
    pub fn ok(&self) -> Value {
        assert_eq!(
            self.status, 200,
            "expected 200, got {}: {}",
            self.status, self.text
        );
        self.json()
    }
    /// Asserts a Graph error with this status and returns its code.
    pub fn graph_error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "body: {}", self.text);
        let v = self.json();
        let e = &v["error"];
        assert!(
            e["code"].is_string() && e["message"].is_string(),
            "error envelope: {v}"
        );
        assert!(e["innerError"]["date"].is_string());
        assert_eq!(
            e["innerError"]["request-id"].as_str(),
            self.header("request-id")
        );
        assert_eq!(e["innerError"]["client-request-id"], "test-client-id");
        e["code"].as_str().unwrap().to_string()
    }
}

/// Percent-encodes an id for a path segment (`=` → `%3D`, `/` → `%2F`, `+` → `%2B`).
pub fn esc(id: &str) -> String {
    id.replace('%', "%25")
        .replace('=', "%3D")
        .replace('/', "%2F")
        .replace('+', "%2B")
}

/// Standard base64 of the `$$`-joined parts (the id convention).
pub fn b64(parts: &[&str]) -> String {
    use std::fmt::Write;
    let data = parts.join("$$");
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = data.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.write_char(T[((n >> (18 - 6 * i)) & 63) as usize] as char)
                    .unwrap();
            } else {
                out.push('=');
            }
        }
    }
    out
}
