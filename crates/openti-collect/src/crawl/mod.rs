//! The web crawler: breadth-first from seed URLs, under the network-safety policy.
//!
//! Every request resolves its host and checks every address with the [`NetPolicy`] (redirects
//! are followed hop by hop, so each hop is recorded as a `redirect` host pair and checked
//! again), honours robots.txt (unless disabled), waits per host according to `--rate`, and
//! caps time and body size. Every HTTPS connection yields its certificate chain (leaf with
//! host and port), optionally a JARM hash; every page goes through the shared page analyser
//! of `openti-analyze` (host pairs, cookies, trackers, components). Results are
//! [`Observation`]s for the normal ingest path.

pub mod fetch;
pub mod render;
pub mod robots;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use openti_analyze::web::{cause, css_imports, host_of, Analyzer, Page, Rendered};
use openti_model::observation::{Observation, Seen};
use url::Url;

pub use fetch::{FetchError, Fetched, Fetcher};
pub use robots::Robots;

/// Crawl limits and switches.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    /// Link depth from the seeds (0: only the seeds).
    pub depth: u32,
    /// Most pages fetched (redirect hops, robots.txt and stylesheets not counted).
    pub max_pages: usize,
    /// Requests per second per host.
    pub rate: f64,
    /// Honour robots.txt.
    pub robots: bool,
    /// Probe JARM on every HTTPS endpoint.
    pub jarm: bool,
    /// Most redirect hops per page.
    pub max_redirects: usize,
    /// Follow `<a href>` to other hosts (frames are always followed).
    pub follow_external: bool,
    /// Most stylesheets fetched per page (for `@import`).
    pub max_stylesheets: usize,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            depth: 1,
            max_pages: 50,
            rate: 2.0,
            robots: true,
            jarm: true,
            max_redirects: 10,
            follow_external: false,
            max_stylesheets: 10,
        }
    }
}

/// What happened to one seed or followed URL.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageLog {
    /// The URL requested.
    pub url: String,
    /// The URL finally analysed (after redirects), if any.
    pub final_url: Option<String>,
    /// Final status.
    pub status: Option<u16>,
    /// Redirect hops followed.
    pub hops: usize,
    /// Why it was not analysed (policy refusal, robots, error).
    pub error: Option<String>,
    /// It was skipped on purpose (robots.txt), not failed.
    pub skipped: bool,
}

/// The result of a crawl.
#[derive(Debug, Default)]
pub struct CrawlReport {
    /// Observations for ingest.
    pub observations: Vec<Observation>,
    /// One entry per URL taken from the queue.
    pub pages: Vec<PageLog>,
}

/// Supplies rendered extras for a page (`--render`).
pub trait Render: Send + Sync {
    /// Renders `url`; `None` when rendering failed (the static analysis still runs).
    fn render<'a>(
        &'a self,
        url: &'a Url,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<Rendered>> + Send + 'a>>;
}

struct State<'a> {
    opts: &'a CrawlOptions,
    fetcher: &'a Fetcher,
    robots: HashMap<String, Robots>,
    next_slot: HashMap<String, Instant>,
    certs_seen: HashSet<(String, u16)>,
    dns_seen: HashSet<String>,
    jarm_seen: HashSet<(String, u16)>,
    out: Vec<Observation>,
}

fn seen(t: DateTime<Utc>) -> Seen {
    Seen {
        time: Some(t),
        ..Seen::default()
    }
}

fn origin(u: &Url) -> String {
    u.origin().ascii_serialization()
}

impl State<'_> {
    async fn pace(&mut self, host: &str) {
        let gap = Duration::from_secs_f64(1.0 / self.opts.rate.max(0.001));
        let now = Instant::now();
        let at = self.next_slot.get(host).copied().unwrap_or(now).max(now);
        if at > now {
            tokio::time::sleep(at - now).await;
        }
        self.next_slot.insert(host.to_string(), at + gap);
    }

    async fn get(&mut self, url: &Url) -> Result<Fetched, FetchError> {
        self.pace(&host_of(url)).await;
        let f = self.fetcher.get(url).await?;
        self.record_connection(url, &f).await;
        Ok(f)
    }

    async fn allowed(&mut self, url: &Url) -> bool {
        if !self.opts.robots {
            return true;
        }
        let key = origin(url);
        if !self.robots.contains_key(&key) {
            let mut r = Robots::allow_all();
            if let Ok(robots_url) = url.join("/robots.txt") {
                if let Ok(f) = self.get(&robots_url).await {
                    if f.status == 200 {
                        r = Robots::parse(&String::from_utf8_lossy(&f.body), "OpenTI");
                    }
                }
            }
            self.robots.insert(key.clone(), r);
        }
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        self.robots.get(&key).is_none_or(|r| r.allowed(&path))
    }

    /// Certificates, DNS answers and JARM of a connection (each once per endpoint).
    async fn record_connection(&mut self, url: &Url, f: &Fetched) {
        let now = Utc::now();
        let host = host_of(url);
        let port = f.peer.port();
        if host.parse::<IpAddr>().is_err() && self.dns_seen.insert(host.clone()) {
            for ip in &f.resolved {
                self.out.push(Observation::Dns {
                    name: host.clone(),
                    record_type: if ip.is_ipv4() { "A" } else { "AAAA" }.into(),
                    value: ip.to_string(),
                    sensor: Some("openti-crawl".into()),
                    seen: seen(now),
                });
            }
        }
        if !f.certs.is_empty() && self.certs_seen.insert((host.clone(), port)) {
            for (i, der) in f.certs.iter().enumerate() {
                let c = crate::scan::tls::cert_info(der);
                let (h, p, s) = if i == 0 {
                    (Some(host.clone()), Some(port), seen(now))
                } else {
                    (None, None, Seen::default())
                };
                self.out.push(c.into_observation(h, p, s));
            }
        }
        if self.opts.jarm && url.scheme() == "https" && self.jarm_seen.insert((host.clone(), port))
        {
            let sni = host.clone();
            let hash = crate::jarm::jarm(
                f.peer,
                &sni,
                self.fetcher.timeout.min(Duration::from_secs(10)),
            )
            .await;
            if hash != "0".repeat(62) {
                self.out.push(Observation::Tracker {
                    host: host.clone(),
                    tracker_kind: "JarmHash".into(),
                    value: hash,
                    seen: seen(Utc::now()),
                });
            }
        }
    }

    fn pair(&mut self, parent: &str, child: &str, why: &str) {
        if !parent.is_empty() && !child.is_empty() && parent != child {
            self.out.push(Observation::HostPair {
                parent: parent.into(),
                child: child.into(),
                link_kind: why.into(),
                seen: seen(Utc::now()),
            });
        }
    }
}

