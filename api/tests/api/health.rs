use axum::http::StatusCode;
use crossdock_warehouse::kpi::KpiQuery;

use axum::http::Method;

use crate::fixture::{get, warehouse, Auth, Call};

#[tokio::test(flavor = "multi_thread")]
async fn health_is_ok_and_tells_the_freshness_but_not_where_the_warehouse_is() {
    let a = Call::new(Method::GET, "/api/health", Auth::None)
        .send()
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let v = a.json();
    assert_eq!(v["status"], "ok");
    assert!(v.get("warehouse").is_none(), "{}", a.body);
    let root = warehouse().root().to_file_path().unwrap();
    let dir = root.file_name().unwrap().to_str().unwrap();
    assert!(!a.body.contains(dir), "the warehouse's path: {}", a.body);
    let report = warehouse().kpis(&KpiQuery::default()).await.unwrap();
    assert!(report.as_of_us.is_some());
    assert_eq!(v["as_of_us"].as_i64(), report.as_of_us);
    let as_of = v["as_of"].as_str().expect("as_of is a string");
    assert!(
        as_of.starts_with("2026-01-") && as_of.ends_with('Z'),
        "{as_of}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn health_rejects_parameters() {
    let a = get("/api/health?verbose=1").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.error().contains("\"verbose\""), "{}", a.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn freshness_reports_the_lag_of_the_latest_batch() {
    let a = get("/api/freshness").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let v = a.json();
    assert!(v["batches"].as_i64().unwrap() >= 1);
    let source = v["source_commit_us"].as_i64().unwrap();
    let applied = v["applied_at_us"].as_i64().unwrap();
    // the simulated source committed in 2026-01; the batch was applied just now
    assert_eq!(v["lag_us"].as_i64().unwrap(), applied - source);
    assert!(v["since_last_apply_us"].as_i64().unwrap() >= 0);
    let report = warehouse().kpis(&KpiQuery::default()).await.unwrap();
    assert_eq!(Some(source), report.as_of_us);
    let bad = get("/api/freshness?x=1").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}
