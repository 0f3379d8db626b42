//! The stand-in checks each request's shape and answers a wrong one as Odoo does;
//! it records what it received, with the key masked, to memory and to a file.

use crossdock_odoo::stand_in::{StandInConfig, StandInOdoo, StandInVersion};
use serde_json::{json, Value};

use crate::common::{config, connected, rule};

async fn post(url: &str, body: Value, bearer: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(key) = bearer {
        request = request.header("Authorization", format!("bearer {key}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn execute_kw(args: Value) -> Value {
    json!({"jsonrpc": "2.0", "method": "call", "id": 3, "params": {"service": "object", "method": "execute_kw", "args": args}})
}

#[tokio::test]
async fn a_jsonrpc_call_of_the_wrong_shape_gets_odoo_error_payloads() {
    let odoo = StandInOdoo::start(StandInConfig::odoo17()).await.unwrap();
    let url = format!("{}/jsonrpc", odoo.url());
    let key = odoo.config().api_key.clone();

    // execute_kw without its args list.
    let (status, body) = post(
        &url,
        execute_kw(json!([
            "crossdock",
            2,
            key,
            "stock.warehouse.orderpoint",
            "search_read"
        ])),
        None,
    )
    .await;
    assert_eq!(status, 200, "JSON-RPC errors travel in a 200");
    assert_eq!(body["id"], 3);
    assert_eq!(body["error"]["code"], 200);
    assert_eq!(body["error"]["message"], "Odoo Server Error");
    assert_eq!(body["error"]["data"]["name"], "builtins.TypeError");
    assert_eq!(
        body["error"]["data"]["message"],
        "execute_kw() missing 1 required positional argument"
    );

    // A wrong key.
    let (_, body) = post(
        &url,
        execute_kw(json!([
            "crossdock",
            2,
            "nope",
            "stock.warehouse.orderpoint",
            "search",
            [[]]
        ])),
        None,
    )
    .await;
    assert_eq!(
        body["error"]["data"]["name"],
        "odoo.exceptions.AccessDenied"
    );
    assert_eq!(body["error"]["data"]["message"], "Access Denied");

    // create without its positional vals_list; write without ids.
    let (_, body) = post(
        &url,
        execute_kw(json!([
            "crossdock",
            2,
            key,
            "stock.warehouse.orderpoint",
            "create",
            [],
            {}
        ])),
        None,
    )
    .await;
    assert_eq!(body["error"]["data"]["name"], "builtins.IndexError");
    let (_, body) = post(&url, execute_kw(json!(["crossdock", 2, key, "stock.warehouse.orderpoint", "read", [[1]], {"feilds": ["id"]}])), None).await;
    assert_eq!(
        body["error"]["data"]["message"],
        "read() got an unexpected keyword argument 'feilds'"
    );

    // A quantity sent as a string (what rust_decimal's serde-str would produce).
    let vals =
        json!({"product_id": 1, "location_id": 8, "warehouse_id": 1, "product_min_qty": "12"});
    let (_, body) = post(
        &url,
        execute_kw(json!([
            "crossdock",
            2,
            key,
            "stock.warehouse.orderpoint",
            "create",
            [[vals]]
        ])),
        None,
    )
    .await;
    assert_eq!(body["error"]["data"]["name"], "builtins.TypeError");

    // An unknown model.
    let (_, body) = post(
        &url,
        execute_kw(json!(["crossdock", 2, key, "res.partner", "search", [[]]])),
        None,
    )
    .await;
    assert_eq!(body["error"]["data"]["name"], "odoo.exceptions.UserError");
    assert_eq!(
        body["error"]["data"]["message"],
        "Object res.partner doesn't exist"
    );

    // Not a JSON-RPC envelope.
    let (_, body) = post(&url, json!({"service": "common"}), None).await;
    assert_eq!(
        body["error"]["data"]["name"],
        "werkzeug.exceptions.BadRequest"
    );
    assert!(odoo.orderpoints().is_empty(), "nothing was created");
}

#[tokio::test]
async fn a_json2_call_of_the_wrong_shape_gets_odoo_status_and_error_object() {
    let odoo = StandInOdoo::start(StandInConfig::odoo19()).await.unwrap();
    let key = odoo.config().api_key.clone();
    let url = |method: &str| format!("{}/json/2/stock.warehouse.orderpoint/{method}", odoo.url());

    let (status, body) = post(&url("create"), json!({}), Some(&key)).await;
    assert_eq!(status, 422);
    assert_eq!(body["name"], "werkzeug.exceptions.UnprocessableEntity");
    assert_eq!(
        body["message"],
        "create() missing 1 required positional argument: 'vals_list'"
    );
    assert!(
        body.get("arguments").is_some()
            && body.get("debug").is_some()
            && body.get("context").is_some()
    );

    let (status, body) = post(
        &url("search_read"),
        json!({"ids": [1], "domain": []}),
        Some(&key),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["message"],
        "cannot call stock.warehouse.orderpoint.search_read with ids"
    );

    let (status, body) = post(
        &url("search_read"),
        json!({"domain": [], "fields": ["id"], "limt": 1}),
        Some(&key),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["message"],
        "search_read() got an unexpected keyword argument 'limt'"
    );

    let (status, body) = post(
        &url("write"),
        json!({"ids": [404], "vals": {"product_min_qty": 1.0}}),
        Some(&key),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["name"], "odoo.exceptions.MissingError");

    let (status, body) = post(&url("unlink"), json!({"ids": [1]}), Some(&key)).await;
    assert_eq!(status, 404);
    assert_eq!(body["name"], "werkzeug.exceptions.NotFound");

    let (status, body) = post(&url("search"), json!({"domain": []}), None).await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("Invalid apikey"))
    );

    // A duplicate natural key is refused by product_location_check.
    let vals =
        json!({"product_id": 1, "location_id": 8, "warehouse_id": 1, "product_min_qty": 1.0});
    let (status, _) = post(&url("create"), json!({"vals_list": [vals]}), Some(&key)).await;
    assert_eq!(status, 200);
    let (status, body) = post(&url("create"), json!({"vals_list": [vals]}), Some(&key)).await;
    assert_eq!(status, 422);
    assert_eq!(body["name"], "odoo.exceptions.ValidationError");
    assert_eq!(
        body["message"],
        "The operation cannot be completed: A replenishment rule already exists for this product on this location."
    );
    assert_eq!(odoo.orderpoints().len(), 1);
}

#[tokio::test]
async fn odoo_17_has_no_json2_endpoint() {
    let odoo = StandInOdoo::start(config(StandInVersion::Odoo17))
        .await
        .unwrap();
    let key = odoo.config().api_key.clone();
    let (status, _) = post(
        &format!("{}/json/2/stock.warehouse.orderpoint/search", odoo.url()),
        json!({"domain": []}),
        Some(&key),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn every_request_is_appended_to_the_log_file_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odoo-requests.jsonl");
    let mut c = StandInConfig::odoo19();
    c.request_log = Some(path.clone());
    c.api_key = "a-very-secret-stand-in-key".into();
    let odoo = StandInOdoo::start(c).await.unwrap();
    let client = crossdock_odoo::OdooClient::connect(crate::common::settings(
        &odoo,
        "a-very-secret-stand-in-key",
    ))
    .await
    .unwrap();
    client.upsert_orderpoint(&rule(42)).await.unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("a-very-secret-stand-in-key"), "{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), odoo.requests().len());
    let calls: Vec<&str> = lines.iter().filter_map(|l| l["call"].as_str()).collect();
    assert_eq!(
        calls,
        [
            "common.version",
            "stock.warehouse.orderpoint.search_read",
            "stock.warehouse.orderpoint.create"
        ]
    );
    assert_eq!(
        lines[2]["body"]["vals_list"][0]["product_min_qty"],
        json!(12.0)
    );
    assert_eq!(lines[2]["headers"]["authorization"], "bearer ***");
    assert_eq!(lines[2]["status"], 200);
    assert!(odoo.log_error().is_none());

    // Odoo 17's authenticate carries the key positionally: masked too.
    let (odoo17, client17) = connected(StandInVersion::Odoo17).await;
    client17.upsert_orderpoint(&rule(1)).await.unwrap();
    let recorded = serde_json::to_string(&odoo17.requests()).unwrap();
    assert!(!recorded.contains(&odoo17.config().api_key));
}
