//! The forecasting methods, each as published (statsforecast's definitions
//! are the reference; `docs/forecasting.md` lists the papers).
//!
//! Every method turns a training history `y` (oldest first, at least one
//! value) into `h` point forecasts. None of them fails: where a method cannot
//! be fitted to a short history it falls back as documented on the
//! [`Method`] variant, so a backtest never loses a series silently.
//!
//! The building block of most of them is simple exponential smoothing as
//! statsforecast writes it: the level starts at the first value,
//! `l₀ = y₀`, then `lₜ = α·yₜ + (1−α)·lₜ₋₁`; the forecast is the last level,
//! and the in-sample one-step errors are `yₜ − lₜ₋₁` for `t ≥ 1`
//! ([`ses_level`], [`ses_sse`], [`ses_optimized`]).

use super::ets;

/// A forecasting method (crossdock's name for it in [`Method::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// Zero: forecasts no demand. The baseline that wins MAE-type scores on
    /// very intermittent data (the median of such a series is 0).
    Zero,
    /// Naive: the last observation, `ŷ = yₙ`.
    Naive,
    /// Seasonal naive: the value one season earlier, `ŷₙ₊ᵢ = yₙ₊ᵢ₋ₘ·⌈i/m⌉`.
    /// Falls back to naive when the history is shorter than a season.
    SeasonalNaive,
    /// Simple exponential smoothing, α ∈ [0.01, 0.99] minimising the in-sample
    /// one-step SSE (statsforecast's `SimpleExponentialSmoothingOptimized`).
    Ses,
    /// Holt's linear trend as ETS(A,A,N), parameters and initial states by
    /// likelihood (statsforecast's `Holt`). Falls back to SES when the
    /// history is too short for the model's parameters (n ≤ k + 4).
    Holt,
    /// Damped trend, ETS(A,Ad,N), φ ∈ [0.8, 0.98] (AutoETS with model `AAN`,
    /// damped). Same fallback as Holt.
    DampedHolt,
    /// Automatic ETS: every admissible error / trend / season combination
    /// fitted by likelihood, the lowest AICc kept (statsforecast's
    /// `AutoETS`); see [`ets`]. Falls back to SES on tiny histories.
    AutoEts,
    /// Croston (1972), classic: SES with α = 0.1 on the non-zero demand
    /// sizes and on the intervals between them; `ŷ = ẑ / p̂`.
    Croston,
    /// Croston with both α fitted by SSE in [0.1, 0.3] (statsforecast's
    /// `CrostonOptimized`).
    CrostonOptimized,
    /// Syntetos–Boylan approximation (2005): Croston classic × (1 − α/2) = 0.95.
    Sba,
    /// Teunter–Syntetos–Babai (2011): SES (α_p = 0.1) on the demand
    /// indicator (probability of a demand) every period, SES (α_d = 0.1) on
    /// the non-zero sizes; `ŷ = p̂ · ẑ`.
    Tsb,
    /// ADIDA (Nikolopoulos et al. 2011): aggregate into non-overlapping
    /// buckets of k = round(mean inter-demand interval) periods (the oldest
    /// `n mod k` periods dropped), SES fitted in [0.1, 0.3] on the bucket
    /// sums, the forecast divided by k.
    Adida,
    /// IMAPA (Petropoulos & Kourentzes 2015): the ADIDA forecast for every
    /// aggregation level 1..=k, averaged.
    Imapa,
}

impl Method {
    /// Every method, in report order.
    pub const ALL: [Method; 13] = [
        Method::Zero,
        Method::Naive,
        Method::SeasonalNaive,
        Method::Ses,
        Method::Holt,
        Method::DampedHolt,
        Method::AutoEts,
        Method::Croston,
        Method::CrostonOptimized,
        Method::Sba,
        Method::Tsb,
        Method::Adida,
        Method::Imapa,
    ];

