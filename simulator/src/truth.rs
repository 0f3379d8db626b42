//! Ground truth: the sales KPIs computed from the simulator's own records
//! (orders, lines and the deliveries it performed), never from its rows.
//! Definitions follow the KPI SQL to the letter; see [`KpiTruth`].

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::*;
use super::World;

/// The sales KPIs per (channel, month of the confirmation), as of a commit time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroundTruth {
    /// Commit time (µs since the epoch, UTC) of the last transaction returned.
    pub as_of: i64,
    /// (crm_team en_US name, "YYYY-MM" of sale_order.date_order in UTC) -> KPIs.
    pub cells: BTreeMap<(String, String), KpiTruth>,
}

/// KPI inputs of one cell. "Confirmed" lines are the product lines
/// (display_type NULL, not down payments) of orders whose state is 'sale'.
/// "Done delivery moves" of a line are its stock moves in state 'done' into a
/// customer location that are not returns.
#[derive(Default, Clone, Debug, PartialEq)]
pub struct KpiTruth {
    /// Confirmed product lines.
    pub lines_confirmed: u64,
    /// Confirmed lines with at least one done delivery move.
    pub lines_shipped: u64,
    /// Shipped lines whose first shipment (all done delivery moves at the
    /// earliest move date) covered the ordered quantity.
    pub lines_filled: u64,
    /// Σ product_uom_qty over shipped lines.
    pub units_ordered_shipped: Decimal,
    /// Σ min(first shipment quantity, product_uom_qty) over shipped lines.
    pub units_first_shipment: Decimal,
    /// Confirmed orders whose deadline (latest line deadline: commitment_date,
    /// else date_order + customer_lead days) is at or before `as_of`.
    pub orders_due: u64,
    /// Due orders where every line had its quantity delivered by its deadline.
    pub orders_otif: u64,
    /// For confirmed orders delivered in full: last delivery date − date_order
    /// (µs), sorted ascending.
    pub cycle_times_us: Vec<i64>,
    /// Σ price_subtotal of confirmed lines.
    pub revenue: Decimal,
    /// Σ purchase_price × product_uom_qty of confirmed lines.
    pub cost: Decimal,
    /// Σ price_unit × qty × (discount − channel max discount) × 0.01 over lines
    /// with a discount above the channel's policy.
    pub leak_over_discount: Decimal,
    /// Σ (list_price − price_unit) × qty over lines priced under the current
    /// list price of their product.
    pub leak_below_pricelist: Decimal,
    /// Σ (purchase_price × qty − price_subtotal) over lines sold below cost.
    pub leak_below_cost: Decimal,
}

impl KpiTruth {
    /// Adds another cell into this one (cycle times are merged and re-sorted).
    pub fn merge(&mut self, other: &KpiTruth) {
        self.lines_confirmed += other.lines_confirmed;
        self.lines_shipped += other.lines_shipped;
        self.lines_filled += other.lines_filled;
        self.units_ordered_shipped += other.units_ordered_shipped;
        self.units_first_shipment += other.units_first_shipment;
        self.orders_due += other.orders_due;
        self.orders_otif += other.orders_otif;
        self.cycle_times_us.extend_from_slice(&other.cycle_times_us);
        self.cycle_times_us.sort_unstable();
        self.revenue += other.revenue;
        self.cost += other.cost;
        self.leak_over_discount += other.leak_over_discount;
        self.leak_below_pricelist += other.leak_below_pricelist;
        self.leak_below_cost += other.leak_below_cost;
    }
}

impl KpiTruth {
    /// What the KPI field `name` (a field of the warehouse's KPI registry,
    /// `crossdock_warehouse::kpi::REGISTRY`) must report for this cell, as
    /// the JSON API writes it: an integer, a float, an exact decimal string,
    /// or null (a ratio over nothing, a percentile of no orders). None for a
    /// field it does not know: a new KPI field needs its truth here.
    pub fn field(&self, name: &str) -> Option<serde_json::Value> {
        use rust_decimal::prelude::ToPrimitive;
        use serde_json::Value;
        let int = |v: u64| Value::from(v);
        let ratio = |a: f64, b: f64| {
            if b == 0.0 {
                Value::Null
            } else {
                Value::from(a / b)
            }
        };
        let dec = |d: Decimal| Value::from(d.normalize().to_string());
        let f = |d: Decimal| d.to_f64().expect("a decimal converts to f64");
        let shipped = self.lines_shipped > 0;
        let rank = |p: f64| percentile_nearest_rank(&self.cycle_times_us, p);
        let days =
            |p: f64| rank(p).map_or(Value::Null, |v| Value::from(v as f64 / 86_400_000_000.0));
        let margin = self.revenue - self.cost;
        Some(match name {
            "lines_shipped" => int(self.lines_shipped),
            "lines_filled" => int(self.lines_filled),
            "line_fill_rate" => ratio(self.lines_filled as f64, self.lines_shipped as f64),
            "units_ordered_shipped" if shipped => dec(self.units_ordered_shipped),
            "units_first_shipment" if shipped => dec(self.units_first_shipment),
            "units_ordered_shipped" | "units_first_shipment" => Value::Null,
            "unit_fill_rate" => ratio(f(self.units_first_shipment), f(self.units_ordered_shipped)),
            "orders_due" => int(self.orders_due),
            "orders_otif" => int(self.orders_otif),
            "otif" => ratio(self.orders_otif as f64, self.orders_due as f64),
            "orders_delivered" => int(self.cycle_times_us.len() as u64),
            "cycle_p50_us" => rank(0.5).map_or(Value::Null, Value::from),
            "cycle_p90_us" => rank(0.9).map_or(Value::Null, Value::from),
            "cycle_p50_days" => days(0.5),
            "cycle_p90_days" => days(0.9),
            "revenue" => dec(self.revenue),
            "cost" => dec(self.cost),
            "gross_margin" => dec(margin),
            "margin_pct" => ratio(f(margin), f(self.revenue)),
            "leak_over_discount" => dec(self.leak_over_discount),
            "leak_below_pricelist" => dec(self.leak_below_pricelist),
            "leak_below_cost" => dec(self.leak_below_cost),
            _ => return None,
        })
    }
}

