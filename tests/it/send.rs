//! `verdict send` against a real SMTP server on loopback: delivery, faults, crashes,
//! concurrent runs, and the ledger and status that come out of them.

use std::collections::HashMap;
use std::time::Duration;

use mail_parser::{MimeHeaders, PartType};

use crate::harness::{DEMO_ISSUE, TestProject};
use crate::smtp::SmtpServer;

/// The demo list without the suppressed address.
const DEMO_ACTIVE: usize = 24;

fn fast_retries(project: &TestProject) {
    project.edit(
        "verdict.toml",
        "retry_delay_ms = 1000",
        "retry_delay_ms = 20",
    );
}

fn per_recipient(server: &SmtpServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for message in server.received() {
        for to in message.rcpt_tos {
            *counts.entry(to).or_default() += 1;
        }
    }
    counts
}

#[test]
fn the_demo_list_gets_one_personalised_message_each_and_a_second_run_sends_nothing() {
    let project = TestProject::demo();
    let server = SmtpServer::start();
    let output = project.run(&["send", "--transport", &server.url()]);
    output.success();
    output.stdout_has("delivered 24, already sent 0, suppressed 1");

    let received = server.received();
    assert_eq!(received.len(), DEMO_ACTIVE);
    let counts = per_recipient(&server);
    assert_eq!(counts.len(), DEMO_ACTIVE);
    assert!(counts.values().all(|n| *n == 1));
    assert!(
        !counts.contains_key("ops@example.org"),
        "the suppressed address got mail"
    );

    let ml_team = received
        .iter()
        .find(|m| m.to() == "ml-team@example.com")
        .unwrap();
    let message = ml_team.parse();
    let root = message.content_type().unwrap();
    assert_eq!(
        (root.ctype(), root.subtype()),
        ("multipart", Some("alternative"))
    );
    assert_eq!(
        message.subject(),
        Some("Axolotl v0.16 vs Mistral Medium 3: which one should you ship with?")
    );
    let to = message.to().unwrap().first().unwrap();
    assert_eq!(to.name(), Some("Équipe ML"));
    assert_eq!(to.address(), Some("ml-team@example.com"));
    assert!(message.body_text(0).unwrap().contains("Hi Équipe ML,"));
    assert!(message.body_html(0).unwrap().contains("Hi Équipe ML,"));
    for header in [
        "Date",
        "Message-ID",
        "MIME-Version",
        "Reply-To",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ] {
        assert!(message.header_raw(header).is_some(), "{header} missing");
    }
    let unsubscribe = message.header_raw("List-Unsubscribe").unwrap();
    // u= carries this recipient's address (base64url of ml-team@example.com).
    assert!(
        unsubscribe.contains("u=bWwtdGVhbUBleGFtcGxlLmNvbQ&t="),
        "{unsubscribe}"
    );
    assert!(unsubscribe.contains("mailto:"), "{unsubscribe}");
    assert_eq!(
        message.header_raw("List-Unsubscribe-Post").unwrap().trim(),
        "List-Unsubscribe=One-Click"
    );
    let id = message.message_id().unwrap();
    assert!(
        id.starts_with(DEMO_ISSUE) && id.ends_with("@example.com"),
        "{id}"
    );
    let ids: std::collections::HashSet<String> = received
        .iter()
        .map(|m| m.parse().message_id().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), DEMO_ACTIVE, "Message-IDs are per recipient");

    let again = project.run(&["send", "--transport", &server.url()]);
    again.success();
    again.stdout_has("nothing to send");
    assert_eq!(server.count(), DEMO_ACTIVE, "the second run sent mail");
    let status = project.run(&["status"]);
    assert!(
        status
            .stdout
            .contains("sent; delivered 24, failed 0, bounced 0, deferred 0, expired 0, not yet tried 0, remaining 0"),
        "{}",
        status.stdout
    );
}

#[test]
fn transient_failures_are_retried_until_delivered_once() {
    transient_failures_retried(SmtpServer::with_faults, false);
}

#[test]
fn transient_failures_are_retried_with_a_pipelining_relay() {
    transient_failures_retried(SmtpServer::pipelining_with_faults, true);
}

