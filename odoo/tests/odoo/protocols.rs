//! The client speaks JSON-RPC to Odoo 17 and JSON-2 to Odoo 19, in Odoo's exact shapes.

use crossdock_odoo::stand_in::StandInVersion;
use crossdock_odoo::{Domain, Protocol, SearchOptions, Values, ORDERPOINT_MODEL};
use serde_json::json;

use crate::common::{connected, VERSIONS};

#[tokio::test]
async fn odoo_17_is_probed_authenticated_and_called_through_execute_kw() {
    let (odoo, client) = connected(StandInVersion::Odoo17).await;
    assert_eq!(client.protocol(), Protocol::JsonRpc);
    assert_eq!(client.server_version().major, 17);
    let domain = Domain::new().eq("product_id", 42);
    client
        .search_read(
            ORDERPOINT_MODEL,
            &domain,
            &["product_min_qty"],
            &SearchOptions::default(),
        )
        .await
        .unwrap();

    let requests = odoo.requests();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    assert_eq!(requests[0].path, "/jsonrpc");
    assert_eq!(
        requests[0].body["params"],
        json!({"service": "common", "method": "version", "args": []})
    );
    // The key is the third argument; the stand-in records it masked.
    assert_eq!(
        requests[1].body["params"],
        json!({"service": "common", "method": "authenticate", "args": ["crossdock", "planner", "***", {}]})
    );
    assert_eq!(requests[2].body["jsonrpc"], "2.0");
    assert_eq!(requests[2].body["method"], "call");
    assert_eq!(
        requests[2].body["params"],
        json!({"service": "object", "method": "execute_kw", "args": [
            "crossdock", 2, "***", "stock.warehouse.orderpoint", "search_read",
            [[["product_id", "=", 42]]],
            {"fields": ["product_min_qty"], "context": {}}
        ]})
    );
    assert_eq!(
        requests[2].headers["content-type"],
        "application/json; charset=utf-8"
    );
    assert!(!requests[2].headers.contains_key("authorization"));
}

#[tokio::test]
async fn odoo_19_is_called_through_json2_with_a_bearer_key_and_named_arguments() {
    let (odoo, client) = connected(StandInVersion::Odoo19).await;
    assert_eq!(client.protocol(), Protocol::Json2);
    let mut vals = Values::new();
    vals.insert("product_min_qty".into(), json!(3.0));
    client.write(ORDERPOINT_MODEL, &[], &vals).await.unwrap();
    client
        .search_read(
            ORDERPOINT_MODEL,
            &Domain::new().eq("location_id", 8),
            &["id"],
            &SearchOptions {
                include_archived: true,
                limit: Some(5),
                ..SearchOptions::default()
            },
        )
        .await
        .unwrap();

    let requests = odoo.requests();
    // Version probe, then the two calls: no authenticate with JSON-2.
    assert_eq!(requests.len(), 3, "{requests:#?}");
    assert!(requests
        .iter()
        .all(|r| r.call.as_deref() != Some("common.authenticate")));
    let write = &requests[1];
    assert_eq!(write.path, "/json/2/stock.warehouse.orderpoint/write");
    assert_eq!(write.http_method, "POST");
    assert_eq!(write.headers["authorization"], "bearer ***");
    assert_eq!(write.headers["x-odoo-database"], "crossdock");
    assert_eq!(
        write.body,
        json!({"ids": [], "vals": {"product_min_qty": 3.0}})
    );
    let search = &requests[2];
    assert_eq!(
        search.path,
        "/json/2/stock.warehouse.orderpoint/search_read"
    );
    assert_eq!(
        search.body,
        json!({"domain": [["location_id", "=", 8]], "fields": ["id"], "limit": 5, "context": {"active_test": false}})
    );
}

#[tokio::test]
async fn generic_calls_round_trip_over_both_protocols() {
    for version in VERSIONS {
        let (_odoo, client) = connected(version).await;
        let mut vals = Values::new();
        for (k, v) in [
            ("product_id", json!(42)),
            ("location_id", json!(8)),
            ("warehouse_id", json!(1)),
            ("company_id", json!(1)),
            ("product_min_qty", json!(4.5)),
        ] {
            vals.insert(k.into(), v);
        }
        let ids = client.create(ORDERPOINT_MODEL, &[vals]).await.unwrap();
        assert_eq!(ids.len(), 1, "{version:?}");
        let mut change = Values::new();
        change.insert("active".into(), json!(false));
        client.write(ORDERPOINT_MODEL, &ids, &change).await.unwrap();

        let domain = Domain::new().eq("product_id", 42);
        let visible = client
            .search(ORDERPOINT_MODEL, &domain, &SearchOptions::default())
            .await
            .unwrap();
        assert!(
            visible.is_empty(),
            "{version:?}: archived rules are hidden by default"
        );
        let all = SearchOptions {
            include_archived: true,
            ..SearchOptions::default()
        };
        assert_eq!(
            client
                .search(ORDERPOINT_MODEL, &domain, &all)
                .await
                .unwrap(),
            ids,
            "{version:?}"
        );

        let read = client
            .read(
                ORDERPOINT_MODEL,
                &ids,
                &["product_min_qty", "product_id", "active"],
            )
            .await
            .unwrap();
        assert_eq!(read[0]["product_min_qty"], json!(4.5), "{version:?}");
        assert_eq!(
            read[0]["product_id"][0],
            json!(42),
            "{version:?}: many2one as [id, name]"
        );
        assert_eq!(read[0]["active"], json!(false), "{version:?}");
        let typed = client.read_orderpoints(&ids).await.unwrap();
        assert_eq!(typed[0].product_min_qty, crate::common::dec("4.5"));
        assert_eq!(
            typed[0].qty_multiple,
            crate::common::dec("1"),
            "Odoo's default multiple"
        );
    }
}
