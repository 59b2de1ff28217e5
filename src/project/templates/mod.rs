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

/// Reads both template files of a project.
pub fn load(layout: &Layout) -> Result<(Theme, Roster), LoadError> {
    let theme_source = crate::store::fs::read_to_string(&layout.theme())?;
    let theme = Theme::parse(THEME_FILE, &theme_source)?;
    let panel_source = crate::store::fs::read_to_string(&layout.panel())?;
    let roster = Roster::parse(PANEL_FILE, &panel_source)?;
    Ok((theme, roster))
}
