//! Classifying demand series.
//!
//! **Demand class** ([`classify`]), Syntetos, Boylan & Croston (2005):
//! with ADI the average inter-demand interval (periods / periods with a
//! demand) and CV² the squared coefficient of variation of the *non-zero*
//! demand sizes (population variance / mean²),
//!
//! | | CV² < 0.49 | CV² ≥ 0.49 |
//! |---|---|---|
//! | **ADI < 1.32** | smooth | erratic |
//! | **ADI ≥ 1.32** | intermittent | lumpy |
//!
//! Two classes come first and get rules of their own: **new** — fewer than
//! [`ClassifyConfig::min_history`] periods of history, or fewer than two
//! demands (no CV² to speak of); **dead** — no demand in the last
//! [`ClassifyConfig::dead_after`] periods.
//!
//! **XYZ** ([`xyz`]) by the coefficient of variation of all periods (zeros
//! included): X < 0.5 ≤ Y < 1.0 ≤ Z. **ABC** ([`abc`]) by value: series
//! sorted by value, A while the cumulative share is within the first 80 %,
//! B within 95 %, C after.

use serde::Serialize;

/// A demand class (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandClass {
    /// ADI < 1.32, CV² < 0.49.
    Smooth,
    /// ADI < 1.32, CV² ≥ 0.49.
    Erratic,
    /// ADI ≥ 1.32, CV² < 0.49.
    Intermittent,
    /// ADI ≥ 1.32, CV² ≥ 0.49.
    Lumpy,
    /// Too little history to classify.
    New,
    /// No demand in the last N periods.
    Dead,
}

impl DemandClass {
    /// Every class, in report order.
    pub const ALL: [DemandClass; 6] = [
        DemandClass::Smooth,
        DemandClass::Erratic,
        DemandClass::Intermittent,
        DemandClass::Lumpy,
        DemandClass::New,
        DemandClass::Dead,
    ];

    /// The name in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            DemandClass::Smooth => "smooth",
            DemandClass::Erratic => "erratic",
            DemandClass::Intermittent => "intermittent",
            DemandClass::Lumpy => "lumpy",
            DemandClass::New => "new",
            DemandClass::Dead => "dead",
        }
    }
}

/// The thresholds of [`classify`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassifyConfig {
    /// ADI cut-off (1.32).
    pub adi_cut: f64,
    /// CV² cut-off (0.49).
    pub cv2_cut: f64,
    /// Fewer periods than this: new (default 12).
    pub min_history: usize,
    /// No demand in this many last periods: dead (default 12).
    pub dead_after: usize,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig {
            adi_cut: 1.32,
            cv2_cut: 0.49,
            min_history: 12,
            dead_after: 12,
        }
    }
}

/// ADI and CV² of a history (`None` without any demand; CV² is 0 with one).
pub fn adi_cv2(y: &[f64]) -> Option<(f64, f64)> {
    let sizes: Vec<f64> = y.iter().copied().filter(|&v| v > 0.0).collect();
    if sizes.is_empty() {
        return None;
    }
    let adi = y.len() as f64 / sizes.len() as f64;
    let mean = sizes.iter().sum::<f64>() / sizes.len() as f64;
    let var = sizes.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / sizes.len() as f64;
    Some((adi, var / (mean * mean)))
}

/// The demand class of a history (see the module doc).
pub fn classify(y: &[f64], config: &ClassifyConfig) -> DemandClass {
    let demands = y.iter().filter(|&&v| v > 0.0).count();
    if y.len() >= config.dead_after && y[y.len() - config.dead_after..].iter().all(|&v| v == 0.0) {
        return DemandClass::Dead;
    }
    if y.len() < config.min_history || demands < 2 {
        return DemandClass::New;
    }
    let (adi, cv2) = adi_cv2(y).expect("at least two demands");
    match (adi < config.adi_cut, cv2 < config.cv2_cut) {
        (true, true) => DemandClass::Smooth,
        (true, false) => DemandClass::Erratic,
        (false, true) => DemandClass::Intermittent,
        (false, false) => DemandClass::Lumpy,
    }
}

/// An XYZ class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Xyz {
    /// CV < 0.5: steady.
    X,
    /// 0.5 ≤ CV < 1.0.
    Y,
    /// CV ≥ 1.0 (or no demand at all): erratic.
    Z,
}

