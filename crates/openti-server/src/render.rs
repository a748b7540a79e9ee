//! Response framing: `@odata.context`, `@odata.count`, `value`, `@odata.nextLink`, `$select`
//! projection and `text/plain` counts.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use openti_store::Item;
use serde_json::{Map, Value};

use crate::options::QueryOptions;

/// Public base URL of this request (`http://host:port`), from configuration or `Host`.
pub fn base_url(configured: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(b) = configured {
        return b.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// `@odata.context` for a request path (relative to `/v1.0/`).
pub fn context(base: &str, graph_path: &str, entity: bool) -> String {
    let suffix = if entity { "/$entity" } else { "" };
    format!("{base}/v1.0/$metadata#{graph_path}{suffix}")
}

/// Keeps `id`, `@odata.type`, the selected properties and the expanded navigations.
pub fn project(item: Value, select: Option<&[String]>) -> Value {
    project_with(item, select, &[])
}

/// [`project`], also keeping the navigations in `expanded`.
pub fn project_with(item: Value, select: Option<&[String]>, expanded: &[String]) -> Value {
    let (Some(select), Value::Object(map)) = (select, &item) else {
        return item;
    };
    let mut out = Map::new();
    for (k, v) in map {
        if k == "@odata.type"
            || k == "id"
            || select.iter().any(|s| s == k)
            || expanded.iter().any(|s| s == k)
        {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// A single entity with its context first.
pub fn entity(context: String, item: Value, opts: &QueryOptions) -> Response {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::String(context));
    if let Value::Object(m) = project_with(item, opts.select.as_deref(), &opts.expanded) {
        out.extend(m);
    }
    json(Value::Object(out))
}

/// A collection page, written as text: the items' JSON goes into the body as the store
/// rendered it (parsed again only to apply `$select`).
pub fn collection(
    context: String,
    items: Vec<Item>,
    total: Option<u64>,
    next_link: Option<String>,
    opts: &QueryOptions,
) -> Response {
    let size: usize = items.iter().map(|i| i.as_str().len() + 1).sum();
    let mut body = String::with_capacity(size + context.len() + 256);
    body.push_str("{\"@odata.context\":");
    push_json_str(&mut body, &context);
    if let Some(t) = total {
        body.push_str(",\"@odata.count\":");
        body.push_str(&t.to_string());
    }
    body.push_str(",\"value\":[");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        match opts.select.as_deref() {
            None => body.push_str(item.as_str()),
            Some(select) => {
                let projected = project_with(item.to_value(), Some(select), &opts.expanded);
                body.push_str(&projected.to_string());
            }
        }
    }
    body.push(']');
    if let Some(n) = next_link {
        body.push_str(",\"@odata.nextLink\":");
        push_json_str(&mut body, &n);
    }
    body.push('}');
    json_text(body)
}

/// Appends `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push_str(&Value::String(s.to_string()).to_string());
}

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextPage {
    /// A keyset cursor (`$skiptoken`), the normal case.
    Token(String),
    /// An offset (`$skip`), only when the store gave no cursor.
    Skip(u64),
}

/// The URL of the next page: same path and options, with `$top` set to the page size and
/// `$skip` / `$skiptoken` replaced by the next position.
pub fn next_link(
    base: &str,
    raw_path: &str,
    raw_query: Option<&str>,
    next: &NextPage,
    page: u32,
) -> String {
    let mut parts: Vec<String> = raw_query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let k = p.split('=').next().unwrap_or("").to_ascii_lowercase();
            let k = k.replace("%24", "$");
            k != "$skip" && k != "$top" && k != "$skiptoken"
        })
        .map(str::to_string)
        .collect();
    parts.push(format!("$top={page}"));
    match next {
        // The token is URL-safe base64 with a version prefix: nothing to escape.
        NextPage::Token(t) => parts.push(format!("$skiptoken={t}")),
        NextPage::Skip(n) => parts.push(format!("$skip={n}")),
    }
    format!("{base}{raw_path}?{}", parts.join("&"))
}

/// `application/json` with OData metadata level.
pub fn json(v: Value) -> Response {
    json_text(v.to_string())
}

/// [`json`] for a body already written as JSON text.
pub fn json_text(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// A bare integer as `text/plain` (the `/$count` form).
pub fn count(n: u64) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain;charset=utf-8")],
        n.to_string(),
    )
        .into_response()
}
