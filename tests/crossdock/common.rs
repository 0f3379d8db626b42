//! Shared helpers: reading Delta tables back as typed values, comparing them
//! with the simulator, and finding outside tools (which CI must have).

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type,
    TimestampMicrosecondType,
};
use crossdock_change::catalog::{PgType, TableDef};
use crossdock_change::event::i128_to_decimal;
use crossdock_change::Value;
use crossdock_simulator::Simulator;
use crossdock_warehouse::Warehouse;

/// A small, fast simulation that still exercises every flow.
pub fn small_config(seed: u64) -> crossdock_simulator::SimulatorConfig {
    crossdock_simulator::SimulatorConfig {
        seed,
        days: 16,
        orders_per_day: 25,
        products: 30,
        ..Default::default()
    }
}

/// True when running under CI, where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| !v.is_empty() && v != "false")
        .unwrap_or(false)
}

/// Skips (outside CI, loudly) or fails (in CI) when a tool is missing.
pub fn require_tool(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    if in_ci() {
        panic!("{what} is required in CI but is not available; .ci/run must install it");
    }
    eprintln!("\n*** SKIPPED: {what} is not available on this machine (CI installs it) ***\n");
    false
}

fn value_at(col: &dyn Array, pg: PgType, i: usize) -> Value {
    if col.is_null(i) {
        return Value::Null;
    }
    match (pg, col.data_type()) {
        (PgType::Int4, _) => Value::Int(col.as_primitive::<Int32Type>().value(i) as i64),
        (PgType::Int8, _) => Value::Int(col.as_primitive::<Int64Type>().value(i)),
        (PgType::Float8, _) => Value::Float(col.as_primitive::<Float64Type>().value(i)),
        (PgType::Numeric { scale, .. }, _) => Value::Decimal(
            i128_to_decimal(col.as_primitive::<Decimal128Type>().value(i), scale)
                .expect("decimal fits")
                .normalize(),
        ),
        (PgType::Text | PgType::Jsonb, DataType::Utf8) => {
            Value::Text(col.as_string::<i32>().value(i).to_string())
        }
        (PgType::Text | PgType::Jsonb, DataType::Utf8View) => {
            Value::Text(col.as_string_view().value(i).to_string())
        }
        (PgType::Text | PgType::Jsonb, DataType::LargeUtf8) => {
            Value::Text(col.as_string::<i64>().value(i).to_string())
        }
        (PgType::Bool, _) => Value::Bool(col.as_boolean().value(i)),
        (PgType::Date, _) => Value::Date(col.as_primitive::<Date32Type>().value(i)),
        (PgType::Timestamp, _) => {
            Value::Timestamp(col.as_primitive::<TimestampMicrosecondType>().value(i))
        }
        (PgType::Bytea, DataType::Binary) => Value::Bytes(col.as_binary::<i32>().value(i).to_vec()),
        (PgType::Bytea, DataType::BinaryView) => {
            Value::Bytes(col.as_binary_view().value(i).to_vec())
        }
        (pg, dt) => panic!("unexpected arrow type {dt} for {pg:?}"),
    }
}

/// A value as the comparison sees it: decimals normalized.
pub fn normalize(v: &Value) -> Value {
    match v {
        Value::Decimal(d) => Value::Decimal(d.normalize()),
        other => other.clone(),
    }
}

/// Rows of a current-state table keyed by primary key, Odoo columns only.
pub async fn current_rows(warehouse: &Warehouse, def: &TableDef) -> BTreeMap<Vec<i64>, Vec<Value>> {
    let cols = def
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let batches: Vec<RecordBatch> = warehouse
        .sql(&format!("SELECT {cols} FROM {}", def.name))
        .await
        .unwrap_or_else(|e| panic!("reading {}: {e}", def.name));
    let mut out = BTreeMap::new();
    for b in &batches {
        for i in 0..b.num_rows() {
            let row: Vec<Value> = def
                .columns
                .iter()
                .enumerate()
                .map(|(ci, c)| value_at(b.column(ci).as_ref(), c.pg_type, i))
                .collect();
            let key: Vec<i64> = def
                .primary_key
                .iter()
                .map(|k| row[*k].as_int().expect("integer keys"))
                .collect();
            assert!(
                out.insert(key.clone(), row).is_none(),
                "{}: key {key:?} appears twice in the current state",
                def.name
            );
        }
    }
    out
}

