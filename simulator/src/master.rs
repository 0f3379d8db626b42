//! Master data: the transactions that set up the company before the first
//! business day.

use rand::Rng;

use super::model::*;
use super::names::{self, FAMILIES};
use super::{date_of, Setup, World};
use crossdock_change::event::Value;

/// ir_model_fields ids of the company-dependent fields written to ir_property.
pub(super) const FIELD_STANDARD_PRICE: i64 = 2951;
const FIELD_RECEIVABLE: i64 = 1843;
const FIELD_PAYABLE: i64 = 1844;
const FIELD_COST_METHOD: i64 = 3012;
const FIELD_VALUATION: i64 = 3013;

const WAREHOUSES: [(&str, &str); 5] = [
    ("WH", "Central Warehouse"),
    ("EAST", "East Warehouse"),
    ("WEST", "West Warehouse"),
    ("NRTH", "North Warehouse"),
    ("STH", "South Warehouse"),
];
const WH_WEIGHTS: [f64; 5] = [5.0, 3.0, 2.0, 2.0, 1.0];

/// An approximately standard normal sample (Irwin–Hall: twelve uniforms),
/// with arithmetic only, so it is the same on every platform.
pub(super) fn normal(rng: &mut impl Rng) -> f64 {
    (0..12).map(|_| rng.gen::<f64>()).sum::<f64>() - 6.0
}

impl World {
    fn n_companies(&self) -> usize {
        if self.cfg.second_company {
            2
        } else {
            1
        }
    }

    /// Customers per channel of a company.
    fn customer_counts(&self, company: usize) -> [usize; CHANNELS] {
        let scale = (self.cfg.orders_per_day as f64 / 200.0).clamp(0.05, 4.0)
            * if company == 0 { 1.0 } else { 0.3 };
        let mut out = [0; CHANNELS];
        for (i, p) in PROFILES.iter().enumerate() {
            out[i] = ((p.customers as f64 * scale).round() as usize).max(3);
        }
        out
    }

    pub(super) fn setup_plan(&self) -> Vec<Setup> {
        let mut s = vec![Setup::Base, Setup::Users, Setup::Catalog];
        let nc = self.n_companies();
        for c in 0..nc {
            s.push(Setup::Accounting(c));
        }
        s.push(Setup::Locations);
        let nwh = self.cfg.warehouses as usize + nc - 1;
        for w in 0..nwh {
            s.push(Setup::Warehouse(w));
        }
        s.push(Setup::Vendors);
        let np = self.cfg.products as usize;
        for from in (0..np).step_by(100) {
            s.push(Setup::Products(from, (from + 100).min(np)));
        }
        for c in 0..nc {
            let total: usize = self.customer_counts(c).iter().sum();
            for from in (0..total).step_by(200) {
                s.push(Setup::Customers(c, from, (from + 200).min(total)));
            }
        }
        for w in 0..nwh {
            s.push(Setup::Orderpoints(w));
        }
        for w in 0..nwh {
            for from in (0..np).step_by(300) {
                s.push(Setup::InitialStock(w, from, (from + 300).min(np)));
            }
        }
        s
    }

    pub(super) fn run_setup(&mut self, s: Setup) {
        match s {
            Setup::Base => self.setup_base(),
            Setup::Users => self.setup_users(),
            Setup::Catalog => self.setup_catalog(),
            Setup::Accounting(c) => self.setup_accounting(c),
            Setup::Locations => self.setup_locations(),
            Setup::Warehouse(w) => self.setup_warehouse(w),
            Setup::Vendors => self.setup_vendors(),
            Setup::Products(a, b) => self.setup_products(a, b),
            Setup::Customers(c, a, b) => self.setup_customers(c, a, b),
            Setup::Orderpoints(w) => self.setup_orderpoints(w),
            Setup::InitialStock(w, a, b) => self.setup_initial_stock(w, a, b),
        }
    }

