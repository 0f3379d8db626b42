//! `crossdock verify --postgres URL`: is the warehouse equal to Odoo's
//! PostgreSQL? Every tracked table is compared row by row (a hash of each
//! row's canonical text, by primary key): PostgreSQL inside one
//! repeatable-read transaction, the warehouse's current-state tables as they
//! are. Differences are listed (the first `--max-listed` keys per table and
//! kind, with the columns that differ); the exit status is non-zero when
//! there are any.

use std::time::{Duration, Instant};

use crossdock_ingest::pipeline::tables_of;
use crossdock_ingest::postgres::verify::compare_warehouse;
use crossdock_ingest::postgres::PgUrl;
use crossdock_warehouse::Warehouse;

use crate::{output, CliError, Result, VerifyArgs};

pub async fn run(data: &str, args: VerifyArgs) -> Result<()> {
    let warehouse = Warehouse::open_existing(data)?;
    let url = PgUrl::parse(&args.postgres)?;
    let tables = tables_of(&warehouse, &args.tables)?;
    let started = Instant::now();
    let wait = Duration::from_secs_f64(args.wait.max(0.0));
    loop {
        let (report, differing) =
            compare_warehouse(&warehouse, &url, &tables, args.max_listed).await?;
        if differing == 0 {
            return output::print_list(&format!(
                "{report}\nequal: {} tables, PostgreSQL {} and warehouse {}\n",
                tables.len(),
                url.display(),
                data
            ));
        }
        if started.elapsed() >= wait {
            output::print_list(&format!("{report}\n"))?;
            return Err(CliError::Usage(format!(
                "{differing} of {} tables differ between PostgreSQL and the warehouse",
                tables.len()
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