    /// The name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Method::Zero => "zero",
            Method::Naive => "naive",
            Method::SeasonalNaive => "seasonal_naive",
            Method::Ses => "ses",
            Method::Holt => "holt",
            Method::DampedHolt => "damped_holt",
            Method::AutoEts => "auto_ets",
            Method::Croston => "croston",
            Method::CrostonOptimized => "croston_optimized",
            Method::Sba => "sba",
            Method::Tsb => "tsb",
            Method::Adida => "adida",
            Method::Imapa => "imapa",
        }
    }

    /// The method called `name` (as [`Method::name`] writes it).
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Forecasts `out.len()` periods after `y` with season length `season`
    /// (1 = no season). `y` must not be empty (an empty history forecasts 0).
    pub fn forecast_into(self, y: &[f64], season: usize, out: &mut [f64]) {
        if y.is_empty() {
            out.fill(0.0);
            return;
        }
        match self {
            Method::Zero => out.fill(0.0),
            Method::Naive => out.fill(y[y.len() - 1]),
            Method::SeasonalNaive => seasonal_naive(y, season, out),
            Method::Ses => out.fill(ses_optimized(y, 0.01, 0.99).0),
            Method::Holt => ets::forecast_spec(y, season, ets::Spec::HOLT, out),
            Method::DampedHolt => ets::forecast_spec(y, season, ets::Spec::DAMPED, out),
            Method::AutoEts => ets::forecast_auto(y, season, out),
            Method::Croston => out.fill(croston(y, false)),
            Method::CrostonOptimized => out.fill(croston(y, true)),
            Method::Sba => out.fill(0.95 * croston(y, false)),
            Method::Tsb => out.fill(tsb(y, 0.1, 0.1)),
            Method::Adida => out.fill(adida(y)),
            Method::Imapa => out.fill(imapa(y)),
        }
    }

    /// [`Method::forecast_into`] into a new vector of `h` values.
    pub fn forecast(self, y: &[f64], season: usize, h: usize) -> Vec<f64> {
        let mut out = vec![0.0; h];
        self.forecast_into(y, season, &mut out);
        out
    }
}

fn seasonal_naive(y: &[f64], season: usize, out: &mut [f64]) {
    let n = y.len();
    if season <= 1 || n < season {
        out.fill(y[n - 1]);
        return;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = y[n - season + (i % season)];
    }
}

/// The SES forecast (last level) of `x` with smoothing `alpha`, the level
/// starting at `x[0]`.
pub fn ses_level(x: &[f64], alpha: f64) -> f64 {
    let mut level = x[0];
    for &v in &x[1..] {
        level = alpha * v + (1.0 - alpha) * level;
    }
    level
}

/// The in-sample one-step squared error of SES on `x`: Σₜ≥₁ (xₜ − lₜ₋₁)².
pub fn ses_sse(x: &[f64], alpha: f64) -> f64 {
    let mut level = x[0];
    let mut sse = 0.0;
    for &v in &x[1..] {
        let e = v - level;
        sse += e * e;
        level += alpha * e;
    }
    sse
}

/// SES with α minimising [`ses_sse`] in `[lo, hi]` by golden-section search;
/// returns (forecast, α).
pub fn ses_optimized(x: &[f64], lo: f64, hi: f64) -> (f64, f64) {
    if x.len() < 2 {
        return (x[0], lo);
    }
    const INV_PHI: f64 = 0.618_033_988_749_894_8;
    let (mut a, mut b) = (lo, hi);
    let mut c = b - INV_PHI * (b - a);
    let mut d = a + INV_PHI * (b - a);
    let mut fc = ses_sse(x, c);
    let mut fd = ses_sse(x, d);
    while b - a > 1e-6 {
        if fc <= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - INV_PHI * (b - a);
            fc = ses_sse(x, c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + INV_PHI * (b - a);
            fd = ses_sse(x, d);
        }
    }
    // the search interval's ends are candidates too (monotone SSE)
    let mut best = (0.5 * (a + b), ses_sse(x, 0.5 * (a + b)));
    for cand in [lo, hi] {
        let f = ses_sse(x, cand);
        if f < best.1 {
            best = (cand, f);
        }
    }
    (ses_level(x, best.0), best.0)
}

