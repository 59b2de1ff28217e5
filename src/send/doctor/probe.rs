//! The message the checks read: what a reader would get now, made by the same
//! composer from the newest issue and signed with the configured keys, so that
//! DNS is checked against the real headers and signatures.

use std::sync::Arc;

use crate::project::Project;
use crate::send::message::{Composer, DkimSigner, OneOff, one_off};
use crate::store::tokens::Keys;

/// The reader the probe is addressed to (nothing is sent to it).
pub(super) const PROBE_READER: &str = "reader@example.invalid";

/// A message as a reader would receive it.
pub(super) struct Probe {
    pub bytes: Vec<u8>,
    /// The issue it was made from; none when no issue could be read.
    pub issue: Option<String>,
}

/// Composes the probe. Links are signed with throwaway keys: the probe is
/// never sent, and the project's keys are neither read nor made.
pub(super) fn compose(project: &Project, dkim: Option<Arc<DkimSigner>>) -> Result<Probe, String> {
    let keys = Keys::ephemeral();
    let paths = project.issue_paths().map_err(|e| e.to_string())?;
    if let Some(issue) = paths
        .iter()
        .rev()
        .find_map(|path| project.load_issue(path).ok())
        .map(|parsed| parsed.issue)
    {
        let rendered = crate::author::render::render(&issue, project.context());
        let composer =
            Composer::new(&project.config, &issue, rendered, keys.clone()).with_dkim(dkim);
        let message = composer
            .compose(PROBE_READER, Some("A Reader"))
            .map_err(|e| e.to_string())?;
        return Ok(Probe {
            bytes: message.bytes,
            issue: Some(issue.id),
        });
    }
    let unsubscribe = keys.unsubscribe_url(project.config.unsubscribe_url.as_str(), PROBE_READER);
    let message = one_off(
        &project.config,
        &project.theme,
        &OneOff {
            to: PROBE_READER,
            subject: "A probe",
            text: "A probe.",
            unsubscribe: Some(&unsubscribe),
        },
    )
    .map_err(|e| e.to_string())?;
    let bytes = match &dkim {
        Some(dkim) => dkim
            .sign_message(&message.bytes, now())
            .map_err(|e| format!("the DKIM key {e}"))?,
        None => message.bytes,
    };
    Ok(Probe { bytes, issue: None })
}

/// Seconds since 1970, for a signature's `t=`.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
