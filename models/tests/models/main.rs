//! The planning SQL (`models/sql/*.sql`) on small hand-built Odoo tables:
//! each table has the warehouse's own current-state schema; the columns a
//! fixture does not give are NULL. Expected numbers are worked out by hand
//! in the comments.

use std::sync::Arc;

use arrow::array::{new_null_array, ArrayRef, StringArray};
use arrow::compute::cast;
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crossdock_change::catalog::Catalog;
use crossdock_models::planning;
use crossdock_warehouse::schema::current_schema;

/// Tables by name: (columns, rows of text cells; "" is NULL).
type Fixture<'a> = Vec<(&'a str, &'a [&'a str], Vec<Vec<&'a str>>)>;

fn session(fixture: Fixture<'_>) -> SessionContext {
    let ctx = SessionContext::new();
    for def in Catalog::odoo17().tables() {
        let schema = current_schema(def);
        let given = fixture.iter().find(|(t, _, _)| *t == def.name);
        let n = given.map_or(0, |(_, _, rows)| rows.len());
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| {
                let Some((_, cols, rows)) = given else {
                    return new_null_array(f.data_type(), 0);
                };
                match cols.iter().position(|c| c == f.name()) {
                    None => new_null_array(f.data_type(), n),
                    Some(k) => {
                        let text: StringArray = rows
                            .iter()
                            .map(|r| (!r[k].is_empty()).then_some(r[k]))
                            .collect();
                        cast(&text, f.data_type())
                            .unwrap_or_else(|e| panic!("{}.{}: {e}", def.name, f.name()))
                    }
                }
            })
            .collect();
        if let Some((t, cols, _)) = given {
            for c in cols.iter() {
                assert!(schema.field_with_name(c).is_ok(), "{t} has no column {c}");
            }
        }
        let batch = RecordBatch::try_new(schema.clone(), columns)
            .unwrap_or_else(|e| panic!("{}: {e}", def.name));
        let table = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
        ctx.register_table(def.name.as_str(), Arc::new(table))
            .unwrap();
    }
    ctx
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Units (id 1, factor 1) and dozens (id 2, factor 1/12 = 0.0833…): Odoo
/// stores a bigger unit's factor as 1 / ratio.
fn master<'a>() -> Fixture<'a> {
    vec![
        (
            "uom_uom",
            &[
                "id",
                "name",
                "category_id",
                "uom_type",
                "factor",
                "rounding",
            ],
            vec![
                vec!["1", "{\"en_US\": \"Units\"}", "1", "reference", "1", "0.01"],
                vec![
                    "2",
                    "{\"en_US\": \"Dozens\"}",
                    "1",
                    "bigger",
                    "0.0833333333",
                    "0.01",
                ],
            ],
        ),
        (
            "product_template",
            &[
                "id",
                "name",
                "name_en_us",
                "uom_id",
                "uom_po_id",
                "detailed_type",
                "type",
                "default_code",
            ],
            vec![vec![
                "10",
                "{\"en_US\": \"Bolt\"}",
                "Bolt",
                "1",
                "1",
                "product",
                "product",
                "B-1",
            ]],
        ),
        (
            "product_product",
            &["id", "product_tmpl_id", "default_code"],
            vec![vec!["100", "10", "B-1"]],
        ),
        (
            "stock_warehouse",
            &["id", "name", "code", "company_id", "lot_stock_id"],
            vec![vec!["5", "Main", "WH", "1", "50"]],
        ),
        (
            "stock_location",
            &["id", "name", "usage", "warehouse_id", "company_id"],
            vec![
                vec!["50", "WH/Stock", "internal", "5", "1"],
                vec!["60", "Customers", "customer", "", ""],
                vec!["70", "Vendors", "supplier", "", ""],
            ],
        ),
        (
            "res_partner",
            &["id", "name"],
            vec![vec!["900", "Acme Fasteners"]],
        ),
    ]
}

