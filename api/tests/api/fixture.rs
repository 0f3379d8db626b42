//! One small simulated warehouse per test binary, and request helpers.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use crossdock_api::{router, AppState};
use crossdock_ingest::{ChangeBatchBuilder, Simulator, SimulatorConfig};
use crossdock_warehouse::{ApplyOptions, Warehouse};
use tower::ServiceExt;

/// The five channels the simulator sells through.
pub const CHANNELS: [&str; 5] = [
    "EDI",
    "Field Sales",
    "Inside Sales",
    "Marketplace",
    "eCommerce",
];

const PREFIX: &str = "crossdock-api-fixture-";

pub struct Fixture {
    pub warehouse: Warehouse,
    _dir: tempfile::TempDir,
}

/// The shared warehouse, built on first use on a thread and runtime of its
/// own (so it does not depend on the runtime of the test that came first).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(build())
        })
        .join()
        .expect("building the fixture warehouse panicked")
    })
}

pub fn warehouse() -> Warehouse {
    fixture().warehouse.clone()
}

async fn build() -> Fixture {
    // Statics are never dropped, so each run's directory outlives it: clear
    // the ones earlier runs left behind.
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR"));
    remove_stale(parent);
    let dir = tempfile::Builder::new()
        .prefix(PREFIX)
        .tempdir_in(parent)
        .expect("temp dir");
    let warehouse = Warehouse::open(dir.path().to_str().expect("utf-8 path")).expect("open");
    let mut sim = Simulator::new(SimulatorConfig {
        days: 6,
        orders_per_day: 15,
        products: 40,
        ..Default::default()
    })
    .expect("simulator");
    let mut builder = ChangeBatchBuilder::new();
    while let Some(tx) = sim.next_transaction() {
        builder.push(&tx).expect("push");
    }
    let batch = builder.finish().expect("batch");
    warehouse
        .applier(ApplyOptions::default())
        .apply(&batch)
        .await
        .expect("apply");
    Fixture {
        warehouse,
        _dir: dir,
    }
}

fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let cutoff = SystemTime::now() - Duration::from_secs(3600);
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with(PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| t < cutoff)
                .unwrap_or(false);
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        assert!(
            self.content_type().starts_with("application/json"),
            "not JSON ({}): {}",
            self.content_type(),
            self.body
        );
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// The `error` message of a JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message in {}", self.body))
            .to_string()
    }
}

pub async fn request(method: Method, uri: &str) -> Answer {
    let app = router(AppState::new(warehouse()));
    let response = app
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("utf-8 body"),
    }
}

pub async fn get(uri: &str) -> Answer {
    request(Method::GET, uri).await
}

/// A value as JSON text and back, the way the API's answer went, so that
/// floats compare equal.
pub fn via_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::from_str(&serde_json::to_string(value).expect("serialize")).expect("parse")
}
