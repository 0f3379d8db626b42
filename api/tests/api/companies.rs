//! Company boundaries, on a two-company warehouse: a company-1 user never
//! sees a row, a total, a name or a message of company 2.

use std::collections::BTreeSet;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use axum::http::{Method, StatusCode};
use crossdock_warehouse::kpi::{Dimension, KpiQuery};

use crate::fixture::{get_as, two_companies, via_json, Auth, Call};

const COMPANY_1: &str = "Crossdock Supply Co.";
const COMPANY_2: &str = "Crossdock Supply Europe";
const WAREHOUSE_2: &str = "Europe Warehouse";

fn sum(report: &serde_json::Value, field: &str) -> i64 {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[field].as_i64().unwrap())
        .sum()
}

fn query(by: Vec<Dimension>, companies: Option<BTreeSet<i64>>) -> KpiQuery {
    KpiQuery {
        by,
        companies,
        ..KpiQuery::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fixture_has_two_companies_with_orders() {
    let f = two_companies();
    let batches = f
        .warehouse
        .sql("SELECT id, name FROM res_company ORDER BY id")
        .await
        .unwrap();
    let ids: Vec<i64> = batches
        .iter()
        .flat_map(|b| {
            let c = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Int64).unwrap();
            c.as_primitive::<Int64Type>().values().to_vec()
        })
        .collect();
    assert_eq!(ids, vec![1, 2]);
    let all = f
        .warehouse
        .kpis(&query(vec![Dimension::Company], None))
        .await
        .unwrap();
    let names: BTreeSet<&str> = all
        .rows
        .iter()
        .map(|r| r.group["company"].as_str())
        .collect();
    assert_eq!(names, [COMPANY_1, COMPANY_2].into_iter().collect());
    assert!(all.rows.iter().all(|r| r.int("lines_shipped").unwrap() > 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_warehouse_filter_reads_only_the_allowed_companies() {
    let w = &two_companies().warehouse;
    let by = vec![Dimension::Company, Dimension::Warehouse];
    let only1 = w.kpis(&query(by.clone(), Some([1].into()))).await.unwrap();
    assert!(!only1.rows.is_empty());
    for r in &only1.rows {
        assert_eq!(r.group["company"], COMPANY_1);
        assert_ne!(r.group["warehouse"], WAREHOUSE_2);
    }
    // An empty set reads nothing, never everything.
    let none = w
        .kpis(&query(by.clone(), Some(BTreeSet::new())))
        .await
        .unwrap();
    assert!(none.rows.is_empty(), "{:?}", none.rows);
    // Unknown companies: nothing either.
    let unknown = w.kpis(&query(by, Some([99].into()))).await.unwrap();
    assert!(unknown.rows.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_company_1_user_sees_only_company_1_in_every_cut() {
    let f = two_companies();
    for by in [
        "channel",
        "company",
        "warehouse",
        "channel,company,warehouse",
        "week,month,channel",
    ] {
        let uri = format!("/api/kpis?by={by}");
        let c1 = get_as(f, "c1", &uri).await;
        assert_eq!(c1.status, StatusCode::OK, "{uri}: {}", c1.body);
        for secret in [COMPANY_2, WAREHOUSE_2] {
            assert!(
                !c1.body.contains(secret),
                "{uri}: company 2 leaks: {}",
                c1.body
            );
        }
        // Exactly the company-1 report of the warehouse.
        let dims = crossdock_warehouse::kpi::Dimension::parse_list(by).unwrap();
        let direct = f
            .warehouse
            .kpis(&query(dims.clone(), Some([1].into())))
            .await
            .unwrap();
        assert_eq!(c1.json(), via_json(&direct), "{uri}");
        // Totals: company 1 + company 2 = both, and company 1 < both.
        let c2 = get_as(f, "c2", &uri).await.json();
        let both = get_as(f, "c12", &uri).await.json();
        let admin = get_as(f, "admin", &uri).await.json();
        assert_eq!(
            both, admin,
            "{uri}: a user of both companies sees what an admin sees"
        );
        let (s1, s2, s12) = (
            sum(&c1.json(), "lines_shipped"),
            sum(&c2, "lines_shipped"),
            sum(&both, "lines_shipped"),
        );
        assert!(s1 > 0 && s2 > 0, "{uri}: {s1} {s2}");
        assert_eq!(s1 + s2, s12, "{uri}");
        assert!(
            !c2.to_string().contains(COMPANY_1),
            "{uri}: company 1 leaks to c2"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nor_on_the_dashboard_in_definitions_or_in_error_messages() {
    let f = two_companies();
    let token = f.token("c1");
    let page = Call::new(Method::GET, "/", Auth::Bearer(token))
        .send_to(f)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The page's revenue figures are company 1's.
    let direct = f
        .warehouse
        .kpis(&query(vec![Dimension::Channel], Some([1].into())))
        .await
        .unwrap();
    let all = f
        .warehouse
        .kpis(&query(vec![Dimension::Channel], None))
        .await
        .unwrap();
    let lines = |r: &crossdock_warehouse::kpi::KpiReport| -> i64 {
        r.rows.iter().map(|r| r.int("lines_shipped").unwrap()).sum()
    };
    assert!(lines(&direct) < lines(&all));
    for row in &direct.rows {
        let shown = format!("of {} lines", row.int("lines_shipped").unwrap());
        assert!(page.body.contains(&shown), "no {shown:?} on the page");
    }
    for row in &all.rows {
        let other = all
            .rows
            .iter()
            .find(|r| r.group == row.group)
            .map(|r| r.int("lines_shipped").unwrap())
            .unwrap();
        let mine = direct
            .rows
            .iter()
            .find(|r| r.group == row.group)
            .map(|r| r.int("lines_shipped").unwrap())
            .unwrap_or(0);
        if other != mine {
            let leak = format!("of {other} lines");
            assert!(
                !page.body.contains(&leak),
                "the all-company figure {leak:?} is on the page"
            );
        }
    }
    for uri in [
        "/api/kpis/definitions",
        "/api/kpis?by=colour",
        "/api/kpis?from=2026-02-30",
        "/api/kpis?company=2",
        "/api/me",
        "/api/users",
        "/api/audit",
        "/api/nope",
    ] {
        let a = get_as(f, "c1", uri).await;
        for secret in [COMPANY_2, WAREHOUSE_2] {
            assert!(!a.body.contains(secret), "{uri}: {}", a.body);
        }
    }
    let a = get_as(f, "c1", "/api/kpis?company=2").await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "no way to ask for another company"
    );
}

fn money(v: &serde_json::Value, ctx: &str) -> rust_decimal::Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("{ctx}: money is an exact decimal string, got {v}"))
        .parse()
        .unwrap_or_else(|e| panic!("{ctx}: {v}: {e}"))
}

/// The outside probe of issue 8: an admin's `by=company` showed
/// `82024.7415500001` where the company's executive saw `82024.74155` — a
/// float on the money path. Money is exact whatever the cut and the scope:
/// a company's row is the same string for the admin and for its own
/// executive, and equals the exact sum of that company's channels.
#[tokio::test(flavor = "multi_thread")]
async fn money_is_exact_whatever_the_cut_and_the_company_scope() {
    let f = two_companies();
    let decimals: Vec<&str> = crossdock_warehouse::kpi::fields()
        .filter(|f| f.kind.is_decimal())
        .map(|f| f.name)
        .collect();
    assert!(decimals.contains(&"leak_over_discount"));
    let admin = get_as(f, "admin", "/api/kpis?by=company").await.json();
    let rows = |r: &serde_json::Value| r["rows"].as_array().unwrap().clone();
    for (user, company) in [("c1", COMPANY_1), ("c2", COMPANY_2)] {
        let all = rows(&admin)
            .into_iter()
            .find(|r| r["group"]["company"] == company)
            .unwrap_or_else(|| panic!("admin's by=company has no {company}"));
        let own = rows(&get_as(f, user, "/api/kpis?by=company").await.json());
        assert_eq!(own.len(), 1, "{user}: {own:?}");
        let channels = rows(&get_as(f, user, "/api/kpis?by=channel").await.json());
        for field in &decimals {
            let ctx = format!("{company}, {field}");
            assert_eq!(own[0][field], all[field], "{ctx}: scoped vs admin");
            if crossdock_warehouse::kpi::field(field).unwrap().kind
                == crossdock_warehouse::kpi::FieldKind::Money
            {
                let sum: rust_decimal::Decimal =
                    channels.iter().map(|r| money(&r[*field], &ctx)).sum();
                assert_eq!(sum, money(&all[field], &ctx), "{ctx}: Σ channels");
            }
        }
    }
    let leak: rust_decimal::Decimal = rows(&admin)
        .iter()
        .map(|r| money(&r["leak_over_discount"], "leak"))
        .sum();
    assert!(
        leak > rust_decimal::Decimal::ZERO,
        "the fixture has over-discounts"
    );
}

/// Every KPI output column has the Arrow type its registered kind demands:
/// money and quantities Decimal128 (never Float64), counts and µs Int64,
/// ratios and days Float64; and no column is unregistered.
#[tokio::test(flavor = "multi_thread")]
async fn every_kpi_output_column_has_the_arrow_type_of_its_kind() {
    use arrow::datatypes::DataType;
    let w = &two_companies().warehouse;
    for by in [
        vec![Dimension::Company],
        vec![Dimension::Channel, Dimension::Week],
    ] {
        let out = w.kpi_outputs(&query(by.clone(), None)).await.unwrap();
        assert_eq!(out.outputs.len(), crossdock_warehouse::kpi::REGISTRY.len());
        for (spec, batches) in &out.outputs {
            assert!(!batches.is_empty(), "{}", spec.name);
            let schema = batches[0].schema();
            assert_eq!(
                schema.fields().len(),
                by.len() + spec.fields.len(),
                "{}",
                spec.name
            );
            for f in spec.fields {
                let ty = schema.field_with_name(f.name).unwrap().data_type().clone();
                let ok = if f.kind.is_decimal() {
                    matches!(ty, DataType::Decimal128(38, 10))
                } else if f.kind.is_float() {
                    ty == DataType::Float64
                } else {
                    ty == DataType::Int64
                };
                assert!(ok, "{}.{} ({:?}) is {ty}", spec.name, f.name, f.kind);
            }
        }
    }
}
