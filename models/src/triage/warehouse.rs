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

use std::collections::HashSet;

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

/// What the warehouse knows of a batch of messages' references and senders.
#[derive(Debug, Clone, Default)]
pub struct WarehouseCheck {
    found: HashSet<(RefKind, String)>,
    supplier_emails: HashSet<String>,
    supplier_domains: HashSet<String>,
}

fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

fn strings(batches: &[RecordBatch]) -> HashSet<String> {
    let mut out = HashSet::new();
    for b in batches {
        if b.num_columns() == 0 {
            continue;
        }
        let col = b.column(0);
        let col = match arrow::compute::cast(col, &DataType::Utf8) {
            Ok(c) => c,
            Err(_) => continue,
        };
        let s = col.as_string::<i32>();
        for i in 0..s.len() {
            if !s.is_null(i) {
                out.insert(s.value(i).to_string());
            }
        }
    }
    out
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
                    "SELECT {column} FROM {table} WHERE {column} IN ({})",
                    list.join(", ")
                );
                let hits = strings(&wh.sql(&sql).await?);
                for r in refs {
                    if kinds.contains(&r.kind) && hits.contains(&r.value) {
                        check.found.insert((r.kind, r.value.clone()));
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
                "SELECT lower(email) FROM res_partner WHERE supplier_rank > 0 AND email IS NOT NULL AND ({})",
                conds.join(" OR ")
            );
            for e in strings(&wh.sql(&sql).await?) {
                if let Some((_, d)) = e.rsplit_once('@') {
                    if !PUBLIC_DOMAINS.contains(&d) {
                        check.supplier_domains.insert(d.to_string());
                    }
                }
                check.supplier_emails.insert(e);
            }
        }
        Ok(check)
    }

    /// True when `address` is a supplier's, or of a supplier's own domain.
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
