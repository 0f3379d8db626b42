//! Odoo's error payloads of both protocols become their variants, with Odoo's
//! message and the call; Odoo's refusals are not retried.

use crossdock_odoo::stand_in::{Fault, StandInVersion};
use crossdock_odoo::{Call, Domain, OdooClient, OdooError, SearchOptions, ORDERPOINT_MODEL};

use crate::common::{connected, settings, VERSIONS};

async fn search_read(client: &OdooClient, fields: &[&str]) -> Result<(), OdooError> {
    client
        .search_read(
            ORDERPOINT_MODEL,
            &Domain::new(),
            fields,
            &SearchOptions::default(),
        )
        .await
        .map(|_| ())
}

/// Whether an error is the expected variant.
type IsVariant = fn(&OdooError) -> bool;

#[tokio::test]
async fn each_odoo_exception_maps_to_its_variant_with_the_message() {
    let cases: [(&str, &str, IsVariant); 4] = [
        ("odoo.exceptions.AccessError", "You are not allowed to access 'Minimum Inventory Rule' (stock.warehouse.orderpoint) records.", |e| matches!(e, OdooError::AccessError { .. })),
        ("odoo.exceptions.ValidationError", "The operation cannot be completed: Qty Multiple must be greater than or equal to zero.", |e| matches!(e, OdooError::ValidationError { .. })),
        ("odoo.exceptions.UserError", "You can not create a snoozed orderpoint that is not manually triggered.", |e| matches!(e, OdooError::UserError { .. })),
        ("odoo.exceptions.MissingError", "Record does not exist or has been deleted.", |e| matches!(e, OdooError::MissingError { .. })),
    ];
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        for (name, message, is_variant) in cases {
            odoo.inject(Fault::odoo(name, message));
            let before = odoo.calls_to(ORDERPOINT_MODEL, "search_read");
            let err = search_read(&client, &["id"]).await.unwrap_err();
            assert!(is_variant(&err), "{version:?} {name}: got {err:?}");
            assert_eq!(err.odoo_message(), Some(message), "{version:?} {name}");
            assert_eq!(
                err.call(),
                Some(&Call::new(ORDERPOINT_MODEL, "search_read"))
            );
            assert!(!err.is_transient());
            assert_eq!(
                odoo.calls_to(ORDERPOINT_MODEL, "search_read") - before,
                1,
                "{version:?} {name}: not retried"
            );
        }
    }
}

#[tokio::test]
async fn an_unknown_field_after_an_upgrade_is_unknown_field() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        // The stand-in answers as Odoo does: ValueError "Invalid field".
        let err = search_read(&client, &["qty_mutliple"]).await.unwrap_err();
        match &err {
            OdooError::UnknownField { message, call } => {
                assert_eq!(
                    message,
                    "Invalid field 'qty_mutliple' on model 'stock.warehouse.orderpoint'"
                );
                assert_eq!(call.method, "search_read");
            }
            other => panic!("{version:?}: expected UnknownField, got {other:?}"),
        }
        assert_eq!(
            odoo.calls_to(ORDERPOINT_MODEL, "search_read"),
            1,
            "not retried"
        );
    }
}

#[tokio::test]
async fn an_expired_session_authenticates_again_and_retries() {
    let (odoo, client) = connected(StandInVersion::Odoo17).await;
    odoo.inject(Fault::SessionExpired);
    search_read(&client, &["id"]).await.unwrap();
    let auths = odoo
        .requests()
        .iter()
        .filter(|r| r.call.as_deref() == Some("common.authenticate"))
        .count();
    assert_eq!(auths, 2, "once at connect, once after the expiry");
    assert_eq!(odoo.calls_to(ORDERPOINT_MODEL, "search_read"), 2);

    // With retries off, the variant itself shows.
    let key = odoo.config().api_key.clone();
    let mut once = settings(&odoo, &key);
    once.retry.max_attempts = 1;
    let client = OdooClient::connect(once).await.unwrap();
    odoo.inject(Fault::SessionExpired);
    let err = search_read(&client, &["id"]).await.unwrap_err();
    assert!(
        matches!(err, OdooError::SessionExpired { ref message, .. } if message == "Session expired"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_proxy_503_is_retried_and_reported_when_it_persists() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        for _ in 0..4 {
            odoo.inject(Fault::ServiceUnavailable);
        }
        let err = search_read(&client, &["id"]).await.unwrap_err();
        assert!(
            matches!(err, OdooError::ServerUnavailable { status: 503, .. }),
            "{version:?}: {err:?}"
        );
        assert_eq!(
            odoo.calls_to(ORDERPOINT_MODEL, "search_read"),
            4,
            "{version:?}: max_attempts, no more"
        );
        // Once the outage is over, the same client works.
        search_read(&client, &["id"]).await.unwrap();
    }
}

#[tokio::test]
async fn another_python_exception_is_a_server_error_with_its_name() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        odoo.inject(Fault::odoo(
            "psycopg2.errors.InFailedSqlTransaction",
            "current transaction is aborted",
        ));
        let err = search_read(&client, &["id"]).await.unwrap_err();
        match err {
            OdooError::ServerError {
                name,
                message,
                status,
                ..
            } => {
                assert_eq!(name, "psycopg2.errors.InFailedSqlTransaction");
                assert_eq!(message, "current transaction is aborted");
                assert_eq!(
                    status,
                    if version == StandInVersion::Odoo17 {
                        200
                    } else {
                        500
                    }
                );
            }
            other => panic!("{version:?}: {other:?}"),
        }
    }
}
