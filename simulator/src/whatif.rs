//! What-if: the same next days of business under two sets of reordering
//! rules, side by side.
//!
//! [`compare`] forks a simulation twice at [`Simulator::now`], leaves one
//! fork on its current rules (`stock_warehouse_orderpoint` as it stands),
//! gives the other the suggested ones, runs both for the same number of
//! days and measures each over that window only ([`BranchMetrics`]).
//!
//! It is a fair comparison because customer demand has a generator stream
//! of its own (see the crate documentation): both forks receive the same
//! quotations, lines, quantities, requested dates and confirmations, so the
//! difference in the two columns is the rules', not chance's. The one thing
//! customers do that can differ is a late cancellation: Odoo refuses to
//! cancel an order once something of it shipped, and what has shipped
//! depends on the stock. `units_ordered` (lines of orders confirmed in the
//! window, cancelled later or not) is therefore equal in both columns, a
//! check the `crossdock reorder whatif` command prints.
//!
//! ```
//! use crossdock_simulator::{whatif, Simulator, SimulatorConfig};
//!
//! let mut sim = Simulator::new(SimulatorConfig {
//!     days: 10, orders_per_day: 20, products: 20, ..Default::default()
//! })?;
//! sim.run_to_end(); // the history; the what-if goes past its end
//! let mut rules = sim.orderpoints();
//! for r in &mut rules {
//!     r.product_min_qty *= rust_decimal::Decimal::TWO;
//!     r.product_max_qty *= rust_decimal::Decimal::TWO;
//! }
//! let result = whatif::compare(&sim, 7, &rules)?;
//! assert_eq!(result.current.units_ordered, result.suggested.units_ordered);
//! println!("{}", serde_json::to_string_pretty(&result).unwrap());
//! # Ok::<(), crossdock_simulator::SimulatorError>(())
//! ```

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::*;
use super::{Simulator, World};
use crate::error::{Result, SimulatorError};

/// A reordering rule (`stock_warehouse_orderpoint`) with Odoo's ids and
/// column names. Quantities are in the product's unit of measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderpointRule {
    /// stock_warehouse_orderpoint.id.
    pub orderpoint_id: i64,
    /// stock_warehouse.id.
    pub warehouse_id: i64,
    /// product_product.id.
    pub product_id: i64,
    /// The reorder point: replenish when the forecast falls below it.
    pub product_min_qty: Decimal,
    /// Order up to this forecast.
    pub product_max_qty: Decimal,
    /// Order in multiples of this (0 or 1: any quantity).
    pub qty_multiple: Decimal,
}

/// One branch of a what-if, measured over the window only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchMetrics {
    /// Sale orders confirmed in the window (cancelled later or not).
    pub orders_confirmed: u64,
    /// Product lines of those orders.
    pub lines_ordered: u64,
    /// Units of those lines: what customers asked for. Equal in both
    /// branches by construction (the fairness check).
    pub units_ordered: i64,
    /// Product lines of the orders confirmed in the window and still
    /// confirmed at its end (the ground truth's `lines_confirmed`).
    pub lines_confirmed: u64,
    /// Of those, lines with a delivery by the end of the window.
    pub lines_shipped: u64,
    /// Shipped lines whose first delivery covered the ordered quantity.
    pub lines_filled: u64,
    /// `lines_filled / lines_shipped`, the line fill rate as the KPIs and
    /// the ground truth define it; `None` when nothing shipped.
    pub line_fill_rate: Option<f64>,
    /// Units of the first deliveries over units of the shipped lines.
    pub unit_fill_rate: Option<f64>,
    /// Orders confirmed in the window that were due by its end.
    pub orders_due: u64,
    /// Of those, orders delivered in full by their deadline.
    pub orders_otif: u64,
    /// `orders_otif / orders_due`.
    pub otif: Option<f64>,
    /// Warehouse × product × day with nothing on hand at the end of the day
    /// while customers' deliveries of the product were open (waiting).
    pub stockouts: u64,
    /// Mean over the window's days of the end-of-day stock value: Σ on hand
    /// × the product's cost (standard price) in every warehouse's stock,
    /// rounded to cents.
    pub average_stock_value: Decimal,
    /// Purchase orders (RFQs) created in the window.
    pub purchase_orders: u64,
    /// Purchase order lines created in the window.
    pub purchase_order_lines: u64,
    /// Units put on purchase order lines in the window (new lines and
    /// quantities added to open RFQs' lines).
    pub units_purchased: i64,
}

