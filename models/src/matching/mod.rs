//! # Catalog matching: is this supplier line that product?
//!
//! Procurement maps supplier catalog lines onto the product master. This
//! module holds the part that decides, for one candidate pair (a catalog
//! line and a product), how likely they are the same product, why, and
//! what to do about it:
//!
//! ```text
//!  pairs file ─► pairs::read_pairs ─► Pair { left: Record, right: Record, label }
//!                                          │
//!        normalize (case, punctuation, units such as M8x40 / 500 ml / 12-pack,
//!                   model numbers)         │
//!                                          ▼
//!        features::FeatureSpace (IDF from the training records) ─► named pair features
//!                                          │     (+ optional embedding cosine: features::TextEmbedder)
//!                                          ▼
//!        gbt (gradient-boosted trees) or logistic ─► calibrate (Platt, out of fold)
//!                                          │
//!                                          ▼
//!        model::MatchModel::score ─► Scored { probability, decision: Sure / Review / NoMatch, evidence }
//! ```
//!
//! Records are attribute → value maps (the ER-Magellan pair format of
//! `../shared/data/entity-matching/`, [`pairs`]); a catalog import or a
//! product-master reader builds the same [`pairs::Record`]s, and candidate
//! search (tantivy) only has to hand pairs to [`model::MatchModel::score`].
//!
//! ```
//! use crossdock_models::matching::normalize;
//!
//! let n = normalize::analyse("Hex bolt M8X40 zinc, 12-Pack (500 ml)");
//! assert!(n.numbers.contains(&"m8x40".to_string()));
//! assert!(n.numbers.contains(&"500ml".to_string()));
//! assert!(n.numbers.contains(&"12pack".to_string()));
//! ```

pub mod calibrate;
pub mod eval;
pub mod features;
pub mod gbt;
pub mod logistic;
pub mod model;
pub mod normalize;
pub mod pairs;

use std::path::PathBuf;

pub use features::TextEmbedder;
pub use model::{Decision, MatchModel, Scored};
pub use pairs::{Pair, Record};

/// What can go wrong in matching.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A line of a pairs file is not a pair.
    #[error("{path}: line {line}: {reason}")]
    Pairs {
        /// The file.
        path: PathBuf,
        /// The line (1 = the first).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A pairs file with no pairs, or training pairs of one label only.
    #[error("{path}: {reason}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A model folder that cannot be used.
    #[error("{path}: {reason}")]
    Model {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The model was trained with the embedding feature and no embedder was given.
    #[error("the model uses sentence embeddings ({0}); give it the same embedding model")]
    NeedsEmbedder(String),
}

/// `Result` with [`MatchError`].
pub type Result<T, E = MatchError> = std::result::Result<T, E>;
