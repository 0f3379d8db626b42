//! [`OdooClient`]: the generic ORM calls over either protocol, with bounded retries
//! and the rule that nothing is ever written twice.
//!
//! # The retry rule
//!
//! A failed call is tried again only when its error [`OdooError::is_transient`]
//! (timeouts, lost connections, an unreachable server, HTTP 5xx without an Odoo
//! error, 429, an expired session), at most [`RetryPolicy::max_attempts`] times in
//! all, with exponential back-off from [`RetryPolicy::initial_backoff`] doubling up
//! to [`RetryPolicy::max_backoff`]; a 429 waits the server's `Retry-After` instead
//! (a `Retry-After` longer than [`RetryPolicy::max_retry_after`] ends the call with
//! [`OdooError::RateLimited`] rather than sleeping on). Odoo's own refusals
//! (bad key, access, validation, missing record, unknown field) are never retried.
//!
//! Whether a transient failure may be retried also depends on what the call does:
//!
//! * **Reads** (`search`, `search_read`, `read`): always; they change nothing.
//! * **`write`** of absolute values (`product_min_qty = 40`): writing the same values
//!   twice leaves the record as writing them once, so a write whose answer was lost
//!   is simply sent again. Never use `write` for relative changes.
//! * **`create`**: retried only when the failure proves nothing reached Odoo (a
//!   refused connection, a 429). When the request was sent and no answer came back
//!   ([`OdooError::may_have_applied`]: timeout, broken connection, a proxy's 5xx) the
//!   record may exist: [`OdooClient::create`] stops with
//!   [`OdooError::CreateOutcomeUnknown`], and [`OdooClient::create_unique`] —
//!   read-before-write — looks the record up by its natural key and only creates
//!   again if it is not there. Odoo's unique SQL constraint on the natural key (for
//!   orderpoints `product_location_check`) is the second guard: a create that raced
//!   a slow first one fails with a `ValidationError`, after which `create_unique`
//!   looks the key up once more and returns the record the first create made.
//!
//! Odoo has no idempotence keys on `create`; the natural key plays that part.
//!
//! The API key is read once from the environment variable named in
//! [`OdooSettings::api_key_env`] and is never logged or shown in errors (its
//! `Debug` is `"***"`).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::Mutex;

use crate::error::{Call, OdooError, Result};
use crate::protocol::{self, Protocol, ServerVersion};

/// A record as Odoo returns it: field name → JSON value (many2one fields are
/// `[id, "display name"]` or `false`).
pub type Record = Map<String, Value>;

/// Field values to create or write: field name → JSON value.
pub type Values = Map<String, Value>;

/// How to reach one Odoo database.
#[derive(Debug, Clone)]
pub struct OdooSettings {
    /// The server, e.g. `https://mycompany.odoo.com` (no trailing path).
    pub base_url: String,
    /// The database name (sent to `common.authenticate` and as `X-Odoo-Database`).
    pub database: String,
    /// The user's login, for JSON-RPC's `common.authenticate` (JSON-2 needs only the key).
    pub login: String,
    /// The NAME of the environment variable holding the API key (never the key).
    pub api_key_env: String,
    /// Per-request timeout (connect + answer).
    pub timeout: Duration,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
}

