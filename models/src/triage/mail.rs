//! Reading real mail: RFC 5322 / MIME messages from `.eml` files, mbox
//! files and folders of them, through the `mail-parser` crate (multipart,
//! quoted-printable and base64, encoded words, character sets such as
//! Latin-1, Windows-1252 and UTF-8, HTML bodies, attached messages).
//!
//! Each message becomes a [`Mail`]: subject, sender, the new text, the quoted
//! or forwarded history and the signature separated, attachments listed.
//! A message that cannot be read is kept as a [`MailItem`] with its
//! [`MailError`], never dropped and never a panic.

use std::borrow::Cow;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;

use super::split::{self, HTML_QUOTE_MARK};
use super::{Result, TriageError};

/// Larger messages are refused (kept with [`MailError::TooLarge`]).
pub const MAX_MESSAGE_BYTES: usize = 50 * 1024 * 1024;

/// One message, read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mail {
    /// `Message-ID`, without the angle brackets.
    pub message_id: Option<String>,
    /// The sender's address (`From`).
    pub from: Option<String>,
    /// The sender's display name.
    pub from_name: Option<String>,
    /// The `To` addresses.
    pub to: Vec<String>,
    /// `Date`, as RFC 3339.
    pub date: Option<String>,
    /// The subject (encoded words decoded).
    pub subject: String,
    /// What the sender wrote in this message: no quoted history, no signature.
    pub new_text: String,
    /// The quoted replies and forwarded messages, oldest last, `>` removed.
    pub quoted: String,
    /// The signature block, when one was recognised.
    pub signature: String,
    /// Attachments (attached messages included, by their subject).
    pub attachments: Vec<Attachment>,
    /// True when the message had no text/plain body and its HTML was turned
    /// into text.
    pub html_only: bool,
    /// Why the message looks machine-sent (an auto-reply or a newsletter),
    /// from its headers or subject; `None` for a person's message.
    pub automatic: Option<String>,
}

/// An attachment's name and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// The file name (`filename` / `name` parameters), or the subject of an
    /// attached message; empty when it has none.
    pub name: String,
    /// The MIME type, `application/pdf`.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
}

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum MailError {
    /// The file or mbox entry is empty.
    #[error("empty message")]
    Empty,
    /// It is not an RFC 5322 message (no header, or binary data).
    #[error("not an e-mail message: {0}")]
    NotAMessage(String),
    /// It is larger than [`MAX_MESSAGE_BYTES`].
    #[error("message of {bytes} bytes is larger than the {limit}-byte limit")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Unreadable(String),
}

/// One message of a file or folder, read or not.
#[derive(Debug, Clone)]
pub struct MailItem {
    /// Where it came from: the file, and for an mbox `file#n` (n from 1).
    pub source: String,
    /// The message, or why it could not be read.
    pub mail: std::result::Result<Mail, MailError>,
}

/// Parses one message.
pub fn parse_bytes(raw: &[u8]) -> std::result::Result<Mail, MailError> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(MailError::Empty);
    }
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(MailError::TooLarge {
            bytes: raw.len(),
            limit: MAX_MESSAGE_BYTES,
        });
    }
    let head = &raw[..raw.len().min(4096)];
    if head.contains(&0) {
        return Err(MailError::NotAMessage("binary data (NUL bytes)".into()));
    }
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| MailError::NotAMessage("no RFC 5322 message found".into()))?;
    let real_header = |h: &mail_parser::Header<'_>| {
        !h.name.is_other()
            || (!h.name.as_str().is_empty()
                && !h.name.as_str().contains(|c: char| c.is_whitespace()))
    };
    if !msg.headers().iter().any(real_header) {
        return Err(MailError::NotAMessage(
            "no header lines (Name: value) before the body".into(),
        ));
    }
    Ok(read_message(&msg))
}

fn read_message(msg: &Message<'_>) -> Mail {
    let from = msg.from().and_then(|a| a.first());
    let mut body = String::new();
    let mut html_only = msg.text_body_count() > 0;
    for part in msg.text_bodies() {
        let text: Cow<'_, str> = match &part.body {
            PartType::Text(t) => {
                html_only = false;
                Cow::Borrowed(t.as_ref())
            }
            PartType::Html(h) => Cow::Owned(html_to_text(h)),
            _ => continue,
        };
        if !body.is_empty() {
            body.push('\n');
        }
        body.push_str(&text);
    }
    let parts = split::split(&body);
    let mut quoted = parts.quoted;
    let mut attachments = Vec::new();
    for part in msg.attachments() {
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into())
            .to_ascii_lowercase();
        if let PartType::Message(inner) = &part.body {
            // a forwarded message attached whole: its text is history
            let m = read_message(inner);
            let mut block = String::new();
            if let Some(f) = &m.from {
                block.push_str(&format!("From: {f}\n"));
            }
            block.push_str(&format!("Subject: {}\n", m.subject));
            for t in [&m.new_text, &m.quoted] {
                if !t.is_empty() {
                    block.push_str(t);
                    block.push('\n');
                }
            }
            if !quoted.is_empty() {
                quoted.push_str("\n\n");
            }
            quoted.push_str(block.trim_end());
            attachments.push(Attachment {
                name: part
                    .attachment_name()
                    .map(str::to_string)
                    .unwrap_or_else(|| m.subject.clone()),
                content_type,
                size: part.len(),
            });
            attachments.extend(m.attachments);
            continue;
        }
        attachments.push(Attachment {
            name: part.attachment_name().unwrap_or("").to_string(),
            content_type,
            size: part.len(),
        });
    }
    let subject = msg.subject().unwrap_or("").trim().to_string();
    Mail {
        message_id: msg.message_id().map(str::to_string),
        from: from
            .and_then(|a| a.address())
            .map(|s| s.to_ascii_lowercase()),
        from_name: from.and_then(|a| a.name()).map(str::to_string),
        to: msg
            .to()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.address().map(|s| s.to_ascii_lowercase()))
                    .collect()
            })
            .unwrap_or_default(),
        date: msg.date().map(|d| d.to_rfc3339()),
        automatic: automatic(msg, &subject),
        subject,
        new_text: parts.new_text,
        quoted,
        signature: parts.signature,
        attachments,
        html_only,
    }
}

