//! Importing a CSV exported by another newsletter tool: common header names
//! mapped, BOM and CRLF tolerated, every bad row reported with its place.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::problems::field_span;
use super::{Reason, Subscriber, Suppression, normalize_address};
use crate::diagnostic::{Diagnostic, FileDiagnostics};

/// Header names other tools use, compared lower-cased without spaces, `_` or `-`.
const EMAIL_HEADERS: &[&str] = &[
    "email",
    "emailaddress",
    "mail",
    "subscriberemail",
    "address",
];
const NAME_HEADERS: &[&str] = &["name", "fullname", "displayname", "subscribername"];
const FIRST_NAME_HEADERS: &[&str] = &["firstname", "fname", "givenname", "first"];
const LAST_NAME_HEADERS: &[&str] = &["lastname", "lname", "surname", "familyname", "last"];
const DATE_HEADERS: &[&str] = &[
    "subscribedat",
    "subscribed",
    "createdat",
    "created",
    "dateadded",
    "optintime",
    "confirmtime",
    "signupdate",
    "subscriptiondate",
    "datesubscribed",
    "joined",
    "timestamp",
];

fn key(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .collect()
}

/// Columns saying whether a row's reader still wants mail: listmonk's
/// `status`, Buttondown's `subscriber_type`, and the like.
const STATUS_HEADERS: &[&str] = &[
    "status",
    "subscribertype",
    "subscriptionstatus",
    "memberstatus",
];
/// Substack's column: `true` when the reader turned email off.
const DISABLED_HEADERS: &[&str] = &["emaildisabled"];
/// Mailchimp's unsubscribed export has UNSUB_TIME; its cleaned export (hard
/// bounces) has CLEAN_TIME.
const UNSUBSCRIBED_EXPORT_HEADERS: &[&str] = &["unsubtime"];
const CLEANED_EXPORT_HEADERS: &[&str] = &["cleantime"];

/// Where a row's standing comes from.
#[derive(Debug, Clone, Copy)]
enum StandingColumn {
    /// Everyone is subscribed (a plain list).
    None,
    /// A status word per row.
    Status(usize),
    /// `true` per row when email is turned off.
    Disabled(usize),
    /// Every row of this export opted out, for this reason.
    Everyone(Reason),
}

/// What a row's status says about its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Subscribed,
    OptedOut(Reason),
    /// Never confirmed the sign-up: not imported.
    Unconfirmed,
}

/// Status words of the tools people move from, lower-cased.
fn standing(status: &str) -> Option<Standing> {
    Some(
        match status
            .trim()
            .to_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            // listmonk: enabled; Buttondown: regular, premium and its billing states;
            // Mailchimp and others: subscribed, active.
            "" | "enabled" | "active" | "subscribed" | "confirmed" | "regular" | "premium"
            | "churning" | "past_due" | "gifted" | "trialed" | "trialing" | "unpaid" | "paused" => {
                Standing::Subscribed
            }
            // listmonk: blocklisted (unsubscribed); Buttondown: unsubscribed, removed.
            "blocklisted" | "blacklisted" | "unsubscribed" | "removed" | "disabled"
            | "inactive" | "opted_out" => Standing::OptedOut(Reason::Unsubscribed),
            "cleaned" | "bounced" | "undeliverable" => Standing::OptedOut(Reason::Bounced),
            "complained" | "spammy" | "spam" | "spam_complaint" => {
                Standing::OptedOut(Reason::Complained)
            }
            "unconfirmed" | "unactivated" | "pending" | "unverified" => Standing::Unconfirmed,
            _ => return None,
        },
    )
}

/// Which column holds what.
struct Columns {
    email: usize,
    name: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    date: Option<usize>,
    standing: StandingColumn,
}

impl Columns {
    fn find(headers: &csv::StringRecord) -> Option<Columns> {
        // The first name that any header has, in the order given: Mailchimp's
        // "Email Address" comes before its postal "Address".
        let keys: Vec<String> = headers.iter().map(key).collect();
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| keys.iter().position(|k| k == name))
        };
        let standing = if find(CLEANED_EXPORT_HEADERS).is_some() {
            StandingColumn::Everyone(Reason::Bounced)
        } else if find(UNSUBSCRIBED_EXPORT_HEADERS).is_some() {
            StandingColumn::Everyone(Reason::Unsubscribed)
        } else if let Some(column) = find(STATUS_HEADERS) {
            StandingColumn::Status(column)
        } else if let Some(column) = find(DISABLED_HEADERS) {
            StandingColumn::Disabled(column)
        } else {
            StandingColumn::None
        };
        Some(Columns {
            email: find(EMAIL_HEADERS)?,
            name: find(NAME_HEADERS),
            first: find(FIRST_NAME_HEADERS),
            last: find(LAST_NAME_HEADERS),
            date: find(DATE_HEADERS),
            standing,
        })
    }
}

