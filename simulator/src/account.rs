//! Accounting: customer invoices (drafted then posted, or posted at once for
//! web orders), credit notes for refunded returns, vendor bills, payments.

use chrono::Datelike;
use rand::Rng;

use super::model::*;
use super::{day_of, Ev, World};
use crossdock_change::event::Value;

/// One line of an invoice to create.
pub(super) struct InvSpec {
    pub sale_line: Option<usize>,
    pub po_line: Option<usize>,
    pub product: usize,
    pub name: String,
    pub qty: i64,
    pub price_c: i64,
    pub disc_h: i64,
}

/// The header of an invoice to create.
pub(super) struct InvHead {
    pub kind: InvKind,
    pub company: usize,
    pub partner_id: i64,
    pub ship_id: Option<i64>,
    pub origin: String,
    pub reference: Option<String>,
    pub posted: bool,
    pub due_days: i64,
    pub so: Option<usize>,
    pub reversed: Option<usize>,
    pub user: Option<i64>,
    pub team: Option<i64>,
    pub delivery_date: Value,
}

impl World {
    fn civil(&self) -> (i32, u32) {
        let d = chrono::DateTime::from_timestamp_micros(self.now)
            .expect("valid time")
            .date_naive();
        (d.year(), d.month())
    }

    /// The next document name of a kind, e.g. INV/2026/00012.
    fn doc_name(&mut self, company: usize, kind: InvKind) -> String {
        let (y, m) = self.civil();
        match kind {
            InvKind::OutInvoice => {
                let n = self.next_seq(company, &format!("INV/{y}/"));
                format!("INV/{y}/{n:05}")
            }
            InvKind::OutRefund => {
                let n = self.next_seq(company, &format!("RINV/{y}/"));
                format!("RINV/{y}/{n:05}")
            }
            InvKind::InInvoice => {
                let n = self.next_seq(company, &format!("BILL/{y}/{m:02}/"));
                format!("BILL/{y}/{m:02}/{n:04}")
            }
        }
    }

