//! # crossdock-api — the HTTP API and the web pages
//!
//! This crate is the only thing users talk to: an axum server with a JSON API
//! and server-rendered HTML pages, over one [`Warehouse`]. Pages are askama
//! templates (`api/templates/`, escaped by default) on one shell — layout,
//! navigation by role from [`auth::ROUTES`], user menu — and work with
//! JavaScript off; htmx and uPlot (vendored, embedded, served from
//! `/static/`) only enhance them. See `html.rs` for how a page is built.
//!
//! What it owns: routing, reading and validating what users send (query
//! strings, form fields), turning answers into JSON or HTML, and mapping
//! errors to HTTP statuses. What it must not do: touch storage except through
//! [`Warehouse`]'s public API, or compute business numbers itself — every KPI
//! comes from [`Warehouse::kpis`] and its documentation from
//! [`crossdock_warehouse::kpi::definitions`]; this crate only formats them.
//!
//! ## Access control
//!
//! Every route goes through `auth::guard`: the rule of each route is in
//! [`auth::ROUTES`] (public, any signed-in user, or some roles). Users,
//! tokens and the audit trail are `crossdock-access`'s
//! [`crossdock_access::UserStore`] in the warehouse
//! (`_crossdock/access.sqlite3`). The JSON API takes
//! `Authorization: Bearer <token>`; pages use a session cookie set by
//! `POST /login`. KPI answers carry only the fields the user's roles may
//! see ([`visibility`]: each field's class from the warehouse's KPI
//! registry, joined with [`crossdock_access::Visibility`]) and only the rows of the user's
//! companies (`KpiQuery::companies`). `docs/security.md` has the matrices.
//! The JSON API is described by the OpenAPI document at
//! `GET /api/openapi.json` ([`openapi`]).
//!
//! ## Routes
//!
//! | method and path | answer |
//! |---|---|
//! | `GET /api/health` (public) | `{"status":"ok","as_of":"<RFC 3339>"\|null,"as_of_us":<µs>\|null}` (not the warehouse's path) |
//! | `GET /api/openapi.json` (public) | the OpenAPI 3.1 document of the JSON API |
//! | `GET /static/{*path}` (public) | the pages' scripts and styles, embedded (htmx, uPlot, `crossdock.css`, `crossdock.js`), cached for a year |
//! | `GET /login`, `POST /login`, `POST /logout` | the login form; log in (rate-limited); log out |
//! | `GET /api/me` | the caller: name, roles, companies, visible KPI fields |
//! | `GET /api/users`, `POST /api/users`, `POST /api/users/{name}/disable`, `.../enable`, `.../unlock`, `.../reset-password`, `.../roles` | users (admins) |
//! | `GET /api/audit?format=json\|csv&after=ID&limit=N` | the audit trail (admins) |
//! | `GET /admin`, `POST /admin/users`, `POST /admin/users/{name}/...` | users and the audit trail, as a page with forms (admins) |
//! | `GET /api/freshness` | `{"batches","position","source_commit_us","applied_at_us","lag_us","since_last_apply_us"}`: how far behind Odoo the warehouse is |
//! | `GET /api/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD&by=channel,month` | the [`KpiReport`](crossdock_warehouse::kpi::KpiReport) as JSON; `by` defaults to `channel` |
//! | `GET /api/kpis/definitions` | every KPI's title, definition, formula, Odoo columns and reference |
//! | `GET /?from=YYYY-MM-DD&to=YYYY-MM-DD` | the dashboard: one tile per sales channel, and a form to restrict the period |
//! | `GET /inbox`, `POST /inbox/actions`, `GET /api/inbox/messages`, `POST /api/inbox/actions` | customer service's inbox: classified messages, linked Odoo records, correct / done / reopen (service, admins; `routes/inbox.rs`) |
//! | `GET /planning`, `GET /planning/items/{key}`, `POST /planning/decisions` | the planners' reorder suggestions, one item's chart and evidence, decisions (planners, executives read; planners decide) |
//! | `GET /api/planning/suggestions[/{key}]`, `GET`/`POST /api/planning/decisions`, `GET /api/planning/orderpoints.csv` | the same as JSON, and Odoo's import file of the accepted rules (`routes/planning.rs`) |
//! | anything else | 404: JSON under `/api/`, an HTML page elsewhere; 405 for a method other than GET/HEAD |
//!
//! Query strings are parsed by this crate, not by an extractor, so that every
//! mistake — an unknown or repeated parameter, a malformed date, an unknown
//! dimension, `from` after `to` — is a 400 whose message names the
//! parameter, the value received and what is allowed: `{"error": "..."}` from
//! the API, the same message on the page (with status 400) from the
//! dashboard. An empty `from=` or `to=` (what an empty date field of the
//! form sends) means "no bound". Anything that is not the user's fault is a
//! 500 with a generic message; the detail goes to the log (`tracing`).
//!
//! ## Example
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use crossdock_warehouse::Warehouse;
//!
//! let warehouse = Warehouse::open("./crossdock-data")?;
//! let state = crossdock_api::AppState::open(warehouse)?;
//! let addr = "127.0.0.1:8080".parse()?;
//! // Serves until Ctrl-C, then finishes the requests in flight.
//! crossdock_api::serve(state, addr, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await?;
//! # Ok(()) }
//! ```
//!
//! The router alone, e.g. to mount it in another server or to call it in
//! tests without a socket:
//!
//! ```no_run
//! # fn demo(warehouse: crossdock_warehouse::Warehouse) -> Result<(), crossdock_api::ApiError> {
//! let app: axum::Router = crossdock_api::router(crossdock_api::AppState::open(warehouse)?);
//! # Ok(()) }
//! ```

