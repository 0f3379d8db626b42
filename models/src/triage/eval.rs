//! Scoring a model on labelled messages: accuracy, macro-F1, per-label
//! precision and recall, the most frequent confusions, calibration (ECE),
//! the queue and category figures, the share routed automatically and how
//! often those are right, and — when the file tags entities — precision,
//! recall and F1 of the extracted references.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::data::Labelled;
use super::features::Doc;
use super::linear;
use super::mail::Mail;
use super::model::TriageModel;
use super::refs::{self, NoCheck};
use super::RefKind;

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelScore {
    /// The label.
    pub label: String,
    /// Rows with this label.
    pub support: usize,
    /// Of the rows predicted as this label, the share that had it.
    pub precision: f64,
    /// Of the rows with this label, the share predicted as it.
    pub recall: f64,
    /// Harmonic mean of the two.
    pub f1: f64,
}

/// One kind of mistake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// The true label.
    pub actual: String,
    /// What the model said.
    pub predicted: String,
    /// How often.
    pub count: usize,
}

/// Reference extraction against tagged entities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefScore {
    /// Tagged order and invoice numbers.
    pub expected: usize,
    /// References extracted (all kinds, all rows).
    pub extracted: usize,
    /// Extracted and tagged (same value, same group).
    pub matched: usize,
    /// matched / extracted.
    pub precision: f64,
    /// matched / expected.
    pub recall: f64,
    /// Harmonic mean.
    pub f1: f64,
}

/// A model's scores on a labelled file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Rows scored.
    pub rows: usize,
    /// Share of rows whose label was predicted.
    pub accuracy: f64,
    /// Mean F1 over the labels of the file.
    pub macro_f1: f64,
    /// Share of rows whose category (after the label → category map) was right.
    pub category_accuracy: f64,
    /// Share of rows whose queue was right.
    pub queue_accuracy: f64,
    /// ECE of the label confidence (15 bins).
    pub ece: f64,
    /// ECE of the category confidence, the one `classify` reports.
    pub category_ece: f64,
    /// The model's review threshold.
    pub threshold: f64,
    /// Share of rows at or above the threshold (routed without review).
    pub routed_share: f64,
    /// Share of routed rows whose category was right.
    pub routed_category_accuracy: f64,
    /// Per label.
    pub per_label: Vec<LabelScore>,
    /// The most frequent confusions, most frequent first (at most 10).
    pub confusions: Vec<Confusion>,
    /// Labels of the file the model does not know (always wrong).
    pub unknown_labels: Vec<String>,
    /// References, when the file has `entity_type` / `entity_value`.
    pub references: Option<RefScore>,
    /// Milliseconds per row (features, classification, references).
    pub ms_per_row: f64,
}

/// The group a reference is compared in: orders and invoices.
fn ref_group(kind: RefKind) -> &'static str {
    match kind {
        RefKind::SaleOrder | RefKind::PurchaseOrder | RefKind::CustomerRef => "order",
        RefKind::Invoice | RefKind::CreditNote | RefKind::InvoiceRef => "invoice",
        RefKind::Delivery | RefKind::Receipt | RefKind::Transfer => "picking",
    }
}

