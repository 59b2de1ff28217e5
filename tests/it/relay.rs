//! `verdict send` against relays that misbehave on purpose (aiosmtpd with faults
//! injected through its hooks) and projects damaged by hand: nothing may lose a
//! reader, suppress one wrongly, mark an issue sent that was not, or hang.

use std::time::Duration;

use verdict::send::ledger::Outcome;

use crate::harness::{DEMO_ISSUE, TestProject};
use crate::smtp::SmtpServer;

const SUPPRESSED: &str = "subscribers/suppressed.csv";

/// Short deadlines and retries, so that faults play out in seconds.
fn quick(project: &TestProject) -> &TestProject {
    project.edit(
        "verdict.toml",
        "retry_delay_ms = 1000\n# How long to wait for the relay's answer to one SMTP command (1 to 600).\ntimeout_secs = 30",
        "retry_delay_ms = 20\ntimeout_secs = 1",
    )
}

#[test]
fn a_relay_that_refuses_the_sender_stops_the_run_and_records_nothing() {
    let project = TestProject::demo();
    quick(&project);
    let before = project.rows(SUPPRESSED);
    let server = SmtpServer::with_faults(&[(
        "verdicts@example.com",
        "mail",
        "553 5.7.1 <verdicts@example.com>: Sender address rejected: not owned by user",
        None,
    )]);
    let output = project.run(&["send", "--transport", &server.url()]);
    output.code(1);
    output.stderr_has("refused the newsletter");
    output.stderr_has("Sender address rejected");
    output.stderr_has("24 reader(s) left pending");
    assert_eq!(project.ledger_outcomes(), 0);
    assert_eq!(project.rows(SUPPRESSED), before);
    project.run(&["status"]).stdout_has("remaining 24");
}

#[test]
fn a_sender_rejection_at_rcpt_puts_nobody_on_the_suppression_list() {
    // Postfix rejects the sender at RCPT time (smtpd_delay_reject), with the
    // sender's address and 5.1.0: that is not 24 bad readers.
    let project = TestProject::demo();
    quick(&project);
    let before = project.rows(SUPPRESSED);
    let server = SmtpServer::with_faults(&[(
        "*",
        "rcpt",
        "550 5.1.0 <verdicts@example.com>: Sender address rejected: User unknown",
        None,
    )]);
    let output = project.run(&["send", "--transport", &server.url(), "--concurrency", "1"]);
    output.code(1);
    output.stderr_has("refuses the newsletter, not the readers");
    output.stderr_has("<…@example.com>: Sender address rejected");
    assert_eq!(project.rows(SUPPRESSED), before, "nobody was suppressed");
    let status = project.run(&["status"]);
    status.stdout_has("failed 0, bounced 0");
    assert!(!status.stdout.contains(": sent;"), "{}", status.stdout);
    project
        .run(&["subscribers", "add", "new-reader@example.com"])
        .success();
    // Fixed relay: the next run sends to everyone.
    let fixed = SmtpServer::start();
    project
        .run(&["send", "--transport", &fixed.url()])
        .success();
    assert_eq!(fixed.count(), 24);
}

#[test]
fn a_policy_block_or_a_code_inside_an_address_is_a_failure_not_a_bounce() {
    let project = TestProject::demo();
    quick(&project);
    let server = SmtpServer::with_faults(&[
        (
            "labs@example.org",
            "rcpt",
            "554 5.7.1 Service unavailable; Client host [192.0.2.5.1.1] blocked using zen.spamhaus.org",
            None,
        ),
        (
            "qa@example.com",
            "rcpt",
            "550 Requested action not taken: mailbox unavailable",
            None,
        ),
        (
            "research@example.com",
            "rcpt",
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found",
            None,
        ),
    ]);
    let output = project.run(&["send", "--transport", &server.url()]);
    output.code(3);
    output.stdout_has("failed 2, bounced 1");
    let suppressed = project.rows(SUPPRESSED);
    assert!(
        suppressed.contains("research@example.com,bounced"),
        "{suppressed}"
    );
    assert!(!suppressed.contains("labs@example.org"));
    assert!(!suppressed.contains("qa@example.com"));
    let failed = project.run(&["status", DEMO_ISSUE, "--failed"]);
    failed.stdout_has("labs@example.org\tfailed");
    failed.stdout_has("research@example.com\tbounced");
}

