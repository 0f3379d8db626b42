//! Crash at batch boundaries and in the middle of batches, resume, and check
//! the warehouse against the simulator: state row for row, change logs
//! exactly once, KPIs equal to the ground truth.

use std::collections::BTreeMap;

use crossdock_change::{ChangeBatchBuilder, Transaction};
use crossdock_simulator::{GroundTruth, Simulator};
use crossdock_warehouse::kpi::{Dimension, KpiQuery, KpiReport};
use crossdock_warehouse::{ApplyOptions, FailPoint, Warehouse, WarehouseError};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rust_decimal::Decimal;

use crate::common::{
    assert_current_equals_simulator, assert_row_equals_truth, change_log_counts, small_config,
};

fn run_simulator(seed: u64) -> (Simulator, Vec<Transaction>) {
    let mut sim = Simulator::new(small_config(seed)).expect("valid config");
    let mut txs = Vec::new();
    while let Some(tx) = sim.next_transaction() {
        txs.push(tx);
    }
    (sim, txs)
}

fn expected_change_counts(txs: &[Transaction]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for tx in txs {
        for c in &tx.changes {
            *out.entry(c.table.name.clone()).or_insert(0) += 1;
        }
    }
    out
}

/// What happened during a run with injected crashes.
#[derive(Debug, Default)]
struct CrashLog {
    crashes: usize,
    /// crashes that left a batch half-applied (some tables committed, not the checkpoint)
    mid_batch: usize,
    /// crashes right after a batch's last commit
    at_boundary: usize,
}

/// Applies `txs` to the warehouse at `dir`, crashing `crashes` times at
/// random commits, restarting from the warehouse's resume position each time
/// with a different batch size.
async fn apply_with_crashes(
    dir: &str,
    txs: &[Transaction],
    base: ApplyOptions,
    crashes: usize,
    seed: u64,
) -> CrashLog {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut log = CrashLog::default();
    'restart: loop {
        let warehouse = Warehouse::open(dir).unwrap();
        let resume = warehouse.resume_position_with(&base).await.unwrap();
        let remaining: Vec<&Transaction> = txs.iter().filter(|t| t.position > resume).collect();
        if remaining.is_empty() {
            return log;
        }
        let mut options = base.clone();
        if log.crashes < crashes {
            // alternate: a random commit (mostly mid-batch), then a batch boundary
            options.fail_point = Some(if log.crashes % 2 == 0 {
                FailPoint::AfterCommits(rng.gen_range(1..=30))
            } else {
                FailPoint::AfterCheckpoints(1)
            });
        }
        let mut applier = warehouse.applier(options);
        let per_batch = rng.gen_range(txs.len() / 10..=txs.len() / 4).max(1);
        for chunk in remaining.chunks(per_batch) {
            let mut builder = ChangeBatchBuilder::new();
            for tx in chunk {
                builder.push(tx).unwrap();
            }
            let batch = builder.finish().unwrap();
            let before = applier.commits();
            match applier.apply(&batch).await {
                Ok(_) => {}
                Err(WarehouseError::InjectedCrash { commits }) => {
                    log.crashes += 1;
                    // the checkpoint commit is the batch's last one; a crash
                    // right after it is a clean boundary, any other is mid-batch
                    let batch_commits = commits - before;
                    let after = warehouse.resume_position_with(&base).await.unwrap();
                    if after == batch.end_position {
                        log.at_boundary += 1;
                    } else {
                        assert!(batch_commits >= 1);
                        log.mid_batch += 1;
                    }
                    continue 'restart;
                }
                Err(e) => panic!("apply failed: {e}"),
            }
        }
    }
}

/// Asserts a KPI report equals the simulator's ground truth, group by group.
fn assert_kpis_equal_truth(
    report: &KpiReport,
    truth: &BTreeMap<Vec<String>, crossdock_simulator::KpiTruth>,
) {
    let got: BTreeMap<Vec<String>, _> = report
        .rows
        .iter()
        .map(|r| {
            (
                report
                    .by
                    .iter()
                    .map(|d| r.group[d].clone())
                    .collect::<Vec<_>>(),
                r,
            )
        })
        .collect();
    let want_keys: Vec<_> = truth
        .iter()
        .filter(|(_, t)| t.lines_confirmed > 0)
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(
        got.keys().cloned().collect::<Vec<_>>(),
        want_keys,
        "groups differ"
    );
    for (key, t) in truth.iter().filter(|(_, t)| t.lines_confirmed > 0) {
        let row = serde_json::to_value(got[key]).expect("a KPI row serializes");
        assert_row_equals_truth(&row, t, &format!("group {key:?}"));
    }
}

