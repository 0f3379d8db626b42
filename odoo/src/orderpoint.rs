//! Reorder rules (`stock.warehouse.orderpoint`): the accepted rule, its natural
//! key, the upsert, and exact quantities on the wire.
//!
//! **Natural key.** Odoo 17 allows one rule per product, location and company:
//! `_sql_constraints` `product_location_check`, `unique (product_id, location_id,
//! company_id)` — "A replenishment rule already exists for this product on this
//! location." (`addons/stock/models/stock_orderpoint.py`, 17.0). Archived rules
//! (`active = false`) count too, so every look-up by key includes them
//! (`context.active_test = false`), and an archived match is reactivated.
//!
//! **Upsert** ([`OdooClient::upsert_orderpoint`]):
//! 1. a rule that names its orderpoint id is written by id (absolute values:
//!    `product_min_qty`, `product_max_qty`, `qty_multiple`, `trigger`); if Odoo says
//!    the record is gone (`MissingError`), go on with 2;
//! 2. otherwise search the natural key: one match is written (with `active = true`),
//!    none is created with [`OdooClient::create_unique`], so a create whose answer was
//!    lost is looked up, never repeated.
//!
//! The key fields (product, location, company) are never written on an existing
//! rule: Odoo 17 forbids changing `company_id` (`write` raises a `UserError`).
//!
//! **Quantities** are [`Decimal`]s. Odoo's `Float` fields arrive in Python as
//! floats, so they travel as JSON numbers; [`decimal_to_json`] refuses a quantity
//! whose JSON number would not read back as the same decimal (more than ~15
//! significant digits), instead of rounding it silently.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::client::{Domain, OdooClient, Record, SearchOptions, Values};
use crate::error::{Call, OdooError, Result};

/// Odoo's model of reorder rules.
pub const ORDERPOINT_MODEL: &str = "stock.warehouse.orderpoint";

/// The fields [`OdooClient::read_orderpoints`] reads.
pub const ORDERPOINT_FIELDS: [&str; 11] = [
    "name",
    "active",
    "trigger",
    "company_id",
    "warehouse_id",
    "location_id",
    "product_id",
    "product_min_qty",
    "product_max_qty",
    "qty_multiple",
    "id",
];

/// `stock.warehouse.orderpoint.trigger`: who acts on the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `auto`: the scheduler orders by itself.
    Auto,
    /// `manual`: the rule only feeds the replenishment report.
    Manual,
}

impl Trigger {
    /// Odoo's selection value.
    pub fn as_odoo(self) -> &'static str {
        match self {
            Trigger::Auto => "auto",
            Trigger::Manual => "manual",
        }
    }

    /// From Odoo's selection value.
    pub fn from_odoo(value: &str) -> Option<Self> {
        match value {
            "auto" => Some(Trigger::Auto),
            "manual" => Some(Trigger::Manual),
            _ => None,
        }
    }
}

/// A reorder rule a planner accepted, to be written to Odoo (database ids of
/// Odoo's records; quantities in the product's unit of measure).
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedRule {
    /// `res.company` id.
    pub company_id: i64,
    /// `stock.warehouse` id.
    pub warehouse_id: i64,
    /// `stock.location` id (the warehouse's stock location, usually).
    pub location_id: i64,
    /// `product.product` id.
    pub product_id: i64,
    /// Reorder point: order when the forecast falls below it.
    pub product_min_qty: Decimal,
    /// Order up to this quantity.
    pub product_max_qty: Decimal,
    /// Order quantities are rounded up to a multiple of this (0 = exact).
    pub qty_multiple: Decimal,
    /// `auto` or `manual`.
    pub trigger: Trigger,
    /// The existing orderpoint's id, when the rule changes one.
    pub orderpoint_id: Option<i64>,
    /// The existing orderpoint's external id (`module.name`), when known; only the
    /// import file uses it (see [`crate::import_file`]).
    pub external_id: Option<String>,
}

impl AcceptedRule {
    /// The natural key as a domain: `product_id`, `location_id`, `company_id`.
    pub fn natural_key(&self) -> Domain {
        Domain::new()
            .eq("product_id", self.product_id)
            .eq("location_id", self.location_id)
            .eq("company_id", self.company_id)
    }

    /// Refuse what Odoo would refuse: a negative `qty_multiple` (Odoo's
    /// `qty_multiple_check`, `CHECK( qty_multiple >= 0 )`), non-positive ids.
    pub fn validate(&self) -> Result<()> {
        let bad = |detail: String| OdooError::InvalidRule {
            product_id: self.product_id,
            location_id: self.location_id,
            detail,
        };
        for (name, id) in [
            ("company_id", self.company_id),
            ("warehouse_id", self.warehouse_id),
            ("location_id", self.location_id),
            ("product_id", self.product_id),
        ] {
            if id <= 0 {
                return Err(bad(format!("{name} {id} is not a database id")));
            }
        }
        if self.qty_multiple < Decimal::ZERO {
            return Err(bad(format!(
                "qty_multiple {} is negative (Odoo: qty_multiple >= 0)",
                self.qty_multiple
            )));
        }
        Ok(())
    }

