//! Which KPI fields a caller sees: the warehouse's KPI registry (each field
//! and each KPI with its [`kpi::FieldClass`],
//! `crossdock_warehouse::kpi::REGISTRY`) joined with crossdock-access's
//! matrix of roles × classes ([`crossdock_access::visibility::MATRIX`]).
//! The warehouse and access control do not know each other; this module is
//! the one place they meet, through [`class`], an exhaustive mapping of the
//! two crates' class enums.
//!
//! The planners' suggestions have fields of their own; their classes are
//! declared here, in [`SUGGESTION_FIELDS`] (every key of a suggestion's
//! JSON; a key missing from it is removed from every answer).

use crossdock_access::visibility::matrix_markdown as markdown;
use crossdock_access::{FieldClass, Visibility};
use crossdock_warehouse::kpi;
use serde_json::Value;

/// The access-control class of a registry class (variant for variant; a new
/// class in the registry does not compile until it is mapped here).
pub fn class(c: kpi::FieldClass) -> FieldClass {
    match c {
        kpi::FieldClass::Service => FieldClass::Service,
        kpi::FieldClass::Revenue => FieldClass::Revenue,
        kpi::FieldClass::Cost => FieldClass::Cost,
        kpi::FieldClass::Margin => FieldClass::Margin,
        kpi::FieldClass::Leakage => FieldClass::Leakage,
    }
}

/// The class of a KPI field; None for a name the registry does not have.
pub fn field_class(field: &str) -> Option<FieldClass> {
    kpi::field(field).map(|f| class(f.class))
}

/// The class a role must see to read a KPI's definition; None for an unknown KPI.
pub fn kpi_class(name: &str) -> Option<FieldClass> {
    kpi::spec(name).map(|k| class(k.class))
}

/// Every KPI field with its class, in report order.
pub fn kpi_fields() -> Vec<(&'static str, FieldClass)> {
    kpi::fields().map(|f| (f.name, class(f.class))).collect()
}

/// Every KPI with the class of its definition, in report order.
pub fn kpi_classes() -> Vec<(&'static str, FieldClass)> {
    kpi::REGISTRY
        .iter()
        .map(|k| (k.name, class(k.class)))
        .collect()
}

/// Removes the fields the roles may not see (and any the registry does not
/// know) from every row of a KPI report as JSON.
pub fn filter_kpi_report(visible: &Visibility, report: &mut Value) {
    visible.filter_kpi_report(report, field_class);
}

/// Every key of a reorder suggestion's JSON
/// (`crossdock_models::suggestion::StoredSuggestion`) with its class: stock
/// at cost is [`FieldClass::Inventory`], the rest service data.
pub const SUGGESTION_FIELDS: &[(&str, FieldClass)] = &[
    ("key", FieldClass::Service),
    ("computed_at", FieldClass::Service),
    ("as_of", FieldClass::Service),
    ("company_id", FieldClass::Service),
    ("warehouse_id", FieldClass::Service),
    ("warehouse", FieldClass::Service),
    ("product_id", FieldClass::Service),
    ("product", FieldClass::Service),
    ("default_code", FieldClass::Service),
    ("location_id", FieldClass::Service),
    ("trigger", FieldClass::Service),
    ("demand_class", FieldClass::Service),
    ("abc", FieldClass::Service),
    ("abc_value", FieldClass::Service),
    ("method", FieldClass::Service),
    ("demand_per_week", FieldClass::Service),
    ("service_level", FieldClass::Service),
    ("lead_time_days", FieldClass::Service),
    ("lead_time_p90_days", FieldClass::Service),
    ("promised_lead_time_days", FieldClass::Service),
    ("receipts_observed", FieldClass::Service),
    ("vendor_on_time", FieldClass::Service),
    ("vendor_id", FieldClass::Service),
    ("vendor", FieldClass::Service),
    ("orderpoint_id", FieldClass::Service),
    ("current_min_qty", FieldClass::Service),
    ("current_max_qty", FieldClass::Service),
    ("current_qty_multiple", FieldClass::Service),
    ("suggested_min_qty", FieldClass::Service),
    ("suggested_max_qty", FieldClass::Service),
    ("suggested_qty_multiple", FieldClass::Service),
    ("min_change_percent", FieldClass::Service),
    ("stockout_risk_before", FieldClass::Service),
    ("stockout_risk_after", FieldClass::Service),
    ("stock_value_before", FieldClass::Inventory),
    ("stock_value_after", FieldClass::Inventory),
    ("unit_cost", FieldClass::Inventory),
    ("on_hand", FieldClass::Service),
    ("reserved", FieldClass::Service),
    ("incoming", FieldClass::Service),
    ("backorder_qty", FieldClass::Service),
    ("late_deliveries_28d", FieldClass::Service),
    ("days_of_cover", FieldClass::Service),
    ("reason", FieldClass::Service),
    ("exceptions", FieldClass::Service),
];

