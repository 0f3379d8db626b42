//! The latest reorder suggestions as the planners read them: back from
//! `derived/reorder_suggestion` (written by [`crate::planning::run`]),
//! restricted to the reader's companies, filtered, exceptions first — and
//! each item's weekly history and forecast from `derived/demand_forecast`
//! for its chart.
//!
//! What makes a suggestion an *exception* (a planner looks at it first) is
//! decided here, once, for the page and the API alike: see [`Exception`].

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::prelude::SessionContext;
use rust_decimal::Decimal;
use serde::Serialize;

use crossdock_warehouse::scope;
use crossdock_warehouse::Warehouse;

use crate::cols::Cols;
use crate::error::{ModelsError, Result};
use crate::planning::{forecast_schema, suggestion_schema, FORECAST_TABLE, SUGGESTION_TABLE};

/// A change of the min by this much or more (either way) is an exception.
pub const LARGE_CHANGE_PERCENT: f64 = 50.0;

/// Why a suggestion needs a planner's eye first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exception {
    /// Customers are owed units past their requested day.
    Backorders,
    /// Deliveries due in the last 28 days left late or not at all.
    LateDeliveries,
    /// The rule in force runs a higher stock-out risk than the class's target.
    RiskAboveTarget,
    /// Stock on hand (less reserved) lasts less than the lead time.
    CoverBelowLeadTime,
    /// The item is sold but has no rule in force.
    NoRule,
    /// The min changes by [`LARGE_CHANGE_PERCENT`] or more.
    LargeChange,
    /// No demand for a long time, and stock on hand.
    DeadStock,
}

impl Exception {
    /// A few words for people.
    pub fn label(self) -> &'static str {
        match self {
            Exception::Backorders => "backorders owed",
            Exception::LateDeliveries => "late deliveries (28 days)",
            Exception::RiskAboveTarget => "current rule's risk above target",
            Exception::CoverBelowLeadTime => "cover shorter than lead time",
            Exception::NoRule => "no rule in force",
            Exception::LargeChange => "min changes by 50 % or more",
            Exception::DeadStock => "dead item with stock",
        }
    }
}

/// One row of `derived/reorder_suggestion` (the columns are documented on
/// [`crate::planning::SuggestionRow`] and in `docs/forecasting.md`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct StoredSuggestion {
    /// `<warehouse_id>-<product_id>`.
    pub key: String,
    pub computed_at: DateTime<Utc>,
    pub as_of: NaiveDate,
    pub company_id: Option<i64>,
    pub warehouse_id: i64,
    pub warehouse: String,
    pub product_id: i64,
    pub product: String,
    pub default_code: Option<String>,
    pub location_id: Option<i64>,
    pub trigger: Option<String>,
    pub demand_class: String,
    /// The service class (sets the service level).
    pub abc: String,
    /// ABC by yearly demand value at cost.
    pub abc_value: String,
    pub method: String,
    pub demand_per_week: f64,
    pub service_level: f64,
    pub lead_time_days: f64,
    pub lead_time_p90_days: Option<f64>,
    pub promised_lead_time_days: Option<f64>,
    pub receipts_observed: i64,
    pub vendor_on_time: Option<f64>,
    pub vendor_id: Option<i64>,
    pub vendor: Option<String>,
    pub orderpoint_id: Option<i64>,
    pub current_min_qty: Option<Decimal>,
    pub current_max_qty: Option<Decimal>,
    pub current_qty_multiple: Option<Decimal>,
    pub suggested_min_qty: Decimal,
    pub suggested_max_qty: Decimal,
    pub suggested_qty_multiple: Decimal,
    pub min_change_percent: Option<f64>,
    pub stockout_risk_before: Option<f64>,
    pub stockout_risk_after: f64,
    pub stock_value_before: Option<Decimal>,
    pub stock_value_after: Decimal,
    pub unit_cost: Decimal,
    pub on_hand: f64,
    pub reserved: f64,
    pub incoming: f64,
    pub backorder_qty: f64,
    pub late_deliveries_28d: i64,
    pub days_of_cover: Option<f64>,
    pub reason: String,
    /// Why a planner should look at it first (empty: nothing unusual).
    pub exceptions: Vec<Exception>,
}

impl StoredSuggestion {
    fn compute_exceptions(&mut self) {
        let mut e = Vec::new();
        if self.backorder_qty > 0.0 {
            e.push(Exception::Backorders);
        }
        if self.late_deliveries_28d > 0 {
            e.push(Exception::LateDeliveries);
        }
        if self
            .stockout_risk_before
            .is_some_and(|r| r > 1.0 - self.service_level + 1e-9)
        {
            e.push(Exception::RiskAboveTarget);
        }
        if self.days_of_cover.is_some_and(|c| c < self.lead_time_days) {
            e.push(Exception::CoverBelowLeadTime);
        }
        if self.orderpoint_id.is_none() && self.demand_class != "dead" {
            e.push(Exception::NoRule);
        }
        if self
            .min_change_percent
            .is_some_and(|c| c.abs() >= LARGE_CHANGE_PERCENT)
        {
            e.push(Exception::LargeChange);
        }
        if self.demand_class == "dead" && self.on_hand > 0.0 {
            e.push(Exception::DeadStock);
        }
        self.exceptions = e;
    }

