//! The catalog of tracked Odoo tables: names, columns, PostgreSQL types,
//! primary keys, and the Arrow types they become.
//!
//! The single source of truth is `change/sql/odoo17.sql`, crossdock's own DDL
//! for the Odoo 17 tables it tracks (written from the reference schema in
//! `shared/odoo/schema.sql`). It is parsed once at start-up, so the simulator,
//! the change-event schemas and the Delta tables can never disagree about a
//! column.
//!
//! Type mapping (see `DESIGN.md`, "Exact money", "Time is UTC"):
//!
//! | PostgreSQL            | Arrow                                   |
//! |-----------------------|-----------------------------------------|
//! | `int4`, `serial`      | `Int32`                                 |
//! | `int8`, `bigserial`   | `Int64`                                 |
//! | `numeric(p,s)`        | `Decimal128(p,s)`                       |
//! | `numeric`             | `Decimal128(38, 10)` ([`DEFAULT_NUMERIC_SCALE`]) |
//! | `float8`              | `Float64`                               |
//! | `varchar`, `text`     | `Utf8`                                  |
//! | `bool`                | `Boolean`                               |
//! | `date`                | `Date32`                                |
//! | `timestamp`           | `Timestamp(Microsecond, "UTC")`         |
//! | `jsonb`               | `Utf8` (the JSON text) plus `<col>_en_us` `Utf8` |
//! | `bytea`               | `Binary`                                |

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::{ChangeError, Result};

/// crossdock's DDL for the tracked Odoo 17 tables.
pub const ODOO17_DDL: &str = include_str!("../sql/odoo17.sql");

/// Precision of the Arrow decimal that holds an unconstrained `numeric`.
pub const DEFAULT_NUMERIC_PRECISION: u8 = 38;
/// Scale of the Arrow decimal that holds an unconstrained `numeric`: Odoo
/// rounds prices, quantities and amounts far below ten decimals, and ten
/// leaves 28 integer digits. A value with more fractional digits is rejected,
/// never rounded.
pub const DEFAULT_NUMERIC_SCALE: i8 = 10;

/// The time zone of every timestamp column: Odoo stores UTC.
pub const UTC: &str = "UTC";

/// A PostgreSQL column type, as far as the tracked tables use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PgType {
    /// `int4` / `serial`
    Int4,
    /// `int8` / `bigserial`
    Int8,
    /// `numeric` or `numeric(precision, scale)`
    Numeric {
        /// total digits
        precision: u8,
        /// digits after the decimal point
        scale: i8,
    },
    /// `float8`
    Float8,
    /// `varchar`, `varchar(n)`, `text`
    Text,
    /// `bool`
    Bool,
    /// `date`
    Date,
    /// `timestamp` (without time zone, holding UTC)
    Timestamp,
    /// `jsonb`
    Jsonb,
    /// `bytea`
    Bytea,
}

impl PgType {
    /// Parses a type as written in the DDL (`int4`, `varchar(64)`, `numeric(12,2)`, ...).
    pub fn parse(text: &str) -> Option<PgType> {
        let t = text.trim().to_ascii_lowercase();
        let (base, args) = match t.find('(') {
            Some(i) => (&t[..i], Some(t[i + 1..].trim_end_matches(')'))),
            None => (t.as_str(), None),
        };
        Some(match base.trim() {
            "int4" | "integer" | "int" | "serial" => PgType::Int4,
            "int8" | "bigint" | "bigserial" => PgType::Int8,
            "numeric" | "decimal" => match args {
                None => PgType::Numeric {
                    precision: DEFAULT_NUMERIC_PRECISION,
                    scale: DEFAULT_NUMERIC_SCALE,
                },
                Some(a) => {
                    let mut it = a.split(',').map(|s| s.trim().parse::<i64>());
                    let p = it.next()?.ok()?;
                    let s = it.next().unwrap_or(Ok(0)).ok()?;
                    if !(1..=38).contains(&p) || s < 0 || s > p {
                        return None;
                    }
                    PgType::Numeric {
                        precision: p as u8,
                        scale: s as i8,
                    }
                }
            },
            "float8" | "double precision" => PgType::Float8,
            "varchar" | "text" | "character varying" => PgType::Text,
            "bool" | "boolean" => PgType::Bool,
            "date" => PgType::Date,
            "timestamp" | "timestamp without time zone" => PgType::Timestamp,
            "jsonb" => PgType::Jsonb,
            "bytea" => PgType::Bytea,
            _ => return None,
        })
    }

