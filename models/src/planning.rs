//! The planners' run: from the warehouse's Odoo tables to reorder-rule
//! suggestions, written back to the warehouse as derived tables.
//!
//! ```text
//!  current state ──demand_history.sql──► weekly demand per product × warehouse ──► forecast (auto)
//!   (warehouse)  ──vendor_lead_time.sql─► observed lead times per vendor × product ─┐      │
//!                ──planning_items.sql───► rule in force, vendor, promised delay, cost ├─► reorder::suggest
//!                ──stock_position.sql───► on hand, reserved, incoming, backorders ────┘      │
//!                                                                                       ▼
//!                                derived/reorder_suggestion, derived/demand_forecast (Delta)
//! ```
//!
//! Each SQL file (`models/sql/`) opens with the rules it applies, in Odoo's
//! column names. The run is a pure function of the warehouse's state and the
//! settings ([`PlanningSettings`]): run it twice on the same data and the
//! suggestions are the same.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crossdock_warehouse::settings::PlanningSettings;
use crossdock_warehouse::{Warehouse, WriteMode};

use crate::cols::Cols;
use crate::error::{ModelsError, Result};
use crate::reorder::{self, CurrentRule, LeadTime, Lifecycle, ReorderInput};

/// The derived table of the latest suggestions (replaced by each run).
pub const SUGGESTION_TABLE: &str = "reorder_suggestion";
/// The derived table of weekly history and forecast per item (replaced by each run).
pub const FORECAST_TABLE: &str = "demand_forecast";

const DEMAND_SQL: &str = include_str!("../sql/demand_history.sql");
const LEAD_TIME_SQL: &str = include_str!("../sql/vendor_lead_time.sql");
const ITEMS_SQL: &str = include_str!("../sql/planning_items.sql");
const POSITION_SQL: &str = include_str!("../sql/stock_position.sql");

/// Weeks of forecast kept in `demand_forecast` (for the chart).
const FORECAST_WEEKS: usize = 12;

/// One product × warehouse a rule is kept for.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanningItem {
    /// `product_product.id`.
    pub product_id: i64,
    /// `stock_warehouse.id`.
    pub warehouse_id: i64,
    /// `stock_warehouse.company_id`.
    pub company_id: Option<i64>,
    /// Warehouse name.
    pub warehouse: String,
    /// Product name (en_US).
    pub product: String,
    /// Internal reference.
    pub default_code: Option<String>,
    /// The rule in force.
    pub current: Option<CurrentRule>,
    /// The rule's location, else the warehouse's stock location
    /// (`stock_warehouse.lot_stock_id`): where the rule is kept in Odoo.
    pub location_id: Option<i64>,
    /// The rule's trigger (`auto` / `manual`; None without a rule).
    pub trigger: Option<String>,
    /// Default vendor (`res_partner.id`).
    pub vendor_id: Option<i64>,
    /// Default vendor's name.
    pub vendor: Option<String>,
    /// `product_supplierinfo.delay`.
    pub promised_delay_days: Option<f64>,
    /// `product_supplierinfo.min_qty`.
    pub vendor_min_qty: Decimal,
    /// Unit cost (standard price).
    pub unit_cost: Decimal,
}

/// Where an item's stock stands.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StockPosition {
    /// On hand in the warehouse's internal locations.
    pub on_hand: f64,
    /// Reserved for deliveries.
    pub reserved: f64,
    /// Open receipts.
    pub incoming: f64,
    /// Owed to customers past their requested day.
    pub backorder_qty: f64,
    /// Deliveries due in the last 28 days that left late or not at all.
    pub late_deliveries_28d: i64,
}

/// A vendor's record for a product.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VendorRecord {
    /// Observed lead times (days), in receipt order.
    pub lead_times: Vec<f64>,
    /// Receipts on time.
    pub on_time: usize,
    /// Receipts in full.
    pub in_full: usize,
}

impl VendorRecord {
    fn p(&self, q: f64) -> Option<f64> {
        if self.lead_times.is_empty() {
            return None;
        }
        let mut v = self.lead_times.clone();
        v.sort_by(f64::total_cmp);
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        Some(v[rank - 1])
    }
}

/// One day of an item's demand: (day, units asked for, units returned).
pub type DemandDay = (NaiveDate, f64, f64);

/// Everything read from the warehouse for one run.
#[derive(Debug, Clone, Default)]
pub struct PlanningData {
    /// The last day of data (the run's "today").
    pub as_of: Option<NaiveDate>,
    /// The items.
    pub items: Vec<PlanningItem>,
    /// Daily demand per (product, warehouse).
    pub demand: HashMap<(i64, i64), Vec<DemandDay>>,
    /// Sale order lines per (product, warehouse) and requested day.
    pub lines: HashMap<(i64, i64), Vec<(NaiveDate, f64)>>,
    /// Per (vendor, product): observed receipts.
    pub vendors: HashMap<(i64, i64), VendorRecord>,
    /// Per (product, warehouse).
    pub positions: HashMap<(i64, i64), StockPosition>,
}

