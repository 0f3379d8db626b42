//! Sales: demand, quotations, revisions, confirmation (with the delivery
//! picking and reservation), cancellation, and the stored computed columns of
//! orders and lines.

use rand::Rng;

use super::model::*;
use super::{date_of, Ev, World};
use crossdock_change::event::Value;

impl World {
    // ------------------------------------------------------------ demand

    /// Product weights of the day, by demand pattern.
    pub(super) fn compute_day_weights(&mut self, d: u32) {
        let mut cum = Vec::with_capacity(self.products.len());
        let mut total = 0.0;
        for i in 0..self.products.len() {
            let p = &self.products[i];
            let (pattern, weight, phase) = (p.pattern, p.weight, p.phase);
            let f = match pattern {
                Pattern::Smooth => 1.0,
                Pattern::Seasonal => {
                    1.0 + 0.7 * det_sin(std::f64::consts::TAU * d as f64 / 56.0 + phase)
                }
                Pattern::Intermittent => {
                    if self.rng.gen_bool(0.12) {
                        5.0
                    } else {
                        0.0
                    }
                }
                Pattern::Lumpy => {
                    if self.rng.gen_bool(0.2) {
                        3.0
                    } else {
                        0.0
                    }
                }
            };
            total += weight * f;
            cum.push(total);
        }
        if total <= 0.0 {
            cum = (1..=self.products.len()).map(|i| i as f64).collect();
        }
        self.day_cum = cum;
    }

    fn sample_product(&mut self) -> usize {
        let total = *self.day_cum.last().expect("products exist");
        let x = self.rng.gen_range(0.0..total);
        self.day_cum
            .partition_point(|&c| c <= x)
            .min(self.products.len() - 1)
    }

    /// Ordered quantity of a line.
    fn line_qty(&mut self, ch: usize, pi: usize) -> i64 {
        let prof = &PROFILES[ch];
        let p = &self.products[pi];
        let (qf, lumpy) = (p.qty_factor, p.pattern == Pattern::Lumpy);
        let base = if ch == ECOM {
            let mut q = 1;
            while q < prof.qty.1 && self.rng.gen_bool(0.4) {
                q += 1;
            }
            q as f64
        } else {
            self.rng.gen_range(prof.qty.0..=prof.qty.1) as f64
        };
        let f = if matches!(ch, ECOM | MARKET) {
            qf.sqrt()
        } else {
            qf
        };
        let mut q = ((base * f).round() as i64).max(1);
        if lumpy && self.rng.gen_bool(0.35) {
            q *= self.rng.gen_range(2..=6);
        }
        q
    }

    /// Unit price (cents) and discount (hundredths of %) of a line, with the
    /// channel's habits and its deliberate leaks.
    fn line_price(&mut self, ch: usize, pi: usize, ci: usize) -> (i64, i64) {
        let (list, cost) = (self.products[pi].list_c, self.products[pi].cost_c[ci]);
        let below_cost_p = [0.015, 0.01, 0.005, 0.02, 0.0][ch];
        if self.chance(below_cost_p) {
            let price = ((cost as f64 * self.rng.gen_range(0.80..0.97)).round() as i64).max(1);
            return (price, 0);
        }
        let scaled = |rng: &mut rand_chacha::ChaCha8Rng, lo: f64, hi: f64| {
            ((list as f64 * rng.gen_range(lo..hi)).round() as i64).max(1)
        };
        match ch {
            FIELD => {
                let price = if self.chance(0.05) {
                    scaled(&mut self.rng, 0.85, 0.95)
                } else {
                    list
                };
                let x = self.rng.gen_range(0..100);
                let disc = match x {
                    0..=49 => 0,
                    50..=86 => self.pick(&[200, 300, 500, 750, 1000]),
                    _ => self.pick(&[1200, 1500, 1750, 2000]),
                };
                (price, disc)
            }
            INSIDE => {
                let price = if self.chance(0.02) {
                    scaled(&mut self.rng, 0.90, 0.97)
                } else {
                    list
                };
                let x = self.rng.gen_range(0..100);
                let disc = match x {
                    0..=69 => 0,
                    70..=93 => self.pick(&[200, 300, 500]),
                    _ => self.pick(&[700, 800, 1000]),
                };
                (price, disc)
            }
            ECOM => {
                let price = if self.chance(0.03) {
                    scaled(&mut self.rng, 0.90, 0.98)
                } else {
                    list
                };
                let disc = if self.chance(0.02) {
                    self.pick(&[500, 1000])
                } else {
                    0
                };
                (price, disc)
            }
            MARKET => {
                let price = if self.chance(0.2) {
                    scaled(&mut self.rng, 0.85, 0.97)
                } else {
                    list
                };
                (price, 0)
            }
            _ => {
                let price = if self.chance(0.4) {
                    scaled(&mut self.rng, 0.92, 0.98)
                } else {
                    list
                };
                let x = self.rng.gen_range(0..100);
                let disc = match x {
                    0..=59 => 0,
                    60..=95 => self.pick(&[100, 200, 300]),
                    _ => self.pick(&[400, 500]),
                };
                (price, disc)
            }
        }
    }

