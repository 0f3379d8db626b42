//! Customer service's inbox: the classified messages
//! (`crossdock_models::triage::store`, written by `crossdock demo` or a
//! classification run), restricted to the reader's companies, with the
//! queue, category, confidence and references of each and the state of the
//! Odoo documents it refers to (`triage::worklist::linked_records`); people
//! correct the queue or category, or mark messages done, one or many at
//! once. Every correction and mark is recorded (`derived/triage_correction`,
//! `derived/triage_status`) and audited; corrections feed the next
//! `crossdock triage train --with-corrections`.
//!
//! | route | answer |
//! |---|---|
//! | `GET /inbox?queue=&category=&status=` | the page: filters, messages, bulk forms |
//! | `POST /inbox/actions` | the page's forms (CSRF): `action` (`correct`, `done`, `reopen`), `id` (repeated), `queue`, `category`, `note`, `back` |
//! | `GET /api/inbox/messages?...` | the same list as JSON |
//! | `POST /api/inbox/actions` | `{"action", "ids": [...], "queue"?, "category"?, "note"?}`: all or none |
//!
//! Template: `templates/inbox.html`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use crossdock_access::Role;
use crossdock_models::triage::store::{self, Correction, MessageRow};
use crossdock_models::triage::worklist::{self, StatusMark};
use crossdock_models::triage::{Category, Queue};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::html::{self, page, ErrorBox, Mode, Shell};
use crate::params::{self, shown, Params};
use crate::AppState;

/// Roles that may work the inbox.
pub(crate) const WORKERS: &[Role] = &[Role::Service, Role::Admin];

/// Messages acted on in one request, at most.
pub const MAX_ACTIONS: usize = 1000;

const FILTERS: &[&str] = &["queue", "category", "status"];

fn error_from(e: crossdock_models::error::ModelsError) -> ApiError {
    ApiError::Internal(format!("inbox: {e}"))
}

/// The list's filters.
struct Filter {
    /// A queue, or `review`.
    queue: Option<String>,
    category: Option<Category>,
    /// `open` (default), `done` or `all`.
    status: String,
}

fn filter_of(p: &Params) -> Result<Filter, ApiError> {
    let text = |n: &str| p.get(n).map(str::trim).filter(|v| !v.is_empty());
    let queue = match text("queue") {
        None => None,
        Some("review") => Some("review".to_string()),
        Some(q) => match Queue::parse(q) {
            Some(q) => Some(q.name().to_string()),
            None => {
                return Err(ApiError::BadRequest(format!(
                    "query parameter queue must be review or one of {}, got {}",
                    Queue::ALL.map(|q| q.name()).join(", "),
                    shown(q)
                )))
            }
        },
    };
    let category = match text("category") {
        None => None,
        Some(c) => Some(Category::parse(c).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "query parameter category must be one of {}, got {}",
                Category::ALL.map(|c| c.name()).join(", "),
                shown(c)
            ))
        })?),
    };
    let status = match text("status").unwrap_or("open") {
        s @ ("open" | "done" | "all") => s.to_string(),
        s => {
            return Err(ApiError::BadRequest(format!(
                "query parameter status must be open, done or all, got {}",
                shown(s)
            )))
        }
    };
    Ok(Filter {
        queue,
        category,
        status,
    })
}

/// A message as the inbox shows it: the classification, with the latest
/// correction applied, and its status.
#[derive(Debug, Clone, serde::Serialize)]
struct Item {
    #[serde(flatten)]
    row: MessageRow,
    /// The queue in force (a correction's, else the classifier's route).
    route_now: String,
    /// The category in force.
    category_now: String,
    corrected_by: Option<String>,
    done: bool,
    /// The state of each found document, by its name.
    linked: BTreeMap<String, String>,
}

