//! `crossdock match train|eval`: the catalog-matching pair scorer.
//!
//! Thin: parse the options, call `crossdock_models::matching`, print.

use std::time::Instant;

use crossdock_models::matching::model::{ScorerKind, ThresholdSource, TrainOptions};
use crossdock_models::matching::{pairs, MatchModel};
use serde_json::json;

use crate::{CliError, MatchArgs, MatchCommand, MatchScorer, MatchThresholds, Result};

pub fn run(args: MatchArgs) -> Result<()> {
    match args.command {
        MatchCommand::Train {
            pairs: train_path,
            valid,
            out,
            scorer,
            thresholds,
            sure_precision,
            keep_recall,
            rounds,
            depth,
            seed,
            json,
        } => {
            for (name, v) in [
                ("--sure-precision", sure_precision),
                ("--keep-recall", keep_recall),
            ] {
                if !(v > 0.0 && v <= 1.0) {
                    return Err(CliError::Usage(format!(
                        "{name} must be above 0 and at most 1"
                    )));
                }
            }
            if rounds == 0 || depth == 0 || depth > 12 {
                return Err(CliError::Usage(
                    "--rounds must be at least 1 and --depth between 1 and 12".into(),
                ));
            }
            let source = match thresholds {
                Some(MatchThresholds::Valid) if valid.is_none() => {
                    return Err(CliError::Usage(
                        "--thresholds valid needs --valid FILE".into(),
                    ))
                }
                Some(MatchThresholds::Valid) => ThresholdSource::Valid,
                Some(MatchThresholds::Cv) => ThresholdSource::CrossValidation,
                None if valid.is_some() => ThresholdSource::Valid,
                None => ThresholdSource::CrossValidation,
            };
            let started = Instant::now();
            let train = pairs::read_pairs(&train_path)?;
            let valid_pairs = valid.as_deref().map(pairs::read_pairs).transpose()?;
            let mut opts = TrainOptions {
                scorer: match scorer {
                    MatchScorer::Auto => ScorerKind::Auto,
                    MatchScorer::Gbt => ScorerKind::Gbt,
                    MatchScorer::Logistic => ScorerKind::Logistic,
                },
                thresholds: source,
                sure_precision,
                keep_recall,
                seed,
                ..TrainOptions::default()
            };
            opts.gbt.rounds = rounds;
            opts.gbt.depth = depth;
            opts.gbt.seed = seed;
            let model = MatchModel::train(
                &train,
                valid_pairs.as_deref(),
                &opts,
                None,
                &train_path.display().to_string(),
            )?;
            model.save(&out)?;
            let report = valid_pairs
                .as_deref()
                .map(|v| model.evaluate(v, None))
                .transpose()?;
            let secs = started.elapsed().as_secs_f64();
            let t = model.thresholds;
            let i = &model.info;
            if json {
                println!(
                    "{}",
                    json!({
                        "model": out.display().to_string(),
                        "scorer": i.scorer,
                        "thresholds_from": i.thresholds_from,
                        "thresholds": t,
                        "features": model.feature_names().len(),
                        "train_pairs": i.train_pairs,
                        "train_matches": i.train_matches,
                        "cv_best_f1": i.cv_best_f1,
                        "valid_best_f1": i.valid_best_f1,
                        "valid": report.as_ref().map(|r| json!({
                            "precision": r.at.precision, "recall": r.at.recall, "f1": r.at.f1, "best_f1": r.best_f1,
                        })),
                        "seconds": secs,
                    })
                );
            } else {
                println!(
                    "trained on {} pairs ({} matches), {} features, scorer {:?}, in {secs:.1} s",
                    i.train_pairs,
                    i.train_matches,
                    model.feature_names().len(),
                    i.scorer
                );
                let mut cv: Vec<_> = i.cv_best_f1.iter().collect();
                cv.sort_by(|a, b| a.0.cmp(b.0));
                for (k, v) in cv {
                    print!("  cross-validated best F1 {k} {:.3}", v);
                    if let Some(vb) = i.valid_best_f1.get(k) {
                        print!(", on valid {vb:.3}");
                    }
                    println!();
                }
                println!(
                    "thresholds ({}): no match below {:.3}, match from {:.3}, sure from {:.3}",
                    match i.thresholds_from {
                        ThresholdSource::Valid => "chosen on the validation pairs",
                        ThresholdSource::CrossValidation =>
                            "chosen by cross-validation on the training pairs",
                    },
                    t.lower,
                    t.decision,
                    t.upper
                );
                if let Some(r) = &report {
                    println!(
                        "valid: precision {:.3}, recall {:.3}, F1 {:.3} (best F1 over thresholds {:.3})",
                        r.at.precision, r.at.recall, r.at.f1, r.best_f1
                    );
                }
                println!("model written to {}", out.display());
            }
            Ok(())
        }
        MatchCommand::Eval {
            model,
            pairs: path,
            json,
        } => {
            let m = MatchModel::load(&model)?;
            let ps = pairs::read_pairs(&path)?;
            let r = m.evaluate(&ps, None)?;
            if json {
                println!(
                    "{}",
                    json!({
                        "pairs": r.pairs,
                        "matches": r.matches,
                        "threshold": r.at.threshold,
                        "precision": r.at.precision,
                        "recall": r.at.recall,
                        "f1": r.at.f1,
                        "tp": r.at.tp, "fp": r.at.fp, "fn": r.at.fn_,
                        "best_f1": r.best_f1,
                        "best_threshold": r.best_threshold,
                        "thresholds": r.thresholds,
                        "sure": r.sure, "review": r.review, "no_match": r.no_match,
                        "sure_precision": r.sure_precision,
                        "recall_above_lower": r.recall_above_lower,
                    })
                );
            } else {
                println!(
                    "{} pairs ({} matches) from {}",
                    r.pairs,
                    r.matches,
                    path.display()
                );
                println!(
                    "at the model's threshold {:.3}: precision {:.3}, recall {:.3}, F1 {:.3} ({} right, {} wrong, {} missed)",
                    r.at.threshold, r.at.precision, r.at.recall, r.at.f1, r.at.tp, r.at.fp, r.at.fn_
                );
                println!(
                    "best F1 over thresholds {:.3} (at {:.3}; chosen on these pairs, so optimistic)",
                    r.best_f1, r.best_threshold
                );
                println!(
                    "bands: {} sure (precision {:.3}), {} to review, {} no match ({:.1}% of the matches above the no-match threshold)",
                    r.sure,
                    r.sure_precision,
                    r.review,
                    r.no_match,
                    100.0 * r.recall_above_lower
                );
            }
            Ok(())
        }
    }
}
