//! Field visibility: which role may see which KPI fields — one declarative
//! matrix ([`MATRIX`]), a classification of every KPI field
//! ([`KPI_FIELDS`]) and of every KPI ([`KPI_CLASSES`]), and the function
//! that removes what a user may not see from a KPI report
//! ([`Visibility::filter_kpi_report`]).
//!
//! Fields a role may not see are removed from the JSON (absent, not blanked
//! or nulled). Anything not classified here is removed too: a new KPI field
//! stays invisible until someone classifies it (and the test of the api
//! crate that compares [`KPI_FIELDS`] with the warehouse's `KpiValues`
//! fails until they do).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::role::Role;

/// A class of KPI fields, the unit of the visibility matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldClass {
    /// Service levels: fill rates, OTIF, cycle times, line, unit and order counts.
    Service,
    /// Sales revenue (Σ price_subtotal).
    Revenue,
    /// Cost of goods sold (purchase prices, i.e. what vendors charge).
    Cost,
    /// Gross margin, in money and percent.
    Margin,
    /// Margin leakage: over-discount, below list price, below cost.
    Leakage,
}

impl FieldClass {
    /// Every class, in the order of the documentation.
    pub const ALL: [FieldClass; 5] = [
        FieldClass::Service,
        FieldClass::Revenue,
        FieldClass::Cost,
        FieldClass::Margin,
        FieldClass::Leakage,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldClass::Service => "service",
            FieldClass::Revenue => "revenue",
            FieldClass::Cost => "cost",
            FieldClass::Margin => "margin",
            FieldClass::Leakage => "leakage",
        }
    }

    fn description(self) -> &'static str {
        match self {
            FieldClass::Service => {
                "service levels: fill rates, OTIF, cycle times, line / unit / order counts"
            }
            FieldClass::Revenue => "sales revenue",
            FieldClass::Cost => "cost of goods sold (vendor prices × quantities)",
            FieldClass::Margin => "gross margin, money and percent",
            FieldClass::Leakage => "margin leakage: over-discount, below list price, below cost",
        }
    }
}

use FieldClass::{Cost, Leakage, Margin, Revenue, Service};

/// The visibility matrix: the field classes each role may see. A user with
/// several roles sees the union.
pub const MATRIX: &[(Role, &[FieldClass])] = &[
    (Role::Executive, &[Service, Revenue, Cost, Margin, Leakage]),
    (Role::Planner, &[Service]),
    (Role::Service, &[Service]),
    (Role::Procurement, &[Service, Cost]),
    (Role::Admin, &[Service, Revenue, Cost, Margin, Leakage]),
];

/// Every field of a KPI row (the warehouse's `KpiValues`, as serialized),
/// with its class.
pub const KPI_FIELDS: &[(&str, FieldClass)] = &[
    ("lines_shipped", Service),
    ("lines_filled", Service),
    ("line_fill_rate", Service),
    ("units_ordered_shipped", Service),
    ("units_first_shipment", Service),
    ("unit_fill_rate", Service),
    ("orders_due", Service),
    ("orders_otif", Service),
    ("otif", Service),
    ("orders_delivered", Service),
    ("cycle_p50_us", Service),
    ("cycle_p90_us", Service),
    ("cycle_p50_days", Service),
    ("cycle_p90_days", Service),
    ("revenue", Revenue),
    ("cost", Cost),
    ("gross_margin", Margin),
    ("margin_pct", Margin),
    ("leak_over_discount", Leakage),
    ("leak_below_pricelist", Leakage),
    ("leak_below_cost", Leakage),
];

/// Every KPI (the warehouse's `kpis/*.sql` files), with the class a role
/// must see to read its definition. `gross_margin` shows revenue, cost and
/// margin together, so it needs [`FieldClass::Margin`].
pub const KPI_CLASSES: &[(&str, FieldClass)] = &[
    ("line_fill_rate", Service),
    ("unit_fill_rate", Service),
    ("otif", Service),
    ("order_cycle_time", Service),
    ("gross_margin", Margin),
    ("margin_leakage", Leakage),
];

