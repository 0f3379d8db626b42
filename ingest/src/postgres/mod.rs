//! PostgreSQL: Odoo's own database as a change source, and as a target for
//! the simulator.
//!
//! ```text
//!            simulate --postgres                         ingest --postgres
//!  Simulator ───────────────► writer ─► PostgreSQL ─► source ──────────────► Transaction ─► (warehouse)
//!                             (one SQL txn per          │  snapshot: copy in the slot's exported snapshot
//!                              business operation)      │  stream:   pgoutput from the slot, decoded here
//!                                                       └─ verify: row counts and row hashes vs. the warehouse
//! ```
//!
//! - [`ddl`]: creates the tracked tables from crossdock's DDL (foreign keys
//!   made deferrable), sets replica identity;
//! - [`writer`]: applies a [`crossdock_change::Transaction`] as one SQL transaction;
//! - [`source`]: set-up checks, publication and slot, consistent snapshot,
//!   streaming with standby status and heartbeats;
//! - [`pgoutput`]: the logical replication messages, decoded;
//! - [`text`]: PostgreSQL's text format ↔ [`crossdock_change::Value`], exactly;
//! - [`verify`]: per-row hashes of PostgreSQL tables and of Arrow batches,
//!   and their comparison.
//!
//! The replication protocol (CopyBoth) is spoken by the `pgwire-replication`
//! crate: it authenticates, answers keepalives, sends standby status with the
//! position crossdock declares durable, and hands pgoutput messages over as
//! bytes. Ordinary sessions use `tokio-postgres`. Neither uses TLS: connect
//! over a Unix socket, localhost or a trusted network (`sslmode=require` is
//! refused with a clear message).

pub mod ddl;
pub mod pgoutput;
pub mod source;
pub mod text;
pub mod verify;
pub mod writer;

use std::fmt::Display;
use std::str::FromStr;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::NoTls;

use crate::error::{IngestError, PgErrorKind, Result};

pub use tokio_postgres::{Client, SimpleQueryMessage};

pub use source::{
    widen_from_database, PgSource, Plan, SlotInfo, Snapshot, SourceOptions, Stream, StreamStatus,
};
pub use verify::{TableDiff, TableDigest};
pub use writer::PgWriter;

/// A tokio-postgres error of an ordinary statement → ours, sorted by its
/// SQLSTATE code; a session that broke (closed socket, I/O) is
/// [`IngestError::StreamBroken`].
pub fn statement_error(context: impl Display, e: &tokio_postgres::Error) -> IngestError {
    let message = describe(e);
    match e.code().map(|c| PgErrorKind::of_sqlstate(c.code())) {
        Some(PgErrorKind::MissingRight) => IngestError::MissingRight {
            message: format!("{context}: {message}"),
        },
        Some(_) => IngestError::Postgres {
            context: context.to_string(),
            message,
            code: e.code().map(|c| c.code().to_string()),
        },
        None if is_io(e) => IngestError::StreamBroken {
            message: format!("{context}: {message}"),
        },
        None => IngestError::Postgres {
            context: context.to_string(),
            message,
            code: None,
        },
    }
}

/// A failure to open a session with `target`, sorted: credentials, a
/// missing database or right are final; an unreachable server, or one
/// starting up or shutting down, is [`IngestError::Connect`].
pub(crate) fn connect_error(
    target: &str,
    database: &str,
    e: &tokio_postgres::Error,
) -> IngestError {
    let message = describe(e);
    let target = target.to_string();
    match e.code().map(|c| PgErrorKind::of_sqlstate(c.code())) {
        Some(PgErrorKind::Authentication) => IngestError::Authentication { target, message },
        Some(PgErrorKind::MissingDatabase) => IngestError::MissingDatabase {
            target,
            database: database.to_string(),
            message,
        },
        Some(PgErrorKind::MissingRight) => IngestError::MissingRight {
            message: format!("connecting to {target}: {message}"),
        },
        Some(PgErrorKind::Transient) => IngestError::Connect { target, message },
        Some(_) => IngestError::Postgres {
            context: format!("connecting to {target}"),
            message,
            code: e.code().map(|c| c.code().to_string()),
        },
        None if is_io(e) => IngestError::Connect { target, message },
        // no server answer and no I/O failure: the settings (a password
        // the server asks for and the connection string lacks, say)
        None => IngestError::Config {
            message: format!("connecting to {target}: {message}"),
        },
    }
}

/// Whether a tokio-postgres error is the connection's (closed, I/O,
/// timed out), not the statement's.
fn is_io(e: &tokio_postgres::Error) -> bool {
    use std::error::Error as _;
    e.is_closed()
        || e.source()
            .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some())
}