mod assets;
pub mod auth;
pub mod companies;
mod error;
mod html;
mod odoo_link;
pub mod openapi;
mod params;
mod routes;
pub mod visibility;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use crossdock_access::UserStore;
use crossdock_warehouse::Warehouse;
use tokio::net::TcpListener;

pub use auth::{LoginLimiter, Principal, Sessions};
pub use error::ApiError;
pub use html::CONTENT_SECURITY_POLICY;
pub use routes::fallback::MAX_URI_BYTES;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The warehouse answering every question.
    pub warehouse: Warehouse,
    /// Users, tokens and the audit trail.
    pub access: Arc<UserStore>,
    /// Login sessions (in memory).
    pub sessions: Arc<Sessions>,
    /// Failed-login counters (in memory).
    pub limiter: Arc<LoginLimiter>,
    /// Mark the session cookie `Secure` (set when served behind https).
    pub secure_cookie: bool,
    /// Password checks (argon2, 19 MiB each) allowed at once
    /// ([`MAX_PASSWORD_CHECKS`]); a login that finds none free gets 429 at
    /// once instead of queueing.
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// The Odoo accepted reorder rules are written to: this one when set
    /// (`crossdock demo`'s stand-in), else the warehouse settings' `odoo`
    /// (read at each decision), else none (the import file only).
    pub odoo: Option<crossdock_warehouse::settings::OdooConnection>,
    /// Held while decisions are sent and recorded: one batch at a time, so
    /// two planners deciding at once neither race to create the decision
    /// table nor send one rule twice.
    pub planning_writes: Arc<tokio::sync::Mutex<()>>,
}

/// Password checks running at once, at most (see [`AppState::password_checks`]).
pub const MAX_PASSWORD_CHECKS: usize = 4;

impl AppState {
    /// State over a warehouse and an access store.
    pub fn new(warehouse: Warehouse, access: Arc<UserStore>) -> AppState {
        AppState {
            warehouse,
            access,
            sessions: Arc::default(),
            limiter: Arc::default(),
            secure_cookie: false,
            password_checks: Arc::new(tokio::sync::Semaphore::new(MAX_PASSWORD_CHECKS)),
            odoo: None,
            planning_writes: Arc::default(),
        }
    }

    /// State over a local warehouse and its own access store
    /// (`<root>/_crossdock/access.sqlite3`, created when missing).
    pub fn open(warehouse: Warehouse) -> Result<AppState, ApiError> {
        let dir = warehouse.root().to_file_path().map_err(|_| {
            ApiError::Internal(format!(
                "the access store needs a local warehouse; {} is not a local directory",
                warehouse.root()
            ))
        })?;
        let store = UserStore::open_in(&dir)?;
        Ok(AppState::new(warehouse, Arc::new(store)))
    }
}

