//! What a failed delivery means, decided from the SMTP stage it happened at and
//! the reply's code and RFC 3463 enhanced status code, never from phrases found
//! anywhere in the text.

use std::fmt;

/// Where in the SMTP conversation a delivery failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Opening the TCP connection (or the TLS of smtps).
    Connect,
    /// The relay's greeting and the answer to EHLO.
    Greeting,
    StartTls,
    Auth,
    MailFrom,
    RcptTo,
    /// The DATA command.
    Data,
    /// The reply after the message content and its final dot: past this point
    /// the relay may have taken the message whatever went wrong.
    EndOfData,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Connect => "connect",
            Stage::Greeting => "greeting",
            Stage::StartTls => "STARTTLS",
            Stage::Auth => "AUTH",
            Stage::MailFrom => "MAIL FROM",
            Stage::RcptTo => "RCPT TO",
            Stage::Data => "DATA",
            Stage::EndOfData => "end of data",
        })
    }
}

/// What a failure means for the reader and for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Try this reader again later: a 4xx about the message, a dropped connection
    /// or a silent relay during the transaction.
    Transient,
    /// The relay cannot be reached or will not talk now (refused or timed-out
    /// connection, a 4xx greeting such as 421). The reader stays untouched; many
    /// in a row mean the relay is down.
    Unreachable,
    /// The relay refuses the sender or the account (a 5xx greeting, EHLO or MAIL
    /// FROM, a failed login or TLS): nothing can be delivered, the run stops.
    Unusable,
    /// This reader's address does not exist (5.1.1, 5.1.2, 5.1.3, 5.1.6, 5.1.10 at
    /// RCPT or DATA): a bounce, and the address is suppressed.
    BadMailbox,
    /// Any other permanent refusal of this reader (policy, content, quota): a
    /// failure, kept on the list, retried only when the editor asks.
    Refused,
    /// The message was sent and the connection was lost (or went silent)
    /// before the relay's reply: it may have been delivered.
    Uncertain,
}

/// A delivery that did not succeed: what it means, where, and what the relay said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub class: Class,
    pub stage: Stage,
    /// The relay's reply ("550 5.1.1 …") or what went wrong on the wire.
    pub reply: String,
    /// The reply's code; `None` when the relay did not answer.
    pub code: Option<u16>,
}

impl Failure {
    pub fn new(class: Class, stage: Stage, reply: impl Into<String>) -> Failure {
        Failure {
            class,
            stage,
            reply: reply.into(),
            code: None,
        }
    }

    /// A failure classified from an SMTP reply at a stage.
    pub fn from_reply(stage: Stage, code: u16, text: &str) -> Failure {
        let reply = format!("{code} {text}").trim_end().to_string();
        Failure {
            code: Some(code),
            ..Failure::new(classify(stage, Some(code), text), stage, reply)
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {})", escape_reply(&self.reply), self.stage)
    }
}

