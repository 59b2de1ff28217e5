//! Every value keyed by this newsletter's secrets, in one place: tokens
//! (HMAC-SHA256 with a purpose tag and the id of the key that made them) for
//! unsubscribe, confirmation, vote, click and bounce links; the keyed digests that
//! identify a reader without revealing or letting anyone recompute the address
//! (Message-ID, vote pseudonym); the key files, their race-free creation,
//! rotation, and the live reload a long-running service needs.
//!
//! Two kinds of key: link secrets (`state/secret`, earlier ones in
//! `state/secret.old`), which sign what readers click and are rotated, and the
//! identity key (`state/identity-key`), which keys identifiers and is never
//! rotated, so that a Message-ID or a pseudonym stays the same across rotations.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use base64::Engine as _;
use base64::prelude::BASE64_URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::project::layout::Layout;
use crate::store::fs::FsError;

/// The environment variable that holds the current link secret (overrides the file).
pub const SECRET_ENV: &str = "VERDICT_SECRET";
/// Earlier link secrets still accepted, comma-separated.
pub const OLD_SECRETS_ENV: &str = "VERDICT_OLD_SECRETS";
/// The environment variable that holds the identity key (overrides the file).
pub const IDENTITY_ENV: &str = "VERDICT_IDENTITY_KEY";

/// The fewest characters a secret may have.
const MIN_SECRET_CHARS: usize = 16;

/// What a token is for. Each purpose is part of what is signed, so a token
/// made for one can never pass for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Leave the list: signs the address.
    Unsubscribe,
    /// Confirm a sign-up: signs the pending sign-up's id and expiry.
    Confirm,
    /// Vote on a tool: signs the issue, the tool, the choice and the address.
    Vote,
    /// A signed return path (VERP): signs the address a bounce is about.
    Bounce,
    /// Follow a counted link to a tool: signs the issue, the tool and where the
    /// link is (never a reader).
    Click,
}

impl Purpose {
    fn tag(self) -> &'static str {
        match self {
            Purpose::Unsubscribe => "unsubscribe",
            Purpose::Confirm => "confirm",
            Purpose::Vote => "vote",
            Purpose::Bounce => "bounce",
            Purpose::Click => "click",
        }
    }

    /// What links made before purpose tags signed, accepted while the key that
    /// made them is configured (so links in issues already sent keep working).
    fn legacy_text(self, payload: &str) -> Option<String> {
        match self {
            Purpose::Unsubscribe => Some(payload.to_string()),
            Purpose::Confirm => Some(format!("confirm:{payload}")),
            Purpose::Vote => Some(format!("vote:{payload}")),
            Purpose::Bounce | Purpose::Click => None,
        }
    }
}

/// A short, public name of a key: the first bytes of a MAC under it, so that
/// it tells keys apart without telling anything about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 4]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl KeyId {
    fn parse(text: &str) -> Option<KeyId> {
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut bytes = [0u8; 4];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).ok()?;
        }
        Some(KeyId(bytes))
    }
}

/// Key material that never prints.
#[derive(Clone, PartialEq, Eq)]
struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// A secret as written in a file or the environment: one line of at least
    /// 16 printable characters without spaces.
    fn parse(text: &str) -> Result<Secret, &'static str> {
        let text = text.trim();
        if text.chars().count() < MIN_SECRET_CHARS {
            return Err("is shorter than 16 characters");
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("holds spaces, line breaks or characters that are not printable ASCII");
        }
        Ok(Secret(text.as_bytes().to_vec()))
    }

    fn generate() -> Secret {
        let bytes: [u8; 32] = rand::random();
        Secret(BASE64_URL_SAFE_NO_PAD.encode(bytes).into_bytes())
    }

    // HMAC accepts keys of any length, so the key is never refused.
    #[allow(clippy::expect_used)]
    fn mac(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes keys of any length");
        for part in parts {
            mac.update(part);
        }
        mac
    }

    fn tagged(&self, purpose: Purpose, payload: &str) -> Hmac<Sha256> {
        self.mac(&[
            b"verdict/1\0",
            purpose.tag().as_bytes(),
            b"\0",
            payload.as_bytes(),
        ])
    }

    fn id(&self) -> KeyId {
        let digest = self.mac(&[b"verdict/key-id"]).finalize().into_bytes();
        KeyId([digest[0], digest[1], digest[2], digest[3]])
    }
}

/// A link secret with its id.
#[derive(Debug, Clone)]
struct Key {
    id: KeyId,
    secret: Secret,
}

