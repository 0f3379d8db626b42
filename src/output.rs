//! Rendering KPI reports as an aligned table or CSV, and writing what
//! commands print to standard output.

use std::io::Write;

use crate::CliError;

/// Writes `text` to standard output. Output closed by the reader (`crossdock
/// user tokens | head`) ends the listing quietly: the command succeeds, as
/// with the usual SIGPIPE behaviour, instead of panicking.
pub fn print_list(text: &str) -> Result<(), CliError> {
    match write_stdout(text) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(stdout_error),
    }
}

/// Writes a secret shown once (a password, a token) to standard output:
/// when it cannot be written, even to a closed pipe, that is an error,
/// since nobody will see it.
pub fn print_secret(text: &str) -> Result<(), CliError> {
    write_stdout(text).map_err(stdout_error)
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn stdout_error(source: std::io::Error) -> CliError {
    CliError::Io {
        path: "<stdout>".into(),
        source,
    }
}

use crossdock_warehouse::kpi::{self, KpiReport, KpiRow};
use rust_decimal::Decimal;

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn days(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}

/// Money with thousands separators and 2 decimals (display only; JSON and
/// CSV keep the exact value).
pub fn money(v: Decimal) -> String {
    let rounded = v.round_dp(2);
    let neg = rounded.is_sign_negative() && !rounded.is_zero();
    let text = format!("{:.2}", rounded.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if neg { "-" } else { "" })
}

const COLUMNS: [&str; 12] = [
    "lines shipped",
    "line fill",
    "unit fill",
    "OTIF",
    "cycle p50 d",
    "cycle p90 d",
    "revenue",
    "margin %",
    "over-discount",
    "below list",
    "below cost",
    "orders due",
];

fn cells(row: &KpiRow) -> Vec<String> {
    let count = |f: &str| {
        row.int(f)
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into())
    };
    let amount = |f: &str| row.decimal(f).map(money).unwrap_or_else(|| "-".into());
    vec![
        count("lines_shipped"),
        pct(row.float("line_fill_rate")),
        pct(row.float("unit_fill_rate")),
        pct(row.float("otif")),
        days(row.float("cycle_p50_days")),
        days(row.float("cycle_p90_days")),
        amount("revenue"),
        pct(row.float("margin_pct")),
        amount("leak_over_discount"),
        amount("leak_below_pricelist"),
        amount("leak_below_cost"),
        count("orders_due"),
    ]
}

/// An aligned text table, one line per group.
pub fn table(report: &KpiReport) -> String {
    let mut header: Vec<String> = report.by.clone();
    header.extend(COLUMNS.iter().map(|s| s.to_string()));
    let mut rows: Vec<Vec<String>> = Vec::new();
    for r in &report.rows {
        let mut line: Vec<String> = report
            .by
            .iter()
            .map(|d| r.group.get(d).cloned().unwrap_or_default())
            .collect();
        line.extend(cells(r));
        rows.push(line);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(header[i].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let dims = report.by.len();
    let fmt = |cells: &[String]| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i < dims {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = fmt(&header);
    out.push('\n');
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
    out.push('\n');
    for r in &rows {
        out.push_str(&fmt(r));
        out.push('\n');
    }
    if rows.is_empty() {
        out.push_str("(no confirmed orders in this period)\n");
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV with a header: the dimensions, then every KPI field of the
/// registry (`crossdock_warehouse::kpi::REGISTRY`), in its order; numbers
/// unrounded, money exact, null as an empty field.
pub fn csv(report: &KpiReport) -> String {
    let mut header: Vec<String> = report.by.clone();
    header.extend(kpi::fields().map(|f| f.name.to_string()));
    let mut out = header.join(",");
    out.push('\n');
    for r in &report.rows {
        let mut fields: Vec<String> = report
            .by
            .iter()
            .map(|d| csv_field(r.group.get(d).map(String::as_str).unwrap_or("")))
            .collect();
        fields.extend(r.values.iter().map(|(_, v)| csv_field(&v.to_string())));
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn money_is_grouped_and_rounded_for_display() {
        assert_eq!(
            money(Decimal::from_str("1234567.891").unwrap()),
            "1,234,567.89"
        );
        assert_eq!(money(Decimal::from_str("-12.5").unwrap()), "-12.50");
        assert_eq!(money(Decimal::ZERO), "0.00");
        assert_eq!(money(Decimal::from_str("999").unwrap()), "999.00");
    }

    #[test]
    fn csv_quotes_when_needed() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
