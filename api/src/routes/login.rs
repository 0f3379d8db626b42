//! `GET /login`, `POST /login`, `POST /logout`: sessions for the pages.
//!
//! Failed logins are counted per account and client address, per account
//! and per client address, each with its ceiling
//! ([`crate::auth::LoginLimiter`]); past one within the window, attempts
//! get 429 with `Retry-After` — without even checking the password, so a
//! locked account gives nothing away. Unknown user, wrong password and
//! disabled user all get the same answer. Names are matched regardless of
//! case. Every attempt is in the audit trail (`login.ok`, `login.failed`,
//! and once per window `login.throttled` and `login.busy`).

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::json;

use crate::auth::{self, Principal, Via, LOGIN_MAX_FAILURES};
use crate::error::ApiError;
use crate::html::{self, page, Mode, Shell};
use crate::AppState;

const TITLE: &str = "Log in";

#[derive(Template)]
#[template(path = "login.html", blocks = ["content"])]
struct LoginPage<'a> {
    shell: Shell,
    /// Why the last attempt did not log in.
    message: Option<&'a str>,
    /// The name typed, shown back.
    name: &'a str,
}
page!(LoginPage<'_>);

fn login_page(status: StatusCode, message: Option<&str>, name: &str) -> Response {
    let page = LoginPage {
        shell: Shell::anonymous(TITLE),
        message,
        name,
    };
    html::render(Mode::Document, status, &page)
}

/// The login page again with a 429 (throttled, or the server busy) and its
/// `Retry-After`.
fn too_many(error: &ApiError, name: &str) -> Response {
    let mut response = login_page(
        StatusCode::TOO_MANY_REQUESTS,
        Some(&error.to_string()),
        name,
    );
    error.add_headers(&mut response);
    response
}

/// Is `path` a page of this server to go to after logging in (`next`):
/// a local absolute path, never another site (`//host`, `/\\host`).
fn local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.len() <= 2048
        && path.chars().all(|c| c.is_ascii_graphic())
}

/// The login form.
pub(crate) async fn form() -> Response {
    login_page(StatusCode::OK, None, "")
}

/// Checks the name and password of the form; on success starts a session
/// (cookie) and sends the browser to the dashboard, or to the form's `next`
/// field when it is a local path (a page bookmarked behind the login).
pub(crate) async fn login(State(state): State<AppState>, req: Request) -> Response {
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    let bytes = match axum::body::to_bytes(req.into_body(), 16 * 1024).await {
        Ok(b) => b,
        Err(_) => return login_page(StatusCode::BAD_REQUEST, Some("the form is too large"), ""),
    };
    let mut name = String::new();
    let mut password = String::new();
    let mut next = "/".to_string();
    for (k, v) in form_urlencoded::parse(&bytes) {
        match &*k {
            "name" => name = v.trim().to_string(),
            "password" => password = v.into_owned(),
            "next" if local_path(&v) => next = v.into_owned(),
            _ => {}
        }
    }
    if name.is_empty() || password.is_empty() {
        return login_page(
            StatusCode::BAD_REQUEST,
            Some("give a user name and a password"),
            &name,
        );
    }
    let shown: String = name.chars().take(64).collect();
    let actor = format!("address:{address}");
    let cleared = match state.access.failures_cleared(&name) {
        Ok(n) => n,
        Err(e) => return html::error_page(&e.into()),
    };
    let attempt = match state.limiter.begin(&shown, &address, cleared) {
        Ok(attempt) => attempt,
        Err(throttled) => {
            if throttled.audit {
                let _ = state
                    .access
                    .append_audit(&actor, "login.throttled", &shown, None, None);
            }
            let error = ApiError::TooManyRequests {
                retry_after_secs: throttled.retry_after_secs,
            };
            return too_many(&error, &name);
        }
    };
    // argon2 costs 19 MiB and tens of milliseconds: a few at a time, so a
    // burst of logins cannot exhaust memory or both cores. An attempt turned
    // away here was never checked: no failure, but audited (once per
    // address and window, as throttled ones are).
    let Ok(_permit) = state.password_checks.clone().try_acquire_owned() else {
        state.limiter.cancel(attempt);
        if state.limiter.first_in_window(&format!("busy:{address}")) {
            let _ = state
                .access
                .append_audit(&actor, "login.busy", &shown, None, None);
        }
        return too_many(
            &ApiError::Busy {
                retry_after_secs: 1,
            },
            &name,
        );
    };
    let store = state.access.clone();
    let (n, p) = (name.clone(), password);
    let verified = tokio::task::spawn_blocking(move || store.verify_password(&n, &p)).await;
    let user = match verified {
        Ok(Ok(user)) => user,
        Ok(Err(e)) => return html::error_page(&e.into()),
        Err(e) => return html::error_page(&ApiError::Internal(format!("login task: {e}"))),
    };
    match user {
        Some(user) => {
            state.limiter.succeeded(attempt);
            let (id, _csrf) = state.sessions.create(&user.name);
            let _ = state.access.append_audit(
                &user.name,
                "login.ok",
                &user.name,
                None,
                Some(json!({ "address": address })),
            );
            (
                StatusCode::SEE_OTHER,
                [
                    (
                        header::LOCATION,
                        HeaderValue::from_str(&next).unwrap_or(HeaderValue::from_static("/")),
                    ),
                    (
                        header::SET_COOKIE,
                        auth::session_cookie_header(&id, state.secure_cookie),
                    ),
                ],
            )
                .into_response()
        }
        None => {
            // the failure was counted when the attempt began
            let _ = state
                .access
                .append_audit(&actor, "login.failed", &shown, None, None);
            login_page(
                StatusCode::UNAUTHORIZED,
                Some(&format!(
                    "wrong user name or password (after {LOGIN_MAX_FAILURES} failures, logins wait 15 minutes)"
                )),
                &name,
            )
        }
    }
}

/// Ends the session (the guard has checked the CSRF token) and sends the
/// browser to the login page.
pub(crate) async fn logout(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Response {
    if let Via::Session { id, .. } = &principal.via {
        state.sessions.remove(id);
    }
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login".parse().expect("ascii")),
            (
                header::SET_COOKIE,
                auth::clear_cookie_header(state.secure_cookie),
            ),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_goes_only_to_this_server() {
        assert!(super::local_path("/planning/items/1-42"));
        assert!(super::local_path("/planning?abc=A"));
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil",
            "",
            "/a b",
        ] {
            assert!(!super::local_path(bad), "{bad}");
        }
    }
}