/// Weekly buckets (Monday-based) of a daily series from `first` to `last` (inclusive).
pub fn weekly(days: &[DemandDay], first: NaiveDate, last: NaiveDate) -> Vec<f64> {
    let monday = |d: NaiveDate| d - Duration::days(d.weekday().num_days_from_monday() as i64);
    let start = monday(first);
    let weeks = ((monday(last) - start).num_days() / 7 + 1).max(0) as usize;
    let mut out = vec![0.0; weeks];
    for (d, q, _) in days {
        let k = (monday(*d) - start).num_days() / 7;
        if k >= 0 && (k as usize) < weeks {
            out[k as usize] += q;
        }
    }
    out
}

/// Monthly buckets of a daily series from `first` to `last` (inclusive).
pub fn monthly(days: &[DemandDay], first: NaiveDate, last: NaiveDate) -> Vec<f64> {
    let index = |d: NaiveDate| d.year() as i64 * 12 + d.month0() as i64;
    let months = (index(last) - index(first) + 1).max(0) as usize;
    let mut out = vec![0.0; months];
    for (d, q, _) in days {
        let k = index(*d) - index(first);
        if k >= 0 && (k as usize) < months {
            out[k as usize] += q;
        }
    }
    out
}

/// Reads what a run needs from the warehouse.
pub async fn read(warehouse: &Warehouse) -> Result<PlanningData> {
    read_from(&warehouse.session().await?).await
}

/// Reads what a run needs from a session holding the current-state tables
/// under their Odoo names (as [`Warehouse::session`] does).
pub async fn read_from(ctx: &datafusion::prelude::SessionContext) -> Result<PlanningData> {
    let query = |sql: &'static str, name: &'static str| {
        let ctx = ctx.clone();
        async move {
            let df = ctx
                .sql(sql)
                .await
                .map_err(|e| ModelsError::query(name, e))?;
            df.collect().await.map_err(|e| ModelsError::query(name, e))
        }
    };
    let mut data = PlanningData::default();
    for b in query(DEMAND_SQL, "demand_history.sql").await? {
        let c = Cols::new(&b, "demand_history.sql")?;
        for r in 0..b.num_rows() {
            let key = (c.i64("product_id", r)?, c.i64("warehouse_id", r)?);
            let day = c.date("day", r)?;
            let asked = c.f64("asked_qty", r)?.unwrap_or(0.0);
            let returned = c.f64("returned_qty", r)?.unwrap_or(0.0);
            data.as_of = data.as_of.max(Some(day));
            data.demand
                .entry(key)
                .or_default()
                .push((day, asked, returned));
            let lines = c.opt_i64("lines", r)?.unwrap_or(0);
            if lines > 0 {
                data.lines.entry(key).or_default().push((day, lines as f64));
            }
        }
    }
    for b in query(LEAD_TIME_SQL, "vendor_lead_time.sql").await? {
        let c = Cols::new(&b, "vendor_lead_time.sql")?;
        for r in 0..b.num_rows() {
            let key = (c.i64("vendor_id", r)?, c.i64("product_id", r)?);
            let rec = data.vendors.entry(key).or_default();
            if let Some(days) = c.f64("lead_time_days", r)? {
                rec.lead_times.push(days.max(0.0));
            }
            rec.on_time += c.bool("on_time", r)? as usize;
            rec.in_full += c.bool("in_full", r)? as usize;
        }
    }
    for b in query(ITEMS_SQL, "planning_items.sql").await? {
        let c = Cols::new(&b, "planning_items.sql")?;
        for r in 0..b.num_rows() {
            let current = match c.opt_i64("orderpoint_id", r)? {
                Some(id) => Some(CurrentRule {
                    orderpoint_id: id,
                    min: c.decimal("product_min_qty", r)?.unwrap_or_default(),
                    max: c.decimal("product_max_qty", r)?.unwrap_or_default(),
                    multiple: c.decimal("qty_multiple", r)?.unwrap_or(Decimal::ONE),
                }),
                None => None,
            };
            data.items.push(PlanningItem {
                product_id: c.i64("product_id", r)?,
                warehouse_id: c.i64("warehouse_id", r)?,
                company_id: c.opt_i64("company_id", r)?,
                warehouse: c.string("warehouse", r)?.unwrap_or_default(),
                product: c.string("product", r)?.unwrap_or_default(),
                default_code: c.string("default_code", r)?,
                current,
                location_id: c.opt_i64("location_id", r)?,
                trigger: c.string("trigger", r)?,
                vendor_id: c.opt_i64("vendor_id", r)?,
                vendor: c.string("vendor", r)?,
                promised_delay_days: c.f64("promised_delay_days", r)?,
                vendor_min_qty: c.decimal("vendor_min_qty", r)?.unwrap_or_default(),
                unit_cost: c.decimal("unit_cost", r)?.unwrap_or_default(),
            });
        }
    }
    let end_of_data = data
        .as_of
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(i64::MAX, |t| t.and_utc().timestamp_micros());
    let position_sql = POSITION_SQL.replace("{as_of_us}", &end_of_data.to_string());
    let batches = {
        let df = ctx
            .sql(&position_sql)
            .await
            .map_err(|e| ModelsError::query("stock_position.sql", e))?;
        df.collect()
            .await
            .map_err(|e| ModelsError::query("stock_position.sql", e))?
    };
    for b in batches {
        let c = Cols::new(&b, "stock_position.sql")?;
        for r in 0..b.num_rows() {
            let key = (c.i64("product_id", r)?, c.i64("warehouse_id", r)?);
            data.positions.insert(
                key,
                StockPosition {
                    on_hand: c.f64("on_hand", r)?.unwrap_or(0.0),
                    reserved: c.f64("reserved", r)?.unwrap_or(0.0),
                    incoming: c.f64("incoming", r)?.unwrap_or(0.0),
                    backorder_qty: c.f64("backorder_qty", r)?.unwrap_or(0.0),
                    late_deliveries_28d: c.opt_i64("late_deliveries_28d", r)?.unwrap_or(0),
                },
            );
        }
    }
    Ok(data)
}

