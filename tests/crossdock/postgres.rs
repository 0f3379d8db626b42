//! Change-data capture from a real PostgreSQL with `wal_level = logical`
//! (CI prepares it with `.ci/pg-setup`; elsewhere, without one reachable,
//! these tests skip loudly). Each test makes its own database
//! `crossdock_test_<random>` and a slot of the same name, and drops both.
//!
//! - snapshot, then stream while the simulator writes, equals PostgreSQL
//!   (`crossdock verify`) and the simulator's own final state; SIGTERM stops
//!   `ingest` cleanly;
//! - every column type round-trips exactly (38-digit numerics, NULLs, empty
//!   and non-ASCII text, µs timestamps, NaN / ±Infinity, bytea), in the
//!   snapshot and in the stream; deletes, truncates, an unchanged TOASTed
//!   value, a column added mid-stream;
//! - `kill -9` of `ingest` many times while the simulator writes: equal in
//!   the end, and no change logged twice;
//! - the slot advances while only an untracked table is written;
//! - PostgreSQL restarted (fast) and crashed (immediate) while `ingest`
//!   streams, on a throwaway cluster of the test's own (`initdb`/`pg_ctl`):
//!   `ingest` reconnects, and the tables end up equal, nothing doubled.
//!
//! `CROSSDOCK_TEST_POSTGRES` overrides the server (default
//! `postgresql://postgres@127.0.0.1:5432/postgres`).

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Decimal128Type, Float64Type, Int32Type, TimestampMicrosecondType};
use crossdock_ingest::postgres::{ddl, PgUrl, PgWriter};
use crossdock_simulator::Simulator;
use crossdock_warehouse::Warehouse;
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::common::{crossdock, require_tool, small_config};

pub(crate) fn server_url() -> String {
    std::env::var("CROSSDOCK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".into())
}

/// A throwaway database and slot name; dropped (slot first) on drop.
pub(crate) struct TestDb {
    pub(crate) name: String,
    pub(crate) server: PgUrl,
    pub(crate) url: String,
}

async fn logical_available(server: &PgUrl) -> bool {
    match server.connect().await {
        Ok(c) => match c.simple_query("SHOW wal_level").await {
            Ok(rows) => rows.iter().any(|m| match m {
                tokio_postgres_row::Row(r) => r.get(0) == Some("logical"),
                _ => false,
            }),
            Err(_) => false,
        },
        Err(_) => false,
    }
}

// tokio-postgres is not a direct dependency of the tests: name its row type
// through the message enum the client returns.
pub(crate) mod tokio_postgres_row {
    pub use crossdock_ingest::postgres::SimpleQueryMessage::Row;
}

impl TestDb {
    pub(crate) async fn create() -> Option<TestDb> {
        let server = PgUrl::parse(&server_url()).expect("valid CROSSDOCK_TEST_POSTGRES");
        let ok = logical_available(&server).await;
        if !require_tool("PostgreSQL with wal_level=logical (run .ci/pg-setup)", ok) {
            return None;
        }
        let name = format!("crossdock_test_{:016x}", rand::random::<u64>());
        let admin = server.connect().await.unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let db_url = server.with_dbname(&name);
        let _ = db_url;
        let url = format!("{}/{name}", server_url().rsplit_once('/').unwrap().0);
        Some(TestDb { name, server, url })
    }

    pub(crate) async fn connect(&self) -> crossdock_ingest::postgres::Client {
        self.server.with_dbname(&self.name).connect().await.unwrap()
    }

    pub(crate) fn ingest(&self, data: &Path, extra: &[&str]) -> Command {
        let mut c = crossdock();
        c.arg("--data")
            .arg(data)
            .arg("ingest")
            .args(["--postgres", &self.url, "--slot", &self.name])
            .args(["--publication", &self.name, "--status-every", "0"])
            .args(["--max-delay-ms", "200"])
            .args(extra);
        c
    }

