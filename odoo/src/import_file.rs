//! The Odoo import file of accepted reorder rules, for when no API is configured:
//! a CSV a planner loads in Odoo (Inventory → Configuration → Reordering Rules →
//! ⚙ → Import records), mapped by its column names without any manual mapping.
//!
//! # Column names (Odoo's `base_import`)
//!
//! A header is a field's technical name; a `/` goes into a related record:
//!
//! * `id` — the row's **external id** (`module.name`). The only record-level
//!   identifier the Import dialog offers (`base_import`'s `get_fields_tree` lists
//!   `id` "External ID" at the top level; "Database ID" `.id` exists only under
//!   relational fields). An external id Odoo knows **updates** that record; an
//!   unknown one **creates** a record and registers the id, so importing the same
//!   file again updates instead of duplicating.
//! * `field/id` — a relation given by the related record's external id.
//! * `field/.id` — a relation given by the related record's **database id**.
//!
//! crossdock knows Odoo's database ids (from the change stream), not external ids,
//! so relations are written `company_id/.id`, `warehouse_id/.id`, `location_id/.id`,
//! `product_id/.id`; quantities are plain numbers with a `.` decimal point, the
//! trigger its selection value (`auto` / `manual`).
//!
//! # Which external id each row gets
//!
//! * The rule's [`AcceptedRule::external_id`] when it has one: for an existing
//!   orderpoint, the external id Odoo holds for it (shown in debug mode under
//!   "View Metadata"; Odoo makes one, `__export__.stock_warehouse_orderpoint_<id>_<hex>`,
//!   when the rule is exported with "I want to update data"). The row updates it.
//! * Otherwise [`orderpoint_external_id`]: `crossdock.orderpoint_c<company>_l<location>_p<product>`,
//!   derived from the natural key. A new rule is created with it, and every later
//!   file (or a re-import) updates that same rule.
//!
//! An existing orderpoint made in Odoo by hand, given without its external id, gets
//! the derived id, which Odoo does not know: Odoo then tries to create a second
//! rule for the same product, location and company, its unique constraint
//! `product_location_check` refuses ("A replenishment rule already exists for this
//! product on this location."), and the Import dialog rejects the file without
//! importing any row. The file never makes a duplicate; such a rule goes through
//! the API ([`crate::OdooClient::upsert_orderpoint`]), or its external id is
//! supplied.
//!
//! # Example
//!
//! Two rules, an update of a rule whose external id is known and a new one:
//!
//! ```text
//! id,company_id/.id,warehouse_id/.id,location_id/.id,product_id/.id,trigger,product_min_qty,product_max_qty,qty_multiple
//! __export__.stock_warehouse_orderpoint_17_5f0c2a91,1,1,8,42,auto,12,36,6
//! crossdock.orderpoint_c1_l8_p43,1,1,8,43,manual,2.5,10,0
//! ```
//!
//! Values are CSV-escaped (RFC 4180: a value holding a comma, a quote or a line
//! break is quoted, quotes doubled); lines end with `\n`.

use crate::error::Result;
use crate::orderpoint::AcceptedRule;

/// The header of the orderpoint import file.
pub const ORDERPOINT_IMPORT_COLUMNS: [&str; 9] = [
    "id",
    "company_id/.id",
    "warehouse_id/.id",
    "location_id/.id",
    "product_id/.id",
    "trigger",
    "product_min_qty",
    "product_max_qty",
    "qty_multiple",
];

/// The external id a rule's row carries: its own when known, else one derived from
/// the natural key (`crossdock.orderpoint_c1_l8_p42`).
pub fn orderpoint_external_id(rule: &AcceptedRule) -> String {
    match &rule.external_id {
        Some(xid) => xid.clone(),
        None => format!(
            "crossdock.orderpoint_c{}_l{}_p{}",
            rule.company_id, rule.location_id, rule.product_id
        ),
    }
}

/// The import file for `stock.warehouse.orderpoint` (see the module documentation).
///
/// Each rule is checked as the API path checks it ([`AcceptedRule::validate`]).
pub fn orderpoint_import_csv(rules: &[AcceptedRule]) -> Result<String> {
    let mut out = String::new();
    push_row(
        &mut out,
        ORDERPOINT_IMPORT_COLUMNS.iter().map(|c| c.to_string()),
    );
    for rule in rules {
        rule.validate()?;
        push_row(
            &mut out,
            [
                orderpoint_external_id(rule),
                rule.company_id.to_string(),
                rule.warehouse_id.to_string(),
                rule.location_id.to_string(),
                rule.product_id.to_string(),
                rule.trigger.as_odoo().to_string(),
                rule.product_min_qty.normalize().to_string(),
                rule.product_max_qty.normalize().to_string(),
                rule.qty_multiple.normalize().to_string(),
            ]
            .into_iter(),
        );
    }
    Ok(out)
}

fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_escape(&cell));
    }
    out.push('\n');
}

/// One CSV value, quoted when it must be.
pub fn csv_escape(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_separators_are_quoted() {
        assert_eq!(csv_escape("plain"), "plain");
        assert_eq!(csv_escape("a,b"), "\"a,b\"");
        assert_eq!(csv_escape("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_escape("two\nlines"), "\"two\nlines\"");
    }
}
