//! Prometheus metrics: request counts and latency histograms by method, route template and
//! status, served as text at `/metrics`.
//!
//! Route labels are templates (`/v1.0/security/threatIntelligence/hosts/{host-id}/passiveDns`),
//! never concrete ids, so the label set stays bounded: unknown paths share the label
//! `unmatched`, unknown methods the label `OTHER`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{graph, path, routes};

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Routes outside the Graph tree that get their own label (`{name}` matches one segment).
const OPENTI_ROUTES: [&str; 9] = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/v1.0/$metadata",
    "/openti/v1/observations",
    "/openti/v1/articles",
    "/openti/v1/ping",
    "/openti/v1/hosts/{host}/passiveDns/cof",
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// The metric registry.
#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(&'static str, String, u16), Series>>,
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, method: &'static str, route: String, status: u16, secs: f64) {
        let mut map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.entry((method, route, status)).or_default();
        s.count += 1;
        s.sum += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str("# HELP openti_http_requests_total HTTP requests by method, route template and status.\n");
        out.push_str("# TYPE openti_http_requests_total counter\n");
        for ((m, r, st), s) in map.iter() {
            let _ = writeln!(
                out,
                "openti_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{st}\"}} {}",
                escape(r),
                s.count
            );
        }
        out.push_str("# HELP openti_http_request_duration_seconds HTTP request latency by method, route template and status.\n");
        out.push_str("# TYPE openti_http_request_duration_seconds histogram\n");
        for ((m, r, st), s) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{}\",status=\"{st}\"", escape(r));
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "openti_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "openti_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "openti_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "openti_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The route template label of a raw request path.
pub fn route_label(raw_path: &str) -> String {
    let segs: Vec<&str> = raw_path.split('/').collect();
    let fits = |tpl: &str| {
        let t: Vec<&str> = tpl.split('/').collect();
        t.len() == segs.len()
            && t.iter().zip(&segs).all(|(t, s)| {
                if t.starts_with('{') {
                    !s.is_empty()
                } else {
                    t == s
                }
            })
    };
    if let Some(r) = OPENTI_ROUTES.iter().find(|r| fits(r)) {
        return (*r).to_string();
    }
    if let Some(rest) = raw_path.strip_prefix(graph::PREFIX) {
        if rest.is_empty() || rest.starts_with('/') {
            if let Ok(segs) = path::segments(rest) {
                if let Some(route) = routes::match_graph(&segs) {
                    return format!("{}{}", graph::PREFIX, route.path);
                }
            }
        }
    }
    "unmatched".to_string()
}

/// Layer recording every request.
pub async fn record(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = route_label(req.uri().path());
    let resp = next.run(req).await;
    metrics.observe(
        method,
        route,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}

/// `GET /metrics`.
pub async fn handler(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_templates() {
        assert_eq!(
            route_label("/v1.0/security/threatIntelligence/hosts/www.example.com/ports/$count"),
            "/v1.0/security/threatIntelligence/hosts/{host-id}/ports/$count"
        );
        assert_eq!(
            route_label("/v1.0/security/threatIntelligence/hosts('x.example')"),
            "/v1.0/security/threatIntelligence/hosts/{host-id}"
        );
        assert_eq!(route_label("/healthz"), "/healthz");
        assert_eq!(
            route_label("/openti/v1/hosts/www.example.com/passiveDns/cof"),
            "/openti/v1/hosts/{host}/passiveDns/cof"
        );
        assert_eq!(route_label("/wp-admin/secret-id-123"), "unmatched");
    }

    #[test]
    fn renders_counter_and_histogram() {
        let m = Metrics::default();
        m.observe("GET", "/healthz".into(), 200, 0.003);
        m.observe("GET", "/healthz".into(), 200, 0.2);
        let text = m.render();
        assert!(text.contains(
            "openti_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
    }
}
