//! L2-regularised logistic regression on standardised features, fitted by
//! Newton's method (the features are tens, so the Hessian is small).
//!
//! ```
//! use crossdock_models::matching::logistic::Logistic;
//!
//! let x: Vec<Vec<f64>> = (0..100).map(|i| vec![i as f64 / 100.0]).collect();
//! let y: Vec<bool> = x.iter().map(|r| r[0] > 0.5).collect();
//! let m = Logistic::train(&x, &y, 1.0);
//! assert!(m.margin(&[0.9]) > 0.0 && m.margin(&[0.1]) < 0.0);
//! ```

use serde::{Deserialize, Serialize};

/// A fitted model: `margin = bias + Σ w_j (x_j − mean_j) / sd_j`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Logistic {
    /// Feature means of the training rows.
    pub mean: Vec<f64>,
    /// Feature standard deviations (1 where a feature is constant).
    pub sd: Vec<f64>,
    /// Weights on the standardised features.
    pub weights: Vec<f64>,
    /// The intercept.
    pub bias: f64,
}

/// Solves `a x = b` for symmetric positive definite `a` (Cholesky); `None`
/// when it is not.
fn solve_spd(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let v = a[i][i] - s;
                if v <= 0.0 {
                    return None;
                }
                l[i][j] = v.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i][k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k][i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i][i];
    }
    Some(x)
}

impl Logistic {
    /// Fits the model; `l2` is the penalty on the (standardised) weights.
    // matrix code: indices read better than iterator chains here
    #[allow(clippy::needless_range_loop)]
    pub fn train(x: &[Vec<f64>], y: &[bool], l2: f64) -> Logistic {
        let n = x.len();
        let d = x.first().map_or(0, Vec::len);
        let nf = n.max(1) as f64;
        let mean: Vec<f64> = (0..d)
            .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / nf)
            .collect();
        let sd: Vec<f64> = (0..d)
            .map(|j| {
                let v = x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / nf;
                if v > 1e-12 {
                    v.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        let z: Vec<Vec<f64>> = x
            .iter()
            .map(|r| (0..d).map(|j| (r[j] - mean[j]) / sd[j]).collect())
            .collect();
        // parameters: weights then bias
        let mut w = vec![0.0; d + 1];
        for _ in 0..30 {
            let mut grad = vec![0.0; d + 1];
            let mut hess = vec![vec![0.0; d + 1]; d + 1];
            for (zi, yi) in z.iter().zip(y) {
                let m: f64 = w[d] + zi.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
                let p = 1.0 / (1.0 + (-m).exp());
                let r = p - f64::from(u8::from(*yi));
                let s = (p * (1.0 - p)).max(1e-9);
                for j in 0..=d {
                    let xj = if j == d { 1.0 } else { zi[j] };
                    grad[j] += r * xj;
                    for k in 0..=j {
                        let xk = if k == d { 1.0 } else { zi[k] };
                        hess[j][k] += s * xj * xk;
                    }
                }
            }
            for j in 0..=d {
                for k in 0..j {
                    hess[k][j] = hess[j][k];
                }
            }
            for j in 0..d {
                grad[j] += l2 * w[j];
                hess[j][j] += l2;
            }
            hess[d][d] += 1e-6;
            let Some(step) = solve_spd(&hess, &grad) else {
                break;
            };
            let mut change = 0.0f64;
            for j in 0..=d {
                w[j] -= step[j];
                change = change.max(step[j].abs());
            }
            if change < 1e-7 {
                break;
            }
        }
        let bias = w[d];
        w.truncate(d);
        Logistic {
            mean,
            sd,
            weights: w,
            bias,
        }
    }

    /// Per-feature contributions to the margin and the intercept.
    pub fn contributions(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let c = x
            .iter()
            .enumerate()
            .map(|(j, v)| self.weights[j] * (v - self.mean[j]) / self.sd[j])
            .collect();
        (self.bias, c)
    }

    /// The log-odds of a row.
    pub fn margin(&self, x: &[f64]) -> f64 {
        let (b, c) = self.contributions(x);
        b + c.iter().sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_the_direction_of_a_linear_rule() {
        let x: Vec<Vec<f64>> = (0..500)
            .map(|i| vec![(i % 17) as f64, (i % 11) as f64, 3.0])
            .collect();
        let y: Vec<bool> = x.iter().map(|r| 2.0 * r[0] - r[1] > 12.0).collect();
        let m = Logistic::train(&x, &y, 0.1);
        assert!(m.weights[0] > 0.0 && m.weights[1] < 0.0);
        assert_eq!(m.weights[2], 0.0, "a constant feature gets no weight");
        let right = x
            .iter()
            .zip(&y)
            .filter(|(r, l)| (m.margin(r) > 0.0) == **l)
            .count();
        assert!(right >= 480, "{right}");
    }

    #[test]
    fn solves_a_small_system() {
        let x = solve_spd(&[vec![4.0, 2.0], vec![2.0, 3.0]], &[2.0, 1.0]).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12);
        assert!(solve_spd(&[vec![0.0]], &[1.0]).is_none());
    }
}
