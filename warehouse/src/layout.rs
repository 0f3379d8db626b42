//! Where each table lives under the warehouse root.
//!
//! ```text
//! <root>/
//!   current/<odoo table>/        current state, one row per primary key (Delta)
//!   changes/<odoo table>/        append-only change log (Delta)
//!   _crossdock/checkpoints/      one row per applied batch: source position, times (Delta)
//!   _crossdock/settings.json     business settings the KPIs read (channel discount policy, ...)
//! ```
//!
//! The root is a URL so that object storage can follow; a plain path is a
//! local directory (created when missing).

use std::path::Path;

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

/// The URL of the checkpoint table.
pub fn checkpoints_url(root: &Url) -> Url {
    root.join("_crossdock/checkpoints/").expect("constant path")
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
    fn unsupported_schemes_are_named() {
        let e = resolve_root("ftp://host/x").unwrap_err().to_string();
        assert!(e.contains("ftp"), "{e}");
        assert!(resolve_root("").is_err());
    }
}
