//! Authentication and authorization, in one layer every route goes through.
//!
//! [`ROUTES`] is the access rule of every route: public, any signed-in
//! user, or only some roles. `guard` (an axum middleware on every route)
//! looks the request's route up there, then
//!
//! 1. lets public routes through (`/api/health`, `/api/openapi.json`, `/login`);
//! 2. finds who is asking: `Authorization: Bearer cdk_...` (an API token,
//!    checked against the store's SHA-256), else the `crossdock_session`
//!    cookie (a session of [`Sessions`]); the user is read from the store on
//!    every request, so disabling a user takes effect at once;
//! 3. answers an anonymous request 401 (JSON, under `/api/`) or 303 to
//!    `/login` (pages), and a user without a needed role 403;
//! 4. checks the CSRF token of every POST made with a session cookie (the
//!    `x-csrf-token` header, or the `csrf` field of a form); a missing or
//!    wrong token is a 403. Token (bearer) requests need none: browsers do
//!    not attach bearer tokens by themselves;
//! 5. hands the [`Principal`] to the handler, which restricts what it
//!    reads to the principal's companies and fields.
//!
//! A route missing from [`ROUTES`] is refused (500 and a log line), never
//! served unguarded.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use crossdock_access::{constant_time_eq, Role, User, Visibility};
use rand::RngCore;

use crate::error::ApiError;
use crate::{html, AppState};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "crossdock_session";

/// How long a session lasts after login.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);

/// Failed logins allowed per account and client address within
/// [`LOGIN_WINDOW`]; the next attempt from that address on that account is
/// a 429.
pub const LOGIN_MAX_FAILURES: usize = 5;

/// Failed logins allowed per account, from any address, within
/// [`LOGIN_WINDOW`].
pub const LOGIN_MAX_ACCOUNT_FAILURES: usize = 10;

/// Failed logins allowed per client address, over every account, within
/// [`LOGIN_WINDOW`] (against password spraying).
pub const LOGIN_MAX_ADDRESS_FAILURES: usize = 100;

/// The window failed logins are counted in.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Largest form body read to check a CSRF token.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Signed-in users with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// May a user with these roles pass? (`Public` and `SignedIn`: yes.)
    pub fn permits(&self, roles: &[Role]) -> bool {
        match self {
            Access::Public | Access::SignedIn => true,
            Access::Roles(allowed) => roles.iter().any(|r| allowed.contains(r)),
        }
    }
}

/// One route and its rule.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// `GET` or `POST` (HEAD follows GET).
    pub method: &'static str,
    /// The path pattern, as registered with the router.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// What it is.
    pub what: &'static str,
    /// The label of its link in the pages' top navigation, for a `GET`
    /// page; `None` for everything else. Each principal sees the links of
    /// the routes they may open ([`nav_links`]): a new page adds its link
    /// here, beside its rule, and nowhere else.
    pub nav: Option<&'static str>,
}

const ADMIN: &[Role] = &[Role::Admin];
const PLANNING_READ: &[Role] = crate::routes::planning::READERS;
const INBOX: &[Role] = crate::routes::inbox::WORKERS;
const PLANNING_DECIDE: &[Role] = crate::routes::planning::DECIDERS;

