//! What verdict says while it works. A command's result goes to standard
//! output (`say!`); its diagnostics (warnings, errors, notes, the service's
//! request lines, debug lines with `--verbose` or `VERDICT_LOG=debug`) go to
//! standard error through `tracing`, as human lines or, with `--log-format json`
//! or `VERDICT_LOG_FORMAT=json`, one JSON object per line for journald or a log
//! store. Neither ever holds a secret, a token or an address, and a reader that
//! went away (`verdict check 2>&1 | true`) ends nothing with a panic.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The environment variable that picks the format of the diagnostics.
pub(crate) const FORMAT_ENV: &str = "VERDICT_LOG_FORMAT";

/// How diagnostics are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// `warning: …` lines for people.
    #[default]
    Human,
    /// One JSON object per line, for journald or a log store.
    Json,
}

/// Installs the diagnostics writer for this process: debug lines when
/// `verbose`, a timestamp on every human line when `timed` (the service).
pub(crate) fn init(verbose: bool, format: LogFormat, timed: bool) {
    let level = if verbose { Level::DEBUG } else { Level::INFO };
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr);
    // A second init (tests that run commands in process) keeps the first.
    let _ = match format {
        LogFormat::Human => builder.event_format(Human { timed }).try_init(),
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
    };
}

/// The human form of a diagnostic: `[time] [level: ]span fields message fields`.
struct Human {
    timed: bool,
}

impl<S, N> FormatEvent<S, N> for Human
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if self.timed {
            write!(
                writer,
                "{} ",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
            )?;
        }
        match *event.metadata().level() {
            Level::ERROR => write!(writer, "error: ")?,
            Level::WARN => write!(writer, "warning: ")?,
            Level::DEBUG | Level::TRACE => write!(writer, "debug: ")?,
            Level::INFO => {}
        }
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "{fields} ")?;
                }
            }
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Writes a `debug:` line when debug logging is on.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        ::tracing::debug!($($arg)*)
    };
}

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes a line to standard output. When the reader has gone away
/// (`verdict status --failed | head -1`), the rest is dropped quietly instead of
/// ending the command with a panic.
pub(crate) fn say(line: fmt::Arguments<'_>) {
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
pub(crate) fn say_bytes(bytes: &[u8]) {
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

/// Writes text to standard error as it is (located problems, rendered); a
/// closed standard error drops it instead of ending the command with a panic.
pub(crate) fn to_stderr(text: fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_fmt(text);
}

/// Prints a line on standard output, quietly dropped once the reader is gone.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::log::say(format_args!($($arg)*))
    };
}
