//! The Atom feed (RFC 4287) of the latest issues, each titled by its subject
//! with the whole comparison as content, and the sitemap of every page.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use maud::{Markup, PreEscaped, html};

use super::SiteContext;
use super::standings::Standings;
use crate::author::issue::Issue;

/// How many issues the feed carries.
pub(super) const FEED_ENTRIES: usize = 20;

/// When each issue went out, by id (`Project::out_at`).
pub(super) type OutAt<'a> = HashMap<&'a str, DateTime<Utc>>;

/// When an issue counts as published: when it went out, in its send time's
/// zone (else its date).
fn published(issue: &Issue, out_at: &OutAt<'_>) -> DateTime<FixedOffset> {
    let scheduled = issue.send_time();
    match (out_at.get(issue.id.as_str()), scheduled) {
        (Some(out), Some(scheduled)) => out.with_timezone(scheduled.offset()),
        (Some(out), None) => out.fixed_offset(),
        (None, Some(scheduled)) => scheduled,
        (None, None) => issue
            .date
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .fixed_offset(),
    }
}

fn xml_declaration() -> Markup {
    PreEscaped("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n".to_string())
}

/// `issues` newest first.
pub(super) fn atom(cx: &SiteContext<'_>, issues: &[&Issue], out_at: &OutAt<'_>) -> String {
    let updated = issues
        .first()
        .map(|i| published(i, out_at).to_rfc3339())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    html! {
        (xml_declaration())
        feed xmlns="http://www.w3.org/2005/Atom" {
            title { (cx.frame.config.name) }
            subtitle { (cx.frame.theme.header_text) }
            link rel="self" type="application/atom+xml" href=(cx.url("feed.xml")) {}
            link rel="alternate" type="text/html" href=(cx.base.as_str()) {}
            id { (cx.base.as_str()) }
            updated { (updated) }
            author { name { (cx.frame.config.name) } }
            @for issue in issues.iter().take(FEED_ENTRIES) {
                @let url = cx.issue_url(&issue.id);
                entry {
                    title { (issue.subject) }
                    link rel="alternate" type="text/html" href=(url) {}
                    id { (url) }
                    published { (published(issue, out_at).to_rfc3339()) }
                    updated { (published(issue, out_at).to_rfc3339()) }
                    @if let Some(preheader) = &issue.preheader {
                        summary { (preheader) }
                    }
                    content type="html" { (super::page::comparison(cx, issue, 2, cx.base.as_str()).into_string()) }
                }
            }
        }
    }
    .into_string()
}

/// `issues` newest first.
pub(super) fn sitemap(
    cx: &SiteContext<'_>,
    issues: &[&Issue],
    standings: &Standings<'_>,
    about: bool,
) -> String {
    let newest = issues.first().map(|i| i.date.to_string());
    let last_seen = |key: &str| {
        standings
            .tool(key)
            .map(|t| t.latest_issue().date.to_string())
            .unwrap_or_default()
    };
    html! {
        (xml_declaration())
        urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" {
            url {
                loc { (cx.base.as_str()) }
                @if let Some(newest) = issues.first() {
                    lastmod { (newest.date.to_string()) }
                }
            }
            @for issue in issues {
                url {
                    loc { (cx.issue_url(&issue.id)) }
                    lastmod { (issue.date.to_string()) }
                }
            }
            url {
                loc { (cx.url("tools.html")) }
                @if let Some(newest) = &newest { lastmod { (newest) } }
            }
            @for tool in &standings.tools {
                url {
                    loc { (cx.url(&format!("tools/{}.html", tool.key))) }
                    lastmod { (last_seen(&tool.key)) }
                }
            }
            @for category in &standings.categories {
                url { loc { (cx.url(&format!("categories/{}.html", category.slug))) } }
            }
            @if about {
                url { loc { (cx.url("about.html")) } }
            }
        }
    }
    .into_string()
}
