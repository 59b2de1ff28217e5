//! The SMTP transport: a pool of lettre connections on tokio, each opened with
//! TCP_NODELAY, and every step (connect, TLS, greeting, each command and reply,
//! the message transfer, QUIT) under a deadline, so that no relay can keep a run
//! alive. A pooled connection idle for a while is checked before it is used
//! again. Failures are classified by stage and reply code (`lossy` lets a reply
//! be read whatever its text).

mod lossy;
mod tls;

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;

use super::{Class, Failure, OpenError, SmtpEndpoint, SmtpOptions, Stage, TlsMode, classify};
use crate::send::message::Outgoing;

/// QUIT after an error, and NOOP on a connection idle for a while, get at most
/// this long: the relay may have gone silent.
const QUIT_DEADLINE: Duration = Duration::from_secs(2);

/// A pooled connection idle for longer is checked with NOOP before it is used:
/// relays close idle connections (Postfix after 300 s, some after a few
/// seconds), and a run paced slowly or a sign-up after a quiet spell would
/// otherwise meet a dead one.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(1);

/// A pool of SMTP connections to one relay, each used by one sender at a time.
pub struct Smtp {
    endpoint: SmtpEndpoint,
    credentials: Option<Credentials>,
    tls: Option<TlsParameters>,
    timeout: Duration,
    connect_timeout: Duration,
    hello: ClientId,
    idle: Mutex<Vec<Connection>>,
}

/// An open session and what the relay offered in it.
struct Connection {
    smtp: AsyncSmtpConnection,
    /// The relay accepts the envelope commands in one go (RFC 2920).
    pipelining: bool,
    /// The relay takes addresses with a non-ASCII local part (RFC 6531).
    smtputf8: bool,
    /// The relay takes 8-bit message content (RFC 6152).
    eightbitmime: bool,
    /// When it was last used.
    idle_since: tokio::time::Instant,
}

