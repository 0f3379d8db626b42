//! Triage in the warehouse: the classified inbox, `derived/triage_message`
//! (one row per message, replaced as a whole by each classification run),
//! and the corrections people make, `derived/triage_correction` (appended
//! to, never rewritten; the latest correction of a message is the one in
//! force, and `crossdock triage train --with-corrections` learns from them).
//!
//! ```text
//!  inbox (.eml, mbox) ─► classify ─► derived/triage_message ─► service page ─► correct
//!                            ▲                                                   │
//!                            └── train --with-corrections ◄── derived/triage_correction
//! ```
//!
//! Both tables carry `company_id` (the customer's company from
//! `res_partner`, else the company of the documents the message refers to,
//! else the company whose inbox it is), and readers filter on it through
//! [`crossdock_warehouse::scope`] like every other reader.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use datafusion::prelude::SessionContext;
use serde::Serialize;

use crossdock_warehouse::{scope, Warehouse, WriteMode};

use super::mail::MailItem;
use super::refs::{self, NoCheck, ReferenceCheck};
use super::warehouse::WarehouseCheck;
use super::{Category, Queue, Reference, TriageModel};
use crate::cols::Cols;
use crate::error::{ModelsError, Result};

/// The derived table of classified messages (replaced by each run).
pub const MESSAGE_TABLE: &str = "triage_message";
/// The derived table of corrections (appended to).
pub const CORRECTION_TABLE: &str = "triage_correction";
/// Characters of the new text kept in [`MessageRow::new_text`].
pub const EXCERPT_CHARS: usize = 600;

/// One classified message, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageRow {
    /// The message's id: its `Message-ID`, or its file when it has none.
    pub id: String,
    /// Where it was read from (`file`, or `file#n` in an mbox).
    pub file: String,
    /// Its `Date`.
    pub received: Option<DateTime<Utc>>,
    /// The sender's address.
    pub from: Option<String>,
    /// The subject.
    pub subject: String,
    /// The start of the new text (at most [`EXCERPT_CHARS`] characters).
    pub new_text: String,
    /// The queue (best guess, also when sent to review).
    pub queue: String,
    /// The category.
    pub category: String,
    /// Calibrated confidence of the category.
    pub confidence: f64,
    /// The queue, or `review`.
    pub route: String,
    /// True when a person must decide.
    pub review: bool,
    /// The rule that decided, if one did.
    pub rule: Option<String>,
    /// The references found, each with `found`.
    pub references: Vec<Reference>,
    /// Attachments' names, comma-separated.
    pub attachments: String,
    /// The sender's commercial partner (`res_partner.id`), when known.
    pub partner_id: Option<i64>,
    /// The company (`res_company.id`) the message belongs to.
    pub company_id: Option<i64>,
    /// Why the message could not be read, if it could not.
    pub parse_error: Option<String>,
    /// When it was classified.
    pub classified_at: DateTime<Utc>,
}

/// A person's correction of a message's queue or category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correction {
    /// When.
    pub corrected_at: DateTime<Utc>,
    /// Who (a crossdock user name).
    pub corrected_by: String,
    /// [`MessageRow::id`].
    pub message_id: String,
    /// The message's company.
    pub company_id: Option<i64>,
    /// Queue before.
    pub before_queue: String,
    /// Category before.
    pub before_category: String,
    /// Queue after.
    pub after_queue: Queue,
    /// Category after.
    pub after_category: Category,
    /// Why, in the person's words.
    pub note: Option<String>,
}

