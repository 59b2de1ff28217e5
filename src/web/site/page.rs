//! The comparison page of an issue (the page the newsletter began as) and the
//! index, as maud functions, one per block. Built from the same model and
//! Markdown rendering as the email.

use maud::{Markup, PreEscaped, html};

use super::SiteContext;
use super::shell::{Head, page};
use super::standings::{Standings, ToolStanding, category_slug};
use crate::author::issue::{Issue, Tool, Verdict};
use crate::author::markdown::{HtmlStyle, Markdown};

/// How many tools each leaderboard on the index shows.
const BOARD_ROWS: usize = 10;

/// The issues either side of one, by date.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Neighbours<'a> {
    pub older: Option<&'a Issue>,
    pub newer: Option<&'a Issue>,
}

/// The comparison page of one issue.
pub(super) fn issue_page(
    cx: &SiteContext<'_>,
    issue: &Issue,
    description: String,
    neighbours: Neighbours<'_>,
) -> String {
    let head = Head {
        title: issue.subject.clone(),
        description,
        canonical: Some(cx.issue_url(&issue.id)),
        kind: "article",
        root: "../".into(),
        image: cx.card(issue),
    };
    let main = html! {
        (comparison(cx, issue, 1, "../"))
        (pager(neighbours))
        (call_to_action(cx, "../subscribe"))
    };
    page(cx.frame, &head, main).into_string()
}

/// Links to the older and the newer issue.
fn pager(neighbours: Neighbours<'_>) -> Markup {
    if neighbours.older.is_none() && neighbours.newer.is_none() {
        return html! {};
    }
    html! {
        nav class="pager" aria-label="More comparisons" {
            div class="older" {
                @if let Some(older) = neighbours.older {
                    a href=(format!("{}.html", older.id)) rel="prev" {
                        span class="label" { "Older" }
                        (older.title())
                    }
                }
            }
            div class="next" {
                @if let Some(newer) = neighbours.newer {
                    a href=(format!("{}.html", newer.id)) rel="next" {
                        span class="label" { "Newer" }
                        (newer.title())
                    }
                }
            }
        }
    }
}

/// The comparison itself (also the feed's content): kicker, title, intro, the
/// tools side by side, their descriptions, the scorecard and the bottom line.
/// `level` is the heading level of the title; `root` leads to the site's root
/// (relative on a page, absolute in the feed).
pub(super) fn comparison(cx: &SiteContext<'_>, issue: &Issue, level: u8, root: &str) -> Markup {
    let web = HtmlStyle::web();
    html! {
        article class="issue" {
            p class="kicker" { (issue.kicker()) }
            @if level == 1 { h1 { (issue.title()) } } @else { h2 { (issue.title()) } }
            p class="date" { (date(issue)) }
            div class="intro" { (markdown(&issue.intro, &web)) }
            section class="tools" aria-label="The tools side by side" {
                @for tool in &issue.tools {
                    (tool_card(tool, root))
                }
            }
            section aria-labelledby="descriptions" {
                h2 id="descriptions" { "The tools" }
                @for (index, tool) in issue.tools.iter().enumerate() {
                    h3 { (tool.display_name()) }
                    (markdown(&tool.description, &web))
                    p {
                        a href=(cx.tool_link(issue, index)) { "Visit " (tool.name) }
                        " \u{b7} "
                        a href=(format!("{root}tools/{}.html", tool.key())) { "Every verdict on " (tool.name) }
                    }
                }
            }
            (scorecard(cx, issue))
            @if let Some(bottom_line) = &issue.bottom_line {
                section class="bottom-line" aria-labelledby="bottom-line" {
                    h2 id="bottom-line" { "The bottom line" }
                    (markdown(bottom_line, &web))
                }
            }
        }
    }
}

/// An issue's date as a `<time>`.
pub(super) fn date(issue: &Issue) -> Markup {
    html! { time datetime=(issue.date.to_string()) { (issue.date.format("%-d %B %Y").to_string()) } }
}

