//! Platt scaling: a margin turned into a probability,
//! `p = 1 / (1 + exp(−(a·margin + b)))`, with `a` and `b` fitted on
//! held-out margins (out of fold), Platt's smoothed targets against
//! over-confidence.
//!
//! ```
//! use crossdock_models::matching::calibrate::Platt;
//!
//! let m = [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0];
//! let y = [false, false, true, false, true, true];
//! let p = Platt::fit(&m, &y);
//! assert!(p.probability(3.0) > 0.5 && p.probability(-3.0) < 0.5);
//! ```

use serde::{Deserialize, Serialize};

/// The two parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    /// Slope on the margin.
    pub a: f64,
    /// Offset.
    pub b: f64,
}

impl Default for Platt {
    fn default() -> Self {
        Platt { a: 1.0, b: 0.0 }
    }
}

impl Platt {
    /// Fits `a`, `b` by Newton's method on the log loss.
    pub fn fit(margins: &[f64], labels: &[bool]) -> Platt {
        let pos = labels.iter().filter(|l| **l).count() as f64;
        let neg = labels.len() as f64 - pos;
        if pos == 0.0 || neg == 0.0 {
            return Platt::default();
        }
        let hi = (pos + 1.0) / (pos + 2.0);
        let lo = 1.0 / (neg + 2.0);
        let (mut a, mut b) = (1.0, 0.0);
        for _ in 0..100 {
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
            for (m, l) in margins.iter().zip(labels) {
                let t = if *l { hi } else { lo };
                let p = 1.0 / (1.0 + (-(a * m + b)).exp());
                let r = p - t;
                let s = p * (1.0 - p);
                ga += r * m;
                gb += r;
                haa += s * m * m;
                hab += s * m;
                hbb += s;
            }
            let det = haa * hbb - hab * hab;
            if det.abs() < 1e-18 {
                break;
            }
            let da = (hbb * ga - hab * gb) / det;
            let db = (haa * gb - hab * ga) / det;
            a -= da;
            b -= db;
            if da.abs() < 1e-10 && db.abs() < 1e-10 {
                break;
            }
        }
        if !a.is_finite() || !b.is_finite() {
            return Platt::default();
        }
        Platt { a, b }
    }

    /// The probability of a margin.
    pub fn probability(&self, margin: f64) -> f64 {
        1.0 / (1.0 + (-(self.a * margin + self.b)).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_margin_is_unscaled() {
        // labels drawn from p = σ(m / 2): the fit should find a ≈ 0.5
        let mut m = Vec::new();
        let mut y = Vec::new();
        let mut rng = crate::matching::gbt::Rng::new(3);
        for _ in 0..20_000 {
            let x = rng.unit() * 12.0 - 6.0;
            m.push(x);
            y.push(rng.unit() < 1.0 / (1.0 + (-x / 2.0).exp()));
        }
        let p = Platt::fit(&m, &y);
        assert!((p.a - 0.5).abs() < 0.05, "{p:?}");
        assert!(p.b.abs() < 0.1, "{p:?}");
    }

    #[test]
    fn one_class_keeps_the_identity() {
        assert_eq!(Platt::fit(&[1.0, 2.0], &[true, true]), Platt::default());
    }
}
