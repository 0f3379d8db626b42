//! # crossdock-simulator — a deterministic, Odoo-17-shaped wholesale distributor
//!
//! The demo's source and the tests' ground truth. It emits the
//! [`Transaction`]s an Odoo 17 database would commit (the vocabulary of
//! `crossdock-change`), and keeps its own record of what it did, so tests
//! can check the warehouse's tables and KPIs against it:
//!
//! ```text
//!  Simulator ──Transaction──► (crossdock-change) ChangeBatchBuilder ──► warehouse
//!      └── ground_truth() ──► GroundTruth (KPIs from the simulator's own records)
//! ```
//!
//! Only the command line (`crossdock demo`, `simulate`) and tests use it;
//! no library crate of crossdock depends on it outside its tests.
//!
//! ```
//! use crossdock_simulator::{Simulator, SimulatorConfig};
//!
//! let mut sim = Simulator::new(SimulatorConfig { days: 2, orders_per_day: 5, ..Default::default() })?;
//! let mut transactions = 0;
//! while let Some(_tx) = sim.next_transaction() {
//!     transactions += 1;
//! }
//! assert!(transactions > 0);
//! # Ok::<(), crossdock_simulator::SimulatorError>(())
//! ```
//!
//! ## What it simulates
//!
//!
//! The simulator plays a distributor that sells through five channels
//! (crm_team "Field Sales", "Inside Sales", "eCommerce", "Marketplace",
//! "EDI"), ships from its warehouses, replenishes through reordering rules and
//! purchase orders, invoices, takes returns and counts its stock, and emits
//! every row change as Odoo 17's ORM would commit it: one [`Transaction`] per
//! business operation, with the stored computed columns Odoo rewrites as side
//! effects (quantities delivered, statuses, amounts, `write_date`, ...)
//! updated in the same transaction.
//!
//! Everything is driven by seeded ChaCha8 generators and ordered
//! collections, so a seed always gives byte-for-byte the same stream. The
//! seed drives three streams of the same generator: customer demand
//! (quotations, their lines and quantities, whether and when they are
//! confirmed or cancelled), prices (weekly cost and monthly list price
//! changes), and everything else (the warehouse, purchasing, invoicing,
//! returns, counts). Demand and prices therefore do not depend on how the
//! company replenishes: two [forks](Simulator::fork) with different
//! reordering rules see the same customers asking for the same things on
//! the same days, which is what makes the [what-if](whatif) comparison fair.
//!
//! - the first transactions create master data (company, users, teams, UoMs,
//!   categories, products with their cost in `ir_property`, vendor
//!   pricelists, accounts, journals, locations, warehouses, operation types,
//!   reordering rules, initial stock), on the day before `start`;
//! - then each simulated day brings quotations, confirmations, deliveries
//!   (with backorders), invoices, payments, nightly replenishment, receipts,
//!   vendor bills, returns with credit notes, inventory counts and price
//!   changes, at business hours;
//! - [`Simulator::ground_truth`] gives the sales KPIs computed from the
//!   simulator's own records, for tests that check SQL KPIs against it;
//! - [`Simulator::fork`], [`Simulator::run_until`], [`Simulator::extend`] and
//!   [`Simulator::set_orderpoint`] let [`whatif::compare`] replay the next
//!   days under other reordering rules (`crossdock reorder whatif`).
//!
//! Time: commit times are whole seconds, UTC, never decreasing. Offices and
//! warehouses work Monday–Friday 08:00–18:00 UTC (warehouse rounds at 09:00,
//! 12:00, 15:00 and Saturday 09:00); web channels order around the clock;
//! the nightly scheduler runs at 01:00.
//!
//! Deliberate imperfections, for the KPIs to find: discounts above the
//! channel policy, prices under the list price, sales under cost, reordering
//! rules set too low or too high (and a few left on manual), late and short
//! vendor deliveries, counting errors, returns, abandoned eCommerce carts.
//!
//! Simplifications: one currency (id 1, rate 1), one 15 % tax rounded per
//! line, quants only for internal (stock) locations, standard costing,
//! one-step receipts and deliveries, no lots or packages, payments reconcile
//! invoices in full (credit notes stay open).