/// XYZ by the coefficient of variation of all periods.
pub fn xyz(y: &[f64]) -> Xyz {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    if y.is_empty() || mean <= 0.0 {
        return Xyz::Z;
    }
    let sd = (y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
    let cv = sd / mean;
    if cv < 0.5 {
        Xyz::X
    } else if cv < 1.0 {
        Xyz::Y
    } else {
        Xyz::Z
    }
}

/// An ABC class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Abc {
    /// The items making the first 80 % of value.
    A,
    /// The next 15 %.
    B,
    /// The rest.
    C,
}

/// ABC by value: `values[i]` is item i's value (e.g. annual demand × unit
/// cost, as f64 for ranking only); returns each item's class in input order.
/// An item is A when the cumulative share *before* it is below 80 %, so the
/// largest item is always A; ties keep input order.
pub fn abc(values: &[f64]) -> Vec<Abc> {
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let mut out = vec![Abc::C; values.len()];
    let mut cum = 0.0;
    for i in idx {
        let share_before = if total > 0.0 { cum / total } else { 1.0 };
        out[i] = if total > 0.0 && share_before < 0.8 {
            Abc::A
        } else if total > 0.0 && share_before < 0.95 {
            Abc::B
        } else {
            Abc::C
        };
        cum += values[i].max(0.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adi_cv2_by_hand() {
        // 6 periods, 3 demands → ADI 2; sizes 2, 4, 6: mean 4, var 8/3 → CV² 1/6
        let (adi, cv2) = adi_cv2(&[0.0, 2.0, 0.0, 4.0, 0.0, 6.0]).unwrap();
        assert!((adi - 2.0).abs() < 1e-12);
        assert!((cv2 - 1.0 / 6.0).abs() < 1e-12);
        assert!(adi_cv2(&[0.0, 0.0]).is_none());
    }

    #[test]
    fn the_four_classes_and_new_and_dead() {
        let c = ClassifyConfig {
            min_history: 4,
            dead_after: 3,
            ..ClassifyConfig::default()
        };
        assert_eq!(
            classify(&[5.0, 6.0, 5.0, 6.0, 5.0], &c),
            DemandClass::Smooth
        );
        // sizes 1, 10: CV² = 20.25/30.25 > .49
        assert_eq!(classify(&[1.0, 10.0, 1.0, 10.0], &c), DemandClass::Erratic);
        assert_eq!(
            classify(&[0.0, 5.0, 0.0, 6.0, 0.0, 5.0], &c),
            DemandClass::Intermittent
        );
        assert_eq!(
            classify(&[0.0, 1.0, 0.0, 10.0, 0.0, 1.0], &c),
            DemandClass::Lumpy
        );
        assert_eq!(classify(&[1.0, 2.0, 3.0], &c), DemandClass::New);
        assert_eq!(classify(&[0.0, 0.0, 0.0, 0.0, 7.0], &c), DemandClass::New);
        assert_eq!(
            classify(&[4.0, 5.0, 4.0, 0.0, 0.0, 0.0], &c),
            DemandClass::Dead
        );
        // exactly at the ADI cut-off 1.32 is intermittent (ADI ≥ 1.32):
        // 33 periods, 25 demands → 1.32
        let mut y = vec![3.0; 25];
        y.extend([0.0; 8]);
        y.rotate_right(4); // keep the last periods non-zero
        assert_eq!(
            classify(&y, &ClassifyConfig::default()),
            DemandClass::Intermittent
        );
    }

    #[test]
    fn xyz_and_abc() {
        assert_eq!(xyz(&[10.0, 11.0, 9.0]), Xyz::X);
        // 0, 2: mean 1, sd 1 → CV 1 → Z; 1, 3: mean 2, sd 1 → .5 → Y
        assert_eq!(xyz(&[0.0, 2.0]), Xyz::Z);
        assert_eq!(xyz(&[1.0, 3.0]), Xyz::Y);
        assert_eq!(xyz(&[0.0, 0.0]), Xyz::Z);
        // values 70, 20, 6, 4 (total 100): before = 0, 70, 90, 96 → A A B C
        assert_eq!(
            abc(&[6.0, 70.0, 4.0, 20.0]),
            vec![Abc::B, Abc::A, Abc::C, Abc::A]
        );
    }
}