impl OdooSettings {
    /// Settings with a 30 s timeout and the default [`RetryPolicy`].
    pub fn new(
        base_url: impl Into<String>,
        database: impl Into<String>,
        login: impl Into<String>,
        api_key_env: impl Into<String>,
    ) -> Self {
        OdooSettings {
            base_url: base_url.into(),
            database: database.into(),
            login: login.into(),
            api_key_env: api_key_env.into(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// Bounds of the retries (see the module documentation for which calls retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled after each further failure.
    pub initial_backoff: Duration,
    /// Upper bound of the doubling.
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the call.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 250 ms doubling to 4 s, `Retry-After` up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// The API key. Its `Debug` and `Display` print `***`.
#[derive(Clone)]
struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An Odoo search domain: a list of `[field, operator, value]` terms, implicitly
/// AND-ed, as Odoo's ORM takes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Domain(Vec<Value>);

impl Domain {
    /// The empty domain (every record).
    pub fn new() -> Self {
        Domain(Vec::new())
    }

    /// Add the term `[field, operator, value]`.
    pub fn with(mut self, field: &str, operator: &str, value: impl Into<Value>) -> Self {
        self.0.push(json!([field, operator, value.into()]));
        self
    }

    /// Add the term `[field, "=", value]`.
    pub fn eq(self, field: &str, value: impl Into<Value>) -> Self {
        self.with(field, "=", value)
    }

    /// The domain as JSON.
    pub fn to_value(&self) -> Value {
        Value::Array(self.0.clone())
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_value())
    }
}

/// Options of `search` and `search_read`.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// Skip this many records.
    pub offset: u32,
    /// At most this many records.
    pub limit: Option<u32>,
    /// Odoo's `order`, e.g. `"id asc"`.
    pub order: Option<String>,
    /// Include archived records (`context.active_test = false`).
    pub include_archived: bool,
}

impl SearchOptions {
    fn context(&self) -> Value {
        if self.include_archived {
            json!({"active_test": false})
        } else {
            json!({})
        }
    }

    /// JSON-RPC keyword arguments / JSON-2 named parameters besides the domain.
    fn named(&self) -> Values {
        let mut named = Values::new();
        if self.offset > 0 {
            named.insert("offset".into(), json!(self.offset));
        }
        if let Some(limit) = self.limit {
            named.insert("limit".into(), json!(limit));
        }
        if let Some(order) = &self.order {
            named.insert("order".into(), json!(order));
        }
        named
    }
}

/// What [`OdooClient::create_unique`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueCreate {
    /// The record's id.
    pub id: i64,
    /// True when a create's answer was lost and the record was then found by its
    /// natural key (the lost create had made it, or someone else had).
    pub found_after_lost_answer: bool,
}

/// What a call does, which decides whether it may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallKind {
    /// Changes nothing.
    Read,
    /// Writes absolute values: applying it twice equals applying it once.
    IdempotentWrite,
    /// Creates a record: never retried when it may have been applied.
    Create,
}

/// An async client of one Odoo database (see the module documentation).
#[derive(Debug)]
pub struct OdooClient {
    http: reqwest::Client,
    base_url: String,
    database: String,
    login: String,
    key: ApiKey,
    timeout: Duration,
    retry: RetryPolicy,
    version: ServerVersion,
    protocol: Protocol,
    /// JSON-RPC's user id, from `common.authenticate` (reset on session expiry).
    uid: Mutex<Option<i64>>,
    next_id: AtomicU64,
}

