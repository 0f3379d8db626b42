//! A **stand-in for Odoo** — not Odoo. Odoo (Python, PostgreSQL) cannot run here,
//! so tests and `crossdock demo` talk to this small in-process HTTP server instead.
//! It answers the calls [`crate::OdooClient`] makes, over both protocols, the way
//! Odoo 17 (JSON-RPC) and Odoo 19 (JSON-RPC and JSON-2) answer them:
//!
//! * version: `common.version` at `POST /jsonrpc`, `POST /web/webclient/version_info`,
//!   and (19 only) `GET /web/version`;
//! * `common.authenticate(db, login, api_key, {})` → the user id, or `false`;
//! * `object.execute_kw(db, uid, api_key, model, method, args, kwargs)` and (19 only)
//!   `POST /json/2/<model>/<method>` with `Authorization: bearer <key>`, for
//!   `stock.warehouse.orderpoint`'s `search`, `search_read`, `read`, `create`, `write`.
//!
//! It checks each request's exact shape and answers a wrong one as Odoo does — an
//! Odoo error payload (`builtins.TypeError` for a missing argument, 422
//! `UnprocessableEntity` on JSON-2, `odoo.exceptions.AccessDenied` for a wrong key,
//! `ValueError` "Invalid field" for an unknown field, `MissingError`, the unique
//! constraint `product_location_check` as a `ValidationError`...), never a panic.
//! Orderpoints live in memory (seed them with [`StandInOdoo::seed_orderpoint`]);
//! every request is recorded ([`StandInOdoo::requests`]) with the API key masked,
//! and optionally appended as one JSON line to a file so a person can read what
//! "Odoo" received. Faults can be injected for the next model call
//! ([`StandInOdoo::inject`]): an Odoo error, a late answer, an applied call whose
//! answer is cut off, a 429 with `Retry-After`, a proxy's 503.
//!
//! Where it is simpler than Odoo: it knows one model (`stock.warehouse.orderpoint`,
//! the fields in [`ORDERPOINT_FIELDS`]); domains are AND-ed `=`, `!=`, `in`,
//! `not in` terms; many2one values read back as `[id, "<model> <id>"]` (it has no
//! display names); it is stricter than Odoo on quantities, which must be JSON
//! numbers (Odoo would also take a numeric string); a wrong `X-Odoo-Database` is a
//! 404. Error messages follow Odoo 17's wording where it was checked (see the
//! crate's `error` and `protocol` modules for the sources).

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::{OdooError, Result};
use crate::orderpoint::{
    decimal_to_json, json_to_decimal, AcceptedRule, Orderpoint, Trigger, ORDERPOINT_MODEL,
};

/// The fields the stand-in's orderpoints have.
pub const ORDERPOINT_FIELDS: [&str; 11] = [
    "id",
    "name",
    "active",
    "trigger",
    "company_id",
    "warehouse_id",
    "location_id",
    "product_id",
    "product_min_qty",
    "product_max_qty",
    "qty_multiple",
];

/// Which Odoo the stand-in plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandInVersion {
    /// Odoo 17.0: `/jsonrpc` only.
    Odoo17,
    /// Odoo 19.0: `/jsonrpc` (deprecated) and `/json/2`.
    Odoo19,
}

impl StandInVersion {
    fn major(self) -> u32 {
        match self {
            StandInVersion::Odoo17 => 17,
            StandInVersion::Odoo19 => 19,
        }
    }
}

/// How the stand-in is set up.
#[derive(Debug, Clone)]
pub struct StandInConfig {
    /// The Odoo it plays.
    pub version: StandInVersion,
    /// Its one database.
    pub database: String,
    /// The one user's login.
    pub login: String,
    /// That user's API key.
    pub api_key: String,
    /// That user's id.
    pub uid: i64,
    /// Append every request received as a JSON line to this file.
    pub request_log: Option<PathBuf>,
}

impl StandInConfig {
    /// An Odoo 17 with database `crossdock`, login `planner`, key `stand-in-api-key`, uid 2.
    pub fn odoo17() -> Self {
        StandInConfig {
            version: StandInVersion::Odoo17,
            database: "crossdock".into(),
            login: "planner".into(),
            api_key: "stand-in-api-key".into(),
            uid: 2,
            request_log: None,
        }
    }

    /// The same, playing Odoo 19.
    pub fn odoo19() -> Self {
        StandInConfig {
            version: StandInVersion::Odoo19,
            ..StandInConfig::odoo17()
        }
    }
}

/// A fault for the next model call (`execute_kw` or `/json/2`), in injection order.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Raise this Odoo exception (`name` e.g. `odoo.exceptions.AccessError`), answered
    /// as the protocol answers it (JSON-RPC error payload in a 200; JSON-2 with the
    /// exception's status: 422 for `UserError`/`ValidationError`, 403 for
    /// `AccessError`/`AccessDenied`, 404 for `MissingError`, else 500).
    OdooException {
        /// Fully qualified Python name.
        name: String,
        /// The message.
        message: String,
    },
    /// Answer "session expired" (JSON-RPC code 100; JSON-2 403).
    SessionExpired,
    /// Wait this long, then handle the call normally (apply it and answer late).
    Delay(Duration),
    /// Apply the call, then cut the connection before the answer's body.
    ApplyThenDropResponse,
    /// HTTP 429 with `Retry-After: <seconds>`; the call is not applied.
    RateLimit {
        /// The `Retry-After` value.
        retry_after_secs: u64,
    },
    /// HTTP 503 from a "proxy" (HTML body); the call is not applied.
    ServiceUnavailable,
}

impl Fault {
    /// An Odoo exception fault.
    pub fn odoo(name: &str, message: &str) -> Self {
        Fault::OdooException {
            name: name.into(),
            message: message.into(),
        }
    }

    fn label(&self) -> String {
        match self {
            Fault::OdooException { name, .. } => format!("odoo-exception {name}"),
            Fault::SessionExpired => "session-expired".into(),
            Fault::Delay(d) => format!("delay {d:?}"),
            Fault::ApplyThenDropResponse => "apply-then-drop-response".into(),
            Fault::RateLimit { retry_after_secs } => format!("429 retry-after {retry_after_secs}"),
            Fault::ServiceUnavailable => "503".into(),
        }
    }
}

