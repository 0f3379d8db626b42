//! `crossdock user ...` and `crossdock serve` as an operator runs them:
//! company ids checked against the warehouse, enable / unlock /
//! reset-password / set-roles, listings into a closed pipe, binding before
//! saying "serving", and logs without colour codes off a terminal.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::common::{crossdock, demo_fixture};

fn user(data: &Path, args: &[&str]) -> Output {
    crossdock()
        .arg("user")
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run crossdock user")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn refused(out: &Output) -> String {
    assert!(!out.status.success(), "should have failed");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn user_add_checks_companies_against_the_warehouse() {
    // An empty warehouse knows no company: refused, unless told.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path();
    let err = refused(&user(
        empty,
        &["add", "ana", "--role", "planner", "--company", "1"],
    ));
    assert!(
        err.contains("no companies yet") && err.contains("--allow-unknown-company"),
        "{err}"
    );
    let out = user(
        empty,
        &[
            "add",
            "ana",
            "--role",
            "planner",
            "--company",
            "1",
            "--allow-unknown-company",
        ],
    );
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: company 1 is not known"));
    // an admin needs no company, so no data
    ok(&user(empty, &["add", "root", "--role", "admin"]));

    // The demo's warehouse knows company 1 only.
    let (data, _) = demo_fixture();
    let err = refused(&user(
        data,
        &["add", "cli-99", "--role", "planner", "--company", "99"],
    ));
    assert!(
        err.contains("company 99 is not known") && err.contains("are 1"),
        "{err}"
    );
    let err = refused(&user(
        data,
        &["add", "cli-1-99", "--role", "planner", "--company", "1,99"],
    ));
    assert!(err.contains("company 99"), "{err}");
    ok(&user(
        data,
        &["add", "cli-1", "--role", "planner", "--company", "1"],
    ));
    let err = refused(&user(
        data,
        &["set-roles", "cli-1", "--role", "service", "--company", "7"],
    ));
    assert!(err.contains("company 7 is not known"), "{err}");
    let list = ok(&user(data, &["list"]));
    assert!(
        !list.contains("cli-99") && list.contains("cli-1 "),
        "{list}"
    );
}

#[test]
fn user_commands_enable_unlock_reset_and_set_roles() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(&user(data, &["add", "root", "--role", "admin"]));
    let first = ok(&user(
        data,
        &[
            "add",
            "Ana",
            "--role",
            "planner",
            "--company",
            "1",
            "--allow-unknown-company",
        ],
    ));
    // names are case-insensitive
    let err = refused(&user(data, &["add", "ANA", "--role", "admin"]));
    assert!(err.contains("already exists"), "{err}");
    ok(&user(data, &["disable", "ana"]));
    let err = refused(&user(data, &["disable", "ANA"]));
    assert!(err.contains("already disabled"), "{err}");
    ok(&user(data, &["enable", "aNa"]));
    let err = refused(&user(data, &["enable", "ana"]));
    assert!(err.contains("not disabled"), "{err}");
    ok(&user(data, &["unlock", "ana"]));
    let err = refused(&user(data, &["unlock", "nobody"]));
    assert!(err.contains("no user \"nobody\""), "{err}");

    let new = ok(&user(data, &["reset-password", "ana"]));
    let new = new.trim();
    assert_eq!(new.len(), 20, "{new}");
    assert_ne!(new, first.trim());
    let out = crossdock()
        .args([
            "user",
            "reset-password",
            "ana",
            "--password-stdin",
            "--data",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"short\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let err = refused(&out);
    assert!(err.contains("10 characters"), "{err}");

    ok(&user(
        data,
        &[
            "set-roles",
            "ana",
            "--role",
            "executive,service",
            "--company",
            "2",
            "--allow-unknown-company",
        ],
    ));
    let list = ok(&user(data, &["list"]));
    let line = list
        .lines()
        .find(|l| l.starts_with("Ana "))
        .expect("Ana listed");
    assert!(
        line.contains("executive,service") && line.contains(" 2 "),
        "{line}"
    );
    let err = refused(&user(
        data,
        &[
            "set-roles",
            "root",
            "--role",
            "planner",
            "--company",
            "1",
            "--allow-unknown-company",
        ],
    ));
    assert!(err.contains("last enabled admin"), "{err}");
}

#[test]
fn listings_into_a_closed_pipe_end_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(&user(data, &["add", "root", "--role", "admin"]));
    for _ in 0..3 {
        ok(&user(data, &["token", "root", "--label", "pipe"]));
    }
    let (demo, _) = demo_fixture();
    for (args, data) in [
        (&["user", "tokens"][..], data),
        (&["user", "list"], data),
        (&["kpi"], demo),
        (&["kpi", "--format", "csv"], demo),
    ] {
        let mut child = crossdock()
            .args(args)
            .arg("--data")
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // the reader goes away before the command writes (`| head -0`)
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
    }
    // `| head -1` with a real shell pipe
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' user tokens --data '{}' | head -1",
            env!("CARGO_BIN_EXE_crossdock"),
            data.display()
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("id "), "{text}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn serve_binds_before_it_says_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    // an empty warehouse: serve refuses a folder that holds none
    std::fs::create_dir_all(dir.path().join("_crossdock")).unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = crossdock()
        .args(["serve", "--addr", &addr, "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = refused(&out);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    assert!(
        !err.contains("serving"),
        "said serving before binding: {err}"
    );
}

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    // an empty warehouse: serve refuses a folder that holds none
    std::fs::create_dir_all(dir.path().join("_crossdock")).unwrap();
    let mut child = crossdock()
        .env_remove("NO_COLOR")
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !seen
        .iter()
        .any(|l: &String| l.contains("crossdock api listening"))
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = seen.join("\n");
    assert!(text.contains("crossdock api listening"), "{text}");
    assert!(
        text.contains("serving the dashboard on http://127.0.0.1:"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "colour codes in a pipe: {text:?}");
}
