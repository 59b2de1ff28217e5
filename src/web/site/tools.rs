//! The pages of the body of verdicts: one per tool (its record, its record
//! over time, every comparison it was in and what the panel said), one per
//! category, and the list of every tool and category.

use maud::html;

use super::chart::record_chart;
use super::page::{
    RankBy, call_to_action, community_label, date, leaderboard, plural, ship_bar, verdict_badge,
};
use super::shell::{Head, page};
use super::standings::{CategoryStanding, Standings, ToolStanding};
use super::{Clicked, SiteContext};
use crate::author::issue::Issue;

/// The page of one tool, with the clicks on its links when they are counted.
pub(super) fn tool_page(
    cx: &SiteContext<'_>,
    tool: &ToolStanding<'_>,
    clicked: Option<&Clicked>,
) -> String {
    let clicks = |appearance: &super::standings::Appearance<'_>| {
        clicked.map(|c| c.on(appearance.issue, appearance.index))
    };
    let all_clicks: Option<u64> = clicked.map(|_| tool.appearances.iter().filter_map(clicks).sum());
    let latest = &tool.face;
    let head = Head {
        title: format!(
            "{}: every verdict \u{2014} {}",
            latest.name, cx.frame.config.name
        ),
        description: format!(
            "{}. Panel ship rate {}% over {} in {}.",
            latest.tagline,
            tool.ship_percent(),
            plural(tool.reviews, "review"),
            plural(tool.appearances.len(), "comparison")
        ),
        canonical: Some(cx.url(&format!("tools/{}.html", tool.key))),
        kind: "website",
        root: "../".into(),
        image: None,
    };
    let ship = tool.ship_percent();
    let main = html! {
        article class="tool-page" {
            @if let Some(logo) = &latest.logo {
                img class="logo" src=(logo.src("../")) alt="" width="48" height="48";
            }
            p class="category" {
                a href=(format!("../categories/{}.html", tool.category_slug())) { (latest.category) }
            }
            h1 { (latest.name) }
            p class="tagline" { (latest.tagline) }
            p { a href=(latest.link) { "Visit " (latest.name) } }
            (ship_bar(ship))
            dl class="stats" {
                div { dt { "Panel ship" } dd { (ship) "%" } }
                div { dt { "Reviews" } dd { (tool.ships) " ship / " (tool.reviews - tool.ships) " skip" } }
                div { dt { "Community" } dd { (community_label(tool.community())) } }
                div { dt { "Comparisons" } dd { (tool.appearances.len()) } }
                div { dt { "Entry" } dd { (latest.pricing) } }
                @if let Some(all) = all_clicks {
                    div { dt { "Clicks" } dd { (all) } }
                }
            }
            section aria-labelledby="over-time" {
                h2 id="over-time" { "Over time" }
                (record_chart(tool))
            }
            section aria-labelledby="comparisons" {
                h2 id="comparisons" { "Every comparison" }
                table {
                    thead { tr {
                        th scope="col" { "Comparison" }
                        th scope="col" class="num" { "Panel ship" }
                        th scope="col" class="num" { "Community" }
                        @if clicked.is_some() {
                            th scope="col" class="num" { "Clicks" }
                        }
                    } }
                    tbody {
                        @for appearance in tool.appearances.iter().rev() {
                            tr {
                                td {
                                    a href=(format!("../issues/{}.html", appearance.issue.id)) { (appearance.issue.title()) }
                                    span class="count" { (date(appearance.issue)) }
                                }
                                td class="num" {
                                    (appearance.tool.ship_percent()) "%"
                                    span class="count" { (appearance.tool.ship_count()) " ship / " (appearance.tool.skip_count()) " skip" }
                                }
                                td class="num" { (appearance.tool.community_label()) }
                                @if let Some(clicks) = clicks(appearance) {
                                    td class="num" { (clicks) }
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="quotes" {
                h2 id="quotes" { "What the panel said" }
                @for appearance in tool.appearances.iter().rev() {
                    h3 {
                        a href=(format!("../issues/{}.html", appearance.issue.id)) { (appearance.tool.display_name()) }
                        " " span class="role" { (date(appearance.issue)) }
                    }
                    div class="reviews" {
                        @for review in &appearance.tool.reviews {
                            figure class="review" {
                                figcaption {
                                    (verdict_badge(review.verdict)) " "
                                    @match cx.roster.get(&review.reviewer) {
                                        Some(panelist) => { (panelist.name) " " span class="role" { (panelist.role) } },
                                        None => { (review.reviewer) },
                                    }
                                }
                                blockquote { p { "\u{201c}" (review.quote) "\u{201d}" } }
                            }
                        }
                    }
                }
            }
        }
        (call_to_action(cx, "../subscribe"))
    };
    page(cx.frame, &head, main).into_string()
}

/// The page of one category: its tools ranked, and its comparisons.
pub(super) fn category_page(
    cx: &SiteContext<'_>,
    standings: &Standings<'_>,
    category: &CategoryStanding,
    newest_first: &[&Issue],
) -> String {
    let tools: Vec<&ToolStanding<'_>> = category
        .tools
        .iter()
        .map(|&i| &standings.tools[i])
        .collect();
    let head = Head {
        title: format!("{} \u{2014} {}", category.name, cx.frame.config.name),
        description: format!(
            "{} in {}, ranked by the panel's ship rate, and every comparison.",
            plural(tools.len(), "tool"),
            category.name
        ),
        canonical: Some(cx.url(&format!("categories/{}.html", category.slug))),
        kind: "website",
        root: "../".into(),
        image: None,
    };
    let main = html! {
        p class="kicker" { "Category" }
        h1 { (category.name) }
        (leaderboard(&tools, "../", "Tools by panel ship rate", RankBy::Panel))
        h2 { "Comparisons" }
        ol class="issues" reversed {
            @for issue in standings.issues_in(category, newest_first) {
                li {
                    p class="date" { (date(issue)) }
                    h3 { a href=(format!("../issues/{}.html", issue.id)) { (issue.title()) } }
                }
            }
        }
        (call_to_action(cx, "../subscribe"))
    };
    page(cx.frame, &head, main).into_string()
}

/// Every tool, ranked, and every category.
pub(super) fn tools_index(cx: &SiteContext<'_>, standings: &Standings<'_>) -> String {
    let head = Head {
        title: format!("Every tool \u{2014} {}", cx.frame.config.name),
        description: format!(
            "{} compared so far, ranked by the panel's ship rate, in {}.",
            plural(standings.tools.len(), "tool"),
            match standings.categories.len() {
                1 => "1 category".to_string(),
                n => format!("{n} categories"),
            }
        ),
        canonical: Some(cx.url("tools.html")),
        kind: "website",
        root: String::new(),
        image: None,
    };
    let all: Vec<&ToolStanding<'_>> = standings.tools.iter().collect();
    let main = html! {
        h1 { "Every tool" }
        section aria-labelledby="categories" {
            h2 id="categories" { "Categories" }
            ul class="chips" {
                @for category in &standings.categories {
                    li { a href=(format!("categories/{}.html", category.slug)) { (category.name) " (" (category.tools.len()) ")" } }
                }
            }
        }
        section aria-labelledby="all-tools" {
            h2 id="all-tools" { "Leaderboard" }
            (leaderboard(&all, "", "Tools by panel ship rate", RankBy::Panel))
        }
        (call_to_action(cx, "subscribe"))
    };
    page(cx.frame, &head, main).into_string()
}