/// The result of [`compare`]: one window, two branches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatIf {
    /// Start of the window (µs since the epoch, UTC): the base's [`Simulator::now`].
    pub from_us: i64,
    /// End of the window (excluded).
    pub to_us: i64,
    /// Length of the window in days.
    pub days: u32,
    /// Suggested rules whose values differ from the current ones.
    pub rules_changed: usize,
    /// Under the current rules.
    pub current: BranchMetrics,
    /// Under the suggested rules.
    pub suggested: BranchMetrics,
}

/// Replays the `days` days after `base`'s [`Simulator::now`] twice, from
/// the same state and seed: once under the current reordering rules, once
/// with `suggested` applied (matched by warehouse and product; rules not
/// listed stay as they are). The simulation is extended past the end of
/// its period when needed, so `base` can be a finished history. `base` is
/// not changed.
///
/// Errors: `days` of 0 or beyond the simulator's limit, a suggested rule
/// for a pair without a rule, listed twice, with another orderpoint id
/// than the simulator's (suggestions from another database), or with
/// values [`Simulator::set_orderpoint`] refuses.
pub fn compare(base: &Simulator, days: u32, suggested: &[OrderpointRule]) -> Result<WhatIf> {
    if days == 0 {
        return Err(SimulatorError::Config {
            message: "what-if: days must be at least 1".into(),
        });
    }
    let from = base.now();
    let to = from + days as i64 * DAY;
    let mut current = base.fork();
    if current.end() < to {
        let missing = (to - current.end() + DAY - 1) / DAY;
        current.extend(u32::try_from(missing).map_err(|_| SimulatorError::Config {
            message: format!("what-if: {days} days is too long"),
        })?)?;
    }
    let mut other = current.fork();
    let rules_changed = apply_rules(&mut other, suggested)?;
    Ok(WhatIf {
        from_us: from,
        to_us: to,
        days,
        rules_changed,
        current: run_branch(current, days)?,
        suggested: run_branch(other, days)?,
    })
}

/// Applies rules to a fork; how many changed something.
fn apply_rules(sim: &mut Simulator, rules: &[OrderpointRule]) -> Result<usize> {
    let mut seen = BTreeSet::new();
    let mut changed = 0;
    let current = sim.orderpoints();
    for r in rules {
        let bad = |message: String| SimulatorError::Orderpoint {
            warehouse_id: r.warehouse_id,
            product_id: r.product_id,
            message,
        };
        if !seen.insert((r.warehouse_id, r.product_id)) {
            return Err(bad("suggested twice".into()));
        }
        let Some(now) = current
            .iter()
            .find(|c| c.warehouse_id == r.warehouse_id && c.product_id == r.product_id)
        else {
            return Err(SimulatorError::UnknownOrderpoint {
                warehouse_id: r.warehouse_id,
                product_id: r.product_id,
            });
        };
        if now.orderpoint_id != r.orderpoint_id {
            return Err(bad(format!(
                "the suggestion names orderpoint id {} but the simulator's rule is id {} \
                 (suggestions from another database or seed?)",
                r.orderpoint_id, now.orderpoint_id
            )));
        }
        if now != r {
            changed += 1;
        }
        sim.set_orderpoint(
            r.warehouse_id,
            r.product_id,
            r.product_min_qty,
            r.product_max_qty,
            r.qty_multiple,
        )?;
    }
    Ok(changed)
}