/// A replication-protocol error → ours. `slot` is the slot concerned.
pub(crate) fn replication_error(
    context: impl Display,
    target: &str,
    slot: &str,
    e: &pgwire_replication::PgWireError,
) -> IngestError {
    use pgwire_replication::PgWireError as W;
    let message = format!("{context}: {e}");
    match e {
        W::Io(_) | W::Task(_) => IngestError::StreamBroken { message },
        W::Auth(m) => IngestError::Authentication {
            target: target.to_string(),
            message: m.clone(),
        },
        W::Server(m) => {
            // pgwire-replication writes the server's code as "(SQLSTATE xxxxx)"
            let code = m
                .rsplit_once("(SQLSTATE ")
                .and_then(|(_, rest)| rest.get(..5))
                .map(str::to_string);
            match code.as_deref().map(PgErrorKind::of_sqlstate) {
                Some(PgErrorKind::Authentication) => IngestError::Authentication {
                    target: target.to_string(),
                    message: m.clone(),
                },
                Some(PgErrorKind::MissingDatabase) => IngestError::MissingDatabase {
                    target: target.to_string(),
                    database: target.rsplit('/').next().unwrap_or_default().to_string(),
                    message: m.clone(),
                },
                Some(PgErrorKind::MissingRight) => IngestError::MissingRight { message },
                Some(PgErrorKind::InUse) => IngestError::SlotInUse {
                    slot: slot.to_string(),
                    message,
                },
                Some(PgErrorKind::SlotLost) => IngestError::SlotLost {
                    slot: slot.to_string(),
                    message,
                },
                Some(PgErrorKind::Transient) => IngestError::StreamBroken { message },
                _ => IngestError::Postgres {
                    context: context.to_string(),
                    message: m.clone(),
                    code,
                },
            }
        }
        W::Protocol(_) => IngestError::Decode { message },
        _ => IngestError::Postgres {
            context: context.to_string(),
            message: e.to_string(),
            code: None,
        },
    }
}

/// A tokio-postgres error with the server's message, detail and hint.
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!(" hint: {h}"));
            }
            s
        }
        None => {
            use std::error::Error as _;
            match e.source() {
                Some(src) => format!("{e}: {src}"),
                None => e.to_string(),
            }
        }
    }
}

/// `Result` of a tokio-postgres call → ours, with context.
pub(crate) trait PgContext<T> {
    fn ctx(self, context: impl Display) -> Result<T>;
}

impl<T> PgContext<T> for std::result::Result<T, tokio_postgres::Error> {
    fn ctx(self, context: impl Display) -> Result<T> {
        self.map_err(|e| statement_error(context, &e))
    }
}

/// A PostgreSQL connection string: a URL (`postgresql://user:pw@host:5432/db`,
/// `postgresql:///db?host=/var/run/postgresql`) or `key=value` pairs, as
/// libpq reads them.
#[derive(Clone)]
pub struct PgUrl {
    config: tokio_postgres::Config,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgUrl({})", self.display())
    }
}

impl PgUrl {
    /// Parses a connection string. The user defaults to `$USER` (as libpq's
    /// does), the port to 5432, the database to the user's name.
    pub fn parse(url: &str) -> Result<PgUrl> {
        let mut config =
            tokio_postgres::Config::from_str(url).map_err(|e| IngestError::Config {
                message: format!("PostgreSQL connection string: {e}"),
            })?;
        if config.get_user().is_none() {
            let user = std::env::var("USER").unwrap_or_else(|_| "postgres".into());
            config.user(&user);
        }
        if config.get_hosts().is_empty() {
            config.host("localhost");
        }
        if config.get_dbname().is_none() {
            let user = config.get_user().unwrap_or("postgres").to_string();
            config.dbname(&user);
        }
        if config.get_ssl_mode() == SslMode::Require {
            return Err(IngestError::Config {
                message: "sslmode=require: this build of crossdock connects without TLS; \
                          use a Unix socket, localhost or a trusted network"
                    .into(),
            });
        }
        config.ssl_mode(SslMode::Disable);
        config.application_name("crossdock");
        Ok(PgUrl { config })
    }

    /// The database name.
    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or("postgres")
    }

    /// The same server and user, another database.
    pub fn with_dbname(&self, dbname: &str) -> PgUrl {
        let mut config = self.config.clone();
        config.dbname(dbname);
        PgUrl { config }
    }

    /// host:port/db and user, without the password.
    pub fn display(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!(
            "{}@{host}:{port}/{}",
            self.config.get_user().unwrap_or(""),
            self.dbname()
        )
    }

    /// An ordinary session, with [`text::SESSION_SETTINGS`] applied. The
    /// connection runs on a spawned task (needs a Tokio runtime).
    pub async fn connect(&self) -> Result<Client> {
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| connect_error(&self.display(), self.dbname(), &e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "PostgreSQL connection ended");
            }
        });
        client
            .batch_execute(text::SESSION_SETTINGS)
            .await
            .ctx("session settings")?;
        Ok(client)
    }

    /// Settings of a replication session on the same server and database.
    pub fn replication_config(
        &self,
        slot: &str,
        publication: &str,
    ) -> pgwire_replication::ReplicationConfig {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let password = self
            .config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        let mut cfg = pgwire_replication::ReplicationConfig::new(
            host,
            self.config.get_user().unwrap_or("postgres"),
            password,
            self.dbname(),
            slot,
            publication,
        )
        .with_port(self.config.get_ports().first().copied().unwrap_or(5432))
        .with_tls(pgwire_replication::TlsConfig::disabled())
        .with_options(text::STARTUP_OPTIONS)
        .with_application_name("crossdock ingest");
        cfg.buffer_events = 16_384;
        cfg
    }
}

