//! crossdock's per-series choice (`auto`).
//!
//! For each series, using **only its training part**: the candidates are
//! backtested on rolling origins inside that part — the last
//! [`AutoConfig::windows`] windows of H periods, each fitted on what comes
//! before it — and scored on a blend of the two scores a planner needs,
//! MASE (the size of the typical miss) and RMSSE (the big misses, which
//! make stock-outs and overstock), both scaled by the training part's
//! in-sample naive error. The forecast is then the mean of the
//! [`AutoConfig::combine`] best candidates' forecasts refitted on the whole
//! training part. The held-out test window is never seen.
//!
//! `docs/forecasting.md` says what was tried and why these settings.

use super::backtest::naive_scales;
use super::methods::Method;

/// The settings of the per-series choice.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoConfig {
    /// Rolling-origin windows of H periods inside the training part.
    pub windows: usize,
    /// The fewest observations a window's fit may use.
    pub min_fit: usize,
    /// How many best candidates are averaged (1 = pick the best).
    pub combine: usize,
    /// Weight of MASE in the blended criterion (RMSSE gets 1 − this).
    pub mase_weight: f64,
    /// The method used when the training part is too short for any window.
    pub fallback: Method,
    /// The candidates (`None`: every method backtested). Default: zero, SES,
    /// IMAPA, naive, optimised Croston, TSB — cheap, and together as good
    /// in the windows as the full list on carparts-dev.
    pub candidates: Option<Vec<Method>>,
    /// Look-back (periods) for the recent share of periods with demand (default 6).
    pub recent: usize,
    /// Below this recent share of periods with demand, [`Method::Zero`] is
    /// the only candidate (0 = off; default 1.0: a demand in each of the
    /// last [`AutoConfig::recent`] periods is needed for anything else).
    pub min_recent_share: f64,
}

impl Default for AutoConfig {
    fn default() -> Self {
        AutoConfig {
            windows: 3,
            min_fit: 6,
            combine: 1,
            mase_weight: 0.5,
            fallback: Method::Ses,
            candidates: Some(vec![
                Method::Zero,
                Method::Ses,
                Method::Imapa,
                Method::Naive,
                Method::CrostonOptimized,
                Method::Tsb,
            ]),
            recent: 6,
            min_recent_share: 1.0,
        }
    }
}

/// Chooses for `train` among `candidates` and writes the forecast of
/// `out.len()` periods; returns a name for what was chosen (a method's
/// name, or names joined by `+` for a combination).
pub fn forecast_into(
    train: &[f64],
    season: usize,
    candidates: &[Method],
    config: &AutoConfig,
    out: &mut [f64],
) -> String {
    let candidates = config.candidates.as_deref().unwrap_or(candidates);
    let h = out.len();
    let n = train.len();
    let (scale_mae, scale_mse) = if n >= 2 {
        naive_scales(train)
    } else {
        (0.0, 0.0)
    };
    // origins: n − h, n − 2h, ... while a window still has min_fit to fit on;
    // a short history gets one shorter window instead
    let mut windows: Vec<(usize, usize)> = Vec::new();
    for k in 1..=config.windows {
        if n >= k * h + config.min_fit {
            windows.push((n - k * h, h));
        }
    }
    if windows.is_empty() && n > config.min_fit {
        windows.push((config.min_fit, n - config.min_fit));
    }
    if windows.is_empty() || scale_mae <= 0.0 || candidates.is_empty() {
        config.fallback.forecast_into(train, season, out);
        return config.fallback.name().to_string();
    }
    if config.min_recent_share > 0.0 && candidates.contains(&Method::Zero) {
        let k = config.recent.clamp(1, n);
        let share = train[n - k..].iter().filter(|&&v| v > 0.0).count() as f64 / k as f64;
        if share < config.min_recent_share {
            out.fill(0.0);
            return Method::Zero.name().to_string();
        }
    }
    let mut buf = vec![0.0; h];
    let mut scores: Vec<(f64, usize)> = Vec::with_capacity(candidates.len());
    for (ci, &m) in candidates.iter().enumerate() {
        let mut total = 0.0;
        for &(o, len) in &windows {
            let fb = &mut buf[..len];
            m.forecast_into(&train[..o], season, fb);
            let actual = &train[o..o + len];
            let (mut ae, mut se) = (0.0, 0.0);
            for (f, a) in fb.iter().zip(actual) {
                let d = f - a;
                ae += d.abs();
                se += d * d;
            }
            let mase = ae / len as f64 / scale_mae;
            let rmsse = (se / len as f64 / scale_mse).sqrt();
            total += config.mase_weight * mase + (1.0 - config.mase_weight) * rmsse;
        }
        scores.push((total, ci));
    }

    scores.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let k = config.combine.clamp(1, scores.len());
    out.fill(0.0);
    let mut names = Vec::with_capacity(k);
    for &(_, ci) in &scores[..k] {
        let m = candidates[ci];
        m.forecast_into(train, season, &mut buf);
        for (o, b) in out.iter_mut().zip(&buf) {
            *o += b / k as f64;
        }
        names.push(m.name());
    }
    names.join("+")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every candidate offered, no gate.
    fn plain() -> AutoConfig {
        AutoConfig {
            candidates: None,
            min_recent_share: 0.0,
            ..AutoConfig::default()
        }
    }

    #[test]
    fn the_gate_needs_demand_in_each_recent_period() {
        // demand in each of the last 6 periods: the windows decide (naive wins a line)
        let train: Vec<f64> = (0..30).map(|t| 10.0 + t as f64).collect();
        let mut out = [0.0; 3];
        let name = forecast_into(&train, 1, &Method::ALL, &AutoConfig::default(), &mut out);
        assert_ne!(name, "zero");
        // one empty period among the last 6: zero, whatever the windows say
        let mut train = train;
        train[27] = 0.0;
        let name = forecast_into(&train, 1, &Method::ALL, &AutoConfig::default(), &mut out);
        assert_eq!(name, "zero");
        assert_eq!(out, [0.0; 3]);
    }

    #[test]
    fn picks_what_worked_inside_the_training_part() {
        // a steady line: naive (the last value) beats zero in every window
        let train: Vec<f64> = (0..30).map(|t| 10.0 + t as f64).collect();
        let mut out = [0.0; 3];
        let name = forecast_into(
            &train,
            1,
            &[Method::Zero, Method::Naive],
            &plain(),
            &mut out,
        );
        assert_eq!(name, "naive");
        assert_eq!(out, [39.0; 3]);
        // a series that stopped: zero wins the windows
        let mut train = vec![5.0, 0.0, 6.0, 4.0, 5.0, 7.0, 3.0];
        train.extend([0.0; 20]);
        train.push(0.0);
        let name = forecast_into(&train, 1, &[Method::Ses, Method::Zero], &plain(), &mut out);
        assert_eq!(name, "zero");
    }

    #[test]
    fn too_short_falls_back_and_combination_averages() {
        let mut out = [0.0; 2];
        let name = forecast_into(&[1.0, 3.0, 2.0], 1, &Method::ALL, &plain(), &mut out);
        assert_eq!(name, "ses");
        let train: Vec<f64> = (0..30).map(|t| 10.0 + t as f64).collect();
        let config = AutoConfig {
            combine: 2,
            ..plain()
        };
        let name = forecast_into(&train, 1, &[Method::Zero, Method::Naive], &config, &mut out);
        assert_eq!(name, "naive+zero");
        assert_eq!(out, [19.5; 2]);
    }
}
