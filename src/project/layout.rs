//! Where everything lives in a newsletter project: the one place that knows the
//! paths under the project folder.

use std::path::{Path, PathBuf};

/// The paths of one newsletter project.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

/// The configuration file's name, relative to the project.
pub const CONFIG_FILE: &str = "verdict.toml";
/// The theme file, relative to the project.
pub const THEME_FILE: &str = "templates/theme.toml";
/// The panel roster, relative to the project.
pub const PANEL_FILE: &str = "templates/panel.toml";
/// The tool profiles' folder, relative to the project.
pub const TOOLS_DIR: &str = "tools";
/// The optional about page of the site (Markdown), relative to the project.
pub const ABOUT_FILE: &str = "templates/about.md";
/// The texts of the emails sent to readers who sign up, relative to the project.
pub const EMAILS_FILE: &str = "templates/emails.toml";
/// The subscriber list, relative to the project.
pub const LIST_FILE: &str = "subscribers/subscribers.csv";
/// The suppression list, relative to the project.
pub const SUPPRESSED_FILE: &str = "subscribers/suppressed.csv";
/// The generated secret for signed links, relative to the project.
pub const SECRET_FILE: &str = "state/secret";
/// Earlier secrets still accepted, relative to the project.
pub const OLD_SECRETS_FILE: &str = "state/secret.old";
/// The key of identifiers derived from an address, relative to the project.
pub const IDENTITY_KEY_FILE: &str = "state/identity-key";

impl Layout {
    pub fn new(root: impl Into<PathBuf>) -> Layout {
        Layout { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path relative to the project (or absolute) as a full path.
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }

    /// A path as the user should see it: relative to the project when inside it.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    pub fn config(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    pub fn issues_dir(&self) -> PathBuf {
        self.root.join("issues")
    }

    /// The tool profiles, `tools/ID.toml`, and their logos.
    pub fn tools_dir(&self) -> PathBuf {
        self.root.join(TOOLS_DIR)
    }

    pub fn about(&self) -> PathBuf {
        self.root.join(ABOUT_FILE)
    }

    pub fn theme(&self) -> PathBuf {
        self.root.join(THEME_FILE)
    }

    pub fn panel(&self) -> PathBuf {
        self.root.join(PANEL_FILE)
    }

    pub fn emails(&self) -> PathBuf {
        self.root.join(EMAILS_FILE)
    }

    pub fn subscribers_dir(&self) -> PathBuf {
        self.root.join("subscribers")
    }

    pub fn list(&self) -> PathBuf {
        self.root.join(LIST_FILE)
    }

    pub fn suppressed(&self) -> PathBuf {
        self.root.join(SUPPRESSED_FILE)
    }

    /// The lock every change to the subscriber files takes.
    pub fn list_lock(&self) -> PathBuf {
        self.subscribers_dir().join(".lock")
    }

    /// Private state: ledgers, locks, secrets. Created 0700.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join("state")
    }

    pub fn ledger_dir(&self) -> PathBuf {
        self.state_dir().join("ledger")
    }

    /// The append-only ledger of one issue.
    pub fn ledger(&self, issue_id: &str) -> PathBuf {
        self.ledger_dir().join(format!("{issue_id}.log"))
    }

    /// The community votes on one issue.
    pub fn votes(&self, issue_id: &str) -> PathBuf {
        self.state_dir()
            .join("votes")
            .join(format!("{issue_id}.log"))
    }

    /// How often the links to each tool of one issue were followed.
    pub fn clicks(&self, issue_id: &str) -> PathBuf {
        self.state_dir()
            .join("clicks")
            .join(format!("{issue_id}.json"))
    }

    /// What the relays did today, and which was found down.
    pub fn relay_book(&self) -> PathBuf {
        self.state_dir().join("relays.json")
    }

    /// Reports read by `verdict bounces import`, so that none counts twice.
    pub fn bounces_seen(&self) -> PathBuf {
        self.state_dir().join("bounces-seen.log")
    }

    /// Sign-ups waiting for their confirmation.
    pub fn pending_signups(&self) -> PathBuf {
        self.state_dir().join("signups.log")
    }

    /// The lock one `verdict serve` holds.
    pub fn serve_lock(&self) -> PathBuf {
        self.state_dir().join("serve.lock")
    }

    /// The lock one `verdict send` holds.
    pub fn send_lock(&self) -> PathBuf {
        self.state_dir().join("send.lock")
    }

    /// A DKIM private key made by `verdict dkim keygen`, named after the DNS
    /// name that publishes it.
    pub fn dkim_key(&self, selector: &str, domain: &str) -> PathBuf {
        self.state_dir()
            .join("dkim")
            .join(format!("{selector}._domainkey.{domain}.pem"))
    }

    pub fn secret(&self) -> PathBuf {
        self.root.join(SECRET_FILE)
    }

    pub fn old_secrets(&self) -> PathBuf {
        self.root.join(OLD_SECRETS_FILE)
    }

    /// The key of Message-IDs and vote pseudonyms; never rotated.
    pub fn identity_key(&self) -> PathBuf {
        self.root.join(IDENTITY_KEY_FILE)
    }

    /// Where `verdict archive` writes the site by default.
    pub fn public_dir(&self) -> PathBuf {
        self.root.join("public")
    }

    /// Where `verdict preview` writes an issue by default.
    pub fn preview_dir(&self, issue_id: &str) -> PathBuf {
        self.root.join("preview").join(issue_id)
    }
}
