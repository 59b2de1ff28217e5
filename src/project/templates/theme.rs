//! `templates/theme.toml`: colours (light and dark), font, logo and the fixed
//! texts of the email, read and checked.

use serde::Deserialize;
use toml::Spanned;

use super::palette::{Palette, RawPalette};
use super::parse_toml;
use crate::diagnostic::{Diagnostic, FileDiagnostics};

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
        assert_eq!(theme.low_contrast(), Vec::<String>::new());
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
