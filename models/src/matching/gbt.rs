//! Gradient-boosted regression trees for a binary label (logistic loss,
//! second-order leaf values as in XGBoost), on features cut into quantile
//! bins. Small on purpose: a few thousand pairs, tens of features.
//!
//! ```
//! use crossdock_models::matching::gbt::{Gbt, GbtOptions};
//!
//! // y = x0 > 0.5, x1 is noise
//! let x: Vec<Vec<f64>> = (0..200).map(|i| vec![(i % 10) as f64 / 10.0, (i % 7) as f64]).collect();
//! let y: Vec<bool> = x.iter().map(|r| r[0] > 0.5).collect();
//! let m = Gbt::train(&x, &y, &GbtOptions::default());
//! assert!(m.margin(&[0.9, 3.0]) > 2.0 && m.margin(&[0.1, 3.0]) < -2.0);
//! ```

use serde::{Deserialize, Serialize};

/// How the trees are grown.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GbtOptions {
    /// Trees.
    pub rounds: usize,
    /// Deepest split level (a depth-4 tree has up to 16 leaves).
    pub depth: usize,
    /// Shrinkage of every tree's values.
    pub learning_rate: f64,
    /// L2 penalty on leaf values.
    pub lambda: f64,
    /// Least hessian (≈ rows × p(1−p)) in a child.
    pub min_child_weight: f64,
    /// Share of rows each tree sees.
    pub subsample: f64,
    /// Share of features each tree may split on.
    pub colsample: f64,
    /// Quantile bins per feature (at most 255).
    pub bins: usize,
    /// Seed of the row and feature sampling.
    pub seed: u64,
}

impl Default for GbtOptions {
    fn default() -> Self {
        GbtOptions {
            rounds: 300,
            depth: 4,
            learning_rate: 0.08,
            lambda: 1.0,
            min_child_weight: 1.0,
            subsample: 0.8,
            colsample: 0.8,
            bins: 64,
            seed: 17,
        }
    }
}

/// One node: a split (`x[feature] <= threshold` goes left) or a leaf.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    /// The feature split on (unused in a leaf).
    pub feature: usize,
    /// The split point.
    pub threshold: f64,
    /// Left child index, 0 for a leaf.
    pub left: usize,
    /// Right child index, 0 for a leaf.
    pub right: usize,
    /// The node's value (shrunk): the leaf's output, or what the node would
    /// output as a leaf (for per-feature contributions).
    pub value: f64,
}

/// A fitted ensemble.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gbt {
    /// The starting margin (log-odds of the training base rate).
    pub base: f64,
    /// The trees; each is its nodes, the root first.
    pub trees: Vec<Vec<Node>>,
    /// How many features the model reads.
    pub n_features: usize,
}

