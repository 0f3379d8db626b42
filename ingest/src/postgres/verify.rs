//! Comparing PostgreSQL's tables with the warehouse's current state.
//!
//! Each side is reduced to a [`TableDigest`]: per primary key, a 64-bit
//! hash (FNV-1a) of the row's canonical text ([`super::text::canonical`] of
//! every column, length-prefixed, NULL distinct from every text). Decimals
//! compare by value whatever their scale, floats by their bits, timestamps
//! to the microsecond. PostgreSQL is read in keyset chunks inside one
//! repeatable-read transaction (a consistent picture even while it is being
//! written to); the warehouse side comes as Arrow batches (the caller runs
//! `SELECT <columns> FROM <table>` on the warehouse, which this crate does
//! not depend on). [`compare`] lists the keys missing on either side and
//! the rows that differ.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type,
    TimestampMicrosecondType,
};
use tokio_postgres::Client;

use super::query_rows;
use super::text::{self, canonical, ident, quote};
use crate::error::{IngestError, Result};
use crossdock_change::catalog::TableDef;
use crossdock_change::event::Value;
use crossdock_warehouse::{Warehouse, WarehouseError};

use super::PgUrl;

/// A primary key, as the canonical texts of its columns.
pub type RowKey = Vec<String>;

/// Per primary key, the hash of the row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableDigest {
    /// The table.
    pub table: String,
    /// Key → row hash.
    pub rows: BTreeMap<RowKey, u64>,
}

/// How one table differs.
#[derive(Debug, Clone, Default)]
pub struct TableDiff {
    /// The table.
    pub table: String,
    /// Rows in PostgreSQL.
    pub source_rows: usize,
    /// Rows in the warehouse.
    pub warehouse_rows: usize,
    /// Keys in PostgreSQL, not in the warehouse (all of them counted, the first listed).
    pub missing: Vec<RowKey>,
    /// How many are missing.
    pub missing_count: usize,
    /// Keys in the warehouse, not in PostgreSQL.
    pub extra: Vec<RowKey>,
    /// How many are extra.
    pub extra_count: usize,
    /// Keys on both sides whose rows differ.
    pub different: Vec<RowKey>,
    /// How many differ.
    pub different_count: usize,
}

impl TableDiff {
    /// True when both sides hold exactly the same rows.
    pub fn is_equal(&self) -> bool {
        self.missing_count == 0 && self.extra_count == 0 && self.different_count == 0
    }
}

const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The hash of a row's values (canonical text of each, length-prefixed).
pub fn row_hash(values: &[Value]) -> u64 {
    let mut h = FNV_OFFSET;
    for v in values {
        let c = canonical(v);
        h = fnv(h, &(c.len() as u64).to_le_bytes());
        h = fnv(h, c.as_bytes());
    }
    h
}

fn key_of(def: &TableDef, row: &[Value]) -> RowKey {
    def.primary_key
        .iter()
        .map(|k| canonical(&row[*k]))
        .collect()
}

fn digest_rows(def: &TableDef, rows: impl IntoIterator<Item = Vec<Value>>) -> Result<TableDigest> {
    let mut out = TableDigest {
        table: def.name.clone(),
        rows: BTreeMap::new(),
    };
    for row in rows {
        let key = key_of(def, &row);
        if out.rows.insert(key.clone(), row_hash(&row)).is_some() {
            return Err(IngestError::Decode {
                message: format!("{}: key {key:?} appears twice", def.name),
            });
        }
    }
    Ok(out)
}

/// Decodes text rows of `def`'s columns.
fn decode_rows(def: &TableDef, rows: Vec<Vec<Option<String>>>) -> Result<Vec<Vec<Value>>> {
    rows.into_iter()
        .map(|r| {
            def.columns
                .iter()
                .zip(r)
                .map(|(c, v)| match v {
                    None => Ok(Value::Null),
                    Some(s) => text::decode(c.pg_type, &s).map_err(|reason| IngestError::Decode {
                        message: format!("{}.{}: cannot decode {s:?}: {reason}", def.name, c.name),
                    }),
                })
                .collect()
        })
        .collect()
}

/// Catalog columns PostgreSQL no longer has (dropped there: the warehouse
/// keeps them, NULL from then on). They are left out of the comparison.
pub async fn absent_columns(client: &Client, def: &TableDef) -> Result<Vec<usize>> {
    let columns = super::database_columns(client, &[def.name.as_str()]).await?;
    let present: std::collections::HashSet<&str> = columns
        .get(&def.name)
        .into_iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    Ok((0..def.columns.len())
        .filter(|i| !present.contains(def.columns[*i].name.as_str()))
        .collect())
}

