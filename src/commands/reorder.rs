//! `crossdock reorder`: reorder-rule suggestions from the warehouse, and the
//! what-if on the simulator. Thin: the policy is `crossdock_models::reorder`,
//! the run `crossdock_models::planning`.

use crossdock_models::planning::{self, SuggestionRow};
use crossdock_simulator::whatif::{self, BranchMetrics, OrderpointRule};
use crossdock_simulator::Simulator;
use crossdock_warehouse::{layout, Warehouse};
use serde_json::{json, Value};

use crate::commands::simulate;

use crate::output;
use crate::{CliError, ReorderArgs, ReorderCommand, Result};

pub async fn run(data: &str, args: ReorderArgs) -> Result<()> {
    match args.command {
        ReorderCommand::Suggest { top, json } => suggest(data, top, json).await,
        ReorderCommand::Whatif { days, json } => whatif(data, days, json).await,
    }
}

/// The order a planner reads suggestions in: exceptions (no rule in force,
/// risk up, dead stock held) first, then by the size of the change.
pub fn planner_order(rows: &mut [&SuggestionRow]) {
    let weight = |r: &SuggestionRow| {
        let change = r.suggestion.min_change_percent.unwrap_or(100.0).abs();
        let exception = r.item.current.is_none()
            || r.position.backorder_qty > 0.0
            || r.suggestion.stockout_risk_before.unwrap_or(0.0) > 0.2;
        (exception, change)
    };
    rows.sort_by(|a, b| {
        let (ea, ca) = weight(a);
        let (eb, cb) = weight(b);
        eb.cmp(&ea).then(cb.total_cmp(&ca))
    });
}

fn as_json(r: &SuggestionRow) -> Value {
    let cur = r.item.current.as_ref();
    json!({
        "key": r.key(),
        "warehouse": r.item.warehouse,
        "product": r.item.product,
        "default_code": r.item.default_code,
        "demand_class": r.demand_class,
        "abc": r.abc.to_string(),
        "method": r.method,
        "demand_per_week": r.demand_per_week,
        "service_level": r.service_level,
        "lead_time_days": r.lead_time.days,
        "orderpoint_id": cur.map(|c| c.orderpoint_id),
        "current_min_qty": cur.map(|c| c.min.normalize().to_string()),
        "current_max_qty": cur.map(|c| c.max.normalize().to_string()),
        "suggested_min_qty": r.suggestion.min.normalize().to_string(),
        "suggested_max_qty": r.suggestion.max.normalize().to_string(),
        "qty_multiple": r.suggestion.multiple.normalize().to_string(),
        "stockout_risk_before": r.suggestion.stockout_risk_before,
        "stockout_risk_after": r.suggestion.stockout_risk_after,
        "stock_value_before": r.suggestion.stock_value_before.map(|v| v.to_string()),
        "stock_value_after": r.suggestion.stock_value_after.to_string(),
        "on_hand": r.position.on_hand,
        "days_of_cover": r.days_of_cover,
        "reason": r.suggestion.reason,
    })
}

async fn suggest(data: &str, top: usize, json: bool) -> Result<()> {
    let warehouse = Warehouse::open_existing(data)?;
    let run = planning::run(&warehouse).await?;
    if run.as_of.is_none() {
        return Err(CliError::Usage(format!(
            "the warehouse at {data} holds no confirmed sales yet; run `crossdock demo --no-serve` or `crossdock simulate` first"
        )));
    }
    let mut rows: Vec<&SuggestionRow> = run.suggestions.iter().collect();
    planner_order(&mut rows);
    if json {
        let all: Vec<Value> = rows.iter().map(|r| as_json(r)).collect();
        return output::print_list(&(serde_json::to_string_pretty(&all).expect("json") + "\n"));
    }
    let mut text = format!(
        "{} suggestions as of {} written to {}derived/{}\n",
        run.suggestions.len(),
        run.as_of.map(|d| d.to_string()).unwrap_or_default(),
        warehouse.root(),
        planning::SUGGESTION_TABLE,
    );
    let classes: Vec<String> = planning::summary(&run)
        .into_iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    text.push_str(&format!("demand classes: {}\n", classes.join(", ")));
    if top > 0 {
        text.push_str(&format!(
            "\n{:<10} {:<34} {:>5} {:>13} {:>13} {:>9}  reason\n",
            "warehouse", "product", "class", "min now→new", "max now→new", "risk"
        ));
        for r in rows.iter().take(top) {
            let cur = r.item.current.as_ref();
            let now = |v: Option<rust_decimal::Decimal>| {
                v.map(|v| v.normalize().to_string())
                    .unwrap_or_else(|| "-".into())
            };
            let risk = match r.suggestion.stockout_risk_before {
                Some(b) => format!(
                    "{:.0}→{:.0}%",
                    b * 100.0,
                    r.suggestion.stockout_risk_after * 100.0
                ),
                None => format!("{:.0}%", r.suggestion.stockout_risk_after * 100.0),
            };
            let name: String = r.item.product.chars().take(34).collect();
            text.push_str(&format!(
                "{:<10} {:<34} {:>5} {:>13} {:>13} {:>9}  {}\n",
                r.item.warehouse.chars().take(10).collect::<String>(),
                name,
                format!(
                    "{}/{}",
                    r.abc,
                    &r.demand_class[..r.demand_class.len().min(3)]
                ),
                format!(
                    "{}→{}",
                    now(cur.map(|c| c.min)),
                    r.suggestion.min.normalize()
                ),
                format!(
                    "{}→{}",
                    now(cur.map(|c| c.max)),
                    r.suggestion.max.normalize()
                ),
                risk,
                r.suggestion.reason,
            ));
        }
    }
    output::print_list(&text)
}

