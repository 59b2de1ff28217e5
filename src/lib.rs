//! verdict runs a weekly email newsletter of side-by-side AI tool comparisons.
//!
//! The data flow, one module per stage:
//!
//! ```text
//! issues/*.toml ─ issue (parse with spans, check against the panel roster) ─ Issue
//!   ─ render (HTML with maud, text at 72 columns; once per issue, slots per reader)
//!   ─ message (bodies encoded once, a skeleton filled per reader, DKIM)
//!   ─ transport (outbox | SMTP, every step under a deadline; failures classified)
//!   ─ dispatch (relays, pooled, paced, retried) ─ ledger (append-only, fsync in
//!   batches) ─ status
//! subscribers/ ─ subscribers (normalise, read whole, located errors) ─ audience
//!   (minus suppression and those already done) ─ dispatch
//! ```
//!
//! `project` is the hub the commands borrow from: `layout` (every path), `config`
//! (verdict.toml, checked into types) and `templates` (theme, panel roster).
//! `diagnostic` renders located problems; `error` maps every failure to one exit
//! code (see [`error::exit`]) and is the only place that does.

pub mod author;
pub mod cli;
pub mod project;
pub mod send;
pub mod store;
pub mod web;

mod commands;
mod diagnostic;
mod error;
mod log;
mod mail_in;

pub use error::{Error, Result, exit};

use cli::{Cli, Command};

/// The environment variable that sets the time verdict takes as now (RFC 3339),
/// to rehearse a run on another day.
pub const NOW_ENV: &str = "VERDICT_NOW";

/// Now: the clock's, or `VERDICT_NOW`'s when set.
fn now() -> Result<chrono::DateTime<chrono::Utc>> {
    match std::env::var(NOW_ENV) {
        Ok(text) if !text.trim().is_empty() => chrono::DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| {
                Error::usage(format!(
                    "{NOW_ENV}={text} is not a time: {e}; expected RFC 3339 such as 2026-12-01T09:00:00Z"
                ))
            }),
        _ => Ok(chrono::Utc::now()),
    }
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    if cli.verbose || std::env::var("VERDICT_LOG").is_ok_and(|v| v.eq_ignore_ascii_case("debug")) {
        log::enable();
    }
    debug!(
        "verdict {} on project {}",
        env!("CARGO_PKG_VERSION"),
        cli.project.display()
    );
    let layout = project::layout::Layout::new(cli.project.clone());
    let now = now()?;
    match cli.command {
        Command::New(args) => commands::new::execute(&layout, args),
        Command::Archive(args) => commands::archive::execute(&layout, args, now),
        Command::Bounces(args) => commands::bounces::execute(&layout, args),
        Command::Check(args) => commands::check::execute(&layout, args, now),
        Command::Preview(args) => commands::preview::execute(&layout, args),
        Command::RotateSecret(args) => commands::rotate_secret::execute(&layout, args),
        Command::Send(args) => commands::send::execute(&layout, args, now),
        Command::Serve(args) => commands::serve::execute(&layout, args),
        Command::Status(args) => commands::status::execute(&layout, args, now),
        Command::Subscribers(args) => commands::subscribers::execute(&layout, args, now),
        Command::Votes(args) => commands::votes::execute(&layout, args),
        Command::Completions(args) => commands::completions::completions(args),
        Command::Man(args) => commands::completions::man(args),
    }
}
