//! `verdict subscribers …`: imports from other tools, bad input that changes
//! nothing, and the suppression list that always wins.

use crate::harness::TestProject;

const LIST: &str = "subscribers/subscribers.csv";

fn import(
    project: &TestProject,
    name: &str,
    content: &[u8],
    extra: &[&str],
) -> crate::harness::Output {
    let file = project.path().join(name);
    std::fs::write(&file, content).unwrap();
    let mut args = vec!["subscribers", "import", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    project.run(&args)
}

#[test]
fn an_export_from_another_tool_imports_with_bom_quoted_commas_and_crlf() {
    let project = TestProject::demo();
    let csv = "\u{feff}Email Address,First Name,Last Name,MEMBER_RATING\r\n\
               New.One@Example.net,\"Data, Inc.\",Desk,2\r\n\
               new.one@example.net,Duplicate,Row,1\r\n\
               ML-Team@example.com,Already,There,3\r\n\
               ops@example.org,Was,Suppressed,1\r\n\
               second@example.net,,,1\r\n";
    let output = import(&project, "mailchimp.csv", csv.as_bytes(), &[]);
    output.success();
    assert!(
        output.stdout.contains("imported 2 new subscriber(s); 1 already subscribed, 1 duplicate row(s), 1 suppressed and left out"),
        "{}",
        output.stdout
    );
    let list = project.read(LIST);
    assert!(
        list.contains("new.one@example.net,\"Data, Inc. Desk\","),
        "{list}"
    );
    assert!(list.contains("second@example.net,,"));
    assert_eq!(
        list.matches("\nops@example.org,").count(),
        1,
        "an import never brings back a suppressed address"
    );
    let listed = project.run(&["subscribers", "list"]);
    assert!(
        !listed
            .stdout
            .lines()
            .any(|l| l.starts_with("ops@example.org\t"))
    );
    assert!(
        listed
            .stdout
            .contains("new.one@example.net\tData, Inc. Desk")
    );
}

fn assert_rejected_unchanged(
    project: &TestProject,
    output: &crate::harness::Output,
    expected: &[&str],
    before: &str,
) {
    output.code(2);
    for needle in expected {
        assert!(
            output.stderr.contains(needle),
            "missing {needle:?} in:\n{}",
            output.stderr
        );
    }
    assert_eq!(project.read(LIST), before, "the list changed");
}

#[test]
fn invalid_addresses_are_located_and_nothing_is_imported() {
    let project = TestProject::demo();
    let before = project.read(LIST);
    let csv = "email,name\ngood@example.net,Good\nnot-an-address,Bad\nalso@@bad,Worse\n";
    let output = import(&project, "bad.csv", csv.as_bytes(), &[]);
    assert_rejected_unchanged(
        &project,
        &output,
        &[
            "bad.csv:3:1",
            "not-an-address",
            "bad.csv:4:1",
            "also@@bad",
            "nothing was imported: 2 problem(s)",
            "--skip-invalid",
        ],
        &before,
    );
    let skipped = import(&project, "bad.csv", csv.as_bytes(), &["--skip-invalid"]);
    skipped.success();
    skipped.stdout_has("imported 1 new subscriber(s)");
    skipped.stdout_has("2 invalid row(s) skipped");
    assert!(project.read(LIST).contains("good@example.net"));
}

#[test]
fn an_empty_file_is_refused() {
    let project = TestProject::demo();
    let before = project.read(LIST);
    let output = import(&project, "empty.csv", b"", &[]);
    assert_rejected_unchanged(
        &project,
        &output,
        &["empty.csv", "the file is empty", "email column"],
        &before,
    );
}

#[test]
fn a_file_that_is_not_csv_is_refused() {
    let project = TestProject::demo();
    let before = project.read(LIST);
    let spreadsheet = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe\x00binary";
    let output = import(&project, "list.xlsx", spreadsheet, &[]);
    assert_rejected_unchanged(&project, &output, &["list.xlsx", "not UTF-8 text"], &before);
    let output = import(
        &project,
        "notes.txt",
        b"just some notes\nwithout any addresses\n",
        &[],
    );
    assert_rejected_unchanged(
        &project,
        &output,
        &["notes.txt:1:1", "no email column in the header row"],
        &before,
    );
}

#[test]
fn the_same_address_in_two_cases_is_added_once() {
    let project = TestProject::demo();
    project
        .run(&["subscribers", "add", "Case@Example.net"])
        .success();
    let again = project.run(&["subscribers", "add", "case@EXAMPLE.net"]);
    again.success();
    assert!(again.stdout.contains("already subscribed"));
    assert_eq!(project.read(LIST).matches("case@example.net").count(), 1);
    let bad = project.run(&["subscribers", "add", "nobody"]);
    bad.code(2);
    bad.stderr_has("not a valid email address");
}

#[test]
fn unsubscribe_suppresses_and_add_does_not_bring_the_address_back() {
    let project = TestProject::demo();
    project
        .run(&["subscribers", "unsubscribe", "ML-Team@example.com"])
        .success();
    assert!(
        project
            .read("subscribers/suppressed.csv")
            .contains("ml-team@example.com,unsubscribed,")
    );
    let readd = project.run(&["subscribers", "add", "ml-team@example.com"]);
    readd.code(2);
    readd.stderr_has("suppression list");
    let export = project.run(&["subscribers", "export"]);
    export.success();
    assert!(export.stdout.starts_with("email,name,subscribed_at\n"));
    assert!(!export.stdout.contains("ml-team@example.com"));
    assert_eq!(export.stdout.lines().count(), 1 + 23);
    project
        .run(&["subscribers", "remove", "qa@example.com"])
        .success();
    assert!(!project.read(LIST).contains("qa@example.com"));
}

#[test]
fn an_export_imports_back_into_an_empty_project() {
    let source = TestProject::demo();
    let exported = source.run(&["subscribers", "export"]);
    exported.success();
    let target = TestProject::demo();
    target.write(LIST, "email,name,subscribed_at\n");
    let output = import(&target, "export.csv", exported.stdout.as_bytes(), &[]);
    output.success();
    output.stdout_has("imported 24 new subscriber(s)");
    assert!(
        target
            .read(LIST)
            .contains("ml-team@example.com,Équipe ML,2026-01-01T08:00:00Z")
    );
}