fn transient_failures_retried(
    start: fn(&[crate::smtp::Fault<'_>]) -> SmtpServer,
    pipelining: bool,
) {
    let project = TestProject::demo();
    fast_retries(&project);
    let server = start(&[
        (
            "ml-team@example.com",
            "rcpt",
            "451 4.3.0 Try again later",
            Some(2),
        ),
        (
            "labs@example.org",
            "data",
            "452 4.3.1 Insufficient system storage",
            Some(1),
        ),
        ("research@example.com", "drop", "", Some(1)),
    ]);
    let output = project.run(&["--verbose", "send", "--transport", &server.url()]);
    output.success();
    output.stderr_has(&format!("(pipelining: {pipelining})"));
    output.stdout_has("delivered 24");
    output.stdout_has("retries 4");
    let counts = per_recipient(&server);
    assert_eq!(counts.len(), DEMO_ACTIVE);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert_eq!(server.faults_for("ml-team@example.com"), 2);
    assert_eq!(
        server.faults_for("research@example.com"),
        1,
        "the dropped connection happened"
    );
}

#[test]
fn permanent_failures_are_recorded_not_retried_and_no_such_user_is_suppressed() {
    permanent_failures_recorded(SmtpServer::with_faults);
}

#[test]
fn permanent_failures_are_recorded_with_a_pipelining_relay() {
    permanent_failures_recorded(SmtpServer::pipelining_with_faults);
}

fn permanent_failures_recorded(start: fn(&[crate::smtp::Fault<'_>]) -> SmtpServer) {
    let project = TestProject::demo();
    fast_retries(&project);
    let server = start(&[
        (
            "labs@example.org",
            "rcpt",
            "554 5.7.1 Message refused",
            None,
        ),
        (
            "qa@example.com",
            "rcpt",
            "550 5.1.1 <qa@example.com>: Recipient address rejected: User unknown",
            None,
        ),
    ]);
    let output = project.run(&["send", "--transport", &server.url()]);
    output.code(3);
    output.stdout_has("delivered 22");
    output.stdout_has("failed 1, bounced 1");
    output.stderr_has("2 recipient(s) not delivered");
    assert_eq!(
        server.faults_for("labs@example.org"),
        1,
        "a 5xx is not retried"
    );
    assert_eq!(server.faults_for("qa@example.com"), 1);
    let suppressed = project.rows("subscribers/suppressed.csv");
    assert!(
        suppressed.contains("qa@example.com,bounced,"),
        "{suppressed}"
    );
    assert!(
        !suppressed.contains("labs@example.org"),
        "a refusal other than no-such-user is not a bounce"
    );

    let status = project.run(&["status", DEMO_ISSUE, "--failed"]);
    status.success();
    status.stdout_has("labs@example.org\tfailed\t1 attempt(s)\t554");
    status.stdout_has("qa@example.com\tbounced");

    // The next run leaves the failures alone...
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    assert_eq!(server.faults_for("labs@example.org"), 1);
    // ...until the editor asks; the bounced address stays suppressed.
    let retry = project.run(&[
        "send",
        DEMO_ISSUE,
        "--retry-failed",
        "--transport",
        &server.url(),
    ]);
    retry.code(3);
    assert_eq!(server.faults_for("labs@example.org"), 2);
    assert_eq!(server.faults_for("qa@example.com"), 1);
    assert_eq!(server.count(), 22);
}

#[test]
fn retries_that_run_out_are_deferred_to_the_next_run() {
    let project = TestProject::demo();
    fast_retries(&project);
    let server =
        SmtpServer::with_faults(&[("labs@example.org", "rcpt", "421 4.4.2 Busy", Some(4))]);
    let output = project.run(&["send", "--transport", &server.url()]);
    output.code(3);
    output.stdout_has("deferred 1");
    let status = project.run(&["status"]);
    status.stdout_has("sending (started");
    status.stdout_has("remaining 1");
    let second = project.run(&["send", "--transport", &server.url()]);
    second.success();
    second.stdout_has("delivered 1, already sent 23");
    assert_eq!(per_recipient(&server).get("labs@example.org"), Some(&1));
}

/// A project with `n` subscribers and the demo issue.
fn project_with(n: usize) -> TestProject {
    let project = TestProject::demo();
    let mut csv = String::from("email,name,subscribed_at\n");
    for i in 0..n {
        csv.push_str(&format!(
            "reader{i:05}@example.com,Reader {i},2026-01-01T00:00:00Z\n"
        ));
    }
    project.write("subscribers/subscribers.csv", &csv);
    project.write("subscribers/suppressed.csv", "email,reason,at,detail\n");
    project
}

fn crash_and_resume(kill_after: usize) {
    const N: usize = 200;
    const CONCURRENCY: usize = 4;
    let project = project_with(N);
    // The relay pipelines, as most do: the fastest path is the one killed.
    let server = SmtpServer::pipelining_with_faults(&[]);
    let url = server.url();
    let mut child = project.send_in_background(&url, "150", "4");
    server.wait_for(kill_after, Duration::from_secs(60));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before_resume = server.count();
    assert!(before_resume < N, "the run finished before the kill");

    let output = project.run(&["send", "--transport", &url, "--concurrency", "4"]);
    output.success();
    let counts = per_recipient(&server);
    assert_eq!(counts.len(), N, "someone was skipped");
    let duplicates: usize = counts.values().map(|n| n - 1).sum();
    assert!(
        duplicates <= CONCURRENCY,
        "{duplicates} duplicates after a kill at {kill_after}"
    );
    let status = project.run(&["status"]);
    assert!(
        status.stdout.contains(&format!(
            "sent; delivered {N}, failed 0, bounced 0, deferred 0, expired 0, not yet tried 0, remaining 0"
        )),
        "{}",
        status.stdout
    );
    assert!(
        project
            .path()
            .join(format!("state/ledger/{DEMO_ISSUE}.log"))
            .is_file()
    );
}

#[test]
fn a_kill_early_in_the_run_loses_no_one() {
    crash_and_resume(5);
}

#[test]
fn a_kill_midway_loses_no_one() {
    crash_and_resume(100);
}

#[test]
fn a_kill_late_in_the_run_loses_no_one() {
    crash_and_resume(185);
}

#[test]
fn two_sends_at_once_one_runs_and_the_other_says_so() {
    let project = project_with(60);
    let server = SmtpServer::start();
    let url = server.url();
    let first = project
        .command()
        .args(["send", "--transport", &url, "--rate", "60"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    server.wait_for(1, Duration::from_secs(30));
    let second = project.run(&["send", "--transport", &url]);
    second.code(4);
    second.stderr_has("another verdict send is running on this project (pid");
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let counts = per_recipient(&server);
    assert_eq!(counts.len(), 60);
    assert!(counts.values().all(|n| *n == 1));
}

#[test]
fn subscribers_who_join_after_sending_started_get_the_next_issue_not_this_one() {
    let project = TestProject::demo();
    let server = SmtpServer::start();
    project
        .run(&["send", "--transport", &server.url(), "--limit", "5"])
        .success();
    assert_eq!(server.count(), 5);
    project
        .run(&[
            "subscribers",
            "add",
            "late@example.com",
            "--name",
            "Late Reader",
        ])
        .success();
    let output = project.run(&["send", "--transport", &server.url()]);
    output.success();
    output.stdout_has("delivered 19, already sent 5");
    output.stdout_has("joined after sending started 1");
    assert!(!per_recipient(&server).contains_key("late@example.com"));

    let next = "issues/2026-12-03-next.toml";
    project.write(next, &project.read(&format!("issues/{DEMO_ISSUE}.toml")));
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    assert_eq!(
        per_recipient(&server).get("late@example.com"),
        Some(&1),
        "the next issue reaches them"
    );
}

#[test]
fn dry_run_counts_and_sends_nothing() {
    let project = TestProject::demo();
    let server = SmtpServer::start();
    let output = project.run(&["send", "--dry-run", "--transport", &server.url()]);
    output.success();
    output.stdout_has("would send to 24 recipient(s)");
    output.stdout_has("1 suppressed");
    assert_eq!(server.count(), 0);
    assert!(!project.path().join("state/ledger").exists());
}

#[test]
fn a_test_copy_goes_to_one_address_and_is_not_recorded() {
    let project = TestProject::demo();
    let server = SmtpServer::start();
    let output = project.run(&[
        "send",
        DEMO_ISSUE,
        "--to",
        "Editor@Example.com",
        "--transport",
        &server.url(),
    ]);
    output.success();
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_tos, vec!["editor@example.com"]);
    let message = received[0].parse();
    assert!(message.message_id().unwrap().starts_with("test-"));
    assert!(matches!(
        message.part(0).unwrap().body,
        PartType::Multipart(_)
    ));
    assert!(
        !project.path().join("state/ledger").exists(),
        "a test copy is not a delivery"
    );
    // The real send still goes to everyone.
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    assert_eq!(server.count(), 1 + DEMO_ACTIVE);
}

#[test]
fn a_test_copy_that_is_not_delivered_says_why_in_its_exit_code() {
    let project = TestProject::demo();
    // Nothing listens: the relay is unreachable, as in a real send, exit 1.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port());
    drop(listener);
    let copy_through = |url: &str| {
        project.run(&[
            "send",
            DEMO_ISSUE,
            "--to",
            "editor@example.com",
            "--transport",
            url,
        ])
    };
    let output = copy_through(&dead);
    output.code(1);
    output.stderr_has("test copy not delivered to editor@example.com");
    // The relay refuses the address: a delivery failure, exit 3.
    let server =
        SmtpServer::with_faults(&[("editor@example.com", "rcpt", "550 5.1.1 No such user", None)]);
    let output = copy_through(&server.url());
    output.code(3);
    output.stderr_has("5.1.1");
    assert!(!project.path().join("state/ledger").exists());
}

#[test]
fn the_outbox_transport_is_the_default() {
    let project = TestProject::demo();
    let output = project.run(&["send"]);
    output.success();
    let files = std::fs::read_dir(project.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(files, DEMO_ACTIVE);
    let again = project.run(&["send"]);
    again.success();
    assert!(again.stdout.contains("nothing to send"));
}

#[test]
fn drafts_and_future_issues_are_not_due() {
    let project = TestProject::demo();
    project.set_demo_send_at(Some("2099-01-01T09:00:00+00:00"));
    let output = project.run(&["send"]);
    output.success();
    assert!(output.stdout.contains("nothing to send"));
    let named = project.run(&["send", DEMO_ISSUE]);
    named.code(2);
    named.stderr_has("scheduled for 2099-01-01");
    let status = project.run(&["status"]);
    status.stdout_has("scheduled for 2099-01-01");
    project.set_demo_send_at(None);
    assert!(project.run(&["status"]).stdout.contains(": draft;"));
}

#[test]
fn nothing_to_send_names_the_next_scheduled_issue_and_when() {
    let project = TestProject::demo();
    project.set_demo_send_at(Some("2026-12-03T09:00:00+01:00"));
    project.write(
        "issues/2026-12-10-later.toml",
        &project.read(&format!("issues/{DEMO_ISSUE}.toml")).replace(
            "send_at = 2026-12-03T09:00:00+01:00",
            "send_at = 2026-12-10T09:00:00+01:00",
        ),
    );
    let at = |now: &str, args: &[&str]| {
        let output = project
            .command()
            .env("VERDICT_NOW", now)
            .args(args)
            .output()
            .unwrap();
        crate::harness::Output::from(output)
    };
    at("2026-12-01T06:00:00Z", &["send"])
        .success()
        .stdout_has(&format!(
            "nothing to send; next: {DEMO_ISSUE} at 2026-12-03 09:00 +01:00 (in 2 d 2 h)"
        ));
    at("2026-12-03T07:30:00Z", &["send"])
        .success()
        .stdout_has("(in 30 min)");
    // Quiet for cron, and said plainly when nothing is scheduled at all.
    let quiet = at("2026-12-01T06:00:00Z", &["send", "--quiet"]);
    quiet.success();
    assert_eq!(quiet.stdout, "");
    project.set_demo_send_at(None);
    project.remove("issues/2026-12-10-later.toml");
    project
        .run(&["send"])
        .success()
        .stdout_has("nothing to send; no later issue is scheduled");
}

#[test]
fn an_issue_named_again_once_sent_is_said_to_be_sent_and_nothing_more() {
    let project = TestProject::demo();
    project.run(&["send"]).success();
    let again = project.run(&["send", DEMO_ISSUE]);
    again.success();
    assert_eq!(
        again.stdout.trim_end(),
        format!("{DEMO_ISSUE}: already sent to everyone")
    );
}

#[test]
fn an_unreachable_relay_stops_the_run_and_the_next_run_resumes() {
    let project = TestProject::demo();
    fast_retries(&project);
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = project.run(&[
        "send",
        "--transport",
        &format!("smtp://127.0.0.1:{closed_port}"),
    ]);
    output.code(1);
    output.stderr_has("looks down");
    output.stderr_has("24 reader(s) left pending");
    let server = SmtpServer::start();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    assert_eq!(per_recipient(&server).len(), DEMO_ACTIVE);
}

#[test]
fn duplicates_are_sent_once_in_a_sorted_list_and_in_a_hand_edited_one() {
    for list in [
        "email,name,subscribed_at\na@example.com,,2026-01-01T00:00:00Z\nb@example.com,,2026-01-01T00:00:00Z\nb@example.com,,2026-01-01T00:00:00Z\n",
        "email,name,subscribed_at\nB@Example.com,,2026-01-01T00:00:00Z\na@example.com,,2026-01-01T00:00:00Z\nb@example.com,,2026-01-01T00:00:00Z\n",
    ] {
        let project = TestProject::demo();
        project.write("subscribers/subscribers.csv", list);
        let server = SmtpServer::start();
        let output = project.run(&["send", "--transport", &server.url()]);
        output.success();
        let counts = per_recipient(&server);
        assert_eq!(counts.len(), 2, "{list}");
        assert!(counts.values().all(|n| *n == 1), "{list}: {counts:?}");
    }
}
