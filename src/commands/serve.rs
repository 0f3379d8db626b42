//! `crossdock serve`: the JSON API and the dashboard.

use std::net::SocketAddr;

use crossdock_warehouse::Warehouse;

use crate::{CliError, Result, ServeArgs};

pub async fn run(data: &str, args: ServeArgs) -> Result<()> {
    let warehouse = Warehouse::open(data)?;
    serve(warehouse, args.addr).await
}

/// Serves until Ctrl-C / SIGTERM.
pub async fn serve(warehouse: Warehouse, addr: SocketAddr) -> Result<()> {
    eprintln!(
        "serving the dashboard on http://{addr}/ and the API on http://{addr}/api/ (Ctrl-C stops)"
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("\nshutting down");
    };
    crossdock_api::serve(warehouse, addr, shutdown)
        .await
        .map_err(|e| CliError::Api(e.to_string()))
}