impl OdooClient {
    /// Read the API key from the environment, probe the server's version, pick the
    /// protocol, and (JSON-RPC) authenticate.
    pub async fn connect(settings: OdooSettings) -> Result<Self> {
        let key = match std::env::var(&settings.api_key_env) {
            Ok(k) if !k.is_empty() => ApiKey(k),
            Ok(_) => {
                return Err(OdooError::MissingApiKey {
                    var: settings.api_key_env.clone(),
                    problem: "empty",
                })
            }
            Err(std::env::VarError::NotPresent) => {
                return Err(OdooError::MissingApiKey {
                    var: settings.api_key_env.clone(),
                    problem: "unset",
                })
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(OdooError::MissingApiKey {
                    var: settings.api_key_env.clone(),
                    problem: "not valid UTF-8",
                })
            }
        };
        let base_url = settings.base_url.trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(OdooError::InvalidSettings {
                detail: format!("base URL {base_url:?} is not http:// or https://"),
            });
        }
        if settings.timeout.is_zero() || settings.retry.max_attempts == 0 {
            return Err(OdooError::InvalidSettings {
                detail: "the timeout and max_attempts must be positive".into(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("crossdock-odoo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OdooError::InvalidSettings {
                detail: format!("cannot build the HTTP client: {e}"),
            })?;
        let mut client = OdooClient {
            http,
            base_url,
            database: settings.database,
            login: settings.login,
            key,
            timeout: settings.timeout,
            retry: settings.retry,
            version: ServerVersion {
                major: 0,
                minor: 0,
                text: String::new(),
            },
            protocol: Protocol::JsonRpc,
            uid: Mutex::new(None),
            next_id: AtomicU64::new(1),
        };
        client.version = client.probe_version().await?;
        client.protocol =
            client
                .version
                .protocol()
                .ok_or_else(|| OdooError::UnsupportedVersion {
                    url: client.base_url.clone(),
                    version: client.version.text.clone(),
                    detail: "crossdock speaks to Odoo 17 and later".into(),
                })?;
        if client.protocol == Protocol::JsonRpc {
            client.uid().await?;
        }
        tracing::info!(url = %client.base_url, version = %client.version.text, protocol = ?client.protocol, "connected to Odoo");
        Ok(client)
    }

    /// The protocol chosen from the server's version.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The server's version.
    pub fn server_version(&self) -> &ServerVersion {
        &self.version
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The retry bounds in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// `search`: the ids of the records matching `domain`.
    pub async fn search(
        &self,
        model: &str,
        domain: &Domain,
        options: &SearchOptions,
    ) -> Result<Vec<i64>> {
        let call = Call::new(model, "search");
        let mut kwargs = options.named();
        kwargs.insert("context".into(), options.context());
        let mut body = kwargs.clone();
        body.insert("domain".into(), domain.to_value());
        let value = self
            .execute(&call, CallKind::Read, vec![domain.to_value()], kwargs, body)
            .await?;
        ids_of(&call, value)
    }

    /// `search_read`: the `fields` of the records matching `domain` (`id` is always
    /// included by Odoo).
    pub async fn search_read(
        &self,
        model: &str,
        domain: &Domain,
        fields: &[&str],
        options: &SearchOptions,
    ) -> Result<Vec<Record>> {
        let call = Call::new(model, "search_read");
        let mut kwargs = options.named();
        kwargs.insert("fields".into(), json!(fields));
        kwargs.insert("context".into(), options.context());
        let mut body = kwargs.clone();
        body.insert("domain".into(), domain.to_value());
        let value = self
            .execute(&call, CallKind::Read, vec![domain.to_value()], kwargs, body)
            .await?;
        records_of(&call, value)
    }

    /// `read`: the `fields` of the records `ids` (a missing id is Odoo's
    /// `MissingError`).
    pub async fn read(&self, model: &str, ids: &[i64], fields: &[&str]) -> Result<Vec<Record>> {
        let call = Call::new(model, "read");
        let mut kwargs = Values::new();
        kwargs.insert("fields".into(), json!(fields));
        let mut body = kwargs.clone();
        body.insert("ids".into(), json!(ids));
        let value = self
            .execute(&call, CallKind::Read, vec![json!(ids)], kwargs, body)
            .await?;
        records_of(&call, value)
    }

    /// `create`: one record per entry of `vals_list`, their ids in order.
    ///
    /// Retried only when nothing can have reached Odoo; a create that may have been
    /// applied ends with [`OdooError::CreateOutcomeUnknown`] (use
    /// [`OdooClient::create_unique`] when the model has a natural key).
    pub async fn create(&self, model: &str, vals_list: &[Values]) -> Result<Vec<i64>> {
        let call = Call::new(model, "create");
        let list = Value::Array(vals_list.iter().cloned().map(Value::Object).collect());
        let mut body = Values::new();
        body.insert("vals_list".into(), list.clone());
        let value = self
            .execute(&call, CallKind::Create, vec![list], Values::new(), body)
            .await?;
        let ids = ids_of(&call, value)?;
        if ids.len() != vals_list.len() {
            return Err(OdooError::UnexpectedResponse {
                call,
                detail: format!("{} ids for {} records", ids.len(), vals_list.len()),
            });
        }
        Ok(ids)
    }

    /// `write`: set `vals` (absolute values) on the records `ids`.
    pub async fn write(&self, model: &str, ids: &[i64], vals: &Values) -> Result<()> {
        let call = Call::new(model, "write");
        let mut body = Values::new();
        body.insert("ids".into(), json!(ids));
        body.insert("vals".into(), Value::Object(vals.clone()));
        let value = self
            .execute(
                &call,
                CallKind::IdempotentWrite,
                vec![json!(ids), Value::Object(vals.clone())],
                Values::new(),
                body,
            )
            .await?;
        match value {
            Value::Bool(true) => Ok(()),
            other => Err(OdooError::UnexpectedResponse {
                call,
                detail: format!("write answered {other} instead of true"),
            }),
        }
    }

    /// Create one record whose natural key is `key` without ever creating it twice
    /// (read-before-write, see the module documentation).
    ///
    /// Looks the key up (archived records included) only after a create whose
    /// outcome is unknown; the caller checks beforehand whether the record exists.
    pub async fn create_unique(
        &self,
        model: &str,
        key: &Domain,
        vals: &Values,
    ) -> Result<UniqueCreate> {
        let lookup = SearchOptions {
            include_archived: true,
            ..SearchOptions::default()
        };
        let mut lost_answers = 0u32;
        let mut backoff = self.retry.initial_backoff;
        loop {
            let outcome = self.create(model, std::slice::from_ref(vals)).await;
            let failure = match outcome {
                Ok(ids) => {
                    return Ok(UniqueCreate {
                        id: ids[0],
                        found_after_lost_answer: lost_answers > 0,
                    })
                }
                Err(e @ OdooError::CreateOutcomeUnknown { .. }) => e,
                // After a lost answer, the unique constraint refusing the second
                // create means the first one made the record.
                Err(e @ OdooError::ValidationError { .. }) if lost_answers > 0 => e,
                Err(e) => return Err(e),
            };
            lost_answers += 1;
            tracing::warn!(model, key = %key, error = %failure, "create outcome unknown; looking the record up by its natural key");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(self.retry.max_backoff);
            let found = self.search(model, key, &lookup).await?;
            match found.as_slice() {
                [id] => {
                    return Ok(UniqueCreate {
                        id: *id,
                        found_after_lost_answer: true,
                    })
                }
                [] if lost_answers < self.retry.max_attempts
                    && matches!(failure, OdooError::CreateOutcomeUnknown { .. }) =>
                {
                    continue
                }
                [] => return Err(failure),
                many => {
                    return Err(OdooError::DuplicateNaturalKey {
                        model: model.to_string(),
                        key: key.to_string(),
                        count: many.len(),
                        ids: many.to_vec(),
                    })
                }
            }
        }
    }

    /// Run one ORM call with the retry rule. `args`/`kwargs` are its JSON-RPC
    /// `execute_kw` arguments, `named` its JSON-2 body.
    async fn execute(
        &self,
        call: &Call,
        kind: CallKind,
        args: Vec<Value>,
        kwargs: Values,
        named: Values,
    ) -> Result<Value> {
        let mut attempt = 0u32;
        let mut backoff = self.retry.initial_backoff;
        loop {
            attempt += 1;
            let result = match self.protocol {
                Protocol::JsonRpc => self.execute_kw_once(call, &args, &kwargs).await,
                Protocol::Json2 => self.json2_once(call, &named).await,
            };
            let error = match result {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if kind == CallKind::Create && error.may_have_applied() {
                return Err(OdooError::CreateOutcomeUnknown {
                    call: call.clone(),
                    source: Box::new(error),
                });
            }
            if !error.is_transient() || attempt >= self.retry.max_attempts {
                return Err(error);
            }
            let wait = match &error {
                OdooError::RateLimited {
                    retry_after: Some(after),
                    ..
                } => {
                    if *after > self.retry.max_retry_after {
                        return Err(error);
                    }
                    *after
                }
                _ => backoff,
            };
            if let OdooError::SessionExpired { .. } = error {
                *self.uid.lock().await = None;
            }
            tracing::warn!(call = %call, attempt, error = %error, wait = ?wait, "retrying Odoo call");
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(self.retry.max_backoff);
        }
    }

    /// One `object.execute_kw` over `/jsonrpc`.
    async fn execute_kw_once(&self, call: &Call, args: &[Value], kwargs: &Values) -> Result<Value> {
        let uid = self.uid().await?;
        let request = protocol::jsonrpc_request(
            self.next_id.fetch_add(1, Ordering::Relaxed),
            "object",
            "execute_kw",
            vec![
                json!(self.database),
                json!(uid),
                json!(self.key.0),
                json!(call.model),
                json!(call.method),
                Value::Array(args.to_vec()),
                Value::Object(kwargs.clone()),
            ],
        );
        let (status, body) = self.post(call, "/jsonrpc", &request, false).await?;
        protocol::jsonrpc_result(call, status, &body)
    }

    /// One `POST /json/2/<model>/<method>`.
    async fn json2_once(&self, call: &Call, named: &Values) -> Result<Value> {
        let path = format!("/json/2/{}/{}", call.model, call.method);
        let (status, body) = self
            .post(call, &path, &Value::Object(named.clone()), true)
            .await?;
        protocol::json2_result(call, status, &body)
    }

    /// JSON-RPC's user id, authenticating when there is none yet.
    async fn uid(&self) -> Result<i64> {
        let mut uid = self.uid.lock().await;
        if let Some(id) = *uid {
            return Ok(id);
        }
        let call = Call::new("common", "authenticate");
        let request = protocol::jsonrpc_request(
            self.next_id.fetch_add(1, Ordering::Relaxed),
            "common",
            "authenticate",
            vec![
                json!(self.database),
                json!(self.login),
                json!(self.key.0),
                json!({}),
            ],
        );
        let (call_ref, request_ref) = (&call, &request);
        let value = self
            .plain_with_retry(&call, move || async move {
                let (status, body) = self.post(call_ref, "/jsonrpc", request_ref, false).await?;
                protocol::jsonrpc_result(call_ref, status, &body)
            })
            .await?;
        match value.as_i64() {
            Some(id) if id > 0 => {
                *uid = Some(id);
                Ok(id)
            }
            _ => Err(OdooError::AccessDenied {
                call,
                message: format!(
                    "common.authenticate answered {value} for login {:?} on database {:?} (wrong login, API key or database)",
                    self.login, self.database
                ),
            }),
        }
    }

    /// The server's version: `common.version` at `/jsonrpc`, else `GET /web/version`.
    async fn probe_version(&self) -> Result<ServerVersion> {
        let call = Call::new("common", "version");
        let request = protocol::jsonrpc_request(0, "common", "version", vec![]);
        let (call_ref, request_ref) = (&call, &request);
        let jsonrpc = self
            .plain_with_retry(&call, move || async move {
                let (status, body) = self.post(call_ref, "/jsonrpc", request_ref, false).await?;
                if status == 404 {
                    return Ok(None);
                }
                protocol::jsonrpc_result(call_ref, status, &body).map(Some)
            })
            .await?;
        let (info, text) = match jsonrpc {
            Some(v) => (
                v.get("server_version_info").cloned(),
                v.get("server_version")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ),
            None => {
                let web = self
                    .plain_with_retry(&call, move || async move {
                        let (status, body) = self.get(call_ref, "/web/version").await?;
                        protocol::json2_result(call_ref, status, &body)
                    })
                    .await?;
                (
                    web.get("version_info").cloned(),
                    web.get("version")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                )
            }
        };
        info.as_ref()
            .and_then(|i| ServerVersion::from_version_info(i, &text))
            .ok_or_else(|| OdooError::UnsupportedVersion {
                url: self.base_url.clone(),
                version: format!("{info:?} / {text:?}"),
                detail: "no readable version_info in the answer".into(),
            })
    }

    /// Retry a call that changes nothing (version probe, authenticate).
    async fn plain_with_retry<T, F, Fut>(&self, call: &Call, mut once: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut attempt = 0u32;
        let mut backoff = self.retry.initial_backoff;
        loop {
            attempt += 1;
            match once().await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_transient() && attempt < self.retry.max_attempts => {
                    let wait = match &e {
                        OdooError::RateLimited {
                            retry_after: Some(after),
                            ..
                        } if *after <= self.retry.max_retry_after => *after,
                        OdooError::RateLimited {
                            retry_after: Some(_),
                            ..
                        } => return Err(e),
                        _ => backoff,
                    };
                    tracing::warn!(call = %call, attempt, error = %e, wait = ?wait, "retrying Odoo call");
                    tokio::time::sleep(wait).await;
                    backoff = (backoff * 2).min(self.retry.max_backoff);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// POST a JSON body; the status and the whole body, or a transport error.
    async fn post(
        &self,
        call: &Call,
        path: &str,
        body: &Value,
        json2: bool,
    ) -> Result<(u16, Vec<u8>)> {
        let url = format!("{}{}", self.base_url, path);
        let bytes = serde_json::to_vec(body).map_err(|e| OdooError::UnexpectedResponse {
            call: call.clone(),
            detail: format!("cannot serialize the request: {e}"),
        })?;
        let mut request = self
            .http
            .post(&url)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(bytes);
        if json2 {
            request = request
                .header("Authorization", format!("bearer {}", self.key.0))
                .header("X-Odoo-Database", &self.database);
        }
        self.finish(call, &url, request).await
    }

    /// GET a path; the status and the whole body.
    async fn get(&self, call: &Call, path: &str) -> Result<(u16, Vec<u8>)> {
        let url = format!("{}{}", self.base_url, path);
        let request = self.http.get(&url);
        self.finish(call, &url, request).await
    }

    async fn finish(
        &self,
        call: &Call,
        url: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>)> {
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(call, url, e))?;
        let status = response.status().as_u16();
        if status == 429 {
            let retry_after = response
                .headers()
                .get("Retry-After")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(OdooError::RateLimited {
                call: call.clone(),
                retry_after,
            });
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(call, url, e))?;
        Ok((status, body.to_vec()))
    }

    /// Classify a transport failure: never sent, timed out, or lost on the way back.
    fn transport_error(&self, call: &Call, url: &str, e: reqwest::Error) -> OdooError {
        // reqwest's Display names the URL, never headers or body: the key stays out.
        let detail = error_chain(&e);
        if e.is_connect() {
            OdooError::Unreachable {
                call: call.clone(),
                url: url.to_string(),
                detail,
            }
        } else if e.is_timeout() {
            OdooError::Timeout {
                call: call.clone(),
                after: self.timeout,
            }
        } else {
            OdooError::ResponseLost {
                call: call.clone(),
                detail,
            }
        }
    }
}

/// An error and its sources, one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A JSON list of ids.
fn ids_of(call: &Call, value: Value) -> Result<Vec<i64>> {
    let bad = |v: &Value| OdooError::UnexpectedResponse {
        call: call.clone(),
        detail: format!(
            "expected a list of ids, got {}",
            protocol::excerpt(v.to_string().as_bytes())
        ),
    };
    match &value {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_i64().ok_or_else(|| bad(&value)))
            .collect(),
        // `create` with a single dict answers a single id over JSON-RPC.
        Value::Number(n) => n.as_i64().map(|i| vec![i]).ok_or_else(|| bad(&value)),
        _ => Err(bad(&value)),
    }
}

/// A JSON list of records.
fn records_of(call: &Call, value: Value) -> Result<Vec<Record>> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::Object(o) => Ok(o),
                other => Err(OdooError::UnexpectedResponse {
                    call: call.clone(),
                    detail: format!("expected a record, got {other}"),
                }),
            })
            .collect(),
        other => Err(OdooError::UnexpectedResponse {
            call: call.clone(),
            detail: format!(
                "expected a list of records, got {}",
                protocol::excerpt(other.to_string().as_bytes())
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_key_never_shows_in_debug() {
        let key = ApiKey("s3cret-key".into());
        assert_eq!(format!("{key:?}"), "***");
    }

    #[test]
    fn domains_are_lists_of_terms() {
        let d = Domain::new()
            .eq("product_id", 42)
            .with("location_id", "in", json!([8, 9]));
        assert_eq!(
            d.to_value(),
            json!([["product_id", "=", 42], ["location_id", "in", [8, 9]]])
        );
    }

    #[test]
    fn ids_and_records_are_checked() {
        let call = Call::new("m", "search");
        assert_eq!(ids_of(&call, json!([1, 2])).unwrap(), vec![1, 2]);
        assert_eq!(ids_of(&call, json!(7)).unwrap(), vec![7]);
        assert!(ids_of(&call, json!(["a"])).is_err());
        assert!(records_of(&call, json!([{"id": 1}])).is_ok());
        assert!(records_of(&call, json!([1])).is_err());
    }
}
