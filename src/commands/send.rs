//! `verdict send`: deliver every due issue (or those named) to everyone who has
//! not got it yet; a test copy with `--to`; a forecast with `--dry-run`.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::audience::{self, RetryFailed};
use crate::dispatch::{Options, ProgressStyle, Report, Run};
use crate::error::{Error, Result};
use crate::issue::{Issue, parse_file_name};
use crate::ledger::{self, SendLock};
use crate::message::{self, Composer};
use crate::project::Project;
use crate::render;
use crate::transport::{self, AnyTransport, Password, SmtpOptions, Transport};
use crate::unsubscribe::Signer;

/// Send every due issue, or the ones named. Safe to run from cron: it sends each
/// recipient an issue once, resumes after a crash, and exits 0 when nothing is due.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Issues to send (paths, file names or ids); all due issues when none is given.
    pub issues: Vec<String>,
    /// Send one test copy of the named issue to this address; nothing is recorded.
    #[arg(long, value_name = "ADDR")]
    pub to: Option<String>,
    /// Say what would be sent to how many recipients, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop after this many recipients (to warm up a new sending domain).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Retry recipients that failed permanently before: all, or the addresses given.
    #[arg(long, value_name = "ADDR", num_args = 0.., value_delimiter = ',')]
    pub retry_failed: Option<Vec<String>>,
    /// Send the named issues now even if their send_at is still ahead.
    #[arg(long)]
    pub now: bool,
    /// Where mail goes: outbox:DIR or an SMTP URL (overrides VERDICT_TRANSPORT and verdict.toml).
    #[arg(long, value_name = "TRANSPORT")]
    pub transport: Option<String>,
    /// SMTP connections in use at once (overrides verdict.toml).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,
    /// Messages per second, 0 for unpaced (overrides verdict.toml).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// Print nothing when there is nothing to send (for cron).
    #[arg(long)]
    pub quiet: bool,
    /// Accept any TLS certificate from the relay. Dangerous: only for a test relay.
    #[arg(long)]
    pub dangerous_accept_invalid_certs: bool,
}

/// An issue that may be sent this run.
struct Candidate {
    issue: Issue,
}

pub fn execute(root: &Path, args: Args) -> Result<()> {
    let project = Project::load(root)?;
    if let Some(rate) = args.rate
        && !(rate >= 0.0 && rate.is_finite())
    {
        return Err(Error::Usage(
            "--rate must be 0 (unpaced) or a positive number".into(),
        ));
    }
    if args.concurrency == Some(0) {
        return Err(Error::Usage("--concurrency must be at least 1".into()));
    }
    if let Some(address) = &args.to {
        return send_test_copy(&project, &args, address);
    }
    let retry_failed = match &args.retry_failed {
        None => RetryFailed::No,
        Some(list) if list.is_empty() => RetryFailed::All,
        Some(list) => RetryFailed::Only(
            list.iter()
                .map(|a| crate::subscribers::normalize_address(a).map_err(Error::Usage))
                .collect::<Result<_>>()?,
        ),
    };
    let (candidates, invalid) = due_issues(&project, &args, &retry_failed)?;
    let result = if candidates.is_empty() {
        if !args.quiet {
            println!("nothing to send");
        }
        Ok(())
    } else if args.dry_run {
        dry_run(&project, &candidates, &retry_failed)
    } else {
        send(&project, &args, candidates, retry_failed)
    };
    match (result, invalid.is_empty()) {
        (Err(error), _) => Err(error),
        (Ok(()), true) => Ok(()),
        (Ok(()), false) => Err(Error::Invalid(invalid)),
    }
}

/// The issues to send, and the reports of issue files that could not be read.
fn due_issues(
    project: &Project,
    args: &Args,
    retry_failed: &RetryFailed,
) -> Result<(Vec<Candidate>, Vec<crate::diagnostic::FileDiagnostics>)> {
    let named = !args.issues.is_empty();
    let now = Utc::now();
    let state = project.state_dir();
    let mut candidates = Vec::new();
    let mut invalid = Vec::new();
    for path in project.select_issues(&args.issues)? {
        let id = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| parse_file_name(n).ok())
            .map(|(id, _)| id);
        // A finished issue is skipped without reading it: a run with nothing to do
        // reads only issue names and ledger tails.
        if let Some(id) = &id
            && retry_failed == &RetryFailed::No
            && ledger::is_complete(&state, id)
        {
            if named && !args.quiet {
                println!("{id}: already sent to everyone");
            }
            continue;
        }
        let issue = match project.load_issue(&path) {
            Ok(parsed) => parsed.issue,
            Err(Error::Invalid(mut reports)) => {
                invalid.append(&mut reports);
                continue;
            }
            Err(other) => return Err(other),
        };
        match issue.send_time() {
            None if named => {
                return Err(Error::Usage(format!(
                    "{} is a draft: give it a send_at to send it, or send a test copy with --to",
                    issue.id
                )));
            }
            None => continue,
            Some(at) if at > now && !(named && args.now) => {
                if named {
                    return Err(Error::Usage(format!(
                        "{} is scheduled for {at}; add --now to send it now",
                        issue.id
                    )));
                }
                continue;
            }
            Some(_) => candidates.push(Candidate { issue }),
        }
    }
    Ok((candidates, invalid))
}

