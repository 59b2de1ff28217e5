//! `verdict init`: from an empty folder to a project that checks, previews and
//! scaffolds at once; what it refuses; and the schemas it writes, checked by
//! Taplo (the engine of Even Better TOML) through each file's `#:schema` line.

use std::path::{Path, PathBuf};
use std::process::Command;

use verdict::project::fields::{Kind, Table};
use verdict::project::reference::FILES;

use crate::harness::{Output, link_in};
use crate::smtp::python;

/// The binary in `dir`, with no VERDICT_* from the caller.
fn verdict(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_verdict"));
    for (key, _) in std::env::vars() {
        if key.starts_with("VERDICT_") {
            command.env_remove(key);
        }
    }
    Output::from(command.current_dir(dir).args(args).output().unwrap())
}

/// Taplo, installed beside the test Python by scripts/test.sh.
fn taplo(dir: &Path, files: &[&str]) -> Output {
    let bin = PathBuf::from(python()).with_file_name("taplo");
    let output = Command::new(&bin)
        .current_dir(dir)
        .args(["lint", "--no-auto-config", "--colors", "never"])
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e}; run the tests with scripts/test.sh",
                bin.display()
            )
        });
    Output::from(output)
}

/// Every file an editor writes in a project made by init.
const EDITED: &[&str] = &[
    "verdict.toml",
    "templates/theme.toml",
    "templates/panel.toml",
    "templates/emails.toml",
];

fn example_issue(dir: &Path) -> String {
    let entries = std::fs::read_dir(dir.join("issues")).unwrap();
    let names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    format!("issues/{}", names[0])
}

#[test]
fn from_an_empty_folder_init_then_check_preview_and_new_work() {
    let root = tempfile::tempdir().unwrap();
    let init = verdict(
        root.path(),
        &["init", "letters", "--name", "Weekly AI Tool Verdicts"],
    );
    init.success();
    let dir = root.path().join("letters");
    let issue = example_issue(&dir);
    let id = issue
        .trim_start_matches("issues/")
        .trim_end_matches(".toml");
    // The output names the next three commands, each of which works.
    init.stdout_has("next in letters:");
    let next: Vec<&str> = init
        .stdout
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("verdict "))
        .map(|l| l.split("  #").next().unwrap().trim())
        .collect();
    assert_eq!(
        next,
        [
            "check",
            &format!("preview {id}"),
            "new \"Tool A\" \"Tool B\""
        ]
    );

    let check = verdict(&dir, &["check"]);
    check.success();
    check.stdout_has("0 error(s), 2 warning(s)");
    check.stderr_has("`base_url` is on this machine");
    verdict(&dir, &["preview", id])
        .success()
        .stdout_has(&format!("preview/{id}/{id}.eml"));
    let eml = std::fs::read_to_string(dir.join(format!("preview/{id}/{id}.eml"))).unwrap();
    assert!(
        eml.contains("Weekly AI Tool Verdicts\" <newsletter@example.com>"),
        "{eml}"
    );
    assert!(eml.contains("http://127.0.0.1:8080/unsubscribe?"), "{eml}");
    let new = verdict(&dir, &["new", "Tool A", "Tool B"]);
    new.success();
    let scaffold = new.stdout.trim();
    verdict(&dir, &["preview", scaffold]).success();
    verdict(&dir, &["check"]).success();
    // Nothing to send: the example is a draft and the list is empty.
    verdict(&dir, &["send"])
        .success()
        .stdout_has("nothing to send");
    assert_eq!(
        std::fs::read_to_string(dir.join("subscribers/subscribers.csv")).unwrap(),
        "email,name,subscribed_at,consent\n"
    );
    let ignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    for folder in [
        "/state/",
        "/outbox/",
        "/public/",
        "/preview/",
        "/subscribers/.lock",
    ] {
        assert!(ignore.lines().any(|l| l == folder), "{folder}: {ignore}");
    }
    // Every file an editor writes points at its schema, and Taplo finds it valid.
    let mut files: Vec<&str> = EDITED.to_vec();
    files.push(&issue);
    files.push(scaffold);
    for file in &files {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(text.starts_with("#:schema "), "{file}");
    }
    taplo(&dir, &files).success();
}