impl Smtp {
    pub fn new(endpoint: SmtpEndpoint, options: SmtpOptions) -> Result<Smtp, OpenError> {
        let password = options.password.or_else(|| endpoint.url_password.clone());
        let credentials = match (&endpoint.user, password) {
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password.0)),
            (Some(user), None) => return Err(OpenError::NoPassword { user: user.clone() }),
            (None, _) => None,
        };
        if credentials.is_some() && !endpoint.is_encrypted() && !endpoint.is_loopback() {
            return Err(OpenError::PasswordInClear {
                host: endpoint.host.clone(),
            });
        }
        let tls = match endpoint.tls {
            TlsMode::None => None,
            _ => Some(
                TlsParameters::builder(endpoint.host.clone())
                    .dangerous_accept_invalid_certs(options.dangerous_accept_invalid_certs)
                    .build()
                    .map_err(|e| OpenError::Tls {
                        host: endpoint.host.clone(),
                        reason: e.to_string(),
                    })?,
            ),
        };
        Ok(Smtp {
            endpoint,
            credentials,
            tls,
            timeout: options.timeout,
            connect_timeout: options.connect_timeout,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::with_capacity(options.pool_size as usize)),
        })
    }

    pub fn endpoint(&self) -> &SmtpEndpoint {
        &self.endpoint
    }

    /// Opens, secures and authenticates a connection, each step under the
    /// connect deadline.
    async fn connect(&self) -> Result<Connection, Failure> {
        let deadline = self.connect_timeout;
        let host = &self.endpoint.host;
        let address = (host.as_str(), self.endpoint.port);
        let tcp = within(
            deadline,
            Stage::Connect,
            tokio::net::TcpStream::connect(address),
        )
        .await?
        .map_err(|e| {
            Failure::new(
                Class::Unreachable,
                Stage::Connect,
                format!("cannot connect to {host}: {e}"),
            )
        })?;
        tcp.set_nodelay(true)
            .map_err(|e| Failure::new(Class::Unreachable, Stage::Connect, e.to_string()))?;
        let (stream, repair): (Box<dyn AsyncTokioStream>, _) = match (&self.tls, self.endpoint.tls)
        {
            (Some(tls), TlsMode::Wrapper) => {
                let tls = within(deadline, Stage::StartTls, tls::wrap(tcp, tls.clone()))
                    .await?
                    .map_err(|e| {
                        Failure::new(
                            Class::Unusable,
                            Stage::StartTls,
                            format!("TLS with {host} failed: {e}"),
                        )
                    })?;
                let (stream, repair) = lossy::Lossy::new(tls);
                (Box::new(stream), repair)
            }
            _ => {
                let (stream, repair) = lossy::Lossy::new(tcp);
                (Box::new(stream), repair)
            }
        };
        let mut smtp = step(
            deadline,
            Stage::Greeting,
            AsyncSmtpConnection::connect_with_transport(stream, &self.hello),
        )
        .await?;
        if let Some(tls) = &self.tls {
            let required = self.endpoint.tls == TlsMode::Required;
            if self.endpoint.tls != TlsMode::Wrapper && (required || smtp.can_starttls()) {
                // TLS records must pass untouched; replies inside TLS are read
                // as lettre reads them (a reply that is not UTF-8 after the
                // final dot then counts as uncertain).
                repair.store(false, Ordering::SeqCst);
                // A relay that cannot encrypt fails every message alike: stop the run.
                within(
                    deadline,
                    Stage::StartTls,
                    smtp.starttls(tls.clone(), &self.hello),
                )
                .await?
                .map_err(|e| {
                    Failure::new(
                        Class::Unusable,
                        Stage::StartTls,
                        format!("STARTTLS with {host} failed: {e}"),
                    )
                })?;
            }
        }
        if let Some(credentials) = &self.credentials {
            step(
                deadline,
                Stage::Auth,
                smtp.auth(&[Mechanism::Plain, Mechanism::Login], credentials),
            )
            .await?;
        }
        // lettre keeps only the extensions it uses; ask again to learn of PIPELINING.
        let ehlo = step(
            deadline,
            Stage::Greeting,
            smtp.command(Ehlo::new(self.hello.clone())),
        )
        .await?;
        let pipelining = ehlo
            .message()
            .any(|line| line.trim().eq_ignore_ascii_case("PIPELINING"));
        let smtputf8 = smtp.server_info().supports_feature(Extension::SmtpUtfEight);
        let eightbitmime = smtp.server_info().supports_feature(Extension::EightBitMime);
        crate::debug!("connected to {} (pipelining: {pipelining})", self.endpoint);
        Ok(Connection {
            smtp,
            pipelining,
            smtputf8,
            eightbitmime,
            idle_since: tokio::time::Instant::now(),
        })
    }

    /// A connection from the pool that still answers, else a new one; says
    /// whether it was pooled.
    async fn checkout(&self) -> Result<(Connection, bool), Failure> {
        loop {
            let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some(mut connection) = idle else {
                return Ok((self.connect().await?, false));
            };
            if connection.smtp.has_broken() {
                continue;
            }
            if connection.idle_since.elapsed() < IDLE_CHECK_AFTER {
                return Ok((connection, true));
            }
            // The relay may have closed it while it sat idle.
            let alive = tokio::time::timeout(QUIT_DEADLINE, connection.smtp.test_connected())
                .await
                .unwrap_or(false);
            if alive {
                return Ok((connection, true));
            }
            crate::debug!(
                "an idle connection to {} was closed; opening another",
                self.endpoint
            );
        }
    }

    pub async fn send(&self, message: &Outgoing) -> Result<String, Failure> {
        let (mut connection, mut pooled) = self.checkout().await?;
        loop {
            match self.transaction(&mut connection, message).await {
                Ok(response) => {
                    connection.idle_since = tokio::time::Instant::now();
                    self.idle
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(connection);
                    return Ok(reply_text(&response));
                }
                Err((failure, usable)) => {
                    if usable {
                        let _ = tokio::time::timeout(QUIT_DEADLINE, connection.smtp.abort()).await;
                    }
                    // A pooled connection that died (or is closing, 421) before
                    // the relay took anything is not the reader's failure: once
                    // more, on a new one.
                    let lost = failure.code == Some(421)
                        || failure.code.is_none() && !failure.reply.starts_with(NO_ANSWER);
                    if pooled && failure.stage == Stage::MailFrom && lost {
                        connection = self.connect().await?;
                        pooled = false;
                        continue;
                    }
                    return Err(failure);
                }
            }
        }
    }

    /// Sends QUIT on every idle connection, each within its deadline.
    pub async fn close(&self) {
        let idle: Vec<Connection> =
            std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for mut connection in idle {
            let _ = tokio::time::timeout(QUIT_DEADLINE, connection.smtp.quit()).await;
        }
    }

    /// One SMTP transaction with lettre's commands, each under the command
    /// deadline. The envelope goes in one write when the relay offers PIPELINING
    /// (RFC 2920), and the content goes as one write, dot-stuffed with a SIMD
    /// search for line starts. On failure, says whether the connection can still
    /// take a QUIT (not after a deadline passed mid-reply).
    async fn transaction(
        &self,
        connection: &mut Connection,
        message: &Outgoing,
    ) -> Result<Response, (Failure, bool)> {
        let deadline = self.timeout;
        let needs_utf8 = message.envelope.to().iter().any(|to| !to.user().is_ascii());
        if needs_utf8 && !connection.smtputf8 {
            let failure = Failure::new(
                Class::Refused,
                Stage::MailFrom,
                "the relay does not offer SMTPUTF8, which an address with non-ASCII letters before the @ needs",
            );
            return Err((failure, true));
        }
        let usable = |failure: Failure| {
            let usable = !failure.reply.starts_with(NO_ANSWER);
            (failure, usable)
        };
        let mut parameters = Vec::new();
        if needs_utf8 {
            parameters.push(MailParameter::SmtpUtfEight);
        }
        let ascii = message.bytes.is_ascii();
        if !ascii {
            if !connection.eightbitmime {
                let failure = Failure::new(
                    Class::Refused,
                    Stage::MailFrom,
                    "the relay does not offer 8BITMIME, which this message (8-bit text in its header) needs",
                );
                return Err((failure, true));
            }
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let smtp = &mut connection.smtp;
        let mail = Mail::new(message.envelope.from().cloned(), parameters);
        let recipients: Vec<Rcpt> = message
            .envelope
            .to()
            .iter()
            .map(|to| Rcpt::new(to.clone(), vec![]))
            .collect();
        if connection.pipelining {
            let mut envelope = mail.to_string();
            for rcpt in &recipients {
                envelope.push_str(&rcpt.to_string());
            }
            envelope.push_str(&Data.to_string());
            step(deadline, Stage::MailFrom, smtp.command(envelope))
                .await
                .map_err(usable)?;
            for _ in &recipients {
                step(deadline, Stage::RcptTo, smtp.read_response())
                    .await
                    .map_err(usable)?;
            }
            step(deadline, Stage::Data, smtp.read_response())
                .await
                .map_err(usable)?;
        } else {
            step(deadline, Stage::MailFrom, smtp.command(mail))
                .await
                .map_err(usable)?;
            for rcpt in recipients {
                step(deadline, Stage::RcptTo, smtp.command(rcpt))
                    .await
                    .map_err(usable)?;
            }
            step(deadline, Stage::Data, smtp.command(Data))
                .await
                .map_err(usable)?;
        }
        // From here on the relay may have the message whatever goes wrong.
        match std::str::from_utf8(&message.bytes) {
            Ok(text) if ascii => step(deadline, Stage::EndOfData, smtp.command(Content(text)))
                .await
                .map_err(usable),
            _ => step(deadline, Stage::EndOfData, smtp.message(&message.bytes))
                .await
                .map_err(usable),
        }
    }
}

