//! The demo's inbox: customer and supplier e-mails about the simulation's
//! own documents, each with its ground truth.
//!
//! [`Simulator::inbox`] writes RFC 5322 messages (as bytes, MIME multipart
//! where needed) that a distributor's customer service would receive at the
//! end of the simulated period: quote requests, orders, changes and
//! cancellations, "where is my delivery", delivery problems, returns,
//! damaged goods, invoice questions, payments, product questions — and the
//! suppliers' messages (confirmations, delays, their invoices), newsletters,
//! auto-replies and cold pitches. They refer to the simulation's real
//! documents by the names Odoo gives them (`S00042`, `WH/OUT/00012`,
//! `INV/2026/00012`, `P00017`, the customers' own order references), with
//! varied phrasing, typos, HTML-only mail, replies quoting the whole
//! history, forwarded chains (inline or as an attached message), attachments
//! (a PDF named after an invoice, photos), a share in German, French and
//! Spanish (some in Latin-1 with quoted-printable).
//!
//! Each message has its [`MessageTruth`]: the queue and category a person
//! would give it (named exactly as `crossdock_models::triage` names them),
//! the references it makes (with whether the document exists), the sender's
//! partner and company. [`write_inbox`] writes `0001.eml`, `0002.eml`, … and
//! [`TRUTH_FILE`] (JSON lines) beside them.
//!
//! Deterministic: the same simulation and [`InboxConfig`] give the same
//! bytes. The inbox has its own generator (stream [`STREAM_INBOX`] of the
//! inbox seed) and only reads the simulation's records, so generating it
//! changes nothing in the simulation.
//!
//! ```
//! use crossdock_simulator::{inbox::InboxConfig, Simulator, SimulatorConfig};
//!
//! let mut sim = Simulator::new(SimulatorConfig { days: 10, orders_per_day: 20, products: 40, ..Default::default() })?;
//! sim.run_to_end();
//! let inbox = sim.inbox(&InboxConfig { seed: 1, messages: 30 });
//! assert_eq!(inbox.len(), 30);
//! assert!(inbox[0].raw.starts_with(b"Message-ID: <"));
//! # Ok::<(), crossdock_simulator::SimulatorError>(())
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use base64::Engine;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crossdock_change::event::Value;

use super::model::*;
use super::{names, Simulator, World};

/// The ground-truth file written beside the messages (one JSON object per line).
pub const TRUTH_FILE: &str = "truth.jsonl";

/// ChaCha stream of the inbox generator (the simulation uses 0, 1 and 2).
pub const STREAM_INBOX: u64 = 3;

/// How many messages, from which seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxConfig {
    /// Seed of the inbox's generator (independent of the simulation's).
    pub seed: u64,
    /// Number of messages.
    pub messages: usize,
}

impl Default for InboxConfig {
    fn default() -> Self {
        InboxConfig {
            seed: 7,
            messages: 400,
        }
    }
}

/// A reference a message makes, as a person would list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthRef {
    /// `sale_order`, `purchase_order`, `invoice`, `credit_note`, `delivery`,
    /// `receipt`, `customer_ref` or `invoice_ref` (the names of
    /// `crossdock_models::triage::RefKind`).
    pub kind: String,
    /// As Odoo writes it (`S00042`, `INV/2026/00012`), or as the customer
    /// wrote a free-form reference.
    pub value: String,
    /// True when the document is in the simulation (a customer's new
    /// purchase order number is not).
    pub exists: bool,
}

/// What a person would say of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTruth {
    /// The file name (`0001.eml`).
    pub file: String,
    /// `Message-ID`, without the angle brackets.
    pub message_id: String,
    /// When it arrived (RFC 3339, UTC).
    pub received: String,
    /// The sender's address.
    pub from: String,
    /// `customer`, `supplier`, `unknown` (a person not in `res_partner`) or
    /// `machine` (newsletters, auto-replies).
    pub sender: String,
    /// The queue: `sales`, `helpdesk`, `purchasing`, `accounting`, `other`.
    pub queue: String,
    /// The category, exactly as `crossdock_models::triage::Category` names it.
    pub category: String,
    /// `en`, `de`, `fr` or `es`.
    pub language: String,
    /// How it is written: `html_only`, `alternative`, `reply`, `long_history`,
    /// `forward`, `forward_attached`, `attachment`, `typos`, `latin1`, ...
    pub traits: Vec<String>,
    /// The references it makes (subject, text, attachments' names, history).
    pub references: Vec<TruthRef>,
    /// The sender's `res_partner.id` (the commercial partner), when known.
    pub partner_id: Option<i64>,
    /// The company the message is about (`res_company.id`), when known.
    pub company_id: Option<i64>,
}

/// One message of the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    /// Its ground truth.
    pub truth: MessageTruth,
    /// The RFC 5322 bytes (CRLF line ends).
    pub raw: Vec<u8>,
}

impl Simulator {
    /// The inbox at the end of what was simulated so far: `config.messages`
    /// messages received over the ten days before the last commit
    /// ([`Simulator::clock`]), sorted by arrival. Reads
    /// the simulation's records only (nothing in the simulation changes).
    pub fn inbox(&self, config: &InboxConfig) -> Vec<InboxMessage> {
        Gen::new(&self.w, config, self.clock).run(config.messages)
    }
}

/// Writes the messages (`<file>` each) and [`TRUTH_FILE`] into `dir`
/// (created when missing).
pub fn write_inbox(dir: &Path, messages: &[InboxMessage]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut truth = String::new();
    for m in messages {
        std::fs::write(dir.join(&m.truth.file), &m.raw)?;
        truth.push_str(&serde_json::to_string(&m.truth).map_err(std::io::Error::other)?);
        truth.push('\n');
    }
    std::fs::write(dir.join(TRUTH_FILE), truth)
}

/// Reads [`TRUTH_FILE`] of an inbox folder.
pub fn read_truth(dir: &Path) -> std::io::Result<Vec<MessageTruth>> {
    let text = std::fs::read_to_string(dir.join(TRUTH_FILE))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(std::io::Error::other))
        .collect()
}

// ------------------------------------------------------------------ model

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    En,
    De,
    Fr,
    Es,
}

impl Lang {
    fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }
}

/// Someone who writes or is written to.
#[derive(Clone, Debug)]
struct Person {
    name: String,
    addr: String,
}

impl Person {
    fn header(&self) -> String {
        format!("{} <{}>", encode_word(&self.name), self.addr)
    }
    fn plain(&self) -> String {
        format!("{} <{}>", self.name, self.addr)
    }
}

/// An earlier message quoted or forwarded.
#[derive(Clone, Debug)]
struct Earlier {
    from: Person,
    to: Person,
    at: i64,
    subject: String,
    text: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Plain,
    Alternative,
    HtmlOnly,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Latin1,
    Windows1252,
}

impl Charset {
    fn name(self) -> &'static str {
        match self {
            Charset::Utf8 => "utf-8",
            Charset::Latin1 => "iso-8859-1",
            Charset::Windows1252 => "windows-1252",
        }
    }
}

/// A message being written.
struct Draft {
    lang: Lang,
    queue: &'static str,
    category: &'static str,
    from: Person,
    to: Person,
    sender: &'static str,
    partner_id: Option<i64>,
    company_id: Option<i64>,
    subject: String,
    /// The new text (greeting, body, closing).
    text: String,
    signature: String,
    /// Quoted replies, newest first (each quoting the ones after it).
    history: Vec<Earlier>,
    /// A forwarded message (inline, or attached as message/rfc822).
    forward: Option<(Earlier, bool)>,
    attachments: Vec<(String, String, Vec<u8>)>,
    headers: Vec<(String, String)>,
    refs: Vec<TruthRef>,
    traits: Vec<String>,
    format: Format,
    charset: Charset,
}

impl Draft {
    fn mention(&mut self, kind: &str, value: &str, exists: bool) -> String {
        if !self.refs.iter().any(|r| r.kind == kind && r.value == value) {
            self.refs.push(TruthRef {
                kind: kind.into(),
                value: value.into(),
                exists,
            });
        }
        value.to_string()
    }
    fn trait_(&mut self, t: &str) {
        if !self.traits.iter().any(|x| x == t) {
            self.traits.push(t.into());
        }
    }
}

/// A customer's order and what became of it.
#[derive(Clone)]
struct OrderCtx {
    order: usize,
    name: String,
    client_ref: Option<String>,
    delivery: Option<String>,
    invoice: Option<(String, i64)>,
    product: Option<(String, String, i64)>,
}

struct Gen<'a> {
    w: &'a World,
    rng: ChaCha8Rng,
    now: i64,
    orders: Vec<usize>,
    quotes: Vec<usize>,
    refunds: Vec<usize>,
    pos: Vec<usize>,
    bills: Vec<usize>,
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Text(s) => Some(s.clone()),
        _ => None,
    }
}