async fn items(state: &AppState, principal: &Principal, f: &Filter) -> Result<Vec<Item>, ApiError> {
    let companies = principal.companies();
    let rows = store::list(&state.warehouse, companies.as_ref())
        .await
        .map_err(error_from)?;
    let corrections = store::latest_corrections(&state.warehouse, companies.as_ref())
        .await
        .map_err(error_from)?;
    let marks = worklist::latest_status(&state.warehouse, companies.as_ref())
        .await
        .map_err(error_from)?;
    let mut out: Vec<Item> = rows
        .into_iter()
        .map(|row| {
            let c = corrections.get(&row.id);
            let done = marks.get(&row.id).is_some_and(|m| m.done);
            Item {
                route_now: c.map_or(row.route.clone(), |c| c.after_queue.name().to_string()),
                category_now: c.map_or(row.category.clone(), |c| {
                    c.after_category.name().to_string()
                }),
                corrected_by: c.map(|c| c.corrected_by.clone()),
                done,
                linked: BTreeMap::new(),
                row,
            }
        })
        .filter(|i| match f.status.as_str() {
            "open" => !i.done,
            "done" => i.done,
            _ => true,
        })
        .filter(|i| f.queue.as_ref().is_none_or(|q| *q == i.route_now))
        .filter(|i| f.category.is_none_or(|c| c.name() == i.category_now))
        .collect();
    let names: BTreeSet<String> = out
        .iter()
        .flat_map(|i| {
            i.row
                .references
                .iter()
                .filter(|r| r.found)
                .map(|r| r.value.clone())
        })
        .collect();
    let linked = worklist::linked_records(&state.warehouse, companies.as_ref(), &names)
        .await
        .map_err(error_from)?;
    for i in &mut out {
        for r in i.row.references.iter().filter(|r| r.found) {
            if let Some(t) = linked.get(&r.value) {
                i.linked.insert(r.value.clone(), t.clone());
            }
        }
    }
    Ok(out)
}

/// `GET /api/inbox/messages`.
#[utoipa::path(
    get,
    path = "/api/inbox/messages",
    tag = "inbox",
    params(
        ("queue" = Option<String>, Query, pattern = "^(review|sales|helpdesk|purchasing|accounting|other)?$", description = "One queue, or review"),
        ("category" = Option<String>, Query, description = "One category (quote request, new order, ... other)"),
        ("status" = Option<String>, Query, pattern = "^(open|done|all)?$", description = "open (default), done or all"),
    ),
    responses(
        (status = 200, description = "The classified messages of the caller's companies, newest first, with the queue and category in force, status and linked records", body = crate::openapi::MessageList),
        (status = 400, description = "A bad parameter, named in the message", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not customer service or admin", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn list_json(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = params::parse(raw.as_deref(), "/api/inbox/messages", FILTERS)?;
    let list = items(&state, &principal, &filter_of(&p)?).await?;
    Ok(Json(json!({ "count": list.len(), "messages": list })))
}

/// What to do with some messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionBody {
    action: String,
    ids: Vec<String>,
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// Checks the whole request, then records it in one commit per table and
/// audits each message; all or nothing.
async fn act(state: &AppState, principal: &Principal, body: ActionBody) -> Result<usize, ApiError> {
    if body.ids.is_empty() {
        return Err(ApiError::BadRequest(
            "no message: choose at least one".into(),
        ));
    }
    if body.ids.len() > MAX_ACTIONS {
        return Err(ApiError::BadRequest(format!(
            "{} messages in one request; at most {MAX_ACTIONS}",
            body.ids.len()
        )));
    }
    let mut seen = HashSet::new();
    if let Some(twice) = body.ids.iter().find(|id| !seen.insert(id.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "message {} is given twice",
            shown(twice)
        )));
    }
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::BadRequest(
            "the note is longer than 500 characters".into(),
        ));
    }
    let _one_at_a_time = state.planning_writes.lock().await;
    let all = items(
        state,
        principal,
        &Filter {
            queue: None,
            category: None,
            status: "all".into(),
        },
    )
    .await?;
    let by_id: BTreeMap<&str, &Item> = all.iter().map(|i| (i.row.id.as_str(), i)).collect();
    let mut targets = Vec::new();
    for id in &body.ids {
        targets.push(*by_id.get(id.as_str()).ok_or_else(|| {
            ApiError::Missing(format!(
                "no message {} in your companies' inbox; nothing was changed",
                shown(id)
            ))
        })?);
    }
    let now = Utc::now();
    let actor = principal.user.name.clone();
    let mut audit: Vec<(String, String, Value, Value)> = Vec::new();
    match body.action.as_str() {
        "correct" => {
            let queue_text = body
                .queue
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty());
            let cat_text = body
                .category
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty());
            if queue_text.is_none() && cat_text.is_none() {
                return Err(ApiError::BadRequest(
                    "correct needs a queue or a category (or both)".into(),
                ));
            }
            let queue = match queue_text {
                None => None,
                Some(q) => Some(Queue::parse(q).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "queue must be one of {}, got {}",
                        Queue::ALL.map(|q| q.name()).join(", "),
                        shown(q)
                    ))
                })?),
            };
            let category = match cat_text {
                None => None,
                Some(c) => Some(Category::parse(c).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "category must be one of {}, got {}",
                        Category::ALL.map(|c| c.name()).join(", "),
                        shown(c)
                    ))
                })?),
            };
            let mut rows = Vec::new();
            for t in &targets {
                let after_category = category
                    .or_else(|| Category::parse(&t.category_now))
                    .unwrap_or(Category::Other);
                let after_queue = queue
                    .or_else(|| Queue::parse(&t.route_now))
                    .unwrap_or_else(|| after_category.default_queue());
                let c = Correction {
                    corrected_at: now,
                    corrected_by: actor.clone(),
                    message_id: t.row.id.clone(),
                    company_id: t.row.company_id,
                    before_queue: t.route_now.clone(),
                    before_category: t.category_now.clone(),
                    after_queue,
                    after_category,
                    note: note.clone(),
                };
                audit.push((
                    "triage.correct".into(),
                    t.row.id.clone(),
                    json!({"queue": c.before_queue, "category": c.before_category}),
                    json!({"queue": c.after_queue.name(), "category": c.after_category.name(), "note": c.note}),
                ));
                rows.push(c);
            }
            store::record_corrections(&state.warehouse, &rows)
                .await
                .map_err(error_from)?;
        }
        action @ ("done" | "reopen") => {
            if body.queue.is_some() || body.category.is_some() {
                return Err(ApiError::BadRequest(format!(
                    "{action} takes no queue or category; to change them, use correct"
                )));
            }
            let done = action == "done";
            let marks: Vec<StatusMark> = targets
                .iter()
                .map(|t| StatusMark {
                    at: now,
                    by: actor.clone(),
                    message_id: t.row.id.clone(),
                    company_id: t.row.company_id,
                    done,
                })
                .collect();
            for t in &targets {
                audit.push((
                    format!("triage.{action}"),
                    t.row.id.clone(),
                    json!({"done": t.done}),
                    json!({"done": done, "note": note}),
                ));
            }
            worklist::record_status(&state.warehouse, &marks)
                .await
                .map_err(error_from)?;
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "action {} is not one of correct, done, reopen",
                shown(other)
            )))
        }
    }
    let n = audit.len();
    let rows = audit
        .into_iter()
        .map(|(action, subject, before, after)| (actor.clone(), action, subject, before, after))
        .collect();
    super::audit(state, rows).await?;
    Ok(n)
}

