//! Integration tests of the warehouse on hand-made change batches: real
//! Delta tables in a temporary directory, read back through DataFusion.

use std::str::FromStr;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{Decimal128Type, Int32Type, Int64Type};
use crossdock_change::{Catalog, Change, ChangeBatch, ChangeBatchBuilder, Op, Transaction, Value};
use crossdock_warehouse::{ApplyOptions, FailPoint, Warehouse, WarehouseError};
use rust_decimal::Decimal;

fn uom(op: Op, id: i64, name: &str, factor: &str) -> Change {
    let def = Catalog::odoo17().require("uom_uom").unwrap().clone();
    let mut row = vec![Value::Null; def.columns.len()];
    row[def.require("id").unwrap()] = Value::Int(id);
    row[def.require("name").unwrap()] = Value::from(format!(r#"{{"en_US": "{name}"}}"#));
    row[def.require("category_id").unwrap()] = Value::Int(1);
    row[def.require("uom_type").unwrap()] = Value::from("bigger");
    row[def.require("factor").unwrap()] = Value::Decimal(Decimal::from_str(factor).unwrap());
    row[def.require("rounding").unwrap()] = Value::Decimal(Decimal::from_str("0.01").unwrap());
    Change {
        table: def,
        op,
        row,
    }
}

fn truncate_uom() -> Change {
    let def = Catalog::odoo17().require("uom_uom").unwrap().clone();
    Change {
        table: def,
        op: Op::Truncate,
        row: vec![],
    }
}

fn batch(txs: Vec<(u64, Vec<Change>)>) -> ChangeBatch {
    let mut b = ChangeBatchBuilder::new();
    for (pos, changes) in txs {
        b.push(&Transaction {
            xid: pos as i64,
            position: pos,
            commit_ts: pos as i64 * 1_000_000,
            changes,
        })
        .unwrap();
    }
    b.finish().unwrap()
}

async fn rows(w: &Warehouse, sql: &str) -> Vec<RecordBatch> {
    w.sql(sql).await.unwrap()
}

async fn uoms(w: &Warehouse) -> Vec<(i32, String, Decimal)> {
    let mut out = Vec::new();
    for b in rows(w, "SELECT id, name_en_us, factor FROM uom_uom ORDER BY id").await {
        let ids = b.column(0).as_primitive::<Int32Type>();
        let names = arrow::compute::cast(b.column(1), &arrow::datatypes::DataType::Utf8).unwrap();
        let names = names.as_string::<i32>();
        let f = b.column(2).as_primitive::<Decimal128Type>();
        for i in 0..b.num_rows() {
            out.push((
                ids.value(i),
                names.value(i).to_string(),
                Decimal::from_i128_with_scale(f.value(i), 10).normalize(),
            ));
        }
    }
    out
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[tokio::test]
async fn inserts_updates_deletes_and_truncates_reach_the_current_state() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
    let mut a = w.applier(ApplyOptions::default());
    // first batch: plain inserts (the bulk-append path)
    a.apply(&batch(vec![
        (
            1,
            vec![
                uom(Op::Insert, 1, "Units", "1"),
                uom(Op::Insert, 2, "Pack of 10", "0.1"),
            ],
        ),
        (2, vec![uom(Op::Insert, 3, "Pallet", "0.01")]),
    ]))
    .await
    .unwrap();
    assert_eq!(
        uoms(&w).await,
        vec![
            (1, "Units".into(), d("1")),
            (2, "Pack of 10".into(), d("0.1")),
            (3, "Pallet".into(), d("0.01"))
        ]
    );
    // second batch: update twice (last wins), delete, insert (the MERGE path)
    a.apply(&batch(vec![
        (3, vec![uom(Op::Update, 2, "Pack of 20", "0.05")]),
        (
            4,
            vec![
                uom(Op::Update, 2, "Pack of 25", "0.04"),
                uom(Op::Delete, 3, "", "0"),
            ],
        ),
        (5, vec![uom(Op::Insert, 4, "Box", "0.02")]),
    ]))
    .await
    .unwrap();
    assert_eq!(
        uoms(&w).await,
        vec![
            (1, "Units".into(), d("1")),
            (2, "Pack of 25".into(), d("0.04")),
            (4, "Box".into(), d("0.02"))
        ]
    );
    // a truncate in the middle of a batch: only what follows it survives
    a.apply(&batch(vec![
        (6, vec![uom(Op::Update, 1, "Unit", "1")]),
        (7, vec![truncate_uom()]),
        (8, vec![uom(Op::Insert, 9, "Dozen-ish", "0.1")]),
    ]))
    .await
    .unwrap();
    assert_eq!(uoms(&w).await, vec![(9, "Dozen-ish".into(), d("0.1"))]);
    // a truncate alone empties the table
    a.apply(&batch(vec![(9, vec![truncate_uom()])]))
        .await
        .unwrap();
    assert!(uoms(&w).await.is_empty());
    // the change log holds every change, in order, with its operation
    let log = rows(
        &w,
        "SELECT _op, _position FROM changes_uom_uom ORDER BY _position, _seq",
    )
    .await;
    let ops: Vec<String> = log
        .iter()
        .flat_map(|b| {
            let c = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8).unwrap();
            (0..b.num_rows())
                .map(move |i| c.as_string::<i32>().value(i).to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ops.join(""), "IIIUUDIUTIT");
    assert_eq!(w.resume_position().await.unwrap(), 9);
}

#[tokio::test]
async fn the_same_batch_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
    let b = batch(vec![
        (1, vec![uom(Op::Insert, 1, "Units", "1")]),
        (2, vec![uom(Op::Update, 1, "U", "1")]),
    ]);
    let first = w.applier(ApplyOptions::default()).apply(&b).await.unwrap();
    assert_eq!(first.changes_logged, 2);
    // a new applier, as after a restart
    let again = w.applier(ApplyOptions::default()).apply(&b).await.unwrap();
    assert_eq!(again.changes_logged, 0);
    assert_eq!(again.changes_skipped, 2);
    assert_eq!(again.rows_upserted, 0);
    let n = rows(&w, "SELECT count(*) FROM changes_uom_uom").await;
    assert_eq!(n[0].column(0).as_primitive::<Int64Type>().value(0), 2);
}

#[tokio::test]
async fn a_crash_between_tables_resumes_without_loss_or_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
    let company = Catalog::odoo17().require("res_company").unwrap().clone();
    let mut row = vec![Value::Null; company.columns.len()];
    row[company.require("id").unwrap()] = Value::Int(1);
    row[company.require("name").unwrap()] = Value::from("Acme");
    let b = batch(vec![(
        1,
        vec![
            Change {
                table: company,
                op: Op::Insert,
                row,
            },
            uom(Op::Insert, 1, "Units", "1"),
        ],
    )]);
    // crash after the first commit: res_company's change log only
    let err = w
        .applier(ApplyOptions {
            fail_point: Some(FailPoint::AfterCommits(1)),
            ..Default::default()
        })
        .apply(&b)
        .await
        .unwrap_err();
    assert!(matches!(err, WarehouseError::InjectedCrash { commits: 1 }));
    assert_eq!(
        w.resume_position().await.unwrap(),
        0,
        "checkpoint not yet written"
    );
    // restart and replay the same changes
    let report = w.applier(ApplyOptions::default()).apply(&b).await.unwrap();
    assert_eq!(
        report.changes_skipped, 1,
        "res_company's logged change is not logged again"
    );
    assert_eq!(report.changes_logged, 1);
    assert_eq!(w.resume_position().await.unwrap(), 1);
    for t in [
        "changes_res_company",
        "changes_uom_uom",
        "res_company",
        "uom_uom",
    ] {
        let n = rows(&w, &format!("SELECT count(*) FROM {t}")).await;
        assert_eq!(
            n[0].column(0).as_primitive::<Int64Type>().value(0),
            1,
            "{t}"
        );
    }
}

#[tokio::test]
async fn numbers_that_do_not_fit_are_rejected_not_rounded() {
    let mut b = ChangeBatchBuilder::new();
    b.push(&Transaction {
        xid: 1,
        position: 1,
        commit_ts: 0,
        changes: vec![uom(Op::Insert, 1, "x", "0.083333333333333")],
    })
    .unwrap();
    let err = b.finish().unwrap_err().to_string();
    assert!(
        err.contains("uom_uom") && err.contains("factor") && err.contains("decimal places"),
        "{err}"
    );
}

#[tokio::test]
async fn an_empty_warehouse_answers_queries() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
    assert_eq!(w.resume_position().await.unwrap(), 0);
    let report = w.kpis(&Default::default()).await.unwrap();
    assert!(report.rows.is_empty());
    assert_eq!(report.as_of_us, None);
}