/// Every route of the server with its access rule: the one table
/// authorization reads. `docs/security.md` shows it (generated, checked by
/// a test).
pub const ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/api/health",
        access: Access::Public,
        what: "liveness and data time",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/openapi.json",
        access: Access::Public,
        what: "the OpenAPI document",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/static/{*path}",
        access: Access::Public,
        what: "the pages' scripts and styles: htmx, uPlot, crossdock's own (embedded; cached for a year, the URL carries a hash of the content)",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/login",
        access: Access::Public,
        what: "login form",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/login",
        access: Access::Public,
        what: "log in (rate-limited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/logout",
        access: Access::SignedIn,
        what: "log out (CSRF)",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/",
        access: Access::SignedIn,
        what: "dashboard (fields by role, rows by company)",
        nav: Some("Dashboard"),
    },
    Route {
        method: "GET",
        path: "/api/me",
        access: Access::SignedIn,
        what: "who am I: roles, companies, visible fields",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/freshness",
        access: Access::SignedIn,
        what: "warehouse lag",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/kpis",
        access: Access::SignedIn,
        what: "KPI report (fields by role, rows by company)",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/kpis/definitions",
        access: Access::SignedIn,
        what: "definitions of the KPIs the role may see",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/inbox",
        access: Access::Roles(INBOX),
        what: "customer service's inbox: queue, category, confidence, references and linked records; correct, mark done, one or many",
        nav: Some("Inbox"),
    },
    Route {
        method: "POST",
        path: "/inbox/actions",
        access: Access::Roles(INBOX),
        what: "correct, mark done or reopen messages from the page (CSRF, audited)",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/inbox/messages",
        access: Access::Roles(INBOX),
        what: "the classified inbox as JSON (rows by company)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/api/inbox/actions",
        access: Access::Roles(INBOX),
        what: "correct, mark done or reopen messages (all or none; audited)",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/planning",
        access: Access::Roles(PLANNING_READ),
        what: "reorder suggestions: filters, stock position, exceptions first; accept or reject many at once",
        nav: Some("Planning"),
    },
    Route {
        method: "GET",
        path: "/planning/items/{key}",
        access: Access::Roles(PLANNING_READ),
        what: "one item's suggestion: history, forecast and interval, evidence, decisions",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/planning/decisions",
        access: Access::Roles(PLANNING_DECIDE),
        what: "accept, edit or reject suggestions from the pages (CSRF, audited, sent to Odoo when configured)",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/planning/suggestions",
        access: Access::Roles(PLANNING_READ),
        what: "reorder suggestions as JSON (fields by role, rows by company)",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/planning/suggestions/{key}",
        access: Access::Roles(PLANNING_READ),
        what: "one suggestion with its weekly series and decisions",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/api/planning/decisions",
        access: Access::Roles(PLANNING_DECIDE),
        what: "accept, edit or reject suggestions (all or none; audited; sent to Odoo when configured)",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/planning/decisions",
        access: Access::Roles(PLANNING_READ),
        what: "every decision on suggestions, newest first",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/planning/orderpoints.csv",
        access: Access::Roles(PLANNING_READ),
        what: "accepted rules as Odoo's import file for stock.warehouse.orderpoint",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/users",
        access: Access::Roles(ADMIN),
        what: "list users",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/api/users",
        access: Access::Roles(ADMIN),
        what: "add a user (audited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/api/users/{name}/disable",
        access: Access::Roles(ADMIN),
        what: "disable a user (audited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/api/users/{name}/enable",
        access: Access::Roles(ADMIN),
        what: "enable a disabled user (audited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/api/users/{name}/unlock",
        access: Access::Roles(ADMIN),
        what: "clear a user's failed logins (audited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/api/users/{name}/reset-password",
        access: Access::Roles(ADMIN),
        what: "set a generated password, answered once (audited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/api/users/{name}/roles",
        access: Access::Roles(ADMIN),
        what: "set a user's roles and companies (audited)",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/api/audit",
        access: Access::Roles(ADMIN),
        what: "audit trail, JSON or CSV",
        nav: None,
    },
    Route {
        method: "GET",
        path: "/admin",
        access: Access::Roles(ADMIN),
        what: "users and audit trail page",
        nav: Some("Admin"),
    },
    Route {
        method: "POST",
        path: "/admin/users",
        access: Access::Roles(ADMIN),
        what: "add a user from the page (CSRF, audited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/admin/users/{name}/disable",
        access: Access::Roles(ADMIN),
        what: "disable a user from the page (CSRF, audited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/admin/users/{name}/enable",
        access: Access::Roles(ADMIN),
        what: "enable a user from the page (CSRF, audited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/admin/users/{name}/unlock",
        access: Access::Roles(ADMIN),
        what: "clear a user's failed logins from the page (CSRF, audited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/admin/users/{name}/reset-password",
        access: Access::Roles(ADMIN),
        what: "reset a password from the page, shown once (CSRF, audited)",
        nav: None,
    },
    Route {
        method: "POST",
        path: "/admin/users/{name}/roles",
        access: Access::Roles(ADMIN),
        what: "set roles and companies from the page (CSRF, audited)",
        nav: None,
    },
];

