//! What planners decide on the suggestions: accept, edit (accept with other
//! quantities) or reject — one append-only Delta table,
//! `derived/reorder_decision`, one row per decision, never rewritten.
//!
//! ```text
//!  derived/reorder_suggestion ──► planner (page or API) ──► prepare ──► Odoo (API, when configured)
//!                                                              │
//!                                   derived/reorder_decision ◄─┘  (+ the audit trail, by crossdock-api)
//!                                              │
//!                                              └─► accepted_rules ──► Odoo import file (CSV)
//! ```
//!
//! A decision carries the suggestion it was taken on (its key and
//! `computed_at`), the rule in force then, what was suggested and what was
//! decided, who decided and when, and what Odoo answered. The latest
//! decision per suggestion key is the one in force ([`latest`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Decimal128Array, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use datafusion::prelude::SessionContext;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crossdock_odoo::{AcceptedRule, Trigger};
use crossdock_warehouse::{scope, Warehouse, WriteMode};

use crate::cols::Cols;
use crate::error::{ModelsError, Result};
use crate::suggestion::StoredSuggestion;

/// The derived table of decisions (appended to).
pub const DECISION_TABLE: &str = "reorder_decision";

/// Largest note kept with a decision, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// What a planner did with a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The suggested rule, as suggested.
    Accept,
    /// A rule with the planner's own quantities.
    Edit,
    /// No change: the rule in force stays.
    Reject,
}

impl Action {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Edit => "edit",
            Action::Reject => "reject",
        }
    }

    /// From its lowercase name.
    pub fn parse(text: &str) -> Option<Action> {
        match text {
            "accept" => Some(Action::Accept),
            "edit" => Some(Action::Edit),
            "reject" => Some(Action::Reject),
            _ => None,
        }
    }
}

/// A reorder rule's quantities, in the product's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// `product_min_qty`.
    pub min: Decimal,
    /// `product_max_qty`.
    pub max: Decimal,
    /// `qty_multiple`.
    pub multiple: Decimal,
}

impl Rule {
    /// A rule from its three quantities.
    pub fn new(min: Decimal, max: Decimal, multiple: Decimal) -> Rule {
        Rule { min, max, multiple }
    }
}

/// A decision as a planner asks for it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// The suggestion's key (`<warehouse_id>-<product_id>`).
    pub key: String,
    /// `accept`, `edit` or `reject`.
    pub action: String,
    /// The min, for `edit`.
    #[serde(default)]
    pub min: Option<Decimal>,
    /// The max, for `edit`.
    #[serde(default)]
    pub max: Option<Decimal>,
    /// The multiple, for `edit` (default: the suggested one).
    #[serde(default)]
    pub multiple: Option<Decimal>,
    /// Why, in the planner's words.
    #[serde(default)]
    pub note: Option<String>,
}

/// A decision, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// When it was taken.
    pub decided_at: DateTime<Utc>,
    /// Who took it (a crossdock user name).
    pub decided_by: String,
    /// The suggestion's key.
    pub key: String,
    /// `computed_at` of the suggestion decided on.
    pub suggestion_computed_at: DateTime<Utc>,
    /// What was done.
    pub action: Action,
    /// `res_company.id`.
    pub company_id: Option<i64>,
    /// `stock_warehouse.id`.
    pub warehouse_id: i64,
    /// `product_product.id`.
    pub product_id: i64,
    /// `stock_location.id` of the rule.
    pub location_id: Option<i64>,
    /// The rule in force then (`stock_warehouse_orderpoint.id`).
    pub orderpoint_id: Option<i64>,
    /// The rule in force then: min, max, multiple.
    pub current: Option<Rule>,
    /// The suggestion: min, max, multiple.
    pub suggested: Rule,
    /// The rule decided (None for a rejection): min, max, multiple.
    pub decided: Option<Rule>,
    /// The trigger of the rule written (`auto` unless the rule in force is `manual`).
    pub trigger: String,
    /// The planner's note.
    pub note: Option<String>,
    /// What Odoo answered: `not configured`, `created 42`, `updated 42`, or
    /// `failed: ...` (None for a rejection).
    pub odoo: Option<String>,
}

