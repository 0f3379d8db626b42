//! `crossdock triage split|train|eval|classify` as a user runs them: awkward
//! hand-made e-mails (HTML only, Latin-1 quoted-printable, a forwarded
//! chain, the reference only in the subject, an invoice number only in an
//! attachment's name, a cancellation under a long quoted history, an mbox,
//! a file that is no e-mail), the held-out figures on bitext-dev
//! (shared data), and the demo's inbox: deterministic, readable, its
//! references real documents of the warehouse, classified into
//! `derived/triage_message` (read back by Python's `deltalake`) with the
//! goal's figures measured, corrections fed to the next training.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::common::{crossdock, in_ci, require_tool};

/// A small labelled set in crossdock's own categories.
fn tiny_csv(dir: &Path) -> PathBuf {
    let rows: [(&str, [&str; 8]); 5] = [
        (
            "order change or cancellation",
            [
                "please cancel my order",
                "cancel the order we placed yesterday",
                "we need to cancel this order, sorry",
                "change the quantity on my order to 20",
                "can you cancel order and refund",
                "please change the delivery address of the order",
                "we no longer need it, cancel it please",
                "amend our order, remove two lines",
            ],
        ),
        (
            "order status",
            [
                "where is my delivery",
                "when will my order arrive",
                "has my order shipped yet",
                "tracking number for my shipment please",
                "status of our order?",
                "the delivery is late, when does it come",
                "is the shipment on its way",
                "any update on the delivery date",
            ],
        ),
        (
            "invoice question or dispute",
            [
                "the invoice amount is wrong",
                "we were charged twice on the invoice",
                "please send a copy of the invoice",
                "invoice price does not match the quote",
                "question about your invoice",
                "the bill has a wrong VAT number",
                "dispute of invoice total",
                "credit note missing on invoice",
            ],
        ),
        (
            "damaged goods",
            [
                "the goods arrived damaged",
                "boxes were crushed and broken",
                "two items are broken",
                "damaged in transit, see photos",
                "the pallet was wet and the product ruined",
                "received broken parts",
                "packaging torn, contents damaged",
                "Die Ware ist beschädigt angekommen",
            ],
        ),
        (
            "quote request",
            [
                "please send us a quote for 200 units",
                "could you quote your best price",
                "request for quotation attached",
                "what is your price for 50 boxes",
                "we would like an offer for these items",
                "pricing for a yearly volume please",
                "quote needed for the following parts",
                "can we get a price list and quote",
            ],
        ),
    ];
    let mut csv = String::from("text,label\n");
    for (label, texts) in rows {
        for t in texts {
            csv.push_str(&format!("\"{t}\",{label}\n"));
        }
    }
    let p = dir.join("tiny.csv");
    std::fs::write(&p, csv).unwrap();
    p
}