mod account;
mod db;
pub mod error;
pub mod inbox;
mod master;
mod model;
mod names;
mod purchase;
mod sales;
mod stock;
mod truth;
pub mod whatif;

#[cfg(test)]
mod tests;

pub use error::{Result, SimulatorError};
pub use truth::{percentile_nearest_rank, GroundTruth, KpiTruth};
pub use whatif::OrderpointRule;

use std::collections::{BTreeMap, VecDeque};

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use crossdock_change::catalog::Catalog;
use crossdock_change::event::{Transaction, Value};

use db::{Cols, Db};
use model::*;

/// Longest simulated period, in days.
const MAX_DAYS: u32 = 3660;

/// Settings of a simulation run.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Seed of the random generator: the same seed gives the same stream.
    pub seed: u64,
    /// Number of simulated days (from `start`).
    pub days: u32,
    /// Average number of quotations created per day, all channels and
    /// companies together (confirmed or not).
    pub orders_per_day: u32,
    /// First simulated day (master data is created the day before).
    pub start: NaiveDate,
    /// Number of products (at least 20).
    pub products: u32,
    /// Number of warehouses of the main company (1 to 5).
    pub warehouses: u32,
    /// Adds a second company with its own warehouse, teams, customers and orders.
    pub second_company: bool,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            seed: 7,
            days: 90,
            orders_per_day: 200,
            start: NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date"),
            products: 600,
            warehouses: 2,
            second_company: false,
        }
    }
}

/// A sales channel's discount policy (what the business allows; the
/// simulator deliberately breaks it on some lines).
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelPolicy {
    /// The crm_team name (en_US).
    pub name: String,
    /// Largest discount (%) the channel may give.
    pub max_discount_percent: Decimal,
}

/// The simulator: call [`Simulator::next_transaction`] until it returns `None`.
///
/// `Clone` (and [`Simulator::fork`]) make a complete, independent copy: the
/// generators' positions, the pending events and every record, so a copy
/// continues exactly as the original would.
#[derive(Clone)]
pub struct Simulator {
    w: Box<World>,
    position: u64,
    clock: i64,
    /// Transactions committed outside the event loop (a planner's write of a
    /// reordering rule), handed out before the next event's.
    pending: VecDeque<Vec<crossdock_change::Change>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("config", &self.w.cfg)
            .field("position", &self.position)
            .field("clock", &self.clock)
            .finish()
    }
}

impl Simulator {
    /// Checks the settings and prepares the run (nothing is generated yet).
    pub fn new(config: SimulatorConfig) -> Result<Simulator> {
        let bad = |message: String| Err(SimulatorError::Config { message });
        if config.days < 1 {
            return bad("days must be at least 1".into());
        }
        if config.orders_per_day < 1 {
            return bad("orders_per_day must be at least 1".into());
        }
        if config.products < 20 {
            return bad(format!(
                "products must be at least 20 (got {})",
                config.products
            ));
        }
        if !(1..=5).contains(&config.warehouses) {
            return bad(format!(
                "warehouses must be between 1 and 5 (got {})",
                config.warehouses
            ));
        }
        if config.days > MAX_DAYS {
            return bad(format!(
                "days must be at most {MAX_DAYS} (got {})",
                config.days
            ));
        }
        if config.orders_per_day > 100_000 {
            return bad(format!(
                "orders_per_day must be at most 100000 (got {})",
                config.orders_per_day
            ));
        }
        if config.products > 200_000 {
            return bad(format!(
                "products must be at most 200000 (got {})",
                config.products
            ));
        }
        let w = World::new(config)?;
        Ok(Simulator {
            w: Box::new(w),
            position: 0,
            clock: 0,
            pending: VecDeque::new(),
        })
    }

    /// The next committed transaction, or `None` once the period is over.
    pub fn next_transaction(&mut self) -> Option<Transaction> {
        self.next_transaction_before(i64::MAX)
    }

    /// The next transaction committed before `limit_us` (µs since the
    /// epoch, UTC), or `None` when the next one would commit at or after
    /// it (or the period is over). Nothing is lost: a later call with a
    /// later limit returns it.
    pub fn next_transaction_before(&mut self, limit_us: i64) -> Option<Transaction> {
        let changes = match self.pending.pop_front() {
            Some(changes) => changes,
            None => self.w.step(limit_us)?,
        };
        self.position += 1;
        self.clock = self.w.now;
        Some(Transaction {
            xid: 1_000 + self.position as i64,
            position: self.position,
            commit_ts: self.clock,
            changes,
        })
    }