#[test]
fn a_relay_that_greets_with_421_is_found_down_in_seconds() {
    let project = TestProject::demo();
    quick(&project);
    let server = SmtpServer::greeting_with("421 4.3.2 Service shutting down");
    // Found down by its greeting, not by waiting out retries and deadlines: a
    // run that kept trying would be killed at the bound and fail the exit code.
    let output = project.run_bounded(
        &["send", "--transport", &server.url()],
        Duration::from_secs(120),
    );
    output.code(1);
    output.stderr_has("looks down");
    output.stderr_has("421 4.3.2 Service shutting down");
    assert_eq!(
        project.ledger_outcomes(),
        0,
        "no reader had attempts burned"
    );
    let status = project.run(&["status"]);
    status.stdout_has("due since");
    status.stdout_has("not yet tried 24");
}

#[test]
fn a_relay_that_answers_and_then_goes_silent_cannot_hang_the_run() {
    let project = TestProject::demo();
    quick(&project);
    project.edit("verdict.toml", "max_attempts = 4", "max_attempts = 2");
    let server =
        SmtpServer::with_faults(&[("labs@example.org", "rcpt-silent", "450 4.2.0 Busy", None)]);
    let output = project.run_bounded(
        &["send", "--transport", &server.url()],
        Duration::from_secs(120),
    );
    output.code(3);
    output.stdout_has("delivered 23");
    output.stdout_has("deferred 1");
    // The silent connection was given up on by the command deadline.
    project
        .run(&["status", DEMO_ISSUE, "--failed"])
        .stdout_has("labs@example.org\tdeferred");
    // The lock is free: the next run starts at once.
    let again = project.run(&["send", "--transport", &SmtpServer::start().url()]);
    again.success();
    again.stdout_has("delivered 1, already sent 23");
}

#[test]
fn a_damaged_list_stops_the_send_before_anything_is_recorded() {
    for (list, place) in [
        (
            "emial,name,subscribed_at\na@example.com,A,2026-01-01T00:00:00Z\n",
            "subscribers/subscribers.csv:1:1",
        ),
        (
            "email,name,subscribed_at\na@example.com,A,2026-01-01T00:00:00Z\nb@example.com,B,yesterday\n",
            "subscribers/subscribers.csv:3:17",
        ),
    ] {
        let project = TestProject::demo();
        project.write("subscribers/subscribers.csv", list);
        let server = SmtpServer::start();
        let output = project.run(&["send", "--transport", &server.url()]);
        output.code(2);
        output.stderr_has(place);
        assert_eq!(server.count(), 0);
        assert!(
            !project
                .path()
                .join(format!("state/ledger/{DEMO_ISSUE}.log"))
                .exists()
        );
        project.run(&["check"]).code(2).stderr_has(place);
    }
    // What hand edits commonly produce is fine: no final newline, a column left out.
    let project = TestProject::demo();
    project.write(
        "subscribers/subscribers.csv",
        "email\na@example.com\nb@example.com",
    );
    project.write(SUPPRESSED, "email,reason,at,detail\nb@example.com");
    let server = SmtpServer::start();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    assert_eq!(server.received().len(), 1);
    project.run(&["check"]).success();
}

#[test]
fn an_unreadable_issue_or_a_corrupt_ledger_holds_back_that_issue_only() {
    let project = TestProject::demo();
    let next = "issues/2026-12-03-next.toml";
    project.write(next, &project.read(&format!("issues/{DEMO_ISSUE}.toml")));
    std::fs::create_dir(project.path().join("issues/2026-12-01-broken.toml")).unwrap();
    std::fs::create_dir_all(project.path().join("state/ledger")).unwrap();
    project.write(
        &format!("state/ledger/{DEMO_ISSUE}.log"),
        "{\"kind\":\"start\",\"at\":\"2026-11-26T09:00:00Z\"}\nnot json\n{\"kind\":\"start\",\"at\":\"2026-11-26T09:00:00Z\"}\n",
    );
    let server = SmtpServer::start();
    let output = project.run(&["send", "--transport", &server.url()]);
    output.code(1);
    output.stdout_has("2026-12-03-next: delivered 24");
    output.stderr_has(&format!("{DEMO_ISSUE}.log:2: unreadable record"));
    output.stderr_has("2026-12-01-broken.toml");
    assert_eq!(server.count(), 24);
}

