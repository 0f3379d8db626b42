//! Accepted decisions to Odoo, through its external API
//! ([`crossdock_odoo::OdooClient`]), when the warehouse's settings name an
//! Odoo (`odoo`: url, database, login, and the environment variable that
//! holds the API key). Each accepted or edited rule is upserted as a
//! `stock.warehouse.orderpoint` (the client never writes twice); what Odoo
//! answered is kept on the decision (`odoo`), so the page, the decision table
//! and the audit trail say whether the rule reached Odoo. A failure does not
//! undo the decision: it says `failed: ...`, and the rule is still in the
//! import file.

use crossdock_models::decision::Decision;
use crossdock_odoo::{OdooClient, OdooSettings, UpsertAction};
use crossdock_warehouse::settings::OdooConnection;

/// What a decision says when no Odoo is configured.
pub const NOT_CONFIGURED: &str = "not configured: in the import file";

/// Sends the accepted rules of `decisions` to Odoo and notes the answer on
/// each (rejections are left alone).
pub async fn send(connection: Option<&OdooConnection>, decisions: &mut [Decision]) {
    let wanted: Vec<usize> = (0..decisions.len())
        .filter(|&i| decisions[i].accepted_rule().is_some())
        .collect();
    if wanted.is_empty() {
        return;
    }
    let Some(c) = connection else {
        for i in wanted {
            decisions[i].odoo = Some(NOT_CONFIGURED.to_string());
        }
        return;
    };
    let settings = OdooSettings::new(&c.url, &c.database, &c.login, &c.api_key_env);
    let client = match OdooClient::connect(settings).await {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(url = %c.url, error = %e, "cannot reach Odoo; decisions recorded without it");
            for i in wanted {
                decisions[i].odoo = Some(format!("failed: {e}"));
            }
            return;
        }
    };
    for i in wanted {
        let Some(rule) = decisions[i].accepted_rule() else {
            continue;
        };
        decisions[i].odoo = Some(match client.upsert_orderpoint(&rule).await {
            Ok(out) => {
                let what = match out.action {
                    UpsertAction::Created => "created",
                    UpsertAction::Updated => "updated",
                    UpsertAction::Reactivated => "reactivated",
                };
                format!("{what} orderpoint {}", out.id)
            }
            Err(e) => {
                tracing::warn!(key = %decisions[i].key, error = %e, "writing a rule to Odoo failed");
                format!("failed: {e}")
            }
        });
    }
}