/// `POST /api/inbox/actions`.
#[utoipa::path(
    post,
    path = "/api/inbox/actions",
    tag = "inbox",
    request_body = crate::openapi::InboxAction,
    responses(
        (status = 200, description = "How many messages were changed", body = crate::openapi::ActionCount),
        (status = 400, description = "A request that cannot be carried out (named); nothing was changed", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not customer service or admin", body = crate::openapi::ErrorBody),
        (status = 404, description = "A message not in the caller's companies' inbox; nothing was changed", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn act_json(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: ActionBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be JSON {{\"action\": \"correct|done|reopen\", \"ids\": [\"<message id>\"], \"queue\"?: \"helpdesk\", \"category\"?: \"delivery problem\", \"note\"?: \"...\"}}: {e}"
        ))
    })?;
    let n = act(&state, &principal, body).await?;
    Ok(Json(json!({ "count": n })))
}

fn back_to(value: &str) -> Result<String, ApiError> {
    super::back_to(value, "/inbox", false)
}

/// `POST /inbox/actions` from the page (CSRF checked by the guard).
pub(crate) async fn act_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Response {
    let result = async {
        let mut b = ActionBody {
            action: String::new(),
            ids: Vec::new(),
            queue: None,
            category: None,
            note: None,
        };
        let mut back = "/inbox".to_string();
        for (k, v) in form_urlencoded::parse(&body) {
            match &*k {
                "action" => b.action = v.into_owned(),
                "id" => b.ids.push(v.into_owned()),
                "queue" if !v.trim().is_empty() => b.queue = Some(v.into_owned()),
                "category" if !v.trim().is_empty() => b.category = Some(v.into_owned()),
                "note" => b.note = Some(v.into_owned()),
                "back" => back = back_to(&v)?,
                _ => {}
            }
        }
        act(&state, &principal, b).await?;
        Ok::<_, ApiError>(back)
    }
    .await;
    match result {
        Ok(to) => (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response(),
        Err(e) => html::error_page_for(Mode::Document, Some(&principal), &e),
    }
}

/// One message row of the page.
pub(crate) struct Row {
    id: String,
    received: String,
    from: String,
    subject: String,
    excerpt: String,
    route: String,
    review: bool,
    category: String,
    confidence: String,
    references: String,
    linked: String,
    attachments: String,
    status: String,
}

/// One option of a `<select>`.
pub(crate) struct Choice {
    value: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "inbox.html", blocks = ["content"])]
struct InboxPage {
    shell: Shell,
    error: Option<ErrorBox>,
    meta: String,
    queues: Vec<Choice>,
    categories: Vec<Choice>,
    statuses: Vec<Choice>,
    all_queues: Vec<&'static str>,
    all_categories: Vec<&'static str>,
    rows: Vec<Row>,
    csrf: Option<String>,
    back: String,
}
page!(InboxPage);

fn row(i: &Item) -> Row {
    let m = &i.row;
    Row {
        id: m.id.clone(),
        received: m
            .received
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| html::MISSING.into()),
        from: m.from.clone().unwrap_or_default(),
        subject: m.subject.clone(),
        excerpt: m.new_text.chars().take(160).collect(),
        route: i.route_now.clone(),
        review: i.route_now == "review",
        category: i.category_now.clone(),
        confidence: html::percent(Some(m.confidence)),
        references: m
            .references
            .iter()
            .map(|r| format!("{}{}", r.value, if r.found { " ✓" } else { " ?" }))
            .collect::<Vec<_>>()
            .join(", "),
        linked: i
            .linked
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(" · "),
        attachments: m.attachments.clone(),
        status: match (i.done, &i.corrected_by) {
            (true, _) => "done".into(),
            (false, Some(by)) => format!("corrected by {by}"),
            (false, None) if m.parse_error.is_some() => {
                format!("unreadable: {}", m.parse_error.clone().unwrap_or_default())
            }
            (false, None) => "open".into(),
        },
    }
}

