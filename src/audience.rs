//! Who gets an issue: every subscriber on the list when it started sending,
//! minus the suppression list, each address once, minus those already done.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::ledger::{Index, Outcome, address_key};
use crate::subscribers::{
    LIST_FILE, ListReader, SUPPRESSED_FILE, Subscriber, is_sorted, suppression,
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
    pub already_sent: u64,
    /// Failed or bounced earlier and not being retried.
    pub failed_before: u64,
    pub suppressed: u64,
    /// Joined after the issue started sending: they get the next one.
    pub joined_later: u64,
    pub duplicates: u64,
    pub invalid_rows: u64,
}

/// The hashed suppressed addresses (8 bytes each, whatever the address length).
pub fn suppressed_keys(root: &Path) -> Result<HashSet<u64>> {
    let addresses = suppression::addresses(&root.join(SUPPRESSED_FILE))?;
    Ok(addresses.iter().map(|a| address_key(a)).collect())
}

/// Streams the list and calls `each` for every recipient still to be sent.
/// `cutoff` is when the issue started sending (`None`: it has not started).
pub fn walk(
    root: &Path,
    index: &Index,
    suppressed: &HashSet<u64>,
    cutoff: Option<DateTime<Utc>>,
    retry: &RetryFailed,
    mut each: impl FnMut(Subscriber),
) -> Result<Tally> {
    let mut tally = Tally::default();
    let list = root.join(LIST_FILE);
    // verdict keeps the list sorted, so a duplicate follows its twin and memory
    // stays flat whatever the list's length; a list edited out of order falls
    // back to remembering every address seen (8 bytes each).
    let mut seen = (!is_sorted(&list)?).then(HashSet::<u64>::new);
    let mut previous = String::new();
    let Some(rows) = ListReader::open(&list)? else {
        return Ok(tally);
    };
    for row in rows {
        let Ok(subscriber) = row else {
            tally.invalid_rows += 1;
            continue;
        };
        let key = address_key(&subscriber.email);
        let duplicate = match &mut seen {
            Some(seen) => !seen.insert(key),
            None => {
                let repeated = subscriber.email == previous;
                previous.clone_from(&subscriber.email);
                repeated
            }
        };
        if duplicate {
            tally.duplicates += 1;
        } else if suppressed.contains(&key) {
            tally.suppressed += 1;
        } else if cutoff.is_some_and(|at| subscriber.subscribed_at > at) {
            tally.joined_later += 1;
        } else {
            match index.outcomes.get(&key) {
                Some(Outcome::Delivered) => tally.already_sent += 1,
                Some(Outcome::Failed | Outcome::Bounced) if !retry.retries(&subscriber.email) => {
                    tally.failed_before += 1
                }
                _ => {
                    tally.to_send += 1;
                    each(subscriber);
                }
            }
        }
    }
    Ok(tally)
}
