//! The role × endpoint matrix, cell by cell: every route of
//! `crossdock_api::auth::ROUTES` called as every role and anonymously.
//! Allowed: the route's success status, with exactly the role's fields;
//! denied: 403; anonymous: 401 under /api/, a 303 to /login for pages.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use crossdock_access::visibility::replace_generated;
use crossdock_access::{NewUser, Role, Visibility};
use crossdock_api::auth::{routes_markdown, Access, ROUTES};
use crossdock_api::visibility::{
    field_class, kpi_class, matrix_markdown, KpiVisibility, SUGGESTION_FIELDS,
};
use crossdock_warehouse::kpi::{self, KpiQuery};
use serde_json::json;

use crate::fixture::{fixture, get_as, login, Answer, Auth, Call, PASSWORD};

/// Who calls: a role's fixture user, or nobody.
#[derive(Debug, Clone, Copy)]
enum Caller {
    Role(Role),
    Anonymous,
}

/// A user to disable, made for one cell of the matrix.
fn throwaway(tag: &str) -> String {
    let name = format!("victim-{tag}");
    fixture()
        .store()
        .add_user(
            "test",
            &NewUser {
                name: name.clone(),
                roles: vec![Role::Service],
                companies: vec![1],
                password: PASSWORD.into(),
            },
        )
        .expect("throwaway user");
    name
}

async fn call(route: &crossdock_api::auth::Route, caller: Caller) -> Answer {
    let f = fixture();
    let auth = match caller {
        Caller::Role(r) => Auth::Bearer(f.token(r.as_str())),
        Caller::Anonymous => Auth::None,
    };
    let tag = match caller {
        Caller::Role(r) => r.as_str().to_string(),
        Caller::Anonymous => "anonymous".to_string(),
    };
    let method: Method = route.method.parse().unwrap();
    match (route.method, route.path) {
        ("POST", "/login") => {
            // Public: a right password logs anyone in.
            login(f, "planner", PASSWORD, &format!("10.1.0.{}:1", tag.len())).await.0
        }
        ("POST", "/api/users") => {
            Call::new(method, route.path, auth)
                .json(json!({"name": format!("new-{tag}"), "roles": ["service"], "companies": [1], "password": PASSWORD}))
                .send()
                .await
        }
        ("POST", "/admin/users") => {
            Call::new(method, route.path, auth)
                .form(&format!("name=page-{tag}&role=service&companies=1"))
                .send()
                .await
        }
        ("POST", p) if p.contains("{name}") => {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = throwaway(&format!("{tag}-{n}"));
            if p.ends_with("/enable") {
                fixture().store().disable_user("test", &name).unwrap();
            }
            let uri = p.replace("{name}", &name);
            let call = Call::new(method, &uri, auth);
            let call = match (p.starts_with("/api/"), p.ends_with("/roles")) {
                (true, true) => call.json(json!({"roles": ["planner"], "companies": [1]})),
                (false, true) => call.form("role=planner&companies=1"),
                _ => call,
            };
            call.send().await
        }
        ("POST", "/planning/decisions") => {
            let key = crate::fixture::suggestion_key(f);
            Call::new(method, route.path, auth)
                .form(&format!("action=reject&key={key}&note=matrix+{tag}"))
                .send()
                .await
        }
        ("POST", "/api/planning/decisions") => {
            let key = crate::fixture::suggestion_key(f);
            Call::new(method, route.path, auth)
                .json(json!({"decisions": [{"key": key, "action": "reject", "note": format!("matrix {tag}")}]}))
                .send()
                .await
        }
        ("POST", "/inbox/actions") => {
            Call::new(method, route.path, auth)
                .form(&format!("action=done&id={}", crate::fixture::MESSAGE_IDS[2]))
                .send()
                .await
        }
        ("POST", "/api/inbox/actions") => {
            Call::new(method, route.path, auth)
                .json(json!({"action": "reopen", "ids": [crate::fixture::MESSAGE_IDS[2]]}))
                .send()
                .await
        }
        ("GET", p) if p.contains("{key}") => {
            let uri = p.replace("{key}", &crate::fixture::suggestion_key(f));
            Call::new(method, &uri, auth).send().await
        }
        ("GET", "/static/{*path}") => {
            Call::new(method, "/static/vendor/htmx/htmx.min.js", auth)
                .send()
                .await
        }
        _ => Call::new(method, route.path, auth).send().await,
    }
}

