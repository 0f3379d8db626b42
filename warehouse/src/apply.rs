//! Applying change batches to Delta tables, exactly once.
//!
//! For every table in a [`ChangeBatch`] the [`Applier`]:
//!
//! 1. validates the whole batch first (known table, every column present with
//!    the stored type, valid operation codes, non-null keys) — a bad batch is
//!    rejected with an error naming the table, column or row, before anything
//!    is written;
//! 2. appends the table's changes to its change log (`changes/<table>`);
//! 3. reduces them to the last change per primary key (a truncate drops
//!    everything before it) and MERGEs the result into the current state
//!    (`current/<table>`): deletes delete, everything else upserts; on an
//!    empty table without deletes the MERGE is a plain append;
//! 4. appends a row to `_crossdock/checkpoints` once every table is done.
//!
//! **Exactly once.** Every one of those Delta commits carries, *in the same
//! commit*, a Delta application transaction (`txn` action, app id
//! [`APP_ID`]) whose version is the source position the batch ends at. On
//! start the applier reads that version back from each table and ignores
//! changes at or below it, so a batch replayed after a crash — at any instant,
//! even between the tables of one batch — changes nothing that was already
//! durable, and nothing is lost: the source resumes from the checkpoint
//! table's position ([`crate::Warehouse::resume_position`]), which is never
//! ahead of any table.
//!
//! With the `test-hooks` feature (tests only), `ApplyOptions::checkpoint_in_commit`
//! = `false` keeps the position in a side file written *after* each commit
//! instead, as a naive implementation would. It exists only so a test can
//! show that a crash between a commit and its side file applies changes
//! twice; `ApplyOptions::fail_point` injects crashes.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch, TimestampMicrosecondArray,
    UInt32Array,
};
use arrow::compute::{filter_record_batch, lexsort_to_indices, take, SortColumn};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef, TimeUnit};
use arrow::row::{RowConverter, SortField};
use crossdock_change::catalog::{Catalog, TableDef, UTC};
use crossdock_change::event::{ChangeBatch, Op};
use datafusion::prelude::SessionContext;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::kernel::Transaction as DeltaTxn;
use deltalake::operations::optimize::OptimizeType;
use deltalake::protocol::SaveMode;
use deltalake::DeltaTable;
use tracing::debug;
use url::Url;

use crate::error::{Result, WarehouseError};
use crate::layout::{checkpoints_url, ensure_local_dir, table_url, TableKind};
use crate::schema::{
    change_schema, current_schema, en_us_column, COMMIT_TS_COLUMN, OP_COLUMN, POSITION_COLUMN,
    SEQ_COLUMN,
};

/// The Delta application-transaction id under which crossdock records the
/// source position of each commit.
pub const APP_ID: &str = "crossdock";

#[cfg(feature = "test-hooks")]
pub use hooks::FailPoint;
#[cfg(not(feature = "test-hooks"))]
use hooks::FailPoint;

mod hooks {
    /// A crash injected by tests (feature `test-hooks`): the applier stops
    /// with [`crate::WarehouseError::InjectedCrash`] right after a given
    /// Delta commit, before doing anything else.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
    pub enum FailPoint {
        /// After this many commits of any table (mid-batch, usually).
        AfterCommits(usize),
        /// After this many checkpoint commits (a batch boundary).
        AfterCheckpoints(usize),
    }
}

/// How an [`Applier`] works.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Compact a table's small files after this many commits to it (0: never).
    pub compact_every: usize,
    /// Test-only (feature `test-hooks`): `false` keeps the source position
    /// in a side file written after each commit instead of in the commit,
    /// as a naive implementation would — so a test can show that a crash
    /// between the two applies changes twice. Always `true` otherwise.
    #[cfg(feature = "test-hooks")]
    pub checkpoint_in_commit: bool,
    /// Test-only (feature `test-hooks`): a crash to inject.
    #[cfg(feature = "test-hooks")]
    pub fail_point: Option<FailPoint>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            compact_every: 50,
            #[cfg(feature = "test-hooks")]
            checkpoint_in_commit: true,
            #[cfg(feature = "test-hooks")]
            fail_point: None,
        }
    }
}

impl ApplyOptions {
    /// Whether the source position rides in the same commit as the data.
    #[cfg(feature = "test-hooks")]
    pub(crate) fn checkpoint_in_commit(&self) -> bool {
        self.checkpoint_in_commit
    }

