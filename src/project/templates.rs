//! `templates/`: what editors change without touching Rust: the theme (colours,
//! fonts, logo, header and footer text) and the panel roster.

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, FileDiagnostics, LoadError};
use crate::project::layout::{Layout, PANEL_FILE, THEME_FILE};

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

/// A colour, parsed as CSS and kept as `#rrggbb` (or `#rrggbbaa`): whatever
/// was written, nothing but a hex colour reaches a style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour([u8; 4]);

impl Colour {
    pub fn parse(text: &str) -> Option<Colour> {
        csscolorparser::parse(text.trim())
            .ok()
            .map(|c| Colour(c.to_rgba8()))
    }

    /// WCAG 2.1 relative luminance.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b, _] = self.0;
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    /// The WCAG contrast ratio of two opaque colours (1 to 21).
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }
}

impl std::fmt::Display for Colour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [r, g, b, a] = self.0;
        if a == 255 {
            write!(f, "#{r:02x}{g:02x}{b:02x}")
        } else {
            write!(f, "#{r:02x}{g:02x}{b:02x}{a:02x}")
        }
    }
}

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

/// The theme file as written, with places for every value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    font_family: Spanned<String>,
    header_text: Spanned<String>,
    footer_text: Spanned<String>,
    #[serde(default)]
    greeting: Option<Spanned<String>>,
    #[serde(default)]
    greeting_without_name: Option<Spanned<String>>,
    #[serde(default)]
    logo: Option<RawLogo>,
    colors: RawPalette,
    dark_colors: RawPalette,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogo {
    url: Spanned<String>,
    alt: String,
    width: Spanned<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPalette {
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
    fn check(&self, report: &mut FileDiagnostics) -> Option<Palette> {
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

/// The texts of the emails sent to readers who sign up (`templates/emails.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emails {
    pub confirm: EmailText,
    pub welcome: EmailText,
}

/// One email's subject and Markdown text, with `{placeholders}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailText {
    pub subject: String,
    pub text: String,
}

impl EmailText {
    /// The text with its placeholders filled.
    pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
        let mut out = text.to_string();
        for (name, value) in values {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

impl Emails {
    pub fn parse(path: &str, source: &str) -> Result<Emails, FileDiagnostics> {
        let emails: Emails = parse_toml(path, source)?;
        let mut report = FileDiagnostics::new(path, source);
        for (what, email) in [("confirm", &emails.confirm), ("welcome", &emails.welcome)] {
            if crate::diagnostic::text::has_control_char(&email.subject)
                || email.subject.trim().is_empty()
            {
                report.push(
                    Diagnostic::error(format!("the {what} subject must be one line of text"))
                        .help("write the subject on one line"),
                );
            }
        }
        if !emails.confirm.text.contains("{link}") {
            report.push(Diagnostic::error("the confirm email has no {link}").help(
                "the confirmation email must carry the link that confirms: put {link} in its text",
            ));
        }
        report.into_result(emails)
    }

    /// The project's, or the built-in ones when it has no `templates/emails.toml`.
    pub fn load(layout: &Layout) -> Result<Emails, LoadError> {
        let source = crate::store::fs::read_optional(&layout.emails())?
            .unwrap_or_else(|| include_str!("../../templates/emails.toml").to_string());
        Ok(Emails::parse(crate::project::layout::EMAILS_FILE, &source)?)
    }
}

/// One panelist of the roster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panelist {
    /// The id used in issue files (`reviewer = "skeptic"`).
    pub id: Spanned<String>,
    pub name: String,
    pub role: String,
}

/// The review panel, in the order the scorecard lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    #[serde(rename = "panelist")]
    pub panelists: Vec<Panelist>,
}

impl Roster {
    pub fn get(&self, id: &str) -> Option<&Panelist> {
        self.panelists.iter().find(|p| p.id.get_ref() == id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.panelists.iter().map(|p| p.id.get_ref().as_str())
    }

    pub fn parse(path: &str, source: &str) -> Result<Roster, FileDiagnostics> {
        let roster: Roster = parse_toml(path, source)?;
        let mut report = FileDiagnostics::new(path, source);
        for (i, panelist) in roster.panelists.iter().enumerate() {
            let id = panelist.id.get_ref();
            let valid = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                report.push(
                    Diagnostic::error(format!("panelist id `{id}` is not a simple id"))
                        .at(panelist.id.span())
                        .help("use lowercase letters, digits and `-`, e.g. `skeptic`"),
                );
            }
            if roster.panelists[..i].iter().any(|p| p.id.get_ref() == id) {
                report.push(
                    Diagnostic::error(format!("panelist id `{id}` is used twice"))
                        .at(panelist.id.span())
                        .help("every panelist needs an id of their own"),
                );
            }
        }
        if report.error_count() > 0 {
            Err(report)
        } else {
            Ok(roster)
        }
    }
}

impl Theme {
    pub fn parse(path: &str, source: &str) -> Result<Theme, FileDiagnostics> {
        let raw: RawTheme = parse_toml(path, source)?;
        let mut report = FileDiagnostics::new(path, source);
        let font_ok =
            raw.font_family.get_ref().chars().all(|c| {
                c.is_alphanumeric() || matches!(c, ' ' | ',' | '-' | '\'' | '"' | '_' | '.')
            });
        if !font_ok || raw.font_family.get_ref().trim().is_empty() {
            report.push(
                Diagnostic::error("the font family holds characters a CSS font list does not")
                    .at(raw.font_family.span())
                    .help("expected font names separated by commas, e.g. \"'Segoe UI', Roboto, Arial, sans-serif\""),
            );
        }
        for field in [&raw.header_text, &raw.footer_text] {
            if let Err(d) = crate::diagnostic::text::header_safe(field.get_ref(), field.span()) {
                report.push(d.help("write it on one line"));
            }
        }
        let default = Greeting::default();
        let with_name = raw
            .greeting
            .as_ref()
            .map_or(default.with_name, |g| g.get_ref().clone());
        let without_name = raw
            .greeting_without_name
            .as_ref()
            .map_or(default.without_name, |g| g.get_ref().clone());
        if let Some(greeting) = &raw.greeting
            && greeting.get_ref().matches("{name}").count() != 1
        {
            report.push(
                Diagnostic::error("the greeting must hold `{name}` once")
                    .at(greeting.span())
                    .help("e.g. greeting = \"Hi {name},\"; greeting_without_name is used for readers without a name"),
            );
        }
        for greeting in [&raw.greeting, &raw.greeting_without_name]
            .into_iter()
            .flatten()
        {
            if crate::diagnostic::text::has_control_char(greeting.get_ref()) {
                report.push(
                    Diagnostic::error("the greeting must be one line")
                        .at(greeting.span())
                        .help("write it without line breaks"),
                );
            }
        }
        let logo = raw.logo.as_ref().and_then(|logo| {
            let url_ok = url::Url::parse(logo.url.get_ref())
                .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
            if !url_ok {
                report.push(
                    Diagnostic::error(format!("`{}` is not a web address", logo.url.get_ref()))
                        .at(logo.url.span())
                        .help("the logo is an image on the web: expected an https:// URL"),
                );
            }
            if !(1..=600).contains(logo.width.get_ref()) {
                report.push(
                    Diagnostic::error(format!(
                        "a logo {} px wide does not fit",
                        logo.width.get_ref()
                    ))
                    .at(logo.width.span())
                    .help("expected a width from 1 to 600 pixels"),
                );
            }
            url_ok.then(|| Logo {
                url: logo.url.get_ref().clone(),
                alt: logo.alt.clone(),
                width: *logo.width.get_ref(),
            })
        });
        let colors = raw.colors.check(&mut report);
        let dark_colors = raw.dark_colors.check(&mut report);
        match (colors, dark_colors) {
            (Some(colors), Some(dark_colors)) if report.error_count() == 0 => Ok(Theme {
                font_family: raw.font_family.into_inner(),
                header_text: raw.header_text.into_inner(),
                footer_text: raw.footer_text.into_inner(),
                greeting: Greeting {
                    with_name,
                    without_name,
                },
                logo,
                colors,
                dark_colors,
            }),
            _ => Err(report),
        }
    }

    /// Text colours that fall below WCAG AA contrast (4.5:1) on their background.
    pub fn low_contrast(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (scheme, palette) in [("light", &self.colors), ("dark", &self.dark_colors)] {
            for (what, text, background) in palette.text_pairs() {
                let ratio = text.contrast(background);
                if ratio < 4.5 {
                    found.push(format!(
                        "{scheme}: {what} ({text} on {background}) is {ratio:.2}:1"
                    ));
                }
            }
        }
        found
    }
}

fn parse_toml<T: serde::de::DeserializeOwned>(
    path: &str,
    source: &str,
) -> Result<T, FileDiagnostics> {
    toml::from_str(source).map_err(|error| {
        let mut report = FileDiagnostics::new(path, source);
        report.push(Diagnostic::from_toml(&error));
        report
    })
}

/// Reads both template files of a project.
pub fn load(layout: &Layout) -> Result<(Theme, Roster), LoadError> {
    let theme_source = crate::store::fs::read_to_string(&layout.theme())?;
    let theme = Theme::parse(THEME_FILE, &theme_source)?;
    let panel_source = crate::store::fs::read_to_string(&layout.panel())?;
    let roster = Roster::parse(PANEL_FILE, &panel_source)?;
    Ok((theme, roster))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_theme() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/theme.toml"))
            .unwrap()
    }

    #[test]
    fn the_demo_theme_meets_wcag_aa_contrast_in_both_schemes() {
        let theme = Theme::parse(THEME_FILE, &demo_theme()).unwrap();
        assert_eq!(theme.low_contrast(), Vec::<String>::new());
        let low = Colour::parse("#6b7280")
            .unwrap()
            .contrast(Colour::parse("#f3f4f6").unwrap());
        assert!((4.3..4.5).contains(&low), "{low}");
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