impl Key {
    fn new(secret: Secret) -> Key {
        Key {
            id: secret.id(),
            secret,
        }
    }
}

/// What checking a token found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Made by this key for this purpose and payload.
    Genuine(KeyId),
    /// Made by a key this newsletter does not hold (retired, or another
    /// process signs with another secret).
    UnknownKey(KeyId),
    /// Not made by this newsletter for this purpose and payload.
    Forged,
}

/// The keys of a newsletter: the link secret that signs now, the earlier ones
/// that still verify, and the identity key.
#[derive(Debug, Clone)]
pub struct Keys {
    current: Key,
    previous: Vec<Key>,
    identity: Secret,
}

/// Why the keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{origin} {problem}: use at least 16 random printable characters")]
    Invalid {
        origin: String,
        problem: &'static str,
    },
    #[error(transparent)]
    Fs(#[from] FsError),
}

impl Keys {
    /// Keys from given secrets (tests, and the environment); the identity key is
    /// derived from the current secret.
    pub fn new(current: &str, previous: &[&str]) -> Result<Keys, KeyError> {
        let invalid = |problem| KeyError::Invalid {
            origin: "the secret".into(),
            problem,
        };
        let current = Secret::parse(current).map_err(invalid)?;
        let previous = previous
            .iter()
            .map(|s| Secret::parse(s).map(Key::new).map_err(invalid))
            .collect::<Result<_, _>>()?;
        let identity = Secret(
            current
                .mac(&[b"verdict/identity"])
                .finalize()
                .into_bytes()
                .to_vec(),
        );
        Ok(Keys {
            current: Key::new(current),
            previous,
            identity,
        })
    }

    /// Keys that exist only in this process: links a preview shows can never
    /// act on the real service.
    pub fn ephemeral() -> Keys {
        Keys {
            current: Key::new(Secret::generate()),
            previous: Vec::new(),
            identity: Secret::generate(),
        }
    }

    /// Loads the keys from the environment or from `state/`, creating the files
    /// that do not exist yet (0600, in a 0700 folder). A file that exists but
    /// does not hold a valid secret is an error: it is never replaced.
    pub fn load(layout: &Layout) -> Result<Keys, KeyError> {
        let mut previous = Vec::new();
        for (i, text) in std::env::var(OLD_SECRETS_ENV)
            .unwrap_or_default()
            .split(',')
            .enumerate()
            .filter(|(_, s)| !s.trim().is_empty())
        {
            let secret = Secret::parse(text).map_err(|problem| KeyError::Invalid {
                origin: format!("secret {} of {OLD_SECRETS_ENV}", i + 1),
                problem,
            })?;
            previous.push(Key::new(secret));
        }
        let old_path = layout.old_secrets();
        if let Some(text) = crate::store::fs::read_optional(&old_path)? {
            for (number, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let secret = Secret::parse(line).map_err(|problem| KeyError::Invalid {
                    origin: format!("{}:{}:", old_path.display(), number + 1),
                    problem,
                })?;
                previous.push(Key::new(secret));
            }
        }
        let current = match std::env::var(SECRET_ENV) {
            Ok(text) => {
                crate::debug!("link secret from {SECRET_ENV}");
                Secret::parse(&text).map_err(|problem| KeyError::Invalid {
                    origin: SECRET_ENV.into(),
                    problem,
                })?
            }
            Err(_) => {
                crate::debug!("link secret from {}", layout.secret().display());
                load_or_create(layout, &layout.secret())?
            }
        };
        let identity = match std::env::var(IDENTITY_ENV) {
            Ok(text) => Secret::parse(&text).map_err(|problem| KeyError::Invalid {
                origin: IDENTITY_ENV.into(),
                problem,
            })?,
            Err(_) => load_or_create(layout, &layout.identity_key())?,
        };
        Ok(Keys {
            current: Key::new(current),
            previous,
            identity,
        })
    }

    /// Moves the current file secret to the earlier ones and makes a new one;
    /// links already sent keep working. Returns the new key's id.
    pub fn rotate(layout: &Layout) -> Result<KeyId, KeyError> {
        let keys = Keys::load(layout)?;
        let old_path = layout.old_secrets();
        let mut old = crate::store::fs::read_optional(&old_path)?
            .unwrap_or_default()
            .into_bytes();
        if !old.is_empty() && !old.ends_with(b"\n") {
            old.push(b'\n');
        }
        old.extend_from_slice(&keys.current.secret.0);
        old.push(b'\n');
        crate::store::fs::write_private(&old_path, &old)?;
        let fresh = Secret::generate();
        crate::store::fs::write_private(&layout.secret(), &fresh.0)?;
        Ok(fresh.id())
    }

