//! Field visibility: which role may see which class of KPI fields — one
//! declarative matrix ([`MATRIX`]) — and the functions that remove what a
//! user may not see from a KPI report ([`Visibility::filter_kpi_report`]).
//!
//! This crate knows the classes, not the fields: which field (and which
//! KPI) belongs to which class is declared once, in the warehouse's KPI
//! registry (`crossdock_warehouse::kpi::REGISTRY`), and crossdock-api joins
//! the two (`crossdock_api::visibility`), so that this crate depends on
//! nothing else of crossdock.
//!
//! Fields a role may not see are removed from the JSON (absent, not blanked
//! or nulled). Anything the classifier does not know is removed too: a new
//! KPI field stays invisible until it has a class.

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
    /// Stock held, at cost: unit cost of stock, stock value (what the
    /// planners' suggestions weigh against service).
    Inventory,
}

impl FieldClass {
    /// Every class, in the order of the documentation.
    pub const ALL: [FieldClass; 6] = [
        FieldClass::Service,
        FieldClass::Revenue,
        FieldClass::Cost,
        FieldClass::Margin,
        FieldClass::Leakage,
        FieldClass::Inventory,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldClass::Service => "service",
            FieldClass::Revenue => "revenue",
            FieldClass::Cost => "cost",
            FieldClass::Margin => "margin",
            FieldClass::Leakage => "leakage",
            FieldClass::Inventory => "inventory",
        }
    }

    /// One line for people (`docs/security.md`).
    pub fn description(self) -> &'static str {
        match self {
            FieldClass::Service => {
                "service levels: fill rates, OTIF, cycle times, line / unit / order counts"
            }
            FieldClass::Revenue => "sales revenue",
            FieldClass::Cost => "cost of goods sold (vendor prices × quantities)",
            FieldClass::Margin => "gross margin, money and percent",
            FieldClass::Leakage => "margin leakage: over-discount, below list price, below cost",
            FieldClass::Inventory => "stock held at cost: unit cost of stock, stock value",
        }
    }
}

use FieldClass::{Cost, Inventory, Leakage, Margin, Revenue, Service};

/// The visibility matrix: the field classes each role may see. A user with
/// several roles sees the union.
pub const MATRIX: &[(Role, &[FieldClass])] = &[
    (
        Role::Executive,
        &[Service, Revenue, Cost, Margin, Leakage, Inventory],
    ),
    (Role::Planner, &[Service, Inventory]),
    (Role::Service, &[Service]),
    (Role::Procurement, &[Service, Cost, Inventory]),
    (
        Role::Admin,
        &[Service, Revenue, Cost, Margin, Leakage, Inventory],
    ),
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

    /// Removes from one KPI row (a JSON object) every key that is neither
    /// the `group` nor a field whose class (`class_of`, None for a field it
    /// does not know) the roles see.
    pub fn filter_kpi_row(
        &self,
        row: &mut serde_json::Map<String, Value>,
        class_of: impl Fn(&str) -> Option<FieldClass>,
    ) {
        row.retain(|key, _| {
            ROW_KEYS.contains(&key.as_str()) || class_of(key).is_some_and(|c| self.sees(c))
        });
    }

    /// Removes the invisible fields from every row of a KPI report as JSON
    /// (`{"by", "from", "to", "as_of_us", "rows": [...]}`); the report's own
    /// keys are kept. A row that is not an object is dropped.
    pub fn filter_kpi_report(
        &self,
        report: &mut Value,
        class_of: impl Fn(&str) -> Option<FieldClass>,
    ) {
        if let Some(rows) = report.get_mut("rows").and_then(Value::as_array_mut) {
            rows.retain_mut(|row| match row.as_object_mut() {
                Some(obj) => {
                    self.filter_kpi_row(obj, &class_of);
                    true
                }
                None => false,
            });
        }
    }
}

/// The matrix as Markdown, for `docs/security.md`, given every field (of
/// the KPI report, and of other answers under their table's name, e.g.
/// `reorder_suggestion.unit_cost`) and every KPI with its class (crossdock-api passes the warehouse's
/// registry, and a test of that crate checks the file holds exactly this
/// between its markers).
pub fn matrix_markdown(fields: &[(&str, FieldClass)], kpis: &[(&str, FieldClass)]) -> String {
    let mut out = String::from("| field class | fields | KPIs (definitions) |");
    for r in Role::ALL {
        out.push_str(&format!(" {r} |"));
    }
    out.push_str("\n|---|---|---|");
    for _ in Role::ALL {
        out.push_str(":-:|");
    }
    out.push('\n');
    for class in FieldClass::ALL {
        let names: Vec<String> = fields
            .iter()
            .filter(|(_, c)| *c == class)
            .map(|(f, _)| format!("`{f}`"))
            .collect();
        let kpi_names: Vec<String> = kpis
            .iter()
            .filter(|(_, c)| *c == class)
            .map(|(k, _)| format!("`{k}`"))
            .collect();
        out.push_str(&format!(
            "| **{}**: {} | {} | {} |",
            class.as_str(),
            class.description(),
            names.join(", "),
            if kpi_names.is_empty() {
                "—".to_string()
            } else {
                kpi_names.join(", ")
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
        // Stock at cost: planners weigh it; customer service does not see it.
        assert!(v(Role::Planner).sees(Inventory) && v(Role::Procurement).sees(Inventory));
        assert!(!v(Role::Service).sees(Inventory));
        for c in [Revenue, Margin, Leakage] {
            assert!(!v(Role::Procurement).sees(c));
        }
        // Union of roles.
        let both = Visibility::of(&[Role::Planner, Role::Procurement]);
        assert!(both.sees(Cost) && !both.sees(Margin));
        assert!(Visibility::of(&[]).classes().is_empty());
        // Every role is in the matrix exactly once.
        for r in Role::ALL {
            assert_eq!(MATRIX.iter().filter(|(x, _)| *x == r).count(), 1, "{r}");
        }
    }

    #[test]
    fn filtering_removes_fields_and_keeps_the_group() {
        let mut report = json!({
            "by": ["channel"], "from": null, "to": null, "as_of_us": 1,
            "rows": [{"group": {"channel": "EDI"}, "otif": 0.9, "revenue": "10",
                      "cost": "4", "gross_margin": "6", "leak_below_cost": "0",
                      "something_new": 1}]
        });
        let class_of = |f: &str| match f {
            "otif" => Some(Service),
            "revenue" => Some(Revenue),
            "cost" => Some(Cost),
            "gross_margin" => Some(Margin),
            "leak_below_cost" => Some(Leakage),
            _ => None,
        };
        Visibility::of(&[Role::Procurement]).filter_kpi_report(&mut report, class_of);
        assert_eq!(
            report["rows"][0],
            json!({"group": {"channel": "EDI"}, "otif": 0.9, "cost": "4"})
        );
        assert_eq!(report["as_of_us"], 1);
        let mut r = json!({"rows": [{"group": {}, "revenue": "1"}, 3]});
        Visibility::of(&[Role::Admin]).filter_kpi_report(&mut r, class_of);
        assert_eq!(r, json!({"rows": [{"group": {}, "revenue": "1"}]}));
    }
}
