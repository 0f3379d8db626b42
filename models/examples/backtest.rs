//! Tuning aid: the backtest on a wide CSV, with auto's settings from the
//! command line.
//!
//! `cargo run -p crossdock-models --release --example backtest -- FILE H SEASON [windows combine mase_weight candidates recent min_recent_share]`

use std::path::Path;

use crossdock_models::forecast::{backtest, series, BacktestConfig};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = args
        .get(1)
        .expect("FILE H SEASON [windows combine mase_weight candidates recent min_recent_share]");
    let h: usize = args.get(2).map_or(6, |v| v.parse().expect("H"));
    let season: usize = args.get(3).map_or(12, |v| v.parse().expect("SEASON"));
    let mut data = series::read_wide(Path::new(file), series::Gaps::Error).expect("read");
    // SPLIT=0 / SPLIT=1: only the even / odd rows, to check a setting on
    // series it was not chosen on
    if let Ok(split) = std::env::var("SPLIT") {
        let k: usize = split.parse().expect("SPLIT");
        data = data
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == k)
            .map(|(_, s)| s)
            .collect();
    }
    let mut config = BacktestConfig {
        horizon: h,
        season,
        ..BacktestConfig::default()
    };
    if let Some(v) = args.get(4) {
        config.auto.windows = v.parse().expect("windows");
    }
    if let Some(v) = args.get(5) {
        config.auto.combine = v.parse().expect("combine");
    }
    if let Some(v) = args.get(6) {
        config.auto.mase_weight = v.parse().expect("mase_weight");
    }
    if let Some(v) = args.get(7) {
        config.auto.candidates = Some(
            v.split(',')
                .map(|n| crossdock_models::forecast::Method::from_name(n).expect("method"))
                .collect(),
        );
    }
    if let Some(v) = args.get(8) {
        config.auto.recent = v.parse().expect("recent");
    }
    if let Some(v) = args.get(9) {
        config.auto.min_recent_share = v.parse().expect("min_recent_share");
    }
    // METHODS=a,b: backtest only these (e.g. to time one)
    if let Ok(list) = std::env::var("METHODS") {
        config.methods = list
            .split(',')
            .map(|n| crossdock_models::forecast::Method::from_name(n).expect("method"))
            .collect();
    }
    let r = backtest::run(&data, &config).expect("backtest");
    println!(
        "series {} used {} too_short {} zero_scale {} seconds {:.3} (methods {:.3}, auto {:.3})",
        r.series_total,
        r.series_used,
        r.skipped.too_short.len(),
        r.skipped.zero_scale.len(),
        r.seconds,
        r.seconds_methods,
        r.seconds_auto
    );
    let mut groups = vec![("overall".to_string(), &r.overall)];
    for (k, g) in &r.by_class {
        groups.push((k.clone(), g));
    }
    for (name, g) in groups {
        println!("== {name} ({} series)", g.series);
        for (m, s) in &g.methods {
            println!(
                "{m:<20} mase {:.4} rmsse {:.4} bias {:>8} won {:.3}",
                s.mase,
                s.rmsse,
                s.bias.map_or("-".into(), |b| format!("{b:.3}")),
                s.won_share.unwrap_or(f64::NAN)
            );
        }
    }
    let mut choices: Vec<_> = r.auto_choices.iter().collect();
    choices.sort_by(|a, b| b.1.cmp(a.1));
    println!("auto chose: {choices:?}");
}
