//! Stock: quants, reservations, pickings and moves, delivery validation with
//! backorders, inventory counts, the nightly reservation pass and quant
//! clean-up.

use rand::Rng;

use super::model::*;
use super::{date_of, Ev, World};
use crossdock_change::event::Value;

impl World {
    // ------------------------------------------------------------ quants

    /// Writes the quant of (warehouse, product) from the domain cell:
    /// inserts it when there is no row yet.
    pub(super) fn write_quant(&mut self, w: usize, pi: usize) {
        let cell = &self.stock[w][pi];
        let (q, res) = (cell.qty, cell.reserved);
        debug_assert!(
            q >= 0 && res >= 0 && res <= q,
            "quant {w}/{pi}: {q} reserved {res}"
        );
        let c = &self.c.quant;
        if cell.quant_id == 0 {
            let id = self.db.next_id(c.tid);
            let cid = self.companies[self.warehouses[w].company].id;
            let mut r = c.row();
            r[c.id] = Value::Int(id);
            r[c.product_id] = Value::Int(self.products[pi].id);
            r[c.location_id] = Value::Int(self.warehouses[w].stock_loc);
            r[c.company_id] = Value::Int(cid);
            r[c.quantity] = qty(q);
            r[c.reserved_quantity] = qty(res);
            r[c.in_date] = Value::Timestamp(self.now);
            r[c.inventory_quantity] = qty(0);
            r[c.inventory_diff_quantity] = qty(0);
            r[c.inventory_quantity_set] = false.into();
            self.db.insert(c.tid, r);
            self.stock[w][pi].quant_id = id;
        } else {
            self.db.set(
                c.tid,
                cell.quant_id,
                [(c.quantity, qty(q)), (c.reserved_quantity, qty(res))],
            );
        }
    }

    /// Adds to the on-hand quantity and writes the quant.
    pub(super) fn quant_add(&mut self, w: usize, pi: usize, q: i64) {
        self.stock[w][pi].qty += q;
        self.write_quant(w, pi);
    }

    /// An applied inventory move (done, `is_inventory`), outside any picking.
    pub(super) fn insert_inventory_move(
        &mut self,
        w: usize,
        pi: usize,
        q: i64,
        from: i64,
        to: i64,
        name: &str,
    ) {
        let ci = self.warehouses[w].company;
        let p = &self.products[pi];
        let c = &self.c.mv;
        let id = self.db.next_id(c.tid);
        let mut r = c.row();
        r[c.id] = Value::Int(id);
        r[c.name] = name.into();
        r[c.reference] = name.into();
        r[c.state] = "done".into();
        r[c.date] = Value::Timestamp(self.now);
        r[c.company_id] = Value::Int(self.companies[ci].id);
        r[c.product_id] = Value::Int(p.id);
        r[c.product_uom_qty] = qty(q);
        r[c.product_uom] = Value::Int(p.uom_id);
        r[c.product_qty] = qty(q);
        r[c.quantity] = qty(q);
        r[c.picked] = true.into();
        r[c.location_id] = Value::Int(from);
        r[c.location_dest_id] = Value::Int(to);
        r[c.price_unit] = fmoney(p.cost_c[ci]);
        r[c.procure_method] = "make_to_stock".into();
        r[c.scrapped] = false.into();
        r[c.is_inventory] = true.into();
        r[c.to_refund] = false.into();
        self.db.insert(c.tid, r);
        self.moves.push(Move {
            id,
            picking: None,
            product: pi,
            wh: w,
            demand: q,
            quantity: q,
            state: MoveState::Done,
            kind: PickKind::In,
            sale_line: None,
            po_line: None,
            date: self.now,
            sched: self.now,
            deadline: None,
        });
    }

    // ------------------------------------------------------------ pickings and moves

