//! What can go wrong talking to Odoo, typed by what the caller should do.
//!
//! Odoo reports errors in two shapes, and [`OdooError::from_odoo_exception`]
//! maps both onto the same variants:
//!
//! * **JSON-RPC** (`/jsonrpc`, Odoo 17/18): HTTP 200 with
//!   `{"jsonrpc": "2.0", "id": .., "error": {"code": 200, "message": "Odoo Server Error",
//!   "data": {"name": "odoo.exceptions.AccessError", "message": .., "arguments": [..],
//!   "context": {..}, "debug": ".."}}}`; `code` 100 ("Odoo Session Expired",
//!   `odoo.http.SessionExpiredException`) when the session is gone. The `data` object
//!   is Odoo's `odoo.http.serialize_exception` (Odoo 17 `odoo/http.py`).
//! * **JSON-2** (`/json/2/<model>/<method>`, Odoo 19+): an HTTP 4xx/5xx whose body is
//!   that same serialized exception, `{"name": .., "message": .., "arguments": [..],
//!   "context": {..}, "debug": ..}`, with the status taken from the exception
//!   (`UserError` and `ValidationError` 422, `AccessError` and `AccessDenied` 403,
//!   `MissingError` 404, anything else 500), and a bad API key answered 401
//!   `werkzeug.exceptions.Unauthorized` "Invalid apikey" (Odoo 19 documentation,
//!   "External JSON-2 API", Response; `addons/web/controllers/json2.py`, `handle_error`;
//!   `odoo/exceptions.py`, `http_status`).
//!
//! Every variant that comes from a call names the call ([`Call`]: model and method)
//! and carries Odoo's own message. [`OdooError::is_transient`] says whether trying
//! again later can succeed; [`OdooError::may_have_applied`] whether the call may
//! have changed Odoo although no answer came back — the client's retry rule
//! (`client` module) is built on those two.

use std::fmt;
use std::time::Duration;

/// Result alias of this crate.
pub type Result<T, E = OdooError> = std::result::Result<T, E>;

/// The call an error happened in: an Odoo model and method (`stock.warehouse.orderpoint`
/// `create`), or an RPC service and method for the calls that have no model
/// (`common` `version`, `common` `authenticate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The model (`stock.warehouse.orderpoint`) or the RPC service (`common`).
    pub model: String,
    /// The method (`search_read`, `create`, `authenticate`...).
    pub method: String,
}

impl Call {
    /// A call of `method` on `model`.
    pub fn new(model: impl Into<String>, method: impl Into<String>) -> Self {
        Call {
            model: model.into(),
            method: method.into(),
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.model, self.method)
    }
}

