//! # crossdock-models — forecasts, reorder suggestions, triage, catalog matching
//!
//! The models that read the warehouse and write their results back to it
//! (see `DESIGN.md`). The modules, in the order a reader meets them:
//!
//! - [`forecast`] — demand series, classification, forecasting methods, the
//!   backtest and crossdock's per-series choice (`crossdock forecast backtest`).
//! - [`planning`] — the planners' run: demand, lead times, rules and stock
//!   from the warehouse (`models/sql/`), a suggestion per product ×
//!   warehouse, written to `derived/reorder_suggestion` and
//!   `derived/demand_forecast` (`crossdock reorder suggest`).
//! - [`reorder`] — the policy: min, max and multiple from lead-time demand,
//!   service level, review period and EOQ, with the reason in words.
//! - [`suggestion`] — the suggestions read back for the planner's page and
//!   API: company scope, filters, exceptions first.
//! - [`decision`] — accept, edit or reject: `derived/reorder_decision`, and
//!   the accepted rules as Odoo orderpoints (import file, API).
//! - [`triage`] — reading customer e-mail, references, and the linear
//!   classifier into queues and categories (`crossdock triage`).
//! - [`matching`] — supplier catalog matching: the pair format, normalised
//!   text, pair features, the learned and calibrated pair scorer with its
//!   thresholds and evidence (`crossdock match train|eval`).
//! - [`error`] — [`error::ModelsError`], what a run that reads and writes
//!   the warehouse can meet.
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

mod cols;
pub mod decision;
pub mod error;
pub mod forecast;
pub mod matching;
pub mod planning;
pub mod reorder;
pub mod suggestion;
pub mod triage;