impl Correction {
    /// The label to train on: the category's name, or `queue:category`
    /// when the queue is not the category's usual one.
    pub fn label(&self) -> String {
        if self.after_category.default_queue() == self.after_queue {
            self.after_category.name().to_string()
        } else {
            format!("{}:{}", self.after_queue, self.after_category)
        }
    }
}

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The schema of `derived/triage_message`.
pub fn message_schema() -> SchemaRef {
    let f = |n: &str, t: DataType, null: bool| Field::new(n, t, null);
    Arc::new(Schema::new(vec![
        f("id", DataType::Utf8, false),
        f("file", DataType::Utf8, false),
        f("received", ts(), true),
        f("from", DataType::Utf8, true),
        f("subject", DataType::Utf8, false),
        f("new_text", DataType::Utf8, false),
        f("queue", DataType::Utf8, false),
        f("category", DataType::Utf8, false),
        f("confidence", DataType::Float64, false),
        f("route", DataType::Utf8, false),
        f("review", DataType::Boolean, false),
        f("rule", DataType::Utf8, true),
        f("references", DataType::Utf8, false),
        f("attachments", DataType::Utf8, false),
        f("partner_id", DataType::Int64, true),
        f("company_id", DataType::Int64, true),
        f("parse_error", DataType::Utf8, true),
        f("classified_at", ts(), false),
    ]))
}

/// The schema of `derived/triage_correction`.
pub fn correction_schema() -> SchemaRef {
    let f = |n: &str, t: DataType, null: bool| Field::new(n, t, null);
    Arc::new(Schema::new(vec![
        f("corrected_at", ts(), false),
        f("corrected_by", DataType::Utf8, false),
        f("message_id", DataType::Utf8, false),
        f("company_id", DataType::Int64, true),
        f("before_queue", DataType::Utf8, false),
        f("before_category", DataType::Utf8, false),
        f("after_queue", DataType::Utf8, false),
        f("after_category", DataType::Utf8, false),
        f("note", DataType::Utf8, true),
    ]))
}

fn ts_array(v: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(v.collect::<Vec<_>>()).with_timezone("UTC"))
}

fn str_array(v: impl Iterator<Item = Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from(v.collect::<Vec<_>>()))
}

fn int_array(v: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from(v.collect::<Vec<_>>()))
}

fn message_batch(rows: &[MessageRow]) -> Result<RecordBatch> {
    let s = |f: &dyn Fn(&MessageRow) -> Option<String>| str_array(rows.iter().map(f));
    let columns: Vec<ArrayRef> = vec![
        s(&|r| Some(r.id.clone())),
        s(&|r| Some(r.file.clone())),
        ts_array(
            rows.iter()
                .map(|r| r.received.map(|t| t.timestamp_micros())),
        ),
        s(&|r| r.from.clone()),
        s(&|r| Some(r.subject.clone())),
        s(&|r| Some(r.new_text.clone())),
        s(&|r| Some(r.queue.clone())),
        s(&|r| Some(r.category.clone())),
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r.confidence).collect::<Vec<_>>(),
        )),
        s(&|r| Some(r.route.clone())),
        Arc::new(BooleanArray::from(
            rows.iter().map(|r| r.review).collect::<Vec<_>>(),
        )),
        s(&|r| r.rule.clone()),
        s(&|r| Some(serde_json::to_string(&r.references).expect("references serialize"))),
        s(&|r| Some(r.attachments.clone())),
        int_array(rows.iter().map(|r| r.partner_id)),
        int_array(rows.iter().map(|r| r.company_id)),
        s(&|r| r.parse_error.clone()),
        ts_array(
            rows.iter()
                .map(|r| Some(r.classified_at.timestamp_micros())),
        ),
    ];
    Ok(RecordBatch::try_new(message_schema(), columns)?)
}

fn correction_batch(rows: &[Correction]) -> Result<RecordBatch> {
    let s = |f: &dyn Fn(&Correction) -> Option<String>| str_array(rows.iter().map(f));
    let columns: Vec<ArrayRef> = vec![
        ts_array(rows.iter().map(|r| Some(r.corrected_at.timestamp_micros()))),
        s(&|r| Some(r.corrected_by.clone())),
        s(&|r| Some(r.message_id.clone())),
        int_array(rows.iter().map(|r| r.company_id)),
        s(&|r| Some(r.before_queue.clone())),
        s(&|r| Some(r.before_category.clone())),
        s(&|r| Some(r.after_queue.to_string())),
        s(&|r| Some(r.after_category.to_string())),
        s(&|r| r.note.clone()),
    ];
    Ok(RecordBatch::try_new(correction_schema(), columns)?)
}

