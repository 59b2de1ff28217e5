//! `verdict completions` and `verdict man`: shell completions and manual pages,
//! generated from the same command-line definition as `--help`.

use std::path::PathBuf;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, Result};

/// Print shell completions: source them from your shell's startup file.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

/// Print the manual page, or write one per command into a folder.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write verdict.1 and verdict-COMMAND.1 here instead of printing verdict.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn completions(args: CompletionsArgs) -> Result<()> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "verdict", &mut script);
    crate::log::say_bytes(&script);
    Ok(())
}

pub fn man(args: ManArgs) -> Result<()> {
    let command = Cli::command();
    let Some(dir) = args.out else {
        let mut roff = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut roff)
            .map_err(Error::failed)?;
        crate::log::say_bytes(&roff);
        return Ok(());
    };
    let mut pages = vec![("verdict".to_string(), command.clone())];
    for sub in command.get_subcommands() {
        let name = format!("verdict-{}", sub.get_name());
        pages.push((
            name,
            sub.clone().bin_name(format!("verdict {}", sub.get_name())),
        ));
    }
    for (name, page) in pages {
        let mut roff = Vec::new();
        clap_mangen::Man::new(page)
            .title(name.clone())
            .render(&mut roff)
            .map_err(Error::failed)?;
        let path = dir.join(format!("{name}.1"));
        crate::store::fs::write_atomic(&path, &roff)?;
        crate::say!("{}", path.display());
    }
    Ok(())
}
