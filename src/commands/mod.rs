//! One module per subcommand.

pub mod demo;
pub mod forecast;
pub mod ingest;
pub mod kpi;
pub mod match_;
pub mod reorder;
pub mod serve;
pub mod simulate;
pub mod simulate_pg;
pub mod triage;
pub mod user;
pub mod verify;
