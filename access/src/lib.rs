//! # crossdock-access — who may see and do what
//!
//! Access control for crossdock: users and their [`Role`]s and companies,
//! passwords (argon2id) and API tokens (only their SHA-256 is kept), the
//! append-only audit trail, and the field-visibility matrix that decides
//! which KPI fields each role may see.
//!
//! Where it sits: `api → access`. The HTTP server (`crossdock-api`)
//! authenticates every request through [`UserStore`], filters every KPI
//! answer through [`Visibility`], and restricts every query to the user's
//! companies ([`User::company_scope`], applied by the warehouse's
//! `KpiQuery::companies`). The command line (`crossdock user ...`, and
//! `crossdock demo`, which creates one user per role) uses this crate
//! directly. It knows nothing of HTTP or of the warehouse's tables.
//!
//! Storage: one SQLite file per warehouse, `<warehouse root>/_crossdock/access.sqlite3`
//! ([`UserStore::open_in`]); see [`store`] for its tables.
//!
//! ```no_run
//! # fn demo() -> crossdock_access::Result<()> {
//! use crossdock_access::{NewUser, Role, UserStore, Visibility};
//!
//! let store = UserStore::open_in(std::path::Path::new("./crossdock-data"))?;
//! store.add_user("cli:me", &NewUser {
//!     name: "ana".into(),
//!     roles: vec![Role::Planner],
//!     companies: vec![1],
//!     password: "a long passphrase".into(),
//! })?;
//! let ana = store.verify_password("ana", "a long passphrase")?.expect("right password");
//! assert!(!Visibility::of(&ana.roles).sees(crossdock_access::FieldClass::Margin));
//! # Ok(()) }
//! ```

pub mod error;
pub mod role;
pub mod store;
pub mod visibility;

pub use error::{AccessError, Result};
pub use role::Role;
pub use store::{
    audit_csv, constant_time_eq, generate_password, parse_companies, AuditEntry, IssuedToken,
    NewUser, Token, User, UserStore,
};
pub use visibility::{FieldClass, Visibility};
