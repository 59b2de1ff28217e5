//! The outbox transport: every message becomes a `.eml` file named after its
//! Message-ID, so the demo runs with no server and a resend overwrites, never doubles.

use std::path::{Path, PathBuf};

use super::Failure;
use crate::message::Outgoing;

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
        tokio::task::spawn_blocking(move || crate::fs::write_atomic(&target, &bytes))
            .await
            .map_err(|e| Failure::Fatal(e.to_string()))?
            .map_err(|e| Failure::Fatal(e.to_string()))?;
        Ok(format!("250 written to {}", file.display()))
    }
}
