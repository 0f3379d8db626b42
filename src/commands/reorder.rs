//! `crossdock reorder`: reorder-rule suggestions from the warehouse, and the
//! what-if on the simulator. Thin: the policy is `crossdock_models::reorder`,
//! the run `crossdock_models::planning`.

use crossdock_models::planning;
use crossdock_models::suggestion::{self, SuggestionQuery};
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
        ReorderCommand::Export => export(data).await,
    }
}

async fn export(data: &str) -> Result<()> {
    let warehouse = Warehouse::open_existing(data)?;
    let rules = crossdock_models::decision::accepted_rules(&warehouse, None).await?;
    let csv = crossdock_odoo::orderpoint_import_csv(&rules)
        .map_err(|e| CliError::Usage(format!("the orderpoint import file: {e}")))?;
    eprintln!("{} accepted rules", rules.len());
    output::print_list(&csv)
}

async fn suggest(data: &str, top: usize, json: bool) -> Result<()> {
    let warehouse = Warehouse::open_existing(data)?;
    let run = planning::run(&warehouse).await?;
    if run.as_of.is_none() {
        return Err(CliError::Usage(format!(
            "the warehouse at {data} holds no confirmed sales yet; run `crossdock demo --no-serve` or `crossdock simulate` first"
        )));
    }
    // Read back as the planner's page reads them: one order, one notion
    // of an exception (crossdock_models::suggestion).
    let rows = suggestion::list(&warehouse, &SuggestionQuery::default()).await?;
    if json {
        let text =
            serde_json::to_string_pretty(&rows).map_err(|e| CliError::Usage(e.to_string()))?;
        return output::print_list(&(text + "\n"));
    }
    let mut text = format!(
        "{} suggestions as of {} written to {}derived/{} ({} with exceptions)\n",
        run.suggestions.len(),
        run.as_of.map(|d| d.to_string()).unwrap_or_default(),
        warehouse.root(),
        planning::SUGGESTION_TABLE,
        rows.iter().filter(|r| !r.exceptions.is_empty()).count(),
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
            let now = |v: Option<rust_decimal::Decimal>| {
                v.map(|v| v.normalize().to_string())
                    .unwrap_or_else(|| "-".into())
            };
            let risk = match r.stockout_risk_before {
                Some(b) => format!("{:.0}→{:.0}%", b * 100.0, r.stockout_risk_after * 100.0),
                None => format!("{:.0}%", r.stockout_risk_after * 100.0),
            };
            let name: String = r.product.chars().take(34).collect();
            let flags: Vec<&str> = r.exceptions.iter().map(|e| e.label()).collect();
            text.push_str(&format!(
                "{:<10} {:<34} {:>5} {:>13} {:>13} {:>9}  {}{}\n",
                r.warehouse.chars().take(10).collect::<String>(),
                name,
                format!(
                    "{}/{}",
                    r.abc,
                    &r.demand_class[..r.demand_class.len().min(3)]
                ),
                format!(
                    "{}→{}",
                    now(r.current_min_qty),
                    r.suggested_min_qty.normalize()
                ),
                format!(
                    "{}→{}",
                    now(r.current_max_qty),
                    r.suggested_max_qty.normalize()
                ),
                risk,
                if flags.is_empty() {
                    String::new()
                } else {
                    format!("[{}] ", flags.join(", "))
                },
                r.reason,
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
