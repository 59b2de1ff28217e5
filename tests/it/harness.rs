//! A fluent harness over real fixtures: copy the demo project to a temp dir, run
//! the real binary on it, read back files and output.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use verdict::author::issue::ToolProfiles;
use verdict::project::templates::Roster;
use verdict::send::ledger::{self, Outcome, Record};

/// The repository root, which is itself the demo project.
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo issue's file name.
pub(crate) const DEMO_ISSUE: &str = "2026-11-26-axolotl-vs-mistral-medium-3";

/// The demo issue's send time as written in the repository.
pub(crate) const DEMO_SEND_AT: &str = "send_at = 2026-11-26T09:00:00+00:00";

pub(crate) fn demo_roster() -> Roster {
    let source = std::fs::read_to_string(repo_root().join("templates/panel.toml")).unwrap();
    Roster::parse("templates/panel.toml", &source).unwrap()
}

/// The demo project's tool profiles.
pub(crate) fn demo_tools() -> ToolProfiles {
    ToolProfiles::load(&repo_root().join("tools")).unwrap()
}

/// A project in a temporary folder.
pub(crate) struct TestProject {
    dir: tempfile::TempDir,
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub(crate) struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(output: std::process::Output) -> Output {
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Output {
    #[track_caller]
    pub(crate) fn success(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub(crate) fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "no {needle:?} in stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub(crate) fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "no {needle:?} in stderr:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub(crate) fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl TestProject {
    /// A copy of the demo newsletter (config, templates, tool profiles, issues,
    /// subscribers, schemas).
    pub(crate) fn demo() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = repo_root();
        std::fs::copy(root.join("verdict.toml"), dir.path().join("verdict.toml")).unwrap();
        for sub in ["templates", "tools", "issues", "subscribers", "schemas"] {
            copy_dir(&root.join(sub), &dir.path().join(sub));
        }
        let project = TestProject { dir };
        // Due two days ago whatever today is: the suite does not depend on the calendar.
        let due =
            (chrono::Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%dT%H:%M:%S+00:00");
        project.edit(
            &format!("issues/{DEMO_ISSUE}.toml"),
            DEMO_SEND_AT,
            &format!("send_at = {due}"),
        );
        project
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn write(&self, relative: &str, content: &str) -> &Self {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    pub(crate) fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(relative))
            .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
    }

    /// The addresses on the subscriber list, in its order.
    pub(crate) fn readers(&self) -> Vec<String> {
        self.rows("subscribers/subscribers.csv")
            .lines()
            .skip(1)
            .filter_map(|row| row.split(',').next())
            .map(str::to_string)
            .collect()
    }

    /// Writes an issue's ledger with verdict's own writer, as runs would have
    /// left it: started at `at`, each reader's outcome then, and complete if
    /// asked.
    pub(crate) fn write_ledger(
        &self,
        issue: &str,
        at: chrono::DateTime<chrono::Utc>,
        outcomes: &[(String, Outcome)],
        complete: bool,
    ) {
        let path = self.path().join(format!("state/ledger/{issue}.log"));
        let mut writer = ledger::Writer::open(&path, None).unwrap();
        let mut records = vec![Record::Start { at, content: None }];
        records.extend(outcomes.iter().map(|(email, outcome)| Record::Outcome {
            email: email.clone(),
            outcome: *outcome,
            reply: match outcome {
                Outcome::Delivered => "250 2.0.0 Ok".into(),
                Outcome::Bounced => {
                    format!("550 5.1.1 <{email}>: User unknown in relay recipient table")
                }
                _ => "451 4.3.0 Try again later".into(),
            },
            attempts: 1,
            at,
            message_id: "x@example.com".into(),
        }));
        if complete {
            records.push(Record::Complete { at });
        }
        for record in &records {
            writer.append(record).unwrap();
        }
        writer.commit().unwrap();
    }

    /// A CSV file's rows with their fields joined by commas, unquoted (verdict
    /// quotes the fields of the rows it appends), one per line.
    pub(crate) fn rows(&self, relative: &str) -> String {
        let text = self.read(relative);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        reader
            .records()
            .map(|record| record.unwrap().iter().collect::<Vec<_>>().join(",") + "\n")
            .collect()
    }

    /// The suppression list's (address, reason) rows after the demo's own one,
    /// sorted.
    pub(crate) fn added_suppressions(&self) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = self
            .rows("subscribers/suppressed.csv")
            .lines()
            .skip(2)
            .map(|l| {
                let mut fields = l.split(',');
                (
                    fields.next().unwrap_or_default().to_string(),
                    fields.next().unwrap_or_default().to_string(),
                )
            })
            .collect();
        rows.sort();
        rows
    }

    /// The demo issue's ledger as text (empty when there is none yet).
    pub(crate) fn ledger(&self) -> String {
        std::fs::read_to_string(self.path().join(format!("state/ledger/{DEMO_ISSUE}.log")))
            .unwrap_or_default()
    }

    /// How many outcomes the demo issue's ledger holds.
    pub(crate) fn ledger_outcomes(&self) -> usize {
        self.ledger().matches("\"kind\":\"outcome\"").count()
    }

    pub(crate) fn remove(&self, relative: &str) -> &Self {
        std::fs::remove_file(self.dir.path().join(relative)).unwrap();
        self
    }

    /// Sets the demo issue's send_at line (`None`: a draft).
    pub(crate) fn set_demo_send_at(&self, value: Option<&str>) -> &Self {
        let path = format!("issues/{DEMO_ISSUE}.toml");
        let text = self.read(&path);
        let line = text
            .lines()
            .find(|l| l.starts_with("send_at = "))
            .expect("a send_at line");
        let new = value.map(|v| format!("send_at = {v}")).unwrap_or_default();
        self.write(&path, &text.replacen(line, &new, 1))
    }

    /// Runs `verdict preview ISSUE --out DIR` with `extra` arguments and returns
    /// the folder holding the .html, .txt and .eml.
    pub(crate) fn preview(&self, issue: &str, extra: &[&str]) -> PathBuf {
        let out = self.path().join("preview-out");
        let mut args = vec!["preview", issue, "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.run(&args).success();
        out
    }

    /// Starts `verdict send` through `url` at `rate` messages a second over
    /// `concurrency` connections, its output piped.
    pub(crate) fn send_in_background(
        &self,
        url: &str,
        rate: &str,
        concurrency: &str,
    ) -> std::process::Child {
        self.command()
            .args([
                "send",
                "--transport",
                url,
                "--rate",
                rate,
                "--concurrency",
                concurrency,
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Replaces text in a project file.
    pub(crate) fn edit(&self, relative: &str, from: &str, to: &str) -> &Self {
        let text = self.read(relative);
        assert!(text.contains(from), "{relative} does not contain {from:?}");
        self.write(relative, &text.replacen(from, to, 1))
    }

    /// The binary, pointed at this project, with no VERDICT_* from the caller.
    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_verdict"));
        for (key, _) in std::env::vars() {
            if key.starts_with("VERDICT_") {
                command.env_remove(key);
            }
        }
        command.arg("--project").arg(self.dir.path());
        command
    }

    /// The first link starting with `prefix` in the text of a message in the
    /// outbox to `email`.
    pub(crate) fn outbox_link(&self, email: &str, prefix: &str) -> String {
        for entry in std::fs::read_dir(self.path().join("outbox")).unwrap() {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let to = message
                .to()
                .and_then(|t| t.first())
                .and_then(|a| a.address());
            if to != Some(email) {
                continue;
            }
            let text = message.body_text(0).unwrap().into_owned();
            if let Some(at) = text.find(prefix) {
                return text[at..]
                    .split(|c: char| c.is_whitespace() || c == ')' || c == '>')
                    .next()
                    .unwrap()
                    .to_string();
            }
        }
        panic!("no {prefix} link to {email}")
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        Output::from(self.command().args(args).output().unwrap())
    }

    /// Runs verdict and kills it if it is still running after `limit`: a run
    /// that would hang ends as a failed test (killed, not the exit code asked
    /// for) instead of hanging the suite. The limit is a bound, not a timing.
    pub(crate) fn run_bounded(&self, args: &[&str], limit: std::time::Duration) -> Output {
        let child = self
            .command()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        watchdog(child.id(), limit);
        Output::from(child.wait_with_output().unwrap())
    }
}

/// Kills a process the tests started if it is still running after `limit`, so
/// that no server outlives its test however the test ends.
pub(crate) fn watchdog(pid: u32, limit: std::time::Duration) {
    // A pidfd names this process itself, never one that reuses its number
    // after it ended: the watchdog cannot kill a stranger.
    let Some(pid) = rustix::process::Pid::from_raw(pid as i32) else {
        return;
    };
    let Ok(process) = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()) else {
        return;
    };
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        let _ = rustix::process::pidfd_send_signal(&process, rustix::process::Signal::KILL);
    });
}

/// The first link in `text` that starts with `prefix`.
pub(crate) fn link_in(text: &str, prefix: &str) -> String {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in:\n{text}"));
    text[at..]
        .split(|c: char| c.is_whitespace() || c == ')' || c == '>')
        .next()
        .unwrap()
        .to_string()
}
