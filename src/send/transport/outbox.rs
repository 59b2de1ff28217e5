//! The outbox transport: every message becomes a `.eml` file named after its
//! Message-ID, so the demo runs with no server and a resend overwrites, never doubles.

use std::path::{Path, PathBuf};

use super::{Class, Failure, Stage};
use crate::send::message::Outgoing;

/// A folder of `.eml` files.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: PathBuf) -> Self {
        Outbox { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub async fn send(&self, message: &Outgoing) -> Result<String, Failure> {
        let file = self.dir.join(format!("{}.eml", message.message_id));
        let bytes = message.bytes.clone();
        let target = file.clone();
        // A folder that cannot be written fails every message alike: stop the run.
        let unusable = |reason: String| Failure::new(Class::Unusable, Stage::Data, reason);
        tokio::task::spawn_blocking(move || crate::store::fs::write_atomic(&target, &bytes))
            .await
            .map_err(|e| unusable(e.to_string()))?
            .map_err(|e| unusable(e.to_string()))?;
        Ok(format!("250 written to {}", file.display()))
    }
}
