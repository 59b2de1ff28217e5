//! Relays that lie or limp, against aiosmtpd with faults injected through its
//! hooks and Postfix's smtp-sink told to misbehave: a relay refusing everyone
//! suppresses nobody, a sick relay leaves the rotation and its share goes to
//! the healthy one, a lone sick relay stops the run cleanly, a 250 is a delivery
//! whatever its text, a message cut off after its final dot is sent at most
//! twice, and a run killed at the moments that matter leaves nothing wrong.

use std::collections::HashMap;
use std::time::Duration;

use verdict::send::ledger::Outcome;

use crate::harness::{DEMO_ISSUE, Output, TestProject};
use crate::relays::{project_with_relays, relay};
use crate::sink::Sink;
use crate::smtp::SmtpServer;

/// A relay table that does not know the readers, as Postfix words it: each
/// reply names its reader, so no two replies are alike.
const TABLE_REFUSAL: &str =
    "550 5.1.1 <{address}>: Recipient address rejected: User unknown in relay recipient table";

/// Replaces the demo list with `n` readers r000@example.com … and returns them.
fn with_readers(project: &TestProject, n: usize) -> Vec<String> {
    let readers: Vec<String> = (0..n).map(|i| format!("r{i:03}@example.com")).collect();
    let mut list = String::from("email,name,subscribed_at\n");
    for reader in &readers {
        list.push_str(&format!("{reader},,2026-01-01T00:00:00Z\n"));
    }
    project.write("subscribers/subscribers.csv", &list);
    readers
}

/// A project with these two `[[relay]]` tables (short deadlines) and `n` readers.
fn two_relays(first: String, second: String, n: usize) -> (TestProject, Vec<String>) {
    let project = project_with_relays(&format!("{first}{second}"));
    project.edit("verdict.toml", "timeout_secs = 2", "timeout_secs = 1");
    let readers = with_readers(&project, n);
    (project, readers)
}

/// The demo list's outcomes after a storm: everyone delivered but labs@,
/// whose refusal was held.
fn all_delivered_but_labs_held(project: &TestProject) -> Vec<(String, Outcome)> {
    project
        .readers()
        .into_iter()
        .map(|email| {
            let outcome = if email == "labs@example.org" {
                Outcome::Held
            } else {
                Outcome::Delivered
            };
            (email, outcome)
        })
        .collect()
}

/// Sets a key of [sending].
fn sending(project: &TestProject, line: &str) {
    project.edit(
        "verdict.toml",
        "give_up_after_hours = 72",
        &format!("give_up_after_hours = 72\n{line}"),
    );
}

/// How many copies each address got, over every server.
fn copies(received: &[Vec<String>]) -> HashMap<String, usize> {
    let mut copies = HashMap::new();
    for address in received.iter().flatten() {
        *copies.entry(address.clone()).or_insert(0) += 1;
    }
    copies
}

fn aiosmtpd_recipients(server: &SmtpServer) -> Vec<String> {
    server
        .received()
        .iter()
        .map(|m| m.to().to_string())
        .collect()
}

/// Every reader got the issue exactly once.
#[track_caller]
fn assert_once(readers: &[String], received: &[Vec<String>]) {
    let copies = copies(received);
    for reader in readers {
        assert_eq!(copies.get(reader), Some(&1), "{reader}: {copies:?}");
    }
    assert_eq!(copies.len(), readers.len(), "{copies:?}");
}

