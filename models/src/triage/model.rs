//! The linear triage model: TF-IDF features ([`super::features`]), a
//! multinomial logistic regression ([`super::linear`]) with a temperature
//! fitted on held-out training rows, the label → queue/category routes, and
//! the confidence threshold below which a message goes to review.
//!
//! Saved as a folder: `model.json` (format, version, labels, routes,
//! temperature, threshold, settings, training figures; readable by people)
//! and `weights.bin` (the vocabulary hashes, IDF and weights, little-endian).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::data::stratified_split;
use super::features::{Doc, FeatureConfig, SparseVec, Vectorizer};
use super::labels::{self, Category, Queue, Route};
use super::linear::{self, LogReg, TrainConfig};
use super::mail::Mail;
use super::{RefKind, Reference, Result, TriageError};

/// The `format` of `model.json`.
pub const FORMAT: &str = "crossdock-triage-linear";
/// The version of the folder's layout this build reads and writes.
pub const VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"CDTRIAG1";

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Features.
    pub features: FeatureConfig,
    /// The optimiser.
    pub training: TrainConfig,
    /// Share of the rows (per label) held out to fit the temperature and the
    /// threshold; the model is trained on the rest.
    pub calibration_share: f64,
    /// The share of automatically routed messages that must be right (on
    /// the calibration rows) when the threshold is chosen.
    pub target_precision: f64,
    /// Explicit routes of labels (others by [`labels::builtin`]).
    pub label_map: BTreeMap<String, Route>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            features: FeatureConfig::default(),
            training: TrainConfig::default(),
            calibration_share: 0.15,
            target_precision: 0.98,
            label_map: BTreeMap::new(),
        }
    }
}

/// Figures of a training run, measured on the calibration rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainInfo {
    /// Rows the weights were fitted on.
    pub train_rows: usize,
    /// Rows held out for calibration.
    pub calibration_rows: usize,
    /// Features kept.
    pub features: usize,
    /// Label accuracy on the calibration rows.
    pub calibration_accuracy: f64,
    /// ECE of the label confidence before temperature scaling.
    pub ece_uncalibrated: f64,
    /// ECE after.
    pub ece_calibrated: f64,
    /// Share of calibration rows routed automatically at the threshold.
    pub routed_share: f64,
    /// Share of those whose category was right.
    pub routed_precision: f64,
    /// Seconds spent training.
    pub seconds: f64,
}

/// `model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The labels, in the order of the weights' classes.
    pub labels: Vec<String>,
    /// Each label's queue and category.
    pub routes: Vec<Route>,
    /// Temperature of the softmax.
    pub temperature: f64,
    /// Category confidence below which a message goes to review.
    pub threshold: f64,
    /// The precision the threshold was chosen for.
    pub target_precision: f64,
    /// Feature settings.
    pub features: FeatureConfig,
    /// Optimiser settings.
    pub training: TrainConfig,
    /// Training figures.
    pub info: TrainInfo,
    /// Free text: where the training data came from.
    pub source: String,
}

/// A trained model.
#[derive(Debug, Clone)]
pub struct TriageModel {
    meta: ModelMeta,
    vectorizer: Vectorizer,
    logreg: LogReg,
}

/// The classifier's answer for one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Calibrated probability of each label.
    pub probs: Vec<f64>,
    /// The most likely label (index into [`ModelMeta::labels`]).
    pub label: usize,
    /// The most likely category and its probability (the sum over the
    /// labels that map to it).
    pub category: (Category, f64),
}

/// How one message is routed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Triage {
    /// The queue (best guess, also when `review` is set).
    pub queue: Queue,
    /// The category.
    pub category: Category,
    /// The model's label (e.g. a Bitext intent).
    pub label: String,
    /// Calibrated probability that the category is right.
    pub confidence: f64,
    /// True when the confidence is below the threshold: a person decides.
    pub review: bool,
    /// The rule that decided or changed the route, if one did (an
    /// auto-reply, a supplier's message).
    pub rule: Option<String>,
}