/// A small deterministic generator (SplitMix64).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn cut_points(values: &mut [f64], bins: usize) -> Vec<f64> {
    values.sort_by(|a, b| a.total_cmp(b));
    let mut uniq: Vec<f64> = values.to_vec();
    uniq.dedup();
    if uniq.len() <= 1 {
        return Vec::new();
    }
    if uniq.len() <= bins {
        return uniq.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    }
    // cut halfway between a quantile value and the next distinct value, so
    // no training value sits on a split point (a split point read back from
    // JSON a unit in the last place off would flip it)
    let mut cuts: Vec<f64> = (1..bins)
        .filter_map(|k| {
            let v = values[(k * values.len() / bins).min(values.len() - 1)];
            let next = uniq.partition_point(|u| *u <= v);
            uniq.get(next).map(|n| (v + n) / 2.0)
        })
        .collect();
    cuts.dedup();
    cuts
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Gbt {
    /// Fits the trees to rows `x` (all of the same length) and labels `y`.
    pub fn train(x: &[Vec<f64>], y: &[bool], o: &GbtOptions) -> Gbt {
        let n = x.len();
        let d = x.first().map_or(0, Vec::len);
        let pos = y.iter().filter(|v| **v).count() as f64;
        let rate = ((pos + 0.5) / (n as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
        let base = (rate / (1.0 - rate)).ln();
        let mut model = Gbt {
            base,
            trees: Vec::new(),
            n_features: d,
        };
        if n == 0 || d == 0 {
            return model;
        }
        let bins = o.bins.clamp(2, 255);
        let cuts: Vec<Vec<f64>> = (0..d)
            .map(|j| {
                let mut col: Vec<f64> = x.iter().map(|r| r[j]).collect();
                cut_points(&mut col, bins)
            })
            .collect();
        // binned[j][i]: the bin of row i in feature j
        let binned: Vec<Vec<u8>> = (0..d)
            .map(|j| {
                x.iter()
                    .map(|r| cuts[j].partition_point(|c| *c < r[j]) as u8)
                    .collect()
            })
            .collect();
        let mut margin = vec![base; n];
        let mut g = vec![0.0; n];
        let mut h = vec![0.0; n];
        let mut rng = Rng::new(o.seed);
        for _ in 0..o.rounds {
            for i in 0..n {
                let p = sigmoid(margin[i]);
                g[i] = p - f64::from(u8::from(y[i]));
                h[i] = (p * (1.0 - p)).max(1e-12);
            }
            let rows: Vec<usize> = (0..n).filter(|_| rng.unit() < o.subsample).collect();
            let mut feats: Vec<usize> = (0..d)
                .filter(|j| !cuts[*j].is_empty() && rng.unit() < o.colsample)
                .collect();
            if feats.is_empty() {
                feats = (0..d).filter(|j| !cuts[*j].is_empty()).collect();
            }
            if rows.is_empty() || feats.is_empty() {
                break;
            }
            let mut nodes = Vec::new();
            grow(&mut nodes, &rows, 0, o, &feats, &binned, &cuts, &g, &h);
            for (i, m) in margin.iter_mut().enumerate() {
                *m += leaf_value(&nodes, &x[i]);
            }
            model.trees.push(nodes);
        }
        model
    }

    /// The log-odds of a row.
    pub fn margin(&self, x: &[f64]) -> f64 {
        self.base + self.trees.iter().map(|t| leaf_value(t, x)).sum::<f64>()
    }

    /// Per-feature contributions to the margin (Saabas: along each tree's
    /// path, the change of the node value is credited to the split's
    /// feature); they sum with the bias to [`Gbt::margin`].
    pub fn contributions(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let mut c = vec![0.0; self.n_features];
        let mut bias = self.base;
        for t in &self.trees {
            let Some(root) = t.first() else { continue };
            bias += root.value;
            let mut k = 0;
            while t[k].left != 0 {
                let node = &t[k];
                let next = if x[node.feature] <= node.threshold {
                    node.left
                } else {
                    node.right
                };
                c[node.feature] += t[next].value - node.value;
                k = next;
            }
        }
        (bias, c)
    }
}

fn leaf_value(t: &[Node], x: &[f64]) -> f64 {
    if t.is_empty() {
        return 0.0;
    }
    let mut k = 0;
    while t[k].left != 0 {
        let node = &t[k];
        k = if x[node.feature] <= node.threshold {
            node.left
        } else {
            node.right
        };
    }
    t[k].value
}

#[allow(clippy::too_many_arguments)]
fn grow(
    nodes: &mut Vec<Node>,
    rows: &[usize],
    level: usize,
    o: &GbtOptions,
    feats: &[usize],
    binned: &[Vec<u8>],
    cuts: &[Vec<f64>],
    g: &[f64],
    h: &[f64],
) -> usize {
    let (gs, hs): (f64, f64) = rows
        .iter()
        .fold((0.0, 0.0), |(a, b), i| (a + g[*i], b + h[*i]));
    let id = nodes.len();
    nodes.push(Node {
        feature: 0,
        threshold: 0.0,
        left: 0,
        right: 0,
        value: -gs / (hs + o.lambda) * o.learning_rate,
    });
    if level >= o.depth || hs < 2.0 * o.min_child_weight {
        return id;
    }
    let parent = gs * gs / (hs + o.lambda);
    let mut best: Option<(f64, usize, usize)> = None; // gain, feature, bin
    let mut hist_g = [0.0f64; 256];
    let mut hist_h = [0.0f64; 256];
    for &j in feats {
        let nb = cuts[j].len() + 1;
        hist_g[..nb].fill(0.0);
        hist_h[..nb].fill(0.0);
        let col = &binned[j];
        for &i in rows {
            let b = col[i] as usize;
            hist_g[b] += g[i];
            hist_h[b] += h[i];
        }
        let (mut gl, mut hl) = (0.0, 0.0);
        for b in 0..nb - 1 {
            gl += hist_g[b];
            hl += hist_h[b];
            let (gr, hr) = (gs - gl, hs - hl);
            if hl < o.min_child_weight || hr < o.min_child_weight {
                continue;
            }
            let gain = gl * gl / (hl + o.lambda) + gr * gr / (hr + o.lambda) - parent;
            if gain > 1e-9 && best.is_none_or(|(bg, _, _)| gain > bg) {
                best = Some((gain, j, b));
            }
        }
    }
    let Some((_, j, b)) = best else { return id };
    let (lrows, rrows): (Vec<usize>, Vec<usize>) =
        rows.iter().partition(|i| (binned[j][**i] as usize) <= b);
    let left = grow(nodes, &lrows, level + 1, o, feats, binned, cuts, g, h);
    let right = grow(nodes, &rrows, level + 1, o, feats, binned, cuts, g, h);
    let node = &mut nodes[id];
    node.feature = j;
    node.threshold = cuts[j][b];
    node.left = left;
    node.right = right;
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_an_interaction_a_linear_model_cannot() {
        // xor of two features
        let mut rng = Rng::new(1);
        let x: Vec<Vec<f64>> = (0..400)
            .map(|_| vec![rng.unit(), rng.unit(), rng.unit()])
            .collect();
        let y: Vec<bool> = x.iter().map(|r| (r[0] > 0.5) != (r[1] > 0.5)).collect();
        let m = Gbt::train(&x, &y, &GbtOptions::default());
        let right = x
            .iter()
            .zip(&y)
            .filter(|(r, l)| (m.margin(r) > 0.0) == **l)
            .count();
        assert!(right >= 390, "{right} of 400");
    }

    #[test]
    fn contributions_sum_to_the_margin_and_find_the_feature() {
        let x: Vec<Vec<f64>> = (0..300)
            .map(|i| vec![(i % 3) as f64, (i % 10) as f64 / 10.0])
            .collect();
        let y: Vec<bool> = x.iter().map(|r| r[1] > 0.45).collect();
        let m = Gbt::train(&x, &y, &GbtOptions::default());
        for r in x.iter().take(20) {
            let (bias, c) = m.contributions(r);
            let total: f64 = bias + c.iter().sum::<f64>();
            assert!((total - m.margin(r)).abs() < 1e-9);
            assert!(c[1].abs() > c[0].abs());
        }
    }

    #[test]
    fn constant_and_empty_inputs_do_not_panic() {
        let m = Gbt::train(&[], &[], &GbtOptions::default());
        assert_eq!(m.margin(&[]), m.base);
        let x = vec![vec![1.0]; 10];
        let y = vec![true; 10];
        let m = Gbt::train(&x, &y, &GbtOptions::default());
        assert!(m.trees.is_empty() && m.base > 0.0);
    }

    #[test]
    fn cut_points_fall_between_values() {
        assert_eq!(cut_points(&mut [1.0, 2.0, 2.0, 3.0], 8), [1.5, 2.5]);
        assert!(cut_points(&mut [5.0; 4], 8).is_empty());
        let mut many: Vec<f64> = (0..1000).map(f64::from).collect();
        let c = cut_points(&mut many, 10);
        assert_eq!(c.len(), 9);
        assert!(c.iter().all(|v| v.fract() == 0.5), "{c:?}");
    }
}
