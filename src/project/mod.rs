//! The hub every command borrows from: a newsletter project folder with its
//! configuration and templates loaded once, its issues found by name, and the
//! one rule of the calendar (what is published) that the site, the service and
//! `send` share.

pub mod config;
pub mod fields;
pub mod layout;
pub mod reference;
pub mod routes;
pub mod templates;

use std::path::{Path, PathBuf};

use crate::author::issue::{Catalog, Issue, ParsedIssue, ToolProfiles};
use crate::author::render::Context;
use crate::diagnostic::{FileDiagnostics, LoadError};
use crate::project::config::Config;
use crate::project::layout::Layout;
use crate::store::tokens::Keys;
use templates::{Roster, Theme};

/// The issues out by a moment, read whole, and the issue files that could not
/// be read (whether they are out cannot be told).
#[derive(Debug, Default)]
pub struct Published {
    /// Oldest first.
    pub issues: Vec<PublishedIssue>,
    pub invalid: Vec<FileDiagnostics>,
}

/// A published issue and the text of its file.
#[derive(Debug)]
pub struct PublishedIssue {
    pub issue: Issue,
    pub source: String,
    /// When it went out ([`Project::out_at`]).
    pub out_at: chrono::DateTime<chrono::Utc>,
}

/// A loaded newsletter project.
#[derive(Debug)]
pub struct Project {
    pub layout: Layout,
    pub config: Config,
    pub theme: Theme,
    pub roster: Roster,
    /// The tool profiles in `tools/`, those with problems kept aside.
    pub tools: ToolProfiles,
    /// The link secrets, once read (see [`Project::link_keys`]).
    pub(crate) link_keys: std::sync::OnceLock<Keys>,
}

/// Why a project or one of its issues cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{0} is not a verdict project: it has no verdict.toml")]
    NotAProject(String),
    #[error(
        "no issue named `{0}`: give an issue id (YYYY-MM-DD-slug), a unique start of one, or a file name in issues/"
    )]
    NoSuchIssue(String),
    #[error("`{name}` matches several issues: {}", matches.join(", "))]
    Ambiguous { name: String, matches: Vec<String> },
    #[error(transparent)]
    Load(#[from] LoadError),
}

impl Project {
    /// Loads configuration and templates; issues are read on demand.
    pub fn load(layout: &Layout) -> Result<Project, ProjectError> {
        if !layout.config().is_file() {
            return Err(ProjectError::NotAProject(
                layout.root().display().to_string(),
            ));
        }
        let config = Config::load(layout)?;
        let theme = Theme::load(layout)?;
        let roster = Roster::load(layout)?;
        let tools = ToolProfiles::load(&layout.tools_dir()).map_err(LoadError::from)?;
        Ok(Project {
            layout: layout.clone(),
            config,
            theme,
            roster,
            tools,
            link_keys: std::sync::OnceLock::new(),
        })
    }

