//! The companies the warehouse knows (`res_company`, current state), to
//! check the company ids given to a user against them: the command line
//! (`crossdock user add` / `set-roles`) and the admin endpoints and page.
//! `crossdock-access` knows nothing of the warehouse; this is the layer
//! that knows both.

use std::collections::BTreeSet;

use arrow::array::AsArray;
use arrow::datatypes::{DataType, Int64Type};
use crossdock_warehouse::Warehouse;

use crate::error::ApiError;

/// The ids of `res_company` in the warehouse (empty when no data was
/// applied yet).
pub async fn known(warehouse: &Warehouse) -> Result<BTreeSet<i64>, ApiError> {
    let batches = warehouse.sql("SELECT id FROM res_company").await?;
    let mut out = BTreeSet::new();
    for b in &batches {
        let ids = arrow::compute::cast(b.column(0), &DataType::Int64)
            .map_err(|e| ApiError::Internal(format!("res_company.id: {e}")))?;
        out.extend(ids.as_primitive::<Int64Type>().iter().flatten());
    }
    Ok(out)
}

/// Ok when every id of `companies` is a company of the warehouse;
/// [`ApiError::UnknownCompanies`] (a 400) naming the others, and the known
/// ones, otherwise — also when the warehouse knows no company yet. An
/// empty list (an admin's) needs no data.
pub async fn check(warehouse: &Warehouse, companies: &[i64]) -> Result<(), ApiError> {
    if companies.is_empty() {
        return Ok(());
    }
    let known = known(warehouse).await?;
    let unknown: Vec<i64> = companies
        .iter()
        .copied()
        .filter(|c| !known.contains(c))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ApiError::UnknownCompanies {
        unknown,
        known: known.into_iter().collect(),
    })
}