/// The status of a successful call of each route.
fn success(route: &crossdock_api::auth::Route) -> StatusCode {
    match (route.method, route.path) {
        ("POST", "/login")
        | ("POST", "/logout")
        | ("POST", "/admin/users/{name}/disable")
        | ("POST", "/admin/users/{name}/enable")
        | ("POST", "/admin/users/{name}/unlock")
        | ("POST", "/admin/users/{name}/roles")
        | ("POST", "/planning/decisions")
        | ("POST", "/inbox/actions") => StatusCode::SEE_OTHER,
        ("POST", "/api/users") | ("POST", "/admin/users") | ("POST", "/api/planning/decisions") => {
            StatusCode::CREATED
        }
        _ => StatusCode::OK,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_role_against_every_route() {
    let mut checked = 0;
    for route in ROUTES {
        let is_api = route.path.starts_with("/api/");
        for role in Role::ALL {
            let a = call(route, Caller::Role(role)).await;
            let allowed = match route.access {
                Access::Public | Access::SignedIn => true,
                Access::Roles(rs) => rs.contains(&role),
            };
            let cell = format!("{} {} as {role}", route.method, route.path);
            if allowed {
                assert_eq!(a.status, success(route), "{cell}: {}", a.body);
                check_fields(route.path, role, &a);
            } else {
                assert_eq!(a.status, StatusCode::FORBIDDEN, "{cell}: {}", a.body);
                if is_api {
                    assert!(a.error().contains("admin"), "{cell}: {}", a.body);
                } else {
                    assert!(a.content_type().starts_with("text/html"), "{cell}");
                }
            }
            checked += 1;
        }
        let a = call(route, Caller::Anonymous).await;
        let cell = format!("{} {} anonymously", route.method, route.path);
        match route.access {
            Access::Public => assert_eq!(a.status, success(route), "{cell}: {}", a.body),
            _ if is_api => {
                assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{cell}: {}", a.body);
                assert!(a.error().contains("/login"), "{cell}: {}", a.body);
                assert!(a.header("www-authenticate").starts_with("Bearer"), "{cell}");
            }
            _ => {
                assert_eq!(a.status, StatusCode::SEE_OTHER, "{cell}: {}", a.body);
                assert_eq!(a.header("location"), "/login", "{cell}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, ROUTES.len() * (Role::ALL.len() + 1));
}

/// Allowed answers carry exactly the role's fields.
fn check_fields(path: &str, role: Role, a: &Answer) {
    let visible = Visibility::of(&[role]);
    let want: BTreeSet<String> = visible
        .fields()
        .into_iter()
        .map(str::to_string)
        .chain(["group".to_string()])
        .collect();
    match path {
        "/api/kpis" => {
            let v = a.json();
            let rows = v["rows"].as_array().expect("rows");
            assert!(!rows.is_empty());
            for row in rows {
                let have: BTreeSet<String> = row.as_object().unwrap().keys().cloned().collect();
                assert_eq!(have, want, "{role}: fields of {row}");
            }
        }
        "/api/kpis/definitions" => {
            let names: BTreeSet<String> = a
                .json()
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            let want: BTreeSet<String> = kpi::definitions()
                .into_iter()
                .map(|d| d.name)
                .filter(|n| visible.sees_kpi(n))
                .collect();
            assert_eq!(names, want, "{role}");
        }
        "/" => {
            for (label, class) in [
                ("Revenue", crossdock_access::FieldClass::Revenue),
                ("Cost", crossdock_access::FieldClass::Cost),
                ("Gross margin", crossdock_access::FieldClass::Margin),
                ("Over-discount", crossdock_access::FieldClass::Leakage),
                ("Below cost", crossdock_access::FieldClass::Leakage),
                ("OTIF", crossdock_access::FieldClass::Service),
            ] {
                let shown = a.body.contains(&format!(">{label}</dt>"));
                assert_eq!(
                    shown,
                    visible.sees(class),
                    "{role}: {label} on the dashboard"
                );
            }
        }
        "/api/me" => {
            let v = a.json();
            assert_eq!(v["name"], role.as_str());
            assert_eq!(v["via"], "token");
            let fields: BTreeSet<String> = v["kpi_fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                fields,
                visible.fields().into_iter().map(str::to_string).collect()
            );
            if role == Role::Admin {
                assert!(v["companies"].is_null());
            } else {
                assert_eq!(v["companies"], json!([1]));
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_matrix_classifies_every_kpi_field_of_the_warehouse() {
    // The fields of serialized KPI rows, as the warehouse writes them: each
    // must have a class (else it would be filtered away for everyone), and
    // they are exactly the registry's fields.
    let report = fixture()
        .warehouse
        .kpis(&KpiQuery::default())
        .await
        .unwrap();
    assert!(!report.rows.is_empty());
    let registered: BTreeSet<String> = kpi::fields().map(|f| f.name.to_string()).collect();
    for row in &report.rows {
        let have: BTreeSet<String> = serde_json::to_value(row)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "group")
            .cloned()
            .collect();
        assert_eq!(
            have, registered,
            "a KPI row has exactly the registry's fields"
        );
        for f in &have {
            assert!(
                field_class(f).is_some(),
                "KPI field {f} has no visibility class"
            );
        }
    }
    for d in kpi::definitions() {
        assert!(
            kpi_class(&d.name).is_some(),
            "KPI {} has no visibility class",
            d.name
        );
    }
    // The admin sees every registered field; nobody sees an unknown one.
    let admin = Visibility::of(&[Role::Admin]);
    assert_eq!(admin.fields().len(), registered.len());
    assert!(!admin.sees_field("something_new"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_suggestion_field_has_a_class() {
    // A suggestion's JSON as the models write it: each key must have a
    // class (else it would be filtered away for everyone).
    let list = crossdock_models::suggestion::list(&fixture().warehouse, &Default::default())
        .await
        .unwrap();
    let v = serde_json::to_value(&list[0]).unwrap();
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let classified: BTreeSet<&str> = SUGGESTION_FIELDS.iter().map(|(f, _)| *f).collect();
    assert_eq!(keys, classified);
    // planners see stock at cost; a service user would not
    let planner = Visibility::of(&[Role::Planner]);
    assert!(planner.sees(crossdock_access::FieldClass::Inventory));
    let a = get_as(fixture(), "planner", "/api/planning/suggestions").await;
    assert!(
        a.json()["suggestions"][0]["stock_value_after"].is_string(),
        "{}",
        a.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_union_sees_the_union() {
    let f = fixture();
    f.store()
        .add_user(
            "test",
            &NewUser {
                name: "planner-buyer".into(),
                roles: vec![Role::Planner, Role::Procurement],
                companies: vec![1],
                password: PASSWORD.into(),
            },
        )
        .unwrap();
    let token = f
        .store()
        .issue_token(
            "test",
            "planner-buyer",
            "",
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .unwrap()
        .secret;
    let a = Call::new(Method::GET, "/api/kpis", Auth::Bearer(&token))
        .send()
        .await;
    let row = &a.json()["rows"][0];
    assert!(
        row.get("cost").is_some() && row.get("otif").is_some(),
        "{row}"
    );
    assert!(
        row.get("revenue").is_none() && row.get("gross_margin").is_none(),
        "{row}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn planners_see_no_money_anywhere_in_the_api() {
    let f = fixture();
    for uri in [
        "/api/kpis?by=channel,week",
        "/api/kpis/definitions",
        "/api/me",
    ] {
        let a = get_as(f, "planner", uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        for word in ["revenue", "gross_margin", "margin_pct", "leak_", "\"cost\""] {
            // /api/me lists only visible fields; the others none of these.
            assert!(
                !a.body.contains(word),
                "{uri} shows {word} to a planner: {}",
                a.body
            );
        }
    }
}

#[test]
fn docs_security_md_has_the_tables_of_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/security.md");
    let have = std::fs::read_to_string(path).unwrap_or_default();
    let want = replace_generated(&have, "endpoint-access", &routes_markdown())
        .expect("docs/security.md lacks the <!-- generated: endpoint-access --> markers");
    let want = replace_generated(&want, "field-visibility", &matrix_markdown())
        .expect("docs/security.md lacks the <!-- generated: field-visibility --> markers");
    if std::env::var("UPDATE_DOCS").is_ok() && want != have {
        std::fs::write(path, &want).unwrap();
        return;
    }
    assert!(
        have == want,
        "docs/security.md's endpoint table or field-visibility matrix is out of date with crossdock_api::auth::ROUTES, the KPI registry or crossdock-access's MATRIX; run UPDATE_DOCS=1 cargo test -p crossdock-api"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_describes_every_json_route_and_the_bearer_scheme() {
    let a = Call::new(Method::GET, "/api/openapi.json", Auth::None)
        .send()
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let doc = a.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for route in ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/api/") && r.path != "/api/openapi.json")
    {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is not in the OpenAPI document",
            route.method,
            route.path
        );
        let secured = op
            .get("security")
            .is_some_and(|s| !s.as_array().unwrap().is_empty());
        assert_eq!(
            secured,
            route.access != Access::Public,
            "{} {}",
            route.method,
            route.path
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_kpi_row_is_the_registry_and_role_and_freshness_are_the_real_types() {
    let a = Call::new(Method::GET, "/api/openapi.json", Auth::None)
        .send()
        .await;
    let doc = a.json();
    let schemas = &doc["components"]["schemas"];
    let row = &schemas["KpiRow"];
    let props = row["properties"]
        .as_object()
        .expect("KpiRow has properties");
    let mut want: BTreeSet<String> = kpi::fields().map(|f| f.name.to_string()).collect();
    want.insert("group".into());
    assert_eq!(props.keys().cloned().collect::<BTreeSet<_>>(), want);
    assert_eq!(row["required"], json!(["group"]));
    for f in kpi::fields() {
        let p = &props[f.name];
        let base = match f.kind {
            kpi::FieldKind::Count | kpi::FieldKind::Micros => "integer",
            kpi::FieldKind::Ratio | kpi::FieldKind::Days => "number",
            kpi::FieldKind::Money | kpi::FieldKind::Quantity => "string",
        };
        let ty = if f.nullable {
            json!([base, "null"])
        } else {
            json!(base)
        };
        assert_eq!(p["type"], ty, "{}: {p}", f.name);
        if f.kind.is_decimal() {
            assert!(p["pattern"].is_string(), "{}: money has a pattern", f.name);
        }
    }
    // Role: the access crate's enum, lowercase.
    let roles: BTreeSet<String> = schemas["Role"]["enum"]
        .as_array()
        .expect("Role is an enum")
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        roles,
        Role::ALL.iter().map(|r| r.as_str().to_string()).collect()
    );
    // Freshness: the warehouse's struct, field for field.
    let fresh = serde_json::to_value(fixture().warehouse.freshness().await.unwrap()).unwrap();
    let keys: BTreeSet<&String> = schemas["Freshness"]["properties"]
        .as_object()
        .expect("Freshness has properties")
        .keys()
        .collect();
    assert_eq!(keys, fresh.as_object().unwrap().keys().collect());
}
