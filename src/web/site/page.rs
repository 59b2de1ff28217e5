//! The web pages as maud functions, one per block: the comparison page of an
//! issue (the page the newsletter began as), the index, and what they share.
//! Built from the same model and Markdown rendering as the email.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::SiteContext;
use crate::author::issue::{Issue, Tool, Verdict};
use crate::author::markdown::{HtmlStyle, Markdown};
use crate::project::templates::Palette;

/// What a page's `<head>` says about it.
pub(super) struct Meta<'a> {
    pub title: &'a str,
    pub description: String,
    /// The page's own absolute address.
    pub canonical: String,
    /// `article` for an issue, `website` for the index.
    pub kind: &'a str,
    /// From the page to the site's root, e.g. "../".
    pub root: &'a str,
}

/// The page shell: head with metadata, the site header, main, the footer.
fn shell(cx: &SiteContext<'_>, meta: &Meta<'_>, main: Markup) -> Markup {
    let name = &cx.config.name;
    html! {
        (DOCTYPE)
        html lang=(cx.config.language) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                // No icon to fetch: the site loads nothing but itself (and the logo).
                link rel="icon" href="data:,";
                title { (meta.title) }
                meta name="description" content=(meta.description);
                link rel="canonical" href=(meta.canonical);
                link rel="alternate" type="application/atom+xml" title=(name) href=(cx.feed_url);
                meta property="og:type" content=(meta.kind);
                meta property="og:site_name" content=(name);
                meta property="og:title" content=(meta.title);
                meta property="og:description" content=(meta.description);
                meta property="og:url" content=(meta.canonical);
                @if let Some(logo) = &cx.theme.logo {
                    meta property="og:image" content=(logo.url);
                }
                meta name="twitter:card" content="summary";
                meta name="twitter:title" content=(meta.title);
                meta name="twitter:description" content=(meta.description);
                style { (PreEscaped(stylesheet(cx))) }
            }
            body {
                a class="skip-link" href="#main" { "Skip to the comparison" }
                header class="site" {
                    div class="wrap" {
                        @if let Some(logo) = &cx.theme.logo {
                            img src=(logo.url) alt=(logo.alt) width=(logo.width);
                        }
                        nav aria-label="Site" {
                            a class="name" href=(format!("{}index.html", meta.root)) { (name) }
                            " "
                            a href=(format!("{}feed.xml", meta.root)) { "Feed" }
                        }
                    }
                }
                main id="main" class="wrap" { (main) }
                footer class="site" {
                    div class="wrap" {
                        p { (cx.theme.footer_text) }
                        p { (cx.config.postal_address) }
                    }
                }
            }
        }
    }
}

/// The comparison page of one issue.
pub(super) fn issue_page(cx: &SiteContext<'_>, issue: &Issue, description: String) -> String {
    let canonical = cx.issue_url(&issue.id);
    let title = issue.title();
    let meta = Meta {
        title: &title,
        description,
        canonical,
        kind: "article",
        root: "../",
    };
    shell(cx, &meta, comparison(cx, issue, 1, "../subscribe")).into_string()
}