/// An error of the Odoo client, the import file or the stand-in server.
#[derive(Debug, thiserror::Error)]
pub enum OdooError {
    /// The environment variable that should hold the API key is unset or empty.
    #[error("the Odoo API key is not set: environment variable {var} is {problem}")]
    MissingApiKey {
        /// The variable's name (never its value).
        var: String,
        /// "unset", "empty" or "not valid UTF-8".
        problem: &'static str,
    },
    /// The settings cannot work (a base URL that is not http(s), a zero timeout...).
    #[error("invalid Odoo settings: {detail}")]
    InvalidSettings {
        /// What is wrong.
        detail: String,
    },
    /// The server's version is not one this client speaks.
    #[error("Odoo at {url} reports version {version:?}: {detail}")]
    UnsupportedVersion {
        /// The server's base URL.
        url: String,
        /// What it reported.
        version: String,
        /// Why it is not usable.
        detail: String,
    },
    /// Login or API key refused: `odoo.exceptions.AccessDenied`, `common.authenticate`
    /// answering `false`, or JSON-2's 401 "Invalid apikey". Not transient: a wrong key
    /// stays wrong.
    #[error("Odoo refused the credentials on {call}: {message}")]
    AccessDenied {
        /// Where.
        call: Call,
        /// Odoo's message.
        message: String,
    },
    /// The user may not do this (`odoo.exceptions.AccessError`: access rights, record rules).
    #[error("Odoo access error on {call}: {message}")]
    AccessError {
        /// Where.
        call: Call,
        /// Odoo's message.
        message: String,
    },
    /// Odoo refused the values (`odoo.exceptions.ValidationError`, including a
    /// violated SQL constraint such as the orderpoints' `product_location_check`).
    #[error("Odoo validation error on {call}: {message}")]
    ValidationError {
        /// Where.
        call: Call,
        /// Odoo's message.
        message: String,
    },
    /// A business rule refused the call (`odoo.exceptions.UserError` and subclasses
    /// not listed separately, e.g. `RedirectWarning`'s base).
    #[error("Odoo refused {call}: {message}")]
    UserError {
        /// Where.
        call: Call,
        /// Odoo's message.
        message: String,
    },
    /// The record does not exist (any more): `odoo.exceptions.MissingError`.
    #[error("Odoo record missing on {call}: {message}")]
    MissingError {
        /// Where.
        call: Call,
        /// Odoo's message.
        message: String,
    },
    /// A field this client names does not exist on the server, typically after an
    /// upgrade renamed it: Odoo's `ValueError` "Invalid field 'x' on model 'y'".
    #[error("Odoo does not know a field used by {call}: {message}")]
    UnknownField {
        /// Where.
        call: Call,
        /// Odoo's message (it names the field).
        message: String,
    },
    /// The session expired (JSON-RPC error code 100, `odoo.http.SessionExpiredException`).
    /// Transient: the client authenticates again and retries.
    #[error("Odoo session expired on {call}: {message}")]
    SessionExpired {
        /// Where.
        call: Call,
        /// Odoo's message.
        message: String,
    },
    /// Any other exception Odoo raised and serialized (`builtins.TypeError` for a
    /// call of the wrong shape, `psycopg2...`); not transient.
    #[error("Odoo server error on {call}: {name}: {message}")]
    ServerError {
        /// Where.
        call: Call,
        /// The exception's fully qualified Python name.
        name: String,
        /// Odoo's message.
        message: String,
        /// The HTTP status (200 for JSON-RPC, whose errors travel in a 200).
        status: u16,
    },
    /// HTTP 429: too many requests. Transient; `retry_after` is the server's
    /// `Retry-After` when it sent one in seconds.
    #[error("Odoo rate-limited {call} (HTTP 429, Retry-After {retry_after:?})")]
    RateLimited {
        /// Where.
        call: Call,
        /// How long the server asked to wait.
        retry_after: Option<Duration>,
    },
    /// No answer within the timeout after the request was sent: it may have been
    /// applied.
    #[error("Odoo did not answer {call} within {after:?}")]
    Timeout {
        /// Where.
        call: Call,
        /// The timeout that expired.
        after: Duration,
    },
    /// The server could not be reached (connection refused, DNS, connect timeout):
    /// the request was never sent.
    #[error("cannot reach Odoo at {url} for {call}: {detail}")]
    Unreachable {
        /// Where.
        call: Call,
        /// The URL.
        url: String,
        /// The transport's explanation.
        detail: String,
    },
    /// The connection broke after the request was sent and before the whole answer
    /// arrived: the call may have been applied.
    #[error("the answer of Odoo to {call} was lost: {detail}")]
    ResponseLost {
        /// Where.
        call: Call,
        /// The transport's explanation.
        detail: String,
    },
    /// HTTP 5xx without an Odoo error body (a proxy's 502/503/504, a crash): transient,
    /// and the call may have been applied.
    #[error("Odoo answered {call} with HTTP {status}: {excerpt}")]
    ServerUnavailable {
        /// Where.
        call: Call,
        /// The status.
        status: u16,
        /// The start of the body.
        excerpt: String,
    },
    /// An answer this client cannot read (not JSON, not the protocol's shape, an
    /// HTTP 4xx without an Odoo error body).
    #[error("unexpected answer of Odoo to {call}: {detail}")]
    UnexpectedResponse {
        /// Where.
        call: Call,
        /// What was wrong.
        detail: String,
    },
    /// A create failed in a way that may have created the record (timeout, lost
    /// answer): it is not retried blindly. Look the record up by its natural key
    /// ([`crate::OdooClient::create_unique`] does) before creating again.
    #[error("{call} may or may not have created the record (not retried): {source}")]
    CreateOutcomeUnknown {
        /// Where.
        call: Call,
        /// The failure.
        source: Box<OdooError>,
    },
    /// Several records share what should be a unique natural key.
    #[error("{count} records of {model} match the natural key {key}: ids {ids:?}")]
    DuplicateNaturalKey {
        /// The model.
        model: String,
        /// The key, as a domain.
        key: String,
        /// How many matched.
        count: usize,
        /// Their ids.
        ids: Vec<i64>,
    },
    /// A reorder rule that Odoo would refuse (e.g. a negative `qty_multiple`,
    /// Odoo's `qty_multiple_check`), or a quantity that has no exact JSON number.
    #[error("invalid reorder rule for product {product_id} at location {location_id}: {detail}")]
    InvalidRule {
        /// The rule's product.
        product_id: i64,
        /// The rule's location.
        location_id: i64,
        /// What is wrong.
        detail: String,
    },
    /// The stand-in server could not start or write its request log.
    #[error("stand-in Odoo: {detail}")]
    StandIn {
        /// What failed.
        detail: String,
    },
}

