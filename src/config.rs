//! `verdict.toml`: the newsletter's identity, footer facts, transport and sending knobs.

use std::path::Path;

use lettre::message::Mailbox;
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, FileDiagnostics};

/// The file name of the configuration inside a project.
pub const CONFIG_FILE: &str = "verdict.toml";

/// The newsletter configuration, as the editor wrote it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The newsletter's name, shown in the header, the From name and List-Id.
    pub name: Spanned<String>,
    /// The sender, `Name <address>` or a bare address.
    pub from: Spanned<String>,
    /// Where replies go, if not to `from`.
    #[serde(default)]
    pub reply_to: Option<Spanned<String>>,
    /// The sender's postal address, printed in every footer (CAN-SPAM).
    pub postal_address: Spanned<String>,
    /// The public web address of the newsletter; enables view-in-browser links.
    #[serde(default)]
    pub base_url: Option<Spanned<String>>,
    /// The HTTPS address where `verdict serve` answers unsubscribes (behind a proxy).
    pub unsubscribe_url: Spanned<String>,
    /// The address that receives mailto unsubscribes; defaults to `from`.
    #[serde(default)]
    pub unsubscribe_mailto: Option<Spanned<String>>,
    /// `lang` of the HTML.
    #[serde(default = "default_language")]
    pub language: String,
    /// Where mail goes: `outbox:DIR` or an SMTP URL.
    #[serde(default = "default_transport")]
    pub transport: String,
    /// A file holding the SMTP password (never the password itself).
    #[serde(default)]
    pub smtp_password_file: Option<String>,
    #[serde(default)]
    pub sending: Sending,
    #[serde(default)]
    pub dkim: Option<Dkim>,
}

/// Pacing and retry knobs for `verdict send`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sending {
    /// SMTP connections in use at once.
    pub concurrency: u32,
    /// Messages per second; 0 sends unpaced.
    pub rate: f64,
    /// Attempts per recipient and run before a transient failure counts as deferred.
    pub max_attempts: u32,
    /// First retry delay; doubled on each further attempt, with jitter.
    pub retry_delay_ms: u64,
    /// SMTP command timeout.
    pub timeout_secs: u64,
}

impl Default for Sending {
    fn default() -> Self {
        Sending {
            concurrency: 4,
            rate: 0.0,
            max_attempts: 4,
            retry_delay_ms: 1000,
            timeout_secs: 30,
        }
    }
}

/// DKIM signing key and where its public half is published.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dkim {
    /// The `d=` domain.
    pub domain: Spanned<String>,
    /// The `s=` selector: the key is published at `<selector>._domainkey.<domain>`.
    pub selector: String,
    /// PEM (PKCS#1) for RSA, base64 of the 32-byte seed for Ed25519.
    pub key_file: Spanned<String>,
    #[serde(default)]
    pub algorithm: DkimAlgorithm,
}

/// The DKIM signing algorithm.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DkimAlgorithm {
    #[default]
    Rsa,
    Ed25519,
}

fn default_language() -> String {
    "en".into()
}

fn default_transport() -> String {
    "outbox:outbox".into()
}

impl Config {
    /// Parses and validates the configuration; `path` is only used in messages.
    pub fn parse(path: &str, source: &str) -> Result<Config, FileDiagnostics> {
        let mut report = FileDiagnostics::new(path, source);
        let config: Config = match toml::from_str(source) {
            Ok(config) => config,
            Err(error) => {
                report.push(Diagnostic::from_toml(&error).help(
                    "see the configuration section of README.md for every field of verdict.toml",
                ));
                return Err(report);
            }
        };
        for problem in config.problems() {
            report.push(problem);
        }
        if report.error_count() > 0 {
            Err(report)
        } else {
            Ok(config)
        }
    }

    /// Reads `verdict.toml` from a project folder.
    pub fn load(root: &Path) -> Result<(Config, FileDiagnostics), crate::Error> {
        let path = root.join(CONFIG_FILE);
        let source = crate::fs::read_to_string(&path)?;
        let config = Config::parse(CONFIG_FILE, &source).map_err(crate::Error::invalid)?;
        Ok((config, FileDiagnostics::new(CONFIG_FILE, source)))
    }

