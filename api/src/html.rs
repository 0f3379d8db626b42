//! What every page shares: the shell (layout, navigation by role, user
//! menu), rendering and the headers of every page, the error page, and the
//! formatting of numbers for people.
//!
//! Pages are [askama] templates in `api/templates/`, compiled into the
//! binary; askama escapes every value put in the markup (text and
//! attribute values alike), so no page escapes by hand. Every page
//! template extends `base.html` and fills its `content` block; its struct
//! holds a [`Shell`] (the title, the navigation, who is signed in) and
//! derives [`Page`] with `html::page!`.
//!
//! ## htmx
//!
//! Pages load htmx (`/static/vendor/htmx/htmx.min.js`), but every control
//! is a real link or form: htmx only enhances. An htmx request for a page
//! (header `HX-Request: true`, not a history restore) is answered with the
//! page's `content` block alone — the same template, the same handler, so
//! the same guard and the same fields — for the element to swap it into
//! `<main id="main">` (`hx-target="#main"`). [`Mode`] is the extractor
//! that tells the two apart. A page that wants a finer fragment lists more
//! blocks in `#[template(blocks = [...])]` and answers
//! [`fragment`]`(status, &page.as_<block>())`. Answers vary on `HX-Request`.
//! htmx is configured by the `htmx-config` meta tag of `base.html`: no
//! eval, no script tags from fragments, no inline styles, no history kept
//! in the browser's storage (pages are `no-store`), and 4xx/5xx fragments
//! swapped like others (they carry the error box). A refused htmx request
//! of a signed-out user gets `HX-Redirect: /login`.
//!
//! ## Adding a page
//!
//! 1. Its routes in [`auth::ROUTES`], each with its rule; the `GET` page
//!    gets `nav: Some("Label")` to appear in the navigation of the roles
//!    that may open it (and of no one else).
//! 2. `templates/<page>.html`: `{% extends "base.html" %}`, the page in
//!    `{% block content %}`; a page with a chart adds uPlot in
//!    `{% block head %}`:
//!    `<link rel="stylesheet" href="{{ shell.asset("vendor/uplot/uPlot.min.css") }}">`
//!    and `<script src="{{ shell.asset("vendor/uplot/uPlot.iife.min.js") }}" defer></script>`.
//! 3. `routes/<page>.rs`: a struct deriving `Template` with
//!    `#[template(path = "<page>.html", blocks = ["content"])]` and a
//!    `shell: Shell` field ([`Shell::for_user`] with the route's path),
//!    `page!(ThatStruct);`, and a handler taking [`Mode`] that answers
//!    [`render`]`(mode, status, &page)`.
//! 4. A chart: `<figure class="chart">` with a JSON island
//!    `<script type="application/json" class="chart-data">{{ data|safe }}</script>`
//!    where `data` is [`json_island`]`(&chart)` (JSON that cannot close the
//!    element: `<`, `>` and `&` as `\u003c`...), and a
//!    `<div class="chart-plot">`; `static/crossdock.js` says the JSON's
//!    shape. Keep the numbers readable without JavaScript too (a table).
//!
//! ## Content-Security-Policy
//!
//! [`CONTENT_SECURITY_POLICY`]: scripts and styles only from this origin
//! (`/static/...`), no inline script, no eval, no inline style, requests
//! (htmx) only to this origin, forms only to this origin, never framed.
//! Charts (`crossdock.js`, uPlot) read their numbers from a JSON data
//! island, `<script type="application/json">`, which is not run.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use rust_decimal::{Decimal, RoundingStrategy};

use askama::Template;

use crate::auth::{self, Principal};
use crate::error::ApiError;

/// Shown where a value is missing (no data to compute it from).
pub(crate) const MISSING: &str = "—";

/// The pages' Content-Security-Policy: scripts, styles and requests only
/// to this origin, no inline script or style, no eval, forms only to this
/// origin, never framed (`docs/security.md`).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// One link of the top navigation.
#[derive(Debug, Clone)]
pub(crate) struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    /// The page being shown (`aria-current="page"`).
    pub current: bool,
}

/// Who is signed in, for the header's user menu.
#[derive(Debug, Clone)]
pub(crate) struct UserMenu {
    pub name: String,
    /// The roles, comma-separated.
    pub roles: String,
    /// The companies the user's pages are restricted to, in words.
    pub scope: String,
    /// The session's CSRF token, for the logout form (None: signed in by
    /// token, no form).
    pub csrf: Option<String>,
}