/// One request the stand-in received, as recorded (API keys masked as `***`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceivedRequest {
    /// 1, 2, 3... in arrival order.
    pub seq: u64,
    /// Arrival time, RFC 3339 UTC.
    pub at: String,
    /// HTTP method.
    pub http_method: String,
    /// Path.
    pub path: String,
    /// `Content-Type`, `X-Odoo-Database`, `Authorization` (masked) when sent.
    pub headers: BTreeMap<String, String>,
    /// The JSON body (`null` when it was not JSON; keys masked).
    pub body: Value,
    /// The ORM or RPC call it made (`stock.warehouse.orderpoint.create`,
    /// `common.authenticate`), when it got that far.
    pub call: Option<String>,
    /// The answer's HTTP status; `None` while the request is being handled (a
    /// delayed call whose client gave up is recorded at once and answered later,
    /// as Odoo goes on with a request whose client has left).
    pub status: Option<u16>,
    /// The injected fault it met, if any.
    pub fault: Option<String>,
}

/// A stored orderpoint (Odoo keeps `Float`s; so does the stand-in).
#[derive(Debug, Clone)]
struct Stored {
    id: i64,
    name: String,
    active: bool,
    trigger: String,
    company_id: i64,
    warehouse_id: i64,
    location_id: i64,
    product_id: i64,
    product_min_qty: f64,
    product_max_qty: f64,
    qty_multiple: f64,
}

impl Stored {
    fn get(&self, field: &str) -> Value {
        let m2o = |model: &str, id: i64| json!([id, format!("{model} {id}")]);
        match field {
            "id" => json!(self.id),
            "name" => json!(self.name),
            "active" => json!(self.active),
            "trigger" => json!(self.trigger),
            "company_id" => m2o("res.company", self.company_id),
            "warehouse_id" => m2o("stock.warehouse", self.warehouse_id),
            "location_id" => m2o("stock.location", self.location_id),
            "product_id" => m2o("product.product", self.product_id),
            "product_min_qty" => json!(self.product_min_qty),
            "product_max_qty" => json!(self.product_max_qty),
            "qty_multiple" => json!(self.qty_multiple),
            _ => Value::Null,
        }
    }

    /// The raw value a domain compares (many2one as its id).
    fn raw(&self, field: &str) -> Value {
        match field {
            "company_id" => json!(self.company_id),
            "warehouse_id" => json!(self.warehouse_id),
            "location_id" => json!(self.location_id),
            "product_id" => json!(self.product_id),
            other => self.get(other),
        }
    }

    fn to_orderpoint(&self) -> Orderpoint {
        let qty = |f: f64| json_to_decimal(&json!(f)).unwrap_or_default();
        Orderpoint {
            id: self.id,
            name: self.name.clone(),
            active: self.active,
            trigger: Trigger::from_odoo(&self.trigger).unwrap_or(Trigger::Auto),
            company_id: self.company_id,
            warehouse_id: self.warehouse_id,
            location_id: self.location_id,
            product_id: self.product_id,
            product_min_qty: qty(self.product_min_qty),
            product_max_qty: qty(self.product_max_qty),
            qty_multiple: qty(self.qty_multiple),
        }
    }
}

#[derive(Debug)]
struct Inner {
    orderpoints: BTreeMap<i64, Stored>,
    next_id: i64,
    next_seq: u64,
    requests: Vec<ReceivedRequest>,
    /// (method it waits for, or any; the fault)
    faults: VecDeque<(Option<String>, Fault)>,
    log: Option<std::fs::File>,
    log_error: Option<String>,
}

#[derive(Debug)]
struct Shared {
    config: StandInConfig,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a previous request's thread panicked while
        // holding it; the data is plain and still consistent enough for a test double.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The running stand-in (see the module documentation). Stops when dropped.
#[derive(Debug)]
pub struct StandInOdoo {
    url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandInOdoo {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandInOdoo {
    /// Start on `127.0.0.1:0` (a free port) in the current tokio runtime.
    pub async fn start(config: StandInConfig) -> Result<Self> {
        let log = match &config.request_log {
            Some(path) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| OdooError::StandIn {
                        detail: format!("cannot open the request log {}: {e}", path.display()),
                    })?,
            ),
            None => None,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| OdooError::StandIn {
                detail: format!("cannot bind 127.0.0.1:0: {e}"),
            })?;
        let addr = listener.local_addr().map_err(|e| OdooError::StandIn {
            detail: format!("no local address: {e}"),
        })?;
        let shared = Arc::new(Shared {
            config,
            inner: Mutex::new(Inner {
                orderpoints: BTreeMap::new(),
                next_id: 1,
                next_seq: 1,
                requests: Vec::new(),
                faults: VecDeque::new(),
                log,
                log_error: None,
            }),
        });
        let app = Router::new()
            .route("/jsonrpc", post(jsonrpc_route))
            .route("/web/webclient/version_info", post(webclient_version_info))
            .route("/web/version", get(web_version))
            .route("/json/2/{model}/{method}", any(json2_route))
            .fallback(not_found)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "stand-in Odoo server stopped");
            }
        });
        Ok(StandInOdoo {
            url: format!("http://{addr}"),
            shared,
            task,
        })
    }

    /// The base URL (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &StandInConfig {
        &self.shared.config
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared.lock().requests.clone()
    }

    /// How many requests made the ORM call `method` on `model` (whatever the answer).
    pub fn calls_to(&self, model: &str, method: &str) -> usize {
        let wanted = format!("{model}.{method}");
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.call.as_deref() == Some(wanted.as_str()))
            .count()
    }

    /// The orderpoints it holds, archived ones included, by id.
    pub fn orderpoints(&self) -> Vec<Orderpoint> {
        self.shared
            .lock()
            .orderpoints
            .values()
            .map(Stored::to_orderpoint)
            .collect()
    }

    /// Add an orderpoint as if it had been made in Odoo; its id: the rule's
    /// `orderpoint_id` when given (as when the stand-in plays the Odoo a
    /// warehouse was captured from; an id taken already is an error), else
    /// the next free one. (`external_id` is ignored.)
    pub fn seed_orderpoint(&self, rule: &AcceptedRule, active: bool) -> Result<i64> {
        let number = |d: rust_decimal::Decimal| {
            decimal_to_json(d)
                .and_then(|v| v.as_f64())
                .ok_or_else(|| OdooError::StandIn {
                    detail: format!("quantity {d} has no float"),
                })
        };
        let mut inner = self.shared.lock();
        let id = match rule.orderpoint_id {
            Some(id) if inner.orderpoints.contains_key(&id) || id <= 0 => {
                return Err(OdooError::StandIn {
                    detail: format!("orderpoint id {id} is taken or not a database id"),
                })
            }
            Some(id) => id,
            None => inner.next_id,
        };
        inner.next_id = inner.next_id.max(id + 1);
        let stored = Stored {
            id,
            name: format!("OP/{id:05}"),
            active,
            trigger: rule.trigger.as_odoo().into(),
            company_id: rule.company_id,
            warehouse_id: rule.warehouse_id,
            location_id: rule.location_id,
            product_id: rule.product_id,
            product_min_qty: number(rule.product_min_qty)?,
            product_max_qty: number(rule.product_max_qty)?,
            qty_multiple: number(rule.qty_multiple)?,
        };
        inner.orderpoints.insert(id, stored);
        Ok(id)
    }

    /// Queue a fault for the next model call, whatever its method (faults are used
    /// one per call, in order).
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push_back((None, fault));
    }

    /// Queue a fault for the next call of `method` (`create`, `write`...) only.
    pub fn inject_on(&self, method: &str, fault: Fault) {
        self.shared
            .lock()
            .faults
            .push_back((Some(method.to_string()), fault));
    }

    /// The first error writing the request log, if any.
    pub fn log_error(&self) -> Option<String> {
        self.shared.lock().log_error.clone()
    }
}