#[test]
fn the_schemas_flag_what_the_readers_refuse_as_an_editor_types() {
    let root = tempfile::tempdir().unwrap();
    verdict(root.path(), &["init", "."]).success();
    let dir = root.path();
    let issue = example_issue(dir);
    let edit = |file: &str, from: &str, to: &str| {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(text.contains(from), "{file}: {from}");
        std::fs::write(dir.join(file), text.replacen(from, to, 1)).unwrap();
    };
    edit("verdict.toml", "concurrency = 4", "concurency = 4");
    edit(
        "templates/panel.toml",
        "id = \"skeptic\"",
        "id = \"The Skeptic\"",
    );
    edit(&issue, "verdict = \"skip\"", "verdict = \"maybe\"");
    edit("templates/emails.toml", "[welcome]", "[welcom]");
    let lint = taplo(dir, &[EDITED[0], EDITED[2], EDITED[3], &issue]);
    assert_ne!(lint.code, 0);
    for needle in ["concurency", "The Skeptic", "maybe", "welcom"] {
        assert!(
            lint.stderr.contains(needle) || lint.stdout.contains(needle),
            "{needle}: {lint:?}"
        );
    }
    // verdict refuses the same four mistakes, each at its place.
    let check = verdict(dir, &["check"]);
    check.code(2);
    check.stderr_has("did you mean `concurrency`?");
    check.stderr_has("panelist id `The Skeptic` is not a simple id");
    check.stderr_has("unknown field `welcom` in templates/emails.toml");
    check.stderr_has("note: the issues are checked once templates/panel.toml is valid");
    edit(
        "templates/panel.toml",
        "id = \"The Skeptic\"",
        "id = \"skeptic\"",
    );
    verdict(dir, &["check"])
        .code(2)
        .stderr_has("unknown verdict `maybe`");
}

#[test]
fn init_refuses_to_overwrite_and_adds_to_an_existing_gitignore() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    std::fs::write(dir.join(".gitignore"), "target/\n/state/").unwrap();
    std::fs::write(dir.join("notes.md"), "mine").unwrap();
    verdict(dir, &["init"]).success();
    assert_eq!(
        std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
        "target/\n/state/\n/outbox/\n/public/\n/preview/\n/subscribers/.lock\n",
        "kept, and only the missing lines added"
    );
    let config = std::fs::read_to_string(dir.join("verdict.toml")).unwrap();
    std::fs::write(dir.join("verdict.toml"), format!("{config}\n# edited\n")).unwrap();
    let again = verdict(dir, &["init", "--name", "Other"]);
    again.code(2);
    again.stderr_has("already holds verdict.toml");
    again.stderr_has("nothing was written");
    assert!(
        std::fs::read_to_string(dir.join("verdict.toml"))
            .unwrap()
            .ends_with("# edited\n")
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.md")).unwrap(),
        "mine"
    );
    // --schemas rewrites only the schemas, and only in a project.
    std::fs::write(dir.join("schemas/issue.schema.json"), "{}").unwrap();
    verdict(dir, &["init", "--schemas"]).success();
    assert_ne!(
        std::fs::read_to_string(dir.join("schemas/issue.schema.json")).unwrap(),
        "{}"
    );
    let empty = tempfile::tempdir().unwrap();
    verdict(empty.path(), &["init", "--schemas"])
        .code(2)
        .stderr_has("has no verdict.toml");
}

#[test]
fn a_hostile_name_or_a_planted_link_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    // A name that tries to add a key is written as one TOML string.
    let name = "Verdicts\" \nsmtp_password_file = \"/etc/shadow";
    verdict(dir, &["init", "a", "--name", name])
        .code(2)
        .stderr_has("--name must be one line");
    assert!(!dir.join("a").exists());
    let name = "Quote \" and \\ backslash # hash";
    verdict(dir, &["init", "b", "--name", name]).success();
    let config = std::fs::read_to_string(dir.join("b/verdict.toml")).unwrap();
    let parsed: toml::Table = toml::from_str(&config).unwrap();
    assert_eq!(parsed["name"].as_str(), Some(name));
    assert!(parsed.get("smtp_password_file").is_none());
    verdict(&dir.join("b"), &["check"]).success();
    // A symlink where a file would go is not followed.
    let target = dir.join("elsewhere.toml");
    std::fs::create_dir_all(dir.join("c/templates")).unwrap();
    std::os::unix::fs::symlink(&target, dir.join("c/templates/theme.toml")).unwrap();
    verdict(dir, &["init", "c"])
        .code(2)
        .stderr_has("templates/theme.toml");
    assert!(!target.exists());
    assert!(!dir.join("c/verdict.toml").exists());
}

/// Every key a file may hold, as `key =` (set or commented out) or a table header.
fn mentions(text: &str, table: &'static Table, path: &str) {
    for field in table.fields {
        let found = match field.kind {
            Kind::Table(sub) => {
                mentions(text, sub, path);
                text.contains(&format!("[{}]", field.key))
            }
            Kind::Tables { table: sub, .. } => {
                mentions(text, sub, path);
                text.contains(&format!("[[{}]]", field.key))
                    || text.contains(&format!(".{}]]", field.key))
            }
            _ => text.lines().any(|l| {
                l.trim_start_matches(['#', ' '])
                    .starts_with(&format!("{} =", field.key))
            }),
        };
        assert!(found, "{path} does not show `{}`", field.key);
    }
}

#[test]
fn every_file_init_writes_shows_every_key_it_may_hold() {
    let root = tempfile::tempdir().unwrap();
    verdict(root.path(), &["init"]).success();
    let issue = example_issue(root.path());
    for file in FILES {
        let path = if file.path.starts_with("issues/") {
            issue.as_str()
        } else if file.path.starts_with("tools/") {
            "tools/ledger.toml"
        } else {
            file.path
        };
        let text = std::fs::read_to_string(root.path().join(path)).unwrap();
        mentions(&text, file.root, path);
        assert!(
            text.lines().filter(|l| l.starts_with('#')).count() >= 3,
            "{path} is commented"
        );
    }
}

