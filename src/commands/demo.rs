//! `crossdock demo`: everything at once on a fresh machine.

use std::time::Instant;

use crossdock_odoo::stand_in::{StandInConfig, StandInOdoo};
use crossdock_warehouse::kpi::KpiQuery;
use crossdock_warehouse::settings::OdooConnection;
use crossdock_warehouse::Warehouse;

use crate::commands::{serve, simulate, triage, user};
use crate::{output, CliError, DemoArgs, Result};

pub async fn run(data: &str, args: DemoArgs) -> Result<()> {
    let started = Instant::now();
    if args.fresh {
        remove_warehouse(data)?;
    }
    let warehouse = Warehouse::open(data)?;
    let stop = simulate::ctrl_c_flag();
    let (summary, sim) = simulate::simulate_into(&warehouse, &args.sim, 0.0, stop.clone()).await?;
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
    // The planners' suggestions, so the planning page has something to show.
    let run = crossdock_models::planning::run(&warehouse).await?;
    eprintln!(
        "{} reorder suggestions for the planners (crossdock reorder suggest --data {data}; the Planning page)",
        run.suggestions.len()
    );
    // Customer service's inbox, classified by a model trained on another one.
    let inbox = triage::demo_inbox(&warehouse, &sim, args.sim.seed).await?;
    eprintln!("{inbox}");
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
    // Odoo cannot run here: a stand-in plays the Odoo the warehouse was
    // captured from (its orderpoints, with their ids), so that accepted
    // rules have somewhere to go; it logs every request it receives.
    let log = crossdock_warehouse::layout::odoo_stand_in_log_path(warehouse.root())?;
    let mut config = StandInConfig::odoo17();
    config.request_log = Some(log.clone());
    let odoo = StandInOdoo::start(config)
        .await
        .map_err(|e| CliError::Usage(format!("starting the stand-in Odoo: {e}")))?;
    let rules = crossdock_models::decision::rules_in_force(&warehouse).await?;
    for rule in &rules {
        odoo.seed_orderpoint(rule, true)
            .map_err(|e| CliError::Usage(format!("seeding the stand-in Odoo: {e}")))?;
    }
    // The stand-in's key, for the client (which reads keys from the
    // environment only); set before the server's threads use the environment.
    std::env::set_var(STAND_IN_KEY_ENV, &odoo.config().api_key);
    eprintln!(
        "stand-in Odoo 17 at {} with {} orderpoints: accepted rules are written there; every request it receives is logged to {}",
        odoo.url(),
        rules.len(),
        log.display()
    );
    let connection = OdooConnection {
        url: odoo.url().to_string(),
        database: odoo.config().database.clone(),
        login: odoo.config().login.clone(),
        api_key_env: STAND_IN_KEY_ENV.to_string(),
    };
    let result = serve::serve_with_odoo(warehouse, args.addr, false, Some(connection)).await;
    drop(odoo);
    result
}

/// The environment variable the demo passes the stand-in's API key in.
const STAND_IN_KEY_ENV: &str = "CROSSDOCK_DEMO_ODOO_API_KEY";

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
