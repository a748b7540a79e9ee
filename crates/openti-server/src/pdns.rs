//! `GET /openti/v1/hosts/{host}/passiveDns/cof`: a host's forward passive DNS in the Passive
//! DNS Common Output Format (NDJSON, one fact per line with its count; read permission).

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use openti_model::normalize::HostName;
use openti_store::EntityKind;

use crate::error::ApiError;
use crate::AppState;

/// The handler.
pub async fn passive_dns_cof(
    State(state): State<AppState>,
    Path(host): Path<String>,
) -> Result<Response, ApiError> {
    let id = HostName::parse(&host)
        .map_err(|e| ApiError::bad_request(format!("Invalid host {host:?}: {e}")))?
        .as_id();
    let facts = state
        .store
        .passive_dns_facts(&id)
        .await
        .map_err(ApiError::internal)?;
    if facts.is_empty()
        && state
            .store
            .get(EntityKind::Host, &id)
            .await
            .map_err(ApiError::internal)?
            .is_none()
    {
        return Err(ApiError::not_found(format!("Host {id} was not found.")));
    }
    let mut body = String::new();
    for f in &facts {
        body.push_str(&openti_ingest::cof::to_cof(&openti_ingest::cof::CofFact {
            rrname: &f.name,
            rrtype: &f.rtype,
            rdata: &f.value,
            first: f.first,
            last: f.last,
            count: f.count,
            sensor: f.sensor.as_deref(),
        }));
        body.push('\n');
    }
    Ok(([(CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}
