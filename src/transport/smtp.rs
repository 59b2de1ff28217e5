//! The SMTP transport: lettre's pooled async client on tokio, with the URL forms
//! lettre reads, and the rules that keep a password off the wire in clear.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use std::io;
use std::sync::Mutex;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;

use super::{Failure, SmtpOptions};
use crate::message::Outgoing;

/// How the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text: only sensible to a relay on this machine.
    None,
    /// STARTTLS if the relay offers it.
    Opportunistic,
    /// STARTTLS or fail.
    Required,
    /// TLS from the first byte (smtps, port 465).
    Wrapper,
}

/// A parsed SMTP URL, e.g. `smtp://user@smtp.example.com:587?tls=required`.
#[derive(Clone)]
pub struct SmtpEndpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    /// A password written into the URL itself (never shown).
    pub url_password: Option<String>,
}

impl fmt::Display for SmtpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls == TlsMode::Wrapper {
            "smtps"
        } else {
            "smtp"
        };
        write!(f, "{scheme}://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        write!(f, "{}:{}", self.host, self.port)?;
        match self.tls {
            TlsMode::Required => f.write_str("?tls=required"),
            TlsMode::Opportunistic => f.write_str("?tls=opportunistic"),
            TlsMode::None | TlsMode::Wrapper => Ok(()),
        }
    }
}

/// A transport string with any password replaced, safe for messages.
pub fn redact(spec: &str) -> String {
    match url::Url::parse(spec) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(_) => spec.to_string(),
        Err(_) => "(unparsable transport)".to_string(),
    }
}

impl SmtpEndpoint {
    pub fn parse(spec: &str) -> Result<SmtpEndpoint, String> {
        let url = url::Url::parse(spec)
            .map_err(|e| format!("`{}` is not an SMTP URL: {e}", redact(spec)))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("`{}` names no host", redact(spec)))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls_param = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let (tls, default_port) = match (url.scheme(), tls_param.as_deref()) {
            ("smtps", _) => (TlsMode::Wrapper, 465),
            ("smtp", None | Some("none")) => (TlsMode::None, 25),
            ("smtp", Some("required")) => (TlsMode::Required, 587),
            ("smtp", Some("opportunistic")) => (TlsMode::Opportunistic, 587),
            (_, Some(other)) => {
                return Err(format!(
                    "unknown tls mode `{other}`: expected required or opportunistic"
                ));
            }
            (scheme, _) => {
                return Err(format!("unknown scheme `{scheme}`: expected smtp or smtps"));
            }
        };
        let decode = |s: &str| percent_decode(s);
        Ok(SmtpEndpoint {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
            user: Some(url.username()).filter(|u| !u.is_empty()).map(decode),
            url_password: url.password().map(decode),
        })
    }

    /// Whether the relay is on this machine (127.0.0.0/8, ::1, localhost).
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A pool of SMTP connections to one relay, each used by one sender at a time.
/// Connections are opened with TCP_NODELAY: lettre writes the end-of-data marker
/// apart from the message, and Nagle's algorithm would hold it back until the
/// relay's delayed ACK, about 40 ms per message.
pub struct Smtp {
    endpoint: SmtpEndpoint,
    credentials: Option<Credentials>,
    tls: Option<TlsParameters>,
    timeout: Duration,
    hello: ClientId,
    idle: Mutex<Vec<Connection>>,
}

/// An open session and what the relay offered in it.
struct Connection {
    smtp: AsyncSmtpConnection,
    /// The relay accepts the envelope commands in one go (RFC 2920).
    pipelining: bool,
}