/// One suggestion, with everything the planner's page shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionRow {
    /// The item.
    pub item: PlanningItem,
    /// Demand class (smooth, erratic, intermittent, lumpy, new, dead).
    pub demand_class: String,
    /// Service class (A, B or C) by order lines per value of one
    /// replenishment ([`reorder::service_classes`]).
    pub abc: char,
    /// ABC class by yearly demand value at cost (the top 80 % of value A,
    /// the next 15 % B, the rest C; [`crate::forecast::classify::abc`]):
    /// the classification shown beside the service class.
    pub abc_value: char,
    /// The forecasting method chosen for the item.
    pub method: String,
    /// Forecast mean demand per week.
    pub demand_per_week: f64,
    /// Target service level (0..1).
    pub service_level: f64,
    /// Lead time used (days) and its evidence.
    pub lead_time: LeadTime,
    /// The vendor's on-time share of receipts of this product (None: no receipts).
    pub vendor_on_time: Option<f64>,
    /// Where the stock stands.
    pub position: StockPosition,
    /// Days of cover: (on hand − reserved) / demand per day (None when no demand).
    pub days_of_cover: Option<f64>,
    /// The policy's result.
    pub suggestion: reorder::ReorderSuggestion,
}

impl SuggestionRow {
    /// The key of a suggestion: `<warehouse_id>-<product_id>`.
    pub fn key(&self) -> String {
        format!("{}-{}", self.item.warehouse_id, self.item.product_id)
    }
}

/// Weekly history and forecast of one item, for the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSeries {
    /// Product.
    pub product_id: i64,
    /// Warehouse.
    pub warehouse_id: i64,
    /// Monday of the first week.
    pub first_week: NaiveDate,
    /// Demand per week, oldest first.
    pub history: Vec<f64>,
    /// Forecast per week after the history: (mean, low, high) of an 80 % interval.
    pub forecast: Vec<(f64, f64, f64)>,
}

/// A suggested rule as stored in `derived/reorder_suggestion`, for items
/// with a rule in force (the what-if changes rules, it does not create them).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRule {
    /// `stock_warehouse_orderpoint.id` of the rule in force.
    pub orderpoint_id: i64,
    /// Warehouse.
    pub warehouse_id: i64,
    /// Product.
    pub product_id: i64,
    /// Suggested min.
    pub min: Decimal,
    /// Suggested max.
    pub max: Decimal,
    /// Suggested multiple.
    pub multiple: Decimal,
}

