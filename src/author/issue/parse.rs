//! Reading an issue file: TOML with spans, every field checked, every problem
//! reported with its location; lints that need only the file become warnings.

use std::ops::Range;

use chrono::{DateTime, NaiveDate};
use toml::de::{DeTable, DeValue};

use super::profile::{Lookup, Shared, SharedFields};
use super::{Catalog, Issue, Located, MAX_TOOLS, Markdown, Review, Tool, Verdict, fields};
use crate::diagnostic::table_reader::TableReader;
use crate::diagnostic::text::control_char_offset;
use crate::diagnostic::{Diagnostic, FileDiagnostics, narrow, suggest};
use crate::project::layout::TOOLS_DIR;
use crate::project::templates::Roster;

/// Longest subject that most inboxes show whole, and RFC 5322's line advice.
pub(super) const SUBJECT_MAX_CHARS: usize = 78;

/// An issue and the warnings its file raised.
#[derive(Debug, Clone)]
pub struct ParsedIssue {
    pub issue: Issue,
    pub warnings: FileDiagnostics,
}

/// Splits `YYYY-MM-DD-slug.toml` into the issue id and date.
pub fn parse_file_name(file_name: &str) -> Result<(String, NaiveDate), String> {
    let stem = file_name
        .strip_suffix(".toml")
        .ok_or_else(|| format!("`{file_name}` is not a .toml file"))?;
    let expected =
        "issue files are named YYYY-MM-DD-slug.toml, e.g. 2026-11-26-axolotl-vs-mistral.toml";
    let date = stem
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| format!("`{file_name}` does not start with a date: {expected}"))?;
    let slug = stem[10..].strip_prefix('-').unwrap_or("");
    let slug_ok = !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        return Err(format!(
            "`{file_name}` needs a slug of lowercase letters, digits and `-` after the date: {expected}"
        ));
    }
    Ok((stem.to_string(), date))
}

impl Issue {
    /// Parses and validates one issue file. `path` is shown in messages; the file
    /// name gives the id and date.
    pub fn parse(
        path: &str,
        source: &str,
        catalog: Catalog<'_>,
    ) -> Result<ParsedIssue, FileDiagnostics> {
        let mut report = FileDiagnostics::new(path, source);
        let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let name = parse_file_name(file_name);
        if let Err(message) = &name {
            report.push(Diagnostic::error(message.clone()));
        }
        let (issue, read) = crate::diagnostic::syntax::read(
            path,
            source,
            "see README.md for the issue file format",
            |table, diagnostics| read_issue(table, diagnostics, catalog, source),
        );
        report.diagnostics.extend(read.diagnostics);
        match (issue, name) {
            (Some(mut issue), Ok((id, date))) if report.error_count() == 0 => {
                issue.id = id;
                issue.date = date;
                Ok(ParsedIssue {
                    issue,
                    warnings: report,
                })
            }
            _ => Err(report),
        }
    }
}

