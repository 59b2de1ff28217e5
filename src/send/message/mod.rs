//! One email per recipient from a rendered issue: the bodies encoded once
//! (`body`), a message skeleton formatted once (`skeleton`), filled per reader by
//! the `composer` with their header lines and slots, and signed (`dkim`).

mod body;
pub(crate) mod composer;
pub mod dkim;
#[cfg(test)]
mod properties;
mod signing_pool;
mod skeleton;
mod transactional;

use lettre::address::Envelope;

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
