//! Both lists as a long-running service keeps them: the hashed addresses in
//! memory, caught up with what others appended by reading only the new end of
//! each file (a replaced file is read anew), so that no request reads a whole
//! list. Rows are read by the same parsers as every other reader of the lists.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use super::{ListError, Reason, Subscriber, Suppression, rows};
use crate::project::layout::{LIST_FILE, Layout};
use crate::send::ledger::address_key;
use crate::store::fs::FsError;

/// Which list a followed file is, and so how its rows read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Subscribers,
    /// A `resubscribed` row lifts the rows before it.
    Suppressions,
}

/// How many bytes before the read position are remembered, to notice a file
/// replaced by another that reuses the first one's inode.
const WITNESS: u64 = 64;

/// The hashed addresses of one list file and how much of it they cover.
#[derive(Debug)]
struct Followed {
    path: PathBuf,
    kind: Kind,
    keys: HashSet<u64>,
    /// Suppressed as bounced or complained: never mailed, not even to confirm.
    hard: HashSet<u64>,
    /// Bytes read: complete rows only.
    read_to: u64,
    /// The file's identity (device, inode, birth time where known).
    identity: Option<(u64, u64, Option<std::time::SystemTime>)>,
    /// The last bytes read, which must still be there for the file to be the same.
    witness: Vec<u8>,
    /// Whether the header row was read, and the columns it names.
    header_seen: bool,
    columns: Option<super::Columns>,
}

impl Followed {
    fn new(path: PathBuf, kind: Kind) -> Followed {
        Followed {
            path,
            kind,
            keys: HashSet::new(),
            hard: HashSet::new(),
            read_to: 0,
            identity: None,
            witness: Vec::new(),
            header_seen: false,
            columns: None,
        }
    }

    fn reset(&mut self) {
        self.keys.clear();
        self.hard.clear();
        self.read_to = 0;
        self.witness.clear();
        self.header_seen = false;
        self.columns = None;
    }

    /// Reads what was appended since the last look. Rows that do not read are
    /// skipped here: `verdict check` reports them, and the service keeps going.
    fn catch_up(&mut self) -> Result<(), ListError> {
        let path = self.path.clone();
        let fail = |e| FsError::new("cannot read", &path, e);
        let Some(snapshot) = super::snapshot(&path)? else {
            self.reset();
            self.identity = None;
            return Ok(());
        };
        let mut file = snapshot.file;
        let meta = file.metadata().map_err(fail)?;
        #[cfg(unix)]
        let identity = {
            use std::os::unix::fs::MetadataExt;
            Some((meta.dev(), meta.ino(), meta.created().ok()))
        };
        #[cfg(not(unix))]
        let identity = None;
        let same_file = identity == self.identity
            && snapshot.len >= self.read_to
            && self.witness_holds(&mut file).map_err(fail)?;
        if !same_file {
            self.reset();
            self.identity = identity;
        }
        if snapshot.len == self.read_to {
            return Ok(());
        }
        file.seek(SeekFrom::Start(self.read_to)).map_err(fail)?;
        let mut tail = Vec::new();
        (&file)
            .take(snapshot.len - self.read_to)
            .read_to_end(&mut tail)
            .map_err(fail)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(tail.as_slice());
        for record in reader.records().flatten() {
            self.apply(&record);
        }
        self.read_to = snapshot.len;
        self.witness = self.read_witness(&mut file).map_err(fail)?;
        Ok(())
    }

    fn read_witness(&self, file: &mut std::fs::File) -> std::io::Result<Vec<u8>> {
        let start = self.read_to.saturating_sub(WITNESS);
        file.seek(SeekFrom::Start(start))?;
        let mut bytes = vec![0u8; (self.read_to - start) as usize];
        file.read_exact(&mut bytes)?;
        Ok(bytes)
    }

    fn witness_holds(&self, file: &mut std::fs::File) -> std::io::Result<bool> {
        if self.read_to == 0 {
            return Ok(true);
        }
        Ok(self.read_witness(file)? == self.witness)
    }

    fn apply(&mut self, record: &csv::StringRecord) {
        if record.iter().all(|f| f.trim().is_empty()) {
            return;
        }
        if !self.header_seen {
            self.header_seen = true;
            self.columns = super::Columns::from_header(record);
            return;
        }
        match self.kind {
            Kind::Subscribers => {
                if let Some(columns) = self.columns
                    && let Ok(subscriber) = rows::subscriber(record, columns)
                {
                    self.keys.insert(address_key(&subscriber.email));
                }
            }
            Kind::Suppressions => {
                if let Ok(entry) = rows::suppression(record) {
                    let key = address_key(&entry.email);
                    match entry.reason {
                        Reason::Resubscribed | Reason::Unsuppressed => {
                            self.keys.remove(&key);
                            self.hard.remove(&key);
                        }
                        Reason::Bounced | Reason::Complained => {
                            self.keys.insert(key);
                            self.hard.insert(key);
                        }
                        Reason::Unsubscribed => {
                            self.keys.insert(key);
                            self.hard.remove(&key);
                        }
                    }
                }
            }
        }
    }

    fn contains(&mut self, email: &str) -> Result<bool, ListError> {
        self.catch_up()?;
        Ok(self.keys.contains(&address_key(email)))
    }
}

/// Both followed files, under one mutex: every path takes the subscribers
/// file lock (when it takes it) before this one, so no two threads can wait
/// on each other.
struct Both {
    subscribers: Followed,
    suppressed: Followed,
}

/// Both lists of a project, followed. Every change goes through the
/// subscribers lock, as every other writer's does.
pub struct Lists {
    layout: Layout,
    both: Mutex<Both>,
}

