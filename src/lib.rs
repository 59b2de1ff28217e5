//! verdict runs a weekly email newsletter of side-by-side AI tool comparisons.
//!
//! The data flow, one module per stage:
//!
//! ```text
//! issues/*.toml ─ issue (parse with spans, check against the panel roster) ─ Issue
//!   ─ render (HTML with maud, text at 72 columns; once per issue, slots per reader)
//!   ─ message (headers, signed unsubscribe link, DKIM) ─ transport (outbox | SMTP)
//!   ─ outcome ─ ledger (append-only, fsync in batches) ─ status
//! subscribers/ ─ subscribers (normalise, dedupe) ─ audience (minus suppression and
//!   those already done) ─ dispatch (pooled, paced, retried)
//! ```
//!
//! `project` is the hub the commands borrow from: `config` (verdict.toml) and
//! `templates` (theme, panel roster). `diagnostic` renders located problems;
//! `error` maps every failure to one exit code (see [`error::exit`]).

pub mod audience;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnostic;
pub mod dispatch;
pub mod error;
pub mod fs;
pub mod issue;
pub mod ledger;
pub mod log;
pub mod markdown;
pub mod message;
pub mod project;
pub mod render;
pub mod serve;
pub mod subscribers;
pub mod table_reader;
pub mod templates;
pub mod transport;
pub mod unsubscribe;

pub use error::{Error, Result};

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
    match cli.command {
        Command::New(args) => commands::new::execute(&cli.project, args),
        Command::Check(args) => commands::check::execute(&cli.project, args),
        Command::Preview(args) => commands::preview::execute(&cli.project, args),
        Command::RotateSecret(args) => commands::rotate_secret::execute(&cli.project, args),
        Command::Send(args) => commands::send::execute(&cli.project, args),
        Command::Serve(args) => commands::serve::execute(&cli.project, args),
        Command::Status(args) => commands::status::execute(&cli.project, args),
        Command::Subscribers(args) => commands::subscribers::execute(&cli.project, args),
    }
}
