use super::*;
use crate::SimulatorConfig;
use crossdock_change::event::{Op, Transaction, Value};

/// A small company: 30 products, 20 quotations a day, 2 warehouses.
fn config(seed: u64, days: u32) -> SimulatorConfig {
    SimulatorConfig {
        seed,
        days,
        orders_per_day: 20,
        products: 30,
        ..Default::default()
    }
}

/// A simulation run through `days` days of history.
fn history(seed: u64, days: u32) -> Simulator {
    let mut sim = Simulator::new(config(seed, days)).expect("valid config");
    sim.run_to_end();
    sim
}

type Digest = Vec<(u64, i64, Vec<(String, Op, Vec<Value>)>)>;

fn digest(txs: &[Transaction]) -> Digest {
    txs.iter()
        .map(|t| {
            (
                t.position,
                t.commit_ts,
                t.changes
                    .iter()
                    .map(|c| (c.table.name.clone(), c.op, c.row.clone()))
                    .collect(),
            )
        })
        .collect()
}

fn drain(sim: &mut Simulator) -> Vec<Transaction> {
    std::iter::from_fn(|| sim.next_transaction()).collect()
}

/// What customers ordered in [from, to): (order, product id, quantity,
/// requested date, confirmation time) of every product line of the orders
/// confirmed then.
fn ordered(sim: &Simulator, from: i64, to: i64) -> Vec<(String, i64, i64, i64, i64)> {
    let w = &sim.w;
    let mut out = Vec::new();
    for o in &w.orders {
        let Some(t) = o.confirmed.filter(|t| (from..to).contains(t)) else {
            continue;
        };
        let requested = o.commitment.unwrap_or(t + o.lead_days * DAY);
        for &l in &o.lines {
            let ln = &w.lines[l];
            if let (Some(pi), false) = (ln.product, ln.deleted) {
                out.push((o.name.clone(), w.products[pi].id, ln.qty, requested, t));
            }
        }
    }
    out
}

/// Every rule with `f` applied to (min, max).
fn scaled(sim: &Simulator, f: impl Fn(i64, i64) -> (i64, i64)) -> Vec<OrderpointRule> {
    sim.orderpoints()
        .into_iter()
        .map(|mut r| {
            let (min, max) = f(
                i64::try_from(r.product_min_qty).unwrap(),
                i64::try_from(r.product_max_qty).unwrap(),
            );
            r.product_min_qty = Decimal::from(min);
            r.product_max_qty = Decimal::from(max);
            r
        })
        .collect()
}

#[test]
fn a_fork_is_a_true_copy() {
    let mut sim = Simulator::new(config(5, 12)).unwrap();
    sim.run_until(sim.end() - 6 * DAY);
    let mut fork = sim.fork();
    let a = drain(&mut sim);
    let b = drain(&mut fork);
    assert!(a.len() > 100, "{} transactions", a.len());
    assert_eq!(digest(&a), digest(&b));
    assert_eq!(sim.ground_truth(), fork.ground_truth());
    // changing the fork leaves the original alone
    let rule = sim.orderpoints()[3].clone();
    fork.set_orderpoint(
        rule.warehouse_id,
        rule.product_id,
        rule.product_min_qty + Decimal::ONE,
        rule.product_max_qty + Decimal::TEN,
        rule.qty_multiple,
    )
    .unwrap();
    assert_eq!(sim.orderpoints()[3], rule);
    assert_eq!(
        fork.orderpoints()[3].product_max_qty,
        rule.product_max_qty + Decimal::TEN
    );
}

