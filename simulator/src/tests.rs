use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::*;
use crossdock_change::event::{ChangeBatchBuilder, Op, Transaction, Value};

fn config(seed: u64, days: u32, orders: u32) -> SimulatorConfig {
    SimulatorConfig {
        seed,
        days,
        orders_per_day: orders,
        products: 40,
        ..Default::default()
    }
}

fn run(cfg: SimulatorConfig) -> (Simulator, Vec<Transaction>) {
    let mut sim = Simulator::new(cfg).expect("valid config");
    let mut txs = Vec::new();
    while let Some(tx) = sim.next_transaction() {
        txs.push(tx);
    }
    (sim, txs)
}

type Rows = BTreeMap<Vec<i64>, Vec<Value>>;

fn col(_sim: &Simulator, table: &str, name: &str) -> usize {
    crossdock_change::Catalog::odoo17()
        .require(table)
        .unwrap()
        .require(name)
        .unwrap()
}

fn table<'a>(sim: &'a Simulator, name: &str) -> &'a Rows {
    &sim.final_state()[name]
}

fn int(v: &Value) -> Option<i64> {
    v.as_int()
}

fn dec(v: &Value) -> Decimal {
    v.as_decimal().unwrap_or_default()
}

#[allow(clippy::type_complexity)]
fn digest(txs: &[Transaction]) -> Vec<(u64, i64, i64, Vec<(String, Op, Vec<Value>)>)> {
    txs.iter()
        .map(|t| {
            (
                t.position,
                t.xid,
                t.commit_ts,
                t.changes
                    .iter()
                    .map(|c| (c.table.name.clone(), c.op, c.row.clone()))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn every_column_is_named() {
    let (c, _) = super::db::Cols::new(crossdock_change::Catalog::odoo17()).unwrap();
    let cov = c.coverage();
    assert_eq!(cov.len(), 27);
    for (t, named, n) in cov {
        assert_eq!(named, n, "{t}");
    }
}

#[test]
fn bad_config_is_refused() {
    for (cfg, word) in [
        (
            SimulatorConfig {
                days: 0,
                ..Default::default()
            },
            "days",
        ),
        (
            SimulatorConfig {
                orders_per_day: 0,
                ..Default::default()
            },
            "orders_per_day",
        ),
        (
            SimulatorConfig {
                products: 19,
                ..Default::default()
            },
            "products",
        ),
        (
            SimulatorConfig {
                warehouses: 0,
                ..Default::default()
            },
            "warehouses",
        ),
        (
            SimulatorConfig {
                warehouses: 6,
                ..Default::default()
            },
            "warehouses",
        ),
    ] {
        let err = Simulator::new(cfg).unwrap_err();
        assert!(matches!(err, crate::SimulatorError::Config { .. }), "{err}");
        assert!(err.to_string().contains(word), "{err}");
    }
}

#[test]
fn same_seed_same_stream_other_seed_other_stream() {
    let (_, a) = run(config(11, 6, 15));
    let (_, b) = run(config(11, 6, 15));
    let (_, c) = run(config(12, 6, 15));
    assert!(!a.is_empty());
    assert_eq!(digest(&a), digest(&b));
    assert_ne!(digest(&a), digest(&c));
}

#[test]
fn api_before_and_after() {
    let mut sim = Simulator::new(config(3, 2, 5)).unwrap();
    assert_eq!(sim.position(), 0);
    assert_eq!(sim.clock(), 0);
    assert_eq!(sim.config().days, 2);
    let policies = sim.channel_policies();
    let names: Vec<&str> = policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Field Sales",
            "Inside Sales",
            "eCommerce",
            "Marketplace",
            "EDI"
        ]
    );
    assert_eq!(policies[0].max_discount_percent, Decimal::new(10, 0));
    let tx = sim.next_transaction().unwrap();
    assert_eq!(tx.position, 1);
    assert_eq!(sim.position(), 1);
    assert_eq!(sim.clock(), tx.commit_ts);
    while sim.next_transaction().is_some() {}
    assert!(sim.next_transaction().is_none());
    let end = sim
        .config()
        .start
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros()
        + 2 * DAY;
    assert!(sim.clock() < end);
    assert_eq!(sim.ground_truth().as_of, sim.clock());
}

/// The 30-day run most checks share.
fn month() -> &'static (Simulator, Vec<Transaction>) {
    static RUN: std::sync::OnceLock<(Simulator, Vec<Transaction>)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| run(config(7, 30, 25)))
}

