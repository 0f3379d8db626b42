//! What customer service does with the classified inbox beyond correcting
//! it: marking messages done (or open again) — `derived/triage_status`,
//! append-only, the latest row per message in force — and the state of the
//! Odoo documents a message refers to, read from the warehouse for the
//! inbox page ([`linked_records`]: an order's state and delivery (or
//! receipt), a transfer's state and date, an invoice's payment and amount
//! due).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use datafusion::prelude::SessionContext;
use serde::Serialize;

use crossdock_warehouse::{scope, Warehouse, WriteMode};

use crate::cols::Cols;
use crate::error::{ModelsError, Result};

/// The derived table of done / reopened marks (appended to).
pub const STATUS_TABLE: &str = "triage_status";

/// A message marked done, or open again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusMark {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (a crossdock user name).
    pub by: String,
    /// The message's id (`derived/triage_message.id`).
    pub message_id: String,
    /// The message's company.
    pub company_id: Option<i64>,
    /// Done (true) or open again (false).
    pub done: bool,
}

/// The schema of `derived/triage_status`.
pub fn status_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(
            "at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("by", DataType::Utf8, false),
        Field::new("message_id", DataType::Utf8, false),
        Field::new("company_id", DataType::Int64, true),
        Field::new("done", DataType::Boolean, false),
    ]))
}

/// Appends marks in one commit (all or none).
pub async fn record_status(warehouse: &Warehouse, marks: &[StatusMark]) -> Result<i64> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            TimestampMicrosecondArray::from(
                marks
                    .iter()
                    .map(|m| m.at.timestamp_micros())
                    .collect::<Vec<_>>(),
            )
            .with_timezone("UTC"),
        ),
        Arc::new(StringArray::from(
            marks.iter().map(|m| m.by.clone()).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            marks
                .iter()
                .map(|m| m.message_id.clone())
                .collect::<Vec<_>>(),
        )),
        Arc::new(Int64Array::from(
            marks.iter().map(|m| m.company_id).collect::<Vec<_>>(),
        )),
        Arc::new(BooleanArray::from(
            marks.iter().map(|m| m.done).collect::<Vec<_>>(),
        )),
    ];
    let batch = RecordBatch::try_new(status_schema(), columns)?;
    Ok(warehouse
        .write_derived(
            STATUS_TABLE,
            status_schema(),
            vec![batch],
            WriteMode::Append,
        )
        .await?)
}

/// The mark in force per message id (the latest), within the companies.
pub async fn latest_status(
    warehouse: &Warehouse,
    companies: Option<&BTreeSet<i64>>,
) -> Result<BTreeMap<String, StatusMark>> {
    let ctx = SessionContext::new();
    warehouse
        .register_derived(&ctx, STATUS_TABLE, status_schema())
        .await?;
    let frame = ctx
        .table(STATUS_TABLE)
        .await
        .map_err(|e| ModelsError::query(STATUS_TABLE, e))?;
    let batches = scope::scoped(frame, companies, STATUS_TABLE)?
        .collect()
        .await
        .map_err(|e| ModelsError::query(STATUS_TABLE, e))?;
    let mut all = Vec::new();
    for b in &batches {
        let c = Cols::new(b, STATUS_TABLE)?;
        for r in 0..b.num_rows() {
            let need = |name: &str| {
                c.string(name, r)?
                    .ok_or_else(|| c.bad(name, format!("null in row {r}")))
            };
            all.push(StatusMark {
                at: c
                    .timestamp("at", r)?
                    .ok_or_else(|| c.bad("at", format!("null in row {r}")))?,
                by: need("by")?,
                message_id: need("message_id")?,
                company_id: c.opt_i64("company_id", r)?,
                done: c.bool("done", r)?,
            });
        }
    }
    all.sort_by_key(|m| m.at);
    Ok(all.into_iter().map(|m| (m.message_id.clone(), m)).collect())
}

