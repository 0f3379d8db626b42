//! The binary as a user runs it.

use crossdock_simulator::Simulator;
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::Value as Json;

use crate::common::{assert_row_equals_truth, crossdock, demo_config, demo_fixture, DEMO_FLAGS};

const CHANNELS: [&str; 5] = [
    "EDI",
    "Field Sales",
    "Inside Sales",
    "Marketplace",
    "eCommerce",
];

fn kpi_json(data: &std::path::Path, extra: &[&str]) -> Json {
    let out = crossdock()
        .args(["kpi", "--format", "json", "--data"])
        .arg(data)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kpi failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("kpi --format json prints JSON")
}

/// Checks a `kpi --format json` report against the simulator's ground truth.
fn assert_json_matches_truth(report: &Json, sim: &Simulator) {
    let truth = sim.ground_truth().by_channel();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), truth.len());
    for row in rows {
        let channel = row["group"]["channel"].as_str().unwrap();
        assert_row_equals_truth(row, &truth[channel], channel);
    }
}

#[test]
fn demo_prints_the_kpi_table_by_channel() {
    let (_, stdout) = demo_fixture();
    for c in CHANNELS {
        assert!(stdout.contains(c), "demo output lacks {c}:\n{stdout}");
    }
    assert!(
        stdout.contains("line fill") && stdout.contains("OTIF"),
        "{stdout}"
    );
}

#[test]
fn kpi_json_equals_the_simulators_ground_truth() {
    let (data, _) = demo_fixture();
    let report = kpi_json(data, &["--by", "channel"]);
    let mut sim = Simulator::new(demo_config()).unwrap();
    while sim.next_transaction().is_some() {}
    assert_json_matches_truth(&report, &sim);
}

#[test]
fn kpi_csv_and_table_and_periods() {
    let (data, _) = demo_fixture();
    let out = crossdock()
        .args(["kpi", "--format", "csv", "--by", "channel,month", "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("channel,month,lines_shipped,"),
        "{header}"
    );
    assert!(lines.count() >= 5);

    // a period with no orders is an empty report, not an error
    let empty = kpi_json(data, &["--from", "2030-01-01", "--to", "2030-01-31"]);
    assert_eq!(empty["rows"].as_array().unwrap().len(), 0);
    // a period filter keeps fewer lines than the whole
    let all = kpi_json(data, &[]);
    let part = kpi_json(data, &["--from", "2026-01-05", "--to", "2026-01-08"]);
    let total = |r: &Json| -> u64 {
        r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["lines_shipped"].as_u64().unwrap())
            .sum()
    };
    assert!(total(&part) > 0 && total(&part) < total(&all));
}