    /// A new product line (domain only).
    fn new_line(&mut self, o: usize, pi: usize, q: i64, price_c: i64, disc_h: i64) -> usize {
        let ci = self.orders[o].company;
        let id = self.db.next_id(self.c.sol.tid);
        let sub = subtotal(q, price_c, disc_h);
        let p = &self.products[pi];
        self.lines.push(Line {
            id,
            order: o,
            product: Some(pi),
            qty: q,
            price_c,
            disc_h,
            subtotal_c: sub,
            tax_c: tax15(sub),
            pp_c: p.cost_c[ci],
            delivered: 0,
            invoiced: 0,
            invoiced_amt_c: 0,
            deliveries: Vec::new(),
            returned: 0,
            refund_quirk: false,
            deleted: false,
            name: p.display.clone(),
            inv_lines: Vec::new(),
        });
        self.orders[o].lines.push(self.lines.len() - 1);
        self.lines.len() - 1
    }

    /// A section or note row (domain only).
    fn new_display_line(&mut self, o: usize, name: &str) -> usize {
        let id = self.db.next_id(self.c.sol.tid);
        self.lines.push(Line {
            id,
            order: o,
            product: None,
            qty: 0,
            price_c: 0,
            disc_h: 0,
            subtotal_c: 0,
            tax_c: 0,
            pp_c: 0,
            delivered: 0,
            invoiced: 0,
            invoiced_amt_c: 0,
            deliveries: Vec::new(),
            returned: 0,
            refund_quirk: false,
            deleted: false,
            name: name.to_string(),
            inv_lines: Vec::new(),
        });
        self.orders[o].lines.push(self.lines.len() - 1);
        self.lines.len() - 1
    }

    /// Order totals in cents: (untaxed, tax, margin).
    fn order_totals(&self, o: usize) -> (i64, i64, i64) {
        let mut t = (0, 0, 0);
        for &l in &self.orders[o].lines {
            let ln = &self.lines[l];
            t.0 += ln.subtotal_c;
            t.1 += ln.tax_c;
            t.2 += ln.subtotal_c - ln.pp_c * ln.qty;
        }
        t
    }

    fn amount_values(&self, o: usize) -> [(usize, Value); 5] {
        let (untaxed, tax, margin) = self.order_totals(o);
        let c = &self.c.so;
        let pct = if untaxed != 0 {
            margin as f64 / untaxed as f64
        } else {
            0.0
        };
        [
            (c.amount_untaxed, money(untaxed)),
            (c.amount_tax, money(tax)),
            (c.amount_total, money(untaxed + tax)),
            (c.margin, money(margin)),
            (
                c.margin_percent,
                Value::Float((pct * 10_000.0).round() / 10_000.0),
            ),
        ]
    }

