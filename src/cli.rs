//! The command line: global options and one subcommand per file in `commands/`.

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::commands;

pub use crate::commands::completions::{ENVIRONMENT, EXAMPLES, EXIT_STATUS};

/// verdict: write, check, preview and send a weekly newsletter of side-by-side AI
/// tool comparisons.
#[derive(Debug, Parser)]
#[command(name = "verdict", version, about, long_about = None)]
pub struct Cli {
    /// The newsletter project folder (the one holding verdict.toml).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub project: PathBuf,

    /// Print debug lines on stderr (also VERDICT_LOG=debug). Secrets never show.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// How diagnostics on stderr are written: lines for people, or one JSON
    /// object per line for journald or a log store.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "human",
        env = crate::log::FORMAT_ENV,
        value_name = "FORMAT"
    )]
    pub log_format: crate::log::LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(commands::init::Args),
    New(commands::new::Args),
    Archive(commands::archive::Args),
    Bounces(commands::bounces::Args),
    Check(commands::check::Args),
    Dkim(commands::dkim::Args),
    Doctor(commands::doctor::Args),
    Preview(commands::preview::Args),
    RotateSecret(commands::rotate_secret::Args),
    Send(commands::send::Args),
    Serve(commands::serve::Args),
    Status(commands::status::Args),
    Subscribers(commands::subscribers::Args),
    Votes(commands::votes::Args),
    Completions(commands::completions::CompletionsArgs),
    Man(commands::completions::ManArgs),
}

/// The command line as `--help`, the manual pages and the completions show it:
/// the derived definition with examples, routes, environment, exit codes and
/// issue-id completion added.
pub fn command() -> clap::Command {
    commands::completions::decorate(Cli::command())
}

/// Parses the process's arguments, or exits with clap's message (`--help` too).
pub fn parse() -> Cli {
    Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|error| error.exit())
}
