//! The web side: the comparison site `verdict archive` writes into `public/`:
//! one page per published issue (`page`), an index, an Atom feed and a sitemap
//! (`feed`). A rerun renders only issues whose inputs changed and rewrites only
//! files whose content changed.

mod feed;
mod page;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::author::issue::Issue;
use crate::diagnostic::FileDiagnostics;
use crate::project::Project;
use crate::project::config::Config;
use crate::project::templates::{Roster, Theme};
use crate::store::fs::FsError;

/// Everything the pages need besides the issue.
pub struct SiteContext<'a> {
    pub config: &'a Config,
    pub theme: &'a Theme,
    pub roster: &'a Roster,
    /// The site's root, ending with `/`.
    pub base: Url,
    pub feed_url: String,
    /// Where the sign-up form posts (`verdict serve` answers it).
    pub subscribe_url: String,
}

impl<'a> SiteContext<'a> {
    /// The site of a project; it needs `base_url`.
    pub fn new(project: &'a Project) -> Result<SiteContext<'a>, SiteError> {
        let mut base = project
            .config
            .base_url
            .clone()
            .ok_or(SiteError::NoBaseUrl)?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let join = |path: &str| base.join(path).map(|u| u.to_string()).unwrap_or_default();
        Ok(SiteContext {
            config: &project.config,
            theme: &project.theme,
            roster: &project.roster,
            feed_url: join("feed.xml"),
            subscribe_url: join("subscribe"),
            base,
        })
    }

    /// The absolute address of an issue's page.
    pub fn issue_url(&self, id: &str) -> String {
        self.base
            .join(&format!("issues/{id}.html"))
            .map(|u| u.to_string())
            .unwrap_or_default()
    }
}

/// Why the site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(
        "the archive needs base_url in verdict.toml: the public address of the site, e.g. base_url = \"https://verdicts.example.com\""
    )]
    NoBaseUrl,
    #[error(transparent)]
    Fs(#[from] FsError),
}

/// What a build did.
#[derive(Debug, Default)]
pub struct Built {
    pub published: usize,
    /// Files written because they are new or their content changed.
    pub written: Vec<PathBuf>,
    pub unchanged: usize,
    /// Pages of issues no longer published, removed.
    pub removed: Vec<PathBuf>,
    /// Issue files that could not be read; the rest of the site is built.
    pub invalid: Vec<FileDiagnostics>,
}

/// What the last build rendered from, per issue, so that a rerun renders only
/// what changed.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// A hash of everything all pages depend on (configuration, templates, the
    /// verdict version).
    shared: String,
    /// Per issue id: a hash of its file.
    issues: BTreeMap<String, String>,
}

const MANIFEST: &str = ".verdict-archive.json";

fn digest(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    crate::send::message::hex(&hasher.finalize()[..16])
}

/// The words that describe a page for search and link previews.
fn description(issue: &Issue) -> String {
    let text = issue
        .preheader
        .clone()
        .unwrap_or_else(|| issue.intro.to_text(10_000, ""));
    let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.chars().count() > 200 {
        format!("{}…", words.chars().take(199).collect::<String>())
    } else {
        words
    }
}

/// The comparison page of one issue, for `preview --serve`.
pub fn issue_page(project: &Project, issue: &Issue) -> Result<String, SiteError> {
    let cx = SiteContext::new(project)?;
    Ok(page::issue_page(&cx, issue, description(issue)))
}

/// Writes `bytes` unless the file holds them already; says whether it wrote.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, FsError> {
    match std::fs::read(path) {
        Ok(existing) if existing == bytes => Ok(false),
        _ => crate::store::fs::write_atomic(path, bytes).map(|()| true),
    }
}

/// Builds the site of every issue published by `now` into `out`.
pub fn build(project: &Project, out: &Path, now: DateTime<Utc>) -> Result<Built, SiteError> {
    let cx = SiteContext::new(project)?;
    let layout = &project.layout;
    let mut built = Built::default();
    let shared = digest(&[
        env!("CARGO_PKG_VERSION").as_bytes(),
        // The rendering code itself: a build that renders differently renders anew.
        include_bytes!("page.rs"),
        include_bytes!("feed.rs"),
        include_bytes!("../../author/markdown.rs"),
        include_bytes!("../../author/issue/mod.rs"),
        project.config.source.source.as_bytes(),
        &std::fs::read(layout.theme()).unwrap_or_default(),
        &std::fs::read(layout.panel()).unwrap_or_default(),
    ]);
    let manifest_path = out.join(MANIFEST);
    let old: Manifest = std::fs::read(&manifest_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let mut manifest = Manifest {
        shared: shared.clone(),
        issues: BTreeMap::new(),
    };
    let mut issues: Vec<Issue> = Vec::new();
    let published = project.published(now)?;
    built.invalid = published.invalid;
    for crate::project::PublishedIssue { issue, source } in published.issues {
        // Readers' votes count on the page once there are enough of them.
        let parsed =
            crate::web::votes::with_community(layout, &issue, project.config.community.min_votes)?;
        let community: Vec<String> = parsed.tools.iter().map(|t| t.community_label()).collect();
        manifest.issues.insert(
            parsed.id.clone(),
            digest(&[
                shared.as_bytes(),
                source.as_bytes(),
                community.join(",").as_bytes(),
            ]),
        );
        issues.push(parsed);
    }
    // Newest first.
    issues.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
    built.published = issues.len();

    let pages = out.join("issues");
    for issue in &issues {
        let path = pages.join(format!("{}.html", issue.id));
        let same_inputs = old.issues.get(&issue.id) == manifest.issues.get(&issue.id);
        if same_inputs && path.is_file() {
            built.unchanged += 1;
            continue;
        }
        let html = page::issue_page(&cx, issue, description(issue));
        record(&mut built, &path, write_if_changed(&path, html.as_bytes())?);
    }
    // Pages of issues that are no longer published (deleted, back to draft).
    for id in old
        .issues
        .keys()
        .filter(|id| !manifest.issues.contains_key(*id))
    {
        let path = pages.join(format!("{id}.html"));
        if std::fs::remove_file(&path).is_ok() {
            built.removed.push(path);
        }
    }
    let listed: Vec<page::Listed<'_>> = issues.iter().map(|issue| page::Listed { issue }).collect();
    let newest: Vec<&Issue> = issues.iter().collect();
    for (name, content) in [
        ("index.html", page::index_page(&cx, &listed)),
        ("feed.xml", feed::atom(&cx, &newest)),
        ("sitemap.xml", feed::sitemap(&cx, &newest)),
    ] {
        let path = out.join(name);
        let changed = write_if_changed(&path, content.as_bytes())?;
        record(&mut built, &path, changed);
    }
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    write_if_changed(&manifest_path, &manifest_bytes)?;
    Ok(built)
}

fn record(built: &mut Built, path: &Path, changed: bool) {
    if changed {
        built.written.push(path.to_path_buf());
    } else {
        built.unchanged += 1;
    }
}
