//! The HTML email: table layout, inline styles, 600 px wide and one column on a
//! phone, dark-mode aware. One function per visual block.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Context, Markers, Slot, long_date, web_url};
use crate::author::issue::{Issue, Tool, Verdict};
use crate::author::markdown::{HtmlStyle, Markdown};
use crate::project::templates::{Panelist, Theme};

pub(super) fn render(issue: &Issue, cx: Context<'_>, markers: &Markers) -> String {
    let theme = cx.theme;
    let c = &theme.colors;
    let page = html! {
        (DOCTYPE)
        html lang=(cx.config.language) xmlns="http://www.w3.org/1999/xhtml" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="x-apple-disable-message-reformatting";
                meta name="color-scheme" content="light dark";
                meta name="supported-color-schemes" content="light dark";
                title { (issue.subject) }
                style { (PreEscaped(stylesheet(theme))) }
            }
            body class="bg" style=(format!("margin:0;padding:0;width:100%;background-color:{};", c.background)) {
                (preheader(issue))
                table role="presentation" class="bg" width="100%" cellpadding="0" cellspacing="0" border="0"
                    style=(format!("background-color:{};", c.background)) {
                    tr { td class="outer" align="center" style="padding:24px 12px;" {
                        table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0"
                            style=(format!("width:600px;max-width:600px;font-family:{};color:{};", theme.font_family, c.text)) {
                            (masthead(issue, cx))
                            (lead(issue, cx, markers))
                            (at_a_glance(issue, cx, markers))
                            (descriptions(issue, theme, markers))
                            (scorecard(issue, cx))
                            @if let Some(bottom_line) = &issue.bottom_line {
                                (bottom_line_block(bottom_line, theme))
                            }
                            (footer(issue, cx, markers))
                        }
                    } }
                }
            }
        }
    };
    // Line breaks between block elements keep lines short for SMTP (998 octets at
    // most) and make golden diffs readable; editors' text is escaped, so these
    // literal tags can only be ours.
    let mut html = page.into_string();
    for tag in ["</tr>", "</table>", "</p>", "</style>", "</title>"] {
        html = html.replace(tag, &format!("{tag}\n"));
    }
    html
}

/// Media queries for phones and dark mode; everything else is inline.
fn stylesheet(theme: &Theme) -> String {
    let d = &theme.dark_colors;
    format!(
        "body{{margin:0;padding:0;-webkit-text-size-adjust:100%;}}\
table{{border-collapse:collapse;}}img{{border:0;line-height:100%;}}\
@media only screen and (max-width:624px){{.outer{{padding-left:0!important;padding-right:0!important;}}}}\
@media only screen and (max-width:599px){{\
.container{{width:100%!important;max-width:100%!important;}}\
.stack{{display:block!important;width:100%!important;box-sizing:border-box;padding-left:0!important;padding-right:0!important;}}\
.pad{{padding-left:16px!important;padding-right:16px!important;}}}}\
@media (prefers-color-scheme:dark){{\
.bg{{background-color:{bg}!important;}}\
.surface{{background-color:{surface}!important;border-color:{border}!important;}}\
.text{{color:{text}!important;}}\
.muted{{color:{muted}!important;}}\
.accent{{color:{accent}!important;}}\
.track{{background-color:{track}!important;}}\
.divider{{border-color:{border}!important;}}\
.ship{{background-color:{ship}!important;}}\
.skip{{background-color:{skip}!important;}}}}\
[data-ogsc] .text{{color:{text}!important;}}[data-ogsb] .surface{{background-color:{surface}!important;}}",
        bg = d.background,
        surface = d.surface,
        border = d.border,
        text = d.text,
        muted = d.muted,
        accent = d.accent,
        track = d.bar_track,
        ship = d.ship,
        skip = d.skip,
    )
}

/// The inbox preview line, hidden in the body; padded so that clients do not
/// pull body text into the preview after it.
fn preheader(issue: &Issue) -> Markup {
    html! {
        @if let Some(preheader) = &issue.preheader {
            div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;" {
                (preheader)
                (PreEscaped("&#8199;&#847;&#160;".repeat(40)))
            }
        }
    }
}

fn markdown_style(theme: &Theme, size: u32) -> HtmlStyle {
    let c = &theme.colors;
    HtmlStyle {
        paragraph: format!("margin:0 0 14px 0;font-size:{size}px;line-height:1.6;"),
        link: format!("color:{};text-decoration:underline;", c.accent),
        code: "font-family:Menlo,Consolas,monospace;font-size:90%;".into(),
        quote: format!(
            "margin:0 0 14px 0;padding:0 0 0 12px;border-left:3px solid {};",
            c.border
        ),
        web: false,
    }
}

