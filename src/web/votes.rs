//! The community vote: readers say ship or skip for each tool through links
//! signed for them and the issue. Votes are appended to `state/votes/ISSUE.log`
//! (JSON lines, fsynced) under a pseudonym of the reader, and one vote per
//! reader and tool counts: the last. The tally shows once it has enough votes.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::author::issue::{Issue, Tool, Verdict};
use crate::project::layout::Layout;
use crate::store::append_log::{AppendLog, Kind};
use crate::store::fs::FsError;
use crate::store::tokens::{Keys, Purpose};

/// One line of a votes file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct VoteRecord {
    /// A pseudonym of the reader's address (no address is stored).
    reader: String,
    /// The tool's place in the issue, from 0.
    tool: usize,
    /// "ship" or "skip".
    vote: String,
    at: DateTime<Utc>,
}

/// The votes on one tool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub ship: u32,
    pub skip: u32,
}

impl Tally {
    pub fn total(self) -> u32 {
        self.ship + self.skip
    }

    /// The ship share in whole percent, rounded half up.
    pub fn percent(self) -> Option<u32> {
        let total = self.total();
        (total > 0).then(|| (self.ship * 200 + total) / (total * 2))
    }
}

fn choice(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ship => "ship",
        Verdict::Skip => "skip",
    }
}

/// Reads "ship" or "skip".
pub fn parse_choice(text: &str) -> Option<Verdict> {
    match text {
        "ship" => Some(Verdict::Ship),
        "skip" => Some(Verdict::Skip),
        _ => None,
    }
}

/// What a vote link's token signs.
pub fn signed_payload(issue_id: &str, tool: usize, verdict: Verdict, email: &str) -> String {
    format!("{issue_id}:{tool}:{}:{email}", choice(verdict))
}

/// The link a reader follows to vote `verdict` on tool `tool` of an issue.
pub fn link(
    keys: &Keys,
    base: &url::Url,
    issue_id: &str,
    tool: usize,
    verdict: Verdict,
    email: &str,
) -> String {
    use base64::Engine as _;
    let mut url = base.join("vote").unwrap_or_else(|_| base.clone());
    url.query_pairs_mut()
        .append_pair("i", issue_id)
        .append_pair("n", &tool.to_string())
        .append_pair("v", choice(verdict))
        .append_pair("u", &base64::prelude::BASE64_URL_SAFE_NO_PAD.encode(email))
        .append_pair(
            "t",
            &keys.sign(
                Purpose::Vote,
                &signed_payload(issue_id, tool, verdict, email),
            ),
        );
    url.to_string()
}

/// Records a vote durably (fsync) before it counts.
pub fn record(
    layout: &Layout,
    keys: &Keys,
    issue_id: &str,
    tool: usize,
    verdict: Verdict,
    email: &str,
) -> Result<(), FsError> {
    let record = VoteRecord {
        reader: keys.pseudonym(email),
        tool,
        vote: choice(verdict).into(),
        at: Utc::now(),
    };
    let mut log = AppendLog::open(&layout.votes(issue_id), Kind::PRIVATE_LOG)?;
    log.push_json(&record)?;
    log.commit()
}

/// The community figure of a tool as readers see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shown {
    /// The issue file's `community_vote`, which wins.
    Set(f64),
    /// The readers' tally, which has enough votes.
    Tally(u32),
    /// Not yet: the tally shows once it has `min_votes` votes.
    Waiting { min_votes: u32 },
}

/// What readers are shown of the vote on `tool` (one rule for emails, pages,
/// the vote page and `verdict votes`).
pub fn shown(tool: &Tool, tally: Tally, min_votes: u32) -> Shown {
    match (tool.community_vote, tally.percent()) {
        (Some(set), _) => Shown::Set(set),
        (None, Some(percent)) if tally.total() >= min_votes => Shown::Tally(percent),
        _ => Shown::Waiting { min_votes },
    }
}

/// The votes as they stand, for a running service: each reader's current
/// vote per issue and tool, read from the log once per issue, so that a vote
/// repeated (a reader clicking twice, a scanner replaying a link) writes nothing.
#[derive(Default)]
pub struct Ballots {
    /// Per issue: (pseudonym, tool) → the vote that counts.
    current: std::sync::Mutex<HashMap<String, IssueVotes>>,
}

/// The vote that counts per (pseudonym, tool) of one issue.
type IssueVotes = HashMap<(String, usize), Verdict>;

impl Ballots {
    /// Records a vote unless it is the reader's vote already; says whether it
    /// was written. Blocking (it may read and append to the log).
    pub fn record_change(
        &self,
        layout: &Layout,
        keys: &Keys,
        issue_id: &str,
        tool: usize,
        verdict: Verdict,
        email: &str,
    ) -> Result<bool, FsError> {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let votes = issue_votes(&mut current, layout, issue_id)?;
        let key = (keys.pseudonym(email), tool);
        if votes.get(&key) == Some(&verdict) {
            return Ok(false);
        }
        record(layout, keys, issue_id, tool, verdict, email)?;
        votes.insert(key, verdict);
        Ok(true)
    }

