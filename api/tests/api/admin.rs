//! The admin page's forms and the JSON endpoints behind them: add, enable,
//! unlock, reset a password, set roles; company ids checked against the
//! warehouse.

use axum::http::{Method, StatusCode};
use crossdock_access::{NewUser, Role};
use serde_json::json;

use crate::fixture::{csrf_in, fixture, login, Auth, Call, PASSWORD};

fn add(name: &str) {
    fixture()
        .store()
        .add_user(
            "test",
            &NewUser {
                name: name.into(),
                roles: vec![Role::Service],
                companies: vec![1],
                password: PASSWORD.into(),
            },
        )
        .unwrap();
}

/// The password a password page shows.
fn shown_password(page: &str) -> String {
    let start = page.find("<p><code>").expect("a password on the page") + "<p><code>".len();
    let end = start + page[start..].find("</code>").unwrap();
    page[start..end].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_page_adds_enables_unlocks_resets_and_sets_roles_with_forms() {
    let f = fixture();
    add("page-target");
    let (_, session) = login(f, "admin", PASSWORD, "10.20.0.1:1").await;
    let session = session.unwrap();
    let page = Call::new(Method::GET, "/admin", Auth::Session(&session, None))
        .send()
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for form in [
        r#"action="/admin/users""#,
        r#"action="/admin/users/page-target/disable""#,
        r#"action="/admin/users/page-target/unlock""#,
        r#"action="/admin/users/page-target/reset-password""#,
        r#"action="/admin/users/page-target/roles""#,
    ] {
        assert!(page.body.contains(form), "no form {form}");
    }
    let csrf = csrf_in(&page.body).unwrap();
    let post = |uri: String, body: String| {
        let session = session.clone();
        async move {
            Call::new(Method::POST, &uri, Auth::Session(&session, None))
                .form(&body)
                .send()
                .await
        }
    };

    // Without the CSRF token, nothing happens.
    let a = post(
        "/admin/users".into(),
        "name=page-new&role=planner&companies=1".into(),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(f.store().user("page-new").unwrap().is_none());

    // Add: a generated password, shown once, that logs in.
    let a = post(
        "/admin/users".into(),
        format!("csrf={csrf}&name=page-new&role=planner&role=service&companies=1"),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let password = shown_password(&a.body);
    assert_eq!(password.len(), 20);
    let u = f.store().user("page-new").unwrap().unwrap();
    assert_eq!(u.roles, vec![Role::Planner, Role::Service]);
    let (a, _) = login(f, "page-new", &password, "10.20.0.2:1").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    // An unknown company is refused, naming the known ones.
    let a = post(
        "/admin/users".into(),
        format!("csrf={csrf}&name=page-bad&role=planner&companies=99"),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(
        a.body.contains("company 99 is not known") && a.body.contains("are 1"),
        "{}",
        a.body
    );
    assert!(f.store().user("page-bad").unwrap().is_none());

    // Roles.
    let a = post(
        "/admin/users/page-target/roles".into(),
        format!("csrf={csrf}&role=executive&companies=1"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        f.store().user("page-target").unwrap().unwrap().roles,
        vec![Role::Executive]
    );
    let a = post(
        "/admin/users/page-target/roles".into(),
        format!("csrf={csrf}&companies=1"),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "no role: {}", a.body);

    // Disable, then enable.
    let a = post(
        "/admin/users/page-target/disable".into(),
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let page = Call::new(Method::GET, "/admin", Auth::Session(&session, None))
        .send()
        .await;
    assert!(page
        .body
        .contains(r#"action="/admin/users/page-target/enable""#));
    let a = post(
        "/admin/users/page-target/enable".into(),
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(!f.store().user("page-target").unwrap().unwrap().disabled);

    // Reset: the old password stops working, the new one shown works.
    let a = post(
        "/admin/users/page-target/reset-password".into(),
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let new_password = shown_password(&a.body);
    assert_eq!(
        login(f, "page-target", PASSWORD, "10.20.0.3:1")
            .await
            .0
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(f, "page-target", &new_password, "10.20.0.3:2")
            .await
            .0
            .status,
        StatusCode::SEE_OTHER
    );

    // Unlock.
    let a = post(
        "/admin/users/page-target/unlock".into(),
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);

    let audit = f.store().audit(0, 100_000).unwrap();
    let mine: Vec<&str> = audit
        .iter()
        .filter(|e| e.subject == "page-target" && e.actor == "admin")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        mine,
        [
            "user.set_roles",
            "user.disable",
            "user.enable",
            "user.reset_password",
            "user.unlock"
        ]
    );
    assert!(audit
        .iter()
        .any(|e| e.action == "user.add" && e.subject == "page-new" && e.actor == "admin"));
    let text = serde_json::to_string(&audit).unwrap();
    assert!(!text.contains(&new_password) && !text.contains(&password));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_json_endpoints_enable_reset_and_set_roles() {
    let f = fixture();
    let admin = f.token("admin");
    add("json-target");
    let call = |uri: &'static str| Call::new(Method::POST, uri, Auth::Bearer(admin));

    let a = call("/api/users/json-target/enable").send().await;
    assert_eq!(a.status, StatusCode::CONFLICT, "not disabled: {}", a.body);
    f.store().disable_user("test", "json-target").unwrap();
    let a = call("/api/users/JSON-target/enable").send().await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["disabled"], false);

    let a = call("/api/users/json-target/reset-password").send().await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let v = a.json();
    let password = v["password"].as_str().unwrap().to_string();
    assert_eq!(v["user"]["name"], "json-target");
    assert_eq!(
        login(f, "json-target", &password, "10.21.0.1:1")
            .await
            .0
            .status,
        StatusCode::SEE_OTHER
    );

    let a = call("/api/users/json-target/roles")
        .json(json!({"roles": ["procurement", "planner"]}))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["roles"], json!(["planner", "procurement"]));
    assert_eq!(a.json()["companies"], json!([1]), "companies unchanged");
    for (body, status) in [
        (
            json!({"roles": ["planner"], "companies": [99]}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"roles": []}), StatusCode::BAD_REQUEST),
        (json!({"roles": ["boss"]}), StatusCode::BAD_REQUEST),
        (
            json!({"roles": ["planner"], "extra": 1}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let a = call("/api/users/json-target/roles")
            .json(body.clone())
            .send()
            .await;
        assert_eq!(a.status, status, "{body}: {}", a.body);
        assert!(!a.error().is_empty());
    }
    let a = call("/api/users/nobody-here/roles")
        .json(json!({"roles": ["planner"]}))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = call("/api/users/admin/roles")
        .json(json!({"roles": ["planner"], "companies": [1]}))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "the last admin: {}", a.body);

    // POST /api/users checks companies too.
    let a = call("/api/users")
        .json(json!({"name": "json-99", "roles": ["planner"], "companies": [99], "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.error().contains("99"), "{}", a.body);
}
