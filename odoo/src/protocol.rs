//! The two wire protocols and how the client picks one.
//!
//! * [`Protocol::JsonRpc`] — Odoo 17 and 18: `POST /jsonrpc` with a JSON-RPC 2.0
//!   envelope `{"jsonrpc": "2.0", "method": "call", "params": {"service": ..,
//!   "method": .., "args": [..]}, "id": n}`. `common.version` (no args) answers the
//!   version, `common.authenticate(db, login, password_or_api_key, user_agent_env)`
//!   the user id (or `false`), and `object.execute_kw(db, uid, password_or_api_key,
//!   model, method, args, kwargs)` runs an ORM method: the record ids are the first
//!   positional argument of record methods (`read`, `write`), `create` takes its
//!   `vals_list` positionally, the rest may be keyword arguments, `context` among
//!   them (Odoo's "External RPC API" documentation, 17.0 and the 19.0 migration
//!   notes, which describe `execute` / `execute_kw` and the id extraction;
//!   `odoo/service/model.py`, `odoo/api.py` `call_kw` of 17.0). Errors come back in
//!   an HTTP 200 as `{"error": {"code": 200 | 100, "message": .., "data": {..}}}`.
//! * [`Protocol::Json2`] — Odoo 19 and later: `POST /json/2/<model>/<method>` with
//!   headers `Authorization: bearer <api key>`, `X-Odoo-Database: <db>`,
//!   `Content-Type: application/json`, and a JSON object body holding `ids`,
//!   `context` and the method's parameters **by name** (`domain`, `fields`,
//!   `vals_list`, `vals`...): "there is no way in JSON-2 to call a function with
//!   positional arguments". The answer is the method's JSON value with status 200,
//!   or an error object with a 4xx/5xx status (Odoo 19.0 documentation, "External
//!   JSON-2 API": Request, Response, Migrating from XML-RPC / JSON-RPC;
//!   `addons/web/controllers/json2.py`).
//!
//! The version comes from `common.version` at `/jsonrpc` (answered by 17 to 21);
//! when `/jsonrpc` is gone (scheduled for removal in Odoo 22) from `GET /web/version`,
//! `{"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}`.

use serde_json::{json, Value};

use crate::error::{Call, OdooError, Result};

/// The wire protocol a client speaks to one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `/jsonrpc`, `object.execute_kw` after `common.authenticate` (Odoo 17, 18).
    JsonRpc,
    /// `/json/2/<model>/<method>` with a bearer API key (Odoo 19+).
    Json2,
}

/// The version a server reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    /// Major version: 17 for "17.0" and for "saas~17.2".
    pub major: u32,
    /// Minor version: 0 for "17.0", 2 for "saas~17.2".
    pub minor: u32,
    /// The version as the server wrote it ("17.0", "saas~18.3").
    pub text: String,
}

impl ServerVersion {
    /// Read Odoo's `version_info` / `server_version_info` array
    /// (`[17, 0, 0, "final", 0, ""]`; SaaS releases write the major as `"saas~18"`).
    pub fn from_version_info(info: &Value, text: &str) -> Option<Self> {
        let items = info.as_array()?;
        let major = match items.first()? {
            Value::Number(n) => u32::try_from(n.as_u64()?).ok()?,
            Value::String(s) => s.trim_start_matches("saas~").parse().ok()?,
            _ => return None,
        };
        let minor = u32::try_from(items.get(1)?.as_u64()?).ok()?;
        Some(ServerVersion {
            major,
            minor,
            text: text.to_string(),
        })
    }

    /// The protocol for this version: JSON-2 from Odoo 19 on (where it appeared,
    /// "versionadded:: 19.0"), JSON-RPC before. Odoo before 17 is not supported.
    pub fn protocol(&self) -> Option<Protocol> {
        match self.major {
            0..=16 => None,
            17 | 18 => Some(Protocol::JsonRpc),
            _ => Some(Protocol::Json2),
        }
    }
}

/// A JSON-RPC 2.0 request of `service.method(args)` as `/jsonrpc` expects it.
pub fn jsonrpc_request(id: u64, service: &str, method: &str, args: Vec<Value>) -> Value {
    json!({
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"service": service, "method": method, "args": args},
        "id": id,
    })
}

