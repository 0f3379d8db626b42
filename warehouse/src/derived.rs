//! Tables crossdock derives from the Odoo tables: demand forecasts, reorder
//! suggestions, and the decisions people take on them. They live under
//! `derived/<name>/` (see [`crate::layout`]), apart from Odoo's names, as
//! plain Delta tables that notebooks and outside readers open like any other.
//!
//! The warehouse does not know what they hold: the crate that derives a table
//! owns its schema and passes it in. Two ways to write:
//! [`WriteMode::Replace`] (a new version replaces the rows; earlier versions
//! stay readable through Delta's time travel) for results recomputed as a
//! whole, and [`WriteMode::Append`] for logs such as decisions.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use deltalake::protocol::SaveMode;
use deltalake::DeltaTable;

use crate::error::{Result, WarehouseError};
use crate::layout::derived_url;
use crate::Warehouse;

/// How rows reach a derived table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// The rows replace the table's rows (one new Delta version).
    Replace,
    /// The rows are added to the table's rows.
    Append,
}

fn check_name(name: &str) -> Result<()> {
    let plain = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        Ok(())
    } else {
        Err(WarehouseError::DerivedName {
            name: name.to_string(),
        })
    }
}

impl Warehouse {
    /// Writes `rows` (each with `schema`) to the derived table `name`,
    /// creating it when missing. One Delta commit: readers see all the rows
    /// or none. Returns the table's new version.
    pub async fn write_derived(
        &self,
        name: &str,
        schema: SchemaRef,
        rows: Vec<RecordBatch>,
        mode: WriteMode,
    ) -> Result<i64> {
        check_name(name)?;
        for batch in &rows {
            if batch.schema().fields() != schema.fields() {
                return Err(WarehouseError::DerivedSchema {
                    name: name.to_string(),
                    reason: format!("expected {:?}, got {:?}", schema, batch.schema()),
                });
            }
        }
        let url = derived_url(self.root(), name);
        if let Ok(path) = url.to_file_path() {
            std::fs::create_dir_all(&path).map_err(|source| WarehouseError::Io {
                path: path.display().to_string(),
                source,
            })?;
        }
        let exists = url
            .to_file_path()
            .map(|p| p.join("_delta_log").is_dir())
            .unwrap_or(true);
        let table = if exists {
            DeltaTable::try_from_url(url.clone())
                .await
                .map_err(WarehouseError::delta(&url))?
        } else {
            deltalake::DeltaTableBuilder::from_url(url.clone())
                .map_err(WarehouseError::delta(&url))?
                .build()
                .map_err(WarehouseError::delta(&url))?
        };
        let rows = if rows.is_empty() {
            vec![RecordBatch::new_empty(schema)]
        } else {
            rows
        };
        let save = match mode {
            WriteMode::Replace => SaveMode::Overwrite,
            WriteMode::Append => SaveMode::Append,
        };
        let table = table
            .write(rows)
            .with_save_mode(save)
            .with_table_name(name)
            .await
            .map_err(WarehouseError::delta(&url))?;
        Ok(table.version().map_or(0, |v| v as i64))
    }

    /// The derived table `name` as a DataFusion table in `ctx`; empty, with
    /// `schema`, when it was never written.
    pub async fn derived(
        &self,
        ctx: &SessionContext,
        name: &str,
        schema: SchemaRef,
    ) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
        check_name(name)?;
        let url = derived_url(self.root(), name);
        crate::provider(ctx, name, &url, schema).await
    }

    /// Registers the derived table `name` in `ctx` under its name.
    pub async fn register_derived(
        &self,
        ctx: &SessionContext,
        name: &str,
        schema: SchemaRef,
    ) -> Result<()> {
        let table = self.derived(ctx, name, schema).await?;
        ctx.register_table(name, table)
            .map_err(WarehouseError::query(name))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("note", DataType::Utf8, true),
        ]))
    }

    fn rows(ids: &[i64]) -> RecordBatch {
        let notes: Vec<String> = ids.iter().map(|i| format!("n{i}")).collect();
        RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(Int64Array::from(ids.to_vec())),
                Arc::new(StringArray::from(notes)),
            ],
        )
        .unwrap()
    }

    async fn count(w: &Warehouse, name: &str) -> usize {
        let ctx = SessionContext::new();
        w.register_derived(&ctx, name, schema()).await.unwrap();
        let b = ctx
            .sql(&format!("select * from {name}"))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        b.iter().map(|b| b.num_rows()).sum()
    }

    #[tokio::test]
    async fn replace_append_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let w = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
        assert_eq!(
            count(&w, "reorder_suggestion").await,
            0,
            "missing reads empty"
        );
        w.write_derived(
            "reorder_suggestion",
            schema(),
            vec![rows(&[1, 2, 3])],
            WriteMode::Replace,
        )
        .await
        .unwrap();
        w.write_derived(
            "reorder_suggestion",
            schema(),
            vec![rows(&[4])],
            WriteMode::Replace,
        )
        .await
        .unwrap();
        assert_eq!(count(&w, "reorder_suggestion").await, 1);
        w.write_derived(
            "reorder_decision",
            schema(),
            vec![rows(&[1])],
            WriteMode::Append,
        )
        .await
        .unwrap();
        let v = w
            .write_derived(
                "reorder_decision",
                schema(),
                vec![rows(&[2])],
                WriteMode::Append,
            )
            .await
            .unwrap();
        assert_eq!(v, 1);
        assert_eq!(count(&w, "reorder_decision").await, 2);
        assert!(dir
            .path()
            .join("derived/reorder_decision/_delta_log")
            .is_dir());
    }

    #[tokio::test]
    async fn bad_names_and_schemas_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let w = Warehouse::open(dir.path().to_str().unwrap()).unwrap();
        for name in ["", "../x", "Sale", "a b", "9x"] {
            let e = w
                .write_derived(name, schema(), vec![], WriteMode::Append)
                .await
                .unwrap_err();
            assert!(
                matches!(e, WarehouseError::DerivedName { .. }),
                "{name}: {e}"
            );
        }
        let other = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false)]));
        let e = w
            .write_derived("t", other, vec![rows(&[1])], WriteMode::Append)
            .await
            .unwrap_err();
        assert!(matches!(e, WarehouseError::DerivedSchema { .. }), "{e}");
    }
}
