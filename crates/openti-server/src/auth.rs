//! Bearer-token authentication and permission checks; every API route passes through here.
//!
//! Two kinds of bearer credential are accepted:
//! * OpenTI API tokens (`oti_…`): random secrets of which the store keeps only the SHA-256;
//!   a token's permission is `ThreatIntelligence.Read.All` (Graph read routes) or
//!   `ThreatIntelligence.ReadWrite.All` (also OpenTI's ingest and admin routes);
//! * OIDC / Entra ID JWTs, when OIDC is configured ([`crate::oidc`]); the permission comes from
//!   the `roles` or `scp` claim.
//!
//! Order of checks: credential (401 `InvalidAuthenticationToken`, `WWW-Authenticate: Bearer`)
//! → per-caller throttle (429 with `Retry-After`) → permission (403 `Forbidden`).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::oidc::looks_like_jwt;
use crate::throttle::retry_after_secs;
use crate::AppState;
use openti_store::TokenRecord;

/// Graph's read permission.
pub const READ: &str = "ThreatIntelligence.Read.All";
/// OpenTI's write/admin permission (implies read).
pub const READ_WRITE: &str = "ThreatIntelligence.ReadWrite.All";

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Token name.
    pub name: String,
    /// Granted permission (empty when the credential grants none of ours).
    pub permission: String,
    /// Throttling key: `token:<id>` or `jwt:<subject>` (never the secret).
    pub key: String,
}

impl Principal {
    /// Whether the caller holds `needed` (ReadWrite implies Read).
    pub fn allows(&self, needed: &str) -> bool {
        self.permission == needed || (needed == READ && self.permission == READ_WRITE)
    }
}

/// SHA-256 hex of a token secret (what the store keeps).
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new random token secret: `oti_` + 43 URL-safe characters (256 bits).
pub fn new_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 43];
    OsRng.fill_bytes(&mut bytes);
    let body: String = bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    format!("oti_{body}")
}

async fn authenticate(state: &AppState, header: Option<String>) -> Result<Principal, ApiError> {
    let header = header.ok_or_else(|| ApiError::unauthorized("Access token is empty."))?;
    let secret = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::unauthorized("Authorization header must be 'Bearer <token>'."))?;
    if looks_like_jwt(secret) {
        let validator = state.services.jwt.as_ref().ok_or_else(|| {
            ApiError::unauthorized("JWT bearer tokens are not accepted: OIDC is not configured.")
        })?;
        return validator.validate(secret).await.map_err(|e| {
            tracing::debug!("JWT refused: {e}");
            ApiError::unauthorized(e.to_string())
        });
    }
    let hash = hash_secret(secret);
    let record = match state.services.tokens.get(&hash) {
        Some(r) => r,
        None => {
            let r = state
                .store
                .find_token(&hash)
                .await
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::unauthorized("Access token is invalid."))?;
            state.services.tokens.put(hash, r.clone());
            r
        }
    };
    if record.revoked.is_some() {
        return Err(ApiError::unauthorized("Access token has been revoked."));
    }
    if record.expires.is_some_and(|e| e <= chrono::Utc::now()) {
        return Err(ApiError::unauthorized("Access token has expired."));
    }
    Ok(Principal {
        key: format!("token:{}", record.id),
        name: record.name,
        permission: record.permission,
    })
}

async fn check(state: AppState, mut req: Request, next: Next, needed: &'static str) -> Response {
    let header = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let p = match authenticate(&state, header).await {
        Err(e) => return refuse(req, e.into_response()).await,
        Ok(p) => p,
    };
    if let Err(wait) = state.services.throttle.acquire(&p.key) {
        return refuse(req, too_many_requests(retry_after_secs(wait))).await;
    }
    if !p.allows(needed) {
        let e = ApiError::forbidden(format!("Missing permission {needed}."));
        return refuse(req, e.into_response()).await;
    }
    req.extensions_mut().insert(p);
    next.run(req).await
}

/// Largest request body read (and discarded) before a refusal is sent.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// Reads and discards a small request body before answering with `resp`, so a client still
/// sending its upload receives the 401/403/429 instead of a connection reset.
async fn refuse(req: Request, resp: Response) -> Response {
    let _ = axum::body::to_bytes(req.into_body(), DRAIN_LIMIT).await;
    resp
}

/// 429 `TooManyRequests` with `Retry-After`.
pub fn too_many_requests(retry_after: u64) -> Response {
    let mut resp = ApiError {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "TooManyRequests",
        message: format!("Too many requests; retry after {retry_after} seconds."),
    }
    .into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    resp
}

/// Layer for Graph read routes.
pub async fn require_read(State(state): State<AppState>, req: Request, next: Next) -> Response {
    check(state, req, next, READ).await
}

/// Layer for OpenTI write/admin routes.
pub async fn require_read_write(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    check(state, req, next, READ_WRITE).await
}

/// How long a verified token record is reused without asking the store again.
pub const TOKEN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
/// Most cached token records (the cache is emptied when full).
const TOKEN_CACHE_MAX: usize = 10_000;

/// Token records found in the store in the last [`TOKEN_CACHE_TTL`], by secret hash: a busy
/// client costs one store lookup per TTL instead of one per request. A revocation or expiry
/// therefore takes effect within the TTL on every server process. Unknown secrets are never
/// cached, so a token works as soon as it is created.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, TokenRecord)>>,
}

impl TokenCache {
    /// A fresh cached record for `hash`.
    pub fn get(&self, hash: &str) -> Option<TokenRecord> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash)
            .filter(|(at, _)| at.elapsed() < TOKEN_CACHE_TTL)
            .map(|(_, r)| r.clone())
    }

    /// Remembers a record found in the store.
    pub fn put(&self, hash: String, record: TokenRecord) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= TOKEN_CACHE_MAX {
            map.clear();
        }
        map.insert(hash, (std::time::Instant::now(), record));
    }
}
