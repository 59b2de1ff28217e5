//! One email per recipient from a rendered issue: the bodies encoded once
//! (`body`), a message skeleton formatted once (`skeleton`), filled per reader by
//! the `composer` with their header lines and slots, and signed (`dkim`).

mod body;
pub(crate) mod composer;
pub mod dkim;
mod skeleton;
mod transactional;

use lettre::address::Envelope;
use sha2::{Digest, Sha256};

pub use composer::{ComposeError, Composer};
pub use dkim::{DkimSigner, load_dkim};
pub use transactional::{OneOff, one_off};

use crate::project::config::Config;

/// A message ready for a transport.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Without angle brackets.
    pub message_id: String,
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
}

/// A stable Message-ID for an issue and a recipient, on the newsletter's domain.
/// The address is hashed so that the ID does not reveal it.
pub fn message_id(issue_id: &str, email: &str, domain: &str) -> String {
    let digest = Sha256::new()
        .chain_update(issue_id.as_bytes())
        .chain_update([0])
        .chain_update(email.as_bytes())
        .finalize();
    format!("{issue_id}.{}@{domain}", hex(&digest[..12]))
}

/// Lower-case hexadecimal of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| {
            [
                HEX[usize::from(b >> 4)] as char,
                HEX[usize::from(b & 15)] as char,
            ]
        })
        .collect()
}

/// `List-Id: Name <label.domain>` (RFC 2919).
pub fn list_id(config: &Config) -> String {
    let label = crate::author::issue::slugify(&config.name);
    let label = if label.is_empty() {
        "newsletter".to_string()
    } else {
        label
    };
    format!("{} <{label}.{}>", config.name, config.sender_domain())
}