    pub(crate) fn verify(&self, data: &Path, wait_secs: u32) -> Output {
        crossdock()
            .arg("--data")
            .arg(data)
            .arg("verify")
            .args(["--postgres", &self.url, "--wait", &wait_secs.to_string()])
            .output()
            .unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        // a thread of its own: the test may be inside a runtime
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let Ok(c) = server.connect().await else {
                    return;
                };
                for _ in 0..50 {
                    let r = c
                        .simple_query(&format!(
                            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                             WHERE slot_name = '{name}' AND NOT active"
                        ))
                        .await;
                    let left = c
                        .simple_query(&format!(
                            "SELECT 1 FROM pg_replication_slots WHERE slot_name = '{name}'"
                        ))
                        .await
                        .map(|m| m.iter().any(|x| matches!(x, tokio_postgres_row::Row(_))))
                        .unwrap_or(false);
                    if r.is_ok() && !left {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                let _ = c
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            })
        })
        .join();
    }
}

/// A running `crossdock ingest`, killed if the test fails first.
pub(crate) struct Running(pub(crate) Option<Child>);

impl Running {
    pub(crate) fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("running")
    }

    /// SIGTERM, then its exit status and stderr.
    pub(crate) fn terminate(mut self) -> (std::process::ExitStatus, String) {
        sigterm(self.child());
        let status = wait_with_timeout(self.child(), 60);
        (status, stderr_of(self.0.take().expect("running")))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub(crate) fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM");
}

