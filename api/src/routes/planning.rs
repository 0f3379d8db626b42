//! The planners' pages and API: the latest reorder suggestions
//! (`crossdock reorder suggest` writes them; `crossdock_models::suggestion`
//! reads them back, restricted to the reader's companies), one item's
//! history, forecast and evidence, and the decisions planners take on them
//! (`crossdock_models::decision`): recorded in `derived/reorder_decision`,
//! written to the audit trail, sent to Odoo when an Odoo is configured
//! (`odoo` in the warehouse's settings), and always available as Odoo's
//! import file.
//!
//! | route | answer |
//! |---|---|
//! | `GET /planning?warehouse=&abc=&class=&min_change=&exceptions=` | the list, exceptions first; select rows to accept or reject them at once |
//! | `GET /planning/items/{key}` | one item: chart, evidence, accept / edit / reject, its decisions |
//! | `POST /planning/decisions` | the page's forms (CSRF): `action`, `key` (repeated), `min`, `max`, `multiple`, `note`, `back` |
//! | `GET /api/planning/suggestions?...` | the list as JSON (same filters) |
//! | `GET /api/planning/suggestions/{key}` | one suggestion with its weekly series and latest decision |
//! | `POST /api/planning/decisions` | `{"decisions": [{"key", "action", "min"?, "max"?, "multiple"?, "note"?}]}`: all or none |
//! | `GET /api/planning/decisions` | every decision, newest first |
//! | `GET /api/planning/orderpoints.csv` | the accepted rules as Odoo's import file for `stock.warehouse.orderpoint` |
//!
//! Templates: `templates/planning.html`, `templates/planning_item.html`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use crossdock_access::{FieldClass, Role};
use crossdock_models::decision::{self, Decision, DecisionRequest, Rule};
use crossdock_models::suggestion::{self, StoredSuggestion, SuggestionQuery, WeekPoint};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::html::{self, page, ErrorBox, Mode, Shell};
use crate::params::{self, shown, Params};
use crate::{odoo_link, visibility, AppState};

/// Roles that may read the planners' pages and API.
pub(crate) const READERS: &[Role] = &[Role::Planner, Role::Executive, Role::Admin];
/// Roles that may decide on suggestions.
pub(crate) const DECIDERS: &[Role] = &[Role::Planner, Role::Admin];

/// Decisions taken in one request, at most.
pub const MAX_DECISIONS: usize = 1000;

const FILTERS: &[&str] = &["warehouse", "abc", "class", "min_change", "exceptions"];

fn error_from(e: crossdock_models::error::ModelsError) -> ApiError {
    ApiError::Internal(format!("planning: {e}"))
}

/// The filters of the list, from the query string.
fn suggestion_query(p: &Params, principal: &Principal) -> Result<SuggestionQuery, ApiError> {
    let text = |name: &str| p.get(name).map(str::trim).filter(|v| !v.is_empty());
    let warehouse_id = match text("warehouse") {
        None => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            ApiError::BadRequest(format!(
                "query parameter warehouse must be a warehouse id (stock_warehouse.id), got {}",
                shown(v)
            ))
        })?),
    };
    let abc = match text("abc") {
        None => None,
        Some(v) if ["A", "B", "C"].contains(&v.to_ascii_uppercase().as_str()) => {
            Some(v.to_ascii_uppercase())
        }
        Some(v) => {
            return Err(ApiError::BadRequest(format!(
                "query parameter abc must be A, B or C, got {}",
                shown(v)
            )))
        }
    };
    let demand_class = match text("class") {
        None => None,
        Some(v) if suggestion::DEMAND_CLASSES.contains(&v) => Some(v.to_string()),
        Some(v) => {
            return Err(ApiError::BadRequest(format!(
                "query parameter class must be one of {}, got {}",
                suggestion::DEMAND_CLASSES.join(", "),
                shown(v)
            )))
        }
    };
    let min_change_percent = match text("min_change") {
        None => None,
        Some(v) => match v.trim_end_matches('%').trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Some(x),
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "query parameter min_change must be a percentage ≥ 0 (e.g. 25), got {}",
                    shown(v)
                )))
            }
        },
    };
    let exceptions_only = match text("exceptions") {
        None => false,
        Some("1" | "true" | "on" | "yes") => true,
        Some("0" | "false" | "off" | "no") => false,
        Some(v) => {
            return Err(ApiError::BadRequest(format!(
                "query parameter exceptions must be true or false, got {}",
                shown(v)
            )))
        }
    };
    Ok(SuggestionQuery {
        companies: principal.companies(),
        warehouse_id,
        abc,
        demand_class,
        min_change_percent,
        exceptions_only,
        key: None,
    })
}

