//! `verdict archive`: the static web site of published issues, in `public/`.

use std::io::IsTerminal;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::Layout;
use crate::web::site::{self, SiteError};

/// Build the web site of every published issue: a comparison page and a social
/// card per issue, a page per tool and per category, the leaderboards on the
/// index, an about page (from templates/about.md), an Atom feed and a sitemap.
/// Rewrites only files whose content changed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the site (default: public/ in the project).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No social cards: pages show the theme's logo (if any) when shared, and
    /// cards an earlier build drew are removed.
    #[arg(long)]
    pub no_cards: bool,
}

pub(crate) fn execute(layout: &Layout, args: Args, now: DateTime<Utc>) -> Result<()> {
    let project = Project::load(layout)?;
    let out = match args.out {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => std::env::current_dir().unwrap_or_default().join(dir),
        None => layout.public_dir(),
    };
    let options = site::Options {
        cards: !args.no_cards,
    };
    let built = site::build(&project, &out, now, options).map_err(|e| match e {
        SiteError::NoBaseUrl => Error::usage(e),
        SiteError::Fs(e) => Error::Fs(e),
        SiteError::Card { .. } | SiteError::Manifest(_) => Error::failed(e),
        SiteError::Clicks(e) => e.into(),
    })?;
    for path in &built.written {
        crate::say!("wrote {}", layout.display(path));
    }
    for path in &built.removed {
        crate::say!("removed {}", layout.display(path));
    }
    crate::say!(
        "{} published issue(s): {} file(s) written, {} unchanged, {} removed, in {}",
        built.published,
        built.written.len(),
        built.unchanged,
        built.removed.len(),
        layout.display(&out)
    );
    if built.invalid.is_empty() {
        return Ok(());
    }
    let styled = std::io::stderr().is_terminal();
    for report in &built.invalid {
        crate::log::to_stderr(format_args!("{}", report.render(styled)));
    }
    Err(Error::usage(format!(
        "{} issue file(s) could not be read and are not on the site; fix them and run again",
        built.invalid.len()
    )))
}