fn markdown(text: &Markdown, theme: &Theme, size: u32) -> Markup {
    PreEscaped(text.to_html(&markdown_style(theme, size)))
}

fn masthead(issue: &Issue, cx: Context<'_>) -> Markup {
    let theme = cx.theme;
    let c = &theme.colors;
    html! {
        tr { td class="pad" style="padding:8px 24px 20px 24px;" {
            @if let Some(logo) = &theme.logo {
                img src=(logo.url) alt=(logo.alt) width=(logo.width)
                    style="display:block;border:0;height:auto;margin:0 0 12px 0;";
            }
            p class="text" style=(format!("margin:0;font-size:20px;font-weight:700;color:{};", c.text)) {
                (&cx.config.name)
            }
            p class="muted" style=(format!("margin:4px 0 0 0;font-size:13px;color:{};", c.muted)) {
                (theme.header_text) " \u{b7} " (long_date(issue))
                @if let Some(url) = web_url(cx.config, issue) {
                    " \u{b7} "
                    a class="muted" href=(url) style=(format!("color:{};text-decoration:underline;", c.muted)) { "Read on the web" }
                }
            }
        } }
    }
}

fn surface_style(theme: &Theme) -> String {
    let c = &theme.colors;
    format!(
        "background-color:{};border:1px solid {};border-radius:8px;",
        c.surface, c.border
    )
}

fn section_title(text: &str, theme: &Theme) -> Markup {
    html! {
        p class="muted" style=(format!("margin:0 0 12px 0;font-size:12px;font-weight:700;letter-spacing:1px;text-transform:uppercase;color:{};", theme.colors.muted)) {
            (text)
        }
    }
}

fn lead(issue: &Issue, cx: Context<'_>, markers: &Markers) -> Markup {
    let theme = cx.theme;
    let c = &theme.colors;
    html! {
        tr { td class="surface pad" style=(format!("{}padding:28px 24px 14px 24px;", surface_style(theme))) {
            p class="accent" style=(format!("margin:0 0 8px 0;font-size:12px;font-weight:700;letter-spacing:1px;text-transform:uppercase;color:{};", c.accent)) {
                (issue.kicker())
            }
            h1 class="text" style=(format!("margin:0 0 16px 0;font-size:26px;line-height:1.25;font-weight:800;color:{};", c.text)) {
                (issue.title())
            }
            p class="text" style=(format!("margin:0 0 14px 0;font-size:16px;line-height:1.6;color:{};", c.text)) {
                (PreEscaped(markers.marker(Slot::Greeting)))
            }
            div class="text" style=(format!("color:{};", c.text)) {
                (markdown(&issue.intro, theme, 16))
            }
        } }
        (spacer(16))
    }
}

fn spacer(height: u32) -> Markup {
    html! {
        tr { td style=(format!("height:{height}px;line-height:{height}px;font-size:0;")) { (PreEscaped("&nbsp;")) } }
    }
}

/// Half a gutter on each inner side of a column; zero at the table's edges.
fn column_padding(index: usize, count: usize) -> String {
    let left = if index == 0 { 0 } else { 6 };
    let right = if index + 1 == count { 0 } else { 6 };
    format!("padding-left:{left}px;padding-right:{right}px;")
}

/// Columns of equal width for one row per tool; they stack on a phone.
fn column_width(issue: &Issue) -> u32 {
    100 / issue.tools.len().max(1) as u32
}

fn at_a_glance(issue: &Issue, cx: Context<'_>, markers: &Markers) -> Markup {
    let theme = cx.theme;
    let voting = cx.config.base_url.is_some();
    let width = column_width(issue);
    html! {
        tr { td {
            table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="table-layout:fixed;" {
                tr {
                    @for (i, tool) in issue.tools.iter().enumerate() {
                        td class="stack" width=(format!("{width}%")) valign="top"
                            style=(format!("{}padding-bottom:12px;", column_padding(i, issue.tools.len()))) {
                            (tool_card(tool, theme))
                            @if voting {
                                (vote_links(i, theme, markers))
                            }
                        }
                    }
                }
            }
        } }
        (spacer(4))
    }
}