    /// Runs the simulation up to `clock_us` (µs since the epoch, UTC; or
    /// the end of the period, whichever comes first), dropping the
    /// transactions, and returns how many were committed. Afterwards
    /// [`Simulator::now`] is that moment: every event before it has
    /// happened, none after it. Use [`Simulator::next_transaction_before`]
    /// instead to keep the transactions.
    pub fn run_until(&mut self, clock_us: i64) -> u64 {
        let mut n = 0;
        while self.next_transaction_before(clock_us).is_some() {
            n += 1;
        }
        let to = clock_us.min(self.w.end_us);
        if to > self.w.now {
            self.w.now = to;
        }
        n
    }

    /// Runs the simulation to the end of its period (see [`Simulator::run_until`]).
    pub fn run_to_end(&mut self) -> u64 {
        self.run_until(i64::MAX)
    }

    /// A complete, independent copy of the simulation as it stands (the
    /// same as `clone`): both continue identically until one is changed.
    pub fn fork(&self) -> Simulator {
        self.clone()
    }

    /// The simulated moment (µs since the epoch, UTC): every event before
    /// it has happened. At least [`Simulator::clock`].
    pub fn now(&self) -> i64 {
        self.w.now
    }

    /// End of the simulated period (µs since the epoch, UTC): midnight
    /// after its last day. No transaction commits at or after it.
    pub fn end(&self) -> i64 {
        self.w.end_us
    }

    /// Lengthens the period by `days` days: the business simply carries on
    /// (the same stream as a run configured that long from the start, as a
    /// test checks). Works after the end was reached too.
    pub fn extend(&mut self, days: u32) -> Result<()> {
        let total = self.w.cfg.days as u64 + days as u64;
        if total > MAX_DAYS as u64 {
            return Err(SimulatorError::Config {
                message: format!(
                    "cannot extend {} days by {days}: days must be at most {MAX_DAYS}",
                    self.w.cfg.days
                ),
            });
        }
        let old = self.w.cfg.days;
        self.w.cfg.days = total as u32;
        self.w.end_us += days as i64 * DAY;
        // the chain of days stopped at the old last day: restart it
        if days > 0 && self.w.days_planned == old {
            let at = self.w.start_us + old as i64 * DAY;
            self.w.schedule(at, Ev::Day(old));
        }
        Ok(())
    }

    /// Every reordering rule (`stock_warehouse_orderpoint`) as it stands,
    /// in id order.
    pub fn orderpoints(&self) -> Vec<OrderpointRule> {
        self.w.orderpoint_rules()
    }

    /// Changes a reordering rule's `product_min_qty`, `product_max_qty` and
    /// `qty_multiple`, as a planner would in Odoo: the rule of warehouse
    /// `warehouse_id` (stock_warehouse.id) and product `product_id`
    /// (product_product.id). The write (by the company's buyer, at
    /// [`Simulator::now`]) is the next transaction [`Simulator::next_transaction`]
    /// returns; writing the values a rule already has commits nothing.
    ///
    /// Quantities are whole units in the simulator: a quantity with a
    /// fraction is refused (round it up first), not rounded silently.
    /// Errors: no rule for the pair, a negative or fractional quantity,
    /// min above max.
    pub fn set_orderpoint(
        &mut self,
        warehouse_id: i64,
        product_id: i64,
        product_min_qty: rust_decimal::Decimal,
        product_max_qty: rust_decimal::Decimal,
        qty_multiple: rust_decimal::Decimal,
    ) -> Result<()> {
        if let Some(changes) = self.w.set_orderpoint(
            warehouse_id,
            product_id,
            product_min_qty,
            product_max_qty,
            qty_multiple,
        )? {
            self.pending.push_back(changes);
        }
        Ok(())
    }

    /// The settings of the run.
    pub fn config(&self) -> &SimulatorConfig {
        &self.w.cfg
    }

    /// Commit time (µs since the epoch, UTC) of the last transaction returned
    /// (0 before the first).
    pub fn clock(&self) -> i64 {
        self.clock
    }

