//! Purchasing: reordering rules, RFQs, confirmation with the receipt,
//! receipts (late, short, backorders), and cost / list price changes.

use rand::Rng;

use super::model::*;
use super::{Ev, World};
use crossdock_change::event::Value;

impl World {
    /// Forecast of (warehouse, product): on hand − open demand + incoming
    /// (Odoo's virtual_available, with draft RFQ quantities in progress).
    fn forecast(&self, w: usize, pi: usize) -> i64 {
        let c = &self.stock[w][pi];
        c.qty - c.open_out + c.open_in
    }

    /// What a reordering rule asks for now (0 when the forecast is not below min).
    pub(super) fn suggestion(&self, op: usize) -> i64 {
        let o = &self.orderpoints[op];
        let f = self.forecast(o.wh, o.product);
        if f >= o.min {
            return 0;
        }
        let need = o.max - f;
        let mult = o.mult.max(1);
        (need + mult - 1) / mult * mult
    }

    /// The reordering rules of a company: automatic ones every night,
    /// manual ones when the buyer opens the replenishment report (Mondays).
    pub(super) fn replenish(&mut self, ci: usize, manual: bool) {
        let whs = self.companies[ci].warehouses.clone();
        self.db.begin(if manual {
            self.companies[ci].buyer
        } else {
            self.system_uid
        });
        let mut groups = std::collections::BTreeSet::new();
        for &w in &whs {
            for pi in 0..self.products.len() {
                let Some(op) = self.stock[w][pi].orderpoint else {
                    continue;
                };
                if self.orderpoints[op].auto == manual {
                    continue;
                }
                let s = self.suggestion(op);
                if manual && s != self.orderpoints[op].qty_to_order {
                    self.orderpoints[op].qty_to_order = s;
                    let c = &self.c.op;
                    self.db
                        .set(c.tid, self.orderpoints[op].id, [(c.qty_to_order, qty(s))]);
                }
                if s > 0 {
                    let vendor = self.sinfos[self.products[pi].sinfos[0]].vendor;
                    groups.insert((w, vendor));
                }
            }
        }
        let mut t = self.now;
        for (w, vendor) in groups {
            t += self.rng.gen_range(5..30) * SEC;
            self.schedule(
                t,
                Ev::RfqGroup {
                    wh: w,
                    vendor,
                    manual,
                },
            );
        }
    }

