//! The one error type at the seams between the commands and the library, and
//! the exit code each kind maps to; module errors convert into it here.

use std::fmt;

use crate::diagnostic::{FileDiagnostics, LoadError};
use crate::store::fs::FsError;

/// Process exit codes, documented in README.md.
pub mod exit {
    /// Everything asked for was done.
    pub const OK: i32 = 0;
    /// The tool could not run: unreadable files, an unusable relay, a bug.
    pub const FAILURE: i32 = 1;
    /// An editor's file or a command line is invalid; nothing was sent or changed.
    pub const INVALID_INPUT: i32 = 2;
    /// The run finished but some recipients failed or were deferred to a later run.
    pub const DELIVERY_FAILURES: i32 = 3;
    /// Another `verdict send` holds the project's lock.
    pub const LOCKED: i32 = 4;
    /// No relay made progress for `stall_secs` (all sick or silent); the rest
    /// is left to the next run.
    pub const STALLED: i32 = 5;
    /// Stopped by SIGINT (128 + 2), after finishing the messages in flight.
    pub const INTERRUPTED: i32 = 130;
    /// Stopped by SIGTERM (128 + 15), after finishing the messages in flight.
    pub const TERMINATED: i32 = 143;
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
    /// The run made no progress for too long and stopped.
    #[error("{0}")]
    Stalled(String),
    /// Stopped by a signal, with the exit code to use.
    #[error("{message}")]
    Interrupted { message: String, code: i32 },
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

    pub fn usage(message: impl fmt::Display) -> Self {
        Error::Usage(message.to_string())
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::Usage(_) => exit::INVALID_INPUT,
            Error::Fs(_) | Error::Failed(_) => exit::FAILURE,
            Error::Delivery(_) => exit::DELIVERY_FAILURES,
            Error::Locked(_) => exit::LOCKED,
            Error::Stalled(_) => exit::STALLED,
            Error::Interrupted { code, .. } => *code,
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

impl From<FileDiagnostics> for Error {
    fn from(report: FileDiagnostics) -> Self {
        Error::invalid(report)
    }
}

impl From<LoadError> for Error {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::Read(e) => Error::Fs(e),
            LoadError::Invalid(report) => Error::invalid(*report),
        }
    }
}

impl From<crate::project::ProjectError> for Error {
    fn from(error: crate::project::ProjectError) -> Self {
        use crate::project::ProjectError;
        match error {
            ProjectError::Load(e) => e.into(),
            other => Error::usage(other),
        }
    }
}

impl From<crate::store::lists::ListError> for Error {
    fn from(error: crate::store::lists::ListError) -> Self {
        use crate::store::lists::ListError;
        match error {
            ListError::Fs(e) => Error::Fs(e),
            ListError::Invalid(report) => Error::invalid(*report),
        }
    }
}

impl From<crate::mail_in::BounceError> for Error {
    fn from(error: crate::mail_in::BounceError) -> Self {
        use crate::mail_in::BounceError;
        match error {
            BounceError::Fs(e) => Error::Fs(e),
            BounceError::List(e) => e.into(),
        }
    }
}

impl From<crate::send::relay_book::BookError> for Error {
    fn from(error: crate::send::relay_book::BookError) -> Self {
        use crate::send::relay_book::BookError;
        match error {
            BookError::Fs(e) => Error::Fs(e),
            damaged @ BookError::Damaged { .. } => Error::failed(damaged),
        }
    }
}

impl From<crate::web::clicks::ClicksError> for Error {
    fn from(error: crate::web::clicks::ClicksError) -> Self {
        use crate::web::clicks::ClicksError;
        match error {
            ClicksError::Fs(e) => Error::Fs(e),
            damaged @ ClicksError::Damaged { .. } => Error::failed(damaged),
        }
    }
}

impl From<crate::send::ledger::LedgerError> for Error {
    fn from(error: crate::send::ledger::LedgerError) -> Self {
        Error::failed(error)
    }
}

impl From<crate::send::ledger::LockError> for Error {
    fn from(error: crate::send::ledger::LockError) -> Self {
        use crate::send::ledger::LockError;
        match error {
            LockError::Held { .. } => Error::Locked(error.to_string()),
            LockError::Fs(e) => Error::Fs(e),
        }
    }
}

impl From<crate::send::transport::OpenError> for Error {
    fn from(error: crate::send::transport::OpenError) -> Self {
        use crate::send::transport::OpenError;
        match error {
            OpenError::PasswordFile(e) => Error::Fs(e),
            OpenError::Tls { .. } => Error::failed(error),
            other => Error::usage(other),
        }
    }
}

impl From<crate::store::tokens::KeyError> for Error {
    fn from(error: crate::store::tokens::KeyError) -> Self {
        use crate::store::tokens::KeyError;
        match error {
            KeyError::Fs(e) => Error::Fs(e),
            KeyError::Invalid { .. } => Error::usage(error),
        }
    }
}

impl From<crate::send::message::ComposeError> for Error {
    fn from(error: crate::send::message::ComposeError) -> Self {
        Error::failed(error)
    }
}

impl From<crate::send::dispatch::DispatchError> for Error {
    fn from(error: crate::send::dispatch::DispatchError) -> Self {
        use crate::send::dispatch::DispatchError;
        match error {
            DispatchError::List(e) => e.into(),
            DispatchError::Fs(e) => Error::Fs(e),
            other => Error::failed(other),
        }
    }
}

impl From<crate::store::lists::AddressError> for Error {
    fn from(error: crate::store::lists::AddressError) -> Self {
        Error::usage(error)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
