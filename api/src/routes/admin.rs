//! Who am I (`GET /api/me`), and the admins' endpoints and page: users
//! (`GET`/`POST /api/users`, `POST /api/users/{name}/disable`, `/enable`,
//! `/unlock`, `/reset-password`, `/roles`), the audit trail (`GET
//! /api/audit`, JSON or CSV) and `GET /admin`, whose forms
//! (`POST /admin/users...`) do the same. The guard has already checked the
//! role (and, for a session, the CSRF token); every change is audited by
//! the store in the same transaction; company ids are checked against the
//! warehouse's `res_company`.

use askama::Template;
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
use crate::html::{self, page, Mode, Shell};
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

#[derive(Template)]
#[template(path = "admin.html", blocks = ["content"])]
struct AdminPage {
    shell: Shell,
    /// The session's CSRF token: no forms without one (a token caller).
    csrf: Option<String>,
    users: Vec<UserRow>,
    /// The role checkboxes of the add form, none checked.
    no_roles: Vec<(&'static str, bool)>,
    /// Newest first.
    audit: Vec<AuditRow>,
}
page!(AdminPage);

/// One user of the users table, with its forms.
struct UserRow {
    name: String,
    roles: String,
    /// "all" for an admin.
    companies: String,
    status: &'static str,
    added: String,
    /// `/admin/users/<name>`: the roles form posts to `<base>/roles`.
    base: String,
    /// One-button forms: (action, label).
    buttons: Vec<(String, &'static str)>,
    /// Every role, checked when the user has it.
    role_checks: Vec<(&'static str, bool)>,
    /// The companies field's value (`1,2`).
    companies_field: String,
}

/// One row of the audit table.
struct AuditRow {
    id: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    before: String,
    after: String,
}

fn role_checks(roles: &[Role]) -> Vec<(&'static str, bool)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str(), roles.contains(r)))
        .collect()
}

fn user_row(u: &User, me: &Principal) -> UserRow {
    let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
    let list = |sep: &str| {
        u.companies
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(sep)
    };
    let base = format!("/admin/users/{}", u.name);
    let mut buttons = Vec::new();
    if u.name != me.user.name {
        buttons.push(if u.disabled {
            (format!("{base}/enable"), "Enable")
        } else {
            (format!("{base}/disable"), "Disable")
        });
    }
    buttons.push((format!("{base}/unlock"), "Unlock logins"));
    buttons.push((format!("{base}/reset-password"), "Reset password"));
    UserRow {
        name: u.name.clone(),
        roles: roles.join(", "),
        companies: if u.has(Role::Admin) {
            "all".to_string()
        } else {
            list(", ")
        },
        status: if u.disabled { "disabled" } else { "active" },
        added: u.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        base,
        buttons,
        role_checks: role_checks(&u.roles),
        companies_field: list(","),
    }
}

fn audit_row(e: &AuditEntry) -> AuditRow {
    let j = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
    AuditRow {
        id: e.id,
        at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        actor: e.actor.clone(),
        action: e.action.clone(),
        subject: e.subject.clone(),
        before: j(&e.before),
        after: j(&e.after),
    }
}

/// `GET /admin`: users (with their forms) and the latest audit rows.
pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    mode: Mode,
) -> Response {
    let result = (|| -> Result<(Vec<User>, Vec<AuditEntry>), ApiError> {
        Ok((state.access.users()?, state.access.audit_latest(200)?))
    })();
    match result {
        Ok((users, audit)) => {
            let page = AdminPage {
                shell: Shell::for_user(&principal, "Admin", "/admin"),
                csrf: principal.csrf().map(str::to_string),
                users: users.iter().map(|u| user_row(u, &principal)).collect(),
                no_roles: role_checks(&[]),
                audit: audit.iter().rev().map(audit_row).collect(),
            };
            html::render(mode, StatusCode::OK, &page)
        }
        Err(e) => html::error_page_for(mode, Some(&principal), &e),
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

#[derive(Template)]
#[template(path = "password.html", blocks = ["content"])]
struct PasswordPage<'a> {
    shell: Shell,
    user: &'a str,
    password: &'a str,
}
page!(PasswordPage<'_>);

/// The page that shows a generated password, once.
fn password_page(
    principal: &Principal,
    status: StatusCode,
    what: &str,
    user: &User,
    password: &str,
) -> Response {
    let page = PasswordPage {
        shell: Shell::for_user(principal, what, ""),
        user: &user.name,
        password,
    };
    html::render(Mode::Document, status, &page)
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
