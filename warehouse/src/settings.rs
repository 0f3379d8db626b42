//! Business settings the KPIs read that Odoo does not hold: the maximum
//! discount each sales channel may give without it counting as margin leakage.
//!
//! Stored as `_crossdock/settings.json` under a local warehouse root:
//!
//! ```json
//! { "default_max_discount_percent": "5",
//!   "channel_max_discount_percent": { "Field Sales": "10", "eCommerce": "0" } }
//! ```

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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_max_discount_percent: Decimal::from(5),
            channel_max_discount_percent: BTreeMap::new(),
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