// ------------------------------------------------------------------ answers

/// An Odoo exception as the stand-in raises it.
#[derive(Debug, Clone)]
struct Raised {
    name: String,
    message: String,
}

impl Raised {
    fn new(name: &str, message: impl Into<String>) -> Self {
        Raised {
            name: name.into(),
            message: message.into(),
        }
    }

    /// `odoo.http.serialize_exception`'s shape.
    fn serialized(&self) -> Value {
        json!({
            "name": self.name,
            "message": self.message,
            "arguments": [self.message],
            "context": {},
            "debug": format!("Traceback (most recent call last):\n  (stand-in Odoo: no Python traceback)\n{}: {}\n", self.name, self.message),
        })
    }

    /// JSON-2's status for the exception (`http_status` of `odoo.exceptions`).
    fn json2_status(&self) -> u16 {
        match self.name.as_str() {
            "odoo.exceptions.UserError"
            | "odoo.exceptions.ValidationError"
            | "odoo.exceptions.RedirectWarning" => 422,
            "odoo.exceptions.AccessError"
            | "odoo.exceptions.AccessDenied"
            | "odoo.http.SessionExpiredException" => 403,
            "odoo.exceptions.MissingError" => 404,
            "werkzeug.exceptions.Unauthorized" => 401,
            "werkzeug.exceptions.NotFound" => 404,
            "werkzeug.exceptions.BadRequest" => 400,
            "werkzeug.exceptions.MethodNotAllowed" => 405,
            "werkzeug.exceptions.UnprocessableEntity" => 422,
            _ => 500,
        }
    }
}

fn type_error(message: impl Into<String>) -> Raised {
    Raised::new("builtins.TypeError", message)
}

fn value_error(message: impl Into<String>) -> Raised {
    Raised::new("builtins.ValueError", message)
}

fn json_response(status: u16, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn html_response(status: u16, text: &str) -> Response {
    Response::builder()
        .status(status)
        .header("Content-Type", "text/html; charset=utf-8")
        .body(Body::from(format!(
            "<!doctype html>\n<title>{status}</title>\n<h1>{text}</h1>\n"
        )))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Headers sent, then the connection is cut before the body.
fn dropped_response() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "stand-in Odoo: answer dropped on purpose",
        ))
    });
    Response::builder()
        .status(200)
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Content-Length", "64")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn jsonrpc_ok(id: &Value, result: Value) -> Response {
    json_response(200, &json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

fn jsonrpc_error(id: &Value, raised: &Raised) -> Response {
    let (code, message) = if raised.name == "odoo.http.SessionExpiredException" {
        (100, "Odoo Session Expired")
    } else {
        (200, "Odoo Server Error")
    };
    json_response(
        200,
        &json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message, "data": raised.serialized()}}),
    )
}

fn version_dict(version: StandInVersion) -> Value {
    let major = version.major();
    json!({
        "server_version": format!("{major}.0"),
        "server_version_info": [major, 0, 0, "final", 0, ""],
        "server_serie": format!("{major}.0"),
        "protocol_version": 1,
    })
}

// ------------------------------------------------------------------ recording

struct Record {
    seq: u64,
    http_method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: Value,
    call: Option<String>,
    fault: Option<String>,
}

impl Record {
    /// Record the request's arrival.
    fn new(shared: &Shared, method: &Method, path: &str, headers: &HeaderMap, raw: &[u8]) -> Self {
        let mut kept = BTreeMap::new();
        for name in ["content-type", "x-odoo-database", "authorization"] {
            if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                let shown = if name == "authorization" {
                    match v.split_once(' ') {
                        Some((scheme, _)) => format!("{scheme} ***"),
                        None => "***".into(),
                    }
                } else {
                    v.to_string()
                };
                kept.insert(name.to_string(), shown);
            }
        }
        let mut body: Value = serde_json::from_slice(raw).unwrap_or(Value::Null);
        // JSON-RPC carries the key as the third argument of authenticate / execute_kw.
        if let Some(args) = body
            .pointer_mut("/params/args")
            .and_then(Value::as_array_mut)
        {
            if args.len() >= 3 {
                args[2] = json!("***");
            }
        }
        let mut inner = shared.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let record = Record {
            seq,
            http_method: method.to_string(),
            path: path.to_string(),
            headers: kept,
            body,
            call: None,
            fault: None,
        };
        let entry = record.entry(None);
        inner.requests.push(entry);
        record
    }

    fn entry(&self, status: Option<u16>) -> ReceivedRequest {
        ReceivedRequest {
            seq: self.seq,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            http_method: self.http_method.clone(),
            path: self.path.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            call: self.call.clone(),
            status,
            fault: self.fault.clone(),
        }
    }

    /// Name the call the request makes (visible at once in `requests()`).
    fn set_call(&mut self, shared: &Shared, call: String) {
        self.call = Some(call.clone());
        if let Some(e) = shared
            .lock()
            .requests
            .iter_mut()
            .find(|e| e.seq == self.seq)
        {
            e.call = Some(call);
        }
    }

    /// Note the fault the request met.
    fn set_fault(&mut self, shared: &Shared, fault: String) {
        self.fault = Some(fault.clone());
        if let Some(e) = shared
            .lock()
            .requests
            .iter_mut()
            .find(|e| e.seq == self.seq)
        {
            e.fault = Some(fault);
        }
    }

    /// Record the answer and append the request to the log file.
    fn finish(self, shared: &Shared, response: Response) -> Response {
        let mut inner = shared.lock();
        let mut entry = self.entry(Some(response.status().as_u16()));
        if let Some(arrived) = inner.requests.iter().find(|e| e.seq == self.seq) {
            entry.at = arrived.at.clone();
        }
        let line = serde_json::to_string(&entry)
            .unwrap_or_else(|e| format!("{{\"unserializable\": \"{e}\"}}"));
        let mut log_failure = None;
        if let Some(file) = inner.log.as_mut() {
            if let Err(e) = writeln!(file, "{line}") {
                log_failure = Some(format!("cannot append to the request log: {e}"));
            }
        }
        if let Some(failure) = log_failure {
            tracing::error!(%failure, "stand-in Odoo");
            inner.log_error.get_or_insert(failure);
        }
        if let Some(e) = inner.requests.iter_mut().find(|e| e.seq == entry.seq) {
            *e = entry;
        }
        response
    }
}