#[test]
fn an_issue_that_started_sending_stays_due_until_everyone_has_an_outcome() {
    let project = TestProject::demo();
    quick(&project);
    project.set_demo_send_at(Some("2099-01-01T09:00:00+00:00"));
    let flaky =
        SmtpServer::with_faults(&[("labs@example.org", "rcpt", "451 4.3.0 Try later", None)]);
    let early = project.run(&["send", DEMO_ISSUE, "--now", "--transport", &flaky.url()]);
    early.code(3);
    early.stdout_has("deferred 1");
    // A plain send (cron) picks up the deferred reader although send_at is ahead.
    let server = SmtpServer::start();
    let later = project.run(&["send", "--transport", &server.url()]);
    later.success();
    later.stdout_has("delivered 1, already sent 23");
    project.run(&["status"]).stdout_has(": sent;");
}

#[test]
fn a_reader_deferred_for_too_long_is_given_up_on_and_cron_goes_quiet() {
    let project = TestProject::demo();
    project.edit(
        "verdict.toml",
        "give_up_after_hours = 72",
        "give_up_after_hours = 1",
    );
    let long_ago = chrono::Utc::now() - chrono::Duration::hours(3);
    project.write_ledger(
        DEMO_ISSUE,
        long_ago,
        &[("labs@example.org".into(), Outcome::Deferred)],
        false,
    );
    let server = SmtpServer::start();
    let output = project.run(&["send", "--transport", &server.url()]);
    output.success();
    output.stdout_has("delivered 23");
    output.stdout_has("given up on 1");
    assert!(
        !server
            .received()
            .iter()
            .any(|m| m.to() == "labs@example.org")
    );
    project
        .run(&["status"])
        .stdout_has("sent (some given up on)");
    project
        .run(&["send", "--quiet", "--transport", &server.url()])
        .success();
}

#[test]
fn sigterm_finishes_the_messages_in_flight_and_the_next_run_completes() {
    let project = TestProject::demo();
    let server = SmtpServer::start();
    let url = server.url();
    let child = project.send_in_background(&url, "10", "2");
    server.wait_for(3, Duration::from_secs(30));
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    let sent_before = server.count();
    assert!(sent_before < 24);
    assert_eq!(
        project.ledger_outcomes(),
        sent_before,
        "every message sent is recorded"
    );
    assert_eq!(project.read("state/send.lock"), "", "the lock is released");
    let rest = project.run(&["send", "--transport", &url]);
    rest.success();
    let mut seen = std::collections::HashSet::new();
    for message in server.received() {
        assert!(
            seen.insert(message.to().to_string()),
            "{} got two copies",
            message.to()
        );
    }
    assert_eq!(seen.len(), 24);
}

#[test]
fn concurrency_beyond_the_open_file_limit_is_lowered_with_a_note() {
    let project = TestProject::demo();
    let binary = env!("CARGO_BIN_EXE_verdict");
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 100 && exec {binary} --project {} send --concurrency 900",
            project.path().display()
        ))
        .env_remove("VERDICT_TRANSPORT")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("concurrency 900 needs more open files"),
        "{stderr}"
    );
}

