//! Creating the tracked Odoo tables in a PostgreSQL database.
//!
//! crossdock's DDL ([`crossdock_change::catalog::ODOO17_DDL`]) is plain PostgreSQL and
//! runs as it is. One change is made after it: every foreign key between the
//! tracked tables becomes `DEFERRABLE INITIALLY DEFERRED`. Odoo's ORM inserts
//! a company before its partner and a partner before the user that created
//! it (the cycles the DDL closes with `ALTER TABLE` at the end), and the
//! simulator writes rows in the order Odoo would; deferred constraints are
//! checked at commit, when every row of the transaction is there, so the same
//! referential integrity holds without forcing another insertion order.
//!
//! Replica identity stays `DEFAULT` (the primary key) unless asked otherwise:
//! see [`set_replica_identity`] and the TOAST discussion in
//! [`super::source`].

use tokio_postgres::Client;

use super::text::{ident, quote};
use super::{query_rows, PgContext};
use crate::error::{IngestError, Result};
use crossdock_change::catalog::{Catalog, ODOO17_DDL};

/// What [`create_tables`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Every tracked table was created.
    Created {
        /// Foreign keys made deferrable.
        deferred_foreign_keys: usize,
    },
    /// Every tracked table was already there; nothing was changed.
    AlreadyThere,
}

/// Which tracked tables exist in the database's search path.
pub async fn existing_tables(client: &Client, catalog: &Catalog) -> Result<Vec<String>> {
    let names: Vec<String> = catalog.tables().iter().map(|t| quote(&t.name)).collect();
    let sql = format!(
        "SELECT c.relname FROM pg_class c \
         WHERE c.relkind IN ('r', 'p') AND c.relname IN ({}) \
           AND c.relnamespace = current_schema()::regnamespace",
        names.join(", ")
    );
    Ok(query_rows(client, &sql)
        .await?
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect())
}

/// Creates every tracked table of crossdock's DDL in one transaction, with
/// deferred foreign keys. Does nothing when they all exist; refuses (naming
/// them) when only some do.
pub async fn create_tables(client: &Client) -> Result<Created> {
    let catalog = Catalog::odoo17();
    let existing = existing_tables(client, catalog).await?;
    if existing.len() == catalog.tables().len() {
        return Ok(Created::AlreadyThere);
    }
    if !existing.is_empty() {
        return Err(IngestError::Setup {
            message: format!(
                "the database already has some of the tracked Odoo tables ({}), not all; \
                 crossdock creates them only in a database that has none",
                existing.join(", ")
            ),
        });
    }
    client
        .batch_execute("BEGIN")
        .await
        .ctx("beginning the DDL transaction")?;
    let result = async {
        client
            .batch_execute(ODOO17_DDL)
            .await
            .ctx("running crossdock's Odoo 17 DDL")?;
        let names: Vec<String> = catalog.tables().iter().map(|t| quote(&t.name)).collect();
        let fks = query_rows(
            client,
            &format!(
                "SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c \
                 JOIN pg_class r ON r.oid = c.conrelid \
                 WHERE c.contype = 'f' AND r.relname IN ({}) \
                   AND r.relnamespace = current_schema()::regnamespace",
                names.join(", ")
            ),
        )
        .await?;
        let mut sql = String::new();
        for fk in &fks {
            let (Some(table), Some(name)) = (&fk[0], &fk[1]) else {
                continue;
            };
            sql.push_str(&format!(
                "ALTER TABLE {table} ALTER CONSTRAINT {} DEFERRABLE INITIALLY DEFERRED;\n",
                ident(name)
            ));
        }
        client
            .batch_execute(&sql)
            .await
            .ctx("making foreign keys deferrable")?;
        Ok::<usize, IngestError>(fks.len())
    }
    .await;
    match result {
        Ok(n) => {
            client
                .batch_execute("COMMIT")
                .await
                .ctx("committing the DDL")?;
            Ok(Created::Created {
                deferred_foreign_keys: n,
            })
        }
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Replica identity of a table: what PostgreSQL logs of the old row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaIdentity {
    /// The primary key only (PostgreSQL's default).
    Default,
    /// The whole old row: updates that leave a TOASTed value unchanged can
    /// be decoded exactly, at the cost of more WAL per update and delete.
    Full,
}

/// Sets the replica identity of the given tables.
pub async fn set_replica_identity(
    client: &Client,
    tables: &[&str],
    identity: ReplicaIdentity,
) -> Result<()> {
    let what = match identity {
        ReplicaIdentity::Default => "DEFAULT",
        ReplicaIdentity::Full => "FULL",
    };
    let sql: String = tables
        .iter()
        .map(|t| format!("ALTER TABLE {} REPLICA IDENTITY {what};\n", ident(t)))
        .collect();
    client
        .batch_execute(&sql)
        .await
        .ctx(format!("setting REPLICA IDENTITY {what}"))
}
