//! The tables are open Delta tables: the Python `deltalake` package (an
//! independent reader) sees the same rows.

use std::process::Command;

use crate::common::{demo_fixture, require_tool};

const SCRIPT: &str = r#"
import json, os, sys
from deltalake import DeltaTable
root = sys.argv[1]
out = {}
for kind in ("current", "changes"):
    for name in sorted(os.listdir(os.path.join(root, kind))):
        t = DeltaTable(os.path.join(root, kind, name))
        out[kind + "/" + name] = t.to_pyarrow_table().num_rows
# money stays exact: a decimal column comes back as a decimal
t = DeltaTable(os.path.join(root, "current", "sale_order_line")).to_pyarrow_table()
out["price_unit_type"] = str(t.schema.field("price_unit").type)
out["date_order_type"] = str(DeltaTable(os.path.join(root, "current", "sale_order")).to_pyarrow_table().schema.field("date_order").type)
print(json.dumps(out))
sys.stdout.flush()
# Everything this check reads is read and printed above. deltalake's native
# threads can abort the interpreter's teardown under load ("terminate called
# without an active exception", seen with two Python readers at once), which
# says nothing about the tables: leave without the teardown.
os._exit(0)
"#;

fn python_has_deltalake() -> bool {
    Command::new("python3")
        .args(["-c", "import deltalake"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn python_deltalake_reads_the_same_row_counts() {
    if !require_tool("python3 with the deltalake package", python_has_deltalake()) {
        return;
    }
    let (data, _) = demo_fixture();
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python deltalake failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["price_unit_type"], "decimal128(38, 10)");
    assert!(
        seen["date_order_type"].as_str().unwrap().contains("tz=UTC"),
        "{}",
        seen["date_order_type"]
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let warehouse = crossdock_warehouse::Warehouse::open(data.to_str().unwrap()).unwrap();
    let mut compared = 0;
    for def in warehouse.catalog().tables() {
        for (kind, table) in [
            ("current", def.name.clone()),
            ("changes", format!("changes_{}", def.name)),
        ] {
            let key = format!("{kind}/{}", def.name);
            let Some(py) = seen.get(&key) else { continue };
            let batches = rt
                .block_on(warehouse.sql(&format!("SELECT count(*) AS n FROM {table}")))
                .unwrap();
            let ours = arrow::array::AsArray::as_primitive::<arrow::datatypes::Int64Type>(
                batches[0].column(0),
            )
            .value(0);
            assert_eq!(py.as_i64().unwrap(), ours, "{key}");
            compared += 1;
        }
    }
    assert!(compared >= 40, "compared only {compared} tables");
}

fn python_has_polars() -> bool {
    Command::new("python3")
        .args(["-c", "import polars, deltalake"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `notebooks/recompute_kpis.py` recomputes the KPIs with polars, straight
/// from the current-state tables, and must agree with `crossdock kpi`.
#[test]
fn polars_notebook_recomputes_the_same_kpis() {
    if !require_tool("python3 with polars and deltalake", python_has_polars()) {
        return;
    }
    let (data, _) = demo_fixture();
    let out = crate::common::crossdock()
        .args(["kpi", "--by", "channel", "--format", "json", "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("kpis.json");
    std::fs::write(&report, &out.stdout).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/notebooks/recompute_kpis.py");
    let run = Command::new("python3")
        .arg(script)
        .arg(data)
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "polars disagrees with crossdock:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("all 5 channels agree"), "{stdout}");
}
