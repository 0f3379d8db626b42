//! The dashboard page, rendered by a real headless Chromium.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{crossdock, demo_fixture, require_tool};

fn chromium() -> Option<&'static str> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
}

struct Server(std::process::Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn chromium_renders_kpi_tiles_per_channel() {
    let Some(browser) = chromium() else {
        require_tool("chromium (Debian package chromium)", false);
        return;
    };
    let (data, _) = demo_fixture();
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
    ];
    let dom = Command::new(browser)
        .args(common)
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("p1").display()
        ))
        .arg("--dump-dom")
        .arg(format!("http://{addr}/"))
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&dom.stdout);
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
        .arg(format!("http://{addr}/"))
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