// ------------------------------------------------------------------ routes

async fn not_found(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let record = Record::new(&shared, &method, uri.path(), &headers, &body);
    record.finish(&shared, html_response(404, "Not Found"))
}

async fn web_version(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let record = Record::new(&shared, &Method::GET, "/web/version", &headers, b"");
    let response = match shared.config.version {
        StandInVersion::Odoo17 => html_response(404, "Not Found"),
        StandInVersion::Odoo19 => json_response(
            200,
            &json!({"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}),
        ),
    };
    record.finish(&shared, response)
}

async fn webclient_version_info(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let record = Record::new(
        &shared,
        &Method::POST,
        "/web/webclient/version_info",
        &headers,
        &body,
    );
    let id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .unwrap_or(Value::Null);
    let response = jsonrpc_ok(&id, version_dict(shared.config.version));
    record.finish(&shared, response)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false)
}

/// Handle the request in its own task, so that a client giving up (a timeout)
/// does not cancel it: Odoo finishes a request whose client has gone.
async fn detached(work: impl std::future::Future<Output = Response> + Send + 'static) -> Response {
    tokio::spawn(work).await.unwrap_or_else(|e| {
        html_response(
            500,
            &format!("stand-in Odoo: the request's task failed: {e}"),
        )
    })
}

async fn jsonrpc_route(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    detached(jsonrpc(shared, headers, body)).await
}

async fn json2_route(
    State(shared): State<Arc<Shared>>,
    Path((model, method)): Path<(String, String)>,
    http_method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    detached(json2(shared, model, method, http_method, headers, body)).await
}

async fn jsonrpc(shared: Arc<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut record = Record::new(&shared, &Method::POST, "/jsonrpc", &headers, &body);
    if !is_json(&headers) {
        // Odoo finds no JSON dispatcher for the request and answers werkzeug's page.
        let response = html_response(
            400,
            "Bad Request: /jsonrpc is a type='json' route and needs Content-Type application/json",
        );
        return record.finish(&shared, response);
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let raised = Raised::new(
                "werkzeug.exceptions.BadRequest",
                format!("400 Bad Request: Invalid JSON data: {e}"),
            );
            return record.finish(&shared, jsonrpc_error(&Value::Null, &raised));
        }
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let envelope = (|| -> std::result::Result<(String, String, Vec<Value>), Raised> {
        if request.get("jsonrpc") != Some(&json!("2.0"))
            || request.get("method") != Some(&json!("call"))
        {
            return Err(Raised::new("werkzeug.exceptions.BadRequest", "400 Bad Request: a JSON-RPC 2.0 request {\"jsonrpc\": \"2.0\", \"method\": \"call\", \"params\": {...}} was expected"));
        }
        let params = request.get("params").and_then(Value::as_object).ok_or_else(|| type_error("RPC.jsonrpc() missing 3 required positional arguments: 'service', 'method', and 'args'"))?;
        let mut missing = Vec::new();
        for key in ["service", "method", "args"] {
            if !params.contains_key(key) {
                missing.push(format!("'{key}'"));
            }
        }
        if !missing.is_empty() {
            return Err(type_error(format!(
                "RPC.jsonrpc() missing {} required positional argument{}: {}",
                missing.len(),
                if missing.len() > 1 { "s" } else { "" },
                missing.join(" and ")
            )));
        }
        if let Some(extra) = params
            .keys()
            .find(|k| !["service", "method", "args"].contains(&k.as_str()))
        {
            return Err(type_error(format!(
                "RPC.jsonrpc() got an unexpected keyword argument '{extra}'"
            )));
        }
        let service = params["service"].as_str().unwrap_or("").to_string();
        let method = params["method"].as_str().unwrap_or("").to_string();
        let args = params["args"]
            .as_array()
            .cloned()
            .ok_or_else(|| type_error("args must be a list"))?;
        Ok((service, method, args))
    })();
    let (service, method, args) = match envelope {
        Ok(e) => e,
        Err(raised) => return record.finish(&shared, jsonrpc_error(&id, &raised)),
    };
    let config = &shared.config;
    let response = match (service.as_str(), method.as_str()) {
        ("common", "version") => {
            record.set_call(&shared, "common.version".into());
            jsonrpc_ok(&id, version_dict(config.version))
        }
        ("common", "authenticate") => {
            record.set_call(&shared, "common.authenticate".into());
            if args.len() != 4 {
                jsonrpc_error(
                    &id,
                    &type_error(format!(
                        "authenticate() takes 4 positional arguments but {} were given",
                        args.len()
                    )),
                )
            } else if args[0] != json!(config.database) {
                jsonrpc_error(
                    &id,
                    &Raised::new(
                        "psycopg2.OperationalError",
                        format!(
                            "connection to server failed: FATAL:  database {} does not exist",
                            args[0]
                        ),
                    ),
                )
            } else if args[1] == json!(config.login) && args[2] == json!(config.api_key) {
                jsonrpc_ok(&id, json!(config.uid))
            } else {
                jsonrpc_ok(&id, json!(false))
            }
        }
        ("object", "execute_kw") => return execute_kw(&shared, record, &id, args).await,
        ("common" | "object" | "db", other) => jsonrpc_error(
            &id,
            &Raised::new(
                "builtins.NameError",
                format!("Method not available {other}"),
            ),
        ),
        (other, _) => jsonrpc_error(&id, &Raised::new("builtins.KeyError", format!("'{other}'"))),
    };
    record.finish(&shared, response)
}

/// The next fault for a call of `method`, if any.
fn next_fault(shared: &Shared, method: &str) -> Option<Fault> {
    let mut inner = shared.lock();
    let at = inner
        .faults
        .iter()
        .position(|(target, _)| target.as_deref().is_none_or(|t| t == method))?;
    inner.faults.remove(at).map(|(_, fault)| fault)
}

/// Faults that answer instead of the call: `Some(response)`; otherwise the fault
/// (delay or drop) to apply around it.
enum Before {
    Answer(Response),
    Proceed { drop_answer: bool },
}

async fn before_call(
    shared: &Shared,
    record: &mut Record,
    method: &str,
    jsonrpc_id: Option<&Value>,
) -> Before {
    let Some(fault) = next_fault(shared, method) else {
        return Before::Proceed { drop_answer: false };
    };
    record.set_fault(shared, fault.label());
    let raise = |raised: Raised| match jsonrpc_id {
        Some(id) => jsonrpc_error(id, &raised),
        None => json_response(raised.json2_status(), &raised.serialized()),
    };
    match fault {
        Fault::OdooException { name, message } => {
            Before::Answer(raise(Raised::new(&name, message)))
        }
        Fault::SessionExpired => Before::Answer(raise(Raised::new(
            "odoo.http.SessionExpiredException",
            "Session expired",
        ))),
        Fault::Delay(d) => {
            tokio::time::sleep(d).await;
            Before::Proceed { drop_answer: false }
        }
        Fault::ApplyThenDropResponse => Before::Proceed { drop_answer: true },
        Fault::RateLimit { retry_after_secs } => Before::Answer(
            Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header("Retry-After", retry_after_secs.to_string())
                .header("Content-Type", "text/html; charset=utf-8")
                .body(Body::from("<h1>429 Too Many Requests</h1>"))
                .unwrap_or_else(|_| Response::new(Body::empty())),
        ),
        Fault::ServiceUnavailable => Before::Answer(html_response(503, "Service Unavailable")),
    }
}

async fn execute_kw(shared: &Shared, mut record: Record, id: &Value, args: Vec<Value>) -> Response {
    let config = &shared.config;
    if args.len() < 6 {
        let missing = 6 - args.len();
        let raised = type_error(format!(
            "execute_kw() missing {missing} required positional argument{}",
            if missing > 1 { "s" } else { "" }
        ));
        return record.finish(shared, jsonrpc_error(id, &raised));
    }
    if args.len() > 7 {
        let raised = type_error(format!(
            "execute_kw() takes from 6 to 7 positional arguments but {} were given",
            args.len()
        ));
        return record.finish(shared, jsonrpc_error(id, &raised));
    }
    let model = args[3].as_str().unwrap_or("").to_string();
    let method = args[4].as_str().unwrap_or("").to_string();
    record.set_call(shared, format!("{model}.{method}"));
    if args[0] != json!(config.database) {
        let raised = Raised::new(
            "psycopg2.OperationalError",
            format!(
                "connection to server failed: FATAL:  database {} does not exist",
                args[0]
            ),
        );
        return record.finish(shared, jsonrpc_error(id, &raised));
    }
    if args[1] != json!(config.uid) || args[2] != json!(config.api_key) {
        return record.finish(
            shared,
            jsonrpc_error(
                id,
                &Raised::new("odoo.exceptions.AccessDenied", "Access Denied"),
            ),
        );
    }
    let Some(positional) = args[5].as_array().cloned() else {
        return record.finish(
            shared,
            jsonrpc_error(id, &type_error("execute_kw's args must be a list")),
        );
    };
    let mut kwargs = match args.get(6) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => {
            return record.finish(
                shared,
                jsonrpc_error(id, &type_error("execute_kw's kwargs must be a dict")),
            )
        }
    };
    let context = match kwargs.remove("context") {
        Some(Value::Object(c)) => c,
        None | Some(Value::Null) => Map::new(),
        Some(_) => {
            return record.finish(
                shared,
                jsonrpc_error(id, &type_error("context must be a dict")),
            )
        }
    };
    let before = before_call(shared, &mut record, &method, Some(id)).await;
    let drop_answer = match before {
        Before::Answer(response) => return record.finish(shared, response),
        Before::Proceed { drop_answer } => drop_answer,
    };
    let outcome = bind_jsonrpc(&model, &method, positional, kwargs)
        .and_then(|call| run(shared, &model, &method, call, &context));
    let response = if drop_answer {
        dropped_response()
    } else {
        match outcome {
            Ok(result) => jsonrpc_ok(id, result),
            Err(raised) => jsonrpc_error(id, &raised),
        }
    };
    record.finish(shared, response)
}