    /// Position of the last transaction returned (0 before the first).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Every table's current rows by primary key, as of the last transaction
    /// returned.
    pub fn final_state(&self) -> &BTreeMap<String, BTreeMap<Vec<i64>, Vec<Value>>> {
        &self.w.db.state
    }

    /// The sales KPIs as of the last transaction returned, from the
    /// simulator's own records.
    pub fn ground_truth(&self) -> GroundTruth {
        truth::compute(&self.w, self.clock)
    }

    /// The discount policy of each channel.
    pub fn channel_policies(&self) -> Vec<ChannelPolicy> {
        PROFILES
            .iter()
            .map(|p| ChannelPolicy {
                name: p.name.to_string(),
                max_discount_percent: Decimal::new(p.max_disc_h, 2),
            })
            .collect()
    }
}

/// A scheduled business event. Each one commits at most one transaction.
#[derive(Debug, Clone)]
enum Ev {
    Setup(usize),
    Day(u32),
    NewQuote {
        company: usize,
        channel: usize,
    },
    ReviseQuote(usize),
    SendQuote(usize),
    ConfirmOrder(usize),
    CancelOrder(usize),
    WarehouseRun(usize),
    ValidateDelivery(usize),
    InvoiceRun(usize),
    CreateInvoice(usize),
    PostInvoice(usize),
    Payment(usize),
    Scheduler(usize),
    Replenish {
        company: usize,
        manual: bool,
    },
    RfqGroup {
        wh: usize,
        vendor: usize,
        manual: bool,
    },
    ReserveAll(usize),
    QuantGc(usize),
    SendPo(usize),
    ConfirmPo(usize),
    Receive(usize),
    VendorBill(usize),
    ReturnCreate(usize),
    ReturnValidate(usize),
    CreditNote(usize),
    CountEnter(usize),
    CountApply(usize),
    CostUpdate,
    ListPriceUpdate,
}

/// Master-data steps, one transaction each.
#[derive(Debug, Clone, Copy)]
enum Setup {
    Base,
    Users,
    Catalog,
    Accounting(usize),
    Locations,
    Warehouse(usize),
    Vendors,
    Products(usize, usize),
    Customers(usize, usize, usize),
    Orderpoints(usize),
    InitialStock(usize, usize, usize),
}

/// Everything the simulator knows.
#[derive(Clone)]
struct World {
    cfg: SimulatorConfig,
    /// Everything but demand and prices (see [`World::with_demand_rng`]).
    rng: ChaCha8Rng,
    /// Customer demand: what is asked for, when, and what becomes of it.
    demand_rng: ChaCha8Rng,
    /// Cost and list price changes.
    price_rng: ChaCha8Rng,
    /// Days planned so far (the next `Ev::Day` is this one).
    days_planned: u32,
    c: Cols,
    db: Db,
    now: i64,
    start_us: i64,
    end_us: i64,
    events: BTreeMap<(i64, u64), Ev>,
    ev_seq: u64,
    setup: Vec<Setup>,

    system_uid: i64,
    admin_uid: i64,
    companies: Vec<Company>,
    warehouses: Vec<Warehouse>,
    products: Vec<Product>,
    sinfos: Vec<SupplierInfo>,
    vendors: Vec<Vendor>,
    customers: Vec<Customer>,
    orderpoints: Vec<Orderpoint>,
    /// [warehouse][product]
    stock: Vec<Vec<Cell>>,
    customer_loc: i64,
    supplier_loc: i64,
    physical: i64,
    /// Sale UoMs: Units, Pack of 10, Box of 20, Case of 25, Carton of 50, kg.
    uoms: Vec<i64>,
    /// Product category id per family of [`names::FAMILIES`].
    family_categ: Vec<i64>,

    orders: Vec<Order>,
    lines: Vec<Line>,
    pickings: Vec<Picking>,
    moves: Vec<Move>,
    pos: Vec<Po>,
    po_lines: Vec<PoLine>,
    invoices: Vec<Invoice>,
    /// Confirmed orders that may still have something to invoice.
    invoice_candidates: std::collections::BTreeSet<usize>,
    /// Open draft RFQ per (warehouse, vendor, manual).
    draft_rfq: BTreeMap<(usize, usize, bool), usize>,
    /// Counts entered and not applied yet, per warehouse: (product, counted).
    pending_counts: Vec<Vec<(usize, i64)>>,
    so_seq: i64,
    po_seq: i64,
    group_seq: i64,
    op_seq: i64,
    /// Cumulative product weights of the current day.
    day_cum: Vec<f64>,
}