fn train(input: &Path, text: &str, label: &str, out: &Path) {
    let o = crossdock()
        .args(["triage", "train", "--input"])
        .arg(input)
        .args(["--text-column", text, "--label-column", label, "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "train failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn classify(model: &Path, files: &[&Path]) -> Vec<Json> {
    let o = crossdock()
        .args(["triage", "classify", "--json", "--model"])
        .arg(model)
        .args(files)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "classify failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn refs(v: &Json) -> Vec<(String, String, String)> {
    v["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["value"].as_str().unwrap().to_string(),
                r["location"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn r(kind: &str, value: &str, location: &str) -> (String, String, String) {
    (kind.into(), value.into(), location.into())
}

#[test]
fn awkward_mails_are_read_routed_and_their_references_found() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train(&tiny_csv(dir.path()), "text", "label", &model);
    let meta: Json =
        serde_json::from_str(&std::fs::read_to_string(model.join("model.json")).unwrap()).unwrap();
    assert_eq!(meta["format"], "crossdock-triage-linear");
    assert_eq!(meta["version"], 1);

    let write = |name: &str, body: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let html = write(
        "html-only.eml",
        b"From: Buyer <buyer@acme.example>\r\nTo: orders@us.example\r\nSubject: delivery\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>.x{color:red}</style></head><body><p>Hello,</p><div>where is my delivery WH/OUT/00012? It is late, when will my order arrive?</div><div>Regards</div></body></html>\r\n",
    );
    let latin1 = write(
        "latin1-qp.eml",
        b"From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <jm@kunde.example>\r\nSubject: =?ISO-8859-1?Q?Besch=E4digte_Ware?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGuten Tag,\r\ndie Ware ist besch=E4digt angekommen, the goods arrived damaged and broken.=\r\n Lieferschein WH/OUT/00077.\r\n\r\nMit freundlichen Gr=FC=DFen\r\nJ=FCrgen M=FCller\r\n",
    );
    let forwarded = write(
        "forwarded.eml",
        b"From: rep@us.example\r\nSubject: Fwd: Fwd: order\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFYI\r\n\r\n---------- Forwarded message ---------\r\nFrom: Ana <ana@shop.example>\r\nDate: Mon, 2 Mar 2026\r\nSubject: Fwd: order\r\n\r\n---------- Forwarded message ---------\r\nFrom: Bo <bo@shop.example>\r\n\r\nPlease cancel our PO 4471-B, we no longer need it.\r\n",
    );
    let subject_only = write(
        "subject-only.eml",
        b"From: c@d.example\r\nSubject: Re: S00042\r\nContent-Type: text/plain\r\n\r\nwhen will my order arrive? any update on the delivery date\r\n",
    );
    let attachment = write(
        "attachment.eml",
        b"From: ap@cust.example\r\nSubject: question about your invoice\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe invoice amount is wrong, we were charged twice.\r\n--XX\r\nContent-Type: application/pdf; name=\"INV_2026_00012.pdf\"\r\nContent-Disposition: attachment; filename=\"INV_2026_00012.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n",
    );
    let mut history = String::new();
    for i in 0..12 {
        history.push_str(&format!(
            "> On day {i}, Sales wrote:\r\n> Your delivery WH/OUT/001{i:02} has shipped, the tracking number is attached.\r\n> When will my order arrive? Where is my delivery?\r\n>\r\n"
        ));
    }
    let buried = write(
        "buried-cancellation.eml",
        format!(
            "From: buyer@acme.example\r\nSubject: Re: Re: Re: Re: your order S00107\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease cancel the order, we no longer need it.\r\n\r\nOn Tue, 3 Mar 2026 at 09:00, Sales <sales@us.example> wrote:\r\n{history}"
        )
        .as_bytes(),
    );
    let mbox = write(
        "two.mbox",
        b"From a@b Mon Mar  2 10:00:00 2026\r\nFrom: a@b.example\r\nSubject: price\r\n\r\ncould you quote your best price for 50 boxes\r\n\r\nFrom c@d Mon Mar  2 11:00:00 2026\r\nFrom: c@d.example\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nI am away.\r\n",
    );
    let junk = write("not-mail.eml", b"\x00\x01\x02\x03 binary");

    let out = classify(
        &model,
        &[
            &html,
            &latin1,
            &forwarded,
            &subject_only,
            &attachment,
            &buried,
            &mbox,
            &junk,
        ],
    );
    assert_eq!(out.len(), 9, "{out:#?}");
    for v in &out {
        for key in ["file", "queue", "category", "confidence", "references"] {
            assert!(v.get(key).is_some(), "{key} missing in {v}");
        }
    }
    // HTML only
    assert_eq!(out[0]["html_only"], true);
    assert_eq!(out[0]["category"], "order status", "{}", out[0]);
    assert_eq!(out[0]["queue"], "helpdesk");
    assert_eq!(refs(&out[0]), [r("delivery", "WH/OUT/00012", "new_text")]);
    // Latin-1 quoted-printable: decoded, damaged goods
    assert_eq!(out[1]["subject"], "Beschädigte Ware");
    assert_eq!(out[1]["category"], "damaged goods", "{}", out[1]);
    assert_eq!(refs(&out[1]), [r("delivery", "WH/OUT/00077", "new_text")]);
    // forwarded twice: the customer's PO from the history
    assert_eq!(
        out[2]["category"], "order change or cancellation",
        "{}",
        out[2]
    );
    assert_eq!(refs(&out[2]), [r("customer_ref", "4471-B", "quoted")]);
    // the reference only in the subject
    assert_eq!(refs(&out[3]), [r("sale_order", "S00042", "subject")]);
    assert_eq!(out[3]["category"], "order status", "{}", out[3]);
    // the invoice only in the attachment's name
    assert_eq!(
        out[4]["category"], "invoice question or dispute",
        "{}",
        out[4]
    );
    assert_eq!(out[4]["queue"], "accounting");
    assert_eq!(
        refs(&out[4]),
        [r("invoice", "INV/2026/00012", "attachment")]
    );
    assert_eq!(out[4]["attachments"][0]["content_type"], "application/pdf");
    // a cancellation under a long history about deliveries
    assert_eq!(
        out[5]["category"], "order change or cancellation",
        "{}",
        out[5]
    );
    assert_eq!(out[5]["queue"], "sales");
    let buried_refs = refs(&out[5]);
    assert_eq!(buried_refs[0], r("sale_order", "S00107", "subject"));
    assert_eq!(buried_refs.len(), 13, "{buried_refs:?}");
    // the mbox: two messages, the auto-reply to other
    assert!(out[6]["file"].as_str().unwrap().ends_with("two.mbox#1"));
    assert_eq!(out[6]["category"], "quote request", "{}", out[6]);
    assert_eq!(out[7]["queue"], "other");
    assert!(out[7]["rule"].as_str().unwrap().contains("Auto-Submitted"));
    // not an e-mail: kept, with the reason
    assert!(
        out[8]["error"].as_str().unwrap().contains("not an e-mail"),
        "{}",
        out[8]
    );
    assert_eq!(out[8]["review"], true);
    // without a warehouse nothing is found
    assert!(out
        .iter()
        .flat_map(|v| v["references"].as_array().unwrap().clone())
        .all(|r| r["found"] == false));

    // the table for people, and a folder
    let o = crossdock()
        .args(["triage", "classify", "--model"])
        .arg(&model)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("delivery WH/OUT/00012"), "{text}");
    assert!(text.contains("not read: not an e-mail"), "{text}");
}

#[test]
fn clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let csv = tiny_csv(dir.path());
    let o = crossdock()
        .args(["triage", "train", "--input"])
        .arg(&csv)
        .args(["--text-column", "body", "--label-column", "label", "--out"])
        .arg(dir.path().join("m"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no column \"body\"") && err.contains("tiny.csv"),
        "{err}"
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "text,label\nhello,a\n\"\",b\n").unwrap();
    let o = crossdock()
        .args(["triage", "train", "--input"])
        .arg(&bad)
        .args(["--text-column", "text", "--label-column", "label", "--out"])
        .arg(dir.path().join("m"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 3") && err.contains("\"text\""), "{err}");

    let o = crossdock()
        .args(["triage", "classify", "--json", "--model"])
        .arg(dir.path().join("nowhere"))
        .arg(&csv)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no model.json"), "{err}");

    let o = crossdock()
        .args(["triage", "eval", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("Example") && help.contains("--json"),
        "{help}"
    );
}

fn bitext() -> Option<PathBuf> {
    let data = std::env::var_os("CROSSDOCK_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let path = data.join("triage/bitext-dev.csv");
    if path.is_file() {
        return Some(path);
    }
    if in_ci() {
        panic!(
            "{} is missing; CI needs the shared data (set CROSSDOCK_SHARED_DATA or put shared/ beside the checkout)",
            path.display()
        );
    }
    eprintln!(
        "\n*** SKIPPED: {} is absent (the shared data folder is not beside this checkout) ***\n",
        path.display()
    );
    None
}

#[test]
fn bitext_dev_held_out_split() {
    let Some(path) = bitext() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (tr, te) = (dir.path().join("train.csv"), dir.path().join("test.csv"));
    let o = crossdock()
        .args(["triage", "split", "--input"])
        .arg(&path)
        .args([
            "--label-column",
            "intent",
            "--test-share",
            "0.2",
            "--seed",
            "7",
        ])
        .arg("--train-out")
        .arg(&tr)
        .arg("--test-out")
        .arg(&te)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let model = dir.path().join("model");
    train(&tr, "instruction", "intent", &model);
    let o = crossdock()
        .args(["triage", "eval", "--json", "--model"])
        .arg(&model)
        .arg("--input")
        .arg(&te)
        .args(["--text-column", "instruction", "--label-column", "intent"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Json = serde_json::from_slice(&o.stdout).unwrap();
    eprintln!("bitext-dev held out: {r}");
    let rows = r["rows"].as_u64().unwrap();
    assert!((860..=890).contains(&rows), "{rows}");
    let f = |k: &str| r[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {r}"));
    assert!(f("accuracy") > 0.9, "{r}");
    assert!(f("macro_f1") > 0.9, "{r}");
    assert!(f("reference_f1") > 0.8, "{r}");
    assert!(f("ece") < 0.08, "{r}");
    assert_eq!(r["per_label"].as_array().unwrap().len(), 27);
}

/// The simulation `demo_inbox_*` runs (as `crossdock demo` flags).
const INBOX_DEMO: [&str; 8] = [
    "--seed",
    "7",
    "--days",
    "30",
    "--orders-per-day",
    "60",
    "--products",
    "60",
];

fn run_ok(args: &[&std::ffi::OsStr]) -> (String, String) {
    let o = crossdock().args(args).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        o.status.success(),
        "crossdock {args:?} failed:\n{err}\n{out}"
    );
    (out, err)
}

#[test]
fn demo_inbox_is_real_deterministic_and_meets_the_goal() {
    use crossdock_models::triage::{mail, store, warehouse::WarehouseCheck};
    use crossdock_simulator::inbox::{read_truth, InboxConfig};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut args: Vec<&std::ffi::OsStr> = vec!["demo".as_ref(), "--no-serve".as_ref()];
    args.extend(INBOX_DEMO.iter().map(std::ffi::OsStr::new));
    args.extend(["--data".as_ref(), data.as_os_str()]);
    let (_, err) = run_ok(&args);
    assert!(
        err.contains("customer service's inbox: 400 messages"),
        "{err}"
    );
    let inbox = data.join("_crossdock/inbox");
    let truth = read_truth(&inbox).unwrap();
    assert_eq!(truth.len(), 400);

    // deterministic: the simulator, run again in-process, writes the same bytes
    let mut sim = crossdock_simulator::Simulator::new(crossdock_simulator::SimulatorConfig {
        seed: 7,
        days: 30,
        orders_per_day: 60,
        products: 60,
        ..Default::default()
    })
    .unwrap();
    sim.run_to_end();
    let again = sim.inbox(&InboxConfig {
        seed: 7,
        messages: 400,
    });
    for m in &again {
        let on_disk = std::fs::read(inbox.join(&m.truth.file)).unwrap();
        assert!(on_disk == m.raw, "{} differs", m.truth.file);
    }
    assert_eq!(
        again.iter().map(|m| &m.truth).collect::<Vec<_>>(),
        truth.iter().collect::<Vec<_>>()
    );

    // every message parses; the mix is the one a distributor sees
    let mut mails = Vec::new();
    for t in &truth {
        let raw = std::fs::read(inbox.join(&t.file)).unwrap();
        let m = mail::parse_bytes(&raw).unwrap_or_else(|e| panic!("{}: {e}", t.file));
        assert!(
            crossdock_models::triage::Category::parse(&t.category).is_some(),
            "{}",
            t.category
        );
        assert!(
            crossdock_models::triage::Queue::parse(&t.queue).is_some(),
            "{}",
            t.queue
        );
        mails.push(m);
    }
    let with = |tr: &str| {
        truth
            .iter()
            .filter(|t| t.traits.iter().any(|x| x == tr))
            .count()
    };
    for tr in [
        "html_only",
        "reply",
        "long_history",
        "forward",
        "attachment",
        "typos",
        "latin1",
        "supplier",
        "newsletter",
        "auto_reply",
    ] {
        assert!(with(tr) > 0, "no message with {tr}");
    }
    assert!(truth.iter().any(|t| t.language != "en"));

    // its references are real documents of the warehouse, by WarehouseCheck
    let rt = tokio::runtime::Runtime::new().unwrap();
    let wh = crossdock_warehouse::Warehouse::open_existing(data.to_str().unwrap()).unwrap();
    let all: Vec<crossdock_models::triage::Reference> = mails
        .iter()
        .flat_map(|m| {
            crossdock_models::triage::refs::extract(m, &crossdock_models::triage::refs::NoCheck)
        })
        .collect();
    let senders: Vec<String> = mails.iter().filter_map(|m| m.from.clone()).collect();
    let check = rt
        .block_on(WarehouseCheck::load(&wh, &all, &senders))
        .unwrap();
    let (mut real, mut found) = (0, 0);
    for (t, m) in truth.iter().zip(&mails) {
        let refs = crossdock_models::triage::refs::extract(m, &check);
        for r in &t.references {
            let got = refs
                .iter()
                .find(|x| x.kind.name() == r.kind && x.value == r.value);
            if let Some(x) = got {
                assert_eq!(x.found, r.exists, "{}: {r:?}", t.file);
            }
            if r.exists {
                real += 1;
                found += got.is_some_and(|x| x.found) as usize;
            }
        }
        let from = m.from.clone().unwrap_or_default();
        match t.sender.as_str() {
            "supplier" => assert!(check.is_supplier(&from), "{}: {from}", t.file),
            "customer" => {
                assert!(
                    !check.is_supplier(&from),
                    "{}: {from} is a customer",
                    t.file
                );
                assert_eq!(
                    check.partner(&from).map(|p| p.partner_id),
                    t.partner_id,
                    "{}",
                    t.file
                );
            }
            _ => assert!(!check.is_supplier(&from), "{}: {from}", t.file),
        }
    }
    assert!(
        real > 200 && found as f64 >= 0.97 * real as f64,
        "{found} of {real} real documents found"
    );

    // classified into derived/triage_message by the demo, one row per message
    let rows = rt.block_on(store::list(&wh, None)).unwrap();
    assert_eq!(rows.len(), 400);
    assert!(rows
        .iter()
        .all(|r| r.parse_error.is_none() && r.company_id.is_some()));
    let one: std::collections::BTreeSet<i64> = [1].into();
    assert_eq!(
        rt.block_on(store::list(&wh, Some(&one))).unwrap().len(),
        400,
        "the demo has one company"
    );

    // the goal, measured on the demo's inbox by the model trained on another
    let model = data.join("_crossdock/triage-model");
    let (out, _) = run_ok(&[
        "triage".as_ref(),
        "eval".as_ref(),
        "--json".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--inbox".as_ref(),
        inbox.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    let v: Json = serde_json::from_str(out.trim()).unwrap();
    let (share, right) = (
        v["routed_share"].as_f64().unwrap(),
        v["routed_precision"].as_f64().unwrap(),
    );
    eprintln!(
        "demo inbox: {:.1} % routed, {:.1} % of those right, reference F1 {:.3}",
        100.0 * share,
        100.0 * right,
        v["references"]["f1"].as_f64().unwrap()
    );
    assert!(share >= 0.8 && right >= 0.98, "goal missed: {v}");
    assert!(v["references"]["f1"].as_f64().unwrap() > 0.95, "{v}");
    assert_eq!(v["parse_errors"], 0);

    // `classify` with no --model uses the demo's model; the truth file is no mail
    let (out, _) = run_ok(&[
        "triage".as_ref(),
        "classify".as_ref(),
        "--json".as_ref(),
        inbox.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    assert_eq!(out.lines().count(), 400);

    // a correction feeds the next training
    let first = &rows[0];
    let correction = store::Correction {
        corrected_at: chrono::Utc::now(),
        corrected_by: "service".into(),
        message_id: first.id.clone(),
        company_id: first.company_id,
        before_queue: first.queue.clone(),
        before_category: first.category.clone(),
        after_queue: crossdock_models::triage::Queue::Helpdesk,
        after_category: crossdock_models::triage::Category::DamagedGoods,
        note: Some("photos attached".into()),
    };
    rt.block_on(store::record_corrections(&wh, &[correction]))
        .unwrap();
    let retrained = dir.path().join("retrained");
    let (_, err) = run_ok(&[
        "triage".as_ref(),
        "train".as_ref(),
        "--inbox".as_ref(),
        data.join("_crossdock/triage-train").as_os_str(),
        "--with-corrections".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "--out".as_ref(),
        retrained.as_os_str(),
    ]);
    assert!(err.contains("1 corrected messages"), "{err}");
    let meta: Json =
        serde_json::from_str(&std::fs::read_to_string(retrained.join("model.json")).unwrap())
            .unwrap();
    assert!(
        meta["source"].as_str().unwrap().contains("1 corrections"),
        "{meta}"
    );

    // outside readers see the tables as plain Delta tables
    let python = crate::common::python_has("deltalake");
    if !require_tool("the Python deltalake package", python) {
        return;
    }
    let script = format!(
        "import deltalake\n\
         t = deltalake.DeltaTable('{0}/derived/triage_message').to_pyarrow_table()\n\
         c = deltalake.DeltaTable('{0}/derived/triage_correction').to_pyarrow_table()\n\
         print(t.num_rows, c.num_rows, sorted(set(t.column('queue').to_pylist())), c.column('after_category').to_pylist())\n",
        data.display()
    );
    let o = crate::common::python_output(&script);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "400 1 ['accounting', 'helpdesk', 'other', 'purchasing', 'sales'] ['damaged goods']"
    );
}