    /// Does the suggestion change the rule in force (or make one)?
    pub fn changes_rule(&self) -> bool {
        self.current_min_qty != Some(self.suggested_min_qty)
            || self.current_max_qty != Some(self.suggested_max_qty)
            || self.current_qty_multiple != Some(self.suggested_qty_multiple)
    }
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SuggestionQuery {
    /// The reader's companies (None: all) — see [`crossdock_warehouse::scope`].
    pub companies: Option<BTreeSet<i64>>,
    /// One warehouse (`stock_warehouse.id`).
    pub warehouse_id: Option<i64>,
    /// One ABC class (`A`, `B`, `C`).
    pub abc: Option<String>,
    /// One demand class (`smooth`, `erratic`, `intermittent`, `lumpy`, `new`, `dead`).
    pub demand_class: Option<String>,
    /// Only changes of the min at least this large (percent, either way);
    /// new rules (no rule in force) always pass.
    pub min_change_percent: Option<f64>,
    /// Only suggestions with an [`Exception`].
    pub exceptions_only: bool,
    /// One suggestion, by key.
    pub key: Option<String>,
}

/// The demand classes, in the order the filters list them.
pub const DEMAND_CLASSES: [&str; 6] = ["smooth", "erratic", "intermittent", "lumpy", "new", "dead"];

async fn context(warehouse: &Warehouse) -> Result<SessionContext> {
    let ctx = SessionContext::new();
    warehouse
        .register_derived(&ctx, SUGGESTION_TABLE, suggestion_schema())
        .await?;
    warehouse
        .register_derived(&ctx, FORECAST_TABLE, forecast_schema())
        .await?;
    Ok(ctx)
}

/// The latest suggestions matching `query`: exceptions first (more of them
/// first), then by the size of the change, then warehouse and product.
pub async fn list(warehouse: &Warehouse, query: &SuggestionQuery) -> Result<Vec<StoredSuggestion>> {
    let ctx = context(warehouse).await?;
    let frame = ctx
        .table(SUGGESTION_TABLE)
        .await
        .map_err(|e| ModelsError::query("reorder_suggestion", e))?;
    let frame = scope::scoped(frame, query.companies.as_ref(), SUGGESTION_TABLE)?;
    let batches = frame
        .collect()
        .await
        .map_err(|e| ModelsError::query("reorder_suggestion", e))?;
    let mut out = Vec::new();
    for b in &batches {
        let c = Cols::new(b, "reorder_suggestion")?;
        for r in 0..b.num_rows() {
            let s = read_row(&c, r)?;
            if keep(&s, query) {
                out.push(s);
            }
        }
    }
    out.sort_by(|a, b| {
        let change = |s: &StoredSuggestion| s.min_change_percent.map_or(f64::INFINITY, f64::abs);
        b.exceptions
            .len()
            .cmp(&a.exceptions.len())
            .then(change(b).total_cmp(&change(a)))
            .then(a.warehouse_id.cmp(&b.warehouse_id))
            .then(a.product_id.cmp(&b.product_id))
    });
    Ok(out)
}

/// One suggestion by key, if it exists within the reader's companies.
pub async fn get(
    warehouse: &Warehouse,
    companies: Option<&BTreeSet<i64>>,
    key: &str,
) -> Result<Option<StoredSuggestion>> {
    let query = SuggestionQuery {
        companies: companies.cloned(),
        key: Some(key.to_string()),
        ..Default::default()
    };
    Ok(list(warehouse, &query).await?.into_iter().next())
}

fn keep(s: &StoredSuggestion, q: &SuggestionQuery) -> bool {
    q.key.as_ref().is_none_or(|k| *k == s.key)
        && q.warehouse_id.is_none_or(|w| w == s.warehouse_id)
        && q.abc
            .as_ref()
            .is_none_or(|a| a.eq_ignore_ascii_case(&s.abc))
        && q.demand_class.as_ref().is_none_or(|d| *d == s.demand_class)
        && q.min_change_percent.is_none_or(|m| {
            s.orderpoint_id.is_none() || s.min_change_percent.is_some_and(|c| c.abs() >= m)
        })
        && (!q.exceptions_only || !s.exceptions.is_empty())
}

fn read_row(c: &Cols<'_>, r: usize) -> Result<StoredSuggestion> {
    // quantities and money as people write them: 29, not 29.0000
    let opt_dec = |name: &str| Ok::<_, ModelsError>(c.decimal(name, r)?.map(|d| d.normalize()));
    let need_dec =
        |name: &str| opt_dec(name)?.ok_or_else(|| c.bad(name, format!("null in row {r}")));
    let need_f64 = |name: &str| {
        c.f64(name, r)?
            .ok_or_else(|| c.bad(name, format!("null in row {r}")))
    };
    let need_str = |name: &str| {
        c.string(name, r)?
            .ok_or_else(|| c.bad(name, format!("null in row {r}")))
    };
    let mut s = StoredSuggestion {
        key: need_str("suggestion_key")?,
        computed_at: c
            .timestamp("computed_at", r)?
            .ok_or_else(|| c.bad("computed_at", format!("null in row {r}")))?,
        as_of: c.date("as_of", r)?,
        company_id: c.opt_i64("company_id", r)?,
        warehouse_id: c.i64("warehouse_id", r)?,
        warehouse: need_str("warehouse")?,
        product_id: c.i64("product_id", r)?,
        product: need_str("product")?,
        default_code: c.string("default_code", r)?,
        location_id: c.opt_i64("location_id", r)?,
        trigger: c.string("trigger", r)?,
        demand_class: need_str("demand_class")?,
        abc: need_str("abc")?,
        abc_value: need_str("abc_value")?,
        method: need_str("method")?,
        demand_per_week: need_f64("demand_per_week")?,
        service_level: need_f64("service_level")?,
        lead_time_days: need_f64("lead_time_days")?,
        lead_time_p90_days: c.f64("lead_time_p90_days", r)?,
        promised_lead_time_days: c.f64("promised_lead_time_days", r)?,
        receipts_observed: c.i64("receipts_observed", r)?,
        vendor_on_time: c.f64("vendor_on_time", r)?,
        vendor_id: c.opt_i64("vendor_id", r)?,
        vendor: c.string("vendor", r)?,
        orderpoint_id: c.opt_i64("orderpoint_id", r)?,
        current_min_qty: opt_dec("current_min_qty")?,
        current_max_qty: opt_dec("current_max_qty")?,
        current_qty_multiple: opt_dec("current_qty_multiple")?,
        suggested_min_qty: need_dec("suggested_min_qty")?,
        suggested_max_qty: need_dec("suggested_max_qty")?,
        suggested_qty_multiple: need_dec("suggested_qty_multiple")?,
        min_change_percent: c.f64("min_change_percent", r)?,
        stockout_risk_before: c.f64("stockout_risk_before", r)?,
        stockout_risk_after: need_f64("stockout_risk_after")?,
        stock_value_before: opt_dec("stock_value_before")?,
        stock_value_after: need_dec("stock_value_after")?,
        unit_cost: need_dec("unit_cost")?,
        on_hand: need_f64("on_hand")?,
        reserved: need_f64("reserved")?,
        incoming: need_f64("incoming")?,
        backorder_qty: need_f64("backorder_qty")?,
        late_deliveries_28d: c.i64("late_deliveries_28d", r)?,
        days_of_cover: c.f64("days_of_cover", r)?,
        reason: need_str("reason")?,
        exceptions: Vec::new(),
    };
    s.compute_exceptions();
    Ok(s)
}

/// One week of an item's chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekPoint {
    /// Monday of the week.
    pub week: NaiveDate,
    /// Units asked for (history) or forecast mean (forecast).
    pub qty: f64,
    /// The forecast's 80 % interval (None for history).
    pub low: Option<f64>,
    /// The forecast's 80 % interval (None for history).
    pub high: Option<f64>,
    /// `history` or `forecast`.
    pub kind: String,
}

