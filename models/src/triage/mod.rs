//! # E-mail triage: read, classify, route, with the references pulled out
//!
//! Customer service's inbox mixes quote requests, orders, "where is my
//! delivery", damaged goods, returns and invoice disputes. This module reads
//! each message ([`mail`]: RFC 5322 / MIME through the `mail-parser` crate,
//! from `.eml` files, mbox files or a folder of them), separates the new text
//! from the quoted history and the signature, pulls out the Odoo document
//! numbers and free-form customer references it mentions ([`refs`]), and
//! classifies it into a [`Queue`] and a [`Category`] with a calibrated
//! confidence ([`model`]: word and character n-gram TF-IDF features,
//! [`features`], and a multinomial logistic regression, [`linear`]). Below the
//! model's confidence threshold a message goes to review instead of a queue.
//!
//! ```text
//!  .eml / mbox / folder ─► mail::read_path ─► Mail { subject, new_text, quoted, attachments }
//!                                               │
//!                 refs::extract ◄───────────────┤──────────► model::TriageModel::classify
//!                 (checked with a ReferenceCheck: the warehouse, or none)     │
//!                                               ▼                             ▼
//!                                      Triage { queue, category, confidence, references, review }
//! ```
//!
//! The classifier learns whatever labels its training file has; [`labels`]
//! maps them to crossdock's queues and categories (crossdock's own category
//! names, `queue:category` pairs, and the Bitext intents are built in).
//!
//! ```
//! use crossdock_models::triage::{mail, refs};
//!
//! let raw = b"From: ana@example.com\r\nSubject: Re: S00042\r\n\r\nPlease cancel it.\r\n\r\nOn Mon, Bo wrote:\r\n> our PO 4471-B\r\n";
//! let m = mail::parse_bytes(raw).unwrap();
//! assert_eq!(m.new_text.trim(), "Please cancel it.");
//! let found = refs::extract(&m, &refs::NoCheck);
//! let values: Vec<&str> = found.iter().map(|r| r.value.as_str()).collect();
//! assert_eq!(values, ["S00042", "4471-B"]);
//! ```

pub mod data;
pub mod eval;
pub mod features;
pub mod inbox;
pub mod labels;
pub mod linear;
pub mod mail;
pub mod model;
pub mod refs;
mod split;
pub mod store;
pub mod warehouse;
pub mod worklist;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use labels::{Category, Queue};
pub use model::{Triage, TriageModel};

/// What can go wrong in triage (a message that cannot be read is not an
/// error of the run: it is kept with its [`mail::MailError`]).
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file could not be read.
    #[error("{path}: line {line}: {reason}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The line (1 = the header).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A column the command needs is not in the CSV's header.
    #[error("{path}: no column {column:?} in the header (columns: {available})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The columns there are, comma-separated.
        available: String,
    },
    /// Training needs more or different data.
    #[error("{0}")]
    Training(String),
    /// A model folder is missing, incomplete, damaged or of another version.
    #[error("model {path}: {reason}")]
    Model {
        /// The model folder or file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The warehouse could not be read (boxed: the error is large).
    #[error(transparent)]
    Warehouse(Box<crossdock_warehouse::WarehouseError>),
}

impl From<crossdock_warehouse::WarehouseError> for TriageError {
    fn from(e: crossdock_warehouse::WarehouseError) -> Self {
        TriageError::Warehouse(Box::new(e))
    }
}

/// Triage's result type.
pub type Result<T, E = TriageError> = std::result::Result<T, E>;

/// A document reference found in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// What it refers to.
    pub kind: RefKind,
    /// The reference as Odoo writes it (`S00042`, `INV/2026/00012`), or as
    /// the customer wrote it for free-form references (`4471-B`).
    pub value: String,
    /// Where in the message it was found.
    pub location: RefLocation,
    /// True when the warehouse holds the document (always false without a
    /// warehouse check).
    pub found: bool,
}

/// Kinds of [`Reference`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    /// A sale order or quotation, `S00042` (`sale_order.name`).
    SaleOrder,
    /// A purchase order or RFQ, `P00017` (`purchase_order.name`).
    PurchaseOrder,
    /// A customer invoice or vendor bill, `INV/2026/00012`, `BILL/...` (`account_move.name`).
    Invoice,
    /// A credit note, `RINV/2026/00003`, `RBILL/...` (`account_move.name`).
    CreditNote,
    /// A delivery order, `WH/OUT/00012` (`stock_picking.name`).
    Delivery,
    /// A receipt, `WH/IN/00007` (`stock_picking.name`).
    Receipt,
    /// Another transfer, `WH/INT/00003`, `WH/PICK/...` (`stock_picking.name`).
    Transfer,
    /// An order reference written in free form by the customer ("our PO
    /// 4471-B", "order 370795561790"); checked against
    /// `sale_order.client_order_ref` and `purchase_order.partner_ref`.
    CustomerRef,
    /// An invoice number written in free form ("invoice #12588") that is not
    /// an Odoo document number.
    InvoiceRef,
}

impl RefKind {
    /// The name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            RefKind::SaleOrder => "sale_order",
            RefKind::PurchaseOrder => "purchase_order",
            RefKind::Invoice => "invoice",
            RefKind::CreditNote => "credit_note",
            RefKind::Delivery => "delivery",
            RefKind::Receipt => "receipt",
            RefKind::Transfer => "transfer",
            RefKind::CustomerRef => "customer_ref",
            RefKind::InvoiceRef => "invoice_ref",
        }
    }
}

/// Where a [`Reference`] was found (the first place, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefLocation {
    /// The subject line.
    Subject,
    /// The new text of the message.
    NewText,
    /// The name of an attachment.
    Attachment,
    /// The quoted or forwarded history.
    Quoted,
}
