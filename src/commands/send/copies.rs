//! Copies that record nothing and can act on nothing: test copies (`--to`) and
//! real readers' copies redirected to one address (`--redirect-to`), each with
//! a subject marker and links signed by a key of this run only.

use super::{Args, composer, runtime};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::send::audience::{Audience, Pick, RetryFailed, Selection};
use crate::send::ledger;
use crate::send::transport::{self, AnyTransport, Class, Transport};
use crate::store::tokens::Keys;

pub(super) fn send_test_copies(project: &Project, args: &Args) -> Result<()> {
    let [name] = args.issues.as_slice() else {
        return Err(Error::usage(
            "--to sends test copies of one issue: name it, e.g. verdict send ISSUE --to ADDR",
        ));
    };
    let addresses: Vec<String> = args
        .to
        .iter()
        .map(|a| crate::store::lists::normalize_address(a).map_err(Error::from))
        .collect::<Result<_>>()?;
    let issue = project.load_issue(&project.find_issue(name)?)?.issue;
    let (composer, _) = composer(project, &issue, &Keys::ephemeral())?;
    let composer = composer.for_test_copies();
    let runtime = runtime()?;
    runtime.block_on(async {
        let transport = open_transport(project, args, 1)?;
        let mut failed = Vec::new();
        // A relay that cannot be reached or refuses the sender is the tool not
        // running (exit 1), as in a real send; a refused address is a delivery failure.
        let mut relay_failed = false;
        for email in &addresses {
            let message = composer.compose_test_copy(email)?;
            match transport.send(&message).await {
                Ok(reply) => crate::say!(
                    "test copy of {} sent to {email} through {transport}: {}",
                    issue.id,
                    transport::escape_reply(&reply)
                ),
                Err(failure) => {
                    relay_failed |= matches!(failure.class, Class::Unreachable | Class::Unusable);
                    failed.push(format!("{email}: {failure}"));
                }
            }
        }
        transport.close().await;
        let message = format!("test copy not delivered to {}", failed.join("; "));
        match (failed.is_empty(), relay_failed) {
            (true, _) => Ok(()),
            (false, true) => Err(Error::Failed(message)),
            (false, false) => Err(Error::Delivery(message)),
        }
    })
}

/// The subject marker of a reader's copy redirected to the editor.
const REDIRECT_MARKER: &str = "[REDIRECTED]";

/// How many readers' copies `--redirect-to` delivers without `--limit`.
const REDIRECT_DEFAULT_LIMIT: u64 = 10;

pub(super) fn send_redirected(project: &Project, args: &Args, to: &str) -> Result<()> {
    let [name] = args.issues.as_slice() else {
        return Err(Error::usage(
            "--redirect-to sends copies of one issue: name it, e.g. verdict send ISSUE --redirect-to ADDR",
        ));
    };
    let to = crate::store::lists::normalize_address(to)?;
    let issue = project.load_issue(&project.find_issue(name)?)?.issue;
    let limit = args.limit.unwrap_or(REDIRECT_DEFAULT_LIMIT);
    let index = ledger::load(&project.layout.ledger(&issue.id))?;
    let selection = Selection {
        index: &index,
        cutoff: index.started,
        retry: &RetryFailed::No,
        give_up_before: None,
        window_closed: false,
    };
    let mut readers = Vec::new();
    Audience::open(&project.layout)?.walk(&selection, |pick| {
        if let Pick::Send(reader) = pick
            && (readers.len() as u64) < limit
        {
            readers.push(reader);
        }
    })?;
    if readers.is_empty() {
        crate::say!(
            "{}: no reader is still due to get it; nothing to redirect",
            issue.id
        );
        return Ok(());
    }
    let (composer, _) = composer(project, &issue, &Keys::ephemeral())?;
    let composer = composer.for_rehearsal(REDIRECT_MARKER);
    let runtime = runtime()?;
    runtime.block_on(async {
        let transport = open_transport(project, args, 1)?;
        let mut failed = Vec::new();
        for reader in &readers {
            let message = composer.compose_redirected(&reader.email, reader.name.as_deref(), &to)?;
            match transport.send(&message).await {
                Ok(reply) => crate::say!(
                    "{}: {}'s copy sent to {to} through {transport}: {}",
                    issue.id,
                    reader.email,
                    transport::escape_reply(&reply)
                ),
                Err(failure) => failed.push(format!("{}'s copy: {failure}", reader.email)),
            }
        }
        transport.close().await;
        crate::say!(
            "{}: {} of {} copies delivered to {to}; nothing recorded (their links are inert: signed with a key of this run only)",
            issue.id,
            readers.len() - failed.len(),
            readers.len()
        );
        if failed.is_empty() {
            Ok(())
        } else {
            Err(Error::Delivery(failed.join("; ")))
        }
    })
}

/// The transport of test and redirected copies: the forced one, else the first
/// `[[relay]]`, else the configured transport.
fn open_transport(project: &Project, args: &Args, pool: u32) -> Result<AnyTransport> {
    if transport::forced(args.transport.as_deref())?.is_none()
        && let Some(relay) = project.config.relays.first()
    {
        return Ok(transport::open_spec(
            &project.config,
            &project.layout,
            &relay.transport,
            relay.password_file.as_deref(),
            pool,
            args.dangerous_accept_invalid_certs,
        )?);
    }
    let (_, transport) = transport::open_for(
        &project.config,
        &project.layout,
        args.transport.as_deref(),
        pool,
        args.dangerous_accept_invalid_certs,
    )?;
    Ok(transport)
}