impl Smtp {
    pub fn new(endpoint: SmtpEndpoint, options: SmtpOptions) -> Result<Smtp, String> {
        let password = options
            .password
            .map(|p| p.0)
            .or_else(|| endpoint.url_password.clone());
        let credentials = match (&endpoint.user, password) {
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password)),
            (Some(user), None) => {
                return Err(format!(
                    "the transport names the user {user} but no password is set: put it in {} or in the file named by smtp_password_file",
                    super::PASSWORD_ENV
                ));
            }
            (None, _) => None,
        };
        let encrypted = matches!(endpoint.tls, TlsMode::Required | TlsMode::Wrapper);
        if credentials.is_some() && !encrypted && !endpoint.is_loopback() {
            return Err(format!(
                "refusing to send the password in clear text to {}: use smtps://…:465 or smtp://…:587?tls=required",
                endpoint.host
            ));
        }
        let tls = match endpoint.tls {
            TlsMode::None => None,
            _ => Some(
                TlsParameters::builder(endpoint.host.clone())
                    .dangerous_accept_invalid_certs(options.dangerous_accept_invalid_certs)
                    .build()
                    .map_err(|e| format!("cannot set up TLS for {}: {e}", endpoint.host))?,
            ),
        };
        Ok(Smtp {
            endpoint,
            credentials,
            tls,
            timeout: options.timeout,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::with_capacity(options.pool_size as usize)),
        })
    }

    pub fn endpoint(&self) -> &SmtpEndpoint {
        &self.endpoint
    }

    /// Opens, secures and authenticates a connection.
    async fn connect(&self) -> Result<Connection, Failure> {
        let address = (self.endpoint.host.as_str(), self.endpoint.port);
        let mut connection = match (&self.tls, self.endpoint.tls) {
            (Some(tls), TlsMode::Wrapper) => AsyncSmtpConnection::connect_tokio1(
                address,
                Some(self.timeout),
                &self.hello,
                Some(tls.clone()),
                None,
            )
            .await
            .map_err(|e| classify(&e))?,
            _ => {
                let tcp =
                    tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect(address))
                        .await
                        .map_err(|_| {
                            io::Error::new(io::ErrorKind::TimedOut, "connection timed out")
                        })
                        .and_then(|connected| connected)
                        .map_err(|e| {
                            Failure::Connection(format!(
                                "cannot connect to {}: {e}",
                                self.endpoint.host
                            ))
                        })?;
                tcp.set_nodelay(true)
                    .map_err(|e| Failure::Connection(e.to_string()))?;
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                    .await
                    .map_err(|e| classify(&e))?
            }
        };
        if let Some(tls) = &self.tls {
            let required = self.endpoint.tls == TlsMode::Required;
            if self.endpoint.tls != TlsMode::Wrapper && (required || connection.can_starttls()) {
                // A relay that cannot encrypt fails every message alike: stop the run.
                connection
                    .starttls(tls.clone(), &self.hello)
                    .await
                    .map_err(|e| {
                        Failure::Fatal(format!("STARTTLS with {} failed: {e}", self.endpoint.host))
                    })?;
            }
        }
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(|e| classify(&e))?;
        }
        // lettre keeps only the extensions it uses; ask again to learn of PIPELINING.
        let ehlo = connection
            .command(Ehlo::new(self.hello.clone()))
            .await
            .map_err(|e| classify(&e))?;
        let pipelining = ehlo
            .message()
            .any(|line| line.trim().eq_ignore_ascii_case("PIPELINING"));
        crate::debug!("connected to {} (pipelining: {pipelining})", self.endpoint);
        Ok(Connection {
            smtp: connection,
            pipelining,
        })
    }

    pub async fn send(&self, message: &Outgoing) -> Result<String, Failure> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut connection = match idle {
            Some(connection) if !connection.smtp.has_broken() => connection,
            _ => tokio::time::timeout(self.timeout, self.connect())
                .await
                .map_err(|_| {
                    Failure::Connection(format!(
                        "{} did not answer within {} s",
                        self.endpoint.host,
                        self.timeout.as_secs()
                    ))
                })??,
        };
        let sent = tokio::time::timeout(self.timeout, transaction(&mut connection, message)).await;
        match sent {
            Ok(Ok(response)) => {
                self.idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(connection);
                Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                ))
            }
            Ok(Err(error)) => {
                connection.smtp.abort().await;
                Err(classify(&error))
            }
            Err(_) => Err(Failure::Transient(format!(
                "no answer from the relay within {} s",
                self.timeout.as_secs()
            ))),
        }
    }
}