/// How a missed deadline is reported; such a connection is dropped without QUIT.
const NO_ANSWER: &str = "no answer from the relay within";

/// Runs `future` under `deadline`, a missed deadline being a failure at `stage`.
async fn within<T>(
    deadline: Duration,
    stage: Stage,
    future: impl Future<Output = T>,
) -> Result<T, Failure> {
    tokio::time::timeout(deadline, future).await.map_err(|_| {
        let class = match stage {
            Stage::Connect | Stage::Greeting | Stage::StartTls | Stage::Auth => Class::Unreachable,
            Stage::MailFrom | Stage::RcptTo | Stage::Data => Class::Transient,
            Stage::EndOfData => Class::Uncertain,
        };
        Failure::new(
            class,
            stage,
            format!("{NO_ANSWER} {} s ({stage})", deadline.as_secs_f64()),
        )
    })
}

/// One SMTP step under its deadline, its error classified at `stage`.
async fn step<T>(
    deadline: Duration,
    stage: Stage,
    future: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, Failure> {
    within(deadline, stage, future)
        .await?
        .map_err(|error| failure(stage, &error))
}

/// Classifies a lettre error at a stage from its reply code, if it has one.
fn failure(stage: Stage, error: &lettre::transport::smtp::Error) -> Failure {
    let detail = std::error::Error::source(error)
        .map(|s| s.to_string())
        .unwrap_or_default();
    let code = error
        .status()
        .and_then(|code| code.to_string().parse::<u16>().ok());
    match code {
        Some(code) => Failure::from_reply(stage, code, &detail),
        None if error.is_tls() => Failure::new(Class::Unusable, stage, error.to_string()),
        None => {
            let reply = if detail.is_empty() {
                error.to_string()
            } else {
                format!("{error}: {detail}")
            };
            Failure::new(classify(stage, None, &reply), stage, reply)
        }
    }
}

fn reply_text(response: &Response) -> String {
    format!(
        "{} {}",
        response.code(),
        response.message().collect::<Vec<_>>().join(" ")
    )
}

/// Message content as SMTP sends it after DATA: a line starting with "." gets
/// another "." (RFC 5321 4.5.2), and "\r\n.\r\n" ends it. Written straight from
/// the message into the one copy lettre's `command` makes, so that no stuffed
/// copy of the message is kept while the relay's answer is awaited.
struct Content<'a>(&'a str);

