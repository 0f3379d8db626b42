//! Reorder policy: from a forecast of lead-time demand to an Odoo min/max
//! rule (`stock_warehouse_orderpoint`: `product_min_qty`, `product_max_qty`,
//! `qty_multiple`), compared with the rule in force, with the reason in words.
//!
//! The policy is the classic (s, S) rule with continuous review as Odoo runs
//! it: when the forecasted stock (on hand + incoming − reserved) falls to
//! the **min**, Odoo orders up to the **max**.
//!
//! - **min** (reorder point) = the quantile of demand over the lead time at
//!   the item's target cycle service level (per ABC class: 98 / 95 / 90 % by
//!   default, [`crossdock_warehouse::settings::PlanningSettings`]); the safety
//!   stock is the part above the mean.
//! - **max** = min + the order quantity: the larger of the demand over one
//!   review period and the economic order quantity
//!   `EOQ = sqrt(2 · D · K / (h · c))` (yearly demand D, cost K per order,
//!   holding rate h, unit cost c), at least the vendor's minimum quantity.
//! - both rounded **up** to the rule's multiple (`qty_multiple`, else 1).
//! - **dead** items (no demand for `dead_after_weeks`) get min 0 / max 0 — no
//!   new stock; **new** items (less history than `new_below_weeks`) keep the
//!   rule in force when there is one, else get one from the little demand
//!   seen, flagged for review.
//!
//! Expected stock-out risk per replenishment cycle is `1 − F(min)` of the
//! lead-time demand distribution; the average stock is `min − mean LTD +
//! (max − min) / 2` units (safety stock plus half an order), valued at cost.

use std::fmt::Write as _;

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

/// A distribution of demand over the lead time (units of the product's UoM).
pub trait LeadTimeDemand {
    /// Its mean.
    fn mean(&self) -> f64;
    /// The smallest quantity `q` with `P(demand ≤ q) ≥ p`.
    fn quantile(&self, p: f64) -> f64;
    /// `P(demand ≤ x)`.
    fn cdf(&self, x: f64) -> f64;
}

/// What kind of item the rule is for, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Enough history to forecast.
    Established,
    /// Too little history: the suggestion is tentative.
    New,
    /// No demand for a long time: no stock should be bought.
    Dead,
}

/// The lead time the rule is computed for, and its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadTime {
    /// Days used in the computation: the observed p90, else the promised delay.
    pub days: f64,
    /// The vendor's promised delay (`product_supplierinfo.delay`), if any.
    pub promised_days: Option<f64>,
    /// Observed p90 over the vendor's receipts of this product, if any.
    pub observed_p90_days: Option<f64>,
    /// Receipts observed.
    pub observations: usize,
    /// The vendor's display name.
    pub vendor: Option<String>,
}

/// The rule in force in Odoo.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentRule {
    /// `stock_warehouse_orderpoint.id`.
    pub orderpoint_id: i64,
    /// `product_min_qty`.
    pub min: Decimal,
    /// `product_max_qty`.
    pub max: Decimal,
    /// `qty_multiple`.
    pub multiple: Decimal,
}

/// Everything the policy needs for one product × warehouse.
pub struct ReorderInput<'a> {
    /// Where the item is in its life.
    pub lifecycle: Lifecycle,
    /// ABC class letter ('A', 'B' or 'C').
    pub abc: char,
    /// Target cycle service level, 0..1.
    pub service_level: f64,
    /// Forecast mean demand per day.
    pub demand_per_day: f64,
    /// Demand over the lead time.
    pub lead_time_demand: &'a dyn LeadTimeDemand,
    /// The lead time and its evidence.
    pub lead_time: LeadTime,
    /// Change of demand over the last 13 weeks against the 13 before (%), if known.
    pub recent_change_percent: Option<f64>,
    /// Unit cost (company currency).
    pub unit_cost: Decimal,
    /// The vendor's minimum order quantity (0 when none).
    pub vendor_min_qty: Decimal,
    /// Days between reviews.
    pub review_period_days: f64,
    /// Cost of one order line, for the EOQ.
    pub order_cost: Decimal,
    /// Yearly holding rate (0..1), for the EOQ.
    pub holding_rate: f64,
    /// The rule in force, if any.
    pub current: Option<CurrentRule>,
    /// What put the item in its service class.
    pub service_evidence: ServiceEvidence,
}

