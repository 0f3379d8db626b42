//! The trained pair scorer: features, a learned scorer (gradient-boosted
//! trees or logistic regression), Platt calibration fitted out of fold on
//! the training pairs, and three thresholds; saved as one JSON file.
//!
//! Training, in order:
//!
//! 1. the [`FeatureSpace`] (attributes, IDF) from the training records;
//! 2. `folds`-fold cross-validation on the training pairs: out-of-fold
//!    margins of each candidate scorer; with [`ScorerKind::Auto`] the one
//!    with the higher best F1 on the selection data wins (the validation
//!    pairs when thresholds come from them, else the out-of-fold scores);
//! 3. Platt calibration on the out-of-fold margins;
//! 4. the chosen scorer refitted on all training pairs;
//! 5. thresholds ([`eval::choose_thresholds`]) on the validation pairs'
//!    probabilities ([`ThresholdSource::Valid`]) or on the out-of-fold
//!    probabilities of the training pairs ([`ThresholdSource::CrossValidation`],
//!    which leaves the validation pairs untouched for an honest figure).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::calibrate::Platt;
use super::eval::{self, Metrics, Thresholds};
use super::features::{FeatureSpace, Prepared, TextEmbedder};
use super::gbt::{Gbt, GbtOptions, Rng};
use super::logistic::Logistic;
use super::pairs::{Pair, Record};
use super::{MatchError, Result};

const FORMAT: &str = "crossdock-match";
const VERSION: u32 = 1;

/// Which learner scores the pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScorerKind {
    /// Gradient-boosted trees.
    Gbt,
    /// Logistic regression.
    Logistic,
    /// Both, the better one kept (see the module documentation).
    Auto,
}

/// Where the thresholds are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThresholdSource {
    /// On the validation pairs (needs them).
    Valid,
    /// On the training pairs' out-of-fold probabilities.
    CrossValidation,
}

/// How to train.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainOptions {
    /// The learner.
    pub scorer: ScorerKind,
    /// The trees' settings.
    pub gbt: GbtOptions,
    /// The logistic regression's L2 penalty.
    pub l2: f64,
    /// Folds of the cross-validation (at least 2).
    pub folds: usize,
    /// Where the thresholds come from.
    pub thresholds: ThresholdSource,
    /// The precision the sure band must reach.
    pub sure_precision: f64,
    /// The share of matches the review band must keep above "no match".
    pub keep_recall: f64,
    /// Seed of the fold assignment.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            scorer: ScorerKind::Auto,
            gbt: GbtOptions::default(),
            l2: 1.0,
            folds: 5,
            thresholds: ThresholdSource::Valid,
            sure_precision: 0.97,
            keep_recall: 0.98,
            seed: 7,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Scorer {
    Gbt(Gbt),
    Logistic(Logistic),
}

impl Scorer {
    fn fit(kind: ScorerKind, x: &[Vec<f64>], y: &[bool], o: &TrainOptions) -> Scorer {
        match kind {
            ScorerKind::Logistic => Scorer::Logistic(Logistic::train(x, y, o.l2)),
            _ => Scorer::Gbt(Gbt::train(x, y, &o.gbt)),
        }
    }
    fn contributions(&self, x: &[f64]) -> (f64, Vec<f64>) {
        match self {
            Scorer::Gbt(m) => m.contributions(x),
            Scorer::Logistic(m) => m.contributions(x),
        }
    }
    fn margin(&self, x: &[f64]) -> f64 {
        match self {
            Scorer::Gbt(m) => m.margin(x),
            Scorer::Logistic(m) => m.margin(x),
        }
    }
    fn kind(&self) -> ScorerKind {
        match self {
            Scorer::Gbt(_) => ScorerKind::Gbt,
            Scorer::Logistic(_) => ScorerKind::Logistic,
        }
    }
}

/// What training saw and measured (kept in the model).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainInfo {
    /// Where the training pairs came from.
    pub source: String,
    /// Training pairs.
    pub train_pairs: usize,
    /// Of which matches.
    pub train_matches: usize,
    /// Validation pairs (0 without them).
    pub valid_pairs: usize,
    /// The learner kept.
    pub scorer: ScorerKind,
    /// Where the thresholds were chosen.
    pub thresholds_from: ThresholdSource,
    /// Best F1 of each learner on the out-of-fold training scores.
    pub cv_best_f1: HashMap<String, f64>,
    /// Best F1 of each learner on the validation pairs (empty without them).
    pub valid_best_f1: HashMap<String, f64>,
    /// The options.
    pub options: TrainOptions,
}

