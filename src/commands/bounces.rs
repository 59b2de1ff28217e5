//! `verdict bounces import`: read bounces, complaints and unsubscribe requests
//! that arrived by mail, and print what they came to per category.

use std::path::PathBuf;

use crate::error::Result;
use crate::mail_in::{self, Acted, Summary};
use crate::project::Project;
use crate::project::layout::Layout;
use crate::store::tokens::Keys;

/// Read bounces, complaints and unsubscribe requests that arrived by mail.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Read Maildirs, mbox files or .eml files (or folders of them): hard bounces
    /// and complaints with proof that they are about our email to a reader (our
    /// Message-ID, the reader's signed unsubscribe link quoted from the
    /// original, or a signed return path) suppress that reader; unsubscribe
    /// requests with a valid token unsubscribe; delays, policy refusals and
    /// auto-replies change nothing. Reports without proof are listed, not acted
    /// on. Reports already read are skipped.
    Import {
        /// Maildir folders, mbox files, .eml files or folders of .eml files.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also act on reports without proof, by the reader they name: only
        /// after reviewing them (anyone can write a bounce naming a reader).
        #[arg(long)]
        accept_unproven: bool,
    },
}

pub(crate) fn execute(layout: &Layout, args: Args) -> Result<()> {
    let project = Project::load(layout)?;
    let Action::Import {
        paths,
        dry_run,
        accept_unproven,
    } = args.action;
    let keys = Keys::load(layout)?;
    let sources: Vec<(PathBuf, String)> = paths
        .into_iter()
        .map(|p| {
            let shown = p.display().to_string();
            (p, shown)
        })
        .collect();
    let domain = project.config.sender_domain();
    let return_path = project
        .config
        .bounce_address
        .as_ref()
        .map(|a| a.to_string())
        .filter(|a| a.split('@').next().is_some_and(|l| l.contains('+')));
    let list_id = crate::send::message::list_id(&project.config);
    let label = list_id
        .rsplit_once('<')
        .map_or(list_id.as_str(), |(_, l)| l.trim_end_matches('>'));
    let summary = mail_in::import(
        layout,
        mail_in::Newsletter {
            domain: &domain,
            list_id: label,
            return_path: return_path.as_deref(),
        },
        &keys,
        &sources,
        mail_in::Options {
            dry_run,
            accept_unproven,
        },
    )?;
    for note in &summary.notes {
        tracing::info!("note: {note}");
    }
    print(&summary, sources.len(), dry_run);
    Ok(())
}

fn print(summary: &Summary, sources: usize, dry_run: bool) {
    let (suppressed, unsubscribed) = if dry_run {
        ("would suppress", "would unsubscribe")
    } else {
        ("suppressed", "unsubscribed")
    };
    crate::say!(
        "read {} message(s) from {sources} source(s){}",
        summary.messages,
        if dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    let acted = |label: &str, acted: &Acted, verb: &str| {
        if acted.found > 0 {
            crate::say!(
                "  {label}: {} ({verb}: {}, already suppressed: {})",
                acted.found,
                acted.suppressed,
                acted.already
            );
        }
    };
    acted(
        "hard bounces",
        &summary.hard_bounces,
        &format!("{suppressed} as bounced"),
    );
    acted(
        "complaints",
        &summary.complaints,
        &format!("{suppressed} as complained"),
    );
    acted("unsubscribe requests", &summary.unsubscribes, unsubscribed);
    let counted = [
        (
            summary.unsubscribes_without_token,
            "unsubscribe requests without a valid token (nothing changed)",
        ),
        (
            summary.other_failures,
            "permanent failures not about the mailbox: policy, content, quota (nothing changed)",
        ),
        (
            summary.delays,
            "delays and temporary failures (nothing changed)",
        ),
        (summary.delivered, "delivery notices (nothing changed)"),
        (
            summary.other_feedback,
            "other feedback reports (nothing changed)",
        ),
        (summary.auto_replies, "auto-replies (ignored)"),
        (summary.not_reports, "not reports (ignored)"),
        (
            summary.not_ours,
            "about mail this newsletter did not send or test copies (ignored)",
        ),
        (summary.unmatched, "not matched to a reader (see the notes)"),
        (
            summary.unproven,
            "without proof that they are about our email to the reader (nothing changed; see the notes)",
        ),
        (
            summary.accepted_unproven,
            "without proof, acted on as accepted (--accept-unproven)",
        ),
        (summary.malformed, "malformed (see the notes)"),
        (summary.already_read, "already read before (skipped)"),
    ];
    for (count, label) in counted {
        if count > 0 {
            crate::say!("  {label}: {count}");
        }
    }
}
