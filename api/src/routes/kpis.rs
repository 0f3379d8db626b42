//! `GET /api/kpis` and `GET /api/kpis/definitions`: only the caller's
//! companies, only the fields and definitions their roles may see.

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use crossdock_warehouse::kpi::{self, KpiDefinition};
use serde_json::Value;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::visibility::{self, KpiVisibility};
use crate::{params, AppState};

/// The KPI report for `from`, `to` (YYYY-MM-DD, both optional, inclusive)
/// and `by` (comma-separated dimensions, default `channel`), restricted to
/// the caller's companies, without the fields their roles may not see.
#[utoipa::path(
    get,
    path = "/api/kpis",
    tag = "kpis",
    params(
        ("from" = Option<String>, Query, format = Date, description = "First confirmation day included (YYYY-MM-DD, UTC); empty: no bound"),
        ("to" = Option<String>, Query, format = Date, description = "Last confirmation day included (YYYY-MM-DD, UTC); empty: no bound"),
        ("by" = Option<String>, Query, pattern = r"^(channel|week|month|company|warehouse)(,(channel|week|month|company|warehouse))*$",
            description = "Comma-separated dimensions, each at most once: channel, week, month, company, warehouse (default channel)"),
    ),
    responses(
        (status = 200, description = "The report; fields the caller may not see are absent", body = crate::openapi::KpiReport),
        (status = 400, description = "A bad parameter, named in the message", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn report(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = params::parse(raw.as_deref(), "/api/kpis", &["from", "to", "by"])?;
    let mut query = params::kpi_query(&params)?;
    query.companies = principal.companies();
    let report = state.warehouse.kpis(&query).await?;
    let mut value = serde_json::to_value(&report)
        .map_err(|e| ApiError::Internal(format!("serializing the report: {e}")))?;
    visibility::filter_kpi_report(&principal.visibility(), &mut value);
    Ok(Json(value))
}

/// The documented definitions of the KPIs the caller's roles may see.
#[utoipa::path(
    get,
    path = "/api/kpis/definitions",
    tag = "kpis",
    responses(
        (status = 200, description = "Definitions of the KPIs the caller may see", body = [crate::openapi::KpiDefinition]),
        (status = 400, description = "A parameter was given (there are none)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn definitions(
    Extension(principal): Extension<Principal>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<KpiDefinition>>, ApiError> {
    params::parse(raw.as_deref(), "/api/kpis/definitions", &[])?;
    let visible = principal.visibility();
    Ok(Json(
        kpi::definitions()
            .into_iter()
            .filter(|d| visible.sees_kpi(&d.name))
            .collect(),
    ))
}
