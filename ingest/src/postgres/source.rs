//! The PostgreSQL change source: set-up checks, publication and slot, a
//! consistent initial snapshot, then the pgoutput stream.
//!
//! ## Positions, and why nothing is lost or doubled
//!
//! Every [`Transaction`] the source emits has a strictly increasing
//! [`Position`]:
//!
//! - a streamed transaction's position is the **end LSN of its commit
//!   record** (the Commit message's `end_lsn`). That is the LSN a consumer
//!   confirms: on `START_REPLICATION`, PostgreSQL skips transactions whose
//!   commit record starts before the slot's confirmed position, so
//!   confirming an end LSN replays nothing that was applied and skips
//!   nothing that was not. It is also strictly greater than the slot's
//!   consistent point for every transaction the slot decodes;
//! - the snapshot's chunks get the positions just below the slot's
//!   **consistent point** `C`, and the last snapshot transaction (empty) has
//!   position `C` itself. Every row of the snapshot is "as of `C`", and every
//!   streamed transaction comes after it.
//!
//! The warehouse records the position in the same Delta commit as the data
//! and skips positions it already holds, so a restart anywhere resumes
//! exactly: if the warehouse holds `C` or more, streaming resumes from the
//! warehouse's position; otherwise the snapshot did not complete, and it is
//! taken again from a new slot (the exported snapshot dies with the session
//! that created the slot), starting each table with a `TRUNCATE` so rows
//! deleted meanwhile do not survive. Re-snapshots need their chunk positions
//! above what the warehouse holds and at most the new `C`: LSNs only grow,
//! and when the distance is small the source writes a 1 MB logical message
//! first (`pg_logical_emit_message`) to make room, or copies in larger
//! chunks.
//!
//! Whether a snapshot completed is decided by [`plan`] from the consistent
//! point the caller recorded when the slot was created (the CLI keeps it in
//! `_crossdock/source.json`), the warehouse's resume position and the slot.
//!
//! ## Standby status
//!
//! The slot is confirmed (`flush`) only up to the position the caller
//! passes to [`Stream::confirm`] after the warehouse committed it — never
//! further. When every transaction handed out is confirmed and none is
//! open, a keepalive's or heartbeat message's LSN may be confirmed too (what
//! PostgreSQL's own subscriber does), so the slot advances while only
//! untracked tables are written: the stream offers it as
//! [`StreamStatus::idle`], and the caller records it (in the source record)
//! *before* confirming it. So the slot is never confirmed past what the
//! warehouse recorded, and a slot that is — one dropped and created again
//! under the same name, which skipped changes — is recognised ([`plan`]). Keepalives
//! asking for a reply are answered by the replication crate at once. When
//! the tracked tables have been quiet for `heartbeat_interval`, the source
//! writes an empty non-transactional logical message so the server has
//! something to report even when nothing else moves.
//!
//! ## Unchanged TOAST values
//!
//! An update that leaves a large, out-of-line (TOASTed) value unchanged does
//! not carry it: pgoutput marks it `u`. The source then takes the value:
//!
//! 1. from the old row, when the table has `REPLICA IDENTITY FULL` (exact);
//! 2. otherwise from PostgreSQL's current row. That is the value the update
//!    left in place unless a later transaction changed it; a later change of
//!    a TOASTed value carries the new value, so the current state converges
//!    to the source in every case, but in between (and in the change log)
//!    the row may show the later value early. Tables that need exact history
//!    of large values should use `REPLICA IDENTITY FULL`; set-up lists the
//!    tables with `DEFAULT` identity that have text, jsonb or bytea columns.
//!
//! ## Columns added or dropped in PostgreSQL
//!
//! Relation messages are matched to the catalog by column name. A column
//! PostgreSQL has and the catalog does not — added to an Odoo table by a
//! module upgrade, say — is appended to the table's definition (its type
//! from the Relation message's type OID and modifier,
//! [`PgType::from_oid`]); the changes carry the wider definition and the
//! warehouse adds the column to both Delta tables before writing them
//! (schema evolution). At set-up the definitions are widened the same way
//! from PostgreSQL's catalog ([`widen_from_database`]), so the snapshot and
//! a restarted ingest copy the column too. Columns of a type crossdock does
//! not carry are ignored with a warning. A catalog column PostgreSQL no
//! longer has (dropped) is NULL from then on.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pgwire_replication::{Lsn, ReplicationClient, ReplicationEvent};
use tokio::sync::{mpsc, watch};
use tokio_postgres::Client;
use tracing::{debug, info, warn};

use super::pgoutput::{self, Column, Message, Relation, PG_EPOCH_MICROS};
use super::text::{self, ident, quote};
use super::{
    check_name, format_lsn, parse_lsn, query_i64, query_rows, query_text, replication_error,
    PgContext, PgUrl,
};
use crate::error::{IngestError, Result};
use crossdock_change::catalog::{ColumnDef, PgType, TableDef};
use crossdock_change::event::{Change, Op, Position, Transaction, Value};

/// How the source works.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// Logical replication slot (created when missing).
    pub slot: String,
    /// Publication (created when missing).
    pub publication: String,
    /// The tracked tables.
    pub tables: Vec<Arc<TableDef>>,
    /// Rows per snapshot chunk (one transaction each).
    pub snapshot_chunk_rows: usize,
    /// How often standby status is sent at most.
    pub status_interval: Duration,
    /// Quiet time on the tracked tables after which a heartbeat is written.
    pub heartbeat_interval: Duration,
    /// How long to wait for a slot still held by a session that went away.
    pub slot_wait: Duration,
}

impl SourceOptions {
    /// Defaults: slot and publication `crossdock`, 10,000-row chunks,
    /// status every second, heartbeat after 10 s of quiet.
    pub fn new(tables: Vec<Arc<TableDef>>) -> SourceOptions {
        SourceOptions {
            slot: "crossdock".into(),
            publication: "crossdock".into(),
            tables,
            snapshot_chunk_rows: 10_000,
            status_interval: Duration::from_secs(1),
            heartbeat_interval: Duration::from_secs(10),
            slot_wait: Duration::from_secs(60),
        }
    }
}

/// A replication slot as `pg_replication_slots` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotInfo {
    /// Output plugin (crossdock needs `pgoutput`).
    pub plugin: String,
    /// Database of the slot.
    pub database: String,
    /// Held by a session right now.
    pub active: bool,
    /// Confirmed position.
    pub confirmed_flush: u64,
    /// Oldest WAL the slot keeps.
    pub restart_lsn: u64,
    /// PostgreSQL removed WAL the slot still needed (`wal_status = 'lost'`,
    /// after `max_slot_wal_keep_size`): it cannot stream any more.
    pub invalidated: bool,
}

/// What to do on start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The warehouse holds a complete snapshot from this slot: stream from
    /// its position.
    Stream {
        /// The warehouse's resume position.
        from: Position,
    },
    /// Take a (new) consistent snapshot.
    Snapshot {
        /// Why, for people.
        reason: String,
    },
    /// The warehouse holds a complete snapshot, but the slot it streamed
    /// from is gone or invalidated: changes since the warehouse's position
    /// may be lost. Nothing is done without the operator's word
    /// (`--resnapshot`).
    SlotLost {
        /// What was found, for people.
        reason: String,
    },
}

