//! What one message that came back says, from its structure and codes: an RFC
//! 3464 delivery status notification (per recipient: the Action and the RFC
//! 3463 Status, or the SMTP reply in Diagnostic-Code when the Status is
//! unspecific), an RFC 5965 feedback report (its Feedback-Type), an RFC 3834
//! automatic reply, or an unsubscribe request carrying a reader's token.

use mail_parser::{MessageParser, MimeHeaders};

use crate::send::transport::{Class, EnhancedCode, Stage, classify};

/// What a message is, for the newsletter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The mailbox or its domain does not exist (5.1.1, 5.1.2, 5.1.3, 5.1.6, 5.1.10).
    HardBounce,
    /// A permanent failure about something else: policy, content, a full
    /// mailbox, the sender.
    OtherFailure,
    /// Delayed, or given up on after a temporary failure.
    Delay,
    /// A report that the message was delivered, relayed or expanded.
    Delivered,
    /// The reader marked the newsletter as spam (Feedback-Type abuse or fraud).
    Complaint,
    /// A feedback report of another type (not-spam, auth-failure, …).
    OtherFeedback,
    /// An unsubscribe request by mail; the token is checked by the caller.
    Unsubscribe {
        words: Vec<String>,
        from: Option<String>,
    },
    /// A vacation notice or other automatic reply (RFC 3834).
    AutoReply,
    /// Mail that is none of the above.
    NotAReport,
}

/// One finding of a message: a DSN has one per recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub kind: Kind,
    /// The report's own Message-ID (to read each report once).
    pub report_id: Option<String>,
    /// The Message-ID of the message the report is about, if it quotes it.
    pub original_id: Option<String>,
    /// The List-Id of that message (`<label.domain>`), if it quotes it.
    pub original_list: Option<String>,
    /// The List-Unsubscribe field of that message, which carries the reader's
    /// signed token, if it quotes it.
    pub original_unsubscribe: Option<String>,
    /// The addresses the report itself was delivered to (To, Delivered-To,
    /// X-Original-To, Envelope-To): a signed return path (VERP) among them
    /// names the reader.
    pub delivered_to: Vec<String>,
    /// The recipient the report names (Final-Recipient, Original-Recipient,
    /// Original-Rcpt-To).
    pub recipient: Option<String>,
    /// What the report says, for the suppression list's detail column.
    pub detail: String,
}

/// A message that claims to be a report but cannot be read as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(super) struct Malformed(pub String);

