//! `templates/emails.toml`: the texts of the confirmation and welcome emails
//! that sign-ups get, with the placeholders each may use.

use std::ops::Range;

use toml::de::DeTable;

use crate::author::markdown::Markdown;
use crate::diagnostic::table_reader::{Located, TableReader};
use crate::diagnostic::{Diagnostic, FileDiagnostics, LoadError, narrow, suggest};
use crate::project::fields::{Field, Kind, Need, Table};
use crate::project::layout::{EMAILS_FILE, Layout};

/// The top level of `templates/emails.toml`.
pub static EMAILS: Table = Table {
    name: "templates/emails.toml",
    doc: "The emails `verdict serve` sends to readers who sign up, in Markdown. Nothing a reader typed ever goes into them.",
    fields: &[
        Field::table("confirm", &CONFIRM, Need::Required),
        Field::table("welcome", &WELCOME, Need::Required),
    ],
};

/// `[confirm]`.
pub(super) static CONFIRM: Table = Table {
    name: "[confirm]",
    doc: "the email with the confirmation link; {newsletter}, {link}, {days} and {site} are filled in, and {link} must be in its text",
    fields: &[
        Field::required(
            "subject",
            Kind::Line,
            "\"Confirm your subscription to {newsletter}\"",
            "its Subject line",
        ),
        Field::required(
            "text",
            Kind::Markdown,
            "\"**[Confirm your subscription]({link})** (the link works for {days} days).\"",
            "its text",
        ),
    ],
};

/// `[welcome]`.
pub(super) static WELCOME: Table = Table {
    name: "[welcome]",
    doc: "the email once the address is confirmed; {newsletter}, {latest} (the latest issue's page) and {site} are filled in",
    fields: &[
        Field::required(
            "subject",
            Kind::Line,
            "\"Welcome to {newsletter}\"",
            "its Subject line",
        ),
        Field::required(
            "text",
            Kind::Markdown,
            "\"Read the latest one now: [{latest}]({latest})\"",
            "its text",
        ),
    ],
};

/// What the confirmation email may hold in braces.
pub(super) const CONFIRM_PLACEHOLDERS: &[&str] = &["newsletter", "link", "days", "site"];
/// What the welcome email may hold in braces.
pub(super) const WELCOME_PLACEHOLDERS: &[&str] = &["newsletter", "latest", "site"];

/// The texts of the emails sent to readers who sign up (`templates/emails.toml`).
#[derive(Debug, Clone)]
pub struct Emails {
    pub confirm: EmailText,
    pub welcome: EmailText,
}

/// One email's subject and Markdown text, with `{placeholders}`.
#[derive(Debug, Clone)]
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
        let (emails, report) = crate::diagnostic::syntax::read(
            path,
            source,
            "README.md describes every key of templates/emails.toml",
            |table, diagnostics| read_emails(table, source, diagnostics),
        );
        emails.ok_or(report)
    }

    /// The built-in texts, used when a project has no `templates/emails.toml`.
    pub const BUILT_IN: &str = include_str!("../../../templates/emails.toml");

    /// The project's, or the built-in ones when it has no `templates/emails.toml`.
    pub fn load(layout: &Layout) -> Result<Emails, LoadError> {
        let source = crate::store::fs::read_optional(&layout.emails())?
            .unwrap_or_else(|| Emails::BUILT_IN.to_string());
        Ok(Emails::parse(EMAILS_FILE, &source)?)
    }
}

fn read_emails(
    table: &DeTable<'_>,
    source: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Emails> {
    let mut reader = TableReader::new(table, 0..0, EMAILS_FILE, &EMAILS, diagnostics);
    let confirm = reader.table("confirm");
    let welcome = reader.table("welcome");
    reader.finish();
    let confirm = confirm.and_then(|(span, table)| {
        let (email, text_span) = read_email(
            span,
            table,
            &CONFIRM,
            CONFIRM_PLACEHOLDERS,
            source,
            diagnostics,
        )?;
        if !email.text.contains("{link}") {
            diagnostics.push(
                Diagnostic::error("the confirmation email has no {link}")
                    .at(text_span)
                    .label("the reader needs the link that confirms")
                    .help("put {link} in the text, e.g. [Confirm your subscription]({link})"),
            );
            return None;
        }
        Some(email)
    });
    let welcome = welcome.and_then(|(span, table)| {
        read_email(
            span,
            table,
            &WELCOME,
            WELCOME_PLACEHOLDERS,
            source,
            diagnostics,
        )
        .map(|(email, _)| email)
    });
    Some(Emails {
        confirm: confirm?,
        welcome: welcome?,
    })
}

/// One email's table, and where its text is.
fn read_email(
    span: Range<usize>,
    table: &DeTable<'_>,
    spec: &'static Table,
    placeholders: &[&str],
    source: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(EmailText, Range<usize>)> {
    let mut reader = TableReader::new(table, span, spec.name, spec, diagnostics);
    let subject = reader.required::<String>("subject");
    let text = reader.required::<String>("text");
    reader.finish();
    let (subject, text) = (subject?, text?);
    let mut ok = true;
    if let Err(d) = crate::diagnostic::text::header_safe(&subject.value, subject.span.clone()) {
        diagnostics.push(d.help("write the subject on one line"));
        ok = false;
    }
    for (key, field) in [("subject", &subject), ("text", &text)] {
        if field.value.trim().is_empty() {
            diagnostics.push(
                Diagnostic::error(format!("the {key} of {} is empty", spec.name))
                    .at(field.span.clone())
                    .help("write it: readers who sign up get this email"),
            );
            ok = false;
        }
    }
    for field in [&subject, &text] {
        ok &= placeholders_known(field, placeholders, source, diagnostics);
    }
    let problems = crate::author::markdown::link_diagnostics(
        &Markdown(text.value.clone()),
        text.span.clone(),
        source,
        placeholders,
    );
    ok &= problems.is_empty();
    diagnostics.extend(problems);
    ok.then_some((
        EmailText {
            subject: subject.value,
            text: text.value,
        },
        text.span,
    ))
}

/// Every `{word}` must be a placeholder this email fills; else readers would
/// get the braces.
fn placeholders_known(
    field: &Located<String>,
    placeholders: &[&str],
    source: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let mut ok = true;
    let mut rest = field.value.as_str();
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        let word = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if word && !placeholders.contains(&name) {
            ok = false;
            let label = match suggest(name, placeholders.iter().copied()) {
                Some(near) => format!("did you mean {{{near}}}?"),
                None => "not filled in by this email".to_string(),
            };
            diagnostics.push(
                Diagnostic::error(format!("unknown placeholder {{{name}}}"))
                    .at(narrow(source, field.span.clone(), &format!("{{{name}}}")))
                    .label(label)
                    .help(format!(
                        "this email fills in {}",
                        placeholders
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
            );
        }
        rest = &after[close + 1..];
    }
    ok
}