/// The comparison itself (also the feed's content): kicker, title, intro, the
/// tools side by side, their descriptions, the scorecard, the bottom line, and
/// the call to join. `level` is the heading level of the title; the form posts
/// to `subscribe` (relative on the site, so that it works wherever it is served).
pub(super) fn comparison(
    cx: &SiteContext<'_>,
    issue: &Issue,
    level: u8,
    subscribe: &str,
) -> Markup {
    let web = HtmlStyle::web();
    html! {
        article class="issue" {
            p class="kicker" { "AI tool comparison" }
            @if level == 1 { h1 { (issue.title()) } } @else { h2 { (issue.title()) } }
            p class="date" { time datetime=(issue.date.to_string()) { (issue.date.format("%-d %B %Y").to_string()) } }
            div class="intro" { (markdown(&issue.intro, &web)) }
            section class="tools" aria-label="The tools side by side" {
                @for tool in &issue.tools {
                    (tool_card(tool))
                }
            }
            section aria-labelledby="descriptions" {
                h2 id="descriptions" { "The tools" }
                @for tool in &issue.tools {
                    h3 { (tool.display_name()) }
                    (markdown(&tool.description, &web))
                    p { a href=(tool.link) { "Visit " (tool.name) } }
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
        (call_to_action(cx, subscribe))
    }
}

fn markdown(text: &Markdown, style: &HtmlStyle) -> Markup {
    PreEscaped(text.to_html(style))
}

fn tool_card(tool: &Tool) -> Markup {
    let ship = tool.ship_percent();
    html! {
        section class="card" aria-label=(tool.display_name()) {
            p class="category" { (tool.category) }
            h2 class="tool" {
                (tool.name)
                @if let Some(version) = tool.version_label() {
                    " " span class="version" { (version) }
                }
            }
            p class="tagline" { (tool.tagline) }
            svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false" {
                rect class="track" width="100" height="8" {}
                rect class="fill" width=(ship) height="8" {}
            }
            dl class="stats" {
                div { dt { "Panel ship" } dd { (ship) "%" } }
                div { dt { "Community" } dd { (tool.community_label()) } }
                div { dt { "Entry" } dd { (tool.pricing) } }
            }
            p class="split" { (tool.ship_count()) " ship / " (tool.skip_count()) " skip" }
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

fn verdict_badge(verdict: Verdict) -> Markup {
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
            p class="kicker" { (cx.config.name) }
            h2 id="join" { "Get the next comparison in your inbox" }
            p { (cx.theme.footer_text) }
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

/// One entry of the index.
pub(super) struct Listed<'a> {
    pub issue: &'a Issue,
}

/// The index: every published issue, newest first.
pub(super) fn index_page(cx: &SiteContext<'_>, issues: &[Listed<'_>]) -> String {
    let meta = Meta {
        title: &cx.config.name,
        description: cx.theme.header_text.clone(),
        canonical: cx.base.to_string(),
        kind: "website",
        root: "",
    };
    let main = html! {
        h1 { (cx.config.name) }
        p class="lead" { (cx.theme.header_text) }
        ol class="issues" reversed {
            @for listed in issues {
                @let issue = listed.issue;
                li {
                    article {
                        p class="date" { time datetime=(issue.date.to_string()) { (issue.date.format("%-d %B %Y").to_string()) } }
                        h2 { a href=(format!("issues/{}.html", issue.id)) { (issue.title()) } }
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
    shell(cx, &meta, main).into_string()
}

/// The stylesheet: the theme's colours as custom properties, dark ones under
/// `prefers-color-scheme`; a grid that puts the tools side by side when there
/// is room and one under another on a phone.
fn stylesheet(cx: &SiteContext<'_>) -> String {
    let vars = |p: &Palette| {
        format!(
            "--bg:{};--surface:{};--text:{};--muted:{};--accent:{};--border:{};--ship:{};--skip:{};--track:{};",
            p.background,
            p.surface,
            p.text,
            p.muted,
            p.accent,
            p.border,
            p.ship,
            p.skip,
            p.bar_track
        )
    };
    format!(
        ":root{{{light}color-scheme:light dark}}\
@media (prefers-color-scheme:dark){{:root{{{dark}}}}}\
*{{box-sizing:border-box}}\
body{{margin:0;background:var(--bg);color:var(--text);font-family:{font};line-height:1.6;font-size:1.0625rem}}\
.wrap{{max-width:62rem;margin:0 auto;padding:0 1rem}}\
a{{color:var(--accent)}}\
.skip-link{{position:absolute;left:-100vw}}.skip-link:focus{{left:1rem;top:1rem;background:var(--surface);padding:.5rem}}\
header.site{{border-bottom:1px solid var(--border);padding:.75rem 0}}\
header.site nav{{display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap}}\
header.site .name{{font-weight:800;color:var(--text);text-decoration:none;font-size:1.15rem}}\
header.site img{{display:block;height:auto;max-width:100%}}\
main.wrap{{padding-top:1.5rem;padding-bottom:2rem}}\
.kicker{{color:var(--accent);text-transform:uppercase;letter-spacing:.08em;font-weight:700;font-size:.8rem;margin:0}}\
h1{{font-size:clamp(1.7rem,5vw,2.6rem);line-height:1.15;margin:.3rem 0 .5rem}}\
h2{{line-height:1.25;margin:2rem 0 .75rem}}h3{{margin:1.25rem 0 .5rem}}\
.date{{color:var(--muted);margin:0 0 1rem}}\
.tools{{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));margin:1.5rem 0}}\
.card{{background:var(--surface);border:1px solid var(--border);border-radius:.6rem;padding:1rem 1.1rem}}\
.card .category{{color:var(--muted);text-transform:uppercase;letter-spacing:.06em;font-size:.8rem;font-weight:700;margin:0}}\
.card h2.tool{{margin:.2rem 0 .3rem;font-size:1.35rem}}.version{{color:var(--muted);font-weight:400}}\
.tagline{{margin:0 0 .8rem}}\
.bar{{display:block;width:100%;height:.5rem;border-radius:.25rem}}.bar .track{{fill:var(--track)}}.bar .fill{{fill:var(--ship)}}\
.stats{{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:.5rem;margin:.8rem 0 .3rem}}\
.stats dt{{color:var(--muted);font-size:.75rem;text-transform:uppercase;letter-spacing:.05em}}.stats dd{{margin:0;font-weight:800;font-size:1.2rem}}\
.split{{color:var(--muted);margin:0;white-space:nowrap}}\
.panelist h3 .role{{color:var(--muted);font-weight:400;font-size:.95rem}}\
.reviews{{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr))}}\
.review{{margin:0;border-top:1px solid var(--border);padding-top:.6rem}}\
.review blockquote{{margin:.4rem 0 0}}.review blockquote p{{margin:0}}\
.badge{{display:inline-block;padding:.05rem .6rem;border-radius:1rem;color:#fff;font-size:.8rem;font-weight:700;text-transform:uppercase;letter-spacing:.05em}}\
.badge.ship{{background:var(--ship)}}.badge.skip{{background:var(--skip)}}\
.bottom-line{{border-left:4px solid var(--accent);padding-left:1rem}}\
.cta{{background:var(--surface);border:1px solid var(--border);border-radius:.6rem;padding:1.25rem;margin-top:2.5rem}}\
.cta h2{{margin-top:.3rem}}\
.cta form{{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end}}\
.field{{display:flex;flex-direction:column;flex:1 1 14rem}}\
.field label{{font-weight:600;font-size:.9rem}}\
input{{font:inherit;padding:.55rem .6rem;border:1px solid var(--muted);border-radius:.4rem;background:var(--bg);color:var(--text);width:100%}}\
button{{font:inherit;font-weight:700;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:var(--accent);color:var(--bg);cursor:pointer}}\
.trap{{position:absolute;left:-100vw;width:1px;height:1px;overflow:hidden}}\
.issues{{list-style:none;padding:0}}.issues>li{{border-bottom:1px solid var(--border);padding:1rem 0}}\
.issues h2{{margin:.2rem 0}}.ships{{list-style:none;padding:0;margin:.3rem 0 0;color:var(--muted)}}\
footer.site{{border-top:1px solid var(--border);color:var(--muted);padding:1rem 0 2rem;font-size:.9rem}}\
img{{max-width:100%;height:auto}}pre{{overflow-x:auto}}",
        light = vars(&cx.theme.colors),
        dark = vars(&cx.theme.dark_colors),
        font = cx.theme.font_family,
    )
}