fn read_issue(
    table: &DeTable<'_>,
    diagnostics: &mut Vec<Diagnostic>,
    catalog: Catalog<'_>,
    source: &str,
) -> Option<Issue> {
    let mut reader = TableReader::new(table, 0..0, "the issue", &fields::ROOT, diagnostics);
    let subject = reader.required::<String>("subject");
    let kicker = reader.optional::<String>("kicker");
    let title = reader.optional::<String>("title");
    let preheader = reader.optional::<String>("preheader");
    let intro = reader.required::<String>("intro");
    let send_at = reader.optional::<toml::value::Datetime>("send_at");
    let not_after = reader.optional::<toml::value::Datetime>("not_after");
    let bottom_line = reader.optional::<String>("bottom_line");
    let tool_tables = reader.tables("tool");
    if tool_tables.is_none() && !table.contains_key("tool") {
        reader.report(
            Diagnostic::error("the issue has no tools")
                .at(0..0)
                .help("add two [[tool]] tables, one per tool compared; `verdict new` writes a complete skeleton"),
        );
    }
    reader.finish();

    if let Some(subject) = &subject {
        let length = subject.value.chars().count();
        if length > SUBJECT_MAX_CHARS {
            diagnostics.push(
                Diagnostic::warning(format!("the subject is {length} characters long"))
                    .at(subject.span.clone())
                    .label(format!(
                        "inboxes cut subjects after about {SUBJECT_MAX_CHARS} characters"
                    ))
                    .help(format!(
                        "keep the subject within {SUBJECT_MAX_CHARS} characters"
                    )),
            );
        }
    }
    if preheader.as_ref().is_none_or(|p| p.value.trim().is_empty()) {
        let warning = Diagnostic::warning("the issue has no preheader").help(
            "add preheader = \"...\": without it inboxes preview the first words of the email",
        );
        diagnostics.push(match (&preheader, &subject) {
            (Some(empty), _) => warning
                .at(empty.span.clone())
                .label("this preheader is empty"),
            (None, Some(subject)) => warning
                .at(subject.span.clone())
                .label("the preview line goes under the subject"),
            (None, None) => warning,
        });
    }
    let subject = subject.and_then(|s| one_line(s, "subject", true, diagnostics));
    let preheader = preheader
        .and_then(|s| one_line(s, "preheader", false, diagnostics))
        .filter(|p| !p.is_empty());
    let kicker = kicker.and_then(|s| one_line(s, "kicker", true, diagnostics));
    let headline = title.and_then(|s| one_line(s, "title", true, diagnostics));
    unfinished(table, send_at.is_some(), diagnostics);
    let send_at = send_at.and_then(|s| moment("send_at", s, diagnostics));
    let not_after = not_after.and_then(|s| moment("not_after", s, diagnostics));
    if let (Some(start), Some(end)) = (&send_at, &not_after)
        && end.value <= start.value
    {
        diagnostics.push(
            Diagnostic::warning("not_after is not after send_at: nobody would get the issue")
                .at(end.span.clone())
                .label("the send window closes before it opens")
                .help("set not_after later than send_at, or leave it out"),
        );
    }
    let intro = intro.and_then(|s| required_markdown(s, "intro", source, diagnostics));
    let bottom_line = bottom_line
        .filter(|s| !s.value.trim().is_empty())
        .map(|s| markdown(s, source, diagnostics));

    let tool_tables = tool_tables.unwrap_or_default();
    if !tool_tables.is_empty() && !(2..=MAX_TOOLS).contains(&tool_tables.len()) {
        let span = tool_tables[0].0.clone();
        diagnostics.push(
            Diagnostic::error(format!("the issue compares {} tool(s)", tool_tables.len()))
                .at(span)
                .help(format!("a comparison has 2 to {MAX_TOOLS} [[tool]] tables")),
        );
    }
    same_tool_twice(&tool_tables, catalog, diagnostics);
    let tools: Vec<Option<Tool>> = tool_tables
        .iter()
        .enumerate()
        .map(|(i, (span, table))| {
            read_tool(i + 1, span.clone(), table, catalog, source, diagnostics)
        })
        .collect();

    Some(Issue {
        id: String::new(),
        date: NaiveDate::default(),
        subject: subject?,
        kicker,
        headline,
        preheader,
        intro: intro?,
        send_at,
        not_after,
        bottom_line,
        tools: tools.into_iter().collect::<Option<Vec<_>>>()?,
    })
}

