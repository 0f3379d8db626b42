//! The warehouse check of references and senders: SQL over
//! `sale_order.name`, `purchase_order.name`, `account_move.name`,
//! `stock_picking.name` (and the customers' and vendors' own references,
//! `sale_order.client_order_ref`, `purchase_order.partner_ref`,
//! `account_move.ref`), and the suppliers' addresses in `res_partner`,
//! through [`Warehouse::sql`].
//!
//! Built once for a batch of messages ([`WarehouseCheck::load`] asks only
//! for the values the messages mention), then used as a
//! [`ReferenceCheck`].

use std::collections::{HashMap, HashSet};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use crossdock_warehouse::Warehouse;

use super::refs::ReferenceCheck;
use super::{RefKind, Reference, Result};

/// Webmail domains: a supplier writing from one does not make every sender
/// of that domain a supplier.
const PUBLIC_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "orange.fr",
    "free.fr",
    "protonmail.com",
    "proton.me",
];

/// A sender the warehouse knows (`res_partner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownPartner {
    /// The commercial partner's `res_partner.id` (the company the person
    /// works for, or the person).
    pub partner_id: i64,
    /// `res_partner.company_id`: the company the partner belongs to, when it
    /// is not shared between companies.
    pub company_id: Option<i64>,
    /// `supplier_rank > 0`.
    pub supplier: bool,
}

/// What the warehouse knows of a batch of messages' references and senders.
#[derive(Debug, Clone, Default)]
pub struct WarehouseCheck {
    found: HashSet<(RefKind, String)>,
    /// The company of each document found (`company_id` of its row).
    doc_company: HashMap<(RefKind, String), i64>,
    supplier_emails: HashSet<String>,
    supplier_domains: HashSet<String>,
    partners: HashMap<String, KnownPartner>,
    /// Domains that belong to exactly one commercial partner.
    domain_partners: HashMap<String, KnownPartner>,
}

fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

fn string_at(b: &RecordBatch, c: usize) -> Option<arrow::array::ArrayRef> {
    (c < b.num_columns())
        .then(|| arrow::compute::cast(b.column(c), &DataType::Utf8).ok())
        .flatten()
}

fn int_at(b: &RecordBatch, c: usize) -> Option<arrow::array::ArrayRef> {
    (c < b.num_columns())
        .then(|| arrow::compute::cast(b.column(c), &DataType::Int64).ok())
        .flatten()
}