/// ChaCha stream of customer demand (the main generator is stream 0).
const STREAM_DEMAND: u64 = 1;
/// ChaCha stream of cost and list price changes.
const STREAM_PRICES: u64 = 2;

/// Days since the epoch of a timestamp.
fn day_of(t: i64) -> i64 {
    t.div_euclid(DAY)
}

/// 0 = Monday ... 6 = Sunday.
fn weekday(t: i64) -> i64 {
    (day_of(t) + 3).rem_euclid(7)
}

/// The `date` value (days since the epoch) of a timestamp.
fn date_of(t: i64) -> Value {
    Value::Date(day_of(t) as i32)
}

impl World {
    fn new(cfg: SimulatorConfig) -> Result<World> {
        let (c, defs) = Cols::new(Catalog::odoo17())?;
        let db = Db::new(defs);
        let start_us = cfg
            .start
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp_micros();
        let end_us = start_us + cfg.days as i64 * DAY;
        let rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let mut demand_rng = rng.clone();
        demand_rng.set_stream(STREAM_DEMAND);
        let mut price_rng = rng.clone();
        price_rng.set_stream(STREAM_PRICES);
        let mut w = World {
            rng,
            demand_rng,
            price_rng,
            days_planned: 0,
            c,
            db,
            now: start_us - DAY,
            start_us,
            end_us,
            events: BTreeMap::new(),
            ev_seq: 0,
            setup: Vec::new(),
            system_uid: 1,
            admin_uid: 2,
            companies: Vec::new(),
            warehouses: Vec::new(),
            products: Vec::new(),
            sinfos: Vec::new(),
            vendors: Vec::new(),
            customers: Vec::new(),
            orderpoints: Vec::new(),
            stock: Vec::new(),
            customer_loc: 0,
            supplier_loc: 0,
            physical: 0,
            uoms: Vec::new(),
            family_categ: Vec::new(),
            orders: Vec::new(),
            lines: Vec::new(),
            pickings: Vec::new(),
            moves: Vec::new(),
            pos: Vec::new(),
            po_lines: Vec::new(),
            invoices: Vec::new(),
            invoice_candidates: Default::default(),
            draft_rfq: BTreeMap::new(),
            pending_counts: Vec::new(),
            so_seq: 0,
            po_seq: 0,
            group_seq: 0,
            op_seq: 0,
            day_cum: Vec::new(),
            cfg,
        };
        w.setup = w.setup_plan();
        // master data between 06:00 and 23:00 the day before the start
        let first = start_us - DAY + 6 * HOUR;
        let spacing = (17 * HOUR / SEC / w.setup.len().max(1) as i64).clamp(1, 30) * SEC;
        for i in 0..w.setup.len() {
            w.schedule(first + i as i64 * spacing, Ev::Setup(i));
        }
        w.schedule(start_us, Ev::Day(0));
        Ok(w)
    }

    /// Schedules an event (never in the past).
    fn schedule(&mut self, at: i64, ev: Ev) {
        let at = at.max(self.now);
        self.ev_seq += 1;
        self.events.insert((at, self.ev_seq), ev);
    }