/// A suggested rule and what it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReorderSuggestion {
    /// Suggested `product_min_qty`.
    pub min: Decimal,
    /// Suggested `product_max_qty`.
    pub max: Decimal,
    /// Suggested `qty_multiple`.
    pub multiple: Decimal,
    /// Mean demand over the lead time.
    pub lead_time_demand_mean: f64,
    /// Stock-out risk per cycle under the rule in force (None: no rule).
    pub stockout_risk_before: Option<f64>,
    /// Stock-out risk per cycle under the suggestion.
    pub stockout_risk_after: f64,
    /// Expected average stock value under the rule in force (None: no rule).
    pub stock_value_before: Option<Decimal>,
    /// Expected average stock value under the suggestion.
    pub stock_value_after: Decimal,
    /// Change of the min against the rule in force (%; None when new or from 0).
    pub min_change_percent: Option<f64>,
    /// The reason, in plain language, naming the evidence.
    pub reason: String,
}

fn round_up(q: f64, multiple: Decimal) -> Decimal {
    let q = Decimal::from_f64(q.max(0.0)).unwrap_or(Decimal::MAX);
    if multiple <= Decimal::ZERO {
        return q.ceil();
    }
    (q / multiple).ceil() * multiple
}

fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::MAX)
}

/// Expected average stock value of a min/max rule.
fn average_stock_value(min: Decimal, max: Decimal, ltd_mean: f64, unit_cost: Decimal) -> Decimal {
    let units = (to_f64(min) - ltd_mean).max(0.0) + (to_f64(max) - to_f64(min)).max(0.0) / 2.0;
    let units = Decimal::from_f64(units).unwrap_or(Decimal::ZERO);
    (units * unit_cost).round_dp(2)
}

/// The order quantity of a rule before rounding (units): the larger of the
/// demand over one review period and the economic order quantity
/// `EOQ = sqrt(2 · D · K / (h · c))` (yearly demand `D = 365 ·
/// demand_per_day`, cost `K` per order line, holding rate `h`, unit cost
/// `c`), at least the vendor's minimum. The max is the min plus this.
pub fn order_quantity(
    demand_per_day: f64,
    review_period_days: f64,
    unit_cost: Decimal,
    order_cost: Decimal,
    holding_rate: f64,
    vendor_min_qty: Decimal,
) -> f64 {
    let review = demand_per_day * review_period_days;
    let yearly = demand_per_day * 365.0;
    let holding = holding_rate * to_f64(unit_cost);
    let eoq = if holding > 0.0 && yearly > 0.0 {
        (2.0 * yearly * to_f64(order_cost) / holding).sqrt()
    } else {
        0.0
    };
    review.max(eoq).max(to_f64(vendor_min_qty))
}

/// What ranks an item for its service class ([`service_classes`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceEvidence {
    /// Customer order lines per year (over the last 52 weeks of history).
    pub lines_per_year: f64,
    /// Value at cost of one replenishment: unit cost × [`order_quantity`].
    pub order_value: f64,
}

impl ServiceEvidence {
    /// Order lines served per unit of money one replenishment ties up: the
    /// ranking key (infinite for free items with lines, 0 without lines).
    pub fn lines_per_order_value(&self) -> f64 {
        if self.lines_per_year <= 0.0 {
            0.0
        } else if self.order_value <= 0.0 {
            f64::INFINITY
        } else {
            self.lines_per_year / self.order_value
        }
    }
}

/// Service classes for the line fill rate: A, B or C per item.
///
/// The line fill rate counts order lines, and safety stock costs money. One
/// more unit of min on item *i* costs its unit cost `c` in average stock
/// and saves about `n · (1 − F(min)) / Q` short lines a year (`n` order
/// lines a year, `Q` the order quantity, `1 − F(min)` the stock-out risk
/// per cycle: the fill-rate approximation `ESC / Q`). The allocation that
/// fills the most lines for a given stock value equalises that return, so
/// an item's stock-out risk should be in proportion to `c · Q / n`, the
/// value of one replenishment per order line it serves (Teunter, Babai &
/// Syntetos 2010, "ABC classification: service levels and inventory
/// costs", with a shortage counted per line). The classes follow that
/// ranking: items sorted by `n / (c · Q)`, most lines per unit of order
/// value first; **A** while the cumulative share of order lines before the
/// item is below `a_share` (0.8), **B** below `b_share` (0.95), **C**
/// after. Items without lines are C.
pub fn service_classes(items: &[ServiceEvidence], a_share: f64, b_share: f64) -> Vec<char> {
    let total: f64 = items.iter().map(|e| e.lines_per_year.max(0.0)).sum();
    let mut idx: Vec<usize> = (0..items.len()).collect();
    idx.sort_by(|&a, &b| {
        items[b]
            .lines_per_order_value()
            .total_cmp(&items[a].lines_per_order_value())
            .then(a.cmp(&b))
    });
    let mut out = vec!['C'; items.len()];
    let mut cum = 0.0;
    for i in idx {
        let lines = items[i].lines_per_year.max(0.0);
        if total > 0.0 && lines > 0.0 {
            let before = cum / total;
            out[i] = if before < a_share {
                'A'
            } else if before < b_share {
                'B'
            } else {
                'C'
            };
        }
        cum += lines;
    }
    out
}

