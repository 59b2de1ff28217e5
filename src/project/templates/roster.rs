//! `templates/panel.toml`: the review panel, whose ids issue files name.

use serde::Deserialize;
use toml::Spanned;

use super::parse_toml;
use crate::diagnostic::{Diagnostic, FileDiagnostics};

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