/// The `result` of a JSON-RPC answer, or its error mapped to an [`OdooError`].
pub fn jsonrpc_result(call: &Call, status: u16, body: &[u8]) -> Result<Value> {
    if status >= 500 {
        return Err(OdooError::ServerUnavailable {
            call: call.clone(),
            status,
            excerpt: excerpt(body),
        });
    }
    if status != 200 {
        return Err(OdooError::UnexpectedResponse {
            call: call.clone(),
            detail: format!("HTTP {status} from /jsonrpc: {}", excerpt(body)),
        });
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| OdooError::UnexpectedResponse {
        call: call.clone(),
        detail: format!("not JSON ({e}): {}", excerpt(body)),
    })?;
    if let Some(error) = value.get("error") {
        let code = error.get("code").and_then(Value::as_i64);
        let data = error.get("data");
        let name = data
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let message = data
            .and_then(|d| d.get("message"))
            .and_then(Value::as_str)
            .or_else(|| error.get("message").and_then(Value::as_str))
            .unwrap_or("")
            .to_string();
        if code == Some(100) {
            return Err(OdooError::SessionExpired {
                call: call.clone(),
                message,
            });
        }
        return Err(OdooError::from_odoo_exception(
            call.clone(),
            name,
            message,
            status,
        ));
    }
    match value {
        Value::Object(mut o) if o.contains_key("result") => {
            Ok(o.remove("result").unwrap_or(Value::Null))
        }
        other => Err(OdooError::UnexpectedResponse {
            call: call.clone(),
            detail: format!(
                "a JSON-RPC answer has neither result nor error: {}",
                excerpt(other.to_string().as_bytes())
            ),
        }),
    }
}

/// The value of a JSON-2 answer, or its error mapped to an [`OdooError`].
pub fn json2_result(call: &Call, status: u16, body: &[u8]) -> Result<Value> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        return parsed.ok_or_else(|| OdooError::UnexpectedResponse {
            call: call.clone(),
            detail: format!(
                "HTTP {status} with a body that is not JSON: {}",
                excerpt(body)
            ),
        });
    }
    // Odoo's error object: {"name", "message", "arguments", "context", "debug"}.
    if let Some(Value::Object(o)) = &parsed {
        if let (Some(name), Some(message)) = (
            o.get("name").and_then(Value::as_str),
            o.get("message").and_then(Value::as_str),
        ) {
            return Err(OdooError::from_odoo_exception(
                call.clone(),
                name,
                message.to_string(),
                status,
            ));
        }
    }
    // Early JSON-2 builds answered a bare JSON string.
    let message = match &parsed {
        Some(Value::String(s)) => s.clone(),
        _ => excerpt(body),
    };
    Err(match status {
        401 => OdooError::AccessDenied {
            call: call.clone(),
            message,
        },
        500.. => OdooError::ServerUnavailable {
            call: call.clone(),
            status,
            excerpt: message,
        },
        _ => OdooError::UnexpectedResponse {
            call: call.clone(),
            detail: format!("HTTP {status}: {message}"),
        },
    })
}