pub(crate) fn wait_with_timeout(child: &mut Child, secs: u64) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if t.elapsed() > Duration::from_secs(secs) {
            child.kill().unwrap();
            panic!("crossdock ingest did not stop within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) fn stderr_of(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(crate) fn assert_verified(out: &Output) {
    assert!(
        out.status.success(),
        "crossdock verify found differences:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes simulator transactions to PostgreSQL until `until` of them were written.
pub(crate) async fn write_until(writer: &PgWriter, sim: &mut Simulator, until: u64) -> u64 {
    let mut n = 0;
    while sim.position() < until {
        let Some(tx) = sim.next_transaction() else {
            break;
        };
        writer.apply(&tx, "").await.unwrap();
        n += 1;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_then_stream_equals_the_source() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let writer = PgWriter::new(db.connect().await);
    ddl::create_tables(writer.client()).await.unwrap();
    let mut sim = Simulator::new(small_config(21)).unwrap();
    // master data and the first days: copied by the snapshot
    write_until(&writer, &mut sim, 300).await;
    let child = db
        .ingest(&data, &["--chunk-rows", "100"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let child = Running(Some(child));
    // the rest while ingest runs: streamed; halfway, the server ends the
    // replication session (as a restart or a network cut would): ingest
    // reconnects from the warehouse's position
    let mut streamed = write_until(&writer, &mut sim, 600).await;
    let admin = db.connect().await;
    let t = Instant::now();
    loop {
        let rows = admin
            .simple_query(&format!(
                "SELECT pg_terminate_backend(active_pid)::text FROM pg_replication_slots \
                 WHERE slot_name = '{}' AND active",
                db.name
            ))
            .await
            .unwrap();
        if rows.iter().any(|m| matches!(m, tokio_postgres_row::Row(_))) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "ingest never started streaming"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    streamed += write_until(&writer, &mut sim, u64::MAX).await;
    assert!(
        streamed > 100,
        "the simulation should go on after the snapshot"
    );
    let out = db.verify(&data, 120);
    assert_verified(&out);
    let (status, err) = child.terminate();
    assert!(status.success(), "ingest after SIGTERM: {status}\n{err}");
    assert!(err.contains("snapshot copied"), "{err}");
    assert!(err.contains("reconnecting"), "{err}");
    assert!(err.contains("ingested"), "{err}");
    // and PostgreSQL, so the warehouse, equals the simulator's own state
    let warehouse = Warehouse::open(data.to_str().unwrap()).unwrap();
    assert_equals_simulator(&warehouse, &sim).await;
    // the slot is confirmed up to what the warehouse holds, never further
    let resume = warehouse.resume_position().await.unwrap();
    let rows = admin
        .simple_query(&format!(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '{}'",
            db.name
        ))
        .await
        .unwrap();
    let confirmed = rows
        .iter()
        .find_map(|m| match m {
            tokio_postgres_row::Row(r) => r.get(0).and_then(crossdock_ingest::postgres::parse_lsn),
            _ => None,
        })
        .unwrap();
    assert!(
        confirmed >= resume,
        "slot confirmed {confirmed}, warehouse {resume}"
    );
}

const EDGE_ROWS: &str = r#"
INSERT INTO uom_category (id, name) VALUES
  (1, '{"en_US": "Unit", "de_DE": "Stück ä € 日本"}'), (2, '{}'), (3, '{"en_US": ""}');
INSERT INTO uom_uom (id, name, category_id, uom_type, factor, rounding, active, create_date) VALUES
  (1, '{"en_US": "Big"}', 1, 'reference', 1234567890123456789012345678.1234567891, 0.0000000001, true, '2026-01-05 10:11:12.123456'),
  (2, '{"en_US": "Neg"}', 1, 'smaller', -9999999999999999999999999999.9999999999, 0, false, '1970-01-01 00:00:00'),
  (3, '{"en_US": "Nulls"}', 2, '', 1, 1, NULL, NULL);
INSERT INTO ir_property (id, name, res_id, fields_id, value_float, value_integer, value_text, value_binary, value_datetime, type) VALUES
  (1, 'nan', NULL, 1, 'NaN', -2147483648, '', '\x00ff00', '1999-12-31 23:59:59.999999', 'float'),
  (2, 'inf', 'quote''s \ back', 1, 'Infinity', 2147483647, 'line
break	tab', '\x', '2038-01-19 03:14:08', 'float'),
  (3, 'ninf', 'ü', 1, '-Infinity', 0, NULL, NULL, NULL, 'float'),
  (4, 'tiny', NULL, 1, 4.9e-324, NULL, 'x', NULL, '2026-02-28 23:59:59.000001', 'float'),
  (5, 'negzero', NULL, 1, '-0', NULL, NULL, NULL, NULL, 'float');
"#;

/// The same kinds of values, with other ids (written while streaming).
fn edge_rows_shifted(by: i64) -> String {
    let mut s = EDGE_ROWS.to_string();
    for (table, ids) in [
        ("uom_category", 1..=3),
        ("uom_uom", 1..=3),
        ("ir_property", 1..=5),
    ] {
        let _ = table;
        for id in ids.rev() {
            s = s.replace(&format!("\n  ({id}, "), &format!("\n  ({}, ", id + by));
            s = s.replace(&format!(", ({id}, "), &format!(", ({}, ", id + by));
        }
    }
    // uom rows refer to categories 1 and 2
    s.replace(", 1, 'reference'", &format!(", {}, 'reference'", 1 + by))
        .replace(", 1, 'smaller'", &format!(", {}, 'smaller'", 1 + by))
        .replace(", 2, '', 1, 1", &format!(", {}, '', 1, 1", 2 + by))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_round_trips_and_deletes_truncates_toast_and_new_columns_stream() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = db.connect().await;
    ddl::create_tables(&c).await.unwrap();
    c.batch_execute(EDGE_ROWS).await.unwrap();
    // snapshot only
    let out = db
        .ingest(&data, &["--exit-when-idle", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_verified(&db.verify(&data, 0));
    let child = Running(Some(
        db.ingest(&data, &[])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    c.batch_execute(&edge_rows_shifted(100)).await.unwrap();
    // an incompressible 8 kB value lives out of line (TOAST); an update that
    // does not touch it does not send it
    for sql in [
        "INSERT INTO ir_property (id, name, fields_id, type, value_text) \
         SELECT 200, 'toast', 1, 'text', string_agg(md5(i::text), '') FROM generate_series(1, 250) i",
        "UPDATE ir_property SET value_integer = 42 WHERE id = 200",
        "ALTER TABLE ir_property REPLICA IDENTITY FULL",
        "INSERT INTO ir_property (id, name, fields_id, type, value_text) \
         SELECT 201, 'toast-full', 1, 'text', string_agg(md5((-i)::text), '') FROM generate_series(1, 250) i",
        "UPDATE ir_property SET value_integer = 43 WHERE id = 201",
        "UPDATE uom_uom SET factor = 0.5, active = NULL WHERE id = 101",
        "DELETE FROM uom_uom WHERE id = 3",
        "DELETE FROM uom_category WHERE id = 3",
        "UPDATE uom_category SET name = '{\"en_US\": \"renamed\"}' WHERE id = 2",
    ] {
        c.batch_execute(sql).await.unwrap();
    }
    // schema evolution: columns added mid-stream, one of them in the same
    // transaction as rows that use it
    // ingest is streaming (it has everything so far) before the columns are
    // added, so they arrive by Relation messages, not by set-up
    assert_verified(&db.verify(&data, 90));
    for sql in [
        "ALTER TABLE uom_category ADD COLUMN note text",
        "INSERT INTO uom_category (id, name, note) VALUES (50, '{}', 'added mid-stream')",
        "BEGIN; ALTER TABLE uom_category ADD COLUMN weight numeric(12,3); \
         UPDATE uom_category SET weight = 1234.5 WHERE id = 50; \
         INSERT INTO uom_category (id, name, weight) VALUES (51, '{}', -0.001); COMMIT;",
    ] {
        c.batch_execute(sql).await.unwrap();
    }
    c.batch_execute(
        "ALTER TABLE uom_uom DROP COLUMN rounding; \
         INSERT INTO uom_uom (id, name, category_id, uom_type, factor) VALUES (60, '{}', 50, 'x', 2);",
    )
    .await
    .unwrap();
    assert_verified(&db.verify(&data, 90));
    // exact values, read back from the warehouse independently of verify's decoder
    let warehouse = Warehouse::open(data.to_str().unwrap()).unwrap();
    let b = warehouse
        .sql("SELECT id, rounding FROM uom_uom WHERE id IN (1, 60) ORDER BY id")
        .await
        .unwrap();
    let b = arrow::compute::concat_batches(&b[0].schema(), &b).unwrap();
    let r = b.column(1).as_primitive::<Decimal128Type>();
    assert_eq!(
        r.value(0),
        1,
        "rows written before the drop keep their value"
    );
    assert!(r.is_null(1), "rows written after the drop have NULL");
    let b = warehouse
        .sql("SELECT id, note, CAST(weight AS VARCHAR) FROM uom_category ORDER BY id")
        .await
        .unwrap();
    let b = arrow::compute::concat_batches(&b[0].schema(), &b).unwrap();
    let rows: Vec<(i32, Option<String>, Option<String>)> = (0..b.num_rows())
        .map(|i| {
            let s = |c: usize| {
                let col =
                    arrow::compute::cast(b.column(c), &arrow::datatypes::DataType::Utf8).unwrap();
                (!col.is_null(i)).then(|| col.as_string::<i32>().value(i).to_string())
            };
            (b.column(0).as_primitive::<Int32Type>().value(i), s(1), s(2))
        })
        .collect();
    let (added, before): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.0 == 50 || r.0 == 51);
    assert_eq!(before.len(), 5, "ids 1, 2, 101, 102, 103: {rows:?}");
    assert!(
        before.iter().all(|r| r.1.is_none() && r.2.is_none()),
        "rows written before the columns existed have NULL: {rows:?}"
    );
    assert_eq!(
        added,
        [
            &(50, Some("added mid-stream".into()), Some("1234.500".into())),
            &(51, None, Some("-0.001".into()))
        ],
        "added columns carry their values exactly"
    );
    let b = warehouse
        .sql("SELECT count(*) FROM changes_uom_category WHERE note IS NOT NULL OR weight IS NOT NULL")
        .await
        .unwrap();
    assert_eq!(
        b[0].column(0)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(0),
        3,
        "the change log has the added columns too"
    );
    let b = warehouse
        .sql("SELECT id, factor FROM uom_uom WHERE id IN (1, 2, 101, 102) ORDER BY id")
        .await
        .unwrap();
    let ids = b[0].column(0).as_primitive::<Int32Type>();
    let f = b[0].column(1).as_primitive::<Decimal128Type>();
    let got: Vec<(i32, i128)> = (0..b[0].num_rows())
        .map(|i| (ids.value(i), f.value(i)))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 12345678901234567890123456781234567891),
            (2, -99999999999999999999999999999999999999),
            (101, 5_000_000_000),
            (102, -99999999999999999999999999999999999999),
        ]
    );
    let b = warehouse
        .sql(
            "SELECT id, value_float, value_text, value_binary, value_datetime, res_id, value_integer \
             FROM ir_property ORDER BY id",
        )
        .await
        .unwrap();
    let b = arrow::compute::concat_batches(&b[0].schema(), &b).unwrap();
    let ids: Vec<i32> = b.column(0).as_primitive::<Int32Type>().values().to_vec();
    assert_eq!(ids, vec![1, 2, 3, 4, 5, 101, 102, 103, 104, 105, 200, 201]);
    let fl = b.column(1).as_primitive::<Float64Type>();
    for base in [0, 5] {
        assert!(fl.value(base).is_nan());
        assert_eq!(fl.value(base + 1), f64::INFINITY);
        assert_eq!(fl.value(base + 2), f64::NEG_INFINITY);
        assert_eq!(fl.value(base + 3), 4.9e-324);
    }
    for i in [4, 9] {
        assert!(
            fl.value(i).is_sign_negative() && fl.value(i) == 0.0,
            "-0 keeps its sign"
        );
    }
    let text = |i: usize| -> Option<String> {
        let col = b.column(2);
        (!col.is_null(i)).then(|| match col.data_type() {
            arrow::datatypes::DataType::Utf8View => col.as_string_view().value(i).to_string(),
            _ => col.as_string::<i32>().value(i).to_string(),
        })
    };
    for base in [0, 5] {
        assert_eq!(text(base).as_deref(), Some(""), "empty string, not NULL");
        assert_eq!(text(base + 1).as_deref(), Some("line\nbreak\ttab"));
        assert_eq!(text(base + 2), None);
    }
    let toast: String = (1..=250)
        .map(|i| format!("{:032x}", md5_of(&i.to_string())))
        .collect();
    assert!(
        text(10).as_deref() == Some(toast.as_str()),
        "unchanged TOAST value kept"
    );
    assert_eq!(text(11).map(|t| t.len()), Some(8000));
    let ts = b.column(4).as_primitive::<TimestampMicrosecondType>();
    assert_eq!(ts.value(0), 946_684_799_999_999);
    assert_eq!(ts.value(5), 946_684_799_999_999);
    assert_eq!(ts.value(3), 1_772_323_199_000_001);
    let bin = b.column(3);
    let bytes = |i: usize| match bin.data_type() {
        arrow::datatypes::DataType::BinaryView => bin.as_binary_view().value(i).to_vec(),
        _ => bin.as_binary::<i32>().value(i).to_vec(),
    };
    assert_eq!(bytes(0), vec![0, 255, 0]);
    assert_eq!(bytes(1), Vec::<u8>::new());
    assert!(bin.is_null(2));
    let res = b.column(5);
    let res_id = |i: usize| match res.data_type() {
        arrow::datatypes::DataType::Utf8View => res.as_string_view().value(i).to_string(),
        _ => res.as_string::<i32>().value(i).to_string(),
    };
    assert_eq!(res_id(1), "quote's \\ back");
    assert_eq!(res_id(7), "ü");

    // a truncate inside a transaction, between a delete and an insert; an
    // untracked table truncated with it
    c.batch_execute(
        "CREATE TABLE stray (id int PRIMARY KEY); INSERT INTO stray VALUES (1);
         BEGIN; DELETE FROM ir_property WHERE id = 5; TRUNCATE ir_property, stray;
         INSERT INTO ir_property (id, name, fields_id, type) VALUES (7, 'after', 1, 'char'); COMMIT;",
    )
    .await
    .unwrap();
    assert_verified(&db.verify(&data, 90));
    let b = warehouse.sql("SELECT id FROM ir_property").await.unwrap();
    let ids: Vec<i32> = b
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Int32Type>().values().to_vec())
        .collect();
    assert_eq!(
        ids,
        vec![7],
        "the truncate emptied the table before the insert"
    );
    let (status, err) = child.terminate();
    assert!(status.success(), "{err}");
    assert!(
        err.contains("columns added in PostgreSQL") && err.contains("note"),
        "the column added in PostgreSQL is reported: {err}"
    );
    // a restarted ingest knows the added columns from PostgreSQL's catalog
    // and from the Delta tables; a third column added while it was down
    // arrives too
    for sql in [
        "ALTER TABLE uom_category ADD COLUMN shelf_days int4",
        "UPDATE uom_category SET note = 'after restart', shelf_days = 7 WHERE id = 1",
    ] {
        c.batch_execute(sql).await.unwrap();
    }
    let out = db
        .ingest(&data, &["--exit-when-idle", "2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_verified(&db.verify(&data, 0));
    let b = warehouse
        .sql("SELECT CAST(note AS VARCHAR), shelf_days FROM uom_category WHERE id = 1")
        .await
        .unwrap();
    let note = arrow::compute::cast(b[0].column(0), &arrow::datatypes::DataType::Utf8).unwrap();
    assert_eq!(note.as_string::<i32>().value(0), "after restart");
    assert_eq!(b[0].column(1).as_primitive::<Int32Type>().value(0), 7);
}

/// MD5 of a text (to rebuild the TOAST test's value without PostgreSQL).
fn md5_of(s: &str) -> u128 {
    // RFC 1321, enough for short inputs
    let mut msg = s.as_bytes().to_vec();
    let bit_len = (msg.len() as u64) * 8;
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());
    let r: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let k: Vec<u32> = (0..64)
        .map(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32)
        .collect();
    let (mut a0, mut b0, mut c0, mut d0) =
        (0x67452301u32, 0xefcdab89u32, 0x98badcfeu32, 0x10325476u32);
    for chunk in msg.chunks(64) {
        let m: Vec<u32> = chunk
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f2 = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f2.rotate_left(r[i]));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (i, v) in [a0, b0, c0, d0].iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    u128::from_be_bytes(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_while_the_simulator_writes_then_equal() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let writer = PgWriter::new(db.connect().await);
    ddl::create_tables(writer.client()).await.unwrap();
    let mut sim = Simulator::new(small_config(5)).unwrap();
    write_until(&writer, &mut sim, 200).await;
    // the simulator goes on writing, paced, while ingest is killed again and again
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done2 = done.clone();
    let writing = tokio::spawn(async move {
        while let Some(tx) = sim.next_transaction() {
            writer.apply(&tx, "").await.unwrap();
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        done2.store(true, std::sync::atomic::Ordering::SeqCst);
        sim
    });
    let mut rng = StdRng::seed_from_u64(9);
    let flags = ["--chunk-rows", "200", "--batch-changes", "500"];
    let mut kills = 0;
    for round in 0..20 {
        let log = dir.path().join(format!("ingest-{round}.log"));
        let mut child = Running(Some(
            db.ingest(&data, &flags)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap(),
        ));
        let child = child.child();
        // the first kills land early (in or right after the snapshot)
        let ms = if round < 3 {
            rng.gen_range(300..1500)
        } else {
            rng.gen_range(500..3000)
        };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        match child.try_wait().unwrap() {
            None => {
                child.kill().unwrap(); // SIGKILL
                kills += 1;
            }
            Some(status) => panic!(
                "ingest ended by itself ({status}):\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
        }
        let _ = child.wait();
    }
    assert!(
        kills >= 14,
        "ingest should have been killed mid-run ({kills} kills)"
    );
    let sim = writing.await.unwrap();
    assert!(done.load(std::sync::atomic::Ordering::SeqCst));
    let mut flags_idle = flags.to_vec();
    flags_idle.extend(["--exit-when-idle", "2"]);
    let out = db.ingest(&data, &flags_idle).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_verified(&db.verify(&data, 30));
    let warehouse = Warehouse::open(data.to_str().unwrap()).unwrap();
    assert_equals_simulator(&warehouse, &sim).await;
    assert_no_change_logged_twice(&warehouse).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slot_advances_while_only_untracked_tables_are_written() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = db.connect().await;
    ddl::create_tables(&c).await.unwrap();
    c.batch_execute("CREATE TABLE noise (id serial PRIMARY KEY, payload text)")
        .await
        .unwrap();
    let child = Running(Some(
        db.ingest(&data, &[])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    // wait until streaming (the slot exists and is held)
    let t = Instant::now();
    while lsn_of(&c, &format!("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '{}' AND active", db.name)).await == 0 {
        assert!(t.elapsed() < Duration::from_secs(60), "ingest did not start streaming");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let start = lsn_of(&c, "SELECT pg_current_wal_lsn()::text").await;
    let t = Instant::now();
    let mut advanced = false;
    while t.elapsed() < Duration::from_secs(30) {
        c.batch_execute(
            "INSERT INTO noise (payload) SELECT repeat('n', 200) FROM generate_series(1, 2000)",
        )
        .await
        .unwrap();
        let confirmed = lsn_of(
            &c,
            &format!(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '{}'",
                db.name
            ),
        )
        .await;
        if confirmed > start + (1 << 20) {
            advanced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, err) = child.terminate();
    assert!(status.success(), "{err}");
    assert!(advanced, "the slot's confirmed position stayed behind while only an untracked table was written:\n{err}");
}

/// The warehouse equals the simulator's final state, row for row; `jsonb`
/// values compare as JSON (PostgreSQL normalizes their text).
/// Exactly once: no change appears twice in any change log.
pub(crate) async fn assert_no_change_logged_twice(warehouse: &Warehouse) {
    for def in warehouse.catalog().tables() {
        let b = warehouse
            .sql(&format!(
                "SELECT count(*) FROM (SELECT _position, _seq FROM changes_{} \
                 GROUP BY _position, _seq HAVING count(*) > 1)",
                def.name
            ))
            .await
            .unwrap();
        let dups = b[0]
            .column(0)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(0);
        assert_eq!(dups, 0, "{}: changes logged twice", def.name);
    }
}

pub(crate) async fn assert_equals_simulator(warehouse: &Warehouse, sim: &Simulator) {
    use crossdock_change::{PgType, Value};
    let json = |v: &Value| match v {
        Value::Text(t) => serde_json::from_str::<serde_json::Value>(t).ok(),
        _ => None,
    };
    let mut tables = 0;
    for def in warehouse.catalog().tables() {
        let got = crate::common::current_rows(warehouse, def).await;
        let want = sim
            .final_state()
            .get(&def.name)
            .cloned()
            .unwrap_or_default();
        assert_eq!(got.len(), want.len(), "{}: row count", def.name);
        for (key, row) in &want {
            let have = got
                .get(key)
                .unwrap_or_else(|| panic!("{}: row {key:?} missing", def.name));
            for (ci, c) in def.columns.iter().enumerate() {
                let w = crate::common::normalize(&row[ci]);
                if c.pg_type == PgType::Jsonb {
                    assert_eq!(json(&have[ci]), json(&w), "{} {key:?} {}", def.name, c.name);
                } else {
                    assert_eq!(have[ci], w, "{} {key:?} {}", def.name, c.name);
                }
            }
        }
        tables += !want.is_empty() as usize;
    }
    assert!(tables >= 20, "only {tables} tables had rows");
}

pub(crate) async fn lsn_of(c: &crossdock_ingest::postgres::Client, sql: &str) -> u64 {
    c.simple_query(sql)
        .await
        .unwrap()
        .iter()
        .find_map(|m| match m {
            tokio_postgres_row::Row(r) => r.get(0).and_then(crossdock_ingest::postgres::parse_lsn),
            _ => None,
        })
        .unwrap_or(0)
}

/// A PostgreSQL cluster of the test's own, made with the server binaries
/// (`initdb`, `pg_ctl`), so it can be restarted without disturbing the
/// tests that share the machine's cluster. Stopped and removed on drop.
pub(crate) struct OwnCluster {
    pub(crate) dir: std::path::PathBuf,
    pub(crate) bin: std::path::PathBuf,
    pub(crate) port: u16,
    /// The superuser's password when started by
    /// [`OwnCluster::start_with_password`] (TCP connections then need it).
    pub(crate) password: Option<String>,
}

impl OwnCluster {
    fn bin_dir() -> Option<std::path::PathBuf> {
        let from_pg_config = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .map(|o| std::path::PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        let debian = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")));
        from_pg_config
            .into_iter()
            .chain(debian)
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    }

    /// Runs a server binary as the `postgres` user when the test runs as
    /// root (initdb and postgres refuse to run as root).
    pub(crate) fn run(&self, tool: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(tool);
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let mut c = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        c.args(args).output().unwrap()
    }

    fn options(&self) -> String {
        format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c wal_level=logical \
             -c max_wal_senders=5 -c max_replication_slots=5 -c fsync=off",
            self.port,
            self.dir.display()
        )
    }

    pub(crate) fn start() -> Option<OwnCluster> {
        Self::start_with(None)
    }

    /// Like [`OwnCluster::start`], with password authentication
    /// (scram-sha-256) on TCP and `password` for `postgres`; Unix-socket
    /// connections stay trusted.
    pub(crate) fn start_with_password(password: &str) -> Option<OwnCluster> {
        Self::start_with(Some(password))
    }

    fn start_with(password: Option<&str>) -> Option<OwnCluster> {
        let bin = Self::bin_dir();
        if !require_tool("PostgreSQL server binaries (initdb, pg_ctl)", bin.is_some()) {
            return None;
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let dir = std::env::temp_dir().join(format!("crossdock-pg-{:016x}", rand::random::<u64>()));
        let cluster = OwnCluster {
            dir: dir.clone(),
            bin: bin.unwrap(),
            port,
            password: password.map(str::to_string),
        };
        // made by the user the server runs as (the test may run as root)
        let mk = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "mkdir -m 700 {d} && (id -u | grep -qx 0 && chown postgres {d} || true)",
                d = dir.display()
            ))
            .status()
            .unwrap();
        assert!(mk.success());
        let d = dir.to_str().unwrap();
        let mut args = vec!["-D", d, "-U", "postgres", "-E", "UTF8", "--no-sync"];
        // the password file must be readable by the server's user, outside
        // the (empty) data directory; removed once initdb has read it
        let pwfile =
            std::env::temp_dir().join(format!("crossdock-pw-{:016x}", rand::random::<u64>()));
        let pwfile_arg = format!("--pwfile={}", pwfile.display());
        match password {
            None => args.push("--auth=trust"),
            Some(pw) => {
                std::fs::write(&pwfile, format!("{pw}\n")).unwrap();
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o644)).unwrap();
                args.extend([
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    &pwfile_arg,
                ]);
            }
        }
        let out = cluster.run("initdb", &args);
        let _ = std::fs::remove_file(&pwfile);
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.pg_ctl("start");
        Some(cluster)
    }

    pub(crate) fn pg_ctl(&self, action: &str) {
        let log = self.dir.join("server.log");
        let opts = self.options();
        let mut args = vec!["-D", self.dir.to_str().unwrap(), "-w", "-t", "60"];
        if action != "start" {
            args.extend(["-m", "fast"]);
        }
        if action != "stop" {
            args.extend(["-o", &opts, "-l", log.to_str().unwrap()]);
        }
        args.push(action);
        let out = self.run("pg_ctl", &args);
        assert!(
            out.status.success(),
            "pg_ctl {action}: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    pub(crate) fn url(&self) -> String {
        match &self.password {
            None => format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port),
            Some(pw) => format!(
                "postgresql://postgres:{pw}@127.0.0.1:{}/postgres",
                self.port
            ),
        }
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &["-D", self.dir.to_str().unwrap(), "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_restarted_mid_stream_then_equal() {
    let Some(cluster) = OwnCluster::start() else {
        return;
    };
    let url = cluster.url();
    let pg = PgUrl::parse(&url).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut writer = PgWriter::new(pg.connect().await.unwrap());
    ddl::create_tables(writer.client()).await.unwrap();
    let mut sim = Simulator::new(small_config(33)).unwrap();
    write_until(&writer, &mut sim, 150).await;
    let ingest = |extra: &[&str]| {
        let mut c = crossdock();
        c.arg("--data")
            .arg(&data)
            .arg("ingest")
            .args([
                "--postgres",
                &url,
                "--status-every",
                "0",
                "--max-delay-ms",
                "200",
            ])
            .args(extra);
        c
    };
    let child = Running(Some(ingest(&[]).stderr(Stdio::piped()).spawn().unwrap()));
    let mut written = 150;
    // a clean restart (fast shutdown), then a crash (immediate: no shutdown
    // checkpoint, the slot may come back at an older confirmed position),
    // each while ingest streams and with writes before and after
    for (round, mode) in ["fast", "immediate"].into_iter().enumerate() {
        written += 150;
        write_until(&writer, &mut sim, written).await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        let d = cluster.dir.to_str().unwrap().to_string();
        let out = cluster.run("pg_ctl", &["-D", &d, "-m", mode, "-w", "stop"]);
        assert!(out.status.success(), "stop {mode}: {:?}", out);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        cluster.pg_ctl("start");
        writer = PgWriter::new(pg.connect().await.unwrap());
        written += 150;
        write_until(&writer, &mut sim, written).await;
        eprintln!("restart {round} ({mode}) done, {written} transactions written");
    }
    write_until(&writer, &mut sim, u64::MAX).await;
    let out = crossdock()
        .arg("--data")
        .arg(&data)
        .arg("verify")
        .args(["--postgres", &url, "--wait", "120"])
        .output()
        .unwrap();
    assert_verified(&out);
    let (status, err) = child.terminate();
    assert!(status.success(), "ingest after SIGTERM: {status}\n{err}");
    assert!(
        err.matches("reconnecting").count() >= 2,
        "ingest reconnected after each restart: {err}"
    );
    let warehouse = Warehouse::open(data.to_str().unwrap()).unwrap();
    assert_equals_simulator(&warehouse, &sim).await;
    assert_no_change_logged_twice(&warehouse).await;
}