/// A trained scorer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatchModel {
    format: String,
    version: u32,
    space: FeatureSpace,
    names: Vec<String>,
    scorer: Scorer,
    platt: Platt,
    /// The thresholds.
    pub thresholds: Thresholds,
    /// How it was trained.
    pub info: TrainInfo,
}

/// What to do with a scored pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// At or above the upper threshold: proposed as a match without review.
    Sure,
    /// Between the thresholds: a person decides.
    Review,
    /// Below the lower threshold: no match (a candidate new product).
    NoMatch,
}

/// One feature's part in a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The feature (e.g. `codes.shared`, `title.tfidf_cosine`).
    pub feature: String,
    /// Its value for this pair.
    pub value: f64,
    /// What it added to the log-odds (positive: towards a match).
    pub contribution: f64,
}

/// A scored pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// The calibrated probability that the two records are the same product.
    pub probability: f64,
    /// Whether it counts as a match at the decision threshold.
    pub is_match: bool,
    /// Sure, review or no match.
    pub decision: Decision,
    /// The features that decided it, largest contribution first.
    pub evidence: Vec<Evidence>,
}

/// How many features a [`Scored`] names as its evidence.
pub const EVIDENCE: usize = 5;

fn stratified_folds(y: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let mut fold = vec![0; y.len()];
    for class in [true, false] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|i| y[*i] == class).collect();
        for i in (1..idx.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            idx.swap(i, j);
        }
        for (n, i) in idx.into_iter().enumerate() {
            fold[i] = n % k;
        }
    }
    fold
}

fn out_of_fold(kind: ScorerKind, x: &[Vec<f64>], y: &[bool], o: &TrainOptions) -> Vec<f64> {
    let k = o.folds.max(2);
    let fold = stratified_folds(y, k, o.seed);
    let mut m = vec![0.0; x.len()];
    for f in 0..k {
        let (tx, ty): (Vec<Vec<f64>>, Vec<bool>) = x
            .iter()
            .zip(y)
            .zip(&fold)
            .filter(|(_, g)| **g != f)
            .map(|((r, l), _)| (r.clone(), *l))
            .unzip();
        let s = Scorer::fit(kind, &tx, &ty, o);
        for i in 0..x.len() {
            if fold[i] == f {
                m[i] = s.margin(&x[i]);
            }
        }
    }
    m
}

fn kind_name(k: ScorerKind) -> &'static str {
    match k {
        ScorerKind::Gbt => "gbt",
        ScorerKind::Logistic => "logistic",
        ScorerKind::Auto => "auto",
    }
}

/// Features of many pairs, each distinct record prepared once.
fn pair_features(
    space: &FeatureSpace,
    pairs: &[Pair],
    embedder: Option<&dyn TextEmbedder>,
) -> Vec<Vec<f64>> {
    let mut cache: HashMap<&Record, Prepared> = HashMap::new();
    for p in pairs {
        for r in [&p.left, &p.right] {
            cache.entry(r).or_insert_with(|| space.prepare(r, embedder));
        }
    }
    pairs
        .iter()
        .map(|p| space.features(&cache[&p.left], &cache[&p.right]))
        .collect()
}

