//! [`ApiError`]: every way a request can fail, and the HTTP answer for each.

use std::net::SocketAddr;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crossdock_access::AccessError;
use crossdock_warehouse::WarehouseError;

/// The message users get for a server-side failure; the detail is logged.
pub(crate) const INTERNAL_MESSAGE: &str =
    "internal error: the request could not be answered; the server log has the details";

/// Everything that can go wrong while answering a request or running the server.
///
/// As a response (API routes): `{"error": "<message>"}` with
/// [`ApiError::status`]. Client errors carry a message written for the user;
/// server errors say only that something failed, and are logged in full.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong: the message names the parameter, the value
    /// received and what is allowed.
    #[error("{0}")]
    BadRequest(String),
    /// No route for the path.
    #[error(
        "no such page or endpoint: {path}; there are the dashboard at /, /login, /planning, /admin, and GET /api/health, /api/freshness, /api/kpis, /api/kpis/definitions, /api/planning/suggestions, /api/planning/decisions, /api/me, /api/users, /api/audit and /api/openapi.json"
    )]
    NotFound {
        /// The path asked for.
        path: String,
    },
    /// The route exists, but not for this method.
    #[error("method {method} is not allowed on {path}; use {allowed}")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The path asked for.
        path: String,
        /// The methods the route answers, e.g. `GET, HEAD`.
        allowed: String,
    },
    /// No valid credentials: no token or session, or an expired, revoked or
    /// unknown one.
    #[error("authentication required: send Authorization: Bearer <token> (crossdock user token NAME) or log in at /login")]
    Unauthorized,
    /// Authenticated, but the user's roles do not allow this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A thing that does not exist (a user, a token).
    #[error("{0}")]
    Missing(String),
    /// The request conflicts with the current state (a user that exists, ...).
    #[error("{0}")]
    Conflict(String),
    /// Too many failed logins: wait `retry_after_secs`.
    #[error(
        "too many failed logins from this account or address; try again in {retry_after_secs} s"
    )]
    TooManyRequests {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// The request target (path and query) is too long.
    #[error("the request's path and query are longer than {limit} bytes")]
    UriTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Too many password checks running at once: try again in a moment.
    #[error("the server is checking too many logins at once; try again in {retry_after_secs} s")]
    Busy {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// Company ids the warehouse does not know (`res_company`).
    #[error("{}", unknown_companies(unknown, known))]
    UnknownCompanies {
        /// The ids given that are not companies of the warehouse.
        unknown: Vec<i64>,
        /// The companies it knows (empty: no data yet).
        known: Vec<i64>,
    },
    /// The warehouse failed; a 400 when it rejected the request as asked
    /// ([`WarehouseError::BadRequest`]), a 500 otherwise.
    #[error(transparent)]
    Warehouse(Box<WarehouseError>),
    /// A failure of this crate's own (a handler panicked, ...).
    #[error("internal error: {0}")]
    Internal(String),
    /// The server could not listen on its address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped on an I/O error.
    #[error("server: {0}")]
    Serve(#[source] std::io::Error),
}

fn ids(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_companies(unknown: &[i64], known: &[i64]) -> String {
    if known.is_empty() {
        format!(
            "company {} is not known: the warehouse holds no companies yet (res_company is empty); load Odoo's data first",
            ids(unknown)
        )
    } else {
        format!(
            "company {} is not known: the warehouse's companies (res_company.id) are {}",
            ids(unknown),
            ids(known)
        )
    }
}

impl ApiError {
    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::UnknownCompanies { .. } => StatusCode::BAD_REQUEST,
            ApiError::Warehouse(e) if matches!(**e, WarehouseError::BadRequest(_)) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::NotFound { .. } | ApiError::Missing(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } | ApiError::Busy { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Warehouse(_)
            | ApiError::Internal(_)
            | ApiError::Bind { .. }
            | ApiError::Serve(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user is told: the message itself for a client error, a
    /// generic sentence for a server error.
    pub fn user_message(&self) -> String {
        if self.status().is_server_error() {
            INTERNAL_MESSAGE.to_string()
        } else {
            self.to_string()
        }
    }

    /// The headers the status needs: `Allow` on a 405, `WWW-Authenticate`
    /// on a 401, `Retry-After` on a 429.
    pub(crate) fn add_headers(&self, response: &mut Response) {
        let headers = response.headers_mut();
        match self {
            ApiError::MethodNotAllowed { allowed, .. } => {
                if let Ok(v) = HeaderValue::from_str(allowed) {
                    headers.insert(header::ALLOW, v);
                }
            }
            ApiError::Unauthorized => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"crossdock\""),
                );
            }
            ApiError::TooManyRequests { retry_after_secs }
            | ApiError::Busy { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
    }

    /// Logs a server error with its whole cause chain (client errors are
    /// the client's business and are logged at debug level only).
    pub(crate) fn log(&self) {
        if self.status().is_server_error() {
            let mut detail = self.to_string();
            let mut source = std::error::Error::source(self);
            while let Some(s) = source {
                let text = s.to_string();
                if !detail.contains(&text) {
                    detail.push_str(": ");
                    detail.push_str(&text);
                }
                source = s.source();
            }
            tracing::error!(error = %detail, "request failed");
        } else {
            tracing::debug!(error = %self, status = %self.status(), "request rejected");
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        match &error {
            AccessError::NoSuchUser { .. } | AccessError::NoSuchToken { .. } => {
                ApiError::Missing(error.to_string())
            }
            AccessError::UserExists { .. }
            | AccessError::AlreadyDisabled { .. }
            | AccessError::AlreadyEnabled { .. }
            | AccessError::LastAdmin { .. }
            | AccessError::SelfDisable { .. }
            | AccessError::AlreadyRevoked { .. } => ApiError::Conflict(error.to_string()),
            e if e.is_user_error() => ApiError::BadRequest(error.to_string()),
            _ => ApiError::Internal(error.to_string()),
        }
    }
}

impl From<WarehouseError> for ApiError {
    fn from(error: WarehouseError) -> Self {
        ApiError::Warehouse(Box::new(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let mut response = (
            status,
            Json(serde_json::json!({ "error": self.user_message() })),
        )
            .into_response();
        self.add_headers(&mut response);
        response
    }
}
