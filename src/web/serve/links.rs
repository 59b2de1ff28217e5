//! The secrets that sign links, as the running service sees them: reloaded when
//! `verdict rotate-secret` changes the files, so that links made with the new
//! secret work at once and links made with the old ones keep working.

use std::sync::RwLock;
use std::time::SystemTime;

use crate::project::layout::Layout;
use crate::store::tokens::{SecretError, Signer};

/// When the secret files last changed, as far as the service knows.
type Stamp = [Option<(SystemTime, u64)>; 2];

/// The current signer, reloaded on demand.
pub struct Links {
    layout: Layout,
    current: RwLock<(Signer, Stamp)>,
}

fn stamp(layout: &Layout) -> Stamp {
    let of = |path: std::path::PathBuf| {
        std::fs::metadata(path)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())))
    };
    [of(layout.secret()), of(layout.old_secrets())]
}

impl Links {
    pub fn load(layout: &Layout) -> Result<Links, SecretError> {
        let signer = Signer::load(layout)?;
        Ok(Links {
            layout: layout.clone(),
            current: RwLock::new((signer, stamp(layout))),
        })
    }

    /// Whether `token` is genuine for `email`. A token that does not verify
    /// makes the service look whether the secrets changed, and try again.
    pub fn verify(&self, email: &str, token: &str) -> bool {
        if self.signer().verify(email, token) {
            return true;
        }
        self.reload_if_changed() && self.signer().verify(email, token)
    }

    /// Whether `token` signs `text` (a confirmation or vote link).
    pub fn verify_text(&self, text: &str, token: &str) -> bool {
        if self.signer().verify(text, token) {
            return true;
        }
        self.reload_if_changed() && self.signer().verify(text, token)
    }

    /// The signer in use now.
    pub fn signer(&self) -> Signer {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    fn reload_if_changed(&self) -> bool {
        let now = stamp(&self.layout);
        if self.current.read().unwrap_or_else(|e| e.into_inner()).1 == now {
            return false;
        }
        match Signer::load(&self.layout) {
            Ok(signer) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = (signer, now);
                true
            }
            Err(error) => {
                eprintln!("warning: cannot reload the link secrets: {error}");
                false
            }
        }
    }
}
