//! `crossdock triage split|train|eval|classify`: customer e-mail triage.
//!
//! Thin: parse the options, call `crossdock_models::triage`, print.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crossdock_models::triage::data::{self, Labelled};
use crossdock_models::triage::eval::{self, EvalReport};
use crossdock_models::triage::inbox::{self as triage_inbox, Example};
use crossdock_models::triage::labels;
use crossdock_models::triage::mail::{self, MailItem};
use crossdock_models::triage::model::{main_text, TrainOptions};
use crossdock_models::triage::refs::{self, NoCheck, ReferenceCheck};
use crossdock_models::triage::store;
use crossdock_models::triage::warehouse::WarehouseCheck;
use crossdock_models::triage::{Reference, TriageModel};
use serde_json::json;

use crate::output;
use crate::{CliError, Result, TriageArgs, TriageCommand};

/// Where `crossdock demo` puts the default model: `<data>/_crossdock/triage-model`
/// (named by `crossdock_warehouse::layout`).
pub fn default_model_dir(data: &str) -> PathBuf {
    let root = data.strip_prefix("file://").unwrap_or(data);
    crossdock_warehouse::layout::resolve_existing_root(data)
        .ok()
        .and_then(|url| crossdock_warehouse::layout::triage_model_dir(&url).ok())
        .unwrap_or_else(|| {
            Path::new(root)
                .join(crossdock_warehouse::layout::CROSSDOCK_DIR)
                .join("triage-model")
        })
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
            inbox,
            with_corrections,
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
            let mut examples: Vec<Example> = Vec::new();
            let mut sources: Vec<String> = Vec::new();
            if let Some(input) = &input {
                let (Some(text_column), Some(label_column)) = (&text_column, &label_column) else {
                    return Err(CliError::Usage(
                        "--input needs --text-column and --label-column".into(),
                    ));
                };
                let set = data::read_labelled(input, text_column, label_column)?;
                examples.extend(set.rows.into_iter().map(|r| Example {
                    main: r.text,
                    quoted: String::new(),
                    label: r.label,
                }));
                sources.push(format!(
                    "{} (text {text_column:?}, label {label_column:?})",
                    input.display()
                ));
            }
            if let Some(dir) = &inbox {
                let read = triage_inbox::read(dir)?;
                let ex = triage_inbox::examples(&read);
                sources.push(format!("inbox {} ({} messages)", dir.display(), ex.len()));
                examples.extend(ex);
            }
            if with_corrections {
                let wh = crossdock_warehouse::Warehouse::open_existing(data)?;
                let (ex, from_excerpt) = store::correction_examples(&wh).await?;
                if !json {
                    eprintln!(
                        "{} corrected messages from {data} ({from_excerpt} rebuilt from the stored excerpt: their file is gone)",
                        ex.len()
                    );
                }
                sources.push(format!("{} corrections ({data})", ex.len()));
                examples.extend(ex);
            }
            let source = sources.join(" + ");
            let model = triage_inbox::train(&examples, &opts, &source)?;
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
            inbox,
            json,
        } => {
            let model = TriageModel::load(&model)?;
            if let Some(dir) = inbox {
                let read = triage_inbox::read(&dir)?;
                let (items, truth): (Vec<MailItem>, Vec<_>) = read.into_iter().unzip();
                let wh = crossdock_warehouse::Warehouse::open_existing(data).ok();
                let rows =
                    store::classify(wh.as_ref(), &model, &items, None, chrono::Utc::now()).await?;
                let score = triage_inbox::score(&rows, &truth);
                if json {
                    let mut v = serde_json::to_value(&score).expect("scores serialize");
                    v["inbox"] = json!(dir.display().to_string());
                    v["threshold"] = json!(model.meta().threshold);
                    v["warehouse"] = json!(wh.is_some());
                    println!("{v}");
                } else {
                    println!("{}", score.summary());
                    println!(
                        "threshold {:.3} (chosen when the model was trained)",
                        model.meta().threshold
                    );
                    if wh.is_none() {
                        println!("no warehouse at --data {data}: references not checked, suppliers not recognised by address");
                    }
                }
                return Ok(());
            }
            let (Some(input), Some(text_column), Some(label_column)) =
                (input, text_column, label_column)
            else {
                return Err(CliError::Usage(
                    "eval needs --input with --text-column and --label-column, or --inbox".into(),
                ));
            };
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

/// Messages in the demo's inbox.
pub const DEMO_INBOX_MESSAGES: usize = 400;
/// Messages in the separate inbox the demo trains the default model on.
pub const DEMO_TRAINING_MESSAGES: usize = 1500;
/// The training inbox's seed: the simulation's plus this (another inbox
/// about the same documents, never the scored one).
pub const TRAINING_SEED_OFFSET: u64 = 1_000_003;

/// The demo's customer-service inbox: writes it (`_crossdock/inbox/`) and a
/// separate training inbox of another seed (`_crossdock/triage-train/`),
/// trains the default model on the training one only (its threshold chosen
/// on the training inbox's calibration share), classifies the demo's inbox
/// into `derived/triage_message`, and says how it scored against the
/// inbox's ground truth.
pub async fn demo_inbox(
    wh: &crossdock_warehouse::Warehouse,
    sim: &crossdock_simulator::Simulator,
    seed: u64,
) -> Result<String> {
    use crossdock_simulator::inbox::{write_inbox, InboxConfig};
    use crossdock_warehouse::layout;
    let started = std::time::Instant::now();
    let root = wh.root();
    let inbox_dir = layout::inbox_dir(root)?;
    let train_dir = layout::triage_train_dir(root)?;
    let model_dir = layout::triage_model_dir(root)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CliError::Io { path, source }
    };
    for d in [&inbox_dir, &train_dir] {
        if d.exists() {
            std::fs::remove_dir_all(d).map_err(io(d))?;
        }
    }
    let inbox = sim.inbox(&InboxConfig {
        seed,
        messages: DEMO_INBOX_MESSAGES,
    });
    let train_seed = seed.wrapping_add(TRAINING_SEED_OFFSET);
    let training = sim.inbox(&InboxConfig {
        seed: train_seed,
        messages: DEMO_TRAINING_MESSAGES,
    });
    write_inbox(&inbox_dir, &inbox).map_err(io(&inbox_dir))?;
    write_inbox(&train_dir, &training).map_err(io(&train_dir))?;
    let examples = triage_inbox::examples(&triage_inbox::read(&train_dir)?);
    let model = triage_inbox::train(
        &examples,
        &TrainOptions::default(),
        &format!(
            "the demo's training inbox ({} messages, inbox seed {train_seed})",
            examples.len()
        ),
    )?;
    model.save(&model_dir)?;
    let (items, truth): (Vec<MailItem>, Vec<_>) =
        triage_inbox::read(&inbox_dir)?.into_iter().unzip();
    let company = sim
        .final_state()
        .get("res_company")
        .and_then(|t| t.keys().next())
        .and_then(|k| k.first().copied());
    let rows = store::classify(Some(wh), &model, &items, company, chrono::Utc::now()).await?;
    store::write(wh, &rows).await?;
    let score = triage_inbox::score(&rows, &truth);
    let data_arg = wh
        .root()
        .to_file_path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| wh.root().to_string());
    Ok(format!(
        "\ncustomer service's inbox: {} messages in {} (ground truth in truth.jsonl), classified into derived/triage_message in {:.1} s\n\
         the default model ({}) was trained on a separate inbox of {} messages (seed {train_seed}, {}), never on this one; review threshold {:.3}\n{}\n\
         Try: crossdock triage classify {} --data {}   |   crossdock triage eval --model {} --inbox {} --data {}   |   the Inbox page, as service",
        rows.len(),
        inbox_dir.display(),
        started.elapsed().as_secs_f64(),
        model_dir.display(),
        examples.len(),
        train_dir.display(),
        model.meta().threshold,
        score.summary(),
        inbox_dir.join("0001.eml").display(),
        data_arg,
        model_dir.display(),
        inbox_dir.display(),
        data_arg,
    ))
}