/// The weekly history and forecast of a suggestion's item, oldest first.
pub async fn series(warehouse: &Warehouse, s: &StoredSuggestion) -> Result<Vec<WeekPoint>> {
    let ctx = context(warehouse).await?;
    let sql = format!(
        "SELECT week, kind, qty, low, high FROM {FORECAST_TABLE} \
         WHERE warehouse_id = {} AND product_id = {} ORDER BY week",
        s.warehouse_id, s.product_id
    );
    let batches = ctx
        .sql(&sql)
        .await
        .map_err(|e| ModelsError::query("demand_forecast", e))?
        .collect()
        .await
        .map_err(|e| ModelsError::query("demand_forecast", e))?;
    let mut out = Vec::new();
    for b in &batches {
        let c = Cols::new(b, "demand_forecast")?;
        for r in 0..b.num_rows() {
            out.push(WeekPoint {
                week: c.date("week", r)?,
                kind: c.string("kind", r)?.unwrap_or_default(),
                qty: c.f64("qty", r)?.unwrap_or(0.0),
                low: c.f64("low", r)?,
                high: c.f64("high", r)?,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceptions_name_what_a_planner_looks_at_first() {
        let mut s = crate::decision::tests::suggestion();
        s.compute_exceptions();
        assert_eq!(
            s.exceptions,
            vec![
                Exception::Backorders,
                Exception::LateDeliveries,
                Exception::RiskAboveTarget,
                Exception::CoverBelowLeadTime,
                Exception::LargeChange,
            ]
        );
        s.backorder_qty = 0.0;
        s.late_deliveries_28d = 0;
        s.stockout_risk_before = Some(0.01);
        s.days_of_cover = Some(30.0);
        s.min_change_percent = Some(10.0);
        s.compute_exceptions();
        assert!(s.exceptions.is_empty());
        s.orderpoint_id = None;
        s.compute_exceptions();
        assert_eq!(s.exceptions, vec![Exception::NoRule]);
        s.demand_class = "dead".into();
        s.compute_exceptions();
        assert_eq!(s.exceptions, vec![Exception::DeadStock]);
    }
}