/// Non-zero demand sizes and the intervals between them (the first interval
/// counts from the start of the history: index + 1).
fn sizes_and_intervals(y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut sizes = Vec::new();
    let mut intervals = Vec::new();
    let mut last = 0usize;
    for (i, &v) in y.iter().enumerate() {
        if v != 0.0 {
            sizes.push(v);
            intervals.push((i + 1 - last) as f64);
            last = i + 1;
        }
    }
    (sizes, intervals)
}

/// Croston's forecast ẑ / p̂: classic (α = 0.1) or optimised (α in [0.1, 0.3]).
pub fn croston(y: &[f64], optimized: bool) -> f64 {
    let (sizes, intervals) = sizes_and_intervals(y);
    if sizes.is_empty() {
        return 0.0;
    }
    let (z, p) = if optimized {
        (
            ses_optimized(&sizes, 0.1, 0.3).0,
            ses_optimized(&intervals, 0.1, 0.3).0,
        )
    } else {
        (ses_level(&sizes, 0.1), ses_level(&intervals, 0.1))
    };
    if p != 0.0 {
        z / p
    } else {
        z
    }
}

/// TSB: p̂ (SES on the demand indicator, every period) × ẑ (SES on sizes).
pub fn tsb(y: &[f64], alpha_d: f64, alpha_p: f64) -> f64 {
    if y.iter().all(|&v| v == 0.0) {
        return 0.0;
    }
    let mut p = if y[0] != 0.0 { 1.0 } else { 0.0 };
    let mut z = f64::NAN;
    for (i, &v) in y.iter().enumerate() {
        if i > 0 {
            let d = if v != 0.0 { 1.0 } else { 0.0 };
            p = alpha_p * d + (1.0 - alpha_p) * p;
        }
        if v != 0.0 {
            z = if z.is_nan() {
                v
            } else {
                alpha_d * v + (1.0 - alpha_d) * z
            };
        }
    }
    p * z
}

/// Python's `round`: halves to even (statsforecast rounds the mean interval
/// with it, so 2.5 → 2).
fn round_half_even(x: f64) -> usize {
    let r = x.round();
    let v = if (x - x.trunc()).abs() == 0.5 && (r as i64) % 2 != 0 {
        r - x.signum()
    } else {
        r
    };
    v.max(1.0) as usize
}

fn mean_interval_level(y: &[f64]) -> Option<usize> {
    let (_, intervals) = sizes_and_intervals(y);
    if intervals.is_empty() {
        return None;
    }
    let mean = intervals.iter().sum::<f64>() / intervals.len() as f64;
    Some(round_half_even(mean))
}

/// The ADIDA forecast at aggregation level `k` (see [`Method::Adida`]).
pub fn aggregated_ses(y: &[f64], k: usize) -> f64 {
    let cut = &y[y.len() % k..];
    let sums: Vec<f64> = cut.chunks_exact(k).map(|c| c.iter().sum()).collect();
    if sums.is_empty() {
        return 0.0;
    }
    ses_optimized(&sums, 0.1, 0.3).0 / k as f64
}

/// ADIDA (see [`Method::Adida`]).
pub fn adida(y: &[f64]) -> f64 {
    match mean_interval_level(y) {
        None => 0.0,
        Some(k) => aggregated_ses(y, k),
    }
}

