//! Sessions, CSRF, login throttling, tokens and the audit trail, through
//! the HTTP interface.

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use crossdock_access::{NewUser, Role};
use crossdock_api::auth::{LOGIN_MAX_ACCOUNT_FAILURES, LOGIN_MAX_FAILURES};
use serde_json::json;

use crate::fixture::{csrf_in, fixture, login, Auth, Call, PASSWORD};

fn add(name: &str, roles: &[Role]) {
    fixture()
        .store()
        .add_user(
            "test",
            &NewUser {
                name: name.into(),
                roles: roles.to_vec(),
                companies: vec![1],
                password: PASSWORD.into(),
            },
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn login_sets_a_strict_http_only_cookie_and_logout_needs_the_csrf_token() {
    let f = fixture();
    let page = Call::new(Method::GET, "/login", Auth::None).send().await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains(r#"<form class="login" method="post" action="/login">"#));

    let (a, session) = login(f, "executive", PASSWORD, "10.2.0.1:5000").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.header("location"), "/");
    let cookie = a.header("set-cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain-http default: {cookie}");
    let session = session.expect("a session cookie");

    // The session opens the pages and the API.
    let dash = Call::new(Method::GET, "/", Auth::Session(&session, None))
        .send()
        .await;
    assert_eq!(dash.status, StatusCode::OK, "{}", dash.body);
    assert!(dash.body.contains("Signed in as executive"));
    let csrf = csrf_in(&dash.body).expect("the logout form carries a CSRF token");
    let me = Call::new(Method::GET, "/api/me", Auth::Session(&session, None))
        .send()
        .await;
    assert_eq!(me.json()["via"], "session");

    // Logout without the token: 403, still logged in.
    let no = Call::new(Method::POST, "/logout", Auth::Session(&session, None))
        .send()
        .await;
    assert_eq!(no.status, StatusCode::FORBIDDEN, "{}", no.body);
    let wrong = Call::new(Method::POST, "/logout", Auth::Session(&session, None))
        .form("csrf=nope")
        .send()
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(
        Call::new(Method::GET, "/api/me", Auth::Session(&session, None))
            .send()
            .await
            .status,
        StatusCode::OK
    );
    // With it (the form's hidden field): logged out.
    let out = Call::new(Method::POST, "/logout", Auth::Session(&session, None))
        .form(&format!("csrf={csrf}"))
        .send()
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    let after = Call::new(Method::GET, "/", Auth::Session(&session, None))
        .send()
        .await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.header("location"), "/login");
    let api = Call::new(Method::GET, "/api/kpis", Auth::Session(&session, None))
        .send()
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn state_changing_posts_with_a_session_need_the_csrf_token() {
    let f = fixture();
    add("csrf-victim", &[Role::Service]);
    let (_, session) = login(f, "admin", PASSWORD, "10.3.0.1:5000").await;
    let session = session.unwrap();
    let admin_page = Call::new(Method::GET, "/admin", Auth::Session(&session, None))
        .send()
        .await;
    assert_eq!(admin_page.status, StatusCode::OK);
    assert!(admin_page.body.contains("csrf-victim"));
    let csrf = csrf_in(&admin_page.body).unwrap();

    // The admin page's disable form, without and with the token.
    let uri = "/admin/users/csrf-victim/disable";
    let a = Call::new(Method::POST, uri, Auth::Session(&session, None))
        .form("")
        .send()
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(!f.store().user("csrf-victim").unwrap().unwrap().disabled);
    let a = Call::new(Method::POST, uri, Auth::Session(&session, None))
        .form(&format!("csrf={csrf}"))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(f.store().user("csrf-victim").unwrap().unwrap().disabled);

    // The JSON API with a session cookie: the x-csrf-token header.
    let body =
        json!({"name": "csrf-new", "roles": ["planner"], "companies": [1], "password": PASSWORD});
    let a = Call::new(Method::POST, "/api/users", Auth::Session(&session, None))
        .json(body.clone())
        .send()
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(a.error().contains("CSRF"));
    assert!(f.store().user("csrf-new").unwrap().is_none());
    let a = Call::new(
        Method::POST,
        "/api/users",
        Auth::Session(&session, Some(&csrf)),
    )
    .json(body)
    .send()
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_logins_are_throttled_per_account_and_address_and_per_account() {
    let f = fixture();
    add("throttled", &[Role::Planner]);
    // Per account and address: 5 failures from one address, then even the
    // right password waits there...
    for i in 0..LOGIN_MAX_FAILURES {
        let (a, s) = login(f, "throttled", "wrong password!", "10.4.0.1:1").await;
        assert_eq!(
            a.status,
            StatusCode::UNAUTHORIZED,
            "attempt {i}: {}",
            a.body
        );
        assert!(s.is_none());
        assert!(a.body.contains("wrong user name or password"));
    }
    let (a, s) = login(f, "throttled", PASSWORD, "10.4.0.1:2").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert!(s.is_none());
    let retry: u64 = a
        .header("retry-after")
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry > 0 && retry <= 900, "{retry}");
    // ...but not from another address: the account has 5 of its 10
    let (a, s) = login(f, "throttled", PASSWORD, "10.4.0.2:1").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(s.is_some());

    // Per account, from anywhere: 10 failures from 10 addresses.
    add("guessed", &[Role::Planner]);
    for i in 0..LOGIN_MAX_ACCOUNT_FAILURES {
        let (a, _) = login(f, "guessed", "wrong password!", &format!("10.4.1.{i}:1")).await;
        assert_eq!(
            a.status,
            StatusCode::UNAUTHORIZED,
            "attempt {i}: {}",
            a.body
        );
    }
    let (a, _) = login(f, "guessed", PASSWORD, "10.4.2.1:1").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);

    // One office address: typos on five accounts lock nobody else out.
    for i in 0..LOGIN_MAX_FAILURES {
        let (a, _) = login(f, &format!("nobody-{i}"), "wrong password!", "10.5.0.1:1").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let (a, s) = login(f, "planner", PASSWORD, "10.5.0.1:2").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(s.is_some());

    // Unknown user and wrong password look the same.
    let (a, _) = login(f, "no-such-user", "wrong password!", "10.6.0.1:1").await;
    let (b, _) = login(f, "planner", "wrong password!", "10.6.0.2:1").await;
    assert_eq!(
        (a.status, a.body.replace("no-such-user", "X")),
        (b.status, b.body.replace("planner", "X"))
    );

    let audit = f.store().audit(0, 100_000).unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "login.throttled" && e.subject == "throttled"));
    assert!(audit
        .iter()
        .any(|e| e.action == "login.failed" && e.subject == "throttled"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unlock_in_the_store_lets_a_throttled_user_in_at_once() {
    let f = fixture();
    add("unlock-me", &[Role::Service]);
    for addr in ["10.7.0.1:1", "10.7.0.2:1"] {
        for _ in 0..LOGIN_MAX_FAILURES {
            login(f, "unlock-me", "wrong password!", addr).await;
        }
    }
    for addr in ["10.7.0.1:2", "10.7.0.2:2"] {
        let (a, _) = login(f, "unlock-me", PASSWORD, addr).await;
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    }
    // What `crossdock user unlock` does from another process: only the
    // store changes, the server's limiter learns it at the next attempt.
    f.store().unlock("cli:test", "UNLOCK-ME").unwrap();
    let (a, s) = login(f, "unlock-me", PASSWORD, "10.7.0.1:3").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(s.is_some());
    // counting starts afresh: the pair's old failures are gone too
    let (a, _) = login(f, "unlock-me", PASSWORD, "10.7.0.2:3").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    // The same through the JSON API (admin token), and audited.
    for _ in 0..LOGIN_MAX_FAILURES {
        login(f, "unlock-me", "wrong password!", "10.7.0.3:1").await;
    }
    assert_eq!(
        login(f, "unlock-me", PASSWORD, "10.7.0.3:2").await.0.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let a = Call::new(
        Method::POST,
        "/api/users/unlock-me/unlock",
        Auth::Bearer(f.token("admin")),
    )
    .send()
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["name"], "unlock-me");
    assert_eq!(
        login(f, "unlock-me", PASSWORD, "10.7.0.3:3").await.0.status,
        StatusCode::SEE_OTHER
    );
    let unlocks: Vec<_> = f
        .store()
        .audit(0, 100_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "user.unlock" && e.subject == "unlock-me")
        .map(|e| e.actor)
        .collect();
    assert_eq!(unlocks, ["cli:test", "admin"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn names_are_case_insensitive_at_login() {
    let f = fixture();
    add("mixed-case", &[Role::Service]);
    let e = f
        .store()
        .add_user(
            "test",
            &NewUser {
                name: "MIXED-case".into(),
                roles: vec![Role::Admin],
                companies: vec![],
                password: PASSWORD.into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(e, crossdock_access::AccessError::UserExists { .. }),
        "{e}"
    );
    let (a, s) = login(f, "Mixed-Case", PASSWORD, "10.8.0.1:1").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let me = Call::new(Method::GET, "/api/me", Auth::Session(&s.unwrap(), None))
        .send()
        .await;
    assert_eq!(me.json()["name"], "mixed-case");
    // failures under any spelling count for the one account
    for spelling in [
        "MIXED-CASE",
        "mixed-CASE",
        "Mixed-case",
        "mixed-casE",
        "MIXED-case",
    ] {
        let (a, _) = login(f, spelling, "wrong password!", "10.8.0.2:1").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let (a, _) = login(f, "mixed-case", PASSWORD, "10.8.0.2:2").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    // the JSON API refuses a second spelling too
    let a = Call::new(Method::POST, "/api/users", Auth::Bearer(f.token("admin")))
        .json(json!({"name": "Mixed-Case", "roles": ["planner"], "companies": [1], "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_turned_away_while_busy_is_no_failure_but_is_audited() {
    let f = fixture();
    add("busy-user", &[Role::Service]);
    // every password check taken: a server under a login flood
    let mut busy = f.state.clone();
    busy.password_checks = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let send = |password: &str| {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("name", "busy-user")
            .append_pair("password", password)
            .finish();
        Call::new(Method::POST, "/login", Auth::None)
            .form(&body)
            .client_addr("10.9.0.1:1")
            .send_with(busy.clone())
    };
    for _ in 0..LOGIN_MAX_FAILURES * 2 {
        let a = send(PASSWORD).await;
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
        assert_eq!(a.header("retry-after"), "1");
        assert!(a.body.contains("too many logins at once"), "{}", a.body);
    }
    // none of them counted: the same address and account log in at once
    let (a, _) = login(f, "busy-user", PASSWORD, "10.9.0.1:2").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let busy_rows = f
        .store()
        .audit(0, 100_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "login.busy" && e.actor == "address:10.9.0.1")
        .count();
    assert_eq!(busy_rows, 1, "audited once per address and window");
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_revoked_and_disabled_users_tokens_are_refused() {
    let f = fixture();
    add("token-user", &[Role::Service]);
    let s = f.store();
    let get = |t: String| async move {
        Call::new(Method::GET, "/api/me", Auth::Bearer(&t))
            .send()
            .await
            .status
    };
    let expired = s
        .issue_token("test", "token-user", "", Utc::now() - Duration::seconds(1))
        .unwrap();
    assert_eq!(get(expired.secret).await, StatusCode::UNAUTHORIZED);
    let live = s
        .issue_token("test", "token-user", "", Utc::now() + Duration::hours(1))
        .unwrap();
    assert_eq!(get(live.secret.clone()).await, StatusCode::OK);
    s.revoke_token("test", &live.token.id).unwrap();
    assert_eq!(get(live.secret).await, StatusCode::UNAUTHORIZED);
    let other = s
        .issue_token("test", "token-user", "", Utc::now() + Duration::hours(1))
        .unwrap();
    assert_eq!(get(other.secret.clone()).await, StatusCode::OK);
    // Disabled through the API (as the admin, by token: no CSRF needed).
    let a = Call::new(
        Method::POST,
        "/api/users/token-user/disable",
        Auth::Bearer(f.token("admin")),
    )
    .send()
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["disabled"], true);
    assert_eq!(get(other.secret).await, StatusCode::UNAUTHORIZED);
    // Garbage.
    for bad in ["", "cdk_", "Basic abc", "cdk_00_xx"] {
        assert_eq!(
            get(bad.to_string()).await,
            StatusCode::UNAUTHORIZED,
            "{bad:?}"
        );
    }
    // An admin cannot disable themselves; twice is a conflict; unknown is 404.
    for (uri, status) in [
        ("/api/users/admin/disable", StatusCode::CONFLICT),
        ("/api/users/token-user/disable", StatusCode::CONFLICT),
        ("/api/users/nobody-at-all/disable", StatusCode::NOT_FOUND),
    ] {
        let a = Call::new(Method::POST, uri, Auth::Bearer(f.token("admin")))
            .send()
            .await;
        assert_eq!(a.status, status, "{uri}: {}", a.body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn user_changes_are_audited_and_the_audit_trail_is_append_only() {
    let f = fixture();
    let admin = f.token("admin");
    let a = Call::new(Method::POST, "/api/users", Auth::Bearer(admin))
        .json(json!({"name": "audited", "roles": ["procurement"], "companies": [1], "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["roles"], json!(["procurement"]));
    assert!(!a.body.contains("argon2") && !a.body.contains(PASSWORD));
    for (body, status) in [
        (
            json!({"name": "audited", "roles": ["planner"], "companies": [1], "password": PASSWORD}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"name": "x y", "roles": ["planner"], "companies": [1], "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"name": "ok1", "roles": ["boss"], "companies": [1], "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"name": "ok2", "roles": ["planner"], "companies": [], "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"name": "ok3", "roles": ["planner"], "companies": [1], "password": "short"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"name": "ok4", "roles": ["planner"], "companies": [1], "password": PASSWORD, "admin": true}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let a = Call::new(Method::POST, "/api/users", Auth::Bearer(admin))
            .json(body.clone())
            .send()
            .await;
        assert_eq!(a.status, status, "{body}: {}", a.body);
    }
    let a = Call::new(
        Method::POST,
        "/api/users/audited/disable",
        Auth::Bearer(admin),
    )
    .send()
    .await;
    assert_eq!(a.status, StatusCode::OK);

    let a = Call::new(Method::GET, "/api/audit", Auth::Bearer(admin))
        .send()
        .await;
    let rows = a.json();
    let rows = rows.as_array().unwrap();
    let add = rows
        .iter()
        .find(|r| r["action"] == "user.add" && r["subject"] == "audited")
        .expect("a user.add row");
    assert_eq!(add["actor"], "admin");
    assert!(add["before"].is_null());
    assert_eq!(add["after"]["roles"], json!(["procurement"]));
    let disable = rows
        .iter()
        .find(|r| r["action"] == "user.disable" && r["subject"] == "audited")
        .expect("a user.disable row");
    assert_eq!(disable["before"]["disabled"], false);
    assert_eq!(disable["after"]["disabled"], true);
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    let csv = Call::new(Method::GET, "/api/audit?format=csv", Auth::Bearer(admin))
        .send()
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv
        .body
        .starts_with("id,at,actor,action,subject,before,after\r\n"));
    assert!(
        csv.body.contains("\"user.disable\",\"audited\""),
        "{}",
        csv.body
    );
    let page = Call::new(
        Method::GET,
        "/api/audit?after=1&limit=2",
        Auth::Bearer(admin),
    )
    .send()
    .await;
    assert_eq!(page.json().as_array().unwrap().len(), 2);
    for bad in [
        "/api/audit?format=xml",
        "/api/audit?limit=0",
        "/api/audit?after=-1",
        "/api/audit?x=1",
    ] {
        let a = Call::new(Method::GET, bad, Auth::Bearer(admin))
            .send()
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // Append-only, whatever the application does.
    for sql in [
        "UPDATE audit SET actor = 'someone else'",
        "DELETE FROM audit WHERE id = 1",
    ] {
        let e = f.store().execute_raw(sql).unwrap_err().to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    let again = Call::new(Method::GET, "/api/audit", Auth::Bearer(admin))
        .send()
        .await;
    assert!(again.json().as_array().unwrap().len() >= rows.len());
}