/// What `base.html` needs: the title, the navigation and the user menu.
#[derive(Debug, Clone)]
pub(crate) struct Shell {
    /// The page's title (text).
    pub title: String,
    /// The links the user may open ([`auth::nav_links`]): nothing for a
    /// signed-out visitor.
    pub nav: Vec<NavLink>,
    /// Who is signed in (None: nobody).
    pub user: Option<UserMenu>,
}

impl Shell {
    /// The shell of a page nobody is signed in to (the login page, an
    /// error before authentication).
    pub(crate) fn anonymous(title: &str) -> Shell {
        Shell {
            title: title.to_string(),
            nav: Vec::new(),
            user: None,
        }
    }

    /// The shell of a page for a signed-in user, at `path` (the route's
    /// pattern, to mark the current link).
    pub(crate) fn for_user(principal: &Principal, title: &str, path: &str) -> Shell {
        let user = &principal.user;
        let nav = auth::nav_links(&user.roles)
            .into_iter()
            .map(|(href, label)| NavLink {
                href,
                label,
                current: href == path,
            })
            .collect();
        let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
        let scope = match principal.companies() {
            None => "all companies".to_string(),
            Some(c) if c.is_empty() => "no company".to_string(),
            Some(c) => {
                let ids: Vec<String> = c.iter().map(i64::to_string).collect();
                let word = if ids.len() == 1 {
                    "company"
                } else {
                    "companies"
                };
                format!("{word} {}", ids.join(", "))
            }
        };
        Shell {
            title: title.to_string(),
            nav,
            user: Some(UserMenu {
                name: user.name.clone(),
                roles: roles.join(", "),
                scope,
                csrf: principal.csrf().map(str::to_string),
            }),
        }
    }

    /// The URL of a static file, with its fingerprint (for the templates).
    pub(crate) fn asset(&self, path: &str) -> &'static str {
        crate::assets::url(path)
    }
}

/// A page template: renders whole, or its `content` block alone (for
/// htmx). Implemented by `html::page!`.
pub(crate) trait Page: Template {
    /// The `content` block alone.
    fn render_content(&self) -> askama::Result<String>;
}

/// Implements [`Page`] for template structs that have
/// `#[template(..., blocks = ["content", ...])]`.
macro_rules! page {
    ($($t:ty),+ $(,)?) => {
        $(impl $crate::html::Page for $t {
            fn render_content(&self) -> askama::Result<String> {
                askama::Template::render(&self.as_content())
            }
        })+
    };
}
pub(crate) use page;

/// Whole page or fragment: from the request's htmx headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A whole document (a browser's own request, or an htmx history restore).
    Document,
    /// The `content` block alone (an htmx request).
    Fragment,
}

impl Mode {
    /// The mode a request asks for.
    pub(crate) fn of(headers: &HeaderMap) -> Mode {
        let is = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        };
        if is("hx-request") && !is("hx-history-restore-request") {
            Mode::Fragment
        } else {
            Mode::Document
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Mode {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Mode, Self::Rejection> {
        Ok(Mode::of(&parts.headers))
    }
}

/// A page's answer: the whole document or its content block, with the
/// headers of every page. A template that fails to render (a bug) is a
/// 500, logged.
pub(crate) fn render(mode: Mode, status: StatusCode, page: &impl Page) -> Response {
    let markup = match mode {
        Mode::Document => page.render(),
        Mode::Fragment => page.render_content(),
    };
    match markup {
        Ok(markup) => respond(status, markup),
        Err(e) => {
            let error = ApiError::Internal(format!("rendering a page: {e}"));
            error.log();
            respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                crate::error::INTERNAL_MESSAGE.to_string(),
            )
        }
    }
}

/// A fragment of a page (one block of its template, e.g.
/// `page.as_rows()`), with the headers of every page.
#[allow(dead_code)] // for the pages that need a finer fragment than `content`
pub(crate) fn fragment(status: StatusCode, block: &impl Template) -> Response {
    match block.render() {
        Ok(markup) => respond(status, markup),
        Err(e) => {
            ApiError::Internal(format!("rendering a fragment: {e}")).log();
            respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                crate::error::INTERNAL_MESSAGE.to_string(),
            )
        }
    }
}

/// Markup with the headers of every page: HTML, the CSP, `nosniff`,
/// `Vary: HX-Request` (`Cache-Control: no-store` is added for every answer
/// by the outer layer).
fn respond(status: StatusCode, markup: String) -> Response {
    let mut response = (status, markup).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("HX-Request"));
    response
}