/// Reads one message.
pub(super) fn read(bytes: &[u8]) -> Result<Vec<Finding>, Malformed> {
    let message = MessageParser::default()
        .parse(bytes)
        .filter(|m| m.from().is_some() || m.date().is_some())
        .ok_or_else(|| Malformed("not an email message (no From or Date field)".into()))?;
    let report_id = message.message_id().map(str::to_string);
    let mut status = None;
    let mut feedback = None;
    let mut original: Option<Original> = None;
    for part in message.parts.iter() {
        let Some(content_type) = part.content_type() else {
            continue;
        };
        let subtype = content_type
            .subtype()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match (
            content_type.ctype().to_ascii_lowercase().as_str(),
            subtype.as_str(),
        ) {
            ("message", "delivery-status" | "global-delivery-status") => {
                status.get_or_insert_with(|| String::from_utf8_lossy(part.contents()).into_owned());
            }
            ("message", "feedback-report") => {
                feedback
                    .get_or_insert_with(|| String::from_utf8_lossy(part.contents()).into_owned());
            }
            ("message", "rfc822" | "global") if original.is_none() => {
                original = part.message().map(identity);
            }
            ("text" | "message", "rfc822-headers" | "global-headers") if original.is_none() => {
                original = MessageParser::default()
                    .parse_headers(part.contents())
                    .as_ref()
                    .map(identity);
            }
            _ => {}
        }
    }
    // A report that announces its report part but lacks it was cut short
    // (an unescaped "From " line in an mbox, a truncated file): not readable.
    if status.is_none() && feedback.is_none() {
        let announced = message.content_type().and_then(|ct| {
            (ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report")))
            .then(|| ct.attribute("report-type").map(str::to_ascii_lowercase))
            .flatten()
        });
        if let Some(kind) = announced
            && (kind == "delivery-status" || kind == "feedback-report")
        {
            return Err(Malformed(format!(
                "a report (report-type={kind}) without its {kind} part: cut short?"
            )));
        }
    }
    let original = original.unwrap_or_default();
    let delivered_to = delivered_to(&message);
    let finding = |kind, recipient, detail| Finding {
        kind,
        report_id: report_id.clone(),
        original_id: original.id.clone(),
        original_list: original.list.clone(),
        original_unsubscribe: original.unsubscribe.clone(),
        delivered_to: delivered_to.clone(),
        recipient,
        detail,
    };
    if let Some(text) = status {
        return delivery_status(&text).map(|found| {
            found
                .into_iter()
                .map(|(kind, recipient, detail)| finding(kind, recipient, detail))
                .collect()
        });
    }
    if let Some(text) = feedback {
        let (kind, recipient, detail) = feedback_report(&text)?;
        return Ok(vec![finding(kind, recipient, detail)]);
    }
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let automatic = header("Auto-Submitted").is_some_and(|v| v != "no")
        || header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("Precedence").is_some_and(|v| v == "auto_reply");
    if automatic {
        return Ok(vec![finding(Kind::AutoReply, None, String::new())]);
    }
    let subject = message.subject().unwrap_or_default();
    let mut words: Vec<String> = subject.split_whitespace().map(str::to_string).collect();
    let asks = words.iter().any(|w| w.eq_ignore_ascii_case("unsubscribe"));
    if asks {
        // Some mail programs move the subject of a mailto link into the body.
        if let Some(body) = message.body_text(0) {
            words.extend(body.split_whitespace().take(64).map(str::to_string));
        }
        let from = message
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_string);
        return Ok(vec![finding(
            Kind::Unsubscribe { words, from },
            None,
            String::new(),
        )]);
    }
    Ok(vec![finding(Kind::NotAReport, None, String::new())])
}

/// What identifies a quoted original: its Message-ID, its List-Id's
/// `<label.domain>` and its List-Unsubscribe field.
#[derive(Debug, Clone, Default)]
struct Original {
    id: Option<String>,
    list: Option<String>,
    unsubscribe: Option<String>,
}

fn identity(message: &mail_parser::Message<'_>) -> Original {
    let list = message.header_raw("List-Id").and_then(|v| {
        let start = v.rfind('<')?;
        let end = v[start..].find('>')? + start;
        Some(v[start + 1..end].trim().to_ascii_lowercase())
    });
    Original {
        id: message.message_id().map(str::to_string),
        list,
        unsubscribe: message
            .header_raw("List-Unsubscribe")
            .map(|v| v.replace(['\r', '\n'], "")),
    }
}

/// The addresses a message was delivered to, from the fields mail servers
/// and the sender put there.
fn delivered_to(message: &mail_parser::Message<'_>) -> Vec<String> {
    let mut found = Vec::new();
    for name in [
        "Delivered-To",
        "X-Original-To",
        "Envelope-To",
        "X-Envelope-To",
        "To",
    ] {
        for value in message.header_values(name) {
            let text = match value {
                mail_parser::HeaderValue::Text(text) => text.to_string(),
                mail_parser::HeaderValue::Address(address) => address
                    .iter()
                    .filter_map(|a| a.address())
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => continue,
            };
            found.extend(
                text.split(|c: char| c.is_whitespace() || "<>,;\"".contains(c))
                    .filter(|w| w.contains('@'))
                    .map(str::to_string),
            );
        }
    }
    found
}