impl OdooError {
    /// Map a serialized Odoo exception (`name`, `message`) to its variant.
    ///
    /// `status` is the HTTP status it came with (200 for JSON-RPC). Names are
    /// Odoo's fully qualified Python class names; `ValueError`s whose message says
    /// "Invalid field" are [`OdooError::UnknownField`].
    pub fn from_odoo_exception(call: Call, name: &str, message: String, status: u16) -> Self {
        match name {
            "odoo.exceptions.AccessDenied" | "werkzeug.exceptions.Unauthorized" => {
                OdooError::AccessDenied { call, message }
            }
            "odoo.exceptions.AccessError" => OdooError::AccessError { call, message },
            "odoo.exceptions.ValidationError" => OdooError::ValidationError { call, message },
            "odoo.exceptions.UserError" | "odoo.exceptions.RedirectWarning" => {
                OdooError::UserError { call, message }
            }
            "odoo.exceptions.MissingError" => OdooError::MissingError { call, message },
            "odoo.http.SessionExpiredException" => OdooError::SessionExpired { call, message },
            "builtins.ValueError" | "ValueError" if message.contains("Invalid field") => {
                OdooError::UnknownField { call, message }
            }
            _ => OdooError::ServerError {
                call,
                name: name.to_string(),
                message,
                status,
            },
        }
    }

