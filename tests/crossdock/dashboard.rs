//! The dashboard page, rendered by a real headless Chromium, after logging
//! in through the login form as a demo user.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{crossdock, demo_fixture, require_tool};

pub(crate) fn chromium() -> Option<&'static str> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
}

pub(crate) struct Server(pub std::process::Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The demo's printed password of a user (`  <name>   <password>`).
pub(crate) fn demo_password(stdout: &str, user: &str) -> String {
    stdout
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(user)).then(|| words.next().map(str::to_string))?
        })
        .unwrap_or_else(|| panic!("demo printed no password for {user}:\n{stdout}"))
}

/// Serves, on a port of its own, a page that submits the login form of the
/// server at `addr` as soon as it loads, then goes to `next`: the browser
/// logs in as a person would (same site: 127.0.0.1, so the SameSite=Strict
/// cookie is kept).
pub(crate) fn login_page_server(addr: &str, user: &str, password: &str, next: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let own = listener.local_addr().unwrap().to_string();
    let page = format!(
        r#"<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="http://{addr}/login"><input name="name" value="{user}"><input name="password" value="{password}"><input name="next" value="{next}"></form></body></html>"#
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    own
}

#[test]
fn chromium_renders_kpi_tiles_per_channel() {
    let Some(browser) = chromium() else {
        require_tool("chromium (Debian package chromium)", false);
        return;
    };
    let (data, stdout) = demo_fixture();
    let password = demo_password(stdout, "executive");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _server = Server(
        crossdock()
            .args(["serve", "--addr", &addr, "--data"])
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let profile = tempfile::tempdir().unwrap();
    let shot = profile.path().join("dashboard.png");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1600",
        // let the login form's submission and redirect finish before dumping
        "--virtual-time-budget=15000",
    ];
    // Anonymous: the login page.
    let anonymous = Command::new(browser)
        .args(common)
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("p0").display()
        ))
        .arg("--dump-dom")
        .arg(format!("http://{addr}/"))
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&anonymous.stdout);
    assert!(
        html.contains(r#"action="/login""#) && !html.contains("Field Sales"),
        "an anonymous browser gets the login page: {html}"
    );
    let login = login_page_server(&addr, "executive", &password, "/");
    let dom = Command::new(browser)
        .args(common)
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("p1").display()
        ))
        // the console (CSP violations, script errors) on stderr
        .args(["--enable-logging=stderr", "--v=0"])
        .arg("--dump-dom")
        .arg(format!("http://{login}/"))
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&dom.stdout);
    assert!(
        html.contains("Signed in as executive"),
        "not logged in: {html}"
    );
    // crossdock.js and htmx ran (same-origin scripts under the CSP), and
    // nothing on the page broke the policy or threw
    assert!(
        html.contains(r#"<html lang="en" class="js htmx">"#),
        "the page's scripts did not run: {html}"
    );
    let console = String::from_utf8_lossy(&dom.stderr);
    for bad in ["Content Security Policy", "Uncaught", "Refused to"] {
        assert!(
            !console.lines().any(|l| l.contains(bad)),
            "the browser's console says {bad}: {console}"
        );
    }
    for c in [
        "Field Sales",
        "Inside Sales",
        "eCommerce",
        "Marketplace",
        "EDI",
    ] {
        assert!(html.contains(c), "rendered page lacks {c}: {html}");
    }
    assert!(html.contains("<form"), "the period form is a real form");
    let out = Command::new(browser)
        .args(common)
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("p2").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("http://{login}/"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real picture"
    );
    if let Ok(dir) = std::env::var("CROSSDOCK_SCREENSHOT_DIR") {
        let _ = std::fs::copy(&shot, std::path::Path::new(&dir).join("dashboard.png"));
    }
}

/// crossdock.js draws a uPlot chart from a JSON data island: lines, a
/// dashed forecast and an interval band, on series of different x.
#[test]
fn chromium_draws_a_chart_from_a_json_data_island() {
    let Some(browser) = chromium() else {
        require_tool("chromium (Debian package chromium)", false);
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = |p: &str| format!("file://{}/api/static/{p}", env!("CARGO_MANIFEST_DIR"));
    let data = r#"{"x":"time","height":240,"series":[
      {"label":"ordered","points":[["2026-01-05",12],["2026-01-12",9],["2026-01-19",14],["2026-01-26",11]]},
      {"label":"forecast","dash":true,"points":[["2026-02-02",12],["2026-02-09",12]]},
      {"label":"80 % interval","band":[["2026-02-02",7,18],["2026-02-09",6,19]]}]}"#;
    let page = format!(
        r#"<!doctype html><html><head><link rel="stylesheet" href="{}"><script src="{}"></script><script src="{}"></script></head>
<body><figure class="chart"><script type="application/json" class="chart-data">{data}</script><div class="chart-plot"></div></figure>
<figure class="chart"><script type="application/json" class="chart-data">not json</script><div class="chart-plot"></div></figure></body></html>"#,
        file("vendor/uplot/uPlot.min.css"),
        file("vendor/uplot/uPlot.iife.min.js"),
        file("crossdock.js"),
    );
    let path = dir.path().join("chart.html");
    std::fs::write(&path, page).unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--allow-file-access-from-files",
            "--window-size=900,700",
            "--virtual-time-budget=5000",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("p").display()
        ))
        .arg("--dump-dom")
        .arg(format!("file://{}", path.display()))
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&out.stdout);
    let console = String::from_utf8_lossy(&out.stderr);
    assert!(
        html.contains(r#"class="uplot"#),
        "no chart drawn: {html}\n{console}"
    );
    assert_eq!(html.matches("<canvas").count(), 1, "one chart: {html}");
    for label in [
        "ordered",
        "forecast",
        "80 % interval (low)",
        "80 % interval (high)",
    ] {
        assert!(
            html.contains(&format!(">{label}<")),
            "no series {label}: {html}"
        );
    }
    assert!(
        html.contains("The chart's data could not be read."),
        "a bad island is said so: {html}"
    );
    assert!(!console.contains("Uncaught"), "{console}");
}
