//! Multinomial logistic regression on sparse rows, trained by stochastic
//! gradient descent with L2 regularisation, and temperature scaling of its
//! probabilities (Guo et al., "On calibration of modern neural networks",
//! 2017) fitted on held-out rows.
//!
//! Written here rather than taken from linfa: the model is ~150 lines,
//! works on the sparse rows directly (linfa-logistic wants a dense ndarray
//! matrix, which for 100k features × thousands of messages would not fit),
//! and adds no ndarray/argmin build to the two-core machine.

use serde::{Deserialize, Serialize};

use super::features::SparseVec;

/// Training settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training rows.
    pub epochs: usize,
    /// L2 penalty λ (per row, as in `λ/2 ‖w‖²` added to each row's loss).
    pub l2: f64,
    /// Initial learning rate.
    pub learning_rate: f64,
    /// Seed of the row order.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 30,
            l2: 1e-5,
            learning_rate: 0.5,
            seed: 7,
        }
    }
}

/// A fitted model: `n_classes` weights per feature, one bias per class.
#[derive(Debug, Clone, PartialEq)]
pub struct LogReg {
    /// Number of classes.
    pub n_classes: usize,
    /// Weights, feature-major: `w[f * n_classes + k]`.
    pub weights: Vec<f32>,
    /// Biases.
    pub bias: Vec<f32>,
}

/// A small deterministic generator (SplitMix64), so that a seed gives the
/// same model on every machine and version.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Shuffles a slice (Fisher–Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Softmax of `logits / temperature`, in f64.
pub fn softmax(logits: &[f32], temperature: f64) -> Vec<f64> {
    let t = temperature.max(1e-6);
    let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
    let e: Vec<f64> = logits
        .iter()
        .map(|l| ((*l as f64 - max) / t).exp())
        .collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|x| x / s).collect()
}

impl LogReg {
    /// Fits the model on rows `xs` with classes `ys` (each `< n_classes`).
    pub fn fit(
        xs: &[SparseVec],
        ys: &[usize],
        n_features: usize,
        n_classes: usize,
        cfg: &TrainConfig,
    ) -> LogReg {
        let k = n_classes;
        // the weights are `scale * v`: L2 decay shrinks `scale` only
        let mut v = vec![0f32; n_features * k];
        let mut bias = vec![0f32; k];
        let mut scale = 1.0f64;
        let mut order: Vec<usize> = (0..xs.len()).collect();
        let mut rng = SplitMix::new(cfg.seed);
        let mut logits = vec![0f32; k];
        let mut t = 0usize;
        let n = xs.len().max(1) as f64;
        for _ in 0..cfg.epochs {
            rng.shuffle(&mut order);
            for &i in &order {
                // learning rate decays with the passes: lr0 / (1 + passes)
                let lr = cfg.learning_rate / (1.0 + t as f64 / n);
                t += 1;
                let x = &xs[i];
                logits.copy_from_slice(&bias);
                for (f, val) in x {
                    let row = &v[*f as usize * k..(*f as usize + 1) * k];
                    let a = (*val as f64 * scale) as f32;
                    for (l, w) in logits.iter_mut().zip(row) {
                        *l += a * w;
                    }
                }
                let p = softmax(&logits, 1.0);
                scale *= 1.0 - lr * cfg.l2;
                let step = (lr / scale) as f32;
                for (f, val) in x {
                    let row = &mut v[*f as usize * k..(*f as usize + 1) * k];
                    for (c, w) in row.iter_mut().enumerate() {
                        let g = p[c] as f32 - (c == ys[i]) as u8 as f32;
                        *w -= step * g * val;
                    }
                }
                for (c, b) in bias.iter_mut().enumerate() {
                    let g = p[c] as f32 - (c == ys[i]) as u8 as f32;
                    *b -= lr as f32 * g;
                }
                if scale < 1e-6 {
                    for w in &mut v {
                        *w *= scale as f32;
                    }
                    scale = 1.0;
                }
            }
        }
        for w in &mut v {
            *w *= scale as f32;
        }
        LogReg {
            n_classes: k,
            weights: v,
            bias,
        }
    }

