//! The subscriber list and the suppression list as the running service keeps
//! them: the hashed addresses in memory, caught up with what others appended by
//! reading only the new end of the file (a replaced file is read anew), so that
//! no request reads a whole list.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Mutex;

use crate::project::layout::{LIST_FILE, Layout};
use crate::send::ledger::address_key;
use crate::store::lists::{self, ListError, Subscriber, Suppression};

/// Which list a followed file is, and so how its rows read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// email in the column its header names.
    Subscribers,
    /// email first; a `resubscribed` reason lifts the rows before it.
    Suppressions,
}

/// The hashed addresses of one list file and how much of it they cover.
#[derive(Debug)]
struct Followed {
    path: PathBuf,
    kind: Kind,
    keys: HashSet<u64>,
    /// Bytes read, up to the end of the last complete line.
    read_to: u64,
    /// The file's identity (device, inode): a replaced file is read anew.
    identity: Option<(u64, u64)>,
    email_column: usize,
}

impl Followed {
    fn new(path: PathBuf, kind: Kind) -> Followed {
        Followed {
            path,
            kind,
            keys: HashSet::new(),
            read_to: 0,
            identity: None,
            email_column: 0,
        }
    }

    /// Reads what was appended since the last look. Rows that do not read are
    /// skipped here: `verdict check` reports them, and the service keeps going.
    fn catch_up(&mut self) -> Result<(), ListError> {
        let fail = |e| crate::store::fs::FsError::new("cannot read", &self.path, e);
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.keys.clear();
                self.read_to = 0;
                self.identity = None;
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
        if identity != self.identity || meta.len() < self.read_to {
            self.keys.clear();
            self.read_to = 0;
            self.identity = identity;
        }
        if meta.len() == self.read_to {
            return Ok(());
        }
        file.seek(SeekFrom::Start(self.read_to)).map_err(fail)?;
        let mut tail = Vec::new();
        file.take(meta.len() - self.read_to)
            .read_to_end(&mut tail)
            .map_err(fail)?;
        let complete = tail.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&tail[..complete]);
        let from_start = self.read_to == 0;
        for (i, record) in reader.records().flatten().enumerate() {
            if from_start && i == 0 {
                if self.kind == Kind::Subscribers {
                    self.email_column = record
                        .iter()
                        .position(|h| {
                            h.trim()
                                .trim_start_matches('\u{feff}')
                                .eq_ignore_ascii_case("email")
                        })
                        .unwrap_or(0);
                }
                continue;
            }
            self.apply(&record);
        }
        self.read_to += complete as u64;
        Ok(())
    }

    fn apply(&mut self, record: &csv::StringRecord) {
        let Some(email) = record
            .get(self.email_column)
            .and_then(|e| lists::normalize_address(e).ok())
        else {
            return;
        };
        let key = address_key(&email);
        let lifted = self.kind == Kind::Suppressions
            && record
                .get(1)
                .is_some_and(|r| r.trim().eq_ignore_ascii_case("resubscribed"));
        if lifted {
            self.keys.remove(&key);
        } else {
            self.keys.insert(key);
        }
    }

    fn contains(&mut self, email: &str) -> Result<bool, ListError> {
        self.catch_up()?;
        Ok(self.keys.contains(&address_key(email)))
    }
}

/// Both lists of a project, followed. Every change goes through the
/// subscribers lock, as every other writer's does.
pub struct Lists {
    layout: Layout,
    subscribers: Mutex<Followed>,
    suppressed: Mutex<Followed>,
}

/// Where an address stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub subscribed: bool,
    pub suppressed: bool,
}

impl Lists {
    pub fn load(layout: &Layout) -> Result<Lists, ListError> {
        let lists = Lists {
            layout: layout.clone(),
            subscribers: Mutex::new(Followed::new(layout.list(), Kind::Subscribers)),
            suppressed: Mutex::new(Followed::new(layout.suppressed(), Kind::Suppressions)),
        };
        lists.lock_subscribers().catch_up()?;
        lists.lock_suppressed().catch_up()?;
        Ok(lists)
    }

