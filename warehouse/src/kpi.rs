//! KPIs: one SQL file each, run by DataFusion over the current-state tables.
//!
//! Every KPI is a file in `warehouse/kpis/` whose header comment gives its
//! definition, formula, the Odoo columns it reads and a reference (the same
//! text is in `docs/kpis.md`). They all read the view `sale_line_facts`
//! (`kpis/sale_line_facts.sql`), materialised once per request. A file's
//! placeholders are filled in by [`Warehouse::kpis`] from validated input
//! only — never from raw user text:
//!
//! - `{dims}`: the grouping columns (`channel`, `week`, `month`, `company`, `warehouse`);
//! - `{period}`: a predicate on the confirmation time (`confirmed_us`);
//! - `{as_of_us}`: the source commit time the warehouse is complete up to;
//! - `{default_max_discount}`: the discount policy for unlisted channels.
//!
//! Company boundaries live here too, in one place: [`KpiQuery::companies`]
//! filters `sale_line_facts` on `company_id` before it is registered, so no
//! KPI file can read another company's lines.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type};
use chrono::{NaiveDate, NaiveTime};
use datafusion::datasource::MemTable;
use datafusion::prelude::{col, lit, Expr, SessionContext};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{Result, WarehouseError};
use crate::Warehouse;

/// The shared view every KPI reads.
pub const SALE_LINE_FACTS: &str = include_str!("../kpis/sale_line_facts.sql");

/// The KPI files, in report order.
pub const KPI_FILES: &[(&str, &str)] = &[
    ("line_fill_rate", include_str!("../kpis/line_fill_rate.sql")),
    ("unit_fill_rate", include_str!("../kpis/unit_fill_rate.sql")),
    ("otif", include_str!("../kpis/otif.sql")),
    (
        "order_cycle_time",
        include_str!("../kpis/order_cycle_time.sql"),
    ),
    ("gross_margin", include_str!("../kpis/gross_margin.sql")),
    ("margin_leakage", include_str!("../kpis/margin_leakage.sql")),
];

/// A KPI's documented header.
#[derive(Debug, Clone, Serialize)]
pub struct KpiDefinition {
    /// Identifier, e.g. `line_fill_rate`.
    pub name: String,
    /// Human title.
    pub title: String,
    /// The header comment's other sections (definition, formula, odoo columns, reference).
    pub sections: BTreeMap<String, String>,
}

/// Parses the header comment of every KPI file.
pub fn definitions() -> Vec<KpiDefinition> {
    KPI_FILES
        .iter()
        .map(|(name, sql)| {
            let mut sections: BTreeMap<String, String> = BTreeMap::new();
            let mut current: Option<String> = None;
            for line in sql.lines() {
                let Some(text) = line.strip_prefix("--") else {
                    break;
                };
                let text = text.trim_start();
                let is_key = text
                    .split_once(':')
                    .map(|(k, _)| {
                        !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == ' ')
                    })
                    .unwrap_or(false)
                    && !line.starts_with("--   ");
                if is_key {
                    let (k, v) = text.split_once(':').expect("checked");
                    current = Some(k.trim().to_string());
                    sections.insert(k.trim().to_string(), v.trim().to_string());
                } else if let Some(k) = &current {
                    let entry = sections.entry(k.clone()).or_default();
                    if !text.is_empty() {
                        if !entry.is_empty() {
                            entry.push(' ');
                        }
                        entry.push_str(text.trim());
                    }
                }
            }
            let title = sections.remove("title").unwrap_or_else(|| name.to_string());
            sections.remove("kpi");
            KpiDefinition {
                name: name.to_string(),
                title,
                sections,
            }
        })
        .collect()
}

/// The intro of `docs/kpis.md`; the rest of that file is generated from the
/// KPI files' headers by [`definitions_markdown`].
const KPI_DOC_INTRO: &str = include_str!("../kpis/README.md");

