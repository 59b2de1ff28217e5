//! `templates/theme.toml`: colours (light and dark), font, logo and the fixed
//! texts of the email, read and checked.

use std::ops::Range;

use toml::de::DeTable;

use super::palette::{self, PALETTE, Palette};
use crate::diagnostic::table_reader::{Located, TableReader};
use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::project::fields::{Field, Kind, Need, Table};

/// The top level of `templates/theme.toml`.
pub static THEME: Table = Table {
    name: "templates/theme.toml",
    doc: "The look of the email and the site: colours, font, logo, fixed texts.",
    fields: &[
        Field::required(
            "font_family",
            Kind::Line,
            "\"-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\"",
            "the CSS font stack: font names separated by commas",
        ),
        Field::required(
            "header_text",
            Kind::FilledLine,
            "\"Side-by-side AI tool comparisons\"",
            "the line under the newsletter's name in the header",
        ),
        Field::required(
            "footer_text",
            Kind::FilledLine,
            "\"New AI tools ship daily. We compare them before you waste an afternoon.\"",
            "why the newsletter exists, in the footer",
        ),
        Field::defaulted(
            "greeting",
            Kind::Line,
            "\"Hi {name},\"",
            "\"Hello {name},\"",
            "how each email greets its reader: {name} (once) is the subscriber's name",
        ),
        Field::defaulted(
            "greeting_without_name",
            Kind::Line,
            "\"Hi there,\"",
            "\"Hello,\"",
            "the greeting for subscribers without a name",
        ),
        Field::table("logo", &LOGO, Need::Optional),
        Field::table("colors", &PALETTE, Need::Required),
        Field::table("dark_colors", &PALETTE, Need::Required),
    ],
};

/// `[logo]`.
pub(super) static LOGO: Table = Table {
    name: "[logo]",
    doc: "a logo in the header, hosted on the web (emails link images, they do not attach them)",
    fields: &[
        Field::required(
            "url",
            Kind::WebUrl,
            "\"https://verdicts.example.com/logo.png\"",
            "the image's address",
        ),
        Field::required(
            "alt",
            Kind::Line,
            "\"Weekly AI Tool Verdicts\"",
            "what the logo says, for readers with images off (check warns when empty)",
        ),
        Field::required(
            "width",
            Kind::Integer { min: 1, max: 600 },
            "160",
            "its width in pixels",
        ),
    ],
};

/// Colours, fonts and fixed texts of the email, checked.
#[derive(Debug, Clone)]
pub struct Theme {
    /// The CSS font stack.
    pub font_family: String,
    /// A line under the newsletter name in the header.
    pub header_text: String,
    /// Why the reader gets this email, in the footer.
    pub footer_text: String,
    /// How the email greets a reader.
    pub greeting: Greeting,
    pub logo: Option<Logo>,
    pub colors: Palette,
    /// Used by clients that honour `prefers-color-scheme: dark`.
    pub dark_colors: Palette,
}

/// The greeting, with the reader's name and without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// Holds `{name}` once, e.g. "Hi {name},".
    pub with_name: String,
    /// For readers without a name, e.g. "Hi there,".
    pub without_name: String,
}

impl Greeting {
    /// The greeting for a reader with this name, if any.
    pub fn for_name(&self, name: Option<&str>) -> String {
        match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => self.with_name.replacen("{name}", name, 1),
            None => self.without_name.clone(),
        }
    }
}

impl Default for Greeting {
    /// The defaults of [`THEME`]'s `greeting` keys (a test holds them equal).
    fn default() -> Self {
        Greeting {
            with_name: "Hi {name},".into(),
            without_name: "Hi there,".into(),
        }
    }
}

/// The header logo: an image hosted on the web (emails should not embed images).
#[derive(Debug, Clone)]
pub struct Logo {
    /// An http(s) address.
    pub url: String,
    /// What the logo says, for readers with images off.
    pub alt: String,
    pub width: u32,
}

impl Theme {
    pub fn parse(path: &str, source: &str) -> Result<Theme, FileDiagnostics> {
        let (theme, report) = crate::diagnostic::syntax::read(
            path,
            source,
            "README.md describes every key of templates/theme.toml",
            read_theme,
        );
        theme.ok_or(report)
    }

    /// Warnings for text colours below WCAG AA contrast on their background,
    /// each at the colour to change.
    pub fn low_contrast(&self) -> Vec<Diagnostic> {
        let mut found = self.colors.low_contrast("light", "colors");
        found.extend(self.dark_colors.low_contrast("dark", "dark_colors"));
        found
    }
}

