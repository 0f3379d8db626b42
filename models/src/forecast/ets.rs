//! Exponential smoothing in state-space form, ETS(error, trend, season)
//! (Hyndman, Koehler, Snyder & Grose 2002; Hyndman et al. 2008, *Forecasting
//! with Exponential Smoothing*), as statsforecast's `AutoETS` and R's
//! `forecast::ets` fit it.
//!
//! States: level `l`, trend `b` (none, additive, damped by φ), seasonal
//! `s` (none, additive, multiplicative; one state per position in the
//! season). With `lb = l + φ·b` (φ = 1 undamped, b = 0 without trend) the
//! one-step forecast is `μ = lb`, `lb + s` or `lb · s`, and with the raw
//! error `e = y − μ` the updates are
//!
//! | season | level | trend | season |
//! |---|---|---|---|
//! | none / additive | `lb + α e` | `φ b + β e` | `s + γ e` |
//! | multiplicative | `lb + α e / s` | `φ b + β e / s` | `s + γ e / lb` |
//!
//! (the same recursions for additive and multiplicative *errors*, which
//! differ in the likelihood only). Parameters are chosen by the concentrated
//! likelihood: `n·ln Σ e²` for additive errors, `n·ln Σ (e/μ)² + 2 Σ ln|μ|`
//! for multiplicative ones, minimised by Nelder–Mead (one restart) over
//! α ∈ [1e-4, 0.9999], β ∈ [1e-4, α], γ ∈ [1e-4, 1 − α], φ ∈ [0.8, 0.98]
//! and the initial level and trend. The model is then chosen by AICc,
//! `lik + 2k + 2k(k+1)/(n−k−1)` with k the parameters, initial states
//! (m − 1 seasonal ones) and σ².
//!
//! **Difference from statsforecast, on purpose, for speed:** the initial
//! *seasonal* states are not optimised; they come from the history detrended
//! by a least-squares line (the mean deviation at each position of the
//! season, normalised to sum 0 or to average 1), and are still counted in k.
//! The initial level and trend start from statsforecast's heuristic (a line
//! through the first max(10, 2m) seasonally adjusted values) and are then
//! optimised with the smoothing parameters.
//!
//! The automatic choice ([`auto`]) considers additive and multiplicative
//! errors, no / additive / damped trend and no / additive / multiplicative
//! season, without the unstable combinations statsforecast also excludes
//! (additive error with multiplicative season), multiplicative anything
//! only on strictly positive data, seasons only when m > 1 and n > m, and a
//! model only when n > k + 4 (k without the seasonal states, as
//! statsforecast counts for that test) and n > k + 1 (finite AICc).

/// The error component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Additive errors.
    Additive,
    /// Multiplicative (relative) errors.
    Multiplicative,
}

/// The trend component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendKind {
    /// No trend.
    None,
    /// Additive (linear) trend.
    Additive,
    /// Additive trend damped by φ.
    Damped,
}

/// The seasonal component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeasonKind {
    /// No season.
    None,
    /// Additive season.
    Additive,
    /// Multiplicative season.
    Multiplicative,
}

/// An ETS model's components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Error.
    pub error: ErrorKind,
    /// Trend.
    pub trend: TrendKind,
    /// Season.
    pub season: SeasonKind,
}

impl Spec {
    /// Holt's linear trend, ETS(A,A,N).
    pub const HOLT: Spec = Spec {
        error: ErrorKind::Additive,
        trend: TrendKind::Additive,
        season: SeasonKind::None,
    };
    /// Damped trend, ETS(A,Ad,N).
    pub const DAMPED: Spec = Spec {
        error: ErrorKind::Additive,
        trend: TrendKind::Damped,
        season: SeasonKind::None,
    };
    /// Simple exponential smoothing, ETS(A,N,N).
    pub const SIMPLE: Spec = Spec {
        error: ErrorKind::Additive,
        trend: TrendKind::None,
        season: SeasonKind::None,
    };

    /// The usual short name, e.g. `ETS(A,Ad,N)`.
    pub fn label(&self) -> String {
        let e = match self.error {
            ErrorKind::Additive => "A",
            ErrorKind::Multiplicative => "M",
        };
        let t = match self.trend {
            TrendKind::None => "N",
            TrendKind::Additive => "A",
            TrendKind::Damped => "Ad",
        };
        let s = match self.season {
            SeasonKind::None => "N",
            SeasonKind::Additive => "A",
            SeasonKind::Multiplicative => "M",
        };
        format!("ETS({e},{t},{s})")
    }

