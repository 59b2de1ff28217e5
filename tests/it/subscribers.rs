//! `verdict subscribers …`: imports from other tools, bad input that changes
//! nothing, and the suppression list that always wins.

use verdict::send::ledger::Outcome;

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
    assert_eq!(project.rows(LIST), before, "the list changed");
}

#[test]
fn invalid_addresses_are_located_and_nothing_is_imported() {
    let project = TestProject::demo();
    let before = project.rows(LIST);
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
    assert!(project.rows(LIST).contains("good@example.net"));
}

#[test]
fn an_empty_file_is_refused() {
    let project = TestProject::demo();
    let before = project.rows(LIST);
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
    let before = project.rows(LIST);
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
    assert_eq!(project.rows(LIST).matches("case@example.net").count(), 1);
    // What is wrong is said in an editor's words, with what is expected.
    for (typo, what) in [
        ("nobody", "it has no `@`"),
        ("eve@@example.com", "it has 2 `@` where an address has one"),
        ("@example.com", "nothing comes before the `@`"),
        ("eve@.example.com", "`.example.com` is not a domain name"),
    ] {
        let bad = project.run(&["subscribers", "add", typo]);
        bad.code(2);
        bad.stderr_has(&format!(
            "`{typo}` is not a valid email address: {what}; expected one such as name@example.com"
        ));
    }
}

#[test]
fn unsubscribe_suppresses_and_add_does_not_bring_the_address_back() {
    let project = TestProject::demo();
    project
        .run(&["subscribers", "unsubscribe", "ML-Team@example.com"])
        .success();
    assert!(
        project
            .rows("subscribers/suppressed.csv")
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
    assert!(!project.rows(LIST).contains("qa@example.com"));
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
            .rows(LIST)
            .contains("ml-team@example.com,Équipe ML,2026-01-01T08:00:00Z")
    );
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        crate::harness::repo_root()
            .join("tests/fixtures/imports")
            .join(name),
    )
    .unwrap()
}

fn suppressed_rows(project: &TestProject) -> Vec<(String, String)> {
    project.added_suppressions()
}

fn listed(project: &TestProject) -> String {
    project.run(&["subscribers", "list"]).stdout
}

#[test]
fn listmonk_blocklisted_readers_are_suppressed_not_listed() {
    let project = TestProject::demo();
    let output = import(&project, "listmonk.csv", &fixture("listmonk.csv"), &[]);
    output.success();
    output.stdout_has("imported 2 new subscriber(s)");
    output.stdout_has("1 opted out in");
    output.stdout_has("(1 unsubscribed, 0 bounced, 0 complained; 1 new there)");
    assert_eq!(
        suppressed_rows(&project),
        vec![("lm-blocked@example.net".into(), "unsubscribed".into())]
    );
    let list = listed(&project);
    assert!(
        list.contains("lm-active@example.net\tListmonk Active"),
        "{list}"
    );
    assert!(!list.contains("lm-blocked"), "{list}");
    // listmonk's timestamptz is read as the subscription date.
    assert!(
        project
            .rows(LIST)
            .contains("lm-active@example.net,Listmonk Active,2025-03-01T10:00:00Z"),
        "{}",
        project.rows(LIST)
    );
}

#[test]
fn buttondown_subscriber_types_sort_readers_into_list_suppressions_and_unconfirmed() {
    let project = TestProject::demo();
    let output = import(&project, "buttondown.csv", &fixture("buttondown.csv"), &[]);
    output.success();
    output.stdout_has("imported 2 new subscriber(s)");
    output.stdout_has("4 opted out in");
    output.stdout_has("(2 unsubscribed, 1 bounced, 1 complained; 4 new there)");
    output.stdout_has("1 never confirmed their sign-up and were left out");
    assert_eq!(
        suppressed_rows(&project),
        vec![
            ("bd-complained@example.net".into(), "complained".into()),
            ("bd-gone@example.net".into(), "unsubscribed".into()),
            ("bd-removed@example.net".into(), "unsubscribed".into()),
            ("bd-undeliverable@example.net".into(), "bounced".into()),
        ]
    );
    let list = listed(&project);
    assert!(list.contains("bd-regular@example.net"));
    assert!(list.contains("bd-premium@example.net"));
    assert!(!list.contains("bd-new@example.net"), "unconfirmed: {list}");
}

