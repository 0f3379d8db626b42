use axum::http::{Method, StatusCode};

use crate::fixture::{get, request};

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