/// The top navigation of a user with these roles: `(path, label)` of every
/// `GET` route of [`ROUTES`] that has a [`Route::nav`] label and that the
/// roles may open, in the table's order.
pub fn nav_links(roles: &[Role]) -> Vec<(&'static str, &'static str)> {
    ROUTES
        .iter()
        .filter(|r| r.method == "GET" && r.access.permits(roles))
        .filter_map(|r| r.nav.map(|label| (r.path, label)))
        .collect()
}

/// Does a concrete path match a route pattern? `{name}` matches one
/// non-empty segment, a last `{*rest}` one or more.
fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let segments: Vec<&str> = path.split('/').collect();
    let param = |p: &str| p.starts_with('{') && p.ends_with('}');
    if let Some((last, init)) = pattern.split_last() {
        if last.starts_with("{*") && param(last) {
            return segments.len() > init.len()
                && segments[init.len()..].iter().any(|s| !s.is_empty())
                && init
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| (param(p) && !s.is_empty()) || p == s);
        }
    }
    pattern.len() == segments.len()
        && pattern
            .iter()
            .zip(&segments)
            .all(|(p, s)| (param(p) && !s.is_empty()) || p == s)
}

/// The methods a concrete path answers (from [`ROUTES`]), e.g. `GET, HEAD`;
/// empty when no route matches.
pub(crate) fn allowed_methods(path: &str) -> String {
    let mut methods: Vec<&str> = Vec::new();
    for r in ROUTES {
        if path_matches(r.path, path) && !methods.contains(&r.method) {
            methods.push(r.method);
            if r.method == "GET" {
                methods.push("HEAD");
            }
        }
    }
    methods.join(", ")
}

/// How a principal proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A login session (cookie), with its CSRF token.
    Session {
        /// The session id (the cookie's value).
        id: String,
        /// The token state-changing forms must carry.
        csrf: String,
    },
    /// An API token.
    Token {
        /// The token's public id.
        id: String,
    },
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user, as read from the store for this request.
    pub user: User,
    /// Session or token.
    pub via: Via,
}

impl Principal {
    /// The KPI fields the user may see.
    pub fn visibility(&self) -> Visibility {
        Visibility::of(&self.user.roles)
    }

    /// The companies the user's queries are restricted to (None: all).
    pub fn companies(&self) -> Option<BTreeSet<i64>> {
        self.user.company_scope()
    }

    /// The CSRF token of the session, if signed in by session.
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf, .. } => Some(csrf),
            Via::Token { .. } => None,
        }
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Debug)]
struct Session {
    user: String,
    csrf: String,
    expires: Instant,
}

/// Login sessions, in memory: a restart logs everyone out.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session for `user`: (session id, CSRF token).
    pub fn create(&self, user: &str) -> (String, String) {
        let now = Instant::now();
        let (id, csrf) = (random_token(), random_token());
        let mut map = self.lock();
        map.retain(|_, s| s.expires > now);
        map.insert(
            id.clone(),
            Session {
                user: user.to_string(),
                csrf: csrf.clone(),
                expires: now + SESSION_TTL,
            },
        );
        (id, csrf)
    }

    /// The user and CSRF token of a live session.
    fn get(&self, id: &str) -> Option<(String, String)> {
        let mut map = self.lock();
        match map.get(id) {
            Some(s) if s.expires > Instant::now() => Some((s.user.clone(), s.csrf.clone())),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Ends every session of a user (when disabled).
    pub fn remove_user(&self, user: &str) {
        self.lock().retain(|_, s| s.user != user);
    }
}

/// Failed logins, in a sliding window of [`LOGIN_WINDOW`], counted three
/// ways, each with its own ceiling:
///
/// - per account *and* client address ([`LOGIN_MAX_FAILURES`], 5): someone
///   mistyping their own password waits, nobody else does;
/// - per account, from any address ([`LOGIN_MAX_ACCOUNT_FAILURES`], 10):
///   guessing one account's password from many addresses;
/// - per client address, over every account ([`LOGIN_MAX_ADDRESS_FAILURES`],
///   100): spraying many accounts from one address, high enough that the
///   typos of everyone behind one office address do not lock them all out.
///
/// An attempt is counted as a failure *when it starts* ([`LoginLimiter::begin`],
/// under one lock with the check), and taken back when the password turns
/// out right ([`LoginLimiter::succeeded`]) or when it was never checked
/// ([`LoginLimiter::cancel`]): a burst of concurrent attempts cannot all
/// pass the check before the first failure is recorded.
///
/// An admin clears an account's failures with `crossdock user unlock` (or
/// the admin page): the store counts the unlocks
/// ([`crossdock_access::UserStore::failures_cleared`]), the login handler
/// reads that count on every attempt and hands it to [`LoginLimiter::begin`],
/// which forgets the account's failures (per account and per account and
/// address) when the count changed. So an unlock made by another process
/// takes effect on a running server at the next attempt.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    inner: Mutex<LimiterState>,
}

