//! `crossdock demo`: everything at once on a fresh machine.

use std::time::Instant;

use crossdock_warehouse::kpi::KpiQuery;
use crossdock_warehouse::Warehouse;

use crate::commands::{serve, simulate, user};
use crate::{output, CliError, DemoArgs, Result};

pub async fn run(data: &str, args: DemoArgs) -> Result<()> {
    let started = Instant::now();
    if args.fresh {
        remove_warehouse(data)?;
    }
    let warehouse = Warehouse::open(data)?;
    let stop = simulate::ctrl_c_flag();
    let summary = simulate::simulate_into(&warehouse, &args.sim, 0.0, stop.clone()).await?;
    eprintln!("{summary}");
    let report = warehouse.kpis(&KpiQuery::default()).await?;
    output::print_list(&format!(
        "\nKPIs by sales channel (warehouse: {data})\n{}",
        output::table(&report)
    ))?;
    // One user per role, with every company of the simulation.
    let companies: Vec<i64> = if args.sim.second_company {
        vec![1, 2]
    } else {
        vec![1]
    };
    let created = user::ensure_demo_users(data, &companies)?;
    eprintln!(
        "\ndemo built in {:.1} s. Try: crossdock kpi --by channel,month --data {data}",
        started.elapsed().as_secs_f64()
    );
    if created.is_empty() {
        eprintln!("demo users exist already (crossdock user list --data {data}); their passwords were printed when they were created");
    } else {
        let mut text = format!(
            "\nDemo users (log in at http://{}/login; passwords shown once):\n",
            args.addr
        );
        for (name, password) in &created {
            text.push_str(&format!("  {name:<12} {password}\n"));
        }
        output::print_secret(&text)?;
    }
    if args.no_serve || stop.load(std::sync::atomic::Ordering::SeqCst) {
        return Ok(());
    }
    serve::serve(warehouse, args.addr, false).await
}

/// Deletes a previous warehouse, refusing anything that does not look like one.
fn remove_warehouse(data: &str) -> Result<()> {
    let path = std::path::Path::new(data);
    if !path.exists() {
        return Ok(());
    }
    if !path
        .join(crossdock_warehouse::layout::CROSSDOCK_DIR)
        .is_dir()
    {
        return Err(CliError::Usage(format!(
            "--fresh: {data} exists but is not a crossdock warehouse (no _crossdock folder); not deleting it"
        )));
    }
    std::fs::remove_dir_all(path).map_err(|source| CliError::Io {
        path: path.to_path_buf(),
        source,
    })
}
