//! `crossdock ingest --postgres URL`: change-data capture from Odoo's
//! PostgreSQL into the warehouse, exactly once.
//!
//! 1. Set-up checks (wal_level, replica identity, ...), publication.
//! 2. Which source fills the warehouse is recorded in
//!    `_crossdock/source.json` (kind `postgres`, cluster id, database, slot,
//!    and the slot's consistent point). A warehouse filled by another source
//!    is refused.
//! 3. [`crossdock_ingest::postgres::source::plan`]: stream from the
//!    warehouse's position when it holds a complete snapshot from the
//!    current slot, else take a (new) snapshot. Before a slot is created the
//!    record says "snapshot pending"; once created, it holds the consistent
//!    point, written before anything from the snapshot is applied.
//! 4. Transactions are gathered into batches (at most `--batch-changes`
//!    rows, at most `--max-delay-ms` old) and applied; after each apply the
//!    slot may be confirmed up to the batch's end position.
//! 5. Ctrl-C / SIGTERM: the batch in hand is applied and confirmed, then it
//!    stops. A broken stream (PostgreSQL restarting) is reconnected with
//!    back-off from the warehouse's position.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossdock_ingest::postgres::source::{plan, PgSource, Plan, SourceOptions, Stream};
use crossdock_ingest::postgres::{format_lsn, PgUrl};
use crossdock_ingest::{ChangeBatchBuilder, IngestError, TableDef};
use crossdock_warehouse::{Applier, ApplyOptions, Warehouse};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::{CliError, IngestArgs, Result};

/// Sets a flag on Ctrl-C or SIGTERM (a second one exits at once).
pub fn stop_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            #[cfg(unix)]
            let got = match term.as_mut() {
                Some(t) => tokio::select! {
                    r = tokio::signal::ctrl_c() => r.is_ok(),
                    r = t.recv() => r.is_some(),
                },
                None => tokio::signal::ctrl_c().await.is_ok(),
            };
            #[cfg(not(unix))]
            let got = tokio::signal::ctrl_c().await.is_ok();
            if !got {
                return;
            }
            if f.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\nstopping after the current commit (again to abort)");
        }
    });
    flag
}

/// The tracked tables named by `--tables` (all when empty).
pub fn tables_of(warehouse: &Warehouse, names: &[String]) -> Result<Vec<Arc<TableDef>>> {
    let catalog = warehouse.catalog();
    if names.is_empty() {
        return Ok(catalog.tables().to_vec());
    }
    names
        .iter()
        .map(|n| catalog.require(n.trim()).cloned().map_err(CliError::from))
        .collect()
}

fn source_file(warehouse: &Warehouse) -> Result<PathBuf> {
    warehouse
        .root()
        .to_file_path()
        .map(|p| p.join("_crossdock").join("source.json"))
        .map_err(|_| {
            CliError::Usage(
                "ingest --postgres needs a local warehouse directory for now (--data DIR)".into(),
            )
        })
}

/// What `_crossdock/source.json` says about a PostgreSQL source.
#[derive(Debug, Clone)]
struct Recorded {
    slot: String,
    consistent_point: Option<u64>,
}

fn read_record(
    path: &std::path::Path,
    system_id: &str,
    database: &str,
) -> Result<Option<Recorded>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(_) => return Ok(None),
    };
    let found: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let same = found["kind"] == "postgres"
        && found["system_identifier"] == system_id
        && found["database"] == database;
    if !same {
        return Err(CliError::Usage(format!(
            "{} already holds another source ({found}); use another --data directory",
            path.parent()
                .and_then(|p| p.parent())
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )));
    }
    Ok(Some(Recorded {
        slot: found["slot"].as_str().unwrap_or_default().to_string(),
        consistent_point: found["consistent_point"].as_u64(),
    }))
}

