//! # crossdock-models — forecasts, reorder suggestions, triage, catalog matching
//!
//! This crate will hold the models that read the warehouse and write their
//! results back to it: demand forecasts and the reorder-rule suggestions made
//! from them, e-mail triage, and supplier-catalog matching (see `DESIGN.md`).
//! Each of those arrives with its own issue. Implemented so far:
//! [`forecast`] — demand series, classification, forecasting methods, the
//! backtest and crossdock's per-series choice (`crossdock forecast backtest`);
//! [`triage`] — reading customer e-mail, references, and the linear
//! classifier into queues and categories (`crossdock triage`).
//!
//! ```text
//!  warehouse (Delta) ──► models ──► results and decisions (Delta) ──► api
//! ```
//!
//! ```
//! use crossdock_models::forecast::Method;
//!
//! // Croston (classic, α = 0.1) on a history with two demands
//! let f = Method::Croston.forecast(&[0.0, 4.0, 0.0, 0.0, 2.0], 1, 3);
//! assert!((f[0] - 3.8 / 2.1).abs() < 1e-12);
//! ```
//!
//! What this crate must not do: write the Odoo tables' current state or
//! change logs (only the warehouse applies source changes), or serve HTTP.

pub mod error;
pub mod forecast;
pub mod planning;
pub mod reorder;
pub mod triage;
