//! The CDC pipeline: from a PostgreSQL source to the warehouse, exactly
//! once, surviving restarts of either side.
//!
//! ```text
//!  ┌ plan ───────────────────────────────────────────────────────────────┐
//!  │ source record (_crossdock/source.json) + warehouse position + slot │
//!  │   → stream from the warehouse's position, or take a snapshot,      │
//!  │     or stop: the slot is lost (`--resnapshot` to copy again)       │
//!  └─────────────────────────────────────────────────────────────────────┘
//!        │ Transaction                     after each durable apply:
//!        ▼                                  confirm the slot up to there
//!  batch (≤ batch_changes rows, ≤ max_delay old) ──► Applier::apply ──► Stream::confirm
//! ```
//!
//! 1. [`PgSource::connect`] checks the set-up (wal_level, replica identity,
//!    the role's REPLICATION attribute, ...) and says what to change.
//! 2. Which source fills the warehouse is kept in `_crossdock/source.json`
//!    ([`SourceRecord`]): kind `postgres`, cluster id, database, slot, and
//!    the slot's consistent point once the slot exists. A warehouse filled
//!    by another source is refused; an unreadable or corrupt record is an
//!    error, never "no record".
//! 3. [`plan`] decides between streaming and a snapshot. A snapshot of a
//!    warehouse that holds data truncates each table first. A complete
//!    warehouse whose slot is gone is **not** copied again silently:
//!    [`IngestError::SlotLost`] says so, and `resnapshot` does it.
//! 4. Transactions are gathered into batches and applied; only then is the
//!    slot confirmed, so PostgreSQL keeps every change the warehouse has not
//!    made durable.
//! 5. A transient error ([`IngestError::is_transient`]: network, server
//!    restart, slot still held, storage full) reconnects with back-off from
//!    the warehouse's position; anything else ends the run with the error.
//!
//! Exactly once, end to end: the source position of every batch rides in the
//! same Delta commit as its data (`crossdock-warehouse`, `apply`), the slot
//! is confirmed only up to what is durable, and a restart streams from the
//! warehouse's position — so a change is neither lost nor applied twice,
//! wherever a crash falls.
//!
//! The pipeline prints nothing: it reports [`Event`]s to the caller (the
//! command line shows them).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossdock_change::{ChangeBatchBuilder, Position};
use crossdock_warehouse::{layout, Applier, ApplyOptions, Warehouse};
use serde_json::json;

use crate::error::{IngestError, Result};
use crate::postgres::source::{plan, PgSource, Plan, SourceOptions, Stream};
use crate::postgres::PgUrl;

/// How the pipeline runs.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// The source's settings (slot, publication, tables, chunk size).
    pub source: SourceOptions,
    /// Row changes per warehouse commit, at most (at least 1).
    pub batch_changes: usize,
    /// Longest time a received change waits before it is committed.
    pub max_delay: Duration,
    /// Time between [`Event::Status`] reports (`None`: none).
    pub status_every: Option<Duration>,
    /// Stop after this long without a change once caught up.
    pub exit_when_idle: Option<Duration>,
    /// Take a new snapshot whatever the state (each table is truncated
    /// first): the resync after a lost slot.
    pub resnapshot: bool,
    /// Longest wait between reconnection attempts.
    pub max_backoff: Duration,
}

