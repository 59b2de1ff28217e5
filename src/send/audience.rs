//! Who gets an issue: every subscriber on the list when it started sending,
//! minus the suppression list, each address once, minus those already done. The
//! lists are read whole and checked before anything is sent or recorded.

use std::collections::HashSet;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::project::layout::{LIST_FILE, Layout, SUPPRESSED_FILE};
use crate::send::ledger::{Index, Outcome, address_key};
use crate::store::append_log::Snapshot;
use crate::store::lists::{
    ListError, ListReader, RowProblem, Subscriber, read_suppressions, suppressed_now,
};

/// Which earlier permanent failures a run should try again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RetryFailed {
    #[default]
    No,
    All,
    /// Only these normalised addresses.
    Only(HashSet<String>),
}

impl RetryFailed {
    fn retries(&self, email: &str) -> bool {
        match self {
            RetryFailed::No => false,
            RetryFailed::All => true,
            RetryFailed::Only(set) => set.contains(email),
        }
    }
}

/// How the subscriber list splits for one issue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Still to be sent (or retried).
    pub to_send: u64,
    /// Of those, the readers a relay held in an earlier run.
    pub held: u64,
    /// Pending but given up on now (deferred too long, or the window closed).
    pub to_expire: u64,
    pub already_sent: u64,
    /// Failed, bounced or expired earlier and not being retried.
    pub failed_before: u64,
    /// Of those, the expired (one by one, or all untried when the window closed).
    pub expired: u64,
    pub suppressed: u64,
    /// Joined after the issue started sending: they get the next one.
    pub joined_later: u64,
    pub duplicates: u64,
}

/// What a walk asks of the caller for one subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    Send(Subscriber),
    /// Record as expired without sending, for this reason.
    Expire(Subscriber, &'static str),
}

/// Why a reader past the send window did not get it.
pub const WINDOW_CLOSED: &str = "the issue's send window (not_after) has closed";

/// Which readers are due, given what the ledger says.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    pub index: &'a Index,
    /// When the issue started sending (`None`: it has not started).
    pub cutoff: Option<DateTime<Utc>>,
    pub retry: &'a RetryFailed,
    /// Readers deferred before this are given up on.
    pub give_up_before: Option<DateTime<Utc>>,
    /// The send window has closed: everyone pending expires.
    pub window_closed: bool,
}

/// The list of one project, checked whole, ready to be walked any number of
/// times (each walk reads the same version of the file).
pub struct Audience {
    /// The list's complete rows when the audience was opened: rows appended
    /// later (sign-ups) wait for the next issue or run.
    list: Option<Snapshot>,
    path: PathBuf,
    suppressed: HashSet<u64>,
    /// Rows at the start in the order verdict writes them (sorted by address):
    /// duplicates among them are neighbours.
    sorted_rows: u64,
    /// The addresses after those rows (sign-ups appended since the list was
    /// last rewritten, or a list edited out of order): only these are kept in
    /// memory to find duplicates.
    tail: HashSet<u64>,
}

impl Audience {
    /// Reads the suppression list whole and checks every row of the list: a
    /// damaged file is a located error before anything is sent or recorded.
    pub fn open(layout: &Layout) -> Result<Audience, ListError> {
        let suppressed = suppressed_now(&read_suppressions(&layout.suppressed(), SUPPRESSED_FILE)?)
            .iter()
            .map(|email| address_key(email))
            .collect();
        let path = layout.list();
        let list = crate::store::lists::snapshot(&path)?;
        let mut audience = Audience {
            list,
            path,
            suppressed,
            sorted_rows: 0,
            tail: HashSet::new(),
        };
        let mut problems: Vec<RowProblem> = Vec::new();
        let mut previous = String::new();
        let mut sorted = true;
        let (mut sorted_rows, mut tail) = (0u64, HashSet::new());
        if let Some(rows) = audience.rows()? {
            for row in rows {
                match row {
                    Ok(subscriber) => {
                        sorted &= subscriber.email >= previous;
                        if sorted {
                            sorted_rows += 1;
                            previous = subscriber.email;
                        } else {
                            tail.insert(address_key(&subscriber.email));
                        }
                    }
                    Err(problem) if problems.len() < 100 => problems.push(problem),
                    Err(_) => {}
                }
            }
        }
        crate::store::lists::ListError::from_problems(&audience.path, LIST_FILE, &problems)?;
        audience.sorted_rows = sorted_rows;
        audience.tail = tail;
        Ok(audience)
    }

