//! Mail from where it was delivered: a Maildir (its `cur/` and `new/`), an
//! mbox file, a single `.eml` file, or a folder of `.eml` files. mail-parser
//! splits mailboxes; this module only says where each message came from.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use mail_parser::mailbox::mbox;

use crate::store::fs::FsError;

/// One message and where it is, for notes: a file, or an mbox and line.
pub(super) struct Mail {
    pub origin: String,
    pub bytes: Vec<u8>,
}

/// Calls `each` for every message under `path`, one at a time; `shown` is how
/// notes name it. A message file that cannot be read, or a symlink (which may
/// lead anywhere), is noted in `notes` with its path and skipped: one bad file
/// never stops a mailbox. Only an unreadable `path` itself is an error.
pub(super) fn read(
    path: &Path,
    shown: &str,
    each: &mut dyn FnMut(Mail),
    notes: &mut Vec<String>,
) -> Result<(), FsError> {
    let metadata = std::fs::metadata(path).map_err(|e| FsError::new("cannot read", path, e))?;
    if !metadata.is_dir() {
        return read_file(path, shown, each);
    }
    let maildir = path.join("cur").is_dir() && path.join("new").is_dir();
    let folders = if maildir {
        vec![path.join("cur"), path.join("new")]
    } else {
        vec![path.to_path_buf()]
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for folder in folders {
        let entries =
            std::fs::read_dir(&folder).map_err(|e| FsError::new("cannot read", &folder, e))?;
        for entry in entries.flatten() {
            let file = entry.path();
            let hidden = file
                .file_name()
                .and_then(|n| n.to_str())
                .is_none_or(|n| n.starts_with('.'));
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                notes.push(format!(
                    "{}: a symbolic link, not followed (it may lead outside the mailbox)",
                    origin(shown, path, &file)
                ));
            } else if kind.is_file() && !hidden {
                files.push(file);
            }
        }
    }
    // The order of a folder listing is arbitrary; notes and counts are not.
    // Only the names are kept: messages are read one at a time.
    files.sort();
    for file in files {
        let shown_file = origin(shown, path, &file);
        if let Err(error) = read_file(&file, &shown_file, each) {
            notes.push(format!(
                "{shown_file}: cannot be read ({}), skipped",
                error.source
            ));
        }
    }
    Ok(())
}

/// How a notes names a file under a mailbox.
fn origin(shown: &str, root: &Path, file: &Path) -> String {
    format!(
        "{shown}/{}",
        file.strip_prefix(root).unwrap_or(file).display()
    )
}

/// An mbox when it starts with a `From ` line (after a byte-order mark, which
/// some tools write), else one message.
fn read_file(path: &Path, shown: &str, each: &mut dyn FnMut(Mail)) -> Result<(), FsError> {
    let fail = |e| FsError::new("cannot read", path, e);
    let file = std::fs::File::open(path).map_err(fail)?;
    let mut reader = BufReader::new(file);
    if reader
        .fill_buf()
        .map_err(fail)?
        .starts_with("\u{feff}".as_bytes())
    {
        reader.consume(3);
    }
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
        let mut notes = Vec::new();
        read(
            path,
            "box",
            &mut |mail| found.push((mail.origin, mail.bytes.len())),
            &mut notes,
        )
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
        assert!(
            read(
                &dir.path().join("missing"),
                "missing",
                &mut |_| {},
                &mut Vec::new()
            )
            .is_err()
        );
    }

    #[test]
    fn an_unreadable_file_or_a_symlink_is_noted_and_the_rest_is_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.path().join("md").join(sub)).unwrap();
        }
        std::fs::write(dir.path().join("md/cur/1.host"), "Subject: a\n\na\n").unwrap();
        std::fs::write(dir.path().join("md/cur/2.host"), "Subject: b\n\nb\n").unwrap();
        let locked = dir.path().join("md/cur/2.host");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        std::fs::write(dir.path().join("secret"), "Subject: s\n\nshadow\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), dir.path().join("md/new/3.host"))
            .unwrap();
        std::fs::write(
            dir.path().join("md/new/4.host"),
            "\u{feff}From x@example.com Sat Nov 28 10:00:00 2026\nSubject: d\n\nd\n",
        )
        .unwrap();
        let mut found = Vec::new();
        let mut notes = Vec::new();
        read(
            &dir.path().join("md"),
            "box",
            &mut |mail| found.push(mail.origin),
            &mut notes,
        )
        .unwrap();
        // Running as root, the unreadable file reads anyway; otherwise it is noted.
        let readable = std::fs::read(&locked).is_ok();
        let mut expected = vec!["box/cur/1.host".to_string()];
        if readable {
            expected.push("box/cur/2.host".into());
        } else {
            assert!(
                notes
                    .iter()
                    .any(|n| n.starts_with("box/cur/2.host: cannot be read")),
                "{notes:?}"
            );
        }
        expected.push("box/new/4.host:1".into());
        assert_eq!(
            found, expected,
            "the mbox after a BOM is one message, not garbage"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("box/new/3.host: a symbolic link, not followed")),
            "{notes:?}"
        );
    }
}