#[test]
fn run_until_stops_before_the_moment_and_loses_nothing() {
    let mut whole = Simulator::new(config(9, 4)).unwrap();
    let all = drain(&mut whole);
    let mut sim = Simulator::new(config(9, 4)).unwrap();
    let mid = sim.end() - 2 * DAY + 13 * 3_600_000_000;
    let n = sim.run_until(mid);
    assert_eq!(sim.now(), mid);
    assert!(sim.clock() < mid);
    let rest = drain(&mut sim);
    assert_eq!(n as usize + rest.len(), all.len());
    assert!(rest[0].commit_ts >= mid);
    assert_eq!(digest(&rest), digest(&all[n as usize..]));
    // past the end: stops at the end
    let mut sim = Simulator::new(config(9, 4)).unwrap();
    assert_eq!(sim.run_to_end() as usize, all.len());
    assert_eq!(sim.now(), sim.end());
}

#[test]
fn extending_gives_the_stream_of_a_longer_run() {
    let mut long = Simulator::new(config(3, 14)).unwrap();
    let expected = drain(&mut long);
    let mut short = Simulator::new(config(3, 9)).unwrap();
    let mut got = drain(&mut short);
    assert!(short.next_transaction().is_none());
    short.extend(5).unwrap();
    got.extend(drain(&mut short));
    assert_eq!(short.end(), long.end());
    assert_eq!(digest(&got), digest(&expected));
    assert_eq!(short.ground_truth(), long.ground_truth());
    // the limit holds
    assert!(matches!(
        short.extend(4000),
        Err(SimulatorError::Config { .. })
    ));
}

#[test]
fn set_orderpoint_writes_the_rule_and_refuses_bad_values() {
    let mut sim = Simulator::new(config(4, 3)).unwrap();
    sim.run_until(sim.end() - DAY);
    let rule = sim.orderpoints()[0].clone();
    let (wh, p) = (rule.warehouse_id, rule.product_id);
    let d = Decimal::from;
    let err = |r: Result<()>| r.unwrap_err().to_string();
    // unknown pairs name themselves
    let e = err(sim.set_orderpoint(wh, 999_999, d(1), d(2), d(1)));
    assert!(
        e.contains("warehouse id") && e.contains("product id 999999"),
        "{e}"
    );
    assert!(matches!(
        sim.set_orderpoint(77, p, d(1), d(2), d(1)),
        Err(SimulatorError::UnknownOrderpoint {
            warehouse_id: 77,
            ..
        })
    ));
    let e = err(sim.set_orderpoint(wh, p, d(9), d(5), d(1)));
    assert!(
        e.contains("product_min_qty 9 is above product_max_qty 5"),
        "{e}"
    );
    let e = err(sim.set_orderpoint(wh, p, Decimal::new(25, 1), d(5), d(1)));
    assert!(e.contains("2.5 is not a whole number"), "{e}");
    let e = err(sim.set_orderpoint(wh, p, d(-1), d(5), d(1)));
    assert!(e.contains("negative"), "{e}");
    // nothing was written by the refusals
    assert_eq!(sim.orderpoints()[0], rule);
    let before = sim.now();
    // a write is the next transaction, at the simulator's moment
    sim.set_orderpoint(wh, p, d(11), d(40), d(5)).unwrap();
    let tx = sim.next_transaction().unwrap();
    assert_eq!(tx.commit_ts, before);
    assert_eq!(tx.changes.len(), 1);
    let ch = &tx.changes[0];
    assert_eq!(ch.table.name, "stock_warehouse_orderpoint");
    assert_eq!(ch.op, Op::Update);
    let col = |n: &str| ch.table.column_index(n).unwrap();
    assert_eq!(ch.row[col("id")], Value::Int(rule.orderpoint_id));
    assert_eq!(ch.row[col("product_min_qty")], Value::Decimal(d(11)));
    assert_eq!(ch.row[col("product_max_qty")], Value::Decimal(d(40)));
    assert_eq!(ch.row[col("qty_multiple")], Value::Decimal(d(5)));
    assert_eq!(ch.row[col("write_date")], Value::Timestamp(before));
    // the current state holds it too
    let row = &sim.final_state()["stock_warehouse_orderpoint"][&vec![rule.orderpoint_id]];
    assert_eq!(row[col("product_min_qty")], Value::Decimal(d(11)));
    // the same values again commit nothing
    sim.set_orderpoint(wh, p, d(11), d(40), d(5)).unwrap();
    assert!(sim.pending.is_empty());
    let next = sim.next_transaction().unwrap();
    assert!(next.commit_ts > before);
}

