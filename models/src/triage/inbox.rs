//! A labelled inbox: a folder of `.eml` files with a `truth.jsonl` beside
//! them (one JSON object per message: `file`, `queue`, `category`, and
//! optionally `references`, a list of `{kind, value}`) — the demo's inbox
//! (written by the simulator) or a team's own labelled mail.
//!
//! [`read`] gives each message with its truth, [`label_of`] the label to
//! train on, and [`score`] the figures of the goal on classified rows: the
//! share routed automatically, the share of those routed right (queue and
//! category both), and the references' precision and recall.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::mail::{self, MailItem};
use super::refs::normalise;
use super::store::MessageRow;
use super::{Category, Queue, Result, TriageError};

/// The ground-truth file of a labelled inbox.
pub const TRUTH_FILE: &str = "truth.jsonl";

/// A reference a person listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthRef {
    /// `sale_order`, `invoice`, ... (the names of [`super::RefKind`]).
    pub kind: String,
    /// The value.
    pub value: String,
    /// True when the document exists (default true).
    #[serde(default = "yes")]
    pub exists: bool,
}

fn yes() -> bool {
    true
}

/// What a person said of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    /// The file name, relative to the folder.
    pub file: String,
    /// The queue.
    pub queue: Queue,
    /// The category.
    pub category: Category,
    /// The references, when listed.
    #[serde(default)]
    pub references: Vec<TruthRef>,
}

/// The label to train on for a queue and a category: the category's name,
/// or `queue:category` when the queue is not the category's usual one (a
/// supplier's `purchasing:order status`).
pub fn label_of(queue: Queue, category: Category) -> String {
    if category.default_queue() == queue {
        category.name().to_string()
    } else {
        format!("{queue}:{category}")
    }
}

/// Every message of a labelled inbox with its truth, in the truth file's
/// order. A message that cannot be read is kept with its error.
pub fn read(dir: &Path) -> Result<Vec<(MailItem, Truth)>> {
    let path = dir.join(TRUTH_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| TriageError::Io {
        path: path.clone(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let truth: Truth = serde_json::from_str(line).map_err(|e| TriageError::Csv {
            path: path.clone(),
            line: i as u64 + 1,
            reason: e.to_string(),
        })?;
        let file = dir.join(&truth.file);
        let item = match std::fs::read(&file) {
            Ok(raw) => MailItem {
                source: file.display().to_string(),
                mail: mail::parse_bytes(&raw),
            },
            Err(e) => MailItem {
                source: file.display().to_string(),
                mail: Err(mail::MailError::Unreadable(e.to_string())),
            },
        };
        out.push((item, truth));
    }
    Ok(out)
}

/// Precision and recall of the references.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefFigures {
    /// References listed by the truth.
    pub expected: usize,
    /// References extracted.
    pub extracted: usize,
    /// Extracted and listed (same kind, same value).
    pub matched: usize,
    /// matched / extracted.
    pub precision: f64,
    /// matched / expected.
    pub recall: f64,
    /// Harmonic mean.
    pub f1: f64,
    /// Listed references to existing documents.
    pub existing: usize,
    /// Of those, extracted with `found: true` (checked in the warehouse).
    pub existing_found: usize,
    /// Extracted with `found: true` but listed as not existing, or not listed.
    pub found_unlisted: usize,
}

/// The goal's figures on a classified inbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxScore {
    /// Messages scored.
    pub messages: usize,
    /// Messages that could not be read.
    pub parse_errors: usize,
    /// Routed automatically (not to review).
    pub routed: usize,
    /// routed / messages.
    pub routed_share: f64,
    /// Routed and right (queue and category).
    pub routed_right: usize,
    /// routed_right / routed.
    pub routed_precision: f64,
    /// Routed with the right queue (category may differ).
    pub routed_queue_right: usize,
    /// Category right, all messages (best guess also for review).
    pub category_accuracy: f64,
    /// Queue right, all messages.
    pub queue_accuracy: f64,
    /// References.
    pub references: RefFigures,
    /// The routed messages that went wrong: (file, truth queue/category, predicted).
    pub wrong: Vec<(String, String, String)>,
}

