//! The holdout backtest: for each series, fit on all but the last H
//! observations, forecast those H, score.
//!
//! Scores, M5 style, per series then averaged over the series of a group
//! (a demand class, or all):
//!
//! - **MASE** = mean |f − a| over the horizon / mean |yₜ − yₜ₋₁| in sample;
//! - **RMSSE** = √(mean (f − a)² over the horizon / mean (yₜ − yₜ₋₁)² in sample);
//! - **bias** = Σ (f − a) / Σ a over every series and period of the group: the
//!   share by which the forecasts over- (+) or under- (−) state the demand
//!   that came, what a planner sees in stock; `null` when the group had no
//!   demand in the test window. **scaled_bias** = the mean over series of
//!   mean (f − a) / (in-sample MAE scale), which weights series equally;
//! - **won_share** = the share of series on which the method had the lowest
//!   MASE among the single methods (ties split evenly); **won_share_rmsse**
//!   the same on RMSSE. `auto` is not a competitor in these shares.
//!
//! The demand class is that of the *training* part (what a planner knows
//! when forecasting).
//!
//! Series that cannot be scored are counted, never dropped silently:
//! **too short** — fewer than 2 training observations (no in-sample naive
//! error) or not more than H observations at all; **zero scale** — the
//! training part is constant, so the naive error and MASE's denominator are
//! 0. Both lists are in [`Report::skipped`].

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::auto::{self, AutoConfig};
use super::classify::{classify, ClassifyConfig, DemandClass};
use super::methods::Method;
use super::series::Series;
use super::{Error, Result};

/// What [`run`] does.
#[derive(Debug, Clone)]
pub struct BacktestConfig {
    /// H: periods held out and forecast (≥ 1).
    pub horizon: usize,
    /// Season length (1 = none; 12 for months).
    pub season: usize,
    /// The single methods scored (and offered to `auto`).
    pub methods: Vec<Method>,
    /// The classification thresholds.
    pub classify: ClassifyConfig,
    /// crossdock's per-series choice.
    pub auto: AutoConfig,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            horizon: 6,
            season: 12,
            methods: Method::ALL.to_vec(),
            classify: ClassifyConfig::default(),
            auto: AutoConfig::default(),
        }
    }
}

/// Scores of one method over a group of series.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Scores {
    /// Mean MASE over the group's series.
    pub mase: f64,
    /// Mean RMSSE.
    pub rmsse: f64,
    /// Σ (f − a) / Σ a (`None` when Σ a = 0).
    pub bias: Option<f64>,
    /// Mean of mean (f − a) / scale.
    pub scaled_bias: f64,
    /// Share of series won on MASE (single methods only; `None` for auto).
    pub won_share: Option<f64>,
    /// Share of series won on RMSSE.
    pub won_share_rmsse: Option<f64>,
    /// Series scored.
    pub series: usize,
}

/// Scores of every method (and `auto`) over a group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Group {
    /// Series in the group.
    pub series: usize,
    /// Method name (and `auto`) → scores.
    pub methods: BTreeMap<String, Scores>,
}

/// A series that was not scored, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkippedSeries {
    /// Its id.
    pub id: String,
    /// Its length.
    pub length: usize,
}

/// The series not scored.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Skipped {
    /// Too short for the horizon (see the module doc).
    pub too_short: Vec<SkippedSeries>,
    /// Constant training part: in-sample naive error 0.
    pub zero_scale: Vec<SkippedSeries>,
}

/// The backtest's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// H.
    pub horizon: usize,
    /// Season length.
    pub season: usize,
    /// Series in the input.
    pub series_total: usize,
    /// Series scored.
    pub series_used: usize,
    /// Series not scored, by reason.
    pub skipped: Skipped,
    /// All scored series.
    pub overall: Group,
    /// By demand class (of the training part); classes without series are left out.
    pub by_class: BTreeMap<String, Group>,
    /// How often auto chose each candidate.
    pub auto_choices: BTreeMap<String, usize>,
    /// Seconds spent fitting and forecasting (all methods and auto).
    pub seconds: f64,
    /// Of which the single methods.
    pub seconds_methods: f64,
    /// Of which auto (its rolling-origin windows and final fit).
    pub seconds_auto: f64,
}

/// One series' errors for one forecaster.
#[derive(Debug, Clone, Copy, Default)]
struct Err1 {
    mase: f64,
    rmsse: f64,
    sum_err: f64,
    scaled_err: f64,
}

fn score(f: &[f64], a: &[f64], scale_mae: f64, scale_mse: f64) -> Err1 {
    let h = a.len() as f64;
    let (mut ae, mut se, mut e) = (0.0, 0.0, 0.0);
    for (fi, ai) in f.iter().zip(a) {
        let d = fi - ai;
        ae += d.abs();
        se += d * d;
        e += d;
    }
    Err1 {
        mase: ae / h / scale_mae,
        rmsse: (se / h / scale_mse).sqrt(),
        sum_err: e,
        scaled_err: e / h / scale_mae,
    }
}