/// A decision a planner asked for that cannot be taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct Refusal {
    /// The suggestion's key.
    pub key: String,
    /// What is wrong, for people.
    pub reason: String,
}

fn refuse(key: &str, reason: impl Into<String>) -> Refusal {
    Refusal {
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// Checks a request against its suggestion and makes the decision (not yet
/// sent to Odoo nor recorded). `edit` needs `min` and `max`, `0 ≤ min ≤ max`
/// and `multiple ≥ 0`; `accept` and `reject` take no quantities. An `accept`
/// with quantities is refused rather than guessed at.
pub fn prepare(
    s: &StoredSuggestion,
    request: &DecisionRequest,
    actor: &str,
    now: DateTime<Utc>,
) -> std::result::Result<Decision, Refusal> {
    let key = &request.key;
    let action = Action::parse(request.action.trim()).ok_or_else(|| {
        refuse(
            key,
            format!(
                "action {:?} is not one of accept, edit, reject",
                request.action
            ),
        )
    })?;
    let suggested = Rule::new(
        s.suggested_min_qty,
        s.suggested_max_qty,
        s.suggested_qty_multiple,
    );
    let has_quantities =
        request.min.is_some() || request.max.is_some() || request.multiple.is_some();
    let decided = match action {
        Action::Accept | Action::Reject if has_quantities => {
            return Err(refuse(
                key,
                format!(
                    "{} takes no quantities; to change them, use edit",
                    action.as_str()
                ),
            ))
        }
        Action::Accept => Some(suggested),
        Action::Reject => None,
        Action::Edit => {
            let (Some(min), Some(max)) = (request.min, request.max) else {
                return Err(refuse(key, "edit needs both min and max"));
            };
            let multiple = request.multiple.unwrap_or(s.suggested_qty_multiple);
            if min < Decimal::ZERO {
                return Err(refuse(key, format!("min {min} is negative")));
            }
            if max < min {
                return Err(refuse(key, format!("max {max} is below min {min}")));
            }
            if multiple < Decimal::ZERO {
                return Err(refuse(key, format!("multiple {multiple} is negative")));
            }
            let limit = Decimal::new(1_000_000_000, 0);
            if max > limit {
                return Err(refuse(key, format!("max {max} is above {limit}")));
            }
            Some(Rule::new(
                min.normalize(),
                max.normalize(),
                multiple.normalize(),
            ))
        }
    };
    if decided.is_some() && s.location_id.is_none() {
        return Err(refuse(
            key,
            "the warehouse's stock location is unknown (stock_warehouse.lot_stock_id): no rule can be written",
        ));
    }
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if let Some(n) = note {
        if n.chars().count() > MAX_NOTE_CHARS {
            return Err(refuse(
                key,
                format!("the note is longer than {MAX_NOTE_CHARS} characters"),
            ));
        }
    }
    let current = match (s.current_min_qty, s.current_max_qty, s.current_qty_multiple) {
        (Some(a), Some(b), Some(c)) => Some(Rule::new(a, b, c)),
        _ => None,
    };
    Ok(Decision {
        decided_at: now,
        decided_by: actor.to_string(),
        key: s.key.clone(),
        suggestion_computed_at: s.computed_at,
        action,
        company_id: s.company_id,
        warehouse_id: s.warehouse_id,
        product_id: s.product_id,
        location_id: s.location_id,
        orderpoint_id: s.orderpoint_id,
        current,
        suggested,
        decided,
        trigger: match s.trigger.as_deref() {
            Some("manual") => "manual".into(),
            _ => "auto".into(),
        },
        note: note.map(str::to_string),
        odoo: None,
    })
}

impl Decision {
    /// The rule to write to Odoo (None for a rejection, or without a
    /// company or location).
    pub fn accepted_rule(&self) -> Option<AcceptedRule> {
        let Rule { min, max, multiple } = self.decided?;
        Some(AcceptedRule {
            company_id: self.company_id?,
            warehouse_id: self.warehouse_id,
            location_id: self.location_id?,
            product_id: self.product_id,
            product_min_qty: min,
            product_max_qty: max,
            qty_multiple: multiple,
            trigger: Trigger::from_odoo(&self.trigger).unwrap_or(Trigger::Auto),
            orderpoint_id: self.orderpoint_id,
            external_id: None,
        })
    }

    /// The decision as JSON for the audit trail's before / after.
    pub fn audit_before(&self) -> serde_json::Value {
        serde_json::json!({
            "orderpoint_id": self.orderpoint_id,
            "rule": self.current,
            "suggested": self.suggested,
        })
    }

    /// What the decision set, for the audit trail.
    pub fn audit_after(&self) -> serde_json::Value {
        serde_json::json!({
            "action": self.action,
            "rule": self.decided,
            "note": self.note,
            "odoo": self.odoo,
        })
    }
}

/// The schema of `derived/reorder_decision`.
pub fn decision_schema() -> SchemaRef {
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let dec = || DataType::Decimal128(38, 4);
    let f = |n: &str, t: DataType, null: bool| Field::new(n, t, null);
    Arc::new(Schema::new(vec![
        f("decided_at", ts(), false),
        f("decided_by", DataType::Utf8, false),
        f("suggestion_key", DataType::Utf8, false),
        f("suggestion_computed_at", ts(), false),
        f("action", DataType::Utf8, false),
        f("company_id", DataType::Int64, true),
        f("warehouse_id", DataType::Int64, false),
        f("product_id", DataType::Int64, false),
        f("location_id", DataType::Int64, true),
        f("orderpoint_id", DataType::Int64, true),
        f("current_min_qty", dec(), true),
        f("current_max_qty", dec(), true),
        f("current_qty_multiple", dec(), true),
        f("suggested_min_qty", dec(), false),
        f("suggested_max_qty", dec(), false),
        f("suggested_qty_multiple", dec(), false),
        f("min_qty", dec(), true),
        f("max_qty", dec(), true),
        f("qty_multiple", dec(), true),
        f("trigger", DataType::Utf8, false),
        f("note", DataType::Utf8, true),
        f("odoo", DataType::Utf8, true),
    ]))
}

fn dec4(values: impl Iterator<Item = Option<Decimal>>) -> Result<ArrayRef> {
    let v: Vec<Option<i128>> = values
        .map(|d| {
            d.map(|d| {
                let mut d = d.round_dp(4);
                d.rescale(4);
                d.mantissa()
            })
        })
        .collect();
    Ok(Arc::new(
        Decimal128Array::from(v).with_precision_and_scale(38, 4)?,
    ))
}

fn batch(decisions: &[Decision]) -> Result<RecordBatch> {
    let d = decisions;
    let ts = |f: &dyn Fn(&Decision) -> DateTime<Utc>| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from(
                d.iter()
                    .map(|x| f(x).timestamp_micros())
                    .collect::<Vec<_>>(),
            )
            .with_timezone("UTC"),
        )
    };
    let strs = |f: &dyn Fn(&Decision) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(d.iter().map(f).collect::<Vec<_>>()))
    };
    let ints = |f: &dyn Fn(&Decision) -> Option<i64>| -> ArrayRef {
        Arc::new(Int64Array::from(d.iter().map(f).collect::<Vec<_>>()))
    };
    let part = |f: &dyn Fn(&Decision) -> Option<Rule>, k: usize| {
        dec4(d.iter().map(|x| {
            f(x).map(|r| match k {
                0 => r.min,
                1 => r.max,
                _ => r.multiple,
            })
        }))
    };
    let columns = vec![
        ts(&|x| x.decided_at),
        strs(&|x| Some(x.decided_by.clone())),
        strs(&|x| Some(x.key.clone())),
        ts(&|x| x.suggestion_computed_at),
        strs(&|x| Some(x.action.as_str().to_string())),
        ints(&|x| x.company_id),
        ints(&|x| Some(x.warehouse_id)),
        ints(&|x| Some(x.product_id)),
        ints(&|x| x.location_id),
        ints(&|x| x.orderpoint_id),
        part(&|x| x.current, 0)?,
        part(&|x| x.current, 1)?,
        part(&|x| x.current, 2)?,
        part(&|x| Some(x.suggested), 0)?,
        part(&|x| Some(x.suggested), 1)?,
        part(&|x| Some(x.suggested), 2)?,
        part(&|x| x.decided, 0)?,
        part(&|x| x.decided, 1)?,
        part(&|x| x.decided, 2)?,
        strs(&|x| Some(x.trigger.clone())),
        strs(&|x| x.note.clone()),
        strs(&|x| x.odoo.clone()),
    ];
    Ok(RecordBatch::try_new(decision_schema(), columns)?)
}