    /// Inserts an invoice / credit note / bill with its lines (product, tax,
    /// payment term) and the sale-line links; returns the invoice index.
    pub(super) fn emit_invoice(&mut self, h: InvHead, specs: Vec<InvSpec>) -> usize {
        let id = self.db.next_id(self.c.am.tid);
        let name = if h.posted {
            self.doc_name(h.company, h.kind)
        } else {
            "/".to_string()
        };
        let co = &self.companies[h.company];
        let (journal, income, tax_acc, term_acc) = match h.kind {
            InvKind::OutInvoice | InvKind::OutRefund => (
                co.sale_journal,
                co.acc.income,
                co.acc.tax_sale,
                co.acc.receivable,
            ),
            InvKind::InInvoice => (
                co.purchase_journal,
                co.acc.expense,
                co.acc.tax_purchase,
                co.acc.payable,
            ),
        };
        let cid = co.id;
        let today = day_of(self.now) as i32;
        let due = today + h.due_days as i32;
        let sign = h.kind.sign();
        // product lines are credits on invoices, debits on refunds and bills
        let line_sign = match h.kind {
            InvKind::OutInvoice => -1,
            InvKind::OutRefund | InvKind::InInvoice => 1,
        };
        let mut untaxed = 0;
        let mut tax = 0;
        let computed: Vec<(i64, i64)> = specs
            .iter()
            .map(|s| {
                let sub = subtotal(s.qty, s.price_c, s.disc_h);
                let t = tax15(sub);
                untaxed += sub;
                tax += t;
                (sub, t)
            })
            .collect();
        let total = untaxed + tax;
        let state = if h.posted { "posted" } else { "draft" };
        let c = &self.c.am;
        let mut r = c.row();
        r[c.id] = Value::Int(id);
        r[c.name] = name.clone().into();
        r[c.r#ref] = h.reference.clone().into();
        r[c.move_type] = h.kind.as_str().into();
        r[c.state] = state.into();
        r[c.date] = Value::Date(today);
        r[c.journal_id] = Value::Int(journal);
        r[c.company_id] = Value::Int(cid);
        r[c.currency_id] = Value::Int(1);
        r[c.partner_id] = Value::Int(h.partner_id);
        r[c.commercial_partner_id] = Value::Int(h.partner_id);
        r[c.partner_shipping_id] = h.ship_id.into();
        r[c.invoice_date] = Value::Date(today);
        r[c.invoice_date_due] = Value::Date(due);
        r[c.delivery_date] = h.delivery_date.clone();
        r[c.invoice_origin] = h.origin.clone().into();
        r[c.payment_reference] = if h.posted {
            Value::Text(name.clone())
        } else {
            Value::Null
        };
        r[c.payment_state] = "not_paid".into();
        r[c.amount_untaxed] = money(untaxed);
        r[c.amount_tax] = money(tax);
        r[c.amount_total] = money(total);
        r[c.amount_residual] = money(total);
        r[c.amount_untaxed_signed] = money(sign * untaxed);
        r[c.amount_total_signed] = money(sign * total);
        r[c.amount_residual_signed] = money(sign * total);
        r[c.reversed_entry_id] = h.reversed.map(|i| self.invoices[i].id).into();
        r[c.invoice_user_id] = h.user.into();
        r[c.team_id] = h.team.into();
        self.db.insert(c.tid, r);

        let mut inv_lines = Vec::new();
        let mut aml_ids = Vec::new();
        let base = |w: &World, aml: &mut Vec<Value>, aid: i64, seq: i64| {
            let c = &w.c.aml;
            aml[c.id] = Value::Int(aid);
            aml[c.move_id] = Value::Int(id);
            aml[c.move_name] = name.clone().into();
            aml[c.parent_state] = state.into();
            aml[c.date] = Value::Date(today);
            aml[c.journal_id] = Value::Int(journal);
            aml[c.company_id] = Value::Int(cid);
            aml[c.company_currency_id] = Value::Int(1);
            aml[c.sequence] = Value::Int(seq);
            aml[c.partner_id] = Value::Int(h.partner_id);
            aml[c.currency_id] = Value::Int(1);
            aml[c.reconciled] = false.into();
            aml[c.amount_residual] = money(0);
            aml[c.is_downpayment] = false.into();
            aml[c.discount] = percent(0);
        };
        let mut rel = Vec::new();
        for (k, (s, (sub, t))) in specs.iter().zip(computed).enumerate() {
            let c = &self.c.aml;
            let aid = self.db.next_id(c.tid);
            let mut r = c.row();
            base(self, &mut r, aid, 10 + k as i64);
            let c = &self.c.aml;
            let p = &self.products[s.product];
            let bal = line_sign * sub;
            r[c.display_type] = "product".into();
            r[c.account_id] = Value::Int(income);
            r[c.name] = s.name.clone().into();
            r[c.product_id] = Value::Int(p.id);
            r[c.product_uom_id] = Value::Int(p.uom_id);
            r[c.quantity] = qty(s.qty);
            r[c.price_unit] = money(s.price_c);
            r[c.discount] = percent(s.disc_h);
            r[c.price_subtotal] = money(sub);
            r[c.price_total] = money(sub + t);
            r[c.debit] = money(bal.max(0));
            r[c.credit] = money((-bal).max(0));
            r[c.balance] = money(bal);
            r[c.amount_currency] = money(bal);
            r[c.purchase_line_id] = s.po_line.map(|l| self.po_lines[l].id).into();
            self.db.insert(c.tid, r);
            aml_ids.push(aid);
            if let Some(l) = s.sale_line {
                rel.push((self.lines[l].id, aid));
            }
            inv_lines.push(InvLine {
                aml_id: aid,
                sale_line: s.sale_line,
                subtotal_c: sub,
            });
        }
        // tax line
        let c = &self.c.aml;
        let aid = self.db.next_id(c.tid);
        let mut r = c.row();
        base(self, &mut r, aid, 1000);
        let c = &self.c.aml;
        let bal = line_sign * tax;
        r[c.display_type] = "tax".into();
        r[c.account_id] = Value::Int(tax_acc);
        r[c.name] = "15%".into();
        r[c.debit] = money(bal.max(0));
        r[c.credit] = money((-bal).max(0));
        r[c.balance] = money(bal);
        r[c.amount_currency] = money(bal);
        self.db.insert(c.tid, r);
        aml_ids.push(aid);
        // payment term (receivable / payable)
        let term = self.db.next_id(c.tid);
        let mut r = c.row();
        base(self, &mut r, term, 1001);
        let c = &self.c.aml;
        let bal = -line_sign * total;
        r[c.display_type] = "payment_term".into();
        r[c.account_id] = Value::Int(term_acc);
        r[c.name] = if h.posted {
            Value::Text(name.clone())
        } else {
            Value::Text(String::new())
        };
        r[c.debit] = money(bal.max(0));
        r[c.credit] = money((-bal).max(0));
        r[c.balance] = money(bal);
        r[c.amount_currency] = money(bal);
        r[c.date_maturity] = Value::Date(due);
        r[c.amount_residual] = money(bal);
        self.db.insert(c.tid, r);
        aml_ids.push(term);
        for (line_id, aid) in rel {
            let c = &self.c.rel;
            let mut r = c.row();
            r[c.order_line_id] = Value::Int(line_id);
            r[c.invoice_line_id] = Value::Int(aid);
            self.db.insert(c.tid, r);
        }
        self.invoices.push(Invoice {
            id,
            kind: h.kind,
            company: h.company,
            partner_id: h.partner_id,
            posted: h.posted,
            name,
            total_c: total,
            so: h.so,
            lines: inv_lines,
            aml_ids,
            term_line: term,
            due,
            paid: false,
            needs_post: !h.posted,
        });
        self.invoices.len() - 1
    }

    /// Bumps a partner's customer or supplier rank (Odoo does it when posting).
    fn rank_partner(&mut self, partner_id: i64, supplier: bool) {
        let c = &self.c.partner;
        let col = if supplier {
            c.supplier_rank
        } else {
            c.customer_rank
        };
        let rank = self.db.get(c.tid, partner_id)[col].as_int().unwrap_or(0);
        self.db
            .set(c.tid, partner_id, [(col, Value::Int(rank + 1))]);
    }

    /// When the customer or the company pays an invoice.
    fn schedule_payment(&mut self, inv: usize) {
        let i = &self.invoices[inv];
        let web =
            i.so.is_some_and(|o| matches!(self.orders[o].channel, ECOM | MARKET));
        if web {
            let t = self.now + self.rng.gen_range(30..300) * SEC;
            self.schedule(t, Ev::Payment(inv));
            return;
        }
        let due = i.due as i64 * DAY;
        let x = self.rng.gen_range(0..100);
        let t = match x {
            0..=59 => due - self.rng.gen_range(0..10) * DAY,
            60..=93 => due + self.rng.gen_range(1..40) * DAY,
            _ => return, // never paid within the period
        };
        let t = self.business(t.max(self.now + DAY), 8 * HOUR);
        self.schedule(t, Ev::Payment(inv));
    }

    // ------------------------------------------------------------ customer invoices

    /// The daily invoicing round: every order with something to invoice.
    pub(super) fn invoice_run(&mut self, ci: usize) {
        let candidates: Vec<usize> = self.invoice_candidates.iter().copied().collect();
        let mut t = self.now;
        for o in candidates {
            if self.orders[o].company != ci {
                continue;
            }
            if self.invoicable_lines(o).is_empty() {
                if self.orders[o].state != SoState::Sale || self.order_settled(o) {
                    self.invoice_candidates.remove(&o);
                }
                continue;
            }
            t += self.rng.gen_range(5..40) * SEC;
            self.schedule(t, Ev::CreateInvoice(o));
        }
    }

    /// True when no delivery or return of the order is open any more (a
    /// new delivery puts the order back on the list).
    fn order_settled(&self, o: usize) -> bool {
        self.orders[o]
            .pickings
            .iter()
            .all(|&p| matches!(self.pickings[p].state, PickState::Done | PickState::Cancel))
    }

    /// Lines to invoice now: (line, quantity).
    fn invoicable_lines(&self, o: usize) -> Vec<(usize, i64)> {
        if self.orders[o].state != SoState::Sale {
            return Vec::new();
        }
        self.orders[o]
            .lines
            .iter()
            .filter_map(|&l| {
                let (q, _, _) = self.line_invoicing(l);
                (q > 0 && !self.lines[l].refund_quirk).then_some((l, q))
            })
            .collect()
    }

    /// Invoices what an order has to invoice (draft for B2B, posted for web).
    pub(super) fn create_invoice(&mut self, o: usize) {
        let todo = self.invoicable_lines(o);
        if todo.is_empty() {
            return;
        }
        let ord = &self.orders[o];
        let ci = ord.company;
        self.db.begin(self.companies[ci].accountant);
        let web = matches!(ord.channel, ECOM | MARKET);
        let cust = &self.customers[ord.customer];
        let specs: Vec<InvSpec> = todo
            .iter()
            .map(|&(l, q)| {
                let ln = &self.lines[l];
                InvSpec {
                    sale_line: Some(l),
                    po_line: None,
                    product: ln.product.expect("product line"),
                    name: ln.name.clone(),
                    qty: q,
                    price_c: ln.price_c,
                    disc_h: ln.disc_h,
                }
            })
            .collect();
        let head = InvHead {
            kind: InvKind::OutInvoice,
            company: ci,
            partner_id: cust.partner_id,
            ship_id: Some(cust.ship_id),
            origin: ord.name.clone(),
            reference: None,
            posted: web,
            due_days: match ord.channel {
                ECOM | MARKET => 0,
                EDI => 45,
                _ => 30,
            },
            so: Some(o),
            reversed: None,
            user: Some(ord.user_id),
            team: Some(self.companies[ci].teams[ord.channel]),
            delivery_date: self.order_delivery_date(o),
        };
        let partner = cust.partner_id;
        let inv = self.emit_invoice(head, specs);
        self.orders[o].invoices.push(inv);
        for (k, &(l, q)) in todo.iter().enumerate() {
            let aml = self.invoices[inv].lines[k].aml_id;
            let sub = self.invoices[inv].lines[k].subtotal_c;
            let ln = &mut self.lines[l];
            ln.invoiced += q;
            ln.inv_lines.push((inv, aml));
            if web {
                ln.invoiced_amt_c += sub;
            }
            self.sync_line(l);
        }
        self.sync_order(o);
        if web {
            self.rank_partner(partner, false);
            self.schedule_payment(inv);
        } else {
            let t = self.now + self.rng.gen_range(10..90) * MIN;
            self.schedule(t, Ev::PostInvoice(inv));
        }
    }

    /// A draft customer invoice is confirmed.
    pub(super) fn post_invoice(&mut self, inv: usize) {
        if self.invoices[inv].posted {
            return;
        }
        let i = &self.invoices[inv];
        let ci = i.company;
        self.db.begin(self.companies[ci].accountant);
        let name = self.doc_name(ci, InvKind::OutInvoice);
        let i = &mut self.invoices[inv];
        i.posted = true;
        i.needs_post = false;
        i.name = name.clone();
        let (id, term, partner, so) = (i.id, i.term_line, i.partner_id, i.so);
        let amls = i.aml_ids.clone();
        let c = &self.c.am;
        self.db.set(
            c.tid,
            id,
            [
                (c.name, Value::Text(name.clone())),
                (c.state, "posted".into()),
                (c.payment_reference, Value::Text(name.clone())),
            ],
        );
        let c = &self.c.aml;
        for aid in amls {
            let mut vals = vec![
                (c.move_name, Value::Text(name.clone())),
                (c.parent_state, Value::from("posted")),
            ];
            if aid == term {
                vals.push((c.name, Value::Text(name.clone())));
            }
            self.db.set(c.tid, aid, vals);
        }
        let lines: Vec<(usize, i64)> = self.invoices[inv]
            .lines
            .iter()
            .filter_map(|l| l.sale_line.map(|s| (s, l.subtotal_c)))
            .collect();
        for (l, sub) in lines {
            self.lines[l].invoiced_amt_c += sub;
            self.sync_line(l);
        }
        if let Some(o) = so {
            self.sync_order(o);
        }
        self.rank_partner(partner, false);
        self.schedule_payment(inv);
    }

    /// A payment is registered and reconciled with the invoice or bill.
    pub(super) fn register_payment(&mut self, inv: usize) {
        let i = &self.invoices[inv];
        if i.paid || !i.posted {
            return;
        }
        let ci = i.company;
        let co = &self.companies[ci];
        self.db.begin(co.accountant);
        let (journal, cid) = (co.bank_journal, co.id);
        let incoming = i.kind == InvKind::OutInvoice;
        let (liquidity, counterpart) = if incoming {
            (co.acc.outstanding_in, co.acc.receivable)
        } else {
            (co.acc.outstanding_out, co.acc.payable)
        };
        let (total, partner, inv_id, term, inv_name) =
            (i.total_c, i.partner_id, i.id, i.term_line, i.name.clone());
        let (y, _) = self.civil();
        let n = self.next_seq(ci, &format!("PBNK1/{y}/"));
        let name = format!("PBNK1/{y}/{n:05}");
        let today = day_of(self.now) as i32;
        let id = self.db.next_id(self.c.am.tid);
        let c = &self.c.am;
        let mut r = c.row();
        r[c.id] = Value::Int(id);
        r[c.name] = name.clone().into();
        r[c.r#ref] = inv_name.clone().into();
        r[c.move_type] = "entry".into();
        r[c.state] = "posted".into();
        r[c.date] = Value::Date(today);
        r[c.journal_id] = Value::Int(journal);
        r[c.company_id] = Value::Int(cid);
        r[c.currency_id] = Value::Int(1);
        r[c.partner_id] = Value::Int(partner);
        r[c.commercial_partner_id] = Value::Int(partner);
        r[c.payment_reference] = inv_name.into();
        r[c.payment_state] = "not_paid".into();
        r[c.amount_untaxed] = money(0);
        r[c.amount_tax] = money(0);
        r[c.amount_total] = money(total);
        r[c.amount_residual] = money(0);
        r[c.amount_untaxed_signed] = money(0);
        r[c.amount_total_signed] = money(total);
        r[c.amount_residual_signed] = money(0);
        self.db.insert(c.tid, r);
        let dir = if incoming { 1 } else { -1 };
        for (k, (acc, bal, reconciled)) in [
            (liquidity, dir * total, false),
            (counterpart, -dir * total, true),
        ]
        .into_iter()
        .enumerate()
        {
            let c = &self.c.aml;
            let aid = self.db.next_id(c.tid);
            let mut r = c.row();
            r[c.id] = Value::Int(aid);
            r[c.move_id] = Value::Int(id);
            r[c.move_name] = name.clone().into();
            r[c.parent_state] = "posted".into();
            r[c.date] = Value::Date(today);
            r[c.journal_id] = Value::Int(journal);
            r[c.company_id] = Value::Int(cid);
            r[c.company_currency_id] = Value::Int(1);
            r[c.sequence] = Value::Int(10 + k as i64);
            r[c.display_type] = "product".into();
            r[c.account_id] = Value::Int(acc);
            r[c.name] = (if incoming {
                "Customer Payment"
            } else {
                "Vendor Payment"
            })
            .into();
            r[c.partner_id] = Value::Int(partner);
            r[c.debit] = money(bal.max(0));
            r[c.credit] = money((-bal).max(0));
            r[c.balance] = money(bal);
            r[c.amount_currency] = money(bal);
            r[c.currency_id] = Value::Int(1);
            r[c.reconciled] = reconciled.into();
            r[c.amount_residual] = money(if reconciled { 0 } else { bal });
            r[c.is_downpayment] = false.into();
            self.db.insert(c.tid, r);
        }
        self.invoices[inv].paid = true;
        let c = &self.c.am;
        self.db.set(
            c.tid,
            inv_id,
            [
                (c.payment_state, "paid".into()),
                (c.amount_residual, money(0)),
                (c.amount_residual_signed, money(0)),
            ],
        );
        let c = &self.c.aml;
        self.db.set(
            c.tid,
            term,
            [(c.reconciled, true.into()), (c.amount_residual, money(0))],
        );
    }

    // ------------------------------------------------------------ credit notes

    /// The refund of a validated customer return: a credit note reversing
    /// the invoice of the returned lines.
    pub(super) fn credit_note(&mut self, rp: usize) {
        let Some(o) = self.pickings[rp].sale else {
            return;
        };
        let mut todo: Vec<(usize, i64)> = Vec::new();
        for &m in &self.pickings[rp].moves {
            let mv = &self.moves[m];
            let Some(l) = mv.sale_line else { continue };
            let ln = &self.lines[l];
            let pi = ln.product.expect("product line");
            let credit = if self.products[pi].policy_order {
                mv.quantity.min(ln.invoiced)
            } else {
                (ln.invoiced - ln.delivered).clamp(0, mv.quantity)
            };
            if credit > 0 && ln.inv_lines.iter().any(|&(i, _)| self.invoices[i].posted) {
                todo.push((l, credit));
            }
        }
        if todo.is_empty() {
            return;
        }
        // the latest posted invoice of the first line is the one reversed
        let (first, _) = todo[0];
        let reversed = self.lines[first]
            .inv_lines
            .iter()
            .rev()
            .find(|&&(i, _)| {
                self.invoices[i].posted && self.invoices[i].kind == InvKind::OutInvoice
            })
            .map(|&(i, _)| i);
        let Some(reversed) = reversed else { return };
        let ord = &self.orders[o];
        let ci = ord.company;
        self.db.begin(self.companies[ci].accountant);
        let cust = &self.customers[ord.customer];
        let specs: Vec<InvSpec> = todo
            .iter()
            .map(|&(l, q)| {
                let ln = &self.lines[l];
                InvSpec {
                    sale_line: Some(l),
                    po_line: None,
                    product: ln.product.expect("product line"),
                    name: ln.name.clone(),
                    qty: q,
                    price_c: ln.price_c,
                    disc_h: ln.disc_h,
                }
            })
            .collect();
        let head = InvHead {
            kind: InvKind::OutRefund,
            company: ci,
            partner_id: cust.partner_id,
            ship_id: Some(cust.ship_id),
            origin: ord.name.clone(),
            reference: Some(format!(
                "Reversal of: {}, {}",
                self.invoices[reversed].name, self.pickings[rp].origin
            )),
            posted: true,
            due_days: 0,
            so: Some(o),
            reversed: Some(reversed),
            user: Some(ord.user_id),
            team: Some(self.companies[ci].teams[ord.channel]),
            delivery_date: Value::Null,
        };
        let partner = cust.partner_id;
        let inv = self.emit_invoice(head, specs);
        self.orders[o].invoices.push(inv);
        for (k, &(l, q)) in todo.iter().enumerate() {
            let aml = self.invoices[inv].lines[k].aml_id;
            let sub = self.invoices[inv].lines[k].subtotal_c;
            let pi = self.lines[l].product.expect("product line");
            let policy_order = self.products[pi].policy_order;
            let ln = &mut self.lines[l];
            ln.invoiced -= q;
            ln.invoiced_amt_c -= sub;
            ln.inv_lines.push((inv, aml));
            if policy_order {
                ln.refund_quirk = true;
            }
            self.sync_line(l);
        }
        self.sync_order(o);
        self.rank_partner(partner, false);
    }

    // ------------------------------------------------------------ vendor bills

    /// The vendor's bill for what the purchase order has to bill.
    pub(super) fn vendor_bill(&mut self, po: usize) {
        self.pos[po].bill_pending = false;
        let todo: Vec<(usize, i64)> = self.pos[po]
            .lines
            .iter()
            .filter_map(|&l| {
                let q = self.po_line_to_invoice(l);
                (q > 0).then_some((l, q))
            })
            .collect();
        if todo.is_empty() {
            return;
        }
        let ci = self.pos[po].company;
        self.db.begin(self.companies[ci].accountant);
        let vendor = self.pos[po].vendor;
        let partner = self.vendors[vendor].partner_id;
        let specs: Vec<InvSpec> = todo
            .iter()
            .map(|&(l, q)| {
                let pl = &self.po_lines[l];
                InvSpec {
                    sale_line: None,
                    po_line: Some(l),
                    product: pl.product,
                    name: format!(
                        "{}: {}",
                        self.pos[po].name, self.products[pl.product].display
                    ),
                    qty: q,
                    price_c: pl.price_c,
                    disc_h: 0,
                }
            })
            .collect();
        let reference = format!(
            "{}-INV-{}",
            self.vendors[vendor].code,
            self.rng.gen_range(10_000..99_999)
        );
        let head = InvHead {
            kind: InvKind::InInvoice,
            company: ci,
            partner_id: partner,
            ship_id: None,
            origin: self.pos[po].name.clone(),
            reference: Some(reference),
            posted: true,
            due_days: 30,
            so: None,
            reversed: None,
            user: Some(self.companies[ci].buyer),
            team: None,
            delivery_date: Value::Null,
        };
        let inv = self.emit_invoice(head, specs);
        self.pos[po].has_bill = true;
        for &(l, q) in &todo {
            self.po_lines[l].invoiced += q;
            self.sync_po_line(l);
        }
        self.sync_po(po, []);
        self.rank_partner(partner, true);
        self.schedule_payment(inv);
    }
}