    fn has_trend(&self) -> bool {
        self.trend != TrendKind::None
    }
    fn has_season(&self) -> bool {
        self.season != SeasonKind::None
    }
    /// Free parameters in the optimiser's vector (smoothing, φ, l₀, b₀).
    fn dim(&self) -> usize {
        1 + 2 * usize::from(self.has_trend())
            + usize::from(self.has_season())
            + usize::from(self.trend == TrendKind::Damped)
            + 1
    }
}

/// Smoothing parameters and initial states of a model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Level smoothing α.
    pub alpha: f64,
    /// Trend smoothing β (0 without trend).
    pub beta: f64,
    /// Seasonal smoothing γ (0 without season).
    pub gamma: f64,
    /// Damping φ (1 when undamped).
    pub phi: f64,
    /// Initial level l₀.
    pub level: f64,
    /// Initial trend b₀ (0 without trend).
    pub trend: f64,
}

/// A fitted model: its components, parameters, final states and fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The components.
    pub spec: Spec,
    /// The season length used (1 without season).
    pub m: usize,
    /// The parameters found.
    pub params: Params,
    /// The level after the last observation.
    pub level: f64,
    /// The trend after the last observation.
    pub trend: f64,
    /// The seasonal states after the last observation, by position
    /// (`seasonal[t % m]` belongs to period t).
    pub seasonal: Vec<f64>,
    /// Number of observations fitted.
    pub n: usize,
    /// The concentrated likelihood criterion (−2 log L up to a constant).
    pub lik: f64,
    /// AICc.
    pub aicc: f64,
}

const PHI_LO: f64 = 0.8;
const PHI_HI: f64 = 0.98;
const PAR_LO: f64 = 1e-4;
const PAR_HI: f64 = 0.9999;

/// Runs the recursions with the given parameters from the initial seasonal
/// states in `s` (overwritten with the final ones); returns (lik, level,
/// trend), lik = +∞ when the model breaks down (μ ≤ 0 with multiplicative
/// parts, non-finite states).
pub fn filter(y: &[f64], m: usize, spec: Spec, p: &Params, s: &mut [f64]) -> (f64, f64, f64) {
    let mult_err = spec.error == ErrorKind::Multiplicative;
    let mut l = p.level;
    let mut b = if spec.has_trend() { p.trend } else { 0.0 };
    let phi = if spec.trend == TrendKind::Damped {
        p.phi
    } else {
        1.0
    };
    let mut sse = 0.0;
    let mut sum_log = 0.0;
    let mut j = 0usize;
    for &v in y {
        let lb = l + phi * b;
        let (mu, st) = match spec.season {
            SeasonKind::None => (lb, 0.0),
            SeasonKind::Additive => (lb + s[j], s[j]),
            SeasonKind::Multiplicative => (lb * s[j], s[j]),
        };
        let e = v - mu;
        if mult_err {
            if mu <= 0.0 {
                return (f64::INFINITY, l, b);
            }
            let r = e / mu;
            sse += r * r;
            sum_log += mu.ln();
        } else {
            sse += e * e;
        }
        match spec.season {
            SeasonKind::None => {
                l = lb + p.alpha * e;
                b = phi * b + p.beta * e;
            }
            SeasonKind::Additive => {
                l = lb + p.alpha * e;
                b = phi * b + p.beta * e;
                s[j] = st + p.gamma * e;
            }
            SeasonKind::Multiplicative => {
                if st <= 0.0 || lb <= 0.0 {
                    return (f64::INFINITY, l, b);
                }
                l = lb + p.alpha * e / st;
                b = phi * b + p.beta * e / st;
                s[j] = st + p.gamma * e / lb;
            }
        }
        j += 1;
        if j == m {
            j = 0;
        }
    }
    if !spec.has_trend() {
        b = 0.0;
    }
    let n = y.len() as f64;
    let lik = n * sse.max(1e-300).ln() + 2.0 * sum_log;
    if lik.is_finite() && l.is_finite() && b.is_finite() {
        (lik, l, b)
    } else {
        (f64::INFINITY, l, b)
    }
}

