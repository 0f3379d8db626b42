//! # crossdock-change — the vocabulary every crate shares
//!
//! crossdock keeps an analytical copy of an Odoo database. Every part of it
//! speaks about the same two things, defined here and nowhere else:
//!
//! - [`catalog`]: the tracked Odoo 17 tables — names, columns, PostgreSQL
//!   types, primary keys and the Arrow types they become — parsed once from
//!   crossdock's own DDL, `change/sql/odoo17.sql` (written from the
//!   reference schema in `shared/odoo/schema.sql`);
//! - [`event`]: the change events every source produces — [`Transaction`]s
//!   of [`Change`]s (table, operation, typed [`Value`]s) with their source
//!   [`Position`] and commit time — and the Arrow layout of a
//!   [`ChangeBatch`], which is what the warehouse applies.
//!
//! ```text
//!  sources (ingest: PostgreSQL, ...; simulator)
//!        │ Transaction
//!        ▼
//!  ChangeBatchBuilder ──► ChangeBatch (one Arrow batch per table) ──► warehouse
//! ```
//!
//! This crate depends on no other crate of crossdock; all of them may
//! depend on it. It does no I/O.
//!
//! ```
//! use crossdock_change::{Catalog, Change, ChangeBatchBuilder, Op, Transaction, Value};
//!
//! let catalog = Catalog::odoo17();
//! let uom = catalog.require("uom_category")?;
//! let mut row = vec![Value::Null; uom.columns.len()];
//! row[uom.require("id")?] = Value::Int(1);
//! let tx = Transaction {
//!     xid: 1,
//!     position: 1,
//!     commit_ts: 0,
//!     changes: vec![Change { table: uom.clone(), op: Op::Insert, row }],
//! };
//! let mut builder = ChangeBatchBuilder::new();
//! builder.push(&tx)?;
//! let batch = builder.finish()?;
//! assert_eq!(batch.tables[0].table, "uom_category");
//! # Ok::<(), crossdock_change::ChangeError>(())
//! ```

pub mod catalog;
pub mod error;
pub mod event;

pub use catalog::{Catalog, ColumnDef, PgType, TableDef};
pub use error::{ChangeError, Result};
pub use event::{
    Change, ChangeBatch, ChangeBatchBuilder, Op, Position, TableChanges, Transaction, Value,
};
