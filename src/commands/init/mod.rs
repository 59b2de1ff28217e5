//! `verdict init`: a new newsletter project that works at once: every file
//! commented, the schemas editors complete keys from, a `.gitignore` for what
//! verdict writes; nothing that exists is overwritten.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::project::layout::{
    EMAILS_FILE, LIST_FILE, Layout, PANEL_FILE, SUPPRESSED_FILE, THEME_FILE,
};
use crate::project::reference::{FILES, SCHEMA_DIR};
use crate::project::templates::Emails;

/// Create a newsletter project: verdict.toml, templates/ (theme with light and
/// dark colours, a panel of two, the sign-up emails), an example issue, an empty
/// subscriber list, schemas/ for TOML editors and a .gitignore. Every file is
/// commented and `verdict check` passes on it at once. Nothing that exists is
/// overwritten.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  verdict init weekly-verdicts --name \"Weekly AI Tool Verdicts\"\n  verdict init --schemas      (rewrite schemas/ after upgrading verdict)"
)]
pub struct Args {
    /// The folder to create the project in (default: --project, else the current folder).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The newsletter's name.
    #[arg(long, default_value = "My Newsletter")]
    pub name: String,
    /// Only (re)write schemas/ in an existing project, e.g. after upgrading verdict.
    #[arg(long, conflicts_with = "name")]
    pub schemas: bool,
}

/// What `.gitignore` keeps out of version control: what verdict writes.
pub(crate) const IGNORED: &[&str] = &[
    "/state/",
    "/outbox/",
    "/public/",
    "/preview/",
    "/subscribers/.lock",
];

/// The starter files, written as they are but for `{name}` and `{id}`.
const CONFIG: &str = include_str!("verdict.toml");
const THEME: &str = include_str!("theme.toml");
const PANEL: &str = include_str!("panel.toml");
const ISSUE: &str = include_str!("issue.toml");
const PROFILE: &str = include_str!("profile.toml");

/// The example issue's slug; its date is today's.
const ISSUE_SLUG: &str = "quill-vs-ledger";

pub(crate) fn execute(layout: &Layout, args: Args, today: chrono::NaiveDate) -> Result<()> {
    let layout = match &args.dir {
        Some(dir) => Layout::new(layout.resolve(dir)),
        None => layout.clone(),
    };
    if args.schemas {
        if !layout.config().is_file() {
            return Err(Error::usage(format!(
                "{} has no verdict.toml: run `verdict init` to create a project",
                layout.root().display()
            )));
        }
        for (path, text) in schemas(&layout) {
            crate::store::fs::write_atomic(&path, text.as_bytes())?;
            crate::say!("{}", layout.display(&path));
        }
        return Ok(());
    }
    let name = args.name.trim();
    if name.is_empty() {
        return Err(Error::usage(
            "--name must not be empty: it is the newsletter's name, e.g. --name \"Weekly AI Tool Verdicts\"",
        ));
    }
    if crate::diagnostic::text::has_control_char(name) {
        return Err(Error::usage(
            "--name must be one line of text, e.g. --name \"Weekly AI Tool Verdicts\"",
        ));
    }
    let issue_id = format!("{today}-{ISSUE_SLUG}");
    let files = starter_files(&layout, name, &issue_id);
    let existing: Vec<String> = files
        .iter()
        .filter(|(path, _)| path.exists() || path.is_symlink())
        .map(|(path, _)| layout.display(path))
        .collect();
    if !existing.is_empty() {
        return Err(Error::usage(format!(
            "{} already holds {}: nothing was written; pick an empty folder, or `verdict init --schemas` to rewrite only the schemas",
            layout.root().display(),
            existing.join(", ")
        )));
    }
    for (path, text) in &files {
        crate::store::fs::write_atomic(path, text.as_bytes())?;
    }
    ignore_written_folders(&layout)?;
    let here = layout.root() == Path::new(".");
    let shown = match &args.dir {
        Some(dir) => dir.display().to_string(),
        None if here => "this folder".to_string(),
        None => layout.root().display().to_string(),
    };
    crate::say!(
        "created a newsletter project in {shown}: verdict.toml, templates/, tools/ledger.toml, issues/{issue_id}.toml, subscribers/, schemas/ and .gitignore"
    );
    let place = if here {
        String::new()
    } else {
        format!(" in {shown}")
    };
    let next = [
        (
            "verdict check".to_string(),
            "every file is valid (it warns that the site is on this machine)",
        ),
        (
            format!("verdict preview {issue_id}"),
            "the example issue as HTML, text and .eml",
        ),
        (
            "verdict new \"Tool A\" \"Tool B\"".to_string(),
            "your first issue, every field commented",
        ),
    ];
    let width = next
        .iter()
        .map(|(command, _)| command.len())
        .max()
        .unwrap_or(0);
    crate::say!("next{place}:");
    for (command, what) in next {
        crate::say!("  {command:<width$}  # {what}");
    }
    Ok(())
}

/// Every file `init` writes, with its content.
fn starter_files(layout: &Layout, name: &str, issue_id: &str) -> Vec<(PathBuf, String)> {
    let quoted = toml::Value::String(name.to_string()).to_string();
    let mut files = vec![
        (layout.config(), CONFIG.replacen("{name}", &quoted, 1)),
        (layout.root().join(THEME_FILE), THEME.to_string()),
        (layout.root().join(PANEL_FILE), PANEL.to_string()),
        (
            layout.root().join(EMAILS_FILE),
            Emails::BUILT_IN.to_string(),
        ),
        (
            layout.issues_dir().join(format!("{issue_id}.toml")),
            ISSUE.replacen("{id}", issue_id, 1),
        ),
        (layout.tools_dir().join("ledger.toml"), PROFILE.to_string()),
        (
            layout.root().join(LIST_FILE),
            "email,name,subscribed_at,consent\n".to_string(),
        ),
        (
            layout.root().join(SUPPRESSED_FILE),
            "email,reason,at,detail\n".to_string(),
        ),
    ];
    files.extend(schemas(layout));
    files
}

/// The JSON Schema of every file an editor writes, as written into `schemas/`.
fn schemas(layout: &Layout) -> Vec<(PathBuf, String)> {
    FILES
        .iter()
        .map(|file| {
            (
                layout.root().join(SCHEMA_DIR).join(file.schema),
                file.json_schema_text(),
            )
        })
        .collect()
}

/// Adds the folders verdict writes to `.gitignore`, creating it or appending
/// the lines it lacks (an existing one is never rewritten).
fn ignore_written_folders(layout: &Layout) -> Result<()> {
    let path = layout.root().join(".gitignore");
    let existing = crate::store::fs::read_optional(&path)?.unwrap_or_default();
    let present: Vec<&str> = existing.lines().map(str::trim).collect();
    let missing: Vec<&str> = IGNORED
        .iter()
        .copied()
        .filter(|line| {
            let bare = line.trim_matches('/');
            !present.iter().any(|p| p.trim_matches('/') == bare)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut text = existing.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if text.is_empty() {
        text.push_str("# What verdict writes: sending state (the secret for signed links among it),\n# the outbox, the site, previews and the subscriber lists' lock.\n");
    }
    for line in missing {
        text.push_str(line);
        text.push('\n');
    }
    crate::store::fs::write_atomic(&path, text.as_bytes())?;
    Ok(())
}