/// A `verdict serve` the test started, stopped on drop.
struct Service(std::process::Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The text part of each .eml in the outbox sent to `to`.
fn outbox_to(dir: &Path, to: &str) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir.join("outbox")) else {
        return Vec::new();
    };
    let mut found: Vec<(std::time::SystemTime, String, String)> = entries
        .filter_map(|e| {
            let path = e.ok()?.path();
            let raw = std::fs::read(&path).ok()?;
            let message = mail_parser::MessageParser::default().parse(&raw)?;
            let address = message.to()?.first()?.address()?.to_string();
            (address == to).then(|| {
                (
                    std::fs::metadata(&path).unwrap().modified().unwrap(),
                    String::from_utf8_lossy(&raw).into_owned(),
                    message.body_text(0).unwrap_or_default().into_owned(),
                )
            })
        })
        .collect();
    found.sort_by_key(|(at, _, _)| *at);
    found
        .into_iter()
        .map(|(_, raw, text)| (raw, text))
        .collect()
}

#[test]
fn on_one_machine_a_reader_signs_up_votes_and_unsubscribes_without_rewriting_a_link() {
    use crate::server::{get, post};
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    verdict(dir, &["init"]).success();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let config = std::fs::read_to_string(dir.join("verdict.toml"))
        .unwrap()
        .replace("http://127.0.0.1:8080", &base);
    std::fs::write(dir.join("verdict.toml"), config).unwrap();
    let issue = example_issue(dir);
    let text = std::fs::read_to_string(dir.join(&issue)).unwrap();
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S+00:00");
    std::fs::write(
        dir.join(&issue),
        text.replacen(
            "# send_at = 2026-01-01T09:00:00+00:00",
            &format!("send_at = {past}"),
            1,
        ),
    )
    .unwrap();
    verdict(dir, &["check"])
        .success()
        .stderr_has("`unsubscribe_url` is on this machine");
    verdict(dir, &["archive"]).success();

    let mut command = Command::new(env!("CARGO_BIN_EXE_verdict"));
    command
        .current_dir(dir)
        .env_remove("VERDICT_SECRET")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut service = Service(command.spawn().unwrap());
    crate::harness::watchdog(service.0.id(), std::time::Duration::from_secs(120));
    // Ready once it says where it listens.
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(service.0.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert!(first.contains(&base), "{first}");

    // The site's page, then the sign-up form, the confirmation link as mailed.
    let (status, page) = get(&format!("{base}/"));
    assert_eq!(status, 200);
    assert!(
        page.contains("<form method=\"post\" action=\"subscribe\">"),
        "{page}"
    );
    let (status, _) = post(
        &format!("{base}/subscribe"),
        "email=ada%40example.com&name=Ada&website=",
    );
    assert_eq!(status, 200);
    // The confirmation goes out from the sign-up queue: wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mails = loop {
        let mails = outbox_to(dir, "ada@example.com");
        if !mails.is_empty() || std::time::Instant::now() > deadline {
            break mails;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(mails.len(), 1, "the confirmation");
    let confirm = link_in(&mails[0].1, &format!("{base}/subscribe/confirm?"));
    assert_eq!(post(&confirm, "").0, 200);
    assert!(
        std::fs::read_to_string(dir.join("subscribers/subscribers.csv"))
            .unwrap()
            .replace('"', "")
            .contains("ada@example.com,Ada,")
    );

    // The issue reaches the new reader, with links to this machine.
    verdict(dir, &["send"]).success();
    let mails = outbox_to(dir, "ada@example.com");
    assert_eq!(mails.len(), 3, "confirmation, welcome, issue");
    let (raw, text) = &mails[2];
    let vote = link_in(text, &format!("{base}/vote?"));
    assert_eq!(get(&vote).0, 200);
    assert_eq!(post(&vote, "").0, 200);
    verdict(dir, &["votes"]).success().stdout_has("1 ship");
    let unsubscribe = link_in(raw, &format!("<{base}/unsubscribe?"))
        .trim_start_matches('<')
        .to_string();
    assert_eq!(post(&unsubscribe, "List-Unsubscribe=One-Click").0, 200);
    assert!(
        std::fs::read_to_string(dir.join("subscribers/suppressed.csv"))
            .unwrap()
            .replace('"', "")
            .contains("ada@example.com,unsubscribed")
    );
    drop(service);
}

#[test]
fn an_empty_name_is_refused_as_empty() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    for name in ["", "   "] {
        let output = verdict(dir, &["init", "a", "--name", name]);
        output.code(2).stderr_has("--name must not be empty");
        assert!(!output.stderr.contains("one line"), "{}", output.stderr);
        assert!(!dir.join("a").exists());
    }
}