    /// Whether the same call can succeed if tried again later: timeouts, lost
    /// connections, an unreachable server, HTTP 5xx without an Odoo error, 429, an
    /// expired session. Odoo's own refusals (access, validation, missing records,
    /// unknown fields, bad credentials) are not: they would fail the same way.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            OdooError::SessionExpired { .. }
                | OdooError::RateLimited { .. }
                | OdooError::Timeout { .. }
                | OdooError::Unreachable { .. }
                | OdooError::ResponseLost { .. }
                | OdooError::ServerUnavailable { .. }
        )
    }

    /// Whether the failed call may nevertheless have changed Odoo: the request was
    /// sent and no complete answer came back (timeout, broken connection, a proxy's
    /// 5xx). An Odoo error answer means the call's transaction was rolled back
    /// (Odoo 19 documentation, "External JSON-2 API", Transaction: "discarded in case
    /// of error"; the same holds for `execute_kw`), a refused connection or a 429
    /// means nothing reached Odoo.
    pub fn may_have_applied(&self) -> bool {
        matches!(
            self,
            OdooError::Timeout { .. }
                | OdooError::ResponseLost { .. }
                | OdooError::ServerUnavailable { .. }
                | OdooError::CreateOutcomeUnknown { .. }
        )
    }

    /// The call the error happened in, when it comes from one.
    pub fn call(&self) -> Option<&Call> {
        match self {
            OdooError::AccessDenied { call, .. }
            | OdooError::AccessError { call, .. }
            | OdooError::ValidationError { call, .. }
            | OdooError::UserError { call, .. }
            | OdooError::MissingError { call, .. }
            | OdooError::UnknownField { call, .. }
            | OdooError::SessionExpired { call, .. }
            | OdooError::ServerError { call, .. }
            | OdooError::RateLimited { call, .. }
            | OdooError::Timeout { call, .. }
            | OdooError::Unreachable { call, .. }
            | OdooError::ResponseLost { call, .. }
            | OdooError::ServerUnavailable { call, .. }
            | OdooError::UnexpectedResponse { call, .. }
            | OdooError::CreateOutcomeUnknown { call, .. } => Some(call),
            _ => None,
        }
    }

    /// Odoo's own message, for the variants that carry one.
    pub fn odoo_message(&self) -> Option<&str> {
        match self {
            OdooError::AccessDenied { message, .. }
            | OdooError::AccessError { message, .. }
            | OdooError::ValidationError { message, .. }
            | OdooError::UserError { message, .. }
            | OdooError::MissingError { message, .. }
            | OdooError::UnknownField { message, .. }
            | OdooError::SessionExpired { message, .. }
            | OdooError::ServerError { message, .. } => Some(message),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> Call {
        Call::new("stock.warehouse.orderpoint", "write")
    }

    #[test]
    fn odoo_exception_names_map_to_their_variants() {
        let m =
            |name: &str, msg: &str| OdooError::from_odoo_exception(call(), name, msg.into(), 200);
        assert!(matches!(
            m("odoo.exceptions.AccessDenied", "Access Denied"),
            OdooError::AccessDenied { .. }
        ));
        assert!(matches!(
            m("werkzeug.exceptions.Unauthorized", "Invalid apikey"),
            OdooError::AccessDenied { .. }
        ));
        assert!(matches!(
            m("odoo.exceptions.AccessError", "no"),
            OdooError::AccessError { .. }
        ));
        assert!(matches!(
            m("odoo.exceptions.ValidationError", "no"),
            OdooError::ValidationError { .. }
        ));
        assert!(matches!(
            m("odoo.exceptions.UserError", "no"),
            OdooError::UserError { .. }
        ));
        assert!(matches!(
            m("odoo.exceptions.MissingError", "gone"),
            OdooError::MissingError { .. }
        ));
        assert!(matches!(
            m(
                "builtins.ValueError",
                "Invalid field 'qty_mutliple' on model 'stock.warehouse.orderpoint'"
            ),
            OdooError::UnknownField { .. }
        ));
        // A ValueError about something else is not an unknown field.
        assert!(matches!(
            m("builtins.ValueError", "bad date"),
            OdooError::ServerError { .. }
        ));
        assert!(matches!(
            m("odoo.http.SessionExpiredException", "x"),
            OdooError::SessionExpired { .. }
        ));
        let e = m(
            "builtins.TypeError",
            "write() missing 1 required positional argument: 'vals'",
        );
        assert_eq!(
            e.odoo_message(),
            Some("write() missing 1 required positional argument: 'vals'")
        );
        assert_eq!(e.call(), Some(&call()));
    }

    #[test]
    fn transience_and_maybe_applied_are_decided_by_variant() {
        let refused = OdooError::AccessDenied {
            call: call(),
            message: "Access Denied".into(),
        };
        assert!(!refused.is_transient() && !refused.may_have_applied());
        let timeout = OdooError::Timeout {
            call: call(),
            after: Duration::from_secs(1),
        };
        assert!(timeout.is_transient() && timeout.may_have_applied());
        let unreachable = OdooError::Unreachable {
            call: call(),
            url: "u".into(),
            detail: "refused".into(),
        };
        assert!(unreachable.is_transient() && !unreachable.may_have_applied());
        let limited = OdooError::RateLimited {
            call: call(),
            retry_after: None,
        };
        assert!(limited.is_transient() && !limited.may_have_applied());
        let validation = OdooError::ValidationError {
            call: call(),
            message: "m".into(),
        };
        assert!(!validation.is_transient() && !validation.may_have_applied());
    }
}