/// `docs/kpis.md`: the intro, then every KPI's header, then its SQL. A test
/// checks the file in the repository equals this (`UPDATE_DOCS=1 cargo test
/// -p crossdock-warehouse` rewrites it).
pub fn definitions_markdown() -> String {
    let mut out = String::from(KPI_DOC_INTRO);
    for (def, (_, sql)) in definitions().iter().zip(KPI_FILES) {
        out.push_str(&format!("\n## {} (`{}`)\n\n", def.title, def.name));
        for key in ["definition", "formula", "odoo columns", "reference"] {
            if let Some(text) = def.sections.get(key) {
                out.push_str(&format!("**{}.** {}\n\n", capitalize(key), text));
            }
        }
        let body: Vec<&str> = sql.lines().skip_while(|l| l.starts_with("--")).collect();
        out.push_str(&format!(
            "<details><summary>SQL (<code>warehouse/kpis/{}.sql</code>)</summary>\n\n```sql\n{}\n```\n</details>\n",
            def.name,
            body.join("\n").trim()
        ));
    }
    out.push_str(&format!(
        "\n## The shared view (`sale_line_facts`)\n\n```sql\n{}\n```\n",
        SALE_LINE_FACTS.trim()
    ));
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A dimension KPIs can be cut by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    /// Sales channel: `crm_team.name`.
    Channel,
    /// ISO week (Monday) of the confirmation.
    Week,
    /// Month of the confirmation.
    Month,
    /// `res_company.name`.
    Company,
    /// Shipping warehouse: `stock_warehouse.name`.
    Warehouse,
}

impl Dimension {
    /// All dimensions, with their names.
    pub const ALL: [(Dimension, &'static str); 5] = [
        (Dimension::Channel, "channel"),
        (Dimension::Week, "week"),
        (Dimension::Month, "month"),
        (Dimension::Company, "company"),
        (Dimension::Warehouse, "warehouse"),
    ];

    /// The column name in `sale_line_facts`.
    pub fn column(self) -> &'static str {
        Dimension::ALL
            .iter()
            .find(|(d, _)| *d == self)
            .map(|(_, n)| *n)
            .expect("every dimension is listed")
    }

    /// Parses a comma-separated list such as `channel,month`.
    pub fn parse_list(text: &str) -> Result<Vec<Dimension>> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let d = Dimension::ALL
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(part))
                .map(|(d, _)| *d)
                .ok_or_else(|| {
                    WarehouseError::BadRequest(format!(
                        "unknown dimension {part:?} in by={text:?}; use one or more of channel, week, month, company, warehouse, separated by commas"
                    ))
                })?;
            if out.contains(&d) {
                return Err(WarehouseError::BadRequest(format!(
                    "dimension {part:?} is given twice in by={text:?}"
                )));
            }
            out.push(d);
        }
        if out.is_empty() {
            return Err(WarehouseError::BadRequest(
                "by is empty; use one or more of channel, week, month, company, warehouse".into(),
            ));
        }
        Ok(out)
    }
}

/// What to compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiQuery {
    /// Grouping, in output order.
    pub by: Vec<Dimension>,
    /// First confirmation day included (UTC), if any.
    pub from: Option<NaiveDate>,
    /// Last confirmation day included (UTC), if any.
    pub to: Option<NaiveDate>,
    /// The companies (`res_company.id`) whose orders are counted: None for
    /// every company (the command line, admins), else only these — an empty
    /// set counts nothing. Applied once, where `sale_line_facts` is built,
    /// so every KPI of the report reads only these companies' lines.
    pub companies: Option<BTreeSet<i64>>,
}

impl Default for KpiQuery {
    fn default() -> Self {
        KpiQuery {
            by: vec![Dimension::Channel],
            from: None,
            to: None,
            companies: None,
        }
    }
}

