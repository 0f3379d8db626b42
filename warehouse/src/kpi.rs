//! KPIs: one SQL file each, run by DataFusion over the current-state tables,
//! and one entry each in [`REGISTRY`].
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
//!
//! # How to add a KPI
//!
//! Write `warehouse/kpis/<name>.sql` (its header comment in the format of the
//! others; it outputs the `{dims}` columns and one column per value), then add
//! ONE [`KpiSpec`] to [`REGISTRY`]: its name, the file, the class a role must
//! see to read its definition, whether every group has a row
//! ([`Groups`]), and one [`FieldSpec`] per output column — name, [`FieldKind`]
//! (which fixes the Arrow type it must have: money and quantities are
//! `Decimal128`, never floats), [`FieldClass`] (which roles see it) and
//! whether it may be null. Everything else derives from that entry: the
//! reader ([`read_report`]), the JSON row (a [`KpiRow`] holds the fields in
//! registry order), the CSV, the OpenAPI schema of a row (crossdock-api),
//! the field-visibility matrix and `docs/security.md` (crossdock-api joins
//! [`FieldClass`] with crossdock-access's matrix of roles × classes), and
//! the ground-truth comparison of the end-to-end tests (field by field,
//! through the registry's names). Then run `UPDATE_DOCS=1 cargo test -p
//! crossdock-warehouse -p crossdock-api` to regenerate `docs/kpis.md` and
//! the matrix in `docs/security.md`.
//!
//! # No value becomes a default
//!
//! Every value reported is read from its SQL file's output column, as that
//! column's kind says; nothing is recomputed in Rust. An output column the
//! registry does not list, a registered column that is missing or of the
//! wrong Arrow type ([`WarehouseError::KpiSchema`]), and a value that cannot
//! be converted exactly — a decimal beyond `rust_decimal`, an integer beyond
//! `i64`, a NULL in a field that is never null ([`WarehouseError::KpiValue`],
//! naming the KPI, the column and the group) — fail the whole report.
//! The only filling-in is documented per KPI: a group absent from the output
//! of a [`Groups::Some`] KPI (say, no order due yet) has its counts at 0 and
//! its other fields null, which is what those KPIs mean.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type, UInt64Type};
use chrono::{NaiveDate, NaiveTime};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use rust_decimal::Decimal;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::error::{Result, WarehouseError};
use crate::Warehouse;

/// The shared view every KPI reads.
pub const SALE_LINE_FACTS: &str = include_str!("../kpis/sale_line_facts.sql");

/// What a KPI field measures. It decides the Arrow type the SQL must output,
/// the Rust and JSON value, and the OpenAPI schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// A number of lines or orders: an Arrow integer column; JSON integer.
    Count,
    /// A share between 0 and 1: `Float64`; JSON number.
    Ratio,
    /// An amount of money: `Decimal128` (exact, never a float); JSON exact
    /// decimal string.
    Money,
    /// A quantity of units: `Decimal128`; JSON exact decimal string.
    Quantity,
    /// A duration in microseconds: an integer column; JSON integer.
    Micros,
    /// A duration in days: `Float64`; JSON number.
    Days,
}

impl FieldKind {
    /// Money and quantities: exact decimals.
    pub fn is_decimal(self) -> bool {
        matches!(self, FieldKind::Money | FieldKind::Quantity)
    }

    /// Counts and microseconds: 64-bit integers.
    pub fn is_integer(self) -> bool {
        matches!(self, FieldKind::Count | FieldKind::Micros)
    }

    /// Ratios and days: 64-bit floats.
    pub fn is_float(self) -> bool {
        matches!(self, FieldKind::Ratio | FieldKind::Days)
    }
}

/// What a KPI field discloses, the unit of access control: crossdock-access
/// holds the matrix of roles × classes (its own `FieldClass`, which
/// crossdock-api maps this one onto, variant for variant), so that the
/// warehouse and access control do not depend on each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldClass {
    /// Service levels: fill rates, OTIF, cycle times, line, unit and order counts.
    Service,
    /// Sales revenue (Σ price_subtotal).
    Revenue,
    /// Cost of goods sold (purchase prices, i.e. what vendors charge).
    Cost,
    /// Gross margin, in money and percent.
    Margin,
    /// Margin leakage: over-discount, below list price, below cost.
    Leakage,
}

/// One output column of a KPI file, reported under the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The column and JSON field name, e.g. `lines_shipped`.
    pub name: &'static str,
    /// What it measures (decides its type).
    pub kind: FieldKind,
    /// Who may see it.
    pub class: FieldClass,
    /// May the value be null (e.g. a ratio whose denominator is 0)? A NULL
    /// in a field that is not nullable is an error, never a 0.
    pub nullable: bool,
    /// One line for people (the OpenAPI description).
    pub doc: &'static str,
}

/// Which groups a KPI's output has a row for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Groups {
    /// Every group that has confirmed lines in the period; a group missing
    /// from the output is an error.
    Every,
    /// Only groups with something to measure (orders due, orders delivered
    /// in full). A group without a row has nothing to count: its
    /// [`FieldKind::Count`] fields are 0 and its other fields null (they
    /// must all be nullable).
    Some,
}