    /// The tally per tool of an issue with `tools` tools, as it stands.
    /// Blocking (the first look at an issue reads its log).
    pub fn tallies(
        &self,
        layout: &Layout,
        issue_id: &str,
        tools: usize,
    ) -> Result<Vec<Tally>, FsError> {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let votes = issue_votes(&mut current, layout, issue_id)?;
        Ok(count(votes, tools))
    }
}

/// The current votes of one issue, read from its log the first time.
fn issue_votes<'m>(
    current: &'m mut HashMap<String, IssueVotes>,
    layout: &Layout,
    issue_id: &str,
) -> Result<&'m mut IssueVotes, FsError> {
    if !current.contains_key(issue_id) {
        let votes = last_votes(&layout.votes(issue_id))?;
        current.insert(issue_id.to_string(), votes);
    }
    Ok(current.entry(issue_id.to_string()).or_default())
}

/// Each reader's last vote per tool in a votes file. Lines that cannot be
/// read (a torn last line) are skipped.
fn last_votes(path: &Path) -> Result<IssueVotes, FsError> {
    let mut last = HashMap::new();
    crate::store::append_log::read_json(path, |record: VoteRecord| {
        if let Some(verdict) = parse_choice(&record.vote) {
            last.insert((record.reader, record.tool), verdict);
        }
    })?;
    Ok(last)
}

/// The tally per tool of the votes that count.
fn count(votes: &IssueVotes, tools: usize) -> Vec<Tally> {
    let mut tally = vec![Tally::default(); tools];
    for ((_, tool), verdict) in votes {
        let Some(tally) = tally.get_mut(*tool) else {
            continue;
        };
        match verdict {
            Verdict::Ship => tally.ship += 1,
            Verdict::Skip => tally.skip += 1,
        }
    }
    tally
}

/// The tally per tool of an issue with `tools` tools: each reader's last vote
/// per tool. Lines that cannot be read (a torn last line) are skipped.
pub fn tallies(path: &Path, tools: usize) -> Result<Vec<Tally>, FsError> {
    Ok(count(&last_votes(path)?, tools))
}

/// The issue as readers see it: each tool's community vote is the tally once
/// it has `min_votes` votes, unless the issue file gives one.
pub fn with_community(layout: &Layout, issue: &Issue, min_votes: u32) -> Result<Issue, FsError> {
    let tally = tallies(&layout.votes(&issue.id), issue.tools.len())?;
    let mut issue = issue.clone();
    for (tool, tally) in issue.tools.iter_mut().zip(tally) {
        if let Shown::Tally(percent) = shown(tool, tally, min_votes) {
            tool.community_vote = Some(f64::from(percent));
        }
    }
    Ok(issue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_vote_of_a_reader_on_a_tool_counts_and_tallies_show_from_the_minimum() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let keys = Keys::new("votes-test-secret-0123456789", &[]).unwrap();
        record(&layout, &keys, "i", 0, Verdict::Ship, "a@example.com").unwrap();
        record(&layout, &keys, "i", 0, Verdict::Skip, "a@example.com").unwrap();
        record(&layout, &keys, "i", 0, Verdict::Ship, "b@example.com").unwrap();
        record(&layout, &keys, "i", 0, Verdict::Ship, "c@example.com").unwrap();
        record(&layout, &keys, "i", 1, Verdict::Skip, "a@example.com").unwrap();
        let tally = tallies(&layout.votes("i"), 2).unwrap();
        assert_eq!(
            tally,
            vec![Tally { ship: 2, skip: 1 }, Tally { ship: 0, skip: 1 }]
        );
        assert_eq!(tally[0].percent(), Some(67));
        let text = std::fs::read_to_string(layout.votes("i")).unwrap();
        assert!(!text.contains("example.com"), "no address is stored");
    }

    #[test]
    fn a_link_verifies_only_for_its_reader_issue_tool_and_choice() {
        let keys = Keys::new("votes-test-secret-0123456789", &[]).unwrap();
        let base = url::Url::parse("https://news.example.com/").unwrap();
        let url = url::Url::parse(&link(
            &keys,
            &base,
            "2026-11-26-x",
            1,
            Verdict::Ship,
            "a@example.com",
        ))
        .unwrap();
        let token: String = url.query_pairs().find(|(k, _)| k == "t").unwrap().1.into();
        let verify = |issue, tool, verdict, email| {
            keys.verify(
                Purpose::Vote,
                &signed_payload(issue, tool, verdict, email),
                &token,
            )
        };
        assert!(verify("2026-11-26-x", 1, Verdict::Ship, "a@example.com"));
        assert!(!verify("2026-11-26-x", 1, Verdict::Skip, "a@example.com"));
        assert!(!verify("2026-11-26-x", 0, Verdict::Ship, "a@example.com"));
        assert!(!verify("2026-12-03-y", 1, Verdict::Ship, "a@example.com"));
        assert!(!verify("2026-11-26-x", 1, Verdict::Ship, "b@example.com"));
        assert!(
            !keys.verify(Purpose::Unsubscribe, "a@example.com", &token),
            "a vote token is no unsubscribe token"
        );
    }
}