/// One SMTP transaction with lettre's commands. The envelope commands go in one
/// write when the relay offers PIPELINING (RFC 2920), and the content goes as one
/// write, dot-stuffed with a SIMD search for line starts: lettre's `send` stuffs
/// byte by byte, which was a third of the sender's CPU time in the benchmark.
async fn transaction(
    connection: &mut Connection,
    message: &Outgoing,
) -> Result<Response, lettre::transport::smtp::Error> {
    let text = match std::str::from_utf8(&message.bytes) {
        Ok(text) if text.is_ascii() => text,
        // 8-bit content needs the BODY=8BITMIME parameter that lettre's `send` adds.
        _ => {
            return connection
                .smtp
                .send(&message.envelope, &message.bytes)
                .await;
        }
    };
    let smtp = &mut connection.smtp;
    let mail = Mail::new(message.envelope.from().cloned(), vec![]);
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
        smtp.command(envelope).await?;
        for _ in &recipients {
            smtp.read_response().await?;
        }
        smtp.read_response().await?;
    } else {
        smtp.command(mail).await?;
        for rcpt in recipients {
            smtp.command(rcpt).await?;
        }
        smtp.command(Data).await?;
    }
    smtp.command(Content::new(text)).await
}

/// Message content as SMTP sends it after DATA: a line starting with "." gets
/// another "." (RFC 5321 4.5.2), and "\r\n.\r\n" ends it. Built in one buffer of
/// the right size, so that lettre's `to_string` copies it once.
struct Content(String);

impl Content {
    fn new(text: &str) -> Content {
        let mut out = String::with_capacity(text.len() + text.len() / 64 + 8);
        let mut start = 0;
        if text.starts_with('.') {
            out.push('.');
        }
        for newline in memchr::memmem::find_iter(text.as_bytes(), b"\n.") {
            out.push_str(&text[start..=newline]);
            out.push('.');
            start = newline + 1;
        }
        out.push_str(&text[start..]);
        out.push_str("\r\n.\r\n");
        Content(out)
    }
}

impl fmt::Display for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sorts a lettre error into what the sender should do about it.
fn classify(error: &lettre::transport::smtp::Error) -> Failure {
    let detail = std::error::Error::source(error)
        .map(|s| s.to_string())
        .unwrap_or_default();
    let reply = match error.status() {
        Some(code) => format!("{code} {detail}").trim_end().to_string(),
        None => error.to_string(),
    };
    let code = error.status().map(|c| c.to_string()).unwrap_or_default();
    // Authentication replies concern the account, not a recipient.
    if ["530", "534", "535", "538"].contains(&code.as_str()) || error.is_tls() {
        return Failure::Fatal(reply);
    }
    if error.is_permanent() {
        Failure::Permanent(reply)
    } else if error.status().is_none() && !error.is_timeout() {
        Failure::Connection(reply)
    } else {
        Failure::Transient(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_as_lettre_reads_them() {
        let e = SmtpEndpoint::parse("smtp://user@smtp.example.invalid:587?tls=required").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.tls, e.user.as_deref()),
            ("smtp.example.invalid", 587, TlsMode::Required, Some("user"))
        );
        let e = SmtpEndpoint::parse("smtps://user@smtp.example.invalid").unwrap();
        assert_eq!((e.port, e.tls), (465, TlsMode::Wrapper));
        let e = SmtpEndpoint::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (e.port, e.tls, e.is_loopback()),
            (2525, TlsMode::None, true)
        );
        assert!(SmtpEndpoint::parse("smtp://x.invalid?tls=maybe").is_err());
    }

    #[tokio::test]
    async fn a_password_is_refused_in_clear_text_to_a_remote_host() {
        let options = SmtpOptions {
            password: Some(super::super::Password("hunter2-secret".into())),
            pool_size: 1,
            timeout: Duration::from_secs(1),
            dangerous_accept_invalid_certs: false,
        };
        let remote = SmtpEndpoint::parse("smtp://user@relay.example.invalid:25").unwrap();
        let error = Smtp::new(remote, options.clone()).err().unwrap();
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
        let stuffed = Content::new(".first\r\nplain\r\n..two\r\nend.\r\n.").to_string();
        assert_eq!(stuffed, "..first\r\nplain\r\n...two\r\nend.\r\n..\r\n.\r\n");
        assert_eq!(Content::new("a").to_string(), "a\r\n.\r\n");
    }

    #[test]
    fn redaction_hides_url_passwords() {
        assert_eq!(
            redact("smtp://u:hunter2@h.invalid:25"),
            "smtp://u:***@h.invalid:25"
        );
    }
}