#[test]
fn substack_email_disabled_readers_are_suppressed() {
    let project = TestProject::demo();
    let output = import(&project, "substack.csv", &fixture("substack.csv"), &[]);
    output.success();
    output.stdout_has("imported 2 new subscriber(s)");
    assert_eq!(
        suppressed_rows(&project),
        vec![("ss-muted@example.net".into(), "unsubscribed".into())]
    );
    assert!(!listed(&project).contains("ss-muted"));
}

#[test]
fn mailchimp_unsubscribed_and_cleaned_exports_go_to_the_suppression_list() {
    let project = TestProject::demo();
    import(
        &project,
        "subscribed.csv",
        &fixture("mailchimp_subscribed.csv"),
        &[],
    )
    .success()
    .stdout_has("imported 1 new subscriber(s)");
    // Its postal Address column is not taken for the email column.
    assert!(listed(&project).contains("mc-sub@example.net\tMail Chimp"));
    let output = import(
        &project,
        "unsubscribed.csv",
        &fixture("mailchimp_unsubscribed.csv"),
        &[],
    );
    output.success();
    output.stdout_has("imported 0 new subscriber(s)");
    output.stdout_has("2 opted out in");
    let output = import(
        &project,
        "cleaned.csv",
        &fixture("mailchimp_cleaned.csv"),
        &[],
    );
    output.success();
    output.stdout_has("(0 unsubscribed, 1 bounced, 0 complained; 1 new there)");
    assert_eq!(
        suppressed_rows(&project),
        vec![
            ("mc-cleaned@example.net".into(), "bounced".into()),
            ("mc-sub@example.net".into(), "unsubscribed".into()),
            ("mc-unsub@example.net".into(), "unsubscribed".into()),
        ]
    );
    // The reader who unsubscribed after the first export is no longer mailed.
    assert!(!listed(&project).contains("mc-sub@example.net"));
    // Importing the exports again changes nothing.
    let before = project.rows("subscribers/suppressed.csv");
    import(
        &project,
        "unsubscribed.csv",
        &fixture("mailchimp_unsubscribed.csv"),
        &[],
    )
    .success()
    .stdout_has("0 new there");
    assert_eq!(project.rows("subscribers/suppressed.csv"), before);
}

#[test]
fn a_hand_edited_status_is_a_located_error_and_an_opt_out_row_wins_over_a_duplicate() {
    let project = TestProject::demo();
    let before = project.rows(LIST);
    let csv = "email,status\nfine@example.net,enabled\ntypo@example.net,enabeld\n";
    let output = import(&project, "edited.csv", csv.as_bytes(), &[]);
    assert_rejected_unchanged(
        &project,
        &output,
        &[
            "`enabeld` in the status column is not a status verdict knows",
            "edited.csv:3:",
        ],
        &before,
    );
    let csv = "email,status\ntwice@example.net,enabled\nTwice@Example.net,blocklisted\n";
    let output = import(&project, "twice.csv", csv.as_bytes(), &[]);
    output.success();
    output.stdout_has("imported 0 new subscriber(s)");
    assert_eq!(
        suppressed_rows(&project),
        vec![("twice@example.net".into(), "unsubscribed".into())]
    );
    let csv = "email,email_disabled\nx@example.net,maybe\n";
    let output = import(&project, "substack.csv", csv.as_bytes(), &[]);
    output.code(2);
    output.stderr_has("expected true (email turned off) or false");
}

#[test]
fn newer_and_per_list_export_formats_keep_their_opt_outs() {
    // listmonk's export of one list: enabled globally, unsubscribed from the list.
    let project = TestProject::demo();
    let output = import(
        &project,
        "listmonk_list.csv",
        &fixture("listmonk_list.csv"),
        &[],
    );
    output.success();
    output.stdout_has("who opted out from `status` and `subscription_status`");
    assert_eq!(
        suppressed_rows(&project),
        vec![(
            "lml-left@example.net".to_string(),
            "unsubscribed".to_string()
        )]
    );
    let list = listed(&project);
    assert!(list.contains("lml-confirmed@example.net"), "{list}");
    assert!(
        !list.contains("lml-left") && !list.contains("lml-pending"),
        "{list}"
    );
    // Buttondown's newer columns: email_address and type.
    let project = TestProject::demo();
    import(
        &project,
        "buttondown.csv",
        &fixture("buttondown_new.csv"),
        &[],
    )
    .success();
    assert_eq!(
        suppressed_rows(&project),
        vec![
            (
                "bd-new-left@example.net".to_string(),
                "unsubscribed".to_string()
            ),
            (
                "bd-new-spam@example.net".to_string(),
                "complained".to_string()
            ),
        ]
    );
    assert!(listed(&project).contains("bd-new-regular@example.net"));
    // Mailchimp's contacts who never subscribed are not imported.
    let project = TestProject::demo();
    let name = "nonsubscribed_members_export_4f2a1c.csv";
    import(&project, name, &fixture(name), &[])
        .success()
        .stdout_has("1 never confirmed their sign-up and were left out");
    assert!(!listed(&project).contains("buyer@example.net"));
    // A file that cannot say who opted out is imported, and the editor told so.
    let project = TestProject::demo();
    let output = import(
        &project,
        "plain.csv",
        b"email,name\nplain@example.net,Plain\n",
        &[],
    );
    output.success();
    output.stdout_has("read the address from `email`, the name from `name`");
    output.stdout_has("has no column that says who opted out");
}