/// The rows of an import file that can be added, and every problem found.
#[derive(Debug)]
pub struct Parsed {
    pub subscribers: Vec<Subscriber>,
    /// Rows whose reader opted out in the other tool: for the suppression list.
    pub opted_out: Vec<Suppression>,
    /// Rows whose reader never confirmed: left out.
    pub unconfirmed: usize,
    /// Rows repeating an address earlier in the same file.
    pub duplicates: usize,
    pub report: FileDiagnostics,
}

/// Parses an import file's text. `path` is shown in messages; `now` dates rows
/// that carry no subscription date.
pub fn parse(path: &str, text: &str, now: DateTime<Utc>) -> Parsed {
    let mut report = FileDiagnostics::new(path, text);
    let mut parsed = Parsed {
        subscribers: Vec::new(),
        opted_out: Vec::new(),
        unconfirmed: 0,
        duplicates: 0,
        report: FileDiagnostics::new(path, ""),
    };
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        report.push(
            Diagnostic::error("the file is empty")
                .help("expected a CSV file whose first row names the columns, one of them an email column such as `email` or `Email Address`"),
        );
        parsed.report = report;
        return parsed;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => {
            report.push(csv_error(&error, text));
            parsed.report = report;
            return parsed;
        }
    };
    let Some(columns) = Columns::find(&headers) else {
        let end = text.find(['\r', '\n']).unwrap_or(text.len());
        report.push(
            Diagnostic::error("no email column in the header row")
                .at(0..end)
                .label("this header names no email column")
                .help("name a column `email`, `Email Address` or `E-mail`: the other columns may be `name`, `first name`, `last name` and `subscribed_at`"),
        );
        parsed.report = report;
        return parsed;
    };
    let mut seen = HashSet::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                report.push(csv_error(&error, text));
                continue;
            }
        }
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let raw_email = unquote_formula(record.get(columns.email).unwrap_or(""));
        let email = match normalize_address(raw_email) {
            Ok(email) => email,
            Err(message) => {
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue; // blank line
                }
                report.push(
                    Diagnostic::error(message.to_string())
                        .at(field_span(text, start, raw_email))
                        .label("not a valid address")
                        .help("expected an address such as reader@example.com; fix the row, or import with --skip-invalid to leave it out"),
                );
                continue;
            }
        };
        let field = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let name = field(columns.name)
            .map(|n| unquote_formula(n).to_string())
            .or_else(|| {
                let joined = [field(columns.first), field(columns.last)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                (!joined.is_empty()).then_some(joined)
            });
        if let Some(name) = &name
            && crate::diagnostic::text::has_control_char(name)
        {
            report.push(
                Diagnostic::error("the name contains a line break or control character")
                    .at(field_span(text, start, name))
                    .help("a name is written into the To header and must be one line"),
            );
            continue;
        }
        let subscribed_at = field(columns.date).and_then(parse_date).unwrap_or(now);
        let standing = match columns.standing {
            StandingColumn::None => Some(Standing::Subscribed),
            StandingColumn::Everyone(reason) => Some(Standing::OptedOut(reason)),
            StandingColumn::Status(i) => standing(record.get(i).unwrap_or("")),
            StandingColumn::Disabled(i) => {
                match record.get(i).unwrap_or("").trim().to_lowercase().as_str() {
                    "" | "false" | "no" | "0" => Some(Standing::Subscribed),
                    "true" | "yes" | "1" => Some(Standing::OptedOut(Reason::Unsubscribed)),
                    _ => None,
                }
            }
        };
        let Some(standing) = standing else {
            let (column, value) = match columns.standing {
                StandingColumn::Status(i) | StandingColumn::Disabled(i) => {
                    (headers.get(i).unwrap_or(""), record.get(i).unwrap_or(""))
                }
                _ => ("", ""),
            };
            report.push(
                Diagnostic::error(format!("`{value}` in the {column} column is not a status verdict knows"))
                    .at(field_span(text, start, value))
                    .label("unknown status")
                    .help(match columns.standing {
                        StandingColumn::Disabled(_) => "expected true (email turned off) or false".to_string(),
                        _ => "expected a subscribed status (enabled, active, subscribed, regular, premium), an opt-out (blocklisted, unsubscribed, removed, cleaned, bounced, complained) or unconfirmed".to_string(),
                    }),
            );
            continue;
        };
        // An opt-out anywhere in the file wins over a subscribed row.
        let opted_out = matches!(standing, Standing::OptedOut(_));
        if !seen.insert(email.clone()) && !opted_out {
            parsed.duplicates += 1;
            continue;
        }
        match standing {
            Standing::Subscribed => {}
            Standing::OptedOut(reason) => {
                parsed.opted_out.push(Suppression {
                    email,
                    reason,
                    at: Some(now),
                    detail: format!("{} in {path}", reason.label()),
                });
                continue;
            }
            Standing::Unconfirmed => {
                parsed.unconfirmed += 1;
                continue;
            }
        }
        parsed.subscribers.push(Subscriber {
            email,
            name,
            subscribed_at: Some(subscribed_at),
            consent: Some(format!("imported from {path}")),
        });
    }
    let out: HashSet<&str> = parsed.opted_out.iter().map(|s| s.email.as_str()).collect();
    let before = parsed.subscribers.len();
    parsed
        .subscribers
        .retain(|s| !out.contains(s.email.as_str()));
    parsed.duplicates += before - parsed.subscribers.len();
    parsed.report = report;
    parsed
}

