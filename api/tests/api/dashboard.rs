use axum::http::StatusCode;
use chrono::{DateTime, Duration};
use crossdock_warehouse::kpi::KpiQuery;

use crate::fixture::{get, warehouse, Answer, CHANNELS};

fn assert_html(a: &Answer) {
    assert!(
        a.content_type().starts_with("text/html"),
        "{}",
        a.content_type()
    );
    assert!(
        a.body.starts_with("<!doctype html>"),
        "{}",
        &a.body[..a.body.len().min(200)]
    );
    let csp = a
        .headers
        .get("content-security-policy")
        .expect("a CSP")
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
}

fn assert_form(a: &Answer) {
    assert!(
        a.body
            .contains(r#"<form class="period" method="get" action="/">"#),
        "{}",
        a.body
    );
    assert!(a.body.contains(r#"name="from""#) && a.body.contains(r#"name="to""#));
    assert!(a.body.contains(r#"<button type="submit">"#));
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_has_a_tile_per_channel_and_the_period_form() {
    let a = get("/").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_html(&a);
    assert_form(&a);
    for c in CHANNELS {
        assert!(a.body.contains(&format!("<h2>{c}</h2>")), "no tile for {c}");
    }
    assert_eq!(a.body.matches(r#"<section class="tile">"#).count(), 5);
    for label in [
        "Line fill rate",
        "OTIF",
        "Order cycle p50",
        "Order cycle p90",
        "Revenue",
        "Gross margin",
        "Over-discount",
        "Below price list",
        "Below cost",
    ] {
        assert!(a.body.contains(&format!(">{label}</dt>")), "no {label}");
    }
    assert!(a.body.contains("data as of 2026-01-"), "no as-of time");
    assert!(a.body.contains(" %<"), "no percentage");
    assert!(a.body.contains(" days<"), "no cycle time");
    // Revenue of a tile, formatted: thousands separators and two decimals.
    let report = warehouse().kpis(&KpiQuery::default()).await.unwrap();
    let revenue = report.rows[0].decimal("revenue").unwrap();
    assert!(revenue > rust_decimal::Decimal::from(1000), "{revenue}");
    let formatted = format_money(revenue);
    assert!(
        a.body.contains(&format!("<dd>{formatted}</dd>")),
        "no {formatted}"
    );
}

/// An independent spelling of the money format, to check the page against.
fn format_money(d: rust_decimal::Decimal) -> String {
    let s = format!(
        "{:.2}",
        d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    );
    let (int, frac) = s.split_once('.').unwrap();
    let digits: Vec<char> = int.chars().collect();
    let mut groups = Vec::new();
    for chunk in digits.rchunks(3) {
        groups.insert(0, chunk.iter().collect::<String>());
    }
    format!("{}.{frac}", groups.join(","))
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_form_restricts_the_period() {
    let all = warehouse().kpis(&KpiQuery::default()).await.unwrap();
    let last = DateTime::from_timestamp_micros(all.as_of_us.unwrap())
        .unwrap()
        .date_naive();
    let (from, to) = (last - Duration::days(3), last - Duration::days(1));
    let a = get(&format!("/?from={from}&to={to}")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_form(&a);
    assert!(
        a.body.contains(&format!(r#"value="{from}""#)),
        "form does not keep from"
    );
    assert!(
        a.body.contains(&format!(r#"value="{to}""#)),
        "form does not keep to"
    );
    assert!(a
        .body
        .contains(&format!("Orders confirmed from {from} to {to}")));

    // What the form sends with both fields empty: the whole history.
    let a = get("/?from=&to=").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("All confirmed orders"));
    assert_eq!(a.body.matches(r#"<section class="tile">"#).count(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_shows_bad_input_on_the_page_with_400() {
    for (query, needles) in [
        (
            "from=2026-02-30&to=",
            &["from", "&#34;2026-02-30&#34;", "YYYY-MM-DD"][..],
        ),
        (
            "from=2026-01-09&to=2026-01-02",
            &["from (2026-01-09)", "to (2026-01-02)", "after"],
        ),
        (
            "colour=red",
            &[
                "unknown query parameter",
                // askama writes " as &#34;
                "&#34;colour&#34;",
                "from and to",
            ],
        ),
    ] {
        let a = get(&format!("/?{query}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}: {}", a.body);
        assert_html(&a);
        assert_form(&a);
        assert!(
            a.body.contains(r#"<div class="error" role="alert">"#),
            "{query}: no error box"
        );
        for n in needles {
            assert!(a.body.contains(n), "{query}: page lacks {n:?}");
        }
        assert!(
            !a.body.contains(r#"<section class="tile">"#),
            "{query}: tiles on an error"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_escapes_what_the_user_typed() {
    let a = get("/?from=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(!a.body.contains("<script>"), "unescaped input: {}", a.body);
    // askama escapes < > " as numeric character references
    assert!(
        a.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{}",
        a.body
    );
    // Echoed into the form's value attribute, still escaped.
    assert!(
        a.body
            .contains(r#"value="&#60;script&#62;alert(1)&#60;/script&#62;&#34;""#),
        "{}",
        a.body
    );
}
