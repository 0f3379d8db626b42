//! `crossdock reorder suggest` and `reorder whatif` as a planner runs them,
//! on a demo of its own (60 days, enough history for weekly forecasts), and
//! the suggestions table read back by the Python `deltalake` package.

use serde_json::Value;

use crate::common::{crossdock, require_tool};

fn run(args: &[&str]) -> (String, String) {
    let out = crossdock().args(args).output().expect("run crossdock");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        out.status.success(),
        "crossdock {args:?} failed:\n{stderr}\n{stdout}"
    );
    (stdout, stderr)
}

#[test]
fn suggestions_explain_themselves_and_beat_the_rules_in_force_on_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    run(&[
        "demo",
        "--no-serve",
        "--seed",
        "7",
        "--days",
        "60",
        "--orders-per-day",
        "60",
        "--products",
        "60",
        "--data",
        data,
    ]);
    // the demo computed the suggestions for the planner's page
    assert!(std::path::Path::new(data)
        .join("derived/reorder_suggestion/_delta_log")
        .is_dir());
    // a warehouse without suggestions: the what-if says what to do first
    let bare = dir.path().join("bare");
    let bare = bare.to_str().unwrap();
    run(&[
        "simulate",
        "--days",
        "3",
        "--orders-per-day",
        "5",
        "--products",
        "20",
        "--data",
        bare,
    ]);
    let out = crossdock()
        .args(["reorder", "whatif", "--data", bare])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("reorder suggest"), "{err}");

    let (text, _) = run(&["reorder", "suggest", "--data", data, "--top", "5"]);
    assert!(
        text.contains("120 suggestions"),
        "2 warehouses × 60 products:\n{text}"
    );
    let (json, _) = run(&["reorder", "suggest", "--data", data, "--json"]);
    let rows: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), 120);
    for r in &rows {
        let reason = r["reason"].as_str().unwrap();
        assert!(reason.contains("% service"), "{reason}");
        assert!(reason.contains("lead time"), "{reason}");
        let min: f64 = r["suggested_min_qty"].as_str().unwrap().parse().unwrap();
        let max: f64 = r["suggested_max_qty"].as_str().unwrap().parse().unwrap();
        assert!(min <= max, "{r}");
        assert!(
            r["orderpoint_id"].is_i64(),
            "every demo product has a rule: {r}"
        );
    }

    let (json, _) = run(&[
        "reorder", "whatif", "--data", data, "--days", "28", "--json",
    ]);
    let w: Value = serde_json::from_str(&json).unwrap();
    let (cur, sug) = (&w["current"], &w["suggested"]);
    assert_eq!(
        cur["units_ordered"], sug["units_ordered"],
        "same demand in both: {w}"
    );
    assert!(w["rules_changed"].as_u64().unwrap() > 0);
    let fill = |m: &Value| m["line_fill_rate"].as_f64().unwrap();
    let value = |m: &Value| {
        m["average_stock_value"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert!(fill(sug) >= fill(cur), "fill rate: {w}");
    assert!(value(sug) < value(cur), "stock value: {w}");
    assert!(
        sug["stockouts"].as_u64().unwrap() <= cur["stockouts"].as_u64().unwrap(),
        "stock-outs: {w}"
    );

    // outside readers see the derived tables as plain Delta tables
    let python = crate::common::python_has("deltalake");
    if !require_tool("the Python deltalake package", python) {
        return;
    }
    let script = format!(
        "import deltalake\n\
         t = deltalake.DeltaTable('{data}/derived/reorder_suggestion').to_pyarrow_table()\n\
         f = deltalake.DeltaTable('{data}/derived/demand_forecast').to_pyarrow_table()\n\
         kinds = set(f.column('kind').to_pylist())\n\
         print(t.num_rows, sorted(kinds), t.schema.field('suggested_min_qty').type)\n"
    );
    let out = crate::common::python_output(&script);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.trim(), "120 ['forecast', 'history'] decimal128(38, 4)");
}