/// Decides between streaming and a (new) snapshot. `consistent_point` is
/// the one recorded when the current slot was created (`None`: none
/// recorded, or a snapshot was being set up). `resnapshot`: the operator
/// asked for a new snapshot whatever the state (each table is truncated
/// first when the warehouse holds anything).
pub fn plan(
    resume: Position,
    consistent_point: Option<Position>,
    confirmed_up_to: Position,
    slot: Option<&SlotInfo>,
    resnapshot: bool,
) -> Plan {
    if resnapshot {
        return Plan::Snapshot {
            reason: "--resnapshot: a new snapshot replaces the warehouse's tables".into(),
        };
    }
    let complete = consistent_point.is_some_and(|c| resume >= c);
    match (slot, consistent_point) {
        (None, _) if resume == 0 => Plan::Snapshot {
            reason: "first run: initial snapshot".into(),
        },
        (None, _) if complete => Plan::SlotLost {
            reason: "the replication slot does not exist any more (dropped?)".into(),
        },
        (Some(s), _) if s.invalidated && complete => Plan::SlotLost {
            reason: "PostgreSQL invalidated the slot (wal_status 'lost': WAL it needed was \
                     removed, see max_slot_wal_keep_size)"
                .into(),
        },
        (None, _) => Plan::Snapshot {
            reason: "the replication slot is gone before the snapshot completed: a new snapshot \
                     replaces the warehouse's tables"
                .into(),
        },
        (Some(s), _) if s.invalidated => Plan::Snapshot {
            reason: "the slot was invalidated before the snapshot completed: it is taken again"
                .into(),
        },
        // crossdock never lets its slot be confirmed past what it recorded
        // (the warehouse's position, or an idle LSN in the source record):
        // a slot further ahead is another one of the same name (dropped
        // and created again), which skipped changes the warehouse lacks
        (Some(s), Some(_)) if complete && s.confirmed_flush > resume.max(confirmed_up_to) => {
            Plan::SlotLost {
                reason: format!(
                    "the slot is confirmed up to {}, past everything this warehouse recorded \
                     ({}): it is not the slot the warehouse streamed from (dropped and created \
                     again?), and changes in between may be missing",
                    format_lsn(s.confirmed_flush),
                    format_lsn(resume.max(confirmed_up_to))
                ),
            }
        }
        (Some(_), None) => Plan::Snapshot {
            reason: "the slot exists but no completed snapshot from it is recorded".into(),
        },
        (Some(_), Some(c)) if resume >= c => Plan::Stream { from: resume },
        (Some(_), Some(c)) => Plan::Snapshot {
            reason: format!(
                "the initial snapshot (up to {}) did not complete: it is taken again",
                format_lsn(c)
            ),
        },
    }
}

/// What the set-up checks found.
#[derive(Debug, Clone)]
pub struct Preflight {
    /// `pg_control_system().system_identifier`: which cluster this is.
    pub system_identifier: String,
    /// The database.
    pub database: String,
    /// `server_version`.
    pub server_version: String,
    /// Things that work but deserve attention.
    pub warnings: Vec<String>,
}

/// A PostgreSQL database as a change source.
pub struct PgSource {
    url: PgUrl,
    opts: SourceOptions,
    client: Arc<Client>,
    preflight: Preflight,
}

fn setup_error(message: String) -> IngestError {
    IngestError::Setup { message }
}

