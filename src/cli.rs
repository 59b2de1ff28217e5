//! The command line: global options and one subcommand per file in `commands/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands;

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

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