/// Dates as other tools write them.
fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    // PostgreSQL's timestamptz, as listmonk exports it.
    if let Ok(at) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    for format in ["%Y-%m-%d", "%m/%d/%Y"] {
        if let Ok(day) = NaiveDate::parse_from_str(text, format) {
            return day.and_hms_opt(0, 0, 0).map(|at| at.and_utc());
        }
    }
    None
}

/// A cell neutralised for spreadsheets by an export (a `'` before `=`, `+`, `-`,
/// `@`) reads back as it was.
fn unquote_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

fn csv_error(error: &csv::Error, text: &str) -> Diagnostic {
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "the file is not UTF-8 text: is it a spreadsheet or another binary file?".to_string()
        }
        _ => format!("this is not valid CSV: {error}"),
    };
    let diagnostic = Diagnostic::error(message)
        .help("export the list as CSV (comma-separated, UTF-8) from your previous tool");
    match error.position() {
        Some(position) => {
            let start = (position.byte() as usize).min(text.len());
            let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
            diagnostic.at(start..end)
        }
        None => diagnostic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-28T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn maps_other_tools_headers_with_bom_quoted_commas_and_crlf() {
        let text = "\u{feff}Email Address,First Name,Last Name,OPTIN_TIME\r\nA@Example.com,\"Ops, Data\",Desk,2025-03-04 10:00:00\r\nb@example.org,,,\r\n";
        let parsed = parse("in.csv", text, now());
        assert_eq!(parsed.report.error_count(), 0, "{}", parsed.report);
        assert_eq!(parsed.subscribers.len(), 2);
        assert_eq!(parsed.subscribers[0].email, "a@example.com");
        assert_eq!(
            parsed.subscribers[0].name.as_deref(),
            Some("Ops, Data Desk")
        );
        assert_eq!(
            parsed.subscribers[0].subscribed_at.unwrap().to_rfc3339(),
            "2025-03-04T10:00:00+00:00"
        );
        assert_eq!(parsed.subscribers[1].name, None);
        assert_eq!(parsed.subscribers[1].subscribed_at, Some(now()));
    }

    #[test]
    fn the_same_address_in_two_cases_is_one_subscriber() {
        let parsed = parse("in.csv", "email\nA@example.com\na@EXAMPLE.com\n", now());
        assert_eq!(parsed.subscribers.len(), 1);
        assert_eq!(parsed.duplicates, 1);
    }

    #[test]
    fn a_bad_row_is_located() {
        let parsed = parse(
            "in.csv",
            "email,name\nok@example.com,A\nnot-an-address,B\n",
            now(),
        );
        let rendered = parsed.report.render(false);
        assert!(rendered.contains("in.csv:3:1"), "{rendered}");
        assert_eq!(parsed.subscribers.len(), 1);
    }
}