/// An RFC 3463 enhanced status code: class.subject.detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedCode {
    /// `class.subject.detail` as written in a reply or a DSN's Status field.
    pub fn parse(word: &str) -> Option<EnhancedCode> {
        let mut parts = word.trim().split('.');
        let class: u8 = parts.next()?.parse().ok()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        if parts.next().is_some() || subject.len() > 3 || detail.len() > 3 {
            return None;
        }
        matches!(class, 2 | 4 | 5).then_some(())?;
        Some(EnhancedCode {
            class,
            subject: subject.parse().ok()?,
            detail: detail.parse().ok()?,
        })
    }

    /// A permanent failure because the mailbox or its domain does not exist.
    pub fn is_bad_mailbox(self) -> bool {
        self.class == 5 && self.subject == 1 && BAD_MAILBOX_DETAILS.contains(&self.detail)
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// The enhanced code at the start of a reply's text, if it has one that agrees
/// with the basic code's class (RFC 2034 section 4).
pub(super) fn enhanced_code(code: u16, text: &str) -> Option<EnhancedCode> {
    let enhanced = EnhancedCode::parse(text.split_ascii_whitespace().next()?)?;
    (u16::from(enhanced.class) == code / 100).then_some(enhanced)
}

/// Bad destination mailbox (X.1.1), system (X.1.2), address syntax (X.1.3),
/// mailbox moved (X.1.6), domain accepts no mail (X.1.10, RFC 7505). Not X.1.0,
/// X.1.7 or X.1.8, which are about the sender or unspecific.
const BAD_MAILBOX_DETAILS: [u16; 5] = [1, 2, 3, 6, 10];

/// Openings of replies without an enhanced code that can only mean the mailbox
/// does not exist. "mailbox unavailable" is not among them: RFC 5321 gives it
/// to 550 for policy refusals too.
const BAD_MAILBOX_WORDS: [&str; 5] = [
    "no such user",
    "user unknown",
    "unknown user",
    "no such mailbox",
    "unrouteable address",
];

/// The meaning of a reply `code` (absent: no reply, the connection failed) with
/// `text` at `stage`.
pub fn classify(stage: Stage, code: Option<u16>, text: &str) -> Class {
    let Some(code) = code else {
        return match stage {
            Stage::Connect | Stage::Greeting => Class::Unreachable,
            Stage::StartTls | Stage::Auth => Class::Unusable,
            Stage::MailFrom | Stage::RcptTo | Stage::Data => Class::Transient,
            Stage::EndOfData => Class::Uncertain,
        };
    };
    let permanent = code >= 500;
    match stage {
        Stage::Connect | Stage::Greeting if permanent => Class::Unusable,
        Stage::Connect | Stage::Greeting => Class::Unreachable,
        Stage::StartTls | Stage::Auth if permanent => Class::Unusable,
        Stage::StartTls | Stage::Auth => Class::Unreachable,
        Stage::MailFrom if permanent => Class::Unusable,
        // 421: the relay is closing the channel, whatever the command.
        Stage::MailFrom if code == 421 => Class::Unreachable,
        Stage::MailFrom | Stage::RcptTo | Stage::Data | Stage::EndOfData if !permanent => {
            Class::Transient
        }
        Stage::MailFrom | Stage::RcptTo | Stage::Data | Stage::EndOfData => {
            match enhanced_code(code, text) {
                Some(e) if e.is_bad_mailbox() => Class::BadMailbox,
                Some(_) => Class::Refused,
                None => {
                    let lower = text.trim_start().to_ascii_lowercase();
                    let bad = matches!(code, 550 | 551 | 553)
                        && BAD_MAILBOX_WORDS.iter().any(|w| lower.starts_with(w));
                    if bad {
                        Class::BadMailbox
                    } else {
                        Class::Refused
                    }
                }
            }
        }
    }
}

/// A relay's reply made safe to print: control characters escaped.
pub fn escape_reply(reply: &str) -> String {
    let mut out = String::with_capacity(reply.len());
    for c in reply.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A relay's reply (or any text) for a log line: control characters escaped
/// and every email address masked to its domain (`…@example.com`), since
/// relays quote the reader's address and logs must not hold it.
pub fn mask_addresses(text: &str) -> String {
    let escaped = escape_reply(text);
    let mut out = String::with_capacity(escaped.len());
    for (i, piece) in escaped.split('@').enumerate() {
        if i == 0 {
            out.push_str(piece);
            continue;
        }
        // Drop the local part that ended the text before this `@`; a lone
        // `@` names nobody and stays.
        let keep = out
            .rfind(|c: char| c.is_whitespace() || "<>()[]{},;:\"'".contains(c))
            .map_or(0, |at| at + 1);
        if keep < out.len() {
            out.truncate(keep);
            out.push('…');
        }
        out.push('@');
        out.push_str(piece);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_in_replies_are_masked_to_their_domain() {
        assert_eq!(
            super::mask_addresses(
                "550 5.1.1 <reader.one@example.com>: Recipient address rejected: User unknown"
            ),
            "550 5.1.1 <…@example.com>: Recipient address rejected: User unknown"
        );
        assert_eq!(
            super::mask_addresses("to a@b.example and c@d.example\r\n"),
            "to …@b.example and …@d.example\\r\\n"
        );
        assert_eq!(super::mask_addresses("250 2.0.0 Ok"), "250 2.0.0 Ok");
    }

    use super::*;

    /// (stage, code, text, expected): replies in the documented formats of the
    /// relays and mailbox providers that send most mail.
    const TABLE: &[(Stage, u16, &str, Class)] = &[
        // Postfix
        (
            Stage::RcptTo,
            550,
            "5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table",
            Class::BadMailbox,
        ),
        (
            Stage::RcptTo,
            550,
            "5.1.0 <verdicts@example.com>: Sender address rejected: User unknown",
            Class::Refused,
        ),
        (
            Stage::RcptTo,
            554,
            "5.7.1 <reader@example.com>: Relay access denied",
            Class::Refused,
        ),
        (
            Stage::RcptTo,
            554,
            "5.7.1 Service unavailable; Client host [192.0.2.5.1.1] blocked using zen.spamhaus.org",
            Class::Refused,
        ),
        (
            Stage::RcptTo,
            450,
            "4.1.1 <reader@example.com>: Recipient address rejected: unverified address",
            Class::Transient,
        ),
        (
            Stage::RcptTo,
            450,
            "4.7.1 Client host rejected: cannot find your hostname",
            Class::Transient,
        ),
        (
            Stage::MailFrom,
            553,
            "5.7.1 <verdicts@example.com>: Sender address rejected: not owned by user",
            Class::Unusable,
        ),
        (
            Stage::Greeting,
            421,
            "4.3.2 Service shutting down",
            Class::Unreachable,
        ),
        (
            Stage::Greeting,
            554,
            "5.7.1 You are not allowed to connect",
            Class::Unusable,
        ),
        (
            Stage::Data,
            552,
            "5.3.4 Message size exceeds fixed limit",
            Class::Refused,
        ),
        // Exim
        (Stage::RcptTo, 550, "Unrouteable address", Class::BadMailbox),
        (
            Stage::RcptTo,
            550,
            "5.1.1 <nobody@example.org>: Recipient address rejected",
            Class::BadMailbox,
        ),
        (
            Stage::RcptTo,
            451,
            "Temporary local problem - please try later",
            Class::Transient,
        ),
        (
            Stage::RcptTo,
            550,
            "Administrative prohibition",
            Class::Refused,
        ),
        // Sendmail
        (
            Stage::RcptTo,
            550,
            "5.1.1 <nobody@example.net>... User unknown",
            Class::BadMailbox,
        ),
        (
            Stage::RcptTo,
            553,
            "5.1.3 <bad address>... List:; syntax illegal for recipient addresses",
            Class::BadMailbox,
        ),
        // Gmail
        (
            Stage::RcptTo,
            550,
            "5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
            Class::BadMailbox,
        ),
        (
            Stage::Data,
            550,
            "5.7.26 This mail has been blocked because the sender is unauthenticated.",
            Class::Refused,
        ),
        (
            Stage::RcptTo,
            452,
            "4.2.2 The email account that you tried to reach is over quota.",
            Class::Transient,
        ),
        (
            Stage::MailFrom,
            421,
            "4.7.0 Try again later, closing connection.",
            Class::Unreachable,
        ),
        (
            Stage::Data,
            550,
            "5.7.1 Our system has detected an unusual rate of unsolicited mail originating from your IP address.",
            Class::Refused,
        ),
        // Microsoft 365 and Outlook.com
        (
            Stage::RcptTo,
            550,
            "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
            Class::BadMailbox,
        ),
        (
            Stage::RcptTo,
            550,
            "5.5.0 Requested action not taken: mailbox unavailable",
            Class::Refused,
        ),
        (
            Stage::RcptTo,
            550,
            "Requested action not taken: mailbox unavailable",
            Class::Refused,
        ),
        (
            Stage::Data,
            550,
            "5.7.520 Access denied, Your organization does not allow external forwarding.",
            Class::Refused,
        ),
        (
            Stage::RcptTo,
            451,
            "4.7.500 Server busy. Please try again later.",
            Class::Transient,
        ),
        // Amazon SES
        (
            Stage::Data,
            554,
            "Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: verdicts@example.com",
            Class::Refused,
        ),
        (
            Stage::Auth,
            535,
            "Authentication Credentials Invalid",
            Class::Unusable,
        ),
        (
            Stage::Data,
            454,
            "Throttling failure: Maximum sending rate exceeded.",
            Class::Transient,
        ),
        (
            Stage::RcptTo,
            550,
            "5.1.2 Bad destination system address",
            Class::BadMailbox,
        ),
    ];

    #[test]
    fn the_classification_table_of_real_replies() {
        for (stage, code, text, expected) in TABLE {
            assert_eq!(
                classify(*stage, Some(*code), text),
                *expected,
                "{stage} {code} {text}"
            );
        }
    }

    #[test]
    fn a_code_inside_the_text_is_not_an_enhanced_code() {
        assert_eq!(enhanced_code(550, "blocked [192.0.2.5.1.1]"), None);
        assert_eq!(
            enhanced_code(550, "5.1.1 user unknown"),
            Some(EnhancedCode {
                class: 5,
                subject: 1,
                detail: 1
            })
        );
        assert_eq!(enhanced_code(450, "5.1.1 disagreeing class"), None);
        assert_eq!(
            classify(
                Stage::RcptTo,
                Some(550),
                "Mailbox unavailable: user unknown"
            ),
            Class::Refused
        );
        assert_eq!(
            classify(Stage::RcptTo, Some(554), "user unknown"),
            Class::Refused,
            "554 is not an address code"
        );
    }

    #[test]
    fn failures_without_a_reply_depend_on_the_stage() {
        assert_eq!(
            classify(Stage::Connect, None, "refused"),
            Class::Unreachable
        );
        assert_eq!(
            classify(Stage::StartTls, None, "certificate"),
            Class::Unusable
        );
        assert_eq!(
            classify(Stage::Data, None, "connection reset"),
            Class::Transient
        );
    }

    #[test]
    fn addresses_in_a_reply_are_masked_and_the_rest_kept() {
        assert_eq!(
            mask_addresses(
                "550 5.1.1 <Reader.One@Example.com>: Recipient address rejected: User unknown in relay recipient table"
            ),
            "550 5.1.1 <…@Example.com>: Recipient address rejected: User unknown in relay recipient table"
        );
        assert_eq!(
            mask_addresses("550 no such user here: a@b.example, c@d.example"),
            "550 no such user here: …@b.example, …@d.example"
        );
        assert_eq!(mask_addresses("550 @ alone"), "550 @ alone");
    }

    #[test]
    fn nothing_after_the_final_dot_is_uncertain_and_a_reply_there_counts() {
        assert_eq!(
            classify(Stage::EndOfData, None, "incomplete response"),
            Class::Uncertain
        );
        assert_eq!(
            classify(Stage::EndOfData, Some(451), "4.3.0 later"),
            Class::Transient
        );
        assert_eq!(
            classify(Stage::EndOfData, Some(550), "5.1.1 unknown"),
            Class::BadMailbox
        );
    }

    #[test]
    fn replies_print_with_control_characters_escaped() {
        assert_eq!(
            escape_reply("550 bad\r\n\u{1b}[31mred"),
            "550 bad\\r\\n\\u{1b}[31mred"
        );
        assert_eq!(escape_reply("250 it's \"ok\""), "250 it's \"ok\"");
    }
}