    /// The type of a column as PostgreSQL describes it in a pgoutput
    /// Relation message: a type OID and a type modifier (`-1` when none).
    /// `None` for types crossdock does not carry (the column is then left
    /// out, with a warning).
    pub fn from_oid(oid: u32, type_modifier: i32) -> Option<PgType> {
        Some(match oid {
            21 | 23 => PgType::Int4,
            20 => PgType::Int8,
            1700 => {
                if type_modifier < 4 {
                    PgType::Numeric {
                        precision: DEFAULT_NUMERIC_PRECISION,
                        scale: DEFAULT_NUMERIC_SCALE,
                    }
                } else {
                    // typmod = ((precision << 16) | scale) + 4
                    let m = type_modifier - 4;
                    let (p, s) = ((m >> 16) & 0xffff, m & 0xffff);
                    if !(1..=38).contains(&p) || s > p {
                        return None;
                    }
                    PgType::Numeric {
                        precision: p as u8,
                        scale: s as i8,
                    }
                }
            }
            701 => PgType::Float8,
            25 | 1043 | 1042 => PgType::Text,
            16 => PgType::Bool,
            1082 => PgType::Date,
            1114 => PgType::Timestamp,
            3802 => PgType::Jsonb,
            17 => PgType::Bytea,
            _ => return None,
        })
    }

    /// The Arrow type a value of this column is carried and stored as.
    pub fn arrow_type(&self) -> DataType {
        match self {
            PgType::Int4 => DataType::Int32,
            PgType::Int8 => DataType::Int64,
            PgType::Numeric { precision, scale } => DataType::Decimal128(*precision, *scale),
            PgType::Float8 => DataType::Float64,
            PgType::Text | PgType::Jsonb => DataType::Utf8,
            PgType::Bool => DataType::Boolean,
            PgType::Date => DataType::Date32,
            PgType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            PgType::Bytea => DataType::Binary,
        }
    }
}

/// One column of a tracked table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    /// Odoo's column name.
    pub name: String,
    /// Its PostgreSQL type.
    pub pg_type: PgType,
    /// Declared `NOT NULL` (informative only: Odoo does not always manage to add it).
    pub not_null: bool,
}

/// One tracked table.
#[derive(Debug, Clone)]
pub struct TableDef {
    /// Odoo's table name, e.g. `sale_order_line`.
    pub name: String,
    /// Columns in DDL order.
    pub columns: Vec<ColumnDef>,
    /// Indexes into `columns` of the primary key, in key order.
    pub primary_key: Vec<usize>,
    index: HashMap<String, usize>,
}

/// Suffix of the plain-text column exposed beside each `jsonb` translation.
pub const EN_US_SUFFIX: &str = "_en_us";

impl TableDef {
    /// Builds a table definition; fails when the key names an unknown column.
    pub fn new(name: &str, columns: Vec<ColumnDef>, primary_key: &[&str]) -> Result<TableDef> {
        let index: HashMap<String, usize> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let mut pk = Vec::new();
        for k in primary_key {
            pk.push(*index.get(*k).ok_or_else(|| ChangeError::Catalog {
                message: format!("table {name}: primary key column {k} is not a column"),
            })?);
        }
        if pk.is_empty() {
            return Err(ChangeError::Catalog {
                message: format!("table {name} has no primary key"),
            });
        }
        Ok(TableDef {
            name: name.to_string(),
            columns,
            primary_key: pk,
            index,
        })
    }

    /// Position of a column, if the table has it.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Position of a column; an error naming the table and column otherwise.
    pub fn require(&self, name: &str) -> Result<usize> {
        self.column_index(name)
            .ok_or_else(|| ChangeError::UnknownColumn {
                table: self.name.clone(),
                column: name.to_string(),
            })
    }

    /// Names of the primary-key columns.
    pub fn primary_key_names(&self) -> Vec<&str> {
        self.primary_key
            .iter()
            .map(|i| self.columns[*i].name.as_str())
            .collect()
    }