async fn whatif(data: &str, days: u32, json: bool) -> Result<()> {
    let warehouse = Warehouse::open_existing(data)?;
    let path = layout::source_record_path(warehouse.root())?;
    let text = std::fs::read_to_string(&path).map_err(|source| CliError::Io {
        path: path.clone(),
        source,
    })?;
    let record: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: corrupt ({e})", path.display())))?;
    if record["kind"] != "simulator" {
        return Err(CliError::Usage(format!(
            "reorder whatif replays the simulator, but {data} is filled from {} ({}); the what-if needs a warehouse built by `crossdock demo` or `crossdock simulate`",
            record["kind"].as_str().unwrap_or("an unknown source"),
            path.display()
        )));
    }
    let config = simulate::config_from_json(&record)
        .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    let (stored, without_rule) = planning::stored_rules(&warehouse).await?;
    if stored.is_empty() {
        return Err(CliError::Usage(format!(
            "no suggestions with a rule in force in {data}; run `crossdock reorder suggest --data {data}` first"
        )));
    }
    let rules: Vec<OrderpointRule> = stored
        .iter()
        .map(|r| OrderpointRule {
            orderpoint_id: r.orderpoint_id,
            warehouse_id: r.warehouse_id,
            product_id: r.product_id,
            product_min_qty: r.min,
            product_max_qty: r.max,
            qty_multiple: r.multiple,
        })
        .collect();
    eprintln!(
        "replaying the simulation (seed {}, {} days) to the end of the warehouse's history ...",
        config.seed, config.days
    );
    let mut sim = Simulator::new(config)?;
    sim.run_to_end();
    eprintln!(
        "then {days} more days twice: under the rules in force, and under {} suggested rules ...",
        rules.len()
    );
    let result = whatif::compare(&sim, days, &rules)?;
    if json {
        let mut v = serde_json::to_value(&result).expect("json");
        v["suggestions_without_rule"] = json!(without_rule);
        return output::print_list(&(serde_json::to_string_pretty(&v).expect("json") + "\n"));
    }
    let pct = |v: Option<f64>| {
        v.map(|v| format!("{:.1} %", v * 100.0))
            .unwrap_or_else(|| "-".into())
    };
    let (c, g) = (&result.current, &result.suggested);
    let both = |f: &dyn Fn(&BranchMetrics) -> String| (f(c), f(g));
    let rows: Vec<(&str, (String, String))> = vec![
        ("line fill rate", both(&|m| pct(m.line_fill_rate))),
        ("unit fill rate", both(&|m| pct(m.unit_fill_rate))),
        ("OTIF", both(&|m| pct(m.otif))),
        (
            "stock-outs (warehouse × product × day)",
            both(&|m| m.stockouts.to_string()),
        ),
        (
            "average stock value",
            both(&|m| output::money(m.average_stock_value)),
        ),
        ("purchase orders", both(&|m| m.purchase_orders.to_string())),
        (
            "purchase order lines",
            both(&|m| m.purchase_order_lines.to_string()),
        ),
        ("units purchased", both(&|m| m.units_purchased.to_string())),
        (
            "units customers ordered (equal: same demand)",
            both(&|m| m.units_ordered.to_string()),
        ),
    ];
    let mut text = format!(
        "what-if over {} days after the history ({} rules changed; {} suggestions without a rule in force left out)\n\n{:<46} {:>16} {:>16}\n",
        result.days, result.rules_changed, without_rule, "", "rules in force", "suggested rules"
    );
    for (label, (now, then)) in &rows {
        text.push_str(&format!("{label:<46} {now:>16} {then:>16}\n"));
    }
    output::print_list(&text)
}
