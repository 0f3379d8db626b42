//! `GET /`: the dashboard — one tile per sales channel, and a form (plain
//! HTML, `GET /?from=...&to=...`; htmx swaps the page's content in place
//! when it runs) to restrict the period. Template: `templates/dashboard.html`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use chrono::NaiveDate;
use crossdock_access::{FieldClass, Visibility};
use crossdock_warehouse::freshness::Freshness;
use crossdock_warehouse::kpi::{self, Dimension, KpiQuery, KpiReport, KpiRow};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::html::{self, page, ErrorBox, Mode, Shell};
use crate::{params, AppState};

const TITLE: &str = "Sales by channel";

#[derive(Template)]
#[template(path = "dashboard.html", blocks = ["content"])]
struct Dashboard {
    shell: Shell,
    /// The period form's values, as typed.
    from: String,
    to: String,
    /// The report's period and data time (when there is a report).
    meta: String,
    /// Why there is no report.
    error: Option<ErrorBox>,
    tiles: Vec<Tile>,
}
page!(Dashboard);

/// One sales channel's tile.
struct Tile {
    channel: String,
    groups: Vec<Group>,
}

/// A heading and its metrics.
struct Group {
    name: &'static str,
    metrics: Vec<Metric>,
}

/// One metric line: label (with the KPI's definition as tooltip), value,
/// and an optional line of detail under the value.
struct Metric {
    label: &'static str,
    tip: &'static str,
    value: String,
    detail: Option<String>,
}

/// The dashboard page, for the caller's companies, with only the figures
/// their roles may see; bad form input gives the page with the message and
/// status 400.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    mode: Mode,
    RawQuery(raw): RawQuery,
) -> Response {
    let parsed = params::parse(raw.as_deref(), "the dashboard", &["from", "to"]);
    // What the form shows back: the values as typed, even when they are wrong.
    let (typed_from, typed_to) = match &parsed {
        Ok(p) => (
            p.get("from").unwrap_or("").to_string(),
            p.get("to").unwrap_or("").to_string(),
        ),
        Err(_) => (String::new(), String::new()),
    };
    let result = report(&state, &principal, parsed).await;
    let visible = principal.visibility();
    let freshness = state.warehouse.freshness().await.ok();

    let mut page = Dashboard {
        shell: Shell::for_user(&principal, TITLE, "/"),
        from: typed_from,
        to: typed_to,
        meta: String::new(),
        error: None,
        tiles: Vec::new(),
    };
    match result {
        Ok(report) => {
            page.meta = meta(&report, freshness.as_ref());
            page.tiles = report.rows.iter().map(|r| tile(r, &visible)).collect();
            html::render(mode, StatusCode::OK, &page)
        }
        Err(error) => {
            let status = error.status();
            page.error = Some(ErrorBox::of(&error));
            html::render(mode, status, &page)
        }
    }
}

async fn report(
    state: &AppState,
    principal: &Principal,
    parsed: Result<params::Params, ApiError>,
) -> Result<KpiReport, ApiError> {
    let (from, to) = params::period(&parsed?)?;
    let query = KpiQuery {
        by: vec![Dimension::Channel],
        from,
        to,
        companies: principal.companies(),
    };
    Ok(state.warehouse.kpis(&query).await?)
}

fn meta(report: &KpiReport, freshness: Option<&Freshness>) -> String {
    let period = match (report.from, report.to) {
        (None, None) => "All confirmed orders".to_string(),
        (Some(f), None) => format!("Orders confirmed from {}", day(f)),
        (None, Some(t)) => format!("Orders confirmed up to {}", day(t)),
        (Some(f), Some(t)) => format!("Orders confirmed from {} to {}", day(f), day(t)),
    };
    let as_of = match report.as_of_us {
        Some(_) => format!("data as of {}", html::timestamp(report.as_of_us)),
        None => "the warehouse holds no data yet".to_string(),
    };
    // A lag of hours means the data was not captured live (a simulation
    // replayed into the warehouse, or a backfill): no freshness to show.
    let lag = match freshness.and_then(|f| f.lag_us) {
        Some(lag) if (0..3_600_000_000).contains(&lag) => format!(
            " · freshness: last change queryable {:.1} s after its commit in Odoo",
            lag as f64 / 1e6
        ),
        _ => String::new(),
    };
    format!("{period} · {as_of}{lag}")
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// KPI name → its documented definition, for the labels' tooltips.
fn definition(kpi_name: &str) -> &'static str {
    static DEFINITIONS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    DEFINITIONS
        .get_or_init(|| {
            kpi::definitions()
                .into_iter()
                .filter_map(|d| {
                    let text = d.sections.get("definition")?.clone();
                    Some((d.name, text))
                })
                .collect()
        })
        .get(kpi_name)
        .map(String::as_str)
        .unwrap_or("")
}

/// One metric line.
fn metric(kpi_name: &str, label: &'static str, value: String, detail: Option<String>) -> Metric {
    Metric {
        label,
        tip: definition(kpi_name),
        value,
        detail,
    }
}

/// One channel's tile: service levels for everyone; revenue, cost, margin
/// and leakage only for the roles that may see them (absent otherwise).
fn tile(row: &KpiRow, visible: &Visibility) -> Tile {
    let channel = row
        .group
        .get(Dimension::Channel.column())
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .unwrap_or("(no channel)");
    let count = |f: &str| row.int(f).map(html::count).unwrap_or_else(|| "—".into());
    let amount = |f: &str| {
        row.decimal(f)
            .map(html::money)
            .unwrap_or_else(|| "—".into())
    };
    let mut groups = vec![Group {
        name: "Service",
        metrics: vec![
            metric(
                "line_fill_rate",
                "Line fill rate",
                html::percent(row.float("line_fill_rate")),
                Some(format!(
                    "{} of {} lines",
                    count("lines_filled"),
                    count("lines_shipped")
                )),
            ),
            metric(
                "otif",
                "OTIF",
                html::percent(row.float("otif")),
                Some(format!(
                    "{} of {} orders due",
                    count("orders_otif"),
                    count("orders_due")
                )),
            ),
            metric(
                "order_cycle_time",
                "Order cycle p50",
                html::days(row.float("cycle_p50_days")),
                None,
            ),
            metric(
                "order_cycle_time",
                "Order cycle p90",
                html::days(row.float("cycle_p90_days")),
                Some(format!("over {} orders", count("orders_delivered"))),
            ),
        ],
    }];
    let mut money = Vec::new();
    if visible.sees(FieldClass::Revenue) {
        money.push(metric("gross_margin", "Revenue", amount("revenue"), None));
    }
    if visible.sees(FieldClass::Cost) {
        money.push(metric("", "Cost", amount("cost"), None));
    }
    if visible.sees(FieldClass::Margin) {
        money.push(metric(
            "gross_margin",
            "Gross margin",
            html::percent(row.float("margin_pct")),
            Some(amount("gross_margin")),
        ));
    }
    if !money.is_empty() {
        groups.push(Group {
            name: "Money",
            metrics: money,
        });
    }
    if visible.sees(FieldClass::Leakage) {
        groups.push(Group {
            name: "Margin leakage",
            metrics: vec![
                metric(
                    "margin_leakage",
                    "Over-discount",
                    amount("leak_over_discount"),
                    None,
                ),
                metric(
                    "margin_leakage",
                    "Below price list",
                    amount("leak_below_pricelist"),
                    None,
                ),
                metric(
                    "margin_leakage",
                    "Below cost",
                    amount("leak_below_cost"),
                    None,
                ),
            ],
        });
    }
    Tile {
        channel: channel.to_string(),
        groups,
    }
}
