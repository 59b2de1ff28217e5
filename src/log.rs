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
            eprintln!("debug: {}", format_args!($($arg)*));
        }
    };
}
