//! The planners' page and API on the fixture warehouse (suggestions
//! computed by `crossdock_models::planning::run`): the list with its
//! filters, one item's chart and evidence, accept / edit / reject by form
//! and by JSON, the decision table, the audit trail, the Odoo import file,
//! company scoping, and the write to a stand-in Odoo (which checks the
//! shape of every request, as Odoo cannot run here).

use axum::http::{Method, StatusCode};
use crossdock_access::Role;
use crossdock_models::decision::{self, Action};
use crossdock_models::suggestion::{self, SuggestionQuery};
use crossdock_odoo::stand_in::{StandInConfig, StandInOdoo};
use crossdock_warehouse::settings::OdooConnection;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::fixture::{csrf_in, fixture, get_as, login, two_companies, Auth, Call, PASSWORD};

/// The fixture's suggestion keys, in the planner's order; each test takes
/// its own ones (the matrix test rejects the first).
async fn keys() -> Vec<String> {
    suggestion::list(&fixture().warehouse, &SuggestionQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.key)
        .collect()
}

async fn decisions_of(key: &str) -> Vec<decision::Decision> {
    decision::list(&fixture().warehouse, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.key == key)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_planning_page_lists_filters_and_decides_with_forms() {
    let f = fixture();
    let keys = keys().await;
    assert!(keys.len() >= 10, "{keys:?}");
    let (_, session) = login(f, "planner", PASSWORD, "10.30.0.1:1").await;
    let session = session.unwrap();
    let page = Call::new(Method::GET, "/planning", Auth::Session(&session, None))
        .send()
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.content_type().starts_with("text/html"));
    // the shell's navigation, by role
    assert!(page
        .body
        .contains(r#"<a href="/planning" aria-current="page">Planning</a>"#));
    assert!(!page.body.contains(r#"href="/admin""#));
    // the rows, the stock position, the reasons and the controls
    for want in [
        "on hand",
        "backorders",
        "cover",
        "late (28 d)",
        "% service",
        r#"name="key""#,
        r#"value="accept""#,
        r#"value="reject""#,
        r#"href="/api/planning/orderpoints.csv""#,
        &format!(r#"href="/planning/items/{}""#, keys[1]),
    ] {
        assert!(page.body.contains(want), "no {want} on the page");
    }
    let csrf = csrf_in(&page.body).expect("a CSRF token on the page");

    // filters: a bad value is a 400 page naming it; a good one narrows
    let a = Call::new(
        Method::GET,
        "/planning?abc=Z",
        Auth::Session(&session, None),
    )
    .send()
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("abc must be A, B or C"), "{}", a.body);
    let a = get_as(
        f,
        "planner",
        "/api/planning/suggestions?abc=A&exceptions=true",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    for s in a.json()["suggestions"].as_array().unwrap() {
        assert_eq!(s["abc"], "A");
        assert!(!s["exceptions"].as_array().unwrap().is_empty(), "{s}");
    }

    let post = |body: String| {
        let session = session.clone();
        async move {
            Call::new(
                Method::POST,
                "/planning/decisions",
                Auth::Session(&session, None),
            )
            .form(&body)
            .send()
            .await
        }
    };
    // without the CSRF token nothing happens
    let a = post(format!("action=accept&key={}", keys[1])).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(decisions_of(&keys[1]).await.is_empty());

    // accept one: back to the page, recorded, audited
    let back = "/planning?exceptions=on";
    let a = post(format!(
        "csrf={csrf}&action=accept&key={}&note=looks+right&back={}",
        keys[1],
        urlencode(back)
    ))
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.header("location"), back);
    let s = suggestion::get(&f.warehouse, None, &keys[1])
        .await
        .unwrap()
        .unwrap();
    let d = decisions_of(&keys[1]).await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].action, Action::Accept);
    assert_eq!(d[0].decided_by, "planner");
    assert_eq!(d[0].note.as_deref(), Some("looks right"));
    let decided = d[0].decided.unwrap();
    assert_eq!(decided.min, s.suggested_min_qty.normalize());
    assert_eq!(decided.max, s.suggested_max_qty.normalize());
    assert_eq!(
        d[0].odoo.as_deref(),
        Some("not configured: in the import file")
    );
    let audit = f.store().audit_latest(50).unwrap();
    let entry = audit
        .iter()
        .find(|e| e.action == "reorder.accept" && e.subject == keys[1])
        .expect("an audit entry for the acceptance");
    assert_eq!(entry.actor, "planner");
    let before = entry.before.as_ref().unwrap();
    let after = entry.after.as_ref().unwrap();
    assert_eq!(
        before["suggested"]["min"],
        json!(s.suggested_min_qty.normalize())
    );
    assert_eq!(after["rule"]["max"], json!(s.suggested_max_qty.normalize()));

    // edit one: the planner's quantities; an impossible edit is a 400 and
    // nothing is recorded
    let a = post(format!(
        "csrf={csrf}&action=edit&key={}&min=7&max=3&back=/planning/items/{}",
        keys[2], keys[2]
    ))
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("max 3 is below min 7"), "{}", a.body);
    assert!(decisions_of(&keys[2]).await.is_empty());
    let a = post(format!(
        "csrf={csrf}&action=edit&key={}&min=7&max=19.5&multiple=1&back=/planning/items/{}",
        keys[2], keys[2]
    ))
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.header("location"), format!("/planning/items/{}", keys[2]));
    let d = decisions_of(&keys[2]).await;
    assert_eq!(d[0].action, Action::Edit);
    assert_eq!(
        d[0].decided.map(|r| (r.min, r.max)),
        Some((Decimal::new(7, 0), Decimal::new(195, 1)))
    );

    // reject two at once
    let a = post(format!(
        "csrf={csrf}&action=reject&key={}&key={}",
        keys[3], keys[4]
    ))
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    for k in [&keys[3], &keys[4]] {
        let d = decisions_of(k).await;
        assert_eq!(d[0].action, Action::Reject);
        assert!(d[0].decided.is_none() && d[0].odoo.is_none());
    }
    // a form may only send the planner back to a planning page
    let a = post(format!(
        "csrf={csrf}&action=reject&key={}&back=https://evil.example/",
        keys[5]
    ))
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(decisions_of(&keys[5]).await.is_empty());

    // the item page: status, chart island, evidence, the three controls
    let item = Call::new(
        Method::GET,
        &format!("/planning/items/{}", keys[2]),
        Auth::Session(&session, None),
    )
    .send()
    .await;
    assert_eq!(item.status, StatusCode::OK);
    for want in [
        "edited by planner",
        r#"class="chart-data""#,
        r#""label":"ordered per week""#,
        r#""label":"forecast""#,
        r#""label":"80 % interval""#,
        "lead time",
        r#"value="edit""#,
        r#"name="min""#,
        "Accept with these quantities",
    ] {
        assert!(item.body.contains(want), "no {want} on the item page");
    }

    // the import file: one row per rule accepted or edited, not rejected
    let csv = get_as(f, "planner", "/api/planning/orderpoints.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("id,company_id/.id,warehouse_id/.id,location_id/.id,product_id/.id,trigger,product_min_qty,product_max_qty,qty_multiple")
    );
    let rows: Vec<&str> = lines.collect();
    let s2 = suggestion::get(&f.warehouse, None, &keys[2])
        .await
        .unwrap()
        .unwrap();
    let edited = format!(
        "crossdock.orderpoint_c{}_l{}_p{},{},{},{},{},",
        s2.company_id.unwrap(),
        s2.location_id.unwrap(),
        s2.product_id,
        s2.company_id.unwrap(),
        s2.warehouse_id,
        s2.location_id.unwrap(),
        s2.product_id
    );
    let row = rows
        .iter()
        .find(|r| r.starts_with(&edited))
        .unwrap_or_else(|| panic!("no row {edited} in {}", csv.body));
    assert!(row.ends_with(",7,19.5,1"), "{row}");
    let s3 = suggestion::get(&f.warehouse, None, &keys[3])
        .await
        .unwrap()
        .unwrap();
    let rejected = format!(
        "crossdock.orderpoint_c{}_l{}_p{},",
        s3.company_id.unwrap(),
        s3.location_id.unwrap(),
        s3.product_id
    );
    assert!(
        !rows.iter().any(|r| r.starts_with(&rejected)),
        "a rejected rule is not in the file: {}",
        csv.body
    );
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_json_api_decides_all_or_nothing() {
    let f = fixture();
    let keys = keys().await;
    let post = |body: Value| async move {
        Call::new(
            Method::POST,
            "/api/planning/decisions",
            Auth::Bearer(fixture().token("planner")),
        )
        .json(body)
        .send()
        .await
    };
    let before = decision::list(&f.warehouse, None).await.unwrap().len();
    // one good and one unknown key: a 404 naming it, and nothing decided
    let a = post(json!({"decisions": [
        {"key": keys[6], "action": "accept"},
        {"key": "99-99999", "action": "accept"}]}))
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    assert!(a.error().contains("99-99999") && a.error().contains("nothing was decided"));
    for (body, says) in [
        (
            json!({"decisions": [{"key": keys[6], "action": "approve"}]}),
            "not one of accept, edit, reject",
        ),
        (
            json!({"decisions": [{"key": keys[6], "action": "accept", "min": "3"}]}),
            "takes no quantities",
        ),
        (
            json!({"decisions": [{"key": keys[6], "action": "edit", "min": "3"}]}),
            "needs both min and max",
        ),
        (
            json!({"decisions": [{"key": keys[6], "action": "edit", "min": "-1", "max": "3"}]}),
            "negative",
        ),
        (
            json!({"decisions": [{"key": keys[6], "action": "reject"}, {"key": keys[6], "action": "accept"}]}),
            "given twice",
        ),
        (json!({"decisions": []}), "at least one"),
        (json!({"decision": []}), "the body must be JSON"),
    ] {
        let a = post(body.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.body);
        assert!(a.error().contains(says), "{body}: {}", a.error());
    }
    assert_eq!(
        decision::list(&f.warehouse, None).await.unwrap().len(),
        before
    );

    let a = post(json!({"decisions": [
        {"key": keys[6], "action": "accept", "note": "by API"},
        {"key": keys[7], "action": "edit", "min": "2", "max": "9"}]}))
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let v = a.json();
    assert_eq!(v["count"], 2);
    assert_eq!(
        v["decisions"][1]["decided"],
        json!({"min": "2", "max": "9", "multiple": v["decisions"][1]["suggested"]["multiple"]})
    );
    // the list shows the latest decision of each suggestion
    let list = get_as(f, "planner", "/api/planning/suggestions")
        .await
        .json();
    let seven = list["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == keys[7])
        .unwrap();
    assert_eq!(seven["decision"]["action"], "edit");
    // one suggestion: its series for the chart and its decisions
    let one = get_as(
        f,
        "planner",
        &format!("/api/planning/suggestions/{}", keys[6]),
    )
    .await;
    assert_eq!(one.status, StatusCode::OK);
    let one = one.json();
    let series = one["series"].as_array().unwrap();
    assert!(series.iter().any(|p| p["kind"] == "history"));
    assert!(series
        .iter()
        .any(|p| p["kind"] == "forecast" && p["low"].is_number() && p["high"].is_number()));
    assert_eq!(one["decisions"][0]["note"], "by API");
    let missing = get_as(f, "planner", "/api/planning/suggestions/1-999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn service_users_get_403_on_every_planner_route() {
    let f = fixture();
    let keys = keys().await;
    let item = format!("/planning/items/{}", keys[0]);
    let one = format!("/api/planning/suggestions/{}", keys[0]);
    for (method, uri) in [
        (Method::GET, "/planning"),
        (Method::GET, item.as_str()),
        (Method::POST, "/planning/decisions"),
        (Method::GET, "/api/planning/suggestions"),
        (Method::GET, one.as_str()),
        (Method::GET, "/api/planning/decisions"),
        (Method::POST, "/api/planning/decisions"),
        (Method::GET, "/api/planning/orderpoints.csv"),
    ] {
        let a = Call::new(
            method.clone(),
            uri,
            Auth::Bearer(f.token(Role::Service.as_str())),
        )
        .json(json!({"decisions": [{"key": keys[0], "action": "reject"}]}))
        .send()
        .await;
        assert_eq!(
            a.status,
            StatusCode::FORBIDDEN,
            "{method} {uri}: {}",
            a.body
        );
    }
    // and the planning link is not in a service user's navigation
    let page = get_as(f, "service", "/").await;
    assert!(!page.body.contains(r#"href="/planning""#));
}

#[tokio::test(flavor = "multi_thread")]
async fn suggestions_and_decisions_stay_within_the_callers_companies() {
    let f = two_companies();
    let all = suggestion::list(&f.warehouse, &SuggestionQuery::default())
        .await
        .unwrap();
    let of = |c: i64| {
        all.iter()
            .find(|s| s.company_id == Some(c))
            .unwrap()
            .key
            .clone()
    };
    let (k1, k2) = (of(1), of(2));
    for (user, company) in [("c1", 1), ("c2", 2)] {
        let v = get_as(f, user, "/api/planning/suggestions").await.json();
        let rows = v["suggestions"].as_array().unwrap();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|s| s["company_id"] == company), "{user}");
    }
    let both = get_as(f, "c12", "/api/planning/suggestions").await.json();
    assert_eq!(both["count"], all.len());
    // company 1 cannot read nor decide on company 2's items
    let a = get_as(f, "c1", &format!("/api/planning/suggestions/{k2}")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = get_as(f, "c1", &format!("/planning/items/{k2}")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = Call::new(
        Method::POST,
        "/api/planning/decisions",
        Auth::Bearer(f.token("admin")),
    )
    .json(json!({"decisions": [{"key": k1, "action": "reject"}]}))
    .send_to(f)
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let c2 = get_as(f, "c2", "/api/planning/decisions").await.json();
    assert!(
        c2["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["company_id"] == 2),
        "{c2}"
    );
}

/// An accepted rule goes to Odoo (a stand-in playing the Odoo the fixture
/// was captured from, seeded with its orderpoints and their ids): one
/// `write` of exactly the decided quantities on the rule's orderpoint, and
/// what Odoo answered on the decision and in the audit trail.
#[tokio::test(flavor = "multi_thread")]
async fn accepted_rules_are_written_to_odoo_when_one_is_configured() {
    let f = fixture();
    let keys = keys().await;
    let odoo = StandInOdoo::start(StandInConfig::odoo17()).await.unwrap();
    for rule in decision::rules_in_force(&f.warehouse).await.unwrap() {
        odoo.seed_orderpoint(&rule, true).unwrap();
    }
    std::env::set_var("CROSSDOCK_TEST_ODOO_KEY", &odoo.config().api_key);
    let mut state = f.state.clone();
    state.odoo = Some(OdooConnection {
        url: odoo.url().to_string(),
        database: odoo.config().database.clone(),
        login: odoo.config().login.clone(),
        api_key_env: "CROSSDOCK_TEST_ODOO_KEY".into(),
    });
    let s = suggestion::get(&f.warehouse, None, &keys[8])
        .await
        .unwrap()
        .unwrap();
    let a = Call::new(Method::POST, "/api/planning/decisions", Auth::Bearer(f.token("planner")))
        .json(json!({"decisions": [{"key": keys[8], "action": "edit", "min": "5", "max": "12.5", "multiple": "1"}]}))
        .send_with(state.clone())
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let said = a.json()["decisions"][0]["odoo"]
        .as_str()
        .unwrap()
        .to_string();
    match s.orderpoint_id {
        Some(id) => {
            assert_eq!(said, format!("updated orderpoint {id}"));
            let op = odoo.orderpoints().into_iter().find(|o| o.id == id).unwrap();
            assert_eq!(
                (op.product_min_qty, op.product_max_qty),
                (Decimal::new(5, 0), Decimal::new(125, 1))
            );
            assert_eq!(odoo.calls_to("stock.warehouse.orderpoint", "write"), 1);
        }
        None => {
            assert!(said.starts_with("created orderpoint "), "{said}");
            assert_eq!(odoo.calls_to("stock.warehouse.orderpoint", "create"), 1);
        }
    }
    let audit = f.store().audit_latest(50).unwrap();
    let entry = audit
        .iter()
        .find(|e| e.action == "reorder.edit" && e.subject == keys[8])
        .unwrap();
    assert_eq!(entry.after.as_ref().unwrap()["odoo"], json!(said));
    // Odoo down: the decision is kept and says so
    let dead = OdooConnection {
        url: "http://127.0.0.1:9".into(),
        ..state.odoo.clone().unwrap()
    };
    state.odoo = Some(dead);
    let a = Call::new(
        Method::POST,
        "/api/planning/decisions",
        Auth::Bearer(f.token("planner")),
    )
    .json(json!({"decisions": [{"key": keys[9], "action": "accept"}]}))
    .send_with(state)
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert!(
        a.json()["decisions"][0]["odoo"]
            .as_str()
            .unwrap()
            .starts_with("failed: "),
        "{}",
        a.body
    );
}