fn read_theme(table: &DeTable<'_>, diagnostics: &mut Vec<Diagnostic>) -> Option<Theme> {
    let mut reader = TableReader::new(table, 0..0, "templates/theme.toml", &THEME, diagnostics);
    let font_family = reader.required::<String>("font_family");
    let header_text = reader.required::<String>("header_text");
    let footer_text = reader.required::<String>("footer_text");
    let greeting = reader.defaulted::<String>("greeting");
    let greeting_without_name = reader.defaulted::<String>("greeting_without_name");
    let logo = reader.table("logo");
    let colors = reader.table("colors");
    let dark_colors = reader.table("dark_colors");
    reader.finish();

    let font_family = font_family.and_then(|font| font_list(font, diagnostics));
    let header_text = header_text.and_then(|t| one_line(t, diagnostics));
    let footer_text = footer_text.and_then(|t| one_line(t, diagnostics));
    let greeting = greeting.and_then(|g| {
        if g.value.matches("{name}").count() != 1 {
            diagnostics.push(
                Diagnostic::error("the greeting must hold `{name}` once")
                    .at(g.span)
                    .help("e.g. greeting = \"Hi {name},\"; greeting_without_name is used for readers without a name"),
            );
            return None;
        }
        one_line(g, diagnostics)
    });
    let greeting_without_name = greeting_without_name.and_then(|g| one_line(g, diagnostics));
    let logo = match logo {
        None => Some(None),
        Some((span, table)) => read_logo(span, table, diagnostics).map(Some),
    };
    let colors =
        colors.and_then(|(span, table)| palette::read(table, span, "[colors]", diagnostics));
    let dark_colors = dark_colors
        .and_then(|(span, table)| palette::read(table, span, "[dark_colors]", diagnostics));
    Some(Theme {
        font_family: font_family?,
        header_text: header_text?,
        footer_text: footer_text?,
        greeting: Greeting {
            with_name: greeting?,
            without_name: greeting_without_name?,
        },
        logo: logo?,
        colors: colors?,
        dark_colors: dark_colors?,
    })
}

fn read_logo(
    span: Range<usize>,
    table: &DeTable<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Logo> {
    let mut reader = TableReader::new(table, span, "[logo]", &LOGO, diagnostics);
    let url = reader.required::<String>("url");
    let alt = reader.required::<String>("alt");
    let width = reader.required::<u32>("width");
    reader.finish();
    let url = url?;
    let url_ok = url::Url::parse(&url.value)
        .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
    if !url_ok {
        diagnostics.push(
            Diagnostic::error(format!("`{}` is not a web address", url.value))
                .at(url.span)
                .help("the logo is an image on the web: expected an https:// URL"),
        );
        return None;
    }
    Some(Logo {
        url: url.value,
        alt: one_line(alt?, diagnostics)?,
        width: width?.value,
    })
}

/// A CSS font list: names, quotes, commas; nothing that could leave the style.
fn font_list(font: Located<String>, diagnostics: &mut Vec<Diagnostic>) -> Option<String> {
    let ok = !font.value.trim().is_empty()
        && font
            .value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | ',' | '-' | '\'' | '"' | '_' | '.'));
    if ok {
        return Some(font.value);
    }
    diagnostics.push(
        Diagnostic::error("the font family holds characters a CSS font list does not")
            .at(font.span)
            .help("expected font names separated by commas, e.g. \"'Segoe UI', Roboto, Arial, sans-serif\""),
    );
    None
}

