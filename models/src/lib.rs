//! # crossdock-models — forecasts, reorder suggestions, triage, catalog matching
//!
//! This crate will hold the models that read the warehouse and write their
//! results back to it: demand forecasts and the reorder-rule suggestions made
//! from them, e-mail triage, and supplier-catalog matching (see `DESIGN.md`).
//! Each of those arrives with its own issue; nothing is implemented here yet,
//! and nothing in the binary calls this crate.
//!
//! ```text
//!  warehouse (Delta) ──► models ──► results and decisions (Delta) ──► api
//! ```
//!
//! What this crate must not do: write the Odoo tables' current state or
//! change logs (only the warehouse applies source changes), or serve HTTP.
