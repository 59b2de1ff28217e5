//! Social cards: the 1200×630 picture a shared link to an issue shows, with
//! the tools' names, their panel ship rate, and the newsletter's name and
//! colours. Drawn as SVG (a maud template), rendered to PNG in-process with
//! resvg and the DejaVu Sans font that ships inside verdict, so that a card
//! looks the same on every machine.

use std::sync::Arc;

use maud::{Markup, html};
use resvg::{tiny_skia, usvg};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

use crate::author::issue::Issue;
use crate::project::templates::Palette;

pub(super) const WIDTH: u32 = 1200;
pub(super) const HEIGHT: u32 = 630;

/// DejaVu Sans Bold (see assets/fonts/LICENSE-DejaVu.txt).
const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");
const FAMILY: &str = "DejaVu Sans";
const MARGIN: f64 = 72.0;
const GAP: f64 = 40.0;
const PADDING: f64 = 32.0;

/// Why a card could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    #[error("the card's SVG does not parse: {0}")]
    Svg(#[from] usvg::Error),
    #[error("the card could not be encoded as PNG: {0}")]
    Png(String),
}

/// What a card shows, besides the issue.
#[derive(Debug, Clone, Copy)]
pub(super) struct CardStyle<'a> {
    pub newsletter: &'a str,
    /// The site's host name, printed at the bottom.
    pub host: &'a str,
    pub colors: &'a Palette,
}

/// Renders cards; holds the font, loaded once.
pub(super) struct Painter {
    options: usvg::Options<'static>,
    measure: Option<skrifa::FontRef<'static>>,
}

impl Painter {
    pub(super) fn new() -> Painter {
        let mut options = usvg::Options {
            font_family: FAMILY.into(),
            ..usvg::Options::default()
        };
        let mut fonts = usvg::fontdb::Database::new();
        fonts.load_font_data(FONT.to_vec());
        options.fontdb = Arc::new(fonts);
        Painter {
            options,
            measure: skrifa::FontRef::new(FONT).ok(),
        }
    }

