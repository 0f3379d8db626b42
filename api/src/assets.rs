//! `GET /static/{*path}`: the pages' scripts and styles, embedded in the
//! binary (`api/static/`), so that a page loads nothing from elsewhere.
//!
//! | path | what |
//! |---|---|
//! | `crossdock.css` | the pages' style sheet |
//! | `crossdock.js` | crossdock's own script: draws the charts of a page from their JSON data islands |
//! | `vendor/htmx/htmx.min.js` | htmx 2 (partial page updates; pages work without it) |
//! | `vendor/uplot/uPlot.iife.min.js`, `vendor/uplot/uPlot.min.css` | uPlot, the chart library |
//!
//! `api/static/vendor/README.md` says where each vendored file comes from.
//! Pages link a file by [`url`], which carries a hash of its content
//! (`/static/crossdock.css?v=<hash>`), so the answer may be cached for a
//! year (`Cache-Control: public, max-age=31536000, immutable`): a new
//! release changes the URL. The answer also has an `ETag` (the same hash)
//! and answers `If-None-Match` with 304.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::html;

/// One embedded file.
struct Asset {
    /// Its path under `/static/`.
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Every file served under `/static/`.
const ASSETS: &[Asset] = &[
    Asset {
        path: "crossdock.css",
        content_type: CSS,
        bytes: include_bytes!("../static/crossdock.css"),
    },
    Asset {
        path: "crossdock.js",
        content_type: JS,
        bytes: include_bytes!("../static/crossdock.js"),
    },
    Asset {
        path: "vendor/htmx/htmx.min.js",
        content_type: JS,
        bytes: include_bytes!("../static/vendor/htmx/htmx.min.js"),
    },
    Asset {
        path: "vendor/uplot/uPlot.iife.min.js",
        content_type: JS,
        bytes: include_bytes!("../static/vendor/uplot/uPlot.iife.min.js"),
    },
    Asset {
        path: "vendor/uplot/uPlot.min.css",
        content_type: CSS,
        bytes: include_bytes!("../static/vendor/uplot/uPlot.min.css"),
    },
];

/// How long a browser may keep a file: a year, never revalidated (the URL
/// changes with the content).
pub(crate) const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// FNV-1a, 64 bits: a stable fingerprint of a file's bytes (not a
/// security measure; it only has to change when the file does).
fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Each file's path, URL and fingerprint, computed once.
fn table() -> &'static [(&'static Asset, String, String)] {
    static TABLE: OnceLock<Vec<(&'static Asset, String, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let hash = fingerprint(a.bytes);
                (a, format!("/static/{}?v={hash}", a.path), hash)
            })
            .collect()
    })
}

/// The URL a page links a static file by, with its fingerprint:
/// `url("crossdock.css")` is `/static/crossdock.css?v=<hash>`. An unknown
/// path is a bug of a template: it panics in debug builds (and in the
/// tests, which render every page) and gives the bare path otherwise.
pub(crate) fn url(path: &str) -> &'static str {
    match table().iter().find(|(a, _, _)| a.path == path) {
        Some((_, url, _)) => url,
        None => {
            if cfg!(debug_assertions) {
                panic!("a template links /static/{path}, which is not in assets::ASSETS");
            }
            "/static/missing"
        }
    }
}

/// `GET /static/{*path}`: the file with its content type and cache
/// headers; 304 when the browser has it (`If-None-Match`); 404 for any
/// other path.
pub(crate) async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some((asset, _, hash)) = table().iter().find(|(a, _, _)| a.path == path) else {
        return html::error_page(&ApiError::NotFound {
            path: format!("/static/{path}"),
        });
    };
    let etag = format!("\"{hash}\"");
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == etag || t.trim() == "*");
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            )],
            asset.bytes,
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_fingerprinted_url() {
        for a in ASSETS {
            let u = url(a.path);
            assert!(u.starts_with(&format!("/static/{}?v=", a.path)), "{u}");
            assert!(!a.bytes.is_empty(), "{} is empty", a.path);
        }
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
        assert_eq!(fingerprint(b""), "cbf29ce484222325");
    }
}
