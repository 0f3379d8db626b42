//! The error type of `crossdock-ingest`.

use crate::change::Position;

/// Everything that can go wrong while producing change events.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The DDL that defines the tracked tables could not be understood.
    #[error("catalog: {message}")]
    Catalog {
        /// What is wrong, with the table, column or line.
        message: String,
    },
    /// A change names a table that is not tracked.
    #[error("unknown table {table:?}: it is not one of the tracked Odoo tables")]
    UnknownTable {
        /// The name given.
        table: String,
    },
    /// A column name that the table does not have.
    #[error("table {table} has no column {column:?}")]
    UnknownColumn {
        /// The table.
        table: String,
        /// The name given.
        column: String,
    },
    /// A row with the wrong number of values.
    #[error("table {table}, position {position}: row has {found} values, the table has {expected} columns")]
    RowShape {
        /// The table.
        table: String,
        /// Source position of the transaction.
        position: Position,
        /// Columns of the table.
        expected: usize,
        /// Values in the row.
        found: usize,
    },
    /// A value whose type does not match its column.
    #[error("table {table}, column {column}, position {position}: expected a {expected} value, found {found}")]
    ValueType {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Source position of the transaction.
        position: Position,
        /// The column's type.
        expected: String,
        /// The kind of value found.
        found: String,
    },
    /// A value that does not fit its column exactly (never rounded).
    #[error("table {table}, column {column}, position {position}: value {value} {reason}")]
    ValueOutOfRange {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Source position of the transaction.
        position: Position,
        /// The value, as text.
        value: String,
        /// Why it does not fit.
        reason: String,
    },
    /// Transactions must come in increasing source position.
    #[error("source position went from {previous} to {next}: positions must increase")]
    PositionNotIncreasing {
        /// The last position gathered.
        previous: Position,
        /// The position offered.
        next: Position,
    },
    /// An invalid simulator setting.
    #[error("simulator: {message}")]
    Simulator {
        /// What is wrong.
        message: String,
    },
    /// PostgreSQL (connection, set-up, replication protocol, SQL): what
    /// failed and, where it can, what to change.
    #[error("PostgreSQL: {message}")]
    Postgres {
        /// What failed, with the table, column or LSN concerned.
        message: String,
    },
    /// Building an Arrow array or batch failed.
    #[error("arrow: {source}")]
    Arrow {
        /// The Arrow error.
        #[from]
        source: arrow::error::ArrowError,
    },
}

/// `Result` with [`IngestError`].
pub type Result<T, E = IngestError> = std::result::Result<T, E>;