    /// The id of the key that signs now.
    pub fn key_id(&self) -> KeyId {
        self.current.id
    }

    /// "links: signed with key ID (from WHERE)", as `send` and `status` say it,
    /// so that an operator can match it with what `serve` prints.
    pub fn in_use(&self) -> String {
        let origin = if std::env::var(SECRET_ENV).is_ok() {
            SECRET_ENV
        } else {
            crate::project::layout::SECRET_FILE
        };
        format!("links: signed with key {} (from {origin})", self.key_id())
    }

    /// A token for `payload`: `KEYID.MAC`.
    pub fn sign(&self, purpose: Purpose, payload: &str) -> String {
        let mac = self.current.secret.tagged(purpose, payload).finalize();
        format!(
            "{}.{}",
            self.current.id,
            BASE64_URL_SAFE_NO_PAD.encode(mac.into_bytes())
        )
    }

    /// Whether `token` was made by one of these keys for `purpose` and
    /// `payload`, checked in constant time.
    pub fn check(&self, purpose: Purpose, payload: &str, token: &str) -> Check {
        let token = token.trim();
        let keys = || std::iter::once(&self.current).chain(&self.previous);
        let Some((id, mac)) = token.split_once('.') else {
            // A token from before key ids: any configured key may have made it.
            let (Some(text), Ok(tag)) = (
                purpose.legacy_text(payload),
                BASE64_URL_SAFE_NO_PAD.decode(token),
            ) else {
                return Check::Forged;
            };
            return keys()
                .find(|key| {
                    key.secret
                        .mac(&[text.as_bytes()])
                        .verify_slice(&tag)
                        .is_ok()
                })
                .map_or(Check::Forged, |key| Check::Genuine(key.id));
        };
        let (Some(id), Ok(tag)) = (KeyId::parse(id), BASE64_URL_SAFE_NO_PAD.decode(mac)) else {
            return Check::Forged;
        };
        match keys().find(|key| key.id == id) {
            Some(key)
                if key
                    .secret
                    .tagged(purpose, payload)
                    .verify_slice(&tag)
                    .is_ok() =>
            {
                Check::Genuine(id)
            }
            Some(_) => Check::Forged,
            None => Check::UnknownKey(id),
        }
    }

    /// Whether `token` is genuine for `purpose` and `payload`.
    pub fn verify(&self, purpose: Purpose, payload: &str, token: &str) -> bool {
        matches!(self.check(purpose, payload, token), Check::Genuine(_))
    }

    /// The part of a Message-ID that names the reader of an issue: a MAC under
    /// the identity key, so nobody can compute it from an address.
    pub fn reader_digest(&self, issue_id: &str, email: &str) -> String {
        let mac = self.identity.mac(&[
            b"verdict/message-id\0",
            issue_id.as_bytes(),
            b"\0",
            email.as_bytes(),
        ]);
        hex(&mac.finalize().into_bytes()[..12])
    }

    /// The stable Message-ID of an issue's message to a reader, on the
    /// newsletter's domain, without revealing the address.
    pub fn message_id(&self, issue_id: &str, email: &str, domain: &str) -> String {
        format!(
            "{issue_id}.{}@{domain}",
            self.reader_digest(issue_id, email)
        )
    }

    /// The tag of a reader's signed return path (VERP, `bounces+TAG@domain`):
    /// a MAC of the address under the identity key, so that only this
    /// newsletter can make a return path that names a reader.
    pub fn return_path_tag(&self, email: &str) -> String {
        let mac = self
            .identity
            .mac(&[b"verdict/return-path\0", email.as_bytes()]);
        hex(&mac.finalize().into_bytes()[..12])
    }

    /// The name votes are kept under instead of the address.
    pub fn pseudonym(&self, email: &str) -> String {
        let mac = self
            .identity
            .mac(&[b"verdict/vote-reader\0", email.as_bytes()]);
        hex(&mac.finalize().into_bytes()[..12])
    }

    /// The one-click unsubscribe address of a normalised address.
    pub fn unsubscribe_url(&self, base: &str, email: &str) -> String {
        let separator = if base.contains('?') { '&' } else { '?' };
        format!(
            "{base}{separator}u={}&t={}",
            encode_address(email),
            self.sign(Purpose::Unsubscribe, email)
        )
    }