impl WarehouseCheck {
    /// Looks up every reference in `refs` and every sender in `senders`.
    pub async fn load(wh: &Warehouse, refs: &[Reference], senders: &[String]) -> Result<Self> {
        let mut check = WarehouseCheck::default();
        // (kinds, table, column) — a kind can live in several columns
        let lookups: [(&[RefKind], &str, &str); 8] = [
            (&[RefKind::SaleOrder], "sale_order", "name"),
            (&[RefKind::PurchaseOrder], "purchase_order", "name"),
            (
                &[RefKind::Invoice, RefKind::CreditNote],
                "account_move",
                "name",
            ),
            (
                &[RefKind::Delivery, RefKind::Receipt, RefKind::Transfer],
                "stock_picking",
                "name",
            ),
            (&[RefKind::CustomerRef], "sale_order", "client_order_ref"),
            (&[RefKind::CustomerRef], "purchase_order", "partner_ref"),
            (&[RefKind::InvoiceRef], "account_move", "ref"),
            (&[RefKind::InvoiceRef], "account_move", "payment_reference"),
        ];
        for (kinds, table, column) in lookups {
            let mut values: Vec<&str> = refs
                .iter()
                .filter(|r| kinds.contains(&r.kind))
                .map(|r| r.value.as_str())
                .collect();
            values.sort_unstable();
            values.dedup();
            for chunk in values.chunks(500) {
                let list: Vec<String> = chunk.iter().map(|v| quote(v)).collect();
                let sql = format!(
                    "SELECT {column}, company_id FROM {table} WHERE {column} IN ({})",
                    list.join(", ")
                );
                let batches = wh.sql(&sql).await?;
                let mut hits: HashMap<String, Option<i64>> = HashMap::new();
                for b in &batches {
                    let (Some(v), Some(c)) = (string_at(b, 0), int_at(b, 1)) else {
                        continue;
                    };
                    let (v, c) = (
                        v.as_string::<i32>(),
                        c.as_primitive::<arrow::datatypes::Int64Type>(),
                    );
                    for i in 0..v.len() {
                        if !v.is_null(i) {
                            let company = (!c.is_null(i)).then(|| c.value(i));
                            hits.insert(v.value(i).to_string(), company);
                        }
                    }
                }
                for r in refs {
                    if !kinds.contains(&r.kind) {
                        continue;
                    }
                    if let Some(company) = hits.get(&r.value) {
                        check.found.insert((r.kind, r.value.clone()));
                        if let Some(c) = company {
                            check.doc_company.insert((r.kind, r.value.clone()), *c);
                        }
                    }
                }
            }
        }
        let mut emails: Vec<String> = senders.iter().map(|s| s.to_ascii_lowercase()).collect();
        emails.sort();
        emails.dedup();
        if !emails.is_empty() {
            let domains: HashSet<String> = emails
                .iter()
                .filter_map(|e| e.rsplit_once('@').map(|(_, d)| d.to_string()))
                .filter(|d| !PUBLIC_DOMAINS.contains(&d.as_str()))
                .collect();
            let mut conds: Vec<String> = emails
                .chunks(500)
                .map(|c| {
                    let l: Vec<String> = c.iter().map(|v| quote(v)).collect();
                    format!("lower(email) IN ({})", l.join(", "))
                })
                .collect();
            conds.extend(
                domains
                    .iter()
                    .map(|d| format!("lower(email) LIKE {}", quote(&format!("%@{d}")))),
            );
            let sql = format!(
                "SELECT lower(email), coalesce(commercial_partner_id, id), company_id, \
                 coalesce(supplier_rank, 0), coalesce(customer_rank, 0) \
                 FROM res_partner WHERE email IS NOT NULL AND coalesce(active, true) AND ({}) ORDER BY id",
                conds.join(" OR ")
            );
            // per domain: the commercial partners there, and whether a
            // customer shares it (then it is nobody's own domain)
            let mut by_domain: HashMap<String, (HashSet<i64>, bool, bool)> = HashMap::new();
            let mut first_of_domain: HashMap<String, KnownPartner> = HashMap::new();
            for b in &wh.sql(&sql).await? {
                let (Some(e), Some(p), Some(c), Some(sr), Some(cr)) = (
                    string_at(b, 0),
                    int_at(b, 1),
                    int_at(b, 2),
                    int_at(b, 3),
                    int_at(b, 4),
                ) else {
                    continue;
                };
                let e = e.as_string::<i32>();
                let ints = |a: &arrow::array::ArrayRef| {
                    a.as_primitive::<arrow::datatypes::Int64Type>().clone()
                };
                let (p, c, sr, cr) = (ints(&p), ints(&c), ints(&sr), ints(&cr));
                for i in 0..e.len() {
                    if e.is_null(i) || p.is_null(i) {
                        continue;
                    }
                    let email = e.value(i).trim().to_string();
                    let known = KnownPartner {
                        partner_id: p.value(i),
                        company_id: (!c.is_null(i)).then(|| c.value(i)),
                        supplier: !sr.is_null(i) && sr.value(i) > 0,
                    };
                    let customer = !cr.is_null(i) && cr.value(i) > 0;
                    if known.supplier {
                        check.supplier_emails.insert(email.clone());
                    }
                    if let Some((_, d)) = email.rsplit_once('@') {
                        if !PUBLIC_DOMAINS.contains(&d) {
                            let entry = by_domain.entry(d.to_string()).or_default();
                            entry.0.insert(known.partner_id);
                            entry.1 |= known.supplier;
                            entry.2 |= customer;
                            first_of_domain.entry(d.to_string()).or_insert(known);
                        }
                    }
                    check.partners.entry(email).or_insert(known);
                }
            }
            for (d, (ids, supplier, customer)) in by_domain {
                // a supplier's own domain: no customer writes from it
                if supplier && !customer {
                    check.supplier_domains.insert(d.clone());
                }
                if ids.len() == 1 {
                    if let Some(k) = first_of_domain.get(&d) {
                        check.domain_partners.insert(d, *k);
                    }
                }
            }
        }
        Ok(check)
    }

    /// The partner who wrote from `address`: by the address, else by a
    /// domain that only one commercial partner uses (webmail never).
    pub fn partner(&self, address: &str) -> Option<KnownPartner> {
        let a = address.trim().to_ascii_lowercase();
        self.partners.get(&a).copied().or_else(|| {
            a.rsplit_once('@')
                .and_then(|(_, d)| self.domain_partners.get(d).copied())
        })
    }

    /// The company of the first found document among `refs` that has one.
    pub fn company_of(&self, refs: &[Reference]) -> Option<i64> {
        refs.iter()
            .find_map(|r| self.doc_company.get(&(r.kind, r.value.clone())).copied())
    }

    /// True when `address` is a supplier's, or of a supplier's own domain
    /// (one that no customer writes from).
    pub fn is_supplier(&self, address: &str) -> bool {
        let a = address.to_ascii_lowercase();
        self.supplier_emails.contains(&a)
            || a.rsplit_once('@')
                .is_some_and(|(_, d)| self.supplier_domains.contains(d))
    }
}

impl ReferenceCheck for WarehouseCheck {
    fn found(&self, r: &Reference) -> bool {
        self.found.contains(&(r.kind, r.value.clone()))
    }
}
