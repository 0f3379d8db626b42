//! Faults on the CDC path, end to end, each on its own database and slot
//! (`TestDb`), each cleaning up after itself:
//!
//! - a wrong password, a database that does not exist and a role without
//!   REPLICATION end `ingest` at once, saying what to fix, without a retry
//!   loop;
//! - the network to PostgreSQL cut twice mid-stream (a TCP proxy of the
//!   test's own drops every connection and refuses new ones for ~3 s):
//!   `ingest` reconnects, and everything ends up equal, nothing doubled;
//! - the warehouse's disk full (a small tmpfs filled to the last byte):
//!   `ingest` waits, saying so, and continues once there is space;
//! - the slot dropped behind `ingest`'s back: refused with what to do,
//!   warehouse untouched; `--resnapshot` copies again, without ghosts;
//! - an unreadable checkpoint table is an error (for `ingest` and `kpi`),
//!   never "position 0" (a new snapshot over the old data).
//!
//! Like `postgres`, these need PostgreSQL with `wal_level = logical` (and
//! the disk-full test `mount -t tmpfs`, i.e. root); CI must have them.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use crossdock_ingest::postgres::{ddl, Client, PgUrl, PgWriter};
use crossdock_simulator::Simulator;
use crossdock_warehouse::Warehouse;

use crate::common::{crossdock, require_tool, small_config};
use crate::postgres::{
    assert_equals_simulator, assert_no_change_logged_twice, assert_verified, server_url,
    tokio_postgres_row, wait_with_timeout, write_until, OwnCluster, Running, TestDb,
};

/// `small_config` over fewer days: the streaming tests wait for a debug
/// build of ingest to catch up with all of it.
fn short_config(seed: u64) -> crossdock_simulator::SimulatorConfig {
    crossdock_simulator::SimulatorConfig {
        days: 7,
        ..small_config(seed)
    }
}

/// Prints how long a test took when it ends (passed or not).
struct Timed(&'static str, Instant);

impl Timed {
    fn start(name: &'static str) -> Timed {
        Timed(name, Instant::now())
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        eprintln!("[{}: {:.1} s]", self.0, self.1.elapsed().as_secs_f64());
    }
}

/// What a finished command did.
struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `cmd` to its end (killed, and the test failed, after `secs`), its
/// output kept in `<log>` and `<log>.out` (files, not pipes: nothing blocks).
fn run_logged(mut cmd: Command, log: &Path, secs: u64) -> Ran {
    let out = log.with_extension("out");
    let t = Instant::now();
    let mut child = cmd
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let status = wait_with_timeout(&mut child, secs);
    Ran {
        status,
        stdout: read_log(&out),
        stderr: read_log(log),
        took: t.elapsed(),
    }
}

/// Lines where ingest says it will reconnect after a wait
/// (`<error>; reconnecting in N s`, formerly `; trying again in N s`).
fn retries(text: &str) -> usize {
    text.lines()
        .filter(|l| l.contains("; reconnecting in ") || l.contains("; trying again in "))
        .count()
}

fn read_log(log: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(log).unwrap_or_default()).into_owned()
}

/// Starts `cmd` in the background, its stderr into `log`.
fn spawn_logged(mut cmd: Command, log: &Path) -> Running {
    Running(Some(
        cmd.stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap(),
    ))
}