/// Replaces `derived/triage_message` with `rows` (one commit); returns the
/// table's new version.
pub async fn write(warehouse: &Warehouse, rows: &[MessageRow]) -> Result<i64> {
    Ok(warehouse
        .write_derived(
            MESSAGE_TABLE,
            message_schema(),
            vec![message_batch(rows)?],
            WriteMode::Replace,
        )
        .await?)
}

async fn read(
    warehouse: &Warehouse,
    table: &'static str,
    schema: SchemaRef,
    companies: Option<&BTreeSet<i64>>,
) -> Result<Vec<RecordBatch>> {
    let ctx = SessionContext::new();
    warehouse.register_derived(&ctx, table, schema).await?;
    let frame = ctx
        .table(table)
        .await
        .map_err(|e| ModelsError::query(table, e))?;
    scope::scoped(frame, companies, table)?
        .collect()
        .await
        .map_err(|e| ModelsError::query(table, e))
}

/// The classified messages within the companies (None: all), newest first
/// (messages without a date last, by file).
pub async fn list(
    warehouse: &Warehouse,
    companies: Option<&BTreeSet<i64>>,
) -> Result<Vec<MessageRow>> {
    let mut out = Vec::new();
    for b in read(warehouse, MESSAGE_TABLE, message_schema(), companies).await? {
        let c = Cols::new(&b, MESSAGE_TABLE)?;
        for r in 0..b.num_rows() {
            let need = |name: &str| {
                c.string(name, r)?
                    .ok_or_else(|| c.bad(name, format!("null in row {r}")))
            };
            let refs_text = need("references")?;
            let references: Vec<Reference> = serde_json::from_str(&refs_text)
                .map_err(|e| c.bad("references", format!("row {r}: {e}")))?;
            out.push(MessageRow {
                id: need("id")?,
                file: need("file")?,
                received: c.timestamp("received", r)?,
                from: c.string("from", r)?,
                subject: need("subject")?,
                new_text: need("new_text")?,
                queue: need("queue")?,
                category: need("category")?,
                confidence: c.f64("confidence", r)?.unwrap_or(0.0),
                route: need("route")?,
                review: c.bool("review", r)?,
                rule: c.string("rule", r)?,
                references,
                attachments: need("attachments")?,
                partner_id: c.opt_i64("partner_id", r)?,
                company_id: c.opt_i64("company_id", r)?,
                parse_error: c.string("parse_error", r)?,
                classified_at: c
                    .timestamp("classified_at", r)?
                    .ok_or_else(|| c.bad("classified_at", format!("null in row {r}")))?,
            });
        }
    }
    out.sort_by(|a, b| b.received.cmp(&a.received).then(a.file.cmp(&b.file)));
    Ok(out)
}

/// Appends corrections to `derived/triage_correction` in one commit (all or
/// none); returns the table's new version.
pub async fn record_corrections(warehouse: &Warehouse, rows: &[Correction]) -> Result<i64> {
    Ok(warehouse
        .write_derived(
            CORRECTION_TABLE,
            correction_schema(),
            vec![correction_batch(rows)?],
            WriteMode::Append,
        )
        .await?)
}

/// Every correction within the companies (None: all), newest first.
pub async fn list_corrections(
    warehouse: &Warehouse,
    companies: Option<&BTreeSet<i64>>,
) -> Result<Vec<Correction>> {
    let mut out = Vec::new();
    for b in read(warehouse, CORRECTION_TABLE, correction_schema(), companies).await? {
        let c = Cols::new(&b, CORRECTION_TABLE)?;
        for r in 0..b.num_rows() {
            let need = |name: &str| {
                c.string(name, r)?
                    .ok_or_else(|| c.bad(name, format!("null in row {r}")))
            };
            let q = need("after_queue")?;
            let k = need("after_category")?;
            out.push(Correction {
                corrected_at: c
                    .timestamp("corrected_at", r)?
                    .ok_or_else(|| c.bad("corrected_at", format!("null in row {r}")))?,
                corrected_by: need("corrected_by")?,
                message_id: need("message_id")?,
                company_id: c.opt_i64("company_id", r)?,
                before_queue: need("before_queue")?,
                before_category: need("before_category")?,
                after_queue: Queue::parse(&q)
                    .ok_or_else(|| c.bad("after_queue", format!("row {r}: unknown queue {q:?}")))?,
                after_category: Category::parse(&k).ok_or_else(|| {
                    c.bad("after_category", format!("row {r}: unknown category {k:?}"))
                })?,
                note: c.string("note", r)?,
            });
        }
    }
    out.sort_by_key(|x| std::cmp::Reverse(x.corrected_at));
    Ok(out)
}

