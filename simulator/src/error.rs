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
    /// No reordering rule for this warehouse and product.
    #[error("simulator: no reordering rule (stock_warehouse_orderpoint) for warehouse id {warehouse_id} and product id {product_id}")]
    UnknownOrderpoint {
        /// stock_warehouse.id asked for.
        warehouse_id: i64,
        /// product_product.id asked for.
        product_id: i64,
    },
    /// Values a reordering rule cannot take (negative, fractional, min above
    /// max), or a suggested rule that does not match the simulator's.
    #[error("simulator: reordering rule of warehouse id {warehouse_id}, product id {product_id}: {message}")]
    Orderpoint {
        /// stock_warehouse.id of the rule.
        warehouse_id: i64,
        /// product_product.id of the rule.
        product_id: i64,
        /// What is wrong.
        message: String,
    },
}

/// `Result` with [`SimulatorError`].
pub type Result<T, E = SimulatorError> = std::result::Result<T, E>;