    /// Creates or extends the draft RFQ of a vendor for a warehouse.
    pub(super) fn rfq_group(&mut self, w: usize, vendor: usize, manual: bool) {
        let mut items = Vec::new();
        for k in 0..self.vendors[vendor].products.len() {
            let pi = self.vendors[vendor].products[k];
            let Some(op) = self.stock[w][pi].orderpoint else {
                continue;
            };
            let si = self.products[pi].sinfos[0];
            if self.orderpoints[op].auto == manual || self.sinfos[si].vendor != vendor {
                continue;
            }
            let mut q = self.suggestion(op);
            if q <= 0 {
                continue;
            }
            let min_qty = self.sinfos[si].min_qty;
            if q < min_qty {
                let mult = self.orderpoints[op].mult.max(1);
                q = (min_qty + mult - 1) / mult * mult;
            }
            items.push((pi, op, q));
        }
        if items.is_empty() {
            return;
        }
        let ci = self.warehouses[w].company;
        let buyer = self.companies[ci].buyer;
        self.db.begin(if manual { buyer } else { self.system_uid });
        let key = (w, vendor, manual);
        let (po, new) = match self.draft_rfq.get(&key) {
            Some(&po) => (po, false),
            None => {
                let id = self.db.next_id(self.c.po.tid);
                self.po_seq += 1;
                self.pos.push(Po {
                    id,
                    name: format!("P{:05}", self.po_seq),
                    company: ci,
                    vendor,
                    wh: w,
                    state: PoState::Draft,
                    lines: Vec::new(),
                    pickings: Vec::new(),
                    date_order: self.now,
                    origins: Vec::new(),
                    bill_pending: false,
                    effective: None,
                    has_bill: false,
                });
                let po = self.pos.len() - 1;
                self.draft_rfq.insert(key, po);
                (po, true)
            }
        };
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        for (pi, op, q) in items {
            self.stock[w][pi].open_in += q;
            let opname = self.orderpoints[op].name.clone();
            if !self.pos[po].origins.contains(&opname) {
                self.pos[po].origins.push(opname);
            }
            let existing = self.pos[po]
                .lines
                .iter()
                .copied()
                .find(|&l| self.po_lines[l].product == pi);
            match existing {
                Some(l) => {
                    self.po_lines[l].qty += q;
                    updates.push(l);
                }
                None => {
                    let si = self.products[pi].sinfos[0];
                    let id = self.db.next_id(self.c.pol.tid);
                    self.po_lines.push(PoLine {
                        id,
                        po,
                        product: pi,
                        qty: q,
                        price_c: self.sinfos[si].price_c,
                        // Odoo: PO date_order + vendor lead time
                        date_planned: self.pos[po].date_order + self.sinfos[si].delay * DAY,
                        received: 0,
                        invoiced: 0,
                        orderpoint: Some(op),
                    });
                    let l = self.po_lines.len() - 1;
                    self.pos[po].lines.push(l);
                    inserts.push(l);
                }
            }
            if manual && self.orderpoints[op].qty_to_order != 0 {
                self.orderpoints[op].qty_to_order = 0;
                let c = &self.c.op;
                self.db
                    .set(c.tid, self.orderpoints[op].id, [(c.qty_to_order, qty(0))]);
            }
        }
        if new {
            self.emit_po(po);
        }
        for l in inserts {
            self.emit_po_line(l);
        }
        for l in updates {
            self.sync_po_line(l);
        }
        if !new {
            self.sync_po(po, []);
        }
        if new {
            if self.chance(0.1) {
                let t = self.now + self.rng.gen_range(HOUR / SEC..5 * HOUR / SEC) * SEC;
                let t = self.business(t, 2 * HOUR);
                self.schedule(t, Ev::SendPo(po));
            }
            let t = self.now + self.rng.gen_range(2 * HOUR / SEC..26 * HOUR / SEC) * SEC;
            let t = self.business(t, 3 * HOUR);
            let t = t.max(self.now + 5 * HOUR);
            self.schedule(t, Ev::ConfirmPo(po));
        }
    }

    /// PO totals: (untaxed, tax, earliest planned date).
    fn po_totals(&self, po: usize) -> (i64, i64, Option<i64>) {
        let mut t = (0, 0, None::<i64>);
        for &l in &self.pos[po].lines {
            let pl = &self.po_lines[l];
            let sub = subtotal(pl.qty, pl.price_c, 0);
            t.0 += sub;
            t.1 += tax15(sub);
            t.2 = Some(t.2.map_or(pl.date_planned, |d| d.min(pl.date_planned)));
        }
        t
    }

    fn emit_po(&mut self, po: usize) {
        let p = &self.pos[po];
        let (untaxed, tax, planned) = self.po_totals(po);
        let c = &self.c.po;
        let mut r = c.row();
        r[c.id] = Value::Int(p.id);
        r[c.name] = p.name.clone().into();
        r[c.state] = p.state.as_str().into();
        r[c.priority] = "0".into();
        r[c.origin] = p.origins.join(", ").into();
        r[c.partner_id] = Value::Int(self.vendors[p.vendor].partner_id);
        r[c.date_order] = Value::Timestamp(p.date_order);
        r[c.date_planned] = planned.map(Value::Timestamp).unwrap_or(Value::Null);
        r[c.invoice_status] = "no".into();
        r[c.currency_id] = Value::Int(1);
        r[c.currency_rate] = Value::Float(1.0);
        r[c.amount_untaxed] = money(untaxed);
        r[c.amount_tax] = money(tax);
        r[c.amount_total] = money(untaxed + tax);
        r[c.picking_type_id] = Value::Int(self.warehouses[p.wh].in_type);
        r[c.user_id] = Value::Int(self.companies[p.company].buyer);
        r[c.company_id] = Value::Int(self.companies[p.company].id);
        self.db.insert(c.tid, r);
    }