/// The correction in force per message id: the latest one.
pub async fn latest_corrections(
    warehouse: &Warehouse,
    companies: Option<&BTreeSet<i64>>,
) -> Result<BTreeMap<String, Correction>> {
    let mut out = BTreeMap::new();
    for c in list_corrections(warehouse, companies).await? {
        out.entry(c.message_id.clone()).or_insert(c);
    }
    Ok(out)
}

/// The corrections in force as training examples: each corrected message
/// read again from its file (its subject and stored excerpt when the file
/// is gone), labelled as corrected ([`Correction::label`]). Returns the
/// examples and how many were rebuilt from the excerpt.
pub async fn correction_examples(
    warehouse: &Warehouse,
) -> Result<(Vec<super::inbox::Example>, usize)> {
    let latest = latest_corrections(warehouse, None).await?;
    if latest.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let messages: BTreeMap<String, MessageRow> = list(warehouse, None)
        .await?
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    let mut out = Vec::new();
    let mut from_excerpt = 0;
    for (id, c) in &latest {
        let Some(row) = messages.get(id) else {
            continue;
        };
        // a message of an mbox (`file#n`) is not a file of its own: excerpt
        let read = std::fs::read(&row.file)
            .ok()
            .and_then(|raw| super::mail::parse_bytes(&raw).ok());
        let (main, quoted) = match read {
            Some(m) => (super::model::main_text(&m), m.quoted),
            None => {
                from_excerpt += 1;
                (format!("{}\n{}", row.subject, row.new_text), String::new())
            }
        };
        out.push(super::inbox::Example {
            main,
            quoted,
            label: c.label(),
        });
    }
    Ok((out, from_excerpt))
}