impl GroundTruth {
    /// The KPIs per channel, all months merged.
    pub fn by_channel(&self) -> BTreeMap<String, KpiTruth> {
        let mut out: BTreeMap<String, KpiTruth> = BTreeMap::new();
        for ((channel, _), k) in &self.cells {
            out.entry(channel.clone()).or_default().merge(k);
        }
        out
    }

    /// Every cell merged.
    pub fn total(&self) -> KpiTruth {
        let mut out = KpiTruth::default();
        for k in self.cells.values() {
            out.merge(k);
        }
        out
    }
}

/// The value at rank ceil(p·n) (1-based) of sorted values; `None` when empty.
/// `p` is a fraction (0.5 for the median); p ≤ 0 gives the first value.
pub fn percentile_nearest_rank(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // p·n computed in floating point can land a hair above an integer
    // (0.9 × 70 = 63.00000000000001): such values count as that integer.
    let x = p * n as f64;
    let rank = if (x - x.round()).abs() < 1e-9 {
        x.round()
    } else {
        x.ceil()
    } as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

fn month_of(t: i64) -> String {
    chrono::DateTime::from_timestamp_micros(t)
        .expect("valid time")
        .format("%Y-%m")
        .to_string()
}

pub(super) fn compute(w: &World, as_of: i64) -> GroundTruth {
    compute_where(w, as_of, |_| true)
}

/// [`compute`] over the confirmed orders `keep` accepts (the what-if keeps
/// the orders confirmed in its window).
pub(super) fn compute_where(w: &World, as_of: i64, keep: impl Fn(&Order) -> bool) -> GroundTruth {
    let mut cells: BTreeMap<(String, String), KpiTruth> = BTreeMap::new();
    for o in &w.orders {
        if o.state != SoState::Sale || !keep(o) {
            continue;
        }
        let lines: Vec<&Line> = o
            .lines
            .iter()
            .map(|&l| &w.lines[l])
            .filter(|l| l.product.is_some() && !l.deleted)
            .collect();
        if lines.is_empty() {
            continue;
        }
        let prof = &PROFILES[o.channel];
        let k = cells
            .entry((prof.name.to_string(), month_of(o.date_order)))
            .or_default();
        let max_disc = prof.max_disc_h;
        let mut order_deadline = i64::MIN;
        let mut on_time_all = true;
        let mut full_all = true;
        let mut last_delivery = i64::MIN;
        for l in &lines {
            let pi = l.product.expect("filtered");
            let q = l.qty;
            k.lines_confirmed += 1;
            k.revenue += Decimal::new(l.subtotal_c, 2);
            let cost_c = l.pp_c as i128 * q as i128;
            k.cost += Decimal::from_i128_with_scale(cost_c, 2);
            if l.disc_h > max_disc {
                let v = l.price_c as i128 * q as i128 * (l.disc_h - max_disc) as i128;
                k.leak_over_discount += Decimal::from_i128_with_scale(v, 6);
            }
            let list = w.products[pi].list_c;
            if l.price_c < list {
                k.leak_below_pricelist +=
                    Decimal::from_i128_with_scale((list - l.price_c) as i128 * q as i128, 2);
            }
            if (l.subtotal_c as i128) < cost_c {
                k.leak_below_cost +=
                    Decimal::from_i128_with_scale(cost_c - l.subtotal_c as i128, 2);
            }
            // deliveries
            let deadline = o.commitment.unwrap_or(o.date_order + o.lead_days * DAY);
            order_deadline = order_deadline.max(deadline);
            let delivered: i64 = l.deliveries.iter().map(|d| d.1).sum();
            let on_time: i64 = l
                .deliveries
                .iter()
                .filter(|d| d.0 <= deadline)
                .map(|d| d.1)
                .sum();
            if on_time < q {
                on_time_all = false;
            }
            if delivered < q {
                full_all = false;
            }
            if let Some(t1) = l.deliveries.iter().map(|d| d.0).min() {
                let first: i64 = l.deliveries.iter().filter(|d| d.0 == t1).map(|d| d.1).sum();
                k.lines_shipped += 1;
                k.units_ordered_shipped += Decimal::from(q);
                k.units_first_shipment += Decimal::from(first.min(q));
                if first >= q {
                    k.lines_filled += 1;
                }
                let last = l.deliveries.iter().map(|d| d.0).max().expect("non-empty");
                last_delivery = last_delivery.max(last);
            }
        }
        if order_deadline <= as_of {
            k.orders_due += 1;
            if on_time_all {
                k.orders_otif += 1;
            }
        }
        if full_all {
            k.cycle_times_us.push(last_delivery - o.date_order);
        }
    }
    for k in cells.values_mut() {
        k.cycle_times_us.sort_unstable();
    }
    GroundTruth { as_of, cells }
}
