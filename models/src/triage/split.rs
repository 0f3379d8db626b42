//! Separating a message body into the new text, the quoted or forwarded
//! history and the signature. Plain-text conventions only (the MIME work is
//! `mail-parser`'s): `>` quoting, reply attributions ("On ... wrote:", "Am
//! ... schrieb ...:"), Outlook's header blocks, forward separators, the
//! `-- ` signature delimiter and the usual closings.

use std::sync::LazyLock;

use regex::Regex;

/// A line the HTML pre-pass puts where a `<blockquote>` or a mail client's
/// quote container starts.
pub(crate) const HTML_QUOTE_MARK: &str = "\u{2063}crossdock-quoted-history\u{2063}";

static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(-{2,}|_{2,}|\*{2,})\s*(original message|ursprüngliche nachricht|originalnachricht|message d'origine|mensaje original|forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|messaggio inoltrato|messaggio originale)\s*(-{2,}|_{2,}|\*{2,})?\s*$|^begin forwarded message\s*:|^anfang der weitergeleiteten nachricht\s*:|^début du message réexpédié\s*:|^_{10,}\s*$",
    )
    .expect("a valid regex")
});

static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(on|am|le|el|il|op)\s.{3,300}(wrote|schrieb|a écrit|escribió|ha escrito|ha scritto|schreef)\s*:?\s*$",
    )
    .expect("a valid regex")
});

static ATTRIBUTION_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(on|am|le|el|il|op)\s").expect("a valid regex"));

static HEADER_FROM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\*?(from|von|de|van|da)\s*:\*?\s*\S").expect("a valid regex")
});

static HEADER_OTHER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\*?(sent|date|gesendet|datum|envoyé|enviado|fecha|to|an|à|para|subject|betreff|objet|asunto|cc)\s*:",
    )
    .expect("a valid regex")
});

static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^((best|kind|warm|many thanks and|with)\s+)?(regards|wishes)\b.{0,20}$|^(thanks|thank you|many thanks|thx)( (again|in advance))?\s*[,.!]*\s*$|^cheers\s*[,!]*\s*$|^sincerely\s*,?\s*$|^(mit )?(freundlichen|besten|beste|viele|liebe) grüße?n?\s*,?\s*$|^mfg\s*,?$|^cordialement\s*,?$|^bien (à vous|cordialement)\s*,?$|^(un )?saludo(s)?( cordiales)?\s*,?$|^atentamente\s*,?$|^distinti saluti\s*,?$",
    )
    .expect("a valid regex")
});

static MOBILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(sent from my|von meinem|envoyé de mon|enviado desde mi|get outlook for)\b")
        .expect("a valid regex")
});

/// The parts of a body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Parts {
    pub new_text: String,
    pub quoted: String,
    pub signature: String,
}

/// What starts the history at a line, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// `On ... wrote:` (the history that follows is `>`-quoted, so unquoted
    /// lines after it are a bottom-posted answer).
    Attribution,
    /// A forward separator, an Outlook header block, an HTML quote: all
    /// that follows is history.
    Block,
}