pub(super) fn markdown(text: &Markdown, style: &HtmlStyle) -> Markup {
    PreEscaped(text.to_html(style))
}

fn tool_card(tool: &Tool, root: &str) -> Markup {
    let ship = tool.ship_percent();
    html! {
        section class="card" aria-label=(tool.display_name()) {
            @if let Some(logo) = &tool.logo {
                img class="logo" src=(logo.src(root)) alt="" width="48" height="48";
            }
            p class="category" {
                a href=(format!("{root}categories/{}.html", category_slug(&tool.category))) { (tool.category) }
            }
            h2 class="tool" {
                a href=(format!("{root}tools/{}.html", tool.key())) { (tool.name) }
                @if let Some(version) = tool.version_label() {
                    " " span class="version" { (version) }
                }
            }
            p class="tagline" { (tool.tagline) }
            (ship_bar(ship))
            dl class="stats" {
                div { dt { "Panel ship" } dd { (ship) "%" } }
                div { dt { "Community" } dd { (tool.community_label()) } }
                div { dt { "Entry" } dd { (tool.pricing) } }
            }
            p class="split" { (tool.ship_count()) " ship / " (tool.skip_count()) " skip" }
        }
    }
}

/// The ship share as a bar; the figure beside it says it in words.
pub(super) fn ship_bar(ship: u32) -> Markup {
    html! {
        svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false" {
            rect class="track" width="100" height="8" {}
            rect class="fill" width=(ship) height="8" {}
        }
    }
}

