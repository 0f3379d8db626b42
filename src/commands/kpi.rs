//! `crossdock kpi`: print KPIs from the warehouse.

use chrono::NaiveDate;
use crossdock_warehouse::kpi::{Dimension, KpiQuery};
use crossdock_warehouse::Warehouse;

use crate::output;
use crate::{CliError, Format, KpiArgs, Result};

fn parse_date(flag: &str, value: &Option<String>) -> Result<Option<NaiveDate>> {
    value
        .as_deref()
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                CliError::Usage(format!(
                    "--{flag} {v:?} is not a date; use YYYY-MM-DD, e.g. 2026-02-01"
                ))
            })
        })
        .transpose()
}

pub async fn run(data: &str, args: KpiArgs) -> Result<()> {
    let query = KpiQuery {
        by: Dimension::parse_list(&args.by)?,
        from: parse_date("from", &args.from)?,
        to: parse_date("to", &args.to)?,
        companies: None,
    };
    let warehouse = Warehouse::open_existing(data)?;
    let report = warehouse.kpis(&query).await?;
    if report.as_of_us.is_none() {
        return Err(CliError::Usage(format!(
            "the warehouse at {data} holds no data yet; run `crossdock demo --no-serve` or `crossdock simulate` first"
        )));
    }
    let text = match args.format {
        Format::Table => output::table(&report),
        Format::Json => serde_json::to_string_pretty(&report).expect("reports serialize") + "\n",
        Format::Csv => output::csv(&report),
    };
    output::print_list(&text)
}
