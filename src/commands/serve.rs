//! `crossdock serve`: the JSON API and the dashboard, behind login.

use std::net::SocketAddr;

use crossdock_api::AppState;
use crossdock_warehouse::settings::OdooConnection;
use crossdock_warehouse::Warehouse;

use crate::{CliError, Result, ServeArgs};

pub async fn run(data: &str, args: ServeArgs) -> Result<()> {
    let warehouse = Warehouse::open_existing(data)?;
    serve(warehouse, args.addr, args.secure_cookie).await
}

/// Serves until Ctrl-C / SIGTERM.
pub async fn serve(warehouse: Warehouse, addr: SocketAddr, secure_cookie: bool) -> Result<()> {
    serve_with_odoo(warehouse, addr, secure_cookie, None).await
}

/// Serves until Ctrl-C / SIGTERM, writing accepted rules to `odoo` (None:
/// to the Odoo of the warehouse's settings, if any).
pub async fn serve_with_odoo(
    warehouse: Warehouse,
    addr: SocketAddr,
    secure_cookie: bool,
    odoo: Option<OdooConnection>,
) -> Result<()> {
    let mut state = AppState::open(warehouse).map_err(|e| CliError::Api(e.to_string()))?;
    state.secure_cookie = secure_cookie;
    state.odoo = odoo;
    if state.access.users().map_err(CliError::Access)?.is_empty() {
        eprintln!(
            "warning: no users yet: nobody can log in. Add one with `crossdock user add NAME --role admin`"
        );
    }
    // Bind first: only a server that listens says it is serving; a taken
    // address is an error naming it.
    let listener = crossdock_api::bind(addr)
        .await
        .map_err(|e| CliError::Api(e.to_string()))?;
    let addr = listener.local_addr().unwrap_or(addr);
    eprintln!(
        "serving the dashboard on http://{addr}/ (log in at http://{addr}/login) and the API on http://{addr}/api/ (Ctrl-C stops)"
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("\nshutting down");
    };
    crossdock_api::serve_on(state, listener, shutdown)
        .await
        .map_err(|e| CliError::Api(e.to_string()))
}