fn model_err(path: &Path, reason: impl Into<String>) -> TriageError {
    TriageError::Model {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// The text of a message the classifier reads first: subject and new text.
pub fn main_text(mail: &Mail) -> String {
    if mail.subject.is_empty() {
        mail.new_text.clone()
    } else {
        format!("{}\n{}", mail.subject, mail.new_text)
    }
}

impl TriageModel {
    /// Trains on `docs` with `labels` (the same length).
    pub fn train(
        docs: &[Doc<'_>],
        labels_of: &[&str],
        opts: &TrainOptions,
        source: &str,
    ) -> Result<TriageModel> {
        let started = std::time::Instant::now();
        if docs.len() != labels_of.len() {
            return Err(TriageError::Training(format!(
                "{} texts but {} labels",
                docs.len(),
                labels_of.len()
            )));
        }
        let mut names: Vec<String> = labels_of.iter().map(|l| l.to_string()).collect();
        names.sort();
        names.dedup();
        if names.len() < 2 {
            return Err(TriageError::Training(format!(
                "training needs at least two different labels, the data has {}",
                names.len()
            )));
        }
        if docs.len() < 10 {
            return Err(TriageError::Training(format!(
                "training needs at least 10 labelled messages, the data has {}",
                docs.len()
            )));
        }
        let index: BTreeMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let ys: Vec<usize> = labels_of.iter().map(|l| index[l]).collect();
        let (fit_idx, cal_idx) = stratified_split(
            labels_of,
            opts.calibration_share,
            opts.training.seed ^ 0xca1,
        );
        let fit_docs: Vec<Doc<'_>> = fit_idx.iter().map(|i| docs[*i]).collect();
        let vectorizer = Vectorizer::fit(&fit_docs, opts.features.clone());
        let xs: Vec<SparseVec> = fit_docs.iter().map(|d| vectorizer.transform(d)).collect();
        let fit_ys: Vec<usize> = fit_idx.iter().map(|i| ys[*i]).collect();
        let logreg = LogReg::fit(&xs, &fit_ys, vectorizer.len(), names.len(), &opts.training);
        let routes: Vec<Route> = names
            .iter()
            .map(|n| {
                opts.label_map
                    .get(n)
                    .copied()
                    .unwrap_or_else(|| labels::builtin(n))
            })
            .collect();
        let mut model = TriageModel {
            meta: ModelMeta {
                format: FORMAT.into(),
                version: VERSION,
                labels: names,
                routes,
                temperature: 1.0,
                threshold: 0.5,
                target_precision: opts.target_precision,
                features: opts.features.clone(),
                training: opts.training.clone(),
                info: TrainInfo {
                    train_rows: fit_idx.len(),
                    calibration_rows: cal_idx.len(),
                    features: vectorizer.len(),
                    calibration_accuracy: 0.0,
                    ece_uncalibrated: 0.0,
                    ece_calibrated: 0.0,
                    routed_share: 0.0,
                    routed_precision: 0.0,
                    seconds: 0.0,
                },
                source: source.to_string(),
            },
            vectorizer,
            logreg,
        };
        // calibration: temperature, then the threshold
        let cal_logits: Vec<Vec<f32>> = cal_idx
            .iter()
            .map(|i| model.logreg.logits(&model.vectorizer.transform(&docs[*i])))
            .collect();
        let cal_ys: Vec<usize> = cal_idx.iter().map(|i| ys[*i]).collect();
        let label_conf = |t: f64| -> (Vec<f64>, Vec<bool>) {
            cal_logits
                .iter()
                .zip(&cal_ys)
                .map(|(l, y)| {
                    let p = linear::softmax(l, t);
                    let best = argmax(&p);
                    (p[best], best == *y)
                })
                .unzip()
        };
        let (c1, ok1) = label_conf(1.0);
        model.meta.info.ece_uncalibrated = linear::ece(&c1, &ok1, 15);
        model.meta.temperature = linear::fit_temperature(&cal_logits, &cal_ys);
        let (c2, ok2) = label_conf(model.meta.temperature);
        model.meta.info.ece_calibrated = linear::ece(&c2, &ok2, 15);
        model.meta.info.calibration_accuracy =
            ok2.iter().filter(|x| **x).count() as f64 / ok2.len().max(1) as f64;
        let scored: Vec<(f64, bool)> = cal_logits
            .iter()
            .zip(&cal_ys)
            .map(|(l, y)| {
                let p = model.calibrated(l);
                let (cat, conf) = model.best_category(&p);
                (conf, cat == model.meta.routes[*y].category)
            })
            .collect();
        let (threshold, share, precision) = choose_threshold(scored, opts.target_precision);
        model.meta.threshold = threshold;
        model.meta.info.routed_share = share;
        model.meta.info.routed_precision = precision;
        model.meta.info.seconds = started.elapsed().as_secs_f64();
        Ok(model)
    }

    /// The model's description (`model.json`).
    pub fn meta(&self) -> &ModelMeta {
        &self.meta
    }

    /// Sets the review threshold.
    pub fn set_threshold(&mut self, threshold: f64) {
        self.meta.threshold = threshold;
    }

    fn calibrated(&self, logits: &[f32]) -> Vec<f64> {
        linear::softmax(logits, self.meta.temperature)
    }

    fn best_category(&self, probs: &[f64]) -> (Category, f64) {
        let mut by: BTreeMap<Category, f64> = BTreeMap::new();
        for (p, r) in probs.iter().zip(&self.meta.routes) {
            *by.entry(r.category).or_insert(0.0) += p;
        }
        by.into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((Category::Other, 0.0))
    }

    /// Classifies one text.
    pub fn predict(&self, doc: &Doc<'_>) -> Prediction {
        let probs = self.calibrated(&self.logreg.logits(&self.vectorizer.transform(doc)));
        let label = argmax(&probs);
        let category = self.best_category(&probs);
        Prediction {
            probs,
            label,
            category,
        }
    }

    /// The queue and category of a label index.
    pub fn route_of(&self, label: usize) -> Route {
        self.meta.routes[label]
    }

    /// Routes a message: auto-replies and newsletters to `other` (by their
    /// headers), otherwise the model's category; a supplier's message
    /// (`sender_is_supplier`, or purchase orders or receipts referenced and
    /// no customer document) to `purchasing`; below the threshold, review.
    pub fn classify(&self, mail: &Mail, refs: &[Reference], sender_is_supplier: bool) -> Triage {
        if let Some(why) = &mail.automatic {
            return Triage {
                queue: Queue::Other,
                category: Category::Other,
                label: "automatic".into(),
                confidence: 1.0,
                review: false,
                rule: Some(why.clone()),
            };
        }
        let main = main_text(mail);
        let p = self.predict(&Doc {
            main: &main,
            quoted: &mail.quoted,
        });
        let (category, confidence) = p.category;
        // the queue: the category's usual one among the labels that gave it
        let mut queue = self
            .meta
            .routes
            .iter()
            .zip(&p.probs)
            .filter(|(r, _)| r.category == category)
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(r, _)| r.queue)
            .unwrap_or(category.default_queue());
        let mut rule = None;
        let supplier_docs = refs
            .iter()
            .any(|r| matches!(r.kind, RefKind::PurchaseOrder | RefKind::Receipt));
        let customer_docs = refs.iter().any(|r| {
            matches!(
                r.kind,
                RefKind::SaleOrder | RefKind::Delivery | RefKind::Invoice | RefKind::CreditNote
            )
        });
        if sender_is_supplier {
            queue = Queue::Purchasing;
            rule = Some("the sender is a supplier".into());
        } else if supplier_docs && !customer_docs {
            queue = Queue::Purchasing;
            rule = Some("refers to purchase orders or receipts only".into());
        }
        Triage {
            queue,
            category,
            label: self.meta.labels[p.label].clone(),
            confidence,
            review: confidence < self.meta.threshold,
            rule,
        }
    }

    /// Writes the model into `dir` (created when missing).
    pub fn save(&self, dir: &Path) -> Result<()> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TriageError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let (hashes, idf, blocks) = self.vectorizer.parts();
        let k = self.logreg.n_classes;
        let mut bin = Vec::with_capacity(24 + hashes.len() * (13 + 4 * k));
        bin.extend_from_slice(MAGIC);
        bin.extend_from_slice(&(hashes.len() as u32).to_le_bytes());
        bin.extend_from_slice(&(k as u32).to_le_bytes());
        for ((h, i), b) in hashes.iter().zip(idf).zip(blocks) {
            bin.extend_from_slice(&h.to_le_bytes());
            bin.extend_from_slice(&i.to_le_bytes());
            bin.push(*b);
        }
        for w in self.logreg.weights.iter().chain(&self.logreg.bias) {
            bin.extend_from_slice(&w.to_le_bytes());
        }
        let wpath = dir.join("weights.bin");
        let mpath = dir.join("model.json");
        // write both beside, then rename: a reader never sees half a model
        let tmp_w = dir.join(".weights.bin.tmp");
        let tmp_m = dir.join(".model.json.tmp");
        std::fs::write(&tmp_w, &bin).map_err(io(&tmp_w))?;
        let json =
            serde_json::to_string_pretty(&self.meta).expect("the model's metadata serializes");
        std::fs::write(&tmp_m, json + "\n").map_err(io(&tmp_m))?;
        std::fs::rename(&tmp_w, &wpath).map_err(io(&wpath))?;
        std::fs::rename(&tmp_m, &mpath).map_err(io(&mpath))?;
        Ok(())
    }

    /// Reads a model folder written by [`TriageModel::save`].
    pub fn load(dir: &Path) -> Result<TriageModel> {
        let mpath = dir.join("model.json");
        let text = std::fs::read_to_string(&mpath).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                model_err(
                    dir,
                    "no model.json here: train one with `crossdock triage train ... --out DIR`",
                )
            } else {
                TriageError::Io {
                    path: mpath.clone(),
                    source: e,
                }
            }
        })?;
        let head: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| model_err(&mpath, format!("not JSON: {e}")))?;
        if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(model_err(&mpath, format!("not a {FORMAT} model")));
        }
        let version = head.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != VERSION as u64 {
            return Err(model_err(
                &mpath,
                format!("version {version}, this crossdock reads version {VERSION}: train the model again"),
            ));
        }
        let meta: ModelMeta =
            serde_json::from_value(head).map_err(|e| model_err(&mpath, e.to_string()))?;
        let wpath = dir.join("weights.bin");
        let bin = std::fs::read(&wpath).map_err(|e| TriageError::Io {
            path: wpath.clone(),
            source: e,
        })?;
        let bad = |why: &str| model_err(&wpath, why.to_string());
        if bin.len() < 16 || &bin[..8] != MAGIC {
            return Err(bad("not a crossdock triage weights file"));
        }
        let u32_at =
            |o: usize| u32::from_le_bytes(bin[o..o + 4].try_into().expect("4 bytes")) as usize;
        let (nf, k) = (u32_at(8), u32_at(12));
        if k != meta.labels.len() || meta.routes.len() != k {
            return Err(bad("its classes do not match model.json's labels"));
        }
        let want = 16 + nf * 13 + (nf * k + k) * 4;
        if bin.len() != want {
            return Err(bad(&format!(
                "{} bytes, expected {want}: truncated or damaged",
                bin.len()
            )));
        }
        let mut hashes = Vec::with_capacity(nf);
        let mut idf = Vec::with_capacity(nf);
        let mut blocks = Vec::with_capacity(nf);
        let mut o = 16;
        for _ in 0..nf {
            hashes.push(u64::from_le_bytes(
                bin[o..o + 8].try_into().expect("8 bytes"),
            ));
            idf.push(f32::from_le_bytes(
                bin[o + 8..o + 12].try_into().expect("4 bytes"),
            ));
            blocks.push(bin[o + 12]);
            o += 13;
        }
        let floats: Vec<f32> = bin[o..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        let (weights, bias) = floats.split_at(nf * k);
        Ok(TriageModel {
            vectorizer: Vectorizer::from_parts(meta.features.clone(), hashes, idf, blocks),
            logreg: LogReg {
                n_classes: k,
                weights: weights.to_vec(),
                bias: bias.to_vec(),
            },
            meta,
        })
    }
}