fn dry_run(project: &Project, candidates: &[Candidate], retry_failed: &RetryFailed) -> Result<()> {
    let suppressed = audience::suppressed_keys(&project.root)?;
    for candidate in candidates {
        let index = ledger::load(&project.state_dir(), &candidate.issue.id)?;
        let tally = audience::walk(
            &project.root,
            &index,
            &suppressed,
            index.started,
            retry_failed,
            |_| {},
        )?;
        println!(
            "{}: would send to {} recipient(s); {} already sent, {} failed before, {} suppressed, {} joined after sending started",
            candidate.issue.id,
            tally.to_send,
            tally.already_sent,
            tally.failed_before,
            tally.suppressed,
            tally.joined_later
        );
    }
    Ok(())
}

fn open_transport(project: &Project, args: &Args) -> Result<AnyTransport> {
    let from_config = project.config.transport.clone();
    let spec = match (&args.transport, std::env::var(transport::TRANSPORT_ENV)) {
        (Some(flag), _) => flag.clone(),
        (None, Ok(env)) if !env.trim().is_empty() => env,
        _ => {
            if url::Url::parse(&from_config).is_ok_and(|u| u.password().is_some()) {
                return Err(Error::Usage(format!(
                    "verdict.toml must not hold the SMTP password: remove it from `transport` and set {} instead",
                    transport::PASSWORD_ENV
                )));
            }
            from_config
        }
    };
    let password = match std::env::var(transport::PASSWORD_ENV) {
        Ok(password) if !password.is_empty() => {
            crate::debug!("SMTP password from {}", transport::PASSWORD_ENV);
            Some(Password(password))
        }
        _ => match &project.config.smtp_password_file {
            Some(file) => {
                let path = crate::fs::resolve(&project.root, file);
                crate::debug!("SMTP password from {}", path.display());
                let text = crate::fs::read_to_string(&path)?;
                Some(Password(text.trim_end_matches(['\r', '\n']).to_string()))
            }
            None => None,
        },
    };
    crate::debug!("transport {}", transport::redact(&spec));
    let sending = &project.config.sending;
    transport::open(
        &spec,
        &project.root,
        SmtpOptions {
            password,
            pool_size: args.concurrency.unwrap_or(sending.concurrency),
            timeout: Duration::from_secs(sending.timeout_secs.max(1)),
            dangerous_accept_invalid_certs: args.dangerous_accept_invalid_certs,
        },
    )
}

fn composer(project: &Project, issue: &Issue, signer: &Signer) -> Result<Composer> {
    let dkim = message::load_dkim(&project.root, &project.config, &project.config_source)
        .map_err(Error::invalid)?;
    let rendered = render::render(issue, project.context());
    Ok(Composer::new(&project.config, issue, rendered, signer.clone()).with_dkim(dkim))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::failed)
}

fn send(
    project: &Project,
    args: &Args,
    candidates: Vec<Candidate>,
    retry_failed: RetryFailed,
) -> Result<()> {
    let _lock = SendLock::acquire(&project.state_dir())?;
    let signer = Signer::load(&project.root)?;
    let sending = &project.config.sending;
    let options = Options {
        concurrency: args.concurrency.unwrap_or(sending.concurrency) as usize,
        rate: args.rate.unwrap_or(sending.rate),
        max_attempts: sending.max_attempts,
        retry_delay: Duration::from_millis(sending.retry_delay_ms),
        limit: args.limit,
        retry_failed,
        progress: if args.quiet {
            ProgressStyle::Quiet
        } else if std::io::stderr().is_terminal() {
            ProgressStyle::Bar
        } else {
            ProgressStyle::Lines
        },
    };
    let runtime = runtime()?;
    runtime.block_on(async {
        let transport = open_transport(project, args)?;
        if !args.quiet {
            println!("sending through {transport}");
        }
        let run = Run {
            root: project.root.clone(),
            state_dir: project.state_dir(),
            transport: Arc::new(transport),
            options,
        };
        let mut reports: Vec<Report> = Vec::new();
        for candidate in &candidates {
            let composer = Arc::new(composer(project, &candidate.issue, &signer)?);
            let report = run.send_issue(&candidate.issue.id, composer).await?;
            println!("{}", report.summary());
            reports.push(report);
        }
        let undelivered: u64 = reports.iter().map(Report::undelivered).sum();
        if undelivered > 0 {
            return Err(Error::Delivery(format!(
                "{undelivered} recipient(s) not delivered this run; `verdict status ISSUE --failed` lists them"
            )));
        }
        Ok(())
    })
}

fn send_test_copy(project: &Project, args: &Args, address: &str) -> Result<()> {
    let [name] = args.issues.as_slice() else {
        return Err(Error::Usage(
            "--to sends a test copy of one issue: name it, e.g. verdict send ISSUE --to ADDR"
                .into(),
        ));
    };
    let email = crate::subscribers::normalize_address(address).map_err(Error::Usage)?;
    let issue = project.load_issue(&project.find_issue(name)?)?.issue;
    let signer = Signer::load(&project.root)?;
    let composer = composer(project, &issue, &signer)?;
    let message = composer.compose_test_copy(&email).map_err(Error::failed)?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let transport = open_transport(project, args)?;
        match transport.send(&message).await {
            Ok(reply) => {
                println!(
                    "test copy of {} sent to {email} through {transport}: {reply}",
                    issue.id
                );
                Ok(())
            }
            Err(failure) => Err(Error::Delivery(format!(
                "test copy to {email} not delivered: {}",
                failure.reply()
            ))),
        }
    })
}
