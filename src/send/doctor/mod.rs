//! `verdict doctor`: will this newsletter reach the inbox? Checks of DNS (SPF,
//! DKIM, DMARC and alignment, MX), of the messages' unsubscribe headers and,
//! online, of the relays and the site, made from the project's configuration
//! and a probe message composed as readers get it. One file per group; all
//! lookups run at once, each under a deadline; mail-auth evaluates SPF, DKIM
//! and DMARC as a receiver would.

mod dkim;
mod dmarc;
mod dns;
mod mx;
mod probe;
mod relays;
mod spf;
mod summary;
mod unsubscribe;
mod web;

use std::net::SocketAddr;
use std::time::Duration;

use mail_auth::AuthenticatedMessage;
use serde::Serialize;

pub use dns::Dns;
pub use summary::Requirement;

use crate::project::Project;

/// How the doctor looks.
#[derive(Debug, Clone)]
pub struct Options {
    /// The DNS server to ask; the system's resolver when `None`.
    pub resolver: Option<SocketAddr>,
    /// Also connect to the relays and the site.
    pub online: bool,
    /// The deadline of each lookup and connection step.
    pub deadline: Duration,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// The groups of checks, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    Spf,
    Dkim,
    Dmarc,
    Mx,
    ListUnsubscribe,
    Relays,
    Site,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::Spf => "SPF",
            Group::Dkim => "DKIM",
            Group::Dmarc => "DMARC and alignment",
            Group::Mx => "Replies and bounces",
            Group::ListUnsubscribe => "List-Unsubscribe",
            Group::Relays => "Relays",
            Group::Site => "Site",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub group: Group,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// The record or setting that fixes it (warnings and failures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The bulk sender requirement this check bears on.
    #[serde(skip)]
    pub need: Option<summary::Need>,
}

impl Check {
    fn new(group: Group, status: Status, detail: impl Into<String>) -> Check {
        Check {
            group,
            status,
            detail: detail.into(),
            fix: None,
            need: None,
        }
    }

    fn pass(group: Group, detail: impl Into<String>) -> Check {
        Check::new(group, Status::Pass, detail)
    }

    fn warn(group: Group, detail: impl Into<String>) -> Check {
        Check::new(group, Status::Warn, detail)
    }

    fn fail(group: Group, detail: impl Into<String>) -> Check {
        Check::new(group, Status::Fail, detail)
    }

    fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }

    fn need(mut self, need: summary::Need) -> Check {
        self.need = Some(need);
        self
    }
}

/// Everything the doctor found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The From domain the checks are about.
    pub domain: String,
    /// The DNS server asked.
    pub resolver: String,
    /// The issue the probe message was made from.
    pub probe_issue: Option<String>,
    pub checks: Vec<Check>,
    /// Gmail's and Yahoo's requirements for bulk senders, each met or not
    /// (`None`: not checked, offline).
    pub bulk_sender: Vec<Requirement>,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// Why the doctor could not look at all.
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    /// A DKIM key in verdict.toml does not load.
    #[error("{}", .0.render(false))]
    Config(Box<crate::diagnostic::FileDiagnostics>),
    #[error("{0}")]
    Setup(String),
}

/// What the checks share: the configuration's facts, the probe message, and
/// the DNS.
pub(crate) struct Context<'a> {
    pub project: &'a Project,
    pub dns: Dns,
    pub probe: &'a AuthenticatedMessage<'a>,
    /// The probe is an issue's message (else a sign-up email stands in).
    pub probe_is_issue: bool,
    /// The From domain (also the envelope sender's: verdict sends from From).
    pub domain: String,
    pub keys: Option<std::sync::Arc<crate::send::message::DkimSigner>>,
    pub options: &'a Options,
}

/// Runs every check.
pub async fn examine(project: &Project, options: &Options) -> Result<Report, DoctorError> {
    let dns = Dns::new(options.resolver, options.deadline).map_err(DoctorError::Setup)?;
    let keys = crate::send::message::load_dkim(&project.config, &project.layout)
        .map_err(|report| DoctorError::Config(Box::new(report)))?;
    let probe = probe::compose(project, keys.clone()).map_err(DoctorError::Setup)?;
    let message = AuthenticatedMessage::parse(&probe.bytes)
        .ok_or_else(|| DoctorError::Setup("the probe message does not parse".into()))?;
    let context = Context {
        project,
        dns: dns.clone(),
        probe: &message,
        probe_is_issue: probe.issue.is_some(),
        domain: project.config.sender_domain(),
        keys,
        options,
    };
    // What later checks build on, asked at once: the relays' addresses, the
    // signatures as DNS verifies them, the SPF record.
    let (relays, dkim_outputs, dkim_records, spf_records) = tokio::join!(
        relays::resolve(&context),
        dkim::verify(&context),
        dkim::records(&context),
        spf::records(&context),
    );
    let ((spf_checks, spf_output), dmarc_record, mx_checks, relay_checks, site_checks) = tokio::join!(
        spf::checks(&context, &spf_records, &relays),
        dmarc::record(&context),
        mx::checks(&context),
        relays::checks(&context, &relays),
        web::checks(&context),
    );
    let dmarc_checks =
        dmarc::checks(&context, dmarc_record, &dkim_outputs, spf_output.as_ref()).await;
    let mut checks = Vec::new();
    checks.extend(spf_checks);
    checks.extend(dkim::checks(&context, &dkim_outputs, &dkim_records));
    checks.extend(dmarc_checks);
    checks.extend(mx_checks);
    checks.extend(unsubscribe::checks(&context, &dkim_outputs));
    checks.extend(relays::summarise(&relays));
    checks.extend(relay_checks);
    checks.extend(site_checks);
    let bulk_sender = summary::requirements(&checks);
    Ok(Report {
        domain: context.domain.clone(),
        resolver: dns.server.clone(),
        probe_issue: probe.issue.clone(),
        checks,
        bulk_sender,
    })
}