impl<'a> Gen<'a> {
    /// `clock`: the last commit (the inbox ends there, however the
    /// simulation was run to it).
    fn new(w: &'a World, config: &InboxConfig, clock: i64) -> Gen<'a> {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        rng.set_stream(STREAM_INBOX);
        let now = clock.max(w.start_us);
        let recent = now - 45 * DAY;
        let orders: Vec<usize> = (0..w.orders.len())
            .filter(|&o| {
                let x = &w.orders[o];
                x.state == SoState::Sale && x.date_order >= recent
            })
            .collect();
        let quotes = (0..w.orders.len())
            .filter(|&o| {
                let x = &w.orders[o];
                matches!(x.state, SoState::Draft | SoState::Sent) && x.date_order >= recent
            })
            .collect();
        let refunds = (0..w.invoices.len())
            .filter(|&i| w.invoices[i].kind == InvKind::OutRefund && w.invoices[i].posted)
            .collect();
        let pos = (0..w.pos.len())
            .filter(|&p| w.pos[p].state != PoState::Draft)
            .collect();
        let bills = (0..w.invoices.len())
            .filter(|&i| w.invoices[i].kind == InvKind::InInvoice && w.invoices[i].posted)
            .collect();
        Gen {
            w,
            rng,
            now,
            orders,
            quotes,
            refunds,
            pos,
            bills,
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.gen_range(0..items.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    /// One of the later items of a chronological list (recent documents are
    /// asked about more).
    fn recent<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            return None;
        }
        let from = items.len() * 2 / 3;
        let i = if self.chance(0.8) {
            self.rng.gen_range(from..items.len())
        } else {
            self.rng.gen_range(0..items.len())
        };
        Some(items[i])
    }

    fn partner_field(&self, id: i64, col: usize) -> Option<String> {
        self.w
            .db
            .state
            .get("res_partner")
            .and_then(|t| t.get(&[id][..]))
            .and_then(|r| r.get(col).and_then(text_of))
    }

    fn partner_name(&self, id: i64) -> String {
        self.partner_field(id, self.w.c.partner.name)
            .unwrap_or_else(|| format!("Partner {id}"))
    }

    fn partner_email(&self, id: i64) -> String {
        self.partner_field(id, self.w.c.partner.email)
            .unwrap_or_else(|| format!("partner{id}@example.com"))
    }

    fn person_name(&mut self) -> String {
        let f = self.pick(names::FIRST);
        let l = self.pick(names::LAST);
        format!("{f} {l}")
    }

    fn us(&self, company: usize) -> Person {
        let c = &self.w.companies[company.min(self.w.companies.len().saturating_sub(1))];
        Person {
            name: format!("{} Customer Service", self.partner_name(c.partner_id)),
            addr: self.partner_email(c.partner_id),
        }
    }

    fn order_ctx(&mut self, o: usize) -> OrderCtx {
        let w = self.w;
        let order = &w.orders[o];
        let client_ref =
            w.db.state
                .get("sale_order")
                .and_then(|t| t.get(&[order.id][..]))
                .and_then(|r| text_of(&r[w.c.so.client_order_ref]));
        let delivery = order
            .pickings
            .iter()
            .map(|&p| &w.pickings[p])
            .find(|p| p.kind == PickKind::Out)
            .map(|p| p.name.clone());
        let invoice = order
            .invoices
            .iter()
            .map(|&i| &w.invoices[i])
            .find(|i| i.kind == InvKind::OutInvoice && i.posted)
            .map(|i| (i.name.clone(), i.total_c));
        let lines: Vec<usize> = order
            .lines
            .iter()
            .copied()
            .filter(|&l| !w.lines[l].deleted && w.lines[l].product.is_some())
            .collect();
        let product = if lines.is_empty() {
            None
        } else {
            let l = &w.lines[self.pick(&lines)];
            l.product.map(|p| {
                let (code, name) = product_code_name(&w.products[p].display);
                (code, name, l.qty)
            })
        };
        OrderCtx {
            order: o,
            name: order.name.clone(),
            client_ref,
            delivery,
            invoice,
            product,
        }
    }

    /// A random product: (internal reference, name).
    fn product(&mut self) -> (String, String) {
        if self.w.products.is_empty() {
            return ("ITEM-1".into(), "item".into());
        }
        let p = self.rng.gen_range(0..self.w.products.len());
        product_code_name(&self.w.products[p].display)
    }

    fn received(&mut self) -> i64 {
        // business hours mostly, over the last ten days
        let day = self.rng.gen_range(0..10i64);
        let base = (self.now - day * DAY).div_euclid(DAY) * DAY;
        let hour = if self.chance(0.85) {
            self.rng.gen_range(7..19)
        } else {
            self.rng.gen_range(0..24)
        };
        let t = base + hour * HOUR + self.rng.gen_range(0..3600) * SEC;
        t.min(self.now.max(base + SEC))
    }

    fn lang(&mut self) -> Lang {
        let x: f64 = self.rng.gen();
        if x < 0.84 {
            Lang::En
        } else if x < 0.90 {
            Lang::De
        } else if x < 0.95 {
            Lang::Fr
        } else {
            Lang::Es
        }
    }

    fn run(mut self, n: usize) -> Vec<InboxMessage> {
        let mut drafts: Vec<(i64, Draft)> = Vec::with_capacity(n);
        for _ in 0..n {
            let at = self.received();
            let d = self.one(at);
            drafts.push((at, d));
        }
        for (_, d) in &mut drafts {
            keep_written_refs(d);
        }
        drafts.sort_by_key(|(at, _)| *at);
        let mut seen_ids = BTreeSet::new();
        drafts
            .into_iter()
            .enumerate()
            .map(|(i, (at, d))| {
                let file = format!("{:04}.eml", i + 1);
                let domain = d.from.addr.rsplit('@').next().unwrap_or("example.com");
                let mut message_id = format!("{:016x}.{}@{domain}", self.rng.gen::<u64>(), i + 1);
                while !seen_ids.insert(message_id.clone()) {
                    message_id.push('x');
                }
                let raw = render(&d, at, &message_id, &mut self.rng);
                let mut traits = d.traits.clone();
                traits.sort();
                InboxMessage {
                    truth: MessageTruth {
                        file,
                        message_id,
                        received: rfc3339(at),
                        from: d.from.addr.clone(),
                        sender: d.sender.into(),
                        queue: d.queue.into(),
                        category: d.category.into(),
                        language: d.lang.code().into(),
                        traits,
                        references: d.refs.clone(),
                        partner_id: d.partner_id,
                        company_id: d.company_id,
                    },
                    raw,
                }
            })
            .collect()
    }

    /// One message, of a kind drawn by its share of a distributor's inbox.
    fn one(&mut self, at: i64) -> Draft {
        let x = self.rng.gen_range(0..100u32);
        let mut d = match x {
            0..=6 => self.quote_request(at),
            7..=14 => self.new_order(at),
            15..=22 => self.order_change(at),
            23..=33 => self.order_status(at),
            34..=40 => self.delivery_problem(at),
            41..=46 => self.return_rma(at),
            47..=52 => self.damaged(at),
            53..=60 => self.invoice_question(at),
            61..=66 => self.payment(at),
            67..=72 => self.product_question(at),
            73..=84 => self.supplier(at),
            85..=89 => self.newsletter(at),
            90..=95 => self.auto_reply(at),
            _ => self.cold_pitch(at),
        };
        if d.sender == "customer" || d.sender == "unknown" {
            if self.chance(0.18) {
                d.text = typos(&d.text, &mut self.rng);
                d.trait_("typos");
            }
            if d.history.is_empty() && d.forward.is_none() {
                if self.chance(0.22) {
                    self.make_reply(&mut d, at);
                } else if self.chance(0.08) {
                    self.make_forward(&mut d, at);
                }
            }
        }
        if d.format == Format::Plain {
            let f: f64 = self.rng.gen();
            d.format = if f < 0.25 {
                Format::Alternative
            } else if f < 0.38 {
                Format::HtmlOnly
            } else {
                Format::Plain
            };
        }
        match d.format {
            Format::Alternative => d.trait_("alternative"),
            Format::HtmlOnly => d.trait_("html_only"),
            Format::Plain => {}
        }
        if d.lang != Lang::En && self.chance(0.5) {
            d.charset = if self.chance(0.5) {
                Charset::Latin1
            } else {
                Charset::Windows1252
            };
            d.trait_("latin1");
        }
        if !d.attachments.is_empty() {
            d.trait_("attachment");
        }
        d
    }

    // ------------------------------------------------------------ senders

    fn draft(
        &mut self,
        lang: Lang,
        queue: &'static str,
        category: &'static str,
        ctx: Option<&OrderCtx>,
    ) -> Draft {
        let (from, to, sender, partner_id, company_id) = match ctx {
            Some(c) => {
                let order = &self.w.orders[c.order];
                let cust = &self.w.customers[order.customer];
                let company = order.company;
                let pname = self.partner_name(cust.partner_id);
                let is_person = names::FIRST.iter().any(|f| pname.starts_with(f));
                let contact = if is_person {
                    pname.clone()
                } else {
                    self.person_name()
                };
                let (addr, sender, partner) = if self.chance(0.1) {
                    let slug: String = contact
                        .to_ascii_lowercase()
                        .chars()
                        .map(|c| if c == ' ' { '.' } else { c })
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                        .collect();
                    let host = self.pick(&["gmail.com", "outlook.com", "yahoo.com", "gmx.de"]);
                    (format!("{slug}@{host}"), "unknown", None)
                } else {
                    (
                        self.partner_email(cust.partner_id),
                        "customer",
                        Some(cust.partner_id),
                    )
                };
                (
                    Person {
                        name: if is_person {
                            contact
                        } else {
                            format!("{contact} ({pname})")
                        },
                        addr,
                    },
                    self.us(company),
                    sender,
                    partner,
                    Some(self.w.companies[company].id),
                )
            }
            None => {
                let name = self.person_name();
                let slug: String = name
                    .to_ascii_lowercase()
                    .chars()
                    .filter(|c| c.is_ascii_alphabetic())
                    .collect();
                let host = self.pick(&[
                    "gmail.com",
                    "outlook.com",
                    "buildpro-supply.com",
                    "hartmann-technik.de",
                    "atelier-dupont.fr",
                    "suministros-garcia.es",
                ]);
                (
                    Person {
                        name,
                        addr: format!("{slug}@{host}"),
                    },
                    self.us(0),
                    "unknown",
                    None,
                    None,
                )
            }
        };
        Draft {
            lang,
            queue,
            category,
            from,
            to,
            sender,
            partner_id,
            company_id,
            subject: String::new(),
            text: String::new(),
            signature: String::new(),
            history: Vec::new(),
            forward: None,
            attachments: Vec::new(),
            headers: Vec::new(),
            refs: Vec::new(),
            traits: Vec::new(),
            format: Format::Plain,
            charset: Charset::Utf8,
        }
    }

    fn customer_order(&mut self) -> Option<OrderCtx> {
        let orders = self.orders.clone();
        self.recent(&orders).map(|o| self.order_ctx(o))
    }

    /// Greeting, body, closing and signature in the draft's language.
    fn wrap(&mut self, d: &mut Draft, body: &str) {
        let (greet, close): (&[&str], &[&str]) = match d.lang {
            Lang::En => (
                &[
                    "Hi,",
                    "Hello,",
                    "Dear Sales team,",
                    "Good morning,",
                    "Hi there,",
                    "Dear customer service,",
                    "",
                ],
                &[
                    "Best regards",
                    "Thanks",
                    "Kind regards",
                    "Cheers",
                    "Thank you",
                    "Regards",
                ],
            ),
            Lang::De => (
                &[
                    "Guten Tag,",
                    "Hallo zusammen,",
                    "Sehr geehrte Damen und Herren,",
                ],
                &["Mit freundlichen Grüßen", "Viele Grüße", "Beste Grüße"],
            ),
            Lang::Fr => (
                &["Bonjour,", "Madame, Monsieur,", "Bonjour à tous,"],
                &["Cordialement", "Bien cordialement", "Bien à vous"],
            ),
            Lang::Es => (
                &["Hola,", "Buenos días,", "Estimados señores:"],
                &["Saludos", "Un saludo", "Atentamente"],
            ),
        };
        let g = self.pick(greet);
        let c = self.pick(close);
        let name = d
            .from
            .name
            .split(" (")
            .next()
            .unwrap_or(&d.from.name)
            .to_string();
        let company = d
            .from
            .name
            .split_once(" (")
            .map(|(_, c)| c.trim_end_matches(')').to_string());
        d.text = if g.is_empty() {
            body.to_string()
        } else {
            format!("{g}\n\n{body}")
        };
        let mut sig = format!("{c},\n{name}");
        if let Some(co) = company {
            sig.push('\n');
            sig.push_str(&co);
        }
        if self.chance(0.5) {
            sig.push_str(&format!(
                "\nPhone +1 555-{:03}-{:04}",
                self.rng.gen_range(100..1000),
                self.rng.gen_range(0..10000)
            ));
        }
        if self.chance(0.12) {
            sig = format!("{c}\n\n--\nSent from my iPhone");
        }
        d.signature = sig;
    }

    // ------------------------------------------------------------ customers

    fn quote_request(&mut self, _at: i64) -> Draft {
        let ctx = self.customer_order();
        let lang = self.lang();
        let mut d = self.draft(lang, "sales", "quote request", ctx.as_ref());
        let (code, name) = self.product();
        let (code2, name2) = self.product();
        let q = self.pick(&[20, 50, 100, 200, 250, 500, 1000]);
        let q2 = self.pick(&[10, 25, 40, 60, 120]);
        let same = match &ctx {
            Some(c) if self.chance(0.3) => {
                let n = d.mention("sale_order", &c.name, true);
                match lang {
                    Lang::En => format!(" Same terms as our last order {n} would be great."),
                    Lang::De => format!(" Gerne zu den Konditionen unseres letzten Auftrags {n}."),
                    Lang::Fr => {
                        format!(" Aux mêmes conditions que notre commande {n} si possible.")
                    }
                    Lang::Es => {
                        format!(" Con las mismas condiciones que el pedido {n}, por favor.")
                    }
                }
            }
            _ => String::new(),
        };
        let (subject, body) = match lang {
            Lang::En => match self.rng.gen_range(0..4) {
                0 => (
                    format!("Request for quotation - {name}"),
                    format!("Could you please send us a quote for {q} x {code} ({name}) and {q2} x {code2} {name2}?\nWe would also need your lead time and shipping costs.{same}"),
                ),
                1 => (
                    "Price inquiry".to_string(),
                    format!("What is your best price for {q} units of {name} ({code})? If you can offer a volume discount for {} please include it in the quotation.{same}", q * 2),
                ),
                2 => (
                    format!("Quote needed: {code}"),
                    format!("We are planning a project and need pricing on the items below:\n\n- {code} {name}: {q} pcs\n- {code2} {name2}: {q2} pcs\n\nPlease quote incl. delivery to our warehouse. Validity at least 30 days.{same}"),
                ),
                _ => (
                    "RFQ".to_string(),
                    format!("pls quote {q} {name} asap, and availability. thanks{same}"),
                ),
            },
            Lang::De => (
                format!("Angebotsanfrage {name}"),
                format!("bitte senden Sie uns ein Angebot für {q} Stück {code} ({name}) sowie {q2} Stück {code2}. Wir benötigen auch die Lieferzeit.{same}"),
            ),
            Lang::Fr => (
                format!("Demande de devis - {name}"),
                format!("Pourriez-vous nous faire parvenir un devis pour {q} unités de {code} ({name}) et {q2} unités de {code2} ? Merci d'indiquer le délai de livraison.{same}"),
            ),
            Lang::Es => (
                format!("Solicitud de presupuesto {name}"),
                format!("Por favor envíennos un presupuesto para {q} unidades de {code} ({name}) y {q2} unidades de {code2}. Necesitamos también el plazo de entrega.{same}"),
            ),
        };
        d.subject = subject;
        self.wrap(&mut d, &body);
        d
    }

    fn new_order(&mut self, _at: i64) -> Draft {
        let ctx = self.customer_order();
        let lang = self.lang();
        let mut d = self.draft(lang, "sales", "new order", ctx.as_ref());
        let (code, name) = self.product();
        let (code2, name2) = self.product();
        let q = self.pick(&[10, 24, 30, 48, 100, 150, 300]);
        let q2 = self.pick(&[5, 12, 20, 60]);
        // a new number, of a shape the simulation's own references never take
        let po = if self.chance(0.5) {
            format!("{}", self.rng.gen_range(100_000..999_999))
        } else {
            let letter = self.pick(&['A', 'B', 'C', 'K', 'X']);
            format!("{}-{letter}", self.rng.gen_range(1000..9999))
        };
        let po = d.mention("customer_ref", &po, false);
        let (subject, body) = match lang {
            Lang::En => match self.rng.gen_range(0..4) {
                0 => (
                    format!("New order - PO {po}"),
                    format!("Please book the following order, our PO {po}:\n\n{q} x {code} {name}\n{q2} x {code2} {name2}\n\nDelivery to the usual address. Please confirm the delivery date."),
                ),
                1 => (
                    format!("Order {po}"),
                    format!("We would like to order {q} units of {name} ({code}). Our purchase order no. {po} is attached. Please send an order confirmation."),
                ),
                2 => (
                    "Purchase order".to_string(),
                    format!("Attached you will find our purchase order #{po} for {q} x {code} and {q2} x {code2}. Ship as soon as possible please."),
                ),
                _ => (
                    format!("PO {po} - please process"),
                    format!("hi, we need {q} {name} {code} and {q2} {code2} next week, PO {po}. can you confirm"),
                ),
            },
            Lang::De => (
                format!("Bestellung {po}"),
                format!("hiermit bestellen wir gemäß unserer Bestellung Nr. {po}:\n\n{q} x {code} {name}\n{q2} x {code2} {name2}\n\nBitte senden Sie uns eine Auftragsbestätigung."),
            ),
            Lang::Fr => (
                format!("Commande {po}"),
                format!("Veuillez trouver ci-joint notre bon de commande n° {po} :\n\n{q} x {code} {name}\n{q2} x {code2}\n\nMerci de nous confirmer la date de livraison."),
            ),
            Lang::Es => (
                format!("Pedido {po}"),
                format!("Les enviamos nuestro pedido nº {po}:\n\n{q} x {code} {name}\n{q2} x {code2}\n\nPor favor confirmen la fecha de entrega."),
            ),
        };
        d.subject = subject;
        if self.chance(0.5) {
            d.attachments.push((
                format!("PO-{po}.pdf"),
                "application/pdf".into(),
                fake_pdf(&po),
            ));
        }
        self.wrap(&mut d, &body);
        d
    }

    fn order_change(&mut self, _at: i64) -> Draft {
        let ctx = if self.chance(0.25) && !self.quotes.is_empty() {
            let quotes = self.quotes.clone();
            let o = self.pick(&quotes);
            Some(self.order_ctx(o))
        } else {
            self.customer_order()
        };
        let lang = self.lang();
        let mut d = self.draft(lang, "sales", "order change or cancellation", ctx.as_ref());
        let (so, pq) = match &ctx {
            Some(c) => (
                d.mention("sale_order", &c.name, true),
                c.product
                    .clone()
                    .unwrap_or(("ITEM-1".into(), "item".into(), 10)),
            ),
            None => (
                "our last order".into(),
                ("ITEM-1".into(), "item".into(), 10),
            ),
        };
        let refpart = match ctx.as_ref().and_then(|c| c.client_ref.clone()) {
            Some(r) if self.chance(0.5) => {
                let r = d.mention("customer_ref", &r, true);
                format!(" (our ref {r})")
            }
            _ => String::new(),
        };
        let (code, name, qty) = pq;
        let newq = (qty / 2).max(1);
        let (subject, body) = match lang {
            Lang::En => match self.rng.gen_range(0..5) {
                0 => (
                    format!("Cancel order {so}"),
                    format!("Please cancel our order {so}{refpart}. The project was postponed and we no longer need the goods."),
                ),
                1 => (
                    format!("Change to {so}"),
                    format!("Could you change the quantity of {code} on order {so}{refpart} from {qty} to {newq}? Everything else stays the same."),
                ),
                2 => (
                    format!("{so} - change delivery address"),
                    format!("Please change the delivery address for {so}{refpart}: ship to our new site, 1200 Harbor Road, Unit 4. Sorry for the late change."),
                ),
                3 => (
                    format!("Re: order {so}"),
                    format!("We need to remove {name} ({code}) from order {so}{refpart} and add 10 more of the rest if possible. Please amend the order and send a new confirmation."),
                ),
                _ => (
                    "cancellation".to_string(),
                    format!("hello, pls cancel {so}{refpart}, ordered by mistake. thx"),
                ),
            },
            Lang::De => (
                format!("Stornierung Auftrag {so}"),
                format!("bitte stornieren Sie unseren Auftrag {so}{refpart}. Wir benötigen die Ware leider nicht mehr."),
            ),
            Lang::Fr => (
                format!("Annulation commande {so}"),
                format!("Merci d'annuler notre commande {so}{refpart}, elle a été passée par erreur. Pouvez-vous nous confirmer l'annulation ?"),
            ),
            Lang::Es => (
                format!("Modificación del pedido {so}"),
                format!("Por favor cambien la cantidad de {code} en el pedido {so}{refpart} de {qty} a {newq}. Gracias."),
            ),
        };
        d.subject = subject;
        self.wrap(&mut d, &body);
        d
    }

    fn order_status(&mut self, _at: i64) -> Draft {
        let ctx = self.customer_order();
        let lang = self.lang();
        let mut d = self.draft(lang, "helpdesk", "order status", ctx.as_ref());
        let Some(c) = ctx else {
            d.subject = "Where is my order?".into();
            self.wrap(&mut d, "We ordered last week and have not received anything yet. Can you tell us when it ships?");
            return d;
        };
        let so = d.mention("sale_order", &c.name, true);
        let what = match (&c.delivery, &c.client_ref) {
            (Some(p), _) if self.chance(0.35) => {
                let p = d.mention("delivery", p, true);
                format!("delivery {p}")
            }
            (_, Some(r)) if self.chance(0.3) => {
                let r = d.mention("customer_ref", r, true);
                format!("our order ref {r} (your {so})")
            }
            _ => format!("order {so}"),
        };
        let only_subject = self.chance(0.15);
        let (subject, body) = match lang {
            Lang::En => match self.rng.gen_range(0..5) {
                0 => (
                    format!("Status of {so}"),
                    if only_subject {
                        "Hi, can you tell me when this will be delivered? We have a crew waiting.".to_string()
                    } else {
                        format!("Can you tell me when {what} will be delivered? We have a crew waiting on site.")
                    },
                ),
                1 => (
                    "Where is my delivery?".to_string(),
                    format!("We are still waiting for {what}. It was supposed to arrive this week. Do you have a tracking number?"),
                ),
                2 => (
                    format!("{so} delivery date"),
                    if only_subject {
                        "Could you confirm the expected delivery date? Thanks.".to_string()
                    } else {
                        format!("Could you confirm the expected delivery date for {what}? Has it shipped yet?")
                    },
                ),
                3 => (
                    format!("Update on {so}?"),
                    format!("Any news on {what}? Our customer keeps asking when the goods arrive."),
                ),
                _ => (
                    "tracking".to_string(),
                    format!("hi, has {what} shipped? need the tracking no. please"),
                ),
            },
            Lang::De => (
                format!("Lieferstatus {so}"),
                format!("wann wird unsere Lieferung zu {what} eintreffen? Die Ware war für diese Woche angekündigt. Können Sie uns die Sendungsnummer mitteilen?"),
            ),
            Lang::Fr => (
                format!("Suivi de la commande {so}"),
                format!("Pourriez-vous nous indiquer où en est la livraison de {what} ? Nous n'avons toujours rien reçu."),
            ),
            Lang::Es => (
                format!("Estado del pedido {so}"),
                format!("¿Nos pueden indicar cuándo llegará {what}? Todavía no hemos recibido nada."),
            ),
        };
        d.subject = subject;
        self.wrap(&mut d, &body);
        d
    }

    fn delivery_problem(&mut self, _at: i64) -> Draft {
        let ctx = self.customer_order();
        let lang = self.lang();
        let mut d = self.draft(lang, "helpdesk", "delivery problem", ctx.as_ref());
        let (so, del, code, name, qty) = match &ctx {
            Some(c) => {
                let so = d.mention("sale_order", &c.name, true);
                let del = match &c.delivery {
                    Some(p) if self.chance(0.6) => Some(d.mention("delivery", p, true)),
                    _ => None,
                };
                let (code, name, qty) =
                    c.product
                        .clone()
                        .unwrap_or(("ITEM-1".into(), "item".into(), 10));
                (so, del, code, name, qty)
            }
            None => ("our order".into(), None, "ITEM-1".into(), "item".into(), 10),
        };
        let short = (qty / 3).max(1);
        let dref = del.clone().unwrap_or_else(|| so.clone());
        let (subject, body) = match lang {
            Lang::En => match self.rng.gen_range(0..4) {
                0 => (
                    format!("Short delivery {dref}"),
                    format!("We received {dref} today but {short} units of {code} {name} are missing. The packing slip says {qty}. Please send the rest."),
                ),
                1 => (
                    format!("Wrong item delivered - {so}"),
                    format!("The delivery for {so} contained the wrong product: we ordered {code} ({name}) and got something else. Please arrange the right goods and a pickup."),
                ),
                2 => (
                    "Delivery went to the wrong address".to_string(),
                    format!("The driver delivered {dref} to our old warehouse instead of the site address on the order {so}. Nobody was there to receive it. What now?"),
                ),
                _ => (
                    format!("{so} - incomplete"),
                    format!("only part of {dref} arrived, {name} missing entirely. we need it by friday"),
                ),
            },
            Lang::De => (
                format!("Fehlmenge Lieferung {dref}"),
                format!("in der heutigen Lieferung {dref} fehlen {short} Stück {code} {name}. Laut Lieferschein sollten es {qty} sein. Bitte liefern Sie die fehlende Menge nach."),
            ),
            Lang::Fr => (
                format!("Livraison incomplète {dref}"),
                format!("Nous avons reçu la livraison {dref} mais il manque {short} unités de {code}. Merci de nous envoyer le reste rapidement."),
            ),
            Lang::Es => (
                format!("Entrega incompleta {dref}"),
                format!("Hemos recibido la entrega {dref} pero faltan {short} unidades de {code}. Por favor envíen el resto."),
            ),
        };
        d.subject = subject;
        self.wrap(&mut d, &body);
        d
    }

    fn return_rma(&mut self, _at: i64) -> Draft {
        let ctx = self.customer_order();
        let lang = self.lang();
        let mut d = self.draft(lang, "helpdesk", "return / RMA", ctx.as_ref());
        let refund = if self.chance(0.2) && !self.refunds.is_empty() {
            let r = self.pick(&self.refunds.clone());
            Some(self.w.invoices[r].name.clone())
        } else {
            None
        };
        let (so, code, name, qty) = match &ctx {
            Some(c) => {
                let so = d.mention("sale_order", &c.name, true);
                let (code, name, qty) =
                    c.product
                        .clone()
                        .unwrap_or(("ITEM-1".into(), "item".into(), 10));
                (so, code, name, qty)
            }
            None => ("our order".into(), "ITEM-1".into(), "item".into(), 10),
        };
        let back = (qty / 4).max(1);
        let (subject, body) = match lang {
            Lang::En => match self.rng.gen_range(0..4) {
                0 => (
                    format!("Return request {so}"),
                    format!("We would like to return {back} x {code} {name} from order {so}; we ordered too many. Please send us an RMA number and the return label."),
                ),
                1 => (
                    "RMA please".to_string(),
                    format!("Can we send back {back} units of {name} ({code})? They are unopened, order {so}. How does your return process work?"),
                ),
                2 => match &refund {
                    Some(r) => {
                        let r = d.mention("credit_note", r, true);
                        (
                            format!("Return of {so}"),
                            format!("We sent back {back} pieces of {code} last week for order {so}. Is credit note {r} the full refund for the return?"),
                        )
                    }
                    None => (
                        format!("Return of {so}"),
                        format!("We want to return {back} pieces of {code} from {so} for a refund. They do not fit our application."),
                    ),
                },
                _ => (
                    format!("return {code}"),
                    format!("hi want to send back {back} {name} from {so}, wrong size. rma?"),
                ),
            },
            Lang::De => (
                format!("Rücksendung {so}"),
                format!("wir möchten {back} Stück {code} {name} aus dem Auftrag {so} zurücksenden. Bitte teilen Sie uns eine RMA-Nummer mit."),
            ),
            Lang::Fr => (
                format!("Demande de retour {so}"),
                format!("Nous souhaitons retourner {back} unités de {code} de la commande {so}. Pouvez-vous nous envoyer un numéro de retour (RMA) ?"),
            ),
            Lang::Es => (
                format!("Devolución pedido {so}"),
                format!("Queremos devolver {back} unidades de {code} del pedido {so}. ¿Nos pueden enviar un número de devolución?"),
            ),
        };
        d.subject = subject;
        self.wrap(&mut d, &body);
        d
    }

    fn damaged(&mut self, _at: i64) -> Draft {
        let ctx = self.customer_order();
        let lang = self.lang();
        let mut d = self.draft(lang, "helpdesk", "damaged goods", ctx.as_ref());
        let (so, del, code, name, qty) = match &ctx {
            Some(c) => {
                let so = d.mention("sale_order", &c.name, true);
                let del = match &c.delivery {
                    Some(p) if self.chance(0.5) => Some(d.mention("delivery", p, true)),
                    _ => None,
                };
                let (code, name, qty) =
                    c.product
                        .clone()
                        .unwrap_or(("ITEM-1".into(), "item".into(), 10));
                (so, del, code, name, qty)
            }
            None => ("our order".into(), None, "ITEM-1".into(), "item".into(), 10),
        };
        let broken = (qty / 5).max(1);
        let dref = del.unwrap_or_else(|| so.clone());
        let (subject, body) = match lang {
            Lang::En => match self.rng.gen_range(0..4) {
                0 => (
                    format!("Damaged goods - {dref}"),
                    format!("The pallet for {dref} arrived with crushed boxes. {broken} units of {code} {name} are broken. Photos attached. Please send replacements."),
                ),
                1 => (
                    format!("Broken items in {so}"),
                    format!("{broken} of the {name} ({code}) we received on order {so} were damaged in transit - cracked housings. See the pictures. How do you want to handle this?"),
                ),
                2 => (
                    "Transport damage".to_string(),
                    format!("Delivery {dref} was damaged, the carton was wet and {broken} pcs {code} are unusable. We noted it on the delivery receipt."),
                ),
                _ => (
                    format!("{so} arrived damaged"),
                    format!("goods damaged!! {broken} {name} smashed, photos attached, need replacement asap"),
                ),
            },
            Lang::De => (
                format!("Transportschaden {dref}"),
                format!("die Lieferung {dref} ist beschädigt angekommen. {broken} Stück {code} {name} sind kaputt. Fotos anbei. Bitte senden Sie Ersatz."),
            ),
            Lang::Fr => (
                format!("Marchandise endommagée {dref}"),
                format!("La livraison {dref} est arrivée endommagée : {broken} unités de {code} sont cassées. Photos en pièce jointe. Merci de nous envoyer un remplacement."),
            ),
            Lang::Es => (
                format!("Mercancía dañada {dref}"),
                format!("La entrega {dref} llegó dañada, {broken} unidades de {code} están rotas. Adjuntamos fotos. Por favor envíen reposición."),
            ),
        };
        d.subject = subject;
        let photos = self.rng.gen_range(1..4);
        for i in 0..photos {
            let n = self.rng.gen_range(1000..9999);
            d.attachments.push((
                format!("IMG_{n}.jpg"),
                "image/jpeg".into(),
                fake_jpeg(i as u8),
            ));
        }
        self.wrap(&mut d, &body);
        d
    }

    fn invoiced_order(&mut self) -> Option<OrderCtx> {
        for _ in 0..20 {
            let c = self.customer_order()?;
            if c.invoice.is_some() {
                return Some(c);
            }
        }
        None
    }

    fn invoice_question(&mut self, _at: i64) -> Draft {
        let ctx = self.invoiced_order().or_else(|| self.customer_order());
        let lang = self.lang();
        let mut d = self.draft(
            lang,
            "accounting",
            "invoice question or dispute",
            ctx.as_ref(),
        );
        let (inv, amount, so) = match &ctx {
            Some(c) => match &c.invoice {
                Some((inv, total)) => (Some(inv.clone()), *total, c.name.clone()),
                None => (None, 0, c.name.clone()),
            },
            None => (None, 0, String::new()),
        };
        let amount = format!("{}.{:02}", amount / 100, amount % 100);
        let Some(inv) = inv else {
            d.subject = "Question about your invoice".into();
            let so = if so.is_empty() {
                "our last order".to_string()
            } else {
                d.mention("sale_order", &so, true)
            };
            self.wrap(&mut d, &format!("We have not received an invoice for {so} yet. Could you send it to our accounts payable address?"));
            return d;
        };
        let in_attachment_only = self.chance(0.15);
        let shown = if in_attachment_only {
            "the attached invoice".to_string()
        } else {
            format!("invoice {}", d.mention("invoice", &inv, true))
        };
        if in_attachment_only || self.chance(0.4) {
            let file = format!("{}.pdf", inv.replace('/', "_"));
            d.mention("invoice", &inv, true);
            d.attachments
                .push((file, "application/pdf".into(), fake_pdf(&inv)));
        }
        let (subject, body) = match lang {
            Lang::En => match self.rng.gen_range(0..5) {
                0 => (
                    if in_attachment_only {
                        "Invoice query".to_string()
                    } else {
                        format!("Query on {inv}")
                    },
                    format!("The prices on {shown} do not match the quotation we received. We were quoted a 5% discount that is missing. Please send a corrected invoice."),
                ),
                1 => (
                    "We were charged twice".to_string(),
                    format!("It looks like we were invoiced twice for the same goods: {shown} and an earlier one for the same order. Please check and issue a credit note."),
                ),
                2 => (
                    "Invoice copy".to_string(),
                    format!("Could you send us a copy of {shown}? Our system lost the PDF. Also please put our PO number on future invoices."),
                ),
                3 => (
                    "Dispute - invoice amount".to_string(),
                    format!("We dispute {shown} over {amount}: part of the goods were never delivered, so we will not pay the full amount until this is resolved."),
                ),
                _ => (
                    "invoice wrong".to_string(),
                    format!("{shown} has the wrong VAT number and billing address, pls correct"),
                ),
            },
            Lang::De => (
                "Rückfrage zur Rechnung".to_string(),
                format!("bei {shown} stimmen die Preise nicht mit unserem Angebot überein. Bitte senden Sie uns eine korrigierte Rechnung."),
            ),
            Lang::Fr => (
                "Question sur la facture".to_string(),
                format!("Le montant de {shown} ({amount}) ne correspond pas à notre commande. Pouvez-vous vérifier et nous envoyer une facture corrigée ?"),
            ),
            Lang::Es => (
                "Consulta sobre la factura".to_string(),
                format!("Los precios de {shown} no coinciden con el presupuesto. Por favor envíennos una factura corregida."),
            ),
        };
        d.subject = subject;
        self.wrap(&mut d, &body);
        d
    }

    fn payment(&mut self, _at: i64) -> Draft {
        let ctx = self.invoiced_order().or_else(|| self.customer_order());
        let lang = self.lang();
        let mut d = self.draft(lang, "accounting", "payment", ctx.as_ref());
        let inv = ctx.as_ref().and_then(|c| c.invoice.clone());
        let (invs, amount) = match &inv {
            Some((i, total)) => (
                d.mention("invoice", i, true),
                format!("{}.{:02}", total / 100, total % 100),
            ),
            None => ("your last invoice".into(), "the full amount".into()),
        };
        let (subject, body) = match lang {
            Lang::En => match self.rng.gen_range(0..4) {
                0 => (
                    format!("Payment for {invs}"),
                    format!("We paid {invs} ({amount}) by bank transfer yesterday. The remittance advice is attached."),
                ),
                1 => (
                    "Bank details".to_string(),
                    format!("Before we pay {invs}, could you confirm your bank account details? We received a message saying they changed."),
                ),
                2 => (
                    "Payment delay".to_string(),
                    format!("Payment of {invs} will be about two weeks late because of our month-end closing. Sorry for the delay."),
                ),
                _ => (
                    "remittance".to_string(),
                    format!("paid {amount} today for {invs}, please allocate. thx"),
                ),
            },
            Lang::De => (
                format!("Zahlung {invs}"),
                format!("wir haben {invs} über {amount} gestern überwiesen. Den Zahlungsavis finden Sie im Anhang."),
            ),
            Lang::Fr => (
                format!("Paiement {invs}"),
                format!("Nous avons réglé {invs} ({amount}) par virement hier. Vous trouverez l'avis de paiement en pièce jointe."),
            ),
            Lang::Es => (
                format!("Pago {invs}"),
                format!("Hemos pagado {invs} ({amount}) por transferencia ayer. Adjuntamos el justificante de pago."),
            ),
        };
        d.subject = subject;
        if body.contains("attach")
            || body.contains("Anhang")
            || body.contains("jointe")
            || body.contains("Adjunt")
        {
            d.attachments.push((
                "Remittance_advice.pdf".into(),
                "application/pdf".into(),
                fake_pdf("remittance"),
            ));
        }
        self.wrap(&mut d, &body);
        d
    }

    fn product_question(&mut self, _at: i64) -> Draft {
        let ctx = if self.chance(0.6) {
            self.customer_order()
        } else {
            None
        };
        let lang = self.lang();
        let mut d = self.draft(lang, "sales", "product question", ctx.as_ref());
        let (code, name) = self.product();
        let (code2, _) = self.product();
        let (subject, body) = match lang {
            Lang::En => match self.rng.gen_range(0..4) {
                0 => (
                    format!("Question about {code}"),
                    format!("Is {name} ({code}) compatible with {code2}? Do you have a datasheet with the dimensions and the material?"),
                ),
                1 => (
                    "Technical question".to_string(),
                    format!("What is the maximum load rating of {code} {name}? And is it suitable for outdoor use?"),
                ),
                2 => (
                    format!("{name} - specifications"),
                    format!("Could you tell us the country of origin and the certifications (CE, RoHS) of {code}? Our customer needs them."),
                ),
                _ => (
                    format!("{code} alternative?"),
                    format!("is there an equivalent to {name} in stainless steel? what sizes do you carry"),
                ),
            },
            Lang::De => (
                format!("Frage zu Artikel {code}"),
                format!("ist {name} ({code}) mit {code2} kompatibel? Haben Sie ein technisches Datenblatt?"),
            ),
            Lang::Fr => (
                format!("Question produit {code}"),
                format!("Le produit {name} ({code}) est-il compatible avec {code2} ? Avez-vous une fiche technique ?"),
            ),
            Lang::Es => (
                format!("Consulta sobre el artículo {code}"),
                format!("¿Es {name} ({code}) compatible con {code2}? ¿Tienen una ficha técnica?"),
            ),
        };
        d.subject = subject;
        self.wrap(&mut d, &body);
        d
    }

    // ------------------------------------------------------------ suppliers

    fn supplier(&mut self, _at: i64) -> Draft {
        let lang = if self.chance(0.85) {
            Lang::En
        } else {
            self.lang()
        };
        let po = {
            let pos = self.pos.clone();
            self.recent(&pos)
        };
        let vendor = match po {
            Some(p) => self.w.pos[p].vendor,
            None if !self.w.vendors.is_empty() => self.rng.gen_range(0..self.w.vendors.len()),
            None => 0,
        };
        let (vpartner, company) = match self.w.vendors.get(vendor) {
            Some(v) => (v.partner_id, po.map(|p| self.w.pos[p].company).unwrap_or(0)),
            None => (0, 0),
        };
        let contact = self.person_name();
        let vname = self.partner_name(vpartner);
        let from = Person {
            name: format!("{contact} ({vname})"),
            addr: self.partner_email(vpartner),
        };
        let mut d = Draft {
            lang,
            queue: "purchasing",
            category: "order status",
            from,
            to: self.us(company),
            sender: "supplier",
            partner_id: Some(vpartner),
            company_id: self.w.companies.get(company).map(|c| c.id),
            subject: String::new(),
            text: String::new(),
            signature: String::new(),
            history: Vec::new(),
            forward: None,
            attachments: Vec::new(),
            headers: Vec::new(),
            refs: Vec::new(),
            traits: vec!["supplier".into()],
            format: Format::Plain,
            charset: Charset::Utf8,
        };
        let pname = po.map(|p| self.w.pos[p].name.clone());
        let their_ref = po.and_then(|p| {
            let w = self.w;
            w.db.state
                .get("purchase_order")
                .and_then(|t| t.get(&[w.pos[p].id][..]))
                .and_then(|r| text_of(&r[w.c.po.partner_ref]))
        });
        let pn = match &pname {
            Some(n) => d.mention("purchase_order", n, true),
            None => "your last order".into(),
        };
        let theirs = match &their_ref {
            Some(r) if self.chance(0.5) => {
                let r = d.mention("customer_ref", r, true);
                format!(" (our order {r})")
            }
            _ => String::new(),
        };
        let (code, name) = self.product();
        let days = self.rng.gen_range(3..15);
        let kind = self.rng.gen_range(0..7);
        let (category, subject, body) = match (kind, lang) {
            (0, Lang::En) | (0, Lang::Es) | (0, Lang::Fr) => (
                "order status",
                format!("Order confirmation {pn}"),
                format!("Thank you for your purchase order {pn}. We confirm all lines{theirs}; planned ship date is in {days} days. The order confirmation is attached."),
            ),
            (1, _) => (
                "order status",
                format!("Delay - {pn}"),
                format!("Unfortunately {pn}{theirs} will ship about {days} days later than planned because our supplier of {name} is late. We apologise for the inconvenience."),
            ),
            (2, _) => (
                "order status",
                format!("Shipping notice {pn}"),
                format!("Your order {pn}{theirs} left our warehouse today. Tracking number 1Z{}. Expected delivery in {} days.", self.rng.gen_range(100_000_000u64..999_999_999), days.min(5)),
            ),
            (3, _) => (
                "order change or cancellation",
                format!("{pn} - item discontinued"),
                format!("Item {code} {name} on your order {pn} has been discontinued. We propose the successor model at the same price. Please confirm if we may change the order line."),
            ),
            (4, _) => {
                let bill = if self.bills.is_empty() {
                    None
                } else {
                    let b = self.pick(&self.bills.clone());
                    Some(self.w.invoices[b].name.clone())
                };
                match bill {
                    Some(b) => {
                        let b = d.mention("invoice", &b, true);
                        (
                            "payment",
                            "Payment reminder".to_string(),
                            format!("According to our records the invoice for {pn}, booked by you as {b}, is now overdue. Please arrange payment or let us know if there is a problem."),
                        )
                    }
                    None => (
                        "payment",
                        "Payment reminder".to_string(),
                        format!("Our invoice for {pn} is now overdue. Please arrange payment."),
                    ),
                }
            }
            (5, _) => {
                let n = self.rng.gen_range(100_000..999_999);
                let inv = d.mention("invoice_ref", &format!("{n}"), false);
                d.attachments.push((
                    format!("Invoice_{n}.pdf"),
                    "application/pdf".into(),
                    fake_pdf(&inv),
                ));
                (
                    "invoice question or dispute",
                    format!("Invoice {inv} for {pn}"),
                    format!("Please find attached our invoice no. {inv} for {pn}. Note that the freight was charged separately as agreed."),
                )
            }
            (0, Lang::De) => (
                "order status",
                format!("Auftragsbestätigung {pn}"),
                format!("vielen Dank für Ihre Bestellung {pn}. Wir bestätigen alle Positionen{theirs}, Versand in {days} Tagen."),
            ),
            _ => (
                "other",
                "Price list 2026".to_string(),
                format!("Please find attached our new price list valid from next month. Prices for the {name} range increase by 4%."),
            ),
        };
        d.category = category;
        d.subject = subject;
        self.wrap(&mut d, &body);
        d
    }

    // ------------------------------------------------------------ machines

    fn newsletter(&mut self, _at: i64) -> Draft {
        let sender = self.pick(&[
            ("Trade Fair News", "news@industry-expo.example.net"),
            (
                "Logistics Weekly",
                "newsletter@logistics-weekly.example.org",
            ),
            ("Fastener World", "info@fastener-world.example.com"),
        ]);
        let mut d = self.draft(Lang::En, "other", "other", None);
        d.from = Person {
            name: sender.0.into(),
            addr: sender.1.into(),
        };
        d.sender = "machine";
        let (code, name) = self.product();
        let topic = self.pick(&[
            "Register now for the spring trade fair",
            "This week: freight rates, port congestion and more",
            "New products and 20% off this month",
            "Your monthly industry update",
        ]);
        d.subject = topic.into();
        d.text = format!("{topic}\n\nRead the latest news from our industry. Featured: {name}, a popular line this season (compare with {code}).\n\nOrder now and save! Offer valid until the end of the month.\n\nYou receive this e-mail because you subscribed to our newsletter.\nUnsubscribe: https://{}/unsubscribe", sender.1.split('@').nth(1).unwrap_or("example.org"));
        if self.chance(0.7) {
            d.headers.push((
                "List-Unsubscribe".into(),
                format!(
                    "<mailto:unsubscribe@{}>",
                    sender.1.split('@').nth(1).unwrap_or("x")
                ),
            ));
        }
        if self.chance(0.5) {
            d.headers.push(("Precedence".into(), "bulk".into()));
        }
        d.format = if self.chance(0.6) {
            Format::HtmlOnly
        } else {
            Format::Alternative
        };
        d.trait_("newsletter");
        d
    }

    fn auto_reply(&mut self, at: i64) -> Draft {
        let ctx = self.customer_order();
        let lang = self.lang();
        let mut d = self.draft(lang, "other", "other", ctx.as_ref());
        d.sender = "machine";
        let about = match &ctx {
            Some(c) if self.chance(0.7) => {
                let so = d.mention("sale_order", &c.name, true);
                format!("Your order confirmation {so}")
            }
            _ => "Your message".to_string(),
        };
        let name = d.from.name.split(" (").next().unwrap_or("").to_string();
        let back = chrono::DateTime::from_timestamp_micros(at + 5 * DAY)
            .map(|t| t.format("%d.%m.%Y").to_string())
            .unwrap_or_default();
        let (subject, text) = match lang {
            Lang::En => (
                format!("Out of Office: {about}"),
                format!("Thank you for your e-mail. I am out of the office until {back} with limited access to e-mail. For urgent matters please contact our purchasing team.\n\n{name}"),
            ),
            Lang::De => (
                format!("Abwesenheitsnotiz: {about}"),
                format!("Vielen Dank für Ihre Nachricht. Ich bin bis {back} nicht im Büro. In dringenden Fällen wenden Sie sich bitte an meine Kollegen.\n\n{name}"),
            ),
            Lang::Fr => (
                format!("Réponse automatique : {about}"),
                format!("Merci pour votre message. Je suis absent(e) jusqu'au {back}. Pour toute urgence, merci de contacter mes collègues.\n\n{name}"),
            ),
            Lang::Es => (
                format!("Respuesta automática: {about}"),
                format!("Gracias por su mensaje. Estoy fuera de la oficina hasta el {back}. Para asuntos urgentes contacte con mis compañeros.\n\n{name}"),
            ),
        };
        d.subject = subject;
        d.text = text;
        if self.chance(0.75) {
            d.headers
                .push(("Auto-Submitted".into(), "auto-replied".into()));
        }
        if self.chance(0.4) {
            d.headers.push(("X-Autoreply".into(), "yes".into()));
        }
        d.trait_("auto_reply");
        d
    }

    fn cold_pitch(&mut self, _at: i64) -> Draft {
        let mut d = self.draft(Lang::En, "other", "other", None);
        let (subject, body) = match self.rng.gen_range(0..4) {
            0 => ("Quick question about your website", "I noticed your website is not ranking on the first page of Google for your main keywords. Our SEO agency can fix that within 90 days. Do you have 15 minutes for a call next week?"),
            1 => ("Partnership opportunity", "We help distributors cut warehouse costs by 30% with our cloud WMS. Would you be open to a short demo? I can send a few case studies."),
            2 => ("Invitation: webinar on supply chain resilience", "Join our free webinar next Thursday on building a resilient supply chain. Seats are limited, reply to this e-mail to save yours."),
            _ => ("Following up", "Just following up on my previous e-mail about our lead generation services. Let me know if you are the right person to talk to or who I should contact."),
        };
        d.subject = subject.into();
        self.wrap(&mut d, body);
        d.trait_("cold_pitch");
        d
    }

    // ------------------------------------------------------------ threads

    /// Turns a message into a reply quoting the whole history: our answer
    /// and their first message (or, sometimes, a long chain of "where is my
    /// delivery" under a cancellation).
    fn make_reply(&mut self, d: &mut Draft, at: i64) {
        let long = d.category == "order change or cancellation" && self.chance(0.4);
        let t1 = at - self.rng.gen_range(2..48) * HOUR;
        let base = d.subject.trim_start_matches("Re: ").to_string();
        let ours = match d.lang {
            Lang::En => "Thank you for your message. We are looking into it and will come back to you shortly.",
            Lang::De => "vielen Dank für Ihre Nachricht. Wir prüfen das und melden uns in Kürze.",
            Lang::Fr => "Merci pour votre message. Nous vérifions et revenons vers vous rapidement.",
            Lang::Es => "Gracias por su mensaje. Lo estamos revisando y le responderemos en breve.",
        };
        if long {
            // the order was late for a while; now they cancel it
            let so = d
                .refs
                .iter()
                .find(|r| r.kind == "sale_order")
                .map(|r| r.value.clone())
                .unwrap_or_else(|| "the order".into());
            let rounds = self.rng.gen_range(3..7);
            for k in 0..rounds {
                let t = t1 - k as i64 * DAY;
                d.history.push(Earlier {
                    from: d.to.clone(),
                    to: d.from.clone(),
                    at: t,
                    subject: format!("Re: {so}"),
                    text: format!("Hello,\n\nwe are sorry, {so} is still waiting for stock. We expect to ship it next week and will send the tracking number then.\n\nBest regards,\nCustomer Service"),
                });
                d.history.push(Earlier {
                    from: d.from.clone(),
                    to: d.to.clone(),
                    at: t - 3 * HOUR,
                    subject: format!("Re: {so}"),
                    text: format!("Hi,\n\nwhere is our delivery for {so}? It is late again, when will it ship?\n\nThanks"),
                });
            }
            d.subject = format!("Re: {so}");
            d.trait_("long_history");
        } else {
            let first_text = format!("{}\n\n{}", d.text, d.signature);
            d.history.push(Earlier {
                from: d.to.clone(),
                to: d.from.clone(),
                at: t1,
                subject: format!("Re: {base}"),
                text: format!("{ours}\n\nBest regards,\nCustomer Service"),
            });
            d.history.push(Earlier {
                from: d.from.clone(),
                to: d.to.clone(),
                at: t1 - self.rng.gen_range(1..20) * HOUR,
                subject: base.clone(),
                text: first_text,
            });
            let follow = match d.lang {
                Lang::En => self.pick(&[
                    "Any update on this? See my message below.",
                    "Following up on the below - we still need an answer.",
                    "Hi again, still waiting to hear back on this one.",
                ]),
                Lang::De => "gibt es hierzu schon Neuigkeiten? Siehe unten.",
                Lang::Fr => "Avez-vous du nouveau ? Voir mon message ci-dessous.",
                Lang::Es => "¿Hay novedades? Ver mi mensaje abajo.",
            };
            d.text = follow.to_string();
            d.subject = format!("Re: {base}");
        }
        d.trait_("reply");
    }

    /// Turns a message into a colleague's forward of it.
    fn make_forward(&mut self, d: &mut Draft, at: i64) {
        let original = Earlier {
            from: d.from.clone(),
            to: d.to.clone(),
            at: at - self.rng.gen_range(1..30) * HOUR,
            subject: d.subject.clone(),
            text: format!("{}\n\n{}", d.text, d.signature),
        };
        let colleague = self.person_name();
        let domain = d
            .from
            .addr
            .rsplit('@')
            .next()
            .unwrap_or("example.com")
            .to_string();
        let slug: String = colleague
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        d.from = Person {
            name: colleague.clone(),
            addr: format!("{slug}@{domain}"),
        };
        if d.sender == "customer" {
            // a colleague of the customer: same company, not the address on file
            d.sender = "unknown";
        }
        let attached = self.chance(0.35);
        let prefix = match d.lang {
            Lang::En => "Fwd: ",
            Lang::De => "WG: ",
            Lang::Fr => "TR: ",
            Lang::Es => "RV: ",
        };
        d.subject = format!("{prefix}{}", original.subject);
        d.text = match d.lang {
            Lang::En => self
                .pick(&[
                    "FYI",
                    "Please see below and handle.",
                    "Forwarding this to you, can you help?",
                ])
                .to_string(),
            Lang::De => "zur Info, bitte kümmern Sie sich darum.".into(),
            Lang::Fr => "Pour info, merci de traiter.".into(),
            Lang::Es => "Para su información, por favor gestionen esto.".into(),
        };
        d.signature = colleague;
        d.forward = Some((original, attached));
        d.trait_(if attached {
            "forward_attached"
        } else {
            "forward"
        });
    }
}

/// Keeps the references the message really contains (a template may name
/// a document it then does not write): in the subject, the text, the
/// history, a forwarded message or an attachment's name (`INV_2026_00012.pdf`).
fn keep_written_refs(d: &mut Draft) {
    let mut hay = format!("{}\n{}", d.subject, plain_body(d));
    if let Some((f, _)) = &d.forward {
        hay.push_str(&format!("\n{}\n{}", f.subject, f.text));
    }
    for (name, _, _) in &d.attachments {
        hay.push('\n');
        hay.push_str(&name.replace('_', "/"));
    }
    d.refs.retain(|r| hay.contains(&r.value));
}

/// `[FAS-00012] Hex bolt M8` → (`FAS-00012`, `Hex bolt M8`).
fn product_code_name(display: &str) -> (String, String) {
    match display.strip_prefix('[').and_then(|s| s.split_once("] ")) {
        Some((c, n)) => (c.to_string(), n.to_string()),
        None => (String::new(), display.to_string()),
    }
}

/// A few typing errors in words of letters (never in a reference).
fn typos(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let letters = word.len() >= 5 && word.chars().all(|c| c.is_ascii_lowercase());
        if letters && rng.gen_bool(0.08) {
            let mut b: Vec<char> = word.chars().collect();
            let k = rng.gen_range(1..b.len() - 1);
            if rng.gen_bool(0.5) {
                b.swap(k, k + 1);
            } else {
                b.remove(k);
            }
            out.extend(b);
        } else {
            out.push_str(word);
        }
    }
    out
}

fn fake_pdf(title: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Title ({title}) >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .into_bytes()
}

fn fake_jpeg(seed: u8) -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    v.extend((0..200u16).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    v.extend([0xFF, 0xD9]);
    v
}

fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp_micros(t)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn rfc2822(t: i64) -> String {
    chrono::DateTime::from_timestamp_micros(t)
        .map(|d| d.to_rfc2822())
        .unwrap_or_default()
}

fn human_date(t: i64, lang: Lang) -> String {
    let Some(d) = chrono::DateTime::from_timestamp_micros(t) else {
        return String::new();
    };
    match lang {
        Lang::En => d.format("%a, %b %-d, %Y at %H:%M").to_string(),
        Lang::De | Lang::Fr | Lang::Es => d.format("%d.%m.%Y %H:%M").to_string(),
    }
}

// ------------------------------------------------------------ rendering

/// An RFC 2047 encoded word when `s` is not ASCII.
fn encode_word(s: &str) -> String {
    if s.is_ascii() {
        s.to_string()
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
        )
    }
}

