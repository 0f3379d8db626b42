//! `crossdock verify --postgres URL`: is the warehouse equal to Odoo's
//! PostgreSQL? Every tracked table is compared row by row (a hash of each
//! row's canonical text, by primary key): PostgreSQL inside one
//! repeatable-read transaction, the warehouse's current-state tables as they
//! are. Differences are listed (the first `--max-listed` keys per table and
//! kind, with the columns that differ); the exit status is non-zero when
//! there are any.

use std::time::{Duration, Instant};

use crossdock_ingest::postgres::verify::{
    absent_columns, batches_digest, compare, describe_difference, key_predicate, rows_of_batches,
    source_digest, source_row, TableDiff,
};
use crossdock_ingest::postgres::{widen_from_database, PgUrl};
use crossdock_ingest::IngestError;
use crossdock_warehouse::Warehouse;

use crate::commands::ingest::tables_of;
use crate::{output, CliError, Result, VerifyArgs};

pub async fn run(data: &str, args: VerifyArgs) -> Result<()> {
    let warehouse = Warehouse::open(data)?;
    let url = PgUrl::parse(&args.postgres)?;
    let tables = tables_of(&warehouse, &args.tables)?;
    let started = Instant::now();
    let wait = Duration::from_secs_f64(args.wait.max(0.0));
    loop {
        let (report, differing) = compare_all(&warehouse, &url, &tables, args.max_listed).await?;
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

async fn compare_all(
    warehouse: &Warehouse,
    url: &PgUrl,
    tables: &[std::sync::Arc<crossdock_ingest::TableDef>],
    max_listed: usize,
) -> Result<(String, usize)> {
    let client = url.connect().await?;
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(|e| IngestError::Postgres {
            message: format!("verify: {e}"),
        })?;
    // columns added in PostgreSQL after the DDL are compared too
    let tables = widen_from_database(&client, tables).await?;
    let ctx = warehouse.session().await?;
    let mut report = String::new();
    let mut differing = 0;
    for def in &tables {
        if let Ok(frame) = ctx.table(def.name.as_str()).await {
            let schema = frame.schema();
            let lacking: Vec<&str> = def
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .filter(|c| schema.field_with_unqualified_name(c).is_err())
                .collect();
            if !lacking.is_empty() {
                differing += 1;
                report.push_str(&format!(
                    "{:<32} columns in PostgreSQL, not yet in the warehouse: {}\n",
                    def.name,
                    lacking.join(", ")
                ));
                continue;
            }
        }
        let source = source_digest(&client, def, 50_000).await?;
        let cols: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
        let sql = format!("SELECT {} FROM {}", cols.join(", "), def.name);
        let batches = ctx
            .sql(&sql)
            .await
            .map_err(|e| query_error(&sql, e))?
            .collect()
            .await
            .map_err(|e| query_error(&sql, e))?;
        let absent = absent_columns(&client, def).await?;
        let wh = batches_digest(def, &batches, &absent)?;
        let diff = compare(&source, &wh, max_listed);
        if diff.is_equal() {
            report.push_str(&format!(
                "{:<32} {:>9} rows  equal\n",
                def.name, diff.source_rows
            ));
            continue;
        }
        differing += 1;
        report.push_str(&describe(&diff));
        for key in &diff.different {
            let pg = source_row(&client, def, key).await?;
            let sql = format!(
                "SELECT {} FROM {} WHERE {}",
                cols.join(", "),
                def.name,
                key_predicate(def, key)
            );
            let batches = ctx
                .sql(&sql)
                .await
                .map_err(|e| query_error(&sql, e))?
                .collect()
                .await
                .map_err(|e| query_error(&sql, e))?;
            let wh = rows_of_batches(def, &batches)?;
            if let (Some(pg), Some(mut wh)) = (pg, wh.into_iter().next()) {
                for i in &absent {
                    wh[*i] = crossdock_ingest::Value::Null;
                }
                report.push_str(&format!(
                    "    key {}: {}\n",
                    key.join(","),
                    describe_difference(def, &pg, &wh)
                ));
            }
        }
    }
    let _ = client.batch_execute("COMMIT").await;
    Ok((report.trim_end().to_string(), differing))
}

fn query_error(sql: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("warehouse query {sql}: {e}"))
}

fn describe(d: &TableDiff) -> String {
    let mut s = format!(
        "{:<32} {:>9} rows in PostgreSQL, {} in the warehouse: {} missing, {} extra, {} different\n",
        d.table, d.source_rows, d.warehouse_rows, d.missing_count, d.extra_count, d.different_count
    );
    let keys = |ks: &[Vec<String>]| ks.iter().map(|k| k.join(",")).collect::<Vec<_>>().join(" ");
    if !d.missing.is_empty() {
        s.push_str(&format!(
            "    missing in the warehouse: {}\n",
            keys(&d.missing)
        ));
    }
    if !d.extra.is_empty() {
        s.push_str(&format!("    not in PostgreSQL: {}\n", keys(&d.extra)));
    }
    s
}
