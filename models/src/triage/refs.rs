//! Document references in a message: Odoo's document numbers (sale and
//! purchase orders, invoices and credit notes, deliveries, receipts and
//! other transfers) and order or invoice numbers written in free form, from
//! the subject, the new text, the attachments' names and the quoted history.
//!
//! Odoo's numbers are returned as Odoo writes them (`INV_2026_00012.pdf`
//! gives `INV/2026/00012`); free-form ones as the customer wrote them. Each
//! is checked with a [`ReferenceCheck`] — the warehouse
//! ([`super::warehouse::WarehouseCheck`]), a closure, or [`NoCheck`].

use std::sync::LazyLock;

use regex::Regex;

use super::mail::Mail;
use super::{RefKind, RefLocation, Reference};

/// Says whether a referenced document exists.
pub trait ReferenceCheck {
    /// True when the document `r` refers to exists.
    fn found(&self, r: &Reference) -> bool;
}

/// No check: every reference is reported with `found: false`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCheck;

impl ReferenceCheck for NoCheck {
    fn found(&self, _: &Reference) -> bool {
        false
    }
}

impl<F: Fn(&Reference) -> bool> ReferenceCheck for F {
    fn found(&self, r: &Reference) -> bool {
        self(r)
    }
}

static ORDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b([SP])(\d{5,})\b").expect("a valid regex"));

static MOVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(R?INV|R?BILL)[/_\-](\d{4})[/_\-](?:(\d{2})[/_\-])?(\d{3,})\b")
        .expect("a valid regex")
});

static PICKING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([A-Z][A-Z0-9]{0,9})[/_\-](OUT|IN|INT|PICK|PACK|RET)[/_\-](\d{3,})\b")
        .expect("a valid regex")
});

// "our PO 4471-B", "order no. 370795561790", "Bestellung Nr. 88-12",
// "commande n° A-553", "purchase 00004587345"
static CUSTOMER_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(p\.?\s?o\.?|purchase\s+order|order|purchase|customer\s+ref(?:erence)?|your\s+ref(?:erence)?|ref(?:erence)?|bestellung|bestellnummer|auftrag|commande|bon\s+de\s+commande|pedido)(\s*(?:no\.?|number|nr\.?|n°|nº|num\.?|id|#|:)\s*|\s+)#?([A-Z0-9][A-Z0-9\-/]*\d[A-Z0-9\-/]*|\d)",
    )
    .expect("a valid regex")
});

static INVOICE_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(invoice|bill|rechnung|rechnungsnummer|facture|factura)(\s*(?:no\.?|number|nr\.?|n°|nº|num\.?|id|#|:)\s*|\s+)#?([A-Z0-9][A-Z0-9\-/]*\d[A-Z0-9\-/]*)",
    )
    .expect("a valid regex")
});

fn push(out: &mut Vec<Reference>, kind: RefKind, value: String, location: RefLocation) {
    if !out.iter().any(|r| r.kind == kind && r.value == value) {
        out.push(Reference {
            kind,
            value,
            location,
            found: false,
        });
    }
}

/// True when `s` is an Odoo document number (so not a free-form reference).
fn is_odoo_number(s: &str) -> bool {
    let full = |re: &Regex| {
        re.find(s)
            .is_some_and(|m| m.start() == 0 && m.end() == s.len())
    };
    full(&ORDER) || full(&MOVE) || full(&PICKING)
}

