//! One colour scheme of the theme (light or dark): its nine colours, checked,
//! and the text-on-background pairs the email uses, for the contrast check.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::DeTable;

use super::colour::Colour;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::table_reader::TableReader;
use crate::project::fields::{Field, Kind, Table};

/// `[colors]` and `[dark_colors]`.
pub(super) static PALETTE: Table = Table {
    name: "[colors], [dark_colors]",
    doc: "the colours of one scheme: [colors] for light, [dark_colors] for clients that honour prefers-color-scheme: dark",
    fields: &[
        Field::required(
            "background",
            Kind::Colour,
            "\"#f3f4f6\"",
            "behind the email, around its cards (the header and footer sit on it)",
        ),
        Field::required(
            "surface",
            Kind::Colour,
            "\"#ffffff\"",
            "the cards the content sits on",
        ),
        Field::required("text", Kind::Colour, "\"#111827\"", "body text"),
        Field::required(
            "muted",
            Kind::Colour,
            "\"#4b5563\"",
            "secondary text: versions, roles, the footer",
        ),
        Field::required(
            "accent",
            Kind::Colour,
            "\"#4f46e5\"",
            "links and highlights",
        ),
        Field::required("border", Kind::Colour, "\"#e5e7eb\"", "lines between parts"),
        Field::required(
            "ship",
            Kind::Colour,
            "\"#047857\"",
            "the Ship badge and bar (white text on it)",
        ),
        Field::required(
            "skip",
            Kind::Colour,
            "\"#b91c1c\"",
            "the Skip badge (white text on it)",
        ),
        Field::required(
            "bar_track",
            Kind::Colour,
            "\"#e5e7eb\"",
            "the track behind the ship-percentage bar",
        ),
    ],
};

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
    /// Where each colour was written, for the contrast advice.
    places: BTreeMap<&'static str, Range<usize>>,
}

/// A colour of the palette (its key and how to get it), or the white the
/// badges print on theirs.
#[derive(Debug, Clone, Copy)]
pub enum Side {
    Key(&'static str, fn(&Palette) -> Colour),
    White,
}

/// One text colour on one background, as the email shows it.
#[derive(Debug, Clone)]
pub struct Pair {
    /// Where the email shows it: "the footer", "the badge".
    pub place: &'static str,
    pub text: Side,
    pub background: Side,
}

const TEXT: Side = Side::Key("text", |p| p.text);
const MUTED: Side = Side::Key("muted", |p| p.muted);
const ACCENT: Side = Side::Key("accent", |p| p.accent);
const SURFACE: Side = Side::Key("surface", |p| p.surface);
const BACKGROUND: Side = Side::Key("background", |p| p.background);
const SHIP: Side = Side::Key("ship", |p| p.ship);
const SKIP: Side = Side::Key("skip", |p| p.skip);

/// Text and background pairs the email uses, for the contrast check.
pub(super) const PAIRS: &[Pair] = &[
    Pair {
        place: "body text",
        text: TEXT,
        background: SURFACE,
    },
    Pair {
        place: "secondary text",
        text: MUTED,
        background: SURFACE,
    },
    Pair {
        place: "the footer",
        text: MUTED,
        background: BACKGROUND,
    },
    Pair {
        place: "the header",
        text: TEXT,
        background: BACKGROUND,
    },
    Pair {
        place: "links",
        text: ACCENT,
        background: SURFACE,
    },
    Pair {
        place: "the Ship badge",
        text: Side::White,
        background: SHIP,
    },
    Pair {
        place: "the Skip badge",
        text: Side::White,
        background: SKIP,
    },
];

/// WCAG AA for normal text.
pub(super) const MIN_CONTRAST: f64 = 4.5;

impl Palette {
    /// One side of a pair.
    pub fn get(&self, side: Side) -> Colour {
        match side {
            Side::White => Colour::WHITE,
            Side::Key(_, colour) => colour(self),
        }
    }

    /// Warnings for the pairs below WCAG AA, each at the colour to change,
    /// saying which way to change it. `scheme` is "light" or "dark".
    pub fn low_contrast(&self, scheme: &str, table: &str) -> Vec<Diagnostic> {
        let mut found = Vec::new();
        for pair in PAIRS {
            let (text, background) = (self.get(pair.text), self.get(pair.background));
            let ratio = text.contrast(background);
            if ratio >= MIN_CONTRAST {
                continue;
            }
            let name = |side: Side| match side {
                Side::Key(key, _) => key,
                Side::White => "white",
            };
            // The side to change: the text colour, unless the text is the fixed white.
            let (change, against) = match pair.text {
                Side::White => (pair.background, pair.text),
                Side::Key(..) => (pair.text, pair.background),
            };
            let lighter = self.get(change).luminance() > self.get(against).luminance();
            let way = if lighter { "lighten" } else { "darken" };
            let other_way = if lighter { "darken" } else { "lighten" };
            let help = match pair.text {
                Side::White => format!(
                    "{way} `{}` in [{table}]: the badge text is always white",
                    name(change)
                ),
                Side::Key(..) => format!(
                    "{way} `{}` or {other_way} `{}` in [{table}] until the ratio reaches {MIN_CONTRAST}:1",
                    name(change),
                    name(against)
                ),
            };
            let mut warning = Diagnostic::warning(format!(
                "{scheme}: {} on {} ({}: {text} on {background}) is {ratio:.2}:1, below WCAG AA ({MIN_CONTRAST}:1)",
                name(pair.text),
                name(pair.background),
                pair.place,
            ))
            .help(help);
            if let Side::Key(key, _) = change
                && let Some(span) = self.places.get(key)
            {
                warning = warning.at(span.clone()).label(format!("{way} this colour"));
            }
            found.push(warning);
        }
        found
    }
}

/// Reads one `[colors]` or `[dark_colors]` table; every colour that is not a
/// CSS colour is reported.
pub(super) fn read(
    table: &DeTable<'_>,
    span: Range<usize>,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Palette> {
    let mut reader = TableReader::new(table, span, what, &PALETTE, diagnostics);
    let mut colours = BTreeMap::new();
    let mut places = BTreeMap::new();
    let mut complete = true;
    let mut read = Vec::new();
    for field in PALETTE.fields {
        read.push((field.key, reader.required::<String>(field.key)));
    }
    reader.finish();
    for (key, value) in read {
        let Some(value) = value else {
            complete = false;
            continue;
        };
        match Colour::parse(&value.value) {
            Some(colour) => {
                colours.insert(key, colour);
                places.insert(key, value.span);
            }
            None => {
                complete = false;
                diagnostics.push(
                    Diagnostic::error(format!("`{}` is not a CSS colour", value.value))
                        .at(value.span)
                        .help("expected a colour such as \"#4f46e5\", \"rgb(79, 70, 229)\" or \"indigo\""),
                );
            }
        }
    }
    if !complete {
        return None;
    }
    let colour = |key: &str| colours.get(key).copied();
    Some(Palette {
        background: colour("background")?,
        surface: colour("surface")?,
        text: colour("text")?,
        muted: colour("muted")?,
        accent: colour("accent")?,
        border: colour("border")?,
        ship: colour("ship")?,
        skip: colour("skip")?,
        bar_track: colour("bar_track")?,
        places,
    })
}
