//! The one error type at the seams, and the exit code each kind maps to.

use std::fmt;

use crate::diagnostic::FileDiagnostics;
use crate::fs::FsError;

/// Process exit codes, documented in README.md.
pub mod exit {
    /// Everything asked for was done.
    pub const OK: i32 = 0;
    /// The tool could not run: unreadable files, unusable transport, a bug.
    pub const FAILURE: i32 = 1;
    /// An editor's file or a command line is invalid; nothing was sent or changed.
    pub const INVALID_INPUT: i32 = 2;
    /// The run finished but some recipients failed or were deferred to a later run.
    pub const DELIVERY_FAILURES: i32 = 3;
    /// Another `verdict send` holds the project's lock.
    pub const LOCKED: i32 = 4;
}

/// Why a command did not finish as asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Problems in an editor's files, with locations.
    #[error("{}", render_reports(.0))]
    Invalid(Vec<FileDiagnostics>),
    /// Invalid input with no file location (a command-line value, an unknown issue).
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Fs(#[from] FsError),
    /// Some recipients were not delivered this run; the ledger says who.
    #[error("{0}")]
    Delivery(String),
    /// Another send holds the lock.
    #[error("{0}")]
    Locked(String),
    /// Anything else that stops the run.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    pub fn invalid(report: FileDiagnostics) -> Self {
        Error::Invalid(vec![report])
    }

    pub fn failed(message: impl fmt::Display) -> Self {
        Error::Failed(message.to_string())
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::Usage(_) => exit::INVALID_INPUT,
            Error::Fs(_) | Error::Failed(_) => exit::FAILURE,
            Error::Delivery(_) => exit::DELIVERY_FAILURES,
            Error::Locked(_) => exit::LOCKED,
        }
    }
}

fn render_reports(reports: &[FileDiagnostics]) -> String {
    let mut out = String::new();
    for report in reports {
        out.push_str(&report.render(false));
    }
    out.trim_end().to_string()
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