#[tokio::test]
async fn demand_is_what_confirmed_lines_asked_for_in_the_products_unit() {
    let mut f = master();
    f.push((
        "sale_order",
        &[
            "id",
            "name",
            "state",
            "company_id",
            "warehouse_id",
            "date_order",
            "commitment_date",
        ],
        vec![
            // confirmed, no commitment date: counted on its order day
            vec!["1", "S1", "sale", "1", "5", "2026-01-05T10:00:00", ""],
            // confirmed with a commitment date: counted on that day
            vec![
                "2",
                "S2",
                "sale",
                "1",
                "5",
                "2026-01-05T11:00:00",
                "2026-01-14T00:00:00",
            ],
            // cancelled and draft: not demand
            vec!["3", "S3", "cancel", "1", "5", "2026-01-06T10:00:00", ""],
            vec!["4", "S4", "draft", "1", "5", "2026-01-06T10:00:00", ""],
        ],
    ));
    f.push((
        "sale_order_line",
        &[
            "id",
            "order_id",
            "product_id",
            "product_uom_qty",
            "product_uom",
            "display_type",
        ],
        vec![
            vec!["11", "1", "100", "3", "1", ""],
            // 2 dozens = 2 / (1/12) × 1 = 24 units
            vec!["12", "1", "100", "2", "2", ""],
            // a section line is not demand
            vec!["13", "1", "", "0", "1", "line_section"],
            vec!["21", "2", "100", "5", "1", ""],
            vec!["31", "3", "100", "7", "1", ""],
            vec!["41", "4", "100", "9", "1", ""],
        ],
    ));
    // a customer return of 2 on 2026-01-15: kept apart, not subtracted
    f.push((
        "stock_move",
        &[
            "id",
            "state",
            "product_id",
            "product_uom",
            "quantity",
            "product_qty",
            "product_uom_qty",
            "location_id",
            "location_dest_id",
            "origin_returned_move_id",
            "date",
            "company_id",
        ],
        vec![vec![
            "801",
            "done",
            "100",
            "1",
            "2",
            "2",
            "2",
            "60",
            "50",
            "800",
            "2026-01-15T09:00:00",
            "1",
        ]],
    ));
    let data = planning::read_from(&session(f)).await.unwrap();
    let d = &data.demand[&(100, 5)];
    let asked: Vec<(NaiveDate, f64)> = d.iter().map(|x| (x.0, x.1)).collect();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    assert_eq!(asked.len(), 3, "{d:?}");
    assert_eq!(asked[0].0, day("2026-01-05"));
    assert!(close(asked[0].1, 27.0), "3 units + 2 dozens = 27: {d:?}");
    assert_eq!(asked[1].0, day("2026-01-14"));
    assert!(close(asked[1].1, 5.0));
    assert_eq!((d[2].0, d[2].1, d[2].2), (day("2026-01-15"), 0.0, 2.0));
    assert_eq!(data.as_of, Some(day("2026-01-15")));
    // weekly: week of 01-05 = 27, week of 01-12 = 5
    assert_eq!(
        planning::weekly(d, day("2026-01-05"), day("2026-01-18")),
        vec![27.0, 5.0]
    );
}

