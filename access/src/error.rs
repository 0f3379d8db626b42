//! [`AccessError`]: every way an access-control operation can fail.

use std::path::PathBuf;

/// Everything that can go wrong in this crate. Each variant carries what was
/// being done and on what, so the message alone tells the user what to fix.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The SQLite store failed (cannot open, read or write it).
    #[error("access store {path}: {doing}: {source}")]
    Store {
        /// The store's file.
        path: PathBuf,
        /// What was being done, e.g. `adding user "ana"`.
        doing: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The directory of the store could not be created.
    #[error("cannot create {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The store holds something this version cannot read (a hand edit, or
    /// a newer crossdock).
    #[error("access store {path}: {what}")]
    Corrupt {
        /// The store's file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// A user name that is not allowed.
    #[error("invalid user name {name:?}: {why}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// A role that does not exist.
    #[error(
        "unknown role {text:?}; the roles are executive, planner, service, procurement and admin"
    )]
    UnknownRole {
        /// What was given.
        text: String,
    },
    /// A user without any role.
    #[error(
        "user {name:?} needs at least one role (executive, planner, service, procurement, admin)"
    )]
    NoRoles {
        /// The user.
        name: String,
    },
    /// A non-admin user without any company: they would see nothing.
    #[error("user {name:?} needs at least one company id (res_company.id), unless an admin")]
    NoCompanies {
        /// The user.
        name: String,
    },
    /// A company id that is not a positive integer.
    #[error("invalid company id {text:?}: use res_company ids, positive integers such as 1")]
    InvalidCompany {
        /// What was given.
        text: String,
    },
    /// A password that is refused.
    #[error("password refused: {why}")]
    WeakPassword {
        /// Why.
        why: &'static str,
    },
    /// A user of that name already exists.
    #[error("user {name:?} already exists")]
    UserExists {
        /// The name.
        name: String,
    },
    /// No user of that name.
    #[error("no user {name:?}; `crossdock user list` shows the users")]
    NoSuchUser {
        /// The name.
        name: String,
    },
    /// The user is already disabled.
    #[error("user {name:?} is already disabled")]
    AlreadyDisabled {
        /// The name.
        name: String,
    },
    /// The user is not disabled.
    #[error("user {name:?} is not disabled")]
    AlreadyEnabled {
        /// The name.
        name: String,
    },
    /// The change would leave no enabled admin.
    #[error("user {name:?} is the last enabled admin and keeps the admin role; make another admin first")]
    LastAdmin {
        /// The name.
        name: String,
    },
    /// A user tried to disable themselves (an admin locking the last door).
    #[error("user {name:?} cannot disable themselves; ask another admin, or use `crossdock user disable`")]
    SelfDisable {
        /// The name.
        name: String,
    },
    /// No token with that id.
    #[error("no token {id:?}")]
    NoSuchToken {
        /// The token id.
        id: String,
    },
    /// The token is already revoked.
    #[error("token {id:?} is already revoked")]
    AlreadyRevoked {
        /// The token id.
        id: String,
    },
    /// A token lifetime outside what is allowed.
    #[error("invalid token lifetime: {why}")]
    InvalidExpiry {
        /// Why.
        why: String,
    },
    /// A text field (token label, ...) that is too long or has control characters.
    #[error("invalid {field}: {why}")]
    InvalidText {
        /// The field.
        field: &'static str,
        /// Why.
        why: &'static str,
    },
    /// Hashing a password failed (argon2).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// `Result` with [`AccessError`].
pub type Result<T, E = AccessError> = std::result::Result<T, E>;

impl AccessError {
    /// True when the caller asked for something wrong (a bad name, an
    /// unknown user, ...), false for failures of the store itself.
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            AccessError::Store { .. }
                | AccessError::Io { .. }
                | AccessError::Corrupt { .. }
                | AccessError::Hash(_)
        )
    }
}
