//! Every kind of mistake in an issue file, with its whole diagnostic pinned.

use verdict::author::issue::{Catalog, Issue, ToolProfiles};

use crate::harness::{TestProject, demo_roster, demo_tools, repo_root};

/// The diagnostics of a fixture read without tool profiles.
fn diagnose(name: &str) -> String {
    diagnose_with(name, &ToolProfiles::default())
}

fn diagnose_with(name: &str, tools: &ToolProfiles) -> String {
    let file = format!("2026-01-01-{name}.toml");
    let source =
        std::fs::read_to_string(repo_root().join("tests/fixtures/bad-issues").join(&file)).unwrap();
    let roster = demo_roster();
    let catalog = Catalog {
        roster: &roster,
        tools,
    };
    match Issue::parse(&format!("issues/{file}"), &source, catalog) {
        Ok(_) => panic!("{file} should not parse"),
        Err(report) => report.render(false),
    }
}

macro_rules! pinned {
    ($($test:ident => $fixture:literal),* $(,)?) => {$(
        #[test]
        fn $test() {
            insta::assert_snapshot!(stringify!($test), diagnose($fixture));
        }
    )*};
}

pinned! {
    toml_syntax_error => "syntax-error",
    unknown_field_suggests_the_nearest_name => "unknown-field",
    wrong_type => "wrong-type",
    missing_required_field => "missing-field",
    unknown_reviewer_id => "unknown-reviewer",
    community_vote_outside_0_to_100 => "vote-out-of-range",
    send_at_without_offset => "send-at-without-offset",
    line_break_inside_the_subject => "line-break-in-subject",
    tool_without_reviews => "tool-without-reviews",
    an_unclosed_multiline_string_is_one_error_at_its_opening => "unclosed-string",
    a_bare_word_gets_the_hint_to_quote_it => "bare-word",
    a_misspelt_verdict_suggests_the_nearest_and_any_case_is_fine => "misspelt-verdict",
    empty_required_text_is_an_error => "empty-text",
    broken_links_are_located_errors => "broken-links",
    an_unclosed_string_before_another_is_found_where_it_opens => "unclosed-before-another",
}

#[test]
fn an_unknown_profile_and_bad_overrides_are_all_located() {
    let output = diagnose_with("unknown-profile", &demo_tools());
    insta::assert_snapshot!("unknown_profile", output);
    for needle in [
        "unknown tool profile `axolotol`",
        "did you mean `axolotl`?",
        "`pricing` is empty",
        "`mistral.ai` is not a web address",
        "logo `mistral.png`: there is no such file in tools/",
    ] {
        assert!(output.contains(needle), "no {needle:?} in\n{output}");
    }
    assert_eq!(output.matches("error:").count(), 4, "{output}");
}

#[test]
fn three_mistakes_are_all_reported_in_file_order() {
    let output = diagnose("three-mistakes");
    insta::assert_snapshot!("three_mistakes", output);
    assert_eq!(output.matches("error:").count(), 3, "{output}");
    let lines: Vec<usize> = ["categroy", "42", "maybe"]
        .iter()
        .map(|needle| output.find(needle).unwrap())
        .collect();
    assert!(
        lines[1] < lines[0] && lines[0] < lines[2],
        "reported out of file order:\n{output}"
    );
}

#[test]
fn check_fails_with_located_errors_and_exit_code_2() {
    let project = TestProject::demo();
    let bad = std::fs::read_to_string(
        repo_root().join("tests/fixtures/bad-issues/2026-01-01-unknown-reviewer.toml"),
    )
    .unwrap();
    project.write("issues/2026-01-01-unknown-reviewer.toml", &bad);
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("issues/2026-01-01-unknown-reviewer.toml:30:12");
    output.stderr_has("did you mean `skeptic`?");
}

#[test]
fn check_is_clean_on_the_demo_but_for_the_unsent_past_send_time() {
    let project = TestProject::demo();
    let output = project.run(&["check"]);
    output.success();
    output.stdout_has("0 error(s), 1 warning(s)");
    output.stderr_has("send_at is in the past");
}

