//! Normalising product text: case, punctuation, numbers with their units
//! (`M8x40`, `500 ml`, `12-pack`, `3.5"`), and model numbers (`DSC-W120`,
//! `lds4821ww`, `MB13-PNK-SEE-V2`).
//!
//! ```
//! use crossdock_models::matching::normalize::analyse;
//!
//! let a = analyse("Sony Cyber-shot DSC-W120/P 7.2MP, 4x zoom");
//! assert!(a.tokens.contains(&"cybershot".to_string()));
//! assert!(a.codes.contains(&"dscw120p".to_string()));
//! assert!(a.numbers.contains(&"7.2mp".to_string()));
//! assert!(a.numbers.contains(&"4x".to_string()));
//! ```

use std::sync::OnceLock;

use regex::Regex;

/// Words too common to carry evidence.
const STOP: &[&str] = &[
    "a", "an", "and", "the", "of", "for", "with", "in", "on", "to", "by", "or", "from", "at", "&",
];

/// A text taken apart for comparison.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysed {
    /// Lower-case word tokens, stop words out; a hyphenated or slashed word
    /// gives its parts and the parts joined (`cyber-shot` → `cyber`,
    /// `shot`, `cybershot`).
    pub tokens: Vec<String>,
    /// Numbers with their normalised unit: `500ml`, `12pack`, `m8x40`,
    /// `24in`, `2` (trailing `.0` dropped, `,` as decimal point read as `.`).
    pub numbers: Vec<String>,
    /// Model-number-like codes: a word with letters and digits (or five or
    /// more digits), at least four characters once `-`, `/` and `.` are
    /// removed, and not a number with a unit.
    pub codes: Vec<String>,
    /// Lower-case letters and digits only, for substring tests.
    pub compact: String,
}

fn number_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // (m)8 x 40 (unit) | 500 ml | 12-pack | 3.5" | 24 '
        Regex::new(
            r#"(?x)
            \b(m)?(\d+(?:[.,]\d+)?)
            (?:\s?x\s?(\d+(?:[.,]\d+)?))?
            (?:
                \s?-?\s?(millilitres?|milliliters?|ml|litres?|liters?|ltrs?|l|kilograms?|kgs?|grams?|g|mg|
                         millimeters?|millimetres?|mm|centimeters?|centimetres?|cm|meters?|metres?|m|
                         inch(?:es)?|in|feet|foot|ft|
                         gb|tb|mb|mhz|ghz|hz|mp|megapixels?|watts?|w|volts?|v|mah|ah|
                         lbs?|pounds?|oz|ounces?|
                         packs?|pk|pcs?|pieces?|ct|count|pairs?|rolls?|sheets?|x)\b
              | \s?("|''|')
              | \b
            )
            "#,
        )
        .expect("the number pattern compiles")
    })
}

fn unit_name(u: &str) -> &'static str {
    match u {
        "millilitre" | "millilitres" | "milliliter" | "milliliters" | "ml" => "ml",
        "litre" | "litres" | "liter" | "liters" | "ltr" | "ltrs" | "l" => "l",
        "kilogram" | "kilograms" | "kg" | "kgs" => "kg",
        "gram" | "grams" | "g" => "g",
        "mg" => "mg",
        "millimeter" | "millimeters" | "millimetre" | "millimetres" | "mm" => "mm",
        "centimeter" | "centimeters" | "centimetre" | "centimetres" | "cm" => "cm",
        "meter" | "meters" | "metre" | "metres" | "m" => "m",
        "inch" | "inches" | "in" | "\"" | "''" | "'" => "in",
        "feet" | "foot" | "ft" => "ft",
        "gb" => "gb",
        "tb" => "tb",
        "mb" => "mb",
        "mhz" => "mhz",
        "ghz" => "ghz",
        "hz" => "hz",
        "mp" | "megapixel" | "megapixels" => "mp",
        "watt" | "watts" | "w" => "w",
        "volt" | "volts" | "v" => "v",
        "mah" => "mah",
        "ah" => "ah",
        "lb" | "lbs" | "pound" | "pounds" => "lb",
        "oz" | "ounce" | "ounces" => "oz",
        "x" => "x",
        _ => "pack",
    }
}

/// A number as written, normalised: `,` → `.`, trailing zeros after the
/// point dropped (`2.0` → `2`, `1.50` → `1.5`), leading zeros dropped.
pub fn norm_number(s: &str) -> String {
    let s = s.replace(',', ".");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    let t = s.trim_start_matches('0');
    if t.is_empty() || t.starts_with('.') {
        format!("0{t}")
    } else {
        t.to_string()
    }
}

