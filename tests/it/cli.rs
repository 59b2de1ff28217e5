//! What people expect of a command-line tool: completions, manual pages, and
//! output that ends quietly when its reader goes away.

use crate::harness::{DEMO_ISSUE, TestProject};

#[test]
fn completions_for_each_shell_call_back_into_verdict() {
    let project = TestProject::demo();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = project.run(&["completions", shell]);
        output.success();
        assert!(
            output.stdout.contains("COMPLETE"),
            "{shell}: {}",
            output.stdout
        );
        assert!(output.stdout.contains("verdict"), "{shell}");
    }
    project.run(&["completions", "tcsh"]).code(2);
}

/// What the completion scripts get back for the words typed so far (fish's
/// protocol: one candidate a line, a tab before its description).
fn complete(project: &TestProject, words: &[&str]) -> Vec<String> {
    let output = project
        .command()
        .env("COMPLETE", "fish")
        .arg("--")
        .args(words)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn completions_offer_commands_options_and_the_projects_issue_ids() {
    let project = TestProject::demo();
    project.write("issues/2026-12-03-alpha-vs-beta.toml", "");
    let dir = project.path().to_str().unwrap();
    assert!(complete(&project, &["verdict", "pre"]).contains(&"preview".to_string()));
    assert!(complete(&project, &["verdict", "send", "--dry"]).contains(&"--dry-run".to_string()));
    for command in ["preview", "send", "check", "status", "votes"] {
        let ids = complete(&project, &["verdict", "--project", dir, command, "2026-1"]);
        assert_eq!(ids, [DEMO_ISSUE, "2026-12-03-alpha-vs-beta"], "{command}");
    }
    let ids = complete(
        &project,
        &["verdict", "--project", dir, "preview", "2026-12"],
    );
    assert_eq!(ids, ["2026-12-03-alpha-vs-beta"]);
    // Another folder, another project: no ids from this one.
    let elsewhere = tempfile::tempdir().unwrap();
    let ids = complete(
        &project,
        &[
            "verdict",
            "--project",
            elsewhere.path().to_str().unwrap(),
            "preview",
            "2026",
        ],
    );
    assert!(ids.is_empty(), "{ids:?}");
}

#[test]
fn manual_pages_are_roff_one_per_command() {
    let project = TestProject::demo();
    let page = project.run(&["man"]);
    page.success();
    assert!(
        page.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &page.stdout[..80]
    );
    page.stdout_has(".TH verdict 1");
    let dir = project.path().join("man");
    project
        .run(&["man", "--out", dir.to_str().unwrap()])
        .success();
    let send = std::fs::read_to_string(dir.join("verdict-send.1")).unwrap();
    assert!(send.contains("retry\\-failed"), "{send}");
    for section in [".SH EXAMPLES", ".SH ENVIRONMENT", ".SH \"EXIT STATUS\""] {
        assert!(send.contains(section), "{section}: {send}");
        assert!(page.stdout.contains(section), "{section}");
    }
    assert!(send.contains("verdict send \\-\\-dry\\-run"), "{send}");
    assert!(send.contains("VERDICT_SMTP_PASSWORD"), "{send}");
}

#[test]
fn output_cut_short_by_its_reader_ends_quietly() {
    let project = TestProject::demo();
    let mut child = project
        .command()
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
