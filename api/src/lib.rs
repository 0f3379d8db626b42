//! # crossdock-api — the HTTP API and the web pages
//!
//! This crate is the only thing users talk to: an axum server with a JSON API
//! and server-rendered HTML pages (no JavaScript needed), over one
//! [`Warehouse`].
//!
//! What it owns: routing, reading and validating what users send (query
//! strings, form fields), turning answers into JSON or HTML, and mapping
//! errors to HTTP statuses. What it must not do: touch storage except through
//! [`Warehouse`]'s public API, or compute business numbers itself — every KPI
//! comes from [`Warehouse::kpis`] and its documentation from
//! [`crossdock_warehouse::kpi::definitions`]; this crate only formats them.
//!
//! ## Routes
//!
//! | method and path | answer |
//! |---|---|
//! | `GET /api/health` | `{"status":"ok","warehouse":"<root url>","as_of":"<RFC 3339>"\|null,"as_of_us":<µs>\|null}` |
//! | `GET /api/freshness` | `{"batches","position","source_commit_us","applied_at_us","lag_us","since_last_apply_us"}`: how far behind Odoo the warehouse is |
//! | `GET /api/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD&by=channel,month` | the [`KpiReport`](crossdock_warehouse::kpi::KpiReport) as JSON; `by` defaults to `channel` |
//! | `GET /api/kpis/definitions` | every KPI's title, definition, formula, Odoo columns and reference |
//! | `GET /?from=YYYY-MM-DD&to=YYYY-MM-DD` | the dashboard: one tile per sales channel, and a form to restrict the period |
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
//! let addr = "127.0.0.1:8080".parse()?;
//! // Serves until Ctrl-C, then finishes the requests in flight.
//! crossdock_api::serve(warehouse, addr, async {
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
//! # fn demo(warehouse: crossdock_warehouse::Warehouse) {
//! let app: axum::Router = crossdock_api::router(crossdock_api::AppState::new(warehouse));
//! # }
//! ```

mod error;
mod html;
mod params;
mod routes;

use std::future::Future;
use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use crossdock_warehouse::Warehouse;
use tokio::net::TcpListener;

pub use error::ApiError;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The warehouse answering every question.
    pub warehouse: Warehouse,
}

impl AppState {
    /// State over a warehouse.
    pub fn new(warehouse: Warehouse) -> AppState {
        AppState { warehouse }
    }
}

/// The application: every route of the [route map](crate#routes), the 404
/// and 405 answers, and a guard that turns a panicking handler into a 500.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(routes::dashboard::page))
        .route("/api/health", get(routes::health::health))
        .route("/api/freshness", get(routes::freshness::freshness))
        .route("/api/kpis", get(routes::kpis::report))
        .route("/api/kpis/definitions", get(routes::kpis::definitions))
        .fallback(routes::fallback::not_found)
        .method_not_allowed_fallback(routes::fallback::method_not_allowed)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            routes::fallback::panicked,
        ))
        .with_state(state)
}

/// Binds `addr` and serves [`router`] until `shutdown` completes, then lets
/// the requests in flight finish.
pub async fn serve(
    warehouse: Warehouse,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ApiError::Bind { addr, source })?;
    serve_on(warehouse, listener, shutdown).await
}

/// Like [`serve`], on a listener bound by the caller (e.g. to port 0, to
/// learn the port from [`TcpListener::local_addr`] first).
pub async fn serve_on(
    warehouse: Warehouse,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    match listener.local_addr() {
        Ok(addr) => tracing::info!(%addr, warehouse = %warehouse.root(), "crossdock api listening"),
        Err(e) => tracing::warn!(error = %e, "crossdock api listening on an unknown address"),
    }
    axum::serve(listener, router(AppState::new(warehouse)))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ApiError::Serve)?;
    tracing::info!("crossdock api stopped");
    Ok(())
}