#[derive(Debug, Default)]
struct LimiterState {
    /// Failures by key: `account:<name>`, `pair:<name> <address>`, `address:<address>`.
    failures: HashMap<String, VecDeque<Instant>>,
    /// The store's `failures_cleared` of an account when last seen.
    cleared: HashMap<String, i64>,
    /// When a key's refusal was last written to the audit trail.
    audited: HashMap<String, Instant>,
}

/// A login attempt admitted by [`LoginLimiter::begin`]; its failure is
/// already counted.
#[derive(Debug)]
pub struct LoginAttempt {
    account: String,
    keys: [String; 3],
    at: Instant,
}

/// A login attempt refused by [`LoginLimiter::begin`].
#[derive(Debug, Clone, Copy)]
pub struct Throttled {
    /// Seconds until the oldest failure leaves the window.
    pub retry_after_secs: u64,
    /// True for the first refusal of this key in the window: the one worth
    /// an audit row (later ones are not written, so nobody can flood the
    /// append-only trail).
    pub audit: bool,
}

impl LoginLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits an attempt on `account` (any case) from `address` (and counts
    /// it as failed until [`LoginLimiter::succeeded`] or
    /// [`LoginLimiter::cancel`]) unless one of its counts has reached its
    /// ceiling. `cleared` is the store's
    /// [`failures_cleared`](crossdock_access::UserStore::failures_cleared)
    /// of the account: when it differs from the one seen last, the
    /// account's failures are forgotten first.
    pub fn begin(
        &self,
        account: &str,
        address: &str,
        cleared: i64,
    ) -> std::result::Result<LoginAttempt, Throttled> {
        let now = Instant::now();
        let account = account.to_ascii_lowercase();
        let keys = [
            format!("pair:{account} {address}"),
            format!("account:{account}"),
            format!("address:{address}"),
        ];
        let ceilings = [
            LOGIN_MAX_FAILURES,
            LOGIN_MAX_ACCOUNT_FAILURES,
            LOGIN_MAX_ADDRESS_FAILURES,
        ];
        let mut state = self.lock();
        if state
            .cleared
            .get(&account)
            .is_some_and(|seen| *seen != cleared)
        {
            state.forget_account(&account);
        }
        state.failures.retain(|_, q| {
            while q
                .front()
                .is_some_and(|t| now.duration_since(*t) >= LOGIN_WINDOW)
            {
                q.pop_front();
            }
            !q.is_empty()
        });
        // only accounts with failures need their count remembered
        let LimiterState {
            failures,
            cleared: seen,
            ..
        } = &mut *state;
        seen.retain(|a, _| failures.contains_key(&format!("account:{a}")));
        seen.insert(account.clone(), cleared);
        state
            .audited
            .retain(|_, t| now.duration_since(*t) < LOGIN_WINDOW);
        let blocked: Vec<(String, u64)> = keys
            .iter()
            .zip(ceilings)
            .filter_map(|(k, max)| {
                let q = state.failures.get(k)?;
                let oldest = q.front().filter(|_| q.len() >= max)?;
                let secs = (LOGIN_WINDOW - now.duration_since(*oldest))
                    .as_secs()
                    .max(1);
                Some((k.clone(), secs))
            })
            .collect();
        if let Some(secs) = blocked.iter().map(|(_, s)| *s).max() {
            let mut audit = false;
            for (k, _) in blocked {
                audit |= state.first_in_window(k, now);
            }
            return Err(Throttled {
                retry_after_secs: secs,
                audit,
            });
        }
        for k in &keys {
            state.failures.entry(k.clone()).or_default().push_back(now);
        }
        Ok(LoginAttempt {
            account,
            keys,
            at: now,
        })
    }

    /// The attempt's password was right: its provisional failure is taken
    /// back, and the account's earlier failures (per account, and per
    /// account and address) are forgotten. The address keeps its count.
    pub fn succeeded(&self, attempt: LoginAttempt) {
        let mut state = self.lock();
        state.take_back(&attempt);
        state.forget_account(&attempt.account);
    }

    /// The attempt's password was never checked (the server was busy): it
    /// is not a failure.
    pub fn cancel(&self, attempt: LoginAttempt) {
        self.lock().take_back(&attempt);
    }

    /// True the first time `key` is given within the window: for events
    /// worth one audit row per window, not one per request.
    pub fn first_in_window(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut state = self.lock();
        state
            .audited
            .retain(|_, t| now.duration_since(*t) < LOGIN_WINDOW);
        state.first_in_window(key.to_string(), now)
    }
}

