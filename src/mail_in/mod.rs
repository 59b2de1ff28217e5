//! Bounces, complaints and unsubscribe requests that arrive by mail, after the
//! relay accepted the message: each report is matched to a reader (by the
//! Message-ID verdict gave the original, else by the recipient it names), hard
//! bounces and complaints are suppressed, and every report read is noted in
//! `state/bounces-seen.log` so that reading a mailbox again changes nothing.

mod mailbox;
mod report;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

pub use report::{Finding, Kind};

use crate::project::layout::{LIST_FILE, Layout, SUPPRESSED_FILE};
use crate::store::append_log::{self, AppendLog};
use crate::store::fs::FsError;
use crate::store::lists::{
    self, ListError, Reason, Suppression, normalize_address, read_all, read_suppressions,
};
use crate::store::tokens::{Keys, Purpose, decode_address};

/// Why an import could not run. Nothing is written when it fails.
#[derive(Debug, thiserror::Error)]
pub enum BounceError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error(transparent)]
    List(#[from] ListError),
}

/// How this newsletter's mail is recognised in a report.
#[derive(Debug, Clone, Copy)]
pub struct Newsletter<'a> {
    /// The domain of its Message-IDs.
    pub domain: &'a str,
    /// Its List-Id without the name and brackets: `label.domain`.
    pub list_id: &'a str,
}

/// What one category of reports came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Acted {
    pub found: usize,
    /// Readers newly suppressed (or that would be, in a dry run).
    pub suppressed: usize,
    /// Readers already on the suppression list.
    pub already: usize,
}

/// What an import found and did, per category.
#[derive(Debug, Default)]
pub struct Summary {
    pub messages: usize,
    pub already_read: usize,
    pub hard_bounces: Acted,
    pub complaints: Acted,
    pub unsubscribes: Acted,
    pub unsubscribes_without_token: usize,
    pub other_failures: usize,
    pub delays: usize,
    pub delivered: usize,
    pub other_feedback: usize,
    pub auto_replies: usize,
    pub not_reports: usize,
    /// Reports about mail this newsletter did not send, or about test copies.
    pub not_ours: usize,
    /// Reports whose reader could not be found.
    pub unmatched: usize,
    pub malformed: usize,
    /// Located notes (`origin: what`), for the editor.
    pub notes: Vec<String>,
}

/// Reads every message under `paths` (shown as given) and, unless `dry_run`,
/// suppresses the readers that hard-bounced, complained or asked to leave.
pub fn import(
    layout: &Layout,
    newsletter: Newsletter<'_>,
    keys: &Keys,
    paths: &[(PathBuf, String)],
    dry_run: bool,
) -> Result<Summary, BounceError> {
    let seen_path = layout.bounces_seen();
    let mut seen: HashSet<String> = HashSet::new();
    append_log::for_each_line::<FsError>(&seen_path, |line| {
        seen.insert(String::from_utf8_lossy(line.bytes).into_owned());
        Ok(())
    })?;
    let mut readers = Readers::load(layout, keys, newsletter.domain, newsletter.list_id)?;
    let mut summary = Summary::default();
    let mut suppressions: Vec<Suppression> = Vec::new();
    let mut newly_seen: Vec<String> = Vec::new();
    let mut this_run: HashSet<String> = HashSet::new();
    for (path, shown) in paths {
        mailbox::read(path, shown, &mut |mail| {
            summary.messages += 1;
            let key = report_key(&mail.bytes);
            if seen.contains(&key) || !this_run.insert(key.clone()) {
                summary.already_read += 1;
                return;
            }
            let findings = match report::read(&mail.bytes) {
                Ok(findings) => findings,
                Err(malformed) => {
                    summary.malformed += 1;
                    summary.notes.push(format!("{}: {malformed}", mail.origin));
                    return;
                }
            };
            newly_seen.push(key);
            for finding in findings {
                act(
                    &finding,
                    &mail.origin,
                    &mut readers,
                    keys,
                    &mut summary,
                    &mut suppressions,
                );
            }
        })?;
    }
    if !dry_run {
        // Suppressions first: a crash before the seen-log is written only
        // means the reports are read again, which changes nothing.
        lists::suppress(layout, &suppressions)?;
        append_seen(layout, &newly_seen)?;
    }
    Ok(summary)
}

