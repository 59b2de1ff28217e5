//! Bounces, complaints and unsubscribe requests that arrive by mail, after the
//! relay accepted the message. A report acts on a reader only with proof that
//! it is about our email to that reader: the keyed Message-ID verdict gave the
//! original, the reader's signed unsubscribe token quoted from the original, or
//! the signed return path (VERP) the report was delivered to. Then hard
//! bounces and complaints are suppressed. Reports without proof (anyone can
//! write a bounce naming a subscriber) are listed, and act only when the editor
//! accepts them after review. Every report understood is noted in
//! `state/bounces-seen.log`, so that reading a mailbox again changes nothing.

mod mailbox;
#[cfg(test)]
mod properties;
mod report;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

pub(crate) use report::{Finding, Kind};

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
pub(crate) struct Newsletter<'a> {
    /// The domain of its Message-IDs.
    pub domain: &'a str,
    /// Its List-Id without the name and brackets: `label.domain`.
    pub list_id: &'a str,
    /// The envelope sender when it asks for signed return paths (its local
    /// part holds a `+`): `bounces+@domain`.
    pub return_path: Option<&'a str>,
}

/// What one category of reports came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Acted {
    pub found: usize,
    /// Readers newly suppressed (or that would be, in a dry run).
    pub suppressed: usize,
    /// Readers already on the suppression list.
    pub already: usize,
}

/// What an import found and did, per category.
#[derive(Debug, Default)]
pub(crate) struct Summary {
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
    /// Reports without proof that they are about our email to the reader they
    /// name: nothing changed (unless accepted).
    pub unproven: usize,
    /// Unproven reports acted on because the editor accepted them.
    pub accepted_unproven: usize,
    pub malformed: usize,
    /// Located notes (`origin: what`), for the editor.
    pub notes: Vec<String>,
}