fn tagged_group(entity_type: &str) -> Option<&'static str> {
    match entity_type {
        "order_id" | "order_number" | "purchase_order" | "sale_order" => Some("order"),
        "invoice_id" | "invoice_number" | "invoice" => Some("invoice"),
        "delivery_id" | "tracking_number" => Some("picking"),
        _ => None,
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores `model` on `data`.
pub fn evaluate(model: &TriageModel, data: &Labelled) -> EvalReport {
    let started = std::time::Instant::now();
    let meta = model.meta();
    let known: BTreeMap<&str, usize> = meta
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let mut file_labels: BTreeSet<&str> = BTreeSet::new();
    let mut right = 0usize;
    let (mut cat_right, mut queue_right) = (0usize, 0usize);
    let (mut routed, mut routed_right) = (0usize, 0usize);
    let mut confidences = Vec::new();
    let mut correct = Vec::new();
    let mut cat_conf = Vec::new();
    let mut cat_ok = Vec::new();
    let mut tp: BTreeMap<&str, usize> = BTreeMap::new();
    let mut predicted_n: BTreeMap<&str, usize> = BTreeMap::new();
    let mut support: BTreeMap<&str, usize> = BTreeMap::new();
    let mut confusions: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let (mut expected, mut extracted, mut matched) = (0usize, 0usize, 0usize);
    for row in &data.rows {
        let truth = row.label.as_str();
        file_labels.insert(truth);
        *support.entry(truth).or_default() += 1;
        let p = model.predict(&Doc {
            main: &row.text,
            quoted: "",
        });
        let predicted = meta.labels[p.label].as_str();
        *predicted_n.entry(predicted).or_default() += 1;
        let ok = predicted == truth;
        right += ok as usize;
        if ok {
            *tp.entry(truth).or_default() += 1;
        } else {
            *confusions.entry((truth, predicted)).or_default() += 1;
        }
        confidences.push(p.probs[p.label]);
        correct.push(ok);
        let true_route = known
            .get(truth)
            .map(|i| model.route_of(*i))
            .unwrap_or_else(|| super::labels::builtin(truth));
        let (cat, conf) = p.category;
        let cat_is_right = cat == true_route.category;
        cat_right += cat_is_right as usize;
        queue_right += (model.route_of(p.label).queue == true_route.queue) as usize;
        cat_conf.push(conf);
        cat_ok.push(cat_is_right);
        if conf >= meta.threshold {
            routed += 1;
            routed_right += cat_is_right as usize;
        }
        if data.has_entities {
            let mail = Mail {
                new_text: row.text.clone(),
                ..Mail::default()
            };
            let got: BTreeSet<(&str, String)> = refs::extract(&mail, &NoCheck)
                .into_iter()
                .map(|r| (ref_group(r.kind), refs::normalise(&r.value)))
                .collect();
            let want: BTreeSet<(&str, String)> = row
                .entity_type
                .as_deref()
                .and_then(tagged_group)
                .zip(row.entity_value.as_deref())
                .map(|(g, v)| (g, refs::normalise(v)))
                .into_iter()
                .collect();
            expected += want.len();
            extracted += got.len();
            matched += got.intersection(&want).count();
        }
    }
    let n = data.rows.len();
    let per_label: Vec<LabelScore> = file_labels
        .iter()
        .map(|l| {
            let t = tp.get(l).copied().unwrap_or(0);
            let precision = ratio(t, predicted_n.get(l).copied().unwrap_or(0));
            let recall = ratio(t, support[l]);
            LabelScore {
                label: l.to_string(),
                support: support[l],
                precision,
                recall,
                f1: f1(precision, recall),
            }
        })
        .collect();
    let macro_f1 = per_label.iter().map(|s| s.f1).sum::<f64>() / per_label.len().max(1) as f64;
    let mut conf: Vec<Confusion> = confusions
        .into_iter()
        .map(|((a, p), count)| Confusion {
            actual: a.to_string(),
            predicted: p.to_string(),
            count,
        })
        .collect();
    conf.sort_by(|a, b| b.count.cmp(&a.count).then(a.actual.cmp(&b.actual)));
    conf.truncate(10);
    let references = data.has_entities.then(|| {
        let precision = ratio(matched, extracted);
        let recall = ratio(matched, expected);
        RefScore {
            expected,
            extracted,
            matched,
            precision,
            recall,
            f1: f1(precision, recall),
        }
    });
    EvalReport {
        rows: n,
        accuracy: ratio(right, n),
        macro_f1,
        category_accuracy: ratio(cat_right, n),
        queue_accuracy: ratio(queue_right, n),
        ece: linear::ece(&confidences, &correct, 15),
        category_ece: linear::ece(&cat_conf, &cat_ok, 15),
        threshold: meta.threshold,
        routed_share: ratio(routed, n),
        routed_category_accuracy: ratio(routed_right, routed),
        per_label,
        confusions: conf,
        unknown_labels: file_labels
            .iter()
            .filter(|l| !known.contains_key(*l))
            .map(|l| l.to_string())
            .collect(),
        references,
        ms_per_row: started.elapsed().as_secs_f64() * 1000.0 / n.max(1) as f64,
    }
}