#[test]
fn stream_invariants_and_replay() {
    let (sim, txs) = month();
    let mut replay: BTreeMap<String, Rows> = BTreeMap::new();
    let mut last_pos = 0;
    let mut last_ts = i64::MIN;
    let qcol = col(sim, "stock_quant", "quantity");
    let rcol = col(sim, "stock_quant", "reserved_quantity");
    let mut ops = BTreeMap::new();
    for tx in txs {
        assert!(tx.position > last_pos);
        assert!(tx.commit_ts >= last_ts);
        assert_eq!(tx.commit_ts % 1_000_000, 0, "whole seconds");
        assert!(!tx.changes.is_empty());
        last_pos = tx.position;
        last_ts = tx.commit_ts;
        for ch in &tx.changes {
            assert_eq!(ch.row.len(), ch.table.columns.len(), "{}", ch.table.name);
            for (v, c) in ch.row.iter().zip(&ch.table.columns) {
                if let Value::Decimal(d) = v {
                    assert!(
                        d.normalize().scale() <= 10,
                        "{}.{} = {d}",
                        ch.table.name,
                        c.name
                    );
                }
                if c.name == "write_date" && ch.op != Op::Delete {
                    assert_eq!(v, &Value::Timestamp(tx.commit_ts), "{}", ch.table.name);
                }
            }
            if ch.table.name == "stock_quant" && ch.op != Op::Delete {
                let q = dec(&ch.row[qcol]);
                let r = dec(&ch.row[rcol]);
                assert!(
                    q >= Decimal::ZERO && r >= Decimal::ZERO && r <= q,
                    "quant {q} reserved {r}"
                );
            }
            *ops.entry((ch.table.name.clone(), ch.op.code()))
                .or_insert(0u64) += 1;
            let key: Vec<i64> = ch
                .table
                .primary_key
                .iter()
                .map(|&i| ch.row[i].as_int().unwrap())
                .collect();
            let t = replay.entry(ch.table.name.clone()).or_default();
            match ch.op {
                Op::Insert => assert!(t.insert(key, ch.row.clone()).is_none(), "insert twice"),
                Op::Update => assert!(t.insert(key, ch.row.clone()).is_some(), "update of nothing"),
                Op::Delete => assert!(t.remove(&key).is_some(), "delete of nothing"),
                Op::Truncate => unreachable!(),
            }
        }
    }
    for (name, rows) in sim.final_state() {
        let empty = Rows::new();
        assert_eq!(replay.get(name).unwrap_or(&empty), rows, "{name}");
    }
    // every table is written, and deletes happen
    assert_eq!(replay.len(), 27, "{:?}", replay.keys().collect::<Vec<_>>());
    assert!(ops.contains_key(&("stock_quant".to_string(), "D")));
    assert!(ops.contains_key(&("sale_order_line".to_string(), "D")));
    // the batch builder accepts every value
    let mut b = ChangeBatchBuilder::new();
    for tx in txs {
        b.push(tx).unwrap();
    }
    b.finish().unwrap();
}

