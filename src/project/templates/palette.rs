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

    /// Warnings for the pairs below WCAG AA, one per colour to change (the
    /// text colour, or the badge's own colour under its fixed white text), at
    /// that colour, with advice that can work for every pair it is in.
    /// `scheme` is "light" or "dark".
    pub fn low_contrast(&self, scheme: &str, table: &str) -> Vec<Diagnostic> {
        // Each colour to change with the colours it must stand out against.
        let mut colours: Vec<(Side, Vec<(&Pair, Side)>)> = Vec::new();
        for pair in PAIRS {
            // The side to change: the text colour, unless the text is the fixed white.
            let (change, against) = match pair.text {
                Side::White => (pair.background, pair.text),
                Side::Key(..) => (pair.text, pair.background),
            };
            match colours
                .iter_mut()
                .find(|(side, _)| side_name(*side) == side_name(change))
            {
                Some((_, pairs)) => pairs.push((pair, against)),
                None => colours.push((change, vec![(pair, against)])),
            }
        }
        let mut found = Vec::new();
        for (change, pairs) in colours {
            let failing: Vec<&(&Pair, Side)> = pairs
                .iter()
                .filter(|(pair, _)| {
                    self.get(pair.text).contrast(self.get(pair.background)) < MIN_CONTRAST
                })
                .collect();
            if failing.is_empty() {
                continue;
            }
            let key = side_name(change);
            let current = self.get(change).luminance();
            // Every pair of the colour counts: a change that mends one pair must
            // not break another.
            let againsts: Vec<f64> = pairs
                .iter()
                .map(|(_, against)| self.get(*against).luminance())
                .collect();
            let shown: Vec<String> = failing
                .iter()
                .map(|(pair, _)| {
                    let (text, background) = (self.get(pair.text), self.get(pair.background));
                    format!(
                        "{} on {} ({}: {text} on {background}) is {:.2}:1",
                        side_name(pair.text),
                        side_name(pair.background),
                        pair.place,
                        text.contrast(background),
                    )
                })
                .collect();
            let mut failing_againsts: Vec<&str> = Vec::new();
            for (_, against) in &failing {
                if !failing_againsts.contains(&side_name(*against)) {
                    failing_againsts.push(side_name(*against));
                }
            }
            let quoted = |names: &[&str]| {
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            };
            let (label, help) = match nearest_passing(current, &againsts) {
                Some(target) => {
                    let lighten = target > current;
                    let way = if lighten { "lighten" } else { "darken" };
                    let help = match change {
                        Side::Key(..) if matches!(failing[0].0.text, Side::White) => {
                            format!("{way} `{key}` in [{table}]: the badge text is always white")
                        }
                        _ => {
                            // Moving the other colours instead works only if each
                            // can get far enough from this one on its own.
                            let others_can = failing.iter().all(|(_, against)| {
                                let extreme = if lighten { 0.0 } else { 1.0 };
                                ratio(extreme, current) >= MIN_CONTRAST
                                    && matches!(against, Side::Key(..))
                            });
                            let other_way = if lighten { "darken" } else { "lighten" };
                            let alternative = if others_can {
                                format!(" or {other_way} {}", quoted(&failing_againsts))
                            } else {
                                String::new()
                            };
                            format!(
                                "{way} `{key}`{alternative} in [{table}] until the ratio reaches {MIN_CONTRAST}:1"
                            )
                        }
                    };
                    (format!("{way} this colour"), help)
                }
                None => (
                    "no shade of this colour passes on all of them".to_string(),
                    format!(
                        "no single change of `{key}` reaches {MIN_CONTRAST}:1 on all of {} in [{table}]: they differ too much in lightness for one colour to stand out on each; change {} so that they are all light or all dark",
                        quoted(&pairs_againsts(&pairs)),
                        quoted(&failing_againsts),
                    ),
                ),
            };
            let mut warning = Diagnostic::warning(format!(
                "{scheme}: {}, below WCAG AA ({MIN_CONTRAST}:1)",
                shown.join(" and ")
            ))
            .help(help);
            if let Some(span) = self.places.get(key) {
                warning = warning.at(span.clone()).label(label);
            }
            found.push(warning);
        }
        found
    }
}

/// A colour's key, or "white" for the badges' fixed text.
fn side_name(side: Side) -> &'static str {
    match side {
        Side::Key(key, _) => key,
        Side::White => "white",
    }
}

/// The distinct colours a colour is set against, in order.
fn pairs_againsts(pairs: &[(&Pair, Side)]) -> Vec<&'static str> {
    let mut names = Vec::new();
    for (_, against) in pairs {
        if !names.contains(&side_name(*against)) {
            names.push(side_name(*against));
        }
    }
    names
}

/// The WCAG contrast ratio of two relative luminances.
fn ratio(a: f64, b: f64) -> f64 {
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// The luminance nearest to `current` at which a colour reaches the minimum
/// contrast on every one of `againsts`, if there is one. The colours that pass
/// form intervals whose ends are black, white, or exactly the minimum ratio on
/// one of them, so the nearest is one of those ends.
fn nearest_passing(current: f64, againsts: &[f64]) -> Option<f64> {
    let mut candidates = vec![0.0, 1.0];
    for &against in againsts {
        candidates.push(MIN_CONTRAST * (against + 0.05) - 0.05);
        candidates.push((against + 0.05) / MIN_CONTRAST - 0.05);
    }
    candidates
        .into_iter()
        .filter(|l| (0.0..=1.0).contains(l))
        .filter(|&l| {
            againsts
                .iter()
                .all(|&against| ratio(l, against) >= MIN_CONTRAST - 1e-9)
        })
        .min_by(|a, b| (a - current).abs().total_cmp(&(b - current).abs()))
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
            Some(colour) if !colour.is_opaque() => {
                complete = false;
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{}` is see-through: the colour must be opaque",
                        value.value
                    ))
                    .at(value.span)
                    .label("this colour has transparency")
                    .help("many email clients ignore alpha, and contrast cannot be judged through it: expected an opaque colour, `#rrggbb` such as \"#4f46e5\", or \"rgb(79, 70, 229)\""),
                );
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_passing_lightness_passes_on_every_background() {
        let dark = [
            Colour::parse("#151b2b").unwrap().luminance(),
            Colour::parse("#0b0f19").unwrap().luminance(),
        ];
        let from = Colour::parse("#1a1a1a").unwrap().luminance();
        let target = nearest_passing(from, &dark).unwrap();
        assert!(target > from);
        assert!(
            dark.iter()
                .all(|&b| ratio(target, b) >= MIN_CONTRAST - 1e-9)
        );
        // Nothing reads on both white and a dark grey.
        let apart = [1.0, Colour::parse("#333333").unwrap().luminance()];
        assert_eq!(nearest_passing(0.5, &apart), None);
    }
}
