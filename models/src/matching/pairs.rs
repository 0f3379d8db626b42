//! The pair format of the ER-Magellan benchmarks (as redistributed by Ditto):
//! one candidate pair per line, three tab-separated fields — left record,
//! right record, label (`1` = same product, `0` = different). A record is a
//! sequence of `COL <attribute> VAL <value>` groups:
//!
//! ```text
//! COL title VAL sony cyber-shot dscw120p COL price VAL 104.95<TAB>COL title VAL sony dsc-w120 COL price VAL 99<TAB>1
//! ```
//!
//! Every bad line is reported with the file and line number; nothing panics
//! and nothing is dropped silently (blank lines are the only ones skipped).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{MatchError, Result};

/// One side of a pair: attribute → value, in the order given (values may
/// be empty: an attribute the source left blank).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Record {
    /// `(attribute, value)` in the record's order.
    pub attrs: Vec<(String, String)>,
}

impl Record {
    /// A record from `(attribute, value)` pairs.
    pub fn new<A: Into<String>, V: Into<String>>(attrs: impl IntoIterator<Item = (A, V)>) -> Self {
        Record {
            attrs: attrs
                .into_iter()
                .map(|(a, v)| (a.into(), v.into()))
                .collect(),
        }
    }

    /// The value of an attribute (`None` when the record does not have it;
    /// `Some("")` when it has it empty).
    pub fn get(&self, attr: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == attr)
            .map(|(_, v)| v.as_str())
    }

    /// All non-empty values joined by spaces, prices excluded (see
    /// [`is_price_attr`]).
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (a, v) in &self.attrs {
            if is_price_attr(a) || v.trim().is_empty() {
                continue;
            }
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(v.trim());
        }
        s
    }
}

/// Whether an attribute holds a price (`price`, `list_price`, `unit price`, ...).
pub fn is_price_attr(attr: &str) -> bool {
    attr.to_ascii_lowercase().contains("price")
}

/// A labelled candidate pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// The left record (in the benchmarks: one source; in crossdock: the catalog line).
    pub left: Record,
    /// The right record (the other source; in crossdock: the product).
    pub right: Record,
    /// Whether they are the same product.
    pub label: bool,
}

/// Parses one record: `COL <attribute> VAL <value> COL ...`. An attribute
/// is one word; a value runs to the next `COL <word> VAL`.
pub fn parse_record(text: &str) -> std::result::Result<Record, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return Err("empty record (expected `COL <attribute> VAL <value> ...`)".into());
    }
    let starts_group = |i: usize| {
        words.get(i) == Some(&"COL") && words.get(i + 2) == Some(&"VAL") && i + 1 < words.len()
    };
    if !starts_group(0) {
        let head: String = text.chars().take(40).collect();
        return Err(format!(
            "a record must start with `COL <attribute> VAL`, found {head:?}"
        ));
    }
    let mut attrs = Vec::new();
    let mut i = 0;
    while i < words.len() {
        // starts_group(i) holds here
        let attr = words[i + 1].to_string();
        let mut j = i + 3;
        while j < words.len() && !starts_group(j) {
            j += 1;
        }
        attrs.push((attr, words[i + 3..j].join(" ")));
        i = j;
    }
    Ok(Record { attrs })
}

/// Parses one line of a pairs file (without its line end).
pub fn parse_line(line: &str) -> std::result::Result<Pair, String> {
    let fields: Vec<&str> = line.split('\t').collect();
    if fields.len() != 3 {
        return Err(format!(
            "expected 3 tab-separated fields (left record, right record, label), found {}",
            fields.len()
        ));
    }
    let left = parse_record(fields[0]).map_err(|e| format!("left record: {e}"))?;
    let right = parse_record(fields[1]).map_err(|e| format!("right record: {e}"))?;
    let label = match fields[2].trim() {
        "1" => true,
        "0" => false,
        other => return Err(format!("label must be 0 or 1, found {other:?}")),
    };
    Ok(Pair { left, right, label })
}

/// Parses a whole pairs file's text; `path` names it in errors. Blank lines
/// are skipped; the first bad line is an error naming its number.
pub fn parse_pairs(text: &str, path: &Path) -> Result<Vec<Pair>> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let pair = parse_line(line).map_err(|reason| MatchError::Pairs {
            path: path.to_path_buf(),
            line: n + 1,
            reason,
        })?;
        out.push(pair);
    }
    if out.is_empty() {
        return Err(MatchError::Data {
            path: path.to_path_buf(),
            reason: "no pairs in this file".into(),
        });
    }
    Ok(out)
}

/// Reads a pairs file.
pub fn read_pairs(path: &Path) -> Result<Vec<Pair>> {
    let bytes = std::fs::read(path).map_err(|source| MatchError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
            return Err(MatchError::Pairs {
                path: path.to_path_buf(),
                line,
                reason: "not UTF-8 text".into(),
            });
        }
    };
    parse_pairs(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_groups_and_empty_values() {
        let r =
            parse_record("COL title VAL sony dsc-w120 COL brand VAL  COL price VAL 99.5").unwrap();
        assert_eq!(r.get("title"), Some("sony dsc-w120"));
        assert_eq!(r.get("brand"), Some(""));
        assert_eq!(r.get("price"), Some("99.5"));
        assert_eq!(r.get("colour"), None);
        assert_eq!(r.text(), "sony dsc-w120");
    }

    #[test]
    fn col_inside_a_value_is_kept_when_not_a_group() {
        let r = parse_record("COL title VAL COL cable VAL").unwrap();
        // `COL cable VAL` at the end starts a group with an empty value
        assert_eq!(r.attrs.len(), 2);
        let r = parse_record("COL title VAL the COL word COL x VAL y").unwrap();
        assert_eq!(r.get("title"), Some("the COL word"));
        assert_eq!(r.get("x"), Some("y"));
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let p = Path::new("pairs.txt");
        let text = "COL a VAL x\tCOL a VAL x\t1\n\nCOL a VAL x\tCOL a VAL y\tyes\n";
        let e = parse_pairs(text, p).unwrap_err().to_string();
        assert!(e.contains("pairs.txt: line 3: label must be 0 or 1"), "{e}");
        let e = parse_pairs("COL a VAL x\t1\n", p).unwrap_err().to_string();
        assert!(e.contains("line 1: expected 3 tab-separated fields"), "{e}");
        let e = parse_pairs("title x\tCOL a VAL y\t0\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("left record: a record must start with"), "{e}");
        let e = parse_pairs("\n\n", p).unwrap_err().to_string();
        assert!(e.contains("no pairs"), "{e}");
    }

    #[test]
    fn crlf_and_labels() {
        let ps = parse_pairs(
            "COL a VAL x\tCOL a VAL x\t1\r\nCOL a VAL x\tCOL a VAL z\t0\r\n",
            Path::new("f"),
        )
        .unwrap();
        assert_eq!(ps.len(), 2);
        assert!(ps[0].label && !ps[1].label);
    }
}
