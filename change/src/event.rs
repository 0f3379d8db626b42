//! Change events: the one representation every source produces.
//!
//! A source commits [`Transaction`]s: an ordered list of [`Change`]s (table,
//! operation, row values) with the transaction id, the source position of the
//! commit and the commit time. A [`ChangeBatchBuilder`] gathers transactions
//! into a [`ChangeBatch`]: one Arrow [`RecordBatch`] per table, laid out as
//! [`change_schema`] describes, which is what the warehouse applies. Rows are
//! carried column-wise from there on, never as row-by-row JSON.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder,
    Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use crate::catalog::{PgType, TableDef, UTC};
use crate::error::{ChangeError, Result};

/// Position of a change in its source: a PostgreSQL LSN (the commit's), or a
/// cursor for sources that have no LSN (the simulator numbers its
/// transactions). Positions grow strictly from one transaction to the next.
pub type Position = u64;

/// Change-metadata column: the operation, one of `I`, `U`, `D`, `T`.
pub const OP_COLUMN: &str = "_op";
/// Change-metadata column: the source position of the transaction's commit.
pub const POSITION_COLUMN: &str = "_position";
/// Change-metadata column: the change's index within its transaction.
pub const SEQ_COLUMN: &str = "_seq";
/// Change-metadata column: the source transaction id.
pub const XID_COLUMN: &str = "_xid";
/// Change-metadata column: the commit time in the source (UTC).
pub const COMMIT_TS_COLUMN: &str = "_commit_ts";

/// What happened to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// A new row.
    Insert,
    /// New values of an existing row (all columns, not only the changed ones).
    Update,
    /// The row is gone; only its key columns are meaningful.
    Delete,
    /// Every row of the table is gone.
    Truncate,
}

impl Op {
    /// The one-letter code stored in [`OP_COLUMN`].
    pub fn code(self) -> &'static str {
        match self {
            Op::Insert => "I",
            Op::Update => "U",
            Op::Delete => "D",
            Op::Truncate => "T",
        }
    }

    /// Parses a one-letter code.
    pub fn from_code(code: &str) -> Option<Op> {
        Some(match code {
            "I" => Op::Insert,
            "U" => Op::Update,
            "D" => Op::Delete,
            "T" => Op::Truncate,
            _ => return None,
        })
    }
}

/// A typed column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// `int4` / `int8`.
    Int(i64),
    /// `float8`.
    Float(f64),
    /// `numeric`, exact, when it fits `rust_decimal` (28 significant digits).
    Decimal(Decimal),
    /// `numeric`, exact, as an unscaled 128-bit integer and its scale: for
    /// values with up to 38 digits, beyond what [`Value::Decimal`] holds
    /// (e.g. a `numeric(38,10)` decoded from PostgreSQL's text format).
    Numeric {
        /// The digits, without the decimal point.
        unscaled: i128,
        /// Digits after the decimal point.
        scale: i8,
    },
    /// `varchar` / `text`, and `jsonb` as its JSON text.
    Text(String),
    /// `bool`.
    Bool(bool),
    /// `date`, days since 1970-01-01.
    Date(i32),
    /// `timestamp` (UTC), microseconds since 1970-01-01T00:00:00.
    Timestamp(i64),
    /// `bytea`.
    Bytes(Vec<u8>),
}

