//! `GET /`: the dashboard — one tile per sales channel, and a form (plain
//! HTML, `GET /?from=...&to=...`) to restrict the period.

use std::collections::BTreeMap;
use std::sync::OnceLock;

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
use crate::html::{self, escape};
use crate::{params, AppState};

const TITLE: &str = "Sales by channel";

/// The dashboard page, for the caller's companies, with only the figures
/// their roles may see; bad form input gives the page with the message and
/// status 400.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
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

    let form = period_form(&typed_from, &typed_to);
    match result {
        Ok(report) => {
            let body = format!(
                "<h1>{}</h1>\n<p class=\"meta\">{}</p>\n{form}\n{}",
                escape(TITLE),
                meta(&report, freshness.as_ref()),
                tiles(&report, &visible)
            );
            html::page_for(&principal, StatusCode::OK, TITLE, &body)
        }
        Err(error) => {
            let body = format!(
                "<h1>{}</h1>\n{}\n{form}",
                escape(TITLE),
                html::error_box(&error)
            );
            html::page_for(&principal, error.status(), TITLE, &body)
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

fn period_form(from: &str, to: &str) -> String {
    format!(
        r#"<form class="period" method="get" action="/">
<label for="from">From (order confirmed on or after)<input type="date" id="from" name="from" value="{}" placeholder="YYYY-MM-DD"></label>
<label for="to">To (on or before)<input type="date" id="to" name="to" value="{}" placeholder="YYYY-MM-DD"></label>
<button type="submit">Show</button>
<a href="/">All time</a>
</form>"#,
        escape(from),
        escape(to)
    )
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
    escape(&format!("{period} · {as_of}{lag}"))
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

fn tiles(report: &KpiReport, visible: &Visibility) -> String {
    if report.rows.is_empty() {
        return r#"<p class="empty">No confirmed orders in this period.</p>"#.to_string();
    }
    let mut out = String::from("<div class=\"tiles\">\n");
    for row in &report.rows {
        out.push_str(&tile(row, visible));
    }
    out.push_str("</div>");
    out
}

/// One metric line: label (with the KPI's definition as tooltip), value,
/// and an optional line of detail under the value.
fn metric(out: &mut String, kpi_name: &str, label: &str, value: &str, detail: Option<String>) {
    let tip = definition(kpi_name);
    let title = if tip.is_empty() {
        String::new()
    } else {
        format!(" title=\"{}\"", escape(tip))
    };
    let detail = detail
        .map(|d| format!("<span class=\"sub\">{}</span>", escape(&d)))
        .unwrap_or_default();
    out.push_str(&format!(
        "<dt{title}>{}</dt><dd>{}{detail}</dd>\n",
        escape(label),
        escape(value)
    ));
}

/// Closes the previous group's list (if any) and opens a new one under a heading.
fn group(out: &mut String, name: &str) {
    if !out.is_empty() {
        out.push_str("</dl>\n");
    }
    out.push_str(&format!("<h3>{}</h3>\n<dl>\n", escape(name)));
}

/// One channel's tile: service levels for everyone; revenue, cost, margin
/// and leakage only for the roles that may see them (absent otherwise).
fn tile(row: &KpiRow, visible: &Visibility) -> String {
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
    let mut dl = String::new();
    group(&mut dl, "Service");
    metric(
        &mut dl,
        "line_fill_rate",
        "Line fill rate",
        &html::percent(row.float("line_fill_rate")),
        Some(format!(
            "{} of {} lines",
            count("lines_filled"),
            count("lines_shipped")
        )),
    );
    metric(
        &mut dl,
        "otif",
        "OTIF",
        &html::percent(row.float("otif")),
        Some(format!(
            "{} of {} orders due",
            count("orders_otif"),
            count("orders_due")
        )),
    );
    metric(
        &mut dl,
        "order_cycle_time",
        "Order cycle p50",
        &html::days(row.float("cycle_p50_days")),
        None,
    );
    metric(
        &mut dl,
        "order_cycle_time",
        "Order cycle p90",
        &html::days(row.float("cycle_p90_days")),
        Some(format!("over {} orders", count("orders_delivered"))),
    );
    if visible.sees(FieldClass::Revenue)
        || visible.sees(FieldClass::Cost)
        || visible.sees(FieldClass::Margin)
    {
        group(&mut dl, "Money");
    }
    if visible.sees(FieldClass::Revenue) {
        metric(&mut dl, "gross_margin", "Revenue", &amount("revenue"), None);
    }
    if visible.sees(FieldClass::Cost) {
        metric(&mut dl, "", "Cost", &amount("cost"), None);
    }
    if visible.sees(FieldClass::Margin) {
        metric(
            &mut dl,
            "gross_margin",
            "Gross margin",
            &html::percent(row.float("margin_pct")),
            Some(amount("gross_margin")),
        );
    }
    if !visible.sees(FieldClass::Leakage) {
        return format!(
            "<section class=\"tile\">\n<h2>{}</h2>\n{dl}</dl>\n</section>\n",
            escape(channel)
        );
    }
    group(&mut dl, "Margin leakage");
    metric(
        &mut dl,
        "margin_leakage",
        "Over-discount",
        &amount("leak_over_discount"),
        None,
    );
    metric(
        &mut dl,
        "margin_leakage",
        "Below price list",
        &amount("leak_below_pricelist"),
        None,
    );
    metric(
        &mut dl,
        "margin_leakage",
        "Below cost",
        &amount("leak_below_cost"),
        None,
    );
    format!(
        "<section class=\"tile\">\n<h2>{}</h2>\n{dl}</dl>\n</section>\n",
        escape(channel)
    )
}
