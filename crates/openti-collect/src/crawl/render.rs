//! `--render`: Debian's headless Chromium driven over the DevTools protocol.
//!
//! Chromium never touches the network itself: it starts with a dead proxy, and every request
//! it wants to make is paused (`Fetch.enable` at the request stage) and fulfilled by the
//! crawler's own [`Fetcher`], so the network-safety policy applies to script-made requests and
//! their redirects exactly as to the crawler's. What rendering adds: the URLs scripts requested
//! (`xmlhttprequest` pairs), cookies set by scripts, the DOM after scripts ran, and the values
//! of Wappalyzer `js` chains.
//!
//! Started with `--no-sandbox --headless --disable-background-networking
//! --disable-component-update --disable-sync --no-first-run --disable-quic` and a new empty
//! `--user-data-dir`.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use openti_analyze::web::{Rendered, SetCookie};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use url::Url;

use super::{Fetcher, Render};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Conn {
    ws: Ws,
    next: u64,
    events: VecDeque<Value>,
}

impl Conn {
    async fn read(&mut self) -> Result<Value, String> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    return serde_json::from_str(t.as_str()).map_err(|e| e.to_string())
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("DevTools connection closed".into()),
            }
        }
    }

    /// Sends a command without waiting for its answer (answers are skipped by `event`).
    async fn send(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<u64, String> {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        Ok(id)
    }

    async fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let id = self.send(session, method, params).await?;
        loop {
            let v = self.read().await?;
            if v["id"].as_u64() == Some(id) {
                if let Some(e) = v.get("error") {
                    return Err(format!("{method}: {e}"));
                }
                return Ok(v["result"].clone());
            }
            if v.get("method").is_some() {
                self.events.push_back(v);
            }
        }
    }

    async fn event(&mut self) -> Result<Value, String> {
        if let Some(e) = self.events.pop_front() {
            return Ok(e);
        }
        loop {
            let v = self.read().await?;
            if v.get("method").is_some() {
                return Ok(v);
            }
        }
    }
}

/// A running headless Chromium.
pub struct Chromium {
    child: tokio::process::Child,
    conn: Mutex<Conn>,
    fetcher: Fetcher,
    js_chains: Vec<String>,
    _profile: tempfile::TempDir,
}

/// Evaluates Wappalyzer `js` chains like its driver (own properties only, scalars as text).
const JS_CHAINS: &str = r#"(chains) => { const out = {};
 for (const chain of chains) { let v = window, ok = true;
  for (const p of chain.replace(/\[([^\]]+)\]/g, '.$1').split('.')) {
   if (v && v instanceof Object && Object.prototype.hasOwnProperty.call(v, p)) { v = v[p]; } else { ok = false; break; } }
  if (ok) { out[chain] = (typeof v === 'string' || typeof v === 'number') ? String(v) : String(!!v); } }
 return out; }"#;

impl Chromium {
    /// Starts `binary` and connects to its DevTools endpoint. `js_chains` are evaluated on
    /// every rendered page.
    pub async fn start(
        binary: &str,
        fetcher: Fetcher,
        js_chains: Vec<String>,
    ) -> Result<Chromium, String> {
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut child = tokio::process::Command::new(binary)
            .args([
                "--no-sandbox",
                "--headless",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                "--disable-gpu",
                "--disable-extensions",
                "--dns-prefetch-disable",
                "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting {binary}: {e}"))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let find = async {
            while let Ok(Some(l)) = lines.next_line().await {
                if let Some(rest) = l.split("DevTools listening on ").nth(1) {
                    return Some(rest.trim().to_string());
                }
            }
            None
        };
        let ws_url = tokio::time::timeout(Duration::from_secs(30), find)
            .await
            .ok()
            .flatten()
            .ok_or_else(|| format!("{binary} did not report its DevTools endpoint"))?;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (ws, _) = tokio_tungstenite::connect_async(ws_url.as_str())
            .await
            .map_err(|e| format!("DevTools: {e}"))?;
        Ok(Chromium {
            child,
            conn: Mutex::new(Conn {
                ws,
                next: 0,
                events: VecDeque::new(),
            }),
            fetcher,
            js_chains,
            _profile: profile,
        })
    }

