//! `verdict status`: every issue's state and counts; `--failed` lists who was not
//! delivered and the relay's reply.

use std::collections::HashMap;
use std::path::Path;

use chrono::Utc;

use crate::audience::{self, RetryFailed};
use crate::error::{Error, Result};
use crate::ledger::{self, Outcome, Record};
use crate::project::Project;

/// Show every issue: draft, scheduled, due, sending or sent, with counts.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Issues to show; all when none is given.
    pub issues: Vec<String>,
    /// List the recipients that failed or were deferred, with the relay's reply.
    #[arg(long)]
    pub failed: bool,
}

pub fn execute(root: &Path, args: Args) -> Result<()> {
    let project = Project::load(root)?;
    let paths = project.select_issues(&args.issues)?;
    if paths.is_empty() {
        println!("no issues yet: `verdict new TOOL-A TOOL-B` starts one");
        return Ok(());
    }
    let suppressed = audience::suppressed_keys(&project.root)?;
    let state = project.state_dir();
    let mut invalid = Vec::new();
    for path in paths {
        let issue = match project.load_issue(&path) {
            Ok(parsed) => parsed.issue,
            Err(Error::Invalid(mut reports)) => {
                println!(
                    "{}: invalid (see `verdict check`)",
                    project.display_path(&path)
                );
                invalid.append(&mut reports);
                continue;
            }
            Err(other) => return Err(other),
        };
        let index = ledger::load(&state, &issue.id)?;
        let tally = audience::walk(
            &project.root,
            &index,
            &suppressed,
            index.started,
            &RetryFailed::No,
            |_| {},
        )?;
        let state_label = match (issue.send_time(), index.started, index.complete) {
            (_, _, true) => "sent".to_string(),
            (_, Some(at), false) => {
                format!("sending (started {})", at.format("%Y-%m-%d %H:%M UTC"))
            }
            (None, None, _) => "draft".to_string(),
            (Some(at), None, _) if at > Utc::now() => format!("scheduled for {at}"),
            (Some(at), None, _) => format!("due since {at}"),
        };
        println!(
            "{}: {state_label}; delivered {}, failed {}, deferred {}, remaining {}",
            issue.id,
            index.count(Outcome::Delivered),
            index.count(Outcome::Failed) + index.count(Outcome::Bounced),
            index.count(Outcome::Deferred),
            tally.to_send,
        );
        if args.failed {
            print_failed(&state, &issue.id)?;
        }
    }
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(invalid))
    }
}

/// Every address whose last outcome is not a delivery, with its last reply.
fn print_failed(state: &Path, issue_id: &str) -> Result<()> {
    let mut last: HashMap<String, (Outcome, String, u32)> = HashMap::new();
    ledger::read(&ledger::path(state, issue_id), |record| {
        if let Record::Outcome {
            email,
            outcome,
            reply,
            attempts,
            ..
        } = record
        {
            last.insert(email, (outcome, reply, attempts));
        }
    })?;
    let mut failed: Vec<_> = last
        .into_iter()
        .filter(|(_, (o, _, _))| *o != Outcome::Delivered)
        .collect();
    failed.sort_by(|a, b| a.0.cmp(&b.0));
    for (email, (outcome, reply, attempts)) in failed {
        let outcome = format!("{outcome:?}").to_lowercase();
        println!("  {email}\t{outcome}\t{attempts} attempt(s)\t{reply}");
    }
    Ok(())
}