fn file_name(s: &str) -> String {
    Path::new(s.split('#').next().unwrap_or(s))
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| s.to_string())
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores classified rows against the truth (joined by file name; rows
/// without a truth are not scored).
pub fn score(rows: &[MessageRow], truth: &[Truth]) -> InboxScore {
    let by_file: BTreeMap<String, &Truth> = truth.iter().map(|t| (t.file.clone(), t)).collect();
    let mut s = InboxScore {
        messages: 0,
        parse_errors: 0,
        routed: 0,
        routed_share: 0.0,
        routed_right: 0,
        routed_precision: 0.0,
        routed_queue_right: 0,
        category_accuracy: 0.0,
        queue_accuracy: 0.0,
        references: RefFigures {
            expected: 0,
            extracted: 0,
            matched: 0,
            precision: 0.0,
            recall: 0.0,
            f1: 0.0,
            existing: 0,
            existing_found: 0,
            found_unlisted: 0,
        },
        wrong: Vec::new(),
    };
    let (mut cat_ok, mut queue_ok) = (0, 0);
    for r in rows {
        let Some(t) = by_file.get(&file_name(&r.file)) else {
            continue;
        };
        s.messages += 1;
        if r.parse_error.is_some() {
            s.parse_errors += 1;
        }
        let q = r.queue == t.queue.name();
        let c = r.category == t.category.name();
        cat_ok += c as usize;
        queue_ok += q as usize;
        if !r.review {
            s.routed += 1;
            s.routed_right += (q && c) as usize;
            s.routed_queue_right += q as usize;
            if !(q && c) {
                s.wrong.push((
                    file_name(&r.file),
                    format!("{} / {}", t.queue, t.category),
                    format!("{} / {}", r.queue, r.category),
                ));
            }
        }
        let key = |kind: &str, value: &str| (kind.to_string(), normalise(value));
        let expected: HashSet<(String, String)> = t
            .references
            .iter()
            .map(|x| key(&x.kind, &x.value))
            .collect();
        let existing: HashSet<(String, String)> = t
            .references
            .iter()
            .filter(|x| x.exists)
            .map(|x| key(&x.kind, &x.value))
            .collect();
        let got: HashSet<(String, String)> = r
            .references
            .iter()
            .map(|x| key(x.kind.name(), &x.value))
            .collect();
        let found: HashSet<(String, String)> = r
            .references
            .iter()
            .filter(|x| x.found)
            .map(|x| key(x.kind.name(), &x.value))
            .collect();
        let f = &mut s.references;
        f.expected += expected.len();
        f.extracted += got.len();
        f.matched += expected.intersection(&got).count();
        f.existing += existing.len();
        f.existing_found += existing.intersection(&found).count();
        f.found_unlisted += found.difference(&existing).count();
    }
    s.routed_share = ratio(s.routed, s.messages);
    s.routed_precision = ratio(s.routed_right, s.routed);
    s.category_accuracy = ratio(cat_ok, s.messages);
    s.queue_accuracy = ratio(queue_ok, s.messages);
    let f = &mut s.references;
    f.precision = ratio(f.matched, f.extracted);
    f.recall = ratio(f.matched, f.expected);
    f.f1 = if f.precision + f.recall > 0.0 {
        2.0 * f.precision * f.recall / (f.precision + f.recall)
    } else {
        0.0
    };
    s
}

impl InboxScore {
    /// A few lines for people.
    pub fn summary(&self) -> String {
        let f = &self.references;
        format!(
            "{} messages ({} not readable): {:.1} % routed automatically ({} of {}), {:.1} % of those right (queue and category; {} wrong), {:.1} % in the right queue\n\
             all messages: category accuracy {:.3}, queue accuracy {:.3}\n\
             references: precision {:.3}, recall {:.3}, F1 {:.3} ({} listed, {} extracted, {} matched); {} of {} real documents found in the warehouse, {} found that were not listed",
            self.messages,
            self.parse_errors,
            100.0 * self.routed_share,
            self.routed,
            self.messages,
            100.0 * self.routed_precision,
            self.routed - self.routed_right,
            100.0 * ratio(self.routed_queue_right, self.routed),
            self.category_accuracy,
            self.queue_accuracy,
            f.precision,
            f.recall,
            f.f1,
            f.expected,
            f.extracted,
            f.matched,
            f.existing_found,
            f.existing,
            f.found_unlisted,
        )
    }
}

/// One message to train on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Subject and new text ([`super::model::main_text`]).
    pub main: String,
    /// The quoted or forwarded history.
    pub quoted: String,
    /// The label ([`label_of`]).
    pub label: String,
}

/// The readable messages of a labelled inbox as training examples.
pub fn examples(messages: &[(MailItem, Truth)]) -> Vec<Example> {
    messages
        .iter()
        .filter_map(|(item, t)| {
            item.mail.as_ref().ok().map(|m| Example {
                main: super::model::main_text(m),
                quoted: m.quoted.clone(),
                label: label_of(t.queue, t.category),
            })
        })
        .collect()
}

/// Trains a model on examples (see [`super::TriageModel::train`]).
pub fn train(
    examples: &[Example],
    opts: &super::model::TrainOptions,
    source: &str,
) -> Result<super::TriageModel> {
    let docs: Vec<super::features::Doc<'_>> = examples
        .iter()
        .map(|e| super::features::Doc {
            main: &e.main,
            quoted: &e.quoted,
        })
        .collect();
    let labels: Vec<&str> = examples.iter().map(|e| e.label.as_str()).collect();
    super::TriageModel::train(&docs, &labels, opts, source)
}