/// Waits until `log` satisfies `done`; fails the test if the process ends
/// first or `secs` pass. Returns the log.
async fn wait_for_log(
    child: &mut Running,
    log: &Path,
    secs: u64,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> String {
    let t = Instant::now();
    loop {
        let text = read_log(log);
        if done(&text) {
            return text;
        }
        if let Some(status) = child.child().try_wait().unwrap() {
            panic!("ingest ended ({status}) before {what}:\n{}", read_log(log));
        }
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "no {what} within {secs} s:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `crossdock ingest` for `db` through another connection string (the
/// proxy's), with the flags `TestDb::ingest` uses.
fn ingest_via(db: &TestDb, url: &str, data: &Path, extra: &[&str]) -> Command {
    let mut c = crossdock();
    c.arg("--data")
        .arg(data)
        .arg("ingest")
        .args(["--postgres", url, "--slot", &db.name])
        .args(["--publication", &db.name, "--status-every", "0"])
        .args(["--max-delay-ms", "200"])
        .args(extra);
    c
}

/// The test server's user and loopback address.
fn server_user_and_addr() -> (String, SocketAddr) {
    let shown = PgUrl::parse(&server_url()).unwrap().display();
    let (user, rest) = shown.split_once('@').unwrap();
    let host_port = rest.rsplit_once('/').unwrap().0;
    let addr = host_port
        .to_socket_addrs()
        .unwrap()
        .find(|a| a.ip().is_loopback())
        .unwrap_or_else(|| panic!("the test server {host_port} is not on a loopback address"));
    (user.to_string(), addr)
}

/// A slot's confirmed and restart positions (`None`: no such slot).
async fn slot_state(c: &Client, slot: &str) -> Option<(String, String)> {
    let rows = c
        .simple_query(&format!(
            "SELECT confirmed_flush_lsn::text, restart_lsn::text FROM pg_replication_slots \
             WHERE slot_name = '{slot}'"
        ))
        .await
        .unwrap();
    rows.iter().find_map(|m| match m {
        tokio_postgres_row::Row(r) => Some((
            r.get(0).unwrap_or("").to_string(),
            r.get(1).unwrap_or("").to_string(),
        )),
        _ => None,
    })
}

/// The first column of the first row of a query, as text.
async fn text_of(c: &Client, sql: &str) -> String {
    c.simple_query(sql)
        .await
        .unwrap()
        .iter()
        .find_map(|m| match m {
            tokio_postgres_row::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no row from {sql}"))
}

/// Rows per current-state table and per change log, read in one session.
async fn table_counts(warehouse: &Warehouse) -> BTreeMap<String, (i64, i64)> {
    let ctx = warehouse.session().await.unwrap();
    let mut out = BTreeMap::new();
    for def in warehouse.catalog().tables() {
        let mut n = [0i64; 2];
        for (i, sql) in [
            format!("SELECT count(*) FROM {}", def.name),
            format!("SELECT count(*) FROM changes_{}", def.name),
        ]
        .iter()
        .enumerate()
        {
            let b = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            n[i] = b[0].column(0).as_primitive::<Int64Type>().value(0);
        }
        out.insert(def.name.clone(), (n[0], n[1]));
    }
    out
}

async fn warehouse_count(warehouse: &Warehouse, sql: &str) -> i64 {
    let b = warehouse.sql(sql).await.unwrap();
    b[0].column(0).as_primitive::<Int64Type>().value(0)
}

// ------------------------------------------------------------------------
// 1. errors that need a person end the run at once

/// A login role without REPLICATION; dropped on drop.
struct TestRole {
    name: String,
    server: PgUrl,
}

impl TestRole {
    async fn create(db: &TestDb) -> TestRole {
        let name = format!("{}_norepl", db.name);
        db.connect()
            .await
            .batch_execute(&format!("CREATE ROLE {name} LOGIN NOREPLICATION"))
            .await
            .unwrap();
        TestRole {
            name,
            server: db.server.clone(),
        }
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        // a thread of its own: the test may be inside a runtime
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                if let Ok(c) = server.connect().await {
                    let _ = c
                        .batch_execute(&format!(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                             WHERE usename = '{name}'; DROP ROLE IF EXISTS {name}"
                        ))
                        .await;
                }
            })
        })
        .join();
    }
}

/// `crossdock ingest --postgres url` must end, failed, within 10 s, without
/// retrying.
fn ingest_must_end_at_once(dir: &Path, label: &str, url: &str, slot: &str) -> Ran {
    let mut c = crossdock();
    c.arg("--data")
        .arg(dir.join(label))
        .arg("ingest")
        .args(["--postgres", url, "--slot", slot, "--publication", slot])
        .args(["--status-every", "0"]);
    let ran = run_logged(c, &dir.join(format!("{label}.log")), 10);
    eprintln!(
        "{label}: ended in {:.1} s: {}",
        ran.took.as_secs_f64(),
        ran.stderr.trim()
    );
    assert!(
        !ran.status.success(),
        "{label}: ingest succeeded:\n{}",
        ran.stderr
    );
    assert!(
        retries(&ran.stderr) == 0,
        "{label}: an error that needs a person is not retried:\n{}",
        ran.stderr
    );
    ran
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_missing_database_and_no_replication_right_end_at_once() {
    let _timed =
        Timed::start("wrong_password_missing_database_and_no_replication_right_end_at_once");
    let Some(cluster) = OwnCluster::start_with_password("crossdock-right-password") else {
        return;
    };
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // the right password is accepted: what fails below is the wrong one
    PgUrl::parse(&cluster.url())
        .unwrap()
        .connect()
        .await
        .expect("the right password is accepted");

    // (a) a wrong password
    let url = format!(
        "postgresql://postgres:not-the-password@127.0.0.1:{}/postgres",
        cluster.port
    );
    let ran = ingest_must_end_at_once(dir.path(), "wrong-password", &url, "crossdock_fault");
    assert!(
        ran.stderr.contains("authentication failed") && ran.stderr.contains("password"),
        "says the credentials were refused and what to check:\n{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("not-the-password"),
        "the password is not printed:\n{}",
        ran.stderr
    );

    // (b) a database that does not exist
    let (user, addr) = server_user_and_addr();
    let missing = format!("crossdock_missing_{:016x}", rand::random::<u64>());
    let url = format!("postgresql://{user}@{addr}/{missing}");
    let ran = ingest_must_end_at_once(dir.path(), "missing-database", &url, "crossdock_fault");
    assert!(
        ran.stderr.contains("does not exist") && ran.stderr.contains(&missing),
        "names the missing database:\n{}",
        ran.stderr
    );

    // (c) a role that may log in but not replicate
    let role = TestRole::create(&db).await;
    let url = format!("postgresql://{}@{addr}/{}", role.name, db.name);
    let ran = ingest_must_end_at_once(dir.path(), "no-replication", &url, &db.name);
    assert!(
        ran.stderr.contains("REPLICATION") && ran.stderr.contains(&role.name),
        "names the missing REPLICATION attribute and the role:\n{}",
        ran.stderr
    );
}

// ------------------------------------------------------------------------
// 2. the network cut and restored while streaming

/// A TCP proxy on 127.0.0.1 to `upstream`, whose network can be cut: every
/// open connection is shut down and new ones are refused (the listening
/// socket is closed) until it is restored on the same port.
struct Proxy {
    port: u16,
    upstream: SocketAddr,
    open: Arc<Mutex<Vec<TcpStream>>>,
    accepting: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        assert!(upstream.ip().is_loopback());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut p = Proxy {
            port: listener.local_addr().unwrap().port(),
            upstream,
            open: Arc::default(),
            accepting: None,
        };
        p.serve(listener);
        p
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (stopping, open, upstream) = (stop.clone(), self.open.clone(), self.upstream);
        let accepting = std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let Ok(server) =
                            TcpStream::connect_timeout(&upstream, Duration::from_secs(5))
                        else {
                            continue; // dropping `client` closes it
                        };
                        client.set_nonblocking(false).unwrap();
                        let _ = client.set_nodelay(true);
                        let _ = server.set_nodelay(true);
                        let mut o = open.lock().unwrap();
                        o.push(client.try_clone().unwrap());
                        o.push(server.try_clone().unwrap());
                        pump(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pump(server, client);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            // `listener` is dropped here: connections are refused
        });
        self.accepting = Some((stop, accepting));
    }

    /// Cuts the network: no more listening, every connection shut down.
    fn cut(&mut self) {
        if let Some((stop, accepting)) = self.accepting.take() {
            stop.store(true, Ordering::SeqCst);
            accepting.join().unwrap();
        }
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Listens again on the same port.
    fn restore(&mut self) {
        let t = Instant::now();
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(l) => break l,
                Err(e) => {
                    assert!(
                        t.elapsed() < Duration::from_secs(10),
                        "listening again on 127.0.0.1:{}: {e}",
                        self.port
                    );
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        };
        self.serve(listener);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// Copies `from` to `to` on a thread until either side ends.
fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_cut_and_restored_mid_stream_then_equal() {
    let _timed = Timed::start("network_cut_and_restored_mid_stream_then_equal");
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("ingest.log");
    let writer = PgWriter::new(db.connect().await);
    ddl::create_tables(writer.client()).await.unwrap();
    let mut sim = Simulator::new(short_config(41)).unwrap();
    write_until(&writer, &mut sim, 200).await;
    let (user, upstream) = server_user_and_addr();
    let mut proxy = Proxy::start(upstream);
    let url = format!("postgresql://{user}@127.0.0.1:{}/{}", proxy.port, db.name);
    let mut child = spawn_logged(
        ingest_via(&db, &url, &data, &["--batch-changes", "500"]),
        &log,
    );
    wait_for_log(&mut child, &log, 60, "end of the snapshot", |t| {
        t.contains("snapshot copied")
    })
    .await;
    // the simulator writes on, paced, straight to PostgreSQL (not through
    // the proxy), while ingest streams through the proxy; up to `target`
    // transactions, so that some are written before each cut and some
    // while the network is down, however fast or slow ingest is
    let target = Arc::new(AtomicU64::new(sim.position()));
    let writing = {
        let target = target.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(180) {
                if sim.position() >= target.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                let Some(tx) = sim.next_transaction() else {
                    return (sim, true);
                };
                writer.apply(&tx, "").await.unwrap();
                tokio::time::sleep(Duration::from_millis(4)).await;
            }
            (sim, false)
        })
    };
    for round in 1..=2 {
        target.fetch_add(80, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let t = Instant::now();
        proxy.cut();
        target.fetch_add(80, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(
            child.child().try_wait().unwrap().is_none(),
            "ingest ended while the network was cut ({round}):\n{}",
            read_log(&log)
        );
        proxy.restore();
        // (ingest first applies the complete transactions it holds: in a
        // debug build that can take a while)
        wait_for_log(&mut child, &log, 90, "reconnection", |t| {
            t.matches("resuming from").count() >= round
        })
        .await;
        eprintln!(
            "cut {round}: streaming again {:.1} s after the cut",
            t.elapsed().as_secs_f64()
        );
    }
    target.store(u64::MAX, Ordering::SeqCst);
    let (sim, complete) = writing.await.unwrap();
    assert!(
        complete,
        "the simulation was not written to its end in time"
    );
    assert!(
        sim.position() > 200 + 4 * 80,
        "the simulation should go on after the cuts ({} transactions)",
        sim.position()
    );
    assert_verified(&db.verify(&data, 120));
    let (status, _) = child.terminate();
    let err = read_log(&log);
    assert!(status.success(), "ingest after SIGTERM: {status}\n{err}");
    assert!(
        retries(&err) >= 2,
        "ingest says it reconnects after each cut:\n{err}"
    );
    let warehouse = Warehouse::open(data.to_str().unwrap()).unwrap();
    assert_equals_simulator(&warehouse, &sim).await;
    assert_no_change_logged_twice(&warehouse).await;
}

// ------------------------------------------------------------------------
// 3. the warehouse's disk full

/// A small tmpfs mounted on a temporary directory; unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(megabytes: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m")])
            .arg("crossdock-test")
            .arg(dir.path())
            .output();
        let ok = matches!(&out, Ok(o) if o.status.success());
        if !ok {
            eprintln!("mount -t tmpfs: {out:?}");
        }
        if !require_tool("mount -t tmpfs (the test must run as root)", ok) {
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system to the last byte with a file; returns it.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0xa5u8; 1 << 20];
        // bounded: at most the file system's size in chunks, and a little more
        for _ in 0..100_000 {
            match f.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => break,
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
        path
    }

    fn available(&self) -> String {
        Command::new("df")
            .args(["-B1", "--output=avail"])
            .arg(self.path())
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .last()
                    .unwrap_or("?")
                    .to_string()
            })
            .unwrap_or_else(|e| e.to_string())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(self.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            // still busy (a child that has not exited yet): detach it now,
            // the kernel frees it when the last user goes
            let _ = Command::new("umount").arg("-l").arg(self.path()).status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warehouse_disk_full_waits_then_continues_and_is_equal() {
    let _timed = Timed::start("warehouse_disk_full_waits_then_continues_and_is_equal");
    let Some(db) = TestDb::create().await else {
        return;
    };
    let Some(disk) = Tmpfs::mount(256) else {
        return;
    };
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("ingest.log");
    let data = disk.path().join("data");
    let writer = PgWriter::new(db.connect().await);
    ddl::create_tables(writer.client()).await.unwrap();
    let mut sim = Simulator::new(short_config(43)).unwrap();
    write_until(&writer, &mut sim, 200).await;
    let mut child = spawn_logged(db.ingest(&data, &[]), &log);
    wait_for_log(&mut child, &log, 60, "end of the snapshot", |t| {
        t.contains("snapshot copied")
    })
    .await;
    write_until(&writer, &mut sim, 300).await;
    let filler = disk.fill();
    let mark = read_log(&log).len();
    eprintln!(
        "filled {}: {} bytes available",
        disk.path().display(),
        disk.available()
    );
    // changes arrive while there is no space for them
    write_until(&writer, &mut sim, 500).await;
    wait_for_log(
        &mut child,
        &log,
        60,
        "message about the full storage",
        |t| retries(&t[mark..]) > 0,
    )
    .await;
    // the disk stays full a while: ingest waits, it does not give up
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        child.child().try_wait().unwrap().is_none(),
        "ingest ended while the disk was full:\n{}",
        read_log(&log)
    );
    let waiting = read_log(&log)[mark..].to_string();
    eprintln!("while the disk was full:\n{waiting}");
    assert!(
        waiting.contains("No space left on device")
            && waiting.contains(disk.path().to_str().unwrap()),
        "the message names the full storage:\n{waiting}"
    );
    std::fs::remove_file(&filler).unwrap();
    write_until(&writer, &mut sim, u64::MAX).await;
    assert_verified(&db.verify(&data, 120));
    let (status, _) = child.terminate();
    let err = read_log(&log);
    assert!(status.success(), "ingest after SIGTERM: {status}\n{err}");
    let warehouse = Warehouse::open(data.to_str().unwrap()).unwrap();
    assert_equals_simulator(&warehouse, &sim).await;
    assert_no_change_logged_twice(&warehouse).await;
    let leftovers = staged_uploads(&data);
    if !leftovers.is_empty() {
        eprintln!(
            "partial uploads left in the warehouse: {} files, {} bytes",
            leftovers.len(),
            leftovers.iter().map(|(_, n)| n).sum::<u64>()
        );
    }
    // deltalake-core 1.1.3 aborts a failed upload whose completion already
    // began, which panics in object_store (buffered.rs: "Already shut
    // down"); it catches the panic (datafile/writer.rs, upload_parquet_file),
    // but the panic hook still prints it among ingest's messages. Not
    // asserted on: ingest is unaffected, only its stderr is noisy.
    if waiting.contains("panicked") {
        eprintln!("note: a caught panic was printed while the disk was full");
    }
}

/// object_store's staged (partial) uploads under `dir`: `<file>#<n>`.
fn staged_uploads(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                todo.push(p);
            } else if p.file_name().unwrap().to_string_lossy().contains('#') {
                out.push((p, meta.len()));
            }
        }
    }
    out
}