fn marker_at(lines: &[&str], i: usize) -> Option<Marker> {
    let line = lines[i].trim();
    if line.is_empty() {
        return None;
    }
    if line == HTML_QUOTE_MARK || SEPARATOR.is_match(line) {
        return Some(Marker::Block);
    }
    if ATTRIBUTION.is_match(line) {
        return Some(Marker::Attribution);
    }
    // an attribution wrapped over two lines
    if let Some(next) = lines.get(i + 1) {
        if line.len() < 200
            && ATTRIBUTION_START.is_match(line)
            && ATTRIBUTION.is_match(&format!("{line} {}", next.trim()))
        {
            return Some(Marker::Attribution);
        }
    }
    if HEADER_FROM.is_match(line) {
        let others = lines[i + 1..]
            .iter()
            .take(5)
            .filter(|l| HEADER_OTHER.is_match(l.trim()))
            .count();
        if others >= 1 {
            return Some(Marker::Block);
        }
    }
    None
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

fn unquote(line: &str) -> &str {
    let mut l = line.trim_start();
    while let Some(rest) = l.strip_prefix('>') {
        l = rest
            .strip_prefix(' ')
            .unwrap_or(rest)
            .trim_start_matches('>');
        if !l.starts_with('>') {
            break;
        }
    }
    l.trim_start_matches('>').trim_start()
}

/// Splits a body into its new text, quoted history and signature.
pub(crate) fn split(body: &str) -> Parts {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = body.split('\n').collect();
    let mut new_lines: Vec<&str> = Vec::new();
    let mut quoted: Vec<&str> = Vec::new();
    let mut history: Option<Marker> = None;
    for (i, line) in lines.iter().enumerate() {
        match history {
            Some(Marker::Block) => {
                if line.trim() != HTML_QUOTE_MARK {
                    quoted.push(unquote(line));
                }
                continue;
            }
            Some(Marker::Attribution) => {
                if let Some(m @ Marker::Block) = marker_at(&lines, i) {
                    history = Some(m);
                    if line.trim() != HTML_QUOTE_MARK {
                        quoted.push(line);
                    }
                } else if is_quoted(line) || line.trim().is_empty() {
                    quoted.push(unquote(line));
                } else {
                    // a bottom-posted answer below the quote
                    new_lines.push(line);
                }
                continue;
            }
            None => {}
        }
        if is_quoted(line) {
            quoted.push(unquote(line));
            continue;
        }
        if let Some(m) = marker_at(&lines, i) {
            history = Some(m);
            if line.trim() != HTML_QUOTE_MARK {
                quoted.push(line.trim());
            }
            continue;
        }
        new_lines.push(line);
    }
    let (new_text, signature) = split_signature(&new_lines);
    Parts {
        new_text,
        quoted: tidy(&quoted),
        signature,
    }
}

fn split_signature(lines: &[&str]) -> (String, String) {
    // the RFC 3676 delimiter, last one wins
    if let Some(i) = lines.iter().rposition(|l| *l == "-- " || l.trim() == "--") {
        return (tidy(&lines[..i]), tidy(&lines[i + 1..]));
    }
    if let Some(i) = lines.iter().position(|l| MOBILE.is_match(l.trim())) {
        return (tidy(&lines[..i]), tidy(&lines[i..]));
    }
    // a closing line followed by a few short lines (name, company, phone)
    let content: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].trim().is_empty())
        .collect();
    for (n, &i) in content.iter().enumerate() {
        let rest = &content[n + 1..];
        if CLOSING.is_match(lines[i].trim())
            && n > 0
            && rest.len() <= 8
            && rest.iter().all(|&j| lines[j].trim().chars().count() <= 60)
        {
            return (tidy(&lines[..=i]), tidy(&lines[i + 1..]));
        }
    }
    (tidy(lines), String::new())
}

/// Joins lines, trims the ends and collapses runs of blank lines.
fn tidy(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for l in lines {
        let l = l.trim_end();
        if l.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_posted_reply_with_attribution_and_signature() {
        let p = split(
            "Please cancel S00042.\n\nThanks,\nAna Ruiz\nRuiz Hardware\n+34 600 000 000\n\nOn Mon, 3 Mar 2026 at 10:02, Sales <sales@x.com> wrote:\n> Your order S00042 is confirmed.\n>> earlier\n",
        );
        assert_eq!(p.new_text, "Please cancel S00042.\n\nThanks,");
        assert_eq!(p.signature, "Ana Ruiz\nRuiz Hardware\n+34 600 000 000");
        assert!(p.quoted.contains("Your order S00042 is confirmed."));
        assert!(p.quoted.contains("earlier"));
        assert!(!p.quoted.lines().any(|l| l.starts_with('>')), "{p:?}");
    }

    #[test]
    fn outlook_header_block_and_forward_separator() {
        let p = split("See below.\n\nFrom: Bo <bo@y.com>\nSent: Monday\nTo: us\nSubject: late\n\nWhere is WH/OUT/00012?");
        assert_eq!(p.new_text, "See below.");
        assert!(p.quoted.contains("WH/OUT/00012"));
        let p = split(
            "FYI\n---------- Forwarded message ---------\nFrom: c@d.com\nOur PO 4471-B is late",
        );
        assert_eq!(p.new_text, "FYI");
        assert!(p.quoted.contains("4471-B"));
    }

    #[test]
    fn bottom_posted_answer_stays_new_and_dash_signature() {
        let p = split("On Tue, Bo wrote:\n> question\n\nmy answer\n-- \nBo\n");
        assert_eq!(p.new_text, "my answer");
        assert_eq!(p.quoted, "On Tue, Bo wrote:\nquestion");
        assert_eq!(p.signature, "Bo");
    }

    #[test]
    fn a_closing_word_inside_the_text_is_not_a_signature() {
        let p = split("Thanks for the quick delivery.\nCan you quote 40 more?");
        assert_eq!(p.signature, "");
        assert!(p.new_text.ends_with("40 more?"));
    }
}