#[test]
fn a_quote_that_swallows_rows_is_an_error_even_with_skip_invalid() {
    let project = TestProject::demo();
    let mut csv = String::from("email,name\n");
    for i in 0..1000 {
        if i == 2 {
            csv.push_str(&format!("reader{i}@example.net,\"Unclosed name\n"));
        } else {
            csv.push_str(&format!("reader{i}@example.net,Reader {i}\n"));
        }
    }
    let before = project.rows(LIST);
    let output = import(&project, "broken.csv", csv.as_bytes(), &["--skip-invalid"]);
    output.code(2);
    output.stderr_has("broken.csv:4:");
    output.stderr_has("a quote opened here is never closed");
    output.stderr_has("--skip-invalid would lose the rows it swallows");
    assert_eq!(project.rows(LIST), before, "nothing imported");
}

#[test]
fn errors_in_crlf_files_name_their_own_line_and_column() {
    let project = TestProject::demo();
    let output = import(
        &project,
        "crlf.csv",
        b"email,status\r\nfine@example.net,enabled\r\nunsubscribed@example.net,maybe\r\nsecond@example.net,enabled\r\n",
        &[],
    );
    output.code(2);
    // Line 3, and the caret under the status, not inside the address.
    output.stderr_has("crlf.csv:3:26");
}

/// A ledger of a finished issue: every address delivered but `bounced`.
fn finished_ledger(
    project: &TestProject,
    issue: &str,
    started: &str,
    bounced: &[&str],
    skipped: &[&str],
) {
    let outcomes: Vec<(String, Outcome)> = project
        .readers()
        .into_iter()
        .filter(|email| email != "ops@example.org" && !skipped.contains(&email.as_str()))
        .map(|email| {
            let outcome = if bounced.contains(&email.as_str()) {
                Outcome::Bounced
            } else {
                Outcome::Delivered
            };
            (email, outcome)
        })
        .collect();
    let started = chrono::DateTime::parse_from_rfc3339(started)
        .unwrap()
        .to_utc();
    project.write_ledger(issue, started, &outcomes, true);
}

