//! # crossdock-warehouse — the analytical copy of Odoo, in Delta Lake
//!
//! This crate owns storage. Sources (the `crossdock-ingest` pipeline, the
//! simulator) hand it [`ChangeBatch`]es — the vocabulary of the
//! `crossdock-change` crate — and it applies them to Delta tables under one
//! root, exactly once, and answers queries over them with DataFusion.
//!
//! ```text
//!  ingest ──ChangeBatch──► Applier ──► changes/<table>   (append-only change log)
//!                            │   └──► current/<table>   (one row per key, MERGE)
//!                            └──────► _crossdock/checkpoints (source position, times)
//!
//!  Warehouse::current_state(t) ── the one reader of current state
//!  Warehouse::session() ── DataFusion, current tables registered by Odoo name
//!  Warehouse::kpis()    ── kpis/*.sql over that session ──► KpiReport
//! ```
//!
//! Modules, in the order data flows through them:
//!
//! - [`layout`]: where everything lives under the root (a path or URL) —
//!   the one module that names a path there;
//! - [`schema`]: the Arrow schemas of change logs and current-state tables,
//!   and the derived `<col>_en_us` columns of translated names;
//! - [`apply`]: validation, reduction to the last change per key, the MERGE,
//!   and the exactly-once protocol (the source position rides in the same
//!   Delta commit as the data);
//! - [`settings`]: business settings the KPIs need that Odoo lacks;
//! - [`kpi`]: the KPI definitions (`kpis/*.sql`) and the report they make;
//! - [`freshness`]: how far behind its source the warehouse is.
//!
//! What this crate must not do: know where changes come from (that is
//! `ingest`), or render anything for people (that is `api`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use crossdock_change::ChangeBatchBuilder;
//! use crossdock_simulator::{Simulator, SimulatorConfig};
//! use crossdock_warehouse::{kpi::KpiQuery, ApplyOptions, Warehouse};
//!
//! let warehouse = Warehouse::open("./crossdock-data")?;
//! let mut applier = warehouse.applier(ApplyOptions::default());
//! let mut sim = Simulator::new(SimulatorConfig { days: 3, orders_per_day: 20, ..Default::default() })?;
//! let mut builder = ChangeBatchBuilder::new();
//! while let Some(tx) = sim.next_transaction() {
//!     builder.push(&tx)?;
//! }
//! applier.apply(&builder.finish()?).await?;
//! let report = warehouse.kpis(&KpiQuery::default()).await?;
//! println!("{} channels", report.rows.len());
//! # Ok(()) }
//! ```

