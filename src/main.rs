//! The `verdict` binary: parse the command line, run it, map the result to an exit code.

// A closed standard error (`verdict check 2>&1 | true`) must not panic: writes
// to it ignore their result.
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use verdict::Error;

fn main() -> ExitCode {
    // Under a completion script (COMPLETE=shell), answer it and exit.
    clap_complete::CompleteEnv::with_factory(verdict::cli::command).complete();
    let cli = verdict::cli::parse();
    match verdict::run(cli) {
        Ok(()) => ExitCode::from(verdict::exit::OK as u8),
        Err(error) => {
            match &error {
                Error::Invalid(reports) => {
                    let styled = std::io::stderr().is_terminal();
                    for report in reports {
                        let _ = write!(std::io::stderr(), "{}", report.render(styled));
                    }
                }
                other => {
                    let _ = writeln!(std::io::stderr(), "error: {other}");
                }
            }
            ExitCode::from(error.exit_code() as u8)
        }
    }
}
