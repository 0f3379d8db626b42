//! # crossdock-ingest — where change events come from
//!
//! crossdock keeps an analytical copy of an Odoo database. This crate owns the
//! *sources* of that copy and the one representation they all produce:
//!
//! ```text
//!  Odoo's PostgreSQL ─┐   (postgres: snapshot + pgoutput)
//!  built-in simulator ┼─► Transaction ─► ChangeBatchBuilder ─► ChangeBatch ─► (warehouse)
//!  ...                ┘    (typed rows)                        (Arrow, per table)
//! ```
//!
//! - [`catalog`]: the tracked Odoo 17 tables, parsed from crossdock's DDL
//!   (`ingest/sql/odoo17.sql`), and how each PostgreSQL type maps to Arrow.
//! - [`change`]: [`Transaction`], [`Change`], [`Value`], and the Arrow layout
//!   of a [`ChangeBatch`] (operation, source position, transaction id, commit
//!   time, then the table's columns).
//! - [`simulator`]: a deterministic Odoo-shaped distributor that emits the
//!   transactions an Odoo 17 database would commit, and keeps its own ground
//!   truth for tests.
//! - [`postgres`]: Odoo's PostgreSQL as a source — a consistent snapshot,
//!   then the `pgoutput` logical replication stream — and as the target
//!   the simulator can write into; `verify` compares it with the warehouse.
//!
//! What this crate must not do: write the warehouse. Sources hand batches to the
//! warehouse crate, which alone decides what is durable.
//!
//! ```
//! use crossdock_ingest::{ChangeBatchBuilder, Simulator, SimulatorConfig};
//!
//! let mut sim = Simulator::new(SimulatorConfig { days: 2, orders_per_day: 5, ..Default::default() })?;
//! let mut builder = ChangeBatchBuilder::new();
//! while let Some(tx) = sim.next_transaction() {
//!     builder.push(&tx)?;
//! }
//! let batch = builder.finish()?;
//! assert!(batch.tables.iter().any(|t| t.table == "sale_order"));
//! # Ok::<(), crossdock_ingest::IngestError>(())
//! ```

pub mod catalog;
pub mod change;
pub mod error;
pub mod postgres;
pub mod simulator;

pub use catalog::{Catalog, ColumnDef, PgType, TableDef};
pub use change::{
    Change, ChangeBatch, ChangeBatchBuilder, Op, Position, TableChanges, Transaction, Value,
};
pub use error::{IngestError, Result};
pub use simulator::{GroundTruth, Simulator, SimulatorConfig};