/// A report's identity: its Message-ID, else a digest of its bytes.
fn report_key(bytes: &[u8]) -> String {
    let id = mail_parser::MessageParser::default()
        .parse_headers(bytes)
        .and_then(|m| m.message_id().map(str::to_string))
        .filter(|id| !id.contains(['\r', '\n']));
    match id {
        Some(id) => format!("id:{id}"),
        None => format!(
            "sha256:{}",
            crate::store::tokens::hex(&Sha256::digest(bytes))
        ),
    }
}

fn append_seen(layout: &Layout, keys: &[String]) -> Result<(), FsError> {
    if keys.is_empty() {
        return Ok(());
    }
    AppendLog::append(
        &layout.bounces_seen(),
        append_log::Kind::PRIVATE_LOG,
        keys.iter().map(|key| key.clone().into_bytes()),
    )
}

/// Decides what one finding does.
fn act(
    finding: &Finding,
    origin: &str,
    readers: &mut Readers,
    keys: &Keys,
    summary: &mut Summary,
    suppressions: &mut Vec<Suppression>,
) {
    let (acted, reason) = match &finding.kind {
        Kind::HardBounce => (&mut summary.hard_bounces, Reason::Bounced),
        Kind::Complaint => (&mut summary.complaints, Reason::Complained),
        Kind::Unsubscribe { words, from } => {
            match token_in(words, keys) {
                Some(email) => {
                    summary.unsubscribes.found += 1;
                    readers.suppress(
                        &email,
                        Reason::Unsubscribed,
                        "asked by mail",
                        &mut summary.unsubscribes,
                        suppressions,
                    );
                }
                None => {
                    summary.unsubscribes_without_token += 1;
                    summary.notes.push(format!(
                        "{origin}: an unsubscribe request{} without a valid token; nothing changed (`verdict subscribers unsubscribe ADDRESS` if it is genuine)",
                        from.as_deref()
                            .map(|f| format!(" from {}", crate::send::transport::escape_reply(f)))
                            .unwrap_or_default()
                    ));
                }
            }
            return;
        }
        Kind::OtherFailure => {
            summary.other_failures += 1;
            return;
        }
        Kind::Delay => {
            summary.delays += 1;
            return;
        }
        Kind::Delivered => {
            summary.delivered += 1;
            return;
        }
        Kind::OtherFeedback => {
            summary.other_feedback += 1;
            return;
        }
        Kind::AutoReply => {
            summary.auto_replies += 1;
            return;
        }
        Kind::NotAReport => {
            summary.not_reports += 1;
            return;
        }
    };
    let found = readers.find(finding);
    crate::debug!(
        "{origin}: {:?} about {:?} (original {:?}, list {:?}): {}",
        finding.kind,
        finding.recipient,
        finding.original_id,
        finding.original_list,
        match &found {
            Found::Reader(email) => email.as_str(),
            Found::NotOurs => "not ours",
            Found::Nobody => "nobody",
        }
    );
    match found {
        Found::Reader(email) => {
            acted.found += 1;
            readers.suppress(&email, reason, &finding.detail, acted, suppressions);
        }
        Found::NotOurs => summary.not_ours += 1,
        Found::Nobody => {
            acted.found += 1;
            summary.unmatched += 1;
            summary.notes.push(format!(
                "{origin}: {} not matched to a reader{}",
                finding.detail,
                finding
                    .recipient
                    .as_deref()
                    .map(|r| format!(" (it names {})", crate::send::transport::escape_reply(r)))
                    .unwrap_or_default()
            ));
        }
    }
}

