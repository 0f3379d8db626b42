//! The error type of `crossdock-change`: a table definition that cannot be
//! understood, or a change that does not fit its table.

use crate::event::Position;

/// A change event or table definition that is not what the catalog says.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
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
    /// Building an Arrow array or batch failed.
    #[error("arrow: {source}")]
    Arrow {
        /// The Arrow error.
        #[from]
        source: arrow::error::ArrowError,
    },
}

/// `Result` with [`ChangeError`].
pub type Result<T, E = ChangeError> = std::result::Result<T, E>;