/// Only "there is no checkpoint table yet" means position 0. A checkpoint
/// log that cannot be read is an error naming it — a 0 would make a source
/// take a new snapshot without truncating (ghost rows) or apply changes
/// twice — and nothing is written meanwhile.
#[tokio::test]
async fn an_unreadable_checkpoint_table_is_an_error_not_position_zero() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
    assert_eq!(w.resume_position().await.unwrap(), 0, "new warehouse");
    let mut a = w.applier(ApplyOptions::default());
    a.apply(&batch(vec![(10, vec![uom(Op::Insert, 1, "Units", "1")])]))
        .await
        .unwrap();
    a.apply(&batch(vec![(20, vec![uom(Op::Insert, 2, "Dozens", "12")])]))
        .await
        .unwrap();
    assert_eq!(w.resume_position().await.unwrap(), 20);
    let log = dir.path().join("_crossdock/checkpoints/_delta_log");
    let mut commits: Vec<_> = std::fs::read_dir(&log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    commits.sort();
    let newest = commits.last().unwrap();
    std::fs::write(newest, "this is not a Delta commit\n").unwrap();
    let e = w.resume_position().await.unwrap_err();
    assert!(
        matches!(
            e,
            WarehouseError::Checkpoint { .. } | WarehouseError::Delta { .. }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("checkpoints"), "{e}");
    // queries fail too, naming the table, rather than answer from a
    // warehouse whose position is unknown
    let e = w.sql("SELECT count(*) FROM uom_uom").await.unwrap_err();
    assert!(e.to_string().contains("checkpoints"), "{e}");

    // a checkpoint log that is not a directory is corrupt, not "empty"
    std::fs::remove_dir_all(&log).unwrap();
    std::fs::write(&log, "").unwrap();
    let e = w.resume_position().await.unwrap_err();
    assert!(matches!(e, WarehouseError::Corrupt { .. }), "{e:?}");
}

/// The naive side-file mode (test hooks) reads its position file: missing
/// means 0, garbage is an error rather than 0.
#[tokio::test]
async fn an_unparsable_position_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
    let naive = ApplyOptions {
        checkpoint_in_commit: false,
        ..ApplyOptions::default()
    };
    assert_eq!(w.resume_position_with(&naive).await.unwrap(), 0);
    let mut a = w.applier(naive.clone());
    a.apply(&batch(vec![(10, vec![uom(Op::Insert, 1, "Units", "1")])]))
        .await
        .unwrap();
    assert_eq!(w.resume_position_with(&naive).await.unwrap(), 10);
    let file = dir.path().join("_crossdock/positions/checkpoints");
    std::fs::write(&file, "ten").unwrap();
    let e = w.resume_position_with(&naive).await.unwrap_err();
    assert!(matches!(e, WarehouseError::Corrupt { .. }), "{e:?}");
    assert!(e.to_string().contains("ten"), "{e}");
}

/// Corrupt settings are reported with their path, never replaced by defaults.
#[tokio::test]
async fn corrupt_settings_are_an_error_not_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
    std::fs::create_dir_all(dir.path().join("_crossdock")).unwrap();
    std::fs::write(dir.path().join("_crossdock/settings.json"), "{ nope").unwrap();
    let e = w.settings().unwrap_err();
    assert!(matches!(e, WarehouseError::Corrupt { .. }), "{e:?}");
    assert!(e.to_string().contains("settings.json"), "{e}");
}

/// Commands that only read refuse a folder that holds no warehouse, and do
/// not create it.
#[test]
fn reading_a_folder_without_a_warehouse_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo-dir");
    let e = Warehouse::open_existing(typo.to_str().unwrap()).unwrap_err();
    assert!(matches!(e, WarehouseError::NotAWarehouse { .. }), "{e:?}");
    assert!(!typo.exists());
}