/// `verdict send` in the background, as if it were `now` when given.
fn spawn_send(project: &TestProject, now: Option<&str>) -> std::process::Child {
    let mut command = project.command();
    if let Some(now) = now {
        command.env("VERDICT_NOW", now);
    }
    command
        .arg("send")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn kill9(child: &std::process::Child) {
    std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
}

#[test]
fn a_relay_table_refusing_every_reader_by_address_suppresses_nobody() {
    let refusing = SmtpServer::with_faults(&[("*", "rcpt", TABLE_REFUSAL, None)]);
    let project = project_with_relays(&relay("table", &refusing.url(), "concurrency = 2"));
    let readers = with_readers(&project, 201);
    let output = project.run(&["send"]);
    output.code(1);
    output.stderr_has("table refuses the newsletter, not the readers");
    output.stderr_has("<…@example.com>: Recipient address rejected");
    assert!(
        !output.stderr.contains("r0") && !output.stdout.contains("r0"),
        "no reader is named: {}",
        output.stderr
    );
    assert!(project.added_suppressions().is_empty());
    let status = project.run(&["status"]);
    status.stdout_has("failed 0, bounced 0");
    status.stdout_has(", held ");
    status.stdout_has("refusing since");
    // A held reader is still a subscriber, not a suppressed address.
    project
        .run(&["subscribers", "add", "r000@example.com"])
        .success()
        .stdout_has("already subscribed");
    // The relay is fixed: the next run reaches everyone, once.
    let fixed = SmtpServer::start();
    project.edit("verdict.toml", &refusing.url(), &fixed.url());
    project.run(&["send"]).success();
    assert_once(&readers, &[aiosmtpd_recipients(&fixed)]);
    project.run(&["status"]).stdout_has(": sent;");
}

#[test]
fn readers_held_on_a_small_list_are_settled_once_the_relay_delivers_to_others() {
    // A list well under one judging window, hit by a storm: all held.
    let refusing = SmtpServer::with_faults(&[("*", "rcpt", TABLE_REFUSAL, None)]);
    let project = project_with_relays(&relay("table", &refusing.url(), "concurrency = 1"));
    let readers = with_readers(&project, 12);
    project.run(&["send"]).code(1);
    let held = project.run(&["status"]);
    held.stdout_has(", held ");
    assert!(project.added_suppressions().is_empty());
    // Fixed, but r000 really is gone: the others go through, and the relay's
    // refusal of r000 beside them is believed (before, it was held for ever).
    let fixed = SmtpServer::with_faults(&[("r000@example.com", "rcpt", TABLE_REFUSAL, None)]);
    project.edit("verdict.toml", &refusing.url(), &fixed.url());
    // A bounce is a delivery failure of this run (exit 3).
    project.run(&["send"]).code(3);
    assert_eq!(
        project.added_suppressions(),
        vec![("r000@example.com".to_string(), "bounced".to_string())]
    );
    project.run(&["status"]).stdout_has(": sent;");
    assert_once(&readers[1..], &[aiosmtpd_recipients(&fixed)]);
}

#[test]
fn a_list_of_five_through_a_relay_refusing_each_by_address_is_held_not_suppressed() {
    // Five refusals never pass the share of a window, but a relay that
    // delivered to nobody is not believed about anyone.
    let refusing = SmtpServer::with_faults(&[("*", "rcpt", TABLE_REFUSAL, None)]);
    let project = project_with_relays(&relay("table", &refusing.url(), "concurrency = 1"));
    let readers = with_readers(&project, 5);
    project.run(&["send"]).code(3);
    assert!(project.added_suppressions().is_empty());
    project
        .run(&["status"])
        .stdout_has("bounced 0, deferred 0, expired 0, held 5");
    // So is a warm-up of a new relay with --limit.
    let project = project_with_relays(&relay("table", &refusing.url(), "concurrency = 1"));
    with_readers(&project, 100);
    project.run(&["send", "--limit", "3"]).code(3);
    assert!(project.added_suppressions().is_empty());
    // The first list's relay is fixed: its five get the issue, once.
    let fixed = SmtpServer::start();
    let project = project_with_relays(&relay("table", &refusing.url(), "concurrency = 1"));
    assert_eq!(with_readers(&project, 5), readers);
    project.run(&["send"]).code(3);
    project.edit("verdict.toml", &refusing.url(), &fixed.url());
    project.run(&["send"]).success();
    assert_once(&readers, &[aiosmtpd_recipients(&fixed)]);
}

#[test]
fn twenty_dead_readers_at_the_head_of_a_list_are_settled_once_the_others_get_it() {
    let dead: Vec<String> = (0..20).map(|i| format!("r{i:03}@example.com")).collect();
    let faults: Vec<_> = dead
        .iter()
        .map(|a| (a.as_str(), "rcpt", TABLE_REFUSAL, None))
        .collect();
    let server = SmtpServer::with_faults(&faults);
    let project = project_with_relays(&relay("only", &server.url(), "concurrency = 1"));
    let readers = with_readers(&project, 300);
    // Six refusals in the first six attempts look like a relay refusing the
    // newsletter: each early run holds six, suppresses nobody and stops.
    for _ in 0..3 {
        let output = project.run(&["send"]);
        output.code(1);
        output.stderr_has("only refuses the newsletter, not the readers");
        assert!(project.added_suppressions().is_empty());
    }
    // The run that reaches the living delivers to them; twenty refusals in
    // three hundred attempts are a list's dead addresses, not the relay's
    // doing, and the held readers' refusals, back to back at the end, do
    // not take the relay out: all twenty are bounced.
    project.run(&["send"]).code(3);
    let bounced: Vec<(String, String)> = dead
        .iter()
        .map(|a| (a.clone(), "bounced".to_string()))
        .collect();
    assert_eq!(project.added_suppressions(), bounced);
    project.run(&["status"]).stdout_has(": sent;");
    assert_once(&readers[20..], &[aiosmtpd_recipients(&server)]);
}

#[test]
fn a_relay_refusing_part_of_the_list_by_address_suppresses_nobody_run_after_run() {
    // A relay table that misses one reader in four: six refusals in a row
    // take it out at first; later, with fewer new refusals, the held readers'
    // repeated refusals still make far too many over the run.
    let missing: Vec<String> = (0..60)
        .step_by(4)
        .map(|i| format!("r{i:03}@example.com"))
        .collect();
    let faults: Vec<_> = missing
        .iter()
        .map(|a| (a.as_str(), "rcpt", TABLE_REFUSAL, None))
        .collect();
    let server = SmtpServer::with_faults(&faults);
    let project = project_with_relays(&relay("table", &server.url(), "concurrency = 1"));
    let readers = with_readers(&project, 60);
    for run in 0..4 {
        let output = project.run(&["send"]);
        assert!(output.code != 0, "run {run}: {}", output.stdout);
        assert!(
            project.added_suppressions().is_empty(),
            "run {run}: {}",
            output.stdout
        );
    }
    let good: Vec<String> = readers
        .iter()
        .filter(|r| !missing.contains(r))
        .cloned()
        .collect();
    assert_once(&good, &[aiosmtpd_recipients(&server)]);
    let status = project.run(&["status"]);
    status.stdout_has("held 15");
    status.stdout_has(
        "too large a share of the run to tell them from a relay that refuses the newsletter",
    );
}

#[test]
fn a_deferred_reader_found_dead_in_a_later_run_of_the_day_is_bounced() {
    let greylisting = SmtpServer::with_faults(&[(
        "r000@example.com",
        "rcpt",
        "450 4.2.0 <{address}>: Recipient address rejected: Greylisted",
        None,
    )]);
    let project = project_with_relays(&relay("only", &greylisting.url(), ""));
    project.edit("verdict.toml", "max_attempts = 4", "max_attempts = 1");
    with_readers(&project, 3);
    project.run(&["send"]).code(3);
    project.run(&["status"]).stdout_has("deferred 1");
    // The next run, the same day: r000 alone is due, and its mailbox is gone.
    // The relay delivered to the others earlier today: it is believed.
    let gone = SmtpServer::with_faults(&[("r000@example.com", "rcpt", TABLE_REFUSAL, None)]);
    project.edit("verdict.toml", &greylisting.url(), &gone.url());
    project.run(&["send"]).code(3);
    assert_eq!(
        project.added_suppressions(),
        vec![("r000@example.com".to_string(), "bounced".to_string())]
    );
    project.run(&["status"]).stdout_has(": sent;");
}

#[test]
fn a_failure_retried_and_refused_again_stays_a_failure_and_the_issue_complete() {
    let policy = "554 5.7.1 <{address}>: Relay access denied";
    let server = SmtpServer::with_faults(&[("r002@example.com", "rcpt", policy, None)]);
    let project = project_with_relays(&relay("only", &server.url(), ""));
    with_readers(&project, 5);
    project.run(&["send"]).code(3);
    project.run(&["status"]).stdout_has("failed 1");
    // Retried alone by a relay with no other delivery in this run.
    project.run(&["send", "--retry-failed"]).code(3);
    let status = project.run(&["status"]);
    status.stdout_has("failed 1");
    status.stdout_has(": sent;");
    project
        .run(&["send"])
        .success()
        .stdout_has("nothing to send");
}

#[test]
fn a_reader_held_longer_than_give_up_after_hours_expires_and_the_issue_completes() {
    let project = TestProject::demo();
    let at = chrono::Utc::now() - chrono::Duration::hours(80);
    project.write_ledger(
        DEMO_ISSUE,
        at,
        &all_delivered_but_labs_held(&project),
        false,
    );
    let server = SmtpServer::start();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    assert_eq!(server.count(), 0, "nobody is sent anything");
    assert!(project.added_suppressions().is_empty());
    let status = project.run(&["status"]);
    status.stdout_has(&format!(
        "{DEMO_ISSUE}: sent (some given up on); delivered 24, failed 0, bounced 0, deferred 0, expired 1"
    ));
}

#[test]
fn an_issue_half_sent_under_a_daily_cap_is_finished_before_a_new_one() {
    let server = SmtpServer::start();
    let project = project_with_relays(&relay("only", &server.url(), "daily_cap = 4"));
    let readers = with_readers(&project, 8);
    let next = "2026-12-03-next";
    project.write(
        &format!("issues/{next}.toml"),
        &project.read(&format!("issues/{DEMO_ISSUE}.toml")),
    );
    // The demo issue reached half the list yesterday, when the cap ran out.
    let delivered: Vec<(String, Outcome)> = readers[..4]
        .iter()
        .map(|email| (email.clone(), Outcome::Delivered))
        .collect();
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    project.write_ledger(DEMO_ISSUE, yesterday, &delivered, false);
    let output = project.run(&["send"]);
    output.success();
    output.stdout_has(&format!("{DEMO_ISSUE}: delivered 4, already sent 4"));
    output.stdout_has("every relay's daily cap is spent");
    project
        .run(&["status"])
        .stdout_has(&format!("{DEMO_ISSUE}: sent;"));
    assert_once(&readers[4..], &[aiosmtpd_recipients(&server)]);
}

#[test]
fn a_reader_left_held_alone_is_judged_after_the_next_issue_in_the_same_run() {
    let project = TestProject::demo();
    let next = "2026-12-03-next";
    project.write(
        &format!("issues/{next}.toml"),
        &project.read(&format!("issues/{DEMO_ISSUE}.toml")),
    );
    // The demo issue went to everyone but labs@, whom a storm left held.
    let at = chrono::Utc::now() - chrono::Duration::hours(1);
    project.write_ledger(
        DEMO_ISSUE,
        at,
        &all_delivered_but_labs_held(&project),
        false,
    );
    // labs@ is really gone. Alone, its refusal could be a relay refusing
    // everyone; tried after the new issue went through the same relay, it is
    // believed, and the demo issue is done in this run.
    let server = SmtpServer::with_faults(&[("labs@example.org", "rcpt", TABLE_REFUSAL, None)]);
    project.run(&["send", "--transport", &server.url()]).code(3);
    assert_eq!(
        project.added_suppressions(),
        vec![("labs@example.org".to_string(), "bounced".to_string())]
    );
    let status = project.run(&["status"]);
    status.stdout_has(&format!("{DEMO_ISSUE}: sent;"));
    status.stdout_has(&format!("{next}: sent;"));
}

#[test]
fn a_sink_refusing_everyone_alike_beside_a_working_relay_costs_no_reader() {
    let refusing = Sink::start(&[
        "-f",
        "rcpt",
        "-B",
        "550 5.1.1 User unknown in relay recipient table",
    ]);
    let working = SmtpServer::start();
    let (project, readers) = two_relays(
        relay("broken", &refusing.url(), "concurrency = 2\nweight = 3"),
        relay("working", &working.url(), "concurrency = 2"),
        120,
    );
    let output = project.run(&["send"]);
    output.success();
    output.stdout_has("broken: delivered 0, refusing: broken refuses the newsletter");
    assert_once(&readers, &[aiosmtpd_recipients(&working)]);
    assert!(project.added_suppressions().is_empty());
    let status = project.run(&["status"]);
    status.stdout_has(": sent;");
    status.stdout_has("refusing since");
}

#[test]
fn a_run_killed_in_a_refusal_streak_leaves_those_readers_pending_never_suppressed() {
    let refusing = SmtpServer::with_faults(&[("*", "rcpt", TABLE_REFUSAL, None)]);
    let project = project_with_relays(&relay("table", &refusing.url(), "concurrency = 1"));
    // A wide window: the streak is not judged before the kill.
    sending(&project, "judge_window = 1000");
    let readers = with_readers(&project, 201);
    let mut child = spawn_send(&project, None);
    refusing.wait_for_faults(16, Duration::from_secs(60));
    kill9(&child);
    child.wait().unwrap();
    assert!(
        !project.ledger().contains("\"bounced\""),
        "no refusal acts before it is judged"
    );
    let fixed = SmtpServer::start();
    project.edit("verdict.toml", &refusing.url(), &fixed.url());
    project.run(&["send"]).success();
    assert!(project.added_suppressions().is_empty());
    assert_once(&readers, &[aiosmtpd_recipients(&fixed)]);
}

/// A relay that limps in one of the ways relays do, next to a working one.
enum Limp {
    Aiosmtpd(SmtpServer),
    Sink(Sink),
}

impl Limp {
    fn url(&self) -> String {
        match self {
            Limp::Aiosmtpd(server) => server.url(),
            Limp::Sink(sink) => sink.url(),
        }
    }

    fn delivered(&self) -> usize {
        match self {
            Limp::Aiosmtpd(server) => server.count(),
            Limp::Sink(sink) => sink.count(),
        }
    }
}

#[test]
fn a_limping_relay_hands_its_share_to_the_working_one_within_the_run() {
    let limps = [
        (
            "450 to every RCPT (aiosmtpd)",
            Limp::Aiosmtpd(SmtpServer::with_faults(&[(
                "*",
                "rcpt",
                "450 4.2.0 <{address}>: Recipient address rejected: greylisted",
                None,
            )])),
        ),
        (
            "450 to every RCPT (smtp-sink)",
            Limp::Sink(Sink::start(&["-r", "rcpt", "-b", "450 4.2.0 Mailbox busy"])),
        ),
        (
            "454 at MAIL FROM",
            Limp::Sink(Sink::start(&[
                "-r",
                "mail",
                "-b",
                "454 4.7.0 TLS not available due to local problem",
            ])),
        ),
        (
            "silence after MAIL FROM",
            Limp::Sink(Sink::start(&["-p", "-W", "mail:600"])),
        ),
    ];
    for (how, limping) in &limps {
        let working = SmtpServer::start();
        let (project, readers) = two_relays(
            relay("limping", &limping.url(), "concurrency = 2"),
            relay("working", &working.url(), "concurrency = 2"),
            150,
        );
        let output = project.run(&["send"]);
        assert!(
            output.code == 0
                && output
                    .stdout
                    .contains("limping: delivered 0, degraded: limping is sick"),
            "{how}: {output:?}"
        );
        assert_eq!(limping.delivered(), 0, "{how}");
        assert_once(&readers, &[aiosmtpd_recipients(&working)]);
        let status = project.run(&["status"]);
        status.stdout_has(": sent;");
        status.stdout_has("degraded since");
    }
}

#[test]
fn a_single_silent_relay_stops_the_run_cleanly_after_the_stall_time() {
    let silent = Sink::start(&["-p", "-W", "mail:600"]);
    let project = project_with_relays(&relay("silent", &silent.url(), "concurrency = 2"));
    project.edit("verdict.toml", "timeout_secs = 2", "timeout_secs = 1");
    sending(&project, "stall_secs = 3");
    let output = project.run(&["send"]);
    output.code(5);
    output.stderr_has("no reader got an outcome for 3 s");
    output.stderr_has("the next run resumes");
    assert_eq!(project.read("state/send.lock"), "", "the lock is released");
    project
        .run(&["status"])
        .stdout_has("silent: 0 delivered today");
    // Readers are left for the next run, not burned.
    assert!(
        project.ledger().matches("\"deferred\"").count() <= 4,
        "{}",
        project.ledger()
    );
}

#[test]
fn a_250_that_is_not_utf8_is_a_delivery() {
    let server = SmtpServer::with_rules(
        &[serde_json::json!({
            "address": "*",
            "stage": "accept",
            "reply": "250 2.0.0 Ok: en file d'attente, \u{e9}t\u{e9} re\u{e7}u",
            "encoding": "latin-1",
        })],
        &[],
    );
    let project = TestProject::demo();
    let output = project.run(&["send", "--transport", &server.url()]);
    output.success();
    output.stdout_has("delivered 24");
    output.stdout_has("retries 0");
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    assert_eq!(server.count(), 24, "each reader once");
}

#[test]
fn a_message_cut_off_after_its_final_dot_is_sent_twice_at_most_and_listed() {
    let server = SmtpServer::with_faults(&[("labs@example.org", "dot-close", "", None)]);
    let project = TestProject::demo();
    project.edit(
        "verdict.toml",
        "retry_delay_ms = 1000",
        "retry_delay_ms = 20",
    );
    let output = project.run(&["send", "--transport", &server.url()]);
    output.code(3);
    output.stdout_has("uncertain 1");
    let to_labs = |server: &SmtpServer| {
        server
            .received()
            .iter()
            .filter(|m| m.to() == "labs@example.org")
            .count()
    };
    assert_eq!(to_labs(&server), 2, "one retry");
    let status = project.run(&["status"]);
    status.stdout_has("uncertain, possibly delivered 1");
    status.stdout_has("1 reader(s) uncertain");
    project
        .run(&["status", DEMO_ISSUE, "--failed"])
        .stdout_has("labs@example.org\tuncertain, possibly delivered");
    // Never sent again, by any later run.
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    assert_eq!(to_labs(&server), 2);
}

#[test]
fn a_relay_closing_after_every_final_dot_beside_a_working_one_costs_few_copies() {
    let cutting = Sink::start(&["-q", "."]);
    let working = SmtpServer::start();
    let (project, readers) = two_relays(
        relay("cutting", &cutting.url(), "concurrency = 1"),
        relay("working", &working.url(), "concurrency = 1"),
        60,
    );
    let output = project.run(&["send"]);
    output.code(3);
    output.stdout_has("cutting: delivered 0, degraded: cutting is sick");
    let copies = copies(&[aiosmtpd_recipients(&working)]);
    let ledger_text = project.ledger();
    let uncertain = ledger_text.matches("\"uncertain\"").count();
    assert!(uncertain <= 6, "{uncertain} uncertain");
    assert_eq!(copies.len() + uncertain, readers.len());
    assert!(copies.values().all(|n| *n == 1), "{copies:?}");
    // Nothing more on later runs.
    project.run(&["send"]).success();
    assert_eq!(working.count(), copies.len());
}

#[test]
fn a_run_killed_while_a_refusing_relays_readers_go_through_another_loses_nobody() {
    let refusing = SmtpServer::with_faults(&[("*", "rcpt", TABLE_REFUSAL, None)]);
    let working = SmtpServer::start();
    let paced = format!(
        "[[relay]]\nname = \"working\"\ntransport = \"{}\"\nrate = 20\nconcurrency = 2\n",
        working.url()
    );
    let project = project_with_relays(&format!(
        "{}{paced}",
        relay("table", &refusing.url(), "concurrency = 2\nweight = 5"),
    ));
    let readers = with_readers(&project, 200);
    let mut child = spawn_send(&project, None);
    // The relay was judged and its refusals held; the working relay is
    // taking them over: kill it then.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !project.ledger().contains("\"held\"") {
        assert!(std::time::Instant::now() < deadline, "nothing was held");
        std::thread::sleep(Duration::from_millis(10));
    }
    working.wait_for(working.count() + 2, Duration::from_secs(30));
    kill9(&child);
    child.wait().unwrap();
    assert!(project.added_suppressions().is_empty());
    let output = project.run(&["send", "--transport", &working.url()]);
    output.success();
    assert!(project.added_suppressions().is_empty());
    let copies = copies(&[aiosmtpd_recipients(&working)]);
    assert_eq!(copies.len(), readers.len());
    let twice = copies.values().filter(|n| **n > 1).count();
    assert!(twice <= 2, "at most the messages in flight: {twice}");
}