/// Writes `out.len()` forecasts from a fit's final states.
pub fn forecast(fit: &Fit, out: &mut [f64]) {
    let phi = if fit.spec.trend == TrendKind::Damped {
        fit.params.phi
    } else {
        1.0
    };
    let mut damp = 0.0;
    let mut pw = 1.0;
    for (i, o) in out.iter_mut().enumerate() {
        pw *= phi;
        damp += pw;
        let lb = fit.level + damp * fit.trend;
        let pos = (fit.n + i) % fit.m;
        *o = match fit.spec.season {
            SeasonKind::None => lb,
            SeasonKind::Additive => lb + fit.seasonal[pos],
            SeasonKind::Multiplicative => lb * fit.seasonal[pos],
        };
    }
}

fn ols_line(y: &[f64]) -> (f64, f64) {
    // y ≈ a + b·t, t = 1..=n (statsforecast's regressor)
    let n = y.len() as f64;
    if y.len() < 2 {
        return (y.first().copied().unwrap_or(0.0), 0.0);
    }
    let tm = (n + 1.0) / 2.0;
    let ym = y.iter().sum::<f64>() / n;
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    for (i, &v) in y.iter().enumerate() {
        let dt = (i + 1) as f64 - tm;
        sxy += dt * (v - ym);
        sxx += dt * dt;
    }
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (ym - b * tm, b)
}

/// Initial seasonal states by position (see the module doc).
fn initial_season(y: &[f64], m: usize, kind: SeasonKind, s: &mut [f64]) {
    let (a, b) = ols_line(y);
    let mut sum = vec![0.0; m];
    let mut count = vec![0usize; m];
    for (i, &v) in y.iter().enumerate() {
        let line = a + b * (i + 1) as f64;
        let dev = match kind {
            SeasonKind::Multiplicative => {
                if line > 0.0 {
                    v / line
                } else {
                    1.0
                }
            }
            _ => v - line,
        };
        sum[i % m] += dev;
        count[i % m] += 1;
    }
    for j in 0..m {
        s[j] = if count[j] > 0 {
            sum[j] / count[j] as f64
        } else if kind == SeasonKind::Multiplicative {
            1.0
        } else {
            0.0
        };
    }
    let mean = s.iter().sum::<f64>() / m as f64;
    match kind {
        SeasonKind::Multiplicative => {
            for v in s.iter_mut() {
                *v = (*v / mean.max(1e-12)).max(1e-2);
            }
        }
        _ => {
            for v in s.iter_mut() {
                *v -= mean;
            }
        }
    }
}

fn unpack(spec: Spec, x: &[f64]) -> Params {
    let mut i = 0;
    let mut take = || {
        let v = x[i];
        i += 1;
        v
    };
    let alpha = take();
    let beta = if spec.has_trend() { take() } else { 0.0 };
    let gamma = if spec.has_season() { take() } else { 0.0 };
    let phi = if spec.trend == TrendKind::Damped {
        take()
    } else {
        1.0
    };
    let level = take();
    let trend = if spec.has_trend() { take() } else { 0.0 };
    Params {
        alpha,
        beta,
        gamma,
        phi,
        level,
        trend,
    }
}

fn admissible(spec: Spec, p: &Params) -> bool {
    if !(PAR_LO..=PAR_HI).contains(&p.alpha) {
        return false;
    }
    if spec.has_trend() && !(p.beta >= PAR_LO && p.beta <= p.alpha.min(PAR_HI)) {
        return false;
    }
    if spec.has_season() && !(p.gamma >= PAR_LO && p.gamma <= (1.0 - p.alpha).min(PAR_HI)) {
        return false;
    }
    if spec.trend == TrendKind::Damped && !(PHI_LO..=PHI_HI).contains(&p.phi) {
        return false;
    }
    true
}

const MAX_DIM: usize = 6;