/// The reader whose signed token a request carries: the two words the
/// List-Unsubscribe mailto puts in the subject, or an unsubscribe link.
fn token_in(words: &[String], keys: &Keys) -> Option<String> {
    let verified = |encoded: &str, token: &str| {
        let email = normalize_address(&decode_address(encoded)?).ok()?;
        keys.verify(Purpose::Unsubscribe, &email, token)
            .then_some(email)
    };
    let pairs = words
        .windows(2)
        .find_map(|pair| verified(&pair[0], &pair[1]));
    pairs.or_else(|| {
        words.iter().find_map(|word| {
            // A link pasted into the body, perhaps in <…> or before a full stop.
            let link = url::Url::parse(word.trim_matches(['<', '>', '(', ')', '.', ','])).ok()?;
            let value = |key: &str| {
                link.query_pairs()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.into_owned())
            };
            verified(&value("u")?, &value("t")?)
        })
    })
}

/// Who a report is about.
enum Found {
    Reader(String),
    /// Mail this newsletter did not send, or a test or redirected copy.
    NotOurs,
    Nobody,
}

/// The readers reports may be about: everyone on the list or the suppression
/// list, with the Message-IDs of each issue they were sent computed on demand.
struct Readers {
    keys: Keys,
    domain: String,
    /// This newsletter's List-Id, `label.domain`.
    list_id: String,
    known: HashSet<String>,
    suppressed: HashSet<String>,
    /// Per issue: the hash part of its Message-ID → the reader.
    by_issue: HashMap<String, HashMap<String, String>>,
    /// Addresses suppressed in this import, so that two reports about one
    /// reader suppress once.
    added: HashSet<String>,
}

impl Readers {
    fn load(
        layout: &Layout,
        keys: &Keys,
        domain: &str,
        list_id: &str,
    ) -> Result<Readers, BounceError> {
        let suppressions = read_suppressions(&layout.suppressed(), SUPPRESSED_FILE)?;
        let suppressed = lists::suppressed_now(&suppressions);
        let mut known: HashSet<String> = read_all(&layout.list(), LIST_FILE)?
            .into_iter()
            .map(|s| s.email)
            .collect();
        known.extend(suppressions.into_iter().map(|s| s.email));
        Ok(Readers {
            keys: keys.clone(),
            domain: domain.to_ascii_lowercase(),
            list_id: list_id.to_ascii_lowercase(),
            known,
            suppressed,
            by_issue: HashMap::new(),
            added: HashSet::new(),
        })
    }

    fn find(&mut self, finding: &Finding) -> Found {
        if let Some(id) = &finding.original_id {
            let id = id.trim().trim_start_matches('<').trim_end_matches('>');
            if let Some((local, domain)) = id.rsplit_once('@')
                && domain.eq_ignore_ascii_case(&self.domain)
            {
                if local.starts_with("test-") || local.starts_with("redirect-") {
                    return Found::NotOurs;
                }
                if let Some((issue, hash)) = local.rsplit_once('.')
                    && let Some(email) = self.by_id(issue, hash)
                {
                    return Found::Reader(email);
                }
            }
        }
        // A relay may give the message a Message-ID of its own (Amazon SES
        // does); its List-Id still says whose it is.
        if finding
            .original_list
            .as_ref()
            .is_some_and(|list| list != &self.list_id)
        {
            return Found::NotOurs;
        }
        finding
            .recipient
            .as_deref()
            .and_then(|r| normalize_address(r).ok())
            .filter(|r| self.known.contains(r))
            .map_or(Found::Nobody, Found::Reader)
    }

    fn by_id(&mut self, issue: &str, hash: &str) -> Option<String> {
        if hash.len() != 24 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let keys = &self.keys;
        let known = &self.known;
        let index = self.by_issue.entry(issue.to_string()).or_insert_with(|| {
            known
                .iter()
                .map(|email| (keys.reader_digest(issue, email), email.clone()))
                .collect()
        });
        index.get(&hash.to_ascii_lowercase()).cloned()
    }

    fn suppress(
        &mut self,
        email: &str,
        reason: Reason,
        detail: &str,
        acted: &mut Acted,
        suppressions: &mut Vec<Suppression>,
    ) {
        if self.suppressed.contains(email) || !self.added.insert(email.to_string()) {
            acted.already += 1;
            return;
        }
        acted.suppressed += 1;
        suppressions.push(Suppression::now(email, reason, detail));
    }
}
