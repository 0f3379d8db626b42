//! `crossdock simulate`: run the built-in Odoo simulator into the warehouse.
//!
//! The simulator is deterministic, so resuming is replaying: transactions at
//! or before the warehouse's resume position are generated again and
//! skipped, and the applier ignores whatever a table already holds. The
//! simulator's settings are recorded in `_crossdock/source.json`; resuming
//! with different settings is refused.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossdock_change::ChangeBatchBuilder;
use crossdock_simulator::{Simulator, SimulatorConfig};
use crossdock_warehouse::{layout, ApplyOptions, Settings, Warehouse};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::{CliError, Result, SimulateArgs, SimulationArgs};

pub async fn run(data: &str, args: SimulateArgs) -> Result<()> {
    let stop = ctrl_c_flag();
    if let Some(url) = &args.postgres {
        let summary = crate::commands::simulate_pg::simulate_into_postgres(
            data, url, &args.sim, args.rate, stop,
        )
        .await?;
        eprintln!("{summary}");
        return Ok(());
    }
    let warehouse = Warehouse::open(data)?;
    let (summary, _) = simulate_into(&warehouse, &args.sim, args.speed, stop).await?;
    eprintln!("{summary}");
    Ok(())
}

/// Sets a flag on Ctrl-C / SIGTERM so long loops can stop after the current commit.
pub fn ctrl_c_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping after the current commit (Ctrl-C again to abort)");
            f.store(true, Ordering::SeqCst);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    flag
}

/// The simulator settings that identify a simulation, as JSON (recorded so a
/// resume with other settings is refused).
pub fn config_json(config: &SimulatorConfig) -> serde_json::Value {
    json!({
        "seed": config.seed,
        "days": config.days,
        "orders_per_day": config.orders_per_day,
        "products": config.products,
        "warehouses": config.warehouses,
        "second_company": config.second_company,
        "start": config.start.to_string(),
    })
}

/// The simulator settings recorded by [`config_json`], read back; an error
/// names the missing or malformed key.
pub fn config_from_json(v: &serde_json::Value) -> std::result::Result<SimulatorConfig, String> {
    let int = |k: &str| {
        v[k].as_u64()
            .ok_or_else(|| format!("the simulator record lacks a whole number {k:?}"))
    };
    let small = |k: &str| {
        int(k).and_then(|n| u32::try_from(n).map_err(|_| format!("{k:?} is too large: {n}")))
    };
    let start = v["start"]
        .as_str()
        .ok_or_else(|| "the simulator record lacks \"start\"".to_string())?;
    Ok(SimulatorConfig {
        seed: int("seed")?,
        days: small("days")?,
        orders_per_day: small("orders_per_day")?,
        products: small("products")?,
        warehouses: small("warehouses")?,
        second_company: v["second_company"]
            .as_bool()
            .ok_or_else(|| "the simulator record lacks \"second_company\"".to_string())?,
        start: chrono::NaiveDate::parse_from_str(start, "%Y-%m-%d")
            .map_err(|e| format!("\"start\" {start:?}: {e}"))?,
    })
}

/// Checks a pacing flag: 0 (flat out) or a positive finite number.
pub fn check_pace(flag: &str, value: f64) -> Result<()> {
    if value >= 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "--{flag} must be 0 (flat out) or a positive number, not {value}"
        )))
    }
}

pub fn config_of(args: &SimulationArgs) -> SimulatorConfig {
    SimulatorConfig {
        seed: args.seed,
        days: args.days,
        orders_per_day: args.orders_per_day,
        products: args.products,
        warehouses: args.warehouses,
        second_company: args.second_company,
        ..SimulatorConfig::default()
    }
}

/// Records which simulation fills the warehouse, or checks it is the same one.
fn check_source(warehouse: &Warehouse, config: &SimulatorConfig, data: &str) -> Result<()> {
    let path = layout::source_record_path(warehouse.root())?;
    let mut wanted = config_json(config);
    wanted["kind"] = json!("simulator");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let found: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                CliError::Usage(format!(
                    "{}: corrupt ({e}); it records which source fills {data}: restore it, or use --fresh (demo) or another --data directory",
                    path.display()
                ))
            })?;
            if found != wanted {
                return Err(CliError::Usage(format!(
                    "{data} already holds another source ({}); use --fresh (demo) or another --data directory",
                    found
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CliError::Io {
            path: path.clone(),
            source: e,
        }),
        Err(_) => {
            let io = |source| CliError::Io {
                path: path.clone(),
                source,
            };
            std::fs::create_dir_all(path.parent().expect("has parent")).map_err(io)?;
            // write then rename, so a kill never leaves half a file
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, serde_json::to_string_pretty(&wanted).expect("json"))
                .and_then(|_| std::fs::rename(&tmp, &path))
                .map_err(|source| CliError::Io {
                    path: path.clone(),
                    source,
                })
        }
    }
}

