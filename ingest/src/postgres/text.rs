//! PostgreSQL's text format, both ways, for the column types of the catalog.
//!
//! - [`decode`]: the text PostgreSQL sends (pgoutput tuple data, simple-query
//!   rows) → a typed [`Value`], exactly: `numeric` keeps every digit (up to
//!   38, as [`Value::Numeric`]), `float8` round-trips (`extra_float_digits`
//!   ≥ 1 makes PostgreSQL print the shortest exact form; `NaN` and
//!   `±Infinity` are understood), timestamps keep their microseconds.
//! - [`literal`]: a [`Value`] → an SQL literal for a column of that type
//!   (quoted, with `'` doubled; sessions run with
//!   `standard_conforming_strings = on`, so backslashes are plain).
//! - [`canonical`]: one text per value that is equal exactly when the values
//!   are, whichever side (PostgreSQL or the warehouse) they came from — what
//!   `verify` hashes.
//!
//! Sessions that produce the text set [`SESSION_SETTINGS`] first
//! (`DateStyle = ISO`, hex `bytea`, shortest-exact floats), so the formats
//! below are the only ones to parse.
//!
//! Infinite dates and timestamps have no Arrow value; they are kept as the
//! smallest / largest value of the type (`i32::MIN`/`i32::MAX` days,
//! `i64::MIN`/`i64::MAX` µs) and written back as `-infinity` / `infinity`.

use chrono::{Datelike, NaiveDate};

use crossdock_change::catalog::PgType;
use crossdock_change::event::{format_unscaled, Value};

/// Settings every crossdock session to PostgreSQL starts with, so text
/// values come in the one format [`decode`] reads.
pub const SESSION_SETTINGS: &str = "SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3; \
     SET bytea_output = 'hex'; SET standard_conforming_strings = on; SET TimeZone = 'UTC'";

/// The same settings as a startup `options` string (for replication sessions).
pub const STARTUP_OPTIONS: &str =
    "-c DateStyle=ISO,YMD -c extra_float_digits=3 -c bytea_output=hex -c TimeZone=UTC";

/// Why a text could not be decoded (the caller adds table, column, position).
pub type DecodeError = String;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
}

/// Decodes PostgreSQL's text output of a value of type `pg`.
pub fn decode(pg: PgType, text: &str) -> Result<Value, DecodeError> {
    match pg {
        PgType::Int4 | PgType::Int8 => text
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|e| format!("not an integer ({e})")),
        PgType::Numeric { .. } => decode_numeric(text),
        PgType::Float8 => decode_float(text).map(Value::Float),
        PgType::Text | PgType::Jsonb => Ok(Value::Text(text.to_string())),
        PgType::Bool => match text {
            "t" | "true" => Ok(Value::Bool(true)),
            "f" | "false" => Ok(Value::Bool(false)),
            _ => Err("not a boolean".into()),
        },
        PgType::Date => decode_date(text).map(Value::Date),
        PgType::Timestamp => decode_timestamp(text).map(Value::Timestamp),
        PgType::Bytea => decode_bytea(text).map(Value::Bytes),
    }
}

/// `numeric` text (`-123.4500`) → [`Value::Numeric`], exactly: trailing
/// fractional zeros are dropped, at most 38 significant digits are kept
/// (more is an error, never a rounding). `NaN` and infinities have no
/// Arrow decimal and are errors.
pub fn decode_numeric(text: &str) -> Result<Value, DecodeError> {
    let t = text.trim();
    if matches!(t, "NaN" | "Infinity" | "-Infinity") {
        return Err(format!(
            "numeric {t} has no exact decimal representation (Decimal128)"
        ));
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("not a decimal number".into());
    }
    let frac = frac.trim_end_matches('0');
    let int = int.trim_start_matches('0');
    let digits = int.len() + frac.len();
    if digits > 38 {
        return Err(format!(
            "has {digits} significant digits; at most 38 fit a Decimal128"
        ));
    }
    if frac.len() > i8::MAX as usize {
        return Err("too many decimal places".into());
    }
    let mut unscaled: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        unscaled = unscaled * 10 + (b - b'0') as i128;
    }
    if neg {
        unscaled = -unscaled;
    }
    Ok(Value::Numeric {
        unscaled,
        scale: frac.len() as i8,
    })
}