    /// Inserts the row of a line.
    fn emit_line(&mut self, l: usize, seq: i64) {
        let ln = &self.lines[l];
        let o = &self.orders[ln.order];
        let cust = &self.customers[o.customer];
        let c = &self.c.sol;
        let mut r = c.row();
        r[c.id] = Value::Int(ln.id);
        r[c.order_id] = Value::Int(o.id);
        r[c.sequence] = Value::Int(seq);
        r[c.is_downpayment] = false.into();
        r[c.name] = ln.name.clone().into();
        r[c.state] = o.state.as_str().into();
        r[c.company_id] = Value::Int(self.companies[o.company].id);
        r[c.currency_id] = Value::Int(1);
        r[c.order_partner_id] = Value::Int(cust.partner_id);
        r[c.salesman_id] = Value::Int(o.user_id);
        r[c.qty_delivered_method] = "stock_move".into();
        r[c.qty_delivered] = qty(0);
        r[c.qty_invoiced] = qty(0);
        r[c.qty_to_invoice] = qty(0);
        r[c.invoice_status] = "no".into();
        r[c.untaxed_amount_invoiced] = money(0);
        r[c.untaxed_amount_to_invoice] = money(0);
        match ln.product {
            None => {
                r[c.display_type] = "line_section".into();
                r[c.product_uom_qty] = qty(0);
                r[c.price_unit] = money(0);
                r[c.discount] = percent(0);
                r[c.price_subtotal] = money(0);
                r[c.price_tax] = Value::Float(0.0);
                r[c.price_total] = money(0);
                r[c.customer_lead] = Value::Float(0.0);
            }
            Some(pi) => {
                let p = &self.products[pi];
                r[c.product_id] = Value::Int(p.id);
                r[c.product_uom_qty] = qty(ln.qty);
                r[c.product_uom] = Value::Int(p.uom_id);
                r[c.price_unit] = money(ln.price_c);
                r[c.discount] = percent(ln.disc_h);
                r[c.price_subtotal] = money(ln.subtotal_c);
                r[c.price_tax] = fmoney(ln.tax_c);
                r[c.price_total] = money(ln.subtotal_c + ln.tax_c);
                r[c.customer_lead] = Value::Float(o.lead_days as f64);
                r[c.purchase_price] = money(ln.pp_c);
                let margin = ln.subtotal_c - ln.pp_c * ln.qty;
                r[c.margin] = money(margin);
                r[c.margin_percent] = Value::Float(if ln.subtotal_c != 0 {
                    ((margin as f64 / ln.subtotal_c as f64) * 10_000.0).round() / 10_000.0
                } else {
                    0.0
                });
            }
        }
        self.db.insert(c.tid, r);
    }

    // ------------------------------------------------------------ quotations