/// The field groups of a delivery-status or feedback-report body: header-style
/// fields (names lower-cased, folded lines joined), groups split by blank lines.
fn field_groups(text: &str) -> Vec<Vec<(String, String)>> {
    let mut groups: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if groups.last().is_some_and(|g| !g.is_empty()) {
                groups.push(Vec::new());
            }
            continue;
        }
        let Some(group) = groups.last_mut() else {
            continue;
        };
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = group.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            group.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
}

fn field<'a>(group: &'a [(String, String)], name: &str) -> Option<&'a str> {
    group
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `rfc822; reader@example.com` → `reader@example.com` (`utf-8;` per RFC 6533).
fn typed_address(value: &str) -> Option<String> {
    let (kind, address) = value.split_once(';')?;
    let kind = kind.trim().to_ascii_lowercase();
    (kind == "rfc822" || kind == "utf-8").then_some(())?;
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    (!address.is_empty()).then(|| address.to_string())
}

type Found = (Kind, Option<String>, String);

/// The per-recipient groups of an RFC 3464 delivery-status body.
fn delivery_status(text: &str) -> Result<Vec<Found>, Malformed> {
    let groups = field_groups(text);
    // The first group is about the message; the others about one recipient each.
    let recipients: Vec<&Vec<(String, String)>> = groups
        .iter()
        .skip(1)
        .filter(|g| field(g, "action").is_some() || field(g, "final-recipient").is_some())
        .collect();
    if recipients.is_empty() {
        return Err(Malformed(
            "a delivery status notification without a per-recipient part (Final-Recipient, Action, Status)".into(),
        ));
    }
    recipients
        .into_iter()
        .map(|group| {
            let recipient = field(group, "original-recipient")
                .and_then(typed_address)
                .or_else(|| field(group, "final-recipient").and_then(typed_address));
            let action = field(group, "action")
                .ok_or_else(|| Malformed("a recipient part without an Action field".into()))?
                .to_ascii_lowercase();
            let status = field(group, "status").and_then(|s| {
                EnhancedCode::parse(s.split_whitespace().next().unwrap_or_default())
            });
            let diagnostic = field(group, "diagnostic-code").unwrap_or_default();
            let detail = match status {
                Some(code) if diagnostic.is_empty() => format!("{action} {code}"),
                Some(code) => format!("{action} {code} ({diagnostic})"),
                None => format!("{action} ({diagnostic})"),
            };
            let kind = match action.as_str() {
                "failed" => failure_kind(status, diagnostic).ok_or_else(|| {
                    Malformed(format!(
                        "a failed recipient without a readable Status (expected e.g. 5.1.1){}",
                        if diagnostic.is_empty() { String::new() } else { format!(" or Diagnostic-Code; got `{diagnostic}`") }
                    ))
                })?,
                "delayed" => Kind::Delay,
                "delivered" | "relayed" | "expanded" => Kind::Delivered,
                other => {
                    return Err(Malformed(format!(
                        "unknown Action `{other}` (expected failed, delayed, delivered, relayed or expanded)"
                    )));
                }
            };
            Ok((kind, recipient, crate::send::transport::escape_reply(&detail)))
        })
        .collect()
}

/// A failed recipient: the Status says, unless it is unspecific (X.0.0, as
/// Exim writes) and the relay's SMTP reply in Diagnostic-Code says more.
fn failure_kind(status: Option<EnhancedCode>, diagnostic: &str) -> Option<Kind> {
    let from_reply =
        smtp_reply(diagnostic).map(|(code, text)| classify(Stage::RcptTo, Some(code), text));
    let specific = status.filter(|s| s.subject != 0 || s.detail != 0);
    match (specific, status, from_reply) {
        (Some(code), _, _) if code.class == 4 => Some(Kind::Delay),
        (Some(code), _, _) if code.is_bad_mailbox() => Some(Kind::HardBounce),
        (Some(_), _, _) => Some(Kind::OtherFailure),
        (None, _, Some(Class::BadMailbox)) => Some(Kind::HardBounce),
        (None, _, Some(Class::Transient | Class::Unreachable)) => Some(Kind::Delay),
        (None, _, Some(_)) => Some(Kind::OtherFailure),
        (None, Some(code), None) if code.class == 4 => Some(Kind::Delay),
        (None, Some(_), None) => Some(Kind::OtherFailure),
        (None, None, None) => None,
    }
}