impl fmt::Display for Content<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        if text.starts_with('.') {
            f.write_str(".")?;
        }
        let mut start = 0;
        for newline in memchr::memmem::find_iter(text.as_bytes(), b"\n.") {
            f.write_str(&text[start..=newline])?;
            f.write_str(".")?;
            start = newline + 1;
        }
        f.write_str(&text[start..])?;
        f.write_str("\r\n.\r\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::transport::Password;

    #[test]
    fn a_password_is_refused_in_clear_text_to_a_remote_host() {
        let options = SmtpOptions {
            password: Some(Password("hunter2-secret".into())),
            ..SmtpOptions::default()
        };
        let remote = SmtpEndpoint::parse("smtp://user@relay.example.invalid:25").unwrap();
        let error = Smtp::new(remote, options.clone())
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("refusing to send the password in clear text"),
            "{error}"
        );
        assert!(!error.contains("hunter2"));
        let local = SmtpEndpoint::parse("smtp://user@127.0.0.1:2525").unwrap();
        assert!(Smtp::new(local, options.clone()).is_ok());
        let tls = SmtpEndpoint::parse("smtps://user@relay.example.invalid").unwrap();
        assert!(Smtp::new(tls, options).is_ok());
    }

    #[test]
    fn content_is_dot_stuffed_and_terminated() {
        let stuffed = Content(".first\r\nplain\r\n..two\r\nend.\r\n.").to_string();
        assert_eq!(stuffed, "..first\r\nplain\r\n...two\r\nend.\r\n..\r\n.\r\n");
        assert_eq!(Content("a").to_string(), "a\r\n.\r\n");
    }

    /// A connection that never answers: every step ends at its deadline.
    #[tokio::test]
    async fn a_silent_relay_fails_at_the_connect_deadline() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let endpoint = SmtpEndpoint::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
        let smtp = Smtp::new(
            endpoint,
            SmtpOptions {
                connect_timeout: Duration::from_millis(200),
                ..SmtpOptions::default()
            },
        )
        .unwrap();
        let failure = smtp.connect().await.err().unwrap();
        assert_eq!(
            (failure.class, failure.stage),
            (Class::Unreachable, Stage::Greeting)
        );
        drop(listener);
    }
}