    /// The counted link to tool `tool` (its place, from 0) of an issue, as the
    /// email or the issue's page carries it: the same for every reader, so
    /// that following it tells nobody who followed it. `site` is the site's
    /// root, ending with `/`.
    pub fn click_url(
        &self,
        site: &url::Url,
        issue_id: &str,
        tool: usize,
        from: ClickFrom,
    ) -> String {
        let mut url = site
            .join(crate::project::routes::GO.trim_start_matches('/'))
            .unwrap_or_else(|_| site.clone());
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("i", issue_id)
                .append_pair("n", &tool.to_string());
            if from == ClickFrom::Site {
                query.append_pair("f", ClickFrom::Site.word());
            }
            query.append_pair(
                "t",
                &self.sign(Purpose::Click, &click_payload(issue_id, tool, from)),
            );
        }
        url.to_string()
    }

    /// The address and its unsubscribe token as two words, for the subject of
    /// an unsubscribe request by mail (`%20` between them, as in a mailto URL).
    pub fn unsubscribe_words(&self, email: &str) -> String {
        format!(
            "{}%20{}",
            encode_address(email),
            self.sign(Purpose::Unsubscribe, email)
        )
    }
}

/// Where a counted link to a tool is: clicks are counted apart for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClickFrom {
    /// In an issue's email.
    Email,
    /// On an issue's page of the site.
    Site,
}

impl ClickFrom {
    /// The word a link and the counts file use.
    pub fn word(self) -> &'static str {
        match self {
            ClickFrom::Email => "email",
            ClickFrom::Site => "site",
        }
    }
}

/// What a click link's token signs: the issue, the tool and where the link is.
pub fn click_payload(issue_id: &str, tool: usize, from: ClickFrom) -> String {
    format!("{issue_id}:{tool}:{}", from.word())
}

/// Reads a key file, or creates it when there is none. Of two processes that
/// start at once, one creates it and both use that one.
fn load_or_create(layout: &Layout, path: &Path) -> Result<Secret, KeyError> {
    let parse = |text: &str| {
        Secret::parse(text).map_err(|problem| KeyError::Invalid {
            origin: path.display().to_string(),
            problem,
        })
    };
    if let Some(text) = crate::store::fs::read_optional(path)? {
        return parse(&text);
    }
    crate::store::fs::create_private_dir(&layout.state_dir())?;
    let fresh = Secret::generate();
    if crate::store::fs::create_private_new(path, &fresh.0)? {
        return Ok(fresh);
    }
    let text = crate::store::fs::read_to_string(path)?;
    parse(&text)
}

/// When the key files last changed, as far as a running service knows.
type Stamp = [Option<(SystemTime, u64, u64)>; 2];

fn stamp(layout: &Layout) -> Stamp {
    let of = |path: PathBuf| {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some((meta.modified().ok()?, meta.len(), inode))
    };
    [of(layout.secret()), of(layout.old_secrets())]
}

/// The keys as a long-running service sees them: looked at again whenever the
/// key files change, so that a rotation signs new links with the new key at
/// once and a secret removed from `secret.old` stops verifying at once.
pub struct LiveKeys {
    layout: Layout,
    current: RwLock<(Arc<Keys>, Stamp)>,
    /// Key ids already reported as unknown, so each is logged once.
    reported: Mutex<HashSet<KeyId>>,
}

impl LiveKeys {
    pub fn load(layout: &Layout) -> Result<LiveKeys, KeyError> {
        let keys = Keys::load(layout)?;
        Ok(LiveKeys {
            layout: layout.clone(),
            current: RwLock::new((Arc::new(keys), stamp(layout))),
            reported: Mutex::new(HashSet::new()),
        })
    }

    /// The keys in use now, reloaded first if their files changed. A file
    /// broken by an edit keeps the keys in use (and says so).
    pub fn get(&self) -> Arc<Keys> {
        let now = stamp(&self.layout);
        {
            let current = self.current.read().unwrap_or_else(|e| e.into_inner());
            if current.1 == now {
                return current.0.clone();
            }
        }
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        match Keys::load(&self.layout) {
            Ok(keys) => {
                if keys.key_id() != current.0.key_id() {
                    tracing::info!(
                        "verdict serve: links are now signed with key {}",
                        keys.key_id()
                    );
                }
                *current = (Arc::new(keys), now);
            }
            Err(error) => {
                tracing::warn!("cannot reload the link secrets, keeping those in use: {error}");
                current.1 = now;
            }
        }
        current.0.clone()
    }

