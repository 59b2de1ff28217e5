//! `templates/`: what editors change without touching Rust: the theme (colours,
//! fonts, logo, header and footer text) and the panel roster.

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, FileDiagnostics, LoadError};
use crate::layout::{Layout, PANEL_FILE, THEME_FILE};

/// Colours, fonts and fixed texts of the email.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// The CSS font stack.
    pub font_family: String,
    /// A line under the newsletter name in the header.
    pub header_text: String,
    /// Why the reader gets this email, in the footer.
    pub footer_text: String,
    #[serde(default)]
    pub logo: Option<Logo>,
    pub colors: Colors,
    pub dark_colors: DarkColors,
}

/// The header logo: an image hosted on the web (emails should not embed images).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logo {
    pub url: String,
    /// What the logo says, for readers with images off.
    pub alt: String,
    pub width: u32,
}

/// Light-mode colours, inlined in every element.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    pub background: String,
    pub surface: String,
    pub text: String,
    pub muted: String,
    pub accent: String,
    pub border: String,
    pub ship: String,
    pub skip: String,
    pub bar_track: String,
}

/// Dark-mode overrides, applied by `prefers-color-scheme` where clients honour it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DarkColors {
    pub background: String,
    pub surface: String,
    pub text: String,
    pub muted: String,
    pub accent: String,
    pub border: String,
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
        parse_toml(path, source)
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
    let theme_source = crate::fs::read_to_string(&layout.theme())?;
    let theme = Theme::parse(THEME_FILE, &theme_source)?;
    let panel_source = crate::fs::read_to_string(&layout.panel())?;
    let roster = Roster::parse(PANEL_FILE, &panel_source)?;
    Ok((theme, roster))
}