fn read_tool(
    number: usize,
    span: Range<usize>,
    table: &DeTable<'_>,
    catalog: Catalog<'_>,
    source: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Tool> {
    let what = format!("tool {number}");
    let mut reader = TableReader::new(
        table,
        span.clone(),
        what.clone(),
        &fields::TOOL,
        diagnostics,
    );
    let id = reader.optional::<String>("tool");
    // The profile named, if any; `Err` when the name leads nowhere (reported),
    // so that the fields it would give are not also reported missing.
    let profile = match &id {
        // `tool` of the wrong type is reported; its fields are not also missing.
        None if table.contains_key("tool") => Err(()),
        None => Ok(None),
        Some(id) => match catalog.tools.lookup(&id.value) {
            Lookup::Found(profile) => Ok(Some(profile)),
            Lookup::Invalid => {
                reader.report(
                    Diagnostic::error(format!(
                        "the profile {TOOLS_DIR}/{}.toml has errors",
                        id.value
                    ))
                    .at(id.span.clone())
                    .label("this profile could not be read")
                    .help("fix the profile first: `verdict check` shows its problems"),
                );
                Err(())
            }
            Lookup::Unknown => {
                reader.report(unknown_profile(&id.value, id.span.clone(), catalog));
                Err(())
            }
        },
    };
    let given = match profile {
        Ok(Some(profile)) => Shared::of(profile),
        _ => Shared::default(),
    };
    let optional = |key: &str| profile.is_err() || given.gives(key);
    let hint = match &profile {
        Ok(Some(profile)) => format!(
            "; {TOOLS_DIR}/{}.toml gives none, and may give it for every issue",
            profile.id
        ),
        _ => String::new(),
    };
    let name = reader.required_unless::<String>("name", optional("name"), &hint);
    let version = reader.optional::<String>("version");
    let shared = SharedFields::read(&mut reader, &optional, &hint);
    let description = reader.required::<String>("description");
    let community_vote = reader.optional::<f64>("community_vote");
    let review_tables = reader.tables("review");
    reader.finish();

    if let (None, Some(name)) = (&id, &name)
        && let Some(profile) = catalog.tools.named(&name.value)
    {
        diagnostics.push(
            Diagnostic::warning(format!(
                "{} has a profile, {TOOLS_DIR}/{}.toml, that this tool does not name",
                profile.name, profile.id
            ))
            .at(name.span.clone())
            .label("written out in full")
            .help(format!(
                "write tool = \"{}\" and keep only what differs in this issue, so the tool's page gathers every verdict on it",
                profile.id
            )),
        );
    }
    let name = match name {
        Some(name) => one_line(name, "name", true, diagnostics),
        None => given.name.clone(),
    };
    let version = version
        .and_then(|s| one_line(s, "version", false, diagnostics))
        .filter(|v| !v.is_empty());
    let shared = shared
        .check(catalog.tools.files(), diagnostics)
        .map(|own| own.over(given.clone()));
    let community_vote = community_vote.map(|vote| vote.value);
    let review_tables = review_tables.unwrap_or_default();
    let tool_label = name.clone().unwrap_or(what);
    if review_tables.is_empty() {
        diagnostics.push(
            Diagnostic::error(format!("{tool_label} has no reviews"))
                .at(span)
                .label("this tool needs at least one [[tool.review]]")
                .help("the panel ship percentage and split are computed from the reviews; add one [[tool.review]] per panelist"),
        );
    }
    let mut reviews = Vec::new();
    let mut complete = true;
    for (i, (span, table)) in review_tables.iter().enumerate() {
        let what = format!("review {} of {tool_label}", i + 1);
        match read_review(what, span.clone(), table, catalog.roster, diagnostics) {
            Some(review) => {
                if reviews
                    .iter()
                    .any(|r: &(Review, Range<usize>)| r.0.reviewer == review.0.reviewer)
                {
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "`{}` reviews {tool_label} twice",
                            review.0.reviewer
                        ))
                        .at(review.1.clone())
                        .help("each panelist gives one verdict per tool"),
                    );
                }
                reviews.push(review);
            }
            None => complete = false,
        }
    }
    if !complete || reviews.is_empty() || profile.is_err() {
        return None;
    }
    let shared = shared?;
    Some(Tool {
        profile: id.map(|id| id.value),
        name: name?,
        version,
        category: shared.category?,
        tagline: shared.tagline?,
        pricing: shared.pricing?,
        link: shared.link?,
        logo: shared.logo,
        description: required_markdown(description?, "description", source, diagnostics)?,
        community_vote,
        reviews: reviews.into_iter().map(|(review, _)| review).collect(),
    })
}