/// The latest suggestions' rules, and how many suggestions had no rule in force.
pub async fn stored_rules(warehouse: &Warehouse) -> Result<(Vec<StoredRule>, usize)> {
    let ctx = datafusion::prelude::SessionContext::new();
    warehouse
        .register_derived(&ctx, SUGGESTION_TABLE, suggestion_schema())
        .await?;
    let sql = "SELECT orderpoint_id, warehouse_id, product_id, suggested_min_qty, \
               suggested_max_qty, suggested_qty_multiple FROM reorder_suggestion \
               ORDER BY warehouse_id, product_id";
    let batches = ctx
        .sql(sql)
        .await
        .map_err(|e| ModelsError::query("reorder_suggestion", e))?
        .collect()
        .await
        .map_err(|e| ModelsError::query("reorder_suggestion", e))?;
    let (mut rules, mut without) = (Vec::new(), 0);
    for b in &batches {
        let c = Cols::new(b, "reorder_suggestion")?;
        for r in 0..b.num_rows() {
            let Some(orderpoint_id) = c.opt_i64("orderpoint_id", r)? else {
                without += 1;
                continue;
            };
            let need = |name: &str| {
                c.decimal(name, r)?
                    .ok_or_else(|| c.bad(name, format!("null in row {r}")))
            };
            rules.push(StoredRule {
                orderpoint_id,
                warehouse_id: c.i64("warehouse_id", r)?,
                product_id: c.i64("product_id", r)?,
                min: need("suggested_min_qty")?,
                max: need("suggested_max_qty")?,
                multiple: need("suggested_qty_multiple")?,
            });
        }
    }
    Ok((rules, without))
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct PlanningRun {
    /// The last day of data.
    pub as_of: Option<NaiveDate>,
    /// One per item, ordered by warehouse then product.
    pub suggestions: Vec<SuggestionRow>,
    /// History and forecast per item.
    pub series: Vec<ItemSeries>,
}

fn service_level(settings: &PlanningSettings, abc: char) -> f64 {
    let p = match abc {
        'A' => settings.service_level_a_percent,
        'B' => settings.service_level_b_percent,
        _ => settings.service_level_c_percent,
    };
    (p.to_f64().unwrap_or(95.0) / 100.0).clamp(0.5, 0.9999)
}

/// Computes the suggestions from data already read.
pub fn plan(data: &PlanningData, settings: &PlanningSettings) -> PlanningRun {
    let Some(as_of) = data.as_of else {
        return PlanningRun::default();
    };
    let first = data
        .demand
        .values()
        .filter_map(|d| d.iter().map(|x| x.0).min())
        .min()
        .unwrap_or(as_of);
    let empty = Vec::new();
    let weekly_of = |item: &PlanningItem| {
        let days = data
            .demand
            .get(&(item.product_id, item.warehouse_id))
            .unwrap_or(&empty);
        // the week of `as_of` is partial: leave it out of the history
        let last_full = as_of - Duration::days(as_of.weekday().num_days_from_monday() as i64 + 1);
        (weekly(days, first, last_full.max(first)), days)
    };
    // Service classes (reorder::service_classes): order lines a year per
    // value of one replenishment, both over the last 52 full weeks.
    let histories: Vec<Vec<f64>> = data.items.iter().map(|i| weekly_of(i).0).collect();
    let last_full = as_of - Duration::days(as_of.weekday().num_days_from_monday() as i64 + 1);
    let yearly = |h: &[f64]| {
        let last = &h[h.len().saturating_sub(52)..];
        last.iter().sum::<f64>() * 52.0 / last.len().max(1) as f64
    };
    let holding_rate = settings.holding_rate_percent.to_f64().unwrap_or(20.0) / 100.0;
    let evidence: Vec<reorder::ServiceEvidence> = data
        .items
        .iter()
        .zip(&histories)
        .map(|(item, h)| {
            let days: Vec<DemandDay> = data
                .lines
                .get(&(item.product_id, item.warehouse_id))
                .map_or(Vec::new(), |l| {
                    l.iter().map(|&(d, n)| (d, n, 0.0)).collect()
                });
            let lines_per_year = yearly(&weekly(&days, first, last_full.max(first)));
            let order = reorder::order_quantity(
                yearly(h) / 365.0,
                settings.review_period_days as f64,
                item.unit_cost,
                settings.order_cost,
                holding_rate,
                item.vendor_min_qty,
            );
            reorder::ServiceEvidence {
                lines_per_year,
                order_value: order * item.unit_cost.to_f64().unwrap_or(0.0),
            }
        })
        .collect();
    let abc = reorder::service_classes(&evidence, 0.8, 0.95);
    let values: Vec<f64> = data
        .items
        .iter()
        .zip(&histories)
        .map(|(item, h)| yearly(h) * item.unit_cost.to_f64().unwrap_or(0.0))
        .collect();
    let abc_value: Vec<char> = crate::forecast::classify::abc(&values)
        .into_iter()
        .map(|c| match c {
            crate::forecast::classify::Abc::A => 'A',
            crate::forecast::classify::Abc::B => 'B',
            crate::forecast::classify::Abc::C => 'C',
        })
        .collect();
    let mut run = PlanningRun {
        as_of: Some(as_of),
        ..Default::default()
    };
    for (k, item) in data.items.iter().enumerate() {
        let history = &histories[k];
        let lifecycle = fc::lifecycle(
            history,
            settings.new_below_weeks as usize,
            settings.dead_after_weeks as usize,
        );
        let record = item
            .vendor_id
            .and_then(|v| data.vendors.get(&(v, item.product_id)));
        let p90 = record.and_then(|r| r.p(0.9));
        // The lead time planned for: the observed p90 when there are
        // receipts, else the vendor's promise, else 14 days. Measured on the
        // default demo's what-if, the observed mean plus the textbook
        // spread term (L·σ_d² + d²·σ_L²) gave more stock-outs than this
        // (docs/forecasting.md); the spread parameter stays 0 until a better
        // estimate of it is measured.
        let (lead_days, lead_sd_days) = (p90.or(item.promised_delay_days).unwrap_or(14.0), 0.0);
        let lead_days = lead_days.max(1.0);
        let lead_time = LeadTime {
            days: lead_days,
            promised_days: item.promised_delay_days,
            observed_p90_days: p90,
            observations: record.map_or(0, |r| r.lead_times.len()),
            vendor: item.vendor.clone(),
        };
        let review = settings.review_period_days as f64;
        let f = fc::forecast_item(
            history,
            lead_days / 7.0,
            lead_sd_days / 7.0,
            FORECAST_WEEKS,
            settings.new_below_weeks as usize,
            settings.dead_after_weeks as usize,
        );
        let abc_letter = abc[k];
        let sl = service_level(settings, abc_letter);
        let demand_per_day = f.mean_per_period / 7.0;
        let recent = recent_change_percent(history);
        let input = ReorderInput {
            lifecycle,
            abc: abc_letter,
            service_level: sl,
            demand_per_day,
            lead_time_demand: f.lead_time_demand.as_ref(),
            lead_time: lead_time.clone(),
            recent_change_percent: recent,
            unit_cost: item.unit_cost,
            vendor_min_qty: item.vendor_min_qty,
            review_period_days: review,
            order_cost: settings.order_cost,
            holding_rate,
            current: item.current.clone(),
            service_evidence: evidence[k],
        };
        let suggestion = reorder::suggest(&input);
        let position = data
            .positions
            .get(&(item.product_id, item.warehouse_id))
            .copied()
            .unwrap_or_default();
        let days_of_cover = (demand_per_day > 0.0)
            .then(|| ((position.on_hand - position.reserved) / demand_per_day).max(0.0));
        run.series.push(ItemSeries {
            product_id: item.product_id,
            warehouse_id: item.warehouse_id,
            first_week: first - Duration::days(first.weekday().num_days_from_monday() as i64),
            history: history.clone(),
            forecast: f.path.clone(),
        });
        run.suggestions.push(SuggestionRow {
            item: item.clone(),
            demand_class: match lifecycle {
                Lifecycle::Dead => "dead".into(),
                Lifecycle::New => "new".into(),
                Lifecycle::Established => f.class.clone(),
            },
            abc: abc_letter,
            abc_value: abc_value[k],
            method: f.method.clone(),
            demand_per_week: f.mean_per_period,
            service_level: sl,
            lead_time,
            vendor_on_time: record
                .filter(|r| !r.lead_times.is_empty())
                .map(|r| r.on_time as f64 / r.lead_times.len() as f64),
            position,
            days_of_cover,
            suggestion,
        });
    }
    run
}

/// Demand of the last 13 weeks against the 13 before (%), when both have demand.
fn recent_change_percent(history: &[f64]) -> Option<f64> {
    if history.len() < 26 {
        return None;
    }
    let n = history.len();
    let recent: f64 = history[n - 13..].iter().sum();
    let before: f64 = history[n - 26..n - 13].iter().sum();
    (before > 0.0).then(|| (recent - before) / before * 100.0)
}

/// Reads the warehouse, computes the suggestions and writes
/// `derived/reorder_suggestion` and `derived/demand_forecast` (each replaced).
pub async fn run(warehouse: &Warehouse) -> Result<PlanningRun> {
    let settings = warehouse.settings()?.planning;
    let data = read(warehouse).await?;
    let run = plan(&data, &settings);
    let computed_at = Utc::now();
    warehouse
        .write_derived(
            SUGGESTION_TABLE,
            suggestion_schema(),
            vec![suggestion_batch(&run, computed_at)?],
            WriteMode::Replace,
        )
        .await?;
    warehouse
        .write_derived(
            FORECAST_TABLE,
            forecast_schema(),
            vec![forecast_batch(&run)?],
            WriteMode::Replace,
        )
        .await?;
    Ok(run)
}

fn dec(scale: i8) -> DataType {
    DataType::Decimal128(38, scale)
}

/// The schema of `derived/reorder_suggestion`.
pub fn suggestion_schema() -> SchemaRef {
    let f = |n: &str, t: DataType, null: bool| Field::new(n, t, null);
    Arc::new(Schema::new(vec![
        f("suggestion_key", DataType::Utf8, false),
        f(
            "computed_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        f("as_of", DataType::Date32, false),
        f("company_id", DataType::Int64, true),
        f("warehouse_id", DataType::Int64, false),
        f("warehouse", DataType::Utf8, false),
        f("product_id", DataType::Int64, false),
        f("product", DataType::Utf8, false),
        f("default_code", DataType::Utf8, true),
        f("location_id", DataType::Int64, true),
        f("trigger", DataType::Utf8, true),
        f("demand_class", DataType::Utf8, false),
        f("abc", DataType::Utf8, false),
        f("abc_value", DataType::Utf8, false),
        f("method", DataType::Utf8, false),
        f("demand_per_week", DataType::Float64, false),
        f("service_level", DataType::Float64, false),
        f("lead_time_days", DataType::Float64, false),
        f("lead_time_p90_days", DataType::Float64, true),
        f("promised_lead_time_days", DataType::Float64, true),
        f("receipts_observed", DataType::Int64, false),
        f("vendor_on_time", DataType::Float64, true),
        f("vendor_id", DataType::Int64, true),
        f("vendor", DataType::Utf8, true),
        f("orderpoint_id", DataType::Int64, true),
        f("current_min_qty", dec(4), true),
        f("current_max_qty", dec(4), true),
        f("current_qty_multiple", dec(4), true),
        f("suggested_min_qty", dec(4), false),
        f("suggested_max_qty", dec(4), false),
        f("suggested_qty_multiple", dec(4), false),
        f("min_change_percent", DataType::Float64, true),
        f("stockout_risk_before", DataType::Float64, true),
        f("stockout_risk_after", DataType::Float64, false),
        f("stock_value_before", dec(2), true),
        f("stock_value_after", dec(2), false),
        f("unit_cost", dec(6), false),
        f("on_hand", DataType::Float64, false),
        f("reserved", DataType::Float64, false),
        f("incoming", DataType::Float64, false),
        f("backorder_qty", DataType::Float64, false),
        f("late_deliveries_28d", DataType::Int64, false),
        f("days_of_cover", DataType::Float64, true),
        f("reason", DataType::Utf8, false),
    ]))
}

/// The schema of `derived/demand_forecast`.
pub fn forecast_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("warehouse_id", DataType::Int64, false),
        Field::new("product_id", DataType::Int64, false),
        Field::new("week", DataType::Date32, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("qty", DataType::Float64, false),
        Field::new("low", DataType::Float64, true),
        Field::new("high", DataType::Float64, true),
    ]))
}