impl LimiterState {
    fn take_back(&mut self, attempt: &LoginAttempt) {
        for k in &attempt.keys {
            if let Some(q) = self.failures.get_mut(k) {
                if let Some(i) = q.iter().position(|t| *t == attempt.at) {
                    q.remove(i);
                }
            }
        }
    }

    fn forget_account(&mut self, account: &str) {
        let pair_prefix = format!("pair:{account} ");
        let account_key = format!("account:{account}");
        self.failures
            .retain(|k, _| *k != account_key && !k.starts_with(&pair_prefix));
    }

    fn first_in_window(&mut self, key: String, now: Instant) -> bool {
        match self.audited.entry(key) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(now);
                true
            }
            std::collections::hash_map::Entry::Occupied(_) => false,
        }
    }
}

/// Is this path part of the JSON API?
pub(crate) fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The answer to a refused request: JSON under `/api/`, a page elsewhere
/// (a 303 to `/login` for an anonymous page request; for an htmx request,
/// a 401 with `HX-Redirect: /login`, which htmx follows with a full page
/// load, and other refusals as the error page's content fragment).
pub(crate) fn refuse(
    path: &str,
    mode: html::Mode,
    principal: Option<&Principal>,
    error: ApiError,
) -> Response {
    if is_api(path) {
        return error.into_response();
    }
    if matches!(error, ApiError::Unauthorized) {
        return match mode {
            html::Mode::Document => {
                (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response()
            }
            html::Mode::Fragment => (
                StatusCode::UNAUTHORIZED,
                [(HeaderName::from_static("hx-redirect"), "/login")],
            )
                .into_response(),
        };
    }
    html::error_page_for(mode, principal, &error)
}

/// The session id of the request's cookie.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Who is asking: Ok(None) for nobody (or bad credentials).
fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Principal>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let Some(token) = value.to_str().ok().and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        }) else {
            return Ok(None);
        };
        return Ok(state
            .access
            .authenticate_token(token)?
            .map(|(user, token)| Principal {
                user,
                via: Via::Token { id: token.id },
            }));
    }
    let Some(id) = session_cookie(headers) else {
        return Ok(None);
    };
    let Some((name, csrf)) = state.sessions.get(&id) else {
        return Ok(None);
    };
    match state.access.user(&name)? {
        Some(user) if !user.disabled => Ok(Some(Principal {
            user,
            via: Via::Session { id, csrf },
        })),
        _ => {
            state.sessions.remove(&id);
            Ok(None)
        }
    }
}

