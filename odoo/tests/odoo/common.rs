//! Shared set-up: a stand-in, a client with short timeouts, rules.

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crossdock_odoo::stand_in::{StandInConfig, StandInOdoo, StandInVersion};
use crossdock_odoo::{AcceptedRule, OdooClient, OdooSettings, RetryPolicy, Trigger};
use rust_decimal::Decimal;

static NEXT_VAR: AtomicUsize = AtomicUsize::new(0);

/// A fresh environment variable holding `key`; its name.
pub fn key_var(key: &str) -> String {
    let name = format!(
        "CROSSDOCK_ODOO_TEST_KEY_{}_{}",
        std::process::id(),
        NEXT_VAR.fetch_add(1, Ordering::Relaxed)
    );
    std::env::set_var(&name, key);
    name
}

/// The stand-in's configuration for `version`.
pub fn config(version: StandInVersion) -> StandInConfig {
    match version {
        StandInVersion::Odoo17 => StandInConfig::odoo17(),
        StandInVersion::Odoo19 => StandInConfig::odoo19(),
    }
}

/// Settings for the stand-in with the given key: 2 s timeout, 4 attempts, 20 ms
/// back-off doubling to 200 ms, Retry-After up to 5 s.
pub fn settings(odoo: &StandInOdoo, key: &str) -> OdooSettings {
    let c = odoo.config();
    let mut s = OdooSettings::new(
        odoo.url(),
        c.database.clone(),
        c.login.clone(),
        key_var(key),
    );
    s.timeout = Duration::from_secs(2);
    s.retry = RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(5),
    };
    s
}

/// A started stand-in and a connected client.
pub async fn connected(version: StandInVersion) -> (StandInOdoo, OdooClient) {
    let odoo = StandInOdoo::start(config(version))
        .await
        .expect("stand-in starts");
    let key = odoo.config().api_key.clone();
    let client = OdooClient::connect(settings(&odoo, &key))
        .await
        .expect("client connects");
    (odoo, client)
}

/// Both versions the stand-in plays.
pub const VERSIONS: [StandInVersion; 2] = [StandInVersion::Odoo17, StandInVersion::Odoo19];

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("a decimal")
}

/// A new rule for product `product_id` at location 8 of warehouse 1, company 1.
pub fn rule(product_id: i64) -> AcceptedRule {
    AcceptedRule {
        company_id: 1,
        warehouse_id: 1,
        location_id: 8,
        product_id,
        product_min_qty: dec("12"),
        product_max_qty: dec("36"),
        qty_multiple: dec("6"),
        trigger: Trigger::Auto,
        orderpoint_id: None,
        external_id: None,
    }
}