/// IMAPA (see [`Method::Imapa`]).
pub fn imapa(y: &[f64]) -> f64 {
    match mean_interval_level(y) {
        None => 0.0,
        Some(k) => (1..=k).map(|l| aggregated_ses(y, l)).sum::<f64>() / k as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    #[test]
    fn naive_zero_and_seasonal_naive() {
        let y = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(Method::Naive.forecast(&y, 1, 3), vec![5.0; 3]);
        assert_eq!(Method::Zero.forecast(&y, 1, 2), vec![0.0; 2]);
        // season 2: the last season is (4, 5), repeated
        assert_eq!(
            Method::SeasonalNaive.forecast(&y, 2, 5),
            vec![4.0, 5.0, 4.0, 5.0, 4.0]
        );
        // shorter than a season: naive
        assert_eq!(Method::SeasonalNaive.forecast(&y, 12, 2), vec![5.0; 2]);
    }

    #[test]
    fn ses_by_hand() {
        // l0 = 2; l1 = .5·4 + .5·2 = 3; l2 = .5·6 + .5·3 = 4.5
        close(ses_level(&[2.0, 4.0, 6.0], 0.5), 4.5, 1e-12);
        // errors 4 − 2 = 2 and 6 − 3 = 3 → SSE 13
        close(ses_sse(&[2.0, 4.0, 6.0], 0.5), 13.0, 1e-12);
        // a rising line: the SSE falls with α, so α hits the bound 0.99 and the
        // forecast is .99·6 + .01·(.99·4 + .01·2) = 5.9798
        let (f, a) = ses_optimized(&[2.0, 4.0, 6.0], 0.01, 0.99);
        close(a, 0.99, 1e-5);
        close(f, 5.9798, 1e-5);
        close(
            Method::Ses.forecast(&[2.0, 4.0, 6.0], 1, 1)[0],
            5.9798,
            1e-5,
        );
    }

    #[test]
    fn croston_sba_tsb_by_hand() {
        let y = [0.0, 4.0, 0.0, 0.0, 2.0];
        // sizes 4, 2 → .1·2 + .9·4 = 3.8; intervals 2, 3 → .1·3 + .9·2 = 2.1
        close(croston(&y, false), 3.8 / 2.1, 1e-12);
        close(Method::Sba.forecast(&y, 1, 1)[0], 0.95 * 3.8 / 2.1, 1e-12);
        // indicator 0,1,0,0,1 → p: 0, .1, .09, .081, .1 + .9·.081 = .1729
        close(tsb(&y, 0.1, 0.1), 0.1729 * 3.8, 1e-12);
        assert_eq!(croston(&[0.0, 0.0], false), 0.0);
        assert_eq!(tsb(&[0.0, 0.0], 0.1, 0.1), 0.0);
    }

    #[test]
    fn croston_optimized_by_hand() {
        // sizes 4, 2, 2: SSE(α) = 4 + (2 − (4 − 2α))² = 4 + (2α − 2)², falling
        // in α → α = 0.3; level 4 → 3.4 → 3.4 + .3·(2 − 3.4) = 2.98.
        // intervals 2, 3, 1: SSE(α) = 1 + (1 − (2 + α))² = 1 + (1 + α)², rising
        // → α = 0.1; level 2 → 2.1 → 2.1 + .1·(1 − 2.1) = 1.99.
        let y = [0.0, 4.0, 0.0, 0.0, 2.0, 2.0];
        close(croston(&y, true), 2.98 / 1.99, 1e-5);
    }

    #[test]
    fn adida_and_imapa_by_hand() {
        // intervals 2, 3 → mean 2.5 → k = 2 (halves to even, as Python's round)
        // sums of (0,4), (0,0), (2,0) = 4, 0, 2; SSE(α) = 16 + (4α − 2)² is
        // least at α = .5, clipped to .3: 4 → 2.8 → .3·2 + .7·2.8 = 2.56; /2
        let y = [0.0, 4.0, 0.0, 0.0, 2.0, 0.0];
        close(adida(&y), 1.28, 1e-6);
        // intervals 2, 2 → k = 2. Level 1 on 0,2,0,2: SSE falls over
        // [.1, .3] → α = .3: levels 0, .6, .42, .3·2 + .7·.42 = .894.
        // Level 2 on sums 2, 2: 2, /2 = 1. IMAPA = (.894 + 1) / 2.
        let y = [0.0, 2.0, 0.0, 2.0];
        close(imapa(&y), (0.894 + 1.0) / 2.0, 1e-5);
        assert_eq!(round_half_even(2.5), 2);
        assert_eq!(round_half_even(3.5), 4);
        assert_eq!(round_half_even(1.2), 1);
        assert_eq!(adida(&[0.0; 4]), 0.0);
        assert_eq!(imapa(&[0.0; 4]), 0.0);
    }

    #[test]
    fn names_round_trip() {
        for m in Method::ALL {
            assert_eq!(Method::from_name(m.name()), Some(m));
        }
    }
}