    /// Whether the source position rides in the same commit as the data:
    /// always, outside tests.
    #[cfg(not(feature = "test-hooks"))]
    pub(crate) fn checkpoint_in_commit(&self) -> bool {
        true
    }

    /// The crash to inject.
    #[cfg(feature = "test-hooks")]
    fn fail_point(&self) -> Option<FailPoint> {
        self.fail_point
    }

    /// The crash to inject: never, outside tests.
    #[cfg(not(feature = "test-hooks"))]
    fn fail_point(&self) -> Option<FailPoint> {
        None
    }
}

/// What one [`Applier::apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Change-log rows appended.
    pub changes_logged: usize,
    /// Rows inserted or updated in current-state tables.
    pub rows_upserted: usize,
    /// Rows deleted from current-state tables.
    pub rows_deleted: usize,
    /// Table changes skipped because they were already durable.
    pub changes_skipped: usize,
    /// Delta commits made.
    pub commits: usize,
}

struct Handle {
    table: DeltaTable,
    applied: i64,
    since_compaction: usize,
}

impl Handle {
    /// Compacts the table's small files into fewer, larger ones (data and
    /// positions unchanged); returns the files removed.
    async fn compact(&mut self, url: &Url) -> Result<usize> {
        let (table, metrics) = self
            .table
            .clone()
            .optimize()
            .with_type(OptimizeType::Compact)
            .await
            .map_err(WarehouseError::delta(url))?;
        debug!(table = %url, files_removed = metrics.num_files_removed, files_added = metrics.num_files_added, "compacted");
        self.table = table;
        self.since_compaction = 0;
        Ok(metrics.num_files_removed as usize)
    }

    /// Counts a commit; compacts after `every` of them (0: never).
    async fn committed_maybe_compact(&mut self, every: usize, url: &Url) -> Result<()> {
        self.since_compaction += 1;
        if every > 0 && self.since_compaction >= every {
            self.compact(url).await?;
        }
        Ok(())
    }
}

/// Applies [`ChangeBatch`]es to the warehouse. One applier per warehouse
/// at a time.
pub struct Applier {
    root: Url,
    catalog: Catalog,
    options: ApplyOptions,
    handles: HashMap<(TableKind, String), Handle>,
    checkpoints: Option<Handle>,
    commits: usize,
    checkpoints_written: usize,
    ctx: SessionContext,
}

/// Schema of `_crossdock/checkpoints`.
pub fn checkpoint_schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into()));
    Arc::new(Schema::new(vec![
        Field::new("position", DataType::Int64, false),
        Field::new("source_commit_ts", ts.clone(), true),
        Field::new("applied_at", ts, false),
        Field::new("transactions", DataType::Int64, false),
        Field::new("changes", DataType::Int64, false),
    ]))
}

impl Applier {
    pub(crate) fn new(root: Url, catalog: Catalog, options: ApplyOptions) -> Applier {
        Applier {
            root,
            catalog,
            options,
            handles: HashMap::new(),
            checkpoints: None,
            commits: 0,
            checkpoints_written: 0,
            ctx: SessionContext::new(),
        }
    }

    /// Delta commits made by this applier so far.
    pub fn commits(&self) -> usize {
        self.commits
    }

    /// Applies one batch; see the module documentation. Returns what changed.
    pub async fn apply(&mut self, batch: &ChangeBatch) -> Result<ApplyReport> {
        let validated = match self.validate(batch) {
            Ok(v) => v,
            Err(e) => {
                let kept = keep_rejected(&self.root, batch, &e);
                if let Err(keep_err) = kept {
                    tracing::error!(error = %keep_err, "could not keep the rejected batch aside");
                }
                return Err(e);
            }
        };
        let mut report = ApplyReport::default();
        if batch.is_empty() {
            return Ok(report);
        }
        for (def, _) in &validated {
            if self
                .catalog
                .table(&def.name)
                .is_some_and(|known| def.columns.len() > known.columns.len())
            {
                self.add_columns(def).await?;
            }
        }
        let version = batch.end_position as i64;
        let commit_meta = serde_json::json!({
            "position": batch.end_position,
            "source_commit_ts": batch.end_commit_ts,
        });
        for (def, rows) in &validated {
            // 1. change log
            let applied = self.handle(TableKind::Changes, def).await?.applied;
            let fresh = rows_after(rows, applied)?;
            report.changes_skipped += rows.num_rows() - fresh.num_rows();
            if fresh.num_rows() > 0 {
                let props = self.commit_properties(version, &commit_meta);
                let h = self.handle(TableKind::Changes, def).await?;
                let table = h.table.clone();
                let name = table_url(&self.root, TableKind::Changes, &def.name);
                let table = table
                    .write(vec![fresh.clone()])
                    .with_save_mode(SaveMode::Append)
                    .with_commit_properties(props)
                    .await
                    .map_err(WarehouseError::delta(&name))?;
                report.changes_logged += fresh.num_rows();
                self.committed(TableKind::Changes, def, table, version)
                    .await?;
                report.commits += 1;
            }
            // 2. current state
            let applied = self.handle(TableKind::Current, def).await?.applied;
            let fresh = rows_after(rows, applied)?;
            if fresh.num_rows() > 0 {
                let reduced = reduce_to_last_change(def, &fresh)?;
                let (table, upserted, deleted) = self
                    .merge_current(def, &reduced, version, &commit_meta)
                    .await?;
                report.rows_upserted += upserted;
                report.rows_deleted += deleted;
                self.committed(TableKind::Current, def, table, version)
                    .await?;
                report.commits += 1;
            }
        }
        self.append_checkpoint(batch).await?;
        report.commits += 1;
        Ok(report)
    }