/// The KPI values of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KpiValues {
    /// Confirmed lines with at least one customer delivery.
    pub lines_shipped: i64,
    /// Of those, lines complete on their first shipment.
    pub lines_filled: i64,
    /// `lines_filled / lines_shipped`.
    pub line_fill_rate: Option<f64>,
    /// Σ ordered quantity of shipped lines.
    pub units_ordered_shipped: Option<Decimal>,
    /// Σ min(first shipment, ordered) of shipped lines.
    pub units_first_shipment: Option<Decimal>,
    /// `units_first_shipment / units_ordered_shipped`.
    pub unit_fill_rate: Option<f64>,
    /// Confirmed orders whose deadline has passed.
    pub orders_due: i64,
    /// Of those, delivered in full on time.
    pub orders_otif: i64,
    /// `orders_otif / orders_due`.
    pub otif: Option<f64>,
    /// Confirmed orders delivered in full.
    pub orders_delivered: i64,
    /// Median confirmation → last delivery, microseconds.
    pub cycle_p50_us: Option<i64>,
    /// 90th percentile, microseconds.
    pub cycle_p90_us: Option<i64>,
    /// Median, days.
    pub cycle_p50_days: Option<f64>,
    /// 90th percentile, days.
    pub cycle_p90_days: Option<f64>,
    /// Σ price_subtotal.
    pub revenue: Decimal,
    /// Σ purchase_price × product_uom_qty.
    pub cost: Decimal,
    /// revenue − cost.
    pub gross_margin: Decimal,
    /// gross_margin / revenue.
    pub margin_pct: Option<f64>,
    /// Discount beyond channel policy.
    pub leak_over_discount: Decimal,
    /// Price below list price.
    pub leak_below_pricelist: Decimal,
    /// Sold below cost.
    pub leak_below_cost: Decimal,
}

/// One group of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiRow {
    /// The group's dimension values, in the order of [`KpiQuery::by`].
    pub group: BTreeMap<String, String>,
    /// The values.
    #[serde(flatten)]
    pub values: KpiValues,
}

/// A KPI report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiReport {
    /// The grouping dimensions.
    pub by: Vec<String>,
    /// First day included.
    pub from: Option<NaiveDate>,
    /// Last day included.
    pub to: Option<NaiveDate>,
    /// Source commit time (µs, UTC) the data is complete up to; None for an empty warehouse.
    pub as_of_us: Option<i64>,
    /// Groups, sorted by their dimension values.
    pub rows: Vec<KpiRow>,
}

const MICROS_PER_DAY: f64 = 86_400_000_000.0;

impl Warehouse {
    /// Computes every KPI for a query.
    pub async fn kpis(&self, query: &KpiQuery) -> Result<KpiReport> {
        if let (Some(f), Some(t)) = (query.from, query.to) {
            if f > t {
                return Err(WarehouseError::BadRequest(format!(
                    "from ({f}) is after to ({t})"
                )));
            }
        }
        if query.by.is_empty() {
            return Err(WarehouseError::BadRequest("by is empty".into()));
        }
        let ctx = self.session().await?;
        // The company boundary: the one place every KPI's rows come from.
        let facts = ctx
            .sql(SALE_LINE_FACTS)
            .await
            .map_err(WarehouseError::query("sale_line_facts"))?;
        let facts = match &query.companies {
            None => facts,
            Some(allowed) => facts
                .filter(company_filter(allowed))
                .map_err(WarehouseError::query("sale_line_facts"))?,
        };
        let logical = Arc::new(facts.schema().as_arrow().clone());
        let facts = facts
            .collect()
            .await
            .map_err(WarehouseError::query("sale_line_facts"))?;
        let schema = facts.first().map(|b| b.schema()).unwrap_or(logical);
        let table = MemTable::try_new(schema, vec![facts])
            .map_err(WarehouseError::query("sale_line_facts"))?;
        ctx.register_table("sale_line_facts", Arc::new(table))
            .map_err(WarehouseError::query("sale_line_facts"))?;

        let as_of_us = self.as_of_us_in(&ctx).await?;
        let dims = query
            .by
            .iter()
            .map(|d| d.column())
            .collect::<Vec<_>>()
            .join(", ");
        let mut period = vec!["TRUE".to_string()];
        if let Some(f) = query.from {
            period.push(format!("confirmed_us >= {}", day_start_us(f)));
        }
        if let Some(t) = query.to {
            let next = t
                .succ_opt()
                .ok_or_else(|| WarehouseError::BadRequest(format!("to ({t}) is out of range")))?;
            period.push(format!("confirmed_us < {}", day_start_us(next)));
        }
        let settings = self.settings()?;
        let mut rows: BTreeMap<Vec<String>, KpiValues> = BTreeMap::new();
        for (name, sql) in KPI_FILES {
            let sql = sql
                .replace("{dims}", &dims)
                .replace("{period}", &period.join(" AND "))
                .replace("{as_of_us}", &as_of_us.unwrap_or(i64::MIN).to_string())
                .replace(
                    "{default_max_discount}",
                    &format!(
                        "CAST('{}' AS DECIMAL(38, 10))",
                        settings.default_max_discount_percent
                    ),
                );
            let batches = ctx
                .sql(&sql)
                .await
                .map_err(WarehouseError::query(name))?
                .collect()
                .await
                .map_err(WarehouseError::query(name))?;
            for batch in &batches {
                read_kpi_rows(name, batch, &query.by, &mut rows)?;
            }
        }
        Ok(KpiReport {
            by: query.by.iter().map(|d| d.column().to_string()).collect(),
            from: query.from,
            to: query.to,
            as_of_us,
            rows: rows
                .into_iter()
                .map(|(key, mut values)| {
                    values.gross_margin = values.revenue - values.cost;
                    KpiRow {
                        group: query
                            .by
                            .iter()
                            .map(|d| d.column().to_string())
                            .zip(key)
                            .collect(),
                        values,
                    }
                })
                .collect(),
        })
    }

