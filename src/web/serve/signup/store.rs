//! The sign-ups waiting for their confirmation, kept in `state/signups.log`
//! (through the append log) and in memory: each request with its random id,
//! each confirmation, and the hours in which the cap of confirmation emails
//! was reached (for `verdict status`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::append_log::{self, AppendLog, Kind};
use crate::store::fs::FsError;

/// One line of `state/signups.log`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Record {
    Requested {
        id: String,
        email: String,
        #[serde(default)]
        name: Option<String>,
        at: DateTime<Utc>,
    },
    Confirmed {
        id: String,
        at: DateTime<Utc>,
    },
    /// The hourly cap of confirmation emails was reached.
    Capped {
        at: DateTime<Utc>,
    },
}

/// A sign-up waiting for its confirmation.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub email: String,
    /// The name the requester typed, shown on the confirmation page and kept
    /// only once confirmed.
    pub name: Option<String>,
    pub requested: DateTime<Utc>,
}

/// The pending sign-ups of a running service.
pub(super) struct Store {
    file: PathBuf,
    pending: Mutex<HashMap<String, Pending>>,
}

impl Store {
    /// Reads the sign-ups still pending within their link's life.
    pub(super) fn load(file: &Path, horizon: DateTime<Utc>) -> Result<Store, FsError> {
        let mut pending = HashMap::new();
        append_log::read_json(file, |record| match record {
            Record::Requested {
                id,
                email,
                name,
                at,
            } if at > horizon => {
                pending.insert(
                    id,
                    Pending {
                        email,
                        name,
                        requested: at,
                    },
                );
            }
            Record::Confirmed { id, .. } => {
                pending.remove(&id);
            }
            Record::Requested { .. } | Record::Capped { .. } => {}
        })?;
        Ok(Store {
            file: file.to_path_buf(),
            pending: Mutex::new(pending),
        })
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn append(&self, record: &Record) -> Result<(), FsError> {
        let mut log = AppendLog::open(&self.file, Kind::PRIVATE_LOG)?;
        log.push_json(record)?;
        log.commit()
    }

    /// Records a request durably, then holds it for its confirmation.
    pub(super) fn request(&self, id: &str, pending: Pending) -> Result<(), FsError> {
        self.append(&Record::Requested {
            id: id.to_string(),
            email: pending.email.clone(),
            name: pending.name.clone(),
            at: pending.requested,
        })?;
        self.pending().insert(id.to_string(), pending);
        Ok(())
    }

    /// The sign-up a confirmation link names, if it is still pending.
    pub(super) fn get(&self, id: &str) -> Option<Pending> {
        self.pending().get(id).cloned()
    }

    /// A sign-up was confirmed: it is pending no more.
    pub(super) fn confirmed(&self, id: &str, at: DateTime<Utc>) -> Result<(), FsError> {
        self.pending().remove(id);
        self.append(&Record::Confirmed {
            id: id.to_string(),
            at,
        })
    }

    /// Notes that the hourly cap was reached.
    pub(super) fn capped(&self, at: DateTime<Utc>) -> Result<(), FsError> {
        self.append(&Record::Capped { at })
    }
}

/// When the hourly cap of confirmation emails was last reached, as the
/// service noted it in `file`.
pub fn last_capped(file: &Path) -> Result<Option<DateTime<Utc>>, FsError> {
    let mut last = None;
    append_log::read_json(file, |record| {
        if let Record::Capped { at } = record {
            last = Some(at);
        }
    })?;
    Ok(last)
}