    fn commit_properties(&self, version: i64, meta: &serde_json::Value) -> CommitProperties {
        let props =
            CommitProperties::default().with_metadata([("crossdock".to_string(), meta.clone())]);
        if self.options.checkpoint_in_commit() {
            props.with_application_transaction(DeltaTxn::new(APP_ID, version))
        } else {
            props
        }
    }

    /// Bookkeeping after a successful commit: count it, maybe crash (tests),
    /// record the position when it is kept outside the commit, maybe compact.
    async fn committed(
        &mut self,
        kind: TableKind,
        def: &TableDef,
        table: DeltaTable,
        version: i64,
    ) -> Result<()> {
        self.commits += 1;
        if let Some(FailPoint::AfterCommits(n)) = self.options.fail_point() {
            if self.commits >= n {
                return Err(WarehouseError::InjectedCrash {
                    commits: self.commits,
                });
            }
        }
        if !self.options.checkpoint_in_commit() {
            write_side_file(&self.root, &side_file_name(kind, &def.name), version)?;
        }
        let compact_every = self.options.compact_every;
        let key = (kind, def.name.clone());
        let h = self
            .handles
            .get_mut(&key)
            .expect("handle opened before commit");
        h.table = table;
        h.applied = version;
        let url = table_url(&self.root, kind, &def.name);
        h.committed_maybe_compact(compact_every, &url).await?;
        Ok(())
    }

    /// Schema evolution: a column added to a table in the source is added
    /// to its change log and current-state Delta tables (a Delta metadata
    /// commit each, before any data that carries it), then to the catalog.
    /// Rows written before have NULL in it. Adding is idempotent — a column
    /// the Delta table already has is left alone — so a crash between the two
    /// tables, or a restart that learns the column again, is harmless.
    async fn add_columns(&mut self, def: &Arc<TableDef>) -> Result<()> {
        use deltalake::kernel::engine::arrow_conversion::TryFromArrow;
        use deltalake::kernel::StructField;
        for kind in [TableKind::Changes, TableKind::Current] {
            let url = table_url(&self.root, kind, &def.name);
            let expected = match kind {
                TableKind::Changes => change_schema(def),
                TableKind::Current => current_schema(def),
            };
            let h = self.handle(kind, def).await?;
            let present: Vec<String> = h
                .table
                .snapshot()
                .map_err(WarehouseError::delta(&url))?
                .schema()
                .fields()
                .map(|f| f.name().clone())
                .collect();
            let mut missing = Vec::new();
            for f in expected.fields() {
                if !present.iter().any(|p| p == f.name()) {
                    missing.push(StructField::try_from_arrow(f.as_ref())?);
                }
            }
            if missing.is_empty() {
                continue;
            }
            let names: Vec<String> = missing.iter().map(|f| f.name().clone()).collect();
            let table = h
                .table
                .clone()
                .add_columns()
                .with_fields(missing)
                .await
                .map_err(WarehouseError::delta(&url))?;
            tracing::info!(table = %url, columns = %names.join(", "), "added columns (schema evolution)");
            h.table = table;
        }
        self.catalog.set_table(def.clone());
        Ok(())
    }

