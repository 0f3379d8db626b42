//! Answers for what has no route: 404, 405, a handler that panicked, and
//! the layer every answer goes through ([`every_answer`]).

use std::any::Any;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::html;

fn answer(path: &str, error: ApiError) -> Response {
    if crate::auth::is_api(path) {
        error.into_response()
    } else {
        html::error_page(&error)
    }
}

/// 404: JSON under `/api/`, an HTML page elsewhere.
pub(crate) async fn not_found(uri: Uri) -> Response {
    let path = uri.path().to_string();
    answer(&path.clone(), ApiError::NotFound { path })
}

/// 405, with the methods the route answers.
pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let path = uri.path().to_string();
    let allowed = crate::auth::allowed_methods(&path);
    answer(
        &path.clone(),
        ApiError::MethodNotAllowed {
            method: method.to_string(),
            path,
            allowed,
        },
    )
}

/// 500 for a handler that panicked (the panic is logged, not shown).
pub(crate) fn panicked(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::Internal(format!("handler panicked: {message}")).into_response()
}

/// Longest request target (path and query) answered; longer ones get a
/// 414 (JSON under `/api/`). hyper itself refuses targets over 64 KiB
/// before any layer runs.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Longest plain-text error body carried over into a JSON error.
const MAX_PLAIN_ERROR_BYTES: usize = 4 * 1024;

/// The outermost layer, the one place for what every answer needs:
///
/// - `X-Content-Type-Options: nosniff` on every answer (JSON, CSV, pages);
/// - `Cache-Control: no-store` on every answer that does not set its own
///   (answers to signed-in users must not stay in shared or browser caches);
/// - under `/api/`, every error is the JSON error body
///   (`{"error": "..."}`), also those made outside the handlers: a path
///   that is not UTF-8 (axum's `Path` rejection), a body too large (413),
///   a request target too long (414, checked here).
pub(crate) async fn every_answer(req: Request, next: Next) -> Response {
    let api = crate::auth::is_api(req.uri().path());
    let target_len = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().len())
        .unwrap_or(0);
    let mut response = if target_len > MAX_URI_BYTES {
        answer(
            req.uri().path(),
            ApiError::UriTooLong {
                limit: MAX_URI_BYTES,
            },
        )
    } else {
        next.run(req).await
    };
    if api && response.status().as_u16() >= 400 && !is_json(&response) {
        response = json_error(response).await;
    }
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// An error answer made outside this crate (plain text or empty) as the
/// JSON error body, with the same status and headers.
async fn json_error(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let status = parts.status;
    let text = axum::body::to_bytes(body, MAX_PLAIN_ERROR_BYTES)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    let reason = status.canonical_reason().unwrap_or("error").to_lowercase();
    let message = if status.is_server_error() {
        crate::error::INTERNAL_MESSAGE.to_string()
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!("the request body is too large ({reason}): {text}")
    } else if text.is_empty() {
        reason
    } else {
        text
    };
    let body = serde_json::json!({ "error": message }).to_string();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}
