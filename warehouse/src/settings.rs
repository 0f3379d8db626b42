//! Business settings that Odoo does not hold: the maximum discount each sales
//! channel may give without it counting as margin leakage (read by the KPIs),
//! and the planners' service levels and costs (read by the reorder
//! suggestions; every key optional, defaults in [`PlanningSettings`]).
//!
//! Stored as `_crossdock/settings.json` under a local warehouse root:
//!
//! ```json
//! { "default_max_discount_percent": "5",
//!   "channel_max_discount_percent": { "Field Sales": "10", "eCommerce": "0" },
//!   "planning": { "service_level_a_percent": "98", "review_period_days": 7 },
//!   "odoo": { "url": "https://mycompany.odoo.com", "database": "mycompany",
//!             "login": "planner@mycompany.com", "api_key_env": "CROSSDOCK_ODOO_API_KEY" } }
//! ```
//!
//! `odoo` (optional) is where accepted reorder rules are written through
//! Odoo's external API; without it they leave only as the Odoo import file.
//! The API key itself is never stored: `api_key_env` names the environment
//! variable of the server process that holds it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Result, WarehouseError};

/// The warehouse's business settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Discount (%) above which a line's discount counts as over-discount,
    /// for channels not listed in `channel_max_discount_percent`.
    pub default_max_discount_percent: Decimal,
    /// Per sales channel (crm_team name, en_US): the maximum discount (%).
    #[serde(default)]
    pub channel_max_discount_percent: BTreeMap<String, Decimal>,
    /// What the reorder suggestions aim at (service levels, review period, costs).
    #[serde(default)]
    pub planning: PlanningSettings,
    /// The Odoo accepted decisions are written to (None: none; the import
    /// file only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odoo: Option<OdooConnection>,
}

/// How to reach Odoo's external API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OdooConnection {
    /// The server, e.g. `https://mycompany.odoo.com`.
    pub url: String,
    /// The database name.
    pub database: String,
    /// The user's login (for Odoo 17/18's JSON-RPC authentication).
    pub login: String,
    /// The NAME of the environment variable holding the user's API key.
    pub api_key_env: String,
}

/// The planners' targets and costs, read by the reorder suggestions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanningSettings {
    /// Target cycle service level (%) of class A items. The classes rank
    /// items by customer order lines a year per value of one replenishment
    /// (the items whose stock serves the most lines per unit of money
    /// first; `crossdock_models::reorder::service_classes`): A holds the
    /// first 80 % of order lines.
    pub service_level_a_percent: Decimal,
    /// Target cycle service level (%) of class B items (the next 15 % of order lines).
    pub service_level_b_percent: Decimal,
    /// Target cycle service level (%) of class C items (the last 5 % of
    /// order lines, and items without any).
    pub service_level_c_percent: Decimal,
    /// Days between two reviews of a rule (the max covers at least this much demand).
    pub review_period_days: u32,
    /// What placing one purchase order line costs (company currency), for the EOQ.
    pub order_cost: Decimal,
    /// Yearly holding cost as a share (%) of the unit cost, for the EOQ.
    pub holding_rate_percent: Decimal,
    /// Periods (weeks) without any demand after which an item counts as dead.
    pub dead_after_weeks: u32,
    /// Weeks of history below which an item counts as new.
    pub new_below_weeks: u32,
}

impl Default for PlanningSettings {
    fn default() -> Self {
        PlanningSettings {
            service_level_a_percent: Decimal::from(98),
            service_level_b_percent: Decimal::from(95),
            service_level_c_percent: Decimal::from(90),
            review_period_days: 7,
            order_cost: Decimal::from(25),
            holding_rate_percent: Decimal::from(20),
            dead_after_weeks: 26,
            new_below_weeks: 8,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_max_discount_percent: Decimal::from(5),
            channel_max_discount_percent: BTreeMap::new(),
            planning: PlanningSettings::default(),
            odoo: None,
        }
    }
}

fn path(root: &Url) -> Option<PathBuf> {
    crate::layout::settings_path(root).ok()
}

impl Settings {
    /// Reads the settings of a warehouse; defaults when there are none.
    pub fn load(root: &Url) -> Result<Settings> {
        let Some(p) = path(root) else {
            return Ok(Settings::default());
        };
        match std::fs::read_to_string(&p) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| WarehouseError::Corrupt {
                path: p.display().to_string(),
                reason: format!("invalid settings: {e}"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(source) => Err(WarehouseError::Io {
                path: p.display().to_string(),
                source,
            }),
        }
    }

    /// Writes the settings of a warehouse.
    pub fn save(&self, root: &Url) -> Result<()> {
        let Some(p) = path(root) else {
            return Ok(());
        };
        let io = |source| WarehouseError::Io {
            path: p.display().to_string(),
            source,
        };
        std::fs::create_dir_all(p.parent().expect("has parent")).map_err(io)?;
        let text = serde_json::to_string_pretty(self).expect("settings serialize");
        // write then rename, so a kill never leaves half a file
        let tmp = p.with_extension("json.tmp");
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &p))
            .map_err(|source| WarehouseError::Io {
                path: p.display().to_string(),
                source,
            })
    }
}