    /// What rendering needs, with counted links to the tools signed by the
    /// newsletter's link secret (when it has one: see [`Project::link_keys`]).
    pub fn context(&self) -> Context<'_> {
        self.context_signed_by(self.link_keys())
    }

    /// What rendering needs, with counted links signed by `clicks` (keys of a
    /// preview or a test), or tools linked directly.
    pub fn context_signed_by<'a>(&'a self, clicks: Option<&'a Keys>) -> Context<'a> {
        Context {
            config: &self.config,
            theme: &self.theme,
            roster: &self.roster,
            clicks,
        }
    }

    /// The newsletter's link secrets (`VERDICT_SECRET` or `state/secret`),
    /// read on first use, when it has them: never made here, so that reading
    /// a project (check, archive, a test of the demo) leaves `state/` alone;
    /// `send` makes them before it renders. A secret that cannot be read
    /// signs nothing here (the command that needs it says why).
    pub fn link_keys(&self) -> Option<&Keys> {
        if let Some(keys) = self.link_keys.get() {
            return Some(keys);
        }
        let held = std::env::var_os(crate::store::tokens::SECRET_ENV).is_some()
            || self.layout.secret().is_file();
        if !held {
            return None;
        }
        match Keys::load(&self.layout) {
            Ok(keys) => Some(self.link_keys.get_or_init(|| keys)),
            Err(error) => {
                crate::debug!("links to tools are not counted: {error}");
                None
            }
        }
    }

    /// Every issue file, in date order.
    pub fn issue_paths(&self) -> Result<Vec<PathBuf>, crate::store::fs::FsError> {
        self.layout.issue_paths()
    }

    /// Finds an issue in `issues/` by id, file name, `issues/` path or a unique
    /// start of an id. Paths outside `issues/` are not issues of this project.
    pub fn find_issue(&self, name: &str) -> Result<PathBuf, ProjectError> {
        self.layout.find_issue(name)
    }

    /// What issue files name by id: panelists and tool profiles.
    pub fn catalog(&self) -> Catalog<'_> {
        Catalog {
            roster: &self.roster,
            tools: &self.tools,
        }
    }

    /// Reads and validates one issue file.
    pub fn load_issue(&self, path: &Path) -> Result<ParsedIssue, LoadError> {
        let source = crate::diagnostic::read_source(path, &self.layout.display(path))?;
        Ok(self.parse_issue(path, &source)?)
    }

    /// Validates the text of the issue file at `path` against this project.
    pub fn parse_issue(&self, path: &Path, source: &str) -> Result<ParsedIssue, FileDiagnostics> {
        Issue::parse(&self.layout.display(path), source, self.catalog())
    }

    /// The issues named on the command line, or all of them.
    pub fn select_issues(&self, names: &[String]) -> Result<Vec<PathBuf>, ProjectError> {
        self.layout.select_issues(names)
    }

    /// When `issue` went out: its send time, or when it started sending if
    /// that was earlier (`send ISSUE --now`), so that the page its email links
    /// is there and its readers' clicks count.
    pub fn out_at(&self, issue: &Issue) -> Option<chrono::DateTime<chrono::Utc>> {
        let started = crate::send::ledger::started_at(&self.layout.ledger(&issue.id));
        match (issue.send_time().map(|at| at.to_utc()), started) {
            (Some(scheduled), Some(started)) => Some(scheduled.min(started)),
            (scheduled, started) => scheduled.or(started),
        }
    }

    /// Whether `issue` is on the site and counts as out at `now`: it went out
    /// ([`Project::out_at`]). The one rule of what is published, which the
    /// site, the service and `status` share.
    pub fn is_published(&self, issue: &Issue, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.out_at(issue).is_some_and(|at| at <= now)
    }

    /// Every issue published by `now` ([`Project::is_published`]), oldest
    /// first, and the issue files that could not be read.
    pub fn published(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Published, crate::store::fs::FsError> {
        let mut published = Published::default();
        for path in self.issue_paths()? {
            let source = crate::store::fs::read_to_string(&path)?;
            match self.parse_issue(&path, &source) {
                Ok(parsed) => match self.out_at(&parsed.issue) {
                    Some(out_at) if out_at <= now => published.issues.push(PublishedIssue {
                        issue: parsed.issue,
                        source,
                        out_at,
                    }),
                    _ => {}
                },
                Err(report) => published.invalid.push(report),
            }
        }
        published
            .issues
            .sort_by(|a, b| (a.issue.date, &a.issue.id).cmp(&(b.issue.date, &b.issue.id)));
        Ok(published)
    }

    /// The newest issue published by `now`, reading no more files than needed.
    pub fn latest_published(&self, now: chrono::DateTime<chrono::Utc>) -> Option<Issue> {
        let paths = self.issue_paths().ok()?;
        paths.iter().rev().find_map(|path| {
            let issue = self.load_issue(path).ok()?.issue;
            self.is_published(&issue, now).then_some(issue)
        })
    }
}

impl Layout {
    /// Every issue file, in date order.
    pub fn issue_paths(&self) -> Result<Vec<PathBuf>, crate::store::fs::FsError> {
        let dir = self.issues_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(crate::store::fs::FsError::new("cannot list", &dir, e)),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        Ok(paths)
    }

    /// Finds an issue in `issues/` by id, file name, `issues/` path (relative,
    /// or absolute from anywhere) or a unique start of an id. Paths outside
    /// `issues/` are not issues of this project.
    pub fn find_issue(&self, name: &str) -> Result<PathBuf, ProjectError> {
        let dir = self.issues_dir();
        let inside = Path::new(name)
            .is_absolute()
            .then(|| {
                let file = std::fs::canonicalize(name).ok()?;
                let dir = std::fs::canonicalize(&dir).ok()?;
                (file.parent()? == dir).then(|| file.file_name()?.to_str().map(str::to_string))?
            })
            .flatten();
        let stem = inside
            .as_deref()
            .unwrap_or(name)
            .trim_start_matches("./")
            .trim_start_matches("issues/")
            .trim_end_matches(".toml");
        let not_found = || ProjectError::NoSuchIssue(name.chars().take(80).collect());
        if stem.is_empty() || stem.contains(['/', '\\']) || stem.starts_with('.') {
            return Err(not_found());
        }
        let exact = dir.join(format!("{stem}.toml"));
        if exact.is_file() {
            return Ok(exact);
        }
        let paths = self
            .issue_paths()
            .map_err(|e| ProjectError::Load(e.into()))?;
        let matches: Vec<PathBuf> = paths
            .into_iter()
            .filter(|p| {
                p.file_stem()
                    .and_then(|s| s.to_str())
                    .is_some_and(|s| s.starts_with(stem))
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(not_found()),
            many => Err(ProjectError::Ambiguous {
                name: stem.to_string(),
                matches: many
                    .iter()
                    .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                    .collect(),
            }),
        }
    }

    /// The issues named on the command line, or all of them.
    pub fn select_issues(&self, names: &[String]) -> Result<Vec<PathBuf>, ProjectError> {
        if names.is_empty() {
            self.issue_paths().map_err(|e| ProjectError::Load(e.into()))
        } else {
            names.iter().map(|n| self.find_issue(n)).collect()
        }
    }
}