fn scorecard(cx: &SiteContext<'_>, issue: &Issue) -> Markup {
    html! {
        section class="scorecard" aria-labelledby="scorecard" {
            h2 id="scorecard" { "Reviewer scorecard" }
            @for panelist in issue.reviewers(cx.roster) {
                div class="panelist" {
                    h3 { (panelist.name) " " span class="role" { (panelist.role) } }
                    div class="reviews" {
                        @for tool in &issue.tools {
                            @if let Some(review) = tool.review_by(panelist.id.get_ref()) {
                                figure class="review" {
                                    figcaption {
                                        (verdict_badge(review.verdict)) " "
                                        span { "on " (tool.display_name()) }
                                    }
                                    blockquote { p { "\u{201c}" (review.quote) "\u{201d}" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn verdict_badge(verdict: Verdict) -> Markup {
    let class = match verdict {
        Verdict::Ship => "badge ship",
        Verdict::Skip => "badge skip",
    };
    html! { span class=(class) { (verdict.label()) } }
}

/// The call to join, with the sign-up form that `verdict serve` answers.
pub(super) fn call_to_action(cx: &SiteContext<'_>, subscribe: &str) -> Markup {
    html! {
        section class="cta" aria-labelledby="join" {
            p class="kicker" { (cx.frame.config.name) }
            h2 id="join" { "Get the next comparison in your inbox" }
            p { (cx.frame.theme.footer_text) }
            form method="post" action=(subscribe) {
                div class="field" {
                    label for="email" { "Email address" }
                    input type="email" id="email" name="email" required autocomplete="email" maxlength="254";
                }
                div class="field" {
                    label for="name" { "Name (optional)" }
                    input type="text" id="name" name="name" autocomplete="name" maxlength="100";
                }
                // Left empty by people; filled by bots that fill every field.
                div class="trap" aria-hidden="true" {
                    label for="website" { "Leave this empty" }
                    input type="text" id="website" name="website" tabindex="-1" autocomplete="off";
                }
                button type="submit" { "Subscribe" }
            }
        }
    }
}

/// The index: the leaderboards, then every published issue, newest first.
pub(super) fn index_page(
    cx: &SiteContext<'_>,
    issues: &[&Issue],
    standings: &Standings<'_>,
) -> String {
    let config = cx.frame.config;
    let head = Head {
        title: config.name.clone(),
        description: cx.frame.theme.header_text.clone(),
        canonical: Some(cx.base.to_string()),
        kind: "website",
        root: String::new(),
        image: None,
    };
    let by_panel: Vec<&ToolStanding<'_>> = standings.tools.iter().take(BOARD_ROWS).collect();
    let by_community: Vec<&ToolStanding<'_>> = standings
        .by_community()
        .into_iter()
        .take(BOARD_ROWS)
        .collect();
    let main = html! {
        h1 { (config.name) }
        p class="lead" { (cx.frame.theme.header_text) }
        @if !standings.tools.is_empty() {
            section aria-labelledby="leaderboard" {
                h2 id="leaderboard" { "Leaderboard" }
                div class="boards" {
                    (leaderboard(&by_panel, "", "Panel ship rate", RankBy::Panel))
                    @if by_community.is_empty() {
                        div { p class="muted" { "Community votes show here once readers have voted." } }
                    } @else {
                        (leaderboard(&by_community, "", "Community vote", RankBy::Community))
                    }
                }
                p { a href="tools.html" { "All " (standings.tools.len()) " tools and their categories" } }
            }
        }
        h2 { "Every comparison" }
        ol class="issues" reversed {
            @for issue in issues {
                li {
                    article {
                        p class="date" { (date(issue)) }
                        h3 { a href=(format!("issues/{}.html", issue.id)) { (issue.title()) } }
                        ul class="ships" {
                            @for tool in &issue.tools {
                                li { (tool.display_name()) ": " strong { (tool.ship_percent()) "%" } " panel ship" }
                            }
                        }
                    }
                }
            }
        }
        (call_to_action(cx, "subscribe"))
    };
    page(cx.frame, &head, main).into_string()
}

/// Which figure a leaderboard ranks by; it comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RankBy {
    Panel,
    Community,
}

/// Tools ranked, each with its panel ship rate over all its reviews and its
/// mean community vote, and the counts behind them.
pub(super) fn leaderboard(
    tools: &[&ToolStanding<'_>],
    root: &str,
    caption: &str,
    by: RankBy,
) -> Markup {
    let headings = match by {
        RankBy::Panel => ["Panel ship", "Community"],
        RankBy::Community => ["Community", "Panel ship"],
    };
    html! {
        table {
            caption { (caption) }
            thead { tr {
                th scope="col" class="rank" { "#" }
                th scope="col" { "Tool" }
                @for heading in headings { th scope="col" class="num" { (heading) } }
            } }
            tbody {
                @for (rank, tool) in tools.iter().enumerate() {
                    tr {
                        td class="rank" { (rank + 1) }
                        td {
                            a href=(format!("{root}tools/{}.html", tool.key)) { (tool.face.name) }
                            span class="count" { (plural(tool.appearances.len(), "comparison")) }
                        }
                        @if by == RankBy::Community { td class="num" { (community_cell(tool)) } }
                        td class="num" {
                            (tool.ship_percent()) "%"
                            span class="count" { (plural(tool.reviews, "review")) }
                        }
                        @if by == RankBy::Panel { td class="num" { (community_cell(tool)) } }
                    }
                }
            }
        }
    }
}

/// A tool's mean community vote and how many issues carried one.
fn community_cell(tool: &ToolStanding<'_>) -> Markup {
    html! {
        (community_label(tool.community()))
        span class="count" {
            @if tool.votes.is_empty() { "no vote yet" } @else { "in " (plural(tool.votes.len(), "issue")) }
        }
    }
}

/// "1 review", "3 reviews".
pub(crate) fn plural<N>(count: N, noun: &str) -> String
where
    N: std::fmt::Display + PartialEq + From<u8>,
{
    if count == N::from(1) {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// A mean vote as shown: "62%", or "—" when there is none.
pub(super) fn community_label(vote: Option<f64>) -> String {
    match vote {
        Some(vote) => format!("{}%", vote.round()),
        None => "\u{2014}".into(),
    }
}