#[test]
fn documents_hang_together() {
    let (sim, _) = month();
    let start = sim
        .config()
        .start
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros();
    let so = table(sim, "sale_order");
    let sol = table(sim, "sale_order_line");
    let pick = table(sim, "stock_picking");
    let mv = table(sim, "stock_move");
    let loc = table(sim, "stock_location");
    let am = table(sim, "account_move");
    let po = table(sim, "purchase_order");
    let usage = |id: i64| {
        loc[&vec![id]][col(sim, "stock_location", "usage")]
            .as_str()
            .unwrap()
            .to_string()
    };
    // lines of each order
    let mut lines_of: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (k, r) in sol {
        lines_of
            .entry(int(&r[col(sim, "sale_order_line", "order_id")]).unwrap())
            .or_default()
            .push(k[0]);
    }
    // customer delivery moves per line
    let mut delivered_lines = BTreeSet::new();
    let mut returns = 0;
    let mut inventory = 0;
    let mut receipts_done = 0;
    for r in mv.values() {
        let state = r[col(sim, "stock_move", "state")].as_str().unwrap();
        let dest = usage(int(&r[col(sim, "stock_move", "location_dest_id")]).unwrap());
        if let Some(l) = int(&r[col(sim, "stock_move", "sale_line_id")]) {
            if dest == "customer" {
                delivered_lines.insert(l);
            }
        }
        if int(&r[col(sim, "stock_move", "origin_returned_move_id")]).is_some() {
            assert_eq!(r[col(sim, "stock_move", "to_refund")], Value::Bool(true));
            assert!(int(&r[col(sim, "stock_move", "sale_line_id")]).is_some());
            returns += 1;
        }
        if r[col(sim, "stock_move", "is_inventory")] == Value::Bool(true)
            && r[col(sim, "stock_move", "date")].as_timestamp().unwrap() >= start
        {
            assert_eq!(state, "done");
            inventory += 1;
        }
        if int(&r[col(sim, "stock_move", "purchase_line_id")]).is_some() && state == "done" {
            receipts_done += 1;
        }
    }
    let mut confirmed = 0;
    for (k, r) in so {
        if r[col(sim, "sale_order", "state")].as_str() == Some("sale") {
            confirmed += 1;
            let lines = &lines_of[&k[0]];
            assert!(
                lines.iter().any(|l| delivered_lines.contains(l)),
                "order {} has delivery moves",
                k[0]
            );
            let created = r[col(sim, "sale_order", "create_date")]
                .as_timestamp()
                .unwrap();
            let date_order = r[col(sim, "sale_order", "date_order")]
                .as_timestamp()
                .unwrap();
            assert!(date_order >= created);
        }
    }
    assert!(confirmed > 100, "{confirmed} confirmed orders");
    // backorders: within an order's deliveries, every picking after the first is a backorder
    let mut outs: BTreeMap<i64, Vec<(i64, Option<i64>)>> = BTreeMap::new();
    let mut backorders = 0;
    let mut return_pickings = 0;
    for (k, r) in pick {
        let dest = usage(int(&r[col(sim, "stock_picking", "location_dest_id")]).unwrap());
        if let (Some(s), "customer") =
            (int(&r[col(sim, "stock_picking", "sale_id")]), dest.as_str())
        {
            outs.entry(s)
                .or_default()
                .push((k[0], int(&r[col(sim, "stock_picking", "backorder_id")])));
        }
        if int(&r[col(sim, "stock_picking", "return_id")]).is_some() {
            return_pickings += 1;
        }
    }
    for list in outs.values() {
        assert_eq!(list[0].1, None);
        for (id, bo) in &list[1..] {
            let bo = bo.unwrap_or_else(|| panic!("picking {id} is a backorder"));
            assert!(list.iter().any(|(x, _)| *x == bo));
            backorders += 1;
        }
    }
    assert!(backorders > 0, "no backorders");
    assert!(returns > 0 && return_pickings > 0, "no returns");
    assert!(inventory > 0, "no inventory adjustments");
    assert!(receipts_done > 0, "no receipts");
    let kinds: Vec<(String, Option<i64>)> = am
        .values()
        .map(|r| {
            (
                r[col(sim, "account_move", "move_type")]
                    .as_str()
                    .unwrap()
                    .to_string(),
                int(&r[col(sim, "account_move", "reversed_entry_id")]),
            )
        })
        .collect();
    assert!(kinds.iter().any(|(k, _)| k == "out_invoice"));
    assert!(
        kinds.iter().any(|(k, r)| k == "out_refund" && r.is_some()),
        "no credit notes"
    );
    assert!(
        kinds.iter().any(|(k, _)| k == "in_invoice"),
        "no vendor bills"
    );
    assert!(kinds.iter().any(|(k, _)| k == "entry"), "no payments");
    assert!(po
        .values()
        .any(|r| r[col(sim, "purchase_order", "state")].as_str() == Some("purchase")));
    // eCommerce carts left in draft, cancelled quotations
    let states: BTreeSet<&str> = so
        .values()
        .map(|r| r[col(sim, "sale_order", "state")].as_str().unwrap())
        .collect();
    assert!(
        states.contains("draft") && states.contains("cancel") && states.contains("sale"),
        "{states:?}"
    );
}

#[test]
fn line_money_is_consistent() {
    let (sim, _) = month();
    let c = |n| col(sim, "sale_order_line", n);
    for r in table(sim, "sale_order_line").values() {
        if !r[c("display_type")].is_null() {
            continue;
        }
        let q = dec(&r[c("product_uom_qty")]);
        let pu = dec(&r[c("price_unit")]);
        let d = dec(&r[c("discount")]);
        let sub = dec(&r[c("price_subtotal")]);
        let pp = dec(&r[c("purchase_price")]);
        assert_eq!(q.fract(), Decimal::ZERO);
        let want = (q * pu * (Decimal::ONE - d / Decimal::from(100)))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(sub, want);
        assert_eq!(dec(&r[c("margin")]), sub - pp * q);
    }
}

/// Recomputes the KPIs from the emitted rows, the way the SQL does, and
/// compares with the ground truth.
#[test]
fn ground_truth_matches_the_rows() {
    check_truth(&month().0);
}