    /// The raw scores of a row.
    pub fn logits(&self, x: &SparseVec) -> Vec<f32> {
        let k = self.n_classes;
        let mut out = self.bias.clone();
        for (f, val) in x {
            let start = *f as usize * k;
            if let Some(row) = self.weights.get(start..start + k) {
                for (l, w) in out.iter_mut().zip(row) {
                    *l += val * w;
                }
            }
        }
        out
    }
}

/// Mean negative log-likelihood of the true classes at a temperature.
pub fn nll(logits: &[Vec<f32>], ys: &[usize], temperature: f64) -> f64 {
    let n = logits.len().max(1) as f64;
    logits
        .iter()
        .zip(ys)
        .map(|(l, y)| -softmax(l, temperature)[*y].max(1e-300).ln())
        .sum::<f64>()
        / n
}

/// The temperature in [0.05, 20] that minimises the negative
/// log-likelihood on held-out rows (golden-section search on its log; the
/// NLL is convex in 1/T). 1.0 when there are no rows.
pub fn fit_temperature(logits: &[Vec<f32>], ys: &[usize]) -> f64 {
    if logits.is_empty() {
        return 1.0;
    }
    let f = |lt: f64| nll(logits, ys, lt.exp());
    let (mut a, mut b) = ((0.05f64).ln(), (20f64).ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..80 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp()
}

/// Expected calibration error: rows binned by confidence into `bins` equal
/// widths, the gap between accuracy and mean confidence in each bin,
/// weighted by the bin's share of rows.
pub fn ece(confidences: &[f64], correct: &[bool], bins: usize) -> f64 {
    let n = confidences.len();
    if n == 0 || bins == 0 {
        return 0.0;
    }
    let mut sum_conf = vec![0f64; bins];
    let mut sum_acc = vec![0f64; bins];
    let mut count = vec![0usize; bins];
    for (c, ok) in confidences.iter().zip(correct) {
        let b = ((c * bins as f64) as usize).min(bins - 1);
        sum_conf[b] += c;
        sum_acc[b] += *ok as u8 as f64;
        count[b] += 1;
    }
    (0..bins)
        .filter(|b| count[*b] > 0)
        .map(|b| (sum_acc[b] - sum_conf[b]).abs() / n as f64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_classes_are_learned() {
        // class = which of three features is on
        let xs: Vec<SparseVec> = (0..60).map(|i| vec![((i % 3) as u32, 1.0)]).collect();
        let ys: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let m = LogReg::fit(&xs, &ys, 3, 3, &TrainConfig::default());
        for c in 0..3 {
            let p = softmax(&m.logits(&vec![(c as u32, 1.0)]), 1.0);
            let best = (0..3).max_by(|a, b| p[*a].total_cmp(&p[*b])).unwrap();
            assert_eq!(best, c);
            assert!(p[c] > 0.8, "{p:?}");
        }
        // unknown features are ignored
        assert_eq!(m.logits(&vec![(99, 1.0)]).len(), 3);
    }

    #[test]
    fn temperature_undoes_overconfidence_and_ece_is_hand_checked() {
        // logits 10·[1,0]: the model says ~1.0 but is right 3 times in 4
        let logits = vec![vec![10.0f32, 0.0]; 4];
        let ys = vec![0, 0, 0, 1];
        let t = fit_temperature(&logits, &ys);
        let p = softmax(&logits[0], t)[0];
        assert!((p - 0.75).abs() < 1e-3, "T {t} p {p}");
        assert!(nll(&logits, &ys, t) < nll(&logits, &ys, 1.0));
        // two rows at 0.9 (one right), two at 0.6 (both right):
        // |0.5 - 0.9|·2/4 + |1.0 - 0.6|·2/4 = 0.4
        let e = ece(&[0.9, 0.9, 0.6, 0.6], &[true, false, true, true], 10);
        assert!((e - 0.4).abs() < 1e-12, "{e}");
    }
}