impl PipelineOptions {
    /// Defaults for `source`: batches of 100,000 changes at most 500 ms
    /// old, a status every 10 s, back-off up to 10 s.
    pub fn new(source: SourceOptions) -> PipelineOptions {
        PipelineOptions {
            source,
            batch_changes: 100_000,
            max_delay: Duration::from_millis(500),
            status_every: Some(Duration::from_secs(10)),
            exit_when_idle: None,
            resnapshot: false,
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// What the pipeline reports while it runs.
#[derive(Debug)]
pub enum Event<'a> {
    /// Something about the set-up that works but deserves attention.
    Note(&'a str),
    /// Streaming resumes from the warehouse's position.
    Resuming {
        /// The warehouse's position.
        from: Position,
        /// The slot.
        slot: &'a str,
        /// PostgreSQL's version.
        server_version: &'a str,
        /// `user@host:port/database`.
        target: &'a str,
    },
    /// A snapshot is about to be taken, and why.
    SnapshotPlanned {
        /// Why, for people.
        reason: &'a str,
    },
    /// The snapshot's size is known.
    SnapshotStarted {
        /// Rows to copy.
        total_rows: u64,
        /// Tables to copy.
        tables: usize,
        /// The slot's consistent point.
        consistent_point: Position,
        /// `user@host:port/database`.
        target: &'a str,
    },
    /// Rows copied so far.
    SnapshotProgress {
        /// Rows copied.
        copied_rows: u64,
    },
    /// Stopped (Ctrl-C) during the snapshot: it is taken again next time.
    SnapshotStopped,
    /// The snapshot is in the warehouse; streaming starts.
    SnapshotDone {
        /// Rows copied.
        total_rows: u64,
        /// The consistent point streaming starts after.
        consistent_point: Position,
    },
    /// A periodic status while streaming.
    Status(Status),
    /// A transient error: reconnecting after `wait`.
    Reconnecting {
        /// What happened.
        error: &'a IngestError,
        /// Pending changes discarded because they could not be applied
        /// (they are streamed again: the slot was not confirmed past them).
        discarded_changes: usize,
        /// The wait before the next attempt.
        wait: Duration,
    },
}

/// A status report while streaming.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    /// Changes applied by this run.
    pub applied_changes: u64,
    /// Changes per second since the last status.
    pub rate: f64,
    /// The warehouse's position.
    pub warehouse_at: Position,
    /// What the slot is confirmed up to.
    pub slot_confirmed: Position,
    /// The server's WAL end.
    pub server_wal_end: Position,
    /// How far behind the source the warehouse is, in seconds (0 when
    /// caught up).
    pub lag_seconds: f64,
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Transactions applied.
    pub transactions: u64,
    /// Row changes applied.
    pub changes: u64,
    /// The warehouse's position at the end.
    pub position: Position,
}

/// What `_crossdock/source.json` records about a PostgreSQL source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    /// The slot the warehouse is filled from.
    pub slot: String,
    /// The slot's consistent point, once the slot exists.
    pub consistent_point: Option<Position>,
    /// The highest idle LSN (past WAL holding nothing for us) the slot was
    /// confirmed up to; recorded before it is confirmed.
    pub confirmed_up_to: Option<Position>,
}

impl SourceRecord {
    /// Reads the record at `path` for the cluster `system_id` and database
    /// `database`. `None` only when there is no record yet; an unreadable
    /// or corrupt file, or one naming another source, is an error.
    pub fn read(path: &Path, system_id: &str, database: &str) -> Result<Option<SourceRecord>> {
        let err = |message: String| IngestError::SourceRecord {
            path: path.to_path_buf(),
            message,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(format!("cannot be read: {e}"))),
        };
        let found: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            err(format!(
                "corrupt ({e}); it records which source fills this warehouse: restore it, \
                 or start a new warehouse with another --data directory"
            ))
        })?;
        let same = found["kind"] == "postgres"
            && found["system_identifier"] == system_id
            && found["database"] == database;
        if !same {
            return Err(err(format!(
                "this warehouse holds another source ({found}); use another --data directory"
            )));
        }
        let slot = found["slot"]
            .as_str()
            .ok_or_else(|| err("corrupt: no slot name".into()))?
            .to_string();
        let lsn = |name: &str| match &found[name] {
            serde_json::Value::Null => Ok(None),
            v => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| err(format!("corrupt: {name} {v} is not an LSN"))),
        };
        Ok(Some(SourceRecord {
            slot,
            consistent_point: lsn("consistent_point")?,
            confirmed_up_to: lsn("confirmed_up_to")?,
        }))
    }

    /// Writes the record (write, sync, rename: a crash leaves the old record
    /// or the new one).
    pub fn write(path: &Path, source: &PgSource, record: &SourceRecord) -> Result<()> {
        let pre = source.preflight();
        let value = json!({
            "kind": "postgres",
            "system_identifier": pre.system_identifier,
            "database": pre.database,
            "slot": record.slot,
            "publication": source.options().publication,
            "consistent_point": record.consistent_point,
            "confirmed_up_to": record.confirmed_up_to,
        });
        let err = |e: std::io::Error| IngestError::SourceRecord {
            path: path.to_path_buf(),
            message: format!("cannot be written: {e}"),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(&value).map_err(|e| IngestError::SourceRecord {
            path: path.to_path_buf(),
            message: format!("cannot be encoded: {e}"),
        })?;
        use std::io::Write;
        let f = std::fs::File::create(&tmp).map_err(err)?;
        let mut w = std::io::BufWriter::new(f);
        w.write_all(text.as_bytes()).map_err(err)?;
        w.into_inner()
            .map_err(|e| err(e.into_error()))?
            .sync_all()
            .map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }
}