/// One KPI: its SQL file and its output fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KpiSpec {
    /// Identifier and file name, e.g. `line_fill_rate` (`kpis/line_fill_rate.sql`).
    pub name: &'static str,
    /// The SQL, header comment included.
    pub sql: &'static str,
    /// The class a role must see to read this KPI's definition.
    pub class: FieldClass,
    /// Which groups its output has a row for.
    pub groups: Groups,
    /// Its output columns besides the dimensions, in report order.
    pub fields: &'static [FieldSpec],
}

/// A field that always has a value; `.nullable()` for one that may be null.
const fn f(name: &'static str, kind: FieldKind, class: FieldClass, doc: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        class,
        nullable: false,
        doc,
    }
}

impl FieldSpec {
    /// The same field, allowed to be null.
    pub const fn nullable(self) -> FieldSpec {
        FieldSpec {
            nullable: true,
            ..self
        }
    }
}

use FieldClass::{Cost, Leakage, Margin, Revenue, Service};
use FieldKind::{Count, Days, Micros, Money, Quantity, Ratio};

/// Every KPI, in report order: the one place a KPI is declared (see the
/// module documentation, "How to add a KPI").
pub const REGISTRY: &[KpiSpec] = &[
    KpiSpec {
        name: "line_fill_rate",
        sql: include_str!("../kpis/line_fill_rate.sql"),
        class: Service,
        groups: Groups::Every,
        fields: &[
            f(
                "lines_shipped",
                Count,
                Service,
                "Confirmed lines with at least one customer delivery.",
            ),
            f(
                "lines_filled",
                Count,
                Service,
                "Of those, lines complete on their first shipment.",
            ),
            f(
                "line_fill_rate",
                Ratio,
                Service,
                "lines_filled / lines_shipped (null when no line shipped).",
            )
            .nullable(),
        ],
    },
    KpiSpec {
        name: "unit_fill_rate",
        sql: include_str!("../kpis/unit_fill_rate.sql"),
        class: Service,
        groups: Groups::Every,
        fields: &[
            f(
                "units_ordered_shipped",
                Quantity,
                Service,
                "Σ ordered quantity of shipped lines (null when none shipped).",
            )
            .nullable(),
            f(
                "units_first_shipment",
                Quantity,
                Service,
                "Σ min(first shipment, ordered) of shipped lines.",
            )
            .nullable(),
            f(
                "unit_fill_rate",
                Ratio,
                Service,
                "units_first_shipment / units_ordered_shipped.",
            )
            .nullable(),
        ],
    },
    KpiSpec {
        name: "otif",
        sql: include_str!("../kpis/otif.sql"),
        class: Service,
        groups: Groups::Some,
        fields: &[
            f(
                "orders_due",
                Count,
                Service,
                "Confirmed orders whose deadline has passed.",
            ),
            f(
                "orders_otif",
                Count,
                Service,
                "Of those, delivered in full on time.",
            ),
            f(
                "otif",
                Ratio,
                Service,
                "orders_otif / orders_due (null when none is due).",
            )
            .nullable(),
        ],
    },
    KpiSpec {
        name: "order_cycle_time",
        sql: include_str!("../kpis/order_cycle_time.sql"),
        class: Service,
        groups: Groups::Some,
        fields: &[
            f(
                "orders_delivered",
                Count,
                Service,
                "Confirmed orders delivered in full.",
            ),
            f(
                "cycle_p50_us",
                Micros,
                Service,
                "Median confirmation → last delivery, µs.",
            )
            .nullable(),
            f("cycle_p90_us", Micros, Service, "90th percentile, µs.").nullable(),
            f("cycle_p50_days", Days, Service, "Median, days.").nullable(),
            f("cycle_p90_days", Days, Service, "90th percentile, days.").nullable(),
        ],
    },
    KpiSpec {
        name: "gross_margin",
        sql: include_str!("../kpis/gross_margin.sql"),
        class: Margin,
        groups: Groups::Every,
        fields: &[
            f("revenue", Money, Revenue, "Σ price_subtotal."),
            f("cost", Money, Cost, "Σ purchase_price × product_uom_qty."),
            f("gross_margin", Money, Margin, "revenue − cost."),
            f(
                "margin_pct",
                Ratio,
                Margin,
                "gross_margin / revenue (null when revenue is 0).",
            )
            .nullable(),
        ],
    },
    KpiSpec {
        name: "margin_leakage",
        sql: include_str!("../kpis/margin_leakage.sql"),
        class: Leakage,
        groups: Groups::Every,
        fields: &[
            f(
                "leak_over_discount",
                Money,
                Leakage,
                "Leakage: discount beyond the channel's policy.",
            ),
            f(
                "leak_below_pricelist",
                Money,
                Leakage,
                "Leakage: unit price below list price.",
            ),
            f(
                "leak_below_cost",
                Money,
                Leakage,
                "Leakage: sold below cost.",
            ),
        ],
    },
];