/// Nelder–Mead on at most [`MAX_DIM`] dimensions; returns (best x, f).
fn nelder_mead<F: FnMut(&[f64]) -> f64>(
    f: &mut F,
    x0: &[f64],
    step: &[f64],
    max_evals: usize,
) -> ([f64; MAX_DIM], f64) {
    let d = x0.len();
    let mut pts = [[0.0f64; MAX_DIM]; MAX_DIM + 1];
    let mut fv = [0.0f64; MAX_DIM + 1];
    for (k, pt) in pts.iter_mut().enumerate().take(d + 1) {
        pt[..d].copy_from_slice(x0);
        if k > 0 {
            pt[k - 1] += step[k - 1];
        }
    }
    for k in 0..=d {
        fv[k] = f(&pts[k][..d]);
    }
    let mut evals = d + 1;
    let mut order = [0usize; MAX_DIM + 1];
    while evals < max_evals {
        for (k, o) in order.iter_mut().enumerate().take(d + 1) {
            *o = k;
        }
        order[..=d].sort_by(|&a, &b| fv[a].total_cmp(&fv[b]));
        let (best, worst, second) = (order[0], order[d], order[d - 1]);
        let spread = (fv[worst] - fv[best]).abs();
        if spread <= 1e-8 * (fv[best].abs() + 1e-8) {
            break;
        }
        let mut c = [0.0f64; MAX_DIM];
        for &k in &order[..d] {
            for i in 0..d {
                c[i] += pts[k][i] / d as f64;
            }
        }
        let mut xr = [0.0f64; MAX_DIM];
        for i in 0..d {
            xr[i] = c[i] + (c[i] - pts[worst][i]);
        }
        let fr = f(&xr[..d]);
        evals += 1;
        if fr < fv[best] {
            let mut xe = [0.0f64; MAX_DIM];
            for i in 0..d {
                xe[i] = c[i] + 2.0 * (c[i] - pts[worst][i]);
            }
            let fe = f(&xe[..d]);
            evals += 1;
            if fe < fr {
                pts[worst] = xe;
                fv[worst] = fe;
            } else {
                pts[worst] = xr;
                fv[worst] = fr;
            }
        } else if fr < fv[second] {
            pts[worst] = xr;
            fv[worst] = fr;
        } else {
            let outside = fr < fv[worst];
            let mut xc = [0.0f64; MAX_DIM];
            for i in 0..d {
                xc[i] = if outside {
                    c[i] + 0.5 * (xr[i] - c[i])
                } else {
                    c[i] + 0.5 * (pts[worst][i] - c[i])
                };
            }
            let fc = f(&xc[..d]);
            evals += 1;
            if fc < fv[worst].min(fr) {
                pts[worst] = xc;
                fv[worst] = fc;
            } else {
                let anchor = pts[best];
                for k in 0..=d {
                    if k == best {
                        continue;
                    }
                    for (p, a) in pts[k][..d].iter_mut().zip(&anchor[..d]) {
                        *p = a + 0.5 * (*p - a);
                    }
                    fv[k] = f(&pts[k][..d]);
                }
                evals += d;
            }
        }
    }
    let mut b = 0;
    for k in 1..=d {
        if fv[k] < fv[b] {
            b = k;
        }
    }
    (pts[b], fv[b])
}

/// Number of estimated quantities in AICc's k (smoothing, φ, initial states
/// with m − 1 seasonal ones, σ²).
fn n_params(spec: Spec, m: usize) -> usize {
    spec.dim() + if spec.has_season() { m - 1 } else { 0 } + 1
}

/// Whether `spec` may be fitted to `n` observations with season `m` (see the
/// module doc).
pub fn fits_length(spec: Spec, n: usize, m: usize) -> bool {
    let small = 2
        + 2 * usize::from(spec.has_trend())
        + 2 * usize::from(spec.has_season())
        + usize::from(spec.trend == TrendKind::Damped);
    if spec.has_season() && (m <= 1 || n <= m) {
        return false;
    }
    n > small + 4 && n > n_params(spec, m) + 1
}

