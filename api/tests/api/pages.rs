//! The pages' shell: the static files (types, cache headers, the URLs the
//! pages link), the navigation by role, the Content-Security-Policy, no
//! inline script or style, escaping of stored values, and the htmx
//! fragments (behind the same guard as their page).

use axum::http::{Method, StatusCode};
use crossdock_access::Role;
use crossdock_api::auth::{nav_links, ROUTES};

use crate::fixture::{fixture, login, Answer, Auth, Call, PASSWORD};

/// The files under `/static/` and their content types.
const STATIC: [(&str, &str); 5] = [
    ("crossdock.css", "text/css; charset=utf-8"),
    ("crossdock.js", "text/javascript; charset=utf-8"),
    ("vendor/htmx/htmx.min.js", "text/javascript; charset=utf-8"),
    (
        "vendor/uplot/uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
    ),
    ("vendor/uplot/uPlot.min.css", "text/css; charset=utf-8"),
];

async fn get_as(user: &str, uri: &str) -> Answer {
    let f = fixture();
    Call::new(Method::GET, uri, Auth::Bearer(f.token(user)))
        .send()
        .await
}

/// The values of an attribute (`src="` ...) in a page, in order.
fn attr_values<'a>(page: &'a str, attr: &str) -> Vec<&'a str> {
    let marker = format!(" {attr}=\"");
    page.match_indices(&marker)
        .filter_map(|(i, m)| {
            let rest = &page[i + m.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// The `<nav>` of the page header.
fn nav(page: &str) -> &str {
    let start = page.find("<nav>").expect("a nav");
    let end = page[start..].find("</nav>").expect("nav closed") + start;
    &page[start..end]
}

#[tokio::test(flavor = "multi_thread")]
async fn static_files_are_served_with_their_types_and_a_long_cache() {
    for (path, content_type) in STATIC {
        let a = Call::new(Method::GET, &format!("/static/{path}"), Auth::None)
            .send()
            .await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
        assert_eq!(a.content_type(), content_type, "{path}");
        assert_eq!(
            a.header("cache-control"),
            "public, max-age=31536000, immutable",
            "{path}"
        );
        assert_eq!(a.header("x-content-type-options"), "nosniff", "{path}");
        let on_disk =
            std::fs::read_to_string(format!("{}/static/{path}", env!("CARGO_MANIFEST_DIR")))
                .unwrap();
        assert_eq!(a.body, on_disk, "{path}: the embedded file is the file");
        // the browser's copy is still good: 304, no body
        let etag = a.header("etag").to_string();
        assert!(etag.starts_with('"') && etag.len() == 18, "{path}: {etag}");
        let again = Call::new(Method::GET, &format!("/static/{path}"), Auth::None)
            .header("if-none-match", &etag)
            .send()
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty());
        assert!(again.header("cache-control").contains("immutable"));
    }
    let htmx = Call::new(Method::GET, "/static/vendor/htmx/htmx.min.js", Auth::None)
        .send()
        .await;
    assert!(htmx.body.contains("version:\"2."), "htmx 2.x is vendored");
    for missing in [
        "/static/nope.js",
        "/static/vendor/",
        "/static/../Cargo.toml",
    ] {
        let a = Call::new(Method::GET, missing, Auth::None).send().await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{missing}: {}", a.body);
        assert!(a.content_type().starts_with("text/html"), "{missing}");
        assert_eq!(a.header("cache-control"), "no-store", "{missing}");
    }
    let a = Call::new(Method::POST, "/static/crossdock.css", Auth::None)
        .send()
        .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{}", a.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_static_url_a_page_links_is_served() {
    for uri in ["/", "/admin"] {
        let page = get_as("admin", uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let mut linked: Vec<&str> = attr_values(&page.body, "src");
        linked.extend(attr_values(&page.body, "href"));
        let linked: Vec<&str> = linked
            .into_iter()
            .filter(|u| u.starts_with("/static/"))
            .collect();
        assert!(
            linked
                .iter()
                .any(|u| u.starts_with("/static/crossdock.css?v="))
                && linked
                    .iter()
                    .any(|u| u.starts_with("/static/vendor/htmx/htmx.min.js?v="))
                && linked
                    .iter()
                    .any(|u| u.starts_with("/static/crossdock.js?v=")),
            "{uri} links {linked:?}"
        );
        for u in linked {
            let a = Call::new(Method::GET, u, Auth::None).send().await;
            assert_eq!(a.status, StatusCode::OK, "{uri} links {u}");
            // the version in the URL is the ETag: a changed file, a new URL
            let v = u.split_once("?v=").unwrap().1;
            assert_eq!(a.header("etag"), format!("\"{v}\""), "{u}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_navigation_shows_only_the_pages_the_role_may_open() {
    for role in Role::ALL {
        let a = get_as(role.as_str(), "/").await;
        assert_eq!(a.status, StatusCode::OK, "{role}: {}", a.body);
        let nav = nav(&a.body);
        // one link per nav route the role passes, none for the others
        for route in ROUTES.iter().filter(|r| r.nav.is_some()) {
            let link = format!("href=\"{}\"", route.path);
            assert_eq!(
                nav.contains(&link),
                route.access.permits(&[role]),
                "{role}: {} in {nav}",
                route.path
            );
        }
        assert_eq!(
            attr_values(nav, "href").len(),
            nav_links(&[role]).len(),
            "{role}: {nav}"
        );
        assert!(
            nav.contains(r#"<a href="/" aria-current="page">Dashboard</a>"#),
            "{role}: {nav}"
        );
        assert!(
            nav.contains(&format!("Signed in as {role} ({role})")),
            "{role}: {nav}"
        );
    }
    // the service user: no Admin link, and the page behind it is refused
    let service = get_as("service", "/").await;
    assert!(!nav(&service.body).contains("Admin"), "{}", service.body);
    assert!(!service.body.contains(r#"href="/admin""#));
    assert_eq!(
        get_as("service", "/admin").await.status,
        StatusCode::FORBIDDEN
    );
    // the admin: the link, marked current on its page
    let admin = get_as("admin", "/admin").await;
    assert!(
        nav(&admin.body).contains(r#"<a href="/admin" aria-current="page">Admin</a>"#),
        "{}",
        admin.body
    );
    // the company scope: fixture users are of company 1; admins see all
    assert!(
        nav(&service.body).contains(">company 1<"),
        "{}",
        service.body
    );
    assert!(
        nav(&admin.body).contains(">all companies<"),
        "{}",
        admin.body
    );
    // a refused page shows the user's own navigation too
    let refused = get_as("planner", "/admin").await;
    assert!(
        nav(&refused.body).contains("Signed in as planner")
            && !nav(&refused.body).contains("/admin"),
        "{}",
        refused.body
    );
    // signed out: no links but the brand's
    let login = Call::new(Method::GET, "/login", Auth::None).send().await;
    assert!(
        attr_values(nav(&login.body), "href").is_empty(),
        "{}",
        login.body
    );
}

/// The CSP of a page: same-origin scripts and styles, nothing inline, no
/// eval, never framed.
fn assert_csp(a: &Answer, what: &str) {
    let csp = a.header("content-security-policy");
    assert_eq!(csp, crossdock_api::CONTENT_SECURITY_POLICY, "{what}: {csp}");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for want in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(directives.contains(&want), "{what}: no {want} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert_eq!(a.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(a.header("cache-control"), "no-store", "{what}");
}

/// No inline script, no event-handler attribute, no inline style: what
/// the CSP would block (and htmx's eval-needing attributes).
fn assert_nothing_inline(page: &str, what: &str) {
    for (i, _) in page.match_indices("<script") {
        let tag = &page[i..i + page[i..].find('>').unwrap()];
        let external =
            tag.contains(r#" src="/static/"#) && page[i..].starts_with(&format!("{tag}></script>"));
        assert!(
            external || tag.contains(r#"type="application/json""#),
            "{what}: inline script {tag}"
        );
    }
    for bad in [
        " style=\"",
        "<style",
        " onclick=",
        " onload=",
        " hx-on",
        "javascript:",
    ] {
        assert!(!page.contains(bad), "{what}: {bad} in {page}");
    }
    assert!(
        page.contains(r#"<meta name="htmx-config" content='{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false"#),
        "{what}: htmx not configured"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_send_the_csp_and_carry_nothing_inline() {
    for (user, uri, status) in [
        ("admin", "/", StatusCode::OK),
        ("admin", "/admin", StatusCode::OK),
        ("service", "/", StatusCode::OK),
        ("service", "/admin", StatusCode::FORBIDDEN),
        ("admin", "/?from=nope", StatusCode::BAD_REQUEST),
        ("admin", "/nowhere", StatusCode::NOT_FOUND),
    ] {
        let a = get_as(user, uri).await;
        let what = format!("{uri} as {user}");
        assert_eq!(a.status, status, "{what}: {}", a.body);
        assert_csp(&a, &what);
        assert_nothing_inline(&a.body, &what);
    }
    let a = Call::new(Method::GET, "/login", Auth::None).send().await;
    assert_csp(&a, "/login");
    assert_nothing_inline(&a.body, "/login");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_in_a_stored_value_is_escaped_on_the_admin_page() {
    let f = fixture();
    // anyone can put a name of their choosing in the audit trail: a
    // failed login records the name typed
    let evil = r#"<script>alert("x")</script><img src=x onerror=alert(1)>"#;
    let (a, session) = login(f, evil, "wrong password 123", "10.9.0.1:1").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    assert!(session.is_none());
    // the login page shows the name back, escaped
    assert!(!a.body.contains("<script>alert"), "{}", a.body);
    assert!(
        a.body.contains(r#"value="&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62;""#),
        "{}",
        a.body
    );
    let page = get_as("admin", "/admin").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("login.failed"), "the attempt is audited");
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    assert!(
        page.body
            .contains("<td>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62;</td>"),
        "the subject, escaped, in the audit table"
    );
    assert_nothing_inline(&page.body, "/admin with a hostile audit row");
}

#[tokio::test(flavor = "multi_thread")]
async fn htmx_requests_get_the_content_block_behind_the_same_guard() {
    let f = fixture();
    let hx = |uri: &'static str, auth: Auth<'static>| {
        Call::new(Method::GET, uri, auth).header("hx-request", "true")
    };
    // the dashboard's content, without the shell
    let a = hx("/", Auth::Bearer(f.token("executive"))).send().await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        !a.body.contains("<!doctype") && !a.body.contains("<header"),
        "{}",
        a.body
    );
    assert!(
        a.body.trim_start().starts_with("<h1>Sales by channel</h1>"),
        "{}",
        a.body
    );
    assert_eq!(a.body.matches(r#"<section class="tile">"#).count(), 5);
    assert_eq!(a.header("vary"), "HX-Request");
    assert_csp(&a, "fragment of /");
    // the same fields as the page: a planner's fragment has no money
    let p = hx("/", Auth::Bearer(f.token("planner"))).send().await;
    assert!(
        p.body.contains(">OTIF</dt>") && !p.body.contains(">Revenue</dt>"),
        "{}",
        p.body
    );
    // a bad period: the fragment with the error box, status 400
    let bad = hx("/?from=2026-13-01", Auth::Bearer(f.token("executive")))
        .send()
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains(r#"<div class="error" role="alert">"#) && !bad.body.contains("<!doctype")
    );
    // the same guard: a service user's fragment of /admin is a 403 fragment
    let refused = hx("/admin", Auth::Bearer(f.token("service"))).send().await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        !refused.body.contains("<!doctype") && refused.body.contains("needs the role admin"),
        "{}",
        refused.body
    );
    // signed out: htmx is told to load the login page
    let anonymous = hx("/", Auth::None).send().await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.header("hx-redirect"), "/login");
    assert!(!anonymous.body.contains("Field Sales"));
    // a history restore asks for the whole page
    let restore = hx("/", Auth::Bearer(f.token("executive")))
        .header("hx-history-restore-request", "true")
        .send()
        .await;
    assert!(
        restore.body.starts_with("<!doctype html>"),
        "{}",
        restore.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_control_works_without_javascript() {
    // the period form and its "All time" link are a plain GET form and link
    let a = get_as("admin", "/?from=2026-01-01").await;
    assert!(a
        .body
        .contains(r#"<form class="period" method="get" action="/">"#));
    assert!(a.body.contains(r#"<a href="/">All time</a>"#));
    // every form has a method and an action; every hx- element is a form or a link's container
    for page in [a.body.clone(), get_as("admin", "/admin").await.body] {
        for (i, _) in page.match_indices("<form") {
            let tag = &page[i..i + page[i..].find('>').unwrap()];
            assert!(
                tag.contains(" method=\"") && tag.contains(" action=\"/"),
                "{tag}"
            );
        }
        for attr in ["hx-get", "hx-post", "hx-put", "hx-delete", "hx-patch"] {
            assert!(
                !page.contains(&format!(" {attr}=")),
                "{attr}: controls are links and forms, boosted"
            );
        }
    }
    // and a session's logout is a form with the CSRF token
    let f = fixture();
    let (_, session) = login(f, "planner", PASSWORD, "10.9.0.2:1").await;
    let session = session.expect("logged in");
    let page = Call::new(Method::GET, "/", Auth::Session(&session, None))
        .send()
        .await;
    assert!(
        page.body.contains(r#"<form class="logout" method="post" action="/logout"><input type="hidden" name="csrf" value=""#),
        "{}",
        page.body
    );
}
