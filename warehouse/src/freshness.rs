//! Freshness: how far behind its source the warehouse is.
//!
//! Every applied batch appends a row to `_crossdock/checkpoints` with the
//! source commit time of its last transaction (`source_commit_ts`) and the
//! time the batch became queryable (`applied_at`). From the latest row:
//!
//! - `lag_us` = `applied_at − source_commit_ts`: how long the newest change
//!   took from its commit in the source to being queryable here;
//! - `since_last_apply_us` = now − `applied_at`: how long ago anything was
//!   applied (grows while the source is idle — not a lag by itself).

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use serde::Serialize;

use crate::error::{Result, WarehouseError};
use crate::Warehouse;

/// The warehouse's freshness, from its latest checkpoint (`GET /api/freshness`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Freshness {
    /// Batches applied so far.
    pub batches: i64,
    /// Source position of the latest batch.
    pub position: Option<i64>,
    /// Source commit time of the newest change applied (µs since the epoch, UTC).
    pub source_commit_us: Option<i64>,
    /// When that batch became queryable (µs since the epoch, UTC).
    pub applied_at_us: Option<i64>,
    /// `applied_at − source_commit` of the latest batch, µs.
    pub lag_us: Option<i64>,
    /// Now − `applied_at` of the latest batch, µs.
    pub since_last_apply_us: Option<i64>,
}

impl Warehouse {
    /// The warehouse's freshness; see the module documentation.
    pub async fn freshness(&self) -> Result<Freshness> {
        let sql = "SELECT count(*) AS batches, \
                   max(position) AS position, \
                   max(arrow_cast(source_commit_ts, 'Int64')) AS source_commit_us, \
                   max(arrow_cast(applied_at, 'Int64')) AS applied_at_us \
                   FROM crossdock_checkpoints";
        let batches = self.sql(sql).await?;
        let b = batches
            .first()
            .ok_or_else(|| WarehouseError::Internal("freshness: no result row".into()))?;
        let get = |i: usize| -> Result<Option<i64>> {
            let c = arrow::compute::cast(b.column(i), &arrow::datatypes::DataType::Int64)?;
            let c = c.as_primitive::<Int64Type>();
            Ok((!c.is_empty() && !c.is_null(0)).then(|| c.value(0)))
        };
        let source_commit_us = get(2)?;
        let applied_at_us = get(3)?;
        let now = chrono::Utc::now().timestamp_micros();
        Ok(Freshness {
            batches: get(0)?.unwrap_or(0),
            position: get(1)?,
            source_commit_us,
            applied_at_us,
            lag_us: match (source_commit_us, applied_at_us) {
                (Some(s), Some(a)) => Some(a - s),
                _ => None,
            },
            since_last_apply_us: applied_at_us.map(|a| now - a),
        })
    }
}
