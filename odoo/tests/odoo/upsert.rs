//! `upsert_orderpoint`: creates, then updates the same rule; by id, by natural key,
//! reactivating an archived rule; never a second record.

use crossdock_odoo::{Trigger, UpsertAction, ORDERPOINT_MODEL};
use serde_json::json;

use crate::common::{connected, dec, rule, VERSIONS};

#[tokio::test]
async fn an_upsert_creates_then_updates_the_same_rule() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        let mut accepted = rule(42);
        let first = client.upsert_orderpoint(&accepted).await.unwrap();
        assert_eq!(first.action, UpsertAction::Created, "{version:?}");

        accepted.product_min_qty = dec("20.5");
        accepted.product_max_qty = dec("60");
        accepted.trigger = Trigger::Manual;
        let second = client.upsert_orderpoint(&accepted).await.unwrap();
        assert_eq!(second.action, UpsertAction::Updated, "{version:?}");
        assert_eq!(second.id, first.id, "{version:?}");

        let held = odoo.orderpoints();
        assert_eq!(held.len(), 1, "{version:?}: one rule, not two");
        assert_eq!(held[0].product_min_qty, dec("20.5"));
        assert_eq!(held[0].product_max_qty, dec("60"));
        assert_eq!(held[0].qty_multiple, dec("6"));
        assert_eq!(held[0].trigger, Trigger::Manual);
        assert_eq!(
            (held[0].product_id, held[0].location_id, held[0].company_id),
            (42, 8, 1)
        );
        assert_eq!(odoo.calls_to(ORDERPOINT_MODEL, "create"), 1, "{version:?}");
    }
}

#[tokio::test]
async fn a_rule_with_its_orderpoint_id_is_written_by_id_without_its_key_fields() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        let id = odoo.seed_orderpoint(&rule(7), true).unwrap();
        let mut accepted = rule(7);
        accepted.orderpoint_id = Some(id);
        accepted.product_min_qty = dec("3");
        let outcome = client.upsert_orderpoint(&accepted).await.unwrap();
        assert_eq!((outcome.id, outcome.action), (id, UpsertAction::Updated));
        assert_eq!(
            odoo.calls_to(ORDERPOINT_MODEL, "search_read"),
            0,
            "{version:?}: no lookup needed"
        );
        let write = odoo
            .requests()
            .into_iter()
            .find(|r| r.call.as_deref() == Some("stock.warehouse.orderpoint.write"))
            .unwrap();
        let vals = match version {
            crossdock_odoo::stand_in::StandInVersion::Odoo17 => {
                write.body["params"]["args"][5][1].clone()
            }
            crossdock_odoo::stand_in::StandInVersion::Odoo19 => write.body["vals"].clone(),
        };
        assert_eq!(
            vals,
            json!({"product_min_qty": 3.0, "product_max_qty": 36.0, "qty_multiple": 6.0, "trigger": "auto"}),
            "{version:?}: absolute values only, no key fields"
        );
        assert_eq!(odoo.orderpoints()[0].product_min_qty, dec("3"));
    }
}

#[tokio::test]
async fn an_archived_rule_with_the_same_key_is_reactivated_not_duplicated() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        let archived = odoo.seed_orderpoint(&rule(5), false).unwrap();
        let outcome = client.upsert_orderpoint(&rule(5)).await.unwrap();
        assert_eq!(
            (outcome.id, outcome.action),
            (archived, UpsertAction::Reactivated),
            "{version:?}"
        );
        let held = odoo.orderpoints();
        assert_eq!(held.len(), 1);
        assert!(held[0].active);
    }
}

#[tokio::test]
async fn a_rule_whose_orderpoint_was_deleted_is_found_by_key_or_created() {
    for version in VERSIONS {
        let (odoo, client) = connected(version).await;
        let mut accepted = rule(9);
        accepted.orderpoint_id = Some(999);
        let outcome = client.upsert_orderpoint(&accepted).await.unwrap();
        assert_eq!(outcome.action, UpsertAction::Created, "{version:?}");
        assert_eq!(odoo.orderpoints().len(), 1);
    }
}

#[tokio::test]
async fn an_invalid_rule_is_refused_before_anything_is_sent() {
    let (odoo, client) = connected(crossdock_odoo::stand_in::StandInVersion::Odoo17).await;
    let before = odoo.requests().len();
    let mut bad = rule(1);
    bad.qty_multiple = dec("-2");
    let err = client.upsert_orderpoint(&bad).await.unwrap_err();
    assert!(
        matches!(
            err,
            crossdock_odoo::OdooError::InvalidRule { product_id: 1, .. }
        ),
        "{err:?}"
    );
    assert_eq!(odoo.requests().len(), before);
}
