//! The planner's day on `crossdock demo`, as a new user would live it: log
//! in, read the suggestions, open an item (a real headless Chromium draws
//! its chart), accept one, edit one, reject one — then the stand-in Odoo's
//! request log, the Odoo import file (`crossdock reorder export`) and the
//! audit trail say what happened.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{crossdock, require_tool};
use crate::dashboard::{chromium, demo_password, login_page_server, Server};

/// One HTTP/1.1 request over a fresh connection: (status, headers, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: crossdock_session={c}\r\n"));
    }
    let body = form.unwrap_or("");
    if form.is_some() {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    // the pages are not chunked when small enough; undo chunking if present
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, head.to_string(), body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn login(addr: &str, user: &str, password: &str) -> String {
    let form = format!("name={user}&password={}", urlencode(password));
    let (status, head, _) = http(addr, "POST", "/login", None, Some(&form));
    assert_eq!(status, 303, "{head}");
    head.lines()
        .find_map(|l| l.strip_prefix("set-cookie: crossdock_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The first number under `key` anywhere in a JSON value.
fn number_at(v: &serde_json::Value, key: &str) -> Option<f64> {
    match v {
        serde_json::Value::Object(m) => m
            .get(key)
            .and_then(|x| x.as_f64())
            .or_else(|| m.values().find_map(|x| number_at(x, key))),
        serde_json::Value::Array(a) => a.iter().find_map(|x| number_at(x, key)),
        _ => None,
    }
}

fn csrf_in(page: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = page.find(marker).expect("a CSRF field") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

fn dom(browser: &str, profile: &std::path::Path, url: &str) -> (String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,1800",
            "--virtual-time-budget=15000",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_planner_reads_decides_and_the_rules_reach_the_stand_in_odoo() {
    let Some(browser) = chromium() else {
        require_tool("chromium (Debian package chromium)", false);
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = crossdock()
        .args([
            "demo",
            "--days",
            "60",
            "--orders-per-day",
            "60",
            "--products",
            "60",
            "--addr",
            &addr,
            "--data",
        ])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (stdout, stderr) = (
        Arc::new(Mutex::new(String::new())),
        Arc::new(Mutex::new(String::new())),
    );
    for (pipe, sink) in [
        (
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            stdout.clone(),
        ),
        (Box::new(child.stderr.take().unwrap()), stderr.clone()),
    ] {
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
    }
    let _server = Server(child);
    let started = Instant::now();
    while TcpStream::connect(&addr).is_err()
        || !stderr.lock().unwrap().contains("serving the dashboard")
    {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the demo did not start serving: {}",
            stderr.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let err = stderr.lock().unwrap().clone();
    assert!(
        err.contains("reorder suggestions for the planners"),
        "{err}"
    );
    assert!(
        err.contains("stand-in Odoo 17 at http://127.0.0.1:"),
        "{err}"
    );
    let out = stdout.lock().unwrap().clone();
    let planner = demo_password(&out, "planner");
    let admin = demo_password(&out, "admin");

    // The list, in a browser, as the planner.
    let profile = tempfile::tempdir().unwrap();
    let (html, console) = dom(
        browser,
        &profile.path().join("p1"),
        &format!(
            "http://{}/",
            login_page_server(&addr, "planner", &planner, "/planning")
        ),
    );
    assert!(
        html.contains("Signed in as planner"),
        "not logged in: {html}"
    );
    assert!(
        html.contains("Reorder suggestions") && html.contains("% service"),
        "{html}"
    );
    assert!(
        html.contains(r#"aria-current="page">Planning</a>"#),
        "{html}"
    );
    let start = html
        .find(r#"href="/planning/items/"#)
        .expect("a link to an item")
        + r#"href=""#.len();
    let item = html[start..start + html[start..].find('"').unwrap()].to_string();
    for bad in ["Content Security Policy", "Uncaught", "Refused to"] {
        assert!(
            !console.lines().any(|l| l.contains(bad)),
            "console: {console}"
        );
    }

    // One item: its chart drawn from the data island by uPlot.
    let (html, console) = dom(
        browser,
        &profile.path().join("p2"),
        &format!(
            "http://{}/",
            login_page_server(&addr, "planner", &planner, &item)
        ),
    );
    assert!(
        html.contains(r#"class="uplot"#),
        "no chart drawn: {html}\n{console}"
    );
    for label in ["ordered per week", "forecast", "80 % interval (low)"] {
        assert!(
            html.contains(&format!(">{label}<")),
            "no series {label}: {html}"
        );
    }
    assert!(html.contains("Accept with these quantities"), "{html}");
    for bad in ["Content Security Policy", "Uncaught", "Refused to"] {
        assert!(
            !console.lines().any(|l| l.contains(bad)),
            "console: {console}"
        );
    }

    // Accept one, edit one, reject one, with the pages' forms.
    let session = login(&addr, "planner", &planner);
    let (status, _, list) = http(&addr, "GET", "/planning", Some(&session), None);
    assert_eq!(status, 200);
    let csrf = csrf_in(&list);
    let keys: Vec<String> = list
        .match_indices(r#"name="key" value=""#)
        .map(|(i, m)| {
            let s = i + m.len();
            list[s..s + list[s..].find('"').unwrap()].to_string()
        })
        .take(3)
        .collect();
    assert_eq!(keys.len(), 3, "{list}");
    let decide = |form: String| {
        let (status, head, body) = http(
            &addr,
            "POST",
            "/planning/decisions",
            Some(&session),
            Some(&form),
        );
        assert_eq!(status, 303, "{head}\n{body}");
    };
    decide(format!("csrf={csrf}&action=accept&key={}", keys[0]));
    decide(format!(
        "csrf={csrf}&action=edit&key={}&min=3&max=11&multiple=1&note=tight+shelf",
        keys[1]
    ));
    decide(format!("csrf={csrf}&action=reject&key={}", keys[2]));
    let (_, _, page) = http(
        &addr,
        "GET",
        &format!("/planning/items/{}", keys[1]),
        Some(&session),
        None,
    );
    assert!(page.contains("edited by planner"), "{page}");
    assert!(
        page.contains("Odoo: updated orderpoint") || page.contains("Odoo: created orderpoint"),
        "{page}"
    );

    // The stand-in Odoo received the two rules (and nothing for the rejection).
    let log = std::fs::read_to_string(data.join("_crossdock").join("odoo-stand-in.jsonl")).unwrap();
    let calls: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let writes: Vec<&serde_json::Value> = calls
        .iter()
        .filter(|c| {
            matches!(
                c["call"].as_str(),
                Some("stock.warehouse.orderpoint.write" | "stock.warehouse.orderpoint.create")
            )
        })
        .collect();
    assert_eq!(writes.len(), 2, "{log}");
    assert!(writes.iter().all(|c| c["status"] == 200), "{log}");
    assert_eq!(
        (
            number_at(&writes[1]["body"], "product_min_qty"),
            number_at(&writes[1]["body"], "product_max_qty")
        ),
        (Some(3.0), Some(11.0)),
        "the edited quantities went to Odoo: {}",
        writes[1]
    );
    assert!(
        !log.contains("api-key-here") && !log.contains("stand-in-api-key"),
        "keys are masked"
    );

    // The import file holds the accepted and the edited rule.
    let out = crossdock()
        .args(["reorder", "export", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(csv.lines().count(), 3, "header and two rules: {csv}");
    assert!(csv.lines().any(|l| l.ends_with(",3,11,1")), "{csv}");

    // The audit trail: who decided what, before and after.
    let admin_session = login(&addr, "admin", &admin);
    let (status, _, audit) = http(
        &addr,
        "GET",
        "/api/audit?format=json&limit=100",
        Some(&admin_session),
        None,
    );
    assert_eq!(status, 200, "{audit}");
    for action in ["reorder.accept", "reorder.edit", "reorder.reject"] {
        assert!(
            audit.contains(&format!("\"action\":\"{action}\"")),
            "no {action}: {audit}"
        );
    }
    assert!(audit.contains("tight shelf"), "{audit}");

    // Outside readers (notebooks) see the decisions as a plain Delta table.
    let script = format!(
        "import deltalake\n\
         t = deltalake.DeltaTable('{}/derived/reorder_decision').to_pyarrow_table()\n\
         print(sorted(t.column('action').to_pylist()), t.schema.field('min_qty').type)\n",
        data.display()
    );
    let python = crate::common::python_has("deltalake");
    if require_tool("the Python deltalake package", python) {
        let out = crate::common::python_output(&script);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "['accept', 'edit', 'reject'] decimal128(38, 4)"
        );
    }
}