async fn json2(
    shared: Arc<Shared>,
    model: String,
    method: String,
    http_method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/json/2/{model}/{method}");
    let mut record = Record::new(&shared, &http_method, &path, &headers, &body);
    let config = &shared.config;
    if config.version == StandInVersion::Odoo17 {
        return record.finish(&shared, html_response(404, "Not Found"));
    }
    let raise = |r: Raised| json_response(r.json2_status(), &r.serialized());
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(scheme, key)| scheme.eq_ignore_ascii_case("bearer") && key == config.api_key)
        .unwrap_or(false);
    if !authorized {
        return record.finish(
            &shared,
            raise(Raised::new(
                "werkzeug.exceptions.Unauthorized",
                "Invalid apikey",
            )),
        );
    }
    if let Some(db) = headers.get("x-odoo-database").and_then(|v| v.to_str().ok()) {
        if db != config.database {
            return record.finish(
                &shared,
                raise(Raised::new(
                    "werkzeug.exceptions.NotFound",
                    format!("404 Not Found: no database {db:?} on this server"),
                )),
            );
        }
    }
    if !is_json(&headers) {
        return record.finish(
            &shared,
            html_response(
                400,
                "Bad Request: /json/2 needs Content-Type application/json",
            ),
        );
    }
    let mut params = if body.is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                return record.finish(
                    &shared,
                    raise(Raised::new(
                        "werkzeug.exceptions.BadRequest",
                        "could not parse the body, expecting a json object",
                    )),
                )
            }
            Err(e) => {
                return record.finish(
                    &shared,
                    raise(Raised::new(
                        "werkzeug.exceptions.BadRequest",
                        format!("could not parse the body as json: {e}"),
                    )),
                )
            }
        }
    };
    if http_method != Method::POST {
        return record.finish(
            &shared,
            raise(Raised::new(
                "werkzeug.exceptions.MethodNotAllowed",
                "405 Method Not Allowed: The method is not allowed for the requested URL.",
            )),
        );
    }
    record.set_call(&shared, format!("{model}.{method}"));
    if model != ORDERPOINT_MODEL {
        return record.finish(
            &shared,
            raise(Raised::new(
                "werkzeug.exceptions.NotFound",
                format!("the model {model:?} does not exist"),
            )),
        );
    }
    if !["search", "search_read", "read", "create", "write"].contains(&method.as_str()) {
        return record.finish(
            &shared,
            raise(Raised::new(
                "werkzeug.exceptions.NotFound",
                format!("The method '{model}.{method}' does not exist"),
            )),
        );
    }
    let ids = match params.remove("ids") {
        None => None,
        Some(Value::Array(a)) if a.iter().all(|v| v.as_i64().is_some()) => {
            Some(a.iter().filter_map(Value::as_i64).collect::<Vec<_>>())
        }
        Some(_) => {
            return record.finish(
                &shared,
                raise(Raised::new(
                    "werkzeug.exceptions.UnprocessableEntity",
                    "ids must be a list of integers",
                )),
            )
        }
    };
    let context = match params.remove("context") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c,
        Some(_) => {
            return record.finish(
                &shared,
                raise(Raised::new(
                    "werkzeug.exceptions.UnprocessableEntity",
                    "context must be an object",
                )),
            )
        }
    };
    let api_model = matches!(method.as_str(), "search" | "search_read" | "create");
    if api_model && ids.as_ref().is_some_and(|i| !i.is_empty()) {
        return record.finish(
            &shared,
            raise(Raised::new(
                "werkzeug.exceptions.UnprocessableEntity",
                format!("cannot call {model}.{method} with ids"),
            )),
        );
    }
    let bound = match bind_named(&method, params) {
        Ok(b) => b,
        // Odoo binds the signature first and answers a mismatch with 422.
        Err(raised) => {
            return record.finish(
                &shared,
                raise(Raised::new(
                    "werkzeug.exceptions.UnprocessableEntity",
                    raised.message,
                )),
            )
        }
    };
    let call = Bound {
        ids: ids.unwrap_or_default(),
        ..bound
    };
    let before = before_call(&shared, &mut record, &method, None).await;
    let drop_answer = match before {
        Before::Answer(response) => return record.finish(&shared, response),
        Before::Proceed { drop_answer } => drop_answer,
    };
    let outcome = run(&shared, &model, &method, call, &context);
    let response = if drop_answer {
        dropped_response()
    } else {
        match outcome {
            Ok(result) => json_response(200, &result),
            Err(raised) => raise(raised),
        }
    };
    record.finish(&shared, response)
}