#[test]
fn a_pooled_connection_the_relay_closed_while_idle_is_replaced_not_failed() {
    // smtp-sink drops a connection silent for a second, as relays drop idle
    // ones; paced at one message in 3.3 s, every message meets a connection the
    // sink closed seconds before (a margin no scheduling delay on a loaded
    // machine eats up), never one it is about to close.
    let sink = Sink::start(&["-t", "1"]);
    let project = TestProject::demo();
    let output = project.run(&[
        "send",
        "--transport",
        &sink.url(),
        "--concurrency",
        "1",
        "--rate",
        "0.3",
        "--limit",
        "3",
    ]);
    output.success();
    output.stdout_has("delivered 3,");
    output.stdout_has("retries 0");
    assert_eq!(sink.count(), 3);
}

#[test]
fn a_run_killed_while_it_expires_a_closed_window_leaves_it_whole_or_untouched() {
    let project = TestProject::demo();
    let readers = with_readers(&project, 20_000);
    project.set_demo_send_at(Some(
        "2026-11-20T09:00:00+00:00\nnot_after = 2026-11-21T09:00:00+00:00",
    ));
    let ledger_path = project
        .path()
        .join(format!("state/ledger/{DEMO_ISSUE}.log"));
    let mut child = spawn_send(&project, Some("2026-11-29T09:00:00Z"));
    // The moment the ledger exists, its records are being written: kill then.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !ledger_path.exists() && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    kill9(&child);
    child.wait().unwrap();
    let left = project.ledger();
    assert!(
        left.is_empty() || left.lines().count() == 3 || !left.ends_with('\n'),
        "all of it or a torn tail: {left}"
    );
    let rerun = || {
        Output::from(
            project
                .command()
                .env("VERDICT_NOW", "2026-11-29T09:00:00Z")
                .args(["send"])
                .output()
                .unwrap(),
        )
    };
    rerun().success();
    let status = Output::from(
        project
            .command()
            .env("VERDICT_NOW", "2026-11-29T09:00:00Z")
            .arg("status")
            .output()
            .unwrap(),
    );
    status.stdout_has("expired (its send window closed at");
    status.stdout_has(&format!(
        "delivered 0, failed 0, bounced 0, deferred 0, expired {}",
        readers.len()
    ));
    status.stdout_has("remaining 0");
    assert!(!project.path().join("outbox").exists(), "nothing was sent");
    let whole = project.ledger();
    assert_eq!(whole.matches("expired_rest").count(), 1, "{whole}");
    assert!(
        whole.len() < 1024,
        "one record for all: {} bytes",
        whole.len()
    );
}