fn attribution(e: &Earlier, lang: Lang) -> String {
    let date = human_date(e.at, lang);
    let who = e.from.plain();
    match lang {
        Lang::En => format!("On {date}, {who} wrote:"),
        Lang::De => format!("Am {date} schrieb {who}:"),
        Lang::Fr => format!("Le {date}, {who} a écrit :"),
        Lang::Es => format!("El {date}, {who} escribió:"),
    }
}

/// The plain text of history `h[i..]`: each message quoting the ones after it.
fn quote_plain(h: &[Earlier], lang: Lang) -> String {
    let Some((first, rest)) = h.split_first() else {
        return String::new();
    };
    let mut inner = first.text.clone();
    if !rest.is_empty() {
        inner.push_str("\n\n");
        inner.push_str(&quote_plain(rest, lang));
    }
    let quoted: Vec<String> = inner
        .lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_string()
            } else if l.starts_with('>') {
                format!(">{l}")
            } else {
                format!("> {l}")
            }
        })
        .collect();
    format!("{}\n{}", attribution(first, lang), quoted.join("\n"))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(esc).collect();
            format!("<p>{}</p>", lines.join("<br>\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn quote_html(h: &[Earlier], lang: Lang) -> String {
    let Some((first, rest)) = h.split_first() else {
        return String::new();
    };
    let mut inner = html_paragraphs(&first.text);
    if !rest.is_empty() {
        inner.push('\n');
        inner.push_str(&quote_html(rest, lang));
    }
    format!(
        "<div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">{}<br></div>\n<blockquote class=\"gmail_quote\" style=\"margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex\">\n{inner}\n</blockquote></div>",
        esc(&attribution(first, lang))
    )
}

fn forward_header(e: &Earlier) -> String {
    format!(
        "---------- Forwarded message ---------\nFrom: {}\nDate: {}\nSubject: {}\nTo: {}",
        e.from.plain(),
        human_date(e.at, Lang::En),
        e.subject,
        e.to.plain()
    )
}

fn plain_body(d: &Draft) -> String {
    let mut s = d.text.clone();
    if !d.signature.is_empty() {
        s.push_str("\n\n");
        s.push_str(&d.signature);
    }
    if let Some((f, false)) = &d.forward {
        s.push_str("\n\n");
        s.push_str(&forward_header(f));
        s.push_str("\n\n");
        s.push_str(&f.text);
    }
    if !d.history.is_empty() {
        s.push_str("\n\n");
        s.push_str(&quote_plain(&d.history, d.lang));
    }
    s
}

fn html_body(d: &Draft) -> String {
    let mut s = String::from(
        "<html><head><style>p{margin:0 0 1em 0} .sig{color:#888}</style></head><body>\n",
    );
    s.push_str(&html_paragraphs(&d.text));
    if !d.signature.is_empty() {
        s.push_str("\n<div class=\"sig\">");
        s.push_str(&html_paragraphs(&d.signature));
        s.push_str("</div>");
    }
    if let Some((f, false)) = &d.forward {
        s.push_str("\n<div class=\"gmail_quote\">");
        s.push_str(
            &forward_header(f)
                .lines()
                .map(esc)
                .collect::<Vec<_>>()
                .join("<br>\n"),
        );
        s.push_str("<br><br>\n");
        s.push_str(&html_paragraphs(&f.text));
        s.push_str("</div>");
    }
    if !d.history.is_empty() {
        s.push('\n');
        s.push_str(&quote_html(&d.history, d.lang));
    }
    s.push_str("\n</body></html>");
    s
}

/// Text in a single-byte charset (characters it lacks become `?`).
fn encode_charset(text: &str, cs: Charset) -> Vec<u8> {
    match cs {
        Charset::Utf8 => text.as_bytes().to_vec(),
        Charset::Latin1 | Charset::Windows1252 => text
            .chars()
            .map(|c| match c {
                '€' if cs == Charset::Windows1252 => 0x80,
                '’' if cs == Charset::Windows1252 => 0x92,
                c if (c as u32) < 0x100 => c as u32 as u8,
                _ => b'?',
            })
            .collect(),
    }
}

/// Quoted-printable (RFC 2045), CRLF line ends, soft breaks at 76.
fn quoted_printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    let text_lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    for (li, line) in text_lines.iter().enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut cur = String::new();
        for (i, &b) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let blank_at_end = (b == b' ' || b == b'\t') && last;
            let literal = (32..=126).contains(&b) && b != b'=' || b == b'\t';
            let enc = if blank_at_end || !literal {
                format!("={b:02X}")
            } else {
                (b as char).to_string()
            };
            if cur.len() + enc.len() > 75 {
                out.push_str(&cur);
                out.push_str("=\r\n");
                cur.clear();
            }
            cur.push_str(&enc);
        }
        out.push_str(&cur);
        if li + 1 < text_lines.len() {
            out.push_str("\r\n");
        }
    }
    out
}

