//! One module per page or group of endpoints.

pub(crate) mod admin;
pub(crate) mod dashboard;
pub(crate) mod fallback;
pub(crate) mod freshness;
pub(crate) mod health;
pub(crate) mod inbox;
pub(crate) mod kpis;
pub(crate) mod login;
pub(crate) mod planning;

use crate::error::ApiError;
use crate::params::shown;
use crate::AppState;

/// One row for the audit trail: actor, action, subject, before, after.
pub(crate) type AuditRow = (String, String, String, serde_json::Value, serde_json::Value);

/// Writes the audit rows of a decision taken on a page or through the API
/// (the store is SQLite: off the async threads).
pub(crate) async fn audit(state: &AppState, rows: Vec<AuditRow>) -> Result<(), ApiError> {
    let store = state.access.clone();
    tokio::task::spawn_blocking(move || {
        for (actor, action, subject, before, after) in rows {
            store.append_audit(&actor, &action, &subject, Some(before), Some(after))?;
        }
        Ok::<_, crossdock_access::AccessError>(())
    })
    .await
    .map_err(|e| ApiError::Internal(format!("audit task: {e}")))??;
    Ok(())
}

/// Where a page's form sends the browser back (its `back` field): `page`
/// itself, `page?query`, or one of `page`'s sub-pages (`page/...`) when
/// `sub_pages`; never another site or page.
pub(crate) fn back_to(value: &str, page: &str, sub_pages: bool) -> Result<String, ApiError> {
    let rest = value.strip_prefix(page);
    let ok = rest
        .is_some_and(|r| r.is_empty() || r.starts_with('?') || (sub_pages && r.starts_with('/')))
        && !value.contains("//")
        && !value.contains('\\')
        && value.chars().all(|c| !c.is_control());
    if ok {
        Ok(value.to_string())
    } else {
        Err(ApiError::BadRequest(format!(
            "form field back must be a page under {page}, got {}",
            shown(value)
        )))
    }
}
