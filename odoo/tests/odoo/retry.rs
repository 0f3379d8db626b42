//! Retries: bounded, only for transient failures, and never a second record.

use std::time::{Duration, Instant};

use crossdock_odoo::stand_in::{Fault, StandInOdoo, StandInVersion};
use crossdock_odoo::{
    Domain, OdooClient, OdooError, SearchOptions, UpsertAction, Values, ORDERPOINT_MODEL,
};
use serde_json::json;

use crate::common::{config, connected, rule, settings, VERSIONS};

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_looked_up_not_repeated() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        odoo.inject_on("create", Fault::ApplyThenDropResponse);
        let outcome = client.upsert_orderpoint(&rule(42)).await.unwrap();
        assert_eq!(outcome.action, UpsertAction::Created, "{version:?}");
        assert_eq!(odoo.orderpoints().len(), 1, "{version:?}: one record");
        assert_eq!(
            odoo.calls_to(ORDERPOINT_MODEL, "create"),
            1,
            "{version:?}: the create was sent once"
        );
        assert_eq!(
            odoo.calls_to(ORDERPOINT_MODEL, "search"),
            1,
            "{version:?}: looked up by its key"
        );
        assert_eq!(outcome.id, odoo.orderpoints()[0].id);
    }
}

#[tokio::test]
async fn a_plain_create_whose_answer_was_lost_is_not_retried() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        odoo.inject(Fault::ApplyThenDropResponse);
        let mut vals = Values::new();
        for (k, v) in [("product_id", 1), ("location_id", 8), ("warehouse_id", 1)] {
            vals.insert(k.into(), json!(v));
        }
        let err = client.create(ORDERPOINT_MODEL, &[vals]).await.unwrap_err();
        match &err {
            OdooError::CreateOutcomeUnknown { source, .. } => {
                assert!(
                    matches!(**source, OdooError::ResponseLost { .. }),
                    "{version:?}: {source:?}"
                )
            }
            other => panic!("{version:?}: {other:?}"),
        }
        assert_eq!(odoo.calls_to(ORDERPOINT_MODEL, "create"), 1);
        assert_eq!(
            odoo.orderpoints().len(),
            1,
            "{version:?}: the lost create did apply"
        );
    }
}

#[tokio::test]
async fn a_create_answered_after_the_timeout_still_leaves_one_record() {
    let odoo = StandInOdoo::start(config(StandInVersion::Odoo17))
        .await
        .unwrap();
    let key = odoo.config().api_key.clone();
    let mut s = settings(&odoo, &key);
    s.timeout = Duration::from_millis(300);
    let client = OdooClient::connect(s).await.unwrap();
    odoo.inject_on("create", Fault::Delay(Duration::from_millis(900)));
    let outcome = client.upsert_orderpoint(&rule(42)).await.unwrap();
    assert_eq!(outcome.action, UpsertAction::Created);
    // Let the slow first create finish: Odoo's unique key refuses it.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(odoo.orderpoints().len(), 1, "{:#?}", odoo.requests());
}

#[tokio::test]
async fn a_write_whose_answer_was_lost_is_sent_again() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        let id = odoo.seed_orderpoint(&rule(3), true).unwrap();
        odoo.inject(Fault::ApplyThenDropResponse);
        let mut vals = Values::new();
        vals.insert("product_max_qty".into(), json!(99.0));
        client.write(ORDERPOINT_MODEL, &[id], &vals).await.unwrap();
        assert_eq!(
            odoo.calls_to(ORDERPOINT_MODEL, "write"),
            2,
            "{version:?}: absolute values, safe to repeat"
        );
        assert_eq!(
            odoo.orderpoints()[0].product_max_qty,
            crate::common::dec("99")
        );
    }
}

#[tokio::test]
async fn retry_after_of_a_429_is_honoured() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        odoo.inject(Fault::RateLimit {
            retry_after_secs: 1,
        });
        let started = Instant::now();
        client
            .search(ORDERPOINT_MODEL, &Domain::new(), &SearchOptions::default())
            .await
            .unwrap();
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(1),
            "{version:?}: waited {waited:?}"
        );
        assert!(
            waited < Duration::from_secs(3),
            "{version:?}: waited {waited:?}"
        );
        assert_eq!(odoo.calls_to(ORDERPOINT_MODEL, "search"), 2);

        // A Retry-After beyond max_retry_after (5 s here) ends the call instead.
        odoo.inject(Fault::RateLimit {
            retry_after_secs: 120,
        });
        let err = client
            .search(ORDERPOINT_MODEL, &Domain::new(), &SearchOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, OdooError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(120)),
            "{err:?}"
        );
        assert_eq!(odoo.calls_to(ORDERPOINT_MODEL, "search"), 3);
    }
}