fn b64_lines(bytes: &[u8]) -> String {
    let s = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push_str("\r\n");
    }
    out
}

/// A text part: headers and body (CRLF), quoted-printable when not ASCII.
fn text_part(subtype: &str, text: &str, cs: Charset) -> String {
    if text.is_ascii() && text.lines().all(|l| l.len() < 900) {
        format!(
            "Content-Type: text/{subtype}; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{}\r\n",
            text.replace('\n', "\r\n")
        )
    } else {
        format!(
            "Content-Type: text/{subtype}; charset=\"{}\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}\r\n",
            cs.name(),
            quoted_printable(&encode_charset(text, cs))
        )
    }
}

fn boundary(rng: &mut ChaCha8Rng) -> String {
    format!("----=_Part_{:016x}", rng.gen::<u64>())
}

fn render(d: &Draft, at: i64, message_id: &str, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut head = format!(
        "Message-ID: <{message_id}>\r\nDate: {}\r\nFrom: {}\r\nTo: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\n",
        rfc2822(at),
        d.from.header(),
        d.to.header(),
        encode_word(&d.subject)
    );
    if d.subject.starts_with("Re: ") {
        head.push_str(&format!(
            "In-Reply-To: <{:016x}@{}>\r\n",
            rng.gen::<u64>(),
            d.to.addr.rsplit('@').next().unwrap_or("example.com")
        ));
    }
    for (k, v) in &d.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    // the body: text, alternative, or HTML only
    let body_part = match d.format {
        Format::Plain => text_part("plain", &plain_body(d), d.charset),
        Format::HtmlOnly => text_part("html", &html_body(d), d.charset),
        Format::Alternative => {
            let b = boundary(rng);
            format!(
                "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n--{b}\r\n{}--{b}\r\n{}--{b}--\r\n",
                text_part("plain", &plain_body(d), d.charset),
                text_part("html", &html_body(d), d.charset)
            )
        }
    };
    let attached_message = match &d.forward {
        Some((f, true)) => {
            let inner = format!(
                "Message-ID: <{:016x}@{}>\r\nDate: {}\r\nFrom: {}\r\nTo: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\n{}",
                rng.gen::<u64>(),
                f.from.addr.rsplit('@').next().unwrap_or("example.com"),
                rfc2822(f.at),
                f.from.header(),
                f.to.header(),
                encode_word(&f.subject),
                text_part("plain", &f.text, Charset::Utf8)
            );
            Some((f.subject.clone(), inner))
        }
        _ => None,
    };
    if d.attachments.is_empty() && attached_message.is_none() {
        head.push_str(&body_part);
        return head.into_bytes();
    }
    let b = boundary(rng);
    head.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n--{b}\r\n{body_part}"
    ));
    for (name, ctype, bytes) in &d.attachments {
        head.push_str(&format!(
            "--{b}\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
            b64_lines(bytes)
        ));
    }
    if let Some((subject, inner)) = attached_message {
        let name = format!("{}.eml", subject.replace(['/', '"', '\\'], "_"));
        head.push_str(&format!(
            "--{b}\r\nContent-Type: message/rfc822; name=\"{}\"\r\nContent-Disposition: attachment; filename=\"{}\"\r\n\r\n{inner}",
            encode_word(&name),
            encode_word(&name)
        ));
    }
    head.push_str(&format!("--{b}--\r\n"));
    head.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimulatorConfig;

    fn sim() -> Simulator {
        let mut s = Simulator::new(SimulatorConfig {
            days: 20,
            orders_per_day: 30,
            products: 40,
            ..Default::default()
        })
        .unwrap();
        s.run_to_end();
        s
    }

    #[test]
    fn deterministic_and_varied() {
        let s = sim();
        let cfg = InboxConfig {
            seed: 3,
            messages: 200,
        };
        let a = s.inbox(&cfg);
        let b = s.inbox(&cfg);
        assert_eq!(a, b);
        let c = s.inbox(&InboxConfig { seed: 4, ..cfg });
        assert_ne!(a, c);
        let count = |t: &str| {
            a.iter()
                .filter(|m| m.truth.traits.iter().any(|x| x == t))
                .count()
        };
        for t in [
            "html_only",
            "reply",
            "attachment",
            "typos",
            "supplier",
            "newsletter",
            "auto_reply",
        ] {
            assert!(count(t) > 0, "no message with {t}");
        }
        let langs: BTreeSet<&str> = a.iter().map(|m| m.truth.language.as_str()).collect();
        assert_eq!(langs.len(), 4, "{langs:?}");
        let queues: BTreeSet<&str> = a.iter().map(|m| m.truth.queue.as_str()).collect();
        assert_eq!(queues.len(), 5, "{queues:?}");
        // every referenced existing document is one of the simulation's
        let so: BTreeSet<&str> = s.w.orders.iter().map(|o| o.name.as_str()).collect();
        for m in &a {
            for r in &m.truth.references {
                if r.kind == "sale_order" {
                    assert!(so.contains(r.value.as_str()), "{}", r.value);
                }
            }
            assert!(m.raw.is_ascii() || m.raw.iter().all(|b| *b != 0));
        }
    }

    #[test]
    fn the_simulation_is_unchanged_by_the_inbox() {
        let mut a = Simulator::new(SimulatorConfig {
            days: 5,
            orders_per_day: 20,
            products: 30,
            ..Default::default()
        })
        .unwrap();
        let mut b = a.fork();
        let start = a.w.start_us;
        a.run_until(start + 2 * DAY);
        let _ = a.inbox(&InboxConfig::default());
        let rest_a: Vec<_> = std::iter::from_fn(|| a.next_transaction()).collect();
        b.run_until(start + 2 * DAY);
        let rest_b: Vec<_> = std::iter::from_fn(|| b.next_transaction()).collect();
        assert_eq!(rest_a.len(), rest_b.len());
        assert!(rest_a
            .iter()
            .zip(&rest_b)
            .all(|(x, y)| format!("{:?}", x.changes) == format!("{:?}", y.changes)));
    }

    #[test]
    fn quoted_printable_round_trips_line_ends() {
        let qp = quoted_printable("Grüße = gut \nzweite".as_bytes());
        assert_eq!(qp, "Gr=C3=BC=C3=9Fe =3D gut=20\r\nzweite");
    }
}
