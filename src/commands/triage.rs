//! `crossdock triage split|train|eval|classify`: customer e-mail triage.
//!
//! Thin: parse the options, call `crossdock_models::triage`, print.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crossdock_models::triage::data::{self, Labelled};
use crossdock_models::triage::eval::{self, EvalReport};
use crossdock_models::triage::features::Doc;
use crossdock_models::triage::labels;
use crossdock_models::triage::mail::{self, MailItem};
use crossdock_models::triage::model::{main_text, TrainOptions};
use crossdock_models::triage::refs::{self, NoCheck, ReferenceCheck};
use crossdock_models::triage::warehouse::WarehouseCheck;
use crossdock_models::triage::{Reference, TriageModel};
use serde_json::json;

use crate::output;
use crate::{CliError, Result, TriageArgs, TriageCommand};

/// Where `crossdock demo` puts the default model: `<data>/_crossdock/triage-model`.
pub fn default_model_dir(data: &str) -> PathBuf {
    let root = data.strip_prefix("file://").unwrap_or(data);
    Path::new(root).join("_crossdock").join("triage-model")
}

pub async fn run(data: &str, args: TriageArgs) -> Result<()> {
    match args.command {
        TriageCommand::Split {
            input,
            label_column,
            test_share,
            seed,
            train_out,
            test_out,
        } => {
            if !(0.0..1.0).contains(&test_share) || test_share == 0.0 {
                return Err(CliError::Usage(
                    "--test-share must be above 0 and below 1 (e.g. 0.2)".into(),
                ));
            }
            let s = data::write_split(
                &input,
                &label_column,
                test_share,
                seed,
                &train_out,
                &test_out,
            )?;
            println!(
                "{} rows to {}, {} held out to {} (stratified on {label_column}, seed {seed})",
                s.train,
                train_out.display(),
                s.test,
                test_out.display()
            );
            Ok(())
        }
        TriageCommand::Train {
            input,
            text_column,
            label_column,
            out,
            label_map,
            calibration_share,
            target_precision,
            epochs,
            seed,
            json,
        } => {
            if !(0.0..0.9).contains(&calibration_share) {
                return Err(CliError::Usage(
                    "--calibration-share must be at least 0 and below 0.9".into(),
                ));
            }
            if !(0.0..=1.0).contains(&target_precision) {
                return Err(CliError::Usage(
                    "--target-precision must be between 0 and 1".into(),
                ));
            }
            let set = data::read_labelled(&input, &text_column, &label_column)?;
            let mut opts = TrainOptions {
                calibration_share,
                target_precision,
                ..TrainOptions::default()
            };
            opts.training.epochs = epochs;
            opts.training.seed = seed;
            if let Some(map) = &label_map {
                opts.label_map = labels::read_map(map)?;
            }
            let docs: Vec<Doc<'_>> = set
                .rows
                .iter()
                .map(|r| Doc {
                    main: &r.text,
                    quoted: "",
                })
                .collect();
            let labels_of: Vec<&str> = set.rows.iter().map(|r| r.label.as_str()).collect();
            let source = format!(
                "{} (text {text_column:?}, label {label_column:?})",
                input.display()
            );
            let model = TriageModel::train(&docs, &labels_of, &opts, &source)?;
            model.save(&out)?;
            let m = model.meta();
            if json {
                println!(
                    "{}",
                    json!({"model": out.display().to_string(), "labels": m.labels, "temperature": m.temperature, "threshold": m.threshold, "info": m.info})
                );
            } else {
                let i = &m.info;
                println!(
                    "trained on {} rows ({} held out for calibration), {} labels, {} features, in {:.1} s",
                    i.train_rows,
                    i.calibration_rows,
                    m.labels.len(),
                    i.features,
                    i.seconds
                );
                println!(
                    "calibration rows: accuracy {:.3}, ECE {:.3} → {:.3} at temperature {:.3}",
                    i.calibration_accuracy, i.ece_uncalibrated, i.ece_calibrated, m.temperature
                );
                println!(
                    "review threshold {:.3}: {:.1} % routed automatically, {:.1} % of those right (target {:.0} %)",
                    m.threshold,
                    100.0 * i.routed_share,
                    100.0 * i.routed_precision,
                    100.0 * m.target_precision
                );
                println!("model written to {}", out.display());
            }
            Ok(())
        }
        TriageCommand::Eval {
            model,
            input,
            text_column,
            label_column,
            json,
        } => {
            let model = TriageModel::load(&model)?;
            let set: Labelled = data::read_labelled(&input, &text_column, &label_column)?;
            if set.rows.is_empty() {
                return Err(CliError::Usage(format!(
                    "{}: no rows to score",
                    input.display()
                )));
            }
            let r = eval::evaluate(&model, &set);
            if json {
                let mut v = serde_json::to_value(&r).expect("reports serialize");
                v["reference_f1"] = r
                    .references
                    .as_ref()
                    .map(|x| json!(x.f1))
                    .unwrap_or(json!(null));
                v["input"] = json!(input.display().to_string());
                println!("{v}");
                Ok(())
            } else {
                output::print_list(&eval_table(&r))
            }
        }
        TriageCommand::Classify {
            files,
            model,
            threshold,
            json,
        } => {
            let dir = model.unwrap_or_else(|| default_model_dir(data));
            let mut model = TriageModel::load(&dir).map_err(|e| {
                CliError::Usage(format!(
                    "{e}\n(run `crossdock demo` to train the default model, or pass --model DIR from `crossdock triage train`)"
                ))
            })?;
            if let Some(t) = threshold {
                model.set_threshold(t);
            }
            let mut items: Vec<MailItem> = Vec::new();
            for f in &files {
                items.extend(mail::read_path(f)?);
            }
            // references first without a check, then checked in one go
            let found: Vec<Vec<Reference>> = items
                .iter()
                .map(|i| match &i.mail {
                    Ok(m) => refs::extract(m, &NoCheck),
                    Err(_) => Vec::new(),
                })
                .collect();
            let check = warehouse_check(data, &found, &items).await?;
            let mut out = String::new();
            for (item, mut rs) in items.iter().zip(found) {
                let line = match &item.mail {
                    Err(e) => json!({
                        "file": item.source, "error": e.to_string(), "error_kind": e,
                        "queue": "other", "category": "other", "confidence": 0.0,
                        "review": true, "references": [],
                    }),
                    Ok(m) => {
                        let supplier = match (&check, &m.from) {
                            (Some(c), Some(f)) => c.is_supplier(f),
                            _ => false,
                        };
                        if let Some(c) = &check {
                            for r in &mut rs {
                                r.found = c.found(r);
                            }
                        }
                        let t = model.classify(m, &rs, supplier);
                        json!({
                            "file": item.source,
                            "message_id": m.message_id,
                            "from": m.from,
                            "subject": m.subject,
                            "queue": t.queue,
                            "category": t.category,
                            "label": t.label,
                            "confidence": (t.confidence * 1e4).round() / 1e4,
                            "review": t.review,
                            "route": if t.review { "review".to_string() } else { t.queue.to_string() },
                            "rule": t.rule,
                            "references": rs,
                            "attachments": m.attachments,
                            "html_only": m.html_only,
                            "new_text_chars": main_text(m).chars().count(),
                            "quoted_chars": m.quoted.chars().count(),
                        })
                    }
                };
                if json {
                    out.push_str(&line.to_string());
                    out.push('\n');
                } else {
                    out.push_str(&classify_line(&line));
                }
            }
            output::print_list(&out)
        }
    }
}