    /// The Arrow schema of the table's rows as Odoo has them (no derived
    /// columns, no change metadata). Every field is nullable: a delete carries
    /// only its key, and `NOT NULL` is not guaranteed by Odoo.
    pub fn row_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(&c.name, c.pg_type.arrow_type(), true))
                .collect::<Vec<_>>(),
        ))
    }

    /// This table with `added` columns appended (a column added in the
    /// source after the table was first described). Every added column is
    /// nullable: rows written before it existed have NULL.
    pub fn with_added_columns(&self, added: Vec<ColumnDef>) -> TableDef {
        let mut columns = self.columns.clone();
        for mut c in added {
            if self.column_index(&c.name).is_none() {
                c.not_null = false;
                columns.push(c);
            }
        }
        let pk = self.primary_key_names();
        TableDef::new(&self.name, columns, &pk).expect("the key columns are kept")
    }

    /// True when this definition is `base` with zero or more columns added
    /// at the end: same name, same leading columns of the same types, same
    /// key. That is the only schema change crossdock applies by itself.
    pub fn extends(&self, base: &TableDef) -> bool {
        self.name == base.name
            && self.columns.len() >= base.columns.len()
            && self.primary_key == base.primary_key
            && self
                .columns
                .iter()
                .zip(&base.columns)
                .all(|(a, b)| a.name == b.name && a.pg_type == b.pg_type)
    }

    /// Names of the `jsonb` columns (translations).
    pub fn jsonb_columns(&self) -> impl Iterator<Item = &ColumnDef> {
        self.columns.iter().filter(|c| c.pg_type == PgType::Jsonb)
    }
}

/// All tracked tables, in DDL order (parents before children).
#[derive(Debug, Clone)]
pub struct Catalog {
    tables: Vec<Arc<TableDef>>,
    by_name: HashMap<String, usize>,
}