    /// Whether an address is on the suppression list.
    pub fn is_suppressed(&self, email: &str) -> bool {
        self.suppressed.contains(&address_key(email))
    }

    fn rows(&self) -> Result<Option<ListReader>, ListError> {
        let Some(snapshot) = &self.list else {
            return Ok(None);
        };
        ListReader::from_snapshot(snapshot, &self.path, LIST_FILE).map(Some)
    }

    /// Streams the list and calls `each` for every reader still due.
    pub fn walk(
        &self,
        selection: &Selection<'_>,
        mut each: impl FnMut(Pick),
    ) -> Result<Tally, ListError> {
        let mut tally = Tally::default();
        // In the sorted rows a duplicate follows its twin; after them, every
        // address seen is remembered (8 bytes each), and so are sorted ones that
        // come again in the tail.
        let mut previous = String::new();
        let mut row_number = 0u64;
        let mut seen_after = HashSet::<u64>::new();
        let Some(rows) = self.rows()? else {
            return Ok(tally);
        };
        for row in rows {
            // Rows were checked by `open`, and every walk reads the same
            // snapshot: appends after it are not read, replacements made a new file.
            let Ok(subscriber) = row else { continue };
            row_number += 1;
            let key = address_key(&subscriber.email);
            let duplicate = if row_number <= self.sorted_rows {
                let repeated = subscriber.email == previous;
                previous.clone_from(&subscriber.email);
                if !repeated && self.tail.contains(&key) {
                    seen_after.insert(key);
                }
                repeated
            } else {
                !seen_after.insert(key)
            };
            if duplicate {
                tally.duplicates += 1;
                continue;
            }
            if self.suppressed.contains(&key) {
                tally.suppressed += 1;
                continue;
            }
            let joined_later = matches!(
                (selection.cutoff, subscriber.subscribed_at),
                (Some(cutoff), Some(joined)) if joined > cutoff
            );
            if joined_later {
                tally.joined_later += 1;
                continue;
            }
            match selection.index.outcome_of(key).as_ref() {
                // Uncertain: possibly delivered, never sent again.
                Some(Outcome::Delivered | Outcome::Uncertain) => tally.already_sent += 1,
                Some(Outcome::Expired) => {
                    tally.failed_before += 1;
                    tally.expired += 1;
                }
                Some(Outcome::Failed | Outcome::Bounced)
                    if !selection.retry.retries(&subscriber.email) =>
                {
                    tally.failed_before += 1
                }
                pending => {
                    let stale = matches!(pending, Some(Outcome::Deferred | Outcome::Held))
                        && matches!(
                            (selection.give_up_before, selection.index.deferred_since.get(&key)),
                            (Some(limit), Some(since)) if *since < limit
                        );
                    if selection.window_closed {
                        tally.to_expire += 1;
                        each(Pick::Expire(subscriber, WINDOW_CLOSED));
                    } else if stale {
                        tally.to_expire += 1;
                        each(Pick::Expire(
                            subscriber,
                            "deferred or held for longer than give_up_after_hours",
                        ));
                    } else {
                        tally.to_send += 1;
                        if pending == Some(&Outcome::Held) {
                            tally.held += 1;
                        }
                        each(Pick::Send(subscriber));
                    }
                }
            }
        }
        Ok(tally)
    }
}
