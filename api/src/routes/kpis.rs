//! `GET /api/kpis` and `GET /api/kpis/definitions`.

use axum::extract::{RawQuery, State};
use axum::Json;
use crossdock_warehouse::kpi::{self, KpiDefinition, KpiReport};

use crate::error::ApiError;
use crate::{params, AppState};

/// The KPI report for `from`, `to` (YYYY-MM-DD, both optional, inclusive)
/// and `by` (comma-separated dimensions, default `channel`).
pub(crate) async fn report(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<KpiReport>, ApiError> {
    let params = params::parse(raw.as_deref(), "/api/kpis", &["from", "to", "by"])?;
    let query = params::kpi_query(&params)?;
    Ok(Json(state.warehouse.kpis(&query).await?))
}

/// Every KPI's documented definition.
pub(crate) async fn definitions(
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<KpiDefinition>>, ApiError> {
    params::parse(raw.as_deref(), "/api/kpis/definitions", &[])?;
    Ok(Json(kpi::definitions()))
}
