//! What people expect of a command-line tool: completions, manual pages, and
//! output that ends quietly when its reader goes away.

use crate::harness::TestProject;

#[test]
fn completions_for_each_shell_name_the_commands() {
    let project = TestProject::demo();
    for shell in ["bash", "zsh", "fish"] {
        let output = project.run(&["completions", shell]);
        output.success();
        for command in ["send", "subscribers", "rotate-secret", "completions"] {
            assert!(output.stdout.contains(command), "{shell}: no {command}");
        }
    }
    project.run(&["completions", "tcsh"]).code(2);
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