fn argmax(p: &[f64]) -> usize {
    (0..p.len())
        .max_by(|a, b| p[*a].total_cmp(&p[*b]))
        .unwrap_or(0)
}

/// The lowest confidence threshold at which the rows routed (confidence at
/// or above it) are right at least `target` of the time; with the share of
/// rows routed and their precision. Never below 0.5; 1.0 (nothing routed)
/// when no threshold reaches the target.
fn choose_threshold(mut scored: Vec<(f64, bool)>, target: f64) -> (f64, f64, f64) {
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let n = scored.len();
    let mut best: Option<(usize, f64)> = None;
    let mut right = 0usize;
    for (i, (conf, ok)) in scored.iter().enumerate() {
        right += *ok as usize;
        let routed = i + 1;
        // a threshold sits between distinct confidences
        let next_differs = scored.get(i + 1).is_none_or(|x| x.0 < *conf);
        if next_differs && right as f64 / routed as f64 >= target && *conf >= 0.5 {
            best = Some((routed, *conf));
        }
    }
    match best {
        Some((routed, conf)) => {
            let right = scored[..routed].iter().filter(|x| x.1).count();
            (conf, routed as f64 / n as f64, right as f64 / routed as f64)
        }
        None => (1.0, 0.0, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<String>, Vec<&'static str>) {
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..40 {
            texts.push(format!("please cancel my order number {i} now"));
            labels.push("cancel_order");
            texts.push(format!("where is my delivery {i}, it is late"));
            labels.push("track_order");
            texts.push(format!("the invoice {i} amount is wrong"));
            labels.push("check_invoice");
        }
        (texts, labels)
    }

    #[test]
    fn trains_saves_loads_and_routes() {
        let (texts, labels) = toy();
        let docs: Vec<Doc<'_>> = texts
            .iter()
            .map(|t| Doc {
                main: t,
                quoted: "",
            })
            .collect();
        let m = TriageModel::train(&docs, &labels, &TrainOptions::default(), "toy").unwrap();
        let dir = std::env::temp_dir().join(format!("cd-triage-model-{}", std::process::id()));
        m.save(&dir).unwrap();
        let back = TriageModel::load(&dir).unwrap();
        // serde_json reads a float back to within one unit in the last place
        let (a, b) = (back.meta(), m.meta());
        assert_eq!(
            (&a.labels, &a.routes, &a.source),
            (&b.labels, &b.routes, &b.source)
        );
        assert!((a.temperature - b.temperature).abs() < 1e-12);
        assert!((a.threshold - b.threshold).abs() < 1e-12);
        let d = Doc {
            main: "cancel the order please",
            quoted: "",
        };
        // the same model: the same answer, up to the order floats are summed in
        let (a, b) = (back.predict(&d), m.predict(&d));
        assert_eq!((a.label, a.category.0), (b.label, b.category.0));
        for (x, y) in a.probs.iter().zip(&b.probs) {
            assert!((x - y).abs() < 1e-9, "{a:?} vs {b:?}");
        }
        let mail = Mail {
            subject: "my delivery is late".into(),
            new_text: "where is it?".into(),
            ..Mail::default()
        };
        let t = back.classify(&mail, &[], false);
        assert_eq!(
            (t.queue, t.category),
            (Queue::Helpdesk, Category::OrderStatus)
        );
        assert!(t.confidence > 0.5 && t.confidence <= 1.0);
        let t = back.classify(&mail, &[], true);
        assert_eq!(t.queue, Queue::Purchasing);
        // a damaged or foreign folder is a clear error
        std::fs::write(dir.join("weights.bin"), b"CDTRIAG1xx").unwrap();
        let e = TriageModel::load(&dir).unwrap_err().to_string();
        assert!(e.contains("weights.bin"), "{e}");
        let e = TriageModel::load(&dir.join("nope"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no model.json"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn threshold_is_the_lowest_that_keeps_the_precision() {
        let scored = vec![
            (0.99, true),
            (0.95, true),
            (0.9, true),
            (0.8, false),
            (0.7, true),
        ];
        assert_eq!(choose_threshold(scored.clone(), 0.98), (0.9, 0.6, 1.0));
        let (t, share, _) = choose_threshold(scored, 0.75);
        assert_eq!((t, share), (0.7, 1.0));
        assert_eq!(choose_threshold(vec![(0.9, false)], 0.98), (1.0, 0.0, 0.0));
    }
}