/// The class of a suggestion field; None for a key not in [`SUGGESTION_FIELDS`].
pub fn suggestion_field_class(field: &str) -> Option<FieldClass> {
    SUGGESTION_FIELDS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, c)| *c)
}

/// Removes from a suggestion's JSON object the fields the roles may not
/// see, and any key [`SUGGESTION_FIELDS`] does not know.
pub fn filter_suggestion(visible: &Visibility, suggestion: &mut Value) {
    if let Some(obj) = suggestion.as_object_mut() {
        obj.retain(|k, _| suggestion_field_class(k).is_some_and(|c| visible.sees(c)));
    }
}

/// The field-visibility matrix of `docs/security.md`: the KPI fields, then
/// the suggestions' fields as `reorder_suggestion.<field>`.
pub fn matrix_markdown() -> String {
    let mut fields: Vec<(String, FieldClass)> = kpi_fields()
        .into_iter()
        .map(|(f, c)| (f.to_string(), c))
        .collect();
    fields.extend(
        SUGGESTION_FIELDS
            .iter()
            .filter(|(_, c)| *c != FieldClass::Service)
            .map(|(f, c)| (format!("reorder_suggestion.{f}"), *c)),
    );
    let fields: Vec<(&str, FieldClass)> = fields.iter().map(|(f, c)| (f.as_str(), *c)).collect();
    markdown(&fields, &kpi_classes())
}

/// What a [`Visibility`] means for KPI fields and definitions.
pub trait KpiVisibility {
    /// May the roles see this KPI field? Unknown fields: no.
    fn sees_field(&self, field: &str) -> bool;
    /// May the roles see this KPI (its definition)? Unknown KPIs: no.
    fn sees_kpi(&self, kpi: &str) -> bool;
    /// The KPI fields visible, in report order.
    fn fields(&self) -> Vec<&'static str>;
}

impl KpiVisibility for Visibility {
    fn sees_field(&self, field: &str) -> bool {
        field_class(field).is_some_and(|c| self.sees(c))
    }

    fn sees_kpi(&self, kpi: &str) -> bool {
        kpi_class(kpi).is_some_and(|c| self.sees(c))
    }

    fn fields(&self) -> Vec<&'static str> {
        kpi_fields()
            .into_iter()
            .filter(|(_, c)| self.sees(*c))
            .map(|(f, _)| f)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossdock_access::Role;

    #[test]
    fn every_access_class_has_fields() {
        for c in FieldClass::ALL {
            assert!(
                kpi_fields().iter().any(|(_, x)| *x == c)
                    || SUGGESTION_FIELDS.iter().any(|(_, x)| *x == c),
                "no field has class {}",
                c.as_str()
            );
        }
    }

    #[test]
    fn suggestion_fields_follow_their_class() {
        let mut s = serde_json::json!({"key": "1-2", "unit_cost": "3", "stock_value_after": "9",
                                       "on_hand": 4.0, "something_new": 1});
        filter_suggestion(&Visibility::of(&[Role::Service]), &mut s);
        assert_eq!(s, serde_json::json!({"key": "1-2", "on_hand": 4.0}));
        let mut s = serde_json::json!({"key": "1-2", "unit_cost": "3"});
        filter_suggestion(&Visibility::of(&[Role::Planner]), &mut s);
        assert_eq!(s, serde_json::json!({"key": "1-2", "unit_cost": "3"}));
    }

    #[test]
    fn kpi_definitions_follow_their_class() {
        let planner = Visibility::of(&[Role::Planner]);
        assert!(planner.sees_kpi("otif") && !planner.sees_kpi("gross_margin"));
        assert!(!planner.sees_kpi("margin_leakage") && !planner.sees_kpi("nope"));
        assert!(Visibility::of(&[Role::Executive]).sees_kpi("margin_leakage"));
        assert!(!Visibility::of(&[Role::Procurement]).sees_kpi("gross_margin"));
        assert!(!Visibility::of(&[Role::Admin]).sees_field("nope"));
        assert!(Visibility::of(&[Role::Procurement]).sees_field("cost"));
        assert!(!Visibility::of(&[Role::Procurement]).sees_field("revenue"));
    }
}
