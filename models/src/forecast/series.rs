//! Demand series and the two CSV layouts they are read from.
//!
//! A [`Series`] is one item's demand per period (a month, a week, a day),
//! oldest first, with no gaps: `values[t]` is the quantity asked for in the
//! series' `t`-th period.
//!
//! **Wide CSV** ([`read_wide`]): a header row, then one row per series: the
//! first column is the series id, every further column one period (all series
//! share the header's periods). A blank cell is *no observation*:
//!
//! - blanks **before** the first value: the item did not exist yet — the
//!   series starts at its first filled cell;
//! - blanks **after** the last value: the history stops there (carparts has
//!   short series padded with trailing blanks) — the series ends at its last
//!   filled cell;
//! - a blank **between** two values is not guessed: by default it is an
//!   error ([`Error::Gap`]) naming the file, line, column and series, because
//!   it could mean "no demand" (0) or "not recorded" (unknown) and the two give
//!   different forecasts. [`Gaps::Zero`] reads it as zero demand when the
//!   caller knows that is what the export means.
//!
//! **Long CSV** ([`read_long`]): a header `id,period,value` (names free, order
//! fixed), one row per observation. Periods are ordered numerically when
//! every period is an integer, else as text (ISO dates `2024-03` or
//! `2024-03-01` sort correctly as text). A series spans from its first to its
//! last period among all periods in the file; a period inside that span with
//! no row (or a blank value) is a gap, handled as above. A repeated
//! `(id, period)` is an error.
//!
//! Values must be finite numbers ≥ 0 (demand); anything else is an
//! [`Error::Value`] naming where it is. Nothing is dropped silently: a row
//! with only blanks is an [`Error::Empty`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::{Error, Result};

/// One item's demand history, oldest period first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series id (first column of the wide file, `id` of the long one).
    pub id: String,
    /// Demand per period, no gaps, every value finite and ≥ 0.
    pub values: Vec<f64>,
}

/// What a blank between two observations means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gaps {
    /// Refuse the file with [`Error::Gap`] (the default).
    #[default]
    Error,
    /// Read the blank as zero demand.
    Zero,
}

fn parse_value(file: &str, line: u64, column: usize, id: &str, cell: &str) -> Result<f64> {
    let bad = |why: &str| Error::Value {
        file: file.to_string(),
        line,
        column,
        id: id.to_string(),
        value: cell.to_string(),
        why: why.to_string(),
    };
    let v: f64 = cell.trim().parse().map_err(|_| bad("not a number"))?;
    if !v.is_finite() {
        return Err(bad("not a finite number"));
    }
    if v < 0.0 {
        return Err(bad("negative demand (returns belong in their own series)"));
    }
    Ok(v)
}

fn csv_error(file: &str, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    Error::Csv {
        file: file.to_string(),
        line,
        message: e.to_string(),
    }
}

/// Reads the wide layout from a file (see the module doc).
pub fn read_wide(path: &Path, gaps: Gaps) -> Result<Vec<Series>> {
    let file = path.display().to_string();
    let reader = std::fs::File::open(path).map_err(|source| Error::Io {
        file: file.clone(),
        source,
    })?;
    parse_wide(reader, &file, gaps)
}

/// Reads the wide layout from any reader; `file` names it in errors.
pub fn parse_wide<R: std::io::Read>(reader: R, file: &str, gaps: Gaps) -> Result<Vec<Series>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let headers = rdr.headers().map_err(|e| csv_error(file, e))?.clone();
    if headers.len() < 2 {
        return Err(Error::Csv {
            file: file.to_string(),
            line: 1,
            message: "the header needs an id column and at least one period column".into(),
        });
    }
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in rdr.records() {
        let record = record.map_err(|e| csv_error(file, e))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let id = record.get(0).unwrap_or("").trim().to_string();
        if id.is_empty() {
            return Err(Error::Csv {
                file: file.to_string(),
                line,
                message: "the first column (the series id) is blank".into(),
            });
        }
        if let Some(first) = seen.insert(id.clone(), line) {
            return Err(Error::Duplicate {
                file: file.to_string(),
                line,
                id,
                what: format!("series already defined on line {first}"),
            });
        }
        let cells: Vec<&str> = record.iter().skip(1).collect();
        let filled: Vec<usize> = (0..cells.len())
            .filter(|&i| !cells[i].trim().is_empty())
            .collect();
        let (Some(&first), Some(&last)) = (filled.first(), filled.last()) else {
            return Err(Error::Empty {
                file: file.to_string(),
                line,
                id,
            });
        };
        let mut values = Vec::with_capacity(last - first + 1);
        for (i, cell) in cells.iter().enumerate().take(last + 1).skip(first) {
            // column numbers are 1-based and count the id column
            let column = i + 2;
            if cell.trim().is_empty() {
                match gaps {
                    Gaps::Error => {
                        return Err(Error::Gap {
                            file: file.to_string(),
                            line,
                            column,
                            id,
                            period: headers.get(i + 1).unwrap_or("").to_string(),
                        })
                    }
                    Gaps::Zero => values.push(0.0),
                }
            } else {
                values.push(parse_value(file, line, column, &id, cell)?);
            }
        }
        out.push(Series { id, values });
    }
    Ok(out)
}

