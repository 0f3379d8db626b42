//! Malformed change batches get a clear error and nothing of them is applied.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use crossdock_change::catalog::{ColumnDef, PgType, TableDef};
use crossdock_change::{ChangeBatch, ChangeBatchBuilder, TableChanges};
use crossdock_simulator::Simulator;
use crossdock_warehouse::{ApplyOptions, Warehouse, WarehouseError};

use crate::common::{change_log_counts, small_config};

/// The first few transactions of a simulation, as one batch.
fn master_data_batch() -> ChangeBatch {
    let mut sim = Simulator::new(small_config(5)).unwrap();
    let mut b = ChangeBatchBuilder::new();
    for _ in 0..30 {
        let tx = sim.next_transaction().unwrap();
        b.push(&tx).unwrap();
    }
    b.finish().unwrap()
}

fn replace_table(
    batch: &mut ChangeBatch,
    index: usize,
    f: impl FnOnce(&RecordBatch) -> RecordBatch,
) {
    let t = &mut batch.tables[index];
    t.batch = f(&t.batch);
}

fn drop_column(b: &RecordBatch, name: &str) -> RecordBatch {
    let idx = b.schema().index_of(name).unwrap();
    let keep: Vec<usize> = (0..b.num_columns()).filter(|i| *i != idx).collect();
    b.project(&keep).unwrap()
}

fn retype_column_as_text(b: &RecordBatch, name: &str) -> RecordBatch {
    let idx = b.schema().index_of(name).unwrap();
    let mut fields: Vec<Field> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields[idx] = Field::new(name, DataType::Utf8, true);
    let mut cols: Vec<ArrayRef> = b.columns().to_vec();
    cols[idx] = Arc::new(StringArray::from(vec![Some("twelve"); b.num_rows()]));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap()
}

async fn assert_rejected_and_nothing_applied(batch: ChangeBatch, expect: &[&str]) {
    let batch_tables = batch.tables.len();
    let dir = tempfile::tempdir().unwrap();
    let warehouse = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
    let before = change_log_counts(&warehouse).await;
    let err = warehouse
        .applier(ApplyOptions::default())
        .apply(&batch)
        .await
        .expect_err("a malformed batch must be rejected");
    let text = err.to_string();
    for needle in expect {
        assert!(
            text.contains(needle),
            "error {text:?} should mention {needle:?}"
        );
    }
    assert!(text.contains("nothing applied"), "{text}");
    assert_eq!(change_log_counts(&warehouse).await, before);
    assert_eq!(warehouse.resume_position().await.unwrap(), 0);
    // no table was even created
    assert!(!dir.path().join("current").exists());
    assert!(!dir.path().join("changes").exists());
    // ... and the batch is kept aside with its reason
    let rejects: Vec<_> = std::fs::read_dir(dir.path().join("_crossdock/rejects"))
        .expect("rejects folder")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(rejects.len(), 1);
    let reason = std::fs::read_to_string(rejects[0].join("reason.txt")).unwrap();
    assert!(reason.contains(&text), "{reason}");
    let kept = std::fs::read_dir(&rejects[0]).unwrap().count();
    assert_eq!(kept, 1 + batch_tables, "one file per table plus the reason");
}

#[tokio::test]
async fn missing_column_is_rejected_whole() {
    let mut batch = master_data_batch();
    assert!(batch.tables.len() >= 3);
    // damage the LAST table, so a half-applying applier would have written the others
    let last = batch.tables.len() - 1;
    let name = batch.tables[last].table.clone();
    let col = batch.tables[last].batch.schema().field(6).name().clone();
    replace_table(&mut batch, last, |b| drop_column(b, &col));
    assert_rejected_and_nothing_applied(batch, &[&name, &col, "missing"]).await;
}

#[tokio::test]
async fn wrong_type_is_rejected_whole() {
    let mut batch = master_data_batch();
    let last = batch.tables.len() - 1;
    let name = batch.tables[last].table.clone();
    replace_table(&mut batch, last, |b| retype_column_as_text(b, "id"));
    assert_rejected_and_nothing_applied(batch, &[&name, "id", "Int32", "Utf8"]).await;
}

#[tokio::test]
async fn unknown_table_is_rejected_whole() {
    let mut batch = master_data_batch();
    let copy = batch.tables[0].batch.clone();
    batch.tables.push(TableChanges {
        table: "sale_order_typo".into(),
        def: batch.tables[0].def.clone(),
        batch: copy,
    });
    assert_rejected_and_nothing_applied(batch, &["sale_order_typo", "unknown table"]).await;
}

/// A definition that changes a known column (not only appends new ones) is
/// not schema evolution crossdock follows: its extra column is rejected.
#[tokio::test]
async fn a_changed_column_definition_is_rejected_whole() {
    let mut batch = master_data_batch();
    let last = batch.tables.len() - 1;
    let name = batch.tables[last].table.clone();
    let known = batch.tables[last].def.clone();
    // the declared definition retypes the first non-key column and adds one
    let mut columns = known.columns.clone();
    let first = if known.primary_key.contains(&0) { 1 } else { 0 };
    columns[first].pg_type = match columns[first].pg_type {
        PgType::Text => PgType::Int8,
        _ => PgType::Text,
    };
    columns.push(ColumnDef {
        name: "x_added".into(),
        pg_type: PgType::Text,
        not_null: false,
    });
    let keys = known.primary_key_names();
    batch.tables[last].def = Arc::new(TableDef::new(&name, columns, &keys).unwrap());
    replace_table(&mut batch, last, |b| {
        let mut fields: Vec<Field> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new("x_added", DataType::Utf8, true));
        let mut cols: Vec<ArrayRef> = b.columns().to_vec();
        cols.push(Arc::new(StringArray::from(vec![Some("x"); b.num_rows()])));
        RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap()
    });
    assert_rejected_and_nothing_applied(batch, &[&name, "x_added"]).await;
}

#[tokio::test]
async fn bad_operation_code_is_rejected_whole() {
    let mut batch = master_data_batch();
    let last = batch.tables.len() - 1;
    let name = batch.tables[last].table.clone();
    replace_table(&mut batch, last, |b| {
        let mut cols: Vec<ArrayRef> = b.columns().to_vec();
        let mut ops: Vec<&str> = vec!["I"; b.num_rows()];
        ops[0] = "X";
        cols[0] = Arc::new(StringArray::from(ops));
        RecordBatch::try_new(b.schema(), cols).unwrap()
    });
    assert_rejected_and_nothing_applied(batch, &[&name, "row 0", "\"X\""]).await;
}

#[tokio::test]
async fn a_valid_batch_after_a_rejected_one_applies() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
    let mut applier = warehouse.applier(ApplyOptions::default());
    let mut bad = master_data_batch();
    bad.tables[0].batch = drop_column(&bad.tables[0].batch.clone(), "id");
    let err = applier.apply(&bad).await.unwrap_err();
    assert!(matches!(err, WarehouseError::MissingColumn { .. }), "{err}");
    let good = master_data_batch();
    let report = applier.apply(&good).await.unwrap();
    assert_eq!(report.changes_logged, good.changes);
}
