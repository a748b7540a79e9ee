//! Bearer-token authentication and permission checks; every API route passes through here.
//!
//! Tokens are random secrets; the store keeps only their SHA-256. A token's permission is
//! `ThreatIntelligence.Read.All` (Graph read routes) or `ThreatIntelligence.ReadWrite.All`
//! (also OpenTI's ingest and admin routes).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::AppState;

/// Graph's read permission.
pub const READ: &str = "ThreatIntelligence.Read.All";
/// OpenTI's write/admin permission (implies read).
pub const READ_WRITE: &str = "ThreatIntelligence.ReadWrite.All";

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Token name.
    pub name: String,
    /// Granted permission.
    pub permission: String,
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
    let record = state
        .store
        .find_token(&hash_secret(secret))
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::unauthorized("Access token is invalid."))?;
    if record.revoked.is_some() {
        return Err(ApiError::unauthorized("Access token has been revoked."));
    }
    if record.expires.is_some_and(|e| e <= chrono::Utc::now()) {
        return Err(ApiError::unauthorized("Access token has expired."));
    }
    Ok(Principal {
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
    match authenticate(&state, header).await {
        Err(e) => e.into_response(),
        Ok(p) if !p.allows(needed) => {
            ApiError::forbidden(format!("Missing permission {needed}.")).into_response()
        }
        Ok(p) => {
            req.extensions_mut().insert(p);
            next.run(req).await
        }
    }
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
