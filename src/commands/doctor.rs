//! `verdict doctor`: will the newsletter reach the inbox? The checks live in
//! `send::doctor`; this prints them, as lines or JSON, and sets the exit code.

use std::net::SocketAddr;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::Layout;
use crate::send::doctor::{self, Group, Options, Report, Status};

/// Check the DNS and the relays a newsletter depends on: SPF for the relays,
/// the DKIM records against the configured keys, DMARC and alignment, MX,
/// List-Unsubscribe, and (with --online) the relays and the site themselves.
/// Exit 0 when nothing fails, 1 when a check fails, 2 when the configuration
/// is invalid.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The DNS server to ask (default: the system's resolver).
    #[arg(long, value_name = "IP:PORT")]
    pub resolver: Option<SocketAddr>,
    /// Also open a session with each relay (nothing is sent) and fetch the
    /// unsubscribe endpoint and the site over https.
    #[arg(long)]
    pub online: bool,
    /// Print the report as JSON (for CI).
    #[arg(long)]
    pub json: bool,
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Seconds each lookup or connection step may take.
    #[arg(long, default_value_t = 2, value_name = "SECONDS")]
    pub timeout: u64,
}

pub(crate) fn execute(layout: &Layout, args: Args) -> Result<()> {
    let project = Project::load(layout)?;
    if !(1..=60).contains(&args.timeout) {
        return Err(Error::usage("--timeout must be from 1 to 60 seconds"));
    }
    let options = Options {
        resolver: args.resolver,
        online: args.online,
        deadline: Duration::from_secs(args.timeout),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::failed)?;
    let report = runtime
        .block_on(doctor::examine(&project, &options))
        .map_err(|error| match error {
            doctor::DoctorError::Config(report) => Error::invalid(*report),
            other => Error::failed(other),
        })?;
    if args.json {
        let json = serde_json::to_string_pretty(&report).map_err(Error::failed)?;
        crate::say!("{json}");
    } else {
        print(&report);
    }
    let failed = report.count(Status::Fail);
    let warned = report.count(Status::Warn);
    if failed > 0 {
        return Err(Error::failed(format!(
            "{failed} check(s) failed; each says what fixes it"
        )));
    }
    if args.strict && warned > 0 {
        return Err(Error::failed(format!(
            "{warned} warning(s), and --strict fails on warnings"
        )));
    }
    Ok(())
}

fn print(report: &Report) {
    let mut line = format!(
        "verdict doctor: {} via DNS server {}",
        report.domain, report.resolver
    );
    match &report.probe_issue {
        Some(issue) => line.push_str(&format!(", messages as composed for {issue}")),
        None => line.push_str(", no issue to compose from: a sign-up email stands in"),
    }
    crate::say!("{line}");
    let mut group: Option<Group> = None;
    for check in &report.checks {
        if group != Some(check.group) {
            crate::say!("");
            crate::say!("{}", check.group.title());
            group = Some(check.group);
        }
        crate::say!("  {:<4}  {}", check.status.label(), check.detail);
        if let Some(fix) = &check.fix {
            crate::say!("        fix: {fix}");
        }
    }
    crate::say!("");
    let met = report
        .bulk_sender
        .iter()
        .filter(|r| r.met == Some(true))
        .count();
    let checked = report
        .bulk_sender
        .iter()
        .filter(|r| r.met.is_some())
        .count();
    crate::say!(
        "Gmail and Yahoo bulk sender requirements: {met} of {checked} checked met{}",
        if checked < report.bulk_sender.len() {
            " (run with --online for the rest)"
        } else {
            ""
        }
    );
    for requirement in &report.bulk_sender {
        let mark = match requirement.met {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "not checked",
        };
        crate::say!("  {mark:<11}  {}", requirement.requirement);
    }
    crate::say!("");
    crate::say!(
        "{} passed, {} warning(s), {} failed",
        report.count(Status::Pass),
        report.count(Status::Warn),
        report.count(Status::Fail)
    );
}