fn decode_float(text: &str) -> Result<f64, DecodeError> {
    match text {
        "NaN" => Ok(f64::NAN),
        "Infinity" => Ok(f64::INFINITY),
        "-Infinity" => Ok(f64::NEG_INFINITY),
        _ => text
            .parse::<f64>()
            .map_err(|e| format!("not a float8 ({e})")),
    }
}

/// Splits a trailing ` BC` off; returns the rest and whether it was there.
fn split_bc(text: &str) -> (&str, bool) {
    match text.strip_suffix(" BC") {
        Some(rest) => (rest, true),
        None => (text, false),
    }
}

/// PostgreSQL's year N BC is the proleptic year 1 - N.
fn parse_ymd(ymd: &str, bc: bool) -> Result<NaiveDate, DecodeError> {
    let mut it = ymd.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (it.next(), it.next(), it.next()) else {
        return Err("not an ISO date".into());
    };
    let (y, m, d) = (
        y.parse::<i32>().map_err(|_| "bad year")?,
        m.parse::<u32>().map_err(|_| "bad month")?,
        d.parse::<u32>().map_err(|_| "bad day")?,
    );
    let y = if bc { 1 - y } else { y };
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| "date out of range".into())
}

/// `date` text (ISO) → days since 1970-01-01.
pub fn decode_date(text: &str) -> Result<i32, DecodeError> {
    match text {
        "infinity" => return Ok(i32::MAX),
        "-infinity" => return Ok(i32::MIN),
        _ => {}
    }
    let (ymd, bc) = split_bc(text);
    let d = parse_ymd(ymd, bc)?;
    Ok((d - epoch()).num_days() as i32)
}

/// `timestamp` text (ISO, UTC by Odoo's convention) → µs since the epoch.
pub fn decode_timestamp(text: &str) -> Result<i64, DecodeError> {
    match text {
        "infinity" => return Ok(i64::MAX),
        "-infinity" => return Ok(i64::MIN),
        _ => {}
    }
    let (rest, bc) = split_bc(text);
    let (ymd, hms) = rest
        .split_once(' ')
        .ok_or_else(|| "not an ISO timestamp".to_string())?;
    let date = parse_ymd(ymd, bc)?;
    let (hms, frac) = match hms.split_once('.') {
        Some((h, f)) => (h, f),
        None => (hms, ""),
    };
    let mut it = hms.splitn(3, ':');
    let (Some(h), Some(mi), Some(s)) = (it.next(), it.next(), it.next()) else {
        return Err("not an ISO time".into());
    };
    let h: i64 = h.parse().map_err(|_| "bad hour")?;
    let mi: i64 = mi.parse().map_err(|_| "bad minute")?;
    let s: i64 = s.parse().map_err(|_| "bad second")?;
    if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err("bad fraction of a second".into());
    }
    let micros: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().map_err(|_| "bad fraction")? * 10i64.pow(6 - frac.len() as u32)
    };
    let days = (date - epoch()).num_days();
    Ok(days * 86_400_000_000 + ((h * 60 + mi) * 60 + s) * 1_000_000 + micros)
}

