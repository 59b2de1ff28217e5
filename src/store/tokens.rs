//! Signed unsubscribe links: an HMAC-SHA256 of the address under a secret that
//! only this newsletter holds, checked in constant time, with old secrets still
//! accepted after a rotation.

use std::fmt;

use base64::Engine as _;
use base64::prelude::BASE64_URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::project::layout::Layout;
use crate::store::fs::FsError;

/// The environment variable that holds the current secret (overrides the file).
pub const SECRET_ENV: &str = "VERDICT_SECRET";
/// Earlier secrets still accepted, comma-separated.
pub const OLD_SECRETS_ENV: &str = "VERDICT_OLD_SECRETS";

/// Key material that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    fn from_text(text: &str) -> Option<Secret> {
        let text = text.trim();
        (text.len() >= 16).then(|| Secret(text.as_bytes().to_vec()))
    }

    fn generate() -> Secret {
        let bytes: [u8; 32] = rand::random();
        Secret(BASE64_URL_SAFE_NO_PAD.encode(bytes).into_bytes())
    }

    // HMAC accepts keys of any length, so the key is never refused.
    #[allow(clippy::expect_used)]
    fn mac(&self, email: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes keys of any length");
        mac.update(email.as_bytes());
        mac
    }
}

/// The current signing secret and the earlier ones that still verify.
#[derive(Debug, Clone)]
pub struct Signer {
    current: Secret,
    previous: Vec<Secret>,
}

impl Signer {
    pub fn new(current: &str, previous: &[&str]) -> Option<Signer> {
        Some(Signer {
            current: Secret::from_text(current)?,
            previous: previous
                .iter()
                .filter_map(|s| Secret::from_text(s))
                .collect(),
        })
    }

    /// The token for a normalised address.
    pub fn token(&self, email: &str) -> String {
        BASE64_URL_SAFE_NO_PAD.encode(self.current.mac(email).finalize().into_bytes())
    }

    /// Whether `token` was made for `email` by the current or an earlier secret.
    pub fn verify(&self, email: &str, token: &str) -> bool {
        let Ok(tag) = BASE64_URL_SAFE_NO_PAD.decode(token.trim()) else {
            return false;
        };
        std::iter::once(&self.current)
            .chain(&self.previous)
            .any(|secret| secret.mac(email).verify_slice(&tag).is_ok())
    }

    /// The one-click unsubscribe address for a normalised address.
    pub fn url(&self, base: &str, email: &str) -> String {
        let separator = if base.contains('?') { '&' } else { '?' };
        format!(
            "{base}{separator}u={}&t={}",
            encode_address(email),
            self.token(email)
        )
    }

    /// The address and its token as two words, for the subject of an
    /// unsubscribe request by mail (`%20` between them, as in a mailto URL).
    pub fn mail_words(&self, email: &str) -> String {
        format!("{}%20{}", encode_address(email), self.token(email))
    }

    /// Loads the secrets from the environment, or from `state/`, generating the
    /// current one on first use (mode 0600, in a 0700 folder).
    pub fn load(layout: &Layout) -> Result<Signer, SecretError> {
        let env_old = std::env::var(OLD_SECRETS_ENV).unwrap_or_default();
        let file_old = crate::store::fs::read_optional(&layout.old_secrets())?.unwrap_or_default();
        let previous: Vec<Secret> = env_old
            .split(',')
            .chain(file_old.lines())
            .filter_map(Secret::from_text)
            .collect();
        if let Ok(text) = std::env::var(SECRET_ENV) {
            let current = Secret::from_text(&text).ok_or(SecretError::TooShort)?;
            crate::debug!("link secret from {SECRET_ENV}");
            return Ok(Signer { current, previous });
        }
        let path = layout.secret();
        let current =
            crate::store::fs::read_optional(&path)?.and_then(|text| Secret::from_text(&text));
        crate::debug!("link secret from {}", path.display());
        let current = match current {
            Some(secret) => secret,
            None => {
                let secret = Secret::generate();
                crate::store::fs::create_private_dir(&layout.state_dir())?;
                crate::store::fs::write_private(&path, &secret.0)?;
                secret
            }
        };
        Ok(Signer { current, previous })
    }

    /// Moves the current file secret to the list of earlier ones and makes a new
    /// one; links already sent keep working.
    pub fn rotate(layout: &Layout) -> Result<(), SecretError> {
        let signer = Signer::load(layout)?;
        let old_path = layout.old_secrets();
        let mut old = crate::store::fs::read_optional(&old_path)?
            .unwrap_or_default()
            .into_bytes();
        if !old.is_empty() && !old.ends_with(b"\n") {
            old.push(b'\n');
        }
        old.extend_from_slice(&signer.current.0);
        old.push(b'\n');
        crate::store::fs::write_private(&old_path, &old)?;
        crate::store::fs::write_private(&layout.secret(), &Secret::generate().0)?;
        Ok(())
    }
}

/// Why the secrets could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{SECRET_ENV} is too short: use at least 16 random characters")]
    TooShort,
    #[error(transparent)]
    Fs(#[from] FsError),
}

/// The address as an unsubscribe link carries it (URL-safe base64).
pub fn encode_address(email: &str) -> String {
    BASE64_URL_SAFE_NO_PAD.encode(email.as_bytes())
}

/// Decodes the address carried in an unsubscribe link.
pub fn decode_address(encoded: &str) -> Option<String> {
    let bytes = BASE64_URL_SAFE_NO_PAD.decode(encoded.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_address_and_survive_rotation() {
        let old = Signer::new("an-old-secret-of-enough-length", &[]).unwrap();
        let new = Signer::new(
            "a-new-secret-of-enough-length",
            &["an-old-secret-of-enough-length"],
        )
        .unwrap();
        let token = old.token("reader@example.com");
        assert!(old.verify("reader@example.com", &token));
        assert!(!old.verify("other@example.com", &token));
        assert!(
            new.verify("reader@example.com", &token),
            "old links work after rotation"
        );
        let fresh = Signer::new("a-new-secret-of-enough-length", &[]).unwrap();
        assert!(
            !fresh.verify("reader@example.com", &token),
            "dropped secrets stop verifying"
        );
        assert!(!new.verify("reader@example.com", "not base64 !"));
        assert!(!new.verify("reader@example.com", ""));
    }

    #[test]
    fn secrets_never_print() {
        let signer = Signer::new("super-secret-value-123", &[]).unwrap();
        assert!(!format!("{signer:?}").contains("super-secret"));
    }
}
