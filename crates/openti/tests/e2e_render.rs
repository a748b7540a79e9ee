//! `openti crawl --render` with Debian's headless Chromium (skipped when it is not installed):
//! a script's `fetch` becomes an `xmlhttprequest` host pair, a cookie set by `document.cookie`
//! is stored, and a Wappalyzer `js` rule matches a global. Chromium's requests are served by the
//! crawler itself, on loopback only.

mod common;
mod crawl_support;

use common::{b64, esc, openti, repo, token, Server};
use crawl_support::Sites;

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser"].iter().find_map(|b| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    })
}

#[test]
fn render_sees_script_requests_cookies_and_js() {
    let Some(bin) = chromium() else {
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let sites = Sites::start("127.0.0.1".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let db_s = db.to_str().unwrap();
    let fp = repo().join("crates/openti/tests/fixtures/fingerprints");
    let url = format!("http://app.test:{}/", sites.http);
    let out = openti(&[
        "crawl",
        "--database",
        db_s,
        "--allow-net",
        "127.0.0.0/8",
        "--resolve",
        "app.test:127.0.0.1",
        "--resolve",
        "api.test:127.0.0.1",
        "--render",
        "--chromium",
        &bin,
        "--rate",
        "50",
        "--fingerprints",
        fp.to_str().unwrap(),
        &url,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        sites.hits().contains(&"api.test /data".to_string()),
        "{:?}",
        sites.hits()
    );
    let s = Server::start(
        &["--database", db_s],
        token(&db, "ThreatIntelligence.Read.All"),
    );
    let pair = s.graph(&format!(
        "hostPairs/{}",
        esc(&b64(&["xmlhttprequest", "app.test", "api.test"]))
    ));
    assert_eq!(pair.status, 200, "{}", pair.text);
    let cookie = s.graph(&format!(
        "hostCookies/{}",
        esc(&b64(&["app.test", "jsck", "app.test"]))
    ));
    assert_eq!(cookie.status, 200, "{}", cookie.text);
    let lib = s.graph(&format!(
        "hostComponents/{}",
        esc(&b64(&[
            "Test Lib",
            "1.2.3",
            "JavaScript libraries",
            "app.test"
        ]))
    ));
    assert_eq!(lib.status, 200, "{}", lib.text);
}