    /// The source commit time (µs since the epoch, UTC) the warehouse is
    /// complete up to: that of the last checkpointed batch. None when empty.
    pub async fn as_of_us(&self) -> Result<Option<i64>> {
        let ctx = self.session().await?;
        self.as_of_us_in(&ctx).await
    }

    async fn as_of_us_in(&self, ctx: &SessionContext) -> Result<Option<i64>> {
        let batches = ctx
            .sql("SELECT max(arrow_cast(source_commit_ts, 'Int64')) AS as_of FROM crossdock_checkpoints")
            .await
            .map_err(WarehouseError::query("crossdock_checkpoints"))?
            .collect()
            .await
            .map_err(WarehouseError::query("crossdock_checkpoints"))?;
        Ok(batches.first().and_then(|b| {
            let c = b.column(0).as_primitive::<Int64Type>();
            (!c.is_empty() && !c.is_null(0)).then(|| c.value(0))
        }))
    }
}

/// `company_id IN (...)`; FALSE for an empty set (nothing, never everything).
fn company_filter(allowed: &BTreeSet<i64>) -> Expr {
    if allowed.is_empty() {
        return lit(false);
    }
    col("company_id").in_list(allowed.iter().map(|id| lit(*id)).collect(), false)
}

fn day_start_us(d: NaiveDate) -> i64 {
    d.and_time(NaiveTime::MIN).and_utc().timestamp_micros()
}

