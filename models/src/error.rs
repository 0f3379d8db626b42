//! The errors of the models that read and write the warehouse.

/// What can go wrong in a planning run (the forecasting methods have their
/// own [`crate::forecast::Error`]).
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    /// The warehouse could not be read or written (boxed: the error is large).
    #[error(transparent)]
    Warehouse(Box<crossdock_warehouse::WarehouseError>),
    /// A model's SQL failed.
    #[error("{file}: {source}")]
    Query {
        /// The SQL file (`models/sql/...`).
        file: &'static str,
        /// DataFusion's error.
        #[source]
        source: Box<datafusion::error::DataFusionError>,
    },
    /// A model's SQL returned a column the model cannot read.
    #[error("{file}: column {column}: {reason}")]
    Column {
        /// The SQL file.
        file: &'static str,
        /// The column.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// Building a result table failed.
    #[error("building a result table: {0}")]
    Arrow(Box<arrow::error::ArrowError>),
}

impl From<crossdock_warehouse::WarehouseError> for ModelsError {
    fn from(e: crossdock_warehouse::WarehouseError) -> Self {
        ModelsError::Warehouse(Box::new(e))
    }
}

impl From<arrow::error::ArrowError> for ModelsError {
    fn from(e: arrow::error::ArrowError) -> Self {
        ModelsError::Arrow(Box::new(e))
    }
}

impl ModelsError {
    pub(crate) fn query(file: &'static str, source: datafusion::error::DataFusionError) -> Self {
        ModelsError::Query {
            file,
            source: Box::new(source),
        }
    }
}

/// The models' result type.
pub type Result<T, E = ModelsError> = std::result::Result<T, E>;
