use axum::http::{Method, StatusCode};

use crate::fixture::{get, request, Auth, Call};

#[tokio::test(flavor = "multi_thread")]
async fn unknown_api_paths_are_json_404s() {
    for path in ["/api/nope", "/api", "/api/kpis/", "/api/kpis/otif"] {
        let a = get(path).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        let message = a.error();
        assert!(
            message.contains(path) && message.contains("/api/kpis"),
            "{path}: {message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_pages_are_html_404s() {
    let a = get("/reports/%3Cb%3E").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.content_type().starts_with("text/html"),
        "{}",
        a.content_type()
    );
    assert!(
        a.body.contains("Not Found") && a.body.contains(r#"href="/""#),
        "{}",
        a.body
    );
    assert!(!a.body.contains("<b>"), "path not escaped: {}", a.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn other_methods_are_405s() {
    let a = request(Method::POST, "/api/kpis").await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.headers.get("allow").unwrap(), "GET, HEAD");
    assert!(a.error().contains("POST"), "{}", a.body);

    let a = request(Method::DELETE, "/").await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(a.content_type().starts_with("text/html"));

    let a = request(Method::HEAD, "/api/kpis/definitions").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_says_nosniff_and_authenticated_ones_no_store() {
    let f = crate::fixture::fixture();
    let admin = f.token("admin");
    for (uri, auth) in [
        ("/api/kpis", Auth::Bearer(admin)),
        ("/api/audit?format=csv", Auth::Bearer(admin)),
        ("/api/users", Auth::Bearer(admin)),
        ("/", Auth::Bearer(admin)),
        ("/api/nope", Auth::Bearer(admin)),
        ("/api/kpis", Auth::None),
        ("/api/health", Auth::None),
    ] {
        let a = Call::new(Method::GET, uri, auth).send().await;
        assert_eq!(a.header("x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(a.header("cache-control"), "no-store", "{uri}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn api_errors_made_outside_the_handlers_are_json_too() {
    let f = crate::fixture::fixture();
    let admin = f.token("admin");
    // a path that is not UTF-8 once decoded (axum's Path rejection)
    let a = Call::new(
        Method::POST,
        "/api/users/%FF%FE/disable",
        Auth::Bearer(admin),
    )
    .send()
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(
        a.error().contains("UTF-8") || a.error().contains("utf-8"),
        "{}",
        a.body
    );
    // a body over axum's limit (2 MB)
    let big = "x".repeat(3 << 20);
    let a = Call::new(Method::POST, "/api/users", Auth::Bearer(admin))
        .json(serde_json::json!({ "name": big }))
        .send()
        .await;
    assert_eq!(
        a.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &a.body[..a.body.len().min(300)]
    );
    assert!(a.error().contains("too large"), "{}", a.body);
    // a request target over 8 KiB: JSON under /api/, a page elsewhere
    let long = format!("/api/kpis?from={}", "1".repeat(9000));
    let a = Call::new(Method::GET, &long, Auth::Bearer(admin))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::URI_TOO_LONG);
    assert!(a.error().contains("8192 bytes"), "{}", a.body);
    assert_eq!(a.header("x-content-type-options"), "nosniff");
    let long = format!("/?from={}", "1".repeat(9000));
    let a = Call::new(Method::GET, &long, Auth::Bearer(admin))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::URI_TOO_LONG);
    assert!(a.content_type().starts_with("text/html"));
}