    /// Inserts a res_partner row; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn insert_partner(
        &mut self,
        name: &str,
        is_company: bool,
        parent: Option<(i64, &str)>,
        company_id: Option<i64>,
        kind: &str,
        reference: Option<String>,
        internal_user: bool,
        extra: impl FnOnce(&super::db::ResPartner, &mut Vec<Value>),
    ) -> i64 {
        let c = &self.c.partner;
        let id = self.db.next_id(c.tid);
        let mut r = c.row();
        let city = names::CITIES[self.rng.gen_range(0..names::CITIES.len())];
        let street = names::STREETS[self.rng.gen_range(0..names::STREETS.len())];
        r[c.id] = Value::Int(id);
        r[c.name] = name.into();
        r[c.complete_name] = match parent {
            Some((_, pname)) => format!("{pname}, {name}").into(),
            None => name.into(),
        };
        r[c.r#ref] = reference.into();
        r[c.r#type] = kind.into();
        r[c.is_company] = is_company.into();
        r[c.parent_id] = parent.map(|p| p.0).into();
        r[c.commercial_partner_id] = Value::Int(parent.map(|p| p.0).unwrap_or(id));
        r[c.company_id] = company_id.into();
        let slug: String = name
            .chars()
            .filter(|ch| ch.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        r[c.email] = format!("{slug}{id}@example.com").into();
        r[c.phone] = format!(
            "+1 555-{:03}-{:04}",
            self.rng.gen_range(100..1000),
            self.rng.gen_range(0..10000)
        )
        .into();
        r[c.street] = format!("{} {}", self.rng.gen_range(1..2000), street).into();
        r[c.city] = city.0.into();
        r[c.zip] = city.1.into();
        r[c.country_id] = Value::Int(233);
        r[c.lang] = "en_US".into();
        r[c.customer_rank] = Value::Int(0);
        r[c.supplier_rank] = Value::Int(0);
        r[c.partner_share] = (!internal_user).into();
        r[c.active] = true.into();
        extra(c, &mut r);
        self.db.insert(c.tid, r);
        id
    }

    fn person_name(&mut self) -> String {
        let f = self.pick(names::FIRST);
        let l = self.pick(names::LAST);
        format!("{f} {l}")
    }

    /// Inserts a user with its partner; returns the user id.
    fn insert_user(&mut self, name: &str, login: Option<&str>, company: i64, active: bool) -> i64 {
        let pid = self.insert_partner(
            name,
            false,
            None,
            Some(company),
            "contact",
            None,
            true,
            |c, r| {
                r[c.active] = active.into();
            },
        );
        let c = &self.c.users;
        let id = self.db.next_id(c.tid);
        let login = match login {
            Some(l) => l.to_string(),
            None => {
                let mut parts = name.split(' ');
                let f = parts.next().unwrap_or("user").to_ascii_lowercase();
                let l = parts.next().unwrap_or("x").to_ascii_lowercase();
                format!("{}.{}{}@crossdock.example", &f[..1], l, id)
            }
        };
        let mut r = c.row();
        r[c.id] = Value::Int(id);
        r[c.login] = login.into();
        r[c.partner_id] = Value::Int(pid);
        r[c.company_id] = Value::Int(company);
        r[c.active] = active.into();
        self.db.insert(c.tid, r);
        id
    }

    fn insert_company(&mut self, name: &str, sequence: i64) -> (i64, i64) {
        let pid = self.insert_partner(name, true, None, None, "contact", None, false, |_, _| {});
        let c = &self.c.company;
        let id = self.db.next_id(c.tid);
        let mut r = c.row();
        r[c.id] = Value::Int(id);
        r[c.name] = name.into();
        r[c.partner_id] = Value::Int(pid);
        r[c.currency_id] = Value::Int(1);
        r[c.parent_path] = format!("{id}/").into();
        r[c.sequence] = Value::Int(sequence);
        r[c.active] = true.into();
        r[c.account_fiscal_country_id] = Value::Int(233);
        r[c.anglo_saxon_accounting] = false.into();
        r[c.security_lead] = Value::Float(0.0);
        r[c.days_to_purchase] = Value::Float(0.0);
        r[c.po_lock] = "edit".into();
        self.db.insert(c.tid, r);
        self.db.set(
            self.c.partner.tid,
            pid,
            [(self.c.partner.company_id, Value::Int(id))],
        );
        (id, pid)
    }

    fn setup_base(&mut self) {
        self.db.begin(1);
        let mut names_ = vec!["Crossdock Supply Co."];
        if self.cfg.second_company {
            names_.push("Crossdock Supply Europe");
        }
        let shares: &[f64] = if self.cfg.second_company {
            &[0.8, 0.2]
        } else {
            &[1.0]
        };
        for (i, name) in names_.iter().enumerate() {
            let (id, pid) = self.insert_company(name, 10 * (i as i64 + 1));
            if i == 0 {
                self.system_uid = self.insert_user("OdooBot", Some("__system__"), id, false);
                self.admin_uid = self.insert_user("Mitchell Admin", Some("admin"), id, true);
            }
            self.companies.push(Company {
                id,
                partner_id: pid,
                share: shares[i],
                teams: [0; CHANNELS],
                sales_users: Default::default(),
                buyer: 0,
                accountant: 0,
                wh_users: Vec::new(),
                warehouses: Vec::new(),
                wh_weights: Vec::new(),
                customers: Default::default(),
                inv_loc: 0,
                acc: Accounts {
                    receivable: 0,
                    payable: 0,
                    income: 0,
                    expense: 0,
                    tax_sale: 0,
                    tax_purchase: 0,
                    outstanding_in: 0,
                    outstanding_out: 0,
                },
                sale_journal: 0,
                purchase_journal: 0,
                bank_journal: 0,
                seqs: Default::default(),
            });
        }
    }

    fn setup_users(&mut self) {
        self.db.begin(self.admin_uid);
        for ci in 0..self.companies.len() {
            let cid = self.companies[ci].id;
            let counts: [usize; CHANNELS] = if ci == 0 {
                [4, 3, 1, 1, 1]
            } else {
                [1, 1, 1, 1, 1]
            };
            for (ch, &n) in counts.iter().enumerate() {
                for _ in 0..n {
                    let uid = match ch {
                        MARKET => self.insert_user(
                            "Marketplace Connector",
                            Some(&format!("marketplace.bot{}@crossdock.example", ci + 1)),
                            cid,
                            true,
                        ),
                        EDI => self.insert_user(
                            "EDI Gateway",
                            Some(&format!("edi.gateway{}@crossdock.example", ci + 1)),
                            cid,
                            true,
                        ),
                        _ => {
                            let name = self.person_name();
                            self.insert_user(&name, None, cid, true)
                        }
                    };
                    self.companies[ci].sales_users[ch].push(uid);
                }
            }
            let nwh = if ci == 0 {
                self.cfg.warehouses as usize
            } else {
                1
            };
            for _ in 0..nwh {
                let name = self.person_name();
                let uid = self.insert_user(&name, None, cid, true);
                self.companies[ci].wh_users.push(uid);
            }
            let name = self.person_name();
            self.companies[ci].buyer = self.insert_user(&name, None, cid, true);
            let name = self.person_name();
            self.companies[ci].accountant = self.insert_user(&name, None, cid, true);
        }
    }

    #[allow(clippy::type_complexity)]
    fn setup_catalog(&mut self) {
        self.db.begin(self.admin_uid);
        // sales teams (channels)
        for ci in 0..self.companies.len() {
            for (ch, p) in PROFILES.iter().enumerate() {
                let c = &self.c.team;
                let id = self.db.next_id(c.tid);
                let mut r = c.row();
                r[c.id] = Value::Int(id);
                r[c.name] = jname(p.name);
                r[c.sequence] = Value::Int(10 * (ch as i64 + 1));
                r[c.active] = true.into();
                r[c.company_id] = Value::Int(self.companies[ci].id);
                r[c.user_id] = Value::Int(self.companies[ci].sales_users[ch][0]);
                r[c.invoiced_target] =
                    Value::Float((self.cfg.orders_per_day as f64 * p.share * 30.0 * 400.0).round());
                self.db.insert(c.tid, r);
                self.companies[ci].teams[ch] = id;
            }
        }
        // units of measure
        let mut categ = Vec::new();
        for name in ["Unit", "Weight", "Working Time"] {
            let c = &self.c.uom_categ;
            let id = self.db.next_id(c.tid);
            let mut r = c.row();
            r[c.id] = Value::Int(id);
            r[c.name] = jname(name);
            self.db.insert(c.tid, r);
            categ.push(id);
        }
        // (name, category, type, factor as (mantissa, scale), rounding, sale uom slot)
        let uoms: [(&str, usize, &str, (i64, u32), (i64, u32), Option<usize>); 11] = [
            ("Units", 0, "reference", (1, 0), (1, 2), Some(0)),
            ("Pack of 10", 0, "bigger", (1, 1), (1, 2), Some(1)),
            ("Box of 20", 0, "bigger", (5, 2), (1, 2), Some(2)),
            ("Case of 25", 0, "bigger", (4, 2), (1, 2), Some(3)),
            ("Carton of 50", 0, "bigger", (2, 2), (1, 2), Some(4)),
            ("Pallet of 1000", 0, "bigger", (1, 3), (1, 2), None),
            ("kg", 1, "reference", (1, 0), (1, 2), Some(5)),
            ("g", 1, "smaller", (1000, 0), (1, 0), None),
            ("t", 1, "bigger", (1, 3), (1, 2), None),
            ("Hours", 2, "reference", (1, 0), (1, 2), None),
            ("Days", 2, "bigger", (125, 3), (1, 2), None),
        ];
        self.uoms = vec![0; 6];
        for (name, cat, kind, factor, rounding, slot) in uoms {
            let c = &self.c.uom;
            let id = self.db.next_id(c.tid);
            let mut r = c.row();
            r[c.id] = Value::Int(id);
            r[c.name] = jname(name);
            r[c.category_id] = Value::Int(categ[cat]);
            r[c.uom_type] = kind.into();
            r[c.factor] = Value::Decimal(rust_decimal::Decimal::new(factor.0, factor.1));
            r[c.rounding] = Value::Decimal(rust_decimal::Decimal::new(rounding.0, rounding.1));
            r[c.active] = true.into();
            self.db.insert(c.tid, r);
            if let Some(s) = slot {
                self.uoms[s] = id;
            }
        }
        // product categories
        let all = self.insert_category("All", None);
        let saleable = self.insert_category("Saleable", Some(all));
        let mut parents: Vec<(&str, (i64, String, String))> = Vec::new();
        self.family_categ.clear();
        for f in FAMILIES {
            let parent = match f.parent {
                None => saleable.clone(),
                Some(pn) => match parents.iter().find(|(n, _)| *n == pn) {
                    Some((_, p)) => p.clone(),
                    None => {
                        let p = self.insert_category(pn, Some(saleable.clone()));
                        parents.push((pn, p.clone()));
                        p
                    }
                },
            };
            let (id, _, _) = self.insert_category(f.name, Some(parent));
            self.family_categ.push(id);
        }
    }

    /// Inserts a product category; returns (id, complete name, parent path).
    fn insert_category(
        &mut self,
        name: &str,
        parent: Option<(i64, String, String)>,
    ) -> (i64, String, String) {
        let c = &self.c.categ;
        let id = self.db.next_id(c.tid);
        let (complete, path) = match &parent {
            Some((_, pn, pp)) => (format!("{pn} / {name}"), format!("{pp}{id}/")),
            None => (name.to_string(), format!("{id}/")),
        };
        let mut r = c.row();
        r[c.id] = Value::Int(id);
        r[c.name] = name.into();
        r[c.complete_name] = complete.clone().into();
        r[c.parent_id] = parent.map(|p| p.0).into();
        r[c.parent_path] = path.clone().into();
        self.db.insert(c.tid, r);
        (id, complete, path)
    }

    fn setup_accounting(&mut self, ci: usize) {
        self.db.begin(self.admin_uid);
        let cid = self.companies[ci].id;
        // (code, name, type, group, reconcile)
        let accounts: [(&str, &str, &str, &str, bool); 12] = [
            ("101401", "Bank", "asset_cash", "asset", false),
            (
                "101402",
                "Outstanding Receipts",
                "asset_current",
                "asset",
                true,
            ),
            (
                "101403",
                "Outstanding Payments",
                "asset_current",
                "asset",
                true,
            ),
            ("110100", "Stock Valuation", "asset_current", "asset", false),
            (
                "121000",
                "Account Receivable",
                "asset_receivable",
                "asset",
                true,
            ),
            ("131000", "Tax Paid", "asset_current", "asset", false),
            (
                "211000",
                "Account Payable",
                "liability_payable",
                "liability",
                true,
            ),
            (
                "251000",
                "Tax Received",
                "liability_current",
                "liability",
                false,
            ),
            ("400000", "Product Sales", "income", "income", false),
            (
                "500000",
                "Cost of Goods Sold",
                "expense_direct_cost",
                "expense",
                false,
            ),
            ("600000", "Expenses", "expense", "expense", false),
            (
                "999999",
                "Undistributed Profits/Losses",
                "equity_unaffected",
                "equity",
                false,
            ),
        ];
        let mut ids = std::collections::BTreeMap::new();
        for (code, name, kind, group, reconcile) in accounts {
            let c = &self.c.account;
            let id = self.db.next_id(c.tid);
            let mut r = c.row();
            r[c.id] = Value::Int(id);
            r[c.name] = jname(name);
            r[c.code] = code.into();
            r[c.account_type] = kind.into();
            r[c.internal_group] = group.into();
            r[c.include_initial_balance] =
                (!matches!(group, "income" | "expense") && kind != "equity_unaffected").into();
            r[c.reconcile] = reconcile.into();
            r[c.deprecated] = false.into();
            r[c.non_trade] = false.into();
            r[c.company_id] = Value::Int(cid);
            self.db.insert(c.tid, r);
            ids.insert(code, id);
        }
        let acc = Accounts {
            receivable: ids["121000"],
            payable: ids["211000"],
            income: ids["400000"],
            expense: ids["600000"],
            tax_sale: ids["251000"],
            tax_purchase: ids["131000"],
            outstanding_in: ids["101402"],
            outstanding_out: ids["101403"],
        };
        // (name, code, type, default account, refund sequence)
        let journals: [(&str, &str, &str, i64, bool); 5] = [
            ("Customer Invoices", "INV", "sale", acc.income, true),
            ("Vendor Bills", "BILL", "purchase", acc.expense, true),
            ("Miscellaneous Operations", "MISC", "general", 0, false),
            (
                "Inventory Valuation",
                "STJ",
                "general",
                ids["110100"],
                false,
            ),
            ("Bank", "BNK1", "bank", ids["101401"], false),
        ];
        let mut jids = Vec::new();
        for (seq, (name, code, kind, default, refund)) in journals.into_iter().enumerate() {
            let c = &self.c.journal;
            let id = self.db.next_id(c.tid);
            let mut r = c.row();
            r[c.id] = Value::Int(id);
            r[c.name] = jname(name);
            r[c.code] = code.into();
            r[c.r#type] = kind.into();
            r[c.active] = true.into();
            r[c.sequence] = Value::Int(seq as i64 + 1);
            r[c.company_id] = Value::Int(cid);
            r[c.default_account_id] = if default > 0 {
                Value::Int(default)
            } else {
                Value::Null
            };
            r[c.refund_sequence] = refund.into();
            self.db.insert(c.tid, r);
            jids.push(id);
        }
        // company-dependent defaults
        let props: [(&str, i64, Value, &str); 4] = [
            (
                "property_account_receivable_id",
                FIELD_RECEIVABLE,
                Value::Text(format!("account.account,{}", acc.receivable)),
                "many2one",
            ),
            (
                "property_account_payable_id",
                FIELD_PAYABLE,
                Value::Text(format!("account.account,{}", acc.payable)),
                "many2one",
            ),
            (
                "property_cost_method",
                FIELD_COST_METHOD,
                Value::Text("standard".into()),
                "selection",
            ),
            (
                "property_valuation",
                FIELD_VALUATION,
                Value::Text("manual_periodic".into()),
                "selection",
            ),
        ];
        for (name, field, value, kind) in props {
            let c = &self.c.prop;
            let id = self.db.next_id(c.tid);
            let mut r = c.row();
            r[c.id] = Value::Int(id);
            r[c.name] = name.into();
            r[c.company_id] = Value::Int(cid);
            r[c.fields_id] = Value::Int(field);
            if kind == "many2one" {
                r[c.value_reference] = value;
            } else {
                r[c.value_text] = value;
            }
            r[c.r#type] = kind.into();
            self.db.insert(c.tid, r);
        }
        let co = &mut self.companies[ci];
        co.acc = acc;
        co.sale_journal = jids[0];
        co.purchase_journal = jids[1];
        co.bank_journal = jids[4];
    }

    /// Inserts a location; returns its id and parent path.
    #[allow(clippy::too_many_arguments)]
    fn insert_location(
        &mut self,
        name: &str,
        parent: Option<(i64, &str, &str)>,
        usage: &str,
        company: Option<i64>,
        active: bool,
        scrap: bool,
        replenish: bool,
    ) -> (i64, String, String) {
        let c = &self.c.loc;
        let id = self.db.next_id(c.tid);
        let (complete, path) = match parent {
            Some((_, pn, pp)) => (format!("{pn}/{name}"), format!("{pp}{id}/")),
            None => (name.to_string(), format!("{id}/")),
        };
        let mut r = c.row();
        r[c.id] = Value::Int(id);
        r[c.name] = name.into();
        r[c.complete_name] = complete.clone().into();
        r[c.usage] = usage.into();
        r[c.location_id] = parent.map(|p| p.0).into();
        r[c.parent_path] = path.clone().into();
        r[c.company_id] = company.into();
        r[c.scrap_location] = scrap.into();
        r[c.return_location] = false.into();
        r[c.replenish_location] = replenish.into();
        r[c.cyclic_inventory_frequency] = Value::Int(0);
        r[c.active] = active.into();
        self.db.insert(c.tid, r);
        (id, complete, path)
    }

    fn setup_locations(&mut self) {
        self.db.begin(self.system_uid);
        let physical =
            self.insert_location("Physical Locations", None, "view", None, true, false, false);
        let partners = self.insert_location("Partners", None, "view", None, true, false, false);
        let virt =
            self.insert_location("Virtual Locations", None, "view", None, true, false, false);
        let pp = (partners.0, partners.1.as_str(), partners.2.as_str());
        self.supplier_loc = self
            .insert_location("Vendors", Some(pp), "supplier", None, true, false, false)
            .0;
        self.customer_loc = self
            .insert_location("Customers", Some(pp), "customer", None, true, false, false)
            .0;
        let vp = (virt.0, virt.1.clone(), virt.2.clone());
        for ci in 0..self.companies.len() {
            let cid = self.companies[ci].id;
            let parent = Some((vp.0, vp.1.as_str(), vp.2.as_str()));
            let inv = self.insert_location(
                "Inventory adjustment",
                parent,
                "inventory",
                Some(cid),
                true,
                false,
                false,
            );
            self.insert_location("Scrap", parent, "inventory", Some(cid), true, true, false);
            self.companies[ci].inv_loc = inv.0;
        }
        self.physical = physical.0;
    }

    #[allow(clippy::type_complexity)]
    fn setup_warehouse(&mut self, w: usize) {
        self.db.begin(self.admin_uid);
        let main = self.cfg.warehouses as usize;
        let (ci, code, name, weight) = if w < main {
            (0, WAREHOUSES[w].0, WAREHOUSES[w].1, WH_WEIGHTS[w])
        } else {
            (1, "EU", "Europe Warehouse", 1.0)
        };
        let cid = self.companies[ci].id;
        let phys = self.physical;
        let physical_path = format!("{phys}/");
        let view = self.insert_location(
            code,
            Some((phys, "Physical Locations", &physical_path)),
            "view",
            Some(cid),
            true,
            false,
            false,
        );
        let vp = (view.0, view.1.clone(), view.2.clone());
        let parent = Some((vp.0, vp.1.as_str(), vp.2.as_str()));
        let stock = self.insert_location("Stock", parent, "internal", Some(cid), true, false, true);
        let input =
            self.insert_location("Input", parent, "internal", Some(cid), false, false, false);
        let qc = self.insert_location(
            "Quality Control",
            parent,
            "internal",
            Some(cid),
            false,
            false,
            false,
        );
        let output =
            self.insert_location("Output", parent, "internal", Some(cid), false, false, false);
        let pack = self.insert_location(
            "Packing Zone",
            parent,
            "internal",
            Some(cid),
            false,
            false,
            false,
        );
        // the warehouse, then its operation types, then the links back
        let c = &self.c.wh;
        let wid = self.db.next_id(c.tid);
        let mut r = c.row();
        r[c.id] = Value::Int(wid);
        r[c.name] = name.into();
        r[c.code] = code.into();
        r[c.company_id] = Value::Int(cid);
        r[c.partner_id] = Value::Int(self.companies[ci].partner_id);
        r[c.view_location_id] = Value::Int(view.0);
        r[c.lot_stock_id] = Value::Int(stock.0);
        r[c.wh_input_stock_loc_id] = Value::Int(input.0);
        r[c.wh_qc_stock_loc_id] = Value::Int(qc.0);
        r[c.wh_output_stock_loc_id] = Value::Int(output.0);
        r[c.wh_pack_stock_loc_id] = Value::Int(pack.0);
        r[c.reception_steps] = "one_step".into();
        r[c.delivery_steps] = "ship_only".into();
        r[c.buy_to_resupply] = true.into();
        r[c.sequence] = Value::Int(w as i64 + 1);
        r[c.active] = true.into();
        self.db.insert(c.tid, r);
        let tid = self.c.ptype.tid;
        let ids: Vec<i64> = (0..5).map(|_| self.db.next_id(tid)).collect();
        let (t_in, t_out, t_pick, t_pack, t_int) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
        // (id, name, code, seq code, src, dest, return type, active)
        let types: [(
            i64,
            &str,
            &str,
            &str,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            bool,
        ); 5] = [
            (
                t_in,
                "Receipts",
                "incoming",
                "IN",
                None,
                Some(stock.0),
                Some(t_out),
                true,
            ),
            (
                t_out,
                "Delivery Orders",
                "outgoing",
                "OUT",
                Some(stock.0),
                Some(self.customer_loc),
                Some(t_in),
                true,
            ),
            (
                t_pick,
                "Pick",
                "internal",
                "PICK",
                Some(stock.0),
                Some(output.0),
                None,
                false,
            ),
            (
                t_pack,
                "Pack",
                "internal",
                "PACK",
                Some(pack.0),
                Some(output.0),
                None,
                false,
            ),
            (
                t_int,
                "Internal Transfers",
                "internal",
                "INT",
                Some(stock.0),
                Some(stock.0),
                None,
                true,
            ),
        ];
        for (seq, (id, tname, tcode, scode, src, dest, ret, active)) in
            types.into_iter().enumerate()
        {
            let c = &self.c.ptype;
            let mut r = c.row();
            r[c.id] = Value::Int(id);
            r[c.name] = jname(tname);
            r[c.code] = tcode.into();
            r[c.sequence_code] = scode.into();
            r[c.sequence] = Value::Int(seq as i64 + 1);
            r[c.warehouse_id] = Value::Int(wid);
            r[c.default_location_src_id] = src.into();
            r[c.default_location_dest_id] = dest.into();
            r[c.return_picking_type_id] = ret.into();
            r[c.reservation_method] = "at_confirm".into();
            r[c.create_backorder] = "ask".into();
            r[c.company_id] = Value::Int(cid);
            r[c.active] = active.into();
            self.db.insert(c.tid, r);
        }
        let c = &self.c.wh;
        self.db.set(
            c.tid,
            wid,
            [
                (c.in_type_id, Value::Int(t_in)),
                (c.out_type_id, Value::Int(t_out)),
                (c.pick_type_id, Value::Int(t_pick)),
                (c.pack_type_id, Value::Int(t_pack)),
                (c.int_type_id, Value::Int(t_int)),
            ],
        );
        for loc in [view.0, stock.0, input.0, qc.0, output.0, pack.0] {
            self.db.set(
                self.c.loc.tid,
                loc,
                [(self.c.loc.warehouse_id, Value::Int(wid))],
            );
        }
        let user = self.companies[ci].wh_users[if ci == 0 { w } else { 0 }];
        self.companies[ci].warehouses.push(self.warehouses.len());
        self.companies[ci].wh_weights.push(weight);
        self.warehouses.push(Warehouse {
            id: wid,
            company: ci,
            code: code.to_string(),
            stock_loc: stock.0,
            in_type: t_in,
            out_type: t_out,
            user,
            in_seq: 0,
            out_seq: 0,
            open_out: Default::default(),
        });
        self.stock.push(Vec::new());
        self.pending_counts.push(Vec::new());
    }

    fn setup_vendors(&mut self) {
        self.db.begin(self.companies[0].buyer);
        let n = (self.cfg.products as usize / 25).clamp(5, 60);
        for i in 0..n {
            let a = names::VENDOR_A[i % names::VENDOR_A.len()];
            let b = names::VENDOR_B[(i / names::VENDOR_A.len() + i * 3) % names::VENDOR_B.len()];
            let name = format!("{a} {b}");
            let code = format!("V{:04}", i + 1);
            let buyer = self.companies[0].buyer;
            let pid = self.insert_partner(
                &name,
                true,
                None,
                None,
                "contact",
                Some(code.clone()),
                false,
                |c, r| {
                    r[c.supplier_rank] = Value::Int(1);
                    r[c.buyer_id] = Value::Int(buyer);
                },
            );
            let late_p = self.rng.gen_range(0.05..0.35);
            let late_max = self.rng.gen_range(2..9);
            let short_p = self.rng.gen_range(0.03..0.15);
            let backorder_p = self.rng.gen_range(0.4..0.8);
            self.vendors.push(Vendor {
                partner_id: pid,
                code: a[..2].to_ascii_uppercase(),
                late_p,
                late_max,
                short_p,
                backorder_p,
                products: Vec::new(),
            });
        }
    }

    fn setup_products(&mut self, from: usize, to: usize) {
        self.db.begin(self.admin_uid);
        let share_total: f64 = FAMILIES.iter().map(|f| f.share).sum();
        for i in from..to {
            // family
            let mut x = self.rng.gen_range(0.0..share_total);
            let mut fi = 0;
            for (k, f) in FAMILIES.iter().enumerate() {
                if x < f.share {
                    fi = k;
                    break;
                }
                x -= f.share;
                fi = k;
            }
            let f = &FAMILIES[fi];
            let noun = f.nouns[self.rng.gen_range(0..f.nouns.len())];
            let attr = f.attrs[self.rng.gen_range(0..f.attrs.len())];
            let name = format!("{noun} {attr}");
            let code = format!("{}-{:05}", f.prefix, i + 1);
            let display = format!("[{code}] {name}");
            let uom_slot = f.uoms[self.rng.gen_range(0..f.uoms.len())];
            let uom_id = self.uoms[uom_slot];
            let pack_size = match uom_slot {
                1 => 10.0,
                2 => 20.0,
                3 => 25.0,
                4 => 50.0,
                _ => 1.0,
            };
            let (lo, hi) = (f.price.0 as f64, f.price.1 as f64);
            let unit_c = det_exp(det_ln(lo) + self.rng.gen::<f64>() * (det_ln(hi) - det_ln(lo)));
            let list_c = ((unit_c
                * if pack_size > 1.0 {
                    pack_size * 0.6
                } else {
                    1.0
                })
            .round() as i64)
                .max(50);
            let cost_c = ((list_c as f64 * self.rng.gen_range(0.48..0.78)).round() as i64).max(20);
            let policy_order = self.chance(0.65);
            let bill_on_order = self.chance(0.2);
            let pattern = match self.rng.gen_range(0..100) {
                0..=44 => Pattern::Smooth,
                45..=64 => Pattern::Seasonal,
                65..=84 => Pattern::Intermittent,
                _ => Pattern::Lumpy,
            };
            let weight = det_exp(normal(&mut self.rng) * 0.9);
            let phase = self.rng.gen_range(0.0..std::f64::consts::TAU);
            let unit_price = list_c as f64 / 100.0;
            let qty_factor = (25.0 / unit_price).sqrt().clamp(0.4, 4.0);
            let pack = if unit_price < 5.0 {
                self.pick(&[10, 12, 24, 50])
            } else if unit_price < 30.0 {
                self.pick(&[1, 5, 6, 10])
            } else {
                self.pick(&[1, 1, 2])
            };
            let kg = uom_slot == 5;
            let weight_e2: i64 = if kg { 100 } else { self.rng.gen_range(5..800) };
            let volume_e4: i64 = self.rng.gen_range(5..500);
            // template + variant
            let c = &self.c.tmpl;
            let tmpl_id = self.db.next_id(c.tid);
            let mut r = c.row();
            r[c.id] = Value::Int(tmpl_id);
            r[c.name] = jname(&name);
            r[c.default_code] = code.clone().into();
            r[c.sequence] = Value::Int(1);
            r[c.detailed_type] = "product".into();
            r[c.r#type] = "product".into();
            r[c.categ_id] = Value::Int(self.family_categ[fi]);
            r[c.list_price] = money(list_c);
            r[c.volume] = Value::Decimal(rust_decimal::Decimal::new(volume_e4, 4));
            r[c.weight] = Value::Decimal(rust_decimal::Decimal::new(weight_e2, 2));
            r[c.sale_ok] = true.into();
            r[c.purchase_ok] = true.into();
            r[c.uom_id] = Value::Int(uom_id);
            r[c.uom_po_id] = Value::Int(uom_id);
            r[c.invoice_policy] = (if policy_order { "order" } else { "delivery" }).into();
            r[c.purchase_method] = (if bill_on_order { "purchase" } else { "receive" }).into();
            r[c.sale_delay] = Value::Int(self.rng.gen_range(0..4));
            r[c.tracking] = "none".into();
            r[c.active] = true.into();
            let vol = r[c.volume].clone();
            let wt = r[c.weight].clone();
            self.db.insert(c.tid, r);
            let c = &self.c.product;
            let pid = self.db.next_id(c.tid);
            let mut r = c.row();
            r[c.id] = Value::Int(pid);
            r[c.product_tmpl_id] = Value::Int(tmpl_id);
            r[c.default_code] = code.clone().into();
            r[c.barcode] = ean13(200_000_000_000 + pid).into();
            r[c.combination_indices] = "".into();
            r[c.volume] = vol;
            r[c.weight] = wt;
            r[c.active] = true.into();
            self.db.insert(c.tid, r);
            // cost per company
            let mut costs = Vec::new();
            let mut props = Vec::new();
            for ci in 0..self.companies.len() {
                let cc = if ci == 0 {
                    cost_c
                } else {
                    (cost_c as f64 * 1.04).round() as i64
                };
                let c = &self.c.prop;
                let id = self.db.next_id(c.tid);
                let mut r = c.row();
                r[c.id] = Value::Int(id);
                r[c.name] = "standard_price".into();
                r[c.res_id] = format!("product.product,{pid}").into();
                r[c.company_id] = Value::Int(self.companies[ci].id);
                r[c.fields_id] = Value::Int(FIELD_STANDARD_PRICE);
                r[c.value_float] = fmoney(cc);
                r[c.r#type] = "float".into();
                self.db.insert(c.tid, r);
                costs.push(cc);
                props.push(id);
            }
            // vendor pricelist
            let nvend = if self.chance(0.3) && self.vendors.len() > 1 {
                2
            } else {
                1
            };
            let first = self.rng.gen_range(0..self.vendors.len());
            let mut sinfos = Vec::new();
            for k in 0..nvend {
                let v = (first + k * (1 + self.rng.gen_range(0..self.vendors.len() - 1)))
                    % self.vendors.len();
                let price_c = if k == 0 {
                    cost_c
                } else {
                    (cost_c as f64 * self.rng.gen_range(1.03..1.10)).round() as i64
                };
                let min_qty = if self.chance(0.3) { pack } else { 0 };
                let delay = if k == 0 {
                    self.rng.gen_range(3..13)
                } else {
                    self.rng.gen_range(2..9)
                };
                let vendor_name = self.chance(0.4);
                let c = &self.c.sinfo;
                let id = self.db.next_id(c.tid);
                let mut r = c.row();
                r[c.id] = Value::Int(id);
                r[c.partner_id] = Value::Int(self.vendors[v].partner_id);
                r[c.product_tmpl_id] = Value::Int(tmpl_id);
                r[c.product_name] = if vendor_name {
                    Value::Text(format!("{} {}", noun, attr).to_uppercase())
                } else {
                    Value::Null
                };
                r[c.product_code] =
                    format!("{}-{}", self.vendors[v].code, 10_000 + pid * 7 + k as i64).into();
                r[c.sequence] = Value::Int(k as i64 + 1);
                r[c.min_qty] = qty(min_qty);
                r[c.price] = money(price_c);
                r[c.discount] = percent(0);
                r[c.currency_id] = Value::Int(1);
                r[c.delay] = Value::Int(delay);
                self.db.insert(c.tid, r);
                if k == 0 {
                    self.vendors[v].products.push(self.products.len());
                }
                sinfos.push(self.sinfos.len());
                self.sinfos.push(SupplierInfo {
                    id,
                    vendor: v,
                    price_c,
                    min_qty,
                    delay,
                });
            }
            self.products.push(Product {
                id: pid,
                tmpl_id,
                display,
                categ_id: self.family_categ[fi],
                uom_id,
                list_c,
                cost_c: costs,
                cost_prop: props,
                policy_order,
                bill_on_order,
                pattern,
                weight,
                phase,
                qty_factor,
                sinfos,
                pack,
            });
            for cells in self.stock.iter_mut() {
                cells.push(Cell::default());
            }
        }
    }

    fn setup_customers(&mut self, ci: usize, from: usize, to: usize) {
        self.db.begin(self.companies[ci].sales_users[FIELD][0]);
        let counts = self.customer_counts(ci);
        for slot in from..to {
            let mut ch = 0;
            let mut acc = 0;
            for (k, &n) in counts.iter().enumerate() {
                if slot < acc + n {
                    ch = k;
                    break;
                }
                acc += n;
            }
            self.new_customer(ci, ch);
        }
    }

    /// Creates a customer of a channel (rows in the open transaction).
    pub(super) fn new_customer(&mut self, ci: usize, ch: usize) -> usize {
        let person = matches!(ch, ECOM | MARKET) && self.chance(0.6);
        let name = if ch == EDI {
            let k = self.companies[ci].customers[EDI].len();
            let base = names::EDI_RETAILERS[k % names::EDI_RETAILERS.len()];
            if k >= names::EDI_RETAILERS.len() {
                format!("{base} {}", k / names::EDI_RETAILERS.len() + 1)
            } else {
                base.to_string()
            }
        } else if person {
            self.person_name()
        } else {
            let a = self.pick(names::COMPANY_A);
            let b = self.pick(names::COMPANY_B);
            format!("{a} {b}")
        };
        let n = self.customers.len() + 1;
        let reference = Some(format!("C{n:05}"));
        let team = self.companies[ci].teams[ch];
        let users = self.companies[ci].sales_users[ch].clone();
        let user = users[self.rng.gen_range(0..users.len())];
        let country = if ci == 0 { 233 } else { 21 };
        let vat = self.rng.gen_range(100_000_000..999_999_999i64);
        let pid = self.insert_partner(
            &name,
            !person,
            None,
            None,
            "contact",
            reference,
            false,
            |c, r| {
                r[c.team_id] = Value::Int(team);
                r[c.user_id] = Value::Int(user);
                r[c.customer_rank] = Value::Int(1);
                r[c.country_id] = Value::Int(country);
                if !person {
                    r[c.vat] = Value::Text(format!("{}{vat}", if ci == 0 { "US" } else { "BE0" }));
                }
            },
        );
        let ship_id = if !person && matches!(ch, FIELD | INSIDE | EDI) && self.chance(0.3) {
            let dock = self.pick(&[
                "Receiving Dock",
                "Warehouse",
                "Store #12",
                "Back Office",
                "Site B",
            ]);
            self.insert_partner(
                dock,
                false,
                Some((pid, &name)),
                None,
                "delivery",
                None,
                false,
                |c, r| {
                    r[c.team_id] = Value::Int(team);
                    r[c.user_id] = Value::Int(user);
                    r[c.country_id] = Value::Int(country);
                },
            )
        } else {
            pid
        };
        let weights = self.companies[ci].wh_weights.clone();
        let total: f64 = weights.iter().sum();
        let mut x = self.rng.gen_range(0.0..total);
        let mut k = 0;
        for (i, wgt) in weights.iter().enumerate() {
            k = i;
            if x < *wgt {
                break;
            }
            x -= wgt;
        }
        let wh = self.companies[ci].warehouses[k];
        let idx = self.customers.len();
        self.customers.push(Customer {
            partner_id: pid,
            ship_id,
            wh,
            user_id: user,
        });
        self.companies[ci].customers[ch].push(idx);
        idx
    }

    /// Mean demand factor of a product's pattern.
    fn pattern_mean(p: &Product) -> f64 {
        match p.pattern {
            Pattern::Smooth | Pattern::Seasonal => 1.0,
            Pattern::Intermittent | Pattern::Lumpy => 0.6,
        }
    }

    /// Expected units per day of product `pi` shipped from warehouse `w`.
    /// `total_w` is Σ weight × pattern mean over all products.
    fn expected_daily(&self, pi: usize, w: usize, total_w: f64) -> f64 {
        let ci = self.warehouses[w].company;
        let co = &self.companies[ci];
        let k = co.warehouses.iter().position(|&x| x == w).unwrap_or(0);
        let wh_share = co.wh_weights[k] / co.wh_weights.iter().sum::<f64>();
        let p = &self.products[pi];
        let share = p.weight * Self::pattern_mean(p) / total_w;
        let mut units = 0.0;
        for (ch, prof) in PROFILES.iter().enumerate() {
            let lines = (prof.lines.0 + prof.lines.1) as f64 / 2.0;
            let base = (prof.qty.0 + prof.qty.1) as f64 / 2.0;
            let f = if matches!(ch, ECOM | MARKET) {
                p.qty_factor.sqrt()
            } else {
                p.qty_factor
            };
            let lumpy = if p.pattern == Pattern::Lumpy {
                2.05
            } else {
                1.0
            };
            let orders = self.cfg.orders_per_day as f64 * co.share * prof.share * prof.conversion;
            units += orders * lines * share * (base * f).max(1.0) * lumpy;
        }
        units * wh_share
    }

    fn setup_orderpoints(&mut self, w: usize) {
        let ci = self.warehouses[w].company;
        self.db.begin(self.companies[ci].buyer);
        let wid = self.warehouses[w].id;
        let loc = self.warehouses[w].stock_loc;
        let cid = self.companies[ci].id;
        let total_w: f64 = self
            .products
            .iter()
            .map(|p| p.weight * Self::pattern_mean(p))
            .sum();
        for pi in 0..self.products.len() {
            let daily = self.expected_daily(pi, w, total_w);
            let auto = self.chance(0.95);
            let p = &self.products[pi];
            let lead = self.sinfos[p.sinfos[0]].delay as f64;
            let mult = p.pack;
            let misconf = match self.rng.gen_range(0..100) {
                0..=14 => 0.35,
                15..=24 => 2.5,
                _ => 1.0,
            };
            let min = ((daily * (lead + 4.0) * misconf).ceil() as i64).max(1);
            let max = min + ((daily * 14.0).ceil() as i64).max(mult);
            self.op_seq += 1;
            let name = format!("OP/{:05}", self.op_seq);
            let categ = p.categ_id;
            let pid = p.id;
            let c = &self.c.op;
            let id = self.db.next_id(c.tid);
            let mut r = c.row();
            r[c.id] = Value::Int(id);
            r[c.name] = name.clone().into();
            r[c.r#trigger] = (if auto { "auto" } else { "manual" }).into();
            r[c.active] = true.into();
            r[c.warehouse_id] = Value::Int(wid);
            r[c.location_id] = Value::Int(loc);
            r[c.product_id] = Value::Int(pid);
            r[c.product_category_id] = Value::Int(categ);
            r[c.product_min_qty] = qty(min);
            r[c.product_max_qty] = qty(max);
            r[c.qty_multiple] = qty(mult);
            r[c.qty_to_order] = qty(0);
            r[c.company_id] = Value::Int(cid);
            r[c.purchase_visibility_days] = Value::Float(0.0);
            self.db.insert(c.tid, r);
            self.stock[w][pi].orderpoint = Some(self.orderpoints.len());
            self.orderpoints.push(Orderpoint {
                id,
                name,
                wh: w,
                product: pi,
                min,
                max,
                mult,
                auto,
                qty_to_order: 0,
            });
        }
    }

    fn setup_initial_stock(&mut self, w: usize, from: usize, to: usize) {
        let ci = self.warehouses[w].company;
        self.db.begin(self.warehouses[w].user);
        let inv_loc = self.companies[ci].inv_loc;
        let stock_loc = self.warehouses[w].stock_loc;
        for pi in from..to {
            let target = match self.stock[w][pi].orderpoint {
                Some(o) => self.orderpoints[o].max,
                None => 10,
            };
            let q = (target as f64 * self.rng.gen_range(0.6..1.0)).round() as i64;
            if q <= 0 {
                continue;
            }
            self.insert_inventory_move(w, pi, q, inv_loc, stock_loc, "Product Quantity Updated");
            self.quant_add(w, pi, q);
        }
        let end_of_year = date_of(self.now);
        self.db.set(
            self.c.loc.tid,
            stock_loc,
            [(self.c.loc.last_inventory_date, end_of_year)],
        );
    }
}

/// An EAN-13 code from 12 digits.
fn ean13(n: i64) -> String {
    let digits: Vec<u32> = format!("{:012}", n % 1_000_000_000_000)
        .chars()
        .map(|c| c.to_digit(10).unwrap_or(0))
        .collect();
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    let check = (10 - sum % 10) % 10;
    format!(
        "{}{}",
        digits.iter().map(|d| d.to_string()).collect::<String>(),
        check
    )
}
