use std::collections::BTreeSet;

use axum::http::StatusCode;
use chrono::{DateTime, Duration};
use crossdock_warehouse::kpi::{Dimension, KpiQuery};

use crate::fixture::{get, via_json, warehouse, CHANNELS};

#[tokio::test(flavor = "multi_thread")]
async fn report_by_channel_has_the_five_channels_and_the_warehouse_figures() {
    let a = get("/api/kpis").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let v = a.json();
    assert_eq!(v["by"], serde_json::json!(["channel"]));
    let channels: BTreeSet<&str> = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["group"]["channel"].as_str().expect("channel"))
        .collect();
    assert_eq!(channels, CHANNELS.into_iter().collect());
    let direct = warehouse().kpis(&KpiQuery::default()).await.unwrap();
    assert_eq!(v, via_json(&direct));
    // Money is exact: decimals travel as strings.
    assert!(v["rows"][0]["revenue"].is_string(), "{}", v["rows"][0]);
    assert!(
        v["rows"][0]["line_fill_rate"].is_number(),
        "{}",
        v["rows"][0]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn report_for_a_period_and_two_dimensions_matches_the_warehouse() {
    let all = warehouse().kpis(&KpiQuery::default()).await.unwrap();
    let last = DateTime::from_timestamp_micros(all.as_of_us.unwrap())
        .unwrap()
        .date_naive();
    let (from, to) = (last - Duration::days(4), last - Duration::days(1));
    let a = get(&format!("/api/kpis?from={from}&to={to}&by=channel,week")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let direct = warehouse()
        .kpis(&KpiQuery {
            by: vec![Dimension::Channel, Dimension::Week],
            from: Some(from),
            to: Some(to),
            companies: None,
        })
        .await
        .unwrap();
    assert!(!direct.rows.is_empty());
    assert_eq!(a.json(), via_json(&direct));
    // Empty bounds, as an empty form field sends them, mean no bound.
    let a = get("/api/kpis?from=&to=&by=channel").await;
    assert_eq!(a.json(), via_json(&all));
}

#[tokio::test(flavor = "multi_thread")]
async fn definitions_document_every_kpi() {
    let a = get("/api/kpis/definitions").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let v = a.json();
    let defs = v.as_array().expect("a list");
    let names: BTreeSet<&str> = defs.iter().map(|d| d["name"].as_str().unwrap()).collect();
    for n in [
        "line_fill_rate",
        "otif",
        "order_cycle_time",
        "gross_margin",
        "margin_leakage",
    ] {
        assert!(names.contains(n), "{n} missing from {names:?}");
    }
    for d in defs {
        assert!(d["title"].as_str().is_some_and(|t| !t.is_empty()), "{d}");
        assert!(
            d["sections"]["definition"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "{d}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_parameter_is_a_400_that_says_what_is_wrong() {
    let cases: &[(&str, &[&str])] = &[
        ("from=2026-02-30", &["from", "\"2026-02-30\"", "YYYY-MM-DD"]),
        ("from=2026-13-01", &["from", "\"2026-13-01\"", "YYYY-MM-DD"]),
        ("to=31-01-2026", &["to", "\"31-01-2026\"", "YYYY-MM-DD"]),
        ("to=2026-1-5", &["to", "\"2026-1-5\"", "YYYY-MM-DD"]),
        ("from=%FF", &["from", "YYYY-MM-DD"]),
        ("from=%ZZ", &["from", "\"%ZZ\"", "YYYY-MM-DD"]),
        (
            "by=colour",
            &[
                "by",
                "\"colour\"",
                "channel, week, month, company, warehouse",
            ],
        ),
        (
            "by=channel,colour",
            &[
                "by",
                "\"colour\"",
                "channel, week, month, company, warehouse",
            ],
        ),
        ("by=", &["by", "empty"]),
        ("by=month,month", &["by", "twice"]),
        (
            "colour=red",
            &["unknown query parameter", "\"colour\"", "from, to and by"],
        ),
        ("From=2026-01-01", &["\"From\"", "from, to and by"]),
        (
            "from=2026-01-01&from=2026-01-02",
            &["from", "twice", "\"2026-01-01\"", "\"2026-01-02\""],
        ),
        (
            "from=2026-02-01&to=2026-01-01",
            &["from (2026-02-01)", "to (2026-01-01)", "after"],
        ),
    ];
    for (query, needles) in cases {
        let a = get(&format!("/api/kpis?{query}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}: {}", a.body);
        let message = a.error();
        for n in *needles {
            assert!(message.contains(n), "{query}: {message:?} lacks {n:?}");
        }
    }
    let long = format!("/api/kpis?by={}", "channel,".repeat(100));
    let a = get(&long).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.error().contains("too long"), "{}", a.body);

    let a = get("/api/kpis/definitions?lang=fr").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.error().contains("\"lang\""), "{}", a.body);
}
