//! `GET /api/health`: is the server up, and how fresh is its warehouse.

use axum::extract::{RawQuery, State};
use axum::Json;
use chrono::{DateTime, SecondsFormat};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::{params, AppState};

/// `{"status":"ok","as_of":"<RFC 3339>"|null,"as_of_us":<µs>|null}`:
/// `as_of` is the latest source commit time applied (null for an empty
/// warehouse). Public, so it says nothing of where the warehouse is (its
/// path is in the server's log line at start).
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "service",
    responses(
        (status = 200, description = "The server is up", body = crate::openapi::Health),
        (status = 400, description = "A parameter was given (there are none)", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn health(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    params::parse(raw.as_deref(), "/api/health", &[])?;
    let as_of_us = state.warehouse.as_of_us().await?;
    let as_of = as_of_us
        .and_then(DateTime::from_timestamp_micros)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true));
    Ok(Json(json!({
        "status": "ok",
        "as_of": as_of,
        "as_of_us": as_of_us,
    })))
}