    /// Whether `token` is genuine. A token made by a key this service does not
    /// hold is logged once, naming both keys.
    pub fn verify(&self, purpose: Purpose, payload: &str, token: &str) -> bool {
        let keys = self.get();
        match keys.check(purpose, payload, token) {
            Check::Genuine(_) => true,
            Check::Forged => false,
            Check::UnknownKey(id) => {
                let mut reported = self.reported.lock().unwrap_or_else(|e| e.into_inner());
                if reported.insert(id) {
                    tracing::warn!(
                        "a link signed with key {id} arrived, but this service signs with key {} and knows no key {id}: was the issue sent with another secret ({SECRET_ENV} against state/secret)?",
                        keys.key_id()
                    );
                }
                false
            }
        }
    }
}

/// The address as a link carries it (URL-safe base64).
pub fn encode_address(email: &str) -> String {
    BASE64_URL_SAFE_NO_PAD.encode(email.as_bytes())
}

/// Decodes the address carried in a link.
pub fn decode_address(encoded: &str) -> Option<String> {
    let bytes = BASE64_URL_SAFE_NO_PAD.decode(encoded.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

/// Lower-case hexadecimal of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "an-old-secret-of-enough-length";
    const NEW: &str = "a-new-secret-of-enough-length";

    #[test]
    fn tokens_verify_only_for_their_purpose_payload_and_keys() {
        let old = Keys::new(OLD, &[]).unwrap();
        let token = old.sign(Purpose::Unsubscribe, "reader@example.com");
        assert!(token.starts_with(&format!("{}.", old.key_id())));
        assert!(old.verify(Purpose::Unsubscribe, "reader@example.com", &token));
        assert!(!old.verify(Purpose::Unsubscribe, "other@example.com", &token));
        assert!(
            !old.verify(Purpose::Vote, "reader@example.com", &token),
            "a token for one purpose is no token for another"
        );
        let rotated = Keys::new(NEW, &[OLD]).unwrap();
        assert!(
            rotated.verify(Purpose::Unsubscribe, "reader@example.com", &token),
            "links made before a rotation keep working"
        );
        let fresh = Keys::new(NEW, &[]).unwrap();
        assert_eq!(
            fresh.check(Purpose::Unsubscribe, "reader@example.com", &token),
            Check::UnknownKey(old.key_id()),
            "a retired key is named, not taken for a forgery"
        );
        for junk in ["", "not base64 !", "zzzzzzzz.AAAA", ".", "0011aabb."] {
            assert!(!rotated.verify(Purpose::Unsubscribe, "reader@example.com", junk));
        }
        // The right key id with a MAC made for something else is a forgery.
        let other = old.sign(Purpose::Unsubscribe, "other@example.com");
        let (id, _) = token.split_once('.').unwrap();
        let (_, mac) = other.split_once('.').unwrap();
        assert_eq!(
            old.check(
                Purpose::Unsubscribe,
                "reader@example.com",
                &format!("{id}.{mac}")
            ),
            Check::Forged
        );
    }

    #[test]
    fn a_click_link_names_its_issue_tool_and_place_and_nobody() {
        let keys = Keys::new(NEW, &[]).unwrap();
        let site = url::Url::parse("https://news.example.com/letters/").unwrap();
        let link = keys.click_url(&site, "2026-11-26-x", 1, ClickFrom::Email);
        let url = url::Url::parse(&link).unwrap();
        assert_eq!(url.path(), "/letters/go");
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let keys_of: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys_of, ["i", "n", "t"], "nothing of a reader: {link}");
        let token = &query[2].1;
        assert!(keys.verify(
            Purpose::Click,
            &click_payload("2026-11-26-x", 1, ClickFrom::Email),
            token
        ));
        for (issue, tool, from) in [
            ("2026-11-26-x", 0, ClickFrom::Email),
            ("2026-11-26-x", 1, ClickFrom::Site),
            ("2026-12-03-y", 1, ClickFrom::Email),
        ] {
            assert!(!keys.verify(Purpose::Click, &click_payload(issue, tool, from), token));
        }
        assert!(!keys.verify(
            Purpose::Vote,
            &click_payload("2026-11-26-x", 1, ClickFrom::Email),
            token
        ));
        let on_site = keys.click_url(&site, "2026-11-26-x", 1, ClickFrom::Site);
        assert!(on_site.contains("&f=site&t="), "{on_site}");
    }

    #[test]
    fn links_made_before_purpose_tags_keep_working_while_their_key_is_held() {
        // The formats of earlier versions: a bare MAC of the address, and of
        // "confirm:…" and "vote:…" texts.
        let legacy = |text: &str| {
            let mac = Secret(OLD.as_bytes().to_vec()).mac(&[text.as_bytes()]);
            BASE64_URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        };
        let keys = Keys::new(NEW, &[OLD]).unwrap();
        let old_id = Keys::new(OLD, &[]).unwrap().key_id();
        assert_eq!(
            keys.check(
                Purpose::Unsubscribe,
                "a@example.com",
                &legacy("a@example.com")
            ),
            Check::Genuine(old_id)
        );
        assert!(keys.verify(
            Purpose::Confirm,
            "0f:1700000000",
            &legacy("confirm:0f:1700000000")
        ));
        assert!(keys.verify(
            Purpose::Vote,
            "i:0:ship:a@example.com",
            &legacy("vote:i:0:ship:a@example.com")
        ));
        assert!(!keys.verify(
            Purpose::Vote,
            "i:0:skip:a@example.com",
            &legacy("vote:i:0:ship:a@example.com")
        ));
        assert!(!keys.verify(Purpose::Bounce, "a@example.com", &legacy("a@example.com")));
        let without_old = Keys::new(NEW, &[]).unwrap();
        assert!(!without_old.verify(
            Purpose::Unsubscribe,
            "a@example.com",
            &legacy("a@example.com")
        ));
    }

    #[test]
    fn identifiers_are_keyed_and_stable_across_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let before = Keys::load(&layout).unwrap();
        let id = before.message_id("2026-11-26-x", "a@example.com", "news.example.com");
        assert!(id.starts_with("2026-11-26-x.") && id.ends_with("@news.example.com"));
        let other = Keys::load(&Layout::new(tempfile::tempdir().unwrap().path())).unwrap();
        assert_ne!(
            other.message_id("2026-11-26-x", "a@example.com", "news.example.com"),
            id,
            "another newsletter's key makes another id"
        );
        let new_key = Keys::rotate(&layout).unwrap();
        let after = Keys::load(&layout).unwrap();
        assert_eq!(after.key_id(), new_key);
        assert_ne!(after.key_id(), before.key_id());
        assert_eq!(
            after.message_id("2026-11-26-x", "a@example.com", "news.example.com"),
            id
        );
        assert_eq!(
            after.pseudonym("a@example.com"),
            before.pseudonym("a@example.com")
        );
        assert_ne!(
            after.pseudonym("a@example.com"),
            after.pseudonym("b@example.com")
        );
    }

    #[test]
    fn a_short_or_garbled_key_file_is_an_error_and_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        std::fs::create_dir_all(layout.state_dir()).unwrap();
        for garbled in [
            "short",
            "two words of enough length here",
            "\u{0}\u{1}garbage-garbage-garbage",
        ] {
            std::fs::write(layout.secret(), garbled).unwrap();
            let error = Keys::load(&layout).unwrap_err().to_string();
            assert!(error.contains("state/secret"), "{error}");
            assert_eq!(std::fs::read_to_string(layout.secret()).unwrap(), garbled);
        }
        std::fs::write(layout.secret(), "a-good-secret-of-enough-length").unwrap();
        std::fs::write(layout.old_secrets(), "another-good-secret-here\n\nbad\n").unwrap();
        let error = Keys::load(&layout).unwrap_err().to_string();
        assert!(error.contains("secret.old:3:"), "{error}");
    }

    #[test]
    fn processes_that_start_at_once_end_with_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let ids: Vec<KeyId> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| Keys::load(&layout).unwrap().key_id()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        assert_eq!(Keys::load(&layout).unwrap().key_id(), ids[0]);
    }

    #[test]
    fn a_live_service_signs_with_a_rotated_key_and_forgets_a_removed_one_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let live = LiveKeys::load(&layout).unwrap();
        let first = live.get().key_id();
        let token = live.get().sign(Purpose::Unsubscribe, "a@example.com");
        Keys::rotate(&layout).unwrap();
        assert_ne!(live.get().key_id(), first, "new links use the new key");
        assert!(live.verify(Purpose::Unsubscribe, "a@example.com", &token));
        std::fs::write(layout.old_secrets(), "").unwrap();
        assert!(
            !live.verify(Purpose::Unsubscribe, "a@example.com", &token),
            "emptying secret.old revokes at once"
        );
    }

    #[test]
    fn secrets_never_print() {
        let keys = Keys::new("super-secret-value-123", &[]).unwrap();
        assert!(!format!("{keys:?}").contains("super-secret"));
    }
}