fn truth_by_channel(truth: &GroundTruth) -> BTreeMap<Vec<String>, crossdock_simulator::KpiTruth> {
    truth
        .by_channel()
        .into_iter()
        .map(|(k, v)| (vec![k], v))
        .collect()
}

fn truth_by_channel_month(
    truth: &GroundTruth,
) -> BTreeMap<Vec<String>, crossdock_simulator::KpiTruth> {
    truth
        .cells
        .iter()
        .map(|((c, m), v)| (vec![c.clone(), m.clone()], v.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_anywhere_lose_nothing_and_apply_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("wh");
    let root = root.to_str().unwrap();
    let (sim, txs) = run_simulator(11);
    assert!(
        txs.len() > 200,
        "simulation too small: {} transactions",
        txs.len()
    );

    let log = apply_with_crashes(root, &txs, ApplyOptions::default(), 8, 42).await;
    // a crash scheduled after the work left is done does not happen
    assert!(log.crashes >= 6, "{log:?}");
    assert!(
        log.mid_batch >= 1,
        "no crash in the middle of a batch: {log:?}"
    );
    assert!(
        log.at_boundary >= 1,
        "no crash at a batch boundary: {log:?}"
    );

    let warehouse = Warehouse::open(root).unwrap();
    // the channels' discount policies are business settings, as `crossdock simulate` writes them
    let mut settings = crossdock_warehouse::Settings::default();
    for p in sim.channel_policies() {
        settings
            .channel_max_discount_percent
            .insert(p.name, p.max_discount_percent);
    }
    warehouse.save_settings(&settings).unwrap();
    assert_eq!(
        warehouse.resume_position().await.unwrap(),
        txs.last().unwrap().position
    );
    // every change logged exactly once
    let counts = change_log_counts(&warehouse).await;
    for (table, n) in expected_change_counts(&txs) {
        assert_eq!(counts[&table], n, "change log of {table}");
    }
    // current state equals the simulator's, row for row
    assert_current_equals_simulator(&warehouse, &sim).await;

    // KPIs equal the simulator's ground truth, exactly
    let truth = sim.ground_truth();
    let report = warehouse.kpis(&KpiQuery::default()).await.unwrap();
    assert_eq!(report.rows.len(), 5, "five channels");
    assert_eq!(report.as_of_us, Some(truth.as_of));
    assert_kpis_equal_truth(&report, &truth_by_channel(&truth));
    let report = warehouse
        .kpis(&KpiQuery {
            by: vec![Dimension::Channel, Dimension::Month],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_kpis_equal_truth(&report, &truth_by_channel_month(&truth));

    // the data is not trivial: every KPI has something to measure
    let all = truth.by_channel();
    assert!(
        all.values().any(|t| t.lines_filled < t.lines_shipped),
        "some line short-shipped"
    );
    assert!(
        all.values().any(|t| t.orders_otif < t.orders_due),
        "some order late"
    );
    assert!(all.values().any(|t| t.leak_over_discount > Decimal::ZERO));
    assert!(all.values().any(|t| t.leak_below_pricelist > Decimal::ZERO));
    assert!(all.values().any(|t| t.leak_below_cost > Decimal::ZERO));

    // applying the last batch again changes nothing
    let mut builder = ChangeBatchBuilder::new();
    for tx in &txs[txs.len() - 50..] {
        builder.push(tx).unwrap();
    }
    let report = warehouse
        .applier(ApplyOptions::default())
        .apply(&builder.finish().unwrap())
        .await
        .unwrap();
    assert_eq!(report.changes_logged, 0);
    assert_eq!(report.rows_upserted + report.rows_deleted, 0);
    assert_eq!(change_log_counts(&warehouse).await, counts);
}

/// The control experiment: the same crashes with the source position kept
/// in a side file written after each commit (not in the commit) apply
/// changes twice, and the checks above catch it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_outside_the_commit_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("wh");
    let root = root.to_str().unwrap();
    let (_sim, txs) = run_simulator(11);
    let options = ApplyOptions {
        checkpoint_in_commit: false,
        ..Default::default()
    };
    let log = apply_with_crashes(root, &txs, options, 8, 42).await;
    assert!(log.crashes >= 6, "{log:?}");
    let warehouse = Warehouse::open(root).unwrap();
    let counts = change_log_counts(&warehouse).await;
    let expected = expected_change_counts(&txs);
    let doubled: Vec<_> = expected
        .iter()
        .filter(|(t, n)| counts[*t] > **n)
        .map(|(t, _)| t.clone())
        .collect();
    assert!(
        !doubled.is_empty(),
        "with the checkpoint outside the commit, crashes should have logged changes twice"
    );
}
