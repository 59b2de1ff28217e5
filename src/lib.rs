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

pub mod cli;
pub mod issue;
pub mod layout;
pub mod ledger;
pub mod message;
pub mod project;
pub mod render;
pub mod templates;
pub mod unsubscribe;

mod audience;
mod commands;
mod config;
mod diagnostic;
mod dispatch;
mod error;
mod fs;
mod log;
mod markdown;
mod pieces;
mod serve;
mod site;
mod subscribers;
mod table_reader;
mod text;
mod transport;
mod votes;

pub use error::{Error, Result, exit};

use cli::{Cli, Command};

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
    let layout = layout::Layout::new(cli.project.clone());
    let now = chrono::Utc::now();
    match cli.command {
        Command::New(args) => commands::new::execute(&layout, args),
        Command::Archive(args) => commands::archive::execute(&layout, args, now),
        Command::Check(args) => commands::check::execute(&layout, args, now),
        Command::Preview(args) => commands::preview::execute(&layout, args),
        Command::RotateSecret(args) => commands::rotate_secret::execute(&layout, args),
        Command::Send(args) => commands::send::execute(&layout, args, now),
        Command::Serve(args) => commands::serve::execute(&layout, args),
        Command::Status(args) => commands::status::execute(&layout, args, now),
        Command::Subscribers(args) => commands::subscribers::execute(&layout, args),
        Command::Votes(args) => commands::votes::execute(&layout, args),
        Command::Completions(args) => commands::completions::completions(args),
        Command::Man(args) => commands::completions::man(args),
    }
}