/// Keys of a KPI row that are not values: always kept.
const ROW_KEYS: &[&str] = &["group"];

/// What a set of roles may see.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Visibility {
    classes: BTreeSet<FieldClass>,
}

impl Visibility {
    /// The union of the roles' classes (none for no roles).
    pub fn of(roles: &[Role]) -> Visibility {
        let classes = MATRIX
            .iter()
            .filter(|(r, _)| roles.contains(r))
            .flat_map(|(_, cs)| cs.iter().copied())
            .collect();
        Visibility { classes }
    }

    /// The classes visible.
    pub fn classes(&self) -> &BTreeSet<FieldClass> {
        &self.classes
    }

    /// May the roles see this class?
    pub fn sees(&self, class: FieldClass) -> bool {
        self.classes.contains(&class)
    }

    /// May the roles see this KPI field? Unknown fields: no.
    pub fn sees_field(&self, field: &str) -> bool {
        KPI_FIELDS
            .iter()
            .find(|(f, _)| *f == field)
            .is_some_and(|(_, c)| self.sees(*c))
    }

    /// May the roles see this KPI (its definition)? Unknown KPIs: no.
    pub fn sees_kpi(&self, kpi: &str) -> bool {
        KPI_CLASSES
            .iter()
            .find(|(k, _)| *k == kpi)
            .is_some_and(|(_, c)| self.sees(*c))
    }

    /// The KPI fields visible, in report order.
    pub fn fields(&self) -> Vec<&'static str> {
        KPI_FIELDS
            .iter()
            .filter(|(_, c)| self.sees(*c))
            .map(|(f, _)| *f)
            .collect()
    }

    /// Removes from one KPI row (a JSON object) every key that is neither
    /// the `group` nor a visible field.
    pub fn filter_kpi_row(&self, row: &mut serde_json::Map<String, Value>) {
        row.retain(|key, _| ROW_KEYS.contains(&key.as_str()) || self.sees_field(key));
    }

    /// Removes the invisible fields from every row of a KPI report as JSON
    /// (`{"by", "from", "to", "as_of_us", "rows": [...]}`); the report's own
    /// keys are kept. A row that is not an object is dropped.
    pub fn filter_kpi_report(&self, report: &mut Value) {
        if let Some(rows) = report.get_mut("rows").and_then(Value::as_array_mut) {
            rows.retain_mut(|row| match row.as_object_mut() {
                Some(obj) => {
                    self.filter_kpi_row(obj);
                    true
                }
                None => false,
            });
        }
    }
}

/// The matrix as Markdown, for `docs/security.md` (a test checks the file
/// holds exactly this between its markers).
pub fn matrix_markdown() -> String {
    let mut out = String::from("| field class | KPI fields | KPIs (definitions) |");
    for r in Role::ALL {
        out.push_str(&format!(" {r} |"));
    }
    out.push_str("\n|---|---|---|");
    for _ in Role::ALL {
        out.push_str(":-:|");
    }
    out.push('\n');
    for class in FieldClass::ALL {
        let fields: Vec<String> = KPI_FIELDS
            .iter()
            .filter(|(_, c)| *c == class)
            .map(|(f, _)| format!("`{f}`"))
            .collect();
        let kpis: Vec<String> = KPI_CLASSES
            .iter()
            .filter(|(_, c)| *c == class)
            .map(|(k, _)| format!("`{k}`"))
            .collect();
        out.push_str(&format!(
            "| **{}**: {} | {} | {} |",
            class.as_str(),
            class.description(),
            fields.join(", "),
            if kpis.is_empty() {
                "—".to_string()
            } else {
                kpis.join(", ")
            }
        ));
        for r in Role::ALL {
            let yes = Visibility::of(&[r]).sees(class);
            out.push_str(if yes { " ✓ |" } else { " — |" });
        }
        out.push('\n');
    }
    out
}