// ------------------------------------------------------------------------
// 4. the slot dropped behind ingest's back

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slot_dropped_behind_ingests_back_is_refused_then_resnapshot_truncates() {
    let _timed =
        Timed::start("slot_dropped_behind_ingests_back_is_refused_then_resnapshot_truncates");
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = |n: &str| dir.path().join(format!("ingest-{n}.log"));
    let c = db.connect().await;
    let writer = PgWriter::new(db.connect().await);
    ddl::create_tables(writer.client()).await.unwrap();
    let mut sim = Simulator::new(small_config(44)).unwrap();
    write_until(&writer, &mut sim, 400).await;
    let ran = run_logged(
        db.ingest(&data, &["--exit-when-idle", "2"]),
        &log("first"),
        120,
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    assert_verified(&db.verify(&data, 0));
    let warehouse = Warehouse::open(data.to_str().unwrap()).unwrap();
    let counts = table_counts(&warehouse).await;
    let position = warehouse.resume_position().await.unwrap();

    // the slot goes (an operator, or max_slot_wal_keep_size), and with it
    // the changes made since: deletes and inserts
    c.batch_execute(&format!("SELECT pg_drop_replication_slot('{}')", db.name))
        .await
        .unwrap();
    let deleted: i64 = text_of(
        &c,
        "WITH d AS (DELETE FROM stock_quant WHERE id % 2 = 0 RETURNING 1) SELECT count(*)::text FROM d",
    )
    .await
    .parse()
    .unwrap();
    assert!(deleted > 0, "the simulation should have made stock quants");
    c.batch_execute(
        "INSERT INTO ir_property (id, name, fields_id, type, value_text) VALUES \
         (900001, 'after the slot was lost', 1, 'char', 'a'), \
         (900002, 'after the slot was lost', 1, 'char', 'b')",
    )
    .await
    .unwrap();

    // a plain ingest refuses: it cannot know what it missed
    let ran = run_logged(db.ingest(&data, &[]), &log("refused"), 20);
    eprintln!(
        "refused in {:.1} s: {}",
        ran.took.as_secs_f64(),
        ran.stderr.trim()
    );
    assert!(!ran.status.success(), "ingest went on:\n{}", ran.stderr);
    assert!(
        ran.took < Duration::from_secs(10),
        "refused quickly: {:?}",
        ran.took
    );
    assert!(
        ran.stderr.contains(&db.name) && ran.stderr.contains("--resnapshot"),
        "names the lost slot and the way out:\n{}",
        ran.stderr
    );
    assert_eq!(retries(&ran.stderr), 0, "not retried:\n{}", ran.stderr);
    assert_eq!(
        slot_state(&c, &db.name).await,
        None,
        "no new slot was made behind the operator's back"
    );
    assert_eq!(
        table_counts(&warehouse).await,
        counts,
        "warehouse unchanged"
    );
    assert_eq!(warehouse.resume_position().await.unwrap(), position);

    // --resnapshot copies everything again, each table truncated first
    let ran = run_logged(
        db.ingest(&data, &["--resnapshot", "--exit-when-idle", "2"]),
        &log("resnapshot"),
        120,
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    assert_verified(&db.verify(&data, 0));
    assert_eq!(
        warehouse_count(
            &warehouse,
            "SELECT count(*) FROM stock_quant WHERE id % 2 = 0"
        )
        .await,
        0,
        "rows deleted while the slot was gone are gone from the warehouse (no ghosts)"
    );
    assert_eq!(
        warehouse_count(
            &warehouse,
            "SELECT count(*) FROM ir_property WHERE id > 900000"
        )
        .await,
        2
    );
    // and from then on it streams again
    c.batch_execute(
        "INSERT INTO ir_property (id, name, fields_id, type, value_text) VALUES \
         (900003, 'streamed after the resnapshot', 1, 'char', 'c')",
    )
    .await
    .unwrap();
    let ran = run_logged(
        db.ingest(&data, &["--exit-when-idle", "2"]),
        &log("after"),
        120,
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    assert!(ran.stderr.contains("resuming from"), "{}", ran.stderr);
    assert_verified(&db.verify(&data, 0));
    assert_no_change_logged_twice(&warehouse).await;
}

// ------------------------------------------------------------------------
// 5. an unreadable checkpoint table

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_checkpoint_table_is_an_error_not_a_new_snapshot() {
    let _timed = Timed::start("unreadable_checkpoint_table_is_an_error_not_a_new_snapshot");
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = |n: &str| dir.path().join(format!("{n}.log"));
    let writer = PgWriter::new(db.connect().await);
    ddl::create_tables(writer.client()).await.unwrap();
    let mut sim = Simulator::new(small_config(45)).unwrap();
    write_until(&writer, &mut sim, 300).await;
    let ran = run_logged(
        db.ingest(&data, &["--exit-when-idle", "2"]),
        &log("first"),
        120,
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    // changes a working ingest would stream and confirm
    write_until(&writer, &mut sim, 400).await;
    let c = db.connect().await;
    let slot = slot_state(&c, &db.name).await.expect("the slot exists");
    let record_path = data.join("_crossdock/source.json");
    let record = std::fs::read(&record_path).unwrap();

    let log_dir = data.join("_crossdock/checkpoints/_delta_log");
    let newest = std::fs::read_dir(&log_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .max()
        .unwrap_or_else(|| panic!("no commit in {}", log_dir.display()));
    eprintln!("corrupting {}", newest.display());
    std::fs::write(&newest, b"{ this is not a Delta commit \x00\xff\n").unwrap();

    let ran = run_logged(
        db.ingest(&data, &["--exit-when-idle", "2"]),
        &log("ingest"),
        20,
    );
    eprintln!("ingest: {}", ran.stderr.trim());
    assert!(!ran.status.success(), "ingest went on:\n{}", ran.stderr);
    assert!(
        ran.stderr.contains("checkpoint table"),
        "names the checkpoint table:\n{}",
        ran.stderr
    );
    assert_eq!(retries(&ran.stderr), 0, "not retried:\n{}", ran.stderr);
    for planned in ["initial snapshot", "new snapshot", "taken again", "copying"] {
        assert!(
            !ran.stderr.contains(planned),
            "no snapshot was planned:\n{}",
            ran.stderr
        );
    }
    assert_eq!(
        slot_state(&c, &db.name).await,
        Some(slot),
        "the slot is neither recreated nor advanced"
    );
    assert_eq!(
        std::fs::read(&record_path).unwrap(),
        record,
        "_crossdock/source.json is unchanged"
    );

    let mut kpi = crossdock();
    kpi.arg("--data").arg(&data).arg("kpi");
    let ran = run_logged(kpi, &log("kpi"), 60);
    eprintln!("kpi: {}", ran.stderr.trim());
    assert!(
        !ran.status.success(),
        "kpi printed numbers from a warehouse whose checkpoint table cannot be read:\n{}",
        ran.stdout
    );
    assert!(
        ran.stderr.contains("checkpoints"),
        "names the checkpoint table:\n{}",
        ran.stderr
    );
}

// ------------------------------------------------------------------------
// 6. the slot dropped and created again under the same name

/// A slot of the same name created behind ingest's back starts after the
/// changes made while there was none: streaming from it would skip them
/// silently. crossdock never lets its own slot be confirmed past what the
/// warehouse recorded, so a slot further ahead is recognised as another one
/// and refused; `--resnapshot` brings the missed change in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slot_recreated_under_the_same_name_is_refused_not_streamed() {
    let _timed = Timed::start("slot_recreated_under_the_same_name_is_refused_not_streamed");
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = |n: &str| dir.path().join(format!("ingest-{n}.log"));
    let c = db.connect().await;
    let writer = PgWriter::new(db.connect().await);
    ddl::create_tables(writer.client()).await.unwrap();
    let mut sim = Simulator::new(small_config(45)).unwrap();
    write_until(&writer, &mut sim, 200).await;
    let ran = run_logged(
        db.ingest(&data, &["--exit-when-idle", "2"]),
        &log("first"),
        120,
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    let warehouse = Warehouse::open(data.to_str().unwrap()).unwrap();
    let position = warehouse.resume_position().await.unwrap();

    c.batch_execute(&format!("SELECT pg_drop_replication_slot('{}')", db.name))
        .await
        .unwrap();
    c.batch_execute(
        "INSERT INTO ir_property (id, name, fields_id, type, value_text) VALUES \
         (900001, 'while there was no slot', 1, 'char', 'a')",
    )
    .await
    .unwrap();
    c.batch_execute(&format!(
        "SELECT pg_create_logical_replication_slot('{}', 'pgoutput')",
        db.name
    ))
    .await
    .unwrap();
    c.batch_execute(
        "INSERT INTO ir_property (id, name, fields_id, type, value_text) VALUES \
         (900002, 'after the new slot', 1, 'char', 'b')",
    )
    .await
    .unwrap();

    let ran = run_logged(
        db.ingest(&data, &["--exit-when-idle", "2"]),
        &log("refused"),
        20,
    );
    assert!(
        !ran.status.success(),
        "ingest streamed from a slot that skipped a change:\n{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("not the slot") && ran.stderr.contains("--resnapshot"),
        "{}",
        ran.stderr
    );
    assert_eq!(retries(&ran.stderr), 0, "not retried:\n{}", ran.stderr);
    assert_eq!(warehouse.resume_position().await.unwrap(), position);

    let ran = run_logged(
        db.ingest(&data, &["--resnapshot", "--exit-when-idle", "2"]),
        &log("resnapshot"),
        120,
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    assert_verified(&db.verify(&data, 0));
    assert_eq!(
        warehouse_count(
            &warehouse,
            "SELECT count(*) FROM ir_property WHERE id > 900000"
        )
        .await,
        2,
        "the change made while there was no slot is there"
    );
}
