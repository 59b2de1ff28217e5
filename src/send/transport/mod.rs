//! Where messages go: a folder of `.eml` files (the outbox) or an SMTP relay.
//! Each delivery ends in the relay's reply or in a [`Failure`] that says, from
//! the SMTP stage and the reply code, what it means for the reader and the run.

mod outbox;
mod reply;
mod resolve;
mod smtp;
mod spec;

use std::fmt;
use std::future::Future;
use std::time::Duration;

pub use outbox::Outbox;
pub use reply::{Class, EnhancedCode, Failure, Stage, classify, escape_reply, mask_addresses};
pub use resolve::{
    Chosen, OpenError, PASSWORD_ENV, TRANSPORT_ENV, choose, forced, open_for, open_spec,
};
pub use smtp::Smtp;
pub use spec::{SmtpEndpoint, SpecError, TlsMode, TransportSpec};

use crate::send::message::Outgoing;

/// A way to deliver a composed message.
pub trait Transport: Send + Sync + 'static {
    /// Delivers one message; `Ok` carries the relay's reply.
    fn send(&self, message: &Outgoing) -> impl Future<Output = Result<String, Failure>> + Send;

    /// Ends idle connections politely (QUIT), within their deadlines.
    fn close(&self) -> impl Future<Output = ()> + Send {
        async {}
    }
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

    async fn close(&self) {
        if let AnyTransport::Smtp(smtp) = self {
            smtp.close().await;
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
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// How to talk to a relay, beyond the transport string.
#[derive(Debug, Clone)]
pub struct SmtpOptions {
    pub password: Option<Password>,
    /// Connections kept open at most.
    pub pool_size: u32,
    /// The deadline of each command and its reply, and of the message transfer.
    pub timeout: Duration,
    /// The deadline of opening a connection (TCP, TLS, greeting, EHLO, login).
    pub connect_timeout: Duration,
    /// Skips certificate checks: only for a test relay with a self-signed certificate.
    pub dangerous_accept_invalid_certs: bool,
}

impl Default for SmtpOptions {
    fn default() -> Self {
        SmtpOptions {
            password: None,
            pool_size: 4,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            dangerous_accept_invalid_certs: false,
        }
    }
}

/// Builds the transport a spec names; an outbox folder is relative to `root`.
pub fn open(
    spec: &TransportSpec,
    root: &std::path::Path,
    options: SmtpOptions,
) -> Result<AnyTransport, OpenError> {
    match spec {
        TransportSpec::Outbox(dir) => {
            let dir = if dir.is_absolute() {
                dir.clone()
            } else {
                root.join(dir)
            };
            Ok(AnyTransport::Outbox(Outbox::new(dir)))
        }
        TransportSpec::Smtp(endpoint) => Ok(AnyTransport::Smtp(Box::new(Smtp::new(
            endpoint.clone(),
            options,
        )?))),
    }
}