fn read_kpi_rows(
    name: &str,
    batch: &RecordBatch,
    by: &[Dimension],
    rows: &mut BTreeMap<Vec<String>, KpiValues>,
) -> Result<()> {
    let bad =
        |what: String| WarehouseError::Internal(format!("kpi {name}: unexpected result: {what}"));
    let mut keys: Vec<Vec<String>> = vec![Vec::new(); batch.num_rows()];
    for d in by {
        let col = batch
            .column_by_name(d.column())
            .ok_or_else(|| bad(format!("no column {}", d.column())))?;
        let col = cast(col, &DataType::Utf8)?;
        let col = col.as_string::<i32>();
        for (i, key) in keys.iter_mut().enumerate() {
            key.push(if col.is_null(i) {
                String::new()
            } else {
                col.value(i).to_string()
            });
        }
    }
    let int = |c: &str| -> Result<Vec<Option<i64>>> {
        let a = batch
            .column_by_name(c)
            .ok_or_else(|| bad(format!("no column {c}")))?;
        let a = cast(a, &DataType::Int64)?;
        Ok(a.as_primitive::<Int64Type>().iter().collect())
    };
    let float = |c: &str| -> Result<Vec<Option<f64>>> {
        let a = batch
            .column_by_name(c)
            .ok_or_else(|| bad(format!("no column {c}")))?;
        let a = cast(a, &DataType::Float64)?;
        Ok(a.as_primitive::<Float64Type>().iter().collect())
    };
    let dec = |c: &str| -> Result<Vec<Option<Decimal>>> {
        let a = batch
            .column_by_name(c)
            .ok_or_else(|| bad(format!("no column {c}")))?;
        let s = match a.data_type() {
            DataType::Decimal128(_, s) => *s,
            other => return Err(bad(format!("{c} is {other}, not a decimal"))),
        };
        Ok(a.as_primitive::<Decimal128Type>()
            .iter()
            .map(|v| {
                v.and_then(|v| {
                    Decimal::try_from_i128_with_scale(v, s as u32)
                        .ok()
                        .map(|d| d.normalize())
                })
            })
            .collect())
    };
    let n = batch.num_rows();
    match name {
        "line_fill_rate" => {
            let (a, b, c) = (
                int("lines_shipped")?,
                int("lines_filled")?,
                float("line_fill_rate")?,
            );
            for i in 0..n {
                let v = rows.entry(keys[i].clone()).or_default();
                v.lines_shipped = a[i].unwrap_or(0);
                v.lines_filled = b[i].unwrap_or(0);
                v.line_fill_rate = c[i];
            }
        }
        "unit_fill_rate" => {
            let (a, b, c) = (
                dec("units_ordered_shipped")?,
                dec("units_first_shipment")?,
                float("unit_fill_rate")?,
            );
            for i in 0..n {
                let v = rows.entry(keys[i].clone()).or_default();
                v.units_ordered_shipped = a[i];
                v.units_first_shipment = b[i];
                v.unit_fill_rate = c[i];
            }
        }
        "otif" => {
            let (a, b, c) = (int("orders_due")?, int("orders_otif")?, float("otif")?);
            for i in 0..n {
                let v = rows.entry(keys[i].clone()).or_default();
                v.orders_due = a[i].unwrap_or(0);
                v.orders_otif = b[i].unwrap_or(0);
                v.otif = c[i];
            }
        }
        "order_cycle_time" => {
            let (a, b, c) = (
                int("orders_delivered")?,
                int("cycle_p50_us")?,
                int("cycle_p90_us")?,
            );
            for i in 0..n {
                let v = rows.entry(keys[i].clone()).or_default();
                v.orders_delivered = a[i].unwrap_or(0);
                v.cycle_p50_us = b[i];
                v.cycle_p90_us = c[i];
                v.cycle_p50_days = b[i].map(|x| x as f64 / MICROS_PER_DAY);
                v.cycle_p90_days = c[i].map(|x| x as f64 / MICROS_PER_DAY);
            }
        }
        "gross_margin" => {
            let (a, b, c) = (dec("revenue")?, dec("cost")?, float("margin_pct")?);
            for i in 0..n {
                let v = rows.entry(keys[i].clone()).or_default();
                v.revenue = a[i].unwrap_or_default();
                v.cost = b[i].unwrap_or_default();
                v.margin_pct = c[i];
            }
        }
        "margin_leakage" => {
            let (a, b, c) = (
                dec("leak_over_discount")?,
                dec("leak_below_pricelist")?,
                dec("leak_below_cost")?,
            );
            for i in 0..n {
                let v = rows.entry(keys[i].clone()).or_default();
                v.leak_over_discount = a[i].unwrap_or_default();
                v.leak_below_pricelist = b[i].unwrap_or_default();
                v.leak_below_cost = c[i].unwrap_or_default();
            }
        }
        other => return Err(bad(format!("no reader for kpi {other}"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kpi_file_documents_itself() {
        let defs = definitions();
        assert_eq!(defs.len(), KPI_FILES.len());
        for d in &defs {
            for s in ["definition", "formula", "odoo columns", "reference"] {
                assert!(
                    d.sections.get(s).map(|v| !v.is_empty()).unwrap_or(false),
                    "{} lacks {s}: {:?}",
                    d.name,
                    d.sections
                );
            }
            assert_ne!(d.title, d.name);
        }
    }

    #[test]
    fn docs_kpis_md_matches_the_sql_headers() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/kpis.md");
        let want = definitions_markdown();
        if std::env::var("UPDATE_DOCS").is_ok() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/kpis.md is out of date with warehouse/kpis/*.sql; run UPDATE_DOCS=1 cargo test -p crossdock-warehouse"
        );
    }

    #[test]
    fn dimensions_parse_and_reject_clearly() {
        assert_eq!(
            Dimension::parse_list("channel, month").unwrap(),
            vec![Dimension::Channel, Dimension::Month]
        );
        let e = Dimension::parse_list("channel,colour")
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour") && e.contains("channel, week"), "{e}");
        assert!(Dimension::parse_list("month,month").is_err());
        assert!(Dimension::parse_list("").is_err());
    }
}