/// Replaces the generated section `name` of a Markdown document: the lines
/// between `<!-- generated: NAME -->` and `<!-- end generated: NAME -->`.
/// None when the markers are missing.
pub fn replace_generated(doc: &str, name: &str, content: &str) -> Option<String> {
    let begin = format!("<!-- generated: {name} -->\n");
    let end = format!("<!-- end generated: {name} -->");
    let start = doc.find(&begin)? + begin.len();
    let stop = start + doc[start..].find(&end)?;
    Some(format!("{}{}{}", &doc[..start], content, &doc[stop..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_matrix_is_what_the_brief_says() {
        let v = |r| Visibility::of(&[r]);
        for r in Role::ALL {
            assert!(v(r).sees(Service), "{r} must see service levels");
        }
        for c in [Revenue, Cost, Margin, Leakage] {
            assert!(v(Role::Executive).sees(c) && v(Role::Admin).sees(c));
            assert!(!v(Role::Planner).sees(c) && !v(Role::Service).sees(c));
        }
        assert!(v(Role::Procurement).sees(Cost));
        for c in [Revenue, Margin, Leakage] {
            assert!(!v(Role::Procurement).sees(c));
        }
        // Union of roles.
        let both = Visibility::of(&[Role::Planner, Role::Procurement]);
        assert!(both.sees(Cost) && !both.sees(Margin));
        assert!(Visibility::of(&[]).classes().is_empty());
        // Every role is in the matrix exactly once; every KPI field once.
        for r in Role::ALL {
            assert_eq!(MATRIX.iter().filter(|(x, _)| *x == r).count(), 1, "{r}");
        }
        let names: BTreeSet<_> = KPI_FIELDS.iter().map(|(f, _)| f).collect();
        assert_eq!(names.len(), KPI_FIELDS.len());
    }

    #[test]
    fn filtering_removes_fields_and_keeps_the_group() {
        let mut report = json!({
            "by": ["channel"], "from": null, "to": null, "as_of_us": 1,
            "rows": [{"group": {"channel": "EDI"}, "otif": 0.9, "revenue": "10",
                      "cost": "4", "gross_margin": "6", "leak_below_cost": "0",
                      "something_new": 1}]
        });
        Visibility::of(&[Role::Procurement]).filter_kpi_report(&mut report);
        assert_eq!(
            report["rows"][0],
            json!({"group": {"channel": "EDI"}, "otif": 0.9, "cost": "4"})
        );
        assert_eq!(report["as_of_us"], 1);
        let mut r = json!({"rows": [{"group": {}, "revenue": "1"}, 3]});
        Visibility::of(&[Role::Admin]).filter_kpi_report(&mut r);
        assert_eq!(r, json!({"rows": [{"group": {}, "revenue": "1"}]}));
    }

    #[test]
    fn kpi_definitions_follow_their_class() {
        let planner = Visibility::of(&[Role::Planner]);
        assert!(planner.sees_kpi("otif") && !planner.sees_kpi("gross_margin"));
        assert!(!planner.sees_kpi("margin_leakage") && !planner.sees_kpi("nope"));
        assert!(Visibility::of(&[Role::Executive]).sees_kpi("margin_leakage"));
        assert!(!Visibility::of(&[Role::Procurement]).sees_kpi("gross_margin"));
    }

    #[test]
    fn docs_security_md_has_the_matrix_of_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/security.md");
        let have = std::fs::read_to_string(path).unwrap_or_default();
        let want = replace_generated(&have, "field-visibility", &matrix_markdown())
            .expect("docs/security.md lacks the <!-- generated: field-visibility --> markers");
        if std::env::var("UPDATE_DOCS").is_ok() && want != have {
            std::fs::write(path, &want).unwrap();
            return;
        }
        assert!(
            have == want,
            "docs/security.md's field-visibility matrix is out of date with crossdock-access's MATRIX; run UPDATE_DOCS=1 cargo test -p crossdock-access"
        );
    }
}