#[tokio::test]
async fn lead_times_rules_vendors_costs_and_stock_position() {
    let mut f = master();
    f.push((
        "purchase_order",
        &[
            "id",
            "name",
            "state",
            "partner_id",
            "company_id",
            "date_order",
            "date_approve",
            "currency_id",
            "picking_type_id",
        ],
        vec![
            vec![
                "1",
                "P1",
                "purchase",
                "900",
                "1",
                "2026-01-01T08:00:00",
                "2026-01-01T08:00:00",
                "1",
                "1",
            ],
            vec![
                "2",
                "P2",
                "purchase",
                "900",
                "1",
                "2026-01-10T08:00:00",
                "2026-01-10T08:00:00",
                "1",
                "1",
            ],
            vec![
                "3",
                "P3",
                "cancel",
                "900",
                "1",
                "2026-01-10T08:00:00",
                "2026-01-10T08:00:00",
                "1",
                "1",
            ],
        ],
    ));
    f.push((
        "purchase_order_line",
        &[
            "id",
            "order_id",
            "product_id",
            "product_qty",
            "product_uom",
            "product_uom_qty",
            "price_unit",
            "date_planned",
            "name",
        ],
        vec![
            vec![
                "11",
                "1",
                "100",
                "10",
                "1",
                "10",
                "2",
                "2026-01-05T08:00:00",
                "Bolt",
            ],
            vec![
                "21",
                "2",
                "100",
                "10",
                "1",
                "10",
                "2",
                "2026-01-15T08:00:00",
                "Bolt",
            ],
            vec![
                "31",
                "3",
                "100",
                "10",
                "1",
                "10",
                "2",
                "2026-01-15T08:00:00",
                "Bolt",
            ],
        ],
    ));
    f.push((
        "stock_move",
        &[
            "id",
            "name",
            "state",
            "product_id",
            "product_uom",
            "quantity",
            "product_qty",
            "product_uom_qty",
            "location_id",
            "location_dest_id",
            "purchase_line_id",
            "date",
            "company_id",
            "procure_method",
        ],
        vec![
            // P1: received in full 4 days after approval, on time
            vec![
                "1",
                "r",
                "done",
                "100",
                "1",
                "10",
                "10",
                "10",
                "70",
                "50",
                "11",
                "2026-01-05T08:00:00",
                "1",
                "make_to_stock",
            ],
            // P2: 6 of 10 after 7 days (late), 4 still incoming
            vec![
                "2",
                "r",
                "done",
                "100",
                "1",
                "6",
                "6",
                "6",
                "70",
                "50",
                "21",
                "2026-01-17T08:00:00",
                "1",
                "make_to_stock",
            ],
            vec![
                "3",
                "r",
                "assigned",
                "100",
                "1",
                "0",
                "4",
                "4",
                "70",
                "50",
                "21",
                "2026-01-20T08:00:00",
                "1",
                "make_to_stock",
            ],
            // P3 cancelled: its receipt is not evidence
            vec![
                "4",
                "r",
                "done",
                "100",
                "1",
                "10",
                "10",
                "10",
                "70",
                "50",
                "31",
                "2026-02-20T08:00:00",
                "1",
                "make_to_stock",
            ],
        ],
    ));
    f.push((
        "stock_quant",
        &[
            "id",
            "product_id",
            "location_id",
            "company_id",
            "quantity",
            "reserved_quantity",
            "in_date",
        ],
        vec![vec![
            "1",
            "100",
            "50",
            "1",
            "12",
            "3",
            "2026-01-05T08:00:00",
        ]],
    ));
    f.push((
        "stock_warehouse_orderpoint",
        &[
            "id",
            "name",
            "trigger",
            "active",
            "warehouse_id",
            "location_id",
            "product_id",
            "product_min_qty",
            "product_max_qty",
            "qty_multiple",
            "company_id",
        ],
        vec![vec![
            "7", "OP/1", "auto", "true", "5", "50", "100", "4", "20", "5", "1",
        ]],
    ));
    f.push((
        "product_supplierinfo",
        &[
            "id",
            "partner_id",
            "product_tmpl_id",
            "sequence",
            "min_qty",
            "price",
            "delay",
            "company_id",
            "currency_id",
        ],
        vec![vec!["1", "900", "10", "1", "12", "2", "3", "1", "1"]],
    ));
    f.push((
        "ir_property",
        &[
            "id",
            "name",
            "res_id",
            "company_id",
            "fields_id",
            "value_float",
            "type",
        ],
        vec![vec![
            "1",
            "standard_price",
            "product.product,100",
            "1",
            "1",
            "2.125",
            "float",
        ]],
    ));
    f.push((
        "sale_order",
        &[
            "id",
            "name",
            "state",
            "company_id",
            "warehouse_id",
            "date_order",
        ],
        vec![vec!["1", "S1", "sale", "1", "5", "2026-01-19T10:00:00"]],
    ));
    f.push((
        "sale_order_line",
        &[
            "id",
            "order_id",
            "product_id",
            "product_uom_qty",
            "product_uom",
            "qty_delivered",
            "customer_lead",
        ],
        vec![
            // owes 5 − 1 = 4, due on 2026-01-19 (lead 0): a backorder by the end of data
            vec!["11", "1", "100", "5", "1", "1", "0"],
        ],
    ));
    // Deliveries to customers, for the recent stock-outs (the data ends on
    // 2026-01-19, so the window is the 28 days before 2026-01-20 00:00):
    // left two days late (counted), left on its due day (not), still open
    // past its due day (counted), late but before the window (not).
    let moves = f.iter_mut().find(|t| t.0 == "stock_move").unwrap();
    let mut cols = moves.1.to_vec();
    cols.push("date_deadline");
    moves.1 = Box::leak(cols.into_boxed_slice());
    for r in &mut moves.2 {
        r.push("");
    }
    for (id, state, date, deadline) in [
        ("5", "done", "2026-01-17T08:00:00", "2026-01-15T10:00:00"),
        ("6", "done", "2026-01-16T15:00:00", "2026-01-16T10:00:00"),
        (
            "7",
            "assigned",
            "2026-01-18T10:00:00",
            "2026-01-18T10:00:00",
        ),
        ("8", "done", "2025-12-10T08:00:00", "2025-12-01T10:00:00"),
    ] {
        moves.2.push(vec![
            id,
            "d",
            state,
            "100",
            "1",
            "1",
            "1",
            "1",
            "50",
            "60",
            "",
            date,
            "1",
            "make_to_stock",
            deadline,
        ]);
    }
    let data = planning::read_from(&session(f)).await.unwrap();
    let v = &data.vendors[&(900, 100)];
    assert_eq!(v.lead_times, vec![4.0, 7.0], "{v:?}");
    assert_eq!((v.on_time, v.in_full), (1, 1));
    assert_eq!(data.items.len(), 1);
    let item = &data.items[0];
    assert_eq!(item.product, "Bolt");
    assert_eq!(item.warehouse, "Main");
    assert_eq!(item.vendor.as_deref(), Some("Acme Fasteners"));
    assert_eq!(item.promised_delay_days, Some(3.0));
    assert_eq!(item.vendor_min_qty.to_string(), "12.0000000000");
    assert_eq!(item.unit_cost.normalize().to_string(), "2.125");
    let rule = item.current.as_ref().unwrap();
    assert_eq!(
        (rule.orderpoint_id, rule.min.normalize().to_string()),
        (7, "4".into())
    );
    assert_eq!(item.location_id, Some(50), "the rule's location");
    assert_eq!(item.trigger.as_deref(), Some("auto"));
    let p = data.positions[&(100, 5)];
    assert_eq!(
        (p.on_hand, p.reserved, p.incoming, p.backorder_qty),
        (12.0, 3.0, 4.0, 4.0)
    );
    assert_eq!(p.late_deliveries_28d, 2);
}