/// The table's columns for a SELECT, NULL for absent ones.
async fn select_list(client: &Client, def: &TableDef) -> Result<Vec<String>> {
    let absent = absent_columns(client, def).await?;
    Ok(def
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if absent.contains(&i) {
                "NULL".to_string()
            } else {
                ident(&c.name)
            }
        })
        .collect())
}

/// Digest of a PostgreSQL table, read in keyset chunks of `chunk` rows.
/// Run it inside a repeatable-read transaction for a consistent picture.
pub async fn source_digest(client: &Client, def: &TableDef, chunk: usize) -> Result<TableDigest> {
    let cols = select_list(client, def).await?;
    let keys: Vec<String> = def.primary_key_names().iter().map(|k| ident(k)).collect();
    let mut all = Vec::new();
    let mut last: Option<Vec<Option<String>>> = None;
    loop {
        let filter = match &last {
            None => String::new(),
            Some(k) => format!(
                " WHERE ({}) > ({})",
                keys.join(", "),
                k.iter()
                    .map(|v| v.as_deref().map(quote).unwrap_or_else(|| "NULL".into()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let rows = query_rows(
            client,
            &format!(
                "SELECT {} FROM {}{filter} ORDER BY {} LIMIT {chunk}",
                cols.join(", "),
                ident(&def.name),
                keys.join(", ")
            ),
        )
        .await?;
        let n = rows.len();
        if let Some(r) = rows.last() {
            last = Some(def.primary_key.iter().map(|k| r[*k].clone()).collect());
        }
        all.extend(decode_rows(def, rows)?);
        if n < chunk {
            break;
        }
    }
    digest_rows(def, all)
}

/// One row of a PostgreSQL table by key (to show a difference).
pub async fn source_row(
    client: &Client,
    def: &TableDef,
    key: &RowKey,
) -> Result<Option<Vec<Value>>> {
    let cols = select_list(client, def).await?;
    let pred: Vec<String> = def
        .primary_key_names()
        .iter()
        .zip(key)
        .map(|(k, v)| format!("{} = {}", ident(k), quote(v)))
        .collect();
    let rows = query_rows(
        client,
        &format!(
            "SELECT {} FROM {} WHERE {}",
            cols.join(", "),
            ident(&def.name),
            pred.join(" AND ")
        ),
    )
    .await?;
    Ok(decode_rows(def, rows)?.into_iter().next())
}

/// A SQL predicate selecting `key` in the warehouse (integer or text keys).
pub fn key_predicate(def: &TableDef, key: &RowKey) -> String {
    def.primary_key
        .iter()
        .zip(key)
        .map(|(k, v)| {
            let c = &def.columns[*k];
            match c.pg_type {
                crossdock_change::PgType::Int4 | crossdock_change::PgType::Int8 => {
                    format!("{} = {v}", c.name)
                }
                _ => format!("{} = {}", c.name, quote(v)),
            }
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn value_at(col: &dyn Array, i: usize) -> Result<Value> {
    if col.is_null(i) {
        return Ok(Value::Null);
    }
    Ok(match col.data_type() {
        DataType::Int32 => Value::Int(col.as_primitive::<Int32Type>().value(i) as i64),
        DataType::Int64 => Value::Int(col.as_primitive::<Int64Type>().value(i)),
        DataType::Float64 => Value::Float(col.as_primitive::<Float64Type>().value(i)),
        DataType::Decimal128(_, s) => Value::Numeric {
            unscaled: col.as_primitive::<Decimal128Type>().value(i),
            scale: *s,
        },
        DataType::Utf8 => Value::Text(col.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Value::Text(col.as_string::<i64>().value(i).to_string()),
        DataType::Utf8View => Value::Text(col.as_string_view().value(i).to_string()),
        DataType::Boolean => Value::Bool(col.as_boolean().value(i)),
        DataType::Date32 => Value::Date(col.as_primitive::<Date32Type>().value(i)),
        DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, _) => {
            Value::Timestamp(col.as_primitive::<TimestampMicrosecondType>().value(i))
        }
        DataType::Binary => Value::Bytes(col.as_binary::<i32>().value(i).to_vec()),
        DataType::LargeBinary => Value::Bytes(col.as_binary::<i64>().value(i).to_vec()),
        DataType::BinaryView => Value::Bytes(col.as_binary_view().value(i).to_vec()),
        other => {
            return Err(IngestError::Decode {
                message: format!("verify: unexpected Arrow type {other}"),
            })
        }
    })
}

/// Rows of `def` from Arrow batches holding (at least) its columns, by name.
pub fn rows_of_batches(def: &TableDef, batches: &[RecordBatch]) -> Result<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    for b in batches {
        let cols = def
            .columns
            .iter()
            .map(|c| {
                b.column_by_name(&c.name).ok_or_else(|| {
                    crossdock_change::ChangeError::UnknownColumn {
                        table: def.name.clone(),
                        column: c.name.clone(),
                    }
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for i in 0..b.num_rows() {
            out.push(
                cols.iter()
                    .map(|c| value_at(c.as_ref(), i))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
    }
    Ok(out)
}

/// Digest of the warehouse's rows of `def`, the `ignored` columns taken as
/// NULL (see [`absent_columns`]).
pub fn batches_digest(
    def: &TableDef,
    batches: &[RecordBatch],
    ignored: &[usize],
) -> Result<TableDigest> {
    let mut rows = rows_of_batches(def, batches)?;
    for row in &mut rows {
        for i in ignored {
            row[*i] = Value::Null;
        }
    }
    digest_rows(def, rows)
}

/// Compares the two sides, listing at most `max_listed` keys of each kind.
pub fn compare(source: &TableDigest, warehouse: &TableDigest, max_listed: usize) -> TableDiff {
    let mut d = TableDiff {
        table: source.table.clone(),
        source_rows: source.rows.len(),
        warehouse_rows: warehouse.rows.len(),
        ..TableDiff::default()
    };
    for (k, h) in &source.rows {
        match warehouse.rows.get(k) {
            None => {
                d.missing_count += 1;
                if d.missing.len() < max_listed {
                    d.missing.push(k.clone());
                }
            }
            Some(w) if w != h => {
                d.different_count += 1;
                if d.different.len() < max_listed {
                    d.different.push(k.clone());
                }
            }
            Some(_) => {}
        }
    }
    for k in warehouse.rows.keys() {
        if !source.rows.contains_key(k) {
            d.extra_count += 1;
            if d.extra.len() < max_listed {
                d.extra.push(k.clone());
            }
        }
    }
    d
}

/// The columns where two versions of a row differ, for people.
pub fn describe_difference(def: &TableDef, source: &[Value], warehouse: &[Value]) -> String {
    def.columns
        .iter()
        .enumerate()
        .filter(|(i, _)| canonical(&source[*i]) != canonical(&warehouse[*i]))
        .map(|(i, c)| {
            format!(
                "{}: PostgreSQL {}, warehouse {}",
                c.name,
                shown(&source[i]),
                shown(&warehouse[i])
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        other => {
            let c = canonical(other);
            if c.chars().count() > 60 {
                format!("{:?}…", c.chars().take(60).collect::<String>())
            } else {
                format!("{c:?}")
            }
        }
    }
}

/// Compares every table of `tables` in PostgreSQL (inside one
/// repeatable-read transaction) with the warehouse's current state, row by
/// row. Returns the report (one line per table, the first `max_listed` keys
/// per kind of difference, with the columns that differ) and how many
/// tables differ.
pub async fn compare_warehouse(
    warehouse: &Warehouse,
    url: &PgUrl,
    tables: &[std::sync::Arc<TableDef>],
    max_listed: usize,
) -> Result<(String, usize)> {
    let client = url.connect().await?;
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(|e| {
            super::statement_error(
                "verify: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                &e,
            )
        })?;
    // columns added in PostgreSQL after the DDL are compared too
    let tables = super::widen_from_database(&client, tables).await?;
    let ctx = warehouse.session().await?;
    let mut report = String::new();
    let mut differing = 0;
    for def in &tables {
        {
            let frame = ctx
                .table(def.name.as_str())
                .await
                .map_err(|e| query_error(&def.name, e))?;
            let schema = frame.schema();
            let lacking: Vec<&str> = def
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .filter(|c| schema.field_with_unqualified_name(c).is_err())
                .collect();
            if !lacking.is_empty() {
                differing += 1;
                report.push_str(&format!(
                    "{:<32} columns in PostgreSQL, not yet in the warehouse: {}\n",
                    def.name,
                    lacking.join(", ")
                ));
                continue;
            }
        }
        let source = source_digest(&client, def, 50_000).await?;
        let cols: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
        let sql = format!("SELECT {} FROM {}", cols.join(", "), def.name);
        let batches = ctx
            .sql(&sql)
            .await
            .map_err(|e| query_error(&sql, e))?
            .collect()
            .await
            .map_err(|e| query_error(&sql, e))?;
        let absent = absent_columns(&client, def).await?;
        let wh = batches_digest(def, &batches, &absent)?;
        let diff = compare(&source, &wh, max_listed);
        if diff.is_equal() {
            report.push_str(&format!(
                "{:<32} {:>9} rows  equal\n",
                def.name, diff.source_rows
            ));
            continue;
        }
        differing += 1;
        report.push_str(&describe(&diff));
        for key in &diff.different {
            let pg = source_row(&client, def, key).await?;
            let sql = format!(
                "SELECT {} FROM {} WHERE {}",
                cols.join(", "),
                def.name,
                key_predicate(def, key)
            );
            let batches = ctx
                .sql(&sql)
                .await
                .map_err(|e| query_error(&sql, e))?
                .collect()
                .await
                .map_err(|e| query_error(&sql, e))?;
            let wh = rows_of_batches(def, &batches)?;
            if let (Some(pg), Some(mut wh)) = (pg, wh.into_iter().next()) {
                for i in &absent {
                    wh[*i] = Value::Null;
                }
                report.push_str(&format!(
                    "    key {}: {}\n",
                    key.join(","),
                    describe_difference(def, &pg, &wh)
                ));
            }
        }
    }
    let _ = client.batch_execute("COMMIT").await;
    Ok((report.trim_end().to_string(), differing))
}

fn query_error(sql: &str, e: datafusion::error::DataFusionError) -> IngestError {
    IngestError::Warehouse(Box::new(WarehouseError::Query {
        query: sql.to_string(),
        source: e,
    }))
}

fn describe(d: &TableDiff) -> String {
    let mut s = format!(
        "{:<32} {:>9} rows in PostgreSQL, {} in the warehouse: {} missing, {} extra, {} different\n",
        d.table, d.source_rows, d.warehouse_rows, d.missing_count, d.extra_count, d.different_count
    );
    let keys = |ks: &[Vec<String>]| ks.iter().map(|k| k.join(",")).collect::<Vec<_>>().join(" ");
    if !d.missing.is_empty() {
        s.push_str(&format!(
            "    missing in the warehouse: {}\n",
            keys(&d.missing)
        ));
    }
    if !d.extra.is_empty() {
        s.push_str(&format!("    not in PostgreSQL: {}\n", keys(&d.extra)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossdock_change::catalog::Catalog;
    use crossdock_change::event::{Change, ChangeBatchBuilder, Op, Transaction};

    #[test]
    fn digests_compare_by_value() {
        let def = Catalog::odoo17().require("uom_uom").unwrap().clone();
        let mut row = vec![Value::Null; def.columns.len()];
        row[0] = Value::Int(1);
        row[def.require("factor").unwrap()] = Value::Numeric {
            unscaled: 50,
            scale: 3,
        };
        row[def.require("name").unwrap()] = Value::from("{}");
        // through Arrow, as the warehouse would hold it (Decimal128 at scale 10)
        let mut b = ChangeBatchBuilder::new();
        b.push(&Transaction {
            xid: 1,
            position: 1,
            commit_ts: 0,
            changes: vec![Change {
                table: def.clone(),
                op: Op::Insert,
                row: row.clone(),
            }],
        })
        .unwrap();
        let batch = b.finish().unwrap().tables.remove(0).batch;
        let wh = batches_digest(&def, &[batch], &[]).unwrap();
        let src = digest_rows(&def, vec![row.clone()]).unwrap();
        assert!(compare(&src, &wh, 5).is_equal());
        let mut changed = row.clone();
        changed[def.require("factor").unwrap()] = Value::Numeric {
            unscaled: 51,
            scale: 3,
        };
        let mut other = row.clone();
        other[0] = Value::Int(2);
        let src2 = digest_rows(&def, vec![changed.clone(), other]).unwrap();
        let d = compare(&src2, &wh, 5);
        assert_eq!(
            (d.different_count, d.missing_count, d.extra_count),
            (1, 1, 0)
        );
        assert_eq!(d.missing, vec![vec!["2".to_string()]]);
        let text = describe_difference(&def, &changed, &row);
        assert!(text.contains("factor") && text.contains("0.051"), "{text}");
        assert_eq!(key_predicate(&def, &vec!["7".into()]), "id = 7");
    }
}
