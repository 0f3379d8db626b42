//! Small simulated warehouses shared by the tests of this binary (one
//! company, and two companies), each with an access store holding one user
//! and one API token per role, and request helpers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use crossdock_access::{NewUser, Role, UserStore};
use crossdock_api::{router, AppState};
use crossdock_change::ChangeBatchBuilder;
use crossdock_simulator::{Simulator, SimulatorConfig};
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

/// The password of every fixture user.
pub const PASSWORD: &str = "fixture password 1";

const PREFIX: &str = "crossdock-api-fixture-";

pub struct Fixture {
    pub warehouse: Warehouse,
    pub state: AppState,
    /// An API token per user name.
    pub tokens: BTreeMap<String, String>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub fn store(&self) -> &Arc<UserStore> {
        &self.state.access
    }

    pub fn token(&self, user: &str) -> &str {
        self.tokens
            .get(user)
            .unwrap_or_else(|| panic!("no token for {user}"))
    }
}

fn build_on_own_runtime(
    f: impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = Fixture>>> + Send + 'static,
) -> Fixture {
    std::thread::spawn(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f())
    })
    .join()
    .expect("building the fixture warehouse panicked")
}

/// The shared one-company warehouse, built on first use on a thread and
/// runtime of its own (so it does not depend on the runtime of the test
/// that came first). Users: one per role, named after it, company 1.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        build_on_own_runtime(|| {
            Box::pin(build(
                SimulatorConfig {
                    days: 6,
                    orders_per_day: 15,
                    products: 40,
                    ..Default::default()
                },
                Role::ALL
                    .iter()
                    .map(|r| (r.as_str().to_string(), vec![*r], vec![1]))
                    .collect(),
            ))
        })
    })
}

/// A two-company warehouse (`second_company`): users `c1` and `c2`
/// (executives of company 1 and 2), `c12` (both), `admin`.
pub fn two_companies() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        build_on_own_runtime(|| {
            Box::pin(build(
                SimulatorConfig {
                    days: 6,
                    orders_per_day: 30,
                    products: 40,
                    second_company: true,
                    ..Default::default()
                },
                vec![
                    ("c1".into(), vec![Role::Executive], vec![1]),
                    ("c2".into(), vec![Role::Executive], vec![2]),
                    ("c12".into(), vec![Role::Executive], vec![1, 2]),
                    ("admin".into(), vec![Role::Admin], vec![]),
                ],
            ))
        })
    })
}

/// A suggestion key of the fixture (its first item).
pub fn suggestion_key(fixture: &Fixture) -> String {
    static KEY: OnceLock<String> = OnceLock::new();
    let warehouse = fixture.warehouse.clone();
    KEY.get_or_init(|| {
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(async {
                    crossdock_models::suggestion::list(&warehouse, &Default::default())
                        .await
                        .expect("suggestions")
                        .first()
                        .expect("the fixture has suggestions")
                        .key
                        .clone()
                })
        })
        .join()
        .expect("reading a suggestion key")
    })
    .clone()
}

pub fn warehouse() -> Warehouse {
    fixture().warehouse.clone()
}

async fn build(config: SimulatorConfig, users: Vec<(String, Vec<Role>, Vec<i64>)>) -> Fixture {
    // Statics are never dropped, so each run's directory outlives it: clear
    // the ones earlier runs left behind.
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR"));
    remove_stale(parent);
    let dir = tempfile::Builder::new()
        .prefix(PREFIX)
        .tempdir_in(parent)
        .expect("temp dir");
    let warehouse = Warehouse::open(dir.path().to_str().expect("utf-8 path")).expect("open");
    let mut sim = Simulator::new(config).expect("simulator");
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
    // The planners' suggestions, as `crossdock reorder suggest` writes them.
    crossdock_models::planning::run(&warehouse)
        .await
        .expect("reorder suggestions");
    // A classified inbox of three messages, as `crossdock demo` writes one.
    inbox(&warehouse).await;
    let state = AppState::open(warehouse.clone()).expect("access store");
    let mut tokens = BTreeMap::new();
    for (name, roles, companies) in users {
        state
            .access
            .add_user(
                "fixture",
                &NewUser {
                    name: name.clone(),
                    roles,
                    companies,
                    password: PASSWORD.into(),
                },
            )
            .expect("add user");
        let issued = state
            .access
            .issue_token(
                "fixture",
                &name,
                "tests",
                chrono::Utc::now() + chrono::Duration::days(1),
            )
            .expect("token");
        tokens.insert(name, issued.secret);
    }
    Fixture {
        warehouse,
        state,
        tokens,
        _dir: dir,
    }
}

/// The ids of the fixture's classified messages.
pub const MESSAGE_IDS: [&str; 3] = ["<m1@fixture>", "<m2@fixture>", "<m3@fixture>"];