#[tokio::test]
async fn a_bad_key_is_access_denied_and_not_retried() {
    // JSON-RPC: authenticate answers false.
    let odoo = StandInOdoo::start(config(StandInVersion::Odoo17))
        .await
        .unwrap();
    let err = OdooClient::connect(settings(&odoo, "wrong-key"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, OdooError::AccessDenied { ref call, .. } if call.method == "authenticate"),
        "{err:?}"
    );
    let auths = odoo
        .requests()
        .iter()
        .filter(|r| r.call.as_deref() == Some("common.authenticate"))
        .count();
    assert_eq!(auths, 1);

    // JSON-2: 401 Invalid apikey on the first call.
    let odoo = StandInOdoo::start(config(StandInVersion::Odoo19))
        .await
        .unwrap();
    let client = OdooClient::connect(settings(&odoo, "wrong-key"))
        .await
        .unwrap();
    let err = client
        .search(ORDERPOINT_MODEL, &Domain::new(), &SearchOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, OdooError::AccessDenied { ref message, .. } if message == "Invalid apikey"),
        "{err:?}"
    );
    assert!(!err.is_transient());
    assert_eq!(
        odoo.requests()
            .iter()
            .filter(|r| r.path.starts_with("/json/2/"))
            .count(),
        1
    );
    // The key is nowhere in the error.
    assert!(!format!("{err} {err:?}").contains("wrong-key"));
}

#[tokio::test]
async fn timeouts_are_bounded_by_attempts_times_timeout_plus_back_off() {
    for version in VERSIONS {
        let odoo = StandInOdoo::start(config(version)).await.unwrap();
        let key = odoo.config().api_key.clone();
        let mut s = settings(&odoo, &key);
        s.timeout = Duration::from_millis(300);
        s.retry.max_attempts = 3;
        let client = OdooClient::connect(s).await.unwrap();
        for _ in 0..3 {
            odoo.inject(Fault::Delay(Duration::from_secs(5)));
        }
        let started = Instant::now();
        let err = client
            .search(ORDERPOINT_MODEL, &Domain::new(), &SearchOptions::default())
            .await
            .unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(err, OdooError::Timeout { after, .. } if after == Duration::from_millis(300)),
            "{err:?}"
        );
        // 3 × 300 ms + 20 + 40 ms of back-off, plus scheduling slack.
        assert!(took >= Duration::from_millis(900), "{version:?}: {took:?}");
        assert!(took < Duration::from_millis(1800), "{version:?}: {took:?}");
        assert_eq!(odoo.calls_to(ORDERPOINT_MODEL, "search"), 3);
    }
}

#[tokio::test]
async fn an_unreachable_server_is_reported_after_bounded_retries() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let odoo = StandInOdoo::start(config(StandInVersion::Odoo17))
        .await
        .unwrap();
    let mut s = settings(&odoo, "k");
    s.base_url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let err = OdooClient::connect(s).await.unwrap_err();
    assert!(
        matches!(err, OdooError::Unreachable { ref call, .. } if call.method == "version"),
        "{err:?}"
    );
    assert!(err.is_transient() && !err.may_have_applied());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_missing_api_key_variable_is_named_in_the_error() {
    let odoo = StandInOdoo::start(config(StandInVersion::Odoo17))
        .await
        .unwrap();
    let mut s = settings(&odoo, "k");
    s.api_key_env = "CROSSDOCK_ODOO_TEST_KEY_THAT_IS_NOT_SET".into();
    let err = OdooClient::connect(s).await.unwrap_err();
    assert!(
        matches!(err, OdooError::MissingApiKey { ref var, problem: "unset" } if var == "CROSSDOCK_ODOO_TEST_KEY_THAT_IS_NOT_SET"),
        "{err:?}"
    );
    assert!(odoo.requests().is_empty());
}