/// The reader's own ship and skip links for one tool: the community vote.
fn vote_links(index: usize, theme: &Theme, markers: &Markers) -> Markup {
    let c = &theme.colors;
    let tool = u8::try_from(index).unwrap_or(u8::MAX);
    let link = format!(
        "color:{};font-weight:700;text-decoration:underline;",
        c.accent
    );
    html! {
        p class="text" style=(format!("margin:8px 0 0 0;font-size:14px;color:{};", c.text)) {
            "Your vote: "
            a class="accent" href=(PreEscaped(markers.marker(Slot::Vote(tool, Verdict::Ship)))) style=(link) { "Ship it" }
            " \u{b7} "
            a class="accent" href=(PreEscaped(markers.marker(Slot::Vote(tool, Verdict::Skip)))) style=(link) { "Skip it" }
        }
    }
}

fn tool_card(tool: &Tool, theme: &Theme) -> Markup {
    let c = &theme.colors;
    let muted = format!("color:{};", c.muted);
    html! {
        table role="presentation" class="surface" width="100%" cellpadding="0" cellspacing="0" border="0"
            style=(surface_style(theme)) {
            tr { td style="padding:18px 18px 16px 18px;" {
                p class="muted" style=(format!("margin:0 0 6px 0;font-size:12px;font-weight:700;letter-spacing:1px;text-transform:uppercase;{muted}")) {
                    (tool.category)
                }
                p class="text" style=(format!("margin:0;font-size:19px;line-height:1.3;font-weight:800;color:{};", c.text)) {
                    (tool.name)
                    @if let Some(version) = tool.version_label() {
                        " " span class="muted" style=(format!("font-weight:400;{muted}")) { (version) }
                    }
                }
                p class="text" style=(format!("margin:6px 0 14px 0;font-size:14px;line-height:1.5;color:{};", c.text)) {
                    (tool.tagline)
                }
                (ship_bar(tool, theme))
                p class="text" style=(format!("margin:6px 0 12px 0;font-size:14px;color:{};", c.text)) {
                    strong style="white-space:nowrap;" { (tool.ship_percent()) "% panel ship" }
                    " "
                    span class="muted" style=(format!("white-space:nowrap;{muted}")) { "\u{b7} " (tool.ship_count()) " ship / " (tool.skip_count()) " skip" }
                }
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {
                    tr {
                        (stat("Community", &tool.community_label(), "padding-right:8px;", theme))
                        (stat("Entry", &tool.pricing, "", theme))
                    }
                }
            } }
        }
    }
}

fn stat(label: &str, value: &str, padding: &str, theme: &Theme) -> Markup {
    let c = &theme.colors;
    html! {
        td width="50%" valign="top" style=(padding) {
            p class="muted" style=(format!("margin:0;font-size:11px;letter-spacing:0.5px;text-transform:uppercase;color:{};", c.muted)) { (label) }
            p class="text" style=(format!("margin:2px 0 0 0;font-size:16px;font-weight:700;color:{};", c.text)) { (value) }
        }
    }
}

/// The panel ship share as a bar of two table cells: no images, works everywhere.
fn ship_bar(tool: &Tool, theme: &Theme) -> Markup {
    let c = &theme.colors;
    let ship = tool.ship_percent();
    let cell = "height:8px;line-height:8px;font-size:0;";
    html! {
        // Decorative: the share is said in words right under it.
        table role="presentation" aria-hidden="true" width="100%" cellpadding="0" cellspacing="0" border="0" {
            tr {
                @if ship > 0 {
                    td class="ship" width=(format!("{ship}%")) style=(format!("{cell}background-color:{};", c.ship)) { (PreEscaped("&nbsp;")) }
                }
                @if ship < 100 {
                    td class="track" width=(format!("{}%", 100 - ship)) style=(format!("{cell}background-color:{};", c.bar_track)) { (PreEscaped("&nbsp;")) }
                }
            }
        }
    }
}

fn descriptions(issue: &Issue, theme: &Theme, markers: &Markers) -> Markup {
    let c = &theme.colors;
    html! {
        tr { td class="surface pad" style=(format!("{}padding:24px 24px 10px 24px;", surface_style(theme))) {
            (section_title("The tools", theme))
            @for (i, tool) in issue.tools.iter().enumerate() {
                p class="text" style=(format!("margin:0 0 8px 0;font-size:18px;font-weight:800;color:{};", c.text)) {
                    (tool.display_name())
                }
                div class="text" style=(format!("color:{};", c.text)) {
                    (markdown(&tool.description, theme, 15))
                }
                p style="margin:0 0 22px 0;font-size:15px;" {
                    a class="accent" href=(PreEscaped(markers.tool_link(i))) style=(format!("color:{};font-weight:700;text-decoration:none;", c.accent)) {
                        "Visit " (tool.name) " \u{2192}"
                    }
                }
            }
        } }
        (spacer(16))
    }
}

