//! The OpenTI HTTP application.
//!
//! * `/v1.0/security/threatIntelligence/...` — the Graph read API (GET only; other verbs 405),
//!   behind bearer-token auth with `ThreatIntelligence.Read.All`;
//! * `/openti/v1/observations` — NDJSON observation ingest (`ThreatIntelligence.ReadWrite.All`);
//! * `/openti/v1/articles` — add a Markdown article (`ThreatIntelligence.ReadWrite.All`);
//! * `/openti/v1/ping` — a constant JSON body behind the same auth and throttling layers (the
//!   benchmark ceiling: what any authenticated route costs before its store query);
//! * `/healthz`, `/readyz` — unauthenticated liveness and readiness; `/metrics` — Prometheus;
//! * `/v1.0/$metadata` (CSDL) and `/openapi.json` (OpenAPI 3), both generated from the schema
//!   table, unauthenticated.
//!
//! Authenticated routes are throttled per caller (token bucket, [`throttle`]).
//!
//! Every response carries `request-id` and echoes `client-request-id`; every error uses the
//! Graph error envelope.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use openti_ingest::{ingest_bytes, IngestOptions};
use openti_store::Store;

pub mod auth;
pub mod context;
pub mod csdl;
pub mod error;
pub mod graph;
pub mod metrics;
pub mod oidc;
pub mod openapi;
pub mod options;
pub mod path;
pub mod pdns;
pub mod render;
pub mod reputation;
pub mod routes;
pub mod throttle;

use error::ApiError;

/// Largest accepted ingest body.
pub const MAX_INGEST_BODY: usize = 256 * 1024 * 1024;

/// Server settings.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// Base URL used in `@odata.context` and `@odata.nextLink` (default: from `Host`).
    pub public_url: Option<String>,
    /// OIDC / Entra ID JWT validation; `None` accepts only OpenTI API tokens.
    pub oidc: Option<oidc::OidcConfig>,
    /// Per-caller throttling.
    pub throttle: throttle::ThrottleConfig,
    /// The host reputation rule set (default: the embedded rules).
    pub reputation: Arc<reputation::Engine>,
}

/// Run-time services built from the settings.
pub struct Services {
    /// JWT validator with its JWKS cache (when OIDC is configured).
    pub jwt: Option<oidc::JwtValidator>,
    /// Token buckets.
    pub throttle: throttle::Throttle,
    /// Request metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Recently verified API tokens (see [`auth::TokenCache`]).
    pub tokens: auth::TokenCache,
}

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Settings.
    pub config: Arc<ServerConfig>,
    /// Services built from the settings.
    pub services: Arc<Services>,
}

impl AppState {
    /// State for `store` with `config`.
    pub fn new(store: Arc<dyn Store>, config: ServerConfig) -> Self {
        let services = Services {
            jwt: config.oidc.clone().map(oidc::JwtValidator::new),
            throttle: throttle::Throttle::new(config.throttle),
            metrics: Arc::new(metrics::Metrics::default()),
            tokens: auth::TokenCache::default(),
        };
        AppState {
            store,
            config: Arc::new(config),
            services: Arc::new(services),
        }
    }
}

/// Builds the application router.
pub fn router(state: AppState) -> Router {
    let graph = Router::new()
        .route(graph::PREFIX, any(graph::handle))
        .route(&format!("{}/", graph::PREFIX), any(graph::handle))
        .route(&format!("{}/{{*rest}}", graph::PREFIX), any(graph::handle))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_read,
        ));
    let admin = Router::new()
        .route("/openti/v1/observations", post(ingest_observations))
        .route("/openti/v1/articles", post(add_article))
        .layer(DefaultBodyLimit::max(MAX_INGEST_BODY))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_read_write,
        ));
    let ping = Router::new()
        .route("/openti/v1/ping", get(ping))
        .route(
            "/openti/v1/hosts/{host}/passiveDns/cof",
            get(pdns::passive_dns_cof),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_read,
        ));
    Router::new()
        .merge(graph)
        .merge(admin)
        .merge(ping)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/v1.0/$metadata", get(csdl::handler))
        .route("/openapi.json", get(openapi::handler))
        .route(
            "/metrics",
            get(metrics::handler).with_state(state.services.metrics.clone()),
        )
        .fallback(|| async { ApiError::not_found("No route matches the request path.") })
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone())
        .layer(middleware::from_fn(context::request_context))
        .layer(middleware::from_fn_with_state(
            state.services.metrics.clone(),
            metrics::record,
        ))
}

/// 405 in the Graph envelope for the non-Graph routes; axum adds the route's own `Allow`.
async fn method_not_allowed() -> Response {
    let mut resp =
        ApiError::method_not_allowed("The method is not allowed on this route.").into_response();
    resp.headers_mut().remove(axum::http::header::ALLOW);
    resp
}

/// `GET /openti/v1/ping`: a constant JSON body (needs a read token).
async fn ping() -> Response {
    render::json(serde_json::json!({"service": "openti", "ok": true}))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.health().await {
        Ok(_) => "ready".into_response(),
        Err(e) => ApiError {
            status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
            code: "ServiceUnavailable",
            message: format!("store not ready: {e}"),
        }
        .into_response(),
    }
}

/// `POST /openti/v1/observations`: NDJSON body, JSON summary answer.
async fn ingest_observations(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let summary = ingest_bytes(
        state.store.as_ref(),
        "request body",
        &body,
        &IngestOptions::default(),
        &mut |_, _| {},
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(render::json(
        serde_json::to_value(summary).map_err(ApiError::internal)?,
    ))
}

/// `POST /openti/v1/articles`: a Markdown article (front matter + body) is stored with the
/// indicators and CVE ids extracted from it; the answer lists them (`400` for unusable Markdown).
async fn add_article(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    use openti_ingest::intel::{add_markdown_article, Allowlist, ArticleError};
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("The body must be UTF-8 Markdown."))?;
    match add_markdown_article(
        state.store.as_ref(),
        text,
        &Allowlist::default(),
        chrono::Utc::now(),
    )
    .await
    {
        Ok(summary) => Ok(render::json(
            serde_json::to_value(summary).map_err(ApiError::internal)?,
        )),
        Err(ArticleError::Invalid(m)) => Err(ApiError::bad_request(m)),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// Serves the application on a bound listener until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