/// The CSRF token a POST carries: the `x-csrf-token` header, or the `csrf`
/// field of an urlencoded form (the body is read and put back).
async fn csrf_of(req: Request) -> Result<(Option<String>, Request), ApiError> {
    if let Some(v) = req.headers().get("x-csrf-token") {
        let token = v.to_str().ok().map(str::to_string);
        return Ok((token, req));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| {
            ApiError::BadRequest(format!("the form is larger than {MAX_FORM_BYTES} bytes"))
        })?;
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

/// The middleware: see the [module documentation](self).
pub(crate) async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let mode = html::Mode::of(req.headers());
    let Some(pattern) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
    else {
        return next.run(req).await;
    };
    let method = if req.method() == Method::HEAD {
        "GET"
    } else {
        req.method().as_str()
    };
    let Some(route) = ROUTES
        .iter()
        .find(|r| r.method == method && r.path == pattern)
    else {
        let allowed = allowed_methods(&path);
        let error = if allowed.is_empty() {
            ApiError::Internal(format!(
                "route {method} {pattern} has no access rule in auth::ROUTES"
            ))
        } else {
            ApiError::MethodNotAllowed {
                method: req.method().to_string(),
                path: path.clone(),
                allowed,
            }
        };
        return refuse(&path, mode, None, error);
    };
    if route.access == Access::Public {
        return next.run(req).await;
    }
    let principal = match authenticate(&state, req.headers()) {
        Ok(Some(p)) => p,
        Ok(None) => return refuse(&path, mode, None, ApiError::Unauthorized),
        Err(e) => return refuse(&path, mode, None, e),
    };
    if let Access::Roles(roles) = route.access {
        if !route.access.permits(&principal.user.roles) {
            let need: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            return refuse(
                &path,
                mode,
                Some(&principal),
                ApiError::Forbidden(format!(
                    "{} {path} needs the role {}; you have {}",
                    req.method(),
                    need.join(" or "),
                    principal
                        .user
                        .roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    let mut req = req;
    if req.method() == Method::POST {
        if let Some(expected) = principal.csrf().map(str::to_string) {
            let (token, back) = match csrf_of(req).await {
                Ok(x) => x,
                Err(e) => return refuse(&path, mode, Some(&principal), e),
            };
            req = back;
            let ok = token.is_some_and(|t| constant_time_eq(t.as_bytes(), expected.as_bytes()));
            if !ok {
                return refuse(
                    &path,
                    mode,
                    Some(&principal),
                    ApiError::Forbidden(
                        "missing or wrong CSRF token: reload the page and try again".into(),
                    ),
                );
            }
        }
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

/// `Set-Cookie` for a new session (`Secure` when the server is told it is
/// behind https).
pub(crate) fn session_cookie_header(id: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_TTL.as_secs()
    ))
    .expect("ascii cookie")
}

/// `Set-Cookie` that deletes the session cookie.
pub(crate) fn clear_cookie_header(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    ))
    .expect("ascii cookie")
}

/// The endpoint table as Markdown, for `docs/security.md`.
pub fn routes_markdown() -> String {
    let mut out = String::from("| method | path | what |");
    for r in Role::ALL {
        out.push_str(&format!(" {r} |"));
    }
    out.push_str(" anonymous |\n|---|---|---|");
    for _ in Role::ALL {
        out.push_str(":-:|");
    }
    out.push_str(":-:|\n");
    for route in ROUTES {
        out.push_str(&format!(
            "| {} | `{}` | {} |",
            route.method, route.path, route.what
        ));
        for r in Role::ALL {
            let ok = route.access.permits(&[r]);
            out.push_str(if ok { " ✓ |" } else { " 403 |" });
        }
        let anon = match route.access {
            Access::Public => "✓",
            _ if is_api(route.path) => "401",
            _ => "303 → /login",
        };
        out.push_str(&format!(" {anon} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_methods_follow_the_table() {
        assert_eq!(allowed_methods("/api/kpis"), "GET, HEAD");
        assert_eq!(allowed_methods("/api/users"), "GET, HEAD, POST");
        assert_eq!(allowed_methods("/api/users/ana/disable"), "POST");
        assert_eq!(allowed_methods("/api/users//disable"), "");
        assert_eq!(allowed_methods("/nope"), "");
        assert_eq!(allowed_methods("/static/vendor/htmx.min.js"), "GET, HEAD");
        assert_eq!(allowed_methods("/static/"), "");
        assert_eq!(allowed_methods("/static"), "");
    }

    #[test]
    fn the_navigation_follows_the_rules() {
        let labels = |roles: &[Role]| -> Vec<&str> {
            nav_links(roles).into_iter().map(|(_, l)| l).collect()
        };
        assert_eq!(labels(&[Role::Service]), ["Dashboard", "Inbox"]);
        assert_eq!(
            labels(&[Role::Admin]),
            ["Dashboard", "Inbox", "Planning", "Admin"]
        );
        assert_eq!(labels(&[Role::Planner]), ["Dashboard", "Planning"]);
        assert_eq!(labels(&[Role::Procurement]), ["Dashboard"]);
        assert_eq!(
            labels(&[Role::Planner, Role::Admin]),
            ["Dashboard", "Inbox", "Planning", "Admin"]
        );
        // every link is a GET route of the table
        for (path, _) in nav_links(&Role::ALL) {
            assert!(ROUTES.iter().any(|r| r.method == "GET" && r.path == path));
        }
    }

    #[test]
    fn the_limiter_counts_per_account_and_address_pair() {
        let l = LoginLimiter::default();
        // attempts counted as they begin: a concurrent burst cannot all pass
        let started: Vec<_> = (0..LOGIN_MAX_FAILURES)
            .map(|_| l.begin("Ana", "10.0.0.1", 0).expect("admitted"))
            .collect();
        let t = l.begin("ana", "10.0.0.1", 0).unwrap_err();
        assert!(
            t.retry_after_secs > 800 && t.retry_after_secs <= 900,
            "{t:?}"
        );
        assert!(t.audit, "the first refusal is audited");
        assert!(
            !l.begin("ANA", "10.0.0.1", 0).unwrap_err().audit,
            "later ones are not"
        );
        // the same account from elsewhere, and others from the same address, go on
        assert!(l.begin("ana", "10.0.0.2", 0).is_ok());
        assert!(l.begin("bo", "10.0.0.1", 0).is_ok());
        // one of them had the right password: the account's failures are
        // forgotten, the address keeps its count
        let first = started.into_iter().next().unwrap();
        l.succeeded(first);
        let a = l.begin("ana", "10.0.0.1", 0).expect("account cleared");
        l.cancel(a);
    }

    #[test]
    fn the_account_and_the_address_have_higher_ceilings() {
        let l = LoginLimiter::default();
        for i in 0..LOGIN_MAX_ACCOUNT_FAILURES {
            l.begin("ana", &format!("10.1.0.{i}"), 0).expect("admitted");
        }
        assert!(
            l.begin("ana", "10.1.1.1", 0).is_err(),
            "the account's ceiling"
        );
        assert!(l.begin("bo", "10.1.0.1", 0).is_ok());
        for i in 0..LOGIN_MAX_ADDRESS_FAILURES {
            l.begin(&format!("user{i}"), "10.2.0.1", 0)
                .expect("admitted");
        }
        let t = l.begin("someone-else", "10.2.0.1", 0).unwrap_err();
        assert!(t.audit);
        assert!(l.begin("someone-else", "10.2.0.2", 0).is_ok());
    }

    #[test]
    fn a_changed_unlock_count_forgets_the_accounts_failures() {
        let l = LoginLimiter::default();
        for _ in 0..LOGIN_MAX_FAILURES {
            l.begin("ana", "10.0.0.1", 3).unwrap();
        }
        assert!(l.begin("ana", "10.0.0.1", 3).is_err());
        // the store says an admin unlocked ana: her failures are gone
        let a = l.begin("ana", "10.0.0.1", 4).expect("unlocked");
        l.cancel(a);
        for _ in 0..LOGIN_MAX_FAILURES {
            l.begin("ana", "10.0.0.1", 4).unwrap();
        }
        assert!(l.begin("ana", "10.0.0.1", 4).is_err(), "counting again");
    }

    #[test]
    fn a_cancelled_attempt_is_no_failure_and_first_in_window_is_once() {
        let l = LoginLimiter::default();
        for _ in 0..LOGIN_MAX_FAILURES * 3 {
            let a = l.begin("ana", "10.0.0.1", 0).expect("never a failure");
            l.cancel(a);
        }
        assert!(l.first_in_window("busy:10.0.0.1"));
        assert!(!l.first_in_window("busy:10.0.0.1"));
        assert!(l.first_in_window("busy:10.0.0.2"));
    }

    #[test]
    fn sessions_expire_and_end() {
        let s = Sessions::default();
        let (id, csrf) = s.create("ana");
        assert_eq!(s.get(&id), Some(("ana".into(), csrf)));
        s.remove_user("ana");
        assert_eq!(s.get(&id), None);
    }

    #[test]
    fn the_cookie_is_http_only_and_strict() {
        let c = session_cookie_header("abc", false);
        let c = c.to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && !c.contains("Secure"));
        assert!(session_cookie_header("abc", true)
            .to_str()
            .unwrap()
            .ends_with("; Secure"));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; crossdock_session=xyz; b=2"),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("xyz"));
    }
}
