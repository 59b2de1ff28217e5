//! Importing a CSV exported by another newsletter tool: common header names
//! mapped, BOM and CRLF tolerated, every bad row reported with its place.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::problems::{field_range, record_start};
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
/// `status` (blocklisted) and `subscription_status` (this list's), Buttondown's
/// `subscriber_type` and newer `type`, and the like. Every one a file has is
/// read: an opt-out in any of them wins.
const STATUS_HEADERS: &[&str] = &[
    "status",
    "subscribertype",
    "subscriptionstatus",
    "memberstatus",
    "type",
];
/// Substack's column: `true` when the reader turned email off.
const DISABLED_HEADERS: &[&str] = &["emaildisabled"];
/// Mailchimp's unsubscribed export has UNSUB_TIME; its cleaned export (hard
/// bounces) has CLEAN_TIME.
const UNSUBSCRIBED_EXPORT_HEADERS: &[&str] = &["unsubtime"];
const CLEANED_EXPORT_HEADERS: &[&str] = &["cleantime"];

/// Where a row's standing comes from.
#[derive(Debug, Clone)]
enum StandingColumn {
    /// Everyone is subscribed (a plain list).
    None,
    /// Status words per row, in these columns.
    Status(Vec<usize>),
    /// `true` per row when email is turned off.
    Disabled(usize),
    /// Every row of this export has this standing (Mailchimp's exports per status).
    Everyone(Standing),
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
    /// The columns of a file, from its header and (for Mailchimp's exports,
    /// one file per status) its name.
    fn find(headers: &csv::StringRecord, file_name: &str) -> Option<Columns> {
        // The first name that any header has, in the order given: Mailchimp's
        // "Email Address" comes before its postal "Address".
        let keys: Vec<String> = headers.iter().map(key).collect();
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| keys.iter().position(|k| k == name))
        };
        let statuses: Vec<usize> = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| STATUS_HEADERS.contains(&k.as_str()))
            .map(|(i, _)| i)
            .collect();
        let file_name = file_name.to_ascii_lowercase();
        let standing = if find(CLEANED_EXPORT_HEADERS).is_some() {
            StandingColumn::Everyone(Standing::OptedOut(Reason::Bounced))
        } else if find(UNSUBSCRIBED_EXPORT_HEADERS).is_some() {
            StandingColumn::Everyone(Standing::OptedOut(Reason::Unsubscribed))
        } else if file_name.contains("nonsubscribed") {
            // Mailchimp's contacts who never subscribed (buyers, imports without
            // consent): its export has the subscribed columns and no status.
            StandingColumn::Everyone(Standing::Unconfirmed)
        } else if !statuses.is_empty() {
            StandingColumn::Status(statuses)
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
    /// Problems that are not one row's (a quote never closed swallows the rows
    /// after it): `--skip-invalid` cannot leave them out.
    pub structural: usize,
    /// Which columns were read for what, to tell the editor.
    pub columns_read: String,
    /// Whether some column says who opted out; if none does, everyone in the
    /// file is imported as subscribed, and the editor should know.
    pub knows_opt_outs: bool,
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
        structural: 0,
        columns_read: String::new(),
        knows_opt_outs: false,
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
    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let Some(columns) = Columns::find(&headers, file_name) else {
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
    parsed.knows_opt_outs = !matches!(columns.standing, StandingColumn::None);
    parsed.columns_read = columns.describe(&headers);
    let mut seen = HashSet::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                report.push(csv_error(&error, text));
                parsed.structural += 1;
                continue;
            }
        }
        let start = record_start(text, record.position().map_or(0, |p| p.byte() as usize));
        let at = |index: usize| field_range(text, start, index);
        // A quote never closed makes one field of the rows after it: that is
        // no bad row to leave out, but a file to fix.
        if let Some(index) = record.iter().position(|f| f.contains(['\n', '\r'])) {
            let lines = record.get(index).unwrap_or("").lines().count();
            report.push(
                Diagnostic::error(format!(
                    "a quote opened here is never closed, so the {lines} lines after it read as one field"
                ))
                .at(at(index).start..at(index).start + 1)
                .label("this quote")
                .help("close the quote (or remove it) and import again; --skip-invalid cannot leave this out, as the rows after it would be lost"),
            );
            parsed.structural += 1;
            continue;
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank line
        }
        // More fields than the header: an unquoted comma (in a name, or typed
        // for a dot in an address) moved the values into the wrong columns.
        if record.len() > headers.len() {
            let extra = record.len() - headers.len();
            let names: Vec<&str> = headers
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}'))
                .collect();
            report.push(
                Diagnostic::error(format!(
                    "this row has {} fields, but the header has {}",
                    record.len(),
                    headers.len()
                ))
                .at(at(headers.len()).start..at(record.len() - 1).end)
                .label(format!("{extra} field(s) more than the header names"))
                .help(format!(
                    "expected {} fields ({}), as the header has; put a value that holds a comma in double quotes (\"Stone, Eve\"), or import with --skip-invalid to leave the row out",
                    headers.len(),
                    names.join(", ")
                )),
            );
            continue;
        }
        let raw_email = unquote_formula(record.get(columns.email).unwrap_or(""));
        let email = match normalize_address(raw_email) {
            Ok(email) => email,
            Err(message) => {
                report.push(
                    Diagnostic::error(message.to_string())
                        .at(at(columns.email))
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
                    .at(columns.name.map_or(start..start, at))
                    .help("a name is written into the To header and must be one line"),
            );
            continue;
        }
        let subscribed_at = match field(columns.date) {
            None => now,
            Some(text) => parse_date(text).unwrap_or_else(|| {
                report.push(
                    Diagnostic::warning(format!("the date `{text}` could not be read"))
                        .at(columns.date.map_or(start..start, at))
                        .label("taken as the time of this import")
                        .help("write it as 2026-11-29, 2026-11-29 10:03:12, 2026-11-29T10:03:12Z or 11/29/2026 to keep it"),
                );
                now
            }),
        };
        // The standing the row's columns give; the first column that says
        // nothing verdict knows, if any.
        let (standing, unknown) = match &columns.standing {
            StandingColumn::None => (Some(Standing::Subscribed), None),
            StandingColumn::Everyone(standing) => (Some(*standing), None),
            StandingColumn::Status(indexes) => {
                let mut found = Vec::new();
                let mut unknown = None;
                for &i in indexes {
                    match standing(record.get(i).unwrap_or("")) {
                        Some(s) => found.push(s),
                        None => unknown = unknown.or(Some(i)),
                    }
                }
                (unknown.is_none().then(|| strongest(&found)), unknown)
            }
            StandingColumn::Disabled(i) => {
                match record.get(*i).unwrap_or("").trim().to_lowercase().as_str() {
                    "" | "false" | "no" | "0" => (Some(Standing::Subscribed), None),
                    "true" | "yes" | "1" => (Some(Standing::OptedOut(Reason::Unsubscribed)), None),
                    _ => (None, Some(*i)),
                }
            }
        };
        let Some(standing) = standing else {
            let i = unknown.unwrap_or(columns.email);
            let (column, value) = (headers.get(i).unwrap_or(""), record.get(i).unwrap_or(""));
            report.push(
                Diagnostic::error(format!("`{value}` in the {column} column is not a status verdict knows"))
                    .at(at(i))
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

/// The standing several status columns give together: an opt-out in any wins
/// (a complaint over a bounce over an unsubscribe), then an unconfirmed one.
fn strongest(found: &[Standing]) -> Standing {
    let rank = |s: &Standing| match s {
        Standing::OptedOut(Reason::Complained) => 5,
        Standing::OptedOut(Reason::Bounced) => 4,
        Standing::OptedOut(_) => 3,
        Standing::Unconfirmed => 2,
        Standing::Subscribed => 1,
    };
    found
        .iter()
        .copied()
        .max_by_key(rank)
        .unwrap_or(Standing::Subscribed)
}

impl Columns {
    /// Which column was read for what, as the editor should hear it.
    fn describe(&self, headers: &csv::StringRecord) -> String {
        let name = |i: usize| {
            format!(
                "`{}`",
                headers.get(i).unwrap_or("").trim_start_matches('\u{feff}')
            )
        };
        let mut parts = vec![format!("the address from {}", name(self.email))];
        if let Some(i) = self.name {
            parts.push(format!("the name from {}", name(i)));
        }
        let halves: Vec<String> = [self.first, self.last]
            .into_iter()
            .flatten()
            .map(name)
            .collect();
        if !halves.is_empty() {
            parts.push(format!("the name from {}", halves.join(" and ")));
        }
        if let Some(i) = self.date {
            parts.push(format!("the date from {}", name(i)));
        }
        match &self.standing {
            StandingColumn::Status(indexes) => parts.push(format!(
                "who opted out from {}",
                indexes
                    .iter()
                    .map(|i| name(*i))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )),
            StandingColumn::Disabled(i) => parts.push(format!("who opted out from {}", name(*i))),
            StandingColumn::Everyone(_) | StandingColumn::None => {}
        }
        parts.join(", ")
    }
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
    fn a_date_that_cannot_be_read_is_a_located_warning_and_the_import_time() {
        let parsed = parse(
            "in.csv",
            "email,name,created\na@example.com,A,yesterday\nb@example.com,B,2026-01-02\n",
            now(),
        );
        let rendered = parsed.report.render(false);
        assert_eq!(parsed.report.error_count(), 0, "{rendered}");
        assert_eq!(parsed.report.warning_count(), 1, "{rendered}");
        assert!(rendered.contains("in.csv:2:17"), "{rendered}");
        assert!(rendered.contains("the date `yesterday` could not be read"));
        assert_eq!(parsed.subscribers[0].subscribed_at, Some(now()));
        assert_ne!(parsed.subscribers[1].subscribed_at, Some(now()));
    }

    #[test]
    fn a_row_with_more_fields_than_the_header_is_located_and_left_out() {
        let parsed = parse(
            "in.csv",
            "Email Address,First Name,Last Name\nok@example.com,Ok,Row\neve@example,com,Eve,Stone\n",
            now(),
        );
        let rendered = parsed.report.render(false);
        assert_eq!(parsed.report.error_count(), 1, "{rendered}");
        assert!(rendered.contains("in.csv:3:21"), "{rendered}");
        assert!(
            rendered.contains("this row has 4 fields, but the header has 3"),
            "{rendered}"
        );
        assert_eq!(parsed.subscribers.len(), 1);
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