    /// A new picking (domain only; [`World::emit_picking`] inserts the row).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_picking(
        &mut self,
        kind: PickKind,
        w: usize,
        sale: Option<usize>,
        po: Option<usize>,
        one: bool,
        origin: String,
        partner_id: i64,
        group_id: Option<i64>,
        scheduled: i64,
        deadline: Option<i64>,
    ) -> usize {
        let id = self.db.next_id(self.c.pick.tid);
        let wh = &mut self.warehouses[w];
        let name = match kind {
            PickKind::Out => {
                wh.out_seq += 1;
                format!("{}/OUT/{:05}", wh.code, wh.out_seq)
            }
            PickKind::In | PickKind::Return => {
                wh.in_seq += 1;
                format!("{}/IN/{:05}", wh.code, wh.in_seq)
            }
        };
        if kind == PickKind::Out {
            wh.open_out.insert(self.pickings.len());
        }
        self.pickings.push(Picking {
            id,
            name,
            kind,
            wh: w,
            state: PickState::Confirmed,
            moves: Vec::new(),
            sale,
            po,
            one,
            origin,
            partner_id,
            group_id,
            scheduled,
            deadline,
        });
        if let Some(o) = sale {
            self.orders[o].pickings.push(self.pickings.len() - 1);
        }
        if let Some(o) = po {
            self.pos[o].pickings.push(self.pickings.len() - 1);
        }
        self.pickings.len() - 1
    }

    /// Locations and operation type of a picking kind in a warehouse.
    fn route(&self, kind: PickKind, w: usize) -> (i64, i64, i64) {
        let wh = &self.warehouses[w];
        match kind {
            PickKind::Out => (wh.stock_loc, self.customer_loc, wh.out_type),
            PickKind::In => (self.supplier_loc, wh.stock_loc, wh.in_type),
            PickKind::Return => (self.customer_loc, wh.stock_loc, wh.in_type),
        }
    }

    /// Inserts the row of a picking, with its current domain state.
    pub(super) fn emit_picking(
        &mut self,
        p: usize,
        backorder_of: Option<usize>,
        return_of: Option<usize>,
    ) {
        let pk = &self.pickings[p];
        let (src, dest, ptype) = self.route(pk.kind, pk.wh);
        let ci = self.warehouses[pk.wh].company;
        let c = &self.c.pick;
        let mut r = c.row();
        r[c.id] = Value::Int(pk.id);
        r[c.name] = pk.name.clone().into();
        r[c.origin] = pk.origin.clone().into();
        r[c.state] = pk.state.as_str().into();
        r[c.move_type] = (if pk.one { "one" } else { "direct" }).into();
        r[c.priority] = "0".into();
        r[c.scheduled_date] = Value::Timestamp(pk.scheduled);
        r[c.date_deadline] = pk.deadline.map(Value::Timestamp).unwrap_or(Value::Null);
        r[c.date] = Value::Timestamp(self.now);
        r[c.location_id] = Value::Int(src);
        r[c.location_dest_id] = Value::Int(dest);
        r[c.picking_type_id] = Value::Int(ptype);
        r[c.partner_id] = Value::Int(pk.partner_id);
        r[c.company_id] = Value::Int(self.companies[ci].id);
        r[c.backorder_id] = backorder_of.map(|b| self.pickings[b].id).into();
        r[c.return_id] = return_of.map(|b| self.pickings[b].id).into();
        r[c.group_id] = pk.group_id.into();
        r[c.sale_id] = pk.sale.map(|o| self.orders[o].id).into();
        r[c.is_locked] = true.into();
        self.db.insert(c.tid, r);
    }

    /// A new move in a picking (domain only; [`World::emit_move`] inserts the row).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_move(
        &mut self,
        picking: usize,
        product: usize,
        demand: i64,
        quantity: i64,
        state: MoveState,
        sched: i64,
        deadline: Option<i64>,
        sale_line: Option<usize>,
        po_line: Option<usize>,
    ) -> usize {
        let id = self.db.next_id(self.c.mv.tid);
        let pk = &mut self.pickings[picking];
        let m = self.moves.len();
        pk.moves.push(m);
        self.moves.push(Move {
            id,
            picking: Some(picking),
            product,
            wh: pk.wh,
            demand,
            quantity,
            state,
            kind: pk.kind,
            sale_line,
            po_line,
            date: sched,
            sched,
            deadline,
        });
        m
    }

    /// Inserts the row of a move, with its current domain state.
    pub(super) fn emit_move(&mut self, m: usize, origin_returned: Option<usize>, price_c: i64) {
        let mv = &self.moves[m];
        let pk = &self.pickings[mv.picking.expect("picking move")];
        let (src, dest, ptype) = self.route(mv.kind, mv.wh);
        let ci = self.warehouses[mv.wh].company;
        let p = &self.products[mv.product];
        let orderpoint = mv
            .po_line
            .and_then(|l| self.po_lines[l].orderpoint)
            .map(|o| self.orderpoints[o].id);
        let c = &self.c.mv;
        let mut r = c.row();
        r[c.id] = Value::Int(mv.id);
        r[c.name] = p.display.clone().into();
        r[c.reference] = pk.name.clone().into();
        r[c.origin] = pk.origin.clone().into();
        r[c.state] = mv.state.as_str().into();
        r[c.date] = Value::Timestamp(mv.date);
        r[c.date_deadline] = mv.deadline.map(Value::Timestamp).unwrap_or(Value::Null);
        r[c.company_id] = Value::Int(self.companies[ci].id);
        r[c.product_id] = Value::Int(p.id);
        r[c.product_uom_qty] = qty(mv.demand);
        r[c.product_uom] = Value::Int(p.uom_id);
        r[c.product_qty] = qty(mv.demand);
        r[c.quantity] = qty(mv.quantity);
        r[c.picked] = (mv.state == MoveState::Done).into();
        r[c.location_id] = Value::Int(src);
        r[c.location_dest_id] = Value::Int(dest);
        r[c.partner_id] = Value::Int(pk.partner_id);
        r[c.picking_id] = Value::Int(pk.id);
        r[c.picking_type_id] = Value::Int(ptype);
        r[c.warehouse_id] = Value::Int(self.warehouses[mv.wh].id);
        r[c.price_unit] = fmoney(price_c);
        r[c.procure_method] = "make_to_stock".into();
        r[c.scrapped] = false.into();
        r[c.is_inventory] = false.into();
        r[c.origin_returned_move_id] = origin_returned.map(|o| self.moves[o].id).into();
        r[c.to_refund] = (mv.kind == PickKind::Return).into();
        r[c.group_id] = pk.group_id.into();
        r[c.orderpoint_id] = orderpoint.into();
        r[c.sale_line_id] = mv.sale_line.map(|l| self.lines[l].id).into();
        r[c.purchase_line_id] = mv.po_line.map(|l| self.po_lines[l].id).into();
        self.db.insert(c.tid, r);
    }

    /// Keeps the waiting queue of (warehouse, product) in line with a
    /// delivery move; call before changing `sched`-independent state.
    pub(super) fn sync_waiting(&mut self, m: usize) {
        let mv = &self.moves[m];
        if mv.kind != PickKind::Out {
            return;
        }
        let key = (mv.sched, m);
        let waiting = mv.state.open() && mv.quantity < mv.demand;
        let cell = &mut self.stock[mv.wh][mv.product];
        if waiting {
            cell.waiting.insert(key);
        } else {
            cell.waiting.remove(&key);
        }
    }

    /// The state Odoo computes for a picking from its moves.
    pub(super) fn compute_picking_state(&self, p: usize) -> PickState {
        let pk = &self.pickings[p];
        let moves = pk.moves.iter().map(|&m| &self.moves[m]);
        if moves.clone().all(|m| m.state == MoveState::Cancel) {
            return PickState::Cancel;
        }
        if moves.clone().all(|m| !m.state.open()) {
            return PickState::Done;
        }
        let open: Vec<&Move> = moves.filter(|m| m.state.open()).collect();
        if pk.one {
            if open.iter().all(|m| m.state == MoveState::Assigned) {
                PickState::Assigned
            } else {
                PickState::Confirmed
            }
        } else if open
            .iter()
            .any(|m| matches!(m.state, MoveState::Assigned | MoveState::Partial))
        {
            PickState::Assigned
        } else {
            PickState::Confirmed
        }
    }

    /// Recomputes a picking's state; writes it when it changes.
    pub(super) fn refresh_picking(&mut self, p: usize) {
        let s = self.compute_picking_state(p);
        if s != self.pickings[p].state {
            self.pickings[p].state = s;
            let c = &self.c.pick;
            let mut vals = vec![(c.state, Value::from(s.as_str()))];
            if matches!(s, PickState::Done | PickState::Cancel) {
                vals.push((c.date_done, Value::Timestamp(self.now)));
                let w = self.pickings[p].wh;
                self.warehouses[w].open_out.remove(&p);
            }
            self.db.set(c.tid, self.pickings[p].id, vals);
        }
    }

    /// Reserves free stock of (warehouse, product) for its waiting delivery
    /// moves, oldest scheduled first (Odoo's `_trigger_assign` /
    /// `_action_assign`). Writes moves, pickings and the quant.
    pub(super) fn assign_product(&mut self, w: usize, pi: usize) {
        let mut touched = false;
        loop {
            let cell = &self.stock[w][pi];
            let free = cell.qty - cell.reserved;
            if free <= 0 {
                break;
            }
            let Some(&(_, m)) = cell.waiting.first() else {
                break;
            };
            let mv = &self.moves[m];
            let r = free.min(mv.demand - mv.quantity);
            self.stock[w][pi].reserved += r;
            let mv = &mut self.moves[m];
            mv.quantity += r;
            mv.state = MoveState::of_reservation(mv.quantity, mv.demand);
            let (id, q, s, p) = (mv.id, mv.quantity, mv.state, mv.picking);
            let c = &self.c.mv;
            self.db.set(
                c.tid,
                id,
                [(c.quantity, qty(q)), (c.state, s.as_str().into())],
            );
            self.sync_waiting(m);
            if let Some(p) = p {
                self.refresh_picking(p);
            }
            touched = true;
        }
        if touched {
            self.write_quant(w, pi);
        }
    }

    /// Nightly reservation pass of a warehouse: one transaction if anything
    /// could be reserved.
    pub(super) fn reserve_all(&mut self, w: usize) {
        self.db.begin(self.system_uid);
        for pi in 0..self.products.len() {
            let cell = &self.stock[w][pi];
            if !cell.waiting.is_empty() && cell.qty > cell.reserved {
                self.assign_product(w, pi);
            }
        }
    }

    // ------------------------------------------------------------ deliveries

    /// A warehouse round: every ready delivery gets validated, one after the other.
    pub(super) fn warehouse_run(&mut self, w: usize) {
        let ready: Vec<usize> = self.warehouses[w]
            .open_out
            .iter()
            .copied()
            .filter(|&p| self.pickings[p].state == PickState::Assigned)
            .collect();
        let mut t = self.now;
        for p in ready {
            t += self.rng.gen_range(40..240) * SEC;
            self.schedule(t, Ev::ValidateDelivery(p));
        }
    }

    /// Validates a ready delivery: ships what is reserved; the rest goes to a
    /// backorder (Odoo's `_action_done` split + `_create_backorder`).
    pub(super) fn validate_delivery(&mut self, p: usize) {
        if self.pickings[p].state != PickState::Assigned || self.pickings[p].kind != PickKind::Out {
            return;
        }
        let w = self.pickings[p].wh;
        self.db.begin(self.warehouses[w].user);
        let moves: Vec<usize> = self.pickings[p]
            .moves
            .iter()
            .copied()
            .filter(|&m| self.moves[m].state.open())
            .collect();
        // what goes to the backorder: (move, quantity left, whole move?)
        let mut rest: Vec<(usize, i64, bool)> = Vec::new();
        let mut done_moves = Vec::new();
        for &m in &moves {
            let mv = &self.moves[m];
            if mv.quantity == 0 {
                rest.push((m, mv.demand, true));
            } else {
                if mv.quantity < mv.demand {
                    rest.push((m, mv.demand - mv.quantity, false));
                }
                done_moves.push(m);
            }
        }
        // the backorder picking first, so the moves can point to it
        let backorder = if rest.is_empty() {
            None
        } else {
            let pk = &self.pickings[p];
            let (sale, one, origin, partner, group, deadline) = (
                pk.sale,
                pk.one,
                pk.origin.clone(),
                pk.partner_id,
                pk.group_id,
                pk.deadline,
            );
            let sched = rest
                .iter()
                .map(|&(m, _, _)| self.moves[m].sched)
                .min()
                .unwrap_or(self.now);
            let b = self.new_picking(
                PickKind::Out,
                w,
                sale,
                None,
                one,
                origin,
                partner,
                group,
                sched,
                deadline,
            );
            // every move left has nothing reserved: the backorder waits for stock
            self.emit_picking(b, Some(p), None);
            Some(b)
        };
        // done part
        for &m in &done_moves {
            let mv = &mut self.moves[m];
            let q = mv.quantity;
            let (pi, line) = (mv.product, mv.sale_line);
            let was_waiting_key = (mv.sched, m);
            mv.demand = q;
            mv.state = MoveState::Done;
            mv.date = self.now;
            let id = mv.id;
            self.stock[w][pi].waiting.remove(&was_waiting_key);
            let cell = &mut self.stock[w][pi];
            cell.qty -= q;
            cell.reserved -= q;
            cell.open_out -= q;
            let ci = self.warehouses[w].company;
            let cost = self.products[pi].cost_c[ci];
            let c = &self.c.mv;
            self.db.set(
                c.tid,
                id,
                [
                    (c.state, "done".into()),
                    (c.date, Value::Timestamp(self.now)),
                    (c.product_uom_qty, qty(q)),
                    (c.product_qty, qty(q)),
                    (c.quantity, qty(q)),
                    (c.picked, true.into()),
                    (c.price_unit, fmoney(cost)),
                ],
            );
            if let Some(l) = line {
                self.lines[l].delivered += q;
                self.lines[l].deliveries.push((self.now, q));
            }
        }
        // the rest: whole moves change picking, split remainders are new moves
        if let Some(b) = backorder {
            let bid = self.pickings[b].id;
            let bname = self.pickings[b].name.clone();
            let mut new_moves = Vec::new();
            for &(m, left, whole) in &rest {
                if whole {
                    self.pickings[p].moves.retain(|&x| x != m);
                    self.pickings[b].moves.push(m);
                    self.moves[m].picking = Some(b);
                    let c = &self.c.mv;
                    self.db.set(
                        c.tid,
                        self.moves[m].id,
                        [
                            (c.picking_id, Value::Int(bid)),
                            (c.reference, bname.clone().into()),
                        ],
                    );
                } else {
                    let mv = &self.moves[m];
                    let (pi, sched, deadline, line) =
                        (mv.product, mv.sched, mv.deadline, mv.sale_line);
                    let n = self.new_move(
                        b,
                        pi,
                        left,
                        0,
                        MoveState::Confirmed,
                        sched,
                        deadline,
                        line,
                        None,
                    );
                    self.sync_waiting(n);
                    new_moves.push(n);
                }
            }
            debug_assert_eq!(self.compute_picking_state(b), PickState::Confirmed);
            for n in new_moves {
                self.emit_move(n, None, 0);
            }
        }
        self.refresh_picking(p);
        // quants, order lines, order
        let mut products: Vec<usize> = done_moves.iter().map(|&m| self.moves[m].product).collect();
        products.sort_unstable();
        products.dedup();
        for pi in products {
            self.write_quant(w, pi);
        }
        if let Some(o) = self.pickings[p].sale {
            let lines: Vec<usize> = done_moves
                .iter()
                .filter_map(|&m| self.moves[m].sale_line)
                .collect();
            for l in lines {
                self.sync_line(l);
            }
            self.sync_order(o);
            self.invoice_candidates.insert(o);
            if self.chance(0.06) {
                let t = self.days_later(2, 20);
                let t = self.business(t, 6 * HOUR);
                self.schedule(t, Ev::ReturnCreate(p));
            }
        }
    }

    // ------------------------------------------------------------ returns

    /// A customer asks to return goods of a delivery: the return picking is created.
    pub(super) fn return_create(&mut self, p: usize) {
        let Some(o) = self.pickings[p].sale else {
            return;
        };
        if self.orders[o].state != SoState::Sale || self.pickings[p].state != PickState::Done {
            return;
        }
        let candidates: Vec<usize> = self.pickings[p]
            .moves
            .iter()
            .copied()
            .filter(|&m| {
                let mv = &self.moves[m];
                mv.state == MoveState::Done
                    && mv.quantity > 0
                    && mv.sale_line.is_some_and(|l| {
                        let ln = &self.lines[l];
                        ln.delivered - ln.returned > 0
                    })
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let n = if candidates.len() > 1 && self.chance(0.3) {
            2
        } else {
            1
        };
        let start = self.rng.gen_range(0..candidates.len());
        let chosen: Vec<usize> = (0..n)
            .map(|k| candidates[(start + k) % candidates.len()])
            .collect();
        self.db.begin(self.orders[o].user_id);
        let w = self.pickings[p].wh;
        let (origin, partner, group) = (
            format!("Return of {}", self.pickings[p].name),
            self.pickings[p].partner_id,
            self.pickings[p].group_id,
        );
        let sched = self.now + DAY;
        let rp = self.new_picking(
            PickKind::Return,
            w,
            Some(o),
            None,
            false,
            origin,
            partner,
            group,
            sched,
            None,
        );
        let mut made = Vec::new();
        for m in chosen {
            let mv = &self.moves[m];
            let l = mv.sale_line.expect("filtered");
            let can = (self.lines[l].delivered - self.lines[l].returned).min(mv.quantity);
            let pi = mv.product;
            let q = if self.chance(0.6) {
                can
            } else {
                self.rng.gen_range(1..=can)
            };
            self.lines[l].returned += q;
            let nm = self.new_move(
                rp,
                pi,
                q,
                q,
                MoveState::Assigned,
                sched,
                None,
                Some(l),
                None,
            );
            made.push((nm, m));
        }
        self.pickings[rp].state = PickState::Assigned;
        self.emit_picking(rp, None, Some(p));
        for (nm, m) in made {
            self.emit_move(nm, Some(m), 0);
        }
        self.sync_order(o);
        let t = self.days_later(1, 5);
        let t = self.business(t, 6 * HOUR);
        self.schedule(t, Ev::ReturnValidate(rp));
    }

    /// The returned goods arrive and are put back into stock.
    pub(super) fn return_validate(&mut self, rp: usize) {
        if self.pickings[rp].state != PickState::Assigned {
            return;
        }
        let w = self.pickings[rp].wh;
        self.db.begin(self.warehouses[w].user);
        let moves = self.pickings[rp].moves.clone();
        let mut products = Vec::new();
        for &m in &moves {
            let mv = &mut self.moves[m];
            mv.state = MoveState::Done;
            mv.date = self.now;
            let (id, q, pi, l) = (mv.id, mv.quantity, mv.product, mv.sale_line);
            let c = &self.c.mv;
            self.db.set(
                c.tid,
                id,
                [
                    (c.state, "done".into()),
                    (c.date, Value::Timestamp(self.now)),
                    (c.picked, true.into()),
                ],
            );
            self.stock[w][pi].qty += q;
            products.push(pi);
            if let Some(l) = l {
                self.lines[l].delivered -= q;
            }
        }
        self.refresh_picking(rp);
        for &m in &moves {
            if let Some(l) = self.moves[m].sale_line {
                self.sync_line(l);
            }
        }
        if let Some(o) = self.pickings[rp].sale {
            self.sync_order(o);
        }
        products.sort_unstable();
        products.dedup();
        for pi in products {
            self.assign_product(w, pi);
            self.write_quant(w, pi);
        }
        let t = self.days_later(1, 4);
        let t = self.business(t, 8 * HOUR);
        self.schedule(t, Ev::CreditNote(rp));
    }

    // ------------------------------------------------------------ inventory counts

    /// A stock count is entered on a few quants (not applied yet).
    pub(super) fn count_enter(&mut self, w: usize) {
        if !self.pending_counts[w].is_empty() {
            return;
        }
        self.db.begin(self.warehouses[w].user);
        let k = (self.products.len() / 60).max(2);
        let mut chosen = Vec::new();
        for _ in 0..k * 3 {
            if chosen.len() >= k {
                break;
            }
            let pi = self.rng.gen_range(0..self.products.len());
            if self.stock[w][pi].quant_id == 0 || chosen.iter().any(|&(x, _)| x == pi) {
                continue;
            }
            let cell = &self.stock[w][pi];
            let (q, res) = (cell.qty, cell.reserved);
            let diff = if self.chance(0.65) {
                0
            } else {
                let mag = self.rng.gen_range(1..=(q / 15).max(1));
                if self.chance(0.7) {
                    -mag
                } else {
                    mag
                }
            };
            let counted = (q + diff).max(res).max(0);
            chosen.push((pi, counted));
            let c = &self.c.quant;
            let user = self.warehouses[w].user;
            self.db.set(
                c.tid,
                self.stock[w][pi].quant_id,
                [
                    (c.inventory_quantity, qty(counted)),
                    (c.inventory_diff_quantity, qty(counted - q)),
                    (c.inventory_quantity_set, true.into()),
                    (c.user_id, Value::Int(user)),
                ],
            );
        }
        if !chosen.is_empty() {
            let t = self.now + self.rng.gen_range(20..60) * MIN;
            self.schedule(t, Ev::CountApply(w));
        }
        self.pending_counts[w] = chosen;
    }

    /// The entered counts are applied: one done inventory move per quant
    /// (quantity 0 when the count matched), inventory fields reset.
    pub(super) fn count_apply(&mut self, w: usize) {
        let counts = std::mem::take(&mut self.pending_counts[w]);
        if counts.is_empty() {
            return;
        }
        self.db.begin(self.warehouses[w].user);
        let ci = self.warehouses[w].company;
        let (inv, stock_loc) = (self.companies[ci].inv_loc, self.warehouses[w].stock_loc);
        let next = Value::Date((super::day_of(self.now) + 90) as i32);
        let mut gained = Vec::new();
        for (pi, counted) in counts {
            let cell = &self.stock[w][pi];
            let counted = counted.max(cell.reserved);
            let diff = counted - cell.qty;
            let (from, to, name) = if diff > 0 {
                (inv, stock_loc, "Product Quantity Updated")
            } else if diff < 0 {
                (stock_loc, inv, "Product Quantity Updated")
            } else {
                (inv, stock_loc, "Product Quantity Confirmed")
            };
            self.insert_inventory_move(w, pi, diff.abs(), from, to, name);
            self.stock[w][pi].qty = counted;
            let c = &self.c.quant;
            let id = self.stock[w][pi].quant_id;
            self.db.set(
                c.tid,
                id,
                [
                    (c.quantity, qty(counted)),
                    (c.inventory_quantity, qty(0)),
                    (c.inventory_diff_quantity, qty(0)),
                    (c.inventory_quantity_set, false.into()),
                    (c.inventory_date, next.clone()),
                    (c.user_id, Value::Null),
                    (c.accounting_date, Value::Null),
                ],
            );
            if diff > 0 {
                gained.push(pi);
            }
        }
        self.db.set(
            self.c.loc.tid,
            stock_loc,
            [(self.c.loc.last_inventory_date, date_of(self.now))],
        );
        for pi in gained {
            self.assign_product(w, pi);
        }
    }

    /// Odoo's `_quant_tasks`: quants with nothing on hand or reserved are deleted.
    pub(super) fn quant_gc(&mut self, ci: usize) {
        self.db.begin(self.system_uid);
        let whs = self.companies[ci].warehouses.clone();
        for w in whs {
            let pending: Vec<usize> = self.pending_counts[w].iter().map(|x| x.0).collect();
            for pi in 0..self.products.len() {
                let cell = &self.stock[w][pi];
                if cell.quant_id != 0
                    && cell.qty == 0
                    && cell.reserved == 0
                    && !pending.contains(&pi)
                {
                    let id = cell.quant_id;
                    self.db.delete(self.c.quant.tid, &[id]);
                    self.stock[w][pi].quant_id = 0;
                }
            }
        }
    }
}
