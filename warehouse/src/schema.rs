//! The Arrow schemas of the warehouse's tables, and the derived columns.
//!
//! - change log of an Odoo table: exactly [`crossdock_change::event::change_schema`];
//! - current state of an Odoo table: the table's columns, then for each
//!   `jsonb` translation column `<col>_en_us` (its `en_US` text), then
//!   [`POSITION_COLUMN`] and [`COMMIT_TS_COLUMN`] of the last change applied
//!   to the row.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use crossdock_change::catalog::{TableDef, EN_US_SUFFIX, UTC};
pub use crossdock_change::event::{
    change_schema, COMMIT_TS_COLUMN, OP_COLUMN, POSITION_COLUMN, SEQ_COLUMN, XID_COLUMN,
};

/// The schema of a table's current-state Delta table.
pub fn current_schema(table: &TableDef) -> SchemaRef {
    let mut fields: Vec<Field> = table
        .row_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for c in table.jsonb_columns() {
        fields.push(Field::new(
            format!("{}{EN_US_SUFFIX}", c.name),
            DataType::Utf8,
            true,
        ));
    }
    fields.push(Field::new(POSITION_COLUMN, DataType::Int64, true));
    fields.push(Field::new(
        COMMIT_TS_COLUMN,
        DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
        true,
    ));
    Arc::new(Schema::new(fields))
}

/// The `en_US` text of each JSON translation value (NULL when the value is
/// NULL, not an object, or has no `en_US` key).
pub fn en_us_column(json: &ArrayRef) -> ArrayRef {
    let strings = json.as_string::<i32>();
    let mut b = StringBuilder::with_capacity(strings.len(), strings.len() * 16);
    for i in 0..strings.len() {
        if strings.is_null(i) {
            b.append_null();
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(strings.value(i)) {
            Ok(serde_json::Value::Object(map)) => match map.get("en_US") {
                Some(serde_json::Value::String(s)) => b.append_value(s),
                _ => b.append_null(),
            },
            _ => b.append_null(),
        }
    }
    Arc::new(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::StringArray;
    use crossdock_change::Catalog;

    #[test]
    fn current_schema_adds_translations_and_position() {
        let t = Catalog::odoo17().require("crm_team").unwrap();
        let s = current_schema(t);
        assert!(s.field_with_name("name_en_us").is_ok());
        assert!(s.field_with_name(POSITION_COLUMN).is_ok());
        assert_eq!(s.fields().len(), t.columns.len() + 3);
    }

    #[test]
    fn en_us_text_is_extracted() {
        let a: ArrayRef = Arc::new(StringArray::from(vec![
            Some(r#"{"en_US": "Field Sales", "fr_FR": "Vente terrain"}"#),
            None,
            Some("not json"),
            Some(r#"{"fr_FR": "x"}"#),
        ]));
        let out = en_us_column(&a);
        let out = out.as_string::<i32>();
        assert_eq!(out.value(0), "Field Sales");
        assert!(out.is_null(1) && out.is_null(2) && out.is_null(3));
    }
}