    /// The values written on an existing rule.
    fn update_values(&self) -> Result<Values> {
        let mut vals = Values::new();
        for (name, qty) in [
            ("product_min_qty", self.product_min_qty),
            ("product_max_qty", self.product_max_qty),
            ("qty_multiple", self.qty_multiple),
        ] {
            let number = decimal_to_json(qty).ok_or_else(|| OdooError::InvalidRule {
                product_id: self.product_id,
                location_id: self.location_id,
                detail: format!("{name} {qty} has no exact JSON number"),
            })?;
            vals.insert(name.into(), number);
        }
        vals.insert("trigger".into(), json!(self.trigger.as_odoo()));
        Ok(vals)
    }

    /// The values of a new rule.
    fn create_values(&self) -> Result<Values> {
        let mut vals = self.update_values()?;
        vals.insert("company_id".into(), json!(self.company_id));
        vals.insert("warehouse_id".into(), json!(self.warehouse_id));
        vals.insert("location_id".into(), json!(self.location_id));
        vals.insert("product_id".into(), json!(self.product_id));
        Ok(vals)
    }
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertAction {
    /// A new orderpoint was created.
    Created,
    /// An existing orderpoint was written.
    Updated,
    /// An archived orderpoint with the same key was written and reactivated.
    Reactivated,
}

/// The result of [`OdooClient::upsert_orderpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpsertOutcome {
    /// The orderpoint's id in Odoo.
    pub id: i64,
    /// What was done.
    pub action: UpsertAction,
}

/// An orderpoint as read back from Odoo.
#[derive(Debug, Clone, PartialEq)]
pub struct Orderpoint {
    /// Database id.
    pub id: i64,
    /// `OP/00012`.
    pub name: String,
    /// False when archived.
    pub active: bool,
    /// `auto` / `manual`.
    pub trigger: Trigger,
    /// `res.company` id.
    pub company_id: i64,
    /// `stock.warehouse` id.
    pub warehouse_id: i64,
    /// `stock.location` id.
    pub location_id: i64,
    /// `product.product` id.
    pub product_id: i64,
    /// Min.
    pub product_min_qty: Decimal,
    /// Max.
    pub product_max_qty: Decimal,
    /// Multiple.
    pub qty_multiple: Decimal,
}

impl Orderpoint {
    /// Read one record of [`ORDERPOINT_FIELDS`] (many2one fields as `[id, name]`).
    pub fn from_record(record: &Record) -> Result<Self> {
        let call = Call::new(ORDERPOINT_MODEL, "read");
        let bad = |field: &str| OdooError::UnexpectedResponse {
            call: call.clone(),
            detail: format!(
                "field {field} of orderpoint {:?} is missing or of the wrong type",
                record.get("id")
            ),
        };
        let int = |field: &str| {
            record
                .get(field)
                .and_then(Value::as_i64)
                .ok_or_else(|| bad(field))
        };
        let many2one = |field: &str| match record.get(field) {
            Some(Value::Array(pair)) => pair
                .first()
                .and_then(Value::as_i64)
                .ok_or_else(|| bad(field)),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| bad(field)),
            _ => Err(bad(field)),
        };
        let qty = |field: &str| {
            record
                .get(field)
                .and_then(json_to_decimal)
                .ok_or_else(|| bad(field))
        };
        Ok(Orderpoint {
            id: int("id")?,
            name: record
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("name"))?
                .to_string(),
            active: record
                .get("active")
                .and_then(Value::as_bool)
                .ok_or_else(|| bad("active"))?,
            trigger: record
                .get("trigger")
                .and_then(Value::as_str)
                .and_then(Trigger::from_odoo)
                .ok_or_else(|| bad("trigger"))?,
            company_id: many2one("company_id")?,
            warehouse_id: many2one("warehouse_id")?,
            location_id: many2one("location_id")?,
            product_id: many2one("product_id")?,
            product_min_qty: qty("product_min_qty")?,
            product_max_qty: qty("product_max_qty")?,
            qty_multiple: qty("qty_multiple")?,
        })
    }
}

