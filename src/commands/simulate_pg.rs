//! `crossdock simulate --postgres URL [--rate N]`: the simulator writes to a
//! real PostgreSQL database instead of the warehouse — one SQL transaction
//! per business operation, as Odoo's ORM would — so `crossdock ingest` has
//! something real to capture.
//!
//! The tracked Odoo tables are created when the database has none of them
//! ([`crossdock_ingest::postgres::ddl`]). The simulator's progress is kept
//! in `crossdock_simulator` (not an Odoo table, not published), updated in
//! the same SQL transaction as the data, so a run stopped or killed at any
//! point resumes with nothing written twice; resuming with other settings
//! is refused.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossdock_ingest::postgres::{ddl, PgUrl, PgWriter};
use crossdock_ingest::IngestError;
use crossdock_simulator::Simulator;
use crossdock_warehouse::Warehouse;
use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::simulate::{check_pace, config_json, config_of, save_channel_policies};
use crate::{CliError, Result, SimulationArgs};

fn pg(message: String) -> CliError {
    CliError::Ingest(IngestError::Setup { message })
}

/// Runs the simulator into PostgreSQL at `url`, `rate` transactions per
/// second (0: flat out), until the simulated period ends or `stop` is set.
/// Saves the channel discount policy in the warehouse at `data` when it has
/// none (the KPIs need it). Returns a one-line summary.
pub async fn simulate_into_postgres(
    data: &str,
    url: &str,
    args: &SimulationArgs,
    rate: f64,
    stop: Arc<AtomicBool>,
) -> Result<String> {
    check_pace("rate", rate)?;
    let config = config_of(args);
    let mut sim = Simulator::new(config.clone())?;
    let url = PgUrl::parse(url)?;
    let client = url.connect().await?;
    let created = ddl::create_tables(&client).await?;
    if let ddl::Created::Created {
        deferred_foreign_keys,
    } = created
    {
        eprintln!(
            "created the tracked Odoo tables in {} ({deferred_foreign_keys} foreign keys deferred to commit)",
            url.display()
        );
    }
    let wanted = config_json(&config).to_string();
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS crossdock_simulator (\
               id int4 PRIMARY KEY CHECK (id = 1), config text NOT NULL, position int8 NOT NULL)",
        )
        .await
        .map_err(|e| pg(format!("creating crossdock_simulator: {e}")))?;
    let row = client
        .query_opt(
            "SELECT config, position FROM crossdock_simulator WHERE id = 1",
            &[],
        )
        .await
        .map_err(|e| pg(format!("reading crossdock_simulator: {e}")))?;
    let resume: u64 = match row {
        Some(r) => {
            let found: String = r.get(0);
            if found != wanted {
                return Err(CliError::Usage(format!(
                    "{} already holds another simulation ({found}); use another database",
                    url.display()
                )));
            }
            r.get::<_, i64>(1) as u64
        }
        None => {
            client
                .execute(
                    "INSERT INTO crossdock_simulator (id, config, position) VALUES (1, $1, 0)",
                    &[&wanted],
                )
                .await
                .map_err(|e| pg(format!("writing crossdock_simulator: {e}")))?;
            0
        }
    };
    save_channel_policies(&Warehouse::open(data)?, &sim)?;
    let writer = PgWriter::new(client);
    let bar = ProgressBar::new(config.days as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulating into PostgreSQL [{bar:30}] day {pos}/{len} {msg} ({elapsed})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    if resume > 0 {
        bar.println(format!("resuming after transaction {resume}"));
    }
    let start_of_period = config
        .start
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_micros();
    let started = Instant::now();
    let (mut written, mut changes) = (0u64, 0u64);
    while let Some(tx) = sim.next_transaction() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if tx.position <= resume {
            continue;
        }
        if rate > 0.0 {
            let due = Duration::from_secs_f64(written as f64 / rate);
            let elapsed = started.elapsed();
            if due > elapsed {
                tokio::time::sleep(due - elapsed).await;
            }
        }
        writer
            .apply(
                &tx,
                &format!(
                    "UPDATE crossdock_simulator SET position = {} WHERE id = 1;",
                    tx.position
                ),
            )
            .await?;
        written += 1;
        changes += tx.changes.len() as u64;
        if written % 100 == 0 {
            let day = ((tx.commit_ts - start_of_period).max(0) / 86_400_000_000) as u64;
            bar.set_position(day.min(config.days as u64));
            bar.set_message(format!(
                "{written} transactions, {:.0} changes/s",
                changes as f64 / started.elapsed().as_secs_f64().max(1e-3)
            ));
        }
    }
    bar.finish_and_clear();
    // The simulator chooses ids itself: move every id sequence past them, so
    // another writer (Odoo, a script) using the defaults does not collide.
    let advance: String = crossdock_change::Catalog::odoo17()
        .tables()
        .iter()
        .filter(|t| t.column_index("id").is_some())
        .map(|t| {
            format!(
                "SELECT setval(pg_get_serial_sequence('{0}', 'id'), GREATEST((SELECT max(id) FROM {0}), 1));\n",
                t.name
            )
        })
        .collect();
    writer
        .client()
        .batch_execute(&advance)
        .await
        .map_err(|e| pg(format!("advancing the id sequences: {e}")))?;
    let stopped = if stop.load(Ordering::SeqCst) {
        " (stopped early; run again to resume)"
    } else {
        ""
    };
    Ok(format!(
        "simulated {} days (seed {}) into PostgreSQL {}: {written} transactions, {changes} row changes in {:.1} s{stopped}",
        config.days,
        config.seed,
        url.display(),
        started.elapsed().as_secs_f64()
    ))
}