/// The suggestion for one item.
pub fn suggest(input: &ReorderInput<'_>) -> ReorderSuggestion {
    let multiple = match &input.current {
        Some(r) if r.multiple > Decimal::ZERO => r.multiple,
        _ => Decimal::ONE,
    };
    let ltd = input.lead_time_demand;
    let ltd_mean = ltd.mean();
    let (min, max) = match input.lifecycle {
        Lifecycle::Dead => (Decimal::ZERO, Decimal::ZERO),
        Lifecycle::New | Lifecycle::Established => {
            let yearly = input.demand_per_day * 365.0;
            let order = order_quantity(
                input.demand_per_day,
                input.review_period_days,
                input.unit_cost,
                input.order_cost,
                input.holding_rate,
                input.vendor_min_qty,
            );
            let min = round_up(ltd.quantile(input.service_level), multiple);
            let max = round_up(to_f64(min) + order, multiple);
            let max = if max <= min && yearly > 0.0 {
                min + multiple
            } else {
                max
            };
            (min, max)
        }
    };
    let (min, max) = match (&input.lifecycle, &input.current) {
        (Lifecycle::New, Some(r)) => (r.min, r.max),
        _ => (min, max),
    };
    let risk = |m: Decimal| {
        if ltd_mean <= 0.0 {
            0.0
        } else {
            (1.0 - ltd.cdf(to_f64(m))).clamp(0.0, 1.0)
        }
    };
    let stockout_risk_after = risk(min);
    let stockout_risk_before = input.current.as_ref().map(|r| risk(r.min));
    let stock_value_after = average_stock_value(min, max, ltd_mean, input.unit_cost);
    let stock_value_before = input
        .current
        .as_ref()
        .map(|r| average_stock_value(r.min, r.max, ltd_mean, input.unit_cost));
    let min_change_percent = input.current.as_ref().and_then(|r| {
        (r.min > Decimal::ZERO).then(|| (to_f64(min) - to_f64(r.min)) / to_f64(r.min) * 100.0)
    });
    let reason = reason(input, min, max, ltd_mean);
    ReorderSuggestion {
        min,
        max,
        multiple,
        lead_time_demand_mean: ltd_mean,
        stockout_risk_before,
        stockout_risk_after,
        stock_value_before,
        stock_value_after,
        min_change_percent,
        reason,
    }
}