impl Value {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The decimal, if this is one.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Decimal(v) => Some(*v),
            _ => None,
        }
    }

    /// The text, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(v) => Some(v),
            _ => None,
        }
    }

    /// The timestamp in microseconds, if this is one.
    pub fn as_timestamp(&self) -> Option<i64> {
        match self {
            Value::Timestamp(v) => Some(*v),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(v) => Some(*v),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Decimal(_) | Value::Numeric { .. } => "decimal",
            Value::Text(_) => "text",
            Value::Bool(_) => "bool",
            Value::Date(_) => "date",
            Value::Timestamp(_) => "timestamp",
            Value::Bytes(_) => "bytes",
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v as i64)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<Decimal> for Value {
    fn from(v: Decimal) -> Self {
        Value::Decimal(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Self {
        Value::Date((v - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32)
    }
}
impl From<NaiveDateTime> for Value {
    fn from(v: NaiveDateTime) -> Self {
        Value::Timestamp(v.and_utc().timestamp_micros())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

/// One row change. `row` holds one value per column of `table`, in the
/// table's column order (for a delete, the non-key values may be NULL; for a
/// truncate, the row is empty).
#[derive(Debug, Clone)]
pub struct Change {
    /// The table changed.
    pub table: Arc<TableDef>,
    /// What happened.
    pub op: Op,
    /// The row's values after the change (the key, for a delete).
    pub row: Vec<Value>,
}

/// One committed source transaction.
#[derive(Debug, Clone)]
pub struct Transaction {
    /// Source transaction id.
    pub xid: i64,
    /// Source position of the commit; strictly increasing across transactions.
    pub position: Position,
    /// Commit time in the source, microseconds since the epoch (UTC).
    pub commit_ts: i64,
    /// The changes, in the order they were made.
    pub changes: Vec<Change>,
}

/// The Arrow schema of a table's change events: the change metadata
/// ([`OP_COLUMN`], [`POSITION_COLUMN`], [`SEQ_COLUMN`], [`XID_COLUMN`],
/// [`COMMIT_TS_COLUMN`]) followed by the table's own columns.
pub fn change_schema(table: &TableDef) -> SchemaRef {
    let mut fields = metadata_fields();
    fields.extend(
        table
            .row_schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone()),
    );
    Arc::new(Schema::new(fields))
}

/// The change-metadata fields, in order.
pub fn metadata_fields() -> Vec<Field> {
    vec![
        Field::new(OP_COLUMN, DataType::Utf8, false),
        Field::new(POSITION_COLUMN, DataType::Int64, false),
        Field::new(SEQ_COLUMN, DataType::Int64, false),
        Field::new(XID_COLUMN, DataType::Int64, false),
        Field::new(
            COMMIT_TS_COLUMN,
            DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            false,
        ),
    ]
}

/// The change events of one table, column-wise.
#[derive(Debug, Clone)]
pub struct TableChanges {
    /// The table's name. The warehouse checks it against its catalog.
    pub table: String,
    /// The definition the rows were built from. It is the catalog's, or —
    /// when a column was added to the table in the source — the catalog's
    /// with that column appended ([`TableDef::extends`]); the warehouse
    /// then adds the column to its Delta tables before writing.
    pub def: Arc<TableDef>,
    /// Rows in source order, with the schema of [`change_schema`] of `def`.
    pub batch: RecordBatch,
}

/// A batch of whole transactions, split per table.
#[derive(Debug, Clone, Default)]
pub struct ChangeBatch {
    /// Per table, in the catalog order of first appearance.
    pub tables: Vec<TableChanges>,
    /// Position of the last transaction in the batch (0 when empty).
    pub end_position: Position,
    /// Commit time of the last transaction (microseconds, UTC).
    pub end_commit_ts: i64,
    /// Number of transactions.
    pub transactions: usize,
    /// Number of row changes.
    pub changes: usize,
}

impl ChangeBatch {
    /// True when the batch holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.transactions == 0
    }
}

struct PendingTable {
    table: Arc<TableDef>,
    ops: Vec<Op>,
    positions: Vec<i64>,
    seqs: Vec<i64>,
    xids: Vec<i64>,
    commit_ts: Vec<i64>,
    rows: Vec<Vec<Value>>,
}

/// Gathers transactions into a [`ChangeBatch`].
#[derive(Default)]
pub struct ChangeBatchBuilder {
    order: Vec<String>,
    pending: BTreeMap<String, PendingTable>,
    end_position: Position,
    end_commit_ts: i64,
    transactions: usize,
    changes: usize,
}

impl ChangeBatchBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of row changes gathered so far.
    pub fn changes(&self) -> usize {
        self.changes
    }

    /// Number of transactions gathered so far.
    pub fn transactions(&self) -> usize {
        self.transactions
    }

    /// Adds a committed transaction. Positions must grow.
    pub fn push(&mut self, tx: &Transaction) -> Result<()> {
        if self.transactions > 0 && tx.position <= self.end_position {
            return Err(ChangeError::PositionNotIncreasing {
                previous: self.end_position,
                next: tx.position,
            });
        }
        for (seq, change) in tx.changes.iter().enumerate() {
            let name = &change.table.name;
            if change.op != Op::Truncate && change.row.len() != change.table.columns.len() {
                return Err(ChangeError::RowShape {
                    table: name.clone(),
                    position: tx.position,
                    expected: change.table.columns.len(),
                    found: change.row.len(),
                });
            }
            if let Some(p) = self.pending.get_mut(name) {
                // a column was added to the table in the source between two
                // changes of this batch: build the batch with the wider
                // definition, earlier rows get NULL in the new columns
                if change.table.columns.len() > p.table.columns.len() {
                    if !change.table.extends(&p.table) {
                        return Err(ChangeError::Catalog {
                            message: format!(
                                "table {name}: at position {} its columns changed in a way \
                                 crossdock does not follow (only columns added at the end are)",
                                tx.position
                            ),
                        });
                    }
                    let width = change.table.columns.len();
                    for r in &mut p.rows {
                        r.resize(width, Value::Null);
                    }
                    p.table = change.table.clone();
                }
            }
            if !self.pending.contains_key(name) {
                self.order.push(name.clone());
                self.pending.insert(
                    name.clone(),
                    PendingTable {
                        table: change.table.clone(),
                        ops: Vec::new(),
                        positions: Vec::new(),
                        seqs: Vec::new(),
                        xids: Vec::new(),
                        commit_ts: Vec::new(),
                        rows: Vec::new(),
                    },
                );
            }
            let p = self.pending.get_mut(name).expect("inserted above");
            p.ops.push(change.op);
            p.positions.push(tx.position as i64);
            p.seqs.push(seq as i64);
            p.xids.push(tx.xid);
            p.commit_ts.push(tx.commit_ts);
            if change.op == Op::Truncate {
                p.rows.push(vec![Value::Null; p.table.columns.len()]);
            } else {
                let mut row = change.row.clone();
                // a change described before a column was added: NULL there
                row.resize(p.table.columns.len(), Value::Null);
                p.rows.push(row);
            }
        }
        self.changes += tx.changes.len();
        self.transactions += 1;
        self.end_position = tx.position;
        self.end_commit_ts = tx.commit_ts;
        Ok(())
    }

    /// Builds the Arrow batches and empties the builder.
    pub fn finish(&mut self) -> Result<ChangeBatch> {
        let mut tables = Vec::with_capacity(self.order.len());
        for name in std::mem::take(&mut self.order) {
            let p = self
                .pending
                .remove(&name)
                .expect("ordered names are pending");
            tables.push(TableChanges {
                table: name,
                batch: build_table_batch(&p)?,
                def: p.table,
            });
        }
        let out = ChangeBatch {
            tables,
            end_position: self.end_position,
            end_commit_ts: self.end_commit_ts,
            transactions: self.transactions,
            changes: self.changes,
        };
        self.transactions = 0;
        self.changes = 0;
        Ok(out)
    }
}

fn build_table_batch(p: &PendingTable) -> Result<RecordBatch> {
    let schema = change_schema(&p.table);
    let n = p.ops.len();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    let mut ops = StringBuilder::with_capacity(n, n);
    for op in &p.ops {
        ops.append_value(op.code());
    }
    columns.push(Arc::new(ops.finish()));
    columns.push(Arc::new(arrow::array::Int64Array::from(
        p.positions.clone(),
    )));
    columns.push(Arc::new(arrow::array::Int64Array::from(p.seqs.clone())));
    columns.push(Arc::new(arrow::array::Int64Array::from(p.xids.clone())));
    columns.push(Arc::new(
        arrow::array::TimestampMicrosecondArray::from(p.commit_ts.clone()).with_timezone(UTC),
    ));
    for (ci, col) in p.table.columns.iter().enumerate() {
        let values = p.rows.iter().map(|r| &r[ci]);
        let array = build_column(&p.table.name, &col.name, col.pg_type, values, &p.positions)?;
        columns.push(array);
    }
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// Builds one Arrow column from values, checking each against the column type.
pub fn build_column<'a>(
    table: &str,
    column: &str,
    pg_type: PgType,
    values: impl Iterator<Item = &'a Value>,
    positions: &[i64],
) -> Result<ArrayRef> {
    let mismatch = |v: &Value, i: usize| ChangeError::ValueType {
        table: table.to_string(),
        column: column.to_string(),
        position: positions.get(i).copied().unwrap_or_default() as u64,
        expected: format!("{pg_type:?}"),
        found: v.kind().to_string(),
    };
    macro_rules! build {
        ($builder:expr, $($pat:pat => $val:expr),+) => {{
            let mut b = $builder;
            for (i, v) in values.enumerate() {
                match v {
                    Value::Null => b.append_null(),
                    $($pat => b.append_value($val),)+
                    other => return Err(mismatch(other, i)),
                }
            }
            Arc::new(b.finish()) as ArrayRef
        }};
    }
    Ok(match pg_type {
        PgType::Int4 => {
            let mut b = Int32Builder::new();
            for (i, v) in values.enumerate() {
                match v {
                    Value::Null => b.append_null(),
                    Value::Int(x) => b.append_value(i32::try_from(*x).map_err(|_| {
                        ChangeError::ValueOutOfRange {
                            table: table.to_string(),
                            column: column.to_string(),
                            position: positions.get(i).copied().unwrap_or_default() as u64,
                            value: x.to_string(),
                            reason: "does not fit int4".into(),
                        }
                    })?),
                    other => return Err(mismatch(other, i)),
                }
            }
            Arc::new(b.finish())
        }
        PgType::Int8 => build!(Int64Builder::new(), Value::Int(x) => *x),
        PgType::Float8 => {
            build!(Float64Builder::new(), Value::Float(x) => *x, Value::Int(x) => *x as f64)
        }
        PgType::Text | PgType::Jsonb => build!(StringBuilder::new(), Value::Text(s) => s.as_str()),
        PgType::Bool => build!(BooleanBuilder::new(), Value::Bool(x) => *x),
        PgType::Date => build!(Date32Builder::new(), Value::Date(x) => *x),
        PgType::Timestamp => {
            let mut b = TimestampMicrosecondBuilder::new().with_timezone(UTC);
            for (i, v) in values.enumerate() {
                match v {
                    Value::Null => b.append_null(),
                    Value::Timestamp(x) => b.append_value(*x),
                    other => return Err(mismatch(other, i)),
                }
            }
            Arc::new(b.finish())
        }
        PgType::Bytea => build!(BinaryBuilder::new(), Value::Bytes(x) => x.as_slice()),
        PgType::Numeric { precision, scale } => {
            let mut b = Decimal128Builder::new();
            for (i, v) in values.enumerate() {
                match v {
                    Value::Null => b.append_null(),
                    Value::Decimal(d) => {
                        let m = decimal_to_i128(*d, precision, scale).map_err(|reason| {
                            ChangeError::ValueOutOfRange {
                                table: table.to_string(),
                                column: column.to_string(),
                                position: positions.get(i).copied().unwrap_or_default() as u64,
                                value: d.to_string(),
                                reason,
                            }
                        })?;
                        b.append_value(m)
                    }
                    Value::Numeric {
                        unscaled,
                        scale: from,
                    } => {
                        let m =
                            rescale_i128(*unscaled, *from, precision, scale).map_err(|reason| {
                                ChangeError::ValueOutOfRange {
                                    table: table.to_string(),
                                    column: column.to_string(),
                                    position: positions.get(i).copied().unwrap_or_default() as u64,
                                    value: format_unscaled(*unscaled, *from),
                                    reason,
                                }
                            })?;
                        b.append_value(m)
                    }
                    Value::Int(x) => b.append_value((*x as i128) * 10i128.pow(scale as u32)),
                    other => return Err(mismatch(other, i)),
                }
            }
            Arc::new(b.finish().with_precision_and_scale(precision, scale)?)
        }
    })
}

/// The unscaled integer of `d` at `scale`, exactly; an error (never a
/// rounding) when `d` has more fractional digits or does not fit `precision`.
pub fn decimal_to_i128(d: Decimal, precision: u8, scale: i8) -> std::result::Result<i128, String> {
    let d = if d.scale() as i32 > scale as i32 {
        d.normalize()
    } else {
        d
    };
    if d.scale() as i32 > scale as i32 {
        return Err(format!("has more than {scale} decimal places"));
    }
    let m = d.mantissa();
    let factor = 10i128.pow((scale as i32 - d.scale() as i32) as u32);
    let v = m.checked_mul(factor).ok_or("does not fit decimal128")?;
    if v.unsigned_abs() >= 10u128.pow(precision as u32) {
        return Err(format!("has more than {precision} digits"));
    }
    Ok(v)
}

/// `unscaled` at scale `from` re-expressed at scale `to`, exactly, within
/// `precision` digits; an error (never a rounding) otherwise.
pub fn rescale_i128(
    unscaled: i128,
    from: i8,
    precision: u8,
    to: i8,
) -> std::result::Result<i128, String> {
    let v = if from <= to {
        let f = 10i128
            .checked_pow((to - from) as u32)
            .ok_or("does not fit decimal128")?;
        unscaled.checked_mul(f).ok_or("does not fit decimal128")?
    } else {
        let f = 10i128
            .checked_pow((from - to) as u32)
            .ok_or("does not fit decimal128")?;
        if unscaled % f != 0 {
            return Err(format!("has more than {to} decimal places"));
        }
        unscaled / f
    };
    if v.unsigned_abs() >= 10u128.pow(precision as u32) {
        return Err(format!("has more than {precision} digits"));
    }
    Ok(v)
}

/// Text of an unscaled integer at a scale, e.g. (12345, 2) → "123.45".
pub fn format_unscaled(unscaled: i128, scale: i8) -> String {
    if scale <= 0 {
        return (unscaled * 10i128.pow((-scale) as u32)).to_string();
    }
    let neg = unscaled < 0;
    let digits = unscaled.unsigned_abs().to_string();
    let s = scale as usize;
    let padded = if digits.len() <= s {
        format!("{}{}", "0".repeat(s + 1 - digits.len()), digits)
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - s);
    format!("{}{int}.{frac}", if neg { "-" } else { "" })
}

/// The decimal of an unscaled integer at `scale`.
pub fn i128_to_decimal(v: i128, scale: i8) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(v, scale.max(0) as u32).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use arrow::array::{Array, AsArray};
    use std::str::FromStr;

    fn row(t: &TableDef, vals: &[(&str, Value)]) -> Vec<Value> {
        let mut r = vec![Value::Null; t.columns.len()];
        for (k, v) in vals {
            r[t.require(k).unwrap()] = v.clone();
        }
        r
    }

    #[test]
    fn builds_typed_batches_per_table() {
        let c = Catalog::odoo17();
        let uom = c.require("uom_uom").unwrap().clone();
        let tx = Transaction {
            xid: 7,
            position: 10,
            commit_ts: 1_700_000_000_000_000,
            changes: vec![
                Change {
                    table: uom.clone(),
                    op: Op::Insert,
                    row: row(
                        &uom,
                        &[
                            ("id", Value::Int(1)),
                            ("name", Value::from(r#"{"en_US": "Units"}"#)),
                            ("factor", Value::Decimal(Decimal::from_str("0.05").unwrap())),
                        ],
                    ),
                },
                Change {
                    table: uom.clone(),
                    op: Op::Delete,
                    row: row(&uom, &[("id", Value::Int(1))]),
                },
            ],
        };
        let mut b = ChangeBatchBuilder::new();
        b.push(&tx).unwrap();
        let batch = b.finish().unwrap();
        assert_eq!(batch.transactions, 1);
        assert_eq!(batch.changes, 2);
        assert_eq!(batch.end_position, 10);
        let t = &batch.tables[0];
        assert_eq!(t.table, "uom_uom");
        assert_eq!(t.batch.num_rows(), 2);
        let factor = t.batch.column_by_name("factor").unwrap();
        let factor = factor.as_primitive::<arrow::datatypes::Decimal128Type>();
        assert_eq!(factor.value(0), 500_000_000); // 0.05 at scale 10
        assert!(factor.is_null(1));
        let ops = t
            .batch
            .column_by_name(OP_COLUMN)
            .unwrap()
            .as_string::<i32>();
        assert_eq!((ops.value(0), ops.value(1)), ("I", "D"));
    }

    #[test]
    fn rejects_positions_going_back_and_wrong_types() {
        let c = Catalog::odoo17();
        let uom = c.require("uom_uom").unwrap().clone();
        let mut b = ChangeBatchBuilder::new();
        let mk = |pos, v: Value| Transaction {
            xid: 1,
            position: pos,
            commit_ts: 0,
            changes: vec![Change {
                table: uom.clone(),
                op: Op::Insert,
                row: row(&uom, &[("id", v)]),
            }],
        };
        b.push(&mk(5, Value::Int(1))).unwrap();
        assert!(b.push(&mk(5, Value::Int(2))).is_err());
        b.push(&mk(6, Value::from("x"))).unwrap();
        let err = b.finish().unwrap_err().to_string();
        assert!(
            err.contains("uom_uom") && err.contains("id") && err.contains("6"),
            "{err}"
        );
    }

    #[test]
    fn decimals_are_exact_or_rejected() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(decimal_to_i128(d("12.50"), 38, 10), Ok(125_000_000_000));
        assert_eq!(
            decimal_to_i128(d("1.500000000000"), 38, 10),
            Ok(15_000_000_000)
        );
        assert!(decimal_to_i128(d("0.00000000001"), 38, 10).is_err());
        assert!(decimal_to_i128(d("123.4"), 3, 1).is_err());
        assert_eq!(
            i128_to_decimal(125_000_000_000, 10),
            Some(d("12.5000000000"))
        );
    }
}