/// A suggestion as JSON, with the fields the caller may see.
fn suggestion_json(principal: &Principal, s: &StoredSuggestion) -> Result<Value, ApiError> {
    let mut v = serde_json::to_value(s)
        .map_err(|e| ApiError::Internal(format!("suggestion as JSON: {e}")))?;
    visibility::filter_suggestion(&principal.visibility(), &mut v);
    Ok(v)
}

/// `GET /api/planning/suggestions`.
#[utoipa::path(
    get,
    path = "/api/planning/suggestions",
    tag = "planning",
    params(
        ("warehouse" = Option<i64>, Query, description = "One warehouse (stock_warehouse.id)"),
        ("abc" = Option<String>, Query, pattern = "^[ABCabc]?$", description = "One ABC class: A, B or C"),
        ("class" = Option<String>, Query, pattern = "^(smooth|erratic|intermittent|lumpy|new|dead)?$", description = "One demand class"),
        ("min_change" = Option<String>, Query, description = "Only changes of the min at least this large (percent, either way); new rules always pass"),
        ("exceptions" = Option<String>, Query, pattern = "^(1|0|true|false|on|off|yes|no)?$", description = "Only suggestions with an exception"),
    ),
    responses(
        (status = 200, description = "The latest suggestions of the caller's companies, exceptions first; fields the caller may not see are absent", body = crate::openapi::SuggestionList),
        (status = 400, description = "A bad parameter, named in the message", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a planner, executive or admin", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn list_json(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = params::parse(raw.as_deref(), "/api/planning/suggestions", FILTERS)?;
    let query = suggestion_query(&p, &principal)?;
    let list = suggestion::list(&state.warehouse, &query)
        .await
        .map_err(error_from)?;
    let latest = decision::latest(&state.warehouse, principal.companies().as_ref())
        .await
        .map_err(error_from)?;
    let mut rows = Vec::with_capacity(list.len());
    for s in &list {
        let mut v = suggestion_json(&principal, s)?;
        v["decision"] = json!(latest.get(&s.key));
        rows.push(v);
    }
    Ok(Json(json!({
        "as_of": list.first().map(|s| s.as_of),
        "computed_at": list.first().map(|s| s.computed_at),
        "count": rows.len(),
        "suggestions": rows,
    })))
}

async fn one(
    state: &AppState,
    principal: &Principal,
    key: &str,
) -> Result<StoredSuggestion, ApiError> {
    suggestion::get(&state.warehouse, principal.companies().as_ref(), key)
        .await
        .map_err(error_from)?
        .ok_or_else(|| {
            ApiError::Missing(format!(
                "no reorder suggestion {} among your companies' latest suggestions (keys are <warehouse_id>-<product_id>; run crossdock reorder suggest to refresh them)",
                shown(key)
            ))
        })
}

/// `GET /api/planning/suggestions/{key}`.
#[utoipa::path(
    get,
    path = "/api/planning/suggestions/{key}",
    tag = "planning",
    params(("key" = String, Path, description = "<warehouse_id>-<product_id>")),
    responses(
        (status = 200, description = "The suggestion with `series` (weekly history and forecast) and `decisions`", body = crate::openapi::Suggestion),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a planner, executive or admin", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such suggestion among the caller's companies", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn one_json(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = one(&state, &principal, &key).await?;
    let series = suggestion::series(&state.warehouse, &s)
        .await
        .map_err(error_from)?;
    let decisions: Vec<Decision> = decision::list(&state.warehouse, principal.companies().as_ref())
        .await
        .map_err(error_from)?
        .into_iter()
        .filter(|d| d.key == s.key)
        .collect();
    let mut v = suggestion_json(&principal, &s)?;
    v["series"] = json!(series);
    v["decisions"] = json!(decisions);
    Ok(Json(v))
}

/// `GET /api/planning/decisions`.
#[utoipa::path(
    get,
    path = "/api/planning/decisions",
    tag = "planning",
    responses(
        (status = 200, description = "Every decision of the caller's companies, newest first", body = crate::openapi::DecisionList),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a planner, executive or admin", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn decisions_json(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<Value>, ApiError> {
    let list = decision::list(&state.warehouse, principal.companies().as_ref())
        .await
        .map_err(error_from)?;
    Ok(Json(json!({ "count": list.len(), "decisions": list })))
}

#[utoipa::path(
    get,
    path = "/api/planning/orderpoints.csv",
    tag = "planning",
    responses(
        (status = 200, description = "CSV for Odoo's Import dialog (stock.warehouse.orderpoint): id,company_id/.id,warehouse_id/.id,location_id/.id,product_id/.id,trigger,product_min_qty,product_max_qty,qty_multiple", content_type = "text/csv", body = String),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a planner, executive or admin", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
/// `GET /api/planning/orderpoints.csv`: the rules accepted (and not
/// rejected since), as Odoo's import file.
pub(crate) async fn orderpoints_csv(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Response, ApiError> {
    let rules = decision::accepted_rules(&state.warehouse, principal.companies().as_ref())
        .await
        .map_err(error_from)?;
    let csv = crossdock_odoo::orderpoint_import_csv(&rules)
        .map_err(|e| ApiError::Internal(format!("the orderpoint import file: {e}")))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"stock.warehouse.orderpoint.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// The body of `POST /api/planning/decisions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionsBody {
    decisions: Vec<DecisionRequest>,
}

/// Checks every request, then sends the accepted rules to Odoo (when
/// configured), records the decisions in one commit and audits each. A
/// request that cannot be taken refuses the whole batch before anything
/// is sent or written.
async fn decide(
    state: &AppState,
    principal: &Principal,
    requests: Vec<DecisionRequest>,
) -> Result<Vec<Decision>, ApiError> {
    if requests.is_empty() {
        return Err(ApiError::BadRequest(
            "no decision: choose at least one suggestion".into(),
        ));
    }
    if requests.len() > MAX_DECISIONS {
        return Err(ApiError::BadRequest(format!(
            "{} decisions in one request; at most {MAX_DECISIONS}",
            requests.len()
        )));
    }
    let mut seen = HashSet::new();
    for r in &requests {
        if !seen.insert(r.key.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "suggestion {} is given twice; decide on each once",
                shown(&r.key)
            )));
        }
    }
    let _one_batch_at_a_time = state.planning_writes.lock().await;
    let query = SuggestionQuery {
        companies: principal.companies(),
        ..Default::default()
    };
    let by_key: BTreeMap<String, StoredSuggestion> = suggestion::list(&state.warehouse, &query)
        .await
        .map_err(error_from)?
        .into_iter()
        .map(|s| (s.key.clone(), s))
        .collect();
    let now = Utc::now();
    let actor = principal.user.name.clone();
    let mut decisions = Vec::with_capacity(requests.len());
    for r in &requests {
        let s = by_key.get(&r.key).ok_or_else(|| {
            ApiError::Missing(format!(
                "no reorder suggestion {} among your companies' latest suggestions; nothing was decided",
                shown(&r.key)
            ))
        })?;
        let d = decision::prepare(s, r, &actor, now)
            .map_err(|e| ApiError::BadRequest(format!("{e}; nothing was decided")))?;
        decisions.push(d);
    }
    let odoo = match &state.odoo {
        Some(o) => Some(o.clone()),
        None => state.warehouse.settings()?.odoo,
    };
    odoo_link::send(odoo.as_ref(), &mut decisions).await;
    decision::record(&state.warehouse, &decisions)
        .await
        .map_err(error_from)?;
    let rows = decisions
        .iter()
        .map(|d| {
            (
                d.decided_by.clone(),
                format!("reorder.{}", d.action.as_str()),
                d.key.clone(),
                d.audit_before(),
                d.audit_after(),
            )
        })
        .collect();
    super::audit(state, rows).await?;
    Ok(decisions)
}

/// `POST /api/planning/decisions`.
#[utoipa::path(
    post,
    path = "/api/planning/decisions",
    tag = "planning",
    request_body = crate::openapi::DecisionsBody,
    responses(
        (status = 201, description = "The decisions taken, with what Odoo answered", body = crate::openapi::DecisionList),
        (status = 400, description = "A decision that cannot be taken (named); nothing was decided", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a planner or admin", body = crate::openapi::ErrorBody),
        (status = 404, description = "A suggestion not among the caller's companies; nothing was decided", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn decide_json(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body: DecisionsBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be JSON {{\"decisions\": [{{\"key\": \"<warehouse_id>-<product_id>\", \"action\": \"accept|edit|reject\", \"min\"?: \"12\", \"max\"?: \"30\", \"multiple\"?: \"1\", \"note\"?: \"...\"}}]}}: {e}"
        ))
    })?;
    let decisions = decide(&state, &principal, body.decisions).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "count": decisions.len(), "decisions": decisions })),
    ))
}

