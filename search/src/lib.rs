//! # crossdock-search — full-text indexes for products, catalogs and messages
//!
//! This crate will keep tantivy indexes of products, supplier catalog lines
//! and messages, rebuilt from the warehouse, for the models' candidate
//! retrieval and the api's search boxes (see `DESIGN.md`). It arrives with
//! the supplier-matching and triage issues; nothing is implemented here yet,
//! and nothing in the binary calls this crate.
//!
//! ```text
//!  warehouse (Delta) ──► search (tantivy) ──► models, api
//! ```
//!
//! What this crate must not do: be the source of truth for anything — an
//! index can always be rebuilt from the warehouse.