/// Checks a slot or publication name: lower-case letters, digits and `_`,
/// at most 63 characters (PostgreSQL's rule for slot names).
pub fn check_name(what: &str, name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 63
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(IngestError::Config {
            message: format!(
                "{what} name {name:?}: use lower-case letters, digits and _ (at most 63)"
            ),
        });
    }
    Ok(())
}

/// `0/16B3748` → the LSN as a number.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

/// An LSN as PostgreSQL writes it (`0/16B3748`).
pub fn format_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF)
}

/// Runs a query whose first row's first column is text (or NULL).
pub(crate) async fn query_text(client: &Client, sql: &str) -> Result<Option<String>> {
    for m in client.simple_query(sql).await.ctx(sql)? {
        if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
            return Ok(r.get(0).map(str::to_string));
        }
    }
    Ok(None)
}

/// Runs a query whose first row's first column is an integer: a missing or
/// unparsable answer is an error, never 0.
pub(crate) async fn query_i64(client: &Client, sql: &str) -> Result<i64> {
    let text = query_text(client, sql).await?;
    text.as_deref()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| IngestError::Decode {
            message: format!("{sql}: expected an integer, got {text:?}"),
        })
}

/// A column as PostgreSQL's catalog (`pg_attribute`) has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseColumn {
    /// The column's name.
    pub name: String,
    /// Its type's OID.
    pub type_oid: u32,
    /// Its type modifier (`numeric(12,3)`'s precision and scale, ...; -1: none).
    pub typmod: i32,
}

/// The live (not dropped) columns PostgreSQL has for each of `tables` in
/// the current schema, in column order. The one place that reads
/// `pg_attribute`.
pub async fn database_columns(
    client: &Client,
    tables: &[&str],
) -> Result<std::collections::HashMap<String, Vec<DatabaseColumn>>> {
    let names: Vec<String> = tables.iter().map(|t| text::quote(t)).collect();
    let rows = query_rows(
        client,
        &format!(
            "SELECT c.relname, a.attname, a.atttypid::int8::text, a.atttypmod::text \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             WHERE c.relkind IN ('r', 'p') AND c.relname IN ({}) \
               AND c.relnamespace = current_schema()::regnamespace \
               AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY c.relname, a.attnum",
            names.join(", ")
        ),
    )
    .await?;
    let mut out: std::collections::HashMap<String, Vec<DatabaseColumn>> = Default::default();
    for r in rows {
        let bad = || IngestError::Decode {
            message: format!("pg_attribute: unexpected row {r:?}"),
        };
        let [Some(table), Some(name), Some(oid), Some(typmod)] =
            <[Option<String>; 4]>::try_from(r.clone()).map_err(|_| bad())?
        else {
            return Err(bad());
        };
        let (Ok(type_oid), Ok(typmod)) = (oid.parse::<u32>(), typmod.parse::<i32>()) else {
            return Err(bad());
        };
        out.entry(table).or_default().push(DatabaseColumn {
            name,
            type_oid,
            typmod,
        });
    }
    Ok(out)
}

/// Rows of a simple query, every column as text (`None` for NULL).
pub(crate) async fn query_rows(client: &Client, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
    let mut out = Vec::new();
    for m in client.simple_query(sql).await.ctx(sql)? {
        if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
            out.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsns_and_names() {
        assert_eq!(parse_lsn("0/16B3748"), Some(0x16B3748));
        assert_eq!(parse_lsn("1/0"), Some(1 << 32));
        assert_eq!(format_lsn(0x1_0000_00FF), "1/FF");
        assert!(check_name("slot", "crossdock_1").is_ok());
        assert!(check_name("slot", "Cross").is_err());
        assert!(check_name("slot", "a;drop").is_err());
    }

    #[test]
    fn urls_default_and_hide_the_password() {
        let u = PgUrl::parse("postgresql://bob:secret@db.example:5433/odoo").unwrap();
        assert_eq!(u.display(), "bob@db.example:5433/odoo");
        assert_eq!(u.with_dbname("x").dbname(), "x");
        let r = u.replication_config("s", "p");
        assert_eq!((r.port, r.password.as_str()), (5433, "secret"));
        assert!(PgUrl::parse("postgresql://h/db?sslmode=require").is_err());
        assert!(PgUrl::parse("host=/var/run/postgresql dbname=odoo user=odoo").is_ok());
    }
}