fn scaled(d: Decimal, scale: u32) -> i128 {
    let mut d = d.round_dp(scale);
    d.rescale(scale);
    d.mantissa()
}

fn dec_array(values: Vec<Option<Decimal>>, scale: u32) -> Result<ArrayRef> {
    let v: Vec<Option<i128>> = values
        .into_iter()
        .map(|d| d.map(|d| scaled(d, scale)))
        .collect();
    Ok(Arc::new(
        Decimal128Array::from(v).with_precision_and_scale(38, scale as i8)?,
    ))
}

fn days_since_epoch(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn suggestion_batch(run: &PlanningRun, computed_at: DateTime<Utc>) -> Result<RecordBatch> {
    let s = &run.suggestions;
    let as_of = days_since_epoch(run.as_of.unwrap_or_else(|| computed_at.date_naive()));
    let i64s = |f: &dyn Fn(&SuggestionRow) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from(s.iter().map(f).collect::<Vec<_>>()))
    };
    let opt_i64s = |f: &dyn Fn(&SuggestionRow) -> Option<i64>| -> ArrayRef {
        Arc::new(Int64Array::from(s.iter().map(f).collect::<Vec<_>>()))
    };
    let f64s = |f: &dyn Fn(&SuggestionRow) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from(s.iter().map(f).collect::<Vec<_>>()))
    };
    let opt_f64s = |f: &dyn Fn(&SuggestionRow) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(s.iter().map(f).collect::<Vec<_>>()))
    };
    let strs = |f: &dyn Fn(&SuggestionRow) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(s.iter().map(f).collect::<Vec<_>>()))
    };
    let cur = |r: &SuggestionRow| r.item.current.clone();
    let columns: Vec<ArrayRef> = vec![
        strs(&|r| Some(r.key())),
        Arc::new(
            TimestampMicrosecondArray::from(vec![computed_at.timestamp_micros(); s.len()])
                .with_timezone("UTC"),
        ),
        Arc::new(Date32Array::from(vec![as_of; s.len()])),
        opt_i64s(&|r| r.item.company_id),
        i64s(&|r| r.item.warehouse_id),
        strs(&|r| Some(r.item.warehouse.clone())),
        i64s(&|r| r.item.product_id),
        strs(&|r| Some(r.item.product.clone())),
        strs(&|r| r.item.default_code.clone()),
        opt_i64s(&|r| r.item.location_id),
        strs(&|r| r.item.trigger.clone()),
        strs(&|r| Some(r.demand_class.clone())),
        strs(&|r| Some(r.abc.to_string())),
        strs(&|r| Some(r.abc_value.to_string())),
        strs(&|r| Some(r.method.clone())),
        f64s(&|r| r.demand_per_week),
        f64s(&|r| r.service_level),
        f64s(&|r| r.lead_time.days),
        opt_f64s(&|r| r.lead_time.observed_p90_days),
        opt_f64s(&|r| r.lead_time.promised_days),
        i64s(&|r| r.lead_time.observations as i64),
        opt_f64s(&|r| r.vendor_on_time),
        opt_i64s(&|r| r.item.vendor_id),
        strs(&|r| r.item.vendor.clone()),
        opt_i64s(&|r| cur(r).map(|c| c.orderpoint_id)),
        dec_array(s.iter().map(|r| cur(r).map(|c| c.min)).collect(), 4)?,
        dec_array(s.iter().map(|r| cur(r).map(|c| c.max)).collect(), 4)?,
        dec_array(s.iter().map(|r| cur(r).map(|c| c.multiple)).collect(), 4)?,
        dec_array(s.iter().map(|r| Some(r.suggestion.min)).collect(), 4)?,
        dec_array(s.iter().map(|r| Some(r.suggestion.max)).collect(), 4)?,
        dec_array(s.iter().map(|r| Some(r.suggestion.multiple)).collect(), 4)?,
        opt_f64s(&|r| r.suggestion.min_change_percent),
        opt_f64s(&|r| r.suggestion.stockout_risk_before),
        f64s(&|r| r.suggestion.stockout_risk_after),
        dec_array(
            s.iter().map(|r| r.suggestion.stock_value_before).collect(),
            2,
        )?,
        dec_array(
            s.iter()
                .map(|r| Some(r.suggestion.stock_value_after))
                .collect(),
            2,
        )?,
        dec_array(s.iter().map(|r| Some(r.item.unit_cost)).collect(), 6)?,
        f64s(&|r| r.position.on_hand),
        f64s(&|r| r.position.reserved),
        f64s(&|r| r.position.incoming),
        f64s(&|r| r.position.backorder_qty),
        i64s(&|r| r.position.late_deliveries_28d),
        opt_f64s(&|r| r.days_of_cover),
        strs(&|r| Some(r.suggestion.reason.clone())),
    ];
    Ok(RecordBatch::try_new(suggestion_schema(), columns)?)
}

