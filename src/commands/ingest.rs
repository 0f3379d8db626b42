//! `crossdock ingest --postgres URL`: change-data capture from Odoo's
//! PostgreSQL into the warehouse, exactly once. The pipeline itself is
//! [`crossdock_ingest::pipeline`]; this module parses nothing and decides
//! nothing: it wires the options and prints the pipeline's events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossdock_ingest::pipeline::{self, Event, PipelineOptions};
use crossdock_ingest::postgres::{format_lsn, PgUrl, SourceOptions};
use crossdock_ingest::IngestError;
use crossdock_warehouse::Warehouse;
use indicatif::{ProgressBar, ProgressStyle};

use crate::{IngestArgs, Result};

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

/// Runs `crossdock ingest`.
pub async fn run(data: &str, args: IngestArgs) -> Result<()> {
    let warehouse = Warehouse::open(data)?;
    let url = PgUrl::parse(&args.postgres)?;
    let mut source = SourceOptions::new(pipeline::tables_of(&warehouse, &args.tables)?);
    source.slot = args.slot.clone();
    source.publication = args.publication.clone();
    source.snapshot_chunk_rows = args.chunk_rows.max(1);
    let mut options = PipelineOptions::new(source);
    options.batch_changes = args.batch_changes;
    options.max_delay = Duration::from_millis(args.max_delay_ms);
    options.status_every =
        (args.status_every > 0.0).then(|| Duration::from_secs_f64(args.status_every));
    options.exit_when_idle = args.exit_when_idle.map(Duration::from_secs_f64);
    options.resnapshot = args.resnapshot;
    let stop = stop_flag();
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let summary = pipeline::run(&warehouse, &url, &options, &stop, &mut |event| {
        print_event(event, &mut bar)
    })
    .await?;
    eprintln!(
        "ingested {} transactions, {} row changes in {:.1} s; the warehouse holds everything up to {}",
        summary.transactions,
        summary.changes,
        started.elapsed().as_secs_f64(),
        format_lsn(summary.position)
    );
    Ok(())
}

fn print_event(event: Event<'_>, bar: &mut Option<ProgressBar>) {
    match event {
        Event::Note(text) => eprintln!("note: {text}"),
        Event::Resuming {
            from,
            slot,
            server_version,
            target,
        } => eprintln!(
            "resuming from {} (slot {slot}, PostgreSQL {server_version} at {target})",
            format_lsn(from)
        ),
        Event::SnapshotPlanned { reason } => eprintln!("{reason}"),
        Event::SnapshotStarted {
            total_rows,
            tables,
            consistent_point,
            target,
        } => {
            let b = ProgressBar::new(total_rows);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} snapshot [{bar:30}] {pos}/{len} rows {msg} ({elapsed}, eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            b.println(format!(
                "copying {total_rows} rows of {tables} tables as of {} ({target})",
                format_lsn(consistent_point)
            ));
            *bar = Some(b);
        }
        Event::SnapshotProgress { copied_rows } => {
            if let Some(b) = bar {
                b.set_position(copied_rows);
            }
        }
        Event::SnapshotStopped => {
            if let Some(b) = bar.take() {
                b.abandon_with_message("stopped: the snapshot is taken again on the next run");
            }
        }
        Event::SnapshotDone {
            total_rows,
            consistent_point,
        } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            eprintln!(
                "snapshot copied: {total_rows} rows; streaming from {}",
                format_lsn(consistent_point)
            );
        }
        Event::Status(s) => eprintln!(
            "{} changes applied ({:.0}/s), warehouse at {}, slot confirmed {}, \
             server at {} ({} KB behind), lag {:.1} s",
            s.applied_changes,
            s.rate,
            format_lsn(s.warehouse_at),
            format_lsn(s.slot_confirmed),
            format_lsn(s.server_wal_end),
            s.server_wal_end.saturating_sub(s.slot_confirmed) / 1024,
            s.lag_seconds,
        ),
        Event::Reconnecting {
            error,
            discarded_changes,
            wait,
        } => {
            if let Some(b) = bar.take() {
                b.abandon();
            }
            let again = if discarded_changes > 0 {
                format!(" ({discarded_changes} changes not yet applied will be streamed again)")
            } else {
                String::new()
            };
            let full = match error {
                IngestError::Warehouse(e) if e.is_storage_full() => {
                    "the warehouse's storage is full — waiting for space (nothing partial is kept): "
                }
                _ => "",
            };
            eprintln!(
                "{full}{error}{again}; reconnecting in {:.1} s",
                wait.as_secs_f64()
            );
        }
    }
}
