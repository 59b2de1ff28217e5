//! verdict runs a weekly email newsletter of side-by-side AI tool comparisons.
//!
//! Four flows, a folder each, over one hub and the stores they share:
//!
//! ```text
//! author    issues/*.toml, tools/*.toml ─ author::issue (read with spans, checked
//!           against the panel and the tool profiles) ─ Issue ─ author::render
//!           (HTML with maud, text at 72 columns: once per issue, slots per reader)
//!
//! send      subscribers/ ─ store::lists ─ send::audience (minus the suppressed and
//!           those done) ─ send::message (a skeleton filled per reader, keyed
//!           Message-ID and return path, DKIM) ─ send::transport (outbox | SMTP)
//!           ─ send::dispatch (relays, caps, pacing, retries) ─ send::ledger
//!           (append-only, group commit) ─ status
//!
//! web       web::site (archive: pages, feed, cards into public/) and web::serve
//!           (one-click unsubscribe, sign-ups, votes, the site) ─ store::lists,
//!           web::votes
//!
//! mail_in   Maildir, mbox, .eml ─ mail_in (reports read, their proof checked)
//!           ─ store::lists (suppressions)
//! ```
//!
//! `project` is the hub the commands borrow from: `layout` (every path), `config`
//! (verdict.toml, checked into types), `templates` (theme, panel roster, sign-up
//! emails), `fields` (every key of every file, from which `reference` makes
//! README's tables and the JSON Schemas), `routes` (what `serve` answers) and
//! what is published. `store` holds what the flows share on disk and in keys:
//! `fs` (atomic writes), `append_log` (the one durable append, its torn-tail
//! policy, its `faults` seam), `lists`, `lock`, `tokens` (every keyed value).
//! `diagnostic` renders located problems; `error` maps every failure to one exit
//! code (see [`error::exit`]) and is the only place that does; `commands` has one
//! module per command, `cli` the command line.

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
    let verbose =
        cli.verbose || std::env::var("VERDICT_LOG").is_ok_and(|v| v.eq_ignore_ascii_case("debug"));
    // The service's lines carry their time; a command's are read as it runs.
    let timed = matches!(cli.command, Command::Serve(_));
    log::init(verbose, cli.log_format, timed);
    debug!(
        "verdict {} on project {}",
        env!("CARGO_PKG_VERSION"),
        cli.project.display()
    );
    let layout = project::layout::Layout::new(cli.project.clone());
    let now = now()?;
    match cli.command {
        Command::Init(args) => commands::init::execute(&layout, args, now.date_naive()),
        Command::New(args) => commands::new::execute(&layout, args),
        Command::Archive(args) => commands::archive::execute(&layout, args, now),
        Command::Bounces(args) => commands::bounces::execute(&layout, args),
        Command::Check(args) => commands::check::execute(&layout, args, now),
        Command::Dkim(args) => commands::dkim::execute(&layout, args),
        Command::Doctor(args) => commands::doctor::execute(&layout, args),
        Command::Preview(args) => commands::preview::execute(&layout, args),
        Command::RotateSecret(args) => commands::rotate_secret::execute(&layout, args),
        Command::Send(args) => commands::send::execute(&layout, args, now),
        Command::Serve(args) => commands::serve::execute(&layout, args),
        Command::Status(args) => commands::status::execute(&layout, args, now),
        Command::Subscribers(args) => commands::subscribers::execute(&layout, args, now),
        Command::Votes(args) => commands::votes::execute(&layout, args),
        Command::Completions(args) => commands::completions::completions(args),
        Command::Man(args) => commands::completions::man(args, cli::command()),
    }
}