fn forecast_batch(run: &PlanningRun) -> Result<RecordBatch> {
    let (mut w, mut p, mut week, mut kind, mut qty, mut lo, mut hi) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for s in &run.series {
        let start = days_since_epoch(s.first_week);
        for (k, q) in s.history.iter().enumerate() {
            w.push(s.warehouse_id);
            p.push(s.product_id);
            week.push(start + 7 * k as i32);
            kind.push("history");
            qty.push(*q);
            lo.push(None);
            hi.push(None);
        }
        for (k, (m, l, h)) in s.forecast.iter().enumerate() {
            w.push(s.warehouse_id);
            p.push(s.product_id);
            week.push(start + 7 * (s.history.len() + k) as i32);
            kind.push("forecast");
            qty.push(*m);
            lo.push(Some(*l));
            hi.push(Some(*h));
        }
    }
    Ok(RecordBatch::try_new(
        forecast_schema(),
        vec![
            Arc::new(Int64Array::from(w)),
            Arc::new(Int64Array::from(p)),
            Arc::new(Date32Array::from(week)),
            Arc::new(StringArray::from(kind)),
            Arc::new(Float64Array::from(qty)),
            Arc::new(Float64Array::from(lo)),
            Arc::new(Float64Array::from(hi)),
        ],
    )?)
}