/// Why a message looks machine-sent: RFC 3834 `Auto-Submitted`, the usual
/// auto-responder headers, mailing-list headers, or an out-of-office subject.
fn automatic(msg: &Message<'_>, subject: &str) -> Option<String> {
    let raw = |name: &str| {
        msg.headers_raw()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    if let Some(v) = raw("Auto-Submitted") {
        if v != "no" {
            return Some(format!("auto-reply (Auto-Submitted: {v})"));
        }
    }
    for h in ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"] {
        if let Some(v) = raw(h) {
            if h != "X-Auto-Response-Suppress" || v.contains("all") || v.contains("oof") {
                return Some(format!("auto-reply ({h}: {v})"));
            }
        }
    }
    if let Some(v) = raw("Precedence") {
        if matches!(v.as_str(), "bulk" | "list" | "junk" | "auto_reply") {
            return Some(format!("bulk mail (Precedence: {v})"));
        }
    }
    for h in ["List-Unsubscribe", "List-Id"] {
        if raw(h).is_some() {
            return Some(format!("newsletter or mailing list ({h})"));
        }
    }
    let s = subject.to_lowercase();
    for p in [
        "out of office",
        "out of the office",
        "automatic reply",
        "auto-reply",
        "autoreply",
        "abwesenheitsnotiz",
        "automatische antwort",
        "réponse automatique",
        "absence du bureau",
        "respuesta automática",
        "fuera de la oficina",
    ] {
        if s.contains(p) {
            return Some(format!("auto-reply (subject: {subject})"));
        }
    }
    None
}

/// HTML to text with `mail-parser`'s converter, after a pass that drops
/// `<style>` and `<script>` contents, breaks lines at block elements and
/// marks where a quoted history (`<blockquote>`, Gmail's and Outlook's quote
/// containers) begins, so that the history can be told from the new text.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    let mut marked = false;
    while let Some(off) = lower[i..].find('<') {
        let start = i + off;
        out.push_str(&html[i..start]);
        let end = match lower[start..].find('>') {
            Some(e) => start + e + 1,
            None => {
                out.push_str(&html[start..]);
                i = html.len();
                break;
            }
        };
        let tag = &lower[start..end];
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if !tag.starts_with("</") && (name == "style" || name == "script") {
            let close = format!("</{name}");
            match lower[end..].find(&close) {
                Some(c) => {
                    let after = end + c;
                    i = lower[after..]
                        .find('>')
                        .map_or(html.len(), |e| after + e + 1);
                }
                None => i = html.len(),
            }
            continue;
        }
        let quote_start = !tag.starts_with("</")
            && (name == "blockquote"
                || tag.contains("gmail_quote")
                || tag.contains("divrplyfwdmsg")
                || tag.contains("id=\"appendonsend\"")
                || tag.contains("moz-cite-prefix")
                || tag.contains("yahoo_quoted"));
        if quote_start && !marked {
            out.push_str("<br>");
            out.push_str(HTML_QUOTE_MARK);
            out.push_str("<br>");
            marked = true;
        }
        let block = matches!(
            name.as_str(),
            "div"
                | "p"
                | "blockquote"
                | "tr"
                | "li"
                | "ul"
                | "ol"
                | "table"
                | "hr"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "pre"
        );
        if block {
            out.push_str("<br>");
        } else {
            out.push_str(&html[start..end]);
        }
        i = end;
    }
    if i < html.len() {
        out.push_str(&html[i..]);
    }
    mail_parser::decoders::html::html_to_text(&out)
}