fn read_review(
    what: String,
    span: Range<usize>,
    table: &DeTable<'_>,
    roster: &Roster,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(Review, Range<usize>)> {
    let mut reader = TableReader::new(table, span, what, &fields::REVIEW, diagnostics);
    let reviewer = reader.required::<String>("reviewer");
    let verdict = reader.required::<String>("verdict");
    let quote = reader.required::<String>("quote");
    reader.finish();
    // Every mistake of the review is reported, not only the first.
    let known = reviewer.as_ref().filter(|reviewer| {
        if roster.get(&reviewer.value).is_some() {
            return true;
        }
        let ids: Vec<&str> = roster.ids().collect();
        let label = match suggest(&reviewer.value, ids.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => "not on the panel".to_string(),
        };
        diagnostics.push(
            Diagnostic::error(format!("unknown reviewer `{}`", reviewer.value))
                .at(reviewer.span.clone())
                .label(label)
                .help(format!(
                    "reviewers are the ids in templates/panel.toml: {}",
                    ids.join(", ")
                )),
        );
        false
    });
    let quote = quote.filter(|quote| {
        let written = !quote.value.trim().is_empty();
        if !written {
            diagnostics.push(
                Diagnostic::error("the quote is empty")
                    .at(quote.span.clone())
                    .help("write the panelist's words"),
            );
        }
        written
    });
    let verdict = verdict.and_then(|v| verdict_value(v, diagnostics));
    let (reviewer, quote, verdict) = (known.cloned()?, quote?, verdict?);
    Some((
        Review {
            reviewer: reviewer.value,
            verdict,
            quote: quote.value.trim().to_string(),
        },
        reviewer.span,
    ))
}

/// An error at each `[[tool]]` that is an earlier one again: the same profile,
/// or the same name in any case (written, or given by its profile). A
/// comparison of a tool with itself says nothing.
fn same_tool_twice(
    tool_tables: &[(Range<usize>, &DeTable<'_>)],
    catalog: Catalog<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let text = |table: &DeTable<'_>, key: &str| {
        table.get(key).and_then(|value| {
            let text = value.get_ref().as_str()?.trim().to_string();
            (!text.is_empty()).then(|| (text, value.span()))
        })
    };
    // Each tool's profile id and name as compared, with the name's place.
    let mut seen: Vec<(Option<String>, Option<String>)> = Vec::new();
    for (i, (span, table)) in tool_tables.iter().enumerate() {
        let id = text(table, "tool");
        let profile_name = id
            .as_ref()
            .and_then(|(id, _)| match catalog.tools.lookup(id) {
                Lookup::Found(profile) => Some(profile.name.clone()),
                _ => None,
            });
        let written = text(table, "name");
        let name = written
            .as_ref()
            .map(|(name, _)| name.clone())
            .or(profile_name);
        let folded = name.as_ref().map(|n| n.to_lowercase());
        let id_value = id.as_ref().map(|(id, _)| id.clone());
        let earlier = seen.iter().position(|(seen_id, seen_name)| {
            (id_value.is_some() && *seen_id == id_value)
                || (folded.is_some() && *seen_name == folded)
        });
        if let Some(earlier) = earlier {
            let same_profile = id_value.is_some() && seen[earlier].0 == id_value;
            // The line that makes it the same tool: the profile named, else the name.
            let place = match (&id, &written) {
                (Some((_, at)), _) if same_profile => at.clone(),
                (_, Some((_, at))) => at.clone(),
                (Some((_, at)), None) => at.clone(),
                (None, None) => span.clone(),
            };
            let what = match (&id_value, &name) {
                (Some(id), _) if same_profile => format!("the profile `{id}`"),
                (_, Some(name)) => format!("`{name}`"),
                _ => "the same tool".to_string(),
            };
            diagnostics.push(
                Diagnostic::error(format!(
                    "tool {} is tool {} again: {what} is compared with itself",
                    i + 1,
                    earlier + 1
                ))
                .at(place)
                .label("the same tool as an earlier [[tool]]")
                .help("a comparison needs different tools: name another tool here, or remove this [[tool]]"),
            );
        }
        seen.push((id_value, folded));
    }
}

/// The words `verdict new` leaves for the editor to replace: a warning in a
/// draft, an error once the issue has a send time, so that none reaches readers.
fn unfinished(table: &DeTable<'_>, scheduled: bool, diagnostics: &mut Vec<Diagnostic>) {
    fn walk(value: &toml::Spanned<DeValue<'_>>, found: &mut Vec<std::ops::Range<usize>>) {
        match value.get_ref() {
            DeValue::String(text) if super::is_placeholder(text) => found.push(value.span()),
            DeValue::Array(items) => items.iter().for_each(|item| walk(item, found)),
            DeValue::Table(table) => table.values().for_each(|item| walk(item, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for value in table.values() {
        walk(value, &mut found);
    }
    for span in found {
        let diagnostic = if scheduled {
            Diagnostic::error("this text is still the scaffold's")
                .label("replace it before the issue is sent")
        } else {
            Diagnostic::warning("this text is still the scaffold's")
                .label("replace it before you give the issue a send_at")
        };
        diagnostics.push(diagnostic.at(span).help(format!(
            "`verdict new` writes {} where your words go",
            super::PLACEHOLDER_HINT
        )));
    }
}

/// An id that names no profile, located, with the nearest id.
fn unknown_profile(id: &str, span: Range<usize>, catalog: Catalog<'_>) -> Diagnostic {
    let ids: Vec<&str> = catalog.tools.ids().collect();
    let label = match suggest(id, ids.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None if id.trim().is_empty() => "an empty id names no profile".to_string(),
        None => format!("there is no {TOOLS_DIR}/{id}.toml"),
    };
    let known = match ids.len() {
        0 => format!("{TOOLS_DIR}/ holds no profiles yet"),
        1..=12 => format!("the profiles are {}", ids.join(", ")),
        n => format!("{n} profiles, e.g. {}, …", ids[..8].join(", ")),
    };
    Diagnostic::error(format!("unknown tool profile `{id}`"))
        .at(span)
        .label(label)
        .help(format!(
            "`tool` names a file in {TOOLS_DIR}/ without .toml ({known}); or leave `tool` out and write every field"
        ))
}

/// A field shown on one line (and, for the subject, written into a header).
pub(super) fn one_line(
    field: Located<String>,
    key: &str,
    required: bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    if let Some(offset) = control_char_offset(&field.value) {
        let what = if field.value[offset..].starts_with(['\n', '\r']) {
            "a line break"
        } else {
            "a control character"
        };
        let header = if key == "subject" {
            " and would end up in the email's Subject header"
        } else {
            ""
        };
        diagnostics.push(
            Diagnostic::error(format!("`{key}` contains {what}{header}"))
                .at(field.span)
                .label(format!("{what} inside this string"))
                .help(format!("`{key}` must be a single line of text")),
        );
        return None;
    }
    if let Some(offset) = crate::diagnostic::text::bidi_control_offset(&field.value) {
        let start = field.span.start + 1 + offset;
        diagnostics.push(
            Diagnostic::warning(format!(
                "`{key}` contains a bidirectional control character, which can make it read differently than it is"
            ))
            .at(start..start + 3)
            .label("an invisible direction override")
            .help("remove it; write right-to-left text without overrides"),
        );
    }
    let value = field.value.trim().to_string();
    if required && value.is_empty() {
        diagnostics.push(
            Diagnostic::error(format!("`{key}` is empty"))
                .at(field.span)
                .help(format!("write the {key}")),
        );
        return None;
    }
    Some(value)
}

pub(super) fn web_link(
    field: Located<String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    let ok = url::Url::parse(&field.value)
        .map(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
        .unwrap_or(false);
    if ok && control_char_offset(&field.value).is_none() {
        Some(field.value)
    } else {
        diagnostics.push(
            Diagnostic::error(format!("`{}` is not a web address", field.value))
                .at(field.span)
                .help("expected an http:// or https:// URL"),
        );
        None
    }
}

fn moment(
    key: &str,
    field: Located<toml::value::Datetime>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Located<DateTime<chrono::FixedOffset>>> {
    let datetime = &field.value;
    let error = if datetime.date.is_none() || datetime.time.is_none() {
        Some(format!("`{key}` needs a date and a time"))
    } else if datetime.offset.is_none() {
        Some(format!(
            "`{key}` has no UTC offset, so the moment it names is ambiguous"
        ))
    } else {
        None
    };
    let parsed = DateTime::parse_from_rfc3339(&datetime.to_string()).ok();
    match (error, parsed) {
        (None, Some(value)) => Some(Located {
            value,
            span: field.span,
        }),
        (error, _) => {
            diagnostics.push(
                Diagnostic::error(
                    error.unwrap_or_else(|| format!("`{key}` is not a valid moment")),
                )
                .at(field.span)
                .label("add an offset such as +01:00 or Z")
                .help(format!(
                    "expected a datetime with an offset, e.g. {key} = 2026-11-26T09:00:00+01:00"
                )),
            );
            None
        }
    }
}

/// "ship" or "skip", in any case; anything else is located with did-you-mean.
fn verdict_value(field: Located<String>, diagnostics: &mut Vec<Diagnostic>) -> Option<Verdict> {
    match field.value.trim().to_ascii_lowercase().as_str() {
        "ship" => Some(Verdict::Ship),
        "skip" => Some(Verdict::Skip),
        other => {
            let label = match suggest(other, ["ship", "skip"]) {
                Some(near) => format!("did you mean `{near}`?"),
                None => "not a verdict".to_string(),
            };
            diagnostics.push(
                Diagnostic::error(format!("unknown verdict `{}`", field.value))
                    .at(field.span)
                    .label(label)
                    .help("a verdict is \"ship\" or \"skip\""),
            );
            None
        }
    }
}

/// A Markdown field that must say something.
fn required_markdown(
    field: Located<String>,
    key: &str,
    source: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Markdown> {
    if field.value.trim().is_empty() {
        diagnostics.push(
            Diagnostic::error(format!("`{key}` is empty"))
                .at(field.span)
                .label("nothing to show here")
                .help(format!("write the {key}: readers would get a hollow email")),
        );
        return None;
    }
    Some(markdown(field, source, diagnostics))
}

/// A Markdown field, with lints on what it would render as.
fn markdown(field: Located<String>, source: &str, diagnostics: &mut Vec<Diagnostic>) -> Markdown {
    let text = Markdown(field.value);
    diagnostics.extend(crate::author::markdown::link_diagnostics(
        &text,
        field.span.clone(),
        source,
        &[],
    ));
    for image in text.images() {
        if !crate::author::markdown::web_image(&image.url) {
            diagnostics.push(
                Diagnostic::error(format!("an image must be on the web: `{}`", image.url))
                    .at(narrow(source, field.span.clone(), &image.url))
                    .label("in this text")
                    .help("link an image by its https:// address; other sources (data:, javascript:, files) are not shown"),
            );
        }
        if image.alt.trim().is_empty() {
            diagnostics.push(
                Diagnostic::warning(format!("the image {} has no alt text", image.url))
                    .at(narrow(source, field.span.clone(), &image.url))
                    .label("this image has no alt text")
                    .help("write ![what the image shows](url): readers with images off or a screen reader see only the alt text"),
            );
        }
    }
    if let Some(strong) = text.unpaired_strong() {
        diagnostics.push(
            Diagnostic::warning("this `**` is not closed: readers would see the asterisks")
                .at(narrow(source, field.span.clone(), &strong))
                .label("opened here, never closed")
                .help("close it, as in **strong**, or write the asterisks as \\*\\*"),
        );
    }
    if let Some(html) = text.raw_html() {
        diagnostics.push(
            Diagnostic::warning("this text contains HTML, which the email shows as text")
                .at(narrow(source, field.span, &html))
                .label("HTML here")
                .help("use Markdown for formatting: *emphasis*, **strong**, [links](https://…)"),
        );
    }
    text
}
