//! The simulator's domain records: what it knows about every document and
//! stock position, independent of the rows it emits. Ground truth is computed
//! from these, never by reading the rows back.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use crossdock_change::event::Value;

pub(super) const SEC: i64 = 1_000_000;
pub(super) const MIN: i64 = 60 * SEC;
pub(super) const HOUR: i64 = 60 * MIN;
pub(super) const DAY: i64 = 24 * HOUR;

/// Cents as an exact 2-decimal value.
pub(super) fn money(cents: i64) -> Value {
    Value::Decimal(Decimal::new(cents, 2))
}

/// An integral quantity.
pub(super) fn qty(q: i64) -> Value {
    Value::Decimal(Decimal::from(q))
}

/// Cents as a float (for float8 columns).
pub(super) fn fmoney(cents: i64) -> Value {
    Value::Float(cents as f64 / 100.0)
}

/// A translatable name as Odoo stores it.
pub(super) fn jname(name: &str) -> Value {
    Value::Text(serde_json::json!({ "en_US": name }).to_string())
}

/// HALF-UP rounding of `num / den` for non-negative `num`, positive `den`.
pub(super) fn div_round(num: i128, den: i128) -> i64 {
    debug_assert!(den > 0);
    if num >= 0 {
        ((num + den / 2) / den) as i64
    } else {
        -((-num + den / 2) / den) as i64
    }
}

/// `qty × price × (1 − discount/100)` rounded to cents (discount in hundredths of %).
pub(super) fn subtotal(q: i64, price_c: i64, disc_h: i64) -> i64 {
    div_round(
        q as i128 * price_c as i128 * (10_000 - disc_h) as i128,
        10_000,
    )
}

/// The 15 % tax of an untaxed amount, rounded per line.
pub(super) fn tax15(untaxed_c: i64) -> i64 {
    div_round(untaxed_c as i128 * 15, 100)
}

/// A discount in hundredths of a percent as an exact value (≤ 2 decimals).
pub(super) fn percent(h: i64) -> Value {
    Value::Decimal(Decimal::new(h, 2))
}

// The standard library's exp / ln / sin come from the platform's libm and
// may differ in the last bit between platforms; these use IEEE arithmetic
// only, so a seed gives the same stream everywhere. Accuracy ~1e-15 relative.