#[test]
fn unsuppress_lifts_by_reason_and_time_keeps_the_history_and_readers_get_what_they_missed() {
    let project = TestProject::demo();
    let demo = crate::harness::DEMO_ISSUE;
    let next = "2026-12-03-next";
    project.write(
        &format!("issues/{next}.toml"),
        &project.read(&format!("issues/{demo}.toml")),
    );
    // What a relay with a broken table did before verdict judged relays: two
    // readers bounced in the storm at 10:01, one long before it.
    let suppressed = "email,reason,at,detail\n\
        ops@example.org,unsubscribed,2026-11-02T10:15:00Z,one-click unsubscribe\n\
        backend@example.com,bounced,2026-11-28T08:00:00Z,no such mailbox\n\
        analytics@example.com,bounced,2026-11-29T10:01:00Z,no such mailbox (reply at sending)\n\
        campus@example.org,bounced,2026-11-29T10:01:00Z,no such mailbox (reply at sending)\n\
        campus@example.org,complained,2026-11-29T12:00:00Z,complaint\n\
        design@example.org,unsubscribed,2026-11-29T10:02:00Z,by the editor\n";
    project.write("subscribers/suppressed.csv", suppressed);
    finished_ledger(
        &project,
        demo,
        "2026-11-29T10:00:00Z",
        &["analytics@example.com", "campus@example.org"],
        &["backend@example.com", "design@example.org"],
    );
    finished_ledger(
        &project,
        next,
        "2026-11-30T09:00:00Z",
        &[],
        &[
            "analytics@example.com",
            "backend@example.com",
            "campus@example.org",
            "design@example.org",
        ],
    );
    let ledgers = |p: &TestProject| {
        (
            p.read(&format!("state/ledger/{demo}.log")),
            p.read(&format!("state/ledger/{next}.log")),
        )
    };
    let before = ledgers(&project);

    let lift = |extra: &[&str]| {
        let mut args = vec![
            "subscribers",
            "unsuppress",
            "--reason",
            "bounced",
            "--since",
            "2026-11-29T10:00:00Z",
            "--until",
            "2026-11-29T11:00:00Z",
        ];
        args.extend_from_slice(extra);
        project.run(&args)
    };
    let dry = lift(&["--dry-run"]);
    dry.success();
    dry.stdout_has("would lift 1 suppression(s)");
    dry.stdout_has("analytics@example.com");
    dry.stdout_has(&format!("{demo}: 1 reader(s) would be due again"));
    dry.stdout_has(&format!("{next}: 1 reader(s) would be due again"));
    assert!(!dry.stdout.contains("backend@"), "outside the range");
    assert!(!dry.stdout.contains("campus@"), "complained since");
    assert_eq!(project.read("subscribers/suppressed.csv"), suppressed);
    assert_eq!(ledgers(&project), before);

    lift(&[]).success().stdout_has("lifted 1 suppression(s)");
    let rows = project.rows("subscribers/suppressed.csv");
    assert!(rows.starts_with(suppressed), "the history stays:\n{rows}");
    assert!(
        rows.contains("analytics@example.com,unsuppressed,"),
        "{rows}"
    );
    // Lifted once: running it again finds nothing.
    lift(&[]).success().stdout_has("nothing to lift");
    project
        .run(&["status"])
        .stdout_has(&format!("{demo}: sending"));
    let server = crate::smtp::SmtpServer::start();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    let received: Vec<String> = server
        .received()
        .iter()
        .map(|m| m.to().to_string())
        .collect();
    assert_eq!(
        received,
        vec!["analytics@example.com", "analytics@example.com"],
        "the lifted reader gets both issues it missed, nobody else anything"
    );
    project
        .run(&["status"])
        .stdout_has(&format!("{demo}: sent;"));
}

