//! `verdict rotate-secret`: a new unsubscribe-link secret; links already sent
//! keep working because the old secret stays accepted.

use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::{Layout, OLD_SECRETS_FILE, SECRET_FILE};
use crate::store::tokens::{Keys, OLD_SECRETS_ENV, SECRET_ENV};

/// Make a new unsubscribe-link secret in state/, keeping the old one valid.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub(crate) fn execute(layout: &Layout, _args: Args) -> Result<()> {
    Project::load(layout)?;
    if std::env::var(SECRET_ENV).is_ok() {
        return Err(Error::Usage(format!(
            "the secret comes from {SECRET_ENV}: set a new value there and add the old one to {OLD_SECRETS_ENV} (comma-separated)"
        )));
    }
    let key = Keys::rotate(layout)?;
    crate::say!(
        "new secret (key {key}) in {SECRET_FILE}; the previous one is kept in {OLD_SECRETS_FILE} so that links in sent issues keep working. Remove its line there once those links may expire (keep it at least 30 days)."
    );
    Ok(())
}