    fn emit_po_line(&mut self, l: usize) {
        let pl = &self.po_lines[l];
        let p = &self.pos[pl.po];
        let prod = &self.products[pl.product];
        let sub = subtotal(pl.qty, pl.price_c, 0);
        let tax = tax15(sub);
        let c = &self.c.pol;
        let mut r = c.row();
        r[c.id] = Value::Int(pl.id);
        r[c.order_id] = Value::Int(p.id);
        let pos = p.lines.iter().position(|&x| x == l).unwrap_or(0);
        r[c.sequence] = Value::Int(10 * (pos as i64 + 1));
        r[c.product_id] = Value::Int(prod.id);
        r[c.name] = prod.display.clone().into();
        r[c.product_qty] = qty(pl.qty);
        r[c.product_uom] = Value::Int(prod.uom_id);
        r[c.product_uom_qty] = Value::Float(pl.qty as f64);
        r[c.price_unit] = money(pl.price_c);
        r[c.discount] = percent(0);
        r[c.price_subtotal] = money(sub);
        r[c.price_tax] = fmoney(tax);
        r[c.price_total] = money(sub + tax);
        r[c.date_planned] = Value::Timestamp(pl.date_planned);
        r[c.qty_received_method] = "stock_moves".into();
        r[c.qty_received] = qty(0);
        r[c.qty_received_manual] = qty(0);
        r[c.qty_invoiced] = qty(0);
        r[c.qty_to_invoice] = qty(0);
        r[c.state] = p.state.as_str().into();
        r[c.partner_id] = Value::Int(self.vendors[p.vendor].partner_id);
        r[c.company_id] = Value::Int(self.companies[p.company].id);
        r[c.currency_id] = Value::Int(1);
        r[c.orderpoint_id] = pl.orderpoint.map(|o| self.orderpoints[o].id).into();
        self.db.insert(c.tid, r);
    }

    /// qty_to_invoice of a PO line (ordered or received, minus billed).
    pub(super) fn po_line_to_invoice(&self, l: usize) -> i64 {
        let pl = &self.po_lines[l];
        if self.pos[pl.po].state != PoState::Purchase {
            return 0;
        }
        let base = if self.products[pl.product].bill_on_order {
            pl.qty
        } else {
            pl.received
        };
        base - pl.invoiced
    }

    pub(super) fn sync_po_line(&mut self, l: usize) {
        let to_inv = self.po_line_to_invoice(l);
        let pl = &self.po_lines[l];
        let state = self.pos[pl.po].state;
        let sub = subtotal(pl.qty, pl.price_c, 0);
        let tax = tax15(sub);
        let c = &self.c.pol;
        let vals = [
            (c.product_qty, qty(pl.qty)),
            (c.product_uom_qty, Value::Float(pl.qty as f64)),
            (c.price_subtotal, money(sub)),
            (c.price_tax, fmoney(tax)),
            (c.price_total, money(sub + tax)),
            (c.qty_received, qty(pl.received)),
            (c.qty_invoiced, qty(pl.invoiced)),
            (c.qty_to_invoice, qty(to_inv)),
            (c.state, Value::from(state.as_str())),
        ];
        self.db.set(c.tid, pl.id, vals);
    }

