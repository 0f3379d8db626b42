//! # crossdock-ingest — change sources, and the pipeline that applies them
//!
//! crossdock keeps an analytical copy of an Odoo database. This crate owns
//! where changes come from and how they reach the warehouse:
//!
//! ```text
//!  Odoo's PostgreSQL ─► postgres (snapshot + pgoutput) ─┐
//!  (Odoo's external API, Debezium: later)               ├─► Transaction ─► pipeline ─► warehouse Applier
//!                                                       ┘   (crossdock-change)  batches, confirm-after-apply,
//!                                                                                reconnects, the source record
//! ```
//!
//! - [`postgres`]: Odoo's PostgreSQL as a source — set-up checks, a
//!   consistent snapshot, then the `pgoutput` logical replication stream —
//!   and as the target the simulator can write into; `verify` compares it
//!   with the warehouse;
//! - [`pipeline`]: the CDC control loop — plan snapshot or stream, keep the
//!   source record, batch, apply, confirm the slot only after the warehouse
//!   committed, reconnect on transient errors;
//! - [`error`]: [`IngestError`], typed by what the caller must do
//!   ([`IngestError::is_transient`]).
//!
//! The change events themselves (tables, [`crossdock_change::Transaction`],
//! [`crossdock_change::ChangeBatch`]) are the `crossdock-change` crate's; the
//! simulator is `crossdock-simulator`'s. Exactly-once lives in two places:
//! the warehouse commits each batch's source position with its data, and the
//! pipeline confirms the slot only up to what the warehouse holds.
//!
//! ```no_run
//! # async fn demo() -> crossdock_ingest::Result<()> {
//! use std::sync::atomic::AtomicBool;
//! use crossdock_ingest::pipeline::{self, PipelineOptions};
//! use crossdock_ingest::postgres::{PgUrl, SourceOptions};
//! use crossdock_warehouse::Warehouse;
//!
//! let warehouse = Warehouse::open("./crossdock-data")?;
//! let url = PgUrl::parse("postgresql://postgres@127.0.0.1/odoo")?;
//! let tables = warehouse.catalog().tables().to_vec();
//! let options = PipelineOptions::new(SourceOptions::new(tables));
//! let stop = AtomicBool::new(false);
//! let summary = pipeline::run(&warehouse, &url, &options, &stop, &mut |event| {
//!     eprintln!("{event:?}")
//! })
//! .await?;
//! println!("{} changes", summary.changes);
//! # Ok(()) }
//! ```

pub mod error;
pub mod pipeline;
pub mod postgres;

pub use error::{IngestError, PgErrorKind, Result};