/// Writes the simulated channels' discount policies into the warehouse's
/// settings (the KPIs need them), unless it has settings already.
pub fn save_channel_policies(warehouse: &Warehouse, sim: &Simulator) -> Result<()> {
    if layout::settings_path(warehouse.root())?.exists() {
        return Ok(());
    }
    let mut settings = Settings::default();
    for p in sim.channel_policies() {
        settings
            .channel_max_discount_percent
            .insert(p.name.clone(), p.max_discount_percent);
    }
    Ok(warehouse.save_settings(&settings)?)
}

/// Runs the simulator into the warehouse until the simulated period ends (or
/// `stop` is set). `speed` = simulated seconds per real second, 0 = flat out.
/// Returns a one-line summary, and the simulator as it ended (for what is
/// derived from its records, such as the demo's inbox).
pub async fn simulate_into(
    warehouse: &Warehouse,
    args: &SimulationArgs,
    speed: f64,
    stop: Arc<AtomicBool>,
) -> Result<(String, Simulator)> {
    check_pace("speed", speed)?;
    if args.batch_changes == 0 {
        return Err(CliError::Usage("--batch-changes must be at least 1".into()));
    }
    let config = config_of(args);
    let mut sim = Simulator::new(config.clone())?;
    check_source(warehouse, &config, warehouse.root().as_ref())?;
    save_channel_policies(warehouse, &sim)?;
    let resume = warehouse.resume_position().await?;
    let mut applier = warehouse.applier(ApplyOptions::default());
    let mut builder = ChangeBatchBuilder::new();

    let total_days = config.days as u64;
    let bar = ProgressBar::new(total_days);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulating [{bar:30}] day {pos}/{len} {msg} ({elapsed})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    if resume > 0 {
        bar.println(format!(
            "resuming: the warehouse already holds everything up to position {resume}"
        ));
    }
    let start_of_period = config
        .start
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_micros();
    let started = Instant::now();
    let mut first_sim_ts: Option<i64> = None;
    let mut last_flush = Instant::now();
    let mut applied_changes = 0usize;
    let mut skipped = 0usize;
    let mut transactions = 0usize;
    while let Some(tx) = sim.next_transaction() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        transactions += 1;
        let day = ((tx.commit_ts - start_of_period).max(0) / 86_400_000_000) as u64;
        bar.set_position(day.min(total_days));
        if tx.position <= resume {
            skipped += 1;
            continue;
        }
        if speed > 0.0 {
            let first = *first_sim_ts.get_or_insert(tx.commit_ts);
            let due = Duration::from_secs_f64((tx.commit_ts - first) as f64 / 1e6 / speed);
            let elapsed = started.elapsed();
            if due > elapsed {
                // flush what we have before sleeping, so the warehouse stays fresh
                if builder.changes() > 0 {
                    applied_changes += flush(&mut applier, &mut builder).await?;
                    last_flush = Instant::now();
                }
                tokio::time::sleep(due - elapsed).await;
            }
        }
        builder.push(&tx)?;
        if builder.changes() >= args.batch_changes
            || (speed > 0.0 && last_flush.elapsed() >= Duration::from_secs(1))
        {
            applied_changes += flush(&mut applier, &mut builder).await?;
            last_flush = Instant::now();
            let secs = started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{applied_changes} changes applied, {:.0}/s",
                applied_changes as f64 / secs
            ));
        }
    }
    if builder.changes() > 0 || builder.transactions() > 0 {
        applied_changes += flush(&mut applier, &mut builder).await?;
    }
    bar.set_message("compacting");
    applier.compact_all().await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let stopped = if stop.load(Ordering::SeqCst) {
        " (stopped early; run again to resume)"
    } else {
        ""
    };
    let summary = format!(
        "simulated {} days (seed {}): {transactions} transactions, {applied_changes} row changes applied{}, in {secs:.1} s{stopped}",
        config.days,
        config.seed,
        if skipped > 0 {
            format!(", {skipped} transactions already in the warehouse")
        } else {
            String::new()
        },
    );
    Ok((summary, sim))
}

async fn flush(
    applier: &mut crossdock_warehouse::Applier,
    builder: &mut ChangeBatchBuilder,
) -> Result<usize> {
    let batch = builder.finish()?;
    let report = applier.apply(&batch).await?;
    Ok(report.changes_logged)
}