#[test]
fn check_warns_without_failing_on_lint() {
    let project = TestProject::demo();
    let issue = format!("issues/{}.toml", crate::harness::DEMO_ISSUE);
    project
        .edit(&issue, "preheader = \"The side-by-side panel verdict, pricing read, reviewer split and community vote.\"\n", "")
        .edit(
            &issue,
            "subject = \"Axolotl v0.16 vs Mistral Medium 3: which one should you ship with?\"",
            "subject = \"Axolotl v0.16 vs Mistral Medium 3: which one should you ship with, and why would you, really?\"",
        )
        .set_demo_send_at(Some("2099-11-26T09:00:00+00:00"))
        .edit(&issue, "reviewer split, and community vote comparison.", "reviewer split. ![](https://example.com/chart.png)");
    let output = project.run(&["check"]);
    output.success();
    assert!(
        output.stdout.contains("0 error(s), 4 warning(s)"),
        "{}\n{}",
        output.stdout,
        output.stderr
    );
    output.stderr_has("send_at is 26663 days after the date in the file name");
    output.stderr_has("the subject is 93 characters long");
    output.stderr_has("no preheader");
    output.stderr_has("has no alt text");
}

#[test]
fn check_warns_when_the_html_would_be_clipped_by_gmail() {
    let project = TestProject::demo();
    let issue = format!("issues/{}.toml", crate::harness::DEMO_ISSUE);
    let long = "A long paragraph of analysis. ".repeat(4000);
    project.edit(
        &issue,
        "Which one should you ship with? Here",
        &format!("{long}\n\nHere"),
    );
    let output = project.run(&["check"]);
    output.success();
    output.stderr_has("Gmail clips messages over 102 KB");
}

#[test]
fn check_warns_about_issues_that_clash_drift_or_changed_after_sending_started() {
    let project = TestProject::demo();
    let demo = format!("issues/{}.toml", crate::harness::DEMO_ISSUE);
    project.write("issues/2026-11-26-another.toml", &project.read(&demo));
    let output = project.run(&["check"]);
    output.success();
    output.stderr_has("2026-11-26-another has the same date");
    project.remove("issues/2026-11-26-another.toml");

    project.set_demo_send_at(Some("2025-11-26T09:00:00+00:00"));
    project
        .run(&["check"])
        .success()
        .stderr_has("send_at is 365 days before the date in the file name (2026-11-26)");

    project.set_demo_send_at(Some("2026-11-26T09:00:00+00:00"));
    project.run(&["send", "--limit", "2"]).success();
    project.run(&["check"]).success();
    assert!(
        !project
            .run(&["check"])
            .stderr
            .contains("changed after it started")
    );
    project.edit(
        &demo,
        "which one should you ship with?",
        "which one do you ship with?",
    );
    project
        .run(&["check"])
        .success()
        .stderr_has("the issue changed after it started sending");
    project
        .run(&["status"])
        .stdout_has("the issue file changed after sending started");
}

#[test]
fn a_bidi_override_in_the_subject_and_a_missing_preheader_are_located() {
    let project = TestProject::demo();
    let demo = format!("issues/{}.toml", crate::harness::DEMO_ISSUE);
    project.edit(
        &demo,
        "Axolotl v0.16 vs Mistral",
        "Axolotl v0.16 vs \u{202e}Mistral",
    );
    project.edit(
        &demo,
        "preheader = \"The side-by-side panel verdict, pricing read, reviewer split and community vote.\"\n",
        "",
    );
    let output = project.run(&["check"]);
    output.success();
    output.stderr_has("`subject` contains a bidirectional control character");
    output.stderr_has("the issue has no preheader");
    output.stderr_has(&format!("--> {demo}:4:11"));
    output.stderr_has("the preview line goes under the subject");
}

#[test]
fn preview_takes_only_issues_of_the_project_and_matches_a_unique_start() {
    let project = TestProject::demo();
    project.write("secret.txt", "first line of a private file\n");
    for outside in [
        "/etc/passwd",
        "../secret.txt",
        "secret.txt",
        "issues/../secret.txt",
    ] {
        let output = project.run(&["preview", outside]);
        output.code(2);
        output.stderr_has("no issue named");
        assert!(
            !output.stderr.contains("private file") && !output.stderr.contains("root:"),
            "{}",
            output.stderr
        );
    }
    let out = project.path().join("out");
    project
        .run(&["preview", "2026-11-26", "--out", out.to_str().unwrap()])
        .success()
        .stdout_has("2026-11-26-axolotl-vs-mistral-medium-3.html");
    project.write(
        "issues/2026-11-26-another.toml",
        &project.read(&format!("issues/{}.toml", crate::harness::DEMO_ISSUE)),
    );
    project
        .run(&["preview", "2026-11-26"])
        .code(2)
        .stderr_has("matches several issues");
}

