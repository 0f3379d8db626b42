//! Applying [`Transaction`]s to PostgreSQL, one SQL transaction each, as
//! Odoo's ORM would commit them.
//!
//! Each transaction becomes one script, sent in one round trip with the
//! simple query protocol: `BEGIN`, the statements, optional extra SQL (the
//! simulator's progress row, so a restart knows where it stopped), `COMMIT`.
//! Values are literals made by [`super::text::literal`] — PostgreSQL's own
//! text format, quoted with `'` doubled under `standard_conforming_strings`,
//! converted by the server to each column's type — so numerics keep every
//! digit and nothing depends on a client-side type mapping. Consecutive
//! inserts into one table share one multi-row `INSERT`; updates set every
//! column by primary key; deletes go by primary key; truncates are
//! `TRUNCATE`. A failure rolls the whole transaction back.
//!
//! One round trip per transaction is also what makes this fast: a prepared
//! statement per row would cost a round trip per row unless pipelined, and
//! the script form is pipelined by construction.

use std::fmt::Write as _;

use tokio_postgres::Client;

use super::text::{ident, literal};
use super::PgContext;
use crate::error::{IngestError, Result};
use crossdock_change::catalog::TableDef;
use crossdock_change::event::{Op, Transaction};

/// Rows per multi-row `INSERT`.
const INSERT_ROWS: usize = 500;

/// Writes transactions to PostgreSQL.
pub struct PgWriter {
    client: Client,
}

fn value_error(table: &TableDef, column: &str, position: u64, reason: String) -> IngestError {
    crossdock_change::ChangeError::ValueOutOfRange {
        table: table.name.clone(),
        column: column.to_string(),
        position,
        value: String::new(),
        reason,
    }
    .into()
}

fn key_predicate(def: &TableDef, row: &[crossdock_change::Value], position: u64) -> Result<String> {
    let mut parts = Vec::with_capacity(def.primary_key.len());
    for &k in &def.primary_key {
        let c = &def.columns[k];
        let lit =
            literal(c.pg_type, &row[k]).map_err(|r| value_error(def, &c.name, position, r))?;
        parts.push(format!("{} = {lit}", ident(&c.name)));
    }
    Ok(parts.join(" AND "))
}

/// The SQL statements of one transaction (without `BEGIN`/`COMMIT`).
pub fn transaction_sql(tx: &Transaction) -> Result<String> {
    let mut sql = String::new();
    let mut i = 0;
    let changes = &tx.changes;
    while i < changes.len() {
        let ch = &changes[i];
        let def = &ch.table;
        match ch.op {
            Op::Insert => {
                let cols: Vec<String> = def.columns.iter().map(|c| ident(&c.name)).collect();
                let _ = write!(
                    sql,
                    "INSERT INTO {} ({}) VALUES ",
                    ident(&def.name),
                    cols.join(", ")
                );
                let mut n = 0;
                while i < changes.len()
                    && n < INSERT_ROWS
                    && changes[i].op == Op::Insert
                    && changes[i].table.name == def.name
                {
                    let row = &changes[i].row;
                    if row.len() != def.columns.len() {
                        return Err(crossdock_change::ChangeError::RowShape {
                            table: def.name.clone(),
                            position: tx.position,
                            expected: def.columns.len(),
                            found: row.len(),
                        }
                        .into());
                    }
                    if n > 0 {
                        sql.push_str(", ");
                    }
                    sql.push('(');
                    for (ci, c) in def.columns.iter().enumerate() {
                        if ci > 0 {
                            sql.push_str(", ");
                        }
                        sql.push_str(
                            &literal(c.pg_type, &row[ci])
                                .map_err(|r| value_error(def, &c.name, tx.position, r))?,
                        );
                    }
                    sql.push(')');
                    n += 1;
                    i += 1;
                }
                sql.push_str(";\n");
                continue;
            }
            Op::Update => {
                let mut sets = Vec::with_capacity(def.columns.len());
                for (ci, c) in def.columns.iter().enumerate() {
                    if def.primary_key.contains(&ci) {
                        continue;
                    }
                    let lit = literal(c.pg_type, &ch.row[ci])
                        .map_err(|r| value_error(def, &c.name, tx.position, r))?;
                    sets.push(format!("{} = {lit}", ident(&c.name)));
                }
                if !sets.is_empty() {
                    let _ = writeln!(
                        sql,
                        "UPDATE {} SET {} WHERE {};",
                        ident(&def.name),
                        sets.join(", "),
                        key_predicate(def, &ch.row, tx.position)?
                    );
                }
            }
            Op::Delete => {
                let _ = writeln!(
                    sql,
                    "DELETE FROM {} WHERE {};",
                    ident(&def.name),
                    key_predicate(def, &ch.row, tx.position)?
                );
            }
            Op::Truncate => {
                let _ = writeln!(sql, "TRUNCATE {};", ident(&def.name));
            }
        }
        i += 1;
    }
    Ok(sql)
}

impl PgWriter {
    /// A writer on an open session (see [`super::PgUrl::connect`]).
    pub fn new(client: Client) -> PgWriter {
        PgWriter { client }
    }

    /// The session.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Applies `tx` as one SQL transaction, with `extra` SQL (may be empty)
    /// run inside it before the commit.
    pub async fn apply(&self, tx: &Transaction, extra: &str) -> Result<()> {
        let body = transaction_sql(tx)?;
        let script = format!("BEGIN;\n{body}{extra}\nCOMMIT;");
        if let Err(e) = self.client.batch_execute(&script).await {
            let _ = self.client.batch_execute("ROLLBACK").await;
            return Err(e).ctx(format!(
                "applying transaction {} (xid {})",
                tx.position, tx.xid
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossdock_change::catalog::Catalog;
    use crossdock_change::event::{Change, Value};

    #[test]
    fn one_script_per_transaction() {
        let uom = Catalog::odoo17().require("uom_category").unwrap().clone();
        let row = |id: i64, name: &str| {
            let mut r = vec![Value::Null; uom.columns.len()];
            r[0] = Value::Int(id);
            r[1] = Value::from(name);
            r
        };
        let tx = Transaction {
            xid: 1,
            position: 1,
            commit_ts: 0,
            changes: vec![
                Change {
                    table: uom.clone(),
                    op: Op::Insert,
                    row: row(1, r#"{"en_US": "Unit's"}"#),
                },
                Change {
                    table: uom.clone(),
                    op: Op::Insert,
                    row: row(2, "{}"),
                },
                Change {
                    table: uom.clone(),
                    op: Op::Update,
                    row: row(2, "{\"a\": 1}"),
                },
                Change {
                    table: uom.clone(),
                    op: Op::Delete,
                    row: row(1, ""),
                },
            ],
        };
        let sql = transaction_sql(&tx).unwrap();
        assert_eq!(sql.matches("INSERT").count(), 1, "{sql}");
        assert!(sql.contains(r#"'{"en_US": "Unit''s"}'"#), "{sql}");
        assert!(
            sql.contains("UPDATE \"uom_category\" SET \"name\" = '{\"a\": 1}'"),
            "{sql}"
        );
        assert!(
            sql.contains("DELETE FROM \"uom_category\" WHERE \"id\" = '1';"),
            "{sql}"
        );
    }
}
