//! The error type of `crossdock-warehouse`.

/// Everything that can go wrong while storing or querying the warehouse.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// The warehouse root is not a usable path or URL.
    #[error("warehouse root {root:?}: {reason}")]
    Root {
        /// The root given.
        root: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A change batch names a table that is not tracked. Nothing of the batch was applied.
    #[error("change batch rejected, nothing applied: unknown table {table:?} (not a tracked Odoo table)")]
    UnknownTable {
        /// The table named by the batch.
        table: String,
    },
    /// A change batch lacks a column the table has. Nothing of the batch was applied.
    #[error("change batch rejected, nothing applied: table {table} is missing column {column:?}")]
    MissingColumn {
        /// The table.
        table: String,
        /// The missing column.
        column: String,
    },
    /// A change batch has a column the table does not have. Nothing of the batch was applied.
    #[error("change batch rejected, nothing applied: table {table} has no column {column:?}")]
    UnexpectedColumn {
        /// The table.
        table: String,
        /// The unexpected column.
        column: String,
    },
    /// A column of a change batch has the wrong type. Nothing of the batch was applied.
    #[error("change batch rejected, nothing applied: table {table}, column {column}: expected {expected}, found {found}")]
    WrongType {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The type the warehouse stores.
        expected: String,
        /// The type in the batch.
        found: String,
    },
    /// A row of a change batch is malformed (bad operation code, null key, ...).
    /// Nothing of the batch was applied.
    #[error("change batch rejected, nothing applied: table {table}, row {row}: {reason}")]
    BadRow {
        /// The table.
        table: String,
        /// Index of the row in the table's batch.
        row: usize,
        /// What is wrong.
        reason: String,
    },
    /// A derived table's name is not a plain lower-case identifier.
    #[error("derived table name {name:?} is not a plain identifier (a-z, 0-9, _)")]
    DerivedName {
        /// The name given.
        name: String,
    },
    /// Rows written to a derived table do not have its schema.
    #[error("derived table {name}: rows do not match its schema: {reason}")]
    DerivedSchema {
        /// The table.
        name: String,
        /// What differs.
        reason: String,
    },
    /// A crash injected by a test (`FailPoint`, feature `test-hooks`).
    #[error("injected crash after {commits} commits")]
    InjectedCrash {
        /// Commits done before the crash.
        commits: usize,
    },
    /// A KPI request that cannot be answered as asked.
    #[error("{0}")]
    BadRequest(String),
    /// A KPI file's output does not match its entry in
    /// [`crate::kpi::REGISTRY`]: a registered column is missing, has a type
    /// its kind cannot be read from, or an unregistered column appears.
    #[error("kpi {kpi}, column {column}: {reason}")]
    KpiSchema {
        /// The KPI (its file name).
        kpi: String,
        /// The output column.
        column: String,
        /// What does not match.
        reason: String,
    },
    /// A value of a KPI's output cannot be reported as it is (a decimal out
    /// of range, an integer that overflows, a NULL where the registry says
    /// the field always has a value, a group missing). Nothing is reported
    /// instead of it: the whole report fails.
    #[error("kpi {kpi}, column {column}, group {group}: {reason}")]
    KpiValue {
        /// The KPI (its file name).
        kpi: String,
        /// The output column.
        column: String,
        /// The group's dimension values, e.g. `channel=EDI, month=2026-01`.
        group: String,
        /// Why the value cannot be reported.
        reason: String,
    },
    /// A query returned something the code did not expect (a bug, not bad input).
    #[error("internal: {0}")]
    Internal(String),
    /// Reading or writing a Delta table failed.
    #[error("delta table {table}: {source}")]
    Delta {
        /// The table's location.
        table: String,
        /// The error from deltalake.
        #[source]
        source: deltalake::DeltaTableError,
    },
    /// A query failed.
    #[error("query {query}: {source}")]
    Query {
        /// Which query (a KPI name or a table).
        query: String,
        /// The error from DataFusion.
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// Building or converting Arrow data failed.
    #[error("arrow: {source}")]
    Arrow {
        /// The Arrow error.
        #[from]
        source: arrow::error::ArrowError,
    },
    /// Reading or writing a local file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A change batch or table definition does not fit the catalog.
    #[error(transparent)]
    Change(#[from] crossdock_change::ChangeError),
    /// A file of the warehouse's own (`_crossdock/...`) exists but its
    /// content is not what crossdock wrote. Nothing was assumed in its place.
    #[error("{path}: corrupt: {reason}; nothing was done (repair or remove it by hand, see docs/operations.md)")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The checkpoint table (the warehouse's source position) exists but
    /// cannot be read. Nothing was done: guessing a position would mean a
    /// new snapshot without truncating, or changes applied twice.
    #[error("checkpoint table {table} cannot be read ({source}); the warehouse's source position is unknown, so nothing was done")]
    Checkpoint {
        /// The table's location.
        table: String,
        /// The error from deltalake.
        #[source]
        source: deltalake::DeltaTableError,
    },
    /// A command that only reads was pointed at a folder that holds no
    /// warehouse.
    #[error("{root}: no crossdock warehouse here (no _crossdock folder); check --data, or build one with `crossdock demo` or `crossdock ingest`")]
    NotAWarehouse {
        /// The folder.
        root: String,
    },
}

/// `Result` with [`WarehouseError`].
pub type Result<T, E = WarehouseError> = std::result::Result<T, E>;

impl WarehouseError {
    /// Whether the error is the storage being full (`ENOSPC`, or a quota):
    /// nothing was committed, and trying again once there is space is safe.
    pub fn is_storage_full(&self) -> bool {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = source {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::StorageFull
                    || io.kind() == std::io::ErrorKind::QuotaExceeded
                    || io.raw_os_error() == Some(28)
                {
                    return true;
                }
            }
            source = e.source();
        }
        // object_store and the Delta kernel may carry the I/O error as text only
        let text = self.to_string();
        text.contains("No space left on device") || text.contains("os error 28")
    }

    pub(crate) fn delta(table: impl ToString) -> impl FnOnce(deltalake::DeltaTableError) -> Self {
        let table = table.to_string();
        move |source| WarehouseError::Delta { table, source }
    }
    pub(crate) fn query(
        query: impl ToString,
    ) -> impl FnOnce(datafusion::error::DataFusionError) -> Self {
        let query = query.to_string();
        move |source| WarehouseError::Query { query, source }
    }
}