/// Reads every message of a path: an `.eml` file (one message), an mbox
/// file (a file starting with a `From ` line, any name), or a folder (its
/// files, sorted by name, recursively; hidden files and a labelled inbox's
/// `truth.jsonl` skipped). Messages that
/// cannot be read are returned with their error; only a path that does not
/// exist or a folder that cannot be listed is an error.
pub fn read_path(path: &Path) -> Result<Vec<MailItem>> {
    let meta = std::fs::metadata(path).map_err(|e| TriageError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut out = Vec::new();
    if meta.is_dir() {
        read_dir(path, &mut out)?;
    } else {
        read_file(path, &mut out);
    }
    Ok(out)
}

fn read_dir(dir: &Path, out: &mut Vec<MailItem>) -> Result<()> {
    let io = |e| TriageError::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            // hidden files, and a labelled inbox's ground truth, are no mail
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') || n == super::inbox::TRUTH_FILE)
        })
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            read_dir(&p, out)?;
        } else {
            read_file(&p, out);
        }
    }
    Ok(())
}

fn is_mbox(head: &[u8]) -> bool {
    head.starts_with(b"From ")
}

fn read_file(path: &Path, out: &mut Vec<MailItem>) {
    let source = path.display().to_string();
    let raw = match std::fs::read(path) {
        Ok(r) => r,
        Err(e) => {
            out.push(MailItem {
                source,
                mail: Err(MailError::Unreadable(e.to_string())),
            });
            return;
        }
    };
    if !is_mbox(&raw) {
        out.push(MailItem {
            source,
            mail: parse_bytes(&raw),
        });
        return;
    }
    let before = out.len();
    for (n, entry) in
        mail_parser::mailbox::mbox::MessageIterator::new(BufReader::new(raw.as_slice())).enumerate()
    {
        let source = format!("{source}#{}", n + 1);
        let mail = match entry {
            Ok(m) => parse_bytes(m.contents()),
            Err(e) => Err(MailError::Unreadable(e.to_string())),
        };
        out.push(MailItem { source, mail });
    }
    if out.len() == before {
        out.push(MailItem {
            source,
            mail: Err(MailError::Empty),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_only_body_becomes_text_with_the_history_apart() {
        let raw = "From: a@b.com\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p{color:red}</style></head><body><div>Please cancel&nbsp;S00042</div><div>Thanks</div><div class=\"gmail_quote\">On Mon, X wrote:<blockquote><p>Order S00042 confirmed</p></blockquote></div></body></html>";
        let m = parse_bytes(raw.as_bytes()).unwrap();
        assert!(m.html_only);
        assert!(m.new_text.contains("Please cancel"), "{m:?}");
        assert!(!m.new_text.contains("color"), "{m:?}");
        assert!(!m.new_text.contains("confirmed"), "{m:?}");
        assert!(m.quoted.contains("Order S00042 confirmed"), "{m:?}");
    }

    #[test]
    fn quoted_printable_latin1_and_attachments() {
        let raw = b"From: =?ISO-8859-1?Q?J=FCrgen?= <j@x.de>\r\nSubject: =?iso-8859-1?q?R=FCcksendung?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nDie Ware ist besch=E4digt, bitte R=FCcksendung.\r\n--b1\r\nContent-Type: application/pdf; name=\"INV_2026_00012.pdf\"\r\nContent-Disposition: attachment; filename=\"INV_2026_00012.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n";
        let m = parse_bytes(raw).unwrap();
        assert_eq!(m.subject, "Rücksendung");
        assert_eq!(m.from_name.as_deref(), Some("Jürgen"));
        assert_eq!(m.new_text, "Die Ware ist beschädigt, bitte Rücksendung.");
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].name, "INV_2026_00012.pdf");
        assert_eq!(m.attachments[0].content_type, "application/pdf");
        assert_eq!(m.attachments[0].size, 9);
    }

    #[test]
    fn windows_1252_and_base64() {
        // "Lieferung – 5 €" in Windows-1252, base64
        let raw = b"From: a@b.fr\r\nSubject: t\r\nContent-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: base64\r\n\r\nTGllZmVydW5nIJYgNSCA\r\n";
        let m = parse_bytes(raw).unwrap();
        assert_eq!(m.new_text, "Lieferung \u{2013} 5 \u{20ac}");
    }

    #[test]
    fn bad_messages_are_kept_with_a_reason() {
        assert_eq!(parse_bytes(b"  \n"), Err(MailError::Empty));
        assert!(matches!(
            parse_bytes(b"\x00\x01\x02binary"),
            Err(MailError::NotAMessage(_))
        ));
        assert!(matches!(
            parse_bytes(b"just some words, no header at all"),
            Err(MailError::NotAMessage(_))
        ));
    }

    #[test]
    fn auto_replies_and_newsletters_are_recognised() {
        let m = parse_bytes(
            b"From: a@b.com\r\nAuto-Submitted: auto-replied\r\nSubject: away\r\n\r\nI am away.\r\n",
        )
        .unwrap();
        assert!(m.automatic.unwrap().contains("Auto-Submitted"));
        let m = parse_bytes(b"From: news@b.com\r\nList-Unsubscribe: <mailto:u@b.com>\r\nSubject: Deals\r\n\r\nDeals!\r\n").unwrap();
        assert!(m.automatic.is_some());
        let m = parse_bytes(b"From: a@b.com\r\nSubject: Question\r\n\r\nHi\r\n").unwrap();
        assert_eq!(m.automatic, None);
    }
}
