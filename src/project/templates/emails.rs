//! `templates/emails.toml`: the texts of the confirmation and welcome emails
//! that sign-ups get.

use serde::Deserialize;

use super::parse_toml;
use crate::diagnostic::{Diagnostic, FileDiagnostics, LoadError};
use crate::project::layout::Layout;

/// The texts of the emails sent to readers who sign up (`templates/emails.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emails {
    pub confirm: EmailText,
    pub welcome: EmailText,
}

/// One email's subject and Markdown text, with `{placeholders}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailText {
    pub subject: String,
    pub text: String,
}

impl EmailText {
    /// The text with its placeholders filled.
    pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
        let mut out = text.to_string();
        for (name, value) in values {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

impl Emails {
    pub fn parse(path: &str, source: &str) -> Result<Emails, FileDiagnostics> {
        let emails: Emails = parse_toml(path, source)?;
        let mut report = FileDiagnostics::new(path, source);
        for (what, email) in [("confirm", &emails.confirm), ("welcome", &emails.welcome)] {
            if crate::diagnostic::text::has_control_char(&email.subject)
                || email.subject.trim().is_empty()
            {
                report.push(
                    Diagnostic::error(format!("the {what} subject must be one line of text"))
                        .help("write the subject on one line"),
                );
            }
        }
        if !emails.confirm.text.contains("{link}") {
            report.push(Diagnostic::error("the confirm email has no {link}").help(
                "the confirmation email must carry the link that confirms: put {link} in its text",
            ));
        }
        report.into_result(emails)
    }

    /// The project's, or the built-in ones when it has no `templates/emails.toml`.
    pub fn load(layout: &Layout) -> Result<Emails, LoadError> {
        let source = crate::store::fs::read_optional(&layout.emails())?
            .unwrap_or_else(|| include_str!("../../../templates/emails.toml").to_string());
        Ok(Emails::parse(crate::project::layout::EMAILS_FILE, &source)?)
    }
}
