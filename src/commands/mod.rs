//! One module per subcommand.

pub mod demo;
pub mod kpi;
pub mod serve;
pub mod simulate;
