//! The one way verdict appends to a durable file: records of one line each,
//! written and fsynced together (a batch costs one fsync), with the folder
//! synced when the file is created. One policy for a crash mid-append, for every
//! log and list: a record is complete when its newline is on disk; bytes after
//! the last newline are a torn record that readers never see and the next writer
//! cuts (a list typed by people may say that a last row without its newline is
//! complete: see [`Tail`]). A failed write or fsync takes the file back to its
//! length before the batch, so a failure never leaves half a record behind.
//!
//! Every write and fsync goes through `store::faults`, the seam through which
//! tests make them fail.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::store::faults;
use crate::store::fs::FsError;

/// What to do with bytes after the last newline.
#[derive(Clone, Copy)]
pub enum Tail {
    /// Always a torn record (logs only verdict writes).
    Torn,
    /// A complete record when the check says so, given the file's first line
    /// (a list's header) and the tail; torn otherwise.
    CompleteWhen(fn(header: &[u8], tail: &[u8]) -> bool),
}

/// How one kind of log is created and read.
#[derive(Clone, Copy)]
pub struct Kind {
    /// The mode of a new file.
    pub mode: u32,
    /// Whether the folder is private (0700, under `state/`).
    pub private_dir: bool,
    /// The first line of a new file (a CSV header), without its newline.
    pub header: Option<&'static str>,
    pub tail: Tail,
}

impl Kind {
    /// JSON lines under `state/`: private, headerless, torn tails cut.
    pub const PRIVATE_LOG: Kind = Kind {
        mode: 0o600,
        private_dir: true,
        header: None,
        tail: Tail::Torn,
    };
}

/// A log open for appending.
pub struct AppendLog {
    file: File,
    path: PathBuf,
    /// The length of the file up to the last committed record.
    len: u64,
    buffer: Vec<u8>,
}

impl AppendLog {
    /// Opens a log for appending (creating it, with its header, if needed),
    /// first cutting a torn last record, or ending a complete one typed without
    /// its newline, so that new records start on a line of their own.
    pub fn open(path: &Path, kind: Kind) -> Result<AppendLog, FsError> {
        AppendLog::open_keeping(path, kind, None)
    }

    /// Like [`open`](AppendLog::open), keeping only the first `keep` bytes when
    /// given: a reader that found the end of the file damaged says where the
    /// good records end.
    pub fn open_keeping(path: &Path, kind: Kind, keep: Option<u64>) -> Result<AppendLog, FsError> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if kind.private_dir {
            crate::store::fs::create_private_dir(dir)?;
        } else {
            crate::store::fs::create_dir_all(dir)?;
        }
        let created = !path.exists();
        let file = crate::store::fs::open_append(path, kind.mode)?;
        let fail = |e| FsError::new("cannot repair", path, e);
        let mut len = file.metadata().map_err(fail)?.len();
        let mut log = AppendLog {
            file,
            path: path.to_path_buf(),
            len,
            buffer: Vec::new(),
        };
        let whole = match keep {
            Some(keep) => keep.min(len),
            None => complete_len(&log.file, len, kind.tail).map_err(fail)?,
        };
        if whole < len {
            if matches!(kind.tail, Tail::CompleteWhen(_)) {
                let (_, torn) = last_line(&log.file, len).map_err(fail)?;
                tracing::warn!(
                    "{}: cut a last row torn by a crash (no line end, a quoted field left open): {}",
                    path.display(),
                    String::from_utf8_lossy(&torn).escape_debug()
                );
            }
            log.file.set_len(whole).map_err(fail)?;
            len = whole;
        } else if len > 0 && last_byte(&log.file, len).map_err(fail)? != Some(b'\n') {
            // A complete row typed without its newline: end it.
            log.buffer.push(b'\n');
        }
        log.len = len;
        if len == 0
            && let Some(header) = kind.header
        {
            log.push(header.as_bytes());
        }
        log.commit()?;
        if created {
            crate::store::fs::sync_dir_of(path)?;
        }
        Ok(log)
    }

    /// Queues one record (one line; the newline is added) for the next commit.
    pub fn push(&mut self, record: &[u8]) {
        self.buffer.extend_from_slice(record);
        self.buffer.push(b'\n');
    }

    /// Queues one record as a line of JSON.
    pub fn push_json(&mut self, record: &impl serde::Serialize) -> Result<(), FsError> {
        let mut line = serde_json::to_vec(record)
            .map_err(|e| FsError::new("cannot encode a record for", &self.path, e.into()))?;
        line.push(b'\n');
        self.buffer.append(&mut line);
        Ok(())
    }

    /// Whether records wait for a commit.
    pub fn has_pending(&self) -> bool {
        !self.buffer.is_empty()
    }

    /// Writes the queued records and fsyncs them. Nothing counts as written
    /// before this returns; on failure the file goes back to where it was, and
    /// the records stay queued.
    pub fn commit(&mut self) -> Result<(), FsError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let written = faults::write(&self.path, &mut self.file, &self.buffer)
            .and_then(|()| faults::fsync(&self.path, &self.file));
        match written {
            Ok(()) => {
                self.len += self.buffer.len() as u64;
                self.buffer.clear();
                Ok(())
            }
            Err(error) => {
                // A short write leaves part of a record: take it back.
                let _ = self.file.set_len(self.len);
                Err(FsError::new("cannot write", &self.path, error))
            }
        }
    }

    /// Opens, appends `records` and commits, in one call.
    pub fn append(
        path: &Path,
        kind: Kind,
        records: impl IntoIterator<Item = Vec<u8>>,
    ) -> Result<(), FsError> {
        let mut log = AppendLog::open(path, kind)?;
        for record in records {
            log.push(&record);
        }
        log.commit()
    }
}

