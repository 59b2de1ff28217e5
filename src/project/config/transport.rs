//! The transport string of `verdict.toml`, `VERDICT_TRANSPORT` and `--transport`:
//! `outbox:DIR` or an SMTP URL in the forms lettre reads. A value of the
//! configuration: sending reads it, it knows nothing of sending.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

/// A password that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Where mail goes, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportSpec {
    /// A folder of `.eml` files (relative to the project unless absolute).
    Outbox(PathBuf),
    Smtp(SmtpEndpoint),
}

/// How the SMTP connection is encrypted.
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
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpEndpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// The user name, percent-decoded.
    pub user: Option<String>,
    /// A password written into the URL itself (never shown).
    pub url_password: Option<Password>,
}

/// What is wrong with a transport string. Never shows a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("`outbox:` needs a folder, e.g. outbox:outbox")]
    EmptyOutbox,
    #[error("`{shown}` is not an SMTP URL: {reason}")]
    Url { shown: String, reason: String },
    #[error("`{shown}` names no host")]
    NoHost { shown: String },
    #[error("unknown tls mode `{mode}`: expected required or opportunistic")]
    TlsMode { mode: String },
    #[error(
        "unknown transport `{shown}`: expected outbox:DIR, smtp://host:port or smtps://user@host:465"
    )]
    Unknown { shown: String },
    #[error("the user name or password in the URL is not valid UTF-8 once decoded")]
    Encoding,
}

impl TransportSpec {
    /// Parses `outbox:DIR` or `smtp://…` / `smtps://…`.
    pub fn parse(spec: &str) -> Result<TransportSpec, SpecError> {
        let spec = spec.trim();
        if let Some(dir) = spec.strip_prefix("outbox:") {
            let dir = dir.trim();
            if dir.is_empty() {
                return Err(SpecError::EmptyOutbox);
            }
            return Ok(TransportSpec::Outbox(PathBuf::from(dir)));
        }
        if spec.starts_with("smtp://") || spec.starts_with("smtps://") {
            return SmtpEndpoint::parse(spec).map(TransportSpec::Smtp);
        }
        Err(SpecError::Unknown {
            shown: redact(spec),
        })
    }

    /// Whether the string itself carries a password (never allowed in verdict.toml).
    pub fn has_url_password(&self) -> bool {
        matches!(self, TransportSpec::Smtp(e) if e.url_password.is_some())
    }
}

impl fmt::Display for TransportSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportSpec::Outbox(dir) => write!(f, "outbox:{}", dir.display()),
            TransportSpec::Smtp(endpoint) => write!(f, "{endpoint}"),
        }
    }
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
            let encoded = percent_encoding::utf8_percent_encode(user, USERINFO);
            write!(f, "{encoded}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        match self.tls {
            TlsMode::Required => f.write_str("?tls=required"),
            TlsMode::Opportunistic => f.write_str("?tls=opportunistic"),
            TlsMode::None | TlsMode::Wrapper => Ok(()),
        }
    }
}

impl fmt::Debug for SmtpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpEndpoint({self})")
    }
}

/// Characters a user name keeps encoded when shown as a URL.
const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'+');

/// A transport string with any password replaced, safe for messages.
pub fn redact(spec: &str) -> String {
    match url::Url::parse(spec) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(_) => spec.to_string(),
        Err(_) if spec.contains('@') => "(unparsable transport)".to_string(),
        Err(_) => spec.to_string(),
    }
}

impl SmtpEndpoint {
    pub fn parse(spec: &str) -> Result<SmtpEndpoint, SpecError> {
        let url = url::Url::parse(spec).map_err(|e| SpecError::Url {
            shown: redact(spec),
            reason: e.to_string(),
        })?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| SpecError::NoHost {
                shown: redact(spec),
            })?
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
                return Err(SpecError::TlsMode {
                    mode: other.to_string(),
                });
            }
            _ => {
                return Err(SpecError::Unknown {
                    shown: redact(spec),
                });
            }
        };
        let user = match url.username() {
            "" => None,
            user => Some(percent_decode(user)?),
        };
        let url_password = url
            .password()
            .map(percent_decode)
            .transpose()?
            .map(Password);
        Ok(SmtpEndpoint {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
            user,
            url_password,
        })
    }

    /// Whether the relay is on this machine (127.0.0.0/8, ::1, localhost).
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// Whether the connection is encrypted before any password is sent.
    pub fn is_encrypted(&self) -> bool {
        matches!(self.tls, TlsMode::Required | TlsMode::Wrapper)
    }
}

/// URL user info is percent-encoded (RFC 3986), not form-encoded: `+` stays `+`.
fn percent_decode(text: &str) -> Result<String, SpecError> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| SpecError::Encoding)
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
        assert_eq!(
            SmtpEndpoint::parse("smtp://x.invalid?tls=maybe"),
            Err(SpecError::TlsMode {
                mode: "maybe".into()
            })
        );
        assert!(matches!(
            TransportSpec::parse("ftp://x.invalid"),
            Err(SpecError::Unknown { .. })
        ));
        assert_eq!(
            TransportSpec::parse("outbox: "),
            Err(SpecError::EmptyOutbox)
        );
    }

    #[test]
    fn user_names_and_passwords_are_percent_decoded_not_form_decoded() {
        let e = SmtpEndpoint::parse("smtps://news+letter@relay.example.invalid").unwrap();
        assert_eq!(e.user.as_deref(), Some("news+letter"));
        let e = SmtpEndpoint::parse("smtps://a%40b.example:p%26ss%2Bw%20rd@relay.example.invalid")
            .unwrap();
        assert_eq!(e.user.as_deref(), Some("a@b.example"));
        assert_eq!(
            e.url_password.as_ref().map(|p| p.0.as_str()),
            Some("p&ss+w rd")
        );
        assert_eq!(
            e.to_string(),
            "smtps://a%40b.example@relay.example.invalid:465",
            "shown without the password"
        );
    }

    #[test]
    fn redaction_hides_url_passwords() {
        assert_eq!(
            redact("smtp://u:hunter2@h.invalid:25"),
            "smtp://u:***@h.invalid:25"
        );
        let error = TransportSpec::parse("smtp://u:hunter2@h.invalid?tls=bogus").unwrap_err();
        assert!(!error.to_string().contains("hunter2"));
    }
}