    async fn handle(&mut self, kind: TableKind, def: &TableDef) -> Result<&mut Handle> {
        let key = (kind, def.name.clone());
        if !self.handles.contains_key(&key) {
            let url = table_url(&self.root, kind, &def.name);
            let schema = match kind {
                TableKind::Changes => change_schema(def),
                TableKind::Current => current_schema(def),
            };
            let table = open_or_create(&url, schema, &def.name).await?;
            let applied = if self.options.checkpoint_in_commit() {
                txn_version(&table, &url).await?
            } else {
                read_side_file(&self.root, &side_file_name(kind, &def.name))?
            };
            self.handles.insert(
                key.clone(),
                Handle {
                    table,
                    applied,
                    since_compaction: 0,
                },
            );
        }
        Ok(self.handles.get_mut(&key).expect("inserted above"))
    }

    async fn merge_current(
        &mut self,
        def: &TableDef,
        reduced: &Reduced,
        version: i64,
        meta: &serde_json::Value,
    ) -> Result<(DeltaTable, usize, usize)> {
        let url = table_url(&self.root, TableKind::Current, &def.name);
        let props = self.commit_properties(version, meta);
        let source = to_current_rows(def, &reduced.rows)?;
        let deletes = reduced.deletes;
        let upserts = source.num_rows() - deletes;
        let table = self.handle(TableKind::Current, def).await?.table.clone();
        let is_empty = table
            .get_file_uris()
            .map_err(WarehouseError::delta(&url))?
            .next()
            .is_none();
        if source.num_rows() == 0 {
            // only a truncate
            let (table, metrics) = table
                .delete()
                .with_commit_properties(props)
                .await
                .map_err(WarehouseError::delta(&url))?;
            return Ok((table, 0, metrics.num_deleted_rows.unwrap_or(0)));
        }
        if is_empty && deletes == 0 {
            let rows = source.project(&(0..source.num_columns() - 1).collect::<Vec<_>>())?;
            let table = table
                .write(vec![rows])
                .with_save_mode(SaveMode::Append)
                .with_commit_properties(props)
                .await
                .map_err(WarehouseError::delta(&url))?;
            return Ok((table, upserts, 0));
        }
        let df = self
            .ctx
            .read_batch(source)
            .map_err(WarehouseError::query(&def.name))?;
        let predicate = def
            .primary_key_names()
            .iter()
            .map(|k| format!("t.{k} = s.{k}"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let columns: Vec<String> = current_schema(def)
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let mut builder = table
            .merge(df, predicate.as_str())
            .with_source_alias("s")
            .with_target_alias("t")
            .with_commit_properties(props)
            .when_matched_delete(|d| d.predicate(format!("s.{OP_COLUMN} = 'D'").as_str()))
            .map_err(WarehouseError::delta(&url))?
            .when_matched_update(|mut u| {
                for c in &columns {
                    u = u.update(c.as_str(), format!("s.{c}").as_str());
                }
                u
            })
            .map_err(WarehouseError::delta(&url))?
            .when_not_matched_insert(|mut i| {
                i = i.predicate(format!("s.{OP_COLUMN} <> 'D'").as_str());
                for c in &columns {
                    i = i.set(c.as_str(), format!("s.{c}").as_str());
                }
                i
            })
            .map_err(WarehouseError::delta(&url))?;
        if reduced.truncate {
            builder = builder
                .when_not_matched_by_source_delete(|d| d)
                .map_err(WarehouseError::delta(&url))?;
        }
        let (table, metrics) = builder.await.map_err(WarehouseError::delta(&url))?;
        Ok((
            table,
            metrics.num_target_rows_inserted + metrics.num_target_rows_updated,
            metrics.num_target_rows_deleted,
        ))
    }

    async fn append_checkpoint(&mut self, batch: &ChangeBatch) -> Result<()> {
        let url = checkpoints_url(&self.root);
        if self.checkpoints.is_none() {
            let table = open_or_create(&url, checkpoint_schema(), "crossdock_checkpoints").await?;
            let applied = if self.options.checkpoint_in_commit() {
                txn_version(&table, &url).await?
            } else {
                read_side_file(&self.root, "checkpoints")?
            };
            self.checkpoints = Some(Handle {
                table,
                applied,
                since_compaction: 0,
            });
        }
        let version = batch.end_position as i64;
        let h = self.checkpoints.as_ref().expect("opened above");
        if h.applied >= version {
            return Ok(());
        }
        let now = chrono::Utc::now().timestamp_micros();
        let row = RecordBatch::try_new(
            checkpoint_schema(),
            vec![
                Arc::new(Int64Array::from(vec![version])),
                Arc::new(
                    TimestampMicrosecondArray::from(vec![batch.end_commit_ts]).with_timezone(UTC),
                ),
                Arc::new(TimestampMicrosecondArray::from(vec![now]).with_timezone(UTC)),
                Arc::new(Int64Array::from(vec![batch.transactions as i64])),
                Arc::new(Int64Array::from(vec![batch.changes as i64])),
            ],
        )?;
        let meta = serde_json::json!({"position": batch.end_position});
        let props = self.commit_properties(version, &meta);
        let table = h
            .table
            .clone()
            .write(vec![row])
            .with_save_mode(SaveMode::Append)
            .with_commit_properties(props)
            .await
            .map_err(WarehouseError::delta(&url))?;
        self.commits += 1;
        self.checkpoints_written += 1;
        let crash = match self.options.fail_point() {
            Some(FailPoint::AfterCommits(n)) => self.commits >= n,
            Some(FailPoint::AfterCheckpoints(n)) => self.checkpoints_written >= n,
            None => false,
        };
        if crash {
            return Err(WarehouseError::InjectedCrash {
                commits: self.commits,
            });
        }
        if !self.options.checkpoint_in_commit() {
            write_side_file(&self.root, "checkpoints", version)?;
        }
        let h = self.checkpoints.as_mut().expect("opened above");
        h.table = table;
        h.applied = version;
        h.committed_maybe_compact(self.options.compact_every, &url)
            .await?;
        Ok(())
    }

    /// Compacts every table this applier has written (small files → fewer,
    /// larger ones). Data and positions are unchanged.
    pub async fn compact_all(&mut self) -> Result<usize> {
        let mut removed = 0;
        for ((kind, name), h) in self.handles.iter_mut() {
            let url = table_url(&self.root, *kind, name);
            removed += h.compact(&url).await?;
        }
        Ok(removed)
    }

    /// Checks a batch against the catalog and returns, per table, its rows
    /// with the columns in the stored order. Nothing is written.
    pub fn validate(&self, batch: &ChangeBatch) -> Result<Vec<(Arc<TableDef>, RecordBatch)>> {
        let mut out = Vec::with_capacity(batch.tables.len());
        for tc in &batch.tables {
            let known =
                self.catalog
                    .table(&tc.table)
                    .ok_or_else(|| WarehouseError::UnknownTable {
                        table: tc.table.clone(),
                    })?;
            // a source that saw columns added to the table declares them in
            // the definition it built the rows from: accepted when it is
            // the known one with columns appended, nothing else
            let def = if tc.def.columns.len() > known.columns.len() && tc.def.extends(known) {
                tc.def.clone()
            } else {
                known.clone()
            };
            let expected = change_schema(&def);
            let given = tc.batch.schema();
            for f in given.fields() {
                if expected.field_with_name(f.name()).is_err() {
                    return Err(WarehouseError::UnexpectedColumn {
                        table: def.name.clone(),
                        column: f.name().clone(),
                    });
                }
            }
            let mut columns: Vec<ArrayRef> = Vec::with_capacity(expected.fields().len());
            for f in expected.fields() {
                let Ok(idx) = given.index_of(f.name()) else {
                    return Err(WarehouseError::MissingColumn {
                        table: def.name.clone(),
                        column: f.name().clone(),
                    });
                };
                let col = tc.batch.column(idx);
                if col.data_type() != f.data_type() {
                    return Err(WarehouseError::WrongType {
                        table: def.name.clone(),
                        column: f.name().clone(),
                        expected: f.data_type().to_string(),
                        found: col.data_type().to_string(),
                    });
                }
                columns.push(col.clone());
            }
            let rows = RecordBatch::try_new(expected, columns)?;
            check_rows(&def, &rows, batch.end_position)?;
            out.push((def, rows));
        }
        Ok(out)
    }
}

fn check_rows(def: &TableDef, rows: &RecordBatch, end_position: u64) -> Result<()> {
    let bad = |row: usize, reason: String| WarehouseError::BadRow {
        table: def.name.clone(),
        row,
        reason,
    };
    let ops = column(rows, &def.name, OP_COLUMN)?.as_string::<i32>();
    let positions = column(rows, &def.name, POSITION_COLUMN)?.as_primitive::<Int64Type>();
    let keys = def
        .primary_key
        .iter()
        .map(|k| column(rows, &def.name, &def.columns[*k].name).map(|c| (*k, c)))
        .collect::<Result<Vec<_>>>()?;
    for i in 0..rows.num_rows() {
        if ops.is_null(i) {
            return Err(bad(i, "operation is null".into()));
        }
        let Some(op) = Op::from_code(ops.value(i)) else {
            return Err(bad(
                i,
                format!("operation {:?} is not one of I, U, D, T", ops.value(i)),
            ));
        };
        if positions.is_null(i) || positions.value(i) < 0 {
            return Err(bad(i, "source position is missing or negative".into()));
        }
        if positions.value(i) as u64 > end_position {
            return Err(bad(
                i,
                format!(
                    "source position {} is after the batch's end position {end_position}",
                    positions.value(i)
                ),
            ));
        }
        if op != Op::Truncate {
            for (k, col) in &keys {
                if col.is_null(i) {
                    return Err(bad(
                        i,
                        format!("primary key column {} is null", def.columns[*k].name),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A column of a change batch, found by name.
fn column<'a>(rows: &'a RecordBatch, table: &str, name: &str) -> Result<&'a ArrayRef> {
    rows.column_by_name(name)
        .ok_or_else(|| WarehouseError::MissingColumn {
            table: table.to_string(),
            column: name.to_string(),
        })
}

/// Rows whose source position is after `applied`.
fn rows_after(rows: &RecordBatch, applied: i64) -> Result<RecordBatch> {
    if applied <= 0 {
        return Ok(rows.clone());
    }
    let positions = rows
        .column_by_name(POSITION_COLUMN)
        .expect("validated")
        .as_primitive::<Int64Type>();
    let keep: BooleanArray = positions.iter().map(|p| p.map(|p| p > applied)).collect();
    Ok(filter_record_batch(rows, &keep)?)
}

/// The last change per primary key of a table's changes.
#[derive(Debug, Clone)]
pub struct Reduced {
    /// A truncate happened: rows not in `rows` must be deleted.
    pub truncate: bool,
    /// The last change per key, after the last truncate, in source order
    /// (change schema).
    pub rows: RecordBatch,
    /// How many of `rows` are deletes.
    pub deletes: usize,
}

/// Reduces changes (in any order) to the last change per primary key, by
/// source position and sequence; a truncate drops every change before it.
pub fn reduce_to_last_change(def: &TableDef, rows: &RecordBatch) -> Result<Reduced> {
    let pos = rows.column_by_name(POSITION_COLUMN).expect("validated");
    let seq = rows.column_by_name(SEQ_COLUMN).expect("validated");
    let order = lexsort_to_indices(
        &[
            SortColumn {
                values: pos.clone(),
                options: None,
            },
            SortColumn {
                values: seq.clone(),
                options: None,
            },
        ],
        None,
    )?;
    let sorted = take_batch(rows, &order)?;
    let ops = column(&sorted, &def.name, OP_COLUMN)?.as_string::<i32>();
    let mut start = 0;
    let mut truncate = false;
    for i in 0..sorted.num_rows() {
        if ops.value(i) == Op::Truncate.code() {
            start = i + 1;
            truncate = true;
        }
    }
    let tail = sorted.slice(start, sorted.num_rows() - start);
    let key_columns: Vec<ArrayRef> = def
        .primary_key
        .iter()
        .map(|k| column(&tail, &def.name, &def.columns[*k].name).cloned())
        .collect::<Result<_>>()?;
    let converter = RowConverter::new(
        key_columns
            .iter()
            .map(|c| SortField::new(c.data_type().clone()))
            .collect(),
    )?;
    let keys = converter.convert_columns(&key_columns)?;
    let mut last: HashMap<&[u8], u32> = HashMap::with_capacity(tail.num_rows());
    for i in 0..tail.num_rows() {
        last.insert(keys.row(i).data(), i as u32);
    }
    let mut idx: Vec<u32> = last.into_values().collect();
    idx.sort_unstable();
    let rows = take_batch(&tail, &UInt32Array::from(idx))?;
    let ops = column(&rows, &def.name, OP_COLUMN)?.as_string::<i32>();
    let deletes = (0..rows.num_rows())
        .filter(|i| ops.value(*i) == Op::Delete.code())
        .count();
    Ok(Reduced {
        truncate,
        rows,
        deletes,
    })
}

fn take_batch(batch: &RecordBatch, idx: &UInt32Array) -> Result<RecordBatch> {
    let cols = batch
        .columns()
        .iter()
        .map(|c| take(c.as_ref(), idx, None))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(batch.schema(), cols)?)
}

/// Turns reduced changes into current-state rows (plus a trailing `_op`
/// column the MERGE uses to tell deletes from upserts).
fn to_current_rows(def: &TableDef, changes: &RecordBatch) -> Result<RecordBatch> {
    let current = current_schema(def);
    let mut fields: Vec<Field> = current
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(OP_COLUMN, DataType::Utf8, false));
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(fields.len());
    for c in &def.columns {
        cols.push(column(changes, &def.name, &c.name)?.clone());
    }
    for c in def.jsonb_columns() {
        cols.push(en_us_column(column(changes, &def.name, &c.name)?));
    }
    cols.push(
        changes
            .column_by_name(POSITION_COLUMN)
            .expect("validated")
            .clone(),
    );
    cols.push(
        changes
            .column_by_name(COMMIT_TS_COLUMN)
            .expect("validated")
            .clone(),
    );
    cols.push(
        changes
            .column_by_name(OP_COLUMN)
            .expect("validated")
            .clone(),
    );
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
}

/// Opens a Delta table, creating it (empty, with `schema`) when missing.
pub(crate) async fn open_or_create(url: &Url, schema: SchemaRef, name: &str) -> Result<DeltaTable> {
    ensure_local_dir(url)?;
    let exists_locally = url
        .to_file_path()
        .map(|p| p.join("_delta_log").is_dir())
        .unwrap_or(true);
    let table = if exists_locally {
        DeltaTable::try_from_url(url.clone())
            .await
            .map_err(WarehouseError::delta(url))?
    } else {
        deltalake::DeltaTableBuilder::from_url(url.clone())
            .map_err(WarehouseError::delta(url))?
            .build()
            .map_err(WarehouseError::delta(url))?
    };
    if table.version().is_some() {
        return Ok(table);
    }
    table
        .write(vec![RecordBatch::new_empty(schema)])
        .with_save_mode(SaveMode::Append)
        .with_table_name(name)
        .await
        .map_err(WarehouseError::delta(url))
}

/// The source position recorded in a table's last crossdock commit (0 if none).
pub(crate) async fn txn_version(table: &DeltaTable, url: &Url) -> Result<i64> {
    if table.version().is_none() {
        // not created yet: no commit, no position
        return Ok(0);
    }
    let snapshot = table.snapshot().map_err(WarehouseError::delta(url))?;
    Ok(snapshot
        .transaction_version(table.log_store().as_ref(), APP_ID)
        .await
        .map_err(WarehouseError::delta(url))?
        .unwrap_or(0))
}

/// Keeps a rejected batch aside under `_crossdock/rejects/<position>-<n>/`:
/// one Arrow IPC file per table as received, and `reason.txt`. Nothing is lost.
fn keep_rejected(root: &Url, batch: &ChangeBatch, error: &WarehouseError) -> Result<()> {
    let rejects = crate::layout::rejects_dir(root)?;
    let io = |path: &std::path::Path| {
        let path = path.display().to_string();
        move |source| WarehouseError::Io { path, source }
    };
    std::fs::create_dir_all(&rejects).map_err(io(&rejects))?;
    let mut n = 0;
    let dir = loop {
        let d = rejects.join(format!("{:020}-{n}", batch.end_position));
        if !d.exists() {
            break d;
        }
        n += 1;
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let reason = dir.join("reason.txt");
    std::fs::write(
        &reason,
        format!(
            "{error}\nend position: {}\ntransactions: {}\nchanges: {}\n",
            batch.end_position, batch.transactions, batch.changes
        ),
    )
    .map_err(io(&reason))?;
    for (i, t) in batch.tables.iter().enumerate() {
        let safe: String = t
            .table
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{i:03}-{safe}.arrow"));
        let file = std::fs::File::create(&path).map_err(io(&path))?;
        let mut w = arrow::ipc::writer::FileWriter::try_new(file, &t.batch.schema())?;
        w.write(&t.batch)?;
        w.finish()?;
    }
    tracing::warn!(dir = %dir.display(), "rejected change batch kept aside");
    Ok(())
}

fn side_file_name(kind: TableKind, table: &str) -> String {
    format!("{}__{table}", kind.folder())
}

fn side_path(root: &Url, name: &str) -> Option<std::path::PathBuf> {
    crate::layout::position_side_file(root, name).ok()
}

fn write_side_file(root: &Url, name: &str, version: i64) -> Result<()> {
    let Some(path) = side_path(root, name) else {
        return Ok(());
    };
    let io = |source| WarehouseError::Io {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(path.parent().expect("has parent")).map_err(io)?;
    std::fs::write(&path, version.to_string()).map_err(|source| WarehouseError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The position in a side file: 0 when the file does not exist yet; an
/// unreadable or unparsable file is an error, never 0.
fn read_side_file(root: &Url, name: &str) -> Result<i64> {
    let Some(path) = side_path(root, name) else {
        return Ok(0);
    };
    match std::fs::read_to_string(&path) {
        Ok(s) => s.trim().parse().map_err(|e| WarehouseError::Corrupt {
            path: path.display().to_string(),
            reason: format!("position {:?} is not a number: {e}", s.trim()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(source) => Err(WarehouseError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// The source position every table is known to include, from the
/// checkpoint table (0 for a new warehouse).
pub(crate) async fn resume_position(root: &Url, checkpoint_in_commit: bool) -> Result<u64> {
    if !checkpoint_in_commit {
        return Ok(read_side_file(root, "checkpoints")?.max(0) as u64);
    }
    // Only "there is no checkpoint table yet" means 0. Anything else — a
    // log that cannot be read, a table that cannot be opened — is an error:
    // a 0 here would make a source take a new snapshot without truncating
    // first, leaving rows deleted in between as ghosts.
    let url = checkpoints_url(root);
    if let Ok(p) = url.to_file_path() {
        let log = p.join("_delta_log");
        match std::fs::metadata(&log) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(WarehouseError::Corrupt {
                    path: log.display().to_string(),
                    reason: "is not a directory".into(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(source) => {
                return Err(WarehouseError::Io {
                    path: log.display().to_string(),
                    source,
                })
            }
        }
    }
    let table = match DeltaTable::try_from_url(url.clone()).await {
        Ok(t) => t,
        Err(deltalake::DeltaTableError::NotATable(_)) if url.to_file_path().is_err() => {
            return Ok(0)
        }
        Err(source) => {
            return Err(WarehouseError::Checkpoint {
                table: url.to_string(),
                source,
            })
        }
    };
    if table.version().is_none() {
        return Ok(0);
    }
    Ok(txn_version(&table, &url).await?.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringArray};
    use crossdock_change::event::{Change, ChangeBatchBuilder, Transaction, Value};

    fn batch_of(changes: Vec<(u64, Op, i64, &str)>) -> RecordBatch {
        let def = Catalog::odoo17().require("res_company").unwrap().clone();
        let mut b = ChangeBatchBuilder::new();
        for (pos, op, id, name) in changes {
            let mut row = vec![Value::Null; def.columns.len()];
            row[def.require("id").unwrap()] = Value::Int(id);
            row[def.require("name").unwrap()] = Value::from(name);
            b.push(&Transaction {
                xid: pos as i64,
                position: pos,
                commit_ts: 0,
                changes: vec![Change {
                    table: def.clone(),
                    op,
                    row,
                }],
            })
            .unwrap();
        }
        b.finish().unwrap().tables.remove(0).batch
    }

    #[test]
    fn reduction_keeps_the_last_change_per_key() {
        let def = Catalog::odoo17().require("res_company").unwrap();
        let rows = batch_of(vec![
            (1, Op::Insert, 1, "a"),
            (2, Op::Insert, 2, "b"),
            (3, Op::Update, 1, "a2"),
            (4, Op::Delete, 2, ""),
            (5, Op::Insert, 3, "c"),
        ]);
        let r = reduce_to_last_change(def, &rows).unwrap();
        assert!(!r.truncate);
        assert_eq!(r.deletes, 1);
        let ids = r
            .rows
            .column(5)
            .as_any()
            .downcast_ref::<Int32Array>()
            .unwrap();
        assert_eq!(ids.values().to_vec(), vec![1, 2, 3]);
        let names = r.rows.column_by_name("name").unwrap();
        let names = names.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(names.value(0), "a2");
    }

    #[test]
    fn truncate_drops_what_came_before() {
        let def = Catalog::odoo17().require("res_company").unwrap();
        let rows = batch_of(vec![
            (1, Op::Insert, 1, "a"),
            (2, Op::Truncate, 0, ""),
            (3, Op::Insert, 2, "b"),
        ]);
        let r = reduce_to_last_change(def, &rows).unwrap();
        assert!(r.truncate);
        assert_eq!(r.rows.num_rows(), 1);
    }

    #[test]
    fn already_applied_rows_are_filtered() {
        let rows = batch_of(vec![(1, Op::Insert, 1, "a"), (2, Op::Insert, 2, "b")]);
        assert_eq!(rows_after(&rows, 1).unwrap().num_rows(), 1);
        assert_eq!(rows_after(&rows, 0).unwrap().num_rows(), 2);
        assert_eq!(rows_after(&rows, 2).unwrap().num_rows(), 0);
    }
}
