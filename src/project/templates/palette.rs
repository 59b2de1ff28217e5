//! One colour scheme of the theme (light or dark): its nine colours, checked, and
//! the text-on-background pairs the email uses, for the contrast check.

use serde::Deserialize;
use toml::Spanned;

use super::colour::Colour;
use crate::diagnostic::{Diagnostic, FileDiagnostics};

/// The colours of one scheme (light, or dark), inlined or in the stylesheet.
#[derive(Debug, Clone)]
pub struct Palette {
    pub background: Colour,
    pub surface: Colour,
    pub text: Colour,
    pub muted: Colour,
    pub accent: Colour,
    pub border: Colour,
    pub ship: Colour,
    pub skip: Colour,
    pub bar_track: Colour,
}

impl Palette {
    /// Text and background pairs the email uses, for the contrast check:
    /// (what, text colour, background colour).
    pub fn text_pairs(&self) -> Vec<(&'static str, Colour, Colour)> {
        let white = Colour([255, 255, 255, 255]);
        vec![
            ("text on surface", self.text, self.surface),
            ("muted on surface", self.muted, self.surface),
            (
                "muted on background (the footer)",
                self.muted,
                self.background,
            ),
            (
                "text on background (the header)",
                self.text,
                self.background,
            ),
            ("accent on surface", self.accent, self.surface),
            ("white on ship (the badge)", white, self.ship),
            ("white on skip (the badge)", white, self.skip),
        ]
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPalette {
    background: Spanned<String>,
    surface: Spanned<String>,
    text: Spanned<String>,
    muted: Spanned<String>,
    accent: Spanned<String>,
    border: Spanned<String>,
    ship: Spanned<String>,
    skip: Spanned<String>,
    bar_track: Spanned<String>,
}

impl RawPalette {
    pub(super) fn check(&self, report: &mut FileDiagnostics) -> Option<Palette> {
        let mut colour = |field: &Spanned<String>| {
            let parsed = Colour::parse(field.get_ref());
            if parsed.is_none() {
                report.push(
                    Diagnostic::error(format!("`{}` is not a CSS colour", field.get_ref()))
                        .at(field.span())
                        .help("expected a colour such as \"#4f46e5\", \"rgb(79, 70, 229)\" or \"indigo\""),
                );
            }
            parsed
        };
        let palette = [
            colour(&self.background),
            colour(&self.surface),
            colour(&self.text),
            colour(&self.muted),
            colour(&self.accent),
            colour(&self.border),
            colour(&self.ship),
            colour(&self.skip),
            colour(&self.bar_track),
        ];
        let [
            background,
            surface,
            text,
            muted,
            accent,
            border,
            ship,
            skip,
            bar_track,
        ] = palette;
        Some(Palette {
            background: background?,
            surface: surface?,
            text: text?,
            muted: muted?,
            accent: accent?,
            border: border?,
            ship: ship?,
            skip: skip?,
            bar_track: bar_track?,
        })
    }
}
