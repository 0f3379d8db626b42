//! What every page shares: escaping, the layout (with its inline CSS), the
//! error page, and the formatting of numbers for people.
//!
//! Pages are built as strings. The rule that keeps them safe: every dynamic
//! string goes through [`escape`] before it is put in the markup, in text
//! and in attribute values alike (attribute values are always double-quoted).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use rust_decimal::{Decimal, RoundingStrategy};

use crossdock_access::Role;

use crate::auth::Principal;
use crate::error::ApiError;

/// Shown where a value is missing (no data to compute it from).
pub(crate) const MISSING: &str = "—";

/// Escapes text for HTML text content and double- or single-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Pages run no script and load nothing from elsewhere.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const CSS: &str = r#"
:root{--bg:#f4f5f7;--card:#fff;--ink:#1c2230;--muted:#5c6578;--line:#e1e4ea;--accent:#1f5fd1;--bad:#a61b1b;--bad-bg:#fdf1f0;--bad-line:#f4c7c3}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",sans-serif;background:var(--bg);color:var(--ink)}
header.top{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1.5rem;padding:.75rem 1.5rem;background:var(--ink)}
header.top a{color:#c9d1e0;text-decoration:none}
header.top a:hover{color:#fff;text-decoration:underline}
header.top a.brand{color:#fff;font-weight:700;letter-spacing:.02em}
main{max-width:1240px;margin:0 auto;padding:1.5rem}
h1{font-size:1.45rem;margin:0 0 .2rem}
p.meta{color:var(--muted);margin:0 0 1.1rem}
form.period{display:flex;flex-wrap:wrap;gap:.75rem 1rem;align-items:flex-end;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;margin:0 0 1.25rem}
form.period label{display:flex;flex-direction:column;gap:.2rem;font-size:.82rem;color:var(--muted)}
form.period input{font:inherit;color:var(--ink);padding:.3rem .45rem;border:1px solid #c8cdd6;border-radius:4px;background:#fff}
form.period button{font:inherit;padding:.38rem 1rem;border:0;border-radius:4px;background:var(--accent);color:#fff;cursor:pointer}
form.period a{font-size:.9rem;color:var(--accent);padding-bottom:.4rem}
.error{background:var(--bad-bg);color:var(--bad);border:1px solid var(--bad-line);border-radius:8px;padding:.75rem 1rem;margin:0 0 1.25rem}
.error strong{display:block;margin-bottom:.2rem}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:1rem}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem 1.1rem}
.tile h2{font-size:1.08rem;margin:0 0 .5rem}
.tile h3{margin:.55rem 0 .35rem;padding-top:.45rem;border-top:1px solid var(--line);font-size:.72rem;font-weight:600;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.tile dl{display:grid;grid-template-columns:1fr auto;gap:.3rem .75rem;margin:0}
.tile dt{color:var(--muted);white-space:nowrap}
.tile dt[title]{cursor:help}
.tile dd{margin:0;text-align:right;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.tile .sub{display:block;white-space:normal;font-weight:400;font-size:.76rem;color:var(--muted)}
.empty{background:var(--card);border:1px dashed var(--line);border-radius:8px;padding:1.5rem;color:var(--muted)}
header.top nav{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1.25rem}
header.top .who{color:#c9d1e0;font-size:.85rem}
header.top form.logout{display:inline;margin:0}
header.top form.logout button{font:inherit;font-size:.85rem;background:none;border:1px solid #5c6578;color:#c9d1e0;border-radius:4px;padding:.1rem .6rem;cursor:pointer}
form.login{display:flex;flex-direction:column;gap:.8rem;max-width:340px;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1.2rem}
form.login label{display:flex;flex-direction:column;gap:.25rem;font-size:.85rem;color:var(--muted)}
form.login input{font:inherit;padding:.4rem .5rem;border:1px solid #c8cdd6;border-radius:4px}
form.login button,table button{font:inherit;padding:.35rem 1rem;border:0;border-radius:4px;background:var(--accent);color:#fff;cursor:pointer}
table.list{border-collapse:collapse;background:var(--card);margin:0 0 1.5rem;font-size:.88rem}
table.list th,table.list td{border:1px solid var(--line);padding:.35rem .6rem;text-align:left;vertical-align:top}
table.list td code{white-space:pre-wrap;word-break:break-all}
footer{max-width:1240px;margin:0 auto;padding:0 1.5rem 2rem;color:var(--muted);font-size:.82rem}
footer a{color:var(--muted)}
"#;

/// A whole page: `title` is text (escaped here), `body` is markup built
/// with [`escape`]d dynamic parts.
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    render(status, title, body, "")
}

/// A page for a signed-in user: the header says who, links to the admin
/// page for admins, and has the logout button (a form with the CSRF token).
pub(crate) fn page_for(user: &Principal, status: StatusCode, title: &str, body: &str) -> Response {
    let admin = if user.user.has(Role::Admin) {
        r#"<a href="/admin">Admin</a>"#
    } else {
        ""
    };
    let roles: Vec<&str> = user.user.roles.iter().map(|r| r.as_str()).collect();
    let logout = match user.csrf() {
        Some(csrf) => format!(
            r#"<form class="logout" method="post" action="/logout"><input type="hidden" name="csrf" value="{}"><button type="submit">Log out</button></form>"#,
            escape(csrf)
        ),
        None => String::new(),
    };
    let nav = format!(
        r#"{admin}<span class="who">Signed in as {} ({})</span>{logout}"#,
        escape(&user.user.name),
        escape(&roles.join(", "))
    );
    render(status, title, body, &nav)
}

fn render(status: StatusCode, title: &str, body: &str, nav: &str) -> Response {
    let title = escape(title);
    let markup = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · crossdock</title>
<style>{CSS}</style>
</head>
<body>
<header class="top"><a class="brand" href="/">crossdock</a><nav><a href="/">Dashboard</a>{nav}</nav></header>
<main>
{body}
</main>
<footer>Data: <a href="/api/kpis">/api/kpis</a> · definitions: <a href="/api/kpis/definitions">/api/kpis/definitions</a> · <a href="/api/freshness">/api/freshness</a> · <a href="/api/health">/api/health</a></footer>
</body>
</html>
"#
    );
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
    response
}

/// The error box pages show above their content: the user's message for a
/// client error, a generic one for a server error (which is logged).
pub(crate) fn error_box(error: &ApiError) -> String {
    error.log();
    let heading = if error.status().is_server_error() {
        "Something went wrong on our side"
    } else {
        "Please check your input"
    };
    format!(
        r#"<div class="error" role="alert"><strong>{heading}</strong>{}</div>"#,
        escape(&error.user_message())
    )
}

/// A page that is only an error.
pub(crate) fn error_page(error: &ApiError) -> Response {
    let title = error
        .status()
        .canonical_reason()
        .unwrap_or("Error")
        .to_string();
    let body = format!(
        r#"<h1>{}</h1>
{}
<p><a href="/">Back to the dashboard</a></p>"#,
        escape(&title),
        error_box(error)
    );
    let mut response = page(error.status(), &title, &body);
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
    fn escapes_everything_that_matters() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(escape("Field Sales"), "Field Sales");
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