/// `smtp; 550 5.1.1 <x>: User unknown` → (550, "5.1.1 <x>: User unknown"); a
/// multi-line reply's dashes (`550-5.1.1`) are taken as spaces.
fn smtp_reply(diagnostic: &str) -> Option<(u16, &str)> {
    let (kind, reply) = diagnostic.split_once(';')?;
    kind.trim().eq_ignore_ascii_case("smtp").then_some(())?;
    let reply = reply.trim();
    let code: u16 = reply.get(..3)?.parse().ok()?;
    (200..600).contains(&code).then_some(())?;
    Some((code, reply.get(4..).unwrap_or_default().trim_start()))
}

/// An RFC 5965 feedback report.
fn feedback_report(text: &str) -> Result<Found, Malformed> {
    let fields: Vec<(String, String)> = field_groups(text).into_iter().flatten().collect();
    let kind = field(&fields, "feedback-type")
        .ok_or_else(|| Malformed("a feedback report without a Feedback-Type field".into()))?;
    let recipient = field(&fields, "original-rcpt-to")
        .or_else(|| field(&fields, "removal-recipient"))
        .map(|a| {
            a.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
        .filter(|a| a.contains('@'));
    let detail = match field(&fields, "user-agent") {
        Some(agent) => format!("feedback {kind} ({agent})"),
        None => format!("feedback {kind}"),
    };
    let kind = match kind.to_ascii_lowercase().as_str() {
        "abuse" | "fraud" => Kind::Complaint,
        _ => Kind::OtherFeedback,
    };
    Ok((
        kind,
        recipient,
        crate::send::transport::escape_reply(&detail),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_groups_join_folded_lines_and_split_on_blank_lines() {
        let groups = field_groups(
            "Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; a@example.com\r\nDiagnostic-Code: smtp; 550 5.1.1\r\n  user unknown\r\n\r\n\r\n",
        );
        assert_eq!(groups.len(), 2);
        assert_eq!(
            field(&groups[1], "diagnostic-code"),
            Some("smtp; 550 5.1.1 user unknown")
        );
    }

    #[test]
    fn failure_kinds_come_from_codes() {
        let code = |s: &str| EnhancedCode::parse(s);
        assert_eq!(failure_kind(code("5.1.1"), ""), Some(Kind::HardBounce));
        assert_eq!(failure_kind(code("5.1.10"), ""), Some(Kind::HardBounce));
        assert_eq!(
            failure_kind(code("5.7.1"), "smtp; 550 5.1.1 user unknown"),
            Some(Kind::OtherFailure)
        );
        assert_eq!(failure_kind(code("5.2.2"), ""), Some(Kind::OtherFailure));
        assert_eq!(failure_kind(code("4.4.7"), ""), Some(Kind::Delay));
        assert_eq!(
            failure_kind(
                code("5.0.0"),
                "smtp; 550 5.1.1 <a@example.com>: Recipient address rejected"
            ),
            Some(Kind::HardBounce)
        );
        assert_eq!(
            failure_kind(code("5.0.0"), "smtp; 550 No such user here"),
            Some(Kind::HardBounce)
        );
        assert_eq!(
            failure_kind(code("5.0.0"), "smtp; 550 mailbox unavailable"),
            Some(Kind::OtherFailure)
        );
        assert_eq!(
            failure_kind(code("5.0.0"), "x-unix; something"),
            Some(Kind::OtherFailure)
        );
        assert_eq!(
            failure_kind(None, "smtp; 452 4.2.2 over quota"),
            Some(Kind::Delay)
        );
        assert_eq!(failure_kind(None, ""), None);
        assert_eq!(failure_kind(code("9.1.1"), ""), None);
    }
}