    fn problems(&self) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        for field in [&self.name, &self.postal_address] {
            if field.get_ref().trim().is_empty() {
                problems.push(
                    Diagnostic::error("this field must not be empty")
                        .at(field.span())
                        .help("the name and postal address appear in every email's footer"),
                );
            }
        }
        if let Err(d) = header_safe(&self.name) {
            problems.push(d);
        }
        for mailbox in [
            Some(&self.from),
            self.reply_to.as_ref(),
            self.unsubscribe_mailto.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            if let Err(d) = parse_mailbox(mailbox) {
                problems.push(d);
            }
        }
        if let Err(d) = https_url(&self.unsubscribe_url) {
            problems.push(d);
        }
        if let Some(base) = &self.base_url
            && let Err(d) = https_url(base)
        {
            problems.push(d);
        }
        if self.sending.concurrency == 0 {
            problems.push(Diagnostic::error(
                "`sending.concurrency` must be at least 1",
            ));
        }
        if !(self.sending.rate >= 0.0 && self.sending.rate.is_finite()) {
            problems.push(Diagnostic::error(
                "`sending.rate` must be 0 (unpaced) or more",
            ));
        }
        if self.sending.max_attempts == 0 {
            problems.push(Diagnostic::error(
                "`sending.max_attempts` must be at least 1",
            ));
        }
        problems
    }

    /// The sender mailbox (validated at parse time).
    pub fn from_mailbox(&self) -> Mailbox {
        self.from
            .get_ref()
            .parse()
            .expect("validated when the configuration was parsed")
    }

    pub fn reply_to_mailbox(&self) -> Option<Mailbox> {
        let reply_to = self.reply_to.as_ref()?;
        Some(
            reply_to
                .get_ref()
                .parse()
                .expect("validated when the configuration was parsed"),
        )
    }

    /// The address that receives mailto unsubscribes.
    pub fn unsubscribe_mailto_address(&self) -> String {
        let mailbox: Mailbox = match &self.unsubscribe_mailto {
            Some(m) => m
                .get_ref()
                .parse()
                .expect("validated when the configuration was parsed"),
            None => self.from_mailbox(),
        };
        mailbox.email.to_string()
    }

    /// The domain of the From address: Message-IDs and List-Id live under it.
    pub fn from_domain(&self) -> String {
        self.from_mailbox().email.domain().to_ascii_lowercase()
    }
}

/// Refuses control characters (line breaks above all) in what reaches a header.
pub fn header_safe(field: &Spanned<String>) -> Result<(), Diagnostic> {
    match control_char_offset(field.get_ref()) {
        None => Ok(()),
        Some(_) => Err(Diagnostic::error(
            "a line break or control character would end up in an email header",
        )
        .at(field.span())
        .label("this text contains a control character")
        .help("write it on one line, without control characters")),
    }
}

/// Where the first control character (line breaks included) is, if any.
pub fn control_char_offset(text: &str) -> Option<usize> {
    text.char_indices()
        .find(|(_, c)| c.is_control())
        .map(|(i, _)| i)
}

fn parse_mailbox(field: &Spanned<String>) -> Result<Mailbox, Diagnostic> {
    header_safe(field)?;
    field.get_ref().parse::<Mailbox>().map_err(|e| {
        Diagnostic::error(format!(
            "`{}` is not a valid email address: {e}",
            field.get_ref()
        ))
        .at(field.span())
        .help("expected `Name <address@domain>` or `address@domain`")
    })
}

fn https_url(field: &Spanned<String>) -> Result<(), Diagnostic> {
    let ok = url::Url::parse(field.get_ref())
        .map(|u| u.scheme() == "https" && u.host().is_some())
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(
            Diagnostic::error(format!("`{}` is not an https:// URL", field.get_ref()))
                .at(field.span())
                .help("expected an address such as https://news.example.com/unsubscribe"),
        )
    }
}
