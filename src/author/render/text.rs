//! The plain-text email: a reading version built from the model, wrapped at 72
//! columns, with sections, attributed quotes and the numbers spelled out.

use std::fmt::Write as _;

use super::{Context, Markers, Slot, long_date, web_url};
use crate::author::issue::{Issue, Verdict};
use crate::author::markdown::wrap;

/// Line width of the text part.
pub const WIDTH: usize = 72;

pub(super) fn render(issue: &Issue, cx: Context<'_>, markers: &Markers) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let name = &cx.config.name;
    let _ = writeln!(out, "{}", name.to_uppercase());
    let _ = writeln!(out, "{} \u{b7} {}", cx.theme.header_text, long_date(issue));
    if let Some(url) = web_url(cx.config, issue) {
        let _ = writeln!(out, "Read on the web: {url}");
    }
    out.push('\n');
    // The kicker, as the HTML shows it: in capitals above the title.
    let _ = writeln!(
        out,
        "{}",
        wrap(&issue.kicker().to_uppercase(), WIDTH, "", "")
    );
    let title = wrap(&issue.title(), WIDTH, "", "");
    let rule = title
        .lines()
        .map(textwrap::core::display_width)
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "{title}\n{}", "=".repeat(rule));
    out.push('\n');
    let _ = writeln!(out, "{}", markers.marker(Slot::Greeting));
    out.push('\n');
    let _ = writeln!(out, "{}", issue.intro.to_text(WIDTH, ""));

    heading(&mut out, "At a glance");
    for (index, tool) in issue.tools.iter().enumerate() {
        let _ = writeln!(out, "{}", tool.display_name());
        field(&mut out, "Category", &tool.category);
        field(&mut out, "In a line", &tool.tagline);
        field(
            &mut out,
            "Panel ship",
            &format!(
                "{}% ({} ship, {} skip: {})",
                tool.ship_percent(),
                tool.ship_count(),
                tool.skip_count(),
                tool.split()
            ),
        );
        field(&mut out, "Community", &tool.community_label());
        field(&mut out, "Entry", &tool.pricing);
        field(&mut out, "Link", &markers.tool_link(index));
        if cx.config.base_url.is_some() {
            let tool = u8::try_from(index).unwrap_or(u8::MAX);
            let _ = writeln!(
                out,
                "  Ship it:    {}",
                markers.marker(Slot::Vote(tool, Verdict::Ship))
            );
            let _ = writeln!(
                out,
                "  Skip it:    {}",
                markers.marker(Slot::Vote(tool, Verdict::Skip))
            );
        }
        out.push('\n');
    }

    heading(&mut out, "The tools");
    for (index, tool) in issue.tools.iter().enumerate() {
        let _ = writeln!(out, "{}\n", tool.display_name());
        let _ = writeln!(out, "{}\n", tool.description.to_text(WIDTH, ""));
        let _ = writeln!(out, "Visit {}: {}\n", tool.name, markers.tool_link(index));
    }

    heading(&mut out, "Reviewer scorecard");
    for panelist in issue.reviewers(cx.roster) {
        let _ = writeln!(out, "{}, {}\n", panelist.name, panelist.role);
        for tool in &issue.tools {
            let Some(review) = tool.review_by(panelist.id.get_ref()) else {
                continue;
            };
            let _ = writeln!(
                out,
                "  On {}: {}",
                tool.display_name(),
                review.verdict.label().to_uppercase()
            );
            let quote = format!(
                "\u{201c}{}\u{201d}",
                review
                    .quote
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let _ = writeln!(out, "{}", wrap(&quote, WIDTH, "    ", "    "));
            let _ = writeln!(
                out,
                "{}\n",
                wrap(
                    &format!("\u{2014} {}", panelist.name),
                    WIDTH,
                    "    ",
                    "    "
                )
            );
        }
    }

    if let Some(bottom_line) = &issue.bottom_line {
        heading(&mut out, "The bottom line");
        let _ = writeln!(out, "{}\n", bottom_line.to_text(WIDTH, ""));
    }

    out.push_str("-- \n");
    let _ = writeln!(out, "{}", wrap(&cx.theme.footer_text, WIDTH, "", ""));
    out.push('\n');
    let _ = writeln!(
        out,
        "{}",
        wrap(
            &format!("You get this email because you subscribed to {name}."),
            WIDTH,
            "",
            ""
        )
    );
    let _ = writeln!(out, "Sent to: {}", markers.marker(Slot::Email));
    let _ = writeln!(out, "Unsubscribe: {}", markers.marker(Slot::UnsubscribeUrl));
    if let Some(url) = web_url(cx.config, issue) {
        let _ = writeln!(out, "View in a browser: {url}");
    }
    out.push('\n');
    let _ = writeln!(out, "{}", wrap(&cx.config.postal_address, WIDTH, "", ""));
    out
}

fn heading(out: &mut String, title: &str) {
    let title = title.to_uppercase();
    let _ = writeln!(out, "\n{title}\n{}\n", "-".repeat(title.chars().count()));
}

/// "  Label:      value", wrapped under the value column.
fn field(out: &mut String, label: &str, value: &str) {
    let first = format!("  {:<12}", format!("{label}:"));
    let rest = " ".repeat(first.len());
    let _ = writeln!(out, "{}", wrap(value, WIDTH, &first, &rest));
}