impl MatchModel {
    /// Trains on labelled pairs; `valid` (when given) chooses the
    /// thresholds or the learner as [`TrainOptions`] says. `source` names
    /// the training data in the model.
    pub fn train(
        train: &[Pair],
        valid: Option<&[Pair]>,
        o: &TrainOptions,
        embedder: Option<&dyn TextEmbedder>,
        source: &str,
    ) -> Result<MatchModel> {
        let y: Vec<bool> = train.iter().map(|p| p.label).collect();
        let pos = y.iter().filter(|l| **l).count();
        if pos == 0 || pos == y.len() {
            return Err(MatchError::Data {
                path: source.into(),
                reason: format!(
                    "{} training pairs, {pos} of them matches: training needs both matches and non-matches",
                    y.len()
                ),
            });
        }
        if o.thresholds == ThresholdSource::Valid && valid.is_none() {
            return Err(MatchError::Data {
                path: source.into(),
                reason: "thresholds from the validation pairs, but none given (give --valid, or choose them by cross-validation)".into(),
            });
        }
        let space = FeatureSpace::fit(train.iter().flat_map(|p| [&p.left, &p.right]), embedder);
        let x = pair_features(&space, train, embedder);
        let vx = valid.map(|v| pair_features(&space, v, embedder));
        let vy: Option<Vec<bool>> = valid.map(|v| v.iter().map(|p| p.label).collect());
        let kinds: Vec<ScorerKind> = match o.scorer {
            ScorerKind::Auto => vec![ScorerKind::Gbt, ScorerKind::Logistic],
            k => vec![k],
        };
        let mut cv_best = HashMap::new();
        let mut valid_best = HashMap::new();
        let mut candidates = Vec::new();
        for kind in kinds {
            let oof = out_of_fold(kind, &x, &y, o);
            let platt = Platt::fit(&oof, &y);
            let oof_p: Vec<f64> = oof.iter().map(|m| platt.probability(*m)).collect();
            let cv = eval::best_f1(&oof_p, &y).0;
            cv_best.insert(kind_name(kind).to_string(), cv);
            let scorer = Scorer::fit(kind, &x, &y, o);
            let vp: Option<Vec<f64>> = vx.as_ref().map(|vx| {
                vx.iter()
                    .map(|r| platt.probability(scorer.margin(r)))
                    .collect()
            });
            let vb = match (&vp, &vy) {
                (Some(p), Some(l)) => {
                    let b = eval::best_f1(p, l).0;
                    valid_best.insert(kind_name(kind).to_string(), b);
                    Some(b)
                }
                _ => None,
            };
            let select = match o.thresholds {
                ThresholdSource::Valid => vb.unwrap_or(cv),
                ThresholdSource::CrossValidation => cv,
            };
            candidates.push((select, scorer, platt, oof_p, vp));
        }
        let best = candidates
            .into_iter()
            .reduce(|a, b| if b.0 > a.0 { b } else { a })
            .expect("at least one learner");
        let (_, scorer, platt, oof_p, vp) = best;
        let thresholds = match (o.thresholds, &vp, &vy) {
            (ThresholdSource::Valid, Some(p), Some(l)) => {
                eval::choose_thresholds(p, l, o.sure_precision, o.keep_recall)
            }
            _ => eval::choose_thresholds(&oof_p, &y, o.sure_precision, o.keep_recall),
        };
        let names = space.names();
        Ok(MatchModel {
            format: FORMAT.into(),
            version: VERSION,
            space,
            names,
            info: TrainInfo {
                source: source.into(),
                train_pairs: train.len(),
                train_matches: pos,
                valid_pairs: valid.map_or(0, <[Pair]>::len),
                scorer: scorer.kind(),
                thresholds_from: o.thresholds,
                cv_best_f1: cv_best,
                valid_best_f1: valid_best,
                options: o.clone(),
            },
            scorer,
            platt,
            thresholds,
        })
    }

    /// The feature names, in order.
    pub fn feature_names(&self) -> &[String] {
        &self.names
    }

    /// The embedder id the model needs, if any.
    pub fn embedder(&self) -> Option<&str> {
        self.space.embedder.as_deref()
    }

    fn check_embedder(&self, embedder: Option<&dyn TextEmbedder>) -> Result<()> {
        match (&self.space.embedder, embedder) {
            (Some(id), None) => Err(MatchError::NeedsEmbedder(id.clone())),
            (Some(id), Some(e)) if e.id() != *id => {
                Err(MatchError::NeedsEmbedder(format!("{id}, given {}", e.id())))
            }
            _ => Ok(()),
        }
    }