#[test]
fn both_branches_receive_the_same_customer_demand() {
    let base = history(21, 45);
    let from = base.now();
    let to = from + 30 * DAY;
    let mut starved = base.fork();
    let mut flooded = base.fork();
    for sim in [&mut starved, &mut flooded] {
        sim.extend(30).unwrap();
    }
    let none = scaled(&base, |_, _| (0, 0));
    let lots = scaled(&base, |min, max| (min * 4 + 20, max * 4 + 40));
    apply_rules(&mut starved, &none).unwrap();
    apply_rules(&mut flooded, &lots).unwrap();
    starved.run_until(to);
    flooded.run_until(to);
    let a = ordered(&starved, from, to);
    let b = ordered(&flooded, from, to);
    assert!(a.len() > 500, "{} lines", a.len());
    assert_eq!(a, b);
    // ... while the rules did make a difference to the business
    let (ta, tb) = (starved.ground_truth(), flooded.ground_truth());
    assert_ne!(ta.total().lines_filled, tb.total().lines_filled);
    assert_ne!(starved.w.po_lines.len(), flooded.w.po_lines.len());
}

#[test]
fn no_rule_change_gives_identical_branches() {
    let base = history(8, 40);
    let unchanged = base.orderpoints();
    let r = compare(&base, 20, &unchanged).unwrap();
    assert_eq!(r.rules_changed, 0);
    assert_eq!(r.current, r.suggested);
    assert_eq!(r.days, 20);
    assert_eq!(r.from_us, base.now());
    assert_eq!(r.to_us, base.now() + 20 * DAY);
    assert!(r.current.lines_shipped > 300, "{:?}", r.current);
    assert!(r.current.purchase_order_lines > 0);
    assert!(r.current.average_stock_value > Decimal::ZERO);
    // the base is untouched: it is still at its end, and can be compared again
    assert_eq!(base.now(), base.end());
    assert_eq!(compare(&base, 20, &[]).unwrap(), r);
}