/// e^x.
pub(super) fn det_exp(x: f64) -> f64 {
    let k = (x / std::f64::consts::LN_2).round().clamp(-1000.0, 1000.0);
    let r = x - k * std::f64::consts::LN_2;
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for i in 1..=16 {
        term *= r / i as f64;
        sum += term;
    }
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

/// ln(x) for x > 0 (normal numbers).
pub(super) fn det_ln(x: f64) -> f64 {
    debug_assert!(x > 0.0 && x.is_normal());
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    // ln(m) = 2 atanh(s), s = (m - 1) / (m + 1) ∈ [0, 1/3)
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let (mut pow, mut sum) = (s, 0.0f64);
    for k in 0..40 {
        sum += pow / (2 * k + 1) as f64;
        pow *= s2;
    }
    e as f64 * std::f64::consts::LN_2 + 2.0 * sum
}

/// sin(x).
pub(super) fn det_sin(x: f64) -> f64 {
    use std::f64::consts::{FRAC_PI_2, PI, TAU};
    let mut r = x - TAU * (x / TAU).round(); // [-π, π]
    if r > FRAC_PI_2 {
        r = PI - r;
    } else if r < -FRAC_PI_2 {
        r = -PI - r;
    }
    let r2 = r * r;
    let (mut term, mut sum) = (r, r);
    for i in 1..=12 {
        term *= -r2 / ((2 * i) * (2 * i + 1)) as f64;
        sum += term;
    }
    sum
}

/// The five sales channels, in crm_team order.
pub(super) const CHANNELS: usize = 5;
pub(super) const FIELD: usize = 0;
pub(super) const INSIDE: usize = 1;
pub(super) const ECOM: usize = 2;
pub(super) const MARKET: usize = 3;
pub(super) const EDI: usize = 4;

/// How a channel sells.
pub(super) struct ChannelProfile {
    pub name: &'static str,
    /// Share of quotations.
    pub share: f64,
    /// Orders come in on weekends too.
    pub weekend: bool,
    /// Product lines per order (inclusive).
    pub lines: (u32, u32),
    /// Base quantity per line (inclusive).
    pub qty: (i64, i64),
    /// Policy maximum discount, hundredths of a percent.
    pub max_disc_h: i64,
    /// Promised lead time in days (customer_lead).
    pub lead_days: i64,
    /// Probability that a quotation gets confirmed.
    pub conversion: f64,
    /// Probability that a confirmed order is cancelled before shipping.
    pub cancel_after: f64,
    /// Number of customers per company at full volume.
    pub customers: usize,
}

pub(super) const PROFILES: [ChannelProfile; CHANNELS] = [
    ChannelProfile {
        name: "Field Sales",
        share: 0.15,
        weekend: false,
        lines: (2, 10),
        qty: (2, 24),
        max_disc_h: 1000,
        lead_days: 5,
        conversion: 0.65,
        cancel_after: 0.02,
        customers: 60,
    },
    ChannelProfile {
        name: "Inside Sales",
        share: 0.25,
        weekend: false,
        lines: (1, 5),
        qty: (1, 12),
        max_disc_h: 500,
        lead_days: 3,
        conversion: 0.75,
        cancel_after: 0.015,
        customers: 120,
    },
    ChannelProfile {
        name: "eCommerce",
        share: 0.35,
        weekend: true,
        lines: (1, 4),
        qty: (1, 4),
        max_disc_h: 0,
        lead_days: 2,
        conversion: 0.72,
        cancel_after: 0.005,
        customers: 250,
    },
    ChannelProfile {
        name: "Marketplace",
        share: 0.15,
        weekend: true,
        lines: (1, 2),
        qty: (1, 3),
        max_disc_h: 0,
        lead_days: 2,
        conversion: 0.98,
        cancel_after: 0.03,
        customers: 150,
    },
    ChannelProfile {
        name: "EDI",
        share: 0.10,
        weekend: false,
        lines: (3, 12),
        qty: (6, 36),
        max_disc_h: 300,
        lead_days: 7,
        conversion: 1.0,
        cancel_after: 0.0,
        customers: 10,
    },
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Pattern {
    Smooth,
    Seasonal,
    Intermittent,
    Lumpy,
}

#[derive(Clone)]
pub(super) struct Product {
    pub id: i64,
    pub tmpl_id: i64,
    pub display: String,
    pub categ_id: i64,
    pub uom_id: i64,
    pub list_c: i64,
    /// Cost per company (cents).
    pub cost_c: Vec<i64>,
    /// ir_property row of the cost, per company.
    pub cost_prop: Vec<i64>,
    /// invoice_policy 'order' (else 'delivery').
    pub policy_order: bool,
    /// purchase_method 'purchase' (else 'receive').
    pub bill_on_order: bool,
    pub pattern: Pattern,
    pub weight: f64,
    pub phase: f64,
    pub qty_factor: f64,
    /// product_supplierinfo indexes, preferred first.
    pub sinfos: Vec<usize>,
    /// Purchase multiple.
    pub pack: i64,
}

#[derive(Clone)]
pub(super) struct SupplierInfo {
    pub id: i64,
    pub vendor: usize,
    pub price_c: i64,
    pub min_qty: i64,
    pub delay: i64,
}

#[derive(Clone)]
pub(super) struct Vendor {
    pub partner_id: i64,
    pub code: String,
    pub late_p: f64,
    pub late_max: i64,
    pub short_p: f64,
    pub backorder_p: f64,
    /// Products this vendor is the preferred supplier of.
    pub products: Vec<usize>,
}

#[derive(Clone)]
pub(super) struct Customer {
    pub partner_id: i64,
    pub ship_id: i64,
    pub wh: usize,
    pub user_id: i64,
}

#[derive(Clone)]
pub(super) struct Accounts {
    pub receivable: i64,
    pub payable: i64,
    pub income: i64,
    pub expense: i64,
    pub tax_sale: i64,
    pub tax_purchase: i64,
    pub outstanding_in: i64,
    pub outstanding_out: i64,
}

#[derive(Clone)]
pub(super) struct Company {
    pub id: i64,
    pub partner_id: i64,
    /// Share of the quotations.
    pub share: f64,
    pub teams: [i64; CHANNELS],
    pub sales_users: [Vec<i64>; CHANNELS],
    pub buyer: i64,
    pub accountant: i64,
    pub wh_users: Vec<i64>,
    pub warehouses: Vec<usize>,
    pub wh_weights: Vec<f64>,
    pub customers: [Vec<usize>; CHANNELS],
    pub inv_loc: i64,
    pub acc: Accounts,
    pub sale_journal: i64,
    pub purchase_journal: i64,
    pub bank_journal: i64,
    /// Next number per sequence prefix (e.g. "INV/2026/").
    pub seqs: std::collections::BTreeMap<String, i64>,
}

#[derive(Clone)]
pub(super) struct Warehouse {
    pub id: i64,
    pub company: usize,
    pub code: String,
    pub stock_loc: i64,
    pub in_type: i64,
    pub out_type: i64,
    pub user: i64,
    pub in_seq: i64,
    pub out_seq: i64,
    /// Open (not done / cancelled) delivery pickings.
    pub open_out: BTreeSet<usize>,
}

/// Stock of one product in one warehouse's stock location.
#[derive(Default, Clone)]
pub(super) struct Cell {
    /// stock_quant id, 0 when there is no quant row.
    pub quant_id: i64,
    pub qty: i64,
    pub reserved: i64,
    /// Open demand of delivery moves.
    pub open_out: i64,
    /// Open receipts plus draft RFQ quantities.
    pub open_in: i64,
    /// Open delivery moves not fully reserved: (scheduled date, move index).
    pub waiting: BTreeSet<(i64, usize)>,
    pub orderpoint: Option<usize>,
}

#[derive(Clone)]
pub(super) struct Orderpoint {
    pub id: i64,
    pub name: String,
    pub wh: usize,
    pub product: usize,
    pub min: i64,
    pub max: i64,
    pub mult: i64,
    pub auto: bool,
    pub qty_to_order: i64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum SoState {
    Draft,
    Sent,
    Sale,
    Cancel,
}

impl SoState {
    pub fn as_str(self) -> &'static str {
        match self {
            SoState::Draft => "draft",
            SoState::Sent => "sent",
            SoState::Sale => "sale",
            SoState::Cancel => "cancel",
        }
    }
}

#[derive(Clone)]
pub(super) struct Order {
    pub id: i64,
    pub name: String,
    pub company: usize,
    pub channel: usize,
    pub customer: usize,
    pub wh: usize,
    pub state: SoState,
    pub date_order: i64,
    pub commitment: Option<i64>,
    pub lead_days: i64,
    pub lines: Vec<usize>,
    pub pickings: Vec<usize>,
    /// picking_policy 'one'.
    pub one: bool,
    pub group_id: i64,
    pub user_id: i64,
    pub invoices: Vec<usize>,
    /// When the order was confirmed (it keeps this if cancelled later).
    pub confirmed: Option<i64>,
}

#[derive(Clone)]
pub(super) struct Line {
    pub id: i64,
    pub order: usize,
    /// None for section / note rows.
    pub product: Option<usize>,
    pub qty: i64,
    pub price_c: i64,
    pub disc_h: i64,
    pub subtotal_c: i64,
    pub tax_c: i64,
    pub pp_c: i64,
    pub delivered: i64,
    pub invoiced: i64,
    /// Posted invoiced untaxed amount (refunds subtracted).
    pub invoiced_amt_c: i64,
    /// Done customer deliveries: (date, quantity).
    pub deliveries: Vec<(i64, i64)>,
    pub returned: i64,
    /// An 'order'-policy line whose return was refunded: Odoo shows it as
    /// "to invoice" again, nobody invoices it again.
    pub refund_quirk: bool,
    pub deleted: bool,
    pub name: String,
    /// Posted or draft invoice lines: (invoice index, account_move_line id).
    pub inv_lines: Vec<(usize, i64)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum MoveState {
    Confirmed,
    Partial,
    Assigned,
    Done,
    Cancel,
}

impl MoveState {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveState::Confirmed => "confirmed",
            MoveState::Partial => "partially_available",
            MoveState::Assigned => "assigned",
            MoveState::Done => "done",
            MoveState::Cancel => "cancel",
        }
    }
    pub fn open(self) -> bool {
        !matches!(self, MoveState::Done | MoveState::Cancel)
    }
    pub fn of_reservation(quantity: i64, demand: i64) -> MoveState {
        if quantity <= 0 {
            MoveState::Confirmed
        } else if quantity < demand {
            MoveState::Partial
        } else {
            MoveState::Assigned
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum PickKind {
    /// Delivery to a customer.
    Out,
    /// Receipt from a vendor.
    In,
    /// Return from a customer.
    Return,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum PickState {
    Confirmed,
    Assigned,
    Done,
    Cancel,
}

impl PickState {
    pub fn as_str(self) -> &'static str {
        match self {
            PickState::Confirmed => "confirmed",
            PickState::Assigned => "assigned",
            PickState::Done => "done",
            PickState::Cancel => "cancel",
        }
    }
}

#[derive(Clone)]
pub(super) struct Picking {
    pub id: i64,
    pub name: String,
    pub kind: PickKind,
    pub wh: usize,
    pub state: PickState,
    pub moves: Vec<usize>,
    pub sale: Option<usize>,
    pub po: Option<usize>,
    pub one: bool,
    pub origin: String,
    pub partner_id: i64,
    pub group_id: Option<i64>,
    pub scheduled: i64,
    pub deadline: Option<i64>,
}

#[derive(Clone)]
pub(super) struct Move {
    pub id: i64,
    pub picking: Option<usize>,
    pub product: usize,
    pub wh: usize,
    pub demand: i64,
    pub quantity: i64,
    pub state: MoveState,
    pub kind: PickKind,
    pub sale_line: Option<usize>,
    pub po_line: Option<usize>,
    /// Scheduled date while open, processing time once done.
    pub date: i64,
    /// Scheduled date at creation (key of the waiting queue).
    pub sched: i64,
    pub deadline: Option<i64>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum PoState {
    Draft,
    Sent,
    Purchase,
}

impl PoState {
    pub fn as_str(self) -> &'static str {
        match self {
            PoState::Draft => "draft",
            PoState::Sent => "sent",
            PoState::Purchase => "purchase",
        }
    }
}

#[derive(Clone)]
pub(super) struct Po {
    pub id: i64,
    pub name: String,
    pub company: usize,
    pub vendor: usize,
    pub wh: usize,
    pub state: PoState,
    pub lines: Vec<usize>,
    pub pickings: Vec<usize>,
    pub date_order: i64,
    pub origins: Vec<String>,
    pub bill_pending: bool,
    pub effective: Option<i64>,
    pub has_bill: bool,
}

#[derive(Clone)]
pub(super) struct PoLine {
    pub id: i64,
    pub po: usize,
    pub product: usize,
    pub qty: i64,
    pub price_c: i64,
    pub date_planned: i64,
    pub received: i64,
    pub invoiced: i64,
    pub orderpoint: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum InvKind {
    OutInvoice,
    OutRefund,
    InInvoice,
}

impl InvKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InvKind::OutInvoice => "out_invoice",
            InvKind::OutRefund => "out_refund",
            InvKind::InInvoice => "in_invoice",
        }
    }
    /// Sign of the company-currency amounts (`*_signed`).
    pub fn sign(self) -> i64 {
        match self {
            InvKind::OutInvoice => 1,
            InvKind::OutRefund | InvKind::InInvoice => -1,
        }
    }
}

#[derive(Clone)]
pub(super) struct InvLine {
    pub aml_id: i64,
    pub sale_line: Option<usize>,
    pub subtotal_c: i64,
}

#[derive(Clone)]
pub(super) struct Invoice {
    pub id: i64,
    pub kind: InvKind,
    pub company: usize,
    pub partner_id: i64,
    pub posted: bool,
    pub name: String,
    pub total_c: i64,
    pub so: Option<usize>,
    pub lines: Vec<InvLine>,
    /// All account_move_line ids (product, tax, payment term).
    pub aml_ids: Vec<i64>,
    pub term_line: i64,
    /// Invoice date, days since the epoch.
    pub due: i32,
    pub paid: bool,
    /// B2B customer invoices are drafted, then posted.
    pub needs_post: bool,
}