    fn scored(&self, x: &[f64]) -> Scored {
        let (bias, c) = self.scorer.contributions(x);
        let margin = bias + c.iter().sum::<f64>();
        let probability = self.platt.probability(margin);
        let t = &self.thresholds;
        let decision = if probability >= t.upper {
            Decision::Sure
        } else if probability >= t.lower {
            Decision::Review
        } else {
            Decision::NoMatch
        };
        let mut ev: Vec<Evidence> = c
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(j, v)| Evidence {
                feature: self.names[j].clone(),
                value: x[j],
                contribution: *v,
            })
            .collect();
        ev.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        ev.truncate(EVIDENCE);
        Scored {
            probability,
            is_match: probability >= t.decision,
            decision,
            evidence: ev,
        }
    }

    /// Scores one pair.
    pub fn score(
        &self,
        left: &Record,
        right: &Record,
        embedder: Option<&dyn TextEmbedder>,
    ) -> Result<Scored> {
        self.check_embedder(embedder)?;
        let l = self.space.prepare(left, embedder);
        let r = self.space.prepare(right, embedder);
        Ok(self.scored(&self.space.features(&l, &r)))
    }

    /// Scores many pairs (each distinct record taken apart once).
    pub fn score_pairs(
        &self,
        pairs: &[Pair],
        embedder: Option<&dyn TextEmbedder>,
    ) -> Result<Vec<Scored>> {
        self.check_embedder(embedder)?;
        Ok(pair_features(&self.space, pairs, embedder)
            .iter()
            .map(|x| self.scored(x))
            .collect())
    }

    /// Scores labelled pairs and measures them.
    pub fn evaluate(
        &self,
        pairs: &[Pair],
        embedder: Option<&dyn TextEmbedder>,
    ) -> Result<EvalReport> {
        let s = self.score_pairs(pairs, embedder)?;
        let p: Vec<f64> = s.iter().map(|s| s.probability).collect();
        let y: Vec<bool> = pairs.iter().map(|p| p.label).collect();
        let at = eval::at_threshold(&p, &y, self.thresholds.decision);
        let (best_f1, best_threshold) = eval::best_f1(&p, &y);
        let count = |d: Decision| s.iter().filter(|x| x.decision == d).count();
        let sure = eval::at_threshold(&p, &y, self.thresholds.upper);
        let kept = eval::at_threshold(&p, &y, self.thresholds.lower);
        Ok(EvalReport {
            pairs: pairs.len(),
            matches: y.iter().filter(|l| **l).count(),
            at,
            best_f1,
            best_threshold,
            thresholds: self.thresholds,
            sure: count(Decision::Sure),
            review: count(Decision::Review),
            no_match: count(Decision::NoMatch),
            sure_precision: sure.precision,
            recall_above_lower: kept.recall,
        })
    }

    /// Writes the model to `dir/model.json` (created; written beside, then
    /// renamed, so a reader never sees half a model).
    pub fn save(&self, dir: &Path) -> Result<()> {
        let io = |p: &Path| {
            let path = p.to_path_buf();
            move |source| MatchError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join("model.json");
        let tmp = dir.join(".model.json.tmp");
        let text = serde_json::to_string(self).map_err(|e| MatchError::Model {
            path: path.clone(),
            reason: format!("cannot serialise: {e}"),
        })?;
        std::fs::write(&tmp, text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(())
    }

    /// Reads a model written by [`MatchModel::save`].
    pub fn load(dir: &Path) -> Result<MatchModel> {
        let path = dir.join("model.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                MatchError::Model {
                    path: dir.to_path_buf(),
                    reason: "no model.json here: train one with `crossdock match train --pairs FILE --valid FILE --out DIR`".into(),
                }
            } else {
                MatchError::Io {
                    path: path.clone(),
                    source: e,
                }
            }
        })?;
        let head: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| MatchError::Model {
                path: path.clone(),
                reason: format!("not JSON: {e}"),
            })?;
        if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(MatchError::Model {
                path,
                reason: format!("not a {FORMAT} model"),
            });
        }
        let version = head.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != u64::from(VERSION) {
            return Err(MatchError::Model {
                path,
                reason: format!(
                    "version {version}, this crossdock reads version {VERSION}: train the model again"
                ),
            });
        }
        let m: MatchModel = serde_json::from_value(head).map_err(|e| MatchError::Model {
            path: path.clone(),
            reason: format!("damaged model: {e}"),
        })?;
        if m.names.len() != m.space.names().len() {
            return Err(MatchError::Model {
                path,
                reason: "the feature list does not fit the feature space: train the model again"
                    .into(),
            });
        }
        Ok(m)
    }
}