    async fn fulfil(
        &self,
        c: &mut Conn,
        sid: &str,
        ev: &Value,
        page: &Url,
        requests: &mut Vec<Url>,
    ) -> Result<(), String> {
        let p = &ev["params"];
        let rid = p["requestId"].as_str().unwrap_or("").to_string();
        let method = p["request"]["method"].as_str().unwrap_or("GET");
        let url = p["request"]["url"]
            .as_str()
            .and_then(|u| Url::parse(u).ok());
        let Some(url) = url.filter(|u| matches!(u.scheme(), "http" | "https") && method == "GET")
        else {
            c.call(
                Some(sid),
                "Fetch.failRequest",
                json!({"requestId": rid, "errorReason": "BlockedByClient"}),
            )
            .await?;
            return Ok(());
        };
        if url.as_str() != page.as_str() {
            requests.push(url.clone());
        }
        match self.fetcher.get(&url).await {
            Ok(f) => {
                let headers: Vec<Value> = f
                    .headers
                    .iter()
                    .map(|(n, v)| json!({"name": n, "value": v}))
                    .collect();
                let body = base64::engine::general_purpose::STANDARD.encode(&f.body);
                c.call(
                    Some(sid),
                    "Fetch.fulfillRequest",
                    json!({"requestId": rid, "responseCode": f.status, "responseHeaders": headers, "body": body}),
                )
                .await?;
            }
            Err(_) => {
                c.call(
                    Some(sid),
                    "Fetch.failRequest",
                    json!({"requestId": rid, "errorReason": "AccessDenied"}),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn render_inner(&self, url: &Url) -> Result<Rendered, String> {
        let mut c = self.conn.lock().await;
        let target = c
            .call(None, "Target.createTarget", json!({"url": "about:blank"}))
            .await?;
        let tid = target["targetId"]
            .as_str()
            .ok_or("no targetId")?
            .to_string();
        let att = c
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": tid, "flatten": true}),
            )
            .await?;
        let sid = att["sessionId"].as_str().ok_or("no sessionId")?.to_string();
        let s = Some(sid.as_str());
        c.call(
            s,
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": "*", "requestStage": "Request"}]}),
        )
        .await?;
        c.call(s, "Page.enable", json!({})).await?;
        c.call(s, "Network.enable", json!({})).await?;
        // Not awaited: Chromium answers only once the (paused) navigation request is served.
        c.send(s, "Page.navigate", json!({"url": url.as_str()}))
            .await?;
        let deadline = Instant::now() + self.fetcher.timeout.max(Duration::from_secs(5)) * 2;
        let mut settle: Option<Instant> = None;
        let mut requests = Vec::new();
        loop {
            let now = Instant::now();
            let until = settle.unwrap_or(deadline).min(deadline);
            if now >= until {
                break;
            }
            let ev = match tokio::time::timeout(until - now, c.event()).await {
                Ok(ev) => ev?,
                Err(_) => break,
            };
            if ev["sessionId"].as_str() != Some(sid.as_str()) {
                continue;
            }
            match ev["method"].as_str() {
                Some("Fetch.requestPaused") => {
                    self.fulfil(&mut c, &sid, &ev, url, &mut requests).await?
                }
                Some("Page.loadEventFired") => {
                    settle = Some(Instant::now() + Duration::from_millis(1000))
                }
                _ => {}
            }
        }
        let html = c
            .call(
                s,
                "Runtime.evaluate",
                json!({"expression": "document.documentElement.outerHTML", "returnByValue": true}),
            )
            .await?;
        let js_expr = format!(
            "({JS_CHAINS})({})",
            serde_json::to_string(&self.js_chains).map_err(|e| e.to_string())?
        );
        let js = c
            .call(
                s,
                "Runtime.evaluate",
                json!({"expression": js_expr, "returnByValue": true}),
            )
            .await?;
        let cookies = c
            .call(s, "Network.getCookies", json!({"urls": [url.as_str()]}))
            .await?;
        let _ = c
            .call(None, "Target.closeTarget", json!({"targetId": tid}))
            .await;
        let js: BTreeMap<String, String> = js["result"]["value"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let cookies = cookies["cookies"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|k| SetCookie {
                        name: k["name"].as_str().unwrap_or("").to_string(),
                        value: k["value"].as_str().unwrap_or("").to_string(),
                        domain: k["domain"]
                            .as_str()
                            .unwrap_or("")
                            .trim_start_matches('.')
                            .to_string(),
                    })
                    .filter(|k| !k.name.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Rendered {
            html: html["result"]["value"].as_str().map(str::to_string),
            requests,
            cookies,
            js,
        })
    }
}

impl Render for Chromium {
    fn render<'a>(
        &'a self,
        url: &'a Url,
    ) -> Pin<Box<dyn Future<Output = Option<Rendered>> + Send + 'a>> {
        Box::pin(async move {
            match self.render_inner(url).await {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("render {url}: {e}");
                    None
                }
            }
        })
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
