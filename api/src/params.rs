//! Query strings, read by hand so that every mistake becomes a 400 whose
//! message names the parameter, the value received and what is allowed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use crossdock_warehouse::kpi::{Dimension, KpiQuery};
use crossdock_warehouse::WarehouseError;

use crate::error::ApiError;

/// Longest value accepted for any parameter (longer is certainly a mistake,
/// and would make unreadable messages).
const MAX_VALUE_CHARS: usize = 200;

/// The parameters of one request, each given at most once.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: BTreeMap<&'static str, String>,
}

/// A value as shown in an error message: quoted, control characters
/// escaped, cut after 60 characters.
pub(crate) fn shown(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() > MAX {
        let cut: String = value.chars().take(MAX).collect();
        format!("{cut:?}…")
    } else {
        format!("{value:?}")
    }
}

fn list(names: &[&str]) -> String {
    match names {
        [] => "no parameters".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Splits `raw` (the part after `?`, percent-encoded) into parameters.
/// `allowed` lists the names `endpoint` accepts; anything else, or a name
/// given twice, is a 400.
pub(crate) fn parse(
    raw: Option<&str>,
    endpoint: &str,
    allowed: &'static [&'static str],
) -> Result<Params, ApiError> {
    let mut params = Params::default();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if key.is_empty() && value.is_empty() {
            continue;
        }
        let Some(name) = allowed.iter().copied().find(|a| *a == key) else {
            return Err(ApiError::BadRequest(format!(
                "unknown query parameter {}; {endpoint} accepts {}",
                shown(&key),
                list(allowed)
            )));
        };
        let chars = value.chars().count();
        if chars > MAX_VALUE_CHARS {
            return Err(ApiError::BadRequest(format!(
                "query parameter {name} is too long ({chars} characters, at most {MAX_VALUE_CHARS}): {}",
                shown(&value)
            )));
        }
        if let Some(first) = params.values.get(name) {
            return Err(ApiError::BadRequest(format!(
                "query parameter {name} is given twice ({} and {}); give it at most once",
                shown(first),
                shown(&value)
            )));
        }
        params.values.insert(name, value.into_owned());
    }
    Ok(params)
}

impl Params {
    /// The raw value of a parameter, if given.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A `YYYY-MM-DD` date; absent or empty means no date.
    pub(crate) fn date(&self, name: &str) -> Result<Option<NaiveDate>, ApiError> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => parse_date(text).map(Some).map_err(|why| {
                ApiError::BadRequest(format!(
                    "query parameter {name}: {} {why}; expected a date as YYYY-MM-DD, e.g. 2026-01-31",
                    shown(text)
                ))
            }),
        }
    }
}

/// Strict `YYYY-MM-DD` (chrono alone would accept `2026-1-5` or `+2026-01-05`).
fn parse_date(text: &str) -> Result<NaiveDate, &'static str> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape_ok {
        return Err("is not in the YYYY-MM-DD format");
    }
    let num = |r: std::ops::Range<usize>| text[r].parse::<u32>().expect("digits checked");
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    if !(1..=12).contains(&m) {
        return Err("has no such month");
    }
    NaiveDate::from_ymd_opt(y as i32, m, d).ok_or("has no such day in that month")
}

/// The period `from`..=`to` (each optional), checked to be in order.
pub(crate) fn period(params: &Params) -> Result<(Option<NaiveDate>, Option<NaiveDate>), ApiError> {
    let from = params.date("from")?;
    let to = params.date("to")?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::BadRequest(format!(
                "query parameter from ({f}) is after to ({t}), so the period is empty; \
                 give from on or before to"
            )));
        }
    }
    Ok((from, to))
}

/// The KPI query of `from`, `to` and `by` (default: `channel`).
pub(crate) fn kpi_query(params: &Params) -> Result<KpiQuery, ApiError> {
    let (from, to) = period(params)?;
    let by = match params.get("by") {
        None => KpiQuery::default().by,
        Some(text) => Dimension::parse_list(text).map_err(|e| match e {
            WarehouseError::BadRequest(message) => {
                ApiError::BadRequest(format!("query parameter by: {message}"))
            }
            other => other.into(),
        })?,
    };
    Ok(KpiQuery {
        by,
        from,
        to,
        companies: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: &[&str] = &["from", "to", "by"];

    fn message(raw: &str) -> String {
        match parse(Some(raw), "/api/kpis", ALLOWED).and_then(|p| kpi_query(&p)) {
            Ok(q) => panic!("{raw} was accepted: {q:?}"),
            Err(e) => {
                assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST, "{e}");
                e.to_string()
            }
        }
    }

    #[test]
    fn good_queries() {
        let q = kpi_query(&parse(None, "x", ALLOWED).unwrap()).unwrap();
        assert_eq!(q, KpiQuery::default());
        let p = parse(
            Some("from=2026-01-05&to=2026-01-31&by=channel%2Cmonth"),
            "x",
            ALLOWED,
        )
        .unwrap();
        let q = kpi_query(&p).unwrap();
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2026, 1, 5));
        assert_eq!(q.to, NaiveDate::from_ymd_opt(2026, 1, 31));
        assert_eq!(q.by, vec![Dimension::Channel, Dimension::Month]);
        let q = kpi_query(&parse(Some("from=&to=&"), "x", ALLOWED).unwrap()).unwrap();
        assert_eq!((q.from, q.to), (None, None));
        let q = kpi_query(&parse(Some("from=2026-02-28&to=2026-02-28"), "x", ALLOWED).unwrap())
            .unwrap();
        assert_eq!(q.from, q.to);
    }

    #[test]
    fn bad_queries_name_the_parameter_and_the_value() {
        for (raw, needles) in [
            (
                "from=2026-13-01",
                &["from", "\"2026-13-01\"", "YYYY-MM-DD", "month"][..],
            ),
            ("to=2026-02-30", &["to", "\"2026-02-30\"", "day"]),
            ("from=2026-1-5", &["from", "\"2026-1-5\"", "YYYY-MM-DD"]),
            ("from=%2B2026-01-05", &["from", "YYYY-MM-DD"]),
            ("from=yesterday", &["from", "\"yesterday\""]),
            (
                "by=colour",
                &[
                    "by",
                    "\"colour\"",
                    "channel, week, month, company, warehouse",
                ],
            ),
            ("by=", &["by", "empty"]),
            ("by=month,month", &["by", "twice"]),
            ("colour=red", &["\"colour\"", "from, to and by"]),
            (
                "from=2026-01-01&from=2026-01-02",
                &["from", "twice", "\"2026-01-02\""],
            ),
            (
                "from=2026-02-01&to=2026-01-01",
                &["from (2026-02-01)", "to (2026-01-01)", "after"],
            ),
        ] {
            let m = message(raw);
            for n in needles {
                assert!(m.contains(n), "{raw}: {m:?} lacks {n:?}");
            }
        }
        let long = format!("by={}", "x".repeat(500));
        assert!(message(&long).contains("too long"));
    }
}