/// The first 300 characters of a body, for messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> Call {
        Call::new("stock.warehouse.orderpoint", "create")
    }

    #[test]
    fn version_info_of_releases_and_saas_builds() {
        let v =
            ServerVersion::from_version_info(&json!([17, 0, 0, "final", 0, ""]), "17.0").unwrap();
        assert_eq!((v.major, v.minor), (17, 0));
        assert_eq!(v.protocol(), Some(Protocol::JsonRpc));
        let v = ServerVersion::from_version_info(
            &json!(["saas~18", 3, 0, "final", 0, ""]),
            "saas~18.3",
        )
        .unwrap();
        assert_eq!(
            (v.major, v.minor, v.protocol()),
            (18, 3, Some(Protocol::JsonRpc))
        );
        let v =
            ServerVersion::from_version_info(&json!([19, 0, 0, "final", 0, ""]), "19.0").unwrap();
        assert_eq!(v.protocol(), Some(Protocol::Json2));
        let v =
            ServerVersion::from_version_info(&json!([16, 0, 0, "final", 0, ""]), "16.0").unwrap();
        assert_eq!(v.protocol(), None);
        assert!(ServerVersion::from_version_info(&json!("17.0"), "17.0").is_none());
    }

    #[test]
    fn a_jsonrpc_access_error_payload_becomes_access_error_with_its_message() {
        let body = json!({"jsonrpc": "2.0", "id": 7, "error": {"code": 200, "message": "Odoo Server Error",
            "data": {"name": "odoo.exceptions.AccessError",
                     "message": "You are not allowed to create 'Minimum Inventory Rule' (stock.warehouse.orderpoint) records.",
                     "arguments": ["You are not allowed to create 'Minimum Inventory Rule' (stock.warehouse.orderpoint) records."],
                     "context": {}, "debug": "Traceback (most recent call last): ..."}}});
        let err = jsonrpc_result(&call(), 200, body.to_string().as_bytes()).unwrap_err();
        match err {
            OdooError::AccessError { call: c, message } => {
                assert_eq!(c, call());
                assert!(message.starts_with("You are not allowed to create"));
            }
            other => panic!("expected AccessError, got {other:?}"),
        }
    }

    #[test]
    fn a_jsonrpc_session_expired_payload_is_code_100() {
        let body = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 100, "message": "Odoo Session Expired",
            "data": {"name": "odoo.http.SessionExpiredException", "message": "Session expired", "arguments": ["Session expired"], "context": {}, "debug": ""}}});
        let err = jsonrpc_result(&call(), 200, body.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(err, OdooError::SessionExpired { ref message, .. } if message == "Session expired"),
            "{err:?}"
        );
        assert!(err.is_transient());
    }

    #[test]
    fn jsonrpc_results_and_broken_answers() {
        let ok = json!({"jsonrpc": "2.0", "id": 1, "result": [4, 5]});
        assert_eq!(
            jsonrpc_result(&call(), 200, ok.to_string().as_bytes()).unwrap(),
            json!([4, 5])
        );
        assert!(matches!(
            jsonrpc_result(&call(), 200, b"<html>"),
            Err(OdooError::UnexpectedResponse { .. })
        ));
        assert!(matches!(
            jsonrpc_result(&call(), 502, b"Bad Gateway"),
            Err(OdooError::ServerUnavailable { status: 502, .. })
        ));
        assert!(matches!(
            jsonrpc_result(&call(), 200, b"{\"id\": 1}"),
            Err(OdooError::UnexpectedResponse { .. })
        ));
    }

    #[test]
    fn json2_error_objects_map_by_name_and_keep_the_message() {
        let body = json!({"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey",
                          "arguments": ["Invalid apikey", 401], "context": {}, "debug": "..."});
        let err = json2_result(&call(), 401, body.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(err, OdooError::AccessDenied { ref message, .. } if message == "Invalid apikey"),
            "{err:?}"
        );
        let body = json!({"name": "odoo.exceptions.ValidationError", "message": "The operation cannot be completed: A replenishment rule already exists for this product on this location.",
                          "arguments": ["..."], "context": {}, "debug": ""});
        let err = json2_result(&call(), 422, body.to_string().as_bytes()).unwrap_err();
        assert!(matches!(err, OdooError::ValidationError { .. }), "{err:?}");
        // A proxy's 503 page is not Odoo's: transient.
        let err = json2_result(&call(), 503, b"<html>Service Unavailable</html>").unwrap_err();
        assert!(
            matches!(err, OdooError::ServerUnavailable { status: 503, .. }) && err.is_transient()
        );
        // An Odoo exception with status 500 is Odoo's answer, not an outage.
        let body = json!({"name": "builtins.ValueError", "message": "Invalid field 'x' on model 'stock.warehouse.orderpoint'", "arguments": [], "context": {}, "debug": ""});
        let err = json2_result(&call(), 500, body.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(err, OdooError::UnknownField { .. }) && !err.is_transient(),
            "{err:?}"
        );
        assert_eq!(json2_result(&call(), 200, b"[12]").unwrap(), json!([12]));
    }
}
