//! Who am I (`GET /api/me`), and the admins' endpoints and page: users
//! (`GET`/`POST /api/users`, `POST /api/users/{name}/disable`, `/enable`,
//! `/unlock`, `/reset-password`, `/roles`), the audit trail (`GET
//! /api/audit`, JSON or CSV) and `GET /admin`, whose forms
//! (`POST /admin/users...`) do the same. The guard has already checked the
//! role (and, for a session, the CSRF token); every change is audited by
//! the store in the same transaction; company ids are checked against the
//! warehouse's `res_company`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use crossdock_access::{audit_csv, generate_password, AuditEntry, NewUser, Role, User};
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
    crate::companies::check(&state.warehouse, &body.companies).await?;
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
    state.sessions.remove_user(&user.name);
    Ok(user)
}

/// A change an admin makes to one user, from the JSON API or the page.
enum Change {
    Disable,
    Enable,
    Unlock,
    /// Roles, and companies when given.
    SetRoles(Vec<Role>, Option<Vec<i64>>),
}

async fn change(
    state: &AppState,
    actor: &str,
    name: &str,
    change: Change,
) -> Result<User, ApiError> {
    match change {
        Change::Disable => disable(state, actor, name).await,
        Change::Enable => Ok(state.access.enable_user(actor, name)?),
        Change::Unlock => Ok(state.access.unlock(actor, name)?),
        Change::SetRoles(roles, companies) => {
            if let Some(c) = &companies {
                crate::companies::check(&state.warehouse, c).await?;
            }
            Ok(state
                .access
                .set_roles(actor, name, &roles, companies.as_deref())?)
        }
    }
}

/// Sets a generated password (audited as `user.reset_password`); the
/// user's sessions end. Returns the user and the password, to show once.
async fn reset(state: &AppState, actor: &str, name: &str) -> Result<(User, String), ApiError> {
    let password = generate_password();
    let store = state.access.clone();
    let (a, n, p) = (actor.to_string(), name.to_string(), password.clone());
    // argon2 is slow on purpose: off the async threads.
    let user = tokio::task::spawn_blocking(move || store.reset_password(&a, &n, &p))
        .await
        .map_err(|e| ApiError::Internal(format!("reset-password task: {e}")))??;
    state.sessions.remove_user(&user.name);
    Ok((user, password))
}

