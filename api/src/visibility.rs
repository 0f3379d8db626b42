//! Which KPI fields a caller sees: the warehouse's KPI registry (each field
//! and each KPI with its [`kpi::FieldClass`],
//! `crossdock_warehouse::kpi::REGISTRY`) joined with crossdock-access's
//! matrix of roles × classes ([`crossdock_access::visibility::MATRIX`]).
//! The warehouse and access control do not know each other; this module is
//! the one place they meet, through [`class`], an exhaustive mapping of the
//! two crates' class enums.

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

/// The field-visibility matrix of `docs/security.md`.
pub fn matrix_markdown() -> String {
    markdown(&kpi_fields(), &kpi_classes())
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
    fn every_access_class_has_registry_fields() {
        for c in FieldClass::ALL {
            assert!(
                kpi_fields().iter().any(|(_, x)| *x == c),
                "no KPI field has class {}",
                c.as_str()
            );
        }
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
