//! `GET /api/freshness`: how far behind Odoo the warehouse is.

use axum::extract::{RawQuery, State};
use axum::Json;
use crossdock_warehouse::freshness::Freshness;

use crate::error::ApiError;
use crate::{params, AppState};

/// The warehouse's freshness (`crossdock_warehouse::freshness`):
/// `{"batches", "position", "source_commit_us", "applied_at_us", "lag_us", "since_last_apply_us"}`,
/// times in µs since the epoch (UTC); nulls for an empty warehouse.
#[utoipa::path(
    get,
    path = "/api/freshness",
    tag = "service",
    responses(
        (status = 200, description = "How far behind its source the warehouse is", body = crate::openapi::Freshness),
        (status = 400, description = "A parameter was given (there are none)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn freshness(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Freshness>, ApiError> {
    params::parse(raw.as_deref(), "/api/freshness", &[])?;
    Ok(Json(state.warehouse.freshness().await?))
}
