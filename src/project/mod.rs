//! The hub every command borrows from: a newsletter project folder with its
//! configuration and templates loaded once, and its issues found by name.

pub mod config;
pub mod layout;
pub mod templates;

use std::path::PathBuf;

use crate::author::issue::{Catalog, Issue, ParsedIssue, ToolProfiles};
use crate::author::render::Context;
use crate::diagnostic::{FileDiagnostics, LoadError};
use crate::project::config::Config;
use crate::project::layout::Layout;
use templates::{Roster, Theme};

/// A loaded newsletter project.
#[derive(Debug)]
pub struct Project {
    pub layout: Layout,
    pub config: Config,
    pub theme: Theme,
    pub roster: Roster,
    /// The tool profiles in `tools/`, those with problems kept aside.
    pub tools: ToolProfiles,
}

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
        let (theme, roster) = templates::load(layout)?;
        let tools = ToolProfiles::load(&layout.tools_dir()).map_err(LoadError::from)?;
        Ok(Project {
            layout: layout.clone(),
            config,
            theme,
            roster,
            tools,
        })
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            config: &self.config,
            theme: &self.theme,
            roster: &self.roster,
        }
    }

    /// What issue files name by id: panelists and tool profiles.
    pub fn catalog(&self) -> Catalog<'_> {
        Catalog {
            roster: &self.roster,
            tools: &self.tools,
        }
    }

    /// Every issue published by `now` (see [`Issue::is_published`]), oldest
    /// first, and the issue files that could not be read.
    pub fn published(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Published, crate::store::fs::FsError> {
        let mut published = Published::default();
        for path in self.issue_paths()? {
            let source = crate::store::fs::read_to_string(&path)?;
            match self.parse_issue(&path, &source) {
                Ok(parsed) if parsed.issue.is_published(now) => {
                    published.issues.push(PublishedIssue {
                        issue: parsed.issue,
                        source,
                    })
                }
                Ok(_) => {}
                Err(report) => published.invalid.push(report),
            }
        }
        published
            .issues
            .sort_by(|a, b| (a.issue.date, &a.issue.id).cmp(&(b.issue.date, &b.issue.id)));
        Ok(published)
    }

    /// Every issue file, in date order.
    pub fn issue_paths(&self) -> Result<Vec<PathBuf>, crate::store::fs::FsError> {
        let dir = self.layout.issues_dir();
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

    /// Finds an issue in `issues/` by id, file name, `issues/` path or a unique
    /// start of an id. Paths outside `issues/` are not issues of this project.
    pub fn find_issue(&self, name: &str) -> Result<PathBuf, ProjectError> {
        let dir = self.layout.issues_dir();
        let stem = name
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

    /// Reads and validates one issue file.
    pub fn load_issue(&self, path: &std::path::Path) -> Result<ParsedIssue, LoadError> {
        let source = crate::store::fs::read_to_string(path)?;
        Ok(self.parse_issue(path, &source)?)
    }

    /// Validates the text of the issue file at `path` against this project.
    pub fn parse_issue(
        &self,
        path: &std::path::Path,
        source: &str,
    ) -> Result<ParsedIssue, FileDiagnostics> {
        Issue::parse(&self.layout.display(path), source, self.catalog())
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