/// What [`MatchModel::evaluate`] measures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalReport {
    /// Pairs scored.
    pub pairs: usize,
    /// Of which matches.
    pub matches: usize,
    /// At the model's decision threshold.
    pub at: Metrics,
    /// The best F1 over all thresholds (an optimistic figure: the threshold
    /// is chosen on the pairs measured).
    pub best_f1: f64,
    /// The threshold giving it.
    pub best_threshold: f64,
    /// The model's thresholds.
    pub thresholds: Thresholds,
    /// Pairs at or above the upper threshold.
    pub sure: usize,
    /// Pairs between the thresholds.
    pub review: usize,
    /// Pairs below the lower threshold.
    pub no_match: usize,
    /// Precision of the sure pairs.
    pub sure_precision: f64,
    /// Share of the matches at or above the lower threshold.
    pub recall_above_lower: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(l: &str, r: &str, label: bool) -> Pair {
        Pair {
            left: Record::new([("title", l)]),
            right: Record::new([("title", r)]),
            label,
        }
    }

    fn toy() -> Vec<Pair> {
        let brands = [
            "sony", "canon", "nikon", "lg", "samsung", "bosch", "makita", "hp",
        ];
        let things = [
            "camera",
            "printer",
            "drill",
            "dishwasher",
            "monitor",
            "toner",
        ];
        let mut out = Vec::new();
        for (i, b) in brands.iter().enumerate() {
            for (j, t) in things.iter().enumerate() {
                let code = format!("{}{}x{}", &b[..2], 100 + i * 7 + j, j);
                let l = format!("{b} {t} {code} black");
                out.push(pair(&l, &format!("{b} {code} {t}"), true));
                let other = format!("{}{}x{}", &b[..2], 300 + i * 5 + j, j);
                out.push(pair(&l, &format!("{b} {t} {other}"), false));
                out.push(pair(
                    &l,
                    &format!("{} {}", brands[(i + 1) % 8], things[(j + 2) % 6]),
                    false,
                ));
            }
        }
        out
    }

    #[test]
    fn learns_toy_pairs_saves_and_loads() {
        let pairs = toy();
        let o = TrainOptions {
            thresholds: ThresholdSource::CrossValidation,
            ..TrainOptions::default()
        };
        let m = MatchModel::train(&pairs, None, &o, None, "toy").unwrap();
        let r = m.evaluate(&pairs, None).unwrap();
        assert!(r.at.f1 > 0.9, "{r:?}");
        let t = m.thresholds;
        assert!(t.lower <= t.decision && t.decision <= t.upper);
        let dir = tempfile::tempdir().unwrap();
        m.save(dir.path()).unwrap();
        let back = MatchModel::load(dir.path()).unwrap();
        let a = m.score(&pairs[0].left, &pairs[0].right, None).unwrap();
        let b = back.score(&pairs[0].left, &pairs[0].right, None).unwrap();
        // JSON keeps floats to within a unit in the last place
        assert!((a.probability - b.probability).abs() < 1e-9);
        assert_eq!(a.decision, b.decision);
        let names = |s: &Scored| {
            s.evidence
                .iter()
                .map(|e| e.feature.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert!(a.is_match, "{a:?}");
        assert!(!a.evidence.is_empty() && a.evidence.len() <= EVIDENCE);
        let neg = m.score(&pairs[1].left, &pairs[1].right, None).unwrap();
        assert!(neg.probability < a.probability);
    }

    #[test]
    fn one_label_only_and_missing_valid_are_errors() {
        let pairs: Vec<Pair> = toy().into_iter().filter(|p| p.label).collect();
        let o = TrainOptions {
            thresholds: ThresholdSource::CrossValidation,
            ..TrainOptions::default()
        };
        let e = MatchModel::train(&pairs, None, &o, None, "only.txt")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("only.txt") && e.contains("both matches and non-matches"),
            "{e}"
        );
        let e = MatchModel::train(&toy(), None, &TrainOptions::default(), None, "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("--valid"), "{e}");
    }

    #[test]
    fn bad_model_folders_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let e = MatchModel::load(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("no model.json") && e.contains("crossdock match train"),
            "{e}"
        );
        std::fs::write(dir.path().join("model.json"), "{").unwrap();
        assert!(MatchModel::load(dir.path())
            .unwrap_err()
            .to_string()
            .contains("not JSON"));
        std::fs::write(dir.path().join("model.json"), r#"{"format":"x"}"#).unwrap();
        assert!(MatchModel::load(dir.path())
            .unwrap_err()
            .to_string()
            .contains("not a crossdock-match model"));
        std::fs::write(
            dir.path().join("model.json"),
            r#"{"format":"crossdock-match","version":1}"#,
        )
        .unwrap();
        assert!(MatchModel::load(dir.path())
            .unwrap_err()
            .to_string()
            .contains("damaged model"));
    }

    #[test]
    fn a_model_with_embeddings_needs_its_embedder() {
        use crate::matching::features::FnEmbedder;
        let e = FnEmbedder {
            id: "toy-embed".into(),
            f: |s: &str| vec![s.len() as f32, s.matches('a').count() as f32 + 1.0],
        };
        let o = TrainOptions {
            thresholds: ThresholdSource::CrossValidation,
            scorer: ScorerKind::Logistic,
            ..TrainOptions::default()
        };
        let pairs = toy();
        let m = MatchModel::train(&pairs, None, &o, Some(&e), "toy").unwrap();
        assert_eq!(m.embedder(), Some("toy-embed"));
        assert!(m.feature_names().iter().any(|n| n == "embedding.cosine"));
        let err = m.score(&pairs[0].left, &pairs[0].right, None).unwrap_err();
        assert!(err.to_string().contains("toy-embed"), "{err}");
        assert!(m.score(&pairs[0].left, &pairs[0].right, Some(&e)).is_ok());
    }
}