pub mod apply;
pub mod derived;
pub mod error;
pub mod freshness;
pub mod kpi;
pub mod layout;
pub mod schema;
pub mod scope;
pub mod settings;

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::array::{Decimal128Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use crossdock_change::catalog::Catalog;
pub use crossdock_change::event::ChangeBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use deltalake::DeltaTable;
use url::Url;

#[cfg(feature = "test-hooks")]
pub use apply::FailPoint;
pub use apply::{Applier, ApplyOptions, ApplyReport};
pub use derived::WriteMode;
pub use error::{Result, WarehouseError};
pub use settings::Settings;

use layout::{checkpoints_url, table_url, TableKind};

/// A warehouse: a root holding Delta tables, and the catalog of what they hold.
#[derive(Debug, Clone)]
pub struct Warehouse {
    root: Url,
    catalog: Catalog,
}

impl Warehouse {
    /// Opens (creating when local and missing) the warehouse at `root`, a
    /// directory path or a `file://` URL. For commands that write.
    pub fn open(root: &str) -> Result<Warehouse> {
        Ok(Warehouse {
            root: layout::resolve_root(root)?,
            catalog: Catalog::odoo17().clone(),
        })
    }

    /// Opens the warehouse at `root`, which must exist and hold one
    /// ([`WarehouseError::NotAWarehouse`] otherwise; nothing is created).
    /// For commands that only read.
    pub fn open_existing(root: &str) -> Result<Warehouse> {
        Ok(Warehouse {
            root: layout::resolve_existing_root(root)?,
            catalog: Catalog::odoo17().clone(),
        })
    }

    /// The root URL.
    pub fn root(&self) -> &Url {
        &self.root
    }

    /// The tracked tables.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// An applier for change batches.
    pub fn applier(&self, options: ApplyOptions) -> Applier {
        Applier::new(self.root.clone(), self.catalog.clone(), options)
    }

    /// The source position every table is known to include: a source
    /// resumes after it (0 for a new warehouse).
    pub async fn resume_position(&self) -> Result<u64> {
        apply::resume_position(&self.root, true).await
    }

    /// Like [`Warehouse::resume_position`], for an applier that keeps
    /// positions outside the commit (feature `test-hooks`, tests only).
    #[cfg(feature = "test-hooks")]
    pub async fn resume_position_with(&self, options: &ApplyOptions) -> Result<u64> {
        apply::resume_position(&self.root, options.checkpoint_in_commit()).await
    }

    /// The business settings.
    pub fn settings(&self) -> Result<Settings> {
        Settings::load(&self.root)
    }

    /// Replaces the business settings.
    pub fn save_settings(&self, settings: &Settings) -> Result<()> {
        settings.save(&self.root)
    }

    /// The current state of a tracked table, as a DataFusion table: **the
    /// one function through which everything inside crossdock reads current
    /// state** (KPIs, the api, `verify`, the models — through
    /// [`Warehouse::session`] or directly), so that how current state is
    /// stored can change without touching its readers. Empty (with the
    /// table's schema) when nothing was applied yet.
    /// `ctx` is the session the table will be read in (its object store is
    /// registered there).
    pub async fn current_state(
        &self,
        ctx: &SessionContext,
        table: &str,
    ) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
        let def = self.catalog.require(table)?;
        let url = table_url(&self.root, TableKind::Current, &def.name);
        provider(ctx, &def.name, &url, schema::current_schema(def)).await
    }

    /// A DataFusion session with every current-state table registered under
    /// its Odoo name (empty when nothing was applied yet), the changes logs
    /// as `changes_<table>`, `channel_policy (channel, max_discount)` from the
    /// settings, and `crossdock_checkpoints`.
    pub async fn session(&self) -> Result<SessionContext> {
        let ctx = SessionContext::new();
        for def in self.catalog.tables() {
            let current = self.current_state(&ctx, &def.name).await?;
            ctx.register_table(def.name.as_str(), current)
                .map_err(WarehouseError::query(&def.name))?;
            let url = table_url(&self.root, TableKind::Changes, &def.name);
            let schema = schema::change_schema(def);
            register(&ctx, &format!("changes_{}", def.name), &url, schema).await?;
        }
        register(
            &ctx,
            "crossdock_checkpoints",
            &checkpoints_url(&self.root),
            apply::checkpoint_schema(),
        )
        .await?;
        let settings = self.settings()?;
        let policy_schema = Arc::new(Schema::new(vec![
            Field::new("channel", DataType::Utf8, false),
            Field::new("max_discount", DataType::Decimal128(38, 10), false),
        ]));
        let (names, values): (Vec<String>, Vec<i128>) = settings
            .channel_max_discount_percent
            .iter()
            .map(|(k, v)| {
                let m = crossdock_change::event::decimal_to_i128(*v, 38, 10).map_err(|e| {
                    WarehouseError::Internal(format!("settings: max discount of {k}: {v} {e}"))
                })?;
                Ok((k.clone(), m))
            })
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .unzip();
        let policy = RecordBatch::try_new(
            policy_schema.clone(),
            vec![
                Arc::new(StringArray::from(names)),
                Arc::new(Decimal128Array::from(values).with_precision_and_scale(38, 10)?),
            ],
        )?;
        let mem = MemTable::try_new(policy_schema, vec![vec![policy]])
            .map_err(WarehouseError::query("channel_policy"))?;
        ctx.register_table("channel_policy", Arc::new(mem))
            .map_err(WarehouseError::query("channel_policy"))?;
        Ok(ctx)
    }

    /// Runs SQL over [`Warehouse::session`] and collects the result.
    pub async fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let ctx = self.session().await?;
        ctx.sql(sql)
            .await
            .map_err(WarehouseError::query(sql))?
            .collect()
            .await
            .map_err(WarehouseError::query(sql))
    }
}

async fn open_existing(url: &Url) -> Result<Option<DeltaTable>> {
    if url.scheme() == "file" {
        match url.to_file_path() {
            Ok(p) if p.join("_delta_log").is_dir() => {}
            _ => return Ok(None),
        }
    }
    let table = DeltaTable::try_from_url(url.clone())
        .await
        .map_err(WarehouseError::delta(url))?;
    Ok(table.version().is_some().then_some(table))
}

/// A Delta table as a DataFusion table; an empty one with `schema` when it
/// does not exist yet.
async fn provider(
    ctx: &SessionContext,
    name: &str,
    url: &Url,
    schema: arrow::datatypes::SchemaRef,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    match open_existing(url).await? {
        Some(table) => {
            table
                .update_datafusion_session(&ctx.state())
                .map_err(WarehouseError::delta(url))?;
            table
                .table_provider()
                .await
                .map_err(WarehouseError::query(name))
        }
        None => Ok(Arc::new(
            MemTable::try_new(schema, vec![vec![]]).map_err(WarehouseError::query(name))?,
        )),
    }
}

async fn register(
    ctx: &SessionContext,
    name: &str,
    url: &Url,
    schema: arrow::datatypes::SchemaRef,
) -> Result<()> {
    let table = provider(ctx, name, url, schema).await?;
    ctx.register_table(name, table)
        .map_err(WarehouseError::query(name))?;
    Ok(())
}
