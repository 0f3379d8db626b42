//! The orderpoint import file, against a hand-written expected file.

use crossdock_odoo::{orderpoint_import_csv, OdooError, Trigger};

use crate::common::{dec, rule};

#[test]
fn two_rules_give_exactly_this_file() {
    // An update of a rule whose external id Odoo holds, and a new rule.
    let mut existing = rule(42);
    existing.orderpoint_id = Some(17);
    existing.external_id = Some("__export__.stock_warehouse_orderpoint_17_5f0c2a91".into());
    let mut new = rule(43);
    new.product_min_qty = dec("2.50");
    new.product_max_qty = dec("10.000");
    new.qty_multiple = dec("0");
    new.trigger = Trigger::Manual;

    let expected = "\
id,company_id/.id,warehouse_id/.id,location_id/.id,product_id/.id,trigger,product_min_qty,product_max_qty,qty_multiple
__export__.stock_warehouse_orderpoint_17_5f0c2a91,1,1,8,42,auto,12,36,6
crossdock.orderpoint_c1_l8_p43,1,1,8,43,manual,2.5,10,0
";
    assert_eq!(orderpoint_import_csv(&[existing, new]).unwrap(), expected);
}

#[test]
fn values_are_csv_escaped() {
    let mut odd = rule(1);
    odd.external_id = Some("legacy.\"rule\", one".into());
    let csv = orderpoint_import_csv(&[odd]).unwrap();
    assert_eq!(
        csv.lines().nth(1),
        Some("\"legacy.\"\"rule\"\", one\",1,1,8,1,auto,12,36,6")
    );
}

#[test]
fn a_rule_odoo_would_refuse_makes_no_file() {
    let mut bad = rule(1);
    bad.qty_multiple = dec("-1");
    assert!(matches!(
        orderpoint_import_csv(&[rule(2), bad]),
        Err(OdooError::InvalidRule { product_id: 1, .. })
    ));
}
