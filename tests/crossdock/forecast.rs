//! `crossdock forecast backtest` as a user runs it.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::common::{crossdock, in_ci};

fn backtest(args: &[&str]) -> std::process::Output {
    crossdock()
        .args(["forecast", "backtest"])
        .args(args)
        .output()
        .unwrap()
}

fn backtest_json(input: &Path, extra: &[&str]) -> Json {
    let out = crossdock()
        .args(["forecast", "backtest", "--json", "--input"])
        .arg(input)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "backtest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json prints one JSON object")
}

fn f(v: &Json) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn tiny_wide_csv_gives_the_hand_computed_naive_scores() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tiny.csv");
    // a: train 1, 2, 4 (naive errors 1, 2), test 5, 7; naive forecasts 4, 4
    //    → MASE (1 + 3)/2 / 1.5 = 4/3, RMSSE √((1 + 9)/2 / 2.5) = √2,
    //      bias (−1 − 3) / 12 = −1/3
    // short: one value (too short); flat: constant training part (scale 0)
    std::fs::write(
        &input,
        "id,p1,p2,p3,p4,p5\na,1,2,4,5,7\nshort,3,,,,\nflat,2,2,2,5,1\n",
    )
    .unwrap();
    let r = backtest_json(&input, &["--horizon", "2", "--season", "1"]);
    let naive = &r["overall"]["naive"];
    assert!((f(&naive["mase"]) - 4.0 / 3.0).abs() < 1e-9, "{naive}");
    assert!((f(&naive["rmsse"]) - 2f64.sqrt()).abs() < 1e-9, "{naive}");
    assert!((f(&naive["bias"]) + 1.0 / 3.0).abs() < 1e-9, "{naive}");
    // zero: errors −5, −7 → MASE 6 / 1.5 = 4
    assert!((f(&r["overall"]["zero"]["mase"]) - 4.0).abs() < 1e-9);
    for (name, scores) in r["overall"].as_object().unwrap() {
        for key in ["mase", "rmsse", "bias"] {
            assert!(scores.get(key).is_some(), "{name} lacks {key}");
        }
    }
    assert!(r["overall"].get("auto").is_some());
    assert_eq!(r["series"]["total"], 3);
    assert_eq!(r["series"]["used"], 1);
    assert_eq!(r["series"]["skipped_too_short"], 1);
    assert_eq!(r["series"]["skipped_zero_scale"], 1);
    assert_eq!(r["skipped"]["too_short"][0]["id"], "short");
    assert_eq!(r["skipped"]["zero_scale"][0]["id"], "flat");
    // three training periods: too little history to classify → "new"
    assert!((f(&r["by_class"]["new"]["naive"]["mase"]) - 4.0 / 3.0).abs() < 1e-9);
    assert!(f(&r["seconds"]) >= 0.0);

    // the same data in the long layout gives the same scores
    let long = dir.path().join("tiny-long.csv");
    std::fs::write(
        &long,
        "id,period,value\na,1,1\na,2,2\na,3,4\na,4,5\na,5,7\n",
    )
    .unwrap();
    let r2 = backtest_json(
        &long,
        &["--format", "long", "--horizon", "2", "--season", "1"],
    );
    assert_eq!(r2["overall"]["naive"], r["overall"]["naive"]);

    // and the table for people names the classes and the methods
    let out = backtest(&[
        "--input",
        input.to_str().unwrap(),
        "--horizon",
        "2",
        "--season",
        "1",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("overall (1 series)") && text.contains("naive"),
        "{text}"
    );
    assert!(text.contains("1.333"), "{text}");
}

#[test]
fn bad_input_is_reported_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let out = backtest(&["--input", missing.to_str().unwrap(), "--horizon", "6"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope.csv") && err.contains("no such file"),
        "{err}"
    );

    let gap = dir.path().join("gap.csv");
    std::fs::write(&gap, "id,p1,p2,p3,p4\na,1,,2,3\n").unwrap();
    let out = backtest(&["--input", gap.to_str().unwrap(), "--horizon", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2") && err.contains("column 3") && err.contains("series a"),
        "{err}"
    );
    // ... unless the blank means zero demand
    let out = backtest(&[
        "--input",
        gap.to_str().unwrap(),
        "--horizon",
        "1",
        "--blank-is-zero",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = backtest(&["--input", gap.to_str().unwrap(), "--horizon", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--horizon"));
    let out = backtest(&["--input", gap.to_str().unwrap(), "--horizon", "six"]);
    assert!(!out.status.success());

    let short = dir.path().join("short.csv");
    std::fs::write(&short, "id,p1,p2,p3\na,1,2,3\nb,4,5,\n").unwrap();
    let out = backtest(&["--input", short.to_str().unwrap(), "--horizon", "6"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 too short"), "{err}");
}

fn carparts() -> Option<PathBuf> {
    // the shared data: $CROSSDOCK_SHARED_DATA (.ci/run sets it), else
    // ../shared/data beside the checkout
    let data = std::env::var_os("CROSSDOCK_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let path = data.join("demand/carparts-dev.csv");
    if path.is_file() {
        return Some(path);
    }
    if in_ci() {
        panic!(
            "{} is missing; CI needs the shared data (set CROSSDOCK_SHARED_DATA or put shared/ beside the checkout)",
            path.display()
        );
    }
    eprintln!(
        "\n*** SKIPPED: {} is absent (the shared data folder is not beside this checkout) ***\n",
        path.display()
    );
    None
}

#[test]
fn carparts_dev_horizon_6() {
    let Some(path) = carparts() else {
        return;
    };
    let r = backtest_json(&path, &["--horizon", "6"]);
    assert_eq!(r["series"]["total"], 1790);
    let used = r["series"]["used"].as_u64().unwrap();
    let skipped = r["series"]["skipped_too_short"].as_u64().unwrap()
        + r["series"]["skipped_zero_scale"].as_u64().unwrap();
    assert_eq!(used + skipped, 1790);
    let by_class: u64 = r["series"]["by_class"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_class, used);
    let overall = r["overall"].as_object().unwrap();
    assert!(overall.len() >= 14, "{overall:?}");
    let auto = &overall["auto"];
    // the goal of issue 9: auto better than every single method on MASE and
    // RMSSE at once (measured; see docs/forecasting.md)
    for (name, s) in overall {
        assert!(
            f(&s["mase"]).is_finite() && f(&s["rmsse"]).is_finite(),
            "{name}"
        );
        if name != "auto" {
            assert!(
                f(&auto["mase"]) < f(&s["mase"]) && f(&auto["rmsse"]) < f(&s["rmsse"]),
                "auto {auto} does not beat {name} {s}"
            );
        }
    }
}