/// `bytea` text in hex format (`\x0a1b`) → bytes.
pub fn decode_bytea(text: &str) -> Result<Vec<u8>, DecodeError> {
    let hex = text
        .strip_prefix("\\x")
        .ok_or_else(|| "bytea is not in hex format (set bytea_output = hex)".to_string())?;
    if hex.len() % 2 != 0 {
        return Err("odd number of hex digits".into());
    }
    let nibble = |c: u8| -> Result<u8, DecodeError> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err("not a hex digit".into()),
        }
    };
    hex.as_bytes()
        .chunks(2)
        .map(|p| Ok(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// ISO text of a date (days since the epoch), `BC` for years before 1.
pub fn format_date(days: i32) -> String {
    match days {
        i32::MAX => return "infinity".into(),
        i32::MIN => return "-infinity".into(),
        _ => {}
    }
    let d = epoch() + chrono::Duration::days(days as i64);
    if d.year() >= 1 {
        format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
    } else {
        format!("{:04}-{:02}-{:02} BC", 1 - d.year(), d.month(), d.day())
    }
}

/// ISO text of a timestamp (µs since the epoch), always with 6 decimals.
pub fn format_timestamp(micros: i64) -> String {
    match micros {
        i64::MAX => return "infinity".into(),
        i64::MIN => return "-infinity".into(),
        _ => {}
    }
    let days = micros.div_euclid(86_400_000_000);
    let rest = micros.rem_euclid(86_400_000_000);
    let (secs, us) = (rest / 1_000_000, rest % 1_000_000);
    let date = format_date(days as i32);
    let (date, bc) = match date.strip_suffix(" BC") {
        Some(d) => (d.to_string(), " BC"),
        None => (date, ""),
    };
    format!(
        "{date} {:02}:{:02}:{:02}.{us:06}{bc}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "Infinity".into()
    } else if f == f64::NEG_INFINITY {
        "-Infinity".into()
    } else {
        // Rust's shortest representation that parses back to the same bits
        // (PostgreSQL's float8in reads it, exponent included).
        format!("{f:?}")
    }
}

/// `(unscaled, scale)` with trailing fractional zeros removed.
fn trim_numeric(mut unscaled: i128, mut scale: i8) -> (i128, i8) {
    while scale > 0 && unscaled % 10 == 0 {
        unscaled /= 10;
        scale -= 1;
    }
    if unscaled == 0 {
        scale = 0;
    }
    (unscaled, scale)
}

/// The text PostgreSQL reads back as the same value of type `pg`; `None`
/// for SQL NULL. An error for values that cannot be written (a NUL
/// character in text, a value kind that does not fit the column).
pub fn to_pg_text(pg: PgType, v: &Value) -> Result<Option<String>, DecodeError> {
    Ok(Some(match (pg, v) {
        (_, Value::Null) => return Ok(None),
        (_, Value::Int(i)) => i.to_string(),
        (PgType::Float8, Value::Float(f)) => format_float(*f),
        (_, Value::Decimal(d)) => d.to_string(),
        (_, Value::Numeric { unscaled, scale }) => format_unscaled(*unscaled, *scale),
        (_, Value::Text(s)) => {
            if s.contains('\0') {
                return Err("text with a NUL character cannot be stored in PostgreSQL".into());
            }
            s.clone()
        }
        (_, Value::Bool(b)) => if *b { "true" } else { "false" }.to_string(),
        (_, Value::Date(d)) => format_date(*d),
        (_, Value::Timestamp(t)) => format_timestamp(*t),
        (_, Value::Bytes(b)) => format!("\\x{}", hex(b)),
        (pg, other) => {
            return Err(format!(
                "a {other:?} value cannot be written to a {pg:?} column"
            ))
        }
    }))
}

/// `s` as a quoted SQL string literal (`standard_conforming_strings = on`).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// An SQL literal for `v` in a column of type `pg` (`NULL`, or a quoted
/// text that PostgreSQL converts to the column's type).
pub fn literal(pg: PgType, v: &Value) -> Result<String, DecodeError> {
    Ok(match to_pg_text(pg, v)? {
        None => "NULL".into(),
        Some(t) => quote(&t),
    })
}

/// `name` as a quoted SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One text per value, equal exactly when the values are (decimals compared
/// by value whatever their scale, floats by their bits, NULL distinct from
/// every text). Used by `verify`.
pub fn canonical(v: &Value) -> String {
    match v {
        Value::Null => "\u{0}NULL".into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_float(*f),
        Value::Decimal(d) => {
            let (u, s) = trim_numeric(d.mantissa(), d.scale() as i8);
            format_unscaled(u, s)
        }
        Value::Numeric { unscaled, scale } => {
            let (u, s) = trim_numeric(*unscaled, *scale);
            format_unscaled(u, s)
        }
        Value::Text(s) => s.clone(),
        Value::Bool(b) => if *b { "t" } else { "f" }.into(),
        Value::Date(d) => format_date(*d),
        Value::Timestamp(t) => format_timestamp(*t),
        Value::Bytes(b) => format!("\\x{}", hex(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_keep_every_digit() {
        let big = "1234567890123456789012345678.1234567891";
        let v = decode_numeric(big).unwrap();
        assert_eq!(
            v,
            Value::Numeric {
                unscaled: 12345678901234567890123456781234567891,
                scale: 10
            }
        );
        assert_eq!(canonical(&v), big);
        assert_eq!(
            decode_numeric("-0.0500").unwrap(),
            Value::Numeric {
                unscaled: -5,
                scale: 2
            }
        );
        assert_eq!(
            decode_numeric("120").unwrap(),
            Value::Numeric {
                unscaled: 120,
                scale: 0
            }
        );
        assert_eq!(
            decode_numeric("0.000").unwrap(),
            Value::Numeric {
                unscaled: 0,
                scale: 0
            }
        );
        assert!(decode_numeric("NaN").is_err());
        assert!(decode_numeric("123456789012345678901234567890123456789").is_err());
        assert!(decode_numeric("1e5").is_err());
        // trailing zeros beyond 38 digits are fine: they carry no digit
        assert!(decode_numeric("1.000000000000000000000000000000000000000000").is_ok());
    }

    #[test]
    fn numeric_values_build_exact_decimal_columns() {
        use arrow::array::AsArray;
        use crossdock_change::event::build_column;
        let vals = [
            decode_numeric("1234567890123456789012345678.1234567891").unwrap(),
            decode_numeric("-0.5").unwrap(),
            Value::Null,
        ];
        let a = build_column(
            "t",
            "c",
            PgType::Numeric {
                precision: 38,
                scale: 10,
            },
            vals.iter(),
            &[1, 1, 1],
        )
        .unwrap();
        let a = a.as_primitive::<arrow::datatypes::Decimal128Type>();
        assert_eq!(a.value(0), 12345678901234567890123456781234567891);
        assert_eq!(a.value(1), -5_000_000_000);
        let too_fine = [decode_numeric("0.00000000001").unwrap()];
        let err = build_column(
            "t",
            "c",
            PgType::Numeric {
                precision: 38,
                scale: 10,
            },
            too_fine.iter(),
            &[9],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("decimal places"), "{err}");
    }

    #[test]
    fn floats_round_trip() {
        for f in [0.1, -0.0, 1e-300, 123456.789, f64::MAX, f64::MIN_POSITIVE] {
            let t = to_pg_text(PgType::Float8, &Value::Float(f))
                .unwrap()
                .unwrap();
            assert_eq!(decode_float(&t).unwrap().to_bits(), f.to_bits(), "{t}");
        }
        assert!(decode_float("NaN").unwrap().is_nan());
        assert_eq!(decode_float("-Infinity").unwrap(), f64::NEG_INFINITY);
        assert_eq!(decode_float("1.5e+20").unwrap(), 1.5e20);
    }

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(decode_date("1970-01-02").unwrap(), 1);
        assert_eq!(decode_date("1969-12-31").unwrap(), -1);
        assert_eq!(
            format_date(decode_date("0044-03-15 BC").unwrap()),
            "0044-03-15 BC"
        );
        let t = decode_timestamp("2026-01-05 10:11:12.000123").unwrap();
        assert_eq!(format_timestamp(t), "2026-01-05 10:11:12.000123");
        assert_eq!(
            decode_timestamp("2026-01-05 10:11:12").unwrap() % 1_000_000,
            0
        );
        assert_eq!(
            decode_timestamp("2026-01-05 10:11:12.5").unwrap() % 1_000_000,
            500_000
        );
        assert_eq!(decode_timestamp("1969-12-31 23:59:59.999999").unwrap(), -1);
        assert_eq!(format_timestamp(-1), "1969-12-31 23:59:59.999999");
        assert_eq!(decode_timestamp("infinity").unwrap(), i64::MAX);
        let bc = "0001-01-01 00:00:00.000001 BC";
        assert_eq!(format_timestamp(decode_timestamp(bc).unwrap()), bc);
    }

    #[test]
    fn bytea_and_quoting() {
        assert_eq!(decode_bytea("\\x00ff10").unwrap(), vec![0, 255, 16]);
        assert!(decode_bytea("abc").is_err());
        assert_eq!(canonical(&Value::Bytes(vec![0, 255])), "\\x00ff");
        assert_eq!(quote("it's \\ fine"), "'it''s \\ fine'");
        assert_eq!(literal(PgType::Text, &Value::Null).unwrap(), "NULL");
        assert!(literal(PgType::Text, &Value::from("a\0b")).is_err());
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn canonical_decimals_ignore_scale() {
        use std::str::FromStr;
        let a = Value::Decimal(rust_decimal::Decimal::from_str("12.500").unwrap());
        let b = Value::Numeric {
            unscaled: 125,
            scale: 1,
        };
        assert_eq!(canonical(&a), canonical(&b));
        assert_ne!(canonical(&Value::Null), canonical(&Value::from("")));
    }
}