    /// Runs events before `limit` until one commits a transaction; its
    /// changes, or `None` when the period is over or the next event is at
    /// or after `limit` (it stays scheduled).
    fn step(&mut self, limit: i64) -> Option<Vec<crossdock_change::Change>> {
        loop {
            let (&(at, _), _) = self.events.first_key_value()?;
            if at >= self.end_us.min(limit) {
                return None;
            }
            let (_, ev) = self.events.pop_first()?;
            self.now = at;
            self.db.now = at;
            self.db.uid = self.admin_uid;
            self.handle(ev);
            if !self.db.changes.is_empty() {
                return Some(self.db.take_changes());
            }
        }
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Setup(i) => {
                let s = self.setup[i];
                self.run_setup(s);
            }
            Ev::Day(d) => self.plan_day(d),
            Ev::NewQuote { company, channel } => {
                self.with_demand_rng(|w| w.new_quote(company, channel))
            }
            Ev::ReviseQuote(o) => self.with_demand_rng(|w| w.revise_quote(o)),
            Ev::SendQuote(o) => self.send_quote(o),
            Ev::ConfirmOrder(o) => self.confirm_order(o),
            Ev::CancelOrder(o) => self.cancel_order(o),
            Ev::WarehouseRun(w) => self.warehouse_run(w),
            Ev::ValidateDelivery(p) => self.validate_delivery(p),
            Ev::InvoiceRun(c) => self.invoice_run(c),
            Ev::CreateInvoice(o) => self.create_invoice(o),
            Ev::PostInvoice(i) => self.post_invoice(i),
            Ev::Payment(i) => self.register_payment(i),
            Ev::Scheduler(c) => self.scheduler(c),
            Ev::Replenish { company, manual } => self.replenish(company, manual),
            Ev::RfqGroup { wh, vendor, manual } => self.rfq_group(wh, vendor, manual),
            Ev::ReserveAll(w) => self.reserve_all(w),
            Ev::QuantGc(c) => self.quant_gc(c),
            Ev::SendPo(p) => self.send_po(p),
            Ev::ConfirmPo(p) => self.confirm_po(p),
            Ev::Receive(p) => self.receive(p),
            Ev::VendorBill(p) => self.vendor_bill(p),
            Ev::ReturnCreate(p) => self.return_create(p),
            Ev::ReturnValidate(p) => self.return_validate(p),
            Ev::CreditNote(p) => self.credit_note(p),
            Ev::CountEnter(w) => self.count_enter(w),
            Ev::CountApply(w) => self.count_apply(w),
            Ev::CostUpdate => self.with_price_rng(World::cost_update),
            Ev::ListPriceUpdate => self.with_price_rng(World::list_price_update),
        }
    }

    /// Runs `f` with the demand stream in place of the main generator:
    /// everything customers decide (see [`STREAM_DEMAND`]). Events of
    /// demand only read state that replenishment does not change, so the
    /// demand stream is consumed identically whatever the reordering rules.
    fn with_demand_rng<R>(&mut self, f: impl FnOnce(&mut World) -> R) -> R {
        std::mem::swap(&mut self.rng, &mut self.demand_rng);
        let r = f(self);
        std::mem::swap(&mut self.rng, &mut self.demand_rng);
        r
    }

    /// Runs `f` with the price stream in place of the main generator.
    fn with_price_rng<R>(&mut self, f: impl FnOnce(&mut World) -> R) -> R {
        std::mem::swap(&mut self.rng, &mut self.price_rng);
        let r = f(self);
        std::mem::swap(&mut self.rng, &mut self.price_rng);
        r
    }

    // ------------------------------------------------------------ calendar

    /// A uniformly random whole second in `[from, to)`.
    fn at_between(&mut self, from: i64, to: i64) -> i64 {
        let secs = ((to - from) / SEC).max(1);
        from + self.rng.gen_range(0..secs) * SEC
    }

    /// The first business moment (Mon–Fri 08:00–18:00 UTC) at or after `t`,
    /// plus a random delay of up to `jitter` when `t` had to move.
    fn business(&mut self, t: i64, jitter: i64) -> i64 {
        let mut day = day_of(t);
        let tod = t - day * DAY;
        let wd = (day + 3).rem_euclid(7);
        if wd < 5 && (8 * HOUR..18 * HOUR).contains(&tod) {
            return t;
        }
        if !(wd < 5 && tod < 8 * HOUR) {
            day += 1;
        }
        while (day + 3).rem_euclid(7) >= 5 {
            day += 1;
        }
        let base = day * DAY + 8 * HOUR;
        self.at_between(base, base + jitter.max(SEC))
    }

    /// A random whole second between `lo` and `hi` days from now.
    fn days_later(&mut self, lo: i64, hi: i64) -> i64 {
        let now = self.now;
        self.at_between(now + lo * DAY, now + hi * DAY)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.gen_range(0..items.len())]
    }

    /// Plans one simulated day.
    fn plan_day(&mut self, d: u32) {
        let day0 = self.start_us + d as i64 * DAY;
        let wd = weekday(day0);
        self.days_planned = d + 1;
        self.with_demand_rng(|w| w.plan_demand(d, day0, wd));
        self.plan_operations(d, day0, wd);
    }

    /// The quotations of a day (on the demand stream).
    fn plan_demand(&mut self, d: u32, day0: i64, wd: i64) {
        self.compute_day_weights(d);
        for company in 0..self.companies.len() {
            let share = self.companies[company].share;
            for (channel, prof) in PROFILES.iter().enumerate() {
                let factor = if prof.weekend {
                    1.0
                } else if wd < 5 {
                    7.0 / 5.0
                } else {
                    0.0
                };
                let noise = self.rng.gen_range(0.85..1.15);
                let expected = self.cfg.orders_per_day as f64 * share * prof.share * factor * noise;
                let n = (expected + self.rng.gen::<f64>()).floor() as u32;
                for _ in 0..n {
                    let t = if !prof.weekend {
                        self.at_between(day0 + 8 * HOUR, day0 + 18 * HOUR)
                    } else if self.chance(0.85) {
                        self.at_between(day0 + 7 * HOUR, day0 + 24 * HOUR)
                    } else {
                        self.at_between(day0, day0 + 7 * HOUR)
                    };
                    self.schedule(t, Ev::NewQuote { company, channel });
                }
            }
        }
    }

    /// Everything else a day brings: warehouse rounds, counts, the nightly
    /// scheduler, invoicing, the buyer's Monday review, price updates.
    fn plan_operations(&mut self, d: u32, day0: i64, wd: i64) {
        // warehouse processing
        for w in 0..self.warehouses.len() {
            let runs: &[i64] = match wd {
                0..=4 => &[9, 12, 15],
                5 => &[9],
                _ => &[],
            };
            for &h in runs {
                let t = self.at_between(day0 + h * HOUR, day0 + h * HOUR + 10 * MIN);
                self.schedule(t, Ev::WarehouseRun(w));
            }
            if wd < 5 {
                let t = self.at_between(day0 + 7 * HOUR, day0 + 7 * HOUR + 15 * MIN);
                self.schedule(t, Ev::CountEnter(w));
            }
        }
        for company in 0..self.companies.len() {
            self.schedule(
                day0 + HOUR + company as i64 * 10 * MIN,
                Ev::Scheduler(company),
            );
            if wd < 5 {
                let t = self.at_between(day0 + 17 * HOUR + 30 * MIN, day0 + 17 * HOUR + 45 * MIN);
                self.schedule(t, Ev::InvoiceRun(company));
            }
            if wd == 0 {
                let t = self.at_between(day0 + 10 * HOUR, day0 + 11 * HOUR);
                self.schedule(
                    t,
                    Ev::Replenish {
                        company,
                        manual: true,
                    },
                );
            }
        }
        if wd == 0 {
            self.schedule(day0 + 6 * HOUR, Ev::CostUpdate);
        }
        let date = chrono::DateTime::from_timestamp_micros(day0)
            .expect("valid time")
            .date_naive();
        if chrono::Datelike::day(&date) == 1 {
            self.schedule(day0 + 6 * HOUR + 10 * MIN, Ev::ListPriceUpdate);
        }
        if d + 1 < self.cfg.days {
            self.schedule(day0 + DAY, Ev::Day(d + 1));
        }
    }

    /// The nightly scheduler of a company: reordering rules, reservation,
    /// quant clean-up (Odoo's `run_scheduler` order).
    fn scheduler(&mut self, company: usize) {
        self.schedule(
            self.now + MIN,
            Ev::Replenish {
                company,
                manual: false,
            },
        );
        let whs = self.companies[company].warehouses.clone();
        for (i, w) in whs.into_iter().enumerate() {
            self.schedule(self.now + 20 * MIN + i as i64 * MIN, Ev::ReserveAll(w));
        }
        self.schedule(self.now + 30 * MIN, Ev::QuantGc(company));
    }

    fn next_group(&mut self) -> i64 {
        self.group_seq += 1;
        self.group_seq
    }

    /// Next number of a per-company sequence such as "INV/2026/".
    fn next_seq(&mut self, company: usize, prefix: &str) -> i64 {
        let n = self.companies[company]
            .seqs
            .entry(prefix.to_string())
            .or_insert(0);
        *n += 1;
        *n
    }
}