/// The forecast of one item, as the reorder policy needs it.
mod fc {
    use crate::forecast::auto::{self, AutoConfig};
    use crate::forecast::classify::{self, ClassifyConfig, DemandClass};
    use crate::forecast::lead_time::{count_quantile, normal_quantile};
    use crate::reorder::{LeadTimeDemand, Lifecycle};

    /// The per-series choice for stocking: the backtest's candidates without
    /// the zero forecast. A zero forecast scores well on MAE-type measures
    /// for intermittent items, but a rule built on it never buys: for
    /// stocking, the level of demand matters, not the median period.
    fn planning_choice() -> AutoConfig {
        let base = AutoConfig::default();
        let candidates = base.candidates.clone().map(|c| {
            c.into_iter()
                .filter(|m| *m != crate::forecast::Method::Zero)
                .collect()
        });
        AutoConfig {
            candidates,
            min_recent_share: 0.0,
            ..base
        }
    }

    /// What [`forecast_item`] returns.
    pub struct ItemForecast {
        pub mean_per_period: f64,
        pub lead_time_demand: Box<dyn LeadTimeDemand>,
        /// (mean, low, high) per future period, an 80 % interval.
        pub path: Vec<(f64, f64, f64)>,
        pub class: String,
        pub method: String,
    }

    /// Demand over the lead time: normal for smooth and erratic series, a
    /// count distribution (negative binomial, or Poisson when the history is
    /// not over-dispersed) with the history's variance-to-mean ratio for
    /// intermittent and lumpy ones — as `forecast::lead_time` does.
    struct Ltd {
        mean: f64,
        var: f64,
        normal: bool,
    }