#[test]
fn higher_reorder_points_give_fewer_stockouts_and_more_stock() {
    let base = history(8, 40);
    let high = scaled(&base, |min, max| (min * 3 + 10, max - min + min * 3 + 10));
    let r = compare(&base, 30, &high).unwrap();
    assert_eq!(r.rules_changed, high.len());
    let (cur, sug) = (&r.current, &r.suggested);
    assert_eq!(cur.units_ordered, sug.units_ordered);
    assert_eq!(cur.lines_ordered, sug.lines_ordered);
    assert!(cur.stockouts > 0, "{cur:?}");
    assert!(sug.stockouts < cur.stockouts, "{cur:?}\n{sug:?}");
    assert!(
        sug.average_stock_value > cur.average_stock_value,
        "{cur:?}\n{sug:?}"
    );
    assert!(sug.line_fill_rate > cur.line_fill_rate, "{cur:?}\n{sug:?}");
    // and the reverse: reordering only for backorders (min = max = 0)
    // runs out more and holds less
    let none = scaled(&base, |_, _| (0, 0));
    let r = compare(&base, 30, &none).unwrap();
    assert!(r.suggested.stockouts > r.current.stockouts, "{r:?}");
    assert!(r.suggested.average_stock_value < r.current.average_stock_value);
    // JSON for `--json`: money as an exact string
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["current"]["average_stock_value"].is_string());
    let back: WhatIf = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn compare_refuses_bad_suggestions() {
    let base = history(2, 5);
    assert!(matches!(
        compare(&base, 0, &[]),
        Err(SimulatorError::Config { .. })
    ));
    let rules = base.orderpoints();
    let mut wrong_id = rules[1].clone();
    wrong_id.orderpoint_id += 1;
    let e = compare(&base, 3, &[wrong_id]).unwrap_err().to_string();
    assert!(e.contains("another database"), "{e}");
    let e = compare(&base, 3, &[rules[2].clone(), rules[2].clone()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("suggested twice"), "{e}");
    let mut unknown = rules[0].clone();
    unknown.product_id = -5;
    assert!(matches!(
        compare(&base, 3, &[unknown]),
        Err(SimulatorError::UnknownOrderpoint { product_id: -5, .. })
    ));
    let mut frac = rules[0].clone();
    frac.product_max_qty = Decimal::new(1005, 2);
    assert!(matches!(
        compare(&base, 3, &[frac]),
        Err(SimulatorError::Orderpoint { .. })
    ));
}

// ------------------------------------------------------------ experiment

/// A simple, sensible rule from the simulator's own history and vendors:
/// min = the `z` quantile of lead-time demand (normal approximation, daily
/// demand's mean and variance over the history, lead time = vendor delay +
/// mean lateness + a day to confirm the RFQ + the nightly review, its
/// variance from the vendor's lateness), max = min + `cover` days of mean
/// demand, rounded up to the rule's multiple. `z_expensive` replaces `z`
/// for the products whose cost is above the median: line fill rate counts
/// lines, not money, so safety stock buys more of it on cheap products.
fn sensible_rules(base: &Simulator, z: f64, z_expensive: f64, cover: f64) -> Vec<OrderpointRule> {
    let w = &base.w;
    let first = w.start_us;
    let days = ((base.now() - first) / DAY).max(1) as usize;
    let (nw, np) = (w.warehouses.len(), w.products.len());
    let mut daily = vec![vec![vec![0f64; days]; np]; nw];
    for o in &w.orders {
        let Some(t) = o.confirmed.filter(|&t| t >= first && t < base.now()) else {
            continue;
        };
        let d = ((t - first) / DAY) as usize;
        for &l in &o.lines {
            let ln = &w.lines[l];
            if let (Some(pi), false) = (ln.product, ln.deleted) {
                daily[o.wh][pi][d] += ln.qty as f64;
            }
        }
    }
    let mut costs: Vec<i64> = w.products.iter().map(|p| p.cost_c[0]).collect();
    costs.sort_unstable();
    let median = costs[costs.len() / 2];
    let mut rules = base.orderpoints();
    for r in &mut rules {
        let op = w
            .orderpoints
            .iter()
            .find(|o| o.id == r.orderpoint_id)
            .unwrap();
        let series = &daily[op.wh][op.product];
        let n = series.len() as f64;
        let mean = series.iter().sum::<f64>() / n;
        let var = series.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        let si = &w.sinfos[w.products[op.product].sinfos[0]];
        let v = &w.vendors[si.vendor];
        // lateness: 1..=late_max days with probability late_p, else a day early 10 % of the time
        let k = v.late_max as f64;
        let late_mean = v.late_p * (k + 1.0) / 2.0 - 0.1 * (1.0 - v.late_p);
        let late_sq = v.late_p * (k + 1.0) * (2.0 * k + 1.0) / 6.0 + 0.1 * (1.0 - v.late_p);
        let late_var = (late_sq - late_mean * late_mean).max(0.0);
        let lead = si.delay as f64 + late_mean + 2.0;
        let sd = (lead * var + mean * mean * late_var).sqrt();
        let ci = w.warehouses[op.wh].company;
        let z = if w.products[op.product].cost_c[ci] > median {
            z_expensive
        } else {
            z
        };
        let min = (mean * lead + z * sd).ceil().max(0.0) as i64;
        let mult = op.mult.max(1);
        let max = min + ((mean * cover).ceil() as i64).max(mult);
        let max = (max + mult - 1) / mult * mult;
        r.product_min_qty = Decimal::from(min);
        r.product_max_qty = Decimal::from(max);
    }
    rules
}

fn print_columns(r: &WhatIf) {
    let (c, s) = (&r.current, &r.suggested);
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.2} %", 100.0 * v));
    println!(
        "what-if over {} days, {} rules changed",
        r.days, r.rules_changed
    );
    println!(
        "{:28} {:>16} {:>16}",
        "", "current rules", "suggested rules"
    );
    let row = |name: &str, a: String, b: String| println!("{name:28} {a:>16} {b:>16}");
    row(
        "units ordered",
        c.units_ordered.to_string(),
        s.units_ordered.to_string(),
    );
    row(
        "lines shipped",
        c.lines_shipped.to_string(),
        s.lines_shipped.to_string(),
    );
    row(
        "line fill rate",
        pct(c.line_fill_rate),
        pct(s.line_fill_rate),
    );
    row(
        "unit fill rate",
        pct(c.unit_fill_rate),
        pct(s.unit_fill_rate),
    );
    row("OTIF", pct(c.otif), pct(s.otif));
    row(
        "stock-outs (wh×product×day)",
        c.stockouts.to_string(),
        s.stockouts.to_string(),
    );
    row(
        "average stock value",
        c.average_stock_value.to_string(),
        s.average_stock_value.to_string(),
    );
    row(
        "purchase order lines",
        c.purchase_order_lines.to_string(),
        s.purchase_order_lines.to_string(),
    );
    row(
        "purchase orders",
        c.purchase_orders.to_string(),
        s.purchase_orders.to_string(),
    );
    row(
        "units purchased",
        c.units_purchased.to_string(),
        s.units_purchased.to_string(),
    );
}

