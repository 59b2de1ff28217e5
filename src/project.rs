//! The hub every command borrows from: a newsletter project folder with its
//! configuration and templates loaded once, and its issues found by name.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diagnostic::FileDiagnostics;
use crate::error::{Error, Result};
use crate::issue::{Issue, ParsedIssue};
use crate::render::Context;
use crate::templates::{self, Roster, Theme};

pub const ISSUES_DIR: &str = "issues";
pub const STATE_DIR: &str = "state";
pub const SUBSCRIBERS_DIR: &str = "subscribers";

/// A loaded newsletter project.
#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub config: Config,
    /// The source of `verdict.toml`, to locate problems found after parsing.
    pub config_source: FileDiagnostics,
    pub theme: Theme,
    pub roster: Roster,
}

impl Project {
    /// Loads configuration and templates; issues are read on demand.
    pub fn load(root: &Path) -> Result<Project> {
        if !root.join(crate::config::CONFIG_FILE).is_file() {
            return Err(Error::Usage(format!(
                "{} is not a verdict project: it has no {}",
                root.display(),
                crate::config::CONFIG_FILE
            )));
        }
        let (config, config_source) = Config::load(root)?;
        let (theme, roster) = templates::load(root)?;
        Ok(Project {
            root: root.to_path_buf(),
            config,
            config_source,
            theme,
            roster,
        })
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            config: &self.config,
            theme: &self.theme,
            roster: &self.roster,
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    pub fn subscribers_dir(&self) -> PathBuf {
        self.root.join(SUBSCRIBERS_DIR)
    }

    /// A path as the user should see it: relative to the project when inside it.
    pub fn display_path(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// Every issue file, in date order.
    pub fn issue_paths(&self) -> Result<Vec<PathBuf>> {
        let dir = self.root.join(ISSUES_DIR);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(crate::fs::FsError::new("cannot list", &dir, e).into()),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        Ok(paths)
    }

    /// Finds an issue by path, file name or id (`2026-11-26-axolotl-vs-mistral`).
    pub fn find_issue(&self, name: &str) -> Result<PathBuf> {
        let as_path = Path::new(name);
        let candidates = [
            as_path.to_path_buf(),
            self.root.join(as_path),
            self.root.join(ISSUES_DIR).join(as_path),
            self.root.join(ISSUES_DIR).join(format!("{name}.toml")),
        ];
        candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
            Error::Usage(format!(
                "no issue named `{name}`: give a path, a file name in issues/ or an issue id"
            ))
        })
    }

    /// Reads and validates one issue file.
    pub fn load_issue(&self, path: &Path) -> Result<ParsedIssue> {
        let source = crate::fs::read_to_string(path)?;
        Issue::parse(&self.display_path(path), &source, &self.roster).map_err(Error::invalid)
    }

    /// The issues named on the command line, or all of them.
    pub fn select_issues(&self, names: &[String]) -> Result<Vec<PathBuf>> {
        if names.is_empty() {
            self.issue_paths()
        } else {
            names.iter().map(|n| self.find_issue(n)).collect()
        }
    }
}
