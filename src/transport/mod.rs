//! Where messages go: a folder of `.eml` files (the outbox) or an SMTP relay.
//! Each delivery ends in a reply that says whether a retry can help.

mod outbox;
mod smtp;

use std::fmt;
use std::future::Future;
use std::path::Path;

pub use outbox::Outbox;
pub use smtp::{Smtp, SmtpEndpoint, TlsMode, redact};

use crate::error::{Error, Result};
use crate::message::Outgoing;

/// The environment variable that overrides `transport` in verdict.toml.
pub const TRANSPORT_ENV: &str = "VERDICT_TRANSPORT";
/// The environment variable holding the SMTP password.
pub const PASSWORD_ENV: &str = "VERDICT_SMTP_PASSWORD";

/// Why a delivery did not succeed, and so what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Try again later: a 4xx reply, a dropped connection, a timeout.
    Transient(String),
    /// The relay could not be reached or talked to at all; transient, but many in
    /// a row with no delivery mean the relay is down and the run stops.
    Connection(String),
    /// The relay refused this recipient for good: a 5xx reply.
    Permanent(String),
    /// Nothing can be delivered through this transport (authentication, TLS):
    /// the run stops instead of failing every recipient.
    Fatal(String),
}

impl Failure {
    pub fn reply(&self) -> &str {
        match self {
            Failure::Transient(r)
            | Failure::Connection(r)
            | Failure::Permanent(r)
            | Failure::Fatal(r) => r,
        }
    }

    /// A permanent "no such user" (RFC 3463 5.1.1 and kin): the address is bad.
    pub fn is_unknown_user(&self) -> bool {
        let Failure::Permanent(reply) = self else {
            return false;
        };
        let lower = reply.to_ascii_lowercase();
        lower.contains("5.1.1")
            || lower.contains("5.1.10")
            || [
                "no such user",
                "user unknown",
                "unknown user",
                "does not exist",
                "mailbox unavailable",
            ]
            .iter()
            .any(|phrase| lower.contains(phrase))
    }
}

/// A way to deliver a composed message.
pub trait Transport: Send + Sync + 'static {
    /// Delivers one message; `Ok` carries the relay's reply.
    fn send(&self, message: &Outgoing) -> impl Future<Output = Result<String, Failure>> + Send;
}

/// The transport chosen by configuration.
pub enum AnyTransport {
    Outbox(Outbox),
    Smtp(Box<Smtp>),
}

impl Transport for AnyTransport {
    async fn send(&self, message: &Outgoing) -> Result<String, Failure> {
        match self {
            AnyTransport::Outbox(outbox) => outbox.send(message).await,
            AnyTransport::Smtp(smtp) => smtp.send(message).await,
        }
    }
}

impl fmt::Display for AnyTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyTransport::Outbox(outbox) => write!(f, "outbox {}", outbox.dir().display()),
            AnyTransport::Smtp(smtp) => write!(f, "{}", smtp.endpoint()),
        }
    }
}

/// A password that never prints.
#[derive(Clone)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// How to reach the relay, beyond the transport string.
#[derive(Debug, Clone, Default)]
pub struct SmtpOptions {
    pub password: Option<Password>,
    pub pool_size: u32,
    pub timeout: std::time::Duration,
    /// Skips certificate checks: only for a test relay with a self-signed certificate.
    pub dangerous_accept_invalid_certs: bool,
}

/// Builds the transport a string names: `outbox:DIR` (relative to the project)
/// or an SMTP URL.
pub fn open(spec: &str, root: &Path, options: SmtpOptions) -> Result<AnyTransport> {
    if let Some(dir) = spec.strip_prefix("outbox:") {
        if dir.trim().is_empty() {
            return Err(Error::Usage(
                "`outbox:` needs a folder, e.g. outbox:outbox".into(),
            ));
        }
        return Ok(AnyTransport::Outbox(Outbox::new(crate::fs::resolve(
            root,
            dir.trim(),
        ))));
    }
    if spec.starts_with("smtp://") || spec.starts_with("smtps://") {
        let endpoint = SmtpEndpoint::parse(spec).map_err(Error::Usage)?;
        let smtp = Smtp::new(endpoint, options).map_err(Error::Usage)?;
        return Ok(AnyTransport::Smtp(Box::new(smtp)));
    }
    Err(Error::Usage(format!(
        "unknown transport `{}`: expected outbox:DIR, smtp://host:port or smtps://user@host:465",
        smtp::redact(spec)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_users_are_recognised_by_enhanced_code_or_words() {
        assert!(
            Failure::Permanent("550 5.1.1 <a@example.com>: Recipient address rejected".into())
                .is_unknown_user()
        );
        assert!(Failure::Permanent("550 No such user here".into()).is_unknown_user());
        assert!(!Failure::Permanent("554 5.7.1 message refused as spam".into()).is_unknown_user());
        assert!(!Failure::Transient("450 5.1.1 try later".into()).is_unknown_user());
    }
}