/// Reads every message under `paths` (shown as given) and, unless `dry_run`,
/// suppresses the readers that hard-bounced, complained or asked to leave.
pub(crate) fn import(
    layout: &Layout,
    newsletter: Newsletter<'_>,
    keys: &Keys,
    paths: &[(PathBuf, String)],
    options: Options,
) -> Result<Summary, BounceError> {
    let dry_run = options.dry_run;
    let seen_path = layout.bounces_seen();
    let mut seen: HashSet<String> = HashSet::new();
    append_log::for_each_line::<FsError>(&seen_path, |line| {
        seen.insert(String::from_utf8_lossy(line.bytes).into_owned());
        Ok(())
    })?;
    let mut readers = Readers::load(layout, keys, newsletter)?;
    let mut summary = Summary::default();
    let mut suppressions: Vec<Suppression> = Vec::new();
    let mut newly_seen: Vec<String> = Vec::new();
    let mut this_run: HashSet<String> = HashSet::new();
    for (path, shown) in paths {
        let mut notes = Vec::new();
        mailbox::read(
            path,
            shown,
            &mut |mail| {
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
                // Remember only what was understood: a report without proof (or
                // half of one, cut by an unescaped "From " line) may be read again.
                let mut understood = true;
                for finding in findings {
                    understood &= act(
                        &finding,
                        &mail.origin,
                        &mut readers,
                        keys,
                        options.accept_unproven,
                        &mut summary,
                        &mut suppressions,
                    );
                }
                if understood {
                    newly_seen.push(key);
                }
            },
            &mut notes,
        )?;
        summary.notes.append(&mut notes);
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

/// How an import runs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    /// Show what would change; write nothing.
    pub dry_run: bool,
    /// Act on reports without proof too, by the recipient they name (after the
    /// editor reviewed them).
    pub accept_unproven: bool,
}

/// Decides what one finding does; says whether it was understood (and the
/// report may be remembered as read).
fn act(
    finding: &Finding,
    origin: &str,
    readers: &mut Readers,
    keys: &Keys,
    accept_unproven: bool,
    summary: &mut Summary,
    suppressions: &mut Vec<Suppression>,
) -> bool {
    let mut understood = true;
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
                    understood = false;
                    summary.notes.push(format!(
                        "{origin}: an unsubscribe request{} without a valid token; nothing changed (`verdict subscribers unsubscribe ADDRESS` if it is genuine)",
                        from.as_deref()
                            .map(|f| format!(" from {}", crate::send::transport::escape_reply(f)))
                            .unwrap_or_default()
                    ));
                }
            }
            return understood;
        }
        Kind::OtherFailure => {
            summary.other_failures += 1;
            return understood;
        }
        Kind::Delay => {
            summary.delays += 1;
            return understood;
        }
        Kind::Delivered => {
            summary.delivered += 1;
            return understood;
        }
        Kind::OtherFeedback => {
            summary.other_feedback += 1;
            return understood;
        }
        Kind::AutoReply => {
            summary.auto_replies += 1;
            return understood;
        }
        Kind::NotAReport => {
            summary.not_reports += 1;
            return false;
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
            Found::Proven(email, _) => email.as_str(),
            Found::Unproven(_) => "unproven",
            Found::NotOurs => "not ours",
            Found::Nobody => "nobody",
        }
    );
    match found {
        Found::Proven(email, proof) => {
            acted.found += 1;
            let detail = format!("{} (proof: {proof})", finding.detail);
            readers.suppress(&email, reason, &detail, acted, suppressions);
        }
        Found::Unproven(Some(email)) if accept_unproven => {
            acted.found += 1;
            summary.accepted_unproven += 1;
            let detail = format!("{} (accepted without proof)", finding.detail);
            readers.suppress(&email, reason, &detail, acted, suppressions);
        }
        Found::Unproven(named) => {
            summary.unproven += 1;
            understood = false;
            summary.notes.push(format!(
                "{origin}: {} {}, without proof that it is about our email to {}: it quotes no Message-ID of ours, no signed unsubscribe link, and was not sent to a signed return path; nothing changed (review it, then `verdict bounces import --accept-unproven` acts on it)",
                match finding.kind {
                    Kind::Complaint => "a complaint",
                    _ => "a hard bounce",
                },
                finding.detail,
                named
                    .or_else(|| finding.recipient.clone())
                    .map(|r| crate::send::transport::escape_reply(&r))
                    .unwrap_or_else(|| "a reader".into())
            ));
        }
        Found::NotOurs => summary.not_ours += 1,
        Found::Nobody => {
            acted.found += 1;
            summary.unmatched += 1;
            understood = false;
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
    understood
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
    /// The reader, and what proves it.
    Proven(String, &'static str),
    /// No proof; the known reader the report names, if any.
    Unproven(Option<String>),
    /// Mail this newsletter did not send, or a test or redirected copy.
    NotOurs,
    Nobody,
}

/// The readers reports may be about: everyone on the list or the suppression
/// list, with the Message-IDs of each issue they were sent computed on demand.
struct Readers {
    keys: Keys,
    /// The ids of the issues this project has (files or ledgers).
    issues: HashSet<String>,
    domain: String,
    /// The signed return path's parts: the local part before `+`, the domain.
    return_path: Option<(String, String)>,
    /// Return-path tag → reader, made on first need.
    by_return_path: Option<HashMap<String, String>>,
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
        newsletter: Newsletter<'_>,
    ) -> Result<Readers, BounceError> {
        let suppressions = read_suppressions(&layout.suppressed(), SUPPRESSED_FILE)?;
        let suppressed = lists::suppressed_now(&suppressions);
        let mut known: HashSet<String> = read_all(&layout.list(), LIST_FILE)?
            .into_iter()
            .map(|s| s.email)
            .collect();
        known.extend(suppressions.into_iter().map(|s| s.email));
        let return_path = newsletter.return_path.and_then(|address| {
            let (local, domain) = address.rsplit_once('@')?;
            let (base, _) = local.split_once('+')?;
            Some((base.to_ascii_lowercase(), domain.to_ascii_lowercase()))
        });
        let mut issues = HashSet::new();
        for (dir, extension) in [(layout.issues_dir(), "toml"), (layout.ledger_dir(), "log")] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            issues.extend(entries.flatten().filter_map(|entry| {
                let path = entry.path();
                (path.extension()? == extension)
                    .then(|| path.file_stem()?.to_str().map(str::to_string))?
            }));
        }
        Ok(Readers {
            keys: keys.clone(),
            issues,
            domain: newsletter.domain.to_ascii_lowercase(),
            return_path,
            by_return_path: None,
            list_id: newsletter.list_id.to_ascii_lowercase(),
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
                    return Found::Proven(email, "our Message-ID");
                }
            }
        }
        if let Some(email) = finding
            .original_unsubscribe
            .as_deref()
            .and_then(|field| self.signed_link(field))
        {
            return Found::Proven(email, "the reader's signed unsubscribe link");
        }
        if let Some(email) = self.signed_return_path(&finding.delivered_to) {
            return Found::Proven(email, "a signed return path");
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
        let named = finding
            .recipient
            .as_deref()
            .and_then(|r| normalize_address(r).ok())
            .filter(|r| self.known.contains(r));
        match named {
            Some(email) => Found::Unproven(Some(email)),
            None if finding.recipient.is_none() && finding.original_id.is_none() => {
                Found::Unproven(None)
            }
            None => Found::Nobody,
        }
    }

    /// The reader whose signed token the List-Unsubscribe field of a quoted
    /// original carries (its https link, or the words of its mailto subject).
    fn signed_link(&self, field: &str) -> Option<String> {
        let mut words: Vec<String> = Vec::new();
        for part in field.split(['<', '>', ',']).map(str::trim) {
            words.push(part.to_string());
            if let Some((_, query)) = part.split_once("subject=") {
                let subject = percent_encoding::percent_decode_str(query.split('&').next()?)
                    .decode_utf8_lossy()
                    .into_owned();
                words.extend(subject.split_whitespace().map(str::to_string));
            }
        }
        token_in(&words, &self.keys)
    }

    /// The reader a signed return path among `addresses` names.
    fn signed_return_path(&mut self, addresses: &[String]) -> Option<String> {
        let (base, domain) = self.return_path.clone()?;
        let tags: Vec<String> = addresses
            .iter()
            .filter_map(|address| {
                let (local, at) = address.rsplit_once('@')?;
                let (head, tag) = local.split_once('+')?;
                (head.eq_ignore_ascii_case(&base) && at.eq_ignore_ascii_case(&domain))
                    .then(|| tag.to_ascii_lowercase())
            })
            .filter(|tag| tag.len() == 24 && tag.bytes().all(|b| b.is_ascii_hexdigit()))
            .collect();
        if tags.is_empty() {
            return None;
        }
        let keys = &self.keys;
        let known = &self.known;
        let index = self.by_return_path.get_or_insert_with(|| {
            known
                .iter()
                .map(|email| (keys.return_path_tag(email), email.clone()))
                .collect()
        });
        tags.iter().find_map(|tag| index.get(tag).cloned())
    }

    fn by_id(&mut self, issue: &str, hash: &str) -> Option<String> {
        // A report names the issue: index only issues that exist, so that
        // made-up ids cost nothing.
        if hash.len() != 24
            || !hash.bytes().all(|b| b.is_ascii_hexdigit())
            || !self.issues.contains(issue)
        {
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