// ------------------------------------------------------------------ the ORM

/// A call bound to its method's signature.
#[derive(Debug, Default)]
struct Bound {
    ids: Vec<i64>,
    params: Map<String, Value>,
    /// JSON-RPC `create` given a single dict (answers a single id).
    single_create: bool,
}

/// Parameter names of each method, in order, and how many are required.
fn signature(method: &str) -> (&'static [&'static str], usize) {
    match method {
        "search_read" => (&["domain", "fields", "offset", "limit", "order", "load"], 0),
        "search" => (&["domain", "offset", "limit", "order"], 1),
        "read" => (&["fields", "load"], 0),
        "create" => (&["vals_list"], 1),
        "write" => (&["vals"], 1),
        _ => (&[], 0),
    }
}

fn bind_named(method: &str, params: Map<String, Value>) -> std::result::Result<Bound, Raised> {
    let (names, required) = signature(method);
    if let Some(extra) = params.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(type_error(format!(
            "{method}() got an unexpected keyword argument '{extra}'"
        )));
    }
    let missing: Vec<String> = names[..required]
        .iter()
        .filter(|n| !params.contains_key(**n))
        .map(|n| format!("'{n}'"))
        .collect();
    if !missing.is_empty() {
        return Err(type_error(format!(
            "{method}() missing {} required positional argument{}: {}",
            missing.len(),
            if missing.len() > 1 { "s" } else { "" },
            missing.join(" and ")
        )));
    }
    Ok(Bound {
        ids: Vec::new(),
        params,
        single_create: false,
    })
}