#[test]
fn every_mistake_of_one_review_is_reported() {
    let project = crate::harness::TestProject::demo();
    let issue = format!("issues/{}.toml", crate::harness::DEMO_ISSUE);
    let text = project.read(&issue);
    let first = text.find("reviewer = \"").unwrap();
    let end = text[first..].find('\n').unwrap() + first;
    let verdict = text[end..].find("verdict = \"ship\"").unwrap() + end;
    let mut edited = text.clone();
    edited.replace_range(
        verdict..verdict + "verdict = \"ship\"".len(),
        "verdict = \"maybe\"",
    );
    edited.replace_range(first..end, "reviewer = \"nobody-here\"");
    project.write(&issue, &edited);
    let output = project.run(&["check", crate::harness::DEMO_ISSUE]);
    output.code(2);
    output.stderr_has("unknown reviewer `nobody-here`");
    output.stderr_has("unknown verdict `maybe`");
}

#[test]
fn a_file_that_is_not_utf8_is_a_located_error() {
    let project = crate::harness::TestProject::demo();
    let issue = format!("issues/{}.toml", crate::harness::DEMO_ISSUE);
    let mut bytes = std::fs::read(project.path().join(&issue)).unwrap();
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    bytes.extend_from_slice(b"bottom = \"caf\xe9\"\n");
    std::fs::write(project.path().join(&issue), bytes).unwrap();
    let output = project.run(&["check", crate::harness::DEMO_ISSUE]);
    output.code(2);
    output.stderr_has(&format!("{issue}:{}:14", lines + 1));
    output.stderr_has("the file is not UTF-8 text");
    // verdict.toml too.
    let mut config = std::fs::read(project.path().join("verdict.toml")).unwrap();
    config.extend_from_slice(b"# \xff\n");
    std::fs::write(project.path().join("verdict.toml"), config).unwrap();
    let output = project.run(&["preview", crate::harness::DEMO_ISSUE]);
    output.code(2);
    output.stderr_has("verdict.toml:");
}

#[test]
fn a_closed_standard_error_or_output_ends_a_command_quietly() {
    let project = crate::harness::TestProject::demo();
    let issue = format!("issues/{}.toml", crate::harness::DEMO_ISSUE);
    project.edit(&issue, "verdict = \"ship\"", "verdict = \"maybe\"");
    for args in [&["check"][..], &["status"], &["subscribers", "list"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let (out_reader, out_writer) = std::io::pipe().unwrap();
        drop(out_reader);
        let status = project
            .command()
            .args(args)
            .stderr(writer)
            .stdout(out_writer)
            .status()
            .unwrap();
        assert_ne!(status.code(), Some(101), "{args:?} panicked");
        assert!(
            status.code().is_some(),
            "{args:?} died of a signal: {status:?}"
        );
    }
}

#[test]
fn check_warns_of_a_list_column_it_does_not_read_and_of_a_torn_last_row() {
    let project = crate::harness::TestProject::demo();
    project.write(
        "subscribers/subscribers.csv",
        "email,name,subscribed at\na@example.com,A,2026-01-01T00:00:00Z\n\"b@exa",
    );
    let output = project.run(&["check"]);
    output.success();
    output.stderr_has("the column `subscribed at` is not read: did you mean `subscribed_at`?");
    output.stderr_has("subscribers/subscribers.csv:3:1");
    output.stderr_has("taken as a row torn by a crash");
}

#[test]
fn an_image_without_alt_text_and_raw_html_are_located_where_they_are_written() {
    let project = TestProject::demo();
    let issue = format!("issues/{}.toml", crate::harness::DEMO_ISSUE);
    project
        .edit(
            &issue,
            "Pick **Axolotl v0.16** if",
            "Pick <b>Axolotl v0.16</b> if",
        )
        .edit(
            &issue,
            "hardware; pick **Mistral Medium 3**",
            "hardware ![](https://example.com/chart.png); pick **Mistral Medium 3**",
        );
    let source = project.read(&issue);
    // Each at its own line and column inside the multi-line bottom_line.
    let place = |needle: &str| {
        let at = source.find(needle).unwrap();
        let line = source[..at].matches('\n').count() + 1;
        let column = at - source[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
        format!("{issue}:{line}:{column}")
    };
    let output = project.run(&["check"]);
    output.success();
    let warning = |message: &str| {
        let start = output
            .stderr
            .find(message)
            .unwrap_or_else(|| panic!("no {message:?} in\n{}", output.stderr));
        output.stderr[start..]
            .lines()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        warning("has no alt text").ends_with(&place("https://example.com/chart.png")),
        "{}",
        output.stderr
    );
    assert!(
        warning("this text contains HTML").ends_with(&place("<b>")),
        "{}",
        output.stderr
    );
    output.stderr_has("^^^ HTML here");
}