impl OdooClient {
    /// Write an accepted rule to Odoo: update the existing orderpoint or create one,
    /// never two (see the module documentation).
    pub async fn upsert_orderpoint(&self, rule: &AcceptedRule) -> Result<UpsertOutcome> {
        rule.validate()?;
        let update = rule.update_values()?;
        if let Some(id) = rule.orderpoint_id {
            match self.write(ORDERPOINT_MODEL, &[id], &update).await {
                Ok(()) => {
                    return Ok(UpsertOutcome {
                        id,
                        action: UpsertAction::Updated,
                    })
                }
                Err(OdooError::MissingError { .. }) => {
                    tracing::warn!(
                        orderpoint_id = id,
                        "orderpoint gone from Odoo; looking its key up"
                    );
                }
                Err(e) => return Err(e),
            }
        }
        let key = rule.natural_key();
        let found = self
            .search_read(
                ORDERPOINT_MODEL,
                &key,
                &["id", "active"],
                &SearchOptions {
                    include_archived: true,
                    ..SearchOptions::default()
                },
            )
            .await?;
        match found.as_slice() {
            [] => {
                let created = self
                    .create_unique(ORDERPOINT_MODEL, &key, &rule.create_values()?)
                    .await?;
                if created.found_after_lost_answer {
                    // Whoever made it, make sure it holds the accepted values.
                    let mut vals = update.clone();
                    vals.insert("active".into(), json!(true));
                    self.write(ORDERPOINT_MODEL, &[created.id], &vals).await?;
                }
                Ok(UpsertOutcome {
                    id: created.id,
                    action: UpsertAction::Created,
                })
            }
            [record] => {
                let id = record.get("id").and_then(Value::as_i64).ok_or_else(|| {
                    OdooError::UnexpectedResponse {
                        call: Call::new(ORDERPOINT_MODEL, "search_read"),
                        detail: "a record without an id".into(),
                    }
                })?;
                let archived = record.get("active") == Some(&Value::Bool(false));
                let mut vals = update;
                if archived {
                    vals.insert("active".into(), json!(true));
                }
                self.write(ORDERPOINT_MODEL, &[id], &vals).await?;
                Ok(UpsertOutcome {
                    id,
                    action: if archived {
                        UpsertAction::Reactivated
                    } else {
                        UpsertAction::Updated
                    },
                })
            }
            many => Err(OdooError::DuplicateNaturalKey {
                model: ORDERPOINT_MODEL.into(),
                key: key.to_string(),
                count: many.len(),
                ids: many
                    .iter()
                    .filter_map(|r| r.get("id").and_then(Value::as_i64))
                    .collect(),
            }),
        }
    }

    /// Read orderpoints by id, typed.
    pub async fn read_orderpoints(&self, ids: &[i64]) -> Result<Vec<Orderpoint>> {
        self.read(ORDERPOINT_MODEL, ids, &ORDERPOINT_FIELDS)
            .await?
            .iter()
            .map(Orderpoint::from_record)
            .collect()
    }
}

/// A decimal as the JSON number Odoo reads, if that number reads back as the same
/// decimal (`12.5` → `12.5`; a value with more significant digits than a float
/// holds → `None`).
pub fn decimal_to_json(value: Decimal) -> Option<Value> {
    let text = value.normalize().to_string();
    let float = f64::from_str(&text).ok()?;
    let number = serde_json::Number::from_f64(float)?;
    let back = json_to_decimal(&Value::Number(number.clone()))?;
    (back == value.normalize()).then_some(Value::Number(number))
}

/// A JSON number (as Odoo writes floats) as a decimal: `12.5` → 12.5, `1e-7` too.
pub fn json_to_decimal(value: &Value) -> Option<Decimal> {
    let Value::Number(n) = value else { return None };
    let text = n.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
        .map(|d| d.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn quantities_travel_as_exact_json_numbers() {
        assert_eq!(decimal_to_json(d("12.50")).unwrap().to_string(), "12.5");
        assert_eq!(decimal_to_json(d("40")).unwrap().to_string(), "40.0");
        assert_eq!(decimal_to_json(d("0.1")).unwrap().to_string(), "0.1");
        assert_eq!(json_to_decimal(&json!(0.1)), Some(d("0.1")));
        assert_eq!(json_to_decimal(&json!(40)), Some(d("40")));
        // 20 significant digits do not survive a float: refused, not rounded.
        assert_eq!(decimal_to_json(d("1234567890.1234567891")), None);
    }

    fn rule() -> AcceptedRule {
        AcceptedRule {
            company_id: 1,
            warehouse_id: 1,
            location_id: 8,
            product_id: 42,
            product_min_qty: d("10"),
            product_max_qty: d("30"),
            qty_multiple: d("6"),
            trigger: Trigger::Auto,
            orderpoint_id: None,
            external_id: None,
        }
    }

    #[test]
    fn rules_are_checked_like_odoo_checks_them() {
        assert!(rule().validate().is_ok());
        let mut r = rule();
        r.qty_multiple = d("-1");
        assert!(matches!(
            r.validate(),
            Err(OdooError::InvalidRule { product_id: 42, .. })
        ));
        let mut r = rule();
        r.location_id = 0;
        assert!(r.validate().is_err());
    }

    #[test]
    fn the_natural_key_is_product_location_company() {
        assert_eq!(
            rule().natural_key().to_value(),
            json!([
                ["product_id", "=", 42],
                ["location_id", "=", 8],
                ["company_id", "=", 1]
            ])
        );
        let create = rule().create_values().unwrap();
        assert_eq!(create.get("product_min_qty"), Some(&json!(10.0)));
        assert_eq!(create.get("trigger"), Some(&json!("auto")));
        assert!(!rule().update_values().unwrap().contains_key("company_id"));
    }
}