#[test]
fn unsuppress_refuses_careless_input_and_waits_for_no_running_send() {
    let project = TestProject::demo();
    let unsuppress = |extra: &[&str]| {
        let mut args = vec!["subscribers", "unsuppress", "--reason", "unsubscribed"];
        args.extend_from_slice(extra);
        project.run(&args)
    };
    unsuppress(&["--since", "yesterday"])
        .code(2)
        .stderr_has("--since yesterday is not a time");
    unsuppress(&[
        "--since",
        "2026-11-29T10:00:00Z",
        "--until",
        "2026-11-01T00:00:00Z",
    ])
    .code(2)
    .stderr_has("is before --since");
    project
        .run(&[
            "subscribers",
            "unsuppress",
            "--reason",
            "spam",
            "--since",
            "2026-11-01T00:00:00Z",
        ])
        .code(2);
    // A send holds the lock: nothing is changed.
    std::fs::create_dir_all(project.path().join("state")).unwrap();
    let mut holder = std::process::Command::new("flock")
        .arg(project.path().join("state/send.lock"))
        .args(["-c", "echo locked; cat"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    let before = project.read("subscribers/suppressed.csv");
    unsuppress(&["--since", "2026-11-01T00:00:00Z"]).code(4);
    assert_eq!(project.read("subscribers/suppressed.csv"), before);
    drop(holder.stdin.take());
    holder.wait().unwrap();
    unsuppress(&["--since", "2026-11-01T00:00:00Z"])
        .success()
        .stdout_has("lifting 1 suppression(s)");
}

#[test]
fn a_row_with_more_fields_than_the_header_is_located_and_nothing_is_imported() {
    let project = TestProject::demo();
    let before = project.rows(LIST);
    // A comma typed for a dot, and stray fields after the last name.
    let csv = "Email Address,First Name,Last Name\n\
               good@example.net,Good,Reader\n\
               eve@example,com,Eve,Stone\n\
               pat@example.com,Pat,Extra,Fields\n";
    let output = import(&project, "extra.csv", csv.as_bytes(), &[]);
    assert_rejected_unchanged(
        &project,
        &output,
        &[
            "extra.csv:3:21",
            "extra.csv:4:27",
            "this row has 4 fields, but the header has 3",
            "expected 3 fields (Email Address, First Name, Last Name)",
            "nothing was imported: 2 problem(s)",
        ],
        &before,
    );
    let skipped = import(&project, "extra.csv", csv.as_bytes(), &["--skip-invalid"]);
    skipped.success();
    skipped.stdout_has("imported 1 new subscriber(s)");
    skipped.stdout_has("2 invalid row(s) skipped");
    let list = project.rows(LIST);
    assert!(list.contains("good@example.net,Good Reader,"), "{list}");
    assert!(!list.contains("eve@example"), "{list}");
    assert!(!list.contains("pat@example.com"), "{list}");
}

#[test]
fn an_address_whose_domain_has_no_dot_is_refused_by_import_and_add() {
    let project = TestProject::demo();
    let before = project.rows(LIST);
    let output = import(
        &project,
        "dotless.csv",
        b"email,name\nok@example.net,Ok\ndan@exmaple,Dan\n",
        &[],
    );
    assert_rejected_unchanged(
        &project,
        &output,
        &[
            "dotless.csv:3:1",
            "`dan@exmaple` has a domain without a dot",
            "name@example.com",
        ],
        &before,
    );
    let add = project.run(&["subscribers", "add", "eve@example"]);
    add.code(2);
    add.stderr_has("`eve@example` has a domain without a dot");
    assert_eq!(project.rows(LIST), before, "the list changed");
}

#[test]
fn a_plain_subscribed_at_date_is_midnight_utc_and_garbage_is_located() {
    let project = TestProject::demo();
    project.write(
        LIST,
        "email,name,subscribed_at\nday@example.com,Day,2026-11-29\nbad@example.com,Bad,29/11/2026\n",
    );
    let check = project.run(&["check"]);
    check.code(2);
    check.stderr_has("subscribers/subscribers.csv:3:21");
    check.stderr_has("`29/11/2026` is not a date and time");
    check.stderr_has("a date such as 2026-01-01 (midnight UTC)");
    project.write(
        LIST,
        "email,name,subscribed_at\nday@example.com,Day,2026-11-29\n",
    );
    project.run(&["check"]).success();
    let export = project.run(&["subscribers", "export"]);
    export.success();
    export.stdout_has("day@example.com,Day,2026-11-29T00:00:00Z");
    // Import reads the same column the same way.
    let output = import(
        &project,
        "dated.csv",
        b"email,subscribed_at\nnew@example.net,2026-11-30\n",
        &[],
    );
    output.success();
    assert!(
        project
            .rows(LIST)
            .contains("new@example.net,,2026-11-30T00:00:00Z"),
        "{}",
        project.rows(LIST)
    );
}

#[test]
fn a_typo_in_a_suppression_reason_gets_a_suggestion() {
    let project = TestProject::demo();
    project.write(
        "subscribers/suppressed.csv",
        "email,reason,at,detail\nx@example.com,unsubscibed,,\n",
    );
    let check = project.run(&["check"]);
    check.code(2);
    check.stderr_has("subscribers/suppressed.csv:2:15");
    check.stderr_has("unknown reason `unsubscibed`: did you mean `unsubscribed`?");
}

#[test]
fn export_and_its_help_name_the_consent_column() {
    let project = TestProject::demo();
    let help = project.run(&["subscribers", "--help"]);
    help.success();
    help.stdout_has("(email, name, subscribed_at, and consent when any of them has it)");
    project
        .run(&["subscribers", "add", "new@example.net"])
        .success();
    let export = project.run(&["subscribers", "export"]);
    export.success();
    assert!(
        export
            .stdout
            .starts_with("email,name,subscribed_at,consent\n"),
        "{}",
        export.stdout
    );
    assert!(export.stdout.contains(",added by the editor\n"));
}

#[test]
fn an_import_with_a_date_it_cannot_read_warns_at_it_and_imports_the_reader() {
    let project = TestProject::demo();
    let csv = "email,name,created\nwhen@example.net,When,last tuesday\n";
    let output = import(&project, "dates.csv", csv.as_bytes(), &[]);
    output.success();
    output.stderr_has("the date `last tuesday` could not be read");
    output.stderr_has("dates.csv:2:23");
    assert!(project.read(LIST).contains("when@example.net,When,"));
}