/// Appends decisions to `derived/reorder_decision` in one commit (all or
/// none); returns the table's new version.
pub async fn record(warehouse: &Warehouse, decisions: &[Decision]) -> Result<i64> {
    Ok(warehouse
        .write_derived(
            DECISION_TABLE,
            decision_schema(),
            vec![batch(decisions)?],
            WriteMode::Append,
        )
        .await?)
}

/// Every decision within the companies (None: all), newest first.
pub async fn list(
    warehouse: &Warehouse,
    companies: Option<&BTreeSet<i64>>,
) -> Result<Vec<Decision>> {
    let ctx = SessionContext::new();
    warehouse
        .register_derived(&ctx, DECISION_TABLE, decision_schema())
        .await?;
    let frame = ctx
        .table(DECISION_TABLE)
        .await
        .map_err(|e| ModelsError::query("reorder_decision", e))?;
    let batches = scope::scoped(frame, companies, DECISION_TABLE)?
        .collect()
        .await
        .map_err(|e| ModelsError::query("reorder_decision", e))?;
    let mut out = Vec::new();
    for b in &batches {
        let c = Cols::new(b, "reorder_decision")?;
        for r in 0..b.num_rows() {
            out.push(read_row(&c, r)?);
        }
    }
    out.sort_by_key(|d| std::cmp::Reverse(d.decided_at));
    Ok(out)
}