    /// Writes a PO's stored computed columns that changed (plus `extra`).
    pub(super) fn sync_po<const N: usize>(&mut self, po: usize, extra: [(usize, Value); N]) {
        let (untaxed, tax, planned) = self.po_totals(po);
        let p = &self.pos[po];
        let picks = &p.pickings;
        let receipt = if picks.is_empty()
            || picks
                .iter()
                .all(|&k| self.pickings[k].state == PickState::Cancel)
        {
            Value::Null
        } else if picks
            .iter()
            .all(|&k| matches!(self.pickings[k].state, PickState::Done | PickState::Cancel))
        {
            "full".into()
        } else if picks
            .iter()
            .any(|&k| self.pickings[k].state == PickState::Done)
        {
            "partial".into()
        } else {
            "pending".into()
        };
        let invoice = if p.state != PoState::Purchase {
            "no"
        } else if p.lines.iter().any(|&l| self.po_line_to_invoice(l) != 0) {
            "to invoice"
        } else if p.has_bill {
            "invoiced"
        } else {
            "no"
        };
        let c = &self.c.po;
        let vals = [
            (c.state, Value::from(p.state.as_str())),
            (c.origin, Value::Text(p.origins.join(", "))),
            (
                c.date_planned,
                planned.map(Value::Timestamp).unwrap_or(Value::Null),
            ),
            (
                c.effective_date,
                p.effective.map(Value::Timestamp).unwrap_or(Value::Null),
            ),
            (c.receipt_status, receipt),
            (c.invoice_status, Value::from(invoice)),
            (c.amount_untaxed, money(untaxed)),
            (c.amount_tax, money(tax)),
            (c.amount_total, money(untaxed + tax)),
        ];
        self.db.set(c.tid, p.id, extra.into_iter().chain(vals));
    }

    /// The RFQ is e-mailed to the vendor.
    pub(super) fn send_po(&mut self, po: usize) {
        if self.pos[po].state != PoState::Draft {
            return;
        }
        self.db.begin(self.companies[self.pos[po].company].buyer);
        self.pos[po].state = PoState::Sent;
        self.draft_rfq.retain(|_, v| *v != po);
        self.sync_po(po, []);
        for l in self.pos[po].lines.clone() {
            self.sync_po_line(l);
        }
    }

    /// The buyer confirms the RFQ: the receipt is created, ready to receive.
    pub(super) fn confirm_po(&mut self, po: usize) {
        if !matches!(self.pos[po].state, PoState::Draft | PoState::Sent) {
            return;
        }
        let ci = self.pos[po].company;
        self.db.begin(self.companies[ci].buyer);
        let (w, vendor) = (self.pos[po].wh, self.pos[po].vendor);
        self.draft_rfq.retain(|_, v| *v != po);
        self.pos[po].state = PoState::Purchase;
        let partner_ref = if self.chance(0.6) {
            Value::Text(format!("SO{}", self.rng.gen_range(100_000..999_999)))
        } else {
            Value::Null
        };
        let c = &self.c.po;
        let extra = [
            (c.date_approve, Value::Timestamp(self.now)),
            (c.partner_ref, partner_ref),
        ];
        let lines = self.pos[po].lines.clone();
        let planned = lines
            .iter()
            .map(|&l| self.po_lines[l].date_planned)
            .min()
            .unwrap_or(self.now);
        let origin = self.pos[po].name.clone();
        let partner = self.vendors[vendor].partner_id;
        let p = self.new_picking(
            PickKind::In,
            w,
            None,
            Some(po),
            false,
            origin,
            partner,
            None,
            planned,
            Some(planned),
        );
        let mut moves = Vec::new();
        for &l in &lines {
            let pl = &self.po_lines[l];
            let (pi, q, d, price) = (pl.product, pl.qty, pl.date_planned, pl.price_c);
            let m = self.new_move(p, pi, q, q, MoveState::Assigned, d, Some(d), None, Some(l));
            moves.push((m, price));
        }
        self.pickings[p].state = PickState::Assigned;
        self.sync_po(po, extra);
        for &l in &lines {
            self.sync_po_line(l);
        }
        self.emit_picking(p, None, None);
        for (m, price) in moves {
            self.emit_move(m, None, price);
        }
        // when the goods arrive
        let v = &self.vendors[vendor];
        let (late_p, late_max) = (v.late_p, v.late_max);
        let shift = if self.chance(late_p) {
            self.rng.gen_range(1..=late_max)
        } else if self.chance(0.1) {
            -1
        } else {
            0
        };
        let day = (super::day_of(planned) + shift).max(super::day_of(self.now) + 1);
        let t = self.at_between(day * DAY + 8 * HOUR, day * DAY + 15 * HOUR);
        let t = self.business(t, 4 * HOUR);
        self.schedule(t, Ev::Receive(p));
    }