fn reason(input: &ReorderInput<'_>, min: Decimal, max: Decimal, ltd_mean: f64) -> String {
    let mut parts: Vec<String> = Vec::new();
    match input.lifecycle {
        Lifecycle::Dead => {
            return "no demand in the dead-stock window: buy no more (min 0, max 0)".to_string()
        }
        Lifecycle::New => match &input.current {
            Some(_) => parts
                .push("new item, too little history to judge: the rule in force is kept".into()),
            None => parts.push(
                "new item, too little history: a first rule from the demand seen so far; review it"
                    .into(),
            ),
        },
        Lifecycle::Established => {}
    }
    if let Some(change) = input.recent_change_percent {
        if change.abs() >= 10.0 {
            let dir = if change > 0.0 { "up" } else { "down" };
            parts.push(format!(
                "demand {dir} {:.0} % over the last quarter",
                change.abs()
            ));
        }
    }
    let lt = &input.lead_time;
    let vendor = lt.vendor.as_deref().unwrap_or("the vendor");
    match (lt.observed_p90_days, lt.promised_days) {
        (Some(p90), Some(promised)) if p90 > promised * 1.2 => parts.push(format!(
            "{vendor}'s lead time observed {p90:.0} days p90 against {promised:.0} promised ({} receipts)",
            lt.observations
        )),
        (Some(p90), _) => parts.push(format!(
            "{vendor}'s lead time {p90:.0} days p90 over {} receipts",
            lt.observations
        )),
        (None, Some(promised)) => parts.push(format!(
            "{vendor}'s promised lead time {promised:.0} days (no receipts observed yet)"
        )),
        (None, None) => parts.push(format!("lead time {:.0} days assumed", lt.days)),
    }
    let e = &input.service_evidence;
    parts.push(format!(
        "class {} by order lines per order value ({:.0} lines a year, one order worth {:.0}), {:.0} % service",
        input.abc,
        e.lines_per_year,
        e.order_value,
        input.service_level * 100.0
    ));
    let mut text = parts.join("; ");
    let _ = write!(
        text,
        ". Lead-time demand {ltd_mean:.1} on average: min {} covers it at the target, max {} adds one order",
        min.normalize(),
        max.normalize()
    );
    if let Some(r) = &input.current {
        let _ = write!(
            text,
            " (in force: min {}, max {})",
            r.min.normalize(),
            r.max.normalize()
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Poisson lead-time demand, for hand-checkable numbers.
    struct Poisson(f64);
    impl LeadTimeDemand for Poisson {
        fn mean(&self) -> f64 {
            self.0
        }
        fn cdf(&self, x: f64) -> f64 {
            if x < 0.0 {
                return 0.0;
            }
            let (mut p, mut sum) = ((-self.0).exp(), 0.0);
            for k in 0..=(x.floor() as u64) {
                if k > 0 {
                    p *= self.0 / k as f64;
                }
                sum += p;
            }
            sum
        }
        fn quantile(&self, p: f64) -> f64 {
            (0..).map(|k| k as f64).find(|&k| self.cdf(k) >= p).unwrap()
        }
    }

    fn input(ltd: &Poisson) -> ReorderInput<'_> {
        ReorderInput {
            lifecycle: Lifecycle::Established,
            abc: 'A',
            service_level: 0.95,
            demand_per_day: 0.5,
            lead_time_demand: ltd,
            lead_time: LeadTime {
                days: 8.0,
                promised_days: Some(5.0),
                observed_p90_days: Some(8.0),
                observations: 6,
                vendor: Some("Acme".into()),
            },
            recent_change_percent: Some(30.0),
            unit_cost: Decimal::from(10),
            vendor_min_qty: Decimal::from(12),
            review_period_days: 7.0,
            order_cost: Decimal::ZERO,
            holding_rate: 0.2,
            current: Some(CurrentRule {
                orderpoint_id: 7,
                min: Decimal::from(2),
                max: Decimal::from(10),
                multiple: Decimal::from(5),
            }),
            service_evidence: ServiceEvidence {
                lines_per_year: 52.0,
                order_value: 120.0,
            },
        }
    }

    #[test]
    fn min_is_the_service_quantile_and_max_adds_an_order_rounded_to_the_multiple() {
        // Poisson(4): P(X≤7) = 0.9489, P(X≤8) = 0.9786, so the 95 % quantile is 8;
        // rounded up to the multiple 5 → 10. Order: max(review 3.5, EOQ 0, vendor 12) = 12
        // → 10 + 12 = 22 → 25.
        let ltd = Poisson(4.0);
        let s = suggest(&input(&ltd));
        assert_eq!(s.min, Decimal::from(10));
        assert_eq!(s.max, Decimal::from(25));
        assert_eq!(s.multiple, Decimal::from(5));
        // risk before: 1 - P(X≤2) = 1 - 13 e^-4 = 0.7619
        assert!((s.stockout_risk_before.unwrap() - 0.7619).abs() < 1e-3);
        // after: 1 - P(X≤10) = 0.00284
        assert!((s.stockout_risk_after - 0.00284).abs() < 1e-4);
        // value after: (10 - 4) + (25 - 10)/2 = 13.5 units × 10 = 135
        assert_eq!(s.stock_value_after, Decimal::from(135));
        // before: max(2 - 4, 0) + (10 - 2)/2 = 4 units → 40
        assert_eq!(s.stock_value_before, Some(Decimal::from(40)));
        assert_eq!(s.min_change_percent, Some(400.0));
        assert!(
            s.reason.contains("demand up 30 % over the last quarter"),
            "{}",
            s.reason
        );
        assert!(
            s.reason
                .contains("Acme's lead time observed 8 days p90 against 5 promised"),
            "{}",
            s.reason
        );
        assert!(
            s.reason.contains(
                "class A by order lines per order value (52 lines a year, one order worth 120), 95 % service"
            ),
            "{}",
            s.reason
        );
    }

    #[test]
    fn eoq_drives_the_max_when_orders_are_expensive() {
        // D = 0.5 × 365 = 182.5 a year, K = 50, h·c = 0.2 × 10 = 2:
        // EOQ = sqrt(2 × 182.5 × 50 / 2) = 95.52 → 10 + 95.52 = 105.52 → 110 (multiple 5).
        let ltd = Poisson(4.0);
        let mut i = input(&ltd);
        i.order_cost = Decimal::from(50);
        assert_eq!(suggest(&i).max, Decimal::from(110));
    }

    #[test]
    fn dead_items_get_no_stock_and_new_items_keep_the_rule_in_force() {
        let ltd = Poisson(4.0);
        let mut i = input(&ltd);
        i.lifecycle = Lifecycle::Dead;
        let s = suggest(&i);
        assert_eq!((s.min, s.max), (Decimal::ZERO, Decimal::ZERO));
        assert!(s.reason.starts_with("no demand"), "{}", s.reason);
        i.lifecycle = Lifecycle::New;
        let s = suggest(&i);
        assert_eq!((s.min, s.max), (Decimal::from(2), Decimal::from(10)));
        assert!(s.reason.contains("new item"), "{}", s.reason);
    }

    #[test]
    fn order_quantity_is_the_larger_of_review_demand_and_eoq_at_least_the_vendor_min() {
        let q = |d: f64, cost: i64, k: i64, min: i64| {
            order_quantity(
                d,
                7.0,
                Decimal::from(cost),
                Decimal::from(k),
                0.2,
                Decimal::from(min),
            )
        };
        // no order cost: the review period's demand, 2/day × 7
        assert!((q(2.0, 10, 0, 0) - 14.0).abs() < 1e-9);
        // EOQ = sqrt(2 × 730 × 25 / (0.2 × 10)) = sqrt(18250) = 135.1
        assert!((q(2.0, 10, 25, 0) - 18250f64.sqrt()).abs() < 1e-9);
        // dear: EOQ = sqrt(2 × 730 × 25 / (0.2 × 10000)) = 4.27 < 14
        assert!((q(2.0, 10_000, 25, 0) - 14.0).abs() < 1e-9);
        assert!((q(2.0, 10_000, 25, 50) - 50.0).abs() < 1e-9);
        assert_eq!(q(0.0, 10, 25, 0), 0.0);
    }

    fn ev(lines_per_year: f64, order_value: f64) -> ServiceEvidence {
        ServiceEvidence {
            lines_per_year,
            order_value,
        }
    }

    #[test]
    fn service_classes_rank_by_lines_per_order_value_and_split_by_share_of_lines() {
        // lines per unit of order value: 100/50 = 2, 60/600 = 0.1, 30/30 = 1,
        // 10/1000 = 0.01, none. Ranked: items 0, 2, 1, 3; the shares of the
        // 200 lines before each: 0 → A, 50 % → A, 65 % → A, 95 % → C; no lines → C.
        let items = [
            ev(100.0, 50.0),
            ev(60.0, 600.0),
            ev(30.0, 30.0),
            ev(10.0, 1000.0),
            ev(0.0, 10.0),
        ];
        assert_eq!(
            service_classes(&items, 0.8, 0.95),
            vec!['A', 'A', 'A', 'C', 'C']
        );
        // tighter shares: A below 50 %, B below 70 %
        assert_eq!(
            service_classes(&items, 0.5, 0.7),
            vec!['A', 'B', 'B', 'C', 'C']
        );
        // the item with the most lines but a dear order ranks after a cheap
        // one: 1000 lines / 10,000 = 0.1 against 100 / 10 = 10; 100 of the
        // 1100 lines (9 %) come before it
        let items = [ev(1000.0, 10_000.0), ev(100.0, 10.0)];
        assert_eq!(service_classes(&items, 0.05, 0.08), vec!['C', 'A']);
        // free items with lines come first; nothing at all → all C
        assert_eq!(ev(5.0, 0.0).lines_per_order_value(), f64::INFINITY);
        assert_eq!(service_classes(&[ev(0.0, 0.0)], 0.8, 0.95), vec!['C']);
        assert!(service_classes(&[], 0.8, 0.95).is_empty());
    }

    #[test]
    fn without_a_rule_in_force_there_is_no_before() {
        let ltd = Poisson(4.0);
        let mut i = input(&ltd);
        i.current = None;
        let s = suggest(&i);
        // multiple 1: min 8, max 8 + 12 = 20
        assert_eq!((s.min, s.max), (Decimal::from(8), Decimal::from(20)));
        assert_eq!(s.stockout_risk_before, None);
        assert_eq!(s.stock_value_before, None);
    }
}