/// Where an address stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub subscribed: bool,
    pub suppressed: bool,
    /// Suppressed as bounced or complained: no email at all, not even a
    /// confirmation a stranger asked for.
    pub blocked: bool,
}

impl Lists {
    pub fn load(layout: &Layout) -> Result<Lists, ListError> {
        let lists = Lists {
            layout: layout.clone(),
            both: Mutex::new(Both {
                subscribers: Followed::new(layout.list(), Kind::Subscribers),
                suppressed: Followed::new(layout.suppressed(), Kind::Suppressions),
            }),
        };
        {
            let mut both = lists.both();
            both.subscribers.catch_up()?;
            both.suppressed.catch_up()?;
        }
        Ok(lists)
    }

    fn both(&self) -> MutexGuard<'_, Both> {
        self.both.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether an address is on the list and whether it is suppressed, now.
    pub fn standing(&self, email: &str) -> Result<Standing, ListError> {
        let mut both = self.both();
        let subscribed = both.subscribers.contains(email)?;
        let suppressed = both.suppressed.contains(email)?;
        let blocked = both.suppressed.hard.contains(&address_key(email));
        Ok(Standing {
            subscribed,
            suppressed,
            blocked,
        })
    }

    /// Records a suppression unless the address is suppressed already. Returns
    /// whether it was new. Blocking.
    pub fn suppress(&self, entry: Suppression) -> Result<bool, ListError> {
        let _lock = super::lock(&self.layout)?;
        let mut both = self.both();
        if both.suppressed.contains(&entry.email)? {
            return Ok(false);
        }
        super::append_suppressions(&self.layout.suppressed(), std::slice::from_ref(&entry))?;
        both.suppressed.catch_up()?;
        Ok(true)
    }

    /// A confirmed sign-up: lifts a suppression (its history stays) and adds
    /// the reader to the list unless they are on it. Returns whether the
    /// reader was added. Blocking.
    pub fn subscribe(&self, subscriber: Subscriber) -> Result<bool, ListError> {
        let _lock = super::lock(&self.layout)?;
        let mut both = self.both();
        if both.suppressed.contains(&subscriber.email)? {
            let lift =
                Suppression::now(&subscriber.email, Reason::Resubscribed, "confirmed sign-up");
            super::append_suppressions(&self.layout.suppressed(), &[lift])?;
            both.suppressed.catch_up()?;
        }
        if both.subscribers.contains(&subscriber.email)? {
            return Ok(false);
        }
        super::append_subscriber(&self.layout.list(), LIST_FILE, &subscriber)?;
        both.subscribers.catch_up()?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        super::super::append_suppressions(
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
        let history = std::fs::read_to_string(layout.suppressed())
            .unwrap()
            .replace('"', "");
        assert!(
            history.contains("back@example.com,unsubscribed")
                && history.contains("back@example.com,resubscribed")
        );
        let list = super::super::read_all(&layout.list(), "s.csv").unwrap();
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

    #[test]
    fn lookups_racing_confirmations_and_unsubscribes_never_deadlock() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        std::fs::create_dir_all(layout.subscribers_dir()).unwrap();
        std::fs::write(layout.list(), "email,name,subscribed_at,consent\n").unwrap();
        std::fs::write(
            layout.suppressed(),
            "email,reason,at,detail\nback@example.com,unsubscribed,,\n",
        )
        .unwrap();
        let lists = std::sync::Arc::new(Lists::load(&layout).unwrap());
        // Detached workers and a bounded wait: a deadlock fails the test
        // instead of hanging the suite.
        let (done, finished) = std::sync::mpsc::channel();
        for worker in 0..4 {
            let lists = lists.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                for i in 0..500 {
                    let email = format!("r{worker}-{i}@example.com");
                    match i % 3 {
                        0 => {
                            lists.standing(&email).unwrap();
                        }
                        1 => {
                            lists
                                .subscribe(Subscriber {
                                    email,
                                    name: None,
                                    subscribed_at: None,
                                    consent: Some("test".into()),
                                })
                                .unwrap();
                        }
                        _ => {
                            lists
                                .suppress(Suppression::now(&email, Reason::Unsubscribed, ""))
                                .unwrap();
                        }
                    }
                    lists.standing("back@example.com").unwrap();
                }
                let _ = done.send(worker);
            });
        }
        drop(done);
        for _ in 0..4 {
            finished
                .recv_timeout(std::time::Duration::from_secs(120))
                .expect("every worker finishes: none failed, none deadlocked");
        }
        let standing = lists.standing("r3-499@example.com").unwrap();
        assert!(standing.subscribed, "{standing:?}");
        assert_eq!(
            super::super::read_all(&layout.list(), "s.csv")
                .unwrap()
                .len(),
            4 * 167
        );
    }

    #[test]
    fn a_file_replaced_under_a_reused_inode_is_read_anew() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        std::fs::create_dir_all(layout.subscribers_dir()).unwrap();
        std::fs::write(
            layout.suppressed(),
            "email,reason,at,detail\nfirst@example.com,unsubscribed,,\nsecond@example.com,unsubscribed,,\n",
        )
        .unwrap();
        let lists = Lists::load(&layout).unwrap();
        assert!(lists.standing("second@example.com").unwrap().suppressed);
        // Rewritten in place (same inode), longer, with other rows: resuming at
        // the old offset would start mid-line.
        std::fs::write(
            layout.suppressed(),
            "email,reason,at,detail\nanother.address@example.com,unsubscribed,,\nthird@example.com,bounced,,\n",
        )
        .unwrap();
        let standing = |email| lists.standing(email).unwrap().suppressed;
        assert!(standing("another.address@example.com"));
        assert!(standing("third@example.com"));
        assert!(!standing("first@example.com"));
        assert!(!standing("second@example.com"));
    }
}
