//! `crossdock forecast backtest`: score the forecasting methods on a CSV.
//!
//! Thin: parse the options, read the series and run the backtest with
//! `crossdock_models::forecast`, print a table per demand class or one JSON
//! object.

use std::io::IsTerminal;

use crossdock_models::forecast::backtest::{self, Group, Report};
use crossdock_models::forecast::series::{self, Gaps};
use crossdock_models::forecast::{BacktestConfig, DemandClass, Method};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Map, Value};

use crate::output;
use crate::{BacktestArgs, CliError, ForecastArgs, ForecastCommand, InputFormat, Result};

pub fn run(args: ForecastArgs) -> Result<()> {
    match args.command {
        ForecastCommand::Backtest(args) => run_backtest(args),
    }
}

fn run_backtest(args: BacktestArgs) -> Result<()> {
    if args.horizon == 0 {
        return Err(CliError::Usage(
            "--horizon must be at least 1 (the periods held out and forecast)".into(),
        ));
    }
    if args.season == 0 {
        return Err(CliError::Usage(
            "--season must be at least 1 (1 = no season)".into(),
        ));
    }
    if !args.input.is_file() {
        return Err(CliError::Usage(format!(
            "--input {}: no such file",
            args.input.display()
        )));
    }
    let gaps = if args.blank_is_zero {
        Gaps::Zero
    } else {
        Gaps::Error
    };
    let data = match args.format {
        InputFormat::Wide => series::read_wide(&args.input, gaps)?,
        InputFormat::Long => series::read_long(&args.input, gaps)?,
    };
    if data.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: no series in the file",
            args.input.display()
        )));
    }
    let config = BacktestConfig {
        horizon: args.horizon,
        season: args.season,
        ..BacktestConfig::default()
    };
    // a progress bar only for long runs on a terminal
    let bar = (std::io::stderr().is_terminal() && data.len() >= 2000).then(|| {
        let bar = ProgressBar::new(data.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} series {eta}")
                .expect("a valid template"),
        );
        bar
    });
    let report = backtest::run_with_progress(&data, &config, |done, _| {
        if let Some(bar) = &bar {
            if done % 100 == 0 {
                bar.set_position(done as u64);
            }
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if report.series_used == 0 {
        return Err(CliError::Usage(format!(
            "no series could be scored: {} too short for --horizon {} (each needs more than {} observations, at least 2 before the held-out ones), {} constant before the held-out periods",
            report.skipped.too_short.len(),
            args.horizon,
            args.horizon,
            report.skipped.zero_scale.len()
        )));
    }
    let text = if args.json {
        serde_json::to_string_pretty(&to_json(&args, &report)).expect("reports serialize") + "\n"
    } else {
        table(&args, &report)
    };
    output::print_list(&text)
}

fn method_order() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Method::ALL.iter().map(|m| m.name()).collect();
    names.push("auto");
    names
}

fn group_json(g: &Group) -> Value {
    let mut out = Map::new();
    for name in method_order() {
        if let Some(s) = g.methods.get(name) {
            out.insert(
                name.to_string(),
                serde_json::to_value(s).expect("scores serialize"),
            );
        }
    }
    Value::Object(out)
}

fn to_json(args: &BacktestArgs, r: &Report) -> Value {
    let mut by_class = Map::new();
    let mut class_series = Map::new();
    for c in DemandClass::ALL {
        if let Some(g) = r.by_class.get(c.name()) {
            by_class.insert(c.name().to_string(), group_json(g));
            class_series.insert(c.name().to_string(), json!(g.series));
        }
    }
    json!({
        "input": args.input.display().to_string(),
        "horizon": r.horizon,
        "season": r.season,
        "series": {
            "total": r.series_total,
            "used": r.series_used,
            "skipped_too_short": r.skipped.too_short.len(),
            "skipped_zero_scale": r.skipped.zero_scale.len(),
            "by_class": class_series,
        },
        "skipped": r.skipped,
        "overall": group_json(&r.overall),
        "by_class": by_class,
        "auto_choices": r.auto_choices,
        "seconds": r.seconds,
        "seconds_methods": r.seconds_methods,
        "seconds_auto": r.seconds_auto,
    })
}

fn group_table(out: &mut String, title: &str, g: &Group) {
    out.push_str(&format!("\n{title} ({} series)\n", g.series));
    out.push_str(&format!(
        "  {:<18} {:>7} {:>7} {:>8} {:>7}\n",
        "method", "MASE", "RMSSE", "bias", "won"
    ));
    for name in method_order() {
        let Some(s) = g.methods.get(name) else {
            continue;
        };
        let bias = s
            .bias
            .map_or_else(|| "-".to_string(), |b| format!("{:+.1}%", 100.0 * b));
        let won = s
            .won_share
            .map_or_else(|| "-".to_string(), |w| format!("{:.1}%", 100.0 * w));
        out.push_str(&format!(
            "  {:<18} {:>7.3} {:>7.3} {:>8} {:>7}\n",
            name, s.mase, s.rmsse, bias, won
        ));
    }
}

fn table(args: &BacktestArgs, r: &Report) -> String {
    let mut out = format!(
        "{}: {} series, horizon {}, season {}; scored {}, skipped {} too short and {} constant before the held-out periods\nfitting and forecasting took {:.2} s ({:.2} s the {} methods, {:.2} s auto)\n",
        args.input.display(),
        r.series_total,
        r.horizon,
        r.season,
        r.series_used,
        r.skipped.too_short.len(),
        r.skipped.zero_scale.len(),
        r.seconds,
        r.seconds_methods,
        Method::ALL.len(),
        r.seconds_auto
    );
    out.push_str(
        "MASE, RMSSE: means over series (lower is better); bias: Σ(forecast − actual) / Σ actual; won: share of series with the lowest MASE\n",
    );
    group_table(&mut out, "overall", &r.overall);
    for c in DemandClass::ALL {
        if let Some(g) = r.by_class.get(c.name()) {
            group_table(&mut out, c.name(), g);
        }
    }
    let mut choices: Vec<(&String, &usize)> = r.auto_choices.iter().collect();
    choices.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    out.push_str("\nauto chose: ");
    out.push_str(
        &choices
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push('\n');
    out
}
