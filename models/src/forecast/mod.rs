//! Demand forecasting: series, classification, methods, backtest, the
//! per-series choice and lead-time demand.
//!
//! The modules, in the order a reader meets them:
//!
//! 1. [`series`] — a demand [`Series`] and the wide / long CSV readers.
//! 2. [`classify`] — ADI / CV² demand classes (smooth, erratic, intermittent,
//!    lumpy, plus new and dead), XYZ and ABC.
//! 3. [`methods`] — the forecasting [`Method`]s, each as published (naive,
//!    seasonal naive, SES, Holt, damped trend, automatic ETS, Croston, SBA,
//!    TSB, ADIDA, IMAPA, zero); [`ets`] holds the state-space ETS engine.
//! 4. [`backtest`] — hold out the last H periods, score every method and
//!    `auto` with MASE, RMSSE and bias, per demand class and overall.
//! 5. [`auto`] — crossdock's per-series choice by rolling-origin backtest on
//!    the series' own training part.
//! 6. [`lead_time`] — mean and quantile of demand over a lead time, for
//!    reorder points.
//!
//! `docs/forecasting.md` gives the definitions, the references and the
//! measured results on carparts.
//!
//! ```
//! use crossdock_models::forecast::{backtest, series, BacktestConfig, Method};
//!
//! let csv = "id,p1,p2,p3,p4,p5,p6,p7,p8\n\
//!            a,1,2,3,4,5,6,7,8\n\
//!            b,0,3,0,0,2,0,0,1\n";
//! let data = series::parse_wide(csv.as_bytes(), "example.csv", series::Gaps::Error).unwrap();
//! let config = BacktestConfig { horizon: 2, ..BacktestConfig::default() };
//! let report = backtest::run(&data, &config).unwrap();
//! // naive on `a`: forecasts 6, 6 for 7, 8; mean in-sample naive error 1 → MASE 1.5;
//! // on `b`: forecasts 0, 0 for 0, 1; in-sample error (3+3+0+2+2)/5 = 2 → MASE 0.25
//! let naive = &report.overall.methods[Method::Naive.name()];
//! assert_eq!(naive.series, 2);
//! assert!((naive.mase - (1.5 + 0.25) / 2.0).abs() < 1e-12);
//! assert!(report.overall.methods.contains_key("auto"));
//! ```

pub mod auto;
pub mod backtest;
pub mod classify;
pub mod ets;
pub mod lead_time;
pub mod methods;
pub mod series;

pub use backtest::{BacktestConfig, Report};
pub use classify::DemandClass;
pub use methods::Method;
pub use series::Series;

/// What can go wrong in [`crate::forecast`]; every variant says where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input file cannot be opened or read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The CSV itself is malformed (ragged row, bad header, bad encoding).
    #[error("{file}, line {line}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// 1-based line (0 when unknown).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A cell is not a demand quantity.
    #[error("{file}, line {line}, column {column}, series {id}: {value:?} is {why}")]
    Value {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// The series id.
        id: String,
        /// The cell as written.
        value: String,
        /// Why it is refused.
        why: String,
    },
    /// A blank between two observations (see [`series::Gaps`]).
    #[error("{file}, line {line}, column {column}, series {id}: no value for period {period} between two observations (a gap; read it as zero demand only if that is what it means)")]
    Gap {
        /// The file.
        file: String,
        /// 1-based line (for the long layout: a line of the series near the gap, 0 if none).
        line: u64,
        /// 1-based column.
        column: usize,
        /// The series id.
        id: String,
        /// The period's name.
        period: String,
    },
    /// A series or a period given twice.
    #[error("{file}, line {line}, series {id}: {what}")]
    Duplicate {
        /// The file.
        file: String,
        /// 1-based line of the repeat.
        line: u64,
        /// The series id.
        id: String,
        /// What is repeated.
        what: String,
    },
    /// A series with no value at all.
    #[error("{file}, line {line}, series {id}: no value in any period")]
    Empty {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// The series id.
        id: String,
    },
    /// A setting that cannot work (horizon 0, service level outside (0, 1), ...).
    #[error("invalid setting: {0}")]
    Config(String),
}

/// The result of everything in [`crate::forecast`].
pub type Result<T> = std::result::Result<T, Error>;
