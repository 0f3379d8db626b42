//! # crossdock-odoo — talking back to Odoo
//!
//! Everything crossdock writes to Odoo goes through this crate: a generic client of
//! Odoo's external API ([`OdooClient`]: `search`, `search_read`, `read`, `create`,
//! `write`), typed helpers on top (reorder rules: [`OdooClient::upsert_orderpoint`];
//! vendor pricelists, `product.supplierinfo`, will follow for catalog matching), and
//! the Odoo import file for when no API is configured
//! ([`orderpoint_import_csv`]).
//!
//! Where it sits: crossdock reads Odoo through the change stream (`crossdock-ingest`
//! → `crossdock-warehouse`); decisions a person accepts in crossdock (reorder rules
//! today) leave through here. It depends on none of crossdock's crates.
//!
//! The modules, in reading order:
//!
//! * [`protocol`] — the two wire protocols and how one is chosen: the server's
//!   version is probed first; Odoo 17/18 get JSON-RPC `object.execute_kw` after
//!   `common.authenticate`, Odoo 19+ the JSON-2 endpoints `/json/2/<model>/<method>`
//!   with a bearer API key.
//! * [`error`] — [`OdooError`]: Odoo's error payloads of both protocols mapped to
//!   typed variants (`AccessDenied`, `AccessError`, `ValidationError`, `MissingError`,
//!   `UnknownField`...), with `is_transient` and `may_have_applied`.
//! * [`client`] — the client, its settings (the API key is read from an environment
//!   variable whose *name* is configured), and the retry rule: bounded exponential
//!   back-off for transient failures only, and never a second write — a create whose
//!   answer was lost is looked up by its natural key before anything is created again.
//! * [`orderpoint`] — `stock.warehouse.orderpoint`: the accepted rule, its natural key
//!   (product, location, company), the upsert, exact decimal quantities.
//! * [`import_file`] — the CSV for Odoo's Import dialog (external ids, `field/.id`).
//! * `stand_in` (feature `stand-in`) — a stand-in for Odoo, which cannot run here:
//!   an in-process server answering both protocols as Odoo does, for tests and
//!   `crossdock demo`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> crossdock_odoo::Result<()> {
//! use crossdock_odoo::stand_in::{StandInConfig, StandInOdoo};
//! use crossdock_odoo::{AcceptedRule, OdooClient, OdooSettings, Protocol, Trigger, UpsertAction};
//! use rust_decimal::Decimal;
//!
//! // A stand-in Odoo 17 here; in production the URL of the real server.
//! let odoo = StandInOdoo::start(StandInConfig::odoo17()).await?;
//! std::env::set_var("DOC_ODOO_API_KEY", &odoo.config().api_key);
//! let settings = OdooSettings::new(odoo.url(), "crossdock", "planner", "DOC_ODOO_API_KEY");
//! let client = OdooClient::connect(settings).await?;
//! assert_eq!(client.protocol(), Protocol::JsonRpc);
//!
//! let rule = AcceptedRule {
//!     company_id: 1, warehouse_id: 1, location_id: 8, product_id: 42,
//!     product_min_qty: Decimal::new(12, 0), product_max_qty: Decimal::new(36, 0),
//!     qty_multiple: Decimal::new(6, 0), trigger: Trigger::Auto,
//!     orderpoint_id: None, external_id: None,
//! };
//! let first = client.upsert_orderpoint(&rule).await?;
//! let again = client.upsert_orderpoint(&rule).await?;
//! assert_eq!((first.action, again.action), (UpsertAction::Created, UpsertAction::Updated));
//! assert_eq!(first.id, again.id);
//!
//! // Without an API: the file for Odoo's Import dialog.
//! let csv = crossdock_odoo::orderpoint_import_csv(&[rule])?;
//! assert!(csv.ends_with("crossdock.orderpoint_c1_l8_p42,1,1,8,42,auto,12,36,6\n"));
//! # Ok(()) }
//! ```

pub mod client;
pub mod error;
pub mod import_file;
pub mod orderpoint;
pub mod protocol;
#[cfg(feature = "stand-in")]
pub mod stand_in;

pub use client::{
    Domain, OdooClient, OdooSettings, Record, RetryPolicy, SearchOptions, UniqueCreate, Values,
};
pub use error::{Call, OdooError, Result};
pub use import_file::{orderpoint_external_id, orderpoint_import_csv, ORDERPOINT_IMPORT_COLUMNS};
pub use orderpoint::{
    decimal_to_json, json_to_decimal, AcceptedRule, Orderpoint, Trigger, UpsertAction,
    UpsertOutcome, ORDERPOINT_MODEL,
};
pub use protocol::{Protocol, ServerVersion};