/// Reads the long layout `id,period,value` from a file (see the module doc).
pub fn read_long(path: &Path, gaps: Gaps) -> Result<Vec<Series>> {
    let file = path.display().to_string();
    let reader = std::fs::File::open(path).map_err(|source| Error::Io {
        file: file.clone(),
        source,
    })?;
    parse_long(reader, &file, gaps)
}

/// Reads the long layout from any reader; `file` names it in errors.
pub fn parse_long<R: std::io::Read>(reader: R, file: &str, gaps: Gaps) -> Result<Vec<Series>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let headers = rdr.headers().map_err(|e| csv_error(file, e))?.clone();
    if headers.len() != 3 {
        return Err(Error::Csv {
            file: file.to_string(),
            line: 1,
            message: format!(
                "the long layout has exactly three columns id,period,value; the header has {}",
                headers.len()
            ),
        });
    }
    // id -> period -> (value, line); ids kept in order of first appearance
    let mut order: Vec<String> = Vec::new();
    let mut cells: HashMap<String, HashMap<String, (Option<f64>, u64)>> = HashMap::new();
    let mut periods: Vec<String> = Vec::new();
    let mut period_seen: HashMap<String, ()> = HashMap::new();
    for record in rdr.records() {
        let record = record.map_err(|e| csv_error(file, e))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let id = record.get(0).unwrap_or("").trim().to_string();
        let period = record.get(1).unwrap_or("").trim().to_string();
        let cell = record.get(2).unwrap_or("");
        if id.is_empty() || period.is_empty() {
            return Err(Error::Csv {
                file: file.to_string(),
                line,
                message: "the id and the period must not be blank".into(),
            });
        }
        let value = if cell.trim().is_empty() {
            None
        } else {
            Some(parse_value(file, line, 3, &id, cell)?)
        };
        if period_seen.insert(period.clone(), ()).is_none() {
            periods.push(period.clone());
        }
        let entry = cells.entry(id.clone()).or_insert_with(|| {
            order.push(id.clone());
            HashMap::new()
        });
        if let Some((_, first)) = entry.insert(period.clone(), (value, line)) {
            return Err(Error::Duplicate {
                file: file.to_string(),
                line,
                id,
                what: format!("period {period} already given on line {first}"),
            });
        }
    }
    if periods.is_empty() {
        return Ok(Vec::new());
    }
    let numeric: Option<Vec<i64>> = periods.iter().map(|p| p.parse::<i64>().ok()).collect();
    let ranked: BTreeMap<String, usize> = match numeric {
        Some(nums) => {
            let mut idx: Vec<usize> = (0..periods.len()).collect();
            idx.sort_by_key(|&i| nums[i]);
            idx.iter()
                .enumerate()
                .map(|(rank, &i)| (periods[i].clone(), rank))
                .collect()
        }
        None => {
            let mut sorted = periods.clone();
            sorted.sort();
            sorted
                .into_iter()
                .enumerate()
                .map(|(r, p)| (p, r))
                .collect()
        }
    };
    let mut by_rank: Vec<&String> = vec![&periods[0]; ranked.len()];
    for (p, &r) in &ranked {
        by_rank[r] = p;
    }
    let mut out = Vec::with_capacity(order.len());
    for id in order {
        let obs = &cells[&id];
        let filled: Vec<usize> = obs
            .iter()
            .filter(|(_, (v, _))| v.is_some())
            .map(|(p, _)| ranked[p])
            .collect();
        let (Some(&first), Some(&last)) = (filled.iter().min(), filled.iter().max()) else {
            let line = obs.values().map(|(_, l)| *l).min().unwrap_or(0);
            return Err(Error::Empty {
                file: file.to_string(),
                line,
                id,
            });
        };
        let mut values = Vec::with_capacity(last - first + 1);
        for (r, period) in by_rank.iter().enumerate().take(last + 1).skip(first) {
            match obs.get(*period) {
                Some((Some(v), _)) => values.push(*v),
                missing => match gaps {
                    Gaps::Zero => values.push(0.0),
                    Gaps::Error => {
                        return Err(Error::Gap {
                            file: file.to_string(),
                            line: missing.map(|(_, l)| *l).unwrap_or(0),
                            column: 3,
                            id,
                            period: by_rank[r].clone(),
                        })
                    }
                },
            }
        }
        out.push(Series { id, values });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_trims_leading_and_trailing_blanks() {
        let csv = "id,p1,p2,p3,p4\na,,1,2,\nb,0,0,3,4\n";
        let s = parse_wide(csv.as_bytes(), "t.csv", Gaps::Error).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].id, "a");
        assert_eq!(s[0].values, vec![1.0, 2.0]);
        assert_eq!(s[1].values, vec![0.0, 0.0, 3.0, 4.0]);
    }

    #[test]
    fn wide_interior_blank_is_an_error_naming_where_or_zero_when_asked() {
        let csv = "id,p1,p2,p3\na,1,,2\n";
        let e = parse_wide(csv.as_bytes(), "t.csv", Gaps::Error).unwrap_err();
        match &e {
            Error::Gap {
                file,
                line,
                column,
                id,
                period,
            } => {
                assert_eq!(
                    (file.as_str(), *line, *column, id.as_str(), period.as_str()),
                    ("t.csv", 2, 3, "a", "p2")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("t.csv"), "{e}");
        let s = parse_wide(csv.as_bytes(), "t.csv", Gaps::Zero).unwrap();
        assert_eq!(s[0].values, vec![1.0, 0.0, 2.0]);
    }

    #[test]
    fn wide_bad_values_name_file_line_column_and_series() {
        for (cell, why) in [("x", "not a number"), ("-1", "negative"), ("inf", "finite")] {
            let csv = format!("id,p1,p2\na,1,2\nb,3,{cell}\n");
            let e = parse_wide(csv.as_bytes(), "d.csv", Gaps::Error).unwrap_err();
            let text = e.to_string();
            assert!(
                matches!(&e, Error::Value { line: 3, column: 3, id, .. } if id == "b"),
                "{e:?}"
            );
            assert!(text.contains(why) && text.contains("d.csv"), "{text}");
        }
        let e = parse_wide("id,p1\na,1\na,2\n".as_bytes(), "d.csv", Gaps::Error).unwrap_err();
        assert!(matches!(e, Error::Duplicate { line: 3, .. }), "{e:?}");
        let e = parse_wide("id,p1\na,\n".as_bytes(), "d.csv", Gaps::Error).unwrap_err();
        assert!(matches!(e, Error::Empty { line: 2, .. }), "{e:?}");
        // a ragged row is the csv reader's error, with its line
        let e = parse_wide("id,p1,p2\na,1\n".as_bytes(), "d.csv", Gaps::Error).unwrap_err();
        assert!(matches!(e, Error::Csv { line: 2, .. }), "{e:?}");
    }

    #[test]
    fn long_orders_periods_and_finds_gaps() {
        let csv =
            "id,period,value\na,2024-03,3\na,2024-01,1\nb,2024-02,5\na,2024-02,2\nb,2024-03,0\n";
        let s = parse_long(csv.as_bytes(), "l.csv", Gaps::Error).unwrap();
        assert_eq!(s[0].id, "a");
        assert_eq!(s[0].values, vec![1.0, 2.0, 3.0]);
        assert_eq!(s[1].values, vec![5.0, 0.0]);
        // numeric periods sort as numbers (10 after 9)
        let csv = "id,period,value\na,10,3\na,9,2\na,8,1\n";
        let s = parse_long(csv.as_bytes(), "l.csv", Gaps::Error).unwrap();
        assert_eq!(s[0].values, vec![1.0, 2.0, 3.0]);
        // a missing period inside the span
        let csv = "id,period,value\na,1,3\na,3,2\nb,2,1\n";
        let e = parse_long(csv.as_bytes(), "l.csv", Gaps::Error).unwrap_err();
        assert!(
            matches!(&e, Error::Gap { id, period, .. } if id == "a" && period == "2"),
            "{e:?}"
        );
        let s = parse_long(csv.as_bytes(), "l.csv", Gaps::Zero).unwrap();
        assert_eq!(s[0].values, vec![3.0, 0.0, 2.0]);
        let e = parse_long(
            "id,period,value\na,1,3\na,1,4\n".as_bytes(),
            "l.csv",
            Gaps::Error,
        )
        .unwrap_err();
        assert!(matches!(e, Error::Duplicate { line: 3, .. }), "{e:?}");
        // a header alone: no series (the command says so), no panic
        let none = parse_long("id,period,value\n".as_bytes(), "l.csv", Gaps::Error).unwrap();
        assert!(none.is_empty());
        let e =
            parse_long("id,period,value\na,1,x\n".as_bytes(), "l.csv", Gaps::Error).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Value {
                    line: 2,
                    column: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = parse_long("id,period\na,1\n".as_bytes(), "l.csv", Gaps::Error).unwrap_err();
        assert!(matches!(e, Error::Csv { line: 1, .. }), "{e:?}");
    }
}