/// The application: every route of the [route map](crate#routes), each
/// behind `auth::guard`, the 404 and 405 answers, and a guard that turns
/// a panicking handler into a 500.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(routes::dashboard::page))
        .route(
            "/login",
            get(routes::login::form).post(routes::login::login),
        )
        .route("/logout", post(routes::login::logout))
        .route("/static/{*path}", get(assets::serve))
        .route("/inbox", get(routes::inbox::page))
        .route("/inbox/actions", post(routes::inbox::act_form))
        .route("/api/inbox/messages", get(routes::inbox::list_json))
        .route("/api/inbox/actions", post(routes::inbox::act_json))
        .route("/planning", get(routes::planning::page))
        .route("/planning/items/{key}", get(routes::planning::item_page))
        .route("/planning/decisions", post(routes::planning::decide_form))
        .route(
            "/api/planning/suggestions",
            get(routes::planning::list_json),
        )
        .route(
            "/api/planning/suggestions/{key}",
            get(routes::planning::one_json),
        )
        .route(
            "/api/planning/decisions",
            get(routes::planning::decisions_json).post(routes::planning::decide_json),
        )
        .route(
            "/api/planning/orderpoints.csv",
            get(routes::planning::orderpoints_csv),
        )
        .route("/admin", get(routes::admin::page))
        .route("/admin/users", post(routes::admin::add_form))
        .route(
            "/admin/users/{name}/disable",
            post(routes::admin::disable_form),
        )
        .route(
            "/admin/users/{name}/enable",
            post(routes::admin::enable_form),
        )
        .route(
            "/admin/users/{name}/unlock",
            post(routes::admin::unlock_form),
        )
        .route(
            "/admin/users/{name}/reset-password",
            post(routes::admin::reset_form),
        )
        .route("/admin/users/{name}/roles", post(routes::admin::roles_form))
        .route("/api/health", get(routes::health::health))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/me", get(routes::admin::me))
        .route("/api/freshness", get(routes::freshness::freshness))
        .route("/api/kpis", get(routes::kpis::report))
        .route("/api/kpis/definitions", get(routes::kpis::definitions))
        .route(
            "/api/users",
            get(routes::admin::users).post(routes::admin::add_user),
        )
        .route(
            "/api/users/{name}/disable",
            post(routes::admin::disable_user),
        )
        .route("/api/users/{name}/enable", post(routes::admin::enable_user))
        .route("/api/users/{name}/unlock", post(routes::admin::unlock_user))
        .route(
            "/api/users/{name}/reset-password",
            post(routes::admin::reset_password),
        )
        .route("/api/users/{name}/roles", post(routes::admin::set_roles))
        .route("/api/audit", get(routes::admin::audit))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .fallback(routes::fallback::not_found)
        .method_not_allowed_fallback(routes::fallback::method_not_allowed)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            routes::fallback::panicked,
        ))
        .layer(axum::middleware::from_fn(routes::fallback::every_answer))
        .with_state(state)
}

/// Limits of the server against clients that hold connections open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    /// Longest wait for a request's headers, from the moment the server
    /// starts reading them; also how long an idle keep-alive connection
    /// stays open between requests. Past it the connection is closed.
    pub header_read_timeout: Duration,
    /// Longest wait for a request's body to arrive (a 408 past it).
    pub body_read_timeout: Duration,
    /// Connections served at once, at most; further ones wait in the
    /// listen backlog until one closes (so a client holding many
    /// half-sent requests exhausts neither memory nor file descriptors,
    /// and waits no longer than [`ServeOptions::header_read_timeout`]).
    pub max_connections: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 512,
        }
    }
}

/// Binds `addr` (an [`ApiError::Bind`] naming it when that fails); serve
/// it with [`serve_on`].
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ApiError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ApiError::Bind { addr, source })
}

/// Binds `addr` and serves [`router`] until `shutdown` completes, then lets
/// the requests in flight finish.
pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    let listener = bind(addr).await?;
    serve_on(state, listener, shutdown).await
}

/// Like [`serve`], on a listener bound by the caller (e.g. to port 0, to
/// learn the port from [`TcpListener::local_addr`] first), with the
/// default [`ServeOptions`].
pub async fn serve_on(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    serve_with(state, listener, ServeOptions::default(), shutdown).await
}

/// Serves [`router`] on `listener` within `options` until `shutdown`
/// completes, then lets the requests in flight finish.
pub async fn serve_with(
    state: AppState,
    listener: TcpListener,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    match listener.local_addr() {
        Ok(addr) => {
            tracing::info!(%addr, warehouse = %state.warehouse.root(), "crossdock api listening")
        }
        Err(e) => tracing::warn!(error = %e, "crossdock api listening on an unknown address"),
    }
    let app = router(state).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        options.body_read_timeout,
    ));
    let permits = Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // e.g. out of file descriptors: wait a little, not spin
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        // The client address feeds the per-address login rate limit.
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(addr));
                tower::ServiceExt::oneshot(app.clone(), req)
            });
        let connection =
            graceful.watch(http.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%addr, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    tracing::info!("crossdock api stopped");
    Ok(())
}