/// `GET /inbox`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    mode: Mode,
    RawQuery(raw): RawQuery,
) -> Response {
    let parsed = params::parse(raw.as_deref(), "the inbox", FILTERS);
    let typed = |n: &str| {
        parsed
            .as_ref()
            .ok()
            .and_then(|p| p.get(n))
            .unwrap_or("")
            .to_string()
    };
    let (tq, tc, ts) = (typed("queue"), typed("category"), typed("status"));
    let choose = |values: Vec<&'static str>, chosen: &str| -> Vec<Choice> {
        values
            .into_iter()
            .map(|value| Choice {
                value,
                selected: value == chosen,
            })
            .collect()
    };
    let mut queue_names: Vec<&'static str> = vec!["review"];
    queue_names.extend(Queue::ALL.map(|q| q.name()));
    let mut page = InboxPage {
        shell: Shell::for_user(&principal, "Inbox", "/inbox"),
        error: None,
        meta: String::new(),
        queues: choose(queue_names, &tq),
        categories: choose(Category::ALL.map(|c| c.name()).to_vec(), &tc),
        statuses: choose(
            vec!["open", "done", "all"],
            if ts.is_empty() { "open" } else { &ts },
        ),
        all_queues: Queue::ALL.map(|q| q.name()).to_vec(),
        all_categories: Category::ALL.map(|c| c.name()).to_vec(),
        rows: Vec::new(),
        csrf: principal.csrf().map(str::to_string),
        back: match raw.as_deref() {
            Some(q) if !q.is_empty() && parsed.is_ok() => format!("/inbox?{q}"),
            _ => "/inbox".into(),
        },
    };
    let result = async {
        let f = filter_of(&parsed?)?;
        items(&state, &principal, &f).await
    }
    .await;
    let status = match result {
        Ok(list) => {
            let review = list.iter().filter(|i| i.route_now == "review").count();
            page.meta = if list.is_empty() {
                "No messages here. crossdock demo classifies the demo's inbox; crossdock triage classify reads others.".into()
            } else {
                format!("{} messages · {} to review", list.len(), review)
            };
            page.rows = list.iter().map(row).collect();
            StatusCode::OK
        }
        Err(e) => {
            let s = e.status();
            page.error = Some(ErrorBox::of(&e));
            s
        }
    };
    html::render(mode, status, &page)
}

#[cfg(test)]
mod tests {
    #[test]
    fn forms_send_back_only_to_the_inbox() {
        assert!(super::back_to("/inbox?queue=review").is_ok());
        for bad in ["//evil", "/planning", "https://x/", "/inbox//x"] {
            assert!(super::back_to(bad).is_err(), "{bad}");
        }
    }
}