    /// The vendor's goods arrive: the receipt is validated with what came
    /// (short deliveries become a backorder or are cancelled).
    pub(super) fn receive(&mut self, p: usize) {
        if self.pickings[p].state != PickState::Assigned || self.pickings[p].kind != PickKind::In {
            return;
        }
        let po = self.pickings[p].po.expect("receipt of a PO");
        let w = self.pickings[p].wh;
        let vendor = self.pos[po].vendor;
        let (short_p, backorder_p) = (
            self.vendors[vendor].short_p,
            self.vendors[vendor].backorder_p,
        );
        self.db.begin(self.warehouses[w].user);
        let moves: Vec<usize> = self.pickings[p]
            .moves
            .iter()
            .copied()
            .filter(|&m| self.moves[m].state.open())
            .collect();
        let short = self.chance(short_p);
        let mut received = Vec::new();
        for (k, &m) in moves.iter().enumerate() {
            let d = self.moves[m].demand;
            let r = if short && (k == 0 || self.chance(0.4)) {
                ((d as f64 * self.rng.gen_range(0.3..0.95)).floor() as i64).clamp(0, d)
            } else {
                d
            };
            received.push(r);
        }
        let any_rest = moves
            .iter()
            .zip(&received)
            .any(|(&m, &r)| r < self.moves[m].demand);
        let backorder = if any_rest && self.chance(backorder_p) {
            let pk = &self.pickings[p];
            let (origin, partner, deadline) = (pk.origin.clone(), pk.partner_id, pk.deadline);
            let b = self.new_picking(
                PickKind::In,
                w,
                None,
                Some(po),
                false,
                origin,
                partner,
                None,
                self.now + 3 * DAY,
                deadline,
            );
            self.pickings[b].state = PickState::Assigned;
            self.emit_picking(b, Some(p), None);
            Some(b)
        } else {
            None
        };
        let mut new_moves = Vec::new();
        let mut products = Vec::new();
        for (&m, &r) in moves.iter().zip(&received) {
            let mv = &self.moves[m];
            let (pi, d, id, sched, deadline, l) = (
                mv.product,
                mv.demand,
                mv.id,
                mv.sched,
                mv.deadline,
                mv.po_line,
            );
            let price = l.map(|l| self.po_lines[l].price_c).unwrap_or(0);
            let rest = d - r;
            let c = &self.c.mv;
            if r == 0 {
                match backorder {
                    Some(b) => {
                        self.pickings[p].moves.retain(|&x| x != m);
                        self.pickings[b].moves.push(m);
                        self.moves[m].picking = Some(b);
                        let (bid, bname) = (self.pickings[b].id, self.pickings[b].name.clone());
                        self.db.set(
                            c.tid,
                            id,
                            [(c.picking_id, Value::Int(bid)), (c.reference, bname.into())],
                        );
                    }
                    None => {
                        let mv = &mut self.moves[m];
                        mv.state = MoveState::Cancel;
                        mv.quantity = 0;
                        self.stock[w][pi].open_in -= d;
                        self.db.set(
                            c.tid,
                            id,
                            [(c.state, "cancel".into()), (c.quantity, qty(0))],
                        );
                    }
                }
                continue;
            }
            if rest > 0 {
                match backorder {
                    Some(b) => {
                        let n = self.new_move(
                            b,
                            pi,
                            rest,
                            rest,
                            MoveState::Assigned,
                            sched,
                            deadline,
                            None,
                            l,
                        );
                        new_moves.push((n, price));
                    }
                    None => {
                        let n = self.new_move(
                            p,
                            pi,
                            rest,
                            0,
                            MoveState::Cancel,
                            sched,
                            deadline,
                            None,
                            l,
                        );
                        self.stock[w][pi].open_in -= rest;
                        new_moves.push((n, price));
                    }
                }
            }
            let mv = &mut self.moves[m];
            mv.demand = r;
            mv.quantity = r;
            mv.state = MoveState::Done;
            mv.date = self.now;
            let c = &self.c.mv;
            self.db.set(
                c.tid,
                id,
                [
                    (c.state, "done".into()),
                    (c.date, Value::Timestamp(self.now)),
                    (c.product_uom_qty, qty(r)),
                    (c.product_qty, qty(r)),
                    (c.quantity, qty(r)),
                    (c.picked, true.into()),
                ],
            );
            self.stock[w][pi].qty += r;
            self.stock[w][pi].open_in -= r;
            if let Some(l) = l {
                self.po_lines[l].received += r;
            }
            products.push(pi);
        }
        for (n, price) in new_moves {
            self.emit_move(n, None, price);
        }
        self.refresh_picking(p);
        if self.pos[po].effective.is_none() {
            self.pos[po].effective = Some(self.now);
        }
        for l in self.pos[po].lines.clone() {
            self.sync_po_line(l);
        }
        self.sync_po(po, []);
        products.sort_unstable();
        products.dedup();
        for pi in products {
            self.assign_product(w, pi);
            self.write_quant(w, pi);
        }
        if let Some(b) = backorder {
            let t = self.days_later(3, 11);
            let t = self.business(t, 6 * HOUR);
            self.schedule(t, Ev::Receive(b));
        }
        if !self.pos[po].bill_pending {
            self.pos[po].bill_pending = true;
            let t = self.days_later(1, 6);
            let t = self.business(t, 8 * HOUR);
            self.schedule(t, Ev::VendorBill(po));
        }
    }

