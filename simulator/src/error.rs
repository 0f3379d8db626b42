//! The error type of `crossdock-simulator`.

use crossdock_change::ChangeError;

/// What can go wrong when setting up or running a simulation.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    /// An invalid simulator setting (days, products, warehouses, ...).
    #[error("simulator: {message}")]
    Config {
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The simulator and the catalog of tracked tables disagree (a column
    /// the simulator writes is not in `change/sql/odoo17.sql`).
    #[error("simulator: {0}")]
    Change(#[from] ChangeError),
}

/// `Result` with [`SimulatorError`].
pub type Result<T, E = SimulatorError> = std::result::Result<T, E>;