#[test]
fn a_non_ascii_local_part_needs_smtputf8_and_fails_at_once_without_it() {
    let project = TestProject::demo();
    project.write(
        "subscribers/subscribers.csv",
        "email,name,subscribed_at\njosé@example.com,José,2026-01-01T00:00:00Z\nreader@bücher.example,,2026-01-01T00:00:00Z\n",
    );
    let plain = SmtpServer::start();
    let output = project.run(&["send", "--transport", &plain.url()]);
    output.code(3);
    output.stdout_has("delivered 1, already sent 0, suppressed 0, failed 1");
    let received = plain.received();
    assert_eq!(received[0].rcpt_tos, vec!["reader@xn--bcher-kva.example"]);
    project
        .run(&["status", DEMO_ISSUE, "--failed"])
        .stdout_has("does not offer SMTPUTF8");
    let utf8 = SmtpServer::with_smtputf8();
    project
        .run(&[
            "send",
            DEMO_ISSUE,
            "--retry-failed",
            "--transport",
            &utf8.url(),
        ])
        .success();
    assert_eq!(utf8.received()[0].rcpt_tos, vec!["josé@example.com"]);
}

#[test]
fn output_a_person_can_act_on() {
    let project = TestProject::demo();
    let server = SmtpServer::with_faults(&[(
        "labs@example.org",
        "rcpt",
        "554 5.7.1 \u{1b}[31mred\u{7}alert",
        None,
    )]);
    let dry = project.run(&["send", "--dry-run", "--transport", &server.url()]);
    dry.success();
    dry.stdout_has(&format!("would send through {}", server.url()));
    let output = project.run(&["send", "--transport", &server.url()]);
    output.code(3);
    output.stderr_has(&format!(
        "`verdict status {DEMO_ISSUE} --failed` lists them"
    ));
    let failed = project.run(&["status", DEMO_ISSUE, "--failed"]);
    failed.stdout_has("\\u{1b}[31mred\\u{7}alert");
    assert!(!failed.stdout.contains('\u{1b}'));
    // --retry-failed does not swallow the issue name after it.
    let retry = project.run(&[
        "send",
        "--retry-failed",
        DEMO_ISSUE,
        "--transport",
        &server.url(),
    ]);
    retry.code(3);
    assert_eq!(server.faults_for("labs@example.org"), 2);
    // Test copies to several addresses, marked.
    let copies = SmtpServer::start();
    project
        .run(&[
            "send",
            DEMO_ISSUE,
            "--to",
            "a@example.com,b@example.com",
            "--transport",
            &copies.url(),
        ])
        .success();
    let received = copies.received();
    assert_eq!(received.len(), 2);
    for message in &received {
        assert!(message.parse().subject().unwrap().starts_with("[TEST] "));
    }
}

#[test]
fn a_closed_stdout_ends_status_quietly() {
    let project = TestProject::demo();
    let mut list = String::from("email,name,subscribed_at\n");
    let mut ledger = String::from("{\"kind\":\"start\",\"at\":\"2026-11-26T09:00:00Z\"}\n");
    for i in 0..4000 {
        list.push_str(&format!("reader{i:05}@example.com,,2026-01-01T00:00:00Z\n"));
        ledger.push_str(&format!(
            "{{\"kind\":\"outcome\",\"email\":\"reader{i:05}@example.com\",\"outcome\":\"failed\",\"reply\":\"554 5.7.1 {}\",\"attempts\":1,\"at\":\"2026-11-26T09:00:00Z\",\"message_id\":\"x@example.com\"}}\n",
            "policy ".repeat(20)
        ));
    }
    project.write("subscribers/subscribers.csv", &list);
    project.write(&format!("state/ledger/{DEMO_ISSUE}.log"), &ledger);
    let mut child = project
        .command()
        .args(["status", "--failed"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn absurd_knobs_are_refused_with_their_place() {
    let project = TestProject::demo();
    project.edit("verdict.toml", "rate = 0", "rate = 1e-300");
    project.edit(
        "verdict.toml",
        "retry_delay_ms = 1000",
        "retry_delay_ms = 18446744073709551615",
    );
    let line = project
        .read("verdict.toml")
        .lines()
        .position(|l| l == "rate = 1e-300")
        .unwrap()
        + 1;
    let output = project.run(&["send"]);
    output.code(2);
    output.stderr_has(&format!("verdict.toml:{line}:8"));
    output.stderr_has("`retry_delay_ms` 18446744073709551615 is out of range");
    let project = TestProject::demo();
    project
        .run(&["send", "--rate", "1e-300"])
        .code(2)
        .stderr_has("--rate must be 0");
}