#[test]
fn bad_arguments_get_clear_errors() {
    let (data, _) = demo_fixture();
    let cases: [(&[&str], &str); 4] = [
        (&["kpi", "--by", "colour"], "colour"),
        (&["kpi", "--from", "2026-13-01"], "--from"),
        (
            &["kpi", "--from", "2026-02-01", "--to", "2026-01-01"],
            "after",
        ),
        (&["kpi", "--format", "xml"], "xml"),
    ];
    for (args, needle) in cases {
        let out = crossdock()
            .args(args)
            .arg("--data")
            .arg(data)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // an empty warehouse says what to do
    let dir = tempfile::tempdir().unwrap();
    let out = crossdock()
        .args(["kpi", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("crossdock demo"));
}

/// `kill -9` the simulator-to-warehouse process at random moments, restart
/// it, and end with exactly what an uninterrupted run gives.
#[test]
fn kill_dash_nine_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let simulate = |data: &std::path::Path| {
        let mut cmd = crossdock();
        cmd.arg("simulate")
            .args(DEMO_FLAGS)
            .args(["--batch-changes", "1000", "--data"])
            .arg(data);
        cmd
    };
    // an uninterrupted run: the reference
    let reference = dir.path().join("reference");
    let out = simulate(&reference).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // batches committed so far: entries in the checkpoint table's Delta log
    let checkpoints = |data: &std::path::Path| -> usize {
        std::fs::read_dir(data.join("_crossdock/checkpoints/_delta_log"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension() == Some("json".as_ref()))
                    .count()
            })
            .unwrap_or(0)
    };

    let data = dir.path().join("data");
    let mut rng = StdRng::seed_from_u64(99);
    let mut kills = 0;
    for _ in 0..5 {
        let mut child = simulate(&data)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // let it commit at least one more batch, then kill it at a random moment
        let before = checkpoints(&data);
        while checkpoints(&data) <= before && child.try_wait().unwrap().is_none() {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(rng.gen_range(0..400)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(
        kills >= 3,
        "the process should have been killed mid-run ({kills} kills)"
    );
    let out = simulate(&data).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let report = kpi_json(&data, &[]);
    assert_eq!(
        report["rows"],
        kpi_json(&reference, &[])["rows"],
        "same KPIs as uninterrupted"
    );
    let mut sim = Simulator::new(demo_config()).unwrap();
    let mut changes: std::collections::BTreeMap<String, i64> = Default::default();
    while let Some(tx) = sim.next_transaction() {
        for c in &tx.changes {
            *changes.entry(c.table.name.clone()).or_default() += 1;
        }
    }
    assert_json_matches_truth(&report, &sim);
    // every change is in the change logs exactly once, the state is the simulator's
    let rt = tokio::runtime::Runtime::new().unwrap();
    let warehouse = crossdock_warehouse::Warehouse::open(data.to_str().unwrap()).unwrap();
    let counts = rt.block_on(crate::common::change_log_counts(&warehouse));
    for (table, n) in changes {
        assert_eq!(counts[&table], n, "change log of {table}");
    }
    rt.block_on(crate::common::assert_current_equals_simulator(
        &warehouse, &sim,
    ));
}

#[test]
fn help_explains_the_commands() {
    let out = crossdock().arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for c in ["demo", "simulate", "kpi", "serve"] {
        assert!(text.contains(c), "{text}");
    }
    let out = crossdock().args(["kpi", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("channel, week, month"), "{text}");
}

/// Commands that only read (`kpi`, `serve`, `verify`) refuse a folder that
/// holds no warehouse — a typo in `--data` — and do not create it.
#[test]
fn reading_commands_refuse_a_folder_without_a_warehouse() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo-dir");
    for args in [
        vec!["kpi"],
        vec!["serve", "--addr", "127.0.0.1:0"],
        vec![
            "verify",
            "--postgres",
            "postgresql://postgres@127.0.0.1:5432/postgres",
        ],
    ] {
        let out = crossdock()
            .arg("--data")
            .arg(&typo)
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            err.contains("no crossdock warehouse here") && err.contains("typo-dir"),
            "{args:?}: {err}"
        );
        assert!(!typo.exists(), "{args:?} created the folder");
    }
}

/// The crate graph drawn in docs/architecture.md ("The crates") is the one
/// the Cargo.toml files declare: each row's "depends on (of ours)" equals
/// the crate's `[dependencies]` on crossdock crates.
#[test]
fn the_documented_crate_graph_matches_the_manifests() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    let mut rows = 0;
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `dir/` (`crossdock-x`) | holds | depends on |
        let (first, deps) = (cells[1], cells[cells.len() - 2]);
        let documented: std::collections::BTreeSet<String> = deps
            .split(',')
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty() && d != "–")
            .collect();
        for dir in first
            .split('`')
            .filter(|p| p.ends_with('/') && !p.contains(' '))
        {
            let manifest = std::fs::read_to_string(root.join(dir).join("Cargo.toml"))
                .unwrap_or_else(|e| panic!("{dir}Cargo.toml: {e}"));
            let section = manifest
                .split("\n[")
                .find(|s| s.starts_with("dependencies]"))
                .unwrap_or("");
            let declared: std::collections::BTreeSet<String> = section
                .lines()
                .filter_map(|l| l.strip_prefix("crossdock-"))
                .filter_map(|l| l.split(['.', ' ', '=']).next())
                .map(str::to_string)
                .collect();
            assert_eq!(
                documented, declared,
                "docs/architecture.md says {dir} depends on {documented:?}, its Cargo.toml on {declared:?}"
            );
            rows += 1;
        }
    }
    assert!(rows >= 8, "the crate table was not found ({rows} rows)");
}
