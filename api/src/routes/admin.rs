//! Who am I (`GET /api/me`), and the admins' endpoints and page: users
//! (`GET`/`POST /api/users`, `POST /api/users/{name}/disable`), the audit
//! trail (`GET /api/audit`, JSON or CSV) and `GET /admin`. The guard has
//! already checked the role (and, for a session, the CSRF token); every
//! change is audited by the store in the same transaction.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use crossdock_access::{audit_csv, AuditEntry, NewUser, Role, User};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Principal, Via};
use crate::error::ApiError;
use crate::html::{self, escape};
use crate::visibility::KpiVisibility as _;
use crate::{params, AppState};

/// Most audit rows one request returns.
const MAX_AUDIT_ROWS: usize = 10_000;

/// The caller: name, roles, companies (null: all) and the KPI fields they may see.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "access",
    responses(
        (status = 200, description = "The caller", body = crate::openapi::Me),
        (status = 400, description = "A parameter was given (there are none)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn me(
    Extension(principal): Extension<Principal>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    params::parse(raw.as_deref(), "/api/me", &[])?;
    let via = match principal.via {
        Via::Session { .. } => "session",
        Via::Token { .. } => "token",
    };
    Ok(Json(json!({
        "name": principal.user.name,
        "roles": principal.user.roles,
        "companies": principal.companies(),
        "kpi_fields": principal.visibility().fields(),
        "via": via,
    })))
}

/// Every user (admins).
#[utoipa::path(
    get,
    path = "/api/users",
    tag = "access",
    responses(
        (status = 200, description = "Every user, by name", body = [crate::openapi::User]),
        (status = 400, description = "A parameter was given (there are none)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "The caller is not an admin", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn users(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<User>>, ApiError> {
    params::parse(raw.as_deref(), "/api/users", &[])?;
    Ok(Json(state.access.users()?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    name: String,
    roles: Vec<String>,
    #[serde(default)]
    companies: Vec<i64>,
    password: String,
}

/// Adds a user (admins; audited as `user.add`).
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "access",
    request_body = crate::openapi::NewUser,
    responses(
        (status = 201, description = "The user added", body = crate::openapi::User),
        (status = 400, description = "A bad field, named in the message", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin, or (session) no CSRF token", body = crate::openapi::ErrorBody),
        (status = 409, description = "A user of that name exists", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn add_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<(StatusCode, Json<User>), ApiError> {
    params::parse(raw.as_deref(), "/api/users", &[])?;
    let body: NewUserBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be JSON {{\"name\", \"roles\": [...], \"companies\": [...], \"password\"}}: {e}"
        ))
    })?;
    let roles = body
        .roles
        .iter()
        .map(|r| r.parse::<Role>())
        .collect::<Result<Vec<_>, _>>()?;
    let new = NewUser {
        name: body.name,
        roles,
        companies: body.companies,
        password: body.password,
    };
    let store = state.access.clone();
    let actor = principal.user.name.clone();
    // argon2 is slow on purpose: off the async threads.
    let user = tokio::task::spawn_blocking(move || store.add_user(&actor, &new))
        .await
        .map_err(|e| ApiError::Internal(format!("add-user task: {e}")))??;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn disable(state: &AppState, actor: &str, name: &str) -> Result<User, ApiError> {
    let user = state.access.disable_user(actor, name)?;
    state.sessions.remove_user(name);
    Ok(user)
}

/// Disables a user (admins; audited as `user.disable`): their sessions end
/// and their tokens stop working at once.
#[utoipa::path(
    post,
    path = "/api/users/{name}/disable",
    tag = "access",
    params(("name" = String, Path, description = "The user's name")),
    responses(
        (status = 200, description = "The user, disabled", body = crate::openapi::User),
        (status = 400, description = "A parameter was given (there are none)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin, or (session) no CSRF token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such user", body = crate::openapi::ErrorBody),
        (status = 409, description = "Already disabled, or the caller themselves", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn disable_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<User>, ApiError> {
    params::parse(raw.as_deref(), "/api/users/{name}/disable", &[])?;
    Ok(Json(disable(&state, &principal.user.name, &name).await?))
}

/// The audit trail, oldest first (admins): JSON, or CSV with `format=csv`.
#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "access",
    params(
        ("format" = Option<String>, Query, pattern = "^(json|csv)$", description = "json (default) or csv"),
        ("after" = Option<i64>, Query, minimum = 0, description = "Only rows with a larger id (default 0: from the start)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 10000, description = "At most this many rows (default and maximum 10000)"),
    ),
    responses(
        (status = 200, description = "Audit rows: JSON, or CSV with a header line (format=csv)", content(
            (Vec<crate::openapi::AuditEntry> = "application/json"),
            (String = "text/csv")
        )),
        (status = 400, description = "A bad parameter, named in the message", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "The caller is not an admin", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn audit(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = params::parse(raw.as_deref(), "/api/audit", &["format", "after", "limit"])?;
    let csv = match p.get("format") {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "query parameter format: {} is not json or csv",
                params::shown(other)
            )))
        }
    };
    let int = |name: &str, min: i64, max: i64, default: i64| -> Result<i64, ApiError> {
        match p.get(name) {
            None => Ok(default),
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::BadRequest(format!(
                    "query parameter {name}: {} is not an integer from {min} to {max}",
                    params::shown(text)
                ))),
            },
        }
    };
    let after = int("after", 0, i64::MAX, 0)?;
    let limit = int("limit", 1, MAX_AUDIT_ROWS as i64, MAX_AUDIT_ROWS as i64)?;
    let entries = state.access.audit(after, limit as usize)?;
    if csv {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"crossdock-audit.csv\"",
                ),
            ],
            audit_csv(&entries),
        )
            .into_response());
    }
    Ok(Json(entries).into_response())
}

fn users_table(users: &[User], me: &Principal) -> String {
    let csrf = me.csrf().unwrap_or("");
    let mut out = String::from(
        "<table class=\"list\"><tr><th>name</th><th>roles</th><th>companies</th><th>status</th><th>added</th><th></th></tr>\n",
    );
    for u in users {
        let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
        let companies = if u.has(Role::Admin) {
            "all".to_string()
        } else {
            u.companies
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let action = if u.disabled || u.name == me.user.name || me.csrf().is_none() {
            String::new()
        } else {
            format!(
                r#"<form method="post" action="/admin/users/{}/disable"><input type="hidden" name="csrf" value="{}"><button type="submit">Disable</button></form>"#,
                escape(&u.name),
                escape(csrf)
            )
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{action}</td></tr>\n",
            escape(&u.name),
            escape(&roles.join(", ")),
            escape(&companies),
            if u.disabled { "disabled" } else { "active" },
            escape(&u.created_at.format("%Y-%m-%d %H:%M UTC").to_string()),
        ));
    }
    out.push_str("</table>");
    out
}

fn audit_table(entries: &[AuditEntry]) -> String {
    let mut out = String::from(
        "<table class=\"list\"><tr><th>#</th><th>when</th><th>who</th><th>what</th><th>on</th><th>before</th><th>after</th></tr>\n",
    );
    let j = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
    for e in entries.iter().rev() {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>\n",
            e.id,
            escape(&e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            escape(&e.actor),
            escape(&e.action),
            escape(&e.subject),
            escape(&j(&e.before)),
            escape(&j(&e.after)),
        ));
    }
    out.push_str("</table>");
    out
}

/// `GET /admin`: users (with a disable button) and the latest audit rows.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Response {
    let result = (|| -> Result<(Vec<User>, Vec<AuditEntry>), ApiError> {
        Ok((state.access.users()?, state.access.audit_latest(200)?))
    })();
    match result {
        Ok((users, audit)) => {
            let body = format!(
                "<h1>Users</h1>\n<p class=\"meta\">Add users and tokens with <code>crossdock user add</code> / <code>crossdock user token</code>, or POST /api/users.</p>\n{}\n<h1>Audit trail</h1>\n<p class=\"meta\">Newest first, the latest 200 rows · <a href=\"/api/audit?format=csv\">all as CSV</a> · <a href=\"/api/audit\">JSON</a></p>\n{}",
                users_table(&users, &principal),
                audit_table(&audit)
            );
            html::page_for(&principal, StatusCode::OK, "Admin", &body)
        }
        Err(e) => html::error_page(&e),
    }
}

/// `POST /admin/users/{name}/disable` from the admin page's form (the guard
/// has checked the CSRF token): back to `/admin`.
pub(crate) async fn disable_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Response {
    match disable(&state, &principal.user.name, &name).await {
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response(),
        Err(e) => html::error_page(&e),
    }
}
