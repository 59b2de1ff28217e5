//! `templates/`: what editors change without touching Rust: the theme (colours,
//! fonts, logo, header and footer text), the panel roster and the sign-up emails.

mod colour;
mod emails;
mod palette;
mod roster;
mod theme;

pub use colour::Colour;
pub use emails::{EMAILS, EmailText, Emails};
pub use palette::{Pair, Palette, Side};
pub use roster::{PANEL, Panelist, Roster};
pub use theme::{Greeting, Logo, THEME, Theme};

use crate::diagnostic::LoadError;
use crate::project::layout::{Layout, PANEL_FILE, THEME_FILE};

impl Theme {
    /// Reads `templates/theme.toml`.
    pub fn load(layout: &Layout) -> Result<Theme, LoadError> {
        let source =
            crate::diagnostic::read_source(&layout.theme(), &layout.display(&layout.theme()))?;
        Ok(Theme::parse(THEME_FILE, &source)?)
    }
}

impl Roster {
    /// Reads `templates/panel.toml`.
    pub fn load(layout: &Layout) -> Result<Roster, LoadError> {
        let source =
            crate::diagnostic::read_source(&layout.panel(), &layout.display(&layout.panel()))?;
        Ok(Roster::parse(PANEL_FILE, &source)?)
    }
}