fn write_record(
    path: &std::path::Path,
    source: &PgSource,
    consistent_point: Option<u64>,
) -> Result<()> {
    let pre = source.preflight();
    let value = json!({
        "kind": "postgres",
        "system_identifier": pre.system_identifier,
        "database": pre.database,
        "slot": source.options().slot,
        "publication": source.options().publication,
        "consistent_point": consistent_point,
    });
    let io = |source| CliError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(path.parent().expect("has a parent")).map_err(io)?;
    let tmp = path.with_extension("json.tmp");
    // write, sync, rename: a crash leaves the old record or the new one
    let f = std::fs::File::create(&tmp).map_err(io)?;
    use std::io::Write;
    let mut w = std::io::BufWriter::new(f);
    w.write_all(
        serde_json::to_string_pretty(&value)
            .expect("json")
            .as_bytes(),
    )
    .map_err(io)?;
    w.into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
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
}

pub async fn run(data: &str, args: IngestArgs) -> Result<()> {
    if args.batch_changes == 0 {
        return Err(CliError::Usage("--batch-changes must be at least 1".into()));
    }
    let warehouse = Warehouse::open(data)?;
    let url = PgUrl::parse(&args.postgres)?;
    let mut opts = SourceOptions::new(tables_of(&warehouse, &args.tables)?);
    opts.slot = args.slot.clone();
    opts.publication = args.publication.clone();
    opts.snapshot_chunk_rows = args.chunk_rows.max(1);
    let record_path = source_file(&warehouse)?;
    let stop = stop_flag();
    let mut batcher = Batcher {
        applier: warehouse.applier(ApplyOptions::default()),
        builder: ChangeBatchBuilder::new(),
        first_pending: None,
        applied_changes: 0,
        applied_transactions: 0,
        applied_position: 0,
        applied_commit_ts: 0,
    };
    let started = Instant::now();
    let mut attempt = 0u32;
    loop {
        let session_started = Instant::now();
        let result = session(
            &warehouse,
            &url,
            &opts,
            &args,
            &record_path,
            &stop,
            &mut batcher,
        )
        .await;
        match result {
            Ok(()) => break,
            Err(e) if !is_transient(&e) || stop.load(Ordering::SeqCst) => return Err(e),
            Err(e) => {
                // complete transactions in hand are still good
                batcher.flush(None).await?;
                // a session that ran a while was a success: back off afresh
                if session_started.elapsed() > Duration::from_secs(60) {
                    attempt = 0;
                }
                attempt = (attempt + 1).min(5);
                let wait = Duration::from_millis((500u64 << attempt.min(5)).min(10_000));
                eprintln!("{e}; reconnecting in {:.1} s", wait.as_secs_f64());
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
    eprintln!(
        "ingested {} transactions, {} row changes in {:.1} s; the warehouse holds everything up to {}",
        batcher.applied_transactions,
        batcher.applied_changes,
        started.elapsed().as_secs_f64(),
        format_lsn(warehouse.resume_position().await?)
    );
    Ok(())
}

/// Errors worth reconnecting for: the connection or stream broke.
fn is_transient(e: &CliError) -> bool {
    let text = e.to_string();
    matches!(e, CliError::Ingest(IngestError::Postgres { .. }))
        && (text.contains("connect")
            || text.contains("replication stream")
            || text.contains("io error")
            || text.contains("closed")
            || text.contains("shutting down")
            || text.contains("starting up")
            || text.contains("in use by another session"))
}

#[allow(clippy::too_many_arguments)]
async fn session(
    warehouse: &Warehouse,
    url: &PgUrl,
    opts: &SourceOptions,
    args: &IngestArgs,
    record_path: &std::path::Path,
    stop: &Arc<AtomicBool>,
    batcher: &mut Batcher,
) -> Result<()> {
    let source = PgSource::connect(url, opts.clone()).await?;
    for w in &source.preflight().warnings {
        eprintln!("note: {w}");
    }
    let pre = source.preflight().clone();
    let recorded = read_record(record_path, &pre.system_identifier, &pre.database)?;
    let resume = warehouse.resume_position().await?;
    let consistent_point = recorded
        .as_ref()
        .filter(|r| r.slot == opts.slot)
        .and_then(|r| r.consistent_point);
    let slot = source.slot().await?;
    batcher.applied_position = batcher.applied_position.max(resume);
    let mut stream = match plan(resume, consistent_point, slot.as_ref()) {
        Plan::Stream { from } => {
            eprintln!(
                "resuming from {} (slot {}, PostgreSQL {} at {})",
                format_lsn(from),
                opts.slot,
                pre.server_version,
                url.display()
            );
            source.stream(from).await?
        }
        Plan::Snapshot { reason } => {
            eprintln!("{reason}");
            write_record(record_path, &source, None)?;
            let mut snap = source.snapshot(resume).await?;
            let c = snap.consistent_point();
            write_record(record_path, &source, Some(c))?;
            let total = snap.total_rows();
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} snapshot [{bar:30}] {pos}/{len} rows {msg} ({elapsed}, eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.println(format!(
                "copying {total} rows of {} tables as of {} ({})",
                snap.table_rows().len(),
                format_lsn(c),
                url.display()
            ));
            while let Some(tx) = snap.next().await? {
                if stop.load(Ordering::SeqCst) {
                    bar.abandon_with_message(
                        "stopped: the snapshot is taken again on the next run",
                    );
                    batcher.flush(None).await?;
                    return Ok(());
                }
                batcher.builder.push(&tx)?;
                bar.set_position(snap.copied_rows());
                if batcher.builder.changes() >= args.batch_changes {
                    batcher.flush(None).await?;
                }
            }
            batcher.flush(None).await?;
            bar.finish_and_clear();
            eprintln!(
                "snapshot copied: {total} rows; streaming from {}",
                format_lsn(c)
            );
            let stream = snap.into_stream().await?;
            stream.confirm(c);
            stream
        }
    };
    let result = stream_loop(&mut stream, args, stop, batcher).await;
    // whatever happened, complete transactions in hand are applied and confirmed
    let flushed = batcher.flush(Some(&stream)).await;
    stream.stop().await;
    result.and(flushed)
}

async fn stream_loop(
    stream: &mut Stream,
    args: &IngestArgs,
    stop: &Arc<AtomicBool>,
    batcher: &mut Batcher,
) -> Result<()> {
    let max_delay = Duration::from_millis(args.max_delay_ms);
    let status_every =
        (args.status_every > 0.0).then(|| Duration::from_secs_f64(args.status_every));
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
                if batcher.builder.changes() >= args.batch_changes {
                    batcher.flush(Some(stream)).await?;
                    // time spent applying is not idle time
                    last_activity = Instant::now();
                }
            }
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(None) => {
                return Err(CliError::Ingest(IngestError::Postgres {
                    message: "replication stream closed by the server".into(),
                }))
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
        if let Some(every) = status_every {
            if last_status.elapsed() >= every {
                let s = stream.status();
                let secs = last_status.elapsed().as_secs_f64();
                let rate = (batcher.applied_changes - last_status_changes) as f64 / secs;
                let behind =
                    s.received > batcher.applied_position || batcher.first_pending.is_some();
                let lag_s = if behind && batcher.applied_commit_ts > 0 {
                    (chrono::Utc::now().timestamp_micros() - batcher.applied_commit_ts).max(0)
                        as f64
                        / 1e6
                } else {
                    0.0
                };
                eprintln!(
                    "{} changes applied ({rate:.0}/s), warehouse at {}, slot confirmed {}, \
                     server at {} ({} KB behind), lag {lag_s:.1} s",
                    batcher.applied_changes,
                    format_lsn(batcher.applied_position),
                    format_lsn(s.confirmed),
                    format_lsn(s.server_wal_end),
                    s.server_wal_end.saturating_sub(s.confirmed) / 1024,
                );
                last_status = Instant::now();
                last_status_changes = batcher.applied_changes;
            }
        }
        if let Some(idle) = args.exit_when_idle {
            if batcher.first_pending.is_none()
                && last_activity.elapsed() >= Duration::from_secs_f64(idle)
            {
                return Ok(());
            }
        }
    }
}