/// The decision in force per suggestion key: the latest one.
pub async fn latest(
    warehouse: &Warehouse,
    companies: Option<&BTreeSet<i64>>,
) -> Result<BTreeMap<String, Decision>> {
    let mut out = BTreeMap::new();
    for d in list(warehouse, companies).await? {
        out.entry(d.key.clone()).or_insert(d);
    }
    Ok(out)
}

/// The rules accepted (or edited) and not rejected since, within the
/// companies, ordered by key: what the Odoo import file holds.
pub async fn accepted_rules(
    warehouse: &Warehouse,
    companies: Option<&BTreeSet<i64>>,
) -> Result<Vec<AcceptedRule>> {
    Ok(latest(warehouse, companies)
        .await?
        .values()
        .filter_map(Decision::accepted_rule)
        .collect())
}

fn read_row(c: &Cols<'_>, r: usize) -> Result<Decision> {
    let need_ts = |name: &str| {
        c.timestamp(name, r)?
            .ok_or_else(|| c.bad(name, format!("null in row {r}")))
    };
    let need_str = |name: &str| {
        c.string(name, r)?
            .ok_or_else(|| c.bad(name, format!("null in row {r}")))
    };
    let rule = |prefix: [&str; 3]| -> Result<Option<Rule>> {
        Ok(
            match (
                c.decimal(prefix[0], r)?,
                c.decimal(prefix[1], r)?,
                c.decimal(prefix[2], r)?,
            ) {
                (Some(a), Some(b), Some(m)) => {
                    Some(Rule::new(a.normalize(), b.normalize(), m.normalize()))
                }
                _ => None,
            },
        )
    };
    let action_text = need_str("action")?;
    let action = Action::parse(&action_text)
        .ok_or_else(|| c.bad("action", format!("row {r}: unknown action {action_text:?}")))?;
    Ok(Decision {
        decided_at: need_ts("decided_at")?,
        decided_by: need_str("decided_by")?,
        key: need_str("suggestion_key")?,
        suggestion_computed_at: need_ts("suggestion_computed_at")?,
        action,
        company_id: c.opt_i64("company_id", r)?,
        warehouse_id: c.i64("warehouse_id", r)?,
        product_id: c.i64("product_id", r)?,
        location_id: c.opt_i64("location_id", r)?,
        orderpoint_id: c.opt_i64("orderpoint_id", r)?,
        current: rule(["current_min_qty", "current_max_qty", "current_qty_multiple"])?,
        suggested: rule([
            "suggested_min_qty",
            "suggested_max_qty",
            "suggested_qty_multiple",
        ])?
        .ok_or_else(|| c.bad("suggested_min_qty", format!("null in row {r}")))?,
        decided: rule(["min_qty", "max_qty", "qty_multiple"])?,
        trigger: need_str("trigger")?,
        note: c.string("note", r)?,
        odoo: c.string("odoo", r)?,
    })
}

