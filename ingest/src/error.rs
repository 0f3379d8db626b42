//! The error type of `crossdock-ingest`, typed by what a caller must do
//! about it.
//!
//! The CDC pipeline decides whether to reconnect by [`IngestError::is_transient`],
//! which looks at the variant only — never at a message's text. A wrong
//! password, a missing database or a role without the REPLICATION attribute
//! end the command at once with what to fix; a server that restarts or a
//! network that drops is reconnected with back-off.
//!
//! PostgreSQL errors are sorted by their SQLSTATE code ([`PgErrorKind::of_sqlstate`]);
//! errors without one (a refused TCP connection, a closed socket) by where
//! they happened.

use std::path::PathBuf;

use crossdock_change::ChangeError;
use crossdock_warehouse::WarehouseError;

/// Everything that can go wrong while producing change events or applying
/// them.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A change does not fit its table, or the catalog cannot be read.
    #[error(transparent)]
    Change(#[from] ChangeError),
    /// Applying changes to the warehouse failed (boxed: the error is large).
    #[error(transparent)]
    Warehouse(Box<WarehouseError>),
    /// A setting given to the source is not usable (connection string, slot
    /// or publication name, batch size).
    #[error("{message}")]
    Config {
        /// What is wrong and what would be accepted.
        message: String,
    },
    /// PostgreSQL could not be reached, or is starting up or shutting down.
    /// Worth reconnecting.
    #[error("connecting to {target}: {message}")]
    Connect {
        /// `user@host:port/database`.
        target: String,
        /// What the network or the server said.
        message: String,
    },
    /// PostgreSQL refused the credentials.
    #[error("connecting to {target}: authentication failed ({message}); check the user and password in the connection string (or PGPASSWORD) and pg_hba.conf")]
    Authentication {
        /// `user@host:port/database`.
        target: String,
        /// What the server said.
        message: String,
    },
    /// The database named in the connection string does not exist.
    #[error("connecting to {target}: database {database:?} does not exist ({message}); check the database name in the connection string")]
    MissingDatabase {
        /// `user@host:port/database`.
        target: String,
        /// The database asked for.
        database: String,
        /// What the server said.
        message: String,
    },
    /// The role lacks a right crossdock needs (REPLICATION, or a privilege
    /// on a table or function).
    #[error("{message}")]
    MissingRight {
        /// What is missing and the statement that grants it.
        message: String,
    },
    /// The database is not set up for logical replication of the tracked
    /// tables (wal_level, slots, replica identity, missing tables, a slot
    /// of another plugin): what to change.
    #[error("PostgreSQL set-up: {message}")]
    Setup {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The replication slot is held by another session (often one that just
    /// went away). Worth waiting for.
    #[error("replication slot {slot} is in use by another session: {message}")]
    SlotInUse {
        /// The slot.
        slot: String,
        /// What the server said.
        message: String,
    },
    /// The replication slot the warehouse was streaming from was dropped or
    /// invalidated (for example by `max_slot_wal_keep_size`): changes made
    /// since the warehouse's position may be gone from the WAL. Not retried;
    /// `crossdock ingest --resnapshot` copies the tables again.
    #[error("replication slot {slot} is gone or invalidated ({message}); the changes since the warehouse's position cannot be streamed any more: run `crossdock ingest --resnapshot` to copy the tables again (each table is truncated first, so nothing deleted in between survives)")]
    SlotLost {
        /// The slot.
        slot: String,
        /// What was found.
        message: String,
    },
    /// The replication stream or a session broke (server restart, network).
    /// Worth reconnecting.
    #[error("replication stream broken: {message}")]
    StreamBroken {
        /// What happened.
        message: String,
    },
    /// A statement failed for a reason that is not the connection's.
    #[error("PostgreSQL: {context}: {message}")]
    Postgres {
        /// What crossdock was doing (the statement or step).
        context: String,
        /// What the server said (message, detail, hint).
        message: String,
        /// The SQLSTATE code, when the server sent one.
        code: Option<String>,
    },
    /// The replication stream or a copied value could not be decoded.
    #[error("decoding PostgreSQL data: {message}")]
    Decode {
        /// What could not be decoded, with the table, column or LSN.
        message: String,
    },
    /// The warehouse's record of its source (`_crossdock/source.json`)
    /// cannot be read, is corrupt, or names another source.
    #[error("{path}: {message}")]
    SourceRecord {
        /// The record's path.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
}

impl From<WarehouseError> for IngestError {
    fn from(e: WarehouseError) -> Self {
        IngestError::Warehouse(Box::new(e))
    }
}

/// `Result` with [`IngestError`].
pub type Result<T, E = IngestError> = std::result::Result<T, E>;

impl IngestError {
    /// Whether reconnecting (with back-off) may help: the server could not
    /// be reached, a stream broke, a slot is still held by a session that
    /// went away, or the warehouse's storage is full for now. Everything
    /// else — credentials, a missing database or right, set-up, bad data —
    /// needs a person.
    pub fn is_transient(&self) -> bool {
        match self {
            IngestError::Connect { .. }
            | IngestError::StreamBroken { .. }
            | IngestError::SlotInUse { .. } => true,
            IngestError::Postgres { code, .. } => code
                .as_deref()
                .is_some_and(|c| PgErrorKind::of_sqlstate(c) == PgErrorKind::Transient),
            IngestError::Warehouse(e) => e.is_storage_full(),
            _ => false,
        }
    }
}

/// What a SQLSTATE code means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgErrorKind {
    /// Class 28: the credentials were refused.
    Authentication,
    /// 3D000: the database does not exist.
    MissingDatabase,
    /// 42501: a privilege or the REPLICATION attribute is missing.
    MissingRight,
    /// 55006: an object (the slot) is in use.
    InUse,
    /// 42704 / 55000: the replication slot does not exist or can no longer
    /// be used.
    SlotLost,
    /// Class 08 (connection), 57P01–57P03 (shutdown, crash, starting up),
    /// 53300 (too many connections): try again later.
    Transient,
    /// Anything else: a statement failed.
    Other,
}

impl PgErrorKind {
    /// Sorts a SQLSTATE code.
    pub fn of_sqlstate(code: &str) -> PgErrorKind {
        match code {
            c if c.starts_with("28") => PgErrorKind::Authentication,
            "3D000" => PgErrorKind::MissingDatabase,
            "42501" => PgErrorKind::MissingRight,
            "55006" => PgErrorKind::InUse,
            "42704" | "55000" => PgErrorKind::SlotLost,
            c if c.starts_with("08") => PgErrorKind::Transient,
            "57P01" | "57P02" | "57P03" | "53300" => PgErrorKind::Transient,
            _ => PgErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transience_is_decided_by_variant() {
        let connect = IngestError::Connect {
            target: "u@h:1/d".into(),
            message: "refused".into(),
        };
        assert!(connect.is_transient());
        let auth = IngestError::Authentication {
            target: "u@h:1/d".into(),
            message: "password authentication failed".into(),
        };
        assert!(!auth.is_transient());
        // the text "connecting to" in a message does not make it transient
        assert!(auth.to_string().contains("connecting to"));
        let db = IngestError::MissingDatabase {
            target: "u@h:1/d".into(),
            database: "d".into(),
            message: "x".into(),
        };
        assert!(!db.is_transient());
        let shutting_down = IngestError::Postgres {
            context: "SELECT 1".into(),
            message: "terminating connection due to administrator command".into(),
            code: Some("57P01".into()),
        };
        assert!(shutting_down.is_transient());
        let syntax = IngestError::Postgres {
            context: "SELECT".into(),
            message: "syntax error".into(),
            code: Some("42601".into()),
        };
        assert!(!syntax.is_transient());
        assert!(!IngestError::SlotLost {
            slot: "s".into(),
            message: "m".into()
        }
        .is_transient());
    }

    #[test]
    fn sqlstates_sort() {
        assert_eq!(
            PgErrorKind::of_sqlstate("28P01"),
            PgErrorKind::Authentication
        );
        assert_eq!(
            PgErrorKind::of_sqlstate("3D000"),
            PgErrorKind::MissingDatabase
        );
        assert_eq!(PgErrorKind::of_sqlstate("42501"), PgErrorKind::MissingRight);
        assert_eq!(PgErrorKind::of_sqlstate("08006"), PgErrorKind::Transient);
        assert_eq!(PgErrorKind::of_sqlstate("42P01"), PgErrorKind::Other);
    }
}
