//! Precision, recall and F1 of scored pairs, at a threshold and at the best
//! threshold, and how thresholds are chosen from labelled scores.
//!
//! ```
//! use crossdock_models::matching::eval::{at_threshold, best_f1};
//!
//! let p = [0.9, 0.8, 0.4, 0.3];
//! let y = [true, false, true, false];
//! let m = at_threshold(&p, &y, 0.5);
//! assert_eq!((m.tp, m.fp, m.fn_), (1, 1, 1));
//! assert!((m.f1 - 0.5).abs() < 1e-12);
//! let (f1, t) = best_f1(&p, &y);
//! assert!((f1 - 0.8).abs() < 1e-12 && t <= 0.4 && t > 0.3);
//! ```

use serde::{Deserialize, Serialize};

/// Counts and rates at one threshold (`score >= threshold` is a match).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The threshold.
    pub threshold: f64,
    /// Matches called matches.
    pub tp: usize,
    /// Non-matches called matches.
    pub fp: usize,
    /// Matches missed.
    pub fn_: usize,
    /// tp / (tp + fp), 0 when nothing is called a match.
    pub precision: f64,
    /// tp / (tp + fn), 0 when there are no matches.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

fn rates(threshold: f64, tp: usize, fp: usize, fn_: usize) -> Metrics {
    let precision = if tp + fp > 0 {
        tp as f64 / (tp + fp) as f64
    } else {
        0.0
    };
    let recall = if tp + fn_ > 0 {
        tp as f64 / (tp + fn_) as f64
    } else {
        0.0
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Metrics {
        threshold,
        tp,
        fp,
        fn_,
        precision,
        recall,
        f1,
    }
}

/// The metrics with `score >= threshold` called a match.
pub fn at_threshold(scores: &[f64], labels: &[bool], threshold: f64) -> Metrics {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (s, l) in scores.iter().zip(labels) {
        match (*s >= threshold, *l) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            _ => {}
        }
    }
    rates(threshold, tp, fp, fn_)
}

/// Every distinct cut: for each distinct score, the metrics with that score
/// and above called matches, the threshold halfway to the next lower score
/// (so the chosen threshold is not glued to one pair). Highest first.
pub fn sweep(scores: &[f64], labels: &[bool]) -> Vec<Metrics> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let total_pos = labels.iter().filter(|l| **l).count();
    let mut out = Vec::new();
    let (mut tp, mut fp) = (0, 0);
    let mut k = 0;
    while k < idx.len() {
        let s = scores[idx[k]];
        while k < idx.len() && scores[idx[k]] == s {
            if labels[idx[k]] {
                tp += 1;
            } else {
                fp += 1;
            }
            k += 1;
        }
        let next = idx.get(k).map_or(0.0, |i| scores[*i]);
        out.push(rates((s + next) / 2.0, tp, fp, total_pos - tp));
    }
    out
}

/// The best F1 over all thresholds, and the threshold giving it.
pub fn best_f1(scores: &[f64], labels: &[bool]) -> (f64, f64) {
    sweep(scores, labels)
        .into_iter()
        .fold((0.0, 0.5), |(bf, bt), m| {
            if m.f1 > bf {
                (m.f1, m.threshold)
            } else {
                (bf, bt)
            }
        })
}

/// The three thresholds a scorer uses: below `lower` "no match", from
/// `decision` a match (the F1-best cut, where precision / recall / F1 are
/// reported), from `upper` a sure match; between `lower` and `upper` a
/// person reviews.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Below: no match (a candidate new product).
    pub lower: f64,
    /// At or above: counted as a match.
    pub decision: f64,
    /// At or above: a sure match, taken without review.
    pub upper: f64,
}

/// Chooses the thresholds on labelled scores: `decision` maximises F1;
/// `upper` is the lowest cut at or above it whose precision reaches
/// `sure_precision` (1.0 + ε, i.e. nothing sure, when none does);
/// `lower` is the highest cut at or below it that keeps `keep_recall` of the
/// matches above it.
pub fn choose_thresholds(
    scores: &[f64],
    labels: &[bool],
    sure_precision: f64,
    keep_recall: f64,
) -> Thresholds {
    let cuts = sweep(scores, labels);
    let (_, decision) = best_f1(scores, labels);
    // cuts run from the highest threshold down: precision among the pairs
    // above a cut
    let upper = cuts
        .iter()
        .filter(|m| m.threshold >= decision && m.precision >= sure_precision && m.tp > 0)
        .map(|m| m.threshold)
        .fold(f64::INFINITY, f64::min);
    let upper = if upper.is_finite() { upper } else { 1.0 + 1e-9 };
    let lower = cuts
        .iter()
        .filter(|m| m.threshold <= decision && m.recall >= keep_recall)
        .map(|m| m.threshold)
        .fold(f64::NEG_INFINITY, f64::max);
    let lower = if lower.is_finite() { lower } else { decision };
    Thresholds {
        lower: lower.min(decision),
        decision,
        upper: upper.max(decision),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_ordered_and_meet_their_targets() {
        let scores: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        // matches mostly high, some noise
        let labels: Vec<bool> = (0..100).map(|i| i >= 60 || i == 30 || i == 45).collect();
        let labels: Vec<bool> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| if i == 70 || i == 75 { false } else { *l })
            .collect();
        let t = choose_thresholds(&scores, &labels, 0.99, 0.98);
        assert!(t.lower <= t.decision && t.decision <= t.upper, "{t:?}");
        let above = at_threshold(&scores, &labels, t.upper);
        assert!(above.precision >= 0.99, "{above:?}");
        let kept = at_threshold(&scores, &labels, t.lower);
        assert!(kept.recall >= 0.98, "{kept:?}");
        let (f1, _) = best_f1(&scores, &labels);
        assert!((at_threshold(&scores, &labels, t.decision).f1 - f1).abs() < 1e-12);
    }

    #[test]
    fn ties_are_one_cut_and_empty_input_is_zero() {
        let m = sweep(&[0.5, 0.5, 0.2], &[true, false, false]);
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].tp, m[0].fp), (1, 1));
        assert_eq!(best_f1(&[], &[]).0, 0.0);
    }
}
