//! What readers went to look at: the links to tools in emails and on issue
//! pages lead through `verdict serve` (`/go`, signed per issue and tool, the
//! same for every reader), which counts them per issue, tool and where the link
//! was, and nothing else: no address, pseudonym, client, time or order of
//! clicks is kept. The service counts in memory and adds to
//! `state/clicks/ISSUE.json` every few seconds and when it stops.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::project::layout::Layout;
use crate::store::fs::FsError;
use crate::store::tokens::ClickFrom;

/// How often the links to one tool were followed, by where they were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolClicks {
    /// From the issue's emails.
    #[serde(default)]
    pub email: u64,
    /// From the issue's page on the site.
    #[serde(default)]
    pub site: u64,
}

impl ToolClicks {
    pub fn total(self) -> u64 {
        self.email.saturating_add(self.site)
    }

    fn add(&mut self, other: ToolClicks) {
        self.email = self.email.saturating_add(other.email);
        self.site = self.site.saturating_add(other.site);
    }
}

/// `state/clicks/ISSUE.json`: per tool, by its place in the issue.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClicksFile {
    tools: Vec<ToolClicks>,
}

/// Why the counts of an issue cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ClicksError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error(
        "{path}:{line}:{column}: the click counts cannot be read ({reason}); repair the file, or move it away to count from zero"
    )]
    Damaged {
        path: String,
        line: usize,
        column: usize,
        reason: String,
    },
}

/// The counts of an issue's tools as recorded: one entry per tool the issue
/// has (`tools`), zero where nothing was counted.
pub fn read(layout: &Layout, issue_id: &str, tools: usize) -> Result<Vec<ToolClicks>, ClicksError> {
    let mut counts = read_file(layout, &layout.clicks(issue_id))?.tools;
    counts.resize(tools.max(counts.len()), ToolClicks::default());
    counts.truncate(tools);
    Ok(counts)
}

fn read_file(layout: &Layout, path: &Path) -> Result<ClicksFile, ClicksError> {
    match crate::store::fs::read_optional(path)? {
        None => Ok(ClicksFile::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| ClicksError::Damaged {
            path: layout.display(path),
            line: e.line(),
            column: e.column(),
            reason: e.to_string(),
        }),
    }
}

/// Adds `counts` to what the issue's file holds, atomically.
fn add_to_file(layout: &Layout, issue_id: &str, counts: &[ToolClicks]) -> Result<(), ClicksError> {
    let path = layout.clicks(issue_id);
    let mut file = read_file(layout, &path)?;
    if file.tools.len() < counts.len() {
        file.tools.resize(counts.len(), ToolClicks::default());
    }
    for (total, more) in file.tools.iter_mut().zip(counts) {
        total.add(*more);
    }
    crate::store::fs::create_private_dir(&layout.state_dir())?;
    crate::store::fs::create_private_dir(&layout.state_dir().join("clicks"))?;
    let mut bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
    bytes.push(b'\n');
    Ok(crate::store::fs::write_atomic(&path, &bytes)?)
}

/// The clicks a running service counted and has not written yet.
pub struct Counter {
    layout: Layout,
    /// Per issue, per tool: counted since the last write.
    pending: Mutex<HashMap<String, Vec<ToolClicks>>>,
    /// Held by the one write under way: each reads, adds to and replaces its
    /// files, so two at once would lose counts.
    writing: Mutex<()>,
}

impl Counter {
    pub fn new(layout: Layout) -> Counter {
        Counter {
            layout,
            pending: Mutex::new(HashMap::new()),
            writing: Mutex::new(()),
        }
    }

    /// Counts one click on the link to tool `tool` of an issue.
    pub fn count(&self, issue_id: &str, tool: usize, from: ClickFrom) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let counts = pending.entry(issue_id.to_string()).or_default();
        if counts.len() <= tool {
            counts.resize(tool + 1, ToolClicks::default());
        }
        let one = match from {
            ClickFrom::Email => ToolClicks { email: 1, site: 0 },
            ClickFrom::Site => ToolClicks { email: 0, site: 1 },
        };
        counts[tool].add(one);
    }

    /// Adds what was counted to the files (blocking). Counts a file could not
    /// take stay in memory for the next write, so none is lost or counted twice.
    pub fn write(&self) -> Result<(), ClicksError> {
        let _one_at_a_time = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        let mut failure = None;
        for (issue_id, counts) in taken {
            if let Err(error) = add_to_file(&self.layout, &issue_id, &counts) {
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                let kept = pending.entry(issue_id).or_default();
                if kept.len() < counts.len() {
                    kept.resize(counts.len(), ToolClicks::default());
                }
                for (kept, count) in kept.iter_mut().zip(counts) {
                    kept.add(count);
                }
                failure.get_or_insert(error);
            }
        }
        failure.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_across_writes_and_threads_and_a_damaged_file_keeps_them_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let counter = Counter::new(layout.clone());
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for i in 0..250 {
                        counter.count("i", i % 2, ClickFrom::Email);
                        if i % 50 == 0 {
                            counter.write().unwrap();
                        }
                    }
                });
            }
        });
        counter.count("i", 1, ClickFrom::Site);
        counter.write().unwrap();
        let counts = read(&layout, "i", 2).unwrap();
        assert_eq!(
            counts,
            vec![
                ToolClicks {
                    email: 1000,
                    site: 0
                },
                ToolClicks {
                    email: 1000,
                    site: 1
                }
            ]
        );
        assert_eq!(read(&layout, "i", 3).unwrap()[2], ToolClicks::default());
        assert_eq!(
            read(&layout, "other", 2).unwrap(),
            vec![ToolClicks::default(); 2]
        );

        std::fs::write(layout.clicks("i"), "{\"tools\": [{\"email\": 1,\n oops").unwrap();
        counter.count("i", 0, ClickFrom::Email);
        let error = counter.write().unwrap_err().to_string();
        assert!(error.starts_with("state/clicks/i.json:2:"), "{error}");
        std::fs::remove_file(layout.clicks("i")).unwrap();
        counter.count("i", 0, ClickFrom::Email);
        counter.write().unwrap();
        assert_eq!(
            read(&layout, "i", 1).unwrap()[0].email,
            2,
            "kept, then written"
        );
    }
}