/// The in-sample one-step naive scales (mean |Δy|, mean Δy²) of a training part.
pub fn naive_scales(train: &[f64]) -> (f64, f64) {
    let k = (train.len() - 1) as f64;
    let (mut a, mut s) = (0.0, 0.0);
    for w in train.windows(2) {
        let d = w[1] - w[0];
        a += d.abs();
        s += d * d;
    }
    (a / k, s / k)
}

struct Scored {
    class: DemandClass,
    actual_sum: f64,
    errs: Vec<Err1>, // one per method, then auto last
}

#[derive(Default)]
struct Acc {
    n: usize,
    mase: f64,
    rmsse: f64,
    sum_err: f64,
    scaled: f64,
    won: f64,
    won_r: f64,
}

fn aggregate(rows: &[&Scored], methods: &[Method]) -> Group {
    let k = methods.len();
    let mut acc: Vec<Acc> = (0..=k).map(|_| Acc::default()).collect();
    let mut actual = 0.0;
    for r in rows {
        actual += r.actual_sum;
        for (i, e) in r.errs.iter().enumerate() {
            let a = &mut acc[i];
            a.n += 1;
            a.mase += e.mase;
            a.rmsse += e.rmsse;
            a.sum_err += e.sum_err;
            a.scaled += e.scaled_err;
        }
        // winners among the single methods, ties split
        for (metric, pick) in [(0, 0usize), (1, 1)] {
            let val = |e: &Err1| if metric == 0 { e.mase } else { e.rmsse };
            let best = r.errs[..k].iter().map(val).fold(f64::INFINITY, f64::min);
            let ties: Vec<usize> = (0..k)
                .filter(|&i| (val(&r.errs[i]) - best).abs() <= 1e-12 * best.max(1.0))
                .collect();
            for i in &ties {
                if pick == 0 {
                    acc[*i].won += 1.0 / ties.len() as f64;
                } else {
                    acc[*i].won_r += 1.0 / ties.len() as f64;
                }
            }
        }
    }
    let n = rows.len();
    let mut out = BTreeMap::new();
    for (i, a) in acc.iter().enumerate() {
        let name = if i < k { methods[i].name() } else { "auto" };
        let nn = a.n.max(1) as f64;
        out.insert(
            name.to_string(),
            Scores {
                mase: a.mase / nn,
                rmsse: a.rmsse / nn,
                bias: (actual > 0.0).then(|| a.sum_err / actual),
                scaled_bias: a.scaled / nn,
                won_share: (i < k).then(|| a.won / nn),
                won_share_rmsse: (i < k).then(|| a.won_r / nn),
                series: a.n,
            },
        );
    }
    Group {
        series: n,
        methods: out,
    }
}

/// Runs the backtest (see the module doc). `progress` is called after each
/// series with (done, total), e.g. to draw a progress bar.
pub fn run_with_progress(
    data: &[Series],
    config: &BacktestConfig,
    mut progress: impl FnMut(usize, usize),
) -> Result<Report> {
    let h = config.horizon;
    if h == 0 {
        return Err(Error::Config("the horizon must be at least 1".into()));
    }
    if config.season == 0 {
        return Err(Error::Config(
            "the season length must be at least 1 (1 = no season)".into(),
        ));
    }
    if config.methods.is_empty() {
        return Err(Error::Config("no method to backtest".into()));
    }
    let mut skipped = Skipped::default();
    let mut rows: Vec<Scored> = Vec::with_capacity(data.len());
    let mut choices: BTreeMap<String, usize> = BTreeMap::new();
    let mut fcst = vec![0.0; h];
    let mut seconds_methods = 0.0;
    let mut seconds_auto = 0.0;
    for (done, s) in data.iter().enumerate() {
        let n = s.values.len();
        if n <= h || n - h < 2 {
            skipped.too_short.push(SkippedSeries {
                id: s.id.clone(),
                length: n,
            });
            progress(done + 1, data.len());
            continue;
        }
        let (train, test) = s.values.split_at(n - h);
        let (scale_mae, scale_mse) = naive_scales(train);
        if scale_mae <= 0.0 {
            skipped.zero_scale.push(SkippedSeries {
                id: s.id.clone(),
                length: n,
            });
            progress(done + 1, data.len());
            continue;
        }
        let class = classify(train, &config.classify);
        let mut errs = Vec::with_capacity(config.methods.len() + 1);
        for &m in &config.methods {
            let started = Instant::now();
            m.forecast_into(train, config.season, &mut fcst);
            seconds_methods += started.elapsed().as_secs_f64();
            errs.push(score(&fcst, test, scale_mae, scale_mse));
        }
        let started = Instant::now();
        let choice = auto::forecast_into(
            train,
            config.season,
            &config.methods,
            &config.auto,
            &mut fcst,
        );
        seconds_auto += started.elapsed().as_secs_f64();
        errs.push(score(&fcst, test, scale_mae, scale_mse));
        *choices.entry(choice).or_default() += 1;
        rows.push(Scored {
            class,
            actual_sum: test.iter().sum(),
            errs,
        });
        progress(done + 1, data.len());
    }
    let all: Vec<&Scored> = rows.iter().collect();
    let overall = aggregate(&all, &config.methods);
    let mut by_class = BTreeMap::new();
    for c in DemandClass::ALL {
        let these: Vec<&Scored> = rows.iter().filter(|r| r.class == c).collect();
        if !these.is_empty() {
            by_class.insert(c.name().to_string(), aggregate(&these, &config.methods));
        }
    }
    Ok(Report {
        horizon: h,
        season: config.season,
        series_total: data.len(),
        series_used: rows.len(),
        skipped,
        overall,
        by_class,
        auto_choices: choices,
        seconds: seconds_methods + seconds_auto,
        seconds_methods,
        seconds_auto,
    })
}