/// Every field of every KPI, in report order.
pub fn fields() -> impl Iterator<Item = &'static FieldSpec> {
    REGISTRY.iter().flat_map(|k| k.fields.iter())
}

/// The field of that name, if any KPI reports it.
pub fn field(name: &str) -> Option<&'static FieldSpec> {
    fields().find(|f| f.name == name)
}

/// The KPI of that name, if any.
pub fn spec(name: &str) -> Option<&'static KpiSpec> {
    REGISTRY.iter().find(|k| k.name == name)
}

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
    REGISTRY
        .iter()
        .map(|&KpiSpec { name, sql, .. }| {
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
    for (def, KpiSpec { sql, .. }) in definitions().iter().zip(REGISTRY) {
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

/// One value of a KPI field, as its [`FieldKind`] says: integers for
/// counts and microseconds, floats for ratios and days, exact decimals for
/// money and quantities. Serializes as JSON `null`, a number, or (decimals)
/// an exact decimal string.
#[derive(Debug, Clone, PartialEq)]
pub enum KpiValue {
    /// No value (a ratio over nothing, a percentile of no orders).
    Null,
    /// A [`FieldKind::Count`] or [`FieldKind::Micros`].
    Int(i64),
    /// A [`FieldKind::Ratio`] or [`FieldKind::Days`].
    Float(f64),
    /// A [`FieldKind::Money`] or [`FieldKind::Quantity`], normalized.
    Decimal(Decimal),
}

impl KpiValue {
    /// The integer, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            KpiValue::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The float, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            KpiValue::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// The decimal, if this is one.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            KpiValue::Decimal(v) => Some(*v),
            _ => None,
        }
    }

    /// Null?
    pub fn is_null(&self) -> bool {
        matches!(self, KpiValue::Null)
    }
}

impl std::fmt::Display for KpiValue {
    /// Empty for null, else the value unrounded (decimals exact).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KpiValue::Null => Ok(()),
            KpiValue::Int(v) => write!(f, "{v}"),
            KpiValue::Float(v) => write!(f, "{v}"),
            KpiValue::Decimal(v) => write!(f, "{v}"),
        }
    }
}

impl Serialize for KpiValue {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            KpiValue::Null => s.serialize_none(),
            KpiValue::Int(v) => s.serialize_i64(*v),
            KpiValue::Float(v) => s.serialize_f64(*v),
            KpiValue::Decimal(v) => Serialize::serialize(v, s),
        }
    }
}

/// One group of a report: its dimension values and every registered field
/// ([`fields`]), in registry order. Serializes as `{"group": {...},
/// "<field>": <value>, ...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiRow {
    /// The group's dimension values, by dimension name.
    pub group: BTreeMap<String, String>,
    /// Every field of [`REGISTRY`], in its order.
    pub values: Vec<(&'static str, KpiValue)>,
}

impl KpiRow {
    /// The value of a field; None for a name the registry does not have.
    pub fn get(&self, field: &str) -> Option<&KpiValue> {
        self.values
            .iter()
            .find(|(n, _)| *n == field)
            .map(|(_, v)| v)
    }

    /// A count or microseconds field's value (None: null or no such field).
    pub fn int(&self, field: &str) -> Option<i64> {
        self.get(field).and_then(KpiValue::as_i64)
    }

    /// A ratio or days field's value (None: null or no such field).
    pub fn float(&self, field: &str) -> Option<f64> {
        self.get(field).and_then(KpiValue::as_f64)
    }

    /// A money or quantity field's value (None: null or no such field).
    pub fn decimal(&self, field: &str) -> Option<Decimal> {
        self.get(field).and_then(KpiValue::as_decimal)
    }
}