/// Runs one branch for `days` days from its now and measures the window.
fn run_branch(mut sim: Simulator, days: u32) -> Result<BranchMetrics> {
    let from = sim.now();
    let to = from + days as i64 * DAY;
    let (pos0, lines0) = (sim.w.pos.len(), sim.w.po_lines.len());
    let units0: i64 = sim.w.po_lines.iter().map(|l| l.qty).sum();
    let mut stockouts = 0u64;
    let mut value_c: i128 = 0;
    for k in 1..=days as i64 {
        sim.run_until(from + k * DAY);
        let w = &sim.w;
        for (wi, cells) in w.stock.iter().enumerate() {
            let ci = w.warehouses[wi].company;
            for (pi, cell) in cells.iter().enumerate() {
                if cell.qty <= 0 && cell.open_out > 0 {
                    stockouts += 1;
                }
                value_c += cell.qty as i128 * w.products[pi].cost_c[ci] as i128;
            }
        }
    }
    let w = &sim.w;
    let in_window = |o: &Order| o.confirmed.is_some_and(|t| from <= t && t < to);
    let (mut orders_confirmed, mut lines_ordered, mut units_ordered) = (0u64, 0u64, 0i64);
    for o in w.orders.iter().filter(|o| in_window(o)) {
        orders_confirmed += 1;
        for &l in &o.lines {
            let ln = &w.lines[l];
            if ln.product.is_some() && !ln.deleted {
                lines_ordered += 1;
                units_ordered += ln.qty;
            }
        }
    }
    let k = super::truth::compute_where(w, to, in_window).total();
    let field = |name: &str| k.field(name).and_then(|v| v.as_f64());
    let average = Decimal::from_i128_with_scale(value_c, 2) / Decimal::from(days);
    Ok(BranchMetrics {
        orders_confirmed,
        lines_ordered,
        units_ordered,
        lines_confirmed: k.lines_confirmed,
        lines_shipped: k.lines_shipped,
        lines_filled: k.lines_filled,
        line_fill_rate: field("line_fill_rate"),
        unit_fill_rate: field("unit_fill_rate"),
        orders_due: k.orders_due,
        orders_otif: k.orders_otif,
        otif: field("otif"),
        stockouts,
        average_stock_value: average.round_dp(2),
        purchase_orders: (w.pos.len() - pos0) as u64,
        purchase_order_lines: (w.po_lines.len() - lines0) as u64,
        units_purchased: w.po_lines.iter().map(|l| l.qty).sum::<i64>() - units0,
    })
}

impl World {
    /// Every reordering rule, in id order.
    pub(super) fn orderpoint_rules(&self) -> Vec<OrderpointRule> {
        let mut rules: Vec<OrderpointRule> = self
            .orderpoints
            .iter()
            .map(|o| OrderpointRule {
                orderpoint_id: o.id,
                warehouse_id: self.warehouses[o.wh].id,
                product_id: self.products[o.product].id,
                product_min_qty: Decimal::from(o.min),
                product_max_qty: Decimal::from(o.max),
                qty_multiple: Decimal::from(o.mult),
            })
            .collect();
        rules.sort_by_key(|r| r.orderpoint_id);
        rules
    }

    /// See [`Simulator::set_orderpoint`]; the changes of the write, if any.
    pub(super) fn set_orderpoint(
        &mut self,
        warehouse_id: i64,
        product_id: i64,
        min: Decimal,
        max: Decimal,
        multiple: Decimal,
    ) -> Result<Option<Vec<crossdock_change::Change>>> {
        let unknown = SimulatorError::UnknownOrderpoint {
            warehouse_id,
            product_id,
        };
        let w = self.warehouses.iter().position(|w| w.id == warehouse_id);
        let pi = self.products.iter().position(|p| p.id == product_id);
        let (Some(w), Some(pi)) = (w, pi) else {
            return Err(unknown);
        };
        let Some(op) = self.stock[w][pi].orderpoint else {
            return Err(unknown);
        };
        let bad = |message: String| SimulatorError::Orderpoint {
            warehouse_id,
            product_id,
            message,
        };
        let whole = |name: &str, v: Decimal| -> Result<i64> {
            if v.is_sign_negative() && !v.is_zero() {
                return Err(bad(format!("{name} {v} is negative")));
            }
            if !v.fract().is_zero() {
                return Err(bad(format!(
                    "{name} {v} is not a whole number (the simulator counts whole units; round it up first)"
                )));
            }
            i64::try_from(v.trunc()).map_err(|_| bad(format!("{name} {v} is too large")))
        };
        let (min, max, mult) = (
            whole("product_min_qty", min)?,
            whole("product_max_qty", max)?,
            whole("qty_multiple", multiple)?,
        );
        if min > max {
            return Err(bad(format!(
                "product_min_qty {min} is above product_max_qty {max}"
            )));
        }
        let ci = self.warehouses[w].company;
        self.db.now = self.now;
        self.db.begin(self.companies[ci].buyer);
        let o = &mut self.orderpoints[op];
        (o.min, o.max, o.mult) = (min, max, mult);
        let id = o.id;
        let c = &self.c.op;
        let mut vals = vec![
            (c.product_min_qty, qty(min)),
            (c.product_max_qty, qty(max)),
            (c.qty_multiple, qty(mult)),
        ];
        // a manual rule shows what to order; the simulator keeps it current
        if !self.orderpoints[op].auto {
            let s = self.suggestion(op);
            self.orderpoints[op].qty_to_order = s;
            vals.push((self.c.op.qty_to_order, qty(s)));
        }
        self.db.set(self.c.op.tid, id, vals);
        if self.db.changes.is_empty() {
            Ok(None)
        } else {
            Ok(Some(self.db.take_changes()))
        }
    }
}

#[cfg(test)]
mod tests;
