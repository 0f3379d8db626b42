//! End-to-end tests of the whole `crossdock` command and its crates.
//!
//! - `crash_resume`: simulate, apply with crashes injected at batch
//!   boundaries and between the tables of a batch, resume; the current state
//!   must equal the simulator's final state row for row, the change logs must
//!   hold every change exactly once, and the KPIs must equal the simulator's
//!   ground truth exactly. A control run with the checkpoint kept outside the
//!   Delta commit shows the same check catching double application.
//! - `bad_input`: malformed batches are rejected whole, with clear errors.
//! - `cli`: the binary as a user runs it, including `kill -9` and resume.
//! - `outside_reader`: the Python `deltalake` package reads the same tables.
//! - `dashboard`: headless Chromium renders the dashboard page.
//! - `users`: `crossdock user ...` and `serve` as an operator runs them.
//! - `postgres`: change-data capture from a real PostgreSQL (snapshot, stream,
//!   every type, kill -9 and resume, slot advance), checked with `verify`.
//! - `forecast`: `crossdock forecast backtest` on small hand-checked CSVs
//!   and on carparts-dev (shared data).
//! - `reorder`: `crossdock reorder suggest` and `whatif` on a demo: reasons,
//!   rules, the what-if's two columns, the derived tables read from Python.
//! - `planning`: the planner on `crossdock demo` — the pages in Chromium,
//!   accept / edit / reject, the stand-in Odoo's request log, the import
//!   file and the audit trail.
//! - `triage`: `crossdock triage` on awkward hand-made e-mails (HTML only,
//!   Latin-1 quoted-printable, forwarded, references in the subject or an
//!   attachment's name, a cancellation under a long history) and the
//!   held-out figures on bitext-dev (shared data).
//! - `search`: the product index over the demo's product master.
//! - `matching`: `crossdock match train|eval` on hand-made pairs, its
//!   error messages, and the Abt-Buy validation figures (shared data).
//! - `faults`: the CDC path under faults (bad credentials, missing database
//!   or right, network cut, disk full, slot dropped, unreadable checkpoints).

mod bad_input;
mod cli;
mod common;
mod crash_resume;
mod dashboard;
mod faults;
mod forecast;
mod matching;
mod outside_reader;
mod planning;
mod postgres;
mod reorder;
mod search;
mod triage;
mod users;
