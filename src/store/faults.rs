//! Failures injected in tests, through the one place every durable write and
//! fsync of verdict goes: `VERDICT_FAULTS=write:ledger,fsync:suppressed.csv@2`
//! fails the first write to a file whose path contains `ledger` and the second
//! fsync of one whose path contains `suppressed.csv`. Read only by debug
//! builds (the test binary); release builds never fail on purpose.

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// The environment variable the faults are read from.
pub const ENV: &str = "VERDICT_FAULTS";

#[cfg(debug_assertions)]
mod armed {
    use std::sync::Mutex;

    /// One planned failure: the operation, a part of the path, and how
    /// many matching operations pass before it fails.
    pub(super) struct Fault {
        pub op: String,
        pub path_part: String,
        pub passes_left: u32,
    }

    pub(super) static PLAN: Mutex<Option<Vec<Fault>>> = Mutex::new(None);

    fn parse(text: &str) -> Vec<Fault> {
        text.split(',')
            .filter_map(|item| {
                let (op, rest) = item.trim().split_once(':')?;
                let (path_part, nth) = match rest.rsplit_once('@') {
                    Some((part, n)) => (part, n.parse().ok()?),
                    None => (rest, 1u32),
                };
                Some(Fault {
                    op: op.to_string(),
                    path_part: path_part.to_string(),
                    passes_left: nth.saturating_sub(1),
                })
            })
            .collect()
    }

    /// Whether this operation on this path is to fail now.
    pub(super) fn due(op: &str, path: &std::path::Path) -> bool {
        let mut plan = PLAN.lock().unwrap_or_else(|e| e.into_inner());
        let faults = plan.get_or_insert_with(|| {
            std::env::var(super::ENV)
                .map(|text| parse(&text))
                .unwrap_or_default()
        });
        let shown = path.to_string_lossy();
        for fault in faults.iter_mut() {
            if fault.op == op && shown.contains(&fault.path_part) {
                if fault.passes_left == 0 {
                    fault.passes_left = u32::MAX;
                    return true;
                }
                fault.passes_left = fault.passes_left.saturating_sub(1);
            }
        }
        false
    }

    /// Adds to the plan (unit tests, in process).
    #[cfg(test)]
    pub(super) fn add(text: &str) {
        let mut plan = PLAN.lock().unwrap_or_else(|e| e.into_inner());
        plan.get_or_insert_with(Vec::new).extend(parse(text));
    }
}

#[cfg(debug_assertions)]
fn due(op: &str, path: &Path) -> bool {
    armed::due(op, path)
}

#[cfg(not(debug_assertions))]
fn due(_op: &str, _path: &Path) -> bool {
    false
}

/// Plans failures for this process, in the syntax of [`ENV`] (unit tests).
#[cfg(all(test, debug_assertions))]
pub fn plan(text: &str) {
    armed::add(text);
}

/// The error a full disk gives a write (ENOSPC), and one for the rest (an
/// fsync fails with EIO, which has no kind of its own).
fn injected(what: &str) -> std::io::Error {
    let kind = if what == "write" {
        std::io::ErrorKind::StorageFull
    } else {
        std::io::ErrorKind::Other
    };
    std::io::Error::new(kind, format!("injected {what} failure ({ENV})"))
}

/// Writes all of `bytes`, or, when a write failure is due, half of them
/// and then fails, as a full disk does.
pub fn write(path: &Path, file: &mut File, bytes: &[u8]) -> std::io::Result<()> {
    if due("write", path) {
        file.write_all(&bytes[..bytes.len() / 2])?;
        return Err(injected("write"));
    }
    file.write_all(bytes)
}

/// Makes a file's data durable, unless an fsync failure is due.
pub fn fsync(path: &Path, file: &File) -> std::io::Result<()> {
    if due("fsync", path) {
        return Err(injected("fsync"));
    }
    file.sync_data()
}

/// Fails when a failure of `op` is due for `path` (atomic rewrites).
pub fn check(op: &str, path: &Path) -> std::io::Result<()> {
    if due(op, path) {
        return Err(injected(op));
    }
    Ok(())
}