/// [`run_with_progress`] without progress.
pub fn run(data: &[Series], config: &BacktestConfig) -> Result<Report> {
    run_with_progress(data, config, |_, _| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(id: &str, v: &[f64]) -> Series {
        Series {
            id: id.into(),
            values: v.to_vec(),
        }
    }

    #[test]
    fn naive_mase_rmsse_bias_by_hand() {
        // train 1, 2, 4 (naive errors 1, 2: MAE scale 1.5, MSE scale 2.5),
        // test 5, 7; naive forecasts 4, 4: errors −1, −3
        // MASE = 2 / 1.5, RMSSE = √(5 / 2.5), bias = −4 / 12
        let data = [series("a", &[1.0, 2.0, 4.0, 5.0, 7.0])];
        let config = BacktestConfig {
            horizon: 2,
            season: 1,
            methods: vec![Method::Naive, Method::Zero],
            ..BacktestConfig::default()
        };
        let r = run(&data, &config).unwrap();
        let naive = &r.overall.methods["naive"];
        assert!((naive.mase - 2.0 / 1.5).abs() < 1e-12);
        assert!((naive.rmsse - 2.0f64.sqrt()).abs() < 1e-12);
        assert!((naive.bias.unwrap() + 4.0 / 12.0).abs() < 1e-12);
        assert!((naive.scaled_bias + 2.0 / 1.5).abs() < 1e-12);
        // zero: errors −5, −7 → MASE 6 / 1.5 = 4; naive wins
        assert!((r.overall.methods["zero"].mase - 4.0).abs() < 1e-12);
        assert_eq!(naive.won_share, Some(1.0));
        assert!(r.overall.methods.contains_key("auto"));
        assert_eq!(r.series_used, 1);
    }

    #[test]
    fn short_and_constant_series_are_counted_not_dropped() {
        let data = [
            series("short", &[1.0, 2.0]),
            series("one_train", &[1.0, 2.0, 3.0]),
            series("flat", &[2.0, 2.0, 2.0, 5.0, 1.0]),
            series("ok", &[1.0, 3.0, 2.0, 4.0, 3.0]),
        ];
        let config = BacktestConfig {
            horizon: 2,
            season: 1,
            ..BacktestConfig::default()
        };
        let r = run(&data, &config).unwrap();
        assert_eq!(r.series_total, 4);
        assert_eq!(r.series_used, 1);
        let ids: Vec<&str> = r.skipped.too_short.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["short", "one_train"]);
        assert_eq!(r.skipped.zero_scale[0].id, "flat");
        assert!(run(
            &data,
            &BacktestConfig {
                horizon: 0,
                ..config
            }
        )
        .is_err());
    }

    #[test]
    fn ties_split_the_win() {
        // train 0, 1, 0, 0; test 0, 0: zero, naive (0) and seasonal naive
        // (season 1 = naive) are all perfect
        let data = [series("a", &[0.0, 1.0, 0.0, 0.0, 0.0, 0.0])];
        let config = BacktestConfig {
            horizon: 2,
            season: 1,
            methods: vec![Method::Zero, Method::Naive, Method::Ses],
            ..BacktestConfig::default()
        };
        let r = run(&data, &config).unwrap();
        assert_eq!(r.overall.methods["zero"].won_share, Some(0.5));
        assert_eq!(r.overall.methods["naive"].won_share, Some(0.5));
        assert_eq!(r.overall.methods["ses"].won_share, Some(0.0));
        assert_eq!(r.overall.methods["zero"].bias, None);
    }
}