fn scorecard(issue: &Issue, cx: Context<'_>) -> Markup {
    let theme = cx.theme;
    let c = &theme.colors;
    let width = column_width(issue);
    html! {
        tr { td class="surface pad" style=(format!("{}padding:24px 24px 8px 24px;", surface_style(theme))) {
            (section_title("Reviewer scorecard", theme))
            @for panelist in issue.reviewers(cx.roster) {
                (panelist_heading(panelist, theme))
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 20px 0;table-layout:fixed;" {
                    tr {
                        @for (i, tool) in issue.tools.iter().enumerate() {
                            td class="stack divider" width=(format!("{width}%")) valign="top"
                                style=(format!("{}padding-top:10px;padding-bottom:10px;border-top:1px solid {};", column_padding(i, issue.tools.len()), c.border)) {
                                p class="muted" style=(format!("margin:0 0 6px 0;font-size:13px;color:{};", c.muted)) {
                                    (tool.display_name())
                                }
                                @match tool.review_by(panelist.id.get_ref()) {
                                    Some(review) => {
                                        (badge(review.verdict, theme))
                                        p class="text" style=(format!("margin:8px 0 0 0;font-size:14px;line-height:1.55;color:{};", c.text)) {
                                            "\u{201c}" (review.quote) "\u{201d}"
                                        }
                                    }
                                    None => {
                                        p class="muted" style=(format!("margin:0;font-size:14px;font-style:italic;color:{};", c.muted)) {
                                            "No review"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } }
        (spacer(16))
    }
}

fn panelist_heading(panelist: &Panelist, theme: &Theme) -> Markup {
    let c = &theme.colors;
    html! {
        p class="text" style=(format!("margin:0 0 2px 0;font-size:16px;font-weight:700;color:{};", c.text)) {
            (panelist.name)
            span class="muted" style=(format!("font-weight:400;color:{};", c.muted)) { " \u{b7} " (panelist.role) }
        }
    }
}

fn badge(verdict: Verdict, theme: &Theme) -> Markup {
    let (class, color) = match verdict {
        Verdict::Ship => ("ship", &theme.colors.ship),
        Verdict::Skip => ("skip", &theme.colors.skip),
    };
    html! {
        span class=(class) style=(format!("display:inline-block;padding:2px 10px;border-radius:10px;background-color:{color};color:#ffffff;font-size:12px;font-weight:700;letter-spacing:1px;text-transform:uppercase;")) {
            (verdict.label())
        }
    }
}

fn bottom_line_block(text: &Markdown, theme: &Theme) -> Markup {
    let c = &theme.colors;
    html! {
        tr { td class="surface pad" style=(format!("{}border-left:4px solid {};padding:22px 24px 8px 24px;", surface_style(theme), c.accent)) {
            (section_title("The bottom line", theme))
            div class="text" style=(format!("color:{};", c.text)) {
                (markdown(text, theme, 16))
            }
        } }
        (spacer(16))
    }
}

fn footer(issue: &Issue, cx: Context<'_>, markers: &Markers) -> Markup {
    let theme = cx.theme;
    let c = &theme.colors;
    let small = format!(
        "margin:0 0 8px 0;font-size:12px;line-height:1.6;color:{};",
        c.muted
    );
    let link = format!("color:{};text-decoration:underline;", c.muted);
    html! {
        tr { td class="pad" align="center" style="padding:8px 24px 24px 24px;" {
            p class="muted" style=(small) { (theme.footer_text) }
            p class="muted" style=(small) {
                "You get this email because "
                (PreEscaped(markers.marker(Slot::Email)))
                " subscribed to " (&cx.config.name) "."
            }
            p class="muted" style=(small) {
                a class="muted" href=(PreEscaped(markers.marker(Slot::UnsubscribeUrl))) style=(link) { "Unsubscribe" }
                @if let Some(url) = web_url(cx.config, issue) {
                    " \u{b7} "
                    a class="muted" href=(url) style=(link) { "View in browser" }
                }
            }
            p class="muted" style=(small) { (&cx.config.postal_address) }
        } }
    }
}
