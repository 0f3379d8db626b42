//! Labelled messages from a CSV file, and a stratified split of them.

use std::collections::BTreeMap;
use std::path::Path;

use super::labels::csv_err;
use super::linear::SplitMix;
use super::{Result, TriageError};

/// One labelled row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Its line in the file (the header is line 1).
    pub line: u64,
    /// The message.
    pub text: String,
    /// The label.
    pub label: String,
    /// The tagged entity's type (`order_id`, `invoice_id`, ...), when the
    /// file has an `entity_type` column and the row one.
    pub entity_type: Option<String>,
    /// The tagged entity's value, when the file has `entity_value`.
    pub entity_value: Option<String>,
}

/// A labelled file.
#[derive(Debug, Clone, Default)]
pub struct Labelled {
    /// The rows.
    pub rows: Vec<Row>,
    /// True when the file has `entity_type` and `entity_value` columns.
    pub has_entities: bool,
}

/// Reads `text_column` and `label_column` (and `entity_type` /
/// `entity_value` when present) of every row. A row with an empty text or
/// label is an error naming its line and column.
pub fn read_labelled(path: &Path, text_column: &str, label_column: &str) -> Result<Labelled> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| csv_err(path, &e))?;
    let headers = rdr.headers().map_err(|e| csv_err(path, &e))?.clone();
    let find = |name: &str| headers.iter().position(|h| h.trim() == name);
    let need = |name: &str| {
        find(name).ok_or_else(|| TriageError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            available: headers.iter().collect::<Vec<_>>().join(","),
        })
    };
    let (ct, cl) = (need(text_column)?, need(label_column)?);
    let (cet, cev) = (find("entity_type"), find("entity_value"));
    let mut out = Labelled {
        rows: Vec::new(),
        has_entities: cet.is_some() && cev.is_some(),
    };
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_err(path, &e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |c: usize, name: &str| -> Result<String> {
            let v = rec.get(c).unwrap_or("").trim();
            if v.is_empty() {
                return Err(TriageError::Csv {
                    path: path.to_path_buf(),
                    line,
                    reason: format!("column {name:?} is empty"),
                });
            }
            Ok(v.to_string())
        };
        let opt = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        out.rows.push(Row {
            line,
            text: get(ct, text_column)?,
            label: get(cl, label_column)?,
            entity_type: opt(cet),
            entity_value: opt(cev),
        });
    }
    Ok(out)
}

/// Splits row indices into (kept, held out) with about `share` of every
/// label held out (at least one of a label with two or more rows), in an
/// order fixed by `seed`.
pub fn stratified_split(labels: &[&str], share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_label.entry(l).or_default().push(i);
    }
    let mut rng = SplitMix::new(seed);
    let (mut keep, mut held) = (Vec::new(), Vec::new());
    for (_, mut idx) in by_label {
        rng.shuffle(&mut idx);
        let mut n = (idx.len() as f64 * share).round() as usize;
        if share > 0.0 && n == 0 && idx.len() >= 2 {
            n = 1;
        }
        n = n.min(idx.len().saturating_sub(1));
        held.extend_from_slice(&idx[..n]);
        keep.extend_from_slice(&idx[n..]);
    }
    keep.sort_unstable();
    held.sort_unstable();
    (keep, held)
}

/// Sizes of a split written by [`write_split`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitSizes {
    /// Rows written to the training file.
    pub train: usize,
    /// Rows written to the held-out file.
    pub test: usize,
}

/// Splits a CSV file by [`stratified_split`] on `label_column` and writes
/// both parts, every column kept, the header in each.
pub fn write_split(
    input: &Path,
    label_column: &str,
    test_share: f64,
    seed: u64,
    train_out: &Path,
    test_out: &Path,
) -> Result<SplitSizes> {
    let mut rdr = csv::ReaderBuilder::new()
        .from_path(input)
        .map_err(|e| csv_err(input, &e))?;
    let headers = rdr.headers().map_err(|e| csv_err(input, &e))?.clone();
    let cl = headers
        .iter()
        .position(|h| h.trim() == label_column)
        .ok_or_else(|| TriageError::MissingColumn {
            path: input.to_path_buf(),
            column: label_column.to_string(),
            available: headers.iter().collect::<Vec<_>>().join(","),
        })?;
    let records: Vec<csv::StringRecord> = rdr
        .records()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| csv_err(input, &e))?;
    let labels: Vec<&str> = records
        .iter()
        .map(|r| r.get(cl).unwrap_or("").trim())
        .collect();
    let (keep, held) = stratified_split(&labels, test_share, seed);
    for (path, idx) in [(train_out, &keep), (test_out, &held)] {
        let mut w = csv::Writer::from_path(path).map_err(|e| csv_err(path, &e))?;
        w.write_record(&headers).map_err(|e| csv_err(path, &e))?;
        for i in idx.iter() {
            w.write_record(&records[*i])
                .map_err(|e| csv_err(path, &e))?;
        }
        w.flush().map_err(|e| TriageError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
    }
    Ok(SplitSizes {
        train: keep.len(),
        test: held.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stratified_and_fixed_by_the_seed() {
        let labels: Vec<&str> = (0..100)
            .map(|i| if i % 4 == 0 { "a" } else { "b" })
            .collect();
        let (k, h) = stratified_split(&labels, 0.2, 1);
        assert_eq!(h.len(), 20);
        assert_eq!(h.iter().filter(|i| labels[**i] == "a").count(), 5);
        assert_eq!(k.len() + h.len(), 100);
        assert_eq!(stratified_split(&labels, 0.2, 1), (k, h.clone()));
        assert_ne!(stratified_split(&labels, 0.2, 2).1, h);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let dir = std::env::temp_dir().join(format!("cd-triage-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.csv");
        std::fs::write(&p, "text,label\nhello,a\n,b\n").unwrap();
        let e = read_labelled(&p, "text", "label").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("\"text\""), "{e}");
        let e = read_labelled(&p, "body", "label").unwrap_err().to_string();
        assert!(
            e.contains("no column \"body\"") && e.contains("text,label"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