/// The length of the complete records of a file of `len` bytes.
fn complete_len(file: &File, len: u64, tail: Tail) -> std::io::Result<u64> {
    if len == 0 || last_byte(file, len)? == Some(b'\n') {
        return Ok(len);
    }
    let (start, bytes) = last_line(file, len)?;
    let complete = match tail {
        Tail::Torn => false,
        Tail::CompleteWhen(check) => check(&first_line(file)?, &bytes),
    };
    Ok(if complete { len } else { start })
}

fn last_byte(file: &File, len: u64) -> std::io::Result<Option<u8>> {
    if len == 0 {
        return Ok(None);
    }
    let mut byte = [0u8];
    let mut reader = file.try_clone()?;
    reader.seek(SeekFrom::Start(len - 1))?;
    reader.read_exact(&mut byte)?;
    Ok(Some(byte[0]))
}

/// Where the last line of a file of `len` bytes starts, and its bytes.
fn last_line(file: &File, len: u64) -> std::io::Result<(u64, Vec<u8>)> {
    let mut reader = file.try_clone()?;
    let mut end = len;
    let mut line = Vec::new();
    // Read backwards in blocks until a newline or the start.
    loop {
        let start = end.saturating_sub(64 * 1024);
        reader.seek(SeekFrom::Start(start))?;
        let mut block = vec![0u8; (end - start) as usize];
        reader.read_exact(&mut block)?;
        if let Some(i) = block.iter().rposition(|b| *b == b'\n') {
            block.drain(..=i);
            block.append(&mut line);
            return Ok((start + i as u64 + 1, block));
        }
        block.append(&mut line);
        line = block;
        if start == 0 {
            return Ok((0, line));
        }
        end = start;
    }
}

fn first_line(file: &File) -> std::io::Result<Vec<u8>> {
    let mut reader = file.try_clone()?;
    reader.seek(SeekFrom::Start(0))?;
    let mut line = Vec::new();
    BufReader::new(reader.take(64 * 1024)).read_until(b'\n', &mut line)?;
    Ok(line)
}

/// A log opened for reading: the file and the length of its complete records,
/// so that a reader never sees half a record, even one being appended now.
pub struct Snapshot {
    pub file: File,
    pub len: u64,
}

impl Snapshot {
    /// Opens a log for reading; `None` when it does not exist.
    pub fn open(path: &Path, tail: Tail) -> Result<Option<Snapshot>, FsError> {
        let fail = |e| FsError::new("cannot read", path, e);
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail(e)),
        };
        let len = file.metadata().map_err(fail)?.len();
        let len = complete_len(&file, len, tail).map_err(fail)?;
        Ok(Some(Snapshot { file, len }))
    }

    /// The complete records, from the start, buffered.
    pub fn reader(&self) -> std::io::Result<BufReader<std::io::Take<File>>> {
        let mut file = self.file.try_clone()?;
        file.seek(SeekFrom::Start(0))?;
        Ok(BufReader::with_capacity(256 * 1024, file.take(self.len)))
    }
}