/// The experiment of the what-if: does a simple sensible rule beat the
/// simulator's own (partly misconfigured) rules on the default demo?
/// `cargo test -p crossdock-simulator --release whatif_experiment -- --ignored --nocapture`
/// (WHATIF_DAYS, WHATIF_Z, WHATIF_Z_EXPENSIVE, WHATIF_COVER, SIM_DAYS,
/// SIM_PRODUCTS, SIM_ORDERS override the defaults: 60 days after the
/// demo's 90, z 1.645 (p95), z 0.5 (p69) for the more expensive half,
/// 7 days). Measured 2026-12-01 (debug build, 35 s): line fill rate
/// 98.62 % → 99.06 %, average stock value 5,064,576.07 → 4,808,540.37,
/// stock-outs 1558 → 928, purchase order lines 3524 → 5469; p95 for every
/// product with 14 days: 99.45 % but 7,316,196.41.
#[test]
#[ignore = "an experiment on the full demo: run it in release"]
fn whatif_experiment_on_the_demo() {
    let env = |k: &str, d: f64| -> f64 {
        match std::env::var(k) {
            Ok(v) => v
                .parse()
                .unwrap_or_else(|_| panic!("{k}={v} is not a number")),
            Err(_) => d,
        }
    };
    let defaults = SimulatorConfig::default();
    let cfg = SimulatorConfig {
        days: env("SIM_DAYS", defaults.days as f64) as u32,
        products: env("SIM_PRODUCTS", defaults.products as f64) as u32,
        orders_per_day: env("SIM_ORDERS", defaults.orders_per_day as f64) as u32,
        ..defaults
    };
    let days = env("WHATIF_DAYS", 60.0) as u32;
    let started = std::time::Instant::now();
    let mut base = Simulator::new(cfg.clone()).unwrap();
    base.run_to_end();
    let history = started.elapsed();
    let rules = sensible_rules(
        &base,
        env("WHATIF_Z", 1.645),
        env("WHATIF_Z_EXPENSIVE", 0.5),
        env("WHATIF_COVER", 7.0),
    );
    let r = compare(&base, days, &rules).unwrap();
    println!(
        "{cfg:?}\nhistory {:.1} s, what-if {:.1} s",
        history.as_secs_f64(),
        (started.elapsed() - history).as_secs_f64()
    );
    print_columns(&r);
    assert_eq!(r.current.units_ordered, r.suggested.units_ordered);
}