/// JSON for a data island (`<script type="application/json">`, put in with
/// `|safe`): `<`, `>` and `&` are written `\u003c`, `\u003e`, `\u0026`,
/// so no value can end the element (`</script>`) or open a comment; the
/// JSON means the same (they can only occur inside strings).
#[allow(dead_code)] // for the pages with charts
pub(crate) fn json_island(value: &impl serde::Serialize) -> Result<String, ApiError> {
    let text = serde_json::to_string(value)
        .map_err(|e| ApiError::Internal(format!("a page's JSON data island: {e}")))?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The error box pages show above their content: the user's message for a
/// client error, a generic one for a server error.
#[derive(Debug, Clone)]
pub(crate) struct ErrorBox {
    pub heading: &'static str,
    pub message: String,
}

impl ErrorBox {
    /// The box of an error (logged here when it is a server error).
    pub(crate) fn of(error: &ApiError) -> ErrorBox {
        error.log();
        let heading = if error.status().is_server_error() {
            "Something went wrong on our side"
        } else {
            "Please check your input"
        };
        ErrorBox {
            heading,
            message: error.user_message(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html", blocks = ["content"])]
struct ErrorPage {
    shell: Shell,
    error: ErrorBox,
}
page!(ErrorPage);

/// A page that is only an error, for a signed-out visitor.
pub(crate) fn error_page(error: &ApiError) -> Response {
    error_page_for(Mode::Document, None, error)
}

/// A page that is only an error, with the shell of `principal` when known,
/// as a document or a fragment.
pub(crate) fn error_page_for(
    mode: Mode,
    principal: Option<&Principal>,
    error: &ApiError,
) -> Response {
    let title = error.status().canonical_reason().unwrap_or("Error");
    let shell = match principal {
        Some(p) => Shell::for_user(p, title, ""),
        None => Shell::anonymous(title),
    };
    let page = ErrorPage {
        shell,
        error: ErrorBox::of(error),
    };
    let mut response = render(mode, error.status(), &page);
    error.add_headers(&mut response);
    response
}

/// A share as a percentage with one decimal: `0.934` → `93.4 %`.
pub(crate) fn percent(share: Option<f64>) -> String {
    match share {
        Some(v) if v.is_finite() => {
            let p = v * 100.0;
            // Avoid "-0.0 %".
            let p = if p.abs() < 0.05 { 0.0 } else { p };
            format!("{p:.1} %")
        }
        _ => MISSING.to_string(),
    }
}

/// An amount with thousands separators and two decimals: `-1234567.891` → `-1,234,567.89`.
pub(crate) fn money(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.2}", rounded.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 + 4);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{grouped}.{frac}")
}

/// A duration in days with one decimal: `2.345` → `2.3 days`.
pub(crate) fn days(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.1} days"),
        _ => MISSING.to_string(),
    }
}

/// A count with thousands separators.
pub(crate) fn count(n: i64) -> String {
    let text = money(Decimal::from(n));
    text.trim_end_matches(".00").to_string()
}

/// A time in µs since the epoch, as `2026-01-10 17:42 UTC`.
pub(crate) fn timestamp(us: Option<i64>) -> String {
    us.and_then(DateTime::from_timestamp_micros)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| MISSING.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn a_json_island_cannot_close_its_script_element() {
        let value =
            serde_json::json!({"label": "</script><script>alert(1)</script> & <!--", "n": 1.5});
        let island = json_island(&value).unwrap();
        assert!(
            !island.contains('<') && !island.contains('>') && !island.contains('&'),
            "{island}"
        );
        let back: serde_json::Value = serde_json::from_str(&island).unwrap();
        assert_eq!(back, value, "the same JSON");
    }

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(percent(Some(0.934)), "93.4 %");
        assert_eq!(percent(Some(1.0)), "100.0 %");
        assert_eq!(percent(Some(-0.0001)), "0.0 %");
        assert_eq!(percent(Some(-0.25)), "-25.0 %");
        assert_eq!(percent(None), "—");
        assert_eq!(percent(Some(f64::NAN)), "—");
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(money(d("0")), "0.00");
        assert_eq!(money(d("12.5")), "12.50");
        assert_eq!(money(d("999.995")), "1,000.00");
        assert_eq!(money(d("1234567.891")), "1,234,567.89");
        assert_eq!(money(d("-1234567.891")), "-1,234,567.89");
        assert_eq!(money(d("-0.001")), "0.00");
        assert_eq!(money(d("100000")), "100,000.00");
        assert_eq!(count(1234), "1,234");
        assert_eq!(count(0), "0");
        assert_eq!(days(Some(2.345)), "2.3 days");
        assert_eq!(days(None), "—");
        assert_eq!(
            timestamp(Some(1_767_636_000_000_000)),
            "2026-01-05 18:00 UTC"
        );
        assert_eq!(timestamp(None), "—");
    }
}
