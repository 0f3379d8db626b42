//! Demand over a lead time: its mean and its quantile at a service level,
//! what a reorder point is made of.
//!
//! [`lead_time_demand`] takes the history, the per-period forecast, the
//! lead time L (periods) and the service level (cycle service level, the
//! probability of not running out during one lead time):
//!
//! - **mean** = L × the per-period forecast;
//! - **smooth / erratic** ([`Distribution::Normal`]): demand over L is
//!   normal with σ_L = σ₁ √L, σ₁ the root mean square of the in-sample
//!   one-step errors of the forecast level (the history's deviations from
//!   its mean when nothing better is known); quantile = mean + z·σ_L, never
//!   below 0;
//! - **intermittent / lumpy / new** ([`Distribution::NegativeBinomial`]):
//!   a count distribution with the forecast mean and the history's variance
//!   per period scaled by L (variance-to-mean ratio kept); negative binomial
//!   when the variance exceeds the mean, Poisson otherwise; quantile = the
//!   smallest count whose cumulative probability reaches the service level;
//! - **dead** ([`Distribution::None`]): mean 0, quantile 0;
//! - [`bootstrap_quantile`] gives the empirical alternative: the quantile of
//!   the sums of every L consecutive periods of the history.

use serde::Serialize;

use super::classify::DemandClass;
use super::{Error, Result};

/// Which distribution a [`LeadTimeDemand`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Normal.
    Normal,
    /// Negative binomial (Poisson when not over-dispersed).
    NegativeBinomial,
    /// Poisson.
    Poisson,
    /// No demand expected.
    None,
}

/// Demand over a lead time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LeadTimeDemand {
    /// Expected demand over the lead time.
    pub mean: f64,
    /// Demand not exceeded with probability `service_level`.
    pub quantile: f64,
    /// The service level asked for.
    pub service_level: f64,
    /// The distribution used.
    pub distribution: Distribution,
}