/// One complete record of a log.
#[derive(Debug)]
pub struct Line<'a> {
    /// From 1.
    pub number: u64,
    /// Where the line starts, in bytes.
    pub start: u64,
    /// Without its newline.
    pub bytes: &'a [u8],
}

/// Calls `each` for every complete record of the log at `path` (none if it
/// does not exist), stopping at the first error `each` returns.
pub fn for_each_line<E: From<FsError>>(
    path: &Path,
    mut each: impl FnMut(Line<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let Some(snapshot) = Snapshot::open(path, Tail::Torn)? else {
        return Ok(());
    };
    let fail = |e| FsError::new("cannot read", path, e);
    let mut reader = snapshot.reader().map_err(fail)?;
    let mut line = Vec::new();
    let (mut number, mut start) = (0u64, 0u64);
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(fail)?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        let bytes = line.strip_suffix(b"\n").unwrap_or(&line);
        each(Line {
            number,
            start,
            bytes,
        })?;
        start += n as u64;
    }
}

/// Reads a log of JSON lines, calling `each` for every record that parses;
/// returns how many complete lines did not (a damaged or foreign line).
pub fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    mut each: impl FnMut(T),
) -> Result<usize, FsError> {
    let mut unreadable = 0;
    for_each_line::<FsError>(path, |line| {
        match serde_json::from_slice::<T>(line.bytes) {
            Ok(record) => each(record),
            Err(_) if line.bytes.trim_ascii().is_empty() => {}
            Err(_) => unreadable += 1,
        }
        Ok(())
    })?;
    Ok(unreadable)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const CSV: Kind = Kind {
        mode: 0o644,
        private_dir: false,
        header: Some("email,name"),
        tail: Tail::CompleteWhen(|header, tail| {
            header.iter().filter(|b| **b == b',').count()
                == tail.iter().filter(|b| **b == b',').count()
        }),
    };

    fn lines(path: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for_each_line::<FsError>(path, |line| {
            out.push(String::from_utf8_lossy(line.bytes).into_owned());
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn records_append_with_a_header_once_and_a_torn_tail_is_never_read_and_then_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/list.csv");
        AppendLog::append(&path, CSV, [b"a@example.com,A".to_vec()]).unwrap();
        AppendLog::append(&path, CSV, [b"b@example.com,B".to_vec()]).unwrap();
        assert_eq!(
            lines(&path),
            ["email,name", "a@example.com,A", "b@example.com,B"]
        );
        // A crash tore the next append after the address.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"x@exa").unwrap();
        assert_eq!(lines(&path).len(), 3, "readers never see half a row");
        AppendLog::append(&path, CSV, [b"c@example.com,C".to_vec()]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "email,name\na@example.com,A\nb@example.com,B\nc@example.com,C\n"
        );
    }

    #[test]
    fn a_complete_row_typed_without_its_newline_is_read_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.csv");
        std::fs::write(&path, "email,name\nhand@example.com,Typed").unwrap();
        let snapshot = Snapshot::open(&path, CSV.tail).unwrap().unwrap();
        assert_eq!(snapshot.len, std::fs::metadata(&path).unwrap().len());
        AppendLog::append(&path, CSV, [b"c@example.com,C".to_vec()]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "email,name\nhand@example.com,Typed\nc@example.com,C\n"
        );
    }

    #[test]
    fn a_failed_write_or_fsync_leaves_the_file_as_it_was_and_the_records_queued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faulty-write.log");
        let mut log = AppendLog::open(&path, Kind::PRIVATE_LOG).unwrap();
        log.push(b"{\"n\":1}");
        log.commit().unwrap();
        faults::plan("write:faulty-write.log,fsync:faulty-write.log");
        log.push(b"{\"n\":2}");
        assert!(log.commit().is_err(), "the write fails");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":1}\n");
        assert!(log.commit().is_err(), "then the fsync fails");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":1}\n");
        assert!(log.has_pending());
        log.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"n\":1}\n{\"n\":2}\n"
        );
    }

    #[test]
    fn json_lines_that_do_not_parse_are_counted_not_returned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("votes.log");
        std::fs::write(&path, "{\"n\":1}\ngarbage\n\n{\"n\":2}\n{\"n\":").unwrap();
        let mut seen = Vec::new();
        let bad =
            read_json::<serde_json::Value>(&path, |v| seen.push(v["n"].as_u64().unwrap())).unwrap();
        assert_eq!((seen, bad), (vec![1, 2], 1));
    }
}
