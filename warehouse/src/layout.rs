//! Where everything lives under the warehouse root. This module is the one
//! place that names a path under the root: every other module and crate
//! asks it.
//!
//! ```text
//! <root>/
//!   current/<odoo table>/          current state, one row per primary key (Delta)
//!   changes/<odoo table>/          append-only change log (Delta)
//!   derived/<name>/                what crossdock derives: forecasts, suggestions, decisions (Delta)
//!   _crossdock/checkpoints/        one row per applied batch: source position, times (Delta)
//!   _crossdock/settings.json       business settings the KPIs read (channel discount policy, ...)
//!   _crossdock/source.json         which source fills the warehouse (kind, cluster, slot, ...)
//!   _crossdock/access.sqlite3      users, roles, tokens and the audit trail (crossdock-access)
//!   _crossdock/odoo-stand-in.jsonl requests the demo's stand-in Odoo received (crossdock demo)
//!   _crossdock/inbox/              the demo's e-mails (.eml) and their ground truth (crossdock demo)
//!   _crossdock/triage-train/       the separate inbox the demo trains the default triage model on
//!   _crossdock/triage-model/       the default triage model (`crossdock triage classify` without --model)
//!   _crossdock/rejects/<pos>-<n>/  rejected change batches, kept with their reason
//!   _crossdock/positions/          side files of the test-only "position outside the commit" mode
//! ```
//!
//! The root is a URL so that object storage can follow; a plain path is a
//! local directory (created when missing by [`resolve_root`], refused when
//! missing by [`resolve_existing_root`]).

use std::path::{Path, PathBuf};

use url::Url;

use crate::error::{Result, WarehouseError};

/// The kinds of table the warehouse keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableKind {
    /// Current state of an Odoo table.
    Current,
    /// Change log of an Odoo table.
    Changes,
}

impl TableKind {
    /// The folder under the root.
    pub fn folder(self) -> &'static str {
        match self {
            TableKind::Current => "current",
            TableKind::Changes => "changes",
        }
    }
}

/// Resolves a root given as a path or URL. Local roots are created.
pub fn resolve_root(root: &str) -> Result<Url> {
    let bad = |reason: String| WarehouseError::Root {
        root: root.to_string(),
        reason,
    };
    if root.trim().is_empty() {
        return Err(bad("empty".into()));
    }
    let url = match Url::parse(root) {
        Ok(url) if url.scheme().len() > 1 => url,
        _ => {
            let path = Path::new(root);
            std::fs::create_dir_all(path).map_err(|e| bad(format!("cannot create it: {e}")))?;
            let abs = path
                .canonicalize()
                .map_err(|e| bad(format!("cannot resolve it: {e}")))?;
            Url::from_directory_path(&abs).map_err(|_| bad("not an absolute path".into()))?
        }
    };
    match url.scheme() {
        "file" => {
            let path = url
                .to_file_path()
                .map_err(|_| bad("not a local path".into()))?;
            std::fs::create_dir_all(&path).map_err(|e| bad(format!("cannot create it: {e}")))?;
        }
        "memory" => {}
        other => {
            return Err(bad(format!(
                "scheme {other}:// is not supported yet (local paths and file:// are)"
            )))
        }
    }
    let mut url = url;
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    Ok(url)
}

/// The URL of a table under the root.
pub fn table_url(root: &Url, kind: TableKind, table: &str) -> Url {
    root.join(&format!("{}/{table}/", kind.folder()))
        .expect("table names are plain identifiers")
}

/// The URL of a derived table (forecasts, reorder suggestions, the decisions
/// people take on them: `derived/<name>/`), never named like an Odoo table.
pub fn derived_url(root: &Url, name: &str) -> Url {
    root.join(&format!("derived/{name}/"))
        .expect("derived table names are plain identifiers")
}

/// The folder of crossdock's own files under the root.
pub const CROSSDOCK_DIR: &str = "_crossdock";

/// The URL of the checkpoint table.
pub fn checkpoints_url(root: &Url) -> Url {
    root.join(&format!("{CROSSDOCK_DIR}/checkpoints/"))
        .expect("constant path")
}

/// A local file or folder of crossdock's own under the root (settings, the
/// source record, the access store, rejects): these need a local root.
fn own_path(root: &Url, name: &str) -> Result<PathBuf> {
    root.to_file_path()
        .map(|p| p.join(CROSSDOCK_DIR).join(name))
        .map_err(|_| WarehouseError::Root {
            root: root.to_string(),
            reason: format!("{CROSSDOCK_DIR}/{name} needs a local warehouse directory for now"),
        })
}

/// `_crossdock/settings.json`: the business settings.
pub fn settings_path(root: &Url) -> Result<PathBuf> {
    own_path(root, "settings.json")
}

