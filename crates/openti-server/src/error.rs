//! Graph-shaped errors.
//!
//! Handlers and layers return [`ApiError`]; its response carries the code and message as a
//! response extension, and the request-context layer renders the Graph error envelope
//! `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}` with the
//! request's ids, so every error on every route has the same shape.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Graph error code (`BadRequest`, `ResourceNotFound`, …).
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
}

/// Marker placed on error responses; rendered by the request-context layer.
#[derive(Debug, Clone)]
pub struct PendingError {
    /// Graph error code.
    pub code: &'static str,
    /// Message.
    pub message: String,
}

impl ApiError {
    /// 400 `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "BadRequest",
            message: message.into(),
        }
    }
    /// 404 `ResourceNotFound`.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "ResourceNotFound",
            message: message.into(),
        }
    }
    /// 401 `InvalidAuthenticationToken`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "InvalidAuthenticationToken",
            message: message.into(),
        }
    }
    /// 403 `Forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: "Forbidden",
            message: message.into(),
        }
    }
    /// 405 `MethodNotAllowed`.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "MethodNotAllowed",
            message: message.into(),
        }
    }
    /// 500 `InternalServerError` (the detail is logged, not sent).
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "InternalServerError",
            message: "The server could not complete the request.".into(),
        }
    }
}

impl From<openti_store::StoreError> for ApiError {
    fn from(e: openti_store::StoreError) -> Self {
        match e {
            openti_store::StoreError::InvalidQuery(m) => ApiError::bad_request(m),
            openti_store::StoreError::Unavailable(m) => {
                tracing::warn!("store unavailable: {m}");
                ApiError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "ServiceUnavailable",
                    message: "The database is not reachable; retry later.".into(),
                }
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        resp.extensions_mut().insert(PendingError {
            code: self.code,
            message: self.message,
        });
        resp
    }
}
