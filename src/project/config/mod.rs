//! `verdict.toml`: the newsletter's identity, footer facts, transport and sending
//! knobs, read with spans and checked into types that can only hold valid values.

pub mod fields;
mod read;
pub mod transport;
mod zone;

use std::path::PathBuf;
use std::time::Duration;

use lettre::Address;
use lettre::message::Mailbox;
use url::Url;

use crate::diagnostic::table_reader::Located;
use crate::diagnostic::{Diagnostic, FileDiagnostics, LoadError};
use crate::project::layout::{CONFIG_FILE, Layout};
use transport::TransportSpec;
pub use zone::Zone;

/// The newsletter configuration, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The newsletter's name, shown in the header, the From name and List-Id.
    pub name: String,
    /// The sender; its name defaults to the newsletter's.
    pub from: Mailbox,
    /// Where replies go, if not to `from`.
    pub reply_to: Option<Mailbox>,
    /// The sender's postal address, printed in every footer (CAN-SPAM).
    pub postal_address: String,
    /// The public web address of the newsletter's site.
    pub base_url: Option<Url>,
    /// The HTTPS address where `verdict serve` answers unsubscribes (behind a proxy).
    pub unsubscribe_url: Url,
    /// The address that receives mailto unsubscribes (default: the From address).
    pub unsubscribe_mailto: Address,
    /// The envelope sender, where bounces go (default: the From address). With
    /// a `+` in its local part, each reader's copy gets a signed return path
    /// (VERP): `bounces+TAG@domain`.
    pub bounce_address: Option<Address>,
    /// `lang` of the HTML.
    pub language: String,
    /// Where mail goes unless the environment or the command line says otherwise.
    pub transport: TransportSpec,
    /// A file holding the SMTP password (never the password itself).
    pub smtp_password_file: Option<PathBuf>,
    pub sending: Sending,
    /// DKIM keys (`[[dkim]]`, or one `[dkim]` table): every message is signed
    /// with each.
    pub dkim: Vec<DkimSettings>,
    pub community: Community,
    pub signup: Signup,
    pub serve: Serve,
    /// The newsletter's time zone: daily caps count per calendar day in it.
    pub time_zone: Zone,
    /// Relays that share the sending (`[[relay]]`); empty: `transport` alone.
    pub relays: Vec<RelayConfig>,
    /// The file as read, to locate problems found after reading (a DKIM key that
    /// does not load).
    pub source: FileDiagnostics,
    /// What `check` should say about the file without failing (a base URL on
    /// this machine).
    pub warnings: Vec<Diagnostic>,
}

/// Pacing, retry and deadline knobs for `verdict send`, within sane bounds
/// (the defaults are in [`fields::SENDING`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Sending {
    /// SMTP connections in use at once (1 to 1,000).
    pub concurrency: u32,
    /// Messages per second; 0 sends unpaced.
    pub rate: f64,
    /// Attempts per recipient and run before a transient failure counts as deferred.
    pub max_attempts: u32,
    /// First retry delay; doubled on each further attempt, with jitter.
    pub retry_delay: Duration,
    /// The deadline of each SMTP command and its reply.
    pub timeout: Duration,
    /// The deadline of opening a connection.
    pub connect_timeout: Duration,
    /// A reader deferred for longer than this is given up on (expired).
    pub give_up_after: chrono::Duration,
    /// The recent attempts each relay is judged on.
    pub judge_window: u32,
    /// More hard refusals than this share (percent) of a relay's recent
    /// attempts: the relay refuses the newsletter, and its refusals are held.
    pub refusal_percent: u32,
    /// With no reader settled for this long, a run stops.
    pub stall_after: Duration,
    /// Retries of a message whose connection was lost after the final dot.
    pub uncertain_retries: u32,
}

/// One relay of `[[relay]]`.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// How status and summaries name it (default: its transport).
    pub name: String,
    pub transport: TransportSpec,
    /// Messages per second through it; the [sending] rate when absent.
    pub rate: Option<f64>,
    /// Its connections at once; the [sending] concurrency when absent.
    pub concurrency: Option<u32>,
    /// Messages it may take per calendar day; no cap when absent.
    pub daily_cap: Option<u64>,
    /// Its share of the audience, relative to the others' (default 1).
    pub weight: u32,
    /// A file with its SMTP password (else VERDICT_SMTP_PASSWORD or
    /// smtp_password_file).
    pub password_file: Option<PathBuf>,
}