    fn lock_subscribers(&self) -> std::sync::MutexGuard<'_, Followed> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_suppressed(&self) -> std::sync::MutexGuard<'_, Followed> {
        self.suppressed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether an address is on the list and whether it is suppressed, now.
    pub fn standing(&self, email: &str) -> Result<Standing, ListError> {
        Ok(Standing {
            subscribed: self.lock_subscribers().contains(email)?,
            suppressed: self.lock_suppressed().contains(email)?,
        })
    }

    /// Records an unsubscribe unless the address is suppressed already. Returns
    /// whether it was new. Blocking.
    pub fn suppress(&self, entry: Suppression) -> Result<bool, ListError> {
        let _lock = lists::lock(&self.layout)?;
        let mut suppressed = self.lock_suppressed();
        if suppressed.contains(&entry.email)? {
            return Ok(false);
        }
        lists::append_suppressions(&self.layout.suppressed(), std::slice::from_ref(&entry))?;
        suppressed.catch_up()?;
        Ok(true)
    }

    /// A confirmed sign-up: lifts a suppression (its history stays) and adds
    /// the reader to the list unless they are on it. Returns whether the
    /// reader was added. Blocking.
    pub fn subscribe(&self, subscriber: Subscriber) -> Result<bool, ListError> {
        let _lock = lists::lock(&self.layout)?;
        let mut suppressed = self.lock_suppressed();
        if suppressed.contains(&subscriber.email)? {
            let lift = Suppression::now(
                &subscriber.email,
                lists::Reason::Resubscribed,
                "confirmed sign-up",
            );
            lists::append_suppressions(&self.layout.suppressed(), &[lift])?;
            suppressed.catch_up()?;
        }
        let mut list = self.lock_subscribers();
        if list.contains(&subscriber.email)? {
            return Ok(false);
        }
        lists::append_subscriber(&self.layout.list(), LIST_FILE, &subscriber)?;
        list.catch_up()?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::lists::Reason;

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
        let lists = Lists::load(&layout).unwrap();
        assert!(lists.standing("a@example.com").unwrap().suppressed);
        // Another process appends (a send's bounce), then the service is asked.
        lists::append_suppressions(
            &layout.suppressed(),
            &[Suppression::now("b@example.com", Reason::Bounced, "x")],
        )
        .unwrap();
        assert!(lists.standing("b@example.com").unwrap().suppressed);
        assert!(
            lists
                .suppress(Suppression::now("c@example.com", Reason::Unsubscribed, "y"))
                .unwrap()
        );
        assert!(
            !lists
                .suppress(Suppression::now("c@example.com", Reason::Unsubscribed, "y"))
                .unwrap()
        );
        // An editor rewrites the file by hand (a new inode).
        crate::store::fs::write_atomic(&layout.suppressed(), b"email\nd@example.com\n").unwrap();
        assert!(lists.standing("d@example.com").unwrap().suppressed);
        assert!(!lists.standing("a@example.com").unwrap().suppressed);
    }

    #[test]
    fn a_confirmed_sign_up_lifts_a_suppression_and_keeps_its_history() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        std::fs::create_dir_all(layout.subscribers_dir()).unwrap();
        std::fs::write(layout.list(), "email,name,subscribed_at\nz@example.com,,\n").unwrap();
        std::fs::write(
            layout.suppressed(),
            "email,reason,at,detail\nback@example.com,unsubscribed,,\n",
        )
        .unwrap();
        let lists = Lists::load(&layout).unwrap();
        let reader = Subscriber {
            email: "back@example.com".into(),
            name: Some("Back Again".into()),
            subscribed_at: Some(chrono::Utc::now()),
            consent: Some("double opt-in".into()),
        };
        assert!(lists.subscribe(reader.clone()).unwrap());
        assert!(!lists.subscribe(reader).unwrap(), "once");
        let standing = lists.standing("back@example.com").unwrap();
        assert!(standing.subscribed && !standing.suppressed);
        let history = std::fs::read_to_string(layout.suppressed()).unwrap();
        assert!(
            history.contains("back@example.com,unsubscribed")
                && history.contains("back@example.com,resubscribed")
        );
        let list = crate::store::lists::read_all(&layout.list(), "s.csv").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            list.iter()
                .find(|s| s.email == "back@example.com")
                .unwrap()
                .consent
                .as_deref(),
            Some("double opt-in")
        );
    }
}