impl Serialize for KpiRow {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1 + self.values.len()))?;
        map.serialize_entry("group", &self.group)?;
        for (name, value) in &self.values {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
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

/// The raw outputs of every KPI file for one query, before they are read
/// into a [`KpiReport`] by [`read_report`].
#[derive(Debug, Clone)]
pub struct KpiOutputs {
    /// See [`KpiReport::as_of_us`].
    pub as_of_us: Option<i64>,
    /// Each KPI of [`REGISTRY`], in order, with the batches its SQL returned.
    pub outputs: Vec<(&'static KpiSpec, Vec<RecordBatch>)>,
}

impl Warehouse {
    /// Computes every KPI for a query: [`Warehouse::kpi_outputs`], read by
    /// [`read_report`].
    pub async fn kpis(&self, query: &KpiQuery) -> Result<KpiReport> {
        let outputs = self.kpi_outputs(query).await?;
        read_report(query, &outputs)
    }

    /// Runs every KPI file of [`REGISTRY`] for a query and returns what
    /// DataFusion answered, unread (for [`read_report`], and for tests that
    /// check the Arrow types of the outputs).
    pub async fn kpi_outputs(&self, query: &KpiQuery) -> Result<KpiOutputs> {
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
        let facts = crate::scope::scoped(facts, query.companies.as_ref(), "sale_line_facts")?;
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
        let mut outputs = Vec::with_capacity(REGISTRY.len());
        for spec in REGISTRY {
            let sql = render(
                spec.sql,
                &dims,
                &period.join(" AND "),
                as_of_us,
                settings.default_max_discount_percent,
            );
            let batches = ctx
                .sql(&sql)
                .await
                .map_err(WarehouseError::query(spec.name))?
                .collect()
                .await
                .map_err(WarehouseError::query(spec.name))?;
            outputs.push((spec, batches));
        }
        Ok(KpiOutputs { as_of_us, outputs })
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

/// A KPI file with its placeholders filled in (see the module documentation).
fn render(
    sql: &str,
    dims: &str,
    period: &str,
    as_of_us: Option<i64>,
    default_max_discount: Decimal,
) -> String {
    sql.replace("{dims}", dims)
        .replace("{period}", period)
        .replace("{as_of_us}", &as_of_us.unwrap_or(i64::MIN).to_string())
        .replace(
            "{default_max_discount}",
            &format!("CAST('{default_max_discount}' AS DECIMAL(38, 10))"),
        )
}

/// `company_id IN (...)`; FALSE for an empty set (nothing, never everything).
fn day_start_us(d: NaiveDate) -> i64 {
    d.and_time(NaiveTime::MIN).and_utc().timestamp_micros()
}

/// Reads the outputs of the KPI files into a report: every value from its
/// column, as the registry says (see the module documentation, "No value
/// becomes a default"). Groups are sorted by their dimension values.
pub fn read_report(query: &KpiQuery, outputs: &KpiOutputs) -> Result<KpiReport> {
    let by = &query.by;
    let width: usize = REGISTRY.iter().map(|k| k.fields.len()).sum();
    let mut rows: BTreeMap<Vec<String>, Vec<Option<KpiValue>>> = BTreeMap::new();
    let mut reported: BTreeMap<&str, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (spec, batches) in &outputs.outputs {
        let offset = offset_of(spec)?;
        let seen = reported.entry(spec.name).or_default();
        for batch in batches {
            for (key, values) in read_kpi_batch(spec, batch, by)? {
                if !seen.insert(key.clone()) {
                    return Err(WarehouseError::KpiValue {
                        kpi: spec.name.into(),
                        column: spec.fields.first().map(|f| f.name).unwrap_or("").into(),
                        group: group_label(by, &key),
                        reason: "the output has two rows for this group".into(),
                    });
                }
                let slots = rows.entry(key).or_insert_with(|| vec![None; width]);
                for (i, v) in values.into_iter().enumerate() {
                    slots[offset + i] = Some(v);
                }
            }
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (key, mut slots) in rows {
        for spec in REGISTRY {
            let offset = offset_of(spec)?;
            let has_row = reported
                .get(spec.name)
                .is_some_and(|seen| seen.contains(&key));
            if has_row {
                continue;
            }
            for (i, field) in spec.fields.iter().enumerate() {
                let absent = |reason: &str| WarehouseError::KpiValue {
                    kpi: spec.name.into(),
                    column: field.name.into(),
                    group: group_label(by, &key),
                    reason: reason.into(),
                };
                slots[offset + i] =
                    Some(match spec.groups {
                        Groups::Every => {
                            return Err(absent(
                                "the output has no row for this group, which other KPIs report",
                            ))
                        }
                        Groups::Some if field.kind == FieldKind::Count => KpiValue::Int(0),
                        Groups::Some if field.nullable => KpiValue::Null,
                        Groups::Some => return Err(absent(
                            "no row for this group, and the field is neither a count nor nullable",
                        )),
                    });
            }
        }
        let values = fields()
            .zip(slots)
            .map(|(f, v)| {
                v.map(|v| (f.name, v)).ok_or_else(|| {
                    WarehouseError::Internal(format!("kpi field {} was not filled in", f.name))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(KpiRow {
            group: by.iter().map(|d| d.column().to_string()).zip(key).collect(),
            values,
        });
    }
    Ok(KpiReport {
        by: by.iter().map(|d| d.column().to_string()).collect(),
        from: query.from,
        to: query.to,
        as_of_us: outputs.as_of_us,
        rows: out,
    })
}

/// Where a KPI's fields start among [`fields`].
fn offset_of(spec: &KpiSpec) -> Result<usize> {
    let mut offset = 0;
    for k in REGISTRY {
        if k.name == spec.name {
            return Ok(offset);
        }
        offset += k.fields.len();
    }
    Err(WarehouseError::Internal(format!(
        "kpi {} is not in kpi::REGISTRY",
        spec.name
    )))
}

/// `channel=EDI, month=2026-01`.
fn group_label(by: &[Dimension], key: &[String]) -> String {
    by.iter()
        .zip(key)
        .map(|(d, v)| format!("{}={v}", d.column()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one batch of a KPI's output: each row's group key and its values,
/// in the order of `spec.fields`.
fn read_kpi_batch(
    spec: &KpiSpec,
    batch: &RecordBatch,
    by: &[Dimension],
) -> Result<Vec<(Vec<String>, Vec<KpiValue>)>> {
    let schema_err = |column: &str, reason: String| WarehouseError::KpiSchema {
        kpi: spec.name.into(),
        column: column.into(),
        reason,
    };
    for column in batch.schema().fields() {
        let name = column.name();
        let known =
            by.iter().any(|d| d.column() == name) || spec.fields.iter().any(|f| f.name == name);
        if !known {
            return Err(schema_err(
                name,
                format!(
                    "the SQL outputs this column but kpi::REGISTRY does not list it; add a FieldSpec (kind, class) to the entry of {}",
                    spec.name
                ),
            ));
        }
    }
    let n = batch.num_rows();
    let mut keys: Vec<Vec<String>> = vec![Vec::with_capacity(by.len()); n];
    for d in by {
        let col = batch
            .column_by_name(d.column())
            .ok_or_else(|| schema_err(d.column(), "the dimension column is missing".into()))?;
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
    let mut columns: Vec<Vec<KpiValue>> = Vec::with_capacity(spec.fields.len());
    for field in spec.fields {
        let array = batch.column_by_name(field.name).ok_or_else(|| {
            schema_err(
                field.name,
                "registered in kpi::REGISTRY but missing from the SQL's output".into(),
            )
        })?;
        let value_err = |row: usize, reason: String| WarehouseError::KpiValue {
            kpi: spec.name.into(),
            column: field.name.into(),
            group: group_label(by, &keys[row]),
            reason,
        };
        let values = read_column(field, array).map_err(|e| match e {
            ColumnError::Type(reason) => schema_err(field.name, reason),
            ColumnError::Value(row, reason) => value_err(row, reason),
            ColumnError::Arrow(e) => WarehouseError::Arrow { source: e },
        })?;
        for (row, v) in values.iter().enumerate() {
            if v.is_null() && !field.nullable {
                return Err(value_err(
                    row,
                    "NULL in a field that kpi::REGISTRY says always has a value".into(),
                ));
            }
        }
        columns.push(values);
    }
    Ok(keys
        .into_iter()
        .enumerate()
        .map(|(row, key)| (key, columns.iter().map(|c| c[row].clone()).collect()))
        .collect())
}

enum ColumnError {
    /// The column's type cannot be read as the field's kind.
    Type(String),
    /// A row's value cannot be converted exactly.
    Value(usize, String),
    Arrow(arrow::error::ArrowError),
}

impl From<arrow::error::ArrowError> for ColumnError {
    fn from(e: arrow::error::ArrowError) -> Self {
        ColumnError::Arrow(e)
    }
}

/// One column as the field's kind says, exactly: no lossy cast, no
/// out-of-range value turned into NULL or 0.
fn read_column(field: &FieldSpec, array: &dyn Array) -> Result<Vec<KpiValue>, ColumnError> {
    let ty = array.data_type();
    let opt = |v: Option<KpiValue>| v.unwrap_or(KpiValue::Null);
    if field.kind.is_integer() {
        return match ty {
            DataType::Int64 => Ok(array
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| opt(v.map(KpiValue::Int)))
                .collect()),
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32 => {
                // Lossless widening.
                let a = cast(array, &DataType::Int64)?;
                Ok(a.as_primitive::<Int64Type>()
                    .iter()
                    .map(|v| opt(v.map(KpiValue::Int)))
                    .collect())
            }
            DataType::UInt64 => array
                .as_primitive::<UInt64Type>()
                .iter()
                .enumerate()
                .map(|(row, v)| match v {
                    None => Ok(KpiValue::Null),
                    Some(v) => i64::try_from(v).map(KpiValue::Int).map_err(|_| {
                        ColumnError::Value(row, format!("{v} does not fit a 64-bit signed integer"))
                    }),
                })
                .collect(),
            DataType::Null => Ok(vec![KpiValue::Null; array.len()]),
            other => Err(ColumnError::Type(format!(
                "is {other}; a {:?} field must be an integer column",
                field.kind
            ))),
        };
    }
    if field.kind.is_float() {
        return match ty {
            DataType::Float64 => Ok(array
                .as_primitive::<Float64Type>()
                .iter()
                .map(|v| opt(v.map(KpiValue::Float)))
                .collect()),
            DataType::Float16 | DataType::Float32 => {
                // Lossless widening.
                let a = cast(array, &DataType::Float64)?;
                Ok(a.as_primitive::<Float64Type>()
                    .iter()
                    .map(|v| opt(v.map(KpiValue::Float)))
                    .collect())
            }
            DataType::Null => Ok(vec![KpiValue::Null; array.len()]),
            other => Err(ColumnError::Type(format!(
                "is {other}; a {:?} field must be a Float64 column",
                field.kind
            ))),
        };
    }
    match ty {
        DataType::Decimal128(_, scale) => {
            let scale = u32::try_from(*scale).map_err(|_| {
                ColumnError::Type(format!("is {ty}; a negative scale is not supported"))
            })?;
            array
                .as_primitive::<Decimal128Type>()
                .iter()
                .enumerate()
                .map(|(row, v)| match v {
                    None => Ok(KpiValue::Null),
                    Some(v) => Decimal::try_from_i128_with_scale(v, scale)
                        .map(|d| KpiValue::Decimal(d.normalize()))
                        .map_err(|e| {
                            ColumnError::Value(
                                row,
                                format!(
                                    "{v} at scale {scale} cannot be converted to an exact decimal: {e}"
                                ),
                            )
                        }),
                })
                .collect()
        }
        other => Err(ColumnError::Type(format!(
            "is {other}; a {:?} field must be Decimal128 (exact, never a float): CAST it to DECIMAL(38, 10) in the SQL",
            field.kind
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        ArrayRef, Decimal128Array, Float64Array, Int64Array, StringArray, UInt64Array,
    };
    use arrow::datatypes::{Field, Schema};
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// A one-row output of KPI `kpi` for channel `channel`: every field a
    /// valid value of its kind (counts 3, µs 86,400,000,000, floats 0.5,
    /// decimals 10.5), except those given in `with`.
    fn output(kpi: &str, channel: &str, with: Vec<(&str, ArrayRef)>) -> RecordBatch {
        let spec = spec(kpi).unwrap();
        let mut fields = vec![Field::new("channel", DataType::Utf8, false)];
        let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from(vec![channel]))];
        let mut with: BTreeMap<&str, ArrayRef> = with.into_iter().collect();
        for f in spec.fields {
            let a: ArrayRef = with.remove(f.name).unwrap_or_else(|| match f.kind {
                Count => Arc::new(Int64Array::from(vec![3])),
                Micros => Arc::new(Int64Array::from(vec![86_400_000_000])),
                Ratio | Days => Arc::new(Float64Array::from(vec![0.5])),
                Money | Quantity => Arc::new(
                    Decimal128Array::from(vec![105_000_000_000])
                        .with_precision_and_scale(38, 10)
                        .unwrap(),
                ),
            });
            fields.push(Field::new(f.name, a.data_type().clone(), true));
            columns.push(a);
        }
        for (name, a) in with {
            fields.push(Field::new(name, a.data_type().clone(), true));
            columns.push(a);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    }

    fn outputs(mut batches: BTreeMap<&str, Vec<RecordBatch>>) -> KpiOutputs {
        KpiOutputs {
            as_of_us: Some(1),
            outputs: REGISTRY
                .iter()
                .map(|k| (k, batches.remove(k.name).unwrap_or_default()))
                .collect(),
        }
    }

    /// Every KPI has a row for channel EDI; `change` alters one KPI's batch.
    fn edi(change: Option<(&str, RecordBatch)>) -> Result<KpiReport> {
        let mut batches: BTreeMap<&str, Vec<RecordBatch>> = REGISTRY
            .iter()
            .map(|k| (k.name, vec![output(k.name, "EDI", vec![])]))
            .collect();
        if let Some((kpi, batch)) = change {
            batches.insert(kpi, vec![batch]);
        }
        read_report(&KpiQuery::default(), &outputs(batches))
    }

    fn money(v: i128, scale: i8) -> ArrayRef {
        Arc::new(
            Decimal128Array::from(vec![v])
                .with_precision_and_scale(38, scale)
                .unwrap(),
        )
    }

    #[test]
    fn the_report_reads_every_value_from_its_column() {
        // gross_margin deliberately differs from revenue − cost: the value
        // reported is the SQL's, not recomputed.
        let report = edi(Some((
            "gross_margin",
            output(
                "gross_margin",
                "EDI",
                vec![
                    ("revenue", money(100_000_000_000, 10)),
                    ("cost", money(40_000_000_000, 10)),
                    ("gross_margin", money(70_000_000_000, 10)),
                ],
            ),
        )))
        .unwrap();
        assert_eq!(report.rows.len(), 1);
        let row = &report.rows[0];
        assert_eq!(row.group["channel"], "EDI");
        let names: Vec<&str> = row.values.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, fields().map(|f| f.name).collect::<Vec<_>>());
        assert_eq!(row.decimal("revenue"), Some(dec("10")));
        assert_eq!(row.decimal("cost"), Some(dec("4")));
        assert_eq!(row.decimal("gross_margin"), Some(dec("7")));
        assert_eq!(row.decimal("leak_below_cost"), Some(dec("10.5")));
        assert_eq!(row.int("lines_shipped"), Some(3));
        assert_eq!(row.float("cycle_p50_days"), Some(0.5));
        let json = serde_json::to_value(row).unwrap();
        assert_eq!(json["revenue"], "10");
        assert_eq!(json["lines_shipped"], 3);
        assert_eq!(json["otif"], 0.5);
    }

    /// Asserts the report failed with a KpiValue error naming all three.
    fn assert_value_error(r: Result<KpiReport>, kpi: &str, column: &str, group: &str) -> String {
        match r {
            Err(e @ WarehouseError::KpiValue { .. }) => {
                let text = e.to_string();
                let WarehouseError::KpiValue {
                    kpi: k,
                    column: c,
                    group: g,
                    ..
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!(
                    (k.as_str(), c.as_str(), g.as_str()),
                    (kpi, column, group),
                    "{text}"
                );
                text
            }
            other => panic!("expected a KpiValue error for {kpi}.{column}, got {other:?}"),
        }
    }

    #[test]
    fn a_decimal_that_cannot_be_converted_fails_the_report_instead_of_becoming_zero() {
        // Scale 30: beyond rust_decimal's 28 digits; it used to become revenue 0.
        let r = edi(Some((
            "gross_margin",
            output("gross_margin", "EDI", vec![("revenue", money(1, 30))]),
        )));
        let text = assert_value_error(r, "gross_margin", "revenue", "channel=EDI");
        assert!(text.contains("scale 30"), "{text}");
        // A mantissa beyond 96 bits, in a quantity.
        let r = edi(Some((
            "unit_fill_rate",
            output(
                "unit_fill_rate",
                "EDI",
                vec![("units_first_shipment", money(i128::MAX / 10, 10))],
            ),
        )));
        assert_value_error(r, "unit_fill_rate", "units_first_shipment", "channel=EDI");
    }

    #[test]
    fn an_integer_that_overflows_fails_the_report() {
        let big: ArrayRef = Arc::new(UInt64Array::from(vec![u64::MAX]));
        let r = edi(Some((
            "line_fill_rate",
            output("line_fill_rate", "EDI", vec![("lines_shipped", big)]),
        )));
        let text = assert_value_error(r, "line_fill_rate", "lines_shipped", "channel=EDI");
        assert!(text.contains(&u64::MAX.to_string()), "{text}");
    }

    #[test]
    fn a_null_where_the_registry_says_never_fails_the_report() {
        let null: ArrayRef = Arc::new(
            Decimal128Array::from(vec![None::<i128>])
                .with_precision_and_scale(38, 10)
                .unwrap(),
        );
        let r = edi(Some((
            "margin_leakage",
            output("margin_leakage", "EDI", vec![("leak_over_discount", null)]),
        )));
        let text = assert_value_error(r, "margin_leakage", "leak_over_discount", "channel=EDI");
        assert!(text.contains("NULL"), "{text}");
    }

    #[test]
    fn money_as_a_float_or_an_unregistered_column_is_a_schema_error() {
        let float: ArrayRef = Arc::new(Float64Array::from(vec![82024.7415500001]));
        let e = edi(Some((
            "margin_leakage",
            output("margin_leakage", "EDI", vec![("leak_over_discount", float)]),
        )))
        .unwrap_err();
        assert!(
            matches!(&e, WarehouseError::KpiSchema { kpi, column, .. } if kpi == "margin_leakage" && column == "leak_over_discount"),
            "{e}"
        );
        assert!(e.to_string().contains("Decimal128"), "{e}");
        let extra: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let e = edi(Some((
            "otif",
            output("otif", "EDI", vec![("orders_late", extra)]),
        )))
        .unwrap_err();
        assert!(
            matches!(&e, WarehouseError::KpiSchema { kpi, column, .. } if kpi == "otif" && column == "orders_late"),
            "{e}"
        );
        assert!(e.to_string().contains("REGISTRY"), "{e}");
    }

    #[test]
    fn a_missing_group_is_zero_only_where_the_kpi_says_so() {
        // otif and order_cycle_time report only groups with something to
        // measure: a group without a row has counts 0 and nulls.
        let mut batches: BTreeMap<&str, Vec<RecordBatch>> = REGISTRY
            .iter()
            .map(|k| (k.name, vec![output(k.name, "EDI", vec![])]))
            .collect();
        batches.insert("otif", vec![]);
        let report = read_report(&KpiQuery::default(), &outputs(batches)).unwrap();
        let row = &report.rows[0];
        assert_eq!(row.int("orders_due"), Some(0));
        assert_eq!(row.get("otif"), Some(&KpiValue::Null));
        // A KPI that reports every group: a missing row is an error, not zeros.
        let mut batches: BTreeMap<&str, Vec<RecordBatch>> = REGISTRY
            .iter()
            .map(|k| (k.name, vec![output(k.name, "EDI", vec![])]))
            .collect();
        batches.insert("gross_margin", vec![]);
        let r = read_report(&KpiQuery::default(), &outputs(batches));
        assert_value_error(r, "gross_margin", "revenue", "channel=EDI");
    }

    #[test]
    fn the_registry_is_consistent_with_the_sql() {
        let mut names = BTreeSet::new();
        for k in REGISTRY {
            assert!(!k.fields.is_empty(), "{}", k.name);
            assert!(
                k.sql.starts_with(&format!("-- kpi: {}\n", k.name)),
                "{}: the file's first line must be `-- kpi: {}`",
                k.name,
                k.name
            );
            for f in k.fields {
                assert!(names.insert(f.name), "field {} is registered twice", f.name);
                assert!(
                    k.sql.contains(&format!("AS {},", f.name))
                        || k.sql.contains(&format!("AS {}\n", f.name)),
                    "{}.sql has no output column {}",
                    k.name,
                    f.name
                );
                if k.groups == Groups::Some {
                    assert!(
                        f.kind == Count || f.nullable,
                        "{}.{}: a KPI that omits groups can only fill in counts (0) and nullable fields (null)",
                        k.name,
                        f.name
                    );
                }
            }
        }
    }

    /// The leakage and margin SQL computes in decimals: on values where any
    /// float on the path shows (0.01 as a double, say), the sums are exact.
    #[tokio::test]
    async fn money_sql_is_exact_decimal_arithmetic() {
        let n = 2000;
        let d = |v: &str| -> ArrayRef {
            let d = dec(v);
            let m = d.mantissa() * 10i128.pow(10 - d.scale());
            Arc::new(
                Decimal128Array::from(vec![m; n])
                    .with_precision_and_scale(38, 10)
                    .unwrap(),
            )
        };
        let schema = Arc::new(Schema::new(vec![
            Field::new("channel", DataType::Utf8, false),
            Field::new("confirmed_us", DataType::Int64, false),
            Field::new("price_unit", DataType::Decimal128(38, 10), false),
            Field::new("ordered_qty", DataType::Decimal128(38, 10), false),
            Field::new("discount", DataType::Decimal128(38, 10), false),
            Field::new("price_subtotal", DataType::Decimal128(38, 10), false),
            Field::new("purchase_price", DataType::Decimal128(38, 10), false),
            Field::new("list_price", DataType::Decimal128(38, 10), false),
            Field::new("line_uom", DataType::Int64, true),
            Field::new("product_uom", DataType::Int64, true),
        ]));
        let facts = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["EDI"; n])),
                Arc::new(Int64Array::from(vec![0; n])),
                d("12345.67"),
                d("7"),
                d("13.37"),
                d("74850.89"),
                d("10700.13"),
                d("12999.99"),
                Arc::new(Int64Array::from(vec![None::<i64>; n])),
                Arc::new(Int64Array::from(vec![None::<i64>; n])),
            ],
        )
        .unwrap();
        let ctx = SessionContext::new();
        ctx.register_batch("sale_line_facts", facts).unwrap();
        let policy = ctx
            .sql("SELECT 'EDI' AS channel, CAST('5' AS DECIMAL(38, 10)) AS max_discount")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        ctx.register_batch("channel_policy", policy[0].clone())
            .unwrap();
        let uom = ctx
            .sql("SELECT CAST(1 AS BIGINT) AS id, CAST('1' AS DECIMAL(38, 10)) AS factor")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        ctx.register_batch("uom_uom", uom[0].clone()).unwrap();
        let mut got = BTreeMap::new();
        for name in ["margin_leakage", "gross_margin"] {
            let sql = render(
                spec(name).unwrap().sql,
                "channel",
                "TRUE",
                Some(0),
                dec("5"),
            );
            let df = ctx.sql(&sql).await.unwrap();
            if name == "margin_leakage" {
                // Every value is money: no float anywhere in its plan.
                let plan = df.clone().into_optimized_plan().unwrap();
                let text = format!("{}", plan.display_indent_schema());
                assert!(!text.contains("Float"), "a float in {name}'s plan:\n{text}");
            }
            let batches = df.collect().await.unwrap();
            let spec = spec(name).unwrap();
            for f in spec.fields.iter().filter(|f| f.kind == Money) {
                let ty = batches[0]
                    .column_by_name(f.name)
                    .unwrap()
                    .data_type()
                    .clone();
                assert!(
                    matches!(ty, DataType::Decimal128(..)),
                    "{name}.{}: {ty}",
                    f.name
                );
            }
            for (_, values) in read_kpi_batch(spec, &batches[0], &[Dimension::Channel]).unwrap() {
                for (f, v) in spec.fields.iter().zip(values) {
                    got.insert(f.name, v);
                }
            }
        }
        let n = Decimal::from(n as i64);
        let want = |v: &str| KpiValue::Decimal((dec(v) * n).normalize());
        // 12345.67 × 7 × (13.37 − 5) × 0.01 = 7233.328053 per line.
        assert_eq!(got["leak_over_discount"], want("7233.328053"));
        // (12999.99 − 12345.67) × 7 = 4580.24
        assert_eq!(got["leak_below_pricelist"], want("4580.24"));
        // 10700.13 × 7 − 74850.89 = 50.02
        assert_eq!(got["leak_below_cost"], want("50.02"));
        assert_eq!(got["revenue"], want("74850.89"));
        assert_eq!(got["cost"], want("74900.91"));
        assert_eq!(got["gross_margin"], want("-50.02"));
    }

    #[test]
    fn every_kpi_file_documents_itself() {
        let defs = definitions();
        assert_eq!(defs.len(), REGISTRY.len());
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