/// What readers did: their vote on each tool, and the links they followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    /// Votes on a tool before its community percentage is shown (else "—").
    pub min_votes: u32,
    /// How long after an issue's send time its vote links work.
    pub vote_link_valid: chrono::Duration,
    /// Whether links to tools go through the service's click counter.
    pub count_clicks: bool,
}

/// How `verdict serve` meets the network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Serve {
    /// Peers whose `X-Forwarded-For` is believed (the reverse proxy); from
    /// anyone else the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Sign-ups through `verdict serve`, and their limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signup {
    /// How long a confirmation link works.
    pub link_valid: chrono::Duration,
    /// At most one confirmation email per address within this time.
    pub resend_after: chrono::Duration,
    /// Sign-up requests one client may make in an hour.
    pub per_client_per_hour: u32,
    /// Confirmation emails sent in an hour, all clients together.
    pub per_hour: u32,
    /// Confirmation emails to one mailbox domain in an hour.
    pub per_domain_per_hour: u32,
}

/// Bounds of the sending knobs, shared by `verdict.toml` and the command line.
pub mod bounds {
    /// Most SMTP connections at once.
    pub const MAX_CONCURRENCY: u32 = 1000;
    /// Slowest pacing other than 0 (unpaced): one message a minute and a half.
    pub const MIN_RATE: f64 = 0.01;
    /// Fastest pacing.
    pub const MAX_RATE: f64 = 100_000.0;

    /// Whether a rate is 0 (unpaced) or within bounds.
    pub fn rate_ok(rate: f64) -> bool {
        rate == 0.0 || (MIN_RATE..=MAX_RATE).contains(&rate)
    }
}

/// DKIM signing key and where its public half is published.
#[derive(Debug, Clone)]
pub struct DkimSettings {
    /// The `d=` domain.
    pub domain: Located<String>,
    /// The `s=` selector: the key is published at `<selector>._domainkey.<domain>`.
    pub selector: Located<String>,
    /// A PEM private key (PKCS#8 or PKCS#1), or the base64 of an Ed25519 key.
    pub key_file: Located<PathBuf>,
    /// As written; when absent, the key file says which.
    pub algorithm: Option<Located<DkimAlgorithm>>,
}

/// The DKIM signing algorithm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DkimAlgorithm {
    #[default]
    Rsa,
    Ed25519,
}

impl DkimAlgorithm {
    /// The name `verdict.toml` and the `k=` tag use.
    pub fn name(self) -> &'static str {
        match self {
            DkimAlgorithm::Rsa => "rsa",
            DkimAlgorithm::Ed25519 => "ed25519",
        }
    }
}

impl Config {
    /// Parses and checks the configuration; `path` is only used in messages.
    pub fn parse(path: &str, source: &str) -> Result<Config, FileDiagnostics> {
        read::parse(path, source)
    }

    /// Reads `verdict.toml` from a project.
    pub fn load(layout: &Layout) -> Result<Config, LoadError> {
        let source = crate::diagnostic::read_source(&layout.config(), CONFIG_FILE)?;
        Ok(Config::parse(CONFIG_FILE, &source)?)
    }

    /// The site's root (`base_url` ending with `/`, so that paths join under
    /// it), when the newsletter has a site.
    pub fn site_root(&self) -> Option<Url> {
        let mut root = self.base_url.clone()?;
        if !root.path().ends_with('/') {
            root.set_path(&format!("{}/", root.path()));
        }
        Some(root)
    }

    /// The domain of the From address: Message-IDs and List-Id live under it.
    pub fn sender_domain(&self) -> String {
        self.from.email.domain().to_ascii_lowercase()
    }

    /// The sender as shown: the From mailbox, named after the newsletter if unnamed.
    pub fn sender(&self) -> Mailbox {
        let mut from = self.from.clone();
        if from.name.is_none() {
            from.name = Some(self.name.clone());
        }
        from
    }

    /// A report of one problem in verdict.toml.
    pub fn problem(&self, diagnostic: Diagnostic) -> FileDiagnostics {
        self.source.clone().with(diagnostic)
    }
}