    // ------------------------------------------------------------ prices

    /// Weekly vendor price changes: the cost (ir_property) and the vendor
    /// pricelist of a few products move.
    pub(super) fn cost_update(&mut self) {
        self.db.begin(self.companies[0].buyer);
        let n = (self.products.len() / 50).max(1);
        for _ in 0..n {
            let pi = self.rng.gen_range(0..self.products.len());
            let factor = self.rng.gen_range(0.97..1.08);
            for ci in 0..self.companies.len() {
                let p = &mut self.products[pi];
                let new = ((p.cost_c[ci] as f64 * factor).round() as i64).max(1);
                p.cost_c[ci] = new;
                let prop = p.cost_prop[ci];
                let c = &self.c.prop;
                self.db.set(c.tid, prop, [(c.value_float, fmoney(new))]);
            }
            let si = self.products[pi].sinfos[0];
            let new = self.products[pi].cost_c[0];
            self.sinfos[si].price_c = new;
            let c = &self.c.sinfo;
            self.db
                .set(c.tid, self.sinfos[si].id, [(c.price, money(new))]);
        }
    }

    /// Monthly list price increases on a few products.
    pub(super) fn list_price_update(&mut self) {
        self.db.begin(self.admin_uid);
        let n = (self.products.len() * 3 / 100).max(1);
        for _ in 0..n {
            let pi = self.rng.gen_range(0..self.products.len());
            let factor = self.rng.gen_range(1.02..1.08);
            let p = &mut self.products[pi];
            p.list_c = (p.list_c as f64 * factor).round() as i64;
            let (tmpl, pid, list) = (p.tmpl_id, p.id, p.list_c);
            let c = &self.c.tmpl;
            self.db.set(c.tid, tmpl, [(c.list_price, money(list))]);
            // the variant's write_date follows its template's
            self.db.touch(self.c.product.tid, pid, []);
        }
    }
}
