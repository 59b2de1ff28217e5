//! A tool's record over time as a small inline SVG: the panel's ship rate and
//! the community vote in each comparison, oldest to newest. No script: the
//! page's colours style it, each point names its value on hover, and the
//! table under it gives the same figures to everyone.

use maud::{Markup, html};

use super::page::plural;
use super::standings::ToolStanding;

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 350.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 150.0;

/// The x of the `i`th of `n` points: spread evenly, one point in the middle.
fn x(i: usize, n: usize) -> f64 {
    if n <= 1 {
        (LEFT + RIGHT) / 2.0
    } else {
        LEFT + (RIGHT - LEFT) * i as f64 / (n - 1) as f64
    }
}

/// The y of a percentage.
fn y(percent: f64) -> f64 {
    BOTTOM - (BOTTOM - TOP) * percent.clamp(0.0, 100.0) / 100.0
}

fn points(values: &[(usize, f64)], n: usize) -> String {
    values
        .iter()
        .map(|&(i, v)| format!("{:.1},{:.1}", x(i, n), y(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The chart of one tool, with its legend and a sentence saying what it shows.
pub(super) fn record_chart(tool: &ToolStanding<'_>) -> Markup {
    let n = tool.appearances.len();
    let panel: Vec<(usize, f64)> = tool
        .appearances
        .iter()
        .enumerate()
        .map(|(i, a)| (i, f64::from(a.tool.ship_percent())))
        .collect();
    let votes: Vec<(usize, f64)> = tool
        .appearances
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.tool.community_vote.map(|v| (i, v)))
        .collect();
    let date = |i: usize| {
        tool.appearances[i]
            .issue
            .date
            .format("%-d %b %Y")
            .to_string()
    };
    let name = &tool.face.name;
    let summary = format!(
        "{name}'s panel ship rate in {}{}, oldest first: {}. Community vote: {}.",
        plural(n, "comparison"),
        if n > 1 {
            format!(" from {} to {}", date(0), date(n - 1))
        } else {
            String::new()
        },
        panel
            .iter()
            .map(|(_, v)| format!("{v}%"))
            .collect::<Vec<_>>()
            .join(", "),
        if votes.is_empty() {
            "none yet".to_string()
        } else {
            votes
                .iter()
                .map(|(i, v)| format!("{v}% ({})", date(*i)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    html! {
        figure class="chart" {
            svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(summary) {
                @for level in [0.0, 50.0, 100.0] {
                    line class="grid" x1=(LEFT) x2=(RIGHT) y1=(y(level)) y2=(y(level)) {}
                    text class="axis" x=(LEFT - 6.0) y=(y(level) + 4.0) text-anchor="end" font-size="11" { (level) "%" }
                }
                @if panel.len() > 1 {
                    polyline class="panel" points=(points(&panel, n)) {}
                }
                @for &(i, v) in &panel {
                    circle class="panel-dot" cx=(format!("{:.1}", x(i, n))) cy=(format!("{:.1}", y(v))) r="4.5" {
                        title { (date(i)) ": panel ship " (v) "%" }
                    }
                }
                @if votes.len() > 1 {
                    polyline class="vote" points=(points(&votes, n)) {}
                }
                @for &(i, v) in &votes {
                    rect class="vote-dot" x=(format!("{:.1}", x(i, n) - 4.0)) y=(format!("{:.1}", y(v) - 4.0)) width="8" height="8" {
                        title { (date(i)) ": community " (v) "%" }
                    }
                }
                text class="axis" x=(if n > 1 { LEFT } else { x(0, n) }) y=(HEIGHT - 8.0) text-anchor=(if n > 1 { "start" } else { "middle" }) font-size="11" { (date(0)) }
                @if n > 1 {
                    text class="axis" x=(RIGHT) y=(HEIGHT - 8.0) text-anchor="end" font-size="11" { (date(n - 1)) }
                }
            }
            figcaption {
                ul class="legend" {
                    li { span class="swatch panel" {} "Panel ship rate (circles)" }
                    li {
                        span class="swatch vote" {} "Community vote (squares)"
                        @if votes.is_empty() { ": none yet" }
                    }
                }
            }
        }
    }
}