    /// A customer (or salesperson) creates a quotation / cart / EDI order.
    pub(super) fn new_quote(&mut self, ci: usize, ch: usize) {
        let prof = &PROFILES[ch];
        let uid = self.companies[ci].sales_users[ch][0];
        self.db.begin(uid);
        let customer = if (ch == ECOM && self.chance(0.25)) || (ch == MARKET && self.chance(0.2)) {
            self.new_customer(ci, ch)
        } else {
            let list = &self.companies[ci].customers[ch];
            list[self.rng.gen_range(0..list.len())]
        };
        let wh = self.customers[customer].wh;
        let user_id = self.customers[customer].user_id;
        self.so_seq += 1;
        let name = format!("S{:05}", self.so_seq);
        let commitment = if ch == EDI || (ch == FIELD && self.chance(0.15)) {
            let days = if ch == EDI {
                self.rng.gen_range(5..15)
            } else {
                self.rng.gen_range(5..16)
            };
            let day = super::day_of(self.now) + days;
            Some(day * DAY + 16 * HOUR)
        } else {
            None
        };
        let one = ch == EDI || (ch == FIELD && self.chance(0.2));
        let id = self.db.next_id(self.c.so.tid);
        self.orders.push(Order {
            id,
            name: name.clone(),
            company: ci,
            channel: ch,
            customer,
            wh,
            state: SoState::Draft,
            date_order: self.now,
            commitment,
            lead_days: prof.lead_days,
            lines: Vec::new(),
            pickings: Vec::new(),
            one,
            group_id: 0,
            user_id,
            invoices: Vec::new(),
            confirmed: None,
        });
        let o = self.orders.len() - 1;
        // lines
        if ch == FIELD && self.chance(0.3) {
            let title = self.pick(&[
                "Quarterly restock",
                "Site refurbishment",
                "Seasonal items",
                "Standing order",
            ]);
            self.new_display_line(o, title);
        }
        let n = if ch == ECOM {
            let mut n = 1;
            while n < prof.lines.1 && self.rng.gen_bool(0.4) {
                n += 1;
            }
            n
        } else {
            self.rng.gen_range(prof.lines.0..=prof.lines.1)
        };
        let mut used: Vec<usize> = Vec::new();
        for _ in 0..n {
            let mut pi = self.sample_product();
            let mut tries = 0;
            while used.contains(&pi) && tries < 8 {
                pi = self.sample_product();
                tries += 1;
            }
            if used.contains(&pi) {
                continue;
            }
            used.push(pi);
            let q = self.line_qty(ch, pi);
            let (price, disc) = self.line_price(ch, pi, ci);
            self.new_line(o, pi, q, price, disc);
        }
        // rows: the order, then its lines
        let cust = &self.customers[customer];
        let c = &self.c.so;
        let mut r = c.row();
        r[c.id] = Value::Int(id);
        r[c.name] = name.into();
        r[c.state] = "draft".into();
        r[c.locked] = false.into();
        r[c.company_id] = Value::Int(self.companies[ci].id);
        r[c.partner_id] = Value::Int(cust.partner_id);
        r[c.partner_invoice_id] = Value::Int(cust.partner_id);
        r[c.partner_shipping_id] = Value::Int(cust.ship_id);
        r[c.client_order_ref] = match ch {
            EDI => Value::Text(format!("PO-{}", self.rng.gen_range(100_000..999_999))),
            MARKET => Value::Text(format!(
                "MKT-{}",
                self.rng.gen_range(10_000_000..99_999_999)
            )),
            FIELD if self.rng.gen_bool(0.4) => {
                Value::Text(format!("{}", self.rng.gen_range(1000..99999)))
            }
            _ => Value::Null,
        };
        r[c.date_order] = Value::Timestamp(self.now);
        r[c.commitment_date] = commitment.map(Value::Timestamp).unwrap_or(Value::Null);
        r[c.validity_date] = Value::Date((super::day_of(self.now) + 30) as i32);
        r[c.user_id] = Value::Int(user_id);
        r[c.team_id] = Value::Int(self.companies[ci].teams[ch]);
        r[c.pricelist_id] = Value::Int(1);
        r[c.currency_id] = Value::Int(1);
        r[c.currency_rate] = Value::Decimal(rust_decimal::Decimal::ONE);
        r[c.amount_to_invoice] = money(0);
        r[c.invoice_status] = "no".into();
        r[c.warehouse_id] = Value::Int(self.warehouses[wh].id);
        r[c.picking_policy] = (if one { "one" } else { "direct" }).into();
        r[c.website_id] = if ch == ECOM {
            Value::Int(1)
        } else {
            Value::Null
        };
        for (col, v) in self.amount_values(o) {
            r[col] = v;
        }
        self.db.insert(c.tid, r);
        let lines = self.orders[o].lines.clone();
        for (k, l) in lines.into_iter().enumerate() {
            self.emit_line(l, 10 * (k as i64 + 1));
        }
        // what happens next
        let now = self.now;
        match ch {
            FIELD | INSIDE => {
                let (revise, send, send_h, confirm_min, confirm_max) = if ch == FIELD {
                    (0.2, 0.6, 6, 2 * HOUR, 7 * DAY)
                } else {
                    (0.1, 0.4, 3, 2 * HOUR, 3 * DAY)
                };
                if self.chance(revise) {
                    let t = now + self.rng.gen_range(HOUR / SEC..48 * HOUR / SEC) * SEC;
                    let t = self.business(t, 2 * HOUR);
                    self.schedule(t, Ev::ReviseQuote(o));
                }
                if self.chance(send) {
                    let t = now + self.rng.gen_range(20 * MIN / SEC..send_h * HOUR / SEC) * SEC;
                    let t = self.business(t, HOUR);
                    self.schedule(t, Ev::SendQuote(o));
                }
                if self.chance(prof.conversion) {
                    let t = now + self.rng.gen_range(confirm_min / SEC..confirm_max / SEC) * SEC;
                    let t = self.business(t, 3 * HOUR);
                    self.schedule(t, Ev::ConfirmOrder(o));
                    if self.chance(prof.cancel_after) {
                        let t2 = t + self.rng.gen_range(HOUR / SEC..20 * HOUR / SEC) * SEC;
                        let t2 = self.business(t2, HOUR);
                        self.schedule(t2, Ev::CancelOrder(o));
                    }
                } else if self.chance(0.35) {
                    let t = self.days_later(10, 25);
                    let t = self.business(t, 8 * HOUR);
                    self.schedule(t, Ev::CancelOrder(o));
                }
            }
            ECOM | MARKET => {
                if self.chance(prof.conversion) {
                    let t = now + self.rng.gen_range(60..1200) * SEC;
                    self.schedule(t, Ev::ConfirmOrder(o));
                    if self.chance(prof.cancel_after) {
                        let t2 = t + self.rng.gen_range(HOUR / SEC..12 * HOUR / SEC) * SEC;
                        self.schedule(t2, Ev::CancelOrder(o));
                    }
                }
            }
            _ => {
                let t = now + self.rng.gen_range(300..3600) * SEC;
                self.schedule(t, Ev::ConfirmOrder(o));
            }
        }
    }