/// Bind `execute_kw`'s args/kwargs as Odoo 17's `call_kw` does: record methods take
/// the ids as the first positional argument, `create` its `vals_list` positionally.
fn bind_jsonrpc(
    model: &str,
    method: &str,
    mut args: Vec<Value>,
    kwargs: Map<String, Value>,
) -> std::result::Result<Bound, Raised> {
    if model != ORDERPOINT_MODEL {
        return Err(Raised::new(
            "odoo.exceptions.UserError",
            format!("Object {model} doesn't exist"),
        ));
    }
    if method.starts_with('_') {
        return Err(Raised::new(
            "odoo.exceptions.AccessError",
            format!("Private methods (such as '{model}.{method}') cannot be called remotely."),
        ));
    }
    if !["search", "search_read", "read", "create", "write"].contains(&method) {
        return Err(Raised::new(
            "builtins.AttributeError",
            format!("The method '{method}' does not exist on the model '{model}'"),
        ));
    }
    let mut ids = Vec::new();
    if matches!(method, "read" | "write") {
        if args.is_empty() {
            return Err(Raised::new(
                "builtins.IndexError",
                "list index out of range",
            ));
        }
        match args.remove(0) {
            Value::Array(a) if a.iter().all(|v| v.as_i64().is_some()) => {
                ids = a.iter().filter_map(Value::as_i64).collect()
            }
            Value::Number(n) if n.as_i64().is_some() => ids = vec![n.as_i64().unwrap_or_default()],
            other => {
                return Err(type_error(format!(
                    "the record ids must be a list of integers, not {other}"
                )))
            }
        }
    }
    if method == "create" && args.is_empty() {
        return Err(Raised::new(
            "builtins.IndexError",
            "tuple index out of range",
        ));
    }
    let (names, required) = signature(method);
    if args.len() > names.len() {
        return Err(type_error(format!(
            "{method}() takes from 1 to {} positional arguments but {} were given",
            names.len() + 1,
            args.len() + 1
        )));
    }
    let mut params = Map::new();
    for (name, value) in names.iter().zip(args) {
        params.insert((*name).to_string(), value);
    }
    for (name, value) in kwargs {
        if !names.contains(&name.as_str()) {
            return Err(type_error(format!(
                "{method}() got an unexpected keyword argument '{name}'"
            )));
        }
        if params.contains_key(&name) {
            return Err(type_error(format!(
                "{method}() got multiple values for argument '{name}'"
            )));
        }
        params.insert(name, value);
    }
    let missing: Vec<String> = names[..required]
        .iter()
        .filter(|n| !params.contains_key(**n))
        .map(|n| format!("'{n}'"))
        .collect();
    if !missing.is_empty() {
        return Err(type_error(format!(
            "{method}() missing {} required positional argument: {}",
            missing.len(),
            missing.join(" and ")
        )));
    }
    let mut single_create = false;
    if method == "create" {
        if let Some(Value::Object(one)) = params.get("vals_list").cloned() {
            single_create = true;
            params.insert("vals_list".into(), json!([one]));
        }
    }
    Ok(Bound {
        ids,
        params,
        single_create,
    })
}

fn invalid_field(field: &str) -> Raised {
    value_error(format!(
        "Invalid field '{field}' on model '{ORDERPOINT_MODEL}'"
    ))
}

fn run(
    shared: &Shared,
    model: &str,
    method: &str,
    call: Bound,
    context: &Map<String, Value>,
) -> std::result::Result<Value, Raised> {
    let mut inner = shared.lock();
    let uid = shared.config.uid;
    match method {
        "search" | "search_read" => {
            let domain = call.params.get("domain").cloned().unwrap_or(json!([]));
            let mut ids = search(&inner, &domain, context)?;
            let offset = call
                .params
                .get("offset")
                .and_then(Value::as_u64)
                .unwrap_or(0) as usize;
            ids = ids.into_iter().skip(offset).collect();
            if let Some(limit) = call.params.get("limit").and_then(Value::as_u64) {
                ids.truncate(limit as usize);
            }
            if method == "search" {
                return Ok(json!(ids));
            }
            let fields = fields_of(call.params.get("fields"))?;
            Ok(Value::Array(
                ids.iter()
                    .map(|id| read_one(&inner.orderpoints[id], &fields))
                    .collect(),
            ))
        }
        "read" => {
            let fields = fields_of(call.params.get("fields"))?;
            let missing: Vec<i64> = call
                .ids
                .iter()
                .copied()
                .filter(|id| !inner.orderpoints.contains_key(id))
                .collect();
            if !missing.is_empty() {
                return Err(missing_error(&missing, uid));
            }
            Ok(Value::Array(
                call.ids
                    .iter()
                    .map(|id| read_one(&inner.orderpoints[id], &fields))
                    .collect(),
            ))
        }
        "create" => {
            let Some(list) = call
                .params
                .get("vals_list")
                .and_then(Value::as_array)
                .cloned()
            else {
                return Err(type_error("vals_list must be a list of dicts"));
            };
            let mut created = Vec::new();
            // All or nothing, as one transaction.
            let mut staged = inner.orderpoints.clone();
            let mut next_id = inner.next_id;
            for vals in list {
                let Value::Object(vals) = vals else {
                    return Err(type_error("each entry of vals_list must be a dict"));
                };
                let id = next_id;
                next_id += 1;
                let stored = new_record(id, &vals)?;
                check_unique(&staged, &stored)?;
                staged.insert(id, stored);
                created.push(id);
            }
            inner.orderpoints = staged;
            inner.next_id = next_id;
            Ok(if call.single_create {
                json!(created[0])
            } else {
                json!(created)
            })
        }
        "write" => {
            let Some(Value::Object(vals)) = call.params.get("vals").cloned() else {
                return Err(type_error("vals must be a dict"));
            };
            let missing: Vec<i64> = call
                .ids
                .iter()
                .copied()
                .filter(|id| !inner.orderpoints.contains_key(id))
                .collect();
            if !missing.is_empty() {
                return Err(missing_error(&missing, uid));
            }
            let mut staged = inner.orderpoints.clone();
            for id in &call.ids {
                let mut record = staged[id].clone();
                if let Some(company) = vals.get("company_id") {
                    if company.as_i64() != Some(record.company_id) {
                        return Err(Raised::new("odoo.exceptions.UserError", "Changing the company of this record is forbidden at this point, you should rather archive it and create a new one."));
                    }
                }
                apply(&mut record, &vals)?;
                staged.remove(id);
                check_unique(&staged, &record)?;
                staged.insert(*id, record);
            }
            inner.orderpoints = staged;
            Ok(json!(true))
        }
        other => Err(Raised::new(
            "builtins.AttributeError",
            format!("The method '{model}.{other}' does not exist"),
        )),
    }
}

fn missing_error(ids: &[i64], uid: i64) -> Raised {
    let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    Raised::new(
        "odoo.exceptions.MissingError",
        format!("Record does not exist or has been deleted.\n(Record: {ORDERPOINT_MODEL}({},), User: {uid})", list.join(", ")),
    )
}

fn fields_of(value: Option<&Value>) -> std::result::Result<Vec<String>, Raised> {
    let names: Vec<String> = match value {
        None | Some(Value::Null) => ORDERPOINT_FIELDS.iter().map(|f| f.to_string()).collect(),
        Some(Value::Array(a)) if a.is_empty() => {
            ORDERPOINT_FIELDS.iter().map(|f| f.to_string()).collect()
        }
        Some(Value::Array(a)) => a
            .iter()
            .map(|f| {
                f.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| type_error("fields must be a list of strings"))
            })
            .collect::<std::result::Result<_, _>>()?,
        Some(_) => return Err(type_error("fields must be a list of strings")),
    };
    if let Some(bad) = names
        .iter()
        .find(|n| !ORDERPOINT_FIELDS.contains(&n.as_str()))
    {
        return Err(invalid_field(bad));
    }
    Ok(names)
}