struct Batcher {
    applier: Applier,
    builder: ChangeBatchBuilder,
    first_pending: Option<Instant>,
    applied_changes: u64,
    applied_transactions: u64,
    applied_position: u64,
    applied_commit_ts: i64,
}

impl Batcher {
    async fn flush(&mut self, stream: Option<&Stream>) -> Result<()> {
        if self.builder.transactions() == 0 {
            return Ok(());
        }
        let batch = self.builder.finish()?;
        self.applier.apply(&batch).await?;
        self.applied_changes += batch.changes as u64;
        self.applied_transactions += batch.transactions as u64;
        self.applied_position = batch.end_position;
        self.applied_commit_ts = batch.end_commit_ts;
        self.first_pending = None;
        if let Some(s) = stream {
            s.confirm(batch.end_position);
        }
        Ok(())
    }

    /// Drops what is gathered and not applied (it is streamed again: the
    /// slot is confirmed only up to what is durable). Returns the changes
    /// dropped.
    fn discard(&mut self) -> usize {
        let n = self.builder.changes();
        self.builder = ChangeBatchBuilder::new();
        self.first_pending = None;
        n
    }
}

/// Runs change-data capture from the PostgreSQL database at `url` into
/// `warehouse` until `stop` is set, the source is idle for
/// `exit_when_idle`, or an error that is not transient.
pub async fn run(
    warehouse: &Warehouse,
    url: &PgUrl,
    options: &PipelineOptions,
    stop: &AtomicBool,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Summary> {
    if options.batch_changes == 0 {
        return Err(IngestError::Config {
            message: "--batch-changes must be at least 1".into(),
        });
    }
    let record_path = layout::source_record_path(warehouse.root())?;
    let mut batcher = Batcher {
        applier: warehouse.applier(ApplyOptions::default()),
        builder: ChangeBatchBuilder::new(),
        first_pending: None,
        applied_changes: 0,
        applied_transactions: 0,
        applied_position: 0,
        applied_commit_ts: 0,
    };
    let mut attempt = 0u32;
    // the resnapshot asked for is done once, not again on each reconnect
    let mut resnapshot = options.resnapshot;
    loop {
        let session_started = Instant::now();
        let result = session(
            warehouse,
            url,
            options,
            &mut resnapshot,
            &record_path,
            stop,
            &mut batcher,
            events,
        )
        .await;
        match result {
            Ok(()) => break,
            Err(e) if !e.is_transient() || stop.load(Ordering::SeqCst) => return Err(e),
            Err(e) => {
                // complete transactions in hand are applied when the
                // warehouse takes them; otherwise they are streamed again
                let discarded = match batcher.flush(None).await {
                    Ok(()) => 0,
                    Err(_) => batcher.discard(),
                };
                // a failed apply may leave the applier's view of its tables
                // behind the tables themselves: start from what is durable
                batcher.applier = warehouse.applier(ApplyOptions::default());
                // a session that ran a while was a success: back off afresh
                if session_started.elapsed() > Duration::from_secs(60) {
                    attempt = 0;
                }
                attempt = (attempt + 1).min(6);
                let wait = Duration::from_millis(250u64 << attempt).min(options.max_backoff);
                events(Event::Reconnecting {
                    error: &e,
                    discarded_changes: discarded,
                    wait,
                });
                let deadline = Instant::now() + wait;
                while Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                if stop.load(Ordering::SeqCst) {
                    break;
                }
            }
        }
    }
    batcher.flush(None).await?;
    Ok(Summary {
        transactions: batcher.applied_transactions,
        changes: batcher.applied_changes,
        position: warehouse.resume_position().await?,
    })
}

#[allow(clippy::too_many_arguments)]
async fn session(
    warehouse: &Warehouse,
    url: &PgUrl,
    options: &PipelineOptions,
    resnapshot: &mut bool,
    record_path: &Path,
    stop: &AtomicBool,
    batcher: &mut Batcher,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<()> {
    let opts = &options.source;
    let source = PgSource::connect(url, opts.clone()).await?;
    for w in &source.preflight().warnings {
        events(Event::Note(w));
    }
    let pre = source.preflight().clone();
    let recorded = SourceRecord::read(record_path, &pre.system_identifier, &pre.database)?;
    let resume = warehouse.resume_position().await?;
    let mut record = recorded
        .filter(|r| r.slot == opts.slot)
        .unwrap_or(SourceRecord {
            slot: opts.slot.clone(),
            consistent_point: None,
            confirmed_up_to: None,
        });
    let slot = source.slot().await?;
    batcher.applied_position = batcher.applied_position.max(resume);
    let target = url.display();
    let planned = plan(
        resume,
        record.consistent_point,
        record.confirmed_up_to.unwrap_or(0),
        slot.as_ref(),
        *resnapshot,
    );
    let mut stream = match planned {
        Plan::Stream { from } => {
            events(Event::Resuming {
                from,
                slot: &opts.slot,
                server_version: &pre.server_version,
                target: &target,
            });
            source.stream(from).await?
        }
        Plan::SlotLost { reason } => {
            return Err(IngestError::SlotLost {
                slot: opts.slot.clone(),
                message: reason,
            })
        }
        Plan::Snapshot { reason } => {
            events(Event::SnapshotPlanned { reason: &reason });
            record = SourceRecord {
                slot: opts.slot.clone(),
                consistent_point: None,
                confirmed_up_to: None,
            };
            SourceRecord::write(record_path, &source, &record)?;
            let mut snap = source.snapshot(resume).await?;
            let c = snap.consistent_point();
            record.consistent_point = Some(c);
            SourceRecord::write(record_path, &source, &record)?;
            *resnapshot = false;
            let total = snap.total_rows();
            events(Event::SnapshotStarted {
                total_rows: total,
                tables: snap.table_rows().len(),
                consistent_point: c,
                target: &target,
            });
            while let Some(tx) = snap.next().await? {
                if stop.load(Ordering::SeqCst) {
                    events(Event::SnapshotStopped);
                    batcher.flush(None).await?;
                    return Ok(());
                }
                batcher.builder.push(&tx)?;
                events(Event::SnapshotProgress {
                    copied_rows: snap.copied_rows(),
                });
                if batcher.builder.changes() >= options.batch_changes {
                    batcher.flush(None).await?;
                }
            }
            batcher.flush(None).await?;
            events(Event::SnapshotDone {
                total_rows: total,
                consistent_point: c,
            });
            let stream = snap.into_stream().await?;
            stream.confirm(c);
            stream
        }
    };
    let mut idle = IdleConfirm {
        path: record_path,
        source: &source,
        record,
        last: Instant::now(),
    };
    let result = stream_loop(&mut stream, options, stop, batcher, &mut idle, events).await;
    // whatever happened, complete transactions in hand are applied and confirmed
    let flushed = batcher.flush(Some(&stream)).await;
    stream.stop().await;
    result.and(flushed)
}

/// Confirms idle LSNs (past WAL holding nothing for us) — after recording
/// them in the source record, so the slot is never confirmed past what the
/// warehouse recorded (see [`plan`]).
struct IdleConfirm<'a> {
    path: &'a Path,
    source: &'a PgSource,
    record: SourceRecord,
    last: Instant,
}

impl IdleConfirm<'_> {
    /// At most once a second, when nothing is pending.
    fn maybe_confirm(&mut self, stream: &Stream, batcher: &Batcher) -> Result<()> {
        if batcher.first_pending.is_some() || self.last.elapsed() < Duration::from_secs(1) {
            return Ok(());
        }
        self.last = Instant::now();
        let idle = stream.status().idle;
        let recorded = self.record.confirmed_up_to.unwrap_or(0);
        if idle <= batcher.applied_position.max(recorded) {
            return Ok(());
        }
        self.record.confirmed_up_to = Some(idle);
        SourceRecord::write(self.path, self.source, &self.record)?;
        stream.confirm(idle);
        Ok(())
    }
}