    /// The salesperson edits a quotation: a quantity changes, a line is
    /// removed or a product added.
    pub(super) fn revise_quote(&mut self, o: usize) {
        if !matches!(self.orders[o].state, SoState::Draft | SoState::Sent) {
            return;
        }
        let ord = &self.orders[o];
        let (ci, ch) = (ord.company, ord.channel);
        self.db.begin(ord.user_id);
        let product_lines: Vec<usize> = ord
            .lines
            .iter()
            .copied()
            .filter(|&l| self.lines[l].product.is_some())
            .collect();
        let what = self.rng.gen_range(0..3);
        if what == 0 && !product_lines.is_empty() {
            let l = product_lines[self.rng.gen_range(0..product_lines.len())];
            let pi = self.lines[l].product.expect("product line");
            let q = self.line_qty(ch, pi);
            let ln = &mut self.lines[l];
            ln.qty = q;
            ln.subtotal_c = subtotal(q, ln.price_c, ln.disc_h);
            ln.tax_c = tax15(ln.subtotal_c);
            let margin = ln.subtotal_c - ln.pp_c * q;
            let pct = if ln.subtotal_c != 0 {
                ((margin as f64 / ln.subtotal_c as f64) * 10_000.0).round() / 10_000.0
            } else {
                0.0
            };
            let (id, sub, tax) = (ln.id, ln.subtotal_c, ln.tax_c);
            let c = &self.c.sol;
            self.db.set(
                c.tid,
                id,
                [
                    (c.product_uom_qty, qty(q)),
                    (c.price_subtotal, money(sub)),
                    (c.price_tax, fmoney(tax)),
                    (c.price_total, money(sub + tax)),
                    (c.margin, money(margin)),
                    (c.margin_percent, Value::Float(pct)),
                ],
            );
        } else if what == 1 && product_lines.len() >= 2 {
            let l = product_lines[self.rng.gen_range(0..product_lines.len())];
            self.lines[l].deleted = true;
            self.orders[o].lines.retain(|&x| x != l);
            let id = self.lines[l].id;
            self.db.delete(self.c.sol.tid, &[id]);
        } else {
            let pi = self.sample_product();
            if product_lines
                .iter()
                .any(|&l| self.lines[l].product == Some(pi))
            {
                return;
            }
            let q = self.line_qty(ch, pi);
            let (price, disc) = self.line_price(ch, pi, ci);
            let l = self.new_line(o, pi, q, price, disc);
            let seq = 10 * self.orders[o].lines.len() as i64;
            self.emit_line(l, seq);
        }
        let vals = self.amount_values(o);
        self.db.set(self.c.so.tid, self.orders[o].id, vals);
    }

    /// The quotation is e-mailed to the customer.
    pub(super) fn send_quote(&mut self, o: usize) {
        if self.orders[o].state != SoState::Draft {
            return;
        }
        self.db.begin(self.orders[o].user_id);
        self.orders[o].state = SoState::Sent;
        self.sync_order(o);
        for l in self.orders[o].lines.clone() {
            self.sync_line(l);
        }
    }