/// The rules in force in the warehouse's copy of Odoo (active
/// `stock_warehouse_orderpoint` rows), as rules with their orderpoint ids:
/// what an Odoo stand-in is seeded with to play the Odoo the warehouse was
/// captured from.
pub async fn rules_in_force(warehouse: &Warehouse) -> Result<Vec<AcceptedRule>> {
    let sql = "SELECT id, company_id, warehouse_id, location_id, product_id, trigger, \
               product_min_qty, product_max_qty, qty_multiple \
               FROM stock_warehouse_orderpoint WHERE coalesce(active, true) ORDER BY id";
    let batches = warehouse.sql(sql).await?;
    let mut out = Vec::new();
    for b in &batches {
        let c = Cols::new(b, "stock_warehouse_orderpoint")?;
        for r in 0..b.num_rows() {
            let qty = |name: &str| {
                c.decimal(name, r)?
                    .ok_or_else(|| c.bad(name, format!("null in row {r}")))
            };
            out.push(AcceptedRule {
                company_id: c.i64("company_id", r)?,
                warehouse_id: c.i64("warehouse_id", r)?,
                location_id: c.i64("location_id", r)?,
                product_id: c.i64("product_id", r)?,
                product_min_qty: qty("product_min_qty")?,
                product_max_qty: qty("product_max_qty")?,
                qty_multiple: qty("qty_multiple")?,
                trigger: c
                    .string("trigger", r)?
                    .as_deref()
                    .and_then(Trigger::from_odoo)
                    .unwrap_or(Trigger::Auto),
                orderpoint_id: Some(c.i64("id", r)?),
                external_id: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(n: i64) -> Decimal {
        Decimal::new(n, 0)
    }

    pub(crate) fn suggestion() -> StoredSuggestion {
        StoredSuggestion {
            key: "5-100".into(),
            computed_at: DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
            as_of: NaiveDate::from_ymd_opt(2026, 1, 19).unwrap(),
            company_id: Some(1),
            warehouse_id: 5,
            warehouse: "Main".into(),
            product_id: 100,
            product: "Bolt".into(),
            default_code: Some("B-1".into()),
            location_id: Some(50),
            trigger: Some("manual".into()),
            demand_class: "smooth".into(),
            abc: "A".into(),
            abc_value: "B".into(),
            method: "ses".into(),
            demand_per_week: 10.0,
            service_level: 0.98,
            lead_time_days: 7.0,
            lead_time_p90_days: Some(7.0),
            promised_lead_time_days: Some(3.0),
            receipts_observed: 2,
            vendor_on_time: Some(0.5),
            vendor_id: Some(900),
            vendor: Some("Acme".into()),
            orderpoint_id: Some(7),
            current_min_qty: Some(d(4)),
            current_max_qty: Some(d(20)),
            current_qty_multiple: Some(d(5)),
            suggested_min_qty: d(15),
            suggested_max_qty: d(30),
            suggested_qty_multiple: d(5),
            min_change_percent: Some(275.0),
            stockout_risk_before: Some(0.4),
            stockout_risk_after: 0.02,
            stock_value_before: Some(d(10)),
            stock_value_after: d(30),
            unit_cost: d(2),
            on_hand: 12.0,
            reserved: 3.0,
            incoming: 4.0,
            backorder_qty: 4.0,
            late_deliveries_28d: 2,
            days_of_cover: Some(6.3),
            reason: "because".into(),
            exceptions: Vec::new(),
        }
    }

    fn request(action: &str) -> DecisionRequest {
        DecisionRequest {
            key: "5-100".into(),
            action: action.into(),
            ..Default::default()
        }
    }

    #[test]
    fn accept_takes_the_suggestion_and_keeps_the_trigger() {
        let s = suggestion();
        let now = Utc::now();
        let a = prepare(&s, &request("accept"), "ana", now).unwrap();
        assert_eq!(a.decided, Some(Rule::new(d(15), d(30), d(5))));
        assert_eq!(a.current, Some(Rule::new(d(4), d(20), d(5))));
        assert_eq!(a.trigger, "manual");
        let rule = a.accepted_rule().unwrap();
        assert_eq!(
            (rule.orderpoint_id, rule.location_id, rule.company_id),
            (Some(7), 50, 1)
        );
        assert_eq!(rule.trigger, Trigger::Manual);
        let r = prepare(&s, &request("reject"), "ana", now).unwrap();
        assert!(r.decided.is_none() && r.accepted_rule().is_none());
    }

    #[test]
    fn edits_are_checked_and_nothing_is_guessed() {
        let s = suggestion();
        let now = Utc::now();
        let edit = |min: Option<i64>, max: Option<i64>, multiple: Option<i64>| DecisionRequest {
            min: min.map(d),
            max: max.map(d),
            multiple: multiple.map(d),
            ..request("edit")
        };
        let ok = prepare(&s, &edit(Some(6), Some(9), None), "ana", now).unwrap();
        assert_eq!(
            ok.decided,
            Some(Rule::new(d(6), d(9), d(5))),
            "multiple defaults to the suggested one"
        );
        for (req, says) in [
            (edit(Some(6), None, None), "needs both min and max"),
            (edit(Some(9), Some(6), None), "max 6 is below min 9"),
            (edit(Some(-1), Some(6), None), "min -1 is negative"),
            (edit(Some(1), Some(6), Some(-2)), "multiple -2 is negative"),
            (
                DecisionRequest {
                    min: Some(d(3)),
                    ..request("accept")
                },
                "takes no quantities",
            ),
            (request("approve"), "not one of accept, edit, reject"),
            (
                DecisionRequest {
                    note: Some("x".repeat(501)),
                    ..request("reject")
                },
                "longer than 500",
            ),
        ] {
            let e = prepare(&s, &req, "ana", now).unwrap_err();
            assert!(e.reason.contains(says), "{req:?}: {e}");
            assert_eq!(e.key, "5-100");
        }
        let mut no_location = suggestion();
        no_location.location_id = None;
        assert!(prepare(&no_location, &request("accept"), "ana", now).is_err());
        assert!(prepare(&no_location, &request("reject"), "ana", now).is_ok());
    }

    #[test]
    fn a_decision_survives_its_table() {
        let s = suggestion();
        let a = prepare(
            &s,
            &DecisionRequest {
                note: Some("  tight shelf ".into()),
                ..request("accept")
            },
            "ana",
            DateTime::from_timestamp(1_767_312_000, 0).unwrap(),
        )
        .unwrap();
        let b = batch(std::slice::from_ref(&a)).unwrap();
        let c = Cols::new(&b, "reorder_decision").unwrap();
        let back = read_row(&c, 0).unwrap();
        assert_eq!(back, a);
        assert_eq!(back.note.as_deref(), Some("tight shelf"));
    }
}