/// Text shown on one line of the email.
fn one_line(text: Located<String>, diagnostics: &mut Vec<Diagnostic>) -> Option<String> {
    match crate::diagnostic::text::header_safe(&text.value, text.span.clone()) {
        Ok(()) => Some(text.value),
        Err(d) => {
            diagnostics.push(d.help("write it on one line"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::layout::THEME_FILE;

    fn demo_theme() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/theme.toml"))
            .unwrap()
    }

    #[test]
    fn the_demo_theme_meets_wcag_aa_contrast_in_both_schemes() {
        let theme = Theme::parse(THEME_FILE, &demo_theme()).unwrap();
        assert!(theme.low_contrast().is_empty());
    }

    #[test]
    fn the_contrast_advice_names_the_side_to_change_at_its_line() {
        // White badge text on a light green: the badge colour must get darker.
        let source = demo_theme().replacen("ship = \"#047857\"", "ship = \"#34d399\"", 1);
        let theme = Theme::parse(THEME_FILE, &source).unwrap();
        let report = FileDiagnostics::new(THEME_FILE, source.clone());
        let warnings = theme.low_contrast();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let rendered = report.with(warnings[0].clone()).render(false);
        let line = source.lines().position(|l| l.contains("#34d399")).unwrap() + 1;
        assert!(
            rendered.contains(&format!("templates/theme.toml:{line}:")),
            "{rendered}"
        );
        assert!(
            rendered.contains("darken `ship` in [colors]: the badge text is always white"),
            "{rendered}"
        );
        // Light text on a dark scheme's surface, too dim: lighten the text.
        let source = demo_theme().replacen("muted = \"#9ca3af\"", "muted = \"#4b5563\"", 1);
        let theme = Theme::parse(THEME_FILE, &source).unwrap();
        let rendered = theme
            .low_contrast()
            .into_iter()
            .map(|w| w.help.unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            rendered.contains("lighten `muted` in [dark_colors]"),
            "{rendered}"
        );
        assert!(!rendered.contains("[colors]"), "{rendered}");
        // No black is dark enough for that grey: the surface is not to darken.
        assert!(!rendered.contains("darken"), "{rendered}");
        // Mid-grey text on a light surface: the surface can go no lighter than
        // white, so only the text is to change.
        let source = demo_theme().replacen("text = \"#111827\"", "text = \"#9ca3af\"", 1);
        let warnings = Theme::parse(THEME_FILE, &source).unwrap().low_contrast();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(
            warnings[0].help.as_deref(),
            Some("darken `text` in [colors] until the ratio reaches 4.5:1")
        );
        // Grey text that white cards and page would also carry: either way works.
        let source = demo_theme()
            .replacen("muted = \"#4b5563\"", "muted = \"#6b7280\"", 1)
            .replacen("surface = \"#ffffff\"", "surface = \"#e5e7eb\"", 1);
        let warnings = Theme::parse(THEME_FILE, &source).unwrap().low_contrast();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(
            warnings[0].help.as_deref(),
            Some(
                "darken `muted` or lighten `surface` and `background` in [colors] until the ratio reaches 4.5:1"
            )
        );
    }

    #[test]
    fn one_colour_on_two_backgrounds_gets_one_warning_whose_advice_can_work() {
        // Dark text on the dark scheme: darkening can never reach 4.5:1 on
        // #151b2b, so the only advice is to lighten it, once.
        let source = demo_theme().replacen("text = \"#e5e7eb\"", "text = \"#1a1a1a\"", 1);
        let warnings = Theme::parse(THEME_FILE, &source).unwrap().low_contrast();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let help = warnings[0].help.clone().unwrap();
        assert_eq!(
            help,
            "lighten `text` in [dark_colors] until the ratio reaches 4.5:1"
        );
        assert!(warnings[0].message.contains("text on surface"));
        assert!(warnings[0].message.contains("text on background"));
    }

    #[test]
    fn the_greeting_defaults_are_the_ones_documented() {
        let source = demo_theme()
            .replace("greeting = \"Hi {name},\"", "")
            .replace("greeting_without_name = \"Hi there,\"", "");
        let theme = Theme::parse(THEME_FILE, &source).unwrap();
        assert_eq!(theme.greeting, Greeting::default());
    }

    #[test]
    fn colours_that_are_not_css_colours_or_try_to_leave_the_style_are_refused() {
        let source = demo_theme()
            .replace(
                "accent = \"#4f46e5\"",
                "accent = \"red;}</style><script>alert(1)</script>\"",
            )
            .replace("border = \"#e5e7eb\"", "border = \"rgb(1,2\"");
        let report = Theme::parse(THEME_FILE, &source).unwrap_err();
        let rendered = report.render(false);
        assert_eq!(report.error_count(), 2, "{rendered}");
        assert!(rendered.contains("is not a CSS colour"), "{rendered}");
        let named = demo_theme().replace("accent = \"#4f46e5\"", "accent = \"Indigo\"");
        assert_eq!(
            Theme::parse(THEME_FILE, &named)
                .unwrap()
                .colors
                .accent
                .to_string(),
            "#4b0082"
        );
    }

    #[test]
    fn a_logo_must_be_on_the_web_and_the_greeting_must_name_the_reader() {
        for (logo, expected) in [
            ("javascript:alert(1)", "is not a web address"),
            ("data:image/png;base64,AAAA", "is not a web address"),
        ] {
            let source = format!(
                "{}\n[logo]\nurl = \"{logo}\"\nalt = \"Logo\"\nwidth = 120\n",
                demo_theme()
            );
            let rendered = Theme::parse(THEME_FILE, &source).unwrap_err().render(false);
            assert!(rendered.contains(expected), "{rendered}");
        }
        let source = demo_theme().replace("greeting = \"Hi {name},\"", "greeting = \"Hello,\"");
        let rendered = Theme::parse(THEME_FILE, &source).unwrap_err().render(false);
        assert!(rendered.contains("must hold `{name}` once"), "{rendered}");
        let theme = Theme::parse(THEME_FILE, &demo_theme()).unwrap();
        assert_eq!(theme.greeting.for_name(Some(" Ada ")), "Hi Ada,");
        assert_eq!(theme.greeting.for_name(Some("")), "Hi there,");
    }
}