    /// The order is confirmed: `date_order` becomes the confirmation time, the
    /// delivery picking and its moves are created and reserved.
    pub(super) fn confirm_order(&mut self, o: usize) {
        if !matches!(self.orders[o].state, SoState::Draft | SoState::Sent) {
            return;
        }
        if !self.orders[o]
            .lines
            .iter()
            .any(|&l| self.lines[l].product.is_some())
        {
            return;
        }
        self.db.begin(self.orders[o].user_id);
        let group = self.next_group();
        let ord = &mut self.orders[o];
        ord.state = SoState::Sale;
        ord.date_order = self.now;
        ord.confirmed = Some(self.now);
        self.invoice_candidates.insert(o);
        ord.group_id = group;
        let deadline = ord.commitment.unwrap_or(self.now + ord.lead_days * DAY);
        let (w, one, origin) = (ord.wh, ord.one, ord.name.clone());
        let partner = self.customers[ord.customer].ship_id;
        let c = &self.c.so;
        let extra = [
            (c.date_order, Value::Timestamp(self.now)),
            (c.procurement_group_id, Value::Int(group)),
        ];
        let lines = self.orders[o].lines.clone();
        for &l in &lines {
            self.sync_line(l);
        }
        // the delivery (security lead time is 0: scheduled = deadline)
        let p = self.new_picking(
            PickKind::Out,
            w,
            Some(o),
            None,
            one,
            origin,
            partner,
            Some(group),
            deadline,
            Some(deadline),
        );
        let mut new_moves = Vec::new();
        for &l in &lines {
            let Some(pi) = self.lines[l].product else {
                continue;
            };
            let q = self.lines[l].qty;
            let cell = &mut self.stock[w][pi];
            let r = (cell.qty - cell.reserved).clamp(0, q);
            cell.reserved += r;
            cell.open_out += q;
            let state = MoveState::of_reservation(r, q);
            let m = self.new_move(p, pi, q, r, state, deadline, Some(deadline), Some(l), None);
            self.sync_waiting(m);
            new_moves.push(m);
        }
        self.pickings[p].state = self.compute_picking_state(p);
        self.emit_picking(p, None, None);
        for &m in &new_moves {
            self.emit_move(m, None, 0);
        }
        let mut products: Vec<usize> = new_moves
            .iter()
            .filter(|&&m| self.moves[m].quantity > 0)
            .map(|&m| self.moves[m].product)
            .collect();
        products.sort_unstable();
        products.dedup();
        for pi in products {
            self.write_quant(w, pi);
        }
        self.sync_order_with(o, extra);
    }

    /// A quotation is cancelled, or a confirmed order before anything shipped
    /// or was invoiced (its delivery is cancelled and unreserved).
    pub(super) fn cancel_order(&mut self, o: usize) {
        let state = self.orders[o].state;
        if state == SoState::Cancel {
            return;
        }
        if state == SoState::Sale {
            let shipped = self.orders[o]
                .pickings
                .iter()
                .any(|&p| self.pickings[p].state == PickState::Done);
            if shipped || !self.orders[o].invoices.is_empty() {
                return;
            }
        }
        self.db.begin(self.orders[o].user_id);
        self.orders[o].state = SoState::Cancel;
        self.sync_order(o);
        for l in self.orders[o].lines.clone() {
            self.sync_line(l);
        }
        let w = self.orders[o].wh;
        let mut products = Vec::new();
        for p in self.orders[o].pickings.clone() {
            for m in self.pickings[p].moves.clone() {
                let mv = &self.moves[m];
                if !mv.state.open() {
                    continue;
                }
                let (pi, q, d, id) = (mv.product, mv.quantity, mv.demand, mv.id);
                let key = (mv.sched, m);
                self.stock[w][pi].waiting.remove(&key);
                let cell = &mut self.stock[w][pi];
                cell.reserved -= q;
                cell.open_out -= d;
                let mv = &mut self.moves[m];
                mv.state = MoveState::Cancel;
                mv.quantity = 0;
                let c = &self.c.mv;
                self.db.set(
                    c.tid,
                    id,
                    [(c.state, "cancel".into()), (c.quantity, qty(0))],
                );
                if q > 0 {
                    products.push(pi);
                }
            }
            self.refresh_picking(p);
        }
        products.sort_unstable();
        products.dedup();
        for pi in products {
            self.write_quant(w, pi);
        }
        self.sync_order(o);
    }

    // ------------------------------------------------------------ stored computes

    /// (qty_to_invoice, invoice_status, untaxed_amount_to_invoice) of a line,
    /// as Odoo 17 computes them.
    pub(super) fn line_invoicing(&self, l: usize) -> (i64, &'static str, i64) {
        let ln = &self.lines[l];
        let o = &self.orders[ln.order];
        let Some(pi) = ln.product else {
            return (0, "no", 0);
        };
        if o.state != SoState::Sale {
            return (0, "no", 0);
        }
        let policy_order = self.products[pi].policy_order;
        let consider = if policy_order { ln.qty } else { ln.delivered };
        let to_invoice = consider - ln.invoiced;
        let status = if to_invoice != 0 {
            "to invoice"
        } else if policy_order && ln.delivered > ln.qty {
            "upselling"
        } else if ln.invoiced >= ln.qty {
            "invoiced"
        } else {
            "no"
        };
        let amount = subtotal(consider, ln.price_c, ln.disc_h) - ln.invoiced_amt_c;
        (to_invoice, status, amount)
    }

