//! The company boundary: the one place that restricts what a reader sees to
//! the companies a user may see.
//!
//! Every reader that answers a person (KPIs, the planners' suggestions and
//! decisions, whatever comes next) filters its rows through
//! [`company_filter`] or [`scoped`], on a `company_id` column, before
//! anything else is computed from them. `None` means every company (an
//! admin); an empty set means none — never "no filter".
//!
//! ```
//! use std::collections::BTreeSet;
//! use crossdock_warehouse::scope::company_filter;
//!
//! let only_1_and_3: BTreeSet<i64> = [1, 3].into();
//! assert_eq!(company_filter(&only_1_and_3).to_string(), "company_id IN ([Int64(1), Int64(3)])");
//! assert_eq!(company_filter(&BTreeSet::new()).to_string(), "Boolean(false)");
//! ```

use std::collections::BTreeSet;

use datafusion::dataframe::DataFrame;
use datafusion::prelude::{col, lit, Expr};

use crate::error::{Result, WarehouseError};

/// `company_id IN (allowed)`; `false` for an empty set.
pub fn company_filter(allowed: &BTreeSet<i64>) -> Expr {
    if allowed.is_empty() {
        return lit(false);
    }
    col("company_id").in_list(allowed.iter().map(|id| lit(*id)).collect(), false)
}

/// `frame` restricted to the rows of `companies` (`None`: unrestricted).
/// `what` names the frame in an error.
pub fn scoped(
    frame: DataFrame,
    companies: Option<&BTreeSet<i64>>,
    what: &str,
) -> Result<DataFrame> {
    match companies {
        None => Ok(frame),
        Some(allowed) => frame
            .filter(company_filter(allowed))
            .map_err(WarehouseError::query(what)),
    }
}
