//! Per-request context: `request-id` and `client-request-id` on every response, and the
//! rendering of [`PendingError`]s into the Graph error envelope.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use crate::error::PendingError;

/// Ids of the current request, available to handlers as an extension.
#[derive(Debug, Clone)]
pub struct RequestIds {
    /// Server-generated id.
    pub request_id: String,
    /// Client-supplied id (or the request id when none was sent).
    pub client_request_id: String,
}

/// Outermost layer: assigns ids, echoes them, renders error envelopes.
pub async fn request_context(mut req: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = req
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    let ids = RequestIds {
        request_id,
        client_request_id,
    };
    req.extensions_mut().insert(ids.clone());
    let mut resp = next.run(req).await;
    if let Some(err) = resp.extensions_mut().remove::<PendingError>() {
        let body = json!({
            "error": {
                "code": err.code,
                "message": err.message,
                "innerError": {
                    "date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                    "request-id": ids.request_id,
                    "client-request-id": ids.client_request_id,
                }
            }
        });
        *resp.body_mut() = Body::from(body.to_string());
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp.headers_mut().remove(header::CONTENT_LENGTH);
    }
    if let Ok(v) = HeaderValue::from_str(&ids.request_id) {
        resp.headers_mut().insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&ids.client_request_id) {
        resp.headers_mut().insert("client-request-id", v);
    }
    resp
}