    /// Writes a line's stored computed columns that changed.
    pub(super) fn sync_line(&mut self, l: usize) {
        let (to_inv, status, amount) = self.line_invoicing(l);
        let ln = &self.lines[l];
        if ln.deleted {
            return;
        }
        let state = self.orders[ln.order].state;
        let c = &self.c.sol;
        let vals = [
            (c.qty_delivered, qty(ln.delivered)),
            (c.qty_invoiced, qty(ln.invoiced)),
            (c.qty_to_invoice, qty(to_inv)),
            (c.invoice_status, Value::from(status)),
            (c.untaxed_amount_invoiced, money(ln.invoiced_amt_c)),
            (c.untaxed_amount_to_invoice, money(amount)),
            (c.state, Value::from(state.as_str())),
        ];
        self.db.set(c.tid, ln.id, vals);
    }

    /// (invoice_status, amount_to_invoice, delivery_status, effective_date) of an order.
    fn order_computes(&self, o: usize) -> (&'static str, i64, Option<&'static str>, Option<i64>) {
        let ord = &self.orders[o];
        let mut status = "no";
        let mut to_invoice = 0;
        if ord.state == SoState::Sale {
            let mut statuses = Vec::new();
            for &l in &ord.lines {
                if self.lines[l].product.is_none() {
                    continue;
                }
                let (_, s, amount) = self.line_invoicing(l);
                statuses.push(s);
                to_invoice += amount + tax15(amount);
            }
            status = if statuses.contains(&"to invoice") {
                "to invoice"
            } else if statuses.iter().all(|s| *s == "invoiced") {
                "invoiced"
            } else if statuses
                .iter()
                .all(|s| matches!(*s, "invoiced" | "upselling"))
            {
                "upselling"
            } else {
                "no"
            };
        }
        let picks = &ord.pickings;
        let delivery = if picks.is_empty()
            || picks
                .iter()
                .all(|&p| self.pickings[p].state == PickState::Cancel)
        {
            None
        } else if picks
            .iter()
            .all(|&p| matches!(self.pickings[p].state, PickState::Done | PickState::Cancel))
        {
            Some("full")
        } else if picks
            .iter()
            .any(|&p| self.pickings[p].state == PickState::Done)
        {
            Some("partial")
        } else {
            Some("pending")
        };
        let effective = picks
            .iter()
            .filter(|&&p| {
                self.pickings[p].kind == PickKind::Out && self.pickings[p].state == PickState::Done
            })
            .filter_map(|&p| {
                self.pickings[p]
                    .moves
                    .iter()
                    .filter(|&&m| self.moves[m].state == MoveState::Done)
                    .map(|&m| self.moves[m].date)
                    .max()
            })
            .min();
        (status, to_invoice, delivery, effective)
    }

    /// Writes an order's stored computed columns that changed.
    pub(super) fn sync_order(&mut self, o: usize) {
        self.sync_order_with(o, []);
    }

    /// [`World::sync_order`] plus other columns written in the same update.
    pub(super) fn sync_order_with<const N: usize>(&mut self, o: usize, extra: [(usize, Value); N]) {
        let (status, to_invoice, delivery, effective) = self.order_computes(o);
        let c = &self.c.so;
        let ord = &self.orders[o];
        let vals = [
            (c.state, Value::from(ord.state.as_str())),
            (c.invoice_status, Value::from(status)),
            (c.amount_to_invoice, money(to_invoice)),
            (
                c.delivery_status,
                delivery.map(Value::from).unwrap_or(Value::Null),
            ),
            (
                c.effective_date,
                effective.map(Value::Timestamp).unwrap_or(Value::Null),
            ),
        ];
        self.db.set(c.tid, ord.id, extra.into_iter().chain(vals));
    }

    /// The effective date of an order as a date value (for invoices).
    pub(super) fn order_delivery_date(&self, o: usize) -> Value {
        match self.order_computes(o).3 {
            Some(t) => date_of(t),
            None => Value::Null,
        }
    }
}
