//! Answers for what has no route: 404, 405, and a handler that panicked.

use std::any::Any;

use axum::http::{Method, Uri};
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