async fn stream_loop(
    stream: &mut Stream,
    options: &PipelineOptions,
    stop: &AtomicBool,
    batcher: &mut Batcher,
    idle: &mut IdleConfirm<'_>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<()> {
    let max_delay = options.max_delay;
    let mut last_status = Instant::now();
    let mut last_status_changes = batcher.applied_changes;
    let mut last_activity = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let deadline = batcher
            .first_pending
            .map(|t| t + max_delay)
            .unwrap_or_else(|| Instant::now() + Duration::from_millis(200));
        let next = tokio::time::timeout_at(deadline.into(), stream.next()).await;
        match next {
            Ok(Some(Ok(tx))) => {
                batcher.builder.push(&tx)?;
                batcher.first_pending.get_or_insert_with(Instant::now);
                last_activity = Instant::now();
                if batcher.builder.changes() >= options.batch_changes {
                    batcher.flush(Some(stream)).await?;
                    // time spent applying is not idle time
                    last_activity = Instant::now();
                }
            }
            Ok(Some(Err(e))) => return Err(e),
            Ok(None) => {
                return Err(IngestError::StreamBroken {
                    message: "replication stream closed by the server".into(),
                })
            }
            Err(_) => {}
        }
        if batcher
            .first_pending
            .is_some_and(|t| t.elapsed() >= max_delay)
        {
            batcher.flush(Some(stream)).await?;
            last_activity = Instant::now();
        }
        idle.maybe_confirm(stream, batcher)?;
        if let Some(every) = options.status_every {
            if last_status.elapsed() >= every {
                let s = stream.status();
                let secs = last_status.elapsed().as_secs_f64();
                let rate = (batcher.applied_changes - last_status_changes) as f64 / secs;
                let behind =
                    s.received > batcher.applied_position || batcher.first_pending.is_some();
                let lag_seconds = if behind && batcher.applied_commit_ts > 0 {
                    (chrono::Utc::now().timestamp_micros() - batcher.applied_commit_ts).max(0)
                        as f64
                        / 1e6
                } else {
                    0.0
                };
                events(Event::Status(Status {
                    applied_changes: batcher.applied_changes,
                    rate,
                    warehouse_at: batcher.applied_position,
                    slot_confirmed: s.confirmed,
                    server_wal_end: s.server_wal_end,
                    lag_seconds,
                }));
                last_status = Instant::now();
                last_status_changes = batcher.applied_changes;
            }
        }
        if let Some(idle) = options.exit_when_idle {
            if batcher.first_pending.is_none() && last_activity.elapsed() >= idle {
                return Ok(());
            }
        }
    }
}

