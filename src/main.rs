//! The `verdict` binary: parse the command line, run it, map the result to an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use verdict::Error;
use verdict::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match verdict::run(cli) {
        Ok(()) => ExitCode::from(verdict::exit::OK as u8),
        Err(error) => {
            match &error {
                Error::Invalid(reports) => {
                    let styled = std::io::stderr().is_terminal();
                    for report in reports {
                        eprint!("{}", report.render(styled));
                    }
                }
                other => eprintln!("error: {other}"),
            }
            ExitCode::from(error.exit_code() as u8)
        }
    }
}