/// Fits one model; `None` when it cannot be fitted (too short, breaks down).
pub fn fit(y: &[f64], m: usize, spec: Spec) -> Option<Fit> {
    let n = y.len();
    let m = if spec.has_season() { m } else { 1 };
    if !fits_length(spec, n, m) {
        return None;
    }
    let positive = y.iter().all(|&v| v > 0.0);
    if (spec.error == ErrorKind::Multiplicative || spec.season == SeasonKind::Multiplicative)
        && !positive
    {
        return None;
    }
    let mut s0 = vec![
        if spec.season == SeasonKind::Multiplicative {
            1.0
        } else {
            0.0
        };
        m
    ];
    if spec.has_season() {
        initial_season(y, m, spec.season, &mut s0);
    }
    // starting level / trend: a line through the first max(10, 2m) values,
    // seasonally adjusted
    let maxn = n.min(10.max(2 * m));
    let mut adj = [0.0f64; 64];
    let mut adj_vec = Vec::new();
    let sa: &mut [f64] = if maxn <= 64 {
        &mut adj[..maxn]
    } else {
        adj_vec.resize(maxn, 0.0);
        &mut adj_vec
    };
    for i in 0..maxn {
        sa[i] = match spec.season {
            SeasonKind::None => y[i],
            SeasonKind::Additive => y[i] - s0[i % m],
            SeasonKind::Multiplicative => y[i] / s0[i % m],
        };
    }
    let (l_start, b_start) = if spec.has_trend() {
        ols_line(sa)
    } else {
        (sa.iter().sum::<f64>() / maxn as f64, 0.0)
    };
    let mean = y.iter().sum::<f64>() / n as f64;
    let sd = (y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt();
    let scale = sd.max(1e-3 * mean.abs()).max(1e-8);

    // statsforecast's starting values for the smoothing parameters
    let alpha0 = PAR_LO + 0.2 * (PAR_HI - PAR_LO) / m as f64;
    let mut x0 = [0.0f64; MAX_DIM];
    let mut step = [0.0f64; MAX_DIM];
    let mut d = 0;
    x0[d] = alpha0;
    step[d] = 0.1;
    d += 1;
    if spec.has_trend() {
        x0[d] = PAR_LO + 0.1 * (alpha0 - PAR_LO);
        step[d] = 0.02;
        d += 1;
    }
    if spec.has_season() {
        x0[d] = PAR_LO + 0.05 * (1.0 - alpha0 - PAR_LO);
        step[d] = 0.05;
        d += 1;
    }
    if spec.trend == TrendKind::Damped {
        x0[d] = PHI_LO + 0.99 * (PHI_HI - PHI_LO);
        step[d] = -0.05;
        d += 1;
    }
    x0[d] = l_start;
    step[d] = 0.2 * scale;
    d += 1;
    if spec.has_trend() {
        x0[d] = b_start;
        step[d] = 0.05 * scale;
        d += 1;
    }
    debug_assert_eq!(d, spec.dim());

    let mut s = s0.clone();
    let mut objective = |x: &[f64]| -> f64 {
        let p = unpack(spec, x);
        if !admissible(spec, &p) {
            return 1e300;
        }
        s.copy_from_slice(&s0);
        filter(y, m, spec, &p, &mut s).0
    };
    let budget = 120 + 60 * d;
    let (x1, f1) = nelder_mead(&mut objective, &x0[..d], &step[..d], budget);
    if !f1.is_finite() || f1 >= 1e300 {
        return None;
    }
    // one restart from the best point with a fresh simplex
    let mut step2 = step;
    for v in step2.iter_mut().take(d) {
        *v *= 0.5;
    }
    let (x2, f2) = nelder_mead(&mut objective, &x1[..d], &step2[..d], budget / 2);
    let x = if f2 < f1 { x2 } else { x1 };
    let params = unpack(spec, &x[..d]);
    let mut s = s0;
    let (lik, level, trend) = filter(y, m, spec, &params, &mut s);
    if !lik.is_finite() {
        return None;
    }
    let k = n_params(spec, m) as f64;
    let nf = n as f64;
    let aicc = lik + 2.0 * k + 2.0 * k * (k + 1.0) / (nf - k - 1.0);
    Some(Fit {
        spec,
        m,
        params,
        level,
        trend,
        seasonal: s,
        n,
        lik,
        aicc,
    })
}

/// The automatic choice: every admissible model fitted, the lowest AICc kept.
pub fn auto(y: &[f64], m: usize) -> Option<Fit> {
    let positive = y.iter().all(|&v| v > 0.0);
    let mut best: Option<Fit> = None;
    for error in [ErrorKind::Additive, ErrorKind::Multiplicative] {
        if error == ErrorKind::Multiplicative && !positive {
            continue;
        }
        for trend in [TrendKind::None, TrendKind::Additive, TrendKind::Damped] {
            for season in [
                SeasonKind::None,
                SeasonKind::Additive,
                SeasonKind::Multiplicative,
            ] {
                if season != SeasonKind::None && m <= 1 {
                    continue;
                }
                if season == SeasonKind::Multiplicative
                    && (!positive || error == ErrorKind::Additive)
                {
                    continue;
                }
                let spec = Spec {
                    error,
                    trend,
                    season,
                };
                if let Some(f) = fit(y, m, spec) {
                    if best.as_ref().is_none_or(|b| f.aicc < b.aicc) {
                        best = Some(f);
                    }
                }
            }
        }
    }
    best
}

fn is_constant(y: &[f64]) -> bool {
    y.iter().all(|&v| v == y[0])
}

/// Forecasts with one model, or with SES ([`super::methods::ses_optimized`])
/// when the model cannot be fitted; a constant history forecasts itself.
pub fn forecast_spec(y: &[f64], m: usize, spec: Spec, out: &mut [f64]) {
    if is_constant(y) {
        out.fill(y[0]);
        return;
    }
    match fit(y, m, spec) {
        Some(f) => forecast(&f, out),
        None => out.fill(super::methods::ses_optimized(y, 0.01, 0.99).0),
    }
}

/// Forecasts with [`auto`], or SES when no model can be fitted.
pub fn forecast_auto(y: &[f64], m: usize, out: &mut [f64]) {
    if is_constant(y) {
        out.fill(y[0]);
        return;
    }
    match auto(y, m) {
        Some(f) => forecast(&f, out),
        None => out.fill(super::methods::ses_optimized(y, 0.01, 0.99).0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    fn fit_with(spec: Spec, m: usize, p: Params, s0: Vec<f64>, y: &[f64]) -> Fit {
        let mut s = s0;
        let (lik, level, trend) = filter(y, m, spec, &p, &mut s);
        Fit {
            spec,
            m,
            params: p,
            level,
            trend,
            seasonal: s,
            n: y.len(),
            lik,
            aicc: f64::NAN,
        }
    }

    #[test]
    fn holt_recursion_by_hand() {
        // l0 = 1, b0 = 1, α = .5, β = .1, y = 2, 4
        // t1: μ = 2, e = 0 → l = 2, b = 1; t2: μ = 3, e = 1 → l = 3.5, b = 1.1
        let p = Params {
            alpha: 0.5,
            beta: 0.1,
            gamma: 0.0,
            phi: 1.0,
            level: 1.0,
            trend: 1.0,
        };
        let f = fit_with(Spec::HOLT, 1, p, vec![0.0], &[2.0, 4.0]);
        close(f.level, 3.5, 1e-12);
        close(f.trend, 1.1, 1e-12);
        let mut out = [0.0; 2];
        forecast(&f, &mut out);
        close(out[0], 4.6, 1e-12);
        close(out[1], 5.7, 1e-12);
        // SSE = 0² + 1² = 1 → lik = 2·ln 1 = 0
        close(f.lik, 0.0, 1e-12);
    }

    #[test]
    fn damped_recursion_by_hand() {
        // φ = .9: t1: μ = 1.9, e = .1 → l = 1.95, b = .91
        // t2: μ = 1.95 + .819 = 2.769, e = 1.231 → l = 3.3845, b = .9421
        let p = Params {
            alpha: 0.5,
            beta: 0.1,
            gamma: 0.0,
            phi: 0.9,
            level: 1.0,
            trend: 1.0,
        };
        let f = fit_with(Spec::DAMPED, 1, p, vec![0.0], &[2.0, 4.0]);
        let mut out = [0.0; 2];
        forecast(&f, &mut out);
        close(out[0], 3.3845 + 0.9 * 0.9421, 1e-9);
        close(out[1], 3.3845 + (0.9 + 0.81) * 0.9421, 1e-9);
    }

    #[test]
    fn seasonal_recursions_by_hand() {
        let p = Params {
            alpha: 0.5,
            beta: 0.0,
            gamma: 0.2,
            phi: 1.0,
            level: 10.0,
            trend: 0.0,
        };
        // ETS(A,N,A), s = +1, −1, y = 12, 9:
        // t0: μ = 11, e = 1 → l = 10.5, s0 = 1.2; t1: μ = 9.5, e = −.5 → l = 10.25, s1 = −1.1
        let spec = Spec {
            error: ErrorKind::Additive,
            trend: TrendKind::None,
            season: SeasonKind::Additive,
        };
        let f = fit_with(spec, 2, p, vec![1.0, -1.0], &[12.0, 9.0]);
        let mut out = [0.0; 3];
        forecast(&f, &mut out);
        close(out[0], 11.45, 1e-12);
        close(out[1], 9.15, 1e-12);
        close(out[2], 11.45, 1e-12);
        // ETS(M,N,M), s = 1.1, .9: t0: μ = 11, e = 1 → l = 10 + .5/1.1,
        // s0 = 1.1 + .2·1/10 = 1.12; t1: μ = .9·l, e = 9 − μ → l += .5e/.9,
        // s1 = .9 + .2e/l_before
        let spec = Spec {
            error: ErrorKind::Multiplicative,
            trend: TrendKind::None,
            season: SeasonKind::Multiplicative,
        };
        let f = fit_with(spec, 2, p, vec![1.1, 0.9], &[12.0, 9.0]);
        let l1 = 10.0 + 0.5 / 1.1;
        let e1 = 9.0 - 0.9 * l1;
        let l2 = l1 + 0.5 * e1 / 0.9;
        let s1 = 0.9 + 0.2 * e1 / l1;
        forecast(&f, &mut out);
        close(out[0], l2 * 1.12, 1e-9);
        close(out[1], l2 * s1, 1e-9);
        // relative errors 1/11 and e1/(.9 l1); lik = 2 ln Σr² + 2(ln 11 + ln .9 l1)
        let sse = (1.0f64 / 11.0).powi(2) + (e1 / (0.9 * l1)).powi(2);
        close(
            f.lik,
            2.0 * sse.ln() + 2.0 * (11.0f64.ln() + (0.9 * l1).ln()),
            1e-9,
        );
    }

    #[test]
    fn holt_fitted_by_likelihood_continues_a_line() {
        // a noiseless line is fitted exactly (e = 0): the forecast continues it
        let y: Vec<f64> = (0..20).map(|t| 3.0 + 2.0 * t as f64).collect();
        let mut out = [0.0; 3];
        forecast_spec(&y, 1, Spec::HOLT, &mut out);
        for (i, v) in out.iter().enumerate() {
            close(*v, 3.0 + 2.0 * (20 + i) as f64, 1e-3);
        }
    }

    #[test]
    fn auto_finds_the_season_and_skips_it_on_noise() {
        // period 4 pattern on a level, small deterministic wiggle
        let pattern = [10.0, 20.0, 30.0, 15.0];
        let y: Vec<f64> = (0..40)
            .map(|t| pattern[t % 4] + 0.3 * ((t * 7 % 5) as f64 - 2.0))
            .collect();
        let f = auto(&y, 4).unwrap();
        assert!(f.spec.has_season(), "{}", f.spec.label());
        let mut out = [0.0; 4];
        forecast(&f, &mut out);
        for (i, v) in out.iter().enumerate() {
            close(*v, pattern[(40 + i) % 4], 1.5);
        }
        // too short for any model: SES fallback, never a panic
        let mut out = [0.0; 2];
        forecast_auto(&[1.0, 3.0, 2.0], 12, &mut out);
        assert!(out[0] > 1.0 && out[0] < 3.0);
        assert!(auto(&[1.0, 3.0, 2.0], 12).is_none());
    }

    #[test]
    fn length_rules() {
        // ETS(A,N,N): n > 2 + 4 and n > 4 + 1
        assert!(!fits_length(Spec::SIMPLE, 6, 1));
        assert!(fits_length(Spec::SIMPLE, 7, 1));
        let s = Spec {
            error: ErrorKind::Additive,
            trend: TrendKind::None,
            season: SeasonKind::Additive,
        };
        // k = α, γ, l0, 11 seasonal, σ² = 15 → n ≥ 17
        assert!(!fits_length(s, 16, 12));
        assert!(fits_length(s, 17, 12));
    }
}