/// Where a form sends the planner back: a planning page, nothing else.
fn back_to(value: &str) -> Result<String, ApiError> {
    super::back_to(value, "/planning", true)
}

fn form_decimal(name: &str, value: &str) -> Result<Option<Decimal>, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<Decimal>().map(Some).map_err(|_| {
        ApiError::BadRequest(format!(
            "form field {name} must be a number (e.g. 12 or 2.5), got {}",
            shown(v)
        ))
    })
}

/// `POST /planning/decisions` from the pages' forms (the guard checked the
/// CSRF token): back to the page the form was on.
pub(crate) async fn decide_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Response {
    let result = async {
        let (mut action, mut keys, mut note, mut back) = (None, Vec::new(), None, None);
        let (mut min, mut max, mut multiple) = (None, None, None);
        for (k, v) in form_urlencoded::parse(&body) {
            match &*k {
                "action" => action = Some(v.into_owned()),
                "key" => keys.push(v.into_owned()),
                "note" => note = Some(v.into_owned()),
                "back" => back = Some(back_to(&v)?),
                "min" => min = form_decimal("min", &v)?,
                "max" => max = form_decimal("max", &v)?,
                "multiple" => multiple = form_decimal("multiple", &v)?,
                _ => {}
            }
        }
        let action = action.ok_or_else(|| {
            ApiError::BadRequest("form field action is missing: accept, edit or reject".into())
        })?;
        let requests = keys
            .into_iter()
            .map(|key| DecisionRequest {
                key,
                action: action.clone(),
                min,
                max,
                multiple,
                note: note.clone(),
            })
            .collect();
        decide(&state, &principal, requests).await?;
        Ok::<_, ApiError>(back.unwrap_or_else(|| "/planning".to_string()))
    }
    .await;
    match result {
        Ok(to) => (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response(),
        Err(e) => html::error_page_for(Mode::Document, Some(&principal), &e),
    }
}

// ----------------------------------------------------------------- pages

fn qty(d: Decimal) -> String {
    d.normalize().to_string()
}

fn rule_text(r: Option<Rule>) -> String {
    match r {
        None => "none".into(),
        Some(r) if r.multiple > Decimal::ONE => {
            format!("{} / {} ×{}", qty(r.min), qty(r.max), qty(r.multiple))
        }
        Some(r) => format!("{} / {}", qty(r.min), qty(r.max)),
    }
}

fn units(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn decision_text(d: Option<&Decision>) -> String {
    match d {
        None => "pending".into(),
        Some(d) => {
            let what = match d.action {
                decision::Action::Accept => "accepted",
                decision::Action::Edit => "edited",
                decision::Action::Reject => "rejected",
            };
            let odoo = d
                .odoo
                .as_deref()
                .map(|o| format!(" · Odoo: {o}"))
                .unwrap_or_default();
            format!(
                "{what} by {} {}{odoo}",
                d.decided_by,
                d.decided_at.format("%Y-%m-%d %H:%M UTC")
            )
        }
    }
}

/// One suggestion as the pages show it.
pub(crate) struct Row {
    key: String,
    href: String,
    product: String,
    warehouse: String,
    abc: String,
    abc_value: String,
    demand_class: String,
    current: String,
    suggested: String,
    change: String,
    on_hand: String,
    reserved: String,
    incoming: String,
    backorders: String,
    cover: String,
    late: String,
    risk: String,
    value: String,
    exceptions: String,
    reason: String,
    status: String,
    pending: bool,
}

fn row(s: &StoredSuggestion, d: Option<&Decision>, sees_stock_value: bool) -> Row {
    let current = match (s.current_min_qty, s.current_max_qty, s.current_qty_multiple) {
        (Some(a), Some(b), Some(c)) => Some(Rule::new(a, b, c)),
        _ => None,
    };
    let suggested = Rule::new(
        s.suggested_min_qty,
        s.suggested_max_qty,
        s.suggested_qty_multiple,
    );
    let product = match &s.default_code {
        Some(code) => format!("[{code}] {}", s.product),
        None => s.product.clone(),
    };
    let risk = match s.stockout_risk_before {
        Some(b) => format!(
            "{} → {}",
            html::percent(Some(b)),
            html::percent(Some(s.stockout_risk_after))
        ),
        None => html::percent(Some(s.stockout_risk_after)),
    };
    let value = if sees_stock_value {
        match s.stock_value_before {
            Some(b) => format!("{} → {}", html::money(b), html::money(s.stock_value_after)),
            None => html::money(s.stock_value_after),
        }
    } else {
        String::new()
    };
    Row {
        key: s.key.clone(),
        href: format!("/planning/items/{}", s.key),
        product,
        warehouse: s.warehouse.clone(),
        abc: s.abc.clone(),
        abc_value: s.abc_value.clone(),
        demand_class: s.demand_class.clone(),
        current: rule_text(current),
        suggested: rule_text(Some(suggested)),
        change: match (s.min_change_percent, current) {
            (Some(c), _) => format!("{c:+.0} %"),
            (None, None) => "new rule".into(),
            (None, Some(_)) => html::MISSING.into(),
        },
        on_hand: units(s.on_hand),
        reserved: units(s.reserved),
        incoming: units(s.incoming),
        backorders: units(s.backorder_qty),
        cover: html::days(s.days_of_cover),
        late: s.late_deliveries_28d.to_string(),
        risk,
        value,
        exceptions: s
            .exceptions
            .iter()
            .map(|e| e.label())
            .collect::<Vec<_>>()
            .join(" · "),
        reason: s.reason.clone(),
        status: decision_text(d),
        pending: d.is_none(),
    }
}

/// One option of a filter's `<select>`.
pub(crate) struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices(values: &[(String, String)], chosen: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|(value, label)| Choice {
            value: value.clone(),
            label: label.clone(),
            selected: value == chosen,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "planning.html", blocks = ["content"])]
struct PlanningPage {
    shell: Shell,
    error: Option<ErrorBox>,
    meta: String,
    warehouses: Vec<Choice>,
    classes: Vec<Choice>,
    abcs: Vec<Choice>,
    min_change: String,
    exceptions: bool,
    rows: Vec<Row>,
    shown: usize,
    pending: usize,
    /// The CSRF token when the user may decide (else no forms).
    csrf: Option<String>,
    sees_stock_value: bool,
    back: String,
    /// The table's columns (for the reason rows' colspan).
    columns: usize,
}
page!(PlanningPage);

/// `GET /planning`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    mode: Mode,
    RawQuery(raw): RawQuery,
) -> Response {
    let parsed = params::parse(raw.as_deref(), "the planning page", FILTERS);
    let typed = |name: &str| {
        parsed
            .as_ref()
            .ok()
            .and_then(|p| p.get(name))
            .unwrap_or("")
            .to_string()
    };
    let typed_warehouse = typed("warehouse");
    let sees_stock_value = principal.visibility().sees(FieldClass::Inventory);
    let may_decide = principal.user.roles.iter().any(|r| DECIDERS.contains(r));
    let mut page = PlanningPage {
        shell: Shell::for_user(&principal, "Reorder suggestions", "/planning"),
        error: None,
        meta: String::new(),
        warehouses: Vec::new(),
        classes: choices(
            &suggestion::DEMAND_CLASSES
                .iter()
                .map(|c| (c.to_string(), c.to_string()))
                .collect::<Vec<_>>(),
            &typed("class"),
        ),
        abcs: choices(
            &["A", "B", "C"].map(|c| (c.to_string(), c.to_string())),
            &typed("abc").to_ascii_uppercase(),
        ),
        min_change: typed("min_change"),
        exceptions: matches!(typed("exceptions").as_str(), "1" | "true" | "on" | "yes"),
        rows: Vec::new(),
        shown: 0,
        pending: 0,
        csrf: if may_decide {
            principal.csrf().map(str::to_string)
        } else {
            None
        },
        sees_stock_value,
        columns: 12
            + usize::from(may_decide && principal.csrf().is_some())
            + usize::from(sees_stock_value),
        back: match raw.as_deref() {
            Some(q) if !q.is_empty() && parsed.is_ok() => format!("/planning?{q}"),
            _ => "/planning".into(),
        },
    };
    let result = async {
        let query = suggestion_query(&parsed?, &principal)?;
        let all = SuggestionQuery {
            companies: query.companies.clone(),
            ..Default::default()
        };
        let everything = suggestion::list(&state.warehouse, &all)
            .await
            .map_err(error_from)?;
        let list = suggestion::list(&state.warehouse, &query)
            .await
            .map_err(error_from)?;
        let latest = decision::latest(&state.warehouse, query.companies.as_ref())
            .await
            .map_err(error_from)?;
        Ok::<_, ApiError>((everything, list, latest))
    }
    .await;
    let status = match result {
        Ok((everything, list, latest)) => {
            let mut warehouses: BTreeSet<(i64, String)> = BTreeSet::new();
            for s in &everything {
                warehouses.insert((s.warehouse_id, s.warehouse.clone()));
            }
            page.warehouses = choices(
                &warehouses
                    .into_iter()
                    .map(|(id, name)| (id.to_string(), name))
                    .collect::<Vec<_>>(),
                &typed_warehouse,
            );
            page.meta = match everything.first() {
                Some(s) => format!(
                    "{} suggestions from data up to {}, computed {} · {} with exceptions",
                    everything.len(),
                    s.as_of,
                    s.computed_at.format("%Y-%m-%d %H:%M UTC"),
                    everything.iter().filter(|s| !s.exceptions.is_empty()).count()
                ),
                None => "No suggestions yet: run crossdock reorder suggest --data <warehouse> to compute them.".into(),
            };
            page.rows = list
                .iter()
                .map(|s| row(s, latest.get(&s.key), sees_stock_value))
                .collect();
            page.shown = page.rows.len();
            page.pending = page.rows.iter().filter(|r| r.pending).count();
            StatusCode::OK
        }
        Err(e) => {
            let status = e.status();
            page.error = Some(ErrorBox::of(&e));
            status
        }
    };
    html::render(mode, status, &page)
}

/// One week of the item page's table.
pub(crate) struct WeekRow {
    week: String,
    kind: String,
    qty: String,
    interval: String,
}

/// One decision of the item page's history.
pub(crate) struct DecisionRow {
    when: String,
    who: String,
    action: String,
    rule: String,
    note: String,
    odoo: String,
}

#[derive(Template)]
#[template(path = "planning_item.html", blocks = ["content"])]
struct ItemPage {
    shell: Shell,
    row: Row,
    evidence: Vec<(String, String)>,
    chart: String,
    weeks: Vec<WeekRow>,
    decisions: Vec<DecisionRow>,
    csrf: Option<String>,
    edit_min: String,
    edit_max: String,
    edit_multiple: String,
    sees_stock_value: bool,
}
page!(ItemPage);

fn chart_of(series: &[WeekPoint]) -> Value {
    let history: Vec<Value> = series
        .iter()
        .filter(|p| p.kind == "history")
        .map(|p| json!([p.week, p.qty]))
        .collect();
    let forecast: Vec<Value> = series
        .iter()
        .filter(|p| p.kind == "forecast")
        .map(|p| json!([p.week, p.qty]))
        .collect();
    let band: Vec<Value> = series
        .iter()
        .filter(|p| p.kind == "forecast")
        .map(|p| json!([p.week, p.low, p.high]))
        .collect();
    json!({
        "x": "time",
        "height": 280,
        "series": [
            {"label": "ordered per week", "points": history},
            {"label": "forecast", "points": forecast, "dash": true, "color": "#c0392b"},
            {"label": "80 % interval", "band": band, "color": "#c0392b"},
        ]
    })
}

/// `GET /planning/items/{key}`.
pub(crate) async fn item_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    mode: Mode,
    Path(key): Path<String>,
) -> Response {
    let result = async {
        let s = one(&state, &principal, &key).await?;
        let series = suggestion::series(&state.warehouse, &s)
            .await
            .map_err(error_from)?;
        let decisions: Vec<Decision> =
            decision::list(&state.warehouse, principal.companies().as_ref())
                .await
                .map_err(error_from)?
                .into_iter()
                .filter(|d| d.key == s.key)
                .collect();
        Ok::<_, ApiError>((s, series, decisions))
    }
    .await;
    let (s, series, decisions) = match result {
        Ok(x) => x,
        Err(e) => return html::error_page_for(mode, Some(&principal), &e),
    };
    let sees_stock_value = principal.visibility().sees(FieldClass::Inventory);
    let may_decide = principal.user.roles.iter().any(|r| DECIDERS.contains(r));
    let chart = match html::json_island(&chart_of(&series)) {
        Ok(c) => c,
        Err(e) => return html::error_page_for(mode, Some(&principal), &e),
    };
    let lead = match (s.lead_time_p90_days, s.promised_lead_time_days) {
        (Some(p90), Some(promised)) => format!(
            "{:.0} days planned: observed p90 {p90:.0} over {} receipts, {promised:.0} promised",
            s.lead_time_days, s.receipts_observed
        ),
        (Some(p90), None) => format!(
            "{:.0} days planned: observed p90 {p90:.0} over {} receipts",
            s.lead_time_days, s.receipts_observed
        ),
        (None, Some(promised)) => format!(
            "{:.0} days planned: the vendor's promise ({promised:.0}), no receipts observed",
            s.lead_time_days
        ),
        (None, None) => format!(
            "{:.0} days planned: no promise and no receipts (the default)",
            s.lead_time_days
        ),
    };
    let mut evidence = vec![
        (
            "demand".to_string(),
            format!(
                "{} per week forecast ({}, {} demand)",
                units(s.demand_per_week),
                s.method,
                s.demand_class
            ),
        ),
        (
            "service level".to_string(),
            format!(
                "service class {}: {} target cycle service (ABC by value: {})",
                s.abc,
                html::percent(Some(s.service_level)),
                s.abc_value
            ),
        ),
        ("lead time".to_string(), lead),
        (
            "vendor".to_string(),
            match (&s.vendor, s.vendor_on_time) {
                (Some(v), Some(on_time)) => {
                    format!("{v}: {} of receipts on time", html::percent(Some(on_time)))
                }
                (Some(v), None) => format!("{v}: no receipts observed"),
                (None, _) => "no vendor (product_supplierinfo) for this product".into(),
            },
        ),
        (
            "rule in force".to_string(),
            match s.orderpoint_id {
                Some(id) => format!(
                    "orderpoint {id} ({})",
                    s.trigger.as_deref().unwrap_or("auto")
                ),
                None => "none: accepting creates one".into(),
            },
        ),
    ];
    if sees_stock_value {
        evidence.push(("unit cost".to_string(), html::money(s.unit_cost)));
    }
    let weeks = series
        .iter()
        .rev()
        .take(30)
        .rev()
        .map(|p| WeekRow {
            week: p.week.to_string(),
            kind: p.kind.clone(),
            qty: units(p.qty),
            interval: match (p.low, p.high) {
                (Some(l), Some(h)) => format!("{} – {}", units(l), units(h)),
                _ => String::new(),
            },
        })
        .collect();
    let history = decisions
        .iter()
        .map(|d| DecisionRow {
            when: d.decided_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            who: d.decided_by.clone(),
            action: d.action.as_str().to_string(),
            rule: rule_text(d.decided),
            note: d.note.clone().unwrap_or_default(),
            odoo: d.odoo.clone().unwrap_or_default(),
        })
        .collect();
    let page = ItemPage {
        shell: Shell::for_user(
            &principal,
            &format!("Reorder rule: {}", s.product),
            "/planning",
        ),
        row: row(&s, decisions.first(), sees_stock_value),
        evidence,
        chart,
        weeks,
        decisions: history,
        csrf: if may_decide {
            principal.csrf().map(str::to_string)
        } else {
            None
        },
        edit_min: qty(s.suggested_min_qty),
        edit_max: qty(s.suggested_max_qty),
        edit_multiple: qty(s.suggested_qty_multiple),
        sees_stock_value,
    };
    html::render(mode, StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_send_back_only_to_planning_pages() {
        assert!(back_to("/planning").is_ok());
        assert!(back_to("/planning?abc=A&exceptions=on").is_ok());
        assert!(back_to("/planning/items/1-42").is_ok());
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/planning//x",
            "/admin",
            "/planningx",
            "/planning/items/\\evil",
        ] {
            assert!(back_to(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_read_as_planners_write_them() {
        let d = |n: i64| Decimal::new(n, 0);
        assert_eq!(rule_text(None), "none");
        assert_eq!(rule_text(Some(Rule::new(d(4), d(10), d(1)))), "4 / 10");
        assert_eq!(rule_text(Some(Rule::new(d(4), d(12), d(6)))), "4 / 12 ×6");
        assert_eq!(units(2.0), "2");
        assert_eq!(units(2.25), "2.2");
    }
}