/// `_crossdock/source.json`: which source fills the warehouse.
pub fn source_record_path(root: &Url) -> Result<PathBuf> {
    own_path(root, "source.json")
}

/// `_crossdock/access.sqlite3`: users, roles, tokens and the audit trail.
pub fn access_store_path(root: &Url) -> Result<PathBuf> {
    own_path(root, "access.sqlite3")
}

/// `_crossdock/odoo-stand-in.jsonl`: every request the stand-in Odoo of
/// `crossdock demo` received, one JSON object per line.
pub fn odoo_stand_in_log_path(root: &Url) -> Result<PathBuf> {
    own_path(root, "odoo-stand-in.jsonl")
}

/// `_crossdock/inbox/`: the demo's e-mails (`0001.eml`, ...) and their
/// ground truth (`truth.jsonl`), written by `crossdock demo`.
pub fn inbox_dir(root: &Url) -> Result<PathBuf> {
    own_path(root, "inbox")
}

/// `_crossdock/triage-train/`: the labelled inbox (another seed than the
/// demo's inbox) that `crossdock demo` trains the default triage model on.
pub fn triage_train_dir(root: &Url) -> Result<PathBuf> {
    own_path(root, "triage-train")
}

/// `_crossdock/triage-model/`: the triage model `crossdock triage
/// classify` uses without `--model` (trained by `crossdock demo`).
pub fn triage_model_dir(root: &Url) -> Result<PathBuf> {
    own_path(root, "triage-model")
}

/// `_crossdock/rejects/`: rejected change batches, one folder each.
pub fn rejects_dir(root: &Url) -> Result<PathBuf> {
    own_path(root, "rejects")
}

/// `_crossdock/positions/<name>`: a side file of the test-only mode that
/// keeps positions outside the Delta commit.
pub fn position_side_file(root: &Url, name: &str) -> Result<PathBuf> {
    own_path(root, &format!("positions/{name}"))
}

/// Whether a local root holds a warehouse (its `_crossdock` folder).
/// Non-local roots are taken as holding one.
pub fn holds_warehouse(root: &Url) -> bool {
    match root.to_file_path() {
        Ok(p) => p.join(CROSSDOCK_DIR).is_dir(),
        Err(_) => true,
    }
}

/// Resolves a root that must already hold a warehouse (for commands that
/// only read): nothing is created, and a folder without one is
/// [`WarehouseError::NotAWarehouse`].
pub fn resolve_existing_root(root: &str) -> Result<Url> {
    let url = match Url::parse(root) {
        Ok(url) if url.scheme().len() > 1 => url,
        _ => {
            let path = Path::new(root);
            if !path.join(CROSSDOCK_DIR).is_dir() {
                return Err(WarehouseError::NotAWarehouse {
                    root: root.to_string(),
                });
            }
            return resolve_root(root);
        }
    };
    if !holds_warehouse(&url) {
        return Err(WarehouseError::NotAWarehouse {
            root: root.to_string(),
        });
    }
    resolve_root(root)
}

/// A local directory for the URL, creating it, when the URL is a file URL.
pub fn ensure_local_dir(url: &Url) -> Result<()> {
    if url.scheme() == "file" {
        if let Ok(path) = url.to_file_path() {
            std::fs::create_dir_all(&path).map_err(|source| WarehouseError::Io {
                path: path.display().to_string(),
                source,
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_become_file_urls() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("wh");
        let url = resolve_root(root.to_str().unwrap()).unwrap();
        assert_eq!(url.scheme(), "file");
        assert!(url.path().ends_with("/wh/"));
        assert!(root.is_dir());
        let t = table_url(&url, TableKind::Current, "sale_order");
        assert!(t.path().ends_with("/wh/current/sale_order/"));
    }

    #[test]
    fn reading_commands_refuse_a_folder_without_a_warehouse() {
        let dir = tempfile::tempdir().unwrap();
        let typo = dir.path().join("typo-dir");
        let e = resolve_existing_root(typo.to_str().unwrap()).unwrap_err();
        assert!(matches!(e, WarehouseError::NotAWarehouse { .. }), "{e}");
        assert!(
            !typo.exists(),
            "a reading command must not create the folder"
        );
        let url = resolve_root(typo.to_str().unwrap()).unwrap();
        std::fs::create_dir_all(typo.join(CROSSDOCK_DIR)).unwrap();
        assert_eq!(resolve_existing_root(typo.to_str().unwrap()).unwrap(), url);
        assert!(settings_path(&url)
            .unwrap()
            .ends_with("_crossdock/settings.json"));
        assert!(access_store_path(&url)
            .unwrap()
            .ends_with("_crossdock/access.sqlite3"));
    }

    #[test]
    fn unsupported_schemes_are_named() {
        let e = resolve_root("ftp://host/x").unwrap_err().to_string();
        assert!(e.contains("ftp"), "{e}");
        assert!(resolve_root("").is_err());
    }
}