/// Crawls from `seeds`; `render` supplies rendered extras per page when given.
pub async fn crawl(
    seeds: &[Url],
    opts: &CrawlOptions,
    fetcher: &Fetcher,
    analyzer: &Analyzer,
    render: Option<&dyn Render>,
) -> CrawlReport {
    let mut st = State {
        opts,
        fetcher,
        robots: HashMap::new(),
        next_slot: HashMap::new(),
        certs_seen: HashSet::new(),
        dns_seen: HashSet::new(),
        jarm_seen: HashSet::new(),
        out: Vec::new(),
    };
    let mut report = CrawlReport::default();
    let mut queue: VecDeque<(Url, u32)> = seeds.iter().map(|u| (u.clone(), 0)).collect();
    let mut visited: HashSet<String> = HashSet::new();
    let mut fetched_pages = 0usize;
    while let Some((mut url, depth)) = queue.pop_front() {
        url.set_fragment(None);
        if !visited.insert(url.to_string()) {
            continue;
        }
        if fetched_pages >= opts.max_pages {
            break;
        }
        fetched_pages += 1;
        let start = url.clone();
        let mut log = PageLog {
            url: start.to_string(),
            final_url: None,
            status: None,
            hops: 0,
            error: None,
            skipped: false,
        };
        let mut current = url;
        let mut final_resp = None;
        for hop in 0..=opts.max_redirects {
            if !st.allowed(&current).await {
                log.error = Some(format!("disallowed by robots.txt: {current}"));
                log.skipped = true;
                break;
            }
            let f = match st.get(&current).await {
                Ok(f) => f,
                Err(e) => {
                    log.error = Some(format!("{current}: {e}"));
                    break;
                }
            };
            let location = f
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("location"))
                .and_then(|(_, v)| current.join(v.trim()).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"));
            match location {
                Some(next) if (300..400).contains(&f.status) => {
                    let host = host_of(&current);
                    for c in f
                        .headers
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
                        .filter_map(|(_, v)| openti_analyze::web::parse_set_cookie(v))
                    {
                        st.out.push(Observation::Cookie {
                            host: host.clone(),
                            name: c.name,
                            domain: c.domain,
                            seen: seen(Utc::now()),
                        });
                    }
                    st.pair(&host, &host_of(&next), cause::REDIRECT);
                    log.hops = hop + 1;
                    visited.insert(next.to_string());
                    current = next;
                    if hop == opts.max_redirects {
                        log.error = Some("too many redirects".into());
                    }
                }
                _ => {
                    final_resp = Some(f);
                    break;
                }
            }
        }
        let Some(f) = final_resp else {
            report.pages.push(log);
            continue;
        };
        if log.hops > 0 {
            st.pair(&host_of(&start), &host_of(&current), cause::FINAL_REDIRECT);
        }
        log.final_url = Some(current.to_string());
        log.status = Some(f.status);
        let cert_issuer = f
            .certs
            .first()
            .and_then(|d| crate::scan::tls::cert_info(d).issuer.organization_name);
        let page = Page {
            url: current.clone(),
            status: f.status,
            headers: f.headers,
            body: f.body,
            cert_issuer,
        };
        let rendered = match render {
            Some(r) if page.is_html() => r.render(&current).await,
            _ => None,
        };
        let facts = analyzer.analyze(&page, rendered.as_ref());
        st.out.extend(facts.observations(Utc::now()));
        let page_host = host_of(&current);
        for sheet in facts
            .extracted
            .stylesheets
            .iter()
            .take(opts.max_stylesheets)
        {
            if !st.allowed(sheet).await {
                continue;
            }
            if let Ok(css) = st.get(sheet).await {
                let text = String::from_utf8_lossy(&css.body).into_owned();
                let parent = host_of(sheet);
                for u in css_imports(sheet, &text) {
                    st.pair(&parent, &host_of(&u), cause::CSS_IMPORT);
                }
            }
        }
        if depth < opts.depth {
            let frames: Vec<&Url> = facts
                .extracted
                .links
                .iter()
                .filter(|(c, _)| *c == cause::PARENT_PAGE)
                .map(|(_, u)| u)
                .collect();
            for u in &facts.extracted.follow {
                let same = host_of(u) == page_host;
                if same || opts.follow_external || frames.contains(&u) {
                    queue.push_back((u.clone(), depth + 1));
                }
            }
        }
        report.pages.push(log);
    }
    report.observations = st.out;
    report
}