/// Enables a disabled user (admins; audited as `user.enable`).
#[utoipa::path(
    post,
    path = "/api/users/{name}/enable",
    tag = "access",
    params(("name" = String, Path, description = "The user's name (any case)")),
    responses(
        (status = 200, description = "The user, enabled", body = crate::openapi::User),
        (status = 400, description = "A parameter was given (there are none)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin, or (session) no CSRF token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such user", body = crate::openapi::ErrorBody),
        (status = 409, description = "The user is not disabled", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn enable_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<User>, ApiError> {
    params::parse(raw.as_deref(), "/api/users/{name}/enable", &[])?;
    Ok(Json(
        change(&state, &principal.user.name, &name, Change::Enable).await?,
    ))
}

/// Clears a user's failed logins (admins; audited as `user.unlock`): the
/// login throttle forgets the account's failures (per account, and per
/// account and address; an address's own count stays).
#[utoipa::path(
    post,
    path = "/api/users/{name}/unlock",
    tag = "access",
    params(("name" = String, Path, description = "The user's name (any case)")),
    responses(
        (status = 200, description = "The user, whose failed logins are cleared", body = crate::openapi::User),
        (status = 400, description = "A parameter was given (there are none)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin, or (session) no CSRF token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such user", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn unlock_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<User>, ApiError> {
    params::parse(raw.as_deref(), "/api/users/{name}/unlock", &[])?;
    Ok(Json(
        change(&state, &principal.user.name, &name, Change::Unlock).await?,
    ))
}

/// Sets a new, generated password (admins; audited as
/// `user.reset_password`, without the password): answered once, here.
/// The user's sessions end and their failed logins are cleared.
#[utoipa::path(
    post,
    path = "/api/users/{name}/reset-password",
    tag = "access",
    params(("name" = String, Path, description = "The user's name (any case)")),
    responses(
        (status = 200, description = "The user and their new password (shown once)", body = crate::openapi::PasswordReset),
        (status = 400, description = "A parameter was given (there are none)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin, or (session) no CSRF token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such user", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    params::parse(raw.as_deref(), "/api/users/{name}/reset-password", &[])?;
    let (user, password) = reset(&state, &principal.user.name, &name).await?;
    Ok(Json(json!({ "user": user, "password": password })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesBody {
    roles: Vec<String>,
    #[serde(default)]
    companies: Option<Vec<i64>>,
}

/// Sets a user's roles, and companies when given (admins; audited as
/// `user.set_roles`). The last enabled admin keeps the admin role.
#[utoipa::path(
    post,
    path = "/api/users/{name}/roles",
    tag = "access",
    params(("name" = String, Path, description = "The user's name (any case)")),
    request_body = crate::openapi::SetRoles,
    responses(
        (status = 200, description = "The user, with the new roles", body = crate::openapi::User),
        (status = 400, description = "A bad field, named in the message", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin, or (session) no CSRF token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such user", body = crate::openapi::ErrorBody),
        (status = 409, description = "The last enabled admin would lose the admin role", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) async fn set_roles(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Json<User>, ApiError> {
    params::parse(raw.as_deref(), "/api/users/{name}/roles", &[])?;
    let body: RolesBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be JSON {{\"roles\": [...], \"companies\": [...]}} (companies optional): {e}"
        ))
    })?;
    let roles = body
        .roles
        .iter()
        .map(|r| r.parse::<Role>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(
        change(
            &state,
            &principal.user.name,
            &name,
            Change::SetRoles(roles, body.companies),
        )
        .await?,
    ))
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
    Ok(Json(
        change(&state, &principal.user.name, &name, Change::Disable).await?,
    ))
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

/// A POST form of the admin page: one button, the CSRF token in a hidden field.
fn button(action: &str, csrf: &str, label: &str) -> String {
    format!(
        r#"<form method="post" action="{}"><input type="hidden" name="csrf" value="{}"><button type="submit">{}</button></form>"#,
        escape(action),
        escape(csrf),
        escape(label)
    )
}

/// The role checkboxes and companies field of the add and roles forms.
fn role_fields(id: &str, roles: &[Role], companies: &str) -> String {
    let mut out = String::new();
    for r in Role::ALL {
        out.push_str(&format!(
            r#"<label><input type="checkbox" name="role" value="{r}"{}> {r}</label> "#,
            if roles.contains(&r) { " checked" } else { "" }
        ));
    }
    out.push_str(&format!(
        r#"<label for="companies-{id}">companies</label> <input id="companies-{id}" name="companies" value="{}" size="8" placeholder="1,2">"#,
        escape(companies)
    ));
    out
}

fn companies_text(u: &User) -> String {
    u.companies
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn users_table(users: &[User], me: &Principal) -> String {
    let csrf = me.csrf();
    let mut out = String::from(
        "<table class=\"list\"><tr><th>name</th><th>roles</th><th>companies</th><th>status</th><th>added</th><th></th></tr>\n",
    );
    for (i, u) in users.iter().enumerate() {
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
        // Forms need the session's CSRF token (a token caller sees no forms).
        let actions = match csrf {
            None => String::new(),
            Some(csrf) => {
                let base = format!("/admin/users/{}", u.name);
                let mut a = String::new();
                if u.name != me.user.name {
                    a.push_str(&if u.disabled {
                        button(&format!("{base}/enable"), csrf, "Enable")
                    } else {
                        button(&format!("{base}/disable"), csrf, "Disable")
                    });
                }
                a.push_str(&button(&format!("{base}/unlock"), csrf, "Unlock logins"));
                a.push_str(&button(
                    &format!("{base}/reset-password"),
                    csrf,
                    "Reset password",
                ));
                a.push_str(&format!(
                    r#"<form method="post" action="{}/roles"><input type="hidden" name="csrf" value="{}">{}<button type="submit">Set roles</button></form>"#,
                    escape(&base),
                    escape(csrf),
                    role_fields(&i.to_string(), &u.roles, &companies_text(u))
                ));
                a
            }
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{actions}</td></tr>\n",
            escape(&u.name),
            escape(&roles.join(", ")),
            escape(&companies),
            if u.disabled { "disabled" } else { "active" },
            escape(&u.created_at.format("%Y-%m-%d %H:%M UTC").to_string()),
        ));
    }
    out.push_str("</table>");
    if let Some(csrf) = csrf {
        out.push_str(&format!(
            r#"
<h2>Add a user</h2>
<form method="post" action="/admin/users"><input type="hidden" name="csrf" value="{}"><label for="new-name">name</label> <input id="new-name" name="name" required maxlength="64"> {}<button type="submit">Add (a password is generated)</button></form>"#,
            escape(csrf),
            role_fields("new", &[], "")
        ));
    }
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
                "<h1>Users</h1>\n<p class=\"meta\">Here, or with <code>crossdock user ...</code> (<code>crossdock user token</code> for API tokens), or the JSON API under /api/users. Every change is audited.</p>\n{}\n<h1>Audit trail</h1>\n<p class=\"meta\">Newest first, the latest 200 rows · <a href=\"/api/audit?format=csv\">all as CSV</a> · <a href=\"/api/audit\">JSON</a></p>\n{}",
                users_table(&users, &principal),
                audit_table(&audit)
            );
            html::page_for(&principal, StatusCode::OK, "Admin", &body)
        }
        Err(e) => html::error_page(&e),
    }
}

/// The fields of an admin form: `role` (repeated), `companies` (`1,2`),
/// `name`.
struct UserForm {
    name: String,
    roles: Vec<Role>,
    companies: Vec<i64>,
}

fn user_form(body: &[u8]) -> Result<UserForm, ApiError> {
    let mut form = UserForm {
        name: String::new(),
        roles: Vec::new(),
        companies: Vec::new(),
    };
    for (k, v) in form_urlencoded::parse(body) {
        match &*k {
            "name" => form.name = v.trim().to_string(),
            "role" => form.roles.push(v.parse::<Role>()?),
            "companies" => form.companies = crossdock_access::parse_companies(&v)?,
            _ => {}
        }
    }
    Ok(form)
}

/// Back to `/admin` after a change, or the error page.
fn done(result: Result<User, ApiError>) -> Response {
    match result {
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response(),
        Err(e) => html::error_page(&e),
    }
}

/// The page that shows a generated password, once.
fn password_page(
    principal: &Principal,
    status: StatusCode,
    what: &str,
    user: &User,
    password: &str,
) -> Response {
    let body = format!(
        r#"<h1>{}</h1>
<p>The password of <strong>{}</strong>, shown this once; give it to them:</p>
<p><code>{}</code></p>
<p><a href="/admin">Back to the users</a></p>"#,
        escape(what),
        escape(&user.name),
        escape(password)
    );
    html::page_for(principal, status, what, &body)
}

/// `POST /admin/users` from the admin page's form (CSRF checked by the
/// guard): adds a user with a generated password, shown once.
pub(crate) async fn add_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Response {
    let result = async {
        let form = user_form(&body)?;
        crate::companies::check(&state.warehouse, &form.companies).await?;
        let password = generate_password();
        let new = NewUser {
            name: form.name,
            roles: form.roles,
            companies: form.companies,
            password: password.clone(),
        };
        let store = state.access.clone();
        let actor = principal.user.name.clone();
        let user = tokio::task::spawn_blocking(move || store.add_user(&actor, &new))
            .await
            .map_err(|e| ApiError::Internal(format!("add-user task: {e}")))??;
        Ok::<_, ApiError>((user, password))
    }
    .await;
    match result {
        Ok((user, password)) => password_page(
            &principal,
            StatusCode::CREATED,
            "User added",
            &user,
            &password,
        ),
        Err(e) => html::error_page(&e),
    }
}

/// `POST /admin/users/{name}/reset-password` from the admin page: a new
/// generated password, shown once.
pub(crate) async fn reset_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Response {
    match reset(&state, &principal.user.name, &name).await {
        Ok((user, password)) => password_page(
            &principal,
            StatusCode::OK,
            "Password reset",
            &user,
            &password,
        ),
        Err(e) => html::error_page(&e),
    }
}

/// `POST /admin/users/{name}/roles` from the admin page: the checked roles
/// and the companies field.
pub(crate) async fn roles_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let result = async {
        let form = user_form(&body)?;
        change(
            &state,
            &principal.user.name,
            &name,
            Change::SetRoles(form.roles, Some(form.companies)),
        )
        .await
    }
    .await;
    done(result)
}

/// `POST /admin/users/{name}/enable` from the admin page.
pub(crate) async fn enable_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Response {
    done(change(&state, &principal.user.name, &name, Change::Enable).await)
}

/// `POST /admin/users/{name}/unlock` from the admin page.
pub(crate) async fn unlock_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Response {
    done(change(&state, &principal.user.name, &name, Change::Unlock).await)
}

/// `POST /admin/users/{name}/disable` from the admin page's form (the guard
/// has checked the CSRF token): back to `/admin`.
pub(crate) async fn disable_form(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Response {
    done(change(&state, &principal.user.name, &name, Change::Disable).await)
}
