//! The suppression list as the running service keeps it: the hashed addresses
//! in memory, caught up with what others appended by reading only the new end
//! of the file, so that an unsubscribe never reads the whole list.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Mutex;

use crate::layout::Layout;
use crate::ledger::address_key;
use crate::subscribers::{self, ListError, Suppression};

/// The hashed suppressed addresses and how much of the file they cover.
#[derive(Default)]
struct Index {
    keys: HashSet<u64>,
    /// Bytes of the file read, up to the end of its last complete line.
    read_to: u64,
    /// The file's identity (device, inode): a replaced file is read anew.
    identity: Option<(u64, u64)>,
}

/// The suppression list of a project, indexed.
pub struct Suppressions {
    layout: Layout,
    index: Mutex<Index>,
}

impl Suppressions {
    pub fn load(layout: &Layout) -> Result<Suppressions, ListError> {
        let suppressions = Suppressions {
            layout: layout.clone(),
            index: Mutex::new(Index::default()),
        };
        {
            let mut index = suppressions.index.lock().unwrap_or_else(|e| e.into_inner());
            suppressions.catch_up(&mut index)?;
        }
        Ok(suppressions)
    }

    /// Records an unsubscribe unless the address is suppressed already, under
    /// the subscribers lock. Returns whether it was new. Blocking.
    pub fn suppress(&self, entry: Suppression) -> Result<bool, ListError> {
        let _lock = subscribers::lock(&self.layout)?;
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        self.catch_up(&mut index)?;
        let key = address_key(&entry.email);
        if index.keys.contains(&key) {
            return Ok(false);
        }
        subscribers::append_suppressions(&self.layout.suppressed(), std::slice::from_ref(&entry))?;
        self.catch_up(&mut index)?;
        index.keys.insert(key);
        Ok(true)
    }

    /// Whether an address is suppressed, as of the file now.
    #[cfg(test)]
    pub fn contains(&self, email: &str) -> Result<bool, ListError> {
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        self.catch_up(&mut index)?;
        Ok(index.keys.contains(&address_key(email)))
    }

    /// Reads what was appended since the last look; a file that shrank or was
    /// replaced is read whole.
    fn catch_up(&self, index: &mut Index) -> Result<(), ListError> {
        let path = self.layout.suppressed();
        let fail = |e| crate::fs::FsError::new("cannot read", &path, e);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                *index = Index::default();
                return Ok(());
            }
            Err(e) => return Err(fail(e).into()),
        };
        let meta = file.metadata().map_err(fail)?;
        #[cfg(unix)]
        let identity = {
            use std::os::unix::fs::MetadataExt;
            Some((meta.dev(), meta.ino()))
        };
        #[cfg(not(unix))]
        let identity = None;
        if identity != index.identity || meta.len() < index.read_to {
            // Read anew, and as leniently as appends: a row typed wrong by hand
            // is `verdict check`'s to report, not a reason to refuse unsubscribes.
            *index = Index {
                identity,
                ..Index::default()
            };
        }
        if meta.len() == index.read_to {
            return Ok(());
        }
        file.seek(SeekFrom::Start(index.read_to)).map_err(fail)?;
        let mut tail = Vec::new();
        file.take(meta.len() - index.read_to)
            .read_to_end(&mut tail)
            .map_err(fail)?;
        let complete = tail.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&tail[..complete]);
        for record in reader.records().flatten() {
            // The header and rows that are not addresses are skipped here;
            // `verdict check` reports bad rows.
            if let Some(email) = record
                .get(0)
                .and_then(|e| subscribers::normalize_address(e).ok())
            {
                index.keys.insert(address_key(&email));
            }
        }
        index.read_to += complete as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscribers::Reason;

    #[test]
    fn the_index_catches_up_with_appends_and_replacements_by_others() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        std::fs::create_dir_all(layout.subscribers_dir()).unwrap();
        std::fs::write(
            layout.suppressed(),
            "email,reason,at,detail\na@example.com,unsubscribed,,\n",
        )
        .unwrap();
        let index = Suppressions::load(&layout).unwrap();
        assert!(index.contains("a@example.com").unwrap());
        // Another process appends (a send's bounce), then the service is asked.
        subscribers::append_suppressions(
            &layout.suppressed(),
            &[Suppression::now("b@example.com", Reason::Bounced, "x")],
        )
        .unwrap();
        assert!(index.contains("b@example.com").unwrap());
        assert!(
            index
                .suppress(Suppression::now("c@example.com", Reason::Unsubscribed, "y"))
                .unwrap()
        );
        assert!(
            !index
                .suppress(Suppression::now("c@example.com", Reason::Unsubscribed, "y"))
                .unwrap()
        );
        // An editor rewrites the file by hand (a new inode).
        crate::fs::write_atomic(&layout.suppressed(), b"email\nd@example.com\n").unwrap();
        assert!(index.contains("d@example.com").unwrap());
        assert!(!index.contains("a@example.com").unwrap());
        let text = std::fs::read_to_string(layout.suppressed()).unwrap();
        assert_eq!(text.matches("c@example.com").count(), 0);
    }
}
