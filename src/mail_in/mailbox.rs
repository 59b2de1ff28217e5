//! Mail from where it was delivered: a Maildir (its `cur/` and `new/`), an
//! mbox file, a single `.eml` file, or a folder of `.eml` files. mail-parser
//! splits mailboxes; this module only says where each message came from.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use mail_parser::mailbox::{maildir, mbox};

use crate::store::fs::FsError;

/// One message and where it is, for notes: a file, or an mbox and line.
pub struct Mail {
    pub origin: String,
    pub bytes: Vec<u8>,
}

/// Calls `each` for every message under `path`; `shown` is how notes name it.
pub fn read(path: &Path, shown: &str, each: &mut dyn FnMut(Mail)) -> Result<(), FsError> {
    let metadata = std::fs::metadata(path).map_err(|e| FsError::new("cannot read", path, e))?;
    if !metadata.is_dir() {
        return read_file(path, shown, each);
    }
    if path.join("cur").is_dir() && path.join("new").is_dir() {
        let messages = maildir::MessageIterator::new(path)
            .map_err(|e| FsError::new("cannot read", path, e))?;
        let mut found: Vec<maildir::Message> = Vec::new();
        for message in messages {
            found.push(message.map_err(|e| FsError::new("cannot read", path, e))?);
        }
        // The order of a folder listing is arbitrary; notes and counts are not.
        found.sort_by(|a, b| a.path().cmp(b.path()));
        for message in found {
            let origin = format!(
                "{shown}/{}",
                message
                    .path()
                    .strip_prefix(path)
                    .unwrap_or(message.path())
                    .display()
            );
            each(Mail {
                origin,
                bytes: message.unwrap_contents(),
            });
        }
        return Ok(());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| FsError::new("cannot read", path, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        read_file(
            &file,
            &format!("{shown}/{}", name.unwrap_or_default()),
            each,
        )?;
    }
    Ok(())
}

/// An mbox when it starts with a `From ` line, else one message.
fn read_file(path: &Path, shown: &str, each: &mut dyn FnMut(Mail)) -> Result<(), FsError> {
    let fail = |e| FsError::new("cannot read", path, e);
    let file = std::fs::File::open(path).map_err(fail)?;
    let mut reader = BufReader::new(file);
    let is_mbox = reader.fill_buf().map_err(fail)?.starts_with(b"From ");
    if !is_mbox {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut bytes).map_err(fail)?;
        each(Mail {
            origin: shown.to_string(),
            bytes,
        });
        return Ok(());
    }
    // Each message's `From ` line: the line after the previous message's lines.
    let mut line = 1usize;
    for message in mbox::MessageIterator::new(reader) {
        let message = message.map_err(fail)?;
        let bytes = message.unwrap_contents();
        let origin = format!("{shown}:{line}");
        line += 1 + bytes.iter().filter(|&&b| b == b'\n').count();
        each(Mail { origin, bytes });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(path: &Path) -> Vec<(String, usize)> {
        let mut found = Vec::new();
        read(path, "box", &mut |mail| {
            found.push((mail.origin, mail.bytes.len()))
        })
        .unwrap();
        found
    }

    #[test]
    fn mbox_messages_are_located_by_the_line_of_their_from_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox");
        std::fs::write(
            &path,
            "From a@example.com Sat Nov 28 10:00:00 2026\nSubject: one\n\nbody\n>From quoted\n\nFrom b@example.com Sat Nov 28 10:01:00 2026\nSubject: two\n\nx\n",
        )
        .unwrap();
        let found = origins(&path);
        assert_eq!(
            found.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
            ["box:1", "box:7"]
        );
    }

    #[test]
    fn a_maildir_and_a_folder_of_eml_files_are_read_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.path().join("md").join(sub)).unwrap();
        }
        std::fs::write(dir.path().join("md/new/2.host"), "Subject: b\n\nb\n").unwrap();
        std::fs::write(dir.path().join("md/cur/1.host:2,S"), "Subject: a\n\na\n").unwrap();
        std::fs::write(dir.path().join("md/tmp/3.host"), "Subject: c\n\nc\n").unwrap();
        let found = origins(&dir.path().join("md"));
        assert_eq!(
            found.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
            ["box/cur/1.host:2,S", "box/new/2.host"]
        );
        std::fs::create_dir_all(dir.path().join("emls")).unwrap();
        std::fs::write(dir.path().join("emls/b.eml"), "Subject: b\n\nb\n").unwrap();
        std::fs::write(dir.path().join("emls/a.eml"), "Subject: a\n\na\n").unwrap();
        std::fs::write(dir.path().join("emls/.hidden"), "x").unwrap();
        let found = origins(&dir.path().join("emls"));
        assert_eq!(
            found.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
            ["box/a.eml", "box/b.eml"]
        );
        assert!(read(&dir.path().join("missing"), "missing", &mut |_| {}).is_err());
    }
}