fn read_one(record: &Stored, fields: &[String]) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(record.id));
    for f in fields {
        out.insert(f.clone(), record.get(f));
    }
    Value::Object(out)
}

fn search(
    inner: &Inner,
    domain: &Value,
    context: &Map<String, Value>,
) -> std::result::Result<Vec<i64>, Raised> {
    let Some(terms) = domain.as_array() else {
        return Err(type_error("the domain must be a list"));
    };
    let mut leaves = Vec::new();
    let mut mentions_active = false;
    for term in terms {
        match term {
            Value::String(op) if op == "&" => continue,
            Value::String(op) => {
                return Err(value_error(format!(
                    "stand-in Odoo: domain operator {op:?} is not supported (only AND-ed terms)"
                )))
            }
            Value::Array(leaf) if leaf.len() == 3 => {
                let field = leaf[0]
                    .as_str()
                    .ok_or_else(|| value_error(format!("Invalid leaf {term}")))?;
                if !ORDERPOINT_FIELDS.contains(&field) {
                    return Err(value_error(format!(
                        "Invalid field {ORDERPOINT_MODEL}.{field} in leaf {term}"
                    )));
                }
                let op = leaf[1]
                    .as_str()
                    .ok_or_else(|| value_error(format!("Invalid leaf {term}")))?;
                if !["=", "!=", "in", "not in"].contains(&op) {
                    return Err(value_error(format!(
                        "stand-in Odoo: operator {op:?} is not supported"
                    )));
                }
                mentions_active |= field == "active";
                leaves.push((field, op, leaf[2].clone()));
            }
            other => return Err(value_error(format!("Invalid leaf {other}"))),
        }
    }
    let active_test = context.get("active_test") != Some(&json!(false));
    Ok(inner
        .orderpoints
        .values()
        .filter(|r| mentions_active || !active_test || r.active)
        .filter(|r| {
            leaves.iter().all(|(field, op, value)| {
                let have = r.raw(field);
                let equal = |v: &Value| same(&have, v);
                match *op {
                    "=" => equal(value),
                    "!=" => !equal(value),
                    "in" => value.as_array().is_some_and(|a| a.iter().any(equal)),
                    _ => !value.as_array().is_some_and(|a| a.iter().any(equal)),
                }
            })
        })
        .map(|r| r.id)
        .collect())
}

/// Equality as Odoo's SQL sees it: numbers by value (`40` = `40.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn new_record(id: i64, vals: &Map<String, Value>) -> std::result::Result<Stored, Raised> {
    let mut record = Stored {
        id,
        name: format!("OP/{id:05}"),
        active: true,
        trigger: "auto".into(),
        company_id: 1,
        warehouse_id: 0,
        location_id: 0,
        product_id: 0,
        product_min_qty: 0.0,
        product_max_qty: 0.0,
        qty_multiple: 1.0,
    };
    apply(&mut record, vals)?;
    for (field, label, value) in [
        ("product_id", "Product", record.product_id),
        ("location_id", "Location", record.location_id),
        ("warehouse_id", "Warehouse", record.warehouse_id),
    ] {
        if value == 0 {
            return Err(Raised::new(
                "odoo.exceptions.ValidationError",
                format!("The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Minimum Inventory Rule ({ORDERPOINT_MODEL})\nField: {label} ({field})"),
            ));
        }
    }
    Ok(record)
}

fn apply(record: &mut Stored, vals: &Map<String, Value>) -> std::result::Result<(), Raised> {
    for (field, value) in vals {
        match field.as_str() {
            "id" | "name" => {
                return Err(value_error(format!(
                    "stand-in Odoo: field '{field}' is read-only"
                )))
            }
            "active" => {
                record.active = value
                    .as_bool()
                    .ok_or_else(|| type_error(format!("active must be a boolean, not {value}")))?
            }
            "trigger" => match value.as_str() {
                Some(t @ ("auto" | "manual")) => record.trigger = t.into(),
                _ => {
                    return Err(value_error(format!(
                        "Wrong value for {ORDERPOINT_MODEL}.trigger: {value}"
                    )))
                }
            },
            "company_id" | "warehouse_id" | "location_id" | "product_id" => {
                let id = value.as_i64().filter(|i| *i > 0).ok_or_else(|| {
                    type_error(format!("{field} must be a record id, not {value}"))
                })?;
                match field.as_str() {
                    "company_id" => record.company_id = id,
                    "warehouse_id" => record.warehouse_id = id,
                    "location_id" => record.location_id = id,
                    _ => record.product_id = id,
                }
            }
            "product_min_qty" | "product_max_qty" | "qty_multiple" => {
                let Value::Number(n) = value else {
                    return Err(type_error(format!(
                        "stand-in Odoo: {field} must be a JSON number, not {value}"
                    )));
                };
                let qty = n
                    .as_f64()
                    .ok_or_else(|| type_error(format!("{field}: {value} is not a float")))?;
                match field.as_str() {
                    "product_min_qty" => record.product_min_qty = qty,
                    "product_max_qty" => record.product_max_qty = qty,
                    _ => {
                        if qty < 0.0 {
                            return Err(Raised::new("odoo.exceptions.ValidationError", "The operation cannot be completed: Qty Multiple must be greater than or equal to zero."));
                        }
                        record.qty_multiple = qty
                    }
                }
            }
            other => return Err(invalid_field(other)),
        }
    }
    Ok(())
}

/// `product_location_check`: `unique (product_id, location_id, company_id)`.
fn check_unique(
    others: &BTreeMap<i64, Stored>,
    record: &Stored,
) -> std::result::Result<(), Raised> {
    let clash = others.values().any(|o| {
        o.id != record.id
            && o.product_id == record.product_id
            && o.location_id == record.location_id
            && o.company_id == record.company_id
    });
    if clash {
        return Err(Raised::new(
            "odoo.exceptions.ValidationError",
            "The operation cannot be completed: A replenishment rule already exists for this product on this location.",
        ));
    }
    Ok(())
}