/// The standard normal quantile (Acklam's rational approximation, relative
/// error below 1.2e-9 in (0, 1)).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let lo = 0.02425;
    if p < lo {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - lo {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// The smallest k with P(X ≤ k) ≥ p for a negative binomial of mean `mean`
/// and variance `var` > mean (Poisson when var ≤ mean).
pub fn count_quantile(mean: f64, var: f64, p: f64) -> (f64, Distribution) {
    if mean <= 0.0 {
        return (0.0, Distribution::None);
    }
    let (mut pmf, ratio): (f64, Box<dyn Fn(f64) -> f64>) = if var > mean * (1.0 + 1e-9) {
        // r successes, success probability q: mean = r(1−q)/q, var = mean/q
        let q = mean / var;
        let r = mean * q / (1.0 - q);
        (
            q.powf(r),
            Box::new(move |k: f64| (k + r) / (k + 1.0) * (1.0 - q)),
        )
    } else {
        ((-mean).exp(), Box::new(move |k: f64| mean / (k + 1.0)))
    };
    let dist = if var > mean * (1.0 + 1e-9) {
        Distribution::NegativeBinomial
    } else {
        Distribution::Poisson
    };
    let mut cum = pmf;
    let mut k = 0.0;
    // the tail is geometric-like: a bound far beyond any service level
    let limit = mean + 60.0 * var.max(mean).sqrt() + 100.0;
    while cum < p && k < limit {
        pmf *= ratio(k);
        k += 1.0;
        cum += pmf;
    }
    (k, dist)
}

/// Mean and quantile of demand over `lead_time` periods (see the module doc).
pub fn lead_time_demand(
    history: &[f64],
    per_period_forecast: f64,
    lead_time: usize,
    service_level: f64,
    class: DemandClass,
) -> Result<LeadTimeDemand> {
    if !(service_level > 0.0 && service_level < 1.0) {
        return Err(Error::Config(format!(
            "service level {service_level} must be strictly between 0 and 1"
        )));
    }
    if lead_time == 0 {
        return Err(Error::Config(
            "the lead time must be at least 1 period".into(),
        ));
    }
    if !per_period_forecast.is_finite() || per_period_forecast < 0.0 {
        return Err(Error::Config(format!(
            "the per-period forecast {per_period_forecast} is not a demand"
        )));
    }
    let l = lead_time as f64;
    let mean = per_period_forecast * l;
    if class == DemandClass::Dead || mean == 0.0 {
        return Ok(LeadTimeDemand {
            mean: 0.0,
            quantile: 0.0,
            service_level,
            distribution: Distribution::None,
        });
    }
    let n = history.len().max(1) as f64;
    let hmean = history.iter().sum::<f64>() / n;
    let hvar = history
        .iter()
        .map(|v| (v - hmean) * (v - hmean))
        .sum::<f64>()
        / n;
    match class {
        DemandClass::Smooth | DemandClass::Erratic => {
            // one-step errors of SES at the forecast's level are not known
            // here; the history's spread around its mean bounds them
            let sigma = hvar.sqrt();
            let q = mean + normal_quantile(service_level) * sigma * l.sqrt();
            Ok(LeadTimeDemand {
                mean,
                quantile: q.max(0.0),
                service_level,
                distribution: Distribution::Normal,
            })
        }
        _ => {
            // keep the history's variance-to-mean ratio at the forecast's mean
            let vmr = if hmean > 0.0 { hvar / hmean } else { 1.0 };
            let (q, distribution) = count_quantile(mean, mean * vmr, service_level);
            Ok(LeadTimeDemand {
                mean,
                quantile: q,
                service_level,
                distribution,
            })
        }
    }
}

/// The empirical quantile (nearest rank) of the sums of every `lead_time`
/// consecutive periods of `history`; `None` when it is shorter than that.
pub fn bootstrap_quantile(history: &[f64], lead_time: usize, service_level: f64) -> Option<f64> {
    if lead_time == 0 || history.len() < lead_time {
        return None;
    }
    let mut sums: Vec<f64> = history.windows(lead_time).map(|w| w.iter().sum()).collect();
    sums.sort_by(f64::total_cmp);
    let rank = ((service_level * sums.len() as f64).ceil() as usize).clamp(1, sums.len());
    Some(sums[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles() {
        assert!(normal_quantile(0.5).abs() < 1e-12);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((normal_quantile(0.95) - 1.644_853_626_951_472_2).abs() < 1e-8);
        assert!((normal_quantile(0.01) + 2.326_347_874_040_841).abs() < 1e-8);
        assert!((normal_quantile(0.999) - 3.090_232_306_167_813_5).abs() < 1e-8);
    }

    #[test]
    fn smooth_demand_is_normal() {
        // history 8, 12 (mean 10, variance 4 → σ 2), forecast 10/period, L 4:
        // mean 40, σ_L = 2·2 = 4, 97.5 % → 40 + 1.96·4
        let r = lead_time_demand(&[8.0, 12.0], 10.0, 4, 0.975, DemandClass::Smooth).unwrap();
        assert_eq!(r.distribution, Distribution::Normal);
        assert!((r.mean - 40.0).abs() < 1e-12);
        assert!((r.quantile - (40.0 + 1.959_963_984_540_054 * 4.0)).abs() < 1e-6);
    }

    #[test]
    fn intermittent_demand_is_a_count() {
        // history 0, 2 (mean 1, variance 1 → ratio 1): Poisson(1) at L 1:
        // P(≤1) = .7358, P(≤2) = .9197 → 90 % quantile 2
        let r = lead_time_demand(&[0.0, 2.0], 1.0, 1, 0.9, DemandClass::Intermittent).unwrap();
        assert_eq!(r.distribution, Distribution::Poisson);
        assert_eq!(r.quantile, 2.0);
        // history 0, 0, 0, 4 (mean 1, variance 3 → ratio 3), forecast .5, L 2:
        // mean 1, variance 3 → q = 1/3, r = .5: P(0) = (1/3)^.5 = .577,
        // P(1) = .577·.5·(2/3) = .192 → .770, P(2) = .192·1.5/2·(2/3) = .096 → .866,
        // P(3) = .096·2.5/3·(2/3) = .053 → .919 → 90 % quantile 3
        let r = lead_time_demand(&[0.0, 0.0, 0.0, 4.0], 0.5, 2, 0.9, DemandClass::Lumpy).unwrap();
        assert_eq!(r.distribution, Distribution::NegativeBinomial);
        assert!((r.mean - 1.0).abs() < 1e-12);
        assert_eq!(r.quantile, 3.0);
        let r = lead_time_demand(&[1.0, 0.0], 0.0, 3, 0.95, DemandClass::Dead).unwrap();
        assert_eq!((r.mean, r.quantile), (0.0, 0.0));
    }

    #[test]
    fn bad_settings_are_errors() {
        assert!(lead_time_demand(&[1.0], 1.0, 1, 1.0, DemandClass::Smooth).is_err());
        assert!(lead_time_demand(&[1.0], 1.0, 0, 0.9, DemandClass::Smooth).is_err());
        assert!(lead_time_demand(&[1.0], -1.0, 1, 0.9, DemandClass::Smooth).is_err());
    }

    #[test]
    fn bootstrap_by_hand() {
        // sums of 2: 1, 3, 5, 4 → sorted 1, 3, 4, 5; 75 % → rank 3 → 4
        assert_eq!(
            bootstrap_quantile(&[0.0, 1.0, 2.0, 3.0, 1.0], 2, 0.75),
            Some(4.0)
        );
        assert_eq!(bootstrap_quantile(&[1.0], 2, 0.5), None);
    }
}