/// The references in one piece of text.
pub fn scan(text: &str, location: RefLocation, out: &mut Vec<Reference>) {
    for c in ORDER.captures_iter(text) {
        let kind = if c[1].eq_ignore_ascii_case("s") {
            RefKind::SaleOrder
        } else {
            RefKind::PurchaseOrder
        };
        push(
            out,
            kind,
            format!("{}{}", c[1].to_ascii_uppercase(), &c[2]),
            location,
        );
    }
    for c in MOVE.captures_iter(text) {
        let prefix = c[1].to_ascii_uppercase();
        let kind = if prefix.starts_with('R') {
            RefKind::CreditNote
        } else {
            RefKind::Invoice
        };
        let value = match c.get(3) {
            Some(m) => format!("{prefix}/{}/{}/{}", &c[2], m.as_str(), &c[4]),
            None => format!("{prefix}/{}/{}", &c[2], &c[4]),
        };
        push(out, kind, value, location);
    }
    for c in PICKING.captures_iter(text) {
        let op = c[2].to_ascii_uppercase();
        let kind = match op.as_str() {
            "OUT" => RefKind::Delivery,
            "IN" => RefKind::Receipt,
            _ => RefKind::Transfer,
        };
        push(
            out,
            kind,
            format!("{}/{op}/{}", c[1].to_ascii_uppercase(), &c[3]),
            location,
        );
    }
    for (re, kind) in [
        (&*INVOICE_REF, RefKind::InvoiceRef),
        (&*CUSTOMER_REF, RefKind::CustomerRef),
    ] {
        for c in re.captures_iter(text) {
            let value = c[3].trim_end_matches(['-', '/']).to_string();
            if is_odoo_number(&value) || value.is_empty() {
                continue;
            }
            let explicit = c[2].trim().chars().any(|ch| !ch.is_whitespace());
            let digits = value.chars().filter(|ch| ch.is_ascii_digit()).count();
            let all_digits = digits == value.len();
            // "order 1200 units" is a quantity: a bare number needs five
            // digits, or an explicit "no." / "#" before it
            if all_digits && digits < 5 && !explicit {
                continue;
            }
            if value.len() < 2 || (!explicit && value.len() < 3) {
                continue;
            }
            // "invoice #12588" is both an invoice and (for "order") a
            // customer ref only once
            if kind == RefKind::CustomerRef
                && out
                    .iter()
                    .any(|r| r.kind == RefKind::InvoiceRef && r.value == value)
            {
                continue;
            }
            push(out, kind, value, location);
        }
    }
}

/// Every reference in a message, in the order subject, new text,
/// attachment names, quoted history (each reported once, where first
/// seen), each checked with `check`.
pub fn extract(mail: &Mail, check: &dyn ReferenceCheck) -> Vec<Reference> {
    let mut out = Vec::new();
    scan(&mail.subject, RefLocation::Subject, &mut out);
    scan(&mail.new_text, RefLocation::NewText, &mut out);
    for a in &mail.attachments {
        scan(&a.name, RefLocation::Attachment, &mut out);
    }
    scan(&mail.quoted, RefLocation::Quoted, &mut out);
    for r in &mut out {
        r.found = check.found(r);
    }
    out
}

/// A reference's value normalised for comparison with a labelled one:
/// upper case, without `#`, spaces and leading zeros.
pub fn normalise(value: &str) -> String {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '#')
        .collect::<String>()
        .to_uppercase();
    let t = v.trim_start_matches('0');
    if t.is_empty() {
        v
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(text: &str) -> Vec<(RefKind, String)> {
        let mut out = Vec::new();
        scan(text, RefLocation::NewText, &mut out);
        out.into_iter().map(|r| (r.kind, r.value)).collect()
    }

    #[test]
    fn odoo_numbers() {
        assert_eq!(
            refs("Re: S00042 and P00017, invoice INV/2026/00012, credit note RINV/2026/00003, WH/OUT/00012 / WH/IN/00007, WH2/INT/00003"),
            vec![
                (RefKind::SaleOrder, "S00042".into()),
                (RefKind::PurchaseOrder, "P00017".into()),
                (RefKind::Invoice, "INV/2026/00012".into()),
                (RefKind::CreditNote, "RINV/2026/00003".into()),
                (RefKind::Delivery, "WH/OUT/00012".into()),
                (RefKind::Receipt, "WH/IN/00007".into()),
                (RefKind::Transfer, "WH2/INT/00003".into()),
            ]
        );
        assert_eq!(
            refs("INV_2026_00012.pdf"),
            vec![(RefKind::Invoice, "INV/2026/00012".into())]
        );
    }

    #[test]
    fn free_form_references() {
        assert_eq!(
            refs("our PO 4471-B is late"),
            vec![(RefKind::CustomerRef, "4471-B".into())]
        );
        assert_eq!(
            refs("cancel purchase 00004587345"),
            vec![(RefKind::CustomerRef, "00004587345".into())]
        );
        assert_eq!(
            refs("check invoice #12588"),
            vec![(RefKind::InvoiceRef, "12588".into())]
        );
        assert_eq!(
            refs("order no. 88"),
            vec![(RefKind::CustomerRef, "88".into())]
        );
        // quantities and Odoo numbers are not free-form references
        assert!(refs("I want to order 1200 units").is_empty());
        assert_eq!(
            refs("order S00042"),
            vec![(RefKind::SaleOrder, "S00042".into())]
        );
        assert_eq!(normalise("#00108"), "108");
    }
}
