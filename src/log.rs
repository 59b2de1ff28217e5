//! Debug logging to stderr, on with `--verbose` or `VERDICT_LOG=debug`. It logs
//! where secrets come from, never what they are.

use std::sync::atomic::{AtomicBool, Ordering};

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Turns debug lines on.
pub fn enable() {
    VERBOSE.store(true, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// Writes a `debug:` line when debug logging is on.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::enabled() {
            $crate::warn_line!("debug: {}", format_args!($($arg)*));
        }
    };
}

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes a line to standard output. When the reader has gone away
/// (`verdict status --failed | head -1`), the rest is dropped quietly instead of
/// ending the command with a panic.
pub fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if let Err(error) = writeln!(std::io::stdout().lock(), "{line}")
        && error.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes bytes to standard output, as [`say`] does lines.
pub fn say_bytes(bytes: &[u8]) {
    use std::io::Write;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if let Err(error) = std::io::stdout().lock().write_all(bytes)
        && error.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes to standard error. A closed standard error (`verdict check 2>&1 |
/// true`) drops the text instead of ending the command with a panic.
pub fn to_stderr(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_fmt(text);
}

/// Prints a line on standard error, quietly dropped once the reader is gone.
#[macro_export]
macro_rules! warn_line {
    ($($arg:tt)*) => {
        $crate::log::to_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints a line on standard output, quietly dropped once the reader is gone.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::log::say(format_args!($($arg)*))
    };
}