fn check_truth(sim: &Simulator) {
    let truth = sim.ground_truth();
    let as_of = truth.as_of;
    let fs = sim.final_state();
    let c = |t: &str, n: &str| col(sim, t, n);
    let loc_usage: BTreeMap<i64, String> = fs["stock_location"]
        .iter()
        .map(|(k, r)| {
            (
                k[0],
                r[c("stock_location", "usage")]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let team: BTreeMap<i64, String> = fs["crm_team"]
        .iter()
        .map(|(k, r)| {
            let j: serde_json::Value =
                serde_json::from_str(r[c("crm_team", "name")].as_str().unwrap()).unwrap();
            (k[0], j["en_US"].as_str().unwrap().to_string())
        })
        .collect();
    let list_price: BTreeMap<i64, Decimal> = fs["product_product"]
        .iter()
        .map(|(k, r)| {
            let t = int(&r[c("product_product", "product_tmpl_id")]).unwrap();
            (
                k[0],
                dec(&fs["product_template"][&vec![t]][c("product_template", "list_price")]),
            )
        })
        .collect();
    let max_disc: BTreeMap<String, Decimal> = sim
        .channel_policies()
        .into_iter()
        .map(|p| (p.name, p.max_discount_percent))
        .collect();
    // deliveries per line
    let mut deliveries: BTreeMap<i64, Vec<(i64, Decimal)>> = BTreeMap::new();
    for r in fs["stock_move"].values() {
        let dest = int(&r[c("stock_move", "location_dest_id")]).unwrap();
        if r[c("stock_move", "state")].as_str() == Some("done")
            && loc_usage[&dest] == "customer"
            && r[c("stock_move", "origin_returned_move_id")].is_null()
        {
            if let Some(l) = int(&r[c("stock_move", "sale_line_id")]) {
                deliveries.entry(l).or_default().push((
                    r[c("stock_move", "date")].as_timestamp().unwrap(),
                    dec(&r[c("stock_move", "quantity")]),
                ));
            }
        }
    }
    let mut cells: BTreeMap<(String, String), KpiTruth> = BTreeMap::new();
    let mut orders: BTreeMap<i64, Vec<&Vec<Value>>> = BTreeMap::new();
    for r in fs["sale_order_line"].values() {
        if r[c("sale_order_line", "display_type")].is_null() {
            orders
                .entry(int(&r[c("sale_order_line", "order_id")]).unwrap())
                .or_default()
                .push(r);
        }
    }
    for (k, o) in &fs["sale_order"] {
        if o[c("sale_order", "state")].as_str() != Some("sale") {
            continue;
        }
        let Some(lines) = orders.get(&k[0]) else {
            continue;
        };
        let ch = team[&int(&o[c("sale_order", "team_id")]).unwrap()].clone();
        let date_order = o[c("sale_order", "date_order")].as_timestamp().unwrap();
        let month = chrono::DateTime::from_timestamp_micros(date_order)
            .unwrap()
            .format("%Y-%m")
            .to_string();
        let commitment = o[c("sale_order", "commitment_date")].as_timestamp();
        let cell = cells.entry((ch.clone(), month)).or_default();
        let (mut deadline_max, mut otif, mut full, mut last) = (i64::MIN, true, true, i64::MIN);
        for l in lines {
            let id = int(&l[c("sale_order_line", "id")]).unwrap();
            let q = dec(&l[c("sale_order_line", "product_uom_qty")]);
            let pu = dec(&l[c("sale_order_line", "price_unit")]);
            let disc = dec(&l[c("sale_order_line", "discount")]);
            let sub = dec(&l[c("sale_order_line", "price_subtotal")]);
            let pp = dec(&l[c("sale_order_line", "purchase_price")]);
            let lead = match l[c("sale_order_line", "customer_lead")] {
                Value::Float(f) => f,
                _ => panic!(),
            };
            let lp = list_price[&int(&l[c("sale_order_line", "product_id")]).unwrap()];
            cell.lines_confirmed += 1;
            cell.revenue += sub;
            cell.cost += pp * q;
            if disc > max_disc[&ch] {
                cell.leak_over_discount += pu * q * (disc - max_disc[&ch]) * Decimal::new(1, 2);
            }
            if pu < lp {
                cell.leak_below_pricelist += (lp - pu) * q;
            }
            if sub < pp * q {
                cell.leak_below_cost += pp * q - sub;
            }
            let deadline = commitment.unwrap_or(date_order + (lead * 86_400_000_000.0) as i64);
            deadline_max = deadline_max.max(deadline);
            let d = deliveries.get(&id).cloned().unwrap_or_default();
            let total: Decimal = d.iter().map(|x| x.1).sum();
            let on_time: Decimal = d.iter().filter(|x| x.0 <= deadline).map(|x| x.1).sum();
            otif &= on_time >= q;
            full &= total >= q;
            if let Some(t1) = d.iter().map(|x| x.0).min() {
                let first: Decimal = d.iter().filter(|x| x.0 == t1).map(|x| x.1).sum();
                cell.lines_shipped += 1;
                cell.units_ordered_shipped += q;
                cell.units_first_shipment += first.min(q);
                if first >= q {
                    cell.lines_filled += 1;
                }
                last = last.max(d.iter().map(|x| x.0).max().unwrap());
            }
        }
        if deadline_max <= as_of {
            cell.orders_due += 1;
            if otif {
                cell.orders_otif += 1;
            }
        }
        if full {
            cell.cycle_times_us.push(last - date_order);
        }
    }
    for k in cells.values_mut() {
        k.cycle_times_us.sort_unstable();
    }
    assert_eq!(
        cells.keys().collect::<Vec<_>>(),
        truth.cells.keys().collect::<Vec<_>>()
    );
    for (key, want) in &cells {
        let got = &truth.cells[key];
        // decimals compare by value whatever their scale
        assert_eq!(got, want, "{key:?}");
    }
}

#[test]
fn ground_truth_is_sane() {
    let (sim, _) = month();
    let truth = sim.ground_truth();
    let by = truth.by_channel();
    assert_eq!(by.len(), 5, "{:?}", by.keys().collect::<Vec<_>>());
    let total = truth.total();
    for (ch, k) in &by {
        assert!(
            k.lines_filled <= k.lines_shipped && k.lines_shipped <= k.lines_confirmed,
            "{ch}"
        );
        assert!(k.orders_otif <= k.orders_due, "{ch}");
        assert!(k.units_first_shipment <= k.units_ordered_shipped, "{ch}");
        assert!(k.cycle_times_us.windows(2).all(|w| w[0] <= w[1]));
        assert!(k.cycle_times_us.iter().all(|&c| c >= 0));
        assert!(k.lines_confirmed > 0, "{ch}");
    }
    assert!(
        total.lines_filled < total.lines_shipped,
        "some first shipments are short"
    );
    assert!(total.lines_shipped > total.lines_confirmed / 2);
    assert!(total.orders_otif > 0 && total.orders_otif < total.orders_due);
    assert!(total.leak_over_discount > Decimal::ZERO);
    assert!(total.leak_below_pricelist > Decimal::ZERO);
    assert!(total.leak_below_cost > Decimal::ZERO);
    assert!(total.revenue > total.cost);
    assert!(by["eCommerce"].leak_over_discount > Decimal::ZERO);
    assert_eq!(percentile_nearest_rank(&[], 0.5), None);
    assert_eq!(percentile_nearest_rank(&[1, 2, 3, 4], 0.5), Some(2));
    assert_eq!(percentile_nearest_rank(&[1, 2, 3, 4], 0.9), Some(4));
    assert_eq!(percentile_nearest_rank(&[5], 0.0), Some(5));
    // the SQL's integer form: rank = (p·100·n + 99) / 100
    for n in 1..300usize {
        let v: Vec<i64> = (1..=n as i64).collect();
        for p in [50usize, 90, 95, 99] {
            let rank = (p * n).div_ceil(100);
            assert_eq!(
                percentile_nearest_rank(&v, p as f64 / 100.0),
                Some(rank as i64),
                "p{p} n{n}"
            );
        }
    }
}

#[test]
fn second_company_and_five_warehouses() {
    let cfg = SimulatorConfig {
        seed: 5,
        days: 5,
        orders_per_day: 20,
        products: 30,
        warehouses: 5,
        second_company: true,
        ..Default::default()
    };
    let (sim, _) = run(cfg);
    assert_eq!(table(&sim, "res_company").len(), 2);
    assert_eq!(table(&sim, "stock_warehouse").len(), 6);
    assert_eq!(table(&sim, "crm_team").len(), 10);
    let companies: BTreeSet<i64> = table(&sim, "sale_order")
        .values()
        .map(|r| int(&r[col(&sim, "sale_order", "company_id")]).unwrap())
        .collect();
    assert_eq!(companies.len(), 2);
}

/// A diagnostic, not a check (compiled only with the `sim-diagnostics`
/// feature, so CI has nothing skipped): prints volumes and KPIs.
/// `SIM_DAYS=90 SIM_ORDERS=200 cargo test -p crossdock-simulator --features sim-diagnostics
/// --lib simulator::tests::stats -- --nocapture`.
#[cfg(feature = "sim-diagnostics")]
#[test]
fn stats() {
    let env = |k: &str, d: u32| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let cfg = SimulatorConfig {
        days: env("SIM_DAYS", 30),
        orders_per_day: env("SIM_ORDERS", 50),
        products: env("SIM_PRODUCTS", 600),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let mut sim = Simulator::new(cfg).unwrap();
    let mut txs = 0u64;
    let mut changes = 0u64;
    let mut per: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
    while let Some(tx) = sim.next_transaction() {
        txs += 1;
        changes += tx.changes.len() as u64;
        for c in &tx.changes {
            *per.entry((c.table.name.clone(), c.op.code())).or_default() += 1;
        }
    }
    println!(
        "{txs} transactions, {changes} changes in {:?}",
        started.elapsed()
    );
    for ((t, op), n) in &per {
        println!("  {t:32} {op} {n}");
    }
    let truth = sim.ground_truth();
    for (ch, k) in truth.by_channel() {
        let p50 = percentile_nearest_rank(&k.cycle_times_us, 0.5).unwrap_or(0) as f64 / 86_400e6;
        let p90 = percentile_nearest_rank(&k.cycle_times_us, 0.9).unwrap_or(0) as f64 / 86_400e6;
        println!(
            "{ch:13} lines {:6} shipped {:6} filled {:5.1}% units {:5.1}% otif {:5.1}% ({} due) cycle p50 {p50:.1}d p90 {p90:.1}d revenue {} margin {:.1}% leaks disc {} list {} cost {}",
            k.lines_confirmed,
            k.lines_shipped,
            100.0 * k.lines_filled as f64 / k.lines_shipped.max(1) as f64,
            100.0 * f64::try_from(k.units_first_shipment).unwrap() / f64::try_from(k.units_ordered_shipped).unwrap().max(1.0),
            100.0 * k.orders_otif as f64 / k.orders_due.max(1) as f64,
            k.orders_due,
            k.revenue,
            100.0 * f64::try_from(k.revenue - k.cost).unwrap() / f64::try_from(k.revenue).unwrap(),
            k.leak_over_discount.round_dp(2),
            k.leak_below_pricelist.round_dp(2),
            k.leak_below_cost.round_dp(2),
        );
    }
}

#[test]
fn rows_are_internally_consistent() {
    check_rows(&month().0);
}

#[test]
fn other_seeds_and_shapes_hold_together() {
    for (seed, warehouses, second) in [
        (1, 1, false),
        (2, 3, true),
        (3, 2, false),
        (4, 5, false),
        (99, 1, true),
    ] {
        let cfg = SimulatorConfig {
            seed,
            days: 12,
            orders_per_day: 30,
            products: 40,
            warehouses,
            second_company: second,
            ..Default::default()
        };
        let (sim, _) = run(cfg);
        check_rows(&sim);
        check_truth(&sim);
        let t = sim.total_check();
        assert!(t.lines_confirmed > 0, "seed {seed}");
    }
}

impl Simulator {
    fn total_check(&self) -> KpiTruth {
        self.ground_truth().total()
    }
}

/// Quantities, reservations, states and money that must agree across tables.
fn check_rows(sim: &Simulator) {
    let fs = sim.final_state();
    let c = |t: &str, n: &str| col(sim, t, n);
    let usage: BTreeMap<i64, String> = fs["stock_location"]
        .iter()
        .map(|(k, r)| {
            (
                k[0],
                r[c("stock_location", "usage")]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    // stock conservation and reservations per (internal location, product)
    let mut on_hand: BTreeMap<(i64, i64), Decimal> = BTreeMap::new();
    let mut reserved: BTreeMap<(i64, i64), Decimal> = BTreeMap::new();
    let mut delivered: BTreeMap<i64, Decimal> = BTreeMap::new();
    let mut received: BTreeMap<i64, Decimal> = BTreeMap::new();
    let mut picking_moves: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for r in fs["stock_move"].values() {
        let m = |n: &str| &r[c("stock_move", n)];
        let (src, dst) = (
            int(m("location_id")).unwrap(),
            int(m("location_dest_id")).unwrap(),
        );
        let p = int(m("product_id")).unwrap();
        let q = dec(m("quantity"));
        let state = m("state").as_str().unwrap();
        if let Some(pk) = int(m("picking_id")) {
            picking_moves.entry(pk).or_default().push(state.to_string());
        }
        if state == "done" {
            if usage[&src] == "internal" {
                *on_hand.entry((src, p)).or_default() -= q;
            }
            if usage[&dst] == "internal" {
                *on_hand.entry((dst, p)).or_default() += q;
            }
            if let Some(l) = int(m("sale_line_id")) {
                if usage[&dst] == "customer" {
                    *delivered.entry(l).or_default() += q;
                } else if m("to_refund") == &Value::Bool(true) {
                    *delivered.entry(l).or_default() -= q;
                }
            }
            if let Some(l) = int(m("purchase_line_id")) {
                *received.entry(l).or_default() += q;
            }
        } else if state != "cancel" && usage[&src] == "internal" {
            *reserved.entry((src, p)).or_default() += q;
        }
    }
    let mut quants: BTreeMap<(i64, i64), (Decimal, Decimal)> = BTreeMap::new();
    for r in fs["stock_quant"].values() {
        let key = (
            int(&r[c("stock_quant", "location_id")]).unwrap(),
            int(&r[c("stock_quant", "product_id")]).unwrap(),
        );
        assert!(quants
            .insert(
                key,
                (
                    dec(&r[c("stock_quant", "quantity")]),
                    dec(&r[c("stock_quant", "reserved_quantity")])
                )
            )
            .is_none());
    }
    for (key, q) in &on_hand {
        let (hq, hr) = quants.get(key).copied().unwrap_or_default();
        assert_eq!(*q, hq, "on hand {key:?}");
        assert_eq!(
            reserved.get(key).copied().unwrap_or_default(),
            hr,
            "reserved {key:?}"
        );
    }
    for (key, (q, r)) in &quants {
        assert_eq!(
            on_hand.get(key).copied().unwrap_or_default(),
            *q,
            "quant {key:?}"
        );
        assert_eq!(
            reserved.get(key).copied().unwrap_or_default(),
            *r,
            "quant reserved {key:?}"
        );
    }
    // picking states follow their moves
    for (k, r) in &fs["stock_picking"] {
        let state = r[c("stock_picking", "state")].as_str().unwrap();
        let moves = &picking_moves[&k[0]];
        let open: Vec<&String> = moves
            .iter()
            .filter(|s| *s != "done" && *s != "cancel")
            .collect();
        let want = if moves.iter().all(|s| s == "cancel") {
            "cancel"
        } else if open.is_empty() {
            "done"
        } else if r[c("stock_picking", "move_type")].as_str() == Some("one") {
            if open.iter().all(|s| *s == "assigned") {
                "assigned"
            } else {
                "confirmed"
            }
        } else if open
            .iter()
            .any(|s| *s == "assigned" || *s == "partially_available")
        {
            "assigned"
        } else {
            "confirmed"
        };
        assert_eq!(state, want, "picking {}", k[0]);
    }
    // delivered / received quantities
    for (k, r) in &fs["sale_order_line"] {
        let want = delivered.get(&k[0]).copied().unwrap_or_default();
        assert_eq!(
            dec(&r[c("sale_order_line", "qty_delivered")]),
            want,
            "line {}",
            k[0]
        );
    }
    for (k, r) in &fs["purchase_order_line"] {
        let want = received.get(&k[0]).copied().unwrap_or_default();
        assert_eq!(
            dec(&r[c("purchase_order_line", "qty_received")]),
            want,
            "po line {}",
            k[0]
        );
    }
    // invoiced quantities through the rel table; balanced journal entries
    let moves = &fs["account_move"];
    let mut invoiced: BTreeMap<i64, Decimal> = BTreeMap::new();
    let mut balance: BTreeMap<i64, Decimal> = BTreeMap::new();
    let amls = &fs["account_move_line"];
    for r in amls.values() {
        *balance
            .entry(int(&r[c("account_move_line", "move_id")]).unwrap())
            .or_default() += dec(&r[c("account_move_line", "balance")]);
    }
    for (m, b) in &balance {
        assert_eq!(*b, Decimal::ZERO, "move {m} is balanced");
    }
    for k in fs["sale_order_line_invoice_rel"].keys() {
        let aml = &amls[&vec![k[1]]];
        let mv = &moves[&vec![int(&aml[c("account_move_line", "move_id")]).unwrap()]];
        let q = dec(&aml[c("account_move_line", "quantity")]);
        let sign = match mv[c("account_move", "move_type")].as_str().unwrap() {
            "out_invoice" => Decimal::ONE,
            "out_refund" => -Decimal::ONE,
            other => panic!("{other}"),
        };
        *invoiced.entry(k[0]).or_default() += sign * q;
    }
    for (k, r) in &fs["sale_order_line"] {
        let want = invoiced.get(&k[0]).copied().unwrap_or_default();
        assert_eq!(
            dec(&r[c("sale_order_line", "qty_invoiced")]),
            want,
            "line {}",
            k[0]
        );
    }
    // order totals are the sum of their lines
    let mut totals: BTreeMap<i64, Decimal> = BTreeMap::new();
    for r in fs["sale_order_line"].values() {
        *totals
            .entry(int(&r[c("sale_order_line", "order_id")]).unwrap())
            .or_default() += dec(&r[c("sale_order_line", "price_subtotal")]);
    }
    for (k, r) in &fs["sale_order"] {
        assert_eq!(
            dec(&r[c("sale_order", "amount_untaxed")]),
            totals[&k[0]],
            "order {}",
            k[0]
        );
    }
}

#[test]
fn portable_math_is_accurate() {
    for x in [-20.0, -3.3, -0.5, 0.0, 0.7, 1.0, 2.5, 9.9, 30.0] {
        let (a, b) = (det_exp(x), x.exp());
        assert!(((a - b) / b).abs() < 1e-13, "exp {x}: {a} {b}");
    }
    for x in [1e-3, 0.5, 1.0, 1.5, 2.0, 50.0, 25_000.0] {
        let (a, b) = (det_ln(x), x.ln());
        assert!((a - b).abs() < 1e-13, "ln {x}: {a} {b}");
    }
    for x in [-7.0, -3.0, -1.0, 0.0, 0.3, 1.5, 3.1, 6.0, 12.0, 100.0] {
        let (a, b) = (det_sin(x), x.sin());
        assert!((a - b).abs() < 1e-12, "sin {x}: {a} {b}");
    }
}

#[test]
fn simulator_is_send() {
    fn send<T: Send>() {}
    send::<Simulator>();
}

#[test]
fn truth_and_rows_agree_mid_stream() {
    let mut sim = Simulator::new(config(21, 10, 30)).unwrap();
    let mut n = 0;
    while sim.next_transaction().is_some() {
        n += 1;
        if n == 700 || n == 1111 {
            check_rows(&sim);
            check_truth(&sim);
            assert_eq!(sim.ground_truth().as_of, sim.clock());
        }
    }
    assert!(n > 1111, "{n} transactions");
}

/// Prints the transactions that touch a table (with a non-NULL `SIM_COL`):
/// `SIM_TABLE=stock_picking SIM_COL=backorder_id SIM_LIMIT=3
/// cargo test -p crossdock-simulator --features sim-diagnostics --lib tests::dump -- --nocapture`.
/// A diagnostic, not a check: compiled only with the `sim-diagnostics` feature.
#[cfg(feature = "sim-diagnostics")]
#[test]
fn dump() {
    let table = std::env::var("SIM_TABLE").unwrap_or_else(|_| "sale_order".into());
    let needle = std::env::var("SIM_COL").unwrap_or_default();
    let limit: usize = std::env::var("SIM_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let mut sim = Simulator::new(config(7, 20, 20)).unwrap();
    let mut shown = 0;
    while let Some(tx) = sim.next_transaction() {
        if shown >= limit {
            break;
        }
        let hit = tx.changes.iter().any(|c| {
            c.table.name == table
                && (needle.is_empty()
                    || c.table
                        .column_index(&needle)
                        .is_some_and(|i| !c.row[i].is_null()))
        });
        if !hit {
            continue;
        }
        shown += 1;
        println!(
            "== position {} at {}",
            tx.position,
            chrono::DateTime::from_timestamp_micros(tx.commit_ts).unwrap()
        );
        for c in &tx.changes {
            let cols: Vec<String> = c
                .table
                .columns
                .iter()
                .zip(&c.row)
                .filter(|(col, v)| {
                    !v.is_null()
                        && !col.name.ends_with("_uid")
                        && col.name != "create_date"
                        && col.name != "write_date"
                })
                .map(|(col, v)| {
                    let s = match v {
                        Value::Int(i) => i.to_string(),
                        Value::Decimal(d) => d.to_string(),
                        Value::Text(t) => format!("{t:?}"),
                        Value::Timestamp(t) => chrono::DateTime::from_timestamp_micros(*t)
                            .unwrap()
                            .format("%m-%d %H:%M")
                            .to_string(),
                        other => format!("{other:?}"),
                    };
                    format!("{}={}", col.name, s)
                })
                .collect();
            println!("  {} {} {}", c.op.code(), c.table.name, cols.join(" "));
        }
    }
}