/// The tracked tables named by `names` (all when empty).
pub fn tables_of(
    warehouse: &Warehouse,
    names: &[String],
) -> Result<Vec<Arc<crossdock_change::TableDef>>> {
    let catalog = warehouse.catalog();
    if names.is_empty() {
        return Ok(catalog.tables().to_vec());
    }
    names
        .iter()
        .map(|n| {
            catalog
                .require(n.trim())
                .cloned()
                .map_err(IngestError::from)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_record_is_none_a_corrupt_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("source.json");
        assert_eq!(SourceRecord::read(&path, "1", "odoo").unwrap(), None);
        std::fs::write(&path, "{ not json").unwrap();
        let e = SourceRecord::read(&path, "1", "odoo").unwrap_err();
        assert!(matches!(e, IngestError::SourceRecord { .. }), "{e}");
        assert!(e.to_string().contains("corrupt"), "{e}");
        std::fs::write(
            &path,
            r#"{"kind":"postgres","system_identifier":"1","database":"odoo","slot":"s","consistent_point":"x"}"#,
        )
        .unwrap();
        let e = SourceRecord::read(&path, "1", "odoo").unwrap_err();
        assert!(e.to_string().contains("consistent_point"), "{e}");
        std::fs::write(
            &path,
            r#"{"kind":"postgres","system_identifier":"1","database":"odoo","slot":"s","consistent_point":42}"#,
        )
        .unwrap();
        assert_eq!(
            SourceRecord::read(&path, "1", "odoo").unwrap(),
            Some(SourceRecord {
                slot: "s".into(),
                consistent_point: Some(42),
                confirmed_up_to: None,
            })
        );
        let e = SourceRecord::read(&path, "2", "odoo").unwrap_err();
        assert!(e.to_string().contains("another source"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_record_is_an_error_not_none() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("source.json");
        // a directory where the file should be: reading fails with EISDIR
        // even as root (permission bits would not stop root)
        std::fs::create_dir(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
        let e = SourceRecord::read(&path, "1", "odoo").unwrap_err();
        assert!(e.to_string().contains("cannot be read"), "{e}");
    }
}