/// Asserts that every current-state table equals the simulator's final state.
pub async fn assert_current_equals_simulator(warehouse: &Warehouse, sim: &Simulator) {
    let expected = sim.final_state();
    let mut tables_checked = 0;
    for def in warehouse.catalog().tables() {
        let got = current_rows(warehouse, def).await;
        let want: BTreeMap<Vec<i64>, Vec<Value>> = expected
            .get(&def.name)
            .map(|rows| {
                rows.iter()
                    .map(|(k, r)| (k.clone(), r.iter().map(normalize).collect()))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            got.len(),
            want.len(),
            "{}: {} rows in the warehouse, {} in the simulator",
            def.name,
            got.len(),
            want.len()
        );
        for (key, row) in &want {
            let have = got
                .get(key)
                .unwrap_or_else(|| panic!("{}: row {key:?} missing", def.name));
            for (ci, c) in def.columns.iter().enumerate() {
                assert_eq!(
                    have[ci], row[ci],
                    "{}: row {key:?}, column {}: warehouse has {:?}, simulator {:?}",
                    def.name, c.name, have[ci], row[ci]
                );
            }
        }
        if !want.is_empty() {
            tables_checked += 1;
        }
    }
    assert!(
        tables_checked >= 20,
        "only {tables_checked} tables had rows"
    );
}

/// Number of change-log rows per table.
pub async fn change_log_counts(warehouse: &Warehouse) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for def in warehouse.catalog().tables() {
        let b = warehouse
            .sql(&format!("SELECT count(*) FROM changes_{}", def.name))
            .await
            .unwrap();
        let n = b[0].column(0).as_primitive::<Int64Type>().value(0);
        out.insert(def.name.clone(), n);
    }
    out
}

/// The `crossdock` binary under test.
pub fn crossdock() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_crossdock"));
    cmd.env_remove("CROSSDOCK_DATA").env("NO_COLOR", "1");
    cmd
}

/// The small demo's simulation flags, shared by the fixture and the tests
/// that recompute its ground truth.
pub const DEMO_FLAGS: [&str; 10] = [
    "--seed",
    "3",
    "--days",
    "10",
    "--orders-per-day",
    "15",
    "--products",
    "40",
    "--warehouses",
    "2",
];

/// The simulator configuration `DEMO_FLAGS` stand for.
pub fn demo_config() -> crossdock_simulator::SimulatorConfig {
    crossdock_simulator::SimulatorConfig {
        seed: 3,
        days: 10,
        orders_per_day: 15,
        products: 40,
        warehouses: 2,
        ..Default::default()
    }
}

static FIXTURE: std::sync::OnceLock<(tempfile::TempDir, std::path::PathBuf, String)> =
    std::sync::OnceLock::new();

/// A warehouse built once per test run by `crossdock demo --no-serve`, and
/// its stdout.
pub fn demo_fixture() -> (&'static std::path::Path, &'static str) {
    let (_dir, data, stdout) = FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = crossdock()
            .arg("demo")
            .arg("--no-serve")
            .args(DEMO_FLAGS)
            .arg("--data")
            .arg(dir.path().join("data"))
            .output()
            .expect("run crossdock demo");
        assert!(
            out.status.success(),
            "crossdock demo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let data = dir.path().join("data");
        (dir, data, String::from_utf8(out.stdout).unwrap())
    });
    (data.as_path(), stdout.as_str())
}

/// Asserts one KPI row, as JSON, equals the simulator's ground truth, field
/// by field through the warehouse's KPI registry: every registered field
/// must have a truth (`KpiTruth::field`); integers and null exactly,
/// decimals exactly (as decimals), floats to 1e-12.
pub fn assert_row_equals_truth(
    row: &serde_json::Value,
    truth: &crossdock_simulator::KpiTruth,
    ctx: &str,
) {
    for f in crossdock_warehouse::kpi::fields() {
        let want = truth.field(f.name).unwrap_or_else(|| {
            panic!(
                "{ctx}: KpiTruth::field has no ground truth for KPI field {}",
                f.name
            )
        });
        let got = row
            .get(f.name)
            .unwrap_or_else(|| panic!("{ctx}: the row has no field {}: {row}", f.name));
        let same = if f.kind.is_decimal() && !want.is_null() {
            let d = |v: &serde_json::Value| {
                v.as_str()
                    .and_then(|s| s.parse::<rust_decimal::Decimal>().ok())
                    .map(|d| d.normalize())
            };
            d(got).is_some() && d(got) == d(&want)
        } else if f.kind.is_float() && !want.is_null() {
            match (got.as_f64(), want.as_f64()) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                _ => false,
            }
        } else {
            *got == want
        };
        assert!(same, "{ctx}: {}: got {got}, ground truth {want}", f.name);
    }
}

/// Runs a Python script (the outside readers' checks: deltalake, polars)
/// and returns what it did. The interpreter ends with `os._exit` after a
/// flush: under load, the deltalake package's native threads have aborted
/// the interpreter's teardown ("terminate called without an active
/// exception") after a script had run (seen twice on 2026-12-01). A script
/// that fails still fails: its exception ends it before the exit.
pub fn python_output(script: &str) -> std::process::Output {
    let wrapped =
        format!("{script}\nimport os as _os, sys as _sys\n_sys.stdout.flush()\n_os._exit(0)\n");
    std::process::Command::new("python3")
        .args(["-c", &wrapped])
        .output()
        .expect("run python3")
}

/// Can python3 import these modules (`"deltalake"`, `"polars, deltalake"`)?
pub fn python_has(modules: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}