/// Lower-case letters and digits only.
pub fn compact(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Takes a text apart: tokens, numbers with units, codes, compact form.
pub fn analyse(text: &str) -> Analysed {
    let lower = text.to_lowercase();
    let mut out = Analysed {
        compact: compact(&lower),
        ..Analysed::default()
    };
    // numbers with units
    for c in number_re().captures_iter(&lower) {
        let num = norm_number(&c[2]);
        let thread = c.get(1).is_some();
        let by = c.get(3).map(|m| norm_number(m.as_str()));
        let unit = c.get(4).or_else(|| c.get(5)).map(|m| unit_name(m.as_str()));
        let mut s = String::new();
        if thread {
            s.push('m');
        }
        s.push_str(&num);
        if let Some(b) = &by {
            s.push('x');
            s.push_str(b);
        }
        if let Some(u) = unit {
            if !(u == "x" && by.is_some()) {
                s.push_str(u);
            }
        }
        if thread && by.is_none() && unit.is_none() {
            // `m8` alone is as likely a model code as a thread: keep the number
            s = num.clone();
        }
        out.numbers.push(s);
    }
    // words
    for raw in lower.split_whitespace() {
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if w.is_empty() {
            continue;
        }
        let parts: Vec<&str> = w
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty())
            .collect();
        for p in &parts {
            if !STOP.contains(p) {
                out.tokens.push((*p).to_string());
            }
        }
        let joined: String = parts.concat();
        if parts.len() > 1 {
            out.tokens.push(joined.clone());
        }
        let has_digit = joined.chars().any(|c| c.is_ascii_digit());
        let has_alpha = joined.chars().any(|c| c.is_alphabetic());
        let all_digit = has_digit && !has_alpha;
        if joined.chars().count() >= 4
            && has_digit
            && (has_alpha || (all_digit && joined.len() >= 5))
        {
            // a number with a unit (`500ml`, `12pack`) is not a code
            let as_unit = out
                .numbers
                .iter()
                .any(|n| n == &joined && n.chars().any(|c| c.is_alphabetic()));
            if !as_unit && !is_unit_number(&joined) {
                out.codes.push(joined);
            }
        }
    }
    dedup(&mut out.tokens);
    dedup(&mut out.numbers);
    dedup(&mut out.codes);
    out
}

/// `500ml`, `12pk`, `2gb`, `1080p` and the like: digits then a short unit.
fn is_unit_number(s: &str) -> bool {
    let d = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .count();
    if d == 0 {
        return false;
    }
    let rest = &s[d..];
    matches!(
        rest,
        "ml" | "l"
            | "g"
            | "kg"
            | "mg"
            | "mm"
            | "cm"
            | "m"
            | "in"
            | "ft"
            | "gb"
            | "tb"
            | "mb"
            | "mhz"
            | "ghz"
            | "hz"
            | "mp"
            | "w"
            | "v"
            | "mah"
            | "lb"
            | "lbs"
            | "oz"
            | "pack"
            | "pk"
            | "pcs"
            | "ct"
            | "p"
            | "i"
            | "x"
            | "k"
            | "th"
            | "st"
            | "nd"
            | "rd"
            | "s"
            | "fps"
            | "bit"
            | "mbps"
            | "rpm"
            | "ms"
            | "db"
            | "lm"
            | "ohm"
            | "a"
            | "ah"
    )
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.clone()));
}

/// A price as written (`$1,299.00`, `104.95`, `1.299,00`) as a number;
/// `None` when there is none.
pub fn parse_price(s: &str) -> Option<f64> {
    let t: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    if t.is_empty() {
        return None;
    }
    // the last separator is the decimal point when 1-2 digits follow it
    let last = t.rfind(['.', ',']);
    let cleaned = match last {
        Some(i) if t.len() - i - 1 <= 2 => {
            let (int, frac) = t.split_at(i);
            let int: String = int.chars().filter(|c| c.is_ascii_digit()).collect();
            format!("{int}.{}", &frac[1..])
        }
        _ => t.chars().filter(|c| c.is_ascii_digit()).collect(),
    };
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nums(s: &str) -> Vec<String> {
        analyse(s).numbers
    }

    #[test]
    fn units_and_sizes() {
        assert_eq!(nums("M8x40 hex bolt"), ["m8x40"]);
        assert_eq!(nums("m8 x 40"), ["m8x40"]);
        assert_eq!(nums("500 ml bottle"), ["500ml"]);
        assert_eq!(nums("0.5 Litre"), ["0.5l"]);
        assert_eq!(nums("12-pack"), ["12pack"]);
        assert_eq!(nums("12 pk"), ["12pack"]);
        assert_eq!(nums("pack of 12 pcs"), ["12pack"]);
        assert_eq!(nums("lg 24 ' dishwasher"), ["24in"]);
        assert_eq!(nums("24\" monitor"), ["24in"]);
        assert_eq!(nums("version 2.0"), ["2"]);
        assert_eq!(nums("3,5 mm jack"), ["3.5mm"]);
        assert_eq!(nums("4GB"), ["4gb"]);
        assert_eq!(nums("57 3 4 x 77"), ["57", "3", "4x77"]);
    }

    #[test]
    fn codes_are_found_and_units_are_not_codes() {
        let a = analyse("LG LDS4821WW semi-integrated, 16 place settings, 500ml, 1080p");
        assert_eq!(a.codes, ["lds4821ww"]);
        let a = analyse("speck mb13-pnk-see-v2 case");
        assert_eq!(a.codes, ["mb13pnkseev2"]);
        assert!(a.tokens.contains(&"mb13".to_string()));
        let a = analyse("da-lite 27514 screen, 2007 edition");
        assert_eq!(a.codes, ["27514"]);
        assert!(analyse("cs3 mac").codes.is_empty());
    }

    #[test]
    fn stop_words_and_punctuation() {
        let a = analyse("The Case, for (MacBook) Air!");
        assert_eq!(a.tokens, ["case", "macbook", "air"]);
        assert_eq!(a.compact, "thecaseformacbookair");
    }

    #[test]
    fn prices() {
        assert_eq!(parse_price("104.95"), Some(104.95));
        assert_eq!(parse_price("$1,299.00"), Some(1299.0));
        assert_eq!(parse_price("1.299,5"), Some(1299.5));
        assert_eq!(parse_price(""), None);
        assert_eq!(parse_price("n/a"), None);
        assert_eq!(parse_price("0"), None);
    }
}