/// Classifies messages into rows of `derived/triage_message`: references
/// extracted and, with a warehouse, checked there in one go; the sender
/// looked up in `res_partner` (a supplier's message goes to purchasing);
/// the company from the sender, else the documents, else
/// `default_company` (the company whose inbox it is). A message that could
/// not be read becomes a row with its `parse_error`, sent to review.
pub async fn classify(
    warehouse: Option<&Warehouse>,
    model: &TriageModel,
    items: &[MailItem],
    default_company: Option<i64>,
    now: DateTime<Utc>,
) -> std::result::Result<Vec<MessageRow>, super::TriageError> {
    let found: Vec<Vec<Reference>> = items
        .iter()
        .map(|i| match &i.mail {
            Ok(m) => refs::extract(m, &NoCheck),
            Err(_) => Vec::new(),
        })
        .collect();
    let check = match warehouse {
        Some(wh) => {
            let all: Vec<Reference> = found.iter().flatten().cloned().collect();
            let senders: Vec<String> = items
                .iter()
                .filter_map(|i| i.mail.as_ref().ok().and_then(|m| m.from.clone()))
                .collect();
            Some(WarehouseCheck::load(wh, &all, &senders).await?)
        }
        None => None,
    };
    let mut out = Vec::with_capacity(items.len());
    for (item, mut rs) in items.iter().zip(found) {
        match &item.mail {
            Err(e) => out.push(MessageRow {
                id: item.source.clone(),
                file: item.source.clone(),
                received: None,
                from: None,
                subject: String::new(),
                new_text: String::new(),
                queue: Queue::Other.to_string(),
                category: Category::Other.to_string(),
                confidence: 0.0,
                route: "review".into(),
                review: true,
                rule: None,
                references: Vec::new(),
                attachments: String::new(),
                partner_id: None,
                company_id: default_company,
                parse_error: Some(e.to_string()),
                classified_at: now,
            }),
            Ok(m) => {
                let partner = match (&check, &m.from) {
                    (Some(c), Some(f)) => c.partner(f),
                    _ => None,
                };
                let supplier = match (&check, &m.from) {
                    (Some(c), Some(f)) => c.is_supplier(f),
                    _ => false,
                };
                if let Some(c) = &check {
                    for r in &mut rs {
                        r.found = c.found(r);
                    }
                }
                let t = model.classify(m, &rs, supplier);
                let company = partner
                    .and_then(|p| p.company_id)
                    .or_else(|| check.as_ref().and_then(|c| c.company_of(&rs)))
                    .or(default_company);
                let new_text: String = m.new_text.trim().chars().take(EXCERPT_CHARS).collect();
                out.push(MessageRow {
                    id: m.message_id.clone().unwrap_or_else(|| item.source.clone()),
                    file: item.source.clone(),
                    received: m
                        .date
                        .as_deref()
                        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                        .map(|d| d.with_timezone(&Utc)),
                    from: m.from.clone(),
                    subject: m.subject.clone(),
                    new_text,
                    queue: t.queue.to_string(),
                    category: t.category.to_string(),
                    confidence: t.confidence,
                    route: if t.review {
                        "review".into()
                    } else {
                        t.queue.to_string()
                    },
                    review: t.review,
                    rule: t.rule.clone(),
                    references: rs,
                    attachments: m
                        .attachments
                        .iter()
                        .map(|a| a.name.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                    partner_id: partner.map(|p| p.partner_id),
                    company_id: company,
                    parse_error: None,
                    classified_at: now,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, company: Option<i64>, received: i64) -> MessageRow {
        MessageRow {
            id: id.into(),
            file: format!("{id}.eml"),
            received: DateTime::from_timestamp(received, 0),
            from: Some("ana@example.com".into()),
            subject: "Re: S00042".into(),
            new_text: "Please cancel it.".into(),
            queue: "sales".into(),
            category: "order change or cancellation".into(),
            confidence: 0.93,
            route: "sales".into(),
            review: false,
            rule: None,
            references: vec![Reference {
                kind: super::super::RefKind::SaleOrder,
                value: "S00042".into(),
                location: super::super::RefLocation::Subject,
                found: true,
            }],
            attachments: String::new(),
            partner_id: Some(7),
            company_id: company,
            parse_error: None,
            classified_at: DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
        }
    }

    #[tokio::test]
    async fn messages_and_corrections_round_trip_within_the_company() {
        let dir = tempfile::tempdir().unwrap();
        let wh = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
        assert!(list(&wh, None).await.unwrap().is_empty());
        let rows = vec![row("a", Some(1), 100), row("b", Some(2), 200)];
        write(&wh, &rows).await.unwrap();
        let all = list(&wh, None).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], rows[1], "newest first, read back as written");
        let one: BTreeSet<i64> = [1].into();
        let scoped = list(&wh, Some(&one)).await.unwrap();
        assert_eq!(scoped, vec![rows[0].clone()]);
        // a new run replaces the rows
        write(&wh, &rows[..1]).await.unwrap();
        assert_eq!(list(&wh, None).await.unwrap().len(), 1);

        let c = |at: i64, q: Queue, k: Category| Correction {
            corrected_at: DateTime::from_timestamp(at, 0).unwrap(),
            corrected_by: "sam".into(),
            message_id: "a".into(),
            company_id: Some(1),
            before_queue: "sales".into(),
            before_category: "order change or cancellation".into(),
            after_queue: q,
            after_category: k,
            note: None,
        };
        record_corrections(&wh, &[c(10, Queue::Helpdesk, Category::OrderStatus)])
            .await
            .unwrap();
        record_corrections(&wh, &[c(20, Queue::Purchasing, Category::OrderStatus)])
            .await
            .unwrap();
        let all = list_corrections(&wh, None).await.unwrap();
        assert_eq!(all.len(), 2, "appended, never rewritten");
        let latest = latest_corrections(&wh, Some(&one)).await.unwrap();
        assert_eq!(latest["a"].after_queue, Queue::Purchasing);
        assert_eq!(latest["a"].label(), "purchasing:order status");
        assert_eq!(all[1].label(), "order status");
        let two: BTreeSet<i64> = [2].into();
        assert!(list_corrections(&wh, Some(&two)).await.unwrap().is_empty());
    }
}