/// The warehouse at `--data`, when there is one; `None` otherwise (every
/// reference then has `found: false`).
async fn warehouse_check(
    data: &str,
    found: &[Vec<Reference>],
    items: &[MailItem],
) -> Result<Option<WarehouseCheck>> {
    let Ok(wh) = crossdock_warehouse::Warehouse::open_existing(data) else {
        return Ok(None);
    };
    let all: Vec<Reference> = found.iter().flatten().cloned().collect();
    let senders: Vec<String> = items
        .iter()
        .filter_map(|i| i.mail.as_ref().ok().and_then(|m| m.from.clone()))
        .collect();
    Ok(Some(WarehouseCheck::load(&wh, &all, &senders).await?))
}

fn classify_line(v: &serde_json::Value) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    if let Some(e) = v["error"].as_str() {
        return format!("{}\n  not read: {e}\n", s("file"));
    }
    let refs: Vec<String> = v["references"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    format!(
                        "{} {}{}",
                        r["kind"].as_str().unwrap_or(""),
                        r["value"].as_str().unwrap_or(""),
                        if r["found"].as_bool() == Some(true) {
                            " ✓"
                        } else {
                            ""
                        }
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{}\n  {} → {} / {} ({:.0} %{}){}\n  references: {}\n",
        s("file"),
        s("subject"),
        s("queue"),
        s("category"),
        100.0 * v["confidence"].as_f64().unwrap_or(0.0),
        if v["review"].as_bool() == Some(true) {
            ", to review"
        } else {
            ""
        },
        v["rule"]
            .as_str()
            .map(|r| format!(" [{r}]"))
            .unwrap_or_default(),
        if refs.is_empty() {
            "none".into()
        } else {
            refs.join(", ")
        }
    )
}

fn eval_table(r: &EvalReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} rows: accuracy {:.3}, macro-F1 {:.3}; category accuracy {:.3}, queue accuracy {:.3}\n",
        r.rows, r.accuracy, r.macro_f1, r.category_accuracy, r.queue_accuracy
    ));
    out.push_str(&format!(
        "calibration: ECE {:.3} (label), {:.3} (category)\n",
        r.ece, r.category_ece
    ));
    out.push_str(&format!(
        "threshold {:.3}: {:.1} % routed automatically, {:.1} % of those in the right category\n",
        r.threshold,
        100.0 * r.routed_share,
        100.0 * r.routed_category_accuracy
    ));
    if let Some(x) = &r.references {
        out.push_str(&format!(
            "references: precision {:.3}, recall {:.3}, F1 {:.3} ({} tagged, {} extracted, {} matched)\n",
            x.precision, x.recall, x.f1, x.expected, x.extracted, x.matched
        ));
    }
    if !r.unknown_labels.is_empty() {
        out.push_str(&format!(
            "labels the model does not know: {}\n",
            r.unknown_labels.join(", ")
        ));
    }
    out.push_str(&format!(
        "\n  {:<28} {:>7} {:>9} {:>7} {:>7}\n",
        "label", "support", "precision", "recall", "F1"
    ));
    for s in &r.per_label {
        out.push_str(&format!(
            "  {:<28} {:>7} {:>9.3} {:>7.3} {:>7.3}\n",
            s.label, s.support, s.precision, s.recall, s.f1
        ));
    }
    if !r.confusions.is_empty() {
        out.push_str("\nmost frequent confusions (actual → predicted):\n");
        let mut by: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for c in &r.confusions {
            by.entry(c.count)
                .or_default()
                .push(format!("{} → {}", c.actual, c.predicted));
        }
        for (n, v) in by.into_iter().rev() {
            for l in v {
                out.push_str(&format!("  {n:>4}  {l}\n"));
            }
        }
    }
    out
}