fn quoted(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("'{}'", n.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The state, in a few words, of each Odoo document named in `names`
/// (sale and purchase orders, transfers, invoices and bills; by `name`) within the
/// companies: `confirmed · delivery partial · to invoice`, `ready ·
/// scheduled 2026-03-02`, `posted · not paid · 1234.50 due`. Names the
/// warehouse does not hold are absent.
pub async fn linked_records(
    warehouse: &Warehouse,
    companies: Option<&BTreeSet<i64>>,
    names: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let names: Vec<&String> = names.iter().filter(|n| !n.is_empty()).collect();
    if names.is_empty() {
        return Ok(out);
    }
    let list = quoted(&names);
    let scope = match companies {
        None => "TRUE".to_string(),
        Some(c) if c.is_empty() => "FALSE".to_string(),
        Some(c) => format!(
            "company_id IN ({})",
            c.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        ),
    };
    let queries = [
        (
            "sale_order",
            format!(
                "SELECT name, state, delivery_status AS a, invoice_status AS b, NULL AS c \
                 FROM sale_order WHERE name IN ({list}) AND {scope}"
            ),
        ),
        (
            "purchase_order",
            format!(
                "SELECT name, state, receipt_status AS a, invoice_status AS b, NULL AS c \
                 FROM purchase_order WHERE name IN ({list}) AND {scope}"
            ),
        ),
        (
            "stock_picking",
            format!(
                "SELECT name, state, CAST(CAST(scheduled_date AS DATE) AS VARCHAR) AS a, \
                        CAST(CAST(date_done AS DATE) AS VARCHAR) AS b, NULL AS c \
                 FROM stock_picking WHERE name IN ({list}) AND {scope}"
            ),
        ),
        (
            "account_move",
            format!(
                "SELECT name, state, payment_state AS a, CAST(amount_residual AS VARCHAR) AS b, \
                        move_type AS c \
                 FROM account_move WHERE name IN ({list}) AND {scope}"
            ),
        ),
    ];
    for (table, sql) in queries {
        for b in warehouse.sql(&sql).await? {
            let c = Cols::new(&b, table)?;
            for r in 0..b.num_rows() {
                let get = |n: &str| c.string(n, r).ok().flatten().unwrap_or_default();
                let (name, state, a, bb) = (get("name"), get("state"), get("a"), get("b"));
                let text = match table {
                    "sale_order" => {
                        let state = match state.as_str() {
                            "sale" => "confirmed",
                            "draft" | "sent" => "quotation",
                            "cancel" => "cancelled",
                            s => s,
                        };
                        let mut t = state.to_string();
                        if !a.is_empty() {
                            t.push_str(&format!(" · delivery {a}"));
                        }
                        if !bb.is_empty() && bb != "no" {
                            t.push_str(&format!(" · {bb}"));
                        }
                        t
                    }
                    "purchase_order" => {
                        let state = match state.as_str() {
                            "purchase" | "done" => "confirmed",
                            "draft" | "sent" | "to approve" => "request for quotation",
                            "cancel" => "cancelled",
                            s => s,
                        };
                        let mut t = state.to_string();
                        if !a.is_empty() {
                            t.push_str(&format!(" · receipt {a}"));
                        }
                        if !bb.is_empty() && bb != "no" {
                            t.push_str(&format!(" · {bb}"));
                        }
                        t
                    }
                    "stock_picking" => match state.as_str() {
                        "done" => format!("done {bb}").trim().to_string(),
                        "cancel" => "cancelled".into(),
                        "assigned" => format!("ready · scheduled {a}"),
                        s => format!("{s} · scheduled {a}"),
                    },
                    _ => {
                        let due = bb.parse::<rust_decimal::Decimal>().ok();
                        match (state.as_str(), due) {
                            ("posted", Some(d)) if !d.is_zero() => {
                                format!("posted · {} · {} due", a.replace('_', " "), d.round_dp(2))
                            }
                            ("posted", _) => format!("posted · {}", a.replace('_', " ")),
                            (s, _) => s.to_string(),
                        }
                    }
                };
                out.insert(name, text);
            }
        }
    }
    Ok(out)
}