    fn normal_cdf(z: f64) -> f64 {
        // Abramowitz & Stegun 7.1.26 on erf, |error| < 1.5e-7
        let x = z.abs() / std::f64::consts::SQRT_2;
        let t = 1.0 / (1.0 + 0.3275911 * x);
        let y = 1.0
            - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
                + 0.254829592)
                * t
                * (-x * x).exp();
        if z >= 0.0 {
            0.5 * (1.0 + y)
        } else {
            0.5 * (1.0 - y)
        }
    }

    impl LeadTimeDemand for Ltd {
        fn mean(&self) -> f64 {
            self.mean
        }
        fn quantile(&self, p: f64) -> f64 {
            if self.mean <= 0.0 {
                return 0.0;
            }
            if self.normal {
                (self.mean + normal_quantile(p) * self.var.sqrt()).max(0.0)
            } else {
                count_quantile(self.mean, self.var, p).0
            }
        }
        fn cdf(&self, x: f64) -> f64 {
            if self.mean <= 0.0 {
                return 1.0;
            }
            if x < 0.0 {
                return 0.0;
            }
            if self.normal {
                let sd = self.var.sqrt();
                return if sd > 0.0 {
                    normal_cdf((x - self.mean) / sd)
                } else if x >= self.mean {
                    1.0
                } else {
                    0.0
                };
            }
            // the same recurrence as count_quantile: NB(r, q) or Poisson
            let (mean, var) = (self.mean, self.var);
            let nb = var > mean * (1.0 + 1e-9);
            let (q, r) = if nb {
                let q = mean / var;
                (q, mean * q / (1.0 - q))
            } else {
                (0.0, 0.0)
            };
            let mut pmf = if nb { q.powf(r) } else { (-mean).exp() };
            let mut cum = pmf;
            let top = x.floor() as u64;
            for k in 0..top {
                let k = k as f64;
                pmf *= if nb {
                    (k + r) / (k + 1.0) * (1.0 - q)
                } else {
                    mean / (k + 1.0)
                };
                cum += pmf;
                if cum >= 1.0 - 1e-12 {
                    return 1.0;
                }
            }
            cum.min(1.0)
        }
    }

    fn class_config(new_below: usize, dead_after: usize) -> ClassifyConfig {
        ClassifyConfig {
            min_history: new_below,
            dead_after,
            ..ClassifyConfig::default()
        }
    }

    pub fn lifecycle(history: &[f64], new_below: usize, dead_after: usize) -> Lifecycle {
        match classify::classify(history, &class_config(new_below, dead_after)) {
            DemandClass::Dead => Lifecycle::Dead,
            DemandClass::New => Lifecycle::New,
            _ => Lifecycle::Established,
        }
    }

    /// Forecasts `weeks` periods with crossdock's per-series choice and
    /// builds the lead-time demand over `lead_periods` (fractional) periods.
    pub fn forecast_item(
        history: &[f64],
        lead_periods: f64,
        lead_sd_periods: f64,
        weeks: usize,
        new_below: usize,
        dead_after: usize,
    ) -> ItemForecast {
        let class = classify::classify(history, &class_config(new_below, dead_after));
        let season = if history.len() >= 104 { 52 } else { 1 };
        let mut out = vec![0.0; weeks.max(1)];
        let method = if history.is_empty() {
            "none".to_string()
        } else {
            auto::forecast_into(history, season, &[], &planning_choice(), &mut out)
        };
        let per_period = if matches!(class, DemandClass::New) {
            // too little history for a method: the mean of what was seen
            history.iter().sum::<f64>() / history.len().max(1) as f64
        } else {
            out.iter().sum::<f64>() / out.len() as f64
        }
        .max(0.0);
        let n = history.len().max(1) as f64;
        let hmean = history.iter().sum::<f64>() / n;
        let hvar = history.iter().map(|v| (v - hmean).powi(2)).sum::<f64>() / n;
        let l = lead_periods.max(1.0 / 7.0);
        let normal = matches!(class, DemandClass::Smooth | DemandClass::Erratic);
        let mean = per_period * l;
        // demand's spread over the lead time plus the lead time's own spread
        // (the textbook L·σ_d² + d²·σ_L²)
        let lead_spread = per_period * per_period * lead_sd_periods * lead_sd_periods;
        let var = if normal {
            hvar * l + lead_spread
        } else {
            let vmr = if hmean > 0.0 { hvar / hmean } else { 1.0 };
            mean * vmr.max(1.0) + lead_spread
        };
        let sd = hvar.sqrt();
        let z = normal_quantile(0.9);
        let path = out
            .iter()
            .map(|&m| {
                let m = m.max(0.0);
                (m, (m - z * sd).max(0.0), m + z * sd)
            })
            .collect();
        ItemForecast {
            mean_per_period: per_period,
            lead_time_demand: Box::new(Ltd { mean, var, normal }),
            path,
            class: class.name().to_string(),
            method,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_normal_cdf_matches_tables() {
            assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
            assert!((normal_cdf(1.6448536) - 0.95).abs() < 1e-6);
            assert!((normal_cdf(-1.2815516) - 0.10).abs() < 1e-6);
        }

        #[test]
        fn count_cdf_and_quantile_agree() {
            for (mean, var) in [(4.0, 4.0), (4.0, 10.0), (0.7, 2.5)] {
                let d = Ltd {
                    mean,
                    var,
                    normal: false,
                };
                for p in [0.5, 0.9, 0.98] {
                    let q = d.quantile(p);
                    assert!(
                        d.cdf(q) >= p - 1e-9,
                        "{mean} {var} {p}: F({q}) = {}",
                        d.cdf(q)
                    );
                    if q >= 1.0 {
                        assert!(d.cdf(q - 1.0) < p, "{mean} {var} {p}: q not the smallest");
                    }
                }
            }
            // Poisson(4): P(X ≤ 2) = 13 e^-4
            let d = Ltd {
                mean: 4.0,
                var: 4.0,
                normal: false,
            };
            assert!((d.cdf(2.0) - 13.0 * (-4.0f64).exp()).abs() < 1e-12);
        }
    }
}

/// Counts per demand class, for the command's summary.
pub fn summary(run: &PlanningRun) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in &run.suggestions {
        *m.entry(s.demand_class.clone()).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekly_and_monthly_buckets() {
        // 2026-01-05 is a Monday
        let days = vec![
            (d(2026, 1, 5), 1.0, 0.0),
            (d(2026, 1, 11), 2.0, 0.0),
            (d(2026, 1, 12), 4.0, 1.0),
            (d(2026, 2, 2), 8.0, 0.0),
        ];
        assert_eq!(
            weekly(&days, d(2026, 1, 7), d(2026, 2, 3)),
            vec![3.0, 4.0, 0.0, 0.0, 8.0]
        );
        assert_eq!(
            monthly(&days, d(2026, 1, 1), d(2026, 3, 1)),
            vec![7.0, 8.0, 0.0]
        );
    }

    #[test]
    fn lead_time_percentiles_by_rank() {
        let r = VendorRecord {
            lead_times: vec![10.0, 2.0, 4.0, 8.0, 6.0],
            on_time: 3,
            in_full: 5,
        };
        assert_eq!(r.p(0.9), Some(10.0));
        assert_eq!(r.p(0.5), Some(6.0));
        assert_eq!(VendorRecord::default().p(0.9), None);
    }

    #[test]
    fn recent_change_needs_two_quarters() {
        let mut h = vec![1.0; 13];
        h.extend(vec![1.3; 13]);
        assert!((recent_change_percent(&h).unwrap() - 30.0).abs() < 1e-9);
        assert_eq!(recent_change_percent(&h[1..]), None);
    }
}