impl PgSource {
    /// Connects and checks everything the source needs, saying exactly what
    /// to change when something is wrong: `wal_level`, slots and senders,
    /// the role's REPLICATION attribute, the tables and their replica identity.
    pub async fn connect(url: &PgUrl, mut opts: SourceOptions) -> Result<PgSource> {
        check_name("slot", &opts.slot)?;
        check_name("publication", &opts.publication)?;
        if opts.tables.is_empty() {
            return Err(setup_error("no table to track".into()));
        }
        let client = url.connect().await?;
        let show = |name: &'static str| {
            let c = &client;
            async move { query_text(c, &format!("SHOW {name}")).await }
        };
        let wal_level = show("wal_level").await?.unwrap_or_default();
        if wal_level != "logical" {
            return Err(setup_error(format!(
                "wal_level is '{wal_level}', logical replication needs 'logical': run \
                 ALTER SYSTEM SET wal_level = logical; as a superuser, then restart PostgreSQL \
                 (on Debian: pg_ctlcluster <version> main restart; .ci/pg-setup does both)"
            )));
        }
        for setting in ["max_replication_slots", "max_wal_senders"] {
            let v = query_i64(&client, &format!("SHOW {setting}")).await?;
            if v < 1 {
                return Err(setup_error(format!(
                    "{setting} is {v}: run ALTER SYSTEM SET {setting} = 10; then restart PostgreSQL"
                )));
            }
        }
        let can_replicate = query_text(
            &client,
            "SELECT (rolreplication OR rolsuper)::text FROM pg_roles WHERE rolname = current_user",
        )
        .await?;
        if can_replicate.as_deref() != Some("true") {
            let user = query_text(&client, "SELECT current_user")
                .await?
                .unwrap_or_default();
            return Err(IngestError::MissingRight {
                message: format!(
                    "role {user} may not replicate (it lacks the REPLICATION attribute): run \
                     ALTER ROLE {} REPLICATION; as a superuser",
                    ident(&user)
                ),
            });
        }
        let names: Vec<String> = opts.tables.iter().map(|t| quote(&t.name)).collect();
        let rows = query_rows(
            &client,
            &format!(
                "SELECT c.relname, c.relreplident::text, \
                        EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)::text \
                 FROM pg_class c WHERE c.relkind IN ('r', 'p') AND c.relname IN ({}) \
                   AND c.relnamespace = current_schema()::regnamespace",
                names.join(", ")
            ),
        )
        .await?;
        let found: HashMap<String, (String, bool)> = rows
            .into_iter()
            .map(|r| {
                (
                    r[0].clone().unwrap_or_default(),
                    (
                        r[1].clone().unwrap_or_default(),
                        r[2].as_deref() == Some("true"),
                    ),
                )
            })
            .collect();
        let missing: Vec<&str> = opts
            .tables
            .iter()
            .map(|t| t.name.as_str())
            .filter(|t| !found.contains_key(*t))
            .collect();
        if !missing.is_empty() {
            return Err(setup_error(format!(
                "the database has no table {} (in its current schema): track fewer tables \
                 with --tables, or create them (crossdock simulate --postgres creates Odoo's)",
                missing.join(", ")
            )));
        }
        opts.tables = widen_from_database(&client, &opts.tables).await?;
        let mut warnings = Vec::new();
        let mut fixes = Vec::new();
        let mut default_with_toast = Vec::new();
        for t in &opts.tables {
            let (identity, has_pk) = &found[&t.name];
            match identity.as_str() {
                "n" => fixes.push(format!(
                    "ALTER TABLE {} REPLICA IDENTITY DEFAULT;",
                    ident(&t.name)
                )),
                "d" if !has_pk => fixes.push(format!(
                    "ALTER TABLE {} REPLICA IDENTITY FULL; (it has no primary key)",
                    ident(&t.name)
                )),
                "d" if t
                    .columns
                    .iter()
                    .any(|c| matches!(c.pg_type, PgType::Text | PgType::Jsonb | PgType::Bytea)) =>
                {
                    default_with_toast.push(t.name.clone());
                }
                _ => {}
            }
        }
        if !fixes.is_empty() {
            return Err(setup_error(format!(
                "replica identity: updates and deletes of these tables cannot be replicated; run {}",
                fixes.join(" ")
            )));
        }
        if !default_with_toast.is_empty() {
            warnings.push(format!(
                "{} tables use REPLICA IDENTITY DEFAULT and have text/jsonb/bytea columns: an update \
                 that leaves a large (TOASTed) value unchanged takes it from the current row, which \
                 is exact unless a later transaction already changed it; for exact history run \
                 ALTER TABLE <table> REPLICA IDENTITY FULL (more WAL per update)",
                default_with_toast.len()
            ));
        }
        let preflight = Preflight {
            system_identifier: query_text(
                &client,
                "SELECT system_identifier::text FROM pg_control_system()",
            )
            .await?
            .unwrap_or_default(),
            database: query_text(&client, "SELECT current_database()")
                .await?
                .unwrap_or_default(),
            server_version: show("server_version").await?.unwrap_or_default(),
            warnings,
        };
        Ok(PgSource {
            url: url.clone(),
            opts,
            client: Arc::new(client),
            preflight,
        })
    }

    /// What the set-up checks found.
    pub fn preflight(&self) -> &Preflight {
        &self.preflight
    }

    /// The options.
    pub fn options(&self) -> &SourceOptions {
        &self.opts
    }

    /// The slot, if it exists.
    pub async fn slot(&self) -> Result<Option<SlotInfo>> {
        let rows = query_rows(
            &self.client,
            &format!(
                "SELECT plugin, database, active::text, confirmed_flush_lsn::text, restart_lsn::text, \
                        (wal_status = 'lost')::text \
                 FROM pg_replication_slots WHERE slot_name = {}",
                quote(&self.opts.slot)
            ),
        )
        .await?;
        Ok(rows.into_iter().next().map(|r| SlotInfo {
            plugin: r[0].clone().unwrap_or_default(),
            database: r[1].clone().unwrap_or_default(),
            active: r[2].as_deref() == Some("true"),
            confirmed_flush: r[3].as_deref().and_then(parse_lsn).unwrap_or(0),
            restart_lsn: r[4].as_deref().and_then(parse_lsn).unwrap_or(0),
            invalidated: r[5].as_deref() == Some("true"),
        }))
    }

    /// Waits (up to `slot_wait`) until no session holds the slot: after a
    /// crash the server needs a moment to notice the old session is gone.
    async fn wait_slot_free(&self) -> Result<Option<SlotInfo>> {
        let started = Instant::now();
        loop {
            let slot = self.slot().await?;
            match &slot {
                Some(s) if s.active => {
                    if started.elapsed() > self.opts.slot_wait {
                        return Err(IngestError::SlotInUse {
                            slot: self.opts.slot.clone(),
                            message:
                                "another crossdock ingest? see pg_replication_slots.active_pid"
                                    .into(),
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                _ => return Ok(slot),
            }
        }
    }

    /// Creates the publication when missing, checks what it publishes; adds
    /// missing tables only when `may_add` (before a snapshot).
    async fn ensure_publication(&self, may_add: bool) -> Result<()> {
        let p = &self.opts.publication;
        let pub_row = query_rows(
            &self.client,
            &format!(
                "SELECT puballtables::text, (pubinsert AND pubupdate AND pubdelete AND pubtruncate)::text \
                 FROM pg_publication WHERE pubname = {}",
                quote(p)
            ),
        )
        .await?;
        let tables: Vec<String> = self.opts.tables.iter().map(|t| ident(&t.name)).collect();
        let Some(row) = pub_row.into_iter().next() else {
            let sql = format!(
                "CREATE PUBLICATION {} FOR TABLE {}",
                ident(p),
                tables.join(", ")
            );
            self.client.batch_execute(&sql).await.ctx(&sql)?;
            info!(publication = %p, tables = tables.len(), "created the publication");
            return Ok(());
        };
        if row[1].as_deref() != Some("true") {
            return Err(setup_error(format!(
                "publication {p} does not publish every operation: run ALTER PUBLICATION {} \
                 SET (publish = 'insert, update, delete, truncate');",
                ident(p)
            )));
        }
        if row[0].as_deref() == Some("true") {
            return Ok(());
        }
        let published: HashSet<String> = query_rows(
            &self.client,
            &format!(
                "SELECT tablename FROM pg_publication_tables WHERE pubname = {} \
                   AND schemaname = current_schema()",
                quote(p)
            ),
        )
        .await?
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
        let missing: Vec<String> = self
            .opts
            .tables
            .iter()
            .filter(|t| !published.contains(&t.name))
            .map(|t| ident(&t.name))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "ALTER PUBLICATION {} ADD TABLE {}",
            ident(p),
            missing.join(", ")
        );
        if may_add {
            self.client.batch_execute(&sql).await.ctx(&sql)?;
            info!(publication = %p, added = %missing.join(", "), "added tables to the publication");
            Ok(())
        } else {
            Err(setup_error(format!(
                "publication {p} lacks {}: run {sql}; their existing rows are copied only by a new \
                 snapshot: then drop the slot (SELECT pg_drop_replication_slot('{}');) and run \
                 ingest again",
                missing.join(", "),
                self.opts.slot
            )))
        }
    }

    /// Creates a new slot (dropping an old one of the same name) and opens
    /// its exported snapshot. `resume` is what the warehouse already holds:
    /// the snapshot's positions are all above it, and when it is not 0 each
    /// table starts with a truncate.
    pub async fn snapshot(&self, resume: Position) -> Result<Snapshot> {
        self.ensure_publication(true).await?;
        if let Some(slot) = self.wait_slot_free().await? {
            info!(slot = %self.opts.slot, "dropping the old slot: a new snapshot needs a new one");
            let _ = slot;
            let sql = format!(
                "SELECT pg_drop_replication_slot({})",
                quote(&self.opts.slot)
            );
            self.client.batch_execute(&sql).await.ctx(&sql)?;
        }
        const GAP: u64 = 1 << 20;
        if resume > 0 {
            let current = query_text(&self.client, "SELECT pg_current_wal_lsn()::text")
                .await?
                .as_deref()
                .and_then(parse_lsn)
                .unwrap_or(0);
            if current < resume + GAP {
                let n = resume + GAP - current.min(resume + GAP);
                let sql = format!(
                    "SELECT pg_logical_emit_message(false, 'crossdock.gap', repeat(' ', {}))",
                    n.min(GAP)
                );
                if let Err(e) = self.client.batch_execute(&sql).await {
                    debug!(error = %e, "could not write the gap message; chunks will be larger");
                }
            }
        }
        let cfg = self
            .url
            .replication_config(&self.opts.slot, &self.opts.publication)
            .with_status_interval(self.opts.status_interval);
        let mut repl = ReplicationClient::connect_gated(cfg).await.map_err(|e| {
            replication_error(
                "opening a replication session",
                &self.url.display(),
                &self.opts.slot,
                &e,
            )
        })?;
        let rows = repl
            .simple_query(&format!(
                "CREATE_REPLICATION_SLOT {} LOGICAL pgoutput EXPORT_SNAPSHOT",
                self.opts.slot
            ))
            .await
            .map_err(|e| {
                replication_error(
                    format!("creating replication slot {}", self.opts.slot),
                    &self.url.display(),
                    &self.opts.slot,
                    &e,
                )
            })?;
        let row = rows
            .into_iter()
            .next()
            .ok_or_else(|| setup_error("CREATE_REPLICATION_SLOT returned no row".into()))?;
        let col = |i: usize| {
            row.get(i)
                .cloned()
                .flatten()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        let consistent_point = parse_lsn(&col(1)).ok_or_else(|| {
            setup_error(format!(
                "CREATE_REPLICATION_SLOT: bad consistent point {:?}",
                col(1)
            ))
        })?;
        let snapshot_name = col(2);
        info!(slot = %self.opts.slot, consistent_point = %format_lsn(consistent_point), "created the replication slot");
        let copier = self.url.connect().await?;
        copier
            .batch_execute(&format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {}",
                quote(&snapshot_name)
            ))
            .await
            .ctx("opening the slot's exported snapshot")?;
        let commit_ts = query_i64(
            &copier,
            "SELECT (extract(epoch FROM now()) * 1000000)::int8::text",
        )
        .await?;
        let mut tables = Vec::with_capacity(self.opts.tables.len());
        for def in &self.opts.tables {
            let present: HashSet<String> = query_rows(
                &copier,
                &format!(
                    "SELECT attname FROM pg_attribute WHERE attrelid = {}::regclass \
                       AND attnum > 0 AND NOT attisdropped",
                    quote(&ident(&def.name))
                ),
            )
            .await?
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
            let select: Vec<String> = def
                .columns
                .iter()
                .map(|c| {
                    if present.contains(&c.name) {
                        ident(&c.name)
                    } else {
                        warn!(table = %def.name, column = %c.name, "column missing in PostgreSQL: copied as NULL");
                        "NULL".to_string()
                    }
                })
                .collect();
            let rows = query_i64(
                &copier,
                &format!("SELECT count(*) FROM {}", ident(&def.name)),
            )
            .await?
            .max(0) as u64;
            tables.push(SnapshotTable {
                def: def.clone(),
                select: select.join(", "),
                rows,
                copied: 0,
                last_key: None,
                truncated: false,
            });
        }
        // positions: chunks right below the consistent point, the marker at it
        let truncate_first = resume > 0;
        let mut chunk = self.opts.snapshot_chunk_rows.max(1) as u64;
        let room = consistent_point.saturating_sub(resume).saturating_sub(1);
        let chunks = |chunk: u64| -> u64 {
            tables
                .iter()
                .map(|t| t.rows.div_ceil(chunk).max(truncate_first as u64))
                .sum()
        };
        while chunks(chunk) > room {
            if chunk > u64::MAX / 4 || room == 0 {
                return Err(setup_error(format!(
                    "no room for the snapshot's positions between {} and {}",
                    format_lsn(resume),
                    format_lsn(consistent_point)
                )));
            }
            chunk *= 2;
        }
        let k = chunks(chunk);
        Ok(Snapshot {
            repl,
            url_display: self.url.display(),
            copier,
            opts: self.opts.clone(),
            lookup: self.client.clone(),
            consistent_point,
            next_position: consistent_point - k,
            chunk_rows: chunk as usize,
            truncate_first,
            tables,
            current: 0,
            commit_ts,
            marker_sent: false,
        })
    }

    /// Streams from the slot, starting after `from` (the warehouse's
    /// position).
    pub async fn stream(&self, from: Position) -> Result<Stream> {
        self.ensure_publication(false).await?;
        let slot = self
            .wait_slot_free()
            .await?
            .ok_or_else(|| IngestError::SlotLost {
                slot: self.opts.slot.clone(),
                message: "the slot does not exist (dropped?)".into(),
            })?;
        if slot.plugin != "pgoutput" {
            return Err(setup_error(format!(
                "replication slot {} uses plugin {}, crossdock needs pgoutput: drop it or use --slot",
                self.opts.slot, slot.plugin
            )));
        }
        let cfg = self
            .url
            .replication_config(&self.opts.slot, &self.opts.publication)
            .with_status_interval(self.opts.status_interval)
            .with_start_lsn(Lsn::from_u64(from))
            .with_ack_lsn(Lsn::from_u64(from));
        let mut repl = ReplicationClient::connect(cfg).await.map_err(|e| {
            replication_error(
                "starting replication",
                &self.url.display(),
                &self.opts.slot,
                &e,
            )
        })?;
        repl.wait_started().await.map_err(|e| {
            replication_error(
                format!("starting replication from slot {}", self.opts.slot),
                &self.url.display(),
                &self.opts.slot,
                &e,
            )
        })?;
        info!(slot = %self.opts.slot, from = %format_lsn(from), "streaming");
        Ok(Stream::spawn(
            repl,
            &self.opts,
            self.url.display(),
            self.client.clone(),
            from,
            from,
        ))
    }
}

struct SnapshotTable {
    def: Arc<TableDef>,
    select: String,
    rows: u64,
    copied: u64,
    last_key: Option<Vec<Option<String>>>,
    truncated: bool,
}

/// A consistent snapshot being copied: every tracked table as of the slot's
/// consistent point, in chunks of rows ordered by primary key.
pub struct Snapshot {
    repl: ReplicationClient,
    url_display: String,
    copier: Client,
    opts: SourceOptions,
    lookup: Arc<Client>,
    consistent_point: Position,
    next_position: Position,
    chunk_rows: usize,
    truncate_first: bool,
    tables: Vec<SnapshotTable>,
    current: usize,
    commit_ts: i64,
    marker_sent: bool,
}

impl Snapshot {
    /// The slot's consistent point: the position of the snapshot's last
    /// transaction. Record it before applying anything (see [`plan`]).
    pub fn consistent_point(&self) -> Position {
        self.consistent_point
    }

    /// Rows to copy, in total.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Rows copied so far.
    pub fn copied_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.copied).sum()
    }

    /// Rows per table, in copy order.
    pub fn table_rows(&self) -> Vec<(String, u64)> {
        self.tables
            .iter()
            .map(|t| (t.def.name.clone(), t.rows))
            .collect()
    }

    /// The next chunk as an insert transaction (preceded by a truncate of
    /// the table when the warehouse already held something); then one empty
    /// transaction at the consistent point; then `None`.
    pub async fn next(&mut self) -> Result<Option<Transaction>> {
        loop {
            if self.current >= self.tables.len() {
                if self.marker_sent {
                    return Ok(None);
                }
                self.marker_sent = true;
                return Ok(Some(Transaction {
                    xid: 0,
                    position: self.consistent_point,
                    commit_ts: self.commit_ts,
                    changes: Vec::new(),
                }));
            }
            let t = &mut self.tables[self.current];
            let mut changes = Vec::new();
            if self.truncate_first && !t.truncated {
                t.truncated = true;
                changes.push(Change {
                    table: t.def.clone(),
                    op: Op::Truncate,
                    row: Vec::new(),
                });
            }
            if t.copied < t.rows {
                let keys: Vec<String> =
                    t.def.primary_key_names().iter().map(|k| ident(k)).collect();
                let filter = match &t.last_key {
                    None => String::new(),
                    Some(k) => format!(
                        " WHERE ({}) > ({})",
                        keys.join(", "),
                        k.iter()
                            .map(|v| v.as_deref().map(quote).unwrap_or_else(|| "NULL".into()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                let sql = format!(
                    "SELECT {} FROM {}{filter} ORDER BY {} LIMIT {}",
                    t.select,
                    ident(&t.def.name),
                    keys.join(", "),
                    self.chunk_rows
                );
                let rows = query_rows(&self.copier, &sql).await?;
                if rows.is_empty() {
                    t.copied = t.rows; // counted rows are all there in a snapshot; defensive
                }
                for r in &rows {
                    let mut row = Vec::with_capacity(t.def.columns.len());
                    for (ci, c) in t.def.columns.iter().enumerate() {
                        row.push(match &r[ci] {
                            None => Value::Null,
                            Some(s) => text::decode(c.pg_type, s).map_err(|reason| {
                                crossdock_change::ChangeError::ValueOutOfRange {
                                    table: t.def.name.clone(),
                                    column: c.name.clone(),
                                    position: self.next_position,
                                    value: s.chars().take(80).collect(),
                                    reason,
                                }
                            })?,
                        });
                    }
                    changes.push(Change {
                        table: t.def.clone(),
                        op: Op::Insert,
                        row,
                    });
                }
                t.copied += rows.len() as u64;
                if let Some(last) = rows.last() {
                    t.last_key = Some(t.def.primary_key.iter().map(|k| last[*k].clone()).collect());
                }
            }
            if t.copied >= t.rows {
                self.current += 1;
            }
            if changes.is_empty() {
                continue;
            }
            if self.next_position >= self.consistent_point {
                return Err(setup_error(
                    "snapshot: more chunks than planned (rows changed inside a snapshot?)".into(),
                ));
            }
            let position = self.next_position;
            self.next_position += 1;
            return Ok(Some(Transaction {
                xid: 0,
                position,
                commit_ts: self.commit_ts,
                changes,
            }));
        }
    }

    /// Ends the copy and starts streaming after the consistent point. The
    /// slot stays confirmed where it was created until the caller
    /// [`Stream::confirm`]s the consistent point, once the snapshot is
    /// durable.
    pub async fn into_stream(mut self) -> Result<Stream> {
        self.copier
            .batch_execute("COMMIT")
            .await
            .ctx("closing the snapshot transaction")?;
        drop(self.copier);
        self.repl.start().await.map_err(|e| {
            replication_error(
                "starting replication",
                &self.url_display,
                &self.opts.slot,
                &e,
            )
        })?;
        self.repl.wait_started().await.map_err(|e| {
            replication_error(
                "starting replication",
                &self.url_display,
                &self.opts.slot,
                &e,
            )
        })?;
        info!(slot = %self.opts.slot, from = %format_lsn(self.consistent_point), "snapshot copied; streaming");
        Ok(Stream::spawn(
            self.repl,
            &self.opts,
            self.url_display,
            self.lookup,
            self.consistent_point,
            0,
        ))
    }
}

/// Progress of a stream, for status lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStatus {
    /// The server's WAL end, from its last message.
    pub server_wal_end: u64,
    /// Position of the last transaction handed out.
    pub received: u64,
    /// Position last confirmed to the server.
    pub confirmed: u64,
    /// Commit time (µs, UTC) of the last transaction handed out.
    pub last_commit_ts: i64,
    /// Transactions handed out.
    pub transactions: u64,
    /// Row changes handed out.
    pub changes: u64,
    /// An LSN the slot may be confirmed up to although no transaction of
    /// ours ends there (a keepalive's or heartbeat's, past WAL that holds
    /// nothing for us), when everything handed out is durable. The caller
    /// records it before confirming it ([`Stream::confirm`]): see the
    /// module documentation, "Standby status".
    pub idle: u64,
}

/// The tables' definitions widened by the columns PostgreSQL has and they
/// do not (added after crossdock's DDL was written: custom fields, a module
/// upgrade), in PostgreSQL's column order. Columns of a type crossdock does
/// not carry are left out with a warning. See the module documentation,
/// "Columns added or dropped in PostgreSQL".
pub async fn widen_from_database(
    client: &Client,
    tables: &[Arc<TableDef>],
) -> Result<Vec<Arc<TableDef>>> {
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let columns = super::database_columns(client, &names).await?;
    let mut added: HashMap<String, Vec<ColumnDef>> = HashMap::new();
    for (table, cols) in columns {
        let Some(def) = tables.iter().find(|t| t.name == table) else {
            continue;
        };
        for c in cols {
            if def.column_index(&c.name).is_some() {
                continue;
            }
            let (column, oid, typmod) = (c.name, c.type_oid, c.typmod);
            match PgType::from_oid(oid, typmod) {
                Some(pg_type) => {
                    info!(table = %table, column = %column, "PostgreSQL has a column the DDL does not: tracked");
                    added.entry(table.clone()).or_default().push(ColumnDef {
                        name: column,
                        pg_type,
                        not_null: false,
                    });
                }
                None => warn!(
                    table = %table, column = %column, type_oid = oid,
                    "PostgreSQL has a column of a type crossdock does not track; its values are ignored"
                ),
            }
        }
    }
    Ok(tables
        .iter()
        .map(|t| match added.remove(&t.name) {
            Some(cols) => Arc::new(t.with_added_columns(cols)),
            None => t.clone(),
        })
        .collect())
}

#[derive(Default)]
struct SharedStatus {
    server_wal_end: AtomicU64,
    received: AtomicU64,
    confirmed: AtomicU64,
    last_commit_ts: AtomicI64,
    transactions: AtomicU64,
    changes: AtomicU64,
    idle: AtomicU64,
}

/// The pgoutput stream, decoded into [`Transaction`]s on a task of its own.
pub struct Stream {
    rx: mpsc::Receiver<Result<Transaction>>,
    confirm: watch::Sender<u64>,
    stop: watch::Sender<bool>,
    status: Arc<SharedStatus>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Stream {
    /// `from`: transactions at or before it are not handed out; `durable`:
    /// what the warehouse is known to hold already.
    fn spawn(
        repl: ReplicationClient,
        opts: &SourceOptions,
        url_display: String,
        lookup: Arc<Client>,
        from: Position,
        durable: Position,
    ) -> Stream {
        let (tx, rx) = mpsc::channel(256);
        let (confirm, confirm_rx) = watch::channel(durable);
        let (stop, stop_rx) = watch::channel(false);
        let status = Arc::new(SharedStatus::default());
        status.received.store(from, Ordering::Relaxed);
        status.confirmed.store(durable, Ordering::Relaxed);
        let decoder = Decoder {
            tables: opts
                .tables
                .iter()
                .map(|t| (t.name.clone(), t.clone()))
                .collect(),
            relations: HashMap::new(),
            url_display,
            slot: opts.slot.clone(),
            lookup,
            warned: HashSet::new(),
            heartbeat_interval: opts.heartbeat_interval,
            heartbeat_ok: true,
            status_interval: opts.status_interval,
        };
        let task =
            tokio::spawn(decoder.run(repl, tx, confirm_rx, stop_rx, status.clone(), from, durable));
        Stream {
            rx,
            confirm,
            stop,
            status,
            task: Some(task),
        }
    }

    /// The next transaction; `None` when the stream ended (stopped, or the
    /// server closed it), an error when it broke.
    pub async fn next(&mut self) -> Option<Result<Transaction>> {
        self.rx.recv().await
    }

    /// The next transaction if one is ready, without waiting.
    pub fn try_next(&mut self) -> Option<Result<Transaction>> {
        self.rx.try_recv().ok()
    }

    /// Declares everything up to `position` durable in the warehouse: the
    /// slot may be confirmed up to there.
    pub fn confirm(&self, position: Position) {
        self.confirm.send_if_modified(|p| {
            if position > *p {
                *p = position;
                true
            } else {
                false
            }
        });
    }

    /// Progress so far.
    pub fn status(&self) -> StreamStatus {
        let s = &self.status;
        StreamStatus {
            server_wal_end: s.server_wal_end.load(Ordering::Relaxed),
            received: s.received.load(Ordering::Relaxed),
            confirmed: s.confirmed.load(Ordering::Relaxed),
            last_commit_ts: s.last_commit_ts.load(Ordering::Relaxed),
            transactions: s.transactions.load(Ordering::Relaxed),
            changes: s.changes.load(Ordering::Relaxed),
            idle: s.idle.load(Ordering::Relaxed),
        }
    }

    /// Stops streaming: sends the last confirmed position, ends the
    /// replication session cleanly.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

struct RelMap {
    def: Option<Arc<TableDef>>,
    /// relation column → catalog column
    cols: Vec<Option<usize>>,
}

/// A tracked table and, per relation column, its catalog column.
type Tracked = (Arc<TableDef>, Vec<Option<usize>>);

struct Open {
    xid: u32,
    changes: Vec<Change>,
}

struct Decoder {
    tables: HashMap<String, Arc<TableDef>>,
    relations: HashMap<u32, RelMap>,
    /// `user@host:port/database`, for errors.
    url_display: String,
    /// The slot streamed from, for errors.
    slot: String,
    lookup: Arc<Client>,
    warned: HashSet<(String, String)>,
    heartbeat_interval: Duration,
    heartbeat_ok: bool,
    status_interval: Duration,
}

fn stream_error(message: String) -> IngestError {
    IngestError::Decode { message }
}

impl Decoder {
    #[allow(clippy::too_many_arguments)]
    async fn run(
        mut self,
        mut repl: ReplicationClient,
        out: mpsc::Sender<Result<Transaction>>,
        mut confirm_rx: watch::Receiver<u64>,
        mut stop_rx: watch::Receiver<bool>,
        status: Arc<SharedStatus>,
        from: Position,
        durable: Position,
    ) {
        let mut open: Option<Open> = None;
        let mut handed = from;
        let mut confirmed = durable;
        let mut acked = durable;
        let mut last_tracked = Instant::now();
        let mut tick =
            tokio::time::interval(self.heartbeat_interval.max(Duration::from_millis(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let event = tokio::select! {
                biased;
                _ = stop_rx.changed() => {
                    // confirm what the caller declared durable last, wait
                    // for that status to reach the server, then end cleanly
                    let last = acked.max(*confirm_rx.borrow_and_update());
                    repl.update_applied_lsn(Lsn::from_u64(last));
                    status.confirmed.store(last, Ordering::Relaxed);
                    let metrics = repl.metrics();
                    let deadline = Instant::now() + self.status_interval * 3;
                    while metrics.last_applied_lsn().as_u64() < last && Instant::now() < deadline {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    let _ = tokio::time::timeout(Duration::from_secs(5), repl.shutdown()).await;
                    return;
                }
                changed = confirm_rx.changed() => {
                    if changed.is_err() {
                        let _ = tokio::time::timeout(Duration::from_secs(5), repl.shutdown()).await;
                        return;
                    }
                    confirmed = *confirm_rx.borrow_and_update();
                    if confirmed > acked {
                        acked = confirmed;
                        repl.update_applied_lsn(Lsn::from_u64(acked));
                        status.confirmed.store(acked, Ordering::Relaxed);
                    }
                    continue;
                }
                _ = tick.tick() => {
                    if open.is_none() && confirmed >= handed && self.heartbeat_ok
                        && last_tracked.elapsed() >= self.heartbeat_interval {
                        if let Err(e) = self.lookup.batch_execute(
                            "SELECT pg_logical_emit_message(false, 'crossdock.heartbeat', '')").await {
                            warn!(error = %e, "cannot write heartbeat messages; the slot advances on keepalives only");
                            self.heartbeat_ok = false;
                        }
                    }
                    continue;
                }
                ev = repl.recv() => ev,
            };
            let ev = match event {
                Ok(Some(ev)) => ev,
                Ok(None) => return,
                Err(e) => {
                    let _ = out
                        .send(Err(replication_error(
                            "replication stream",
                            &self.url_display,
                            &self.slot,
                            &e,
                        )))
                        .await;
                    return;
                }
            };
            // an LSN the slot may be confirmed up to when nothing is pending
            let mut idle_lsn = None;
            match ev {
                ReplicationEvent::KeepAlive { wal_end, .. } => {
                    status
                        .server_wal_end
                        .fetch_max(wal_end.as_u64(), Ordering::Relaxed);
                    idle_lsn = Some(wal_end.as_u64());
                }
                ReplicationEvent::Message {
                    lsn, transactional, ..
                } => {
                    if !transactional {
                        idle_lsn = Some(lsn.as_u64());
                    }
                }
                ReplicationEvent::Begin { xid, .. } => {
                    open = Some(Open {
                        xid,
                        changes: Vec::new(),
                    });
                }
                ReplicationEvent::XLogData { data, wal_end, .. } => {
                    status
                        .server_wal_end
                        .fetch_max(wal_end.as_u64(), Ordering::Relaxed);
                    let result = match pgoutput::parse(data) {
                        Ok(msg) => self.handle(msg, open.as_mut()).await,
                        Err(e) => Err(stream_error(format!("decoding pgoutput: {e}"))),
                    };
                    if let Err(e) = result {
                        let _ = out.send(Err(e)).await;
                        return;
                    }
                }
                ReplicationEvent::Commit {
                    end_lsn,
                    commit_time_micros,
                    ..
                } => {
                    let end = end_lsn.as_u64();
                    let Some(o) = open.take() else {
                        let _ = out
                            .send(Err(stream_error("Commit without Begin".into())))
                            .await;
                        return;
                    };
                    if end <= handed {
                        // already in the warehouse (a replay after restart)
                    } else if o.changes.is_empty() {
                        idle_lsn = Some(end);
                    } else {
                        let n = o.changes.len() as u64;
                        let tx = Transaction {
                            xid: o.xid as i64,
                            position: end,
                            commit_ts: commit_time_micros + PG_EPOCH_MICROS,
                            changes: o.changes,
                        };
                        handed = end;
                        last_tracked = Instant::now();
                        status.received.store(end, Ordering::Relaxed);
                        status.last_commit_ts.store(tx.commit_ts, Ordering::Relaxed);
                        status.transactions.fetch_add(1, Ordering::Relaxed);
                        status.changes.fetch_add(n, Ordering::Relaxed);
                        if out.send(Ok(tx)).await.is_err() {
                            let _ =
                                tokio::time::timeout(Duration::from_secs(5), repl.shutdown()).await;
                            return;
                        }
                    }
                }
                ReplicationEvent::StoppedAt { .. } => return,
            }
            if let Some(lsn) = idle_lsn {
                // nothing open, everything handed out is durable: the slot
                // may move past WAL that holds nothing for us — once the
                // caller has recorded it (it confirms it then)
                if open.is_none() && confirmed >= handed && lsn > acked {
                    status.idle.fetch_max(lsn, Ordering::Relaxed);
                }
            }
        }
    }

    async fn handle(&mut self, msg: Message, open: Option<&mut Open>) -> Result<()> {
        match msg {
            Message::Relation(r) => {
                self.relation(r);
                Ok(())
            }
            Message::Type { .. } | Message::Origin { .. } | Message::LogicalMessage { .. } => {
                Ok(())
            }
            Message::Begin { .. } | Message::Commit { .. } => Ok(()),
            Message::Insert { relation, new } => {
                let Some((def, cols)) = self.tracked(relation)? else {
                    return Ok(());
                };
                let open =
                    open.ok_or_else(|| stream_error("Insert outside a transaction".into()))?;
                let row = decode_row(&def, &cols, &new, None)?;
                open.changes.push(Change {
                    table: def,
                    op: Op::Insert,
                    row: row.0,
                });
                Ok(())
            }
            Message::Update { relation, old, new } => {
                let Some((def, cols)) = self.tracked(relation)? else {
                    return Ok(());
                };
                let open =
                    open.ok_or_else(|| stream_error("Update outside a transaction".into()))?;
                let old_full = old
                    .as_ref()
                    .filter(|(k, _)| *k == b'O')
                    .map(|(_, t)| t.as_slice());
                let (mut row, unresolved) = decode_row(&def, &cols, &new, old_full)?;
                if !unresolved.is_empty() {
                    self.resolve_unchanged(&def, &mut row, &unresolved).await?;
                }
                if let Some((_, old_tuple)) = &old {
                    let (old_row, _) = decode_row(&def, &cols, old_tuple, None)?;
                    let key_changed = def
                        .primary_key
                        .iter()
                        .any(|k| !old_row[*k].is_null() && old_row[*k] != row[*k]);
                    if key_changed {
                        let mut key_row = vec![Value::Null; def.columns.len()];
                        for k in &def.primary_key {
                            key_row[*k] = old_row[*k].clone();
                        }
                        open.changes.push(Change {
                            table: def.clone(),
                            op: Op::Delete,
                            row: key_row,
                        });
                    }
                }
                open.changes.push(Change {
                    table: def,
                    op: Op::Update,
                    row,
                });
                Ok(())
            }
            Message::Delete { relation, old, .. } => {
                let Some((def, cols)) = self.tracked(relation)? else {
                    return Ok(());
                };
                let open =
                    open.ok_or_else(|| stream_error("Delete outside a transaction".into()))?;
                let (row, _) = decode_row(&def, &cols, &old, None)?;
                open.changes.push(Change {
                    table: def,
                    op: Op::Delete,
                    row,
                });
                Ok(())
            }
            Message::Truncate { relations, .. } => {
                let open =
                    open.ok_or_else(|| stream_error("Truncate outside a transaction".into()))?;
                for r in relations {
                    if let Some((def, _)) = self.tracked(r)? {
                        open.changes.push(Change {
                            table: def,
                            op: Op::Truncate,
                            row: Vec::new(),
                        });
                    }
                }
                Ok(())
            }
        }
    }

    fn relation(&mut self, r: Relation) {
        let mut def = self.tables.get(&r.name).cloned();
        if let Some(known) = &def {
            // schema evolution: columns PostgreSQL has and the definition
            // does not are appended to it; the warehouse adds them to the
            // Delta tables before the first change that carries them
            let mut added = Vec::new();
            for c in &r.columns {
                if known.column_index(&c.name).is_some() {
                    continue;
                }
                match PgType::from_oid(c.type_oid, c.type_modifier) {
                    Some(pg_type) => added.push(ColumnDef {
                        name: c.name.clone(),
                        pg_type,
                        not_null: false,
                    }),
                    None => {
                        if self.warned.insert((r.name.clone(), c.name.clone())) {
                            warn!(
                                table = %r.name, column = %c.name, type_oid = c.type_oid,
                                "PostgreSQL has a column of a type crossdock does not track; its values are ignored"
                            );
                        }
                    }
                }
            }
            if !added.is_empty() {
                let names: Vec<&str> = added.iter().map(|c| c.name.as_str()).collect();
                info!(table = %r.name, columns = %names.join(", "), "columns added in PostgreSQL: now tracked");
                let wider = Arc::new(known.with_added_columns(added));
                self.tables.insert(r.name.clone(), wider.clone());
                def = Some(wider);
            }
        }
        let cols = match &def {
            None => Vec::new(),
            Some(def) => r
                .columns
                .iter()
                .map(|c| def.column_index(&c.name))
                .collect(),
        };
        if let Some(def) = &def {
            for c in &def.columns {
                if !r.columns.iter().any(|rc| rc.name == c.name)
                    && self.warned.insert((r.name.clone(), c.name.clone()))
                {
                    warn!(
                        table = %r.name, column = %c.name,
                        "column not in PostgreSQL's table at this point of the stream \
                         (dropped, or added later): NULL in these changes"
                    );
                }
            }
        }
        debug!(relation = r.id, table = %r.name, tracked = def.is_some(), "relation");
        self.relations.insert(r.id, RelMap { def, cols });
    }

    fn tracked(&self, relation: u32) -> Result<Option<Tracked>> {
        let map = self.relations.get(&relation).ok_or_else(|| {
            stream_error(format!(
                "change for relation {relation} before its Relation message"
            ))
        })?;
        Ok(map.def.clone().map(|d| (d, map.cols.clone())))
    }

    /// Fills unchanged TOASTed values from PostgreSQL's current row (see the
    /// module documentation); NULL when the row is gone (a later delete
    /// removes it anyway).
    async fn resolve_unchanged(
        &self,
        def: &TableDef,
        row: &mut [Value],
        unresolved: &[usize],
    ) -> Result<()> {
        let mut pred = Vec::new();
        for k in &def.primary_key {
            let c = &def.columns[*k];
            let lit = text::literal(c.pg_type, &row[*k]).map_err(stream_error)?;
            pred.push(format!("{} = {lit}", ident(&c.name)));
        }
        let cols: Vec<String> = unresolved
            .iter()
            .map(|i| ident(&def.columns[*i].name))
            .collect();
        let sql = format!(
            "SELECT {} FROM {} WHERE {}",
            cols.join(", "),
            ident(&def.name),
            pred.join(" AND ")
        );
        let rows = query_rows(&self.lookup, &sql).await?;
        debug!(table = %def.name, columns = unresolved.len(), found = !rows.is_empty(), "unchanged TOAST values read from the current row");
        if let Some(r) = rows.into_iter().next() {
            for (j, ci) in unresolved.iter().enumerate() {
                let c = &def.columns[*ci];
                row[*ci] = match &r[j] {
                    None => Value::Null,
                    Some(s) => text::decode(c.pg_type, s).map_err(|reason| {
                        stream_error(format!("{}.{}: {reason}", def.name, c.name))
                    })?,
                };
            }
        }
        Ok(())
    }
}

/// A tuple → a row of the catalog table; unchanged TOAST values come from
/// `old` (a full old row) when given, else their indexes are returned.
fn decode_row(
    def: &TableDef,
    cols: &[Option<usize>],
    tuple: &[Column],
    old: Option<&[Column]>,
) -> Result<(Vec<Value>, Vec<usize>)> {
    if tuple.len() != cols.len() {
        return Err(stream_error(format!(
            "{}: tuple has {} columns, its Relation message {}",
            def.name,
            tuple.len(),
            cols.len()
        )));
    }
    let mut row = vec![Value::Null; def.columns.len()];
    let mut unresolved = Vec::new();
    for (i, col) in tuple.iter().enumerate() {
        let Some(ci) = cols[i] else { continue };
        let c = &def.columns[ci];
        let col = match (col, old.and_then(|o| o.get(i))) {
            (Column::Unchanged, Some(prev @ Column::Text(_))) => prev,
            (Column::Unchanged, Some(Column::Null)) => &Column::Null,
            (other, _) => other,
        };
        row[ci] = match col {
            Column::Null => Value::Null,
            Column::Unchanged => {
                unresolved.push(ci);
                Value::Null
            }
            Column::Text(b) => {
                let s = std::str::from_utf8(b).map_err(|_| {
                    stream_error(format!("{}.{}: value is not UTF-8", def.name, c.name))
                })?;
                text::decode(c.pg_type, s).map_err(|reason| {
                    stream_error(format!(
                        "{}.{}: cannot decode {:?}: {reason}",
                        def.name,
                        c.name,
                        s.chars().take(80).collect::<String>()
                    ))
                })?
            }
            Column::Binary(_) => {
                return Err(stream_error(format!(
                    "{}.{}: binary tuple data was not requested",
                    def.name, c.name
                )))
            }
        };
    }
    Ok((row, unresolved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use crossdock_change::catalog::Catalog;

    #[test]
    fn plans() {
        let slot = SlotInfo {
            plugin: "pgoutput".into(),
            database: "odoo".into(),
            active: false,
            confirmed_flush: 100,
            restart_lsn: 90,
            invalidated: false,
        };
        let lost = SlotInfo {
            invalidated: true,
            ..slot.clone()
        };
        assert!(matches!(
            plan(0, None, 0, None, false),
            Plan::Snapshot { .. }
        ));
        // a complete snapshot whose slot is gone: never a silent re-snapshot
        assert!(matches!(
            plan(100, Some(100), 0, None, false),
            Plan::SlotLost { .. }
        ));
        assert!(matches!(
            plan(100, Some(100), 0, Some(&lost), false),
            Plan::SlotLost { .. }
        ));
        // ... unless the operator asks for one
        assert!(matches!(
            plan(100, Some(100), 0, None, true),
            Plan::Snapshot { .. }
        ));
        assert!(matches!(
            plan(700, Some(100), 0, Some(&slot), true),
            Plan::Snapshot { .. }
        ));
        // an incomplete snapshot is taken again
        assert!(matches!(
            plan(50, Some(100), 0, None, false),
            Plan::Snapshot { .. }
        ));
        assert!(matches!(
            plan(99, Some(100), 0, Some(&lost), false),
            Plan::Snapshot { .. }
        ));
        assert!(matches!(
            plan(100, None, 0, Some(&slot), false),
            Plan::Snapshot { .. }
        ));
        assert!(matches!(
            plan(99, Some(100), 0, Some(&slot), false),
            Plan::Snapshot { .. }
        ));
        assert_eq!(
            plan(100, Some(100), 0, Some(&slot), false),
            Plan::Stream { from: 100 }
        );
        assert_eq!(
            plan(700, Some(100), 0, Some(&slot), false),
            Plan::Stream { from: 700 }
        );
        // a slot confirmed past what the warehouse recorded is not ours
        let ahead = SlotInfo {
            confirmed_flush: 900,
            ..slot.clone()
        };
        assert!(matches!(
            plan(700, Some(100), 0, Some(&ahead), false),
            Plan::SlotLost { .. }
        ));
        assert!(matches!(
            plan(700, Some(100), 800, Some(&ahead), false),
            Plan::SlotLost { .. }
        ));
        // ... unless the warehouse recorded the idle LSN it confirmed
        assert_eq!(
            plan(700, Some(100), 900, Some(&ahead), false),
            Plan::Stream { from: 700 }
        );
    }

    fn t(s: &str) -> Column {
        Column::Text(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn rows_decode_by_name_and_unchanged_values_come_from_the_old_row() {
        let def = Catalog::odoo17().require("uom_uom").unwrap().clone();
        // relation columns: id, an unknown column, factor (in another order than the catalog)
        let cols = vec![
            def.column_index("id"),
            None,
            def.column_index("factor"),
            def.column_index("name"),
        ];
        let (row, unresolved) = decode_row(
            &def,
            &cols,
            &[t("5"), t("ignored"), t("0.083333333333"), Column::Unchanged],
            None,
        )
        .unwrap();
        assert_eq!(row[def.require("id").unwrap()], Value::Int(5));
        assert_eq!(
            row[def.require("factor").unwrap()],
            Value::Numeric {
                unscaled: 83333333333,
                scale: 12
            }
        );
        assert_eq!(unresolved, vec![def.require("name").unwrap()]);
        let old = [t("5"), t("x"), t("1"), t(r#"{"en_US": "big"}"#)];
        let (row, unresolved) = decode_row(
            &def,
            &cols,
            &[t("5"), t("ignored"), t("2"), Column::Unchanged],
            Some(&old),
        )
        .unwrap();
        assert!(unresolved.is_empty());
        assert_eq!(
            row[def.require("name").unwrap()],
            Value::from(r#"{"en_US": "big"}"#)
        );
        assert!(decode_row(&def, &cols, &[t("5")], None).is_err());
        assert!(decode_row(&def, &cols, &[t("x"), t(""), t("1"), Column::Null], None).is_err());
    }
}