impl Catalog {
    /// The catalog of crossdock's Odoo 17 DDL ([`ODOO17_DDL`]), parsed once.
    pub fn odoo17() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            Catalog::parse_ddl(ODOO17_DDL).expect("the bundled DDL parses (checked by unit tests)")
        })
    }

    /// Parses `CREATE TABLE` statements. Understands the subset the DDL uses:
    /// one column per line, `PRIMARY KEY` on a column or as a table
    /// constraint, `NOT NULL`, `REFERENCES ...`, `--` comments.
    pub fn parse_ddl(ddl: &str) -> Result<Catalog> {
        let mut tables = Vec::new();
        let mut current: Option<(String, Vec<ColumnDef>, Vec<String>)> = None;
        for (lineno, raw) in ddl.lines().enumerate() {
            let line = match raw.find("--") {
                Some(i) => &raw[..i],
                None => raw,
            }
            .trim();
            if line.is_empty() {
                continue;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(rest) = lower.strip_prefix("create table ") {
                let name = rest
                    .trim_end_matches('(')
                    .trim()
                    .trim_start_matches("if not exists ")
                    .trim()
                    .to_string();
                current = Some((name, Vec::new(), Vec::new()));
                continue;
            }
            let Some((tname, cols, pk)) = current.as_mut() else {
                continue;
            };
            if line.starts_with(')') {
                let (tname, cols, pk) = current.take().expect("inside a table");
                let pk_refs: Vec<&str> = pk.iter().map(|s| s.as_str()).collect();
                tables.push(TableDef::new(&tname, cols, &pk_refs)?);
                continue;
            }
            let body = line.trim_end_matches(',').trim();
            if let Some(rest) = lower.trim_end_matches(',').strip_prefix("primary key") {
                let inner = rest.trim().trim_start_matches('(').trim_end_matches(')');
                pk.extend(inner.split(',').map(|s| s.trim().to_string()));
                continue;
            }
            let mut words = body.split_whitespace();
            let name = words.next().unwrap_or_default().to_string();
            let rest: Vec<&str> = words.collect();
            // the type is the first word, plus `(n)` / `(p,s)` glued or spaced,
            // or a two-word type ("double precision").
            let rest_joined = rest.join(" ");
            let rest_lower = rest_joined.to_ascii_lowercase();
            let type_end = rest_lower
                .find(" not null")
                .into_iter()
                .chain(rest_lower.find(" primary key"))
                .chain(rest_lower.find(" references"))
                .chain(rest_lower.find(" default"))
                .min()
                .unwrap_or(rest_lower.len());
            let type_text = &rest_joined[..type_end];
            let pg_type = PgType::parse(type_text).ok_or_else(|| ChangeError::Catalog {
                message: format!(
                    "line {}: table {tname}, column {name}: unsupported type {type_text:?}",
                    lineno + 1
                ),
            })?;
            if rest_lower.contains("primary key") {
                pk.push(name.clone());
            }
            cols.push(ColumnDef {
                name,
                pg_type,
                not_null: rest_lower.contains("not null") || rest_lower.contains("primary key"),
            });
        }
        if let Some((name, _, _)) = current {
            return Err(ChangeError::Catalog {
                message: format!("table {name}: CREATE TABLE is not closed"),
            });
        }
        Ok(Catalog::from_tables(tables))
    }

    /// A catalog of the given tables.
    pub fn from_tables(tables: Vec<TableDef>) -> Catalog {
        let tables: Vec<Arc<TableDef>> = tables.into_iter().map(Arc::new).collect();
        let by_name = tables
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        Catalog { tables, by_name }
    }

    /// A tracked table by name.
    pub fn table(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.by_name.get(name).map(|i| &self.tables[*i])
    }

    /// A tracked table by name, or an [`ChangeError::UnknownTable`].
    pub fn require(&self, name: &str) -> Result<&Arc<TableDef>> {
        self.table(name).ok_or_else(|| ChangeError::UnknownTable {
            table: name.to_string(),
        })
    }

    /// Every tracked table, in DDL order.
    pub fn tables(&self) -> &[Arc<TableDef>] {
        &self.tables
    }

    /// Replaces the definition of a tracked table (after a column was added
    /// in the source); adds it when the catalog does not have it.
    pub fn set_table(&mut self, def: Arc<TableDef>) {
        match self.by_name.get(&def.name) {
            Some(i) => self.tables[*i] = def,
            None => {
                self.by_name.insert(def.name.clone(), self.tables.len());
                self.tables.push(def);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_ddl_has_every_tracked_table() {
        let c = Catalog::odoo17();
        assert_eq!(c.tables().len(), 27);
        let sol = c.require("sale_order_line").unwrap();
        assert_eq!(sol.primary_key_names(), vec!["id"]);
        let qty = sol.columns[sol.require("product_uom_qty").unwrap()].clone();
        assert_eq!(
            qty.pg_type,
            PgType::Numeric {
                precision: 38,
                scale: 10
            }
        );
        assert!(qty.not_null);
        let rel = c.require("sale_order_line_invoice_rel").unwrap();
        assert_eq!(
            rel.primary_key_names(),
            vec!["order_line_id", "invoice_line_id"]
        );
        let aa = c.require("account_account").unwrap();
        assert_eq!(
            aa.columns[aa.require("code").unwrap()].pg_type,
            PgType::Text
        );
        assert_eq!(c.require("crm_team").unwrap().jsonb_columns().count(), 1);
    }

    #[test]
    fn type_parsing() {
        assert_eq!(
            PgType::parse("numeric(12, 2)"),
            Some(PgType::Numeric {
                precision: 12,
                scale: 2
            })
        );
        assert_eq!(PgType::parse("numeric(40,2)"), None);
        assert_eq!(PgType::parse("varchar(5)"), Some(PgType::Text));
        assert_eq!(PgType::parse("geometry"), None);
    }

    #[test]
    fn bad_ddl_names_the_line() {
        let err = Catalog::parse_ddl("CREATE TABLE t (\n id serial PRIMARY KEY,\n g geometry\n);")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("geometry"), "{err}");
        let err = Catalog::parse_ddl("CREATE TABLE t (\n a int4\n);")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no primary key"), "{err}");
    }

    #[test]
    fn types_from_relation_messages() {
        // numeric(12,2): typmod = (12 << 16 | 2) + 4
        assert_eq!(
            PgType::from_oid(1700, (12 << 16 | 2) + 4),
            Some(PgType::Numeric {
                precision: 12,
                scale: 2
            })
        );
        assert_eq!(
            PgType::from_oid(1700, -1),
            Some(PgType::Numeric {
                precision: 38,
                scale: 10
            })
        );
        assert_eq!(PgType::from_oid(1043, 68), Some(PgType::Text));
        assert_eq!(PgType::from_oid(1114, -1), Some(PgType::Timestamp));
        assert_eq!(PgType::from_oid(2950, -1), None, "uuid is not carried");
    }

    #[test]
    fn added_columns_extend_a_table() {
        let base = Catalog::odoo17().require("uom_category").unwrap();
        let wider = base.with_added_columns(vec![ColumnDef {
            name: "note".into(),
            pg_type: PgType::Text,
            not_null: true,
        }]);
        assert!(wider.extends(base) && !base.extends(&wider));
        assert_eq!(wider.columns.len(), base.columns.len() + 1);
        assert!(!wider.columns.last().unwrap().not_null);
        let mut catalog = Catalog::odoo17().clone();
        catalog.set_table(Arc::new(wider));
        assert_eq!(catalog.tables().len(), 27);
        assert!(catalog
            .require("uom_category")
            .unwrap()
            .column_index("note")
            .is_some());
    }

    #[test]
    fn unknown_table_is_an_error() {
        let e = Catalog::odoo17().require("nope").unwrap_err().to_string();
        assert!(e.contains("nope"), "{e}");
    }
}