    /// The width of `text` at `size` px, as the card's font sets it.
    fn width(&self, text: &str, size: f64) -> f64 {
        let Some(font) = &self.measure else {
            return text.chars().count() as f64 * size * 0.7;
        };
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::new(size as f32), LocationRef::default());
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|glyph| metrics.advance_width(glyph))
                    .map_or(size * 0.7, f64::from)
            })
            .sum()
    }

    /// `text` broken into at most `lines` lines within `width` at the largest
    /// size from `sizes` that fits; the last size cuts it short with "…".
    fn fit(&self, text: &str, width: f64, lines: usize, sizes: &[f64]) -> (f64, Vec<String>) {
        let smallest = sizes.last().copied().unwrap_or(32.0);
        for &size in sizes {
            if let Some(wrapped) = self.wrap(text, width, size, lines) {
                return (size, wrapped);
            }
        }
        let mut wrapped = self
            .wrap(text, width, smallest, usize::MAX)
            .unwrap_or_default();
        wrapped.truncate(lines);
        if let Some(last) = wrapped.last_mut() {
            while !last.is_empty() && self.width(&format!("{last}\u{2026}"), smallest) > width {
                last.pop();
            }
            last.push('\u{2026}');
        }
        (smallest, wrapped)
    }

    /// Words into lines within `width`, or `None` when that takes more than
    /// `lines` lines or a word alone is wider.
    fn wrap(&self, text: &str, width: f64, size: f64, lines: usize) -> Option<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for word in text.split_whitespace() {
            if self.width(word, size) > width {
                if lines != usize::MAX {
                    return None;
                }
                out.push(word.to_string());
                continue;
            }
            match out.last_mut() {
                Some(line) if self.width(&format!("{line} {word}"), size) <= width => {
                    line.push(' ');
                    line.push_str(word);
                }
                _ => out.push(word.to_string()),
            }
            if out.len() > lines {
                return None;
            }
        }
        Some(out)
    }

    /// The card of an issue as SVG.
    pub(super) fn svg(&self, issue: &Issue, style: CardStyle<'_>) -> String {
        let c = style.colors;
        let n = issue.tools.len().max(1) as f64;
        let column = (f64::from(WIDTH) - 2.0 * MARGIN - GAP * (n - 1.0)) / n;
        let text_width = column - 2.0 * PADDING;
        let (name_size, name) = self.fit(
            style.newsletter,
            f64::from(WIDTH) - 2.0 * MARGIN,
            1,
            &[40.0, 34.0, 28.0],
        );
        let top = 190.0;
        let bottom = 560.0;
        let markup: Markup = html! {
            svg xmlns="http://www.w3.org/2000/svg" width=(WIDTH) height=(HEIGHT) viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) font-family=(FAMILY) font-weight="700" {
                rect width=(WIDTH) height=(HEIGHT) fill=(c.background.to_string()) {}
                rect width=(WIDTH) height="14" fill=(c.accent.to_string()) {}
                text x=(MARGIN) y="104" font-size=(name_size) fill=(c.accent.to_string()) {
                    (name.first().map(String::as_str).unwrap_or_default())
                }
                text x=(MARGIN) y="150" font-size="26" fill=(c.muted.to_string()) letter-spacing="2" {
                    (issue.kicker().to_uppercase())
                }
                @for (i, tool) in issue.tools.iter().enumerate() {
                    @let left = MARGIN + i as f64 * (column + GAP);
                    @let (size, lines) = self.fit(&tool.name, text_width, 2, &[64.0, 56.0, 48.0, 42.0, 36.0]);
                    @let ship = tool.ship_percent();
                    rect x=(left) y=(top) width=(column) height=(bottom - top) rx="24" fill=(c.surface.to_string()) stroke=(c.border.to_string()) stroke-width="2" {}
                    // Baselines a line's height apart, from the card's top.
                    @for (l, line) in lines.iter().enumerate() {
                        text x=(left + PADDING) y=(format!("{:.1}", top + 28.0 + size * (0.95 + 1.05 * l as f64))) font-size=(size) fill=(c.text.to_string()) { (line) }
                    }
                    @if let Some(version) = tool.version_label() {
                        @let (vsize, vline) = self.fit(&version, text_width, 1, &[28.0, 24.0]);
                        text x=(left + PADDING) y=(format!("{:.1}", top + 36.0 + size * (0.95 + 1.05 * (lines.len() as f64 - 1.0)) + vsize * 1.2)) font-size=(vsize) fill=(c.muted.to_string()) {
                            (vline.first().map(String::as_str).unwrap_or_default())
                        }
                    }
                    text x=(left + PADDING) y=(bottom - 70.0) font-size="80" fill=(c.ship.to_string()) { (ship) "%" }
                    text x=(left + column - PADDING) y=(bottom - 70.0) font-size="24" fill=(c.muted.to_string()) text-anchor="end" { "PANEL SHIP" }
                    rect x=(left + PADDING) y=(bottom - 48.0) width=(text_width) height="18" rx="9" fill=(c.bar_track.to_string()) {}
                    rect x=(left + PADDING) y=(bottom - 48.0) width=(format!("{:.1}", text_width * f64::from(ship) / 100.0)) height="18" rx="9" fill=(c.ship.to_string()) {}
                }
                text x=(MARGIN) y="606" font-size="24" fill=(c.muted.to_string()) { (style.host) }
                text x=(f64::from(WIDTH) - MARGIN) y="606" font-size="24" fill=(c.muted.to_string()) text-anchor="end" {
                    (issue.date.format("%-d %B %Y").to_string())
                }
            }
        };
        markup.into_string()
    }

    /// An SVG drawn into PNG bytes.
    pub(super) fn png(&self, svg: &str) -> Result<Vec<u8>, CardError> {
        let tree = usvg::Tree::from_str(svg, &self.options)?;
        let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT)
            .ok_or_else(|| CardError::Png("no room for the picture".into()))?;
        resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
        pixmap
            .encode_png()
            .map_err(|e| CardError::Png(e.to_string()))
    }
}

/// The words a card stands for, for readers who cannot see it.
pub(super) fn alt_text(issue: &Issue) -> String {
    let tools: Vec<String> = issue
        .tools
        .iter()
        .map(|t| format!("{}: {}% panel ship", t.display_name(), t.ship_percent()))
        .collect();
    format!("{}. {}", issue.title(), tools.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_name_is_fitted_to_the_width_and_cut_short_only_when_it_must_be() {
        let painter = Painter::new();
        let (size, lines) = painter.fit("Axolotl", 400.0, 2, &[64.0, 32.0]);
        assert_eq!((size, lines), (64.0, vec!["Axolotl".to_string()]));
        let (size, lines) =
            painter.fit("Mistral Medium 3 Instruct Preview", 400.0, 2, &[64.0, 32.0]);
        assert!(lines.len() <= 2 && size <= 64.0, "{lines:?}");
        assert!(
            lines.iter().all(|l| painter.width(l, size) <= 400.0),
            "{lines:?}"
        );
        let long = "Supercalifragilistic ".repeat(10);
        let (_, lines) = painter.fit(&long, 400.0, 2, &[64.0, 32.0]);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('\u{2026}'), "{lines:?}");
    }
}
