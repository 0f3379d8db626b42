//! Customer service's inbox on the fixture's three classified messages:
//! the page, the linked Odoo records, corrections and done marks by form
//! and by JSON, the audit trail, and who may not.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::fixture::{csrf_in, fixture, get_as, login, Auth, Call, MESSAGE_IDS, PASSWORD};

fn message<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
}

#[tokio::test(flavor = "multi_thread")]
async fn service_works_the_inbox_and_every_change_is_audited() {
    let f = fixture();
    let (_, session) = login(f, "service", PASSWORD, "10.40.0.1:1").await;
    let session = session.unwrap();
    let page = Call::new(
        Method::GET,
        "/inbox?status=all",
        Auth::Session(&session, None),
    )
    .send()
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"aria-current="page">Inbox</a>"#));
    assert!(page.body.contains("Broken pallet") && page.body.contains("damaged goods"));
    // the order the first message names, with its state from the warehouse
    let list = get_as(f, "service", "/api/inbox/messages?status=all")
        .await
        .json();
    let first = message(&list, MESSAGE_IDS[0]).expect("the first message");
    let order = first["references"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let linked = first["linked"][&order].as_str().unwrap_or_default();
    assert!(linked.starts_with("confirmed"), "{first}");
    assert!(
        page.body.contains(&format!("{order}: confirmed")),
        "{}",
        page.body
    );
    let csrf = csrf_in(&page.body).unwrap();
    let post = |body: String| {
        let session = session.clone();
        async move {
            Call::new(
                Method::POST,
                "/inbox/actions",
                Auth::Session(&session, None),
            )
            .form(&body)
            .send()
            .await
        }
    };
    // a category that does not exist: a 400 naming it, nothing changed
    let a = post(format!(
        "csrf={csrf}&action=correct&id={}&category=broken",
        urlencode(MESSAGE_IDS[1])
    ))
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("category must be one of"), "{}", a.body);
    let still = get_as(f, "service", "/api/inbox/messages?status=all")
        .await
        .json();
    assert_eq!(
        message(&still, MESSAGE_IDS[1]).unwrap()["category_now"],
        "damaged goods"
    );
    // correct one: the category and the queue in force change, audited
    let a = post(format!(
        "csrf={csrf}&action=correct&id={}&category={}&note=they+want+it+back&back=%2Finbox%3Fstatus%3Dall",
        urlencode(MESSAGE_IDS[1]),
        urlencode("return / RMA")
    ))
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.header("location"), "/inbox?status=all");
    let after = get_as(f, "service", "/api/inbox/messages?status=all")
        .await
        .json();
    let m = message(&after, MESSAGE_IDS[1]).unwrap();
    assert_eq!(m["category_now"], "return / RMA");
    assert_eq!(m["corrected_by"], "service");
    let audit = f.store().audit_latest(50).unwrap();
    let e = audit
        .iter()
        .find(|e| e.action == "triage.correct" && e.subject == MESSAGE_IDS[1])
        .expect("audited");
    assert_eq!(e.actor, "service");
    assert_eq!(e.before.as_ref().unwrap()["category"], "damaged goods");
    assert_eq!(e.after.as_ref().unwrap()["category"], "return / RMA");
    // done by JSON: gone from the open list, in the done list, audited
    let a = Call::new(
        Method::POST,
        "/api/inbox/actions",
        Auth::Bearer(f.token("service")),
    )
    .json(json!({"action": "done", "ids": [MESSAGE_IDS[0]]}))
    .send()
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let open = get_as(f, "service", "/api/inbox/messages").await.json();
    assert!(message(&open, MESSAGE_IDS[0]).is_none());
    let done = get_as(f, "service", "/api/inbox/messages?status=done")
        .await
        .json();
    assert!(message(&done, MESSAGE_IDS[0]).is_some());
    assert!(f
        .store()
        .audit_latest(50)
        .unwrap()
        .iter()
        .any(|e| e.action == "triage.done" && e.subject == MESSAGE_IDS[0]));
    // unknown ids and bad actions refuse the whole request
    for (body, says) in [
        (
            json!({"action": "done", "ids": [MESSAGE_IDS[1], "<nope>"]}),
            "no message",
        ),
        (
            json!({"action": "archive", "ids": [MESSAGE_IDS[1]]}),
            "not one of correct, done, reopen",
        ),
        (
            json!({"action": "correct", "ids": [MESSAGE_IDS[1]]}),
            "needs a queue or a category",
        ),
        (json!({"action": "done", "ids": []}), "at least one"),
    ] {
        let a = Call::new(
            Method::POST,
            "/api/inbox/actions",
            Auth::Bearer(f.token("service")),
        )
        .json(body.clone())
        .send()
        .await;
        assert!(a.status.is_client_error(), "{body}: {}", a.body);
        assert!(a.error().contains(says), "{body}: {}", a.error());
    }
    let open = get_as(f, "service", "/api/inbox/messages").await.json();
    assert!(
        message(&open, MESSAGE_IDS[1]).is_some(),
        "nothing was marked done"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn planners_and_procurement_get_403_on_the_inbox() {
    let f = fixture();
    for user in ["planner", "procurement", "executive"] {
        for (method, uri) in [
            (Method::GET, "/inbox"),
            (Method::POST, "/inbox/actions"),
            (Method::GET, "/api/inbox/messages"),
            (Method::POST, "/api/inbox/actions"),
        ] {
            let a = Call::new(method.clone(), uri, Auth::Bearer(f.token(user)))
                .json(json!({"action": "done", "ids": [MESSAGE_IDS[1]]}))
                .send()
                .await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{user} {method} {uri}");
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