/// Writes `derived/triage_message`: a "where is my order" about the
/// fixture's first confirmed order, a damaged-goods message, and one for
/// review; all of company 1.
async fn inbox(warehouse: &Warehouse) {
    use crossdock_models::triage::store::{self, MessageRow};
    use crossdock_models::triage::{RefKind, RefLocation, Reference};
    let batches = warehouse
        .sql("SELECT name FROM sale_order WHERE state = 'sale' ORDER BY id LIMIT 1")
        .await
        .expect("an order");
    let order = arrow::array::AsArray::as_string_view_opt(batches[0].column(0).as_ref())
        .map(|a| a.value(0).to_string())
        .or_else(|| {
            arrow::array::AsArray::as_string_opt::<i32>(batches[0].column(0).as_ref())
                .map(|a| a.value(0).to_string())
        })
        .expect("an order name");
    let row =
        |n: usize, subject: &str, queue: &str, category: &str, confidence: f64, review: bool| {
            MessageRow {
                id: MESSAGE_IDS[n].into(),
                file: format!("inbox/{n}.eml"),
                received: Some(chrono::Utc::now() - chrono::Duration::hours(n as i64)),
                from: Some(format!("buyer{n}@example.com")),
                subject: subject.into(),
                new_text: format!("message {n}: {subject}"),
                queue: queue.into(),
                category: category.into(),
                confidence,
                route: if review {
                    "review".into()
                } else {
                    queue.into()
                },
                review,
                rule: None,
                references: if n == 0 {
                    vec![Reference {
                        kind: RefKind::SaleOrder,
                        value: order.clone(),
                        location: RefLocation::Subject,
                        found: true,
                    }]
                } else {
                    Vec::new()
                },
                attachments: String::new(),
                partner_id: None,
                company_id: Some(1),
                parse_error: None,
                classified_at: chrono::Utc::now(),
            }
        };
    store::write(
        warehouse,
        &[
            row(
                0,
                &format!("Where is {order}?"),
                "helpdesk",
                "order status",
                0.97,
                false,
            ),
            row(1, "Broken pallet", "helpdesk", "damaged goods", 0.91, false),
            row(2, "Hello", "other", "other", 0.31, true),
        ],
    )
    .await
    .expect("the inbox table");
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

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        assert!(
            self.content_type().starts_with("application/json"),
            "not JSON ({}, {}): {}",
            self.status,
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

/// How a test request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// No credentials.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// The session cookie, and the CSRF token to send in `x-csrf-token` (if any).
    Session(&'a str, Option<&'a str>),
}

/// A request built by a test.
pub struct Call<'a> {
    pub method: Method,
    pub uri: &'a str,
    pub auth: Auth<'a>,
    pub content_type: Option<&'a str>,
    pub body: String,
    /// The client address the server sees (rate limiting).
    pub addr: Option<SocketAddr>,
    /// More request headers.
    pub headers: Vec<(&'static str, String)>,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, uri: &'a str, auth: Auth<'a>) -> Call<'a> {
        Call {
            method,
            uri,
            auth,
            content_type: None,
            body: String::new(),
            addr: None,
            headers: Vec::new(),
        }
    }

    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.content_type = Some("application/json");
        self.body = body.to_string();
        self
    }

    pub fn form(mut self, body: &str) -> Self {
        self.content_type = Some("application/x-www-form-urlencoded");
        self.body = body.to_string();
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    pub fn client_addr(mut self, addr: &str) -> Self {
        self.addr = Some(addr.parse().expect("socket address"));
        self
    }

    pub async fn send_to(self, fixture: &Fixture) -> Answer {
        self.send_with(fixture.state.clone()).await
    }

    /// Sends the request to a router over `state` (e.g. a fixture's state
    /// with one part replaced).
    pub async fn send_with(self, state: AppState) -> Answer {
        let mut builder = Request::builder().method(self.method).uri(self.uri);
        match self.auth {
            Auth::None => {}
            Auth::Bearer(t) => {
                builder = builder.header(header::AUTHORIZATION, format!("Bearer {t}"))
            }
            Auth::Session(id, csrf) => {
                builder = builder.header(header::COOKIE, format!("crossdock_session={id}"));
                if let Some(c) = csrf {
                    builder = builder.header("x-csrf-token", c);
                }
            }
        }
        if let Some(ct) = self.content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        let mut request = builder.body(Body::from(self.body)).expect("request");
        if let Some(addr) = self.addr {
            request.extensions_mut().insert(ConnectInfo(addr));
        }
        let response = router(state).oneshot(request).await.expect("infallible");
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

    pub async fn send(self) -> Answer {
        self.send_to(fixture()).await
    }
}

/// A request as the admin (who sees every field of every company).
pub async fn request(method: Method, uri: &str) -> Answer {
    let f = fixture();
    Call::new(method, uri, Auth::Bearer(f.token("admin")))
        .send()
        .await
}

/// A GET as the admin.
pub async fn get(uri: &str) -> Answer {
    request(Method::GET, uri).await
}

/// A GET as the given fixture user (by token).
pub async fn get_as(fixture: &Fixture, user: &str, uri: &str) -> Answer {
    Call::new(Method::GET, uri, Auth::Bearer(fixture.token(user)))
        .send_to(fixture)
        .await
}

/// Logs in through the form from `addr`: the answer, and the session id
/// when a cookie was set.
pub async fn login(
    fixture: &Fixture,
    name: &str,
    password: &str,
    addr: &str,
) -> (Answer, Option<String>) {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("name", name)
        .append_pair("password", password)
        .finish();
    let a = Call::new(Method::POST, "/login", Auth::None)
        .form(&body)
        .client_addr(addr)
        .send_to(fixture)
        .await;
    let session = a
        .header("set-cookie")
        .strip_prefix("crossdock_session=")
        .and_then(|v| v.split(';').next())
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    (a, session)
}

/// The CSRF token a page shows in its hidden `csrf` fields.
pub fn csrf_in(page: &str) -> Option<String> {
    let marker = r#"name="csrf" value=""#;
    let start = page.find(marker)? + marker.len();
    let end = start + page[start..].find('"')?;
    Some(page[start..end].to_string())
}

/// A value as JSON text and back, the way the API's answer went, so that
/// floats compare equal.
pub fn via_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::from_str(&serde_json::to_string(value).expect("serialize")).expect("parse")
}
