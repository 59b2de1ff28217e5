//! Beyond one relay and one run: `[[relay]]` tables shared by weight, a relay
//! that is down handing its share over, daily caps carried across runs (with
//! "now" set by the test through VERDICT_NOW), the send window (`not_after`) and
//! redirected test sends, all against aiosmtpd servers on loopback.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, Utc};

use crate::harness::{DEMO_ISSUE, Output, TestProject};
use crate::smtp::SmtpServer;

const READERS: usize = 24;

/// The demo project with short retries and these `[[relay]]` tables appended.
pub(crate) fn project_with_relays(relays: &str) -> TestProject {
    project_with(&[], relays)
}

/// The same, with top-level keys put before the first table.
pub(crate) fn project_with(top: &[&str], relays: &str) -> TestProject {
    let project = TestProject::demo();
    project.edit(
        "verdict.toml",
        "retry_delay_ms = 1000\n# How long to wait for the relay's answer to one SMTP command (1 to 600).\ntimeout_secs = 30",
        "retry_delay_ms = 20\ntimeout_secs = 2",
    );
    let config = project.read("verdict.toml");
    let top: String = top.iter().map(|line| format!("{line}\n")).collect();
    project.write("verdict.toml", &format!("{top}{config}\n{relays}"));
    project
}

pub(crate) fn relay(name: &str, url: &str, extra: &str) -> String {
    format!("[[relay]]\nname = \"{name}\"\ntransport = \"{url}\"\nrate = 0\n{extra}\n")
}

/// A loopback port with nothing listening on it.
pub(crate) fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("smtp://127.0.0.1:{port}")
}

/// `verdict ARGS` as if it were `now`.
pub(crate) fn run_at(project: &TestProject, now: chrono::DateTime<Utc>, args: &[&str]) -> Output {
    let output = project
        .command()
        .env("VERDICT_NOW", now.to_rfc3339())
        .args(args)
        .output()
        .unwrap();
    Output::from(output)
}

fn recipients(servers: &[&SmtpServer]) -> Vec<String> {
    servers
        .iter()
        .flat_map(|s| s.received())
        .map(|r| r.to().to_string())
        .collect()
}

fn assert_each_reader_once(servers: &[&SmtpServer]) {
    let all = recipients(servers);
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "nobody twice: {all:?}");
    assert_eq!(all.len(), READERS, "everyone: {all:?}");
}

#[test]
fn relays_share_the_audience_by_weight() {
    let big = SmtpServer::start();
    let small = SmtpServer::start();
    let project = project_with_relays(&format!(
        "{}{}",
        relay("big", &big.url(), "weight = 3\nconcurrency = 1"),
        relay("small", &small.url(), "weight = 1\nconcurrency = 1"),
    ));
    let output = project.run(&["send"]);
    output.success();
    output.stdout_has("(big)");
    output.stdout_has("(small)");
    assert_each_reader_once(&[&big, &small]);
    // 3:1 of 24 is 18:6; sharing allows one reader of slack either way.
    assert!(
        (17..=19).contains(&big.count()),
        "big took {} of 24",
        big.count()
    );
    let book = project.read("state/relays.json");
    assert!(book.contains("\"big\": "), "{book}");
    let status = project.run(&["status"]);
    status.stdout_has(&format!("big: {} delivered today", big.count()));
    status.stdout_has(&format!("small: {} delivered today", small.count()));
}

#[test]
fn a_relay_that_is_down_hands_its_share_to_the_other_and_status_says_so() {
    let backup = SmtpServer::start();
    let project = project_with_relays(&format!(
        "{}{}",
        relay("primary", &closed_port_url(), "weight = 9\nconcurrency = 2"),
        relay("backup", &backup.url(), "weight = 1\nconcurrency = 2"),
    ));
    let output = project.run(&["send"]);
    output.success();
    output.stdout_has("delivered 24");
    assert_each_reader_once(&[&backup]);
    let status = project.run(&["status"]);
    status.stdout_has("primary: 0 delivered today");
    status.stdout_has("down since");
    status.stdout_has("primary looks down");
    status.stdout_has("backup: 24 delivered today");
}

#[test]
fn a_relay_that_greets_with_421_is_down_and_the_other_takes_everyone() {
    let busy = SmtpServer::greeting_with("421 4.3.2 Service not available, closing channel");
    let fine = SmtpServer::start();
    let project = project_with_relays(&format!(
        "{}{}",
        relay("busy", &busy.url(), "concurrency = 1"),
        relay("fine", &fine.url(), "concurrency = 1"),
    ));
    project.run(&["send"]).success();
    assert_eq!(busy.count(), 0);
    assert_each_reader_once(&[&fine]);
    project.run(&["status"]).stdout_has("busy looks down");
}

#[test]
fn a_relay_that_refuses_the_sender_hands_everyone_to_the_other() {
    let refusing = SmtpServer::with_faults(&[(
        "verdicts@example.com",
        "mail",
        "553 5.7.1 <verdicts@example.com>: Sender address rejected: not owned by user",
        None,
    )]);
    let fine = SmtpServer::start();
    let project = project_with_relays(&format!(
        "{}{}",
        relay("refusing", &refusing.url(), "weight = 5\nconcurrency = 2"),
        relay("fine", &fine.url(), "concurrency = 2"),
    ));
    let output = project.run(&["send"]);
    output.success();
    output.stdout_has("refusing: delivered 0, down: refusing refused the newsletter");
    assert_eq!(refusing.count(), 0);
    assert_each_reader_once(&[&fine]);
    // Nobody was suppressed or failed for the relay's refusal.
    assert!(project.added_suppressions().is_empty());
    project.run(&["status"]).stdout_has("failed 0, bounced 0");
}

#[test]
fn a_damaged_relay_book_stops_the_run_before_anything_is_sent() {
    let server = SmtpServer::start();
    let project = project_with_relays(&relay("only", &server.url(), "daily_cap = 5"));
    project.write("state/relays.json", "{\"day\": \"2026-11-28\", \"deliv");
    let output = project.run(&["send"]);
    output.code(1);
    output.stderr_has("state/relays.json:1:");
    output.stderr_has("delete it to count today from zero");
    assert_eq!(server.count(), 0);
    project.run(&["status"]).code(1);
}

#[test]
fn without_relay_tables_status_tells_of_the_configured_transport_being_down() {
    let project = project_with_relays("");
    let dead = closed_port_url();
    project.edit(
        "verdict.toml",
        "transport = \"outbox:outbox\"",
        &format!("transport = \"{dead}\""),
    );
    project.run(&["send"]).code(1);
    let status = project.run(&["status"]);
    status.stdout_has(&format!("{dead}: 0 delivered today"));
    status.stdout_has("looks down");
    // Once the editor points it elsewhere, the old note is history.
    project.edit(
        "verdict.toml",
        &format!("transport = \"{dead}\""),
        "transport = \"outbox:outbox\"",
    );
    let status = project.run(&["status"]);
    assert!(!status.stdout.contains("looks down"), "{}", status.stdout);
}

#[test]
fn every_relay_down_stops_the_run_and_loses_no_one() {
    let project = project_with_relays(&format!(
        "{}{}",
        relay("one", &closed_port_url(), "concurrency = 1"),
        relay("two", &closed_port_url(), "concurrency = 1"),
    ));
    let output = project.run(&["send"]);
    output.code(1);
    output.stderr_has("left pending; the next run resumes");
    let live = SmtpServer::start();
    project.run(&["send", "--transport", &live.url()]).success();
    assert_each_reader_once(&[&live]);
}

#[test]
fn caps_spent_end_the_run_cleanly_and_the_next_day_continues() {
    let first = SmtpServer::start();
    let second = SmtpServer::start();
    let project = project_with(
        &["time_zone = \"Europe/Berlin\""],
        &format!(
            "{}{}",
            relay("first", &first.url(), "daily_cap = 10\nconcurrency = 2"),
            relay("second", &second.url(), "daily_cap = 5\nconcurrency = 2"),
        ),
    );
    // Mid-morning in Berlin (10:00 UTC is 11:00 or 12:00 there), so that five
    // minutes later is still the same day whenever the suite runs.
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc();
    run_at(&project, today, &["send", "--dry-run"])
        .success()
        .stdout_has("(first, weight 1, 10 more today)");
    let output = run_at(&project, today, &["send"]);
    output.success();
    output.stdout_has("every relay's daily cap is spent; 9 reader(s) left");
    // Berlin's next midnight, in Berlin's time (CET or CEST).
    let midnight = format!("{} 00:00 CE", today.date_naive().succ_opt().unwrap());
    output.stdout_has(&format!(
        "sending resumes with the next run from {midnight}"
    ));
    assert_eq!((first.count(), second.count()), (10, 5));
    let status = run_at(&project, today, &["status"]);
    status.stdout_has(&format!(
        "first: 10 of 10 delivered today (cap spent; resumes {midnight}"
    ));
    status.stdout_has("relays on ");
    status.stdout_has("(Europe/Berlin):");
    status.stdout_has("remaining 9");

    // Later the same day: nothing more goes out, and that is not an error.
    let again = run_at(&project, today + Duration::minutes(5), &["send"]);
    again.success();
    again.stdout_has("9 reader(s) left");
    assert_eq!(first.count() + second.count(), 15);

    // The next day the caps are fresh and the run finishes the issue.
    let tomorrow = today + Duration::days(1);
    run_at(&project, tomorrow, &["send"]).success();
    assert_each_reader_once(&[&first, &second]);
    run_at(&project, tomorrow, &["status"]).stdout_has(": sent;");
}

#[test]
fn the_transport_flag_and_environment_override_the_relays() {
    let forced = SmtpServer::start();
    let project = project_with_relays(&relay("dead", &closed_port_url(), ""));
    let output = project
        .command()
        .env("VERDICT_TRANSPORT", forced.url())
        .arg("send")
        .output()
        .unwrap();
    Output::from(output).success();
    assert_each_reader_once(&[&forced]);
    assert!(!project.read("state/relays.json").contains("dead"));
}

#[test]
fn careless_relay_tables_are_located_errors() {
    let project = project_with_relays(
        "[[relay]]\nname = \"a\"\ntransport = \"smtp://127.0.0.1:2525\"\nweight = 0\n\n[[relay]]\nname = \"a\"\ntransport = \"smpt://x.invalid\"\ndaily_cap = -1\n",
    );
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("weight");
    output.stderr_has("smpt");
    output.stderr_has("daily_cap");
    let project = project_with_relays("[[relay]]\nname = \"a\"\n");
    project.run(&["check"]).stderr_has("`transport`");
    let project = project_with_relays(&format!(
        "{}{}",
        relay("same", "smtp://127.0.0.1:2525", ""),
        relay("same", "smtp://127.0.0.1:2526", "")
    ));
    project
        .run(&["check"])
        .stderr_has("two relays are named `same`");
    let project = project_with(&["time_zone = \"Europe/Berlni\""], "");
    let output = project.run(&["check"]);
    output.stderr_has("`Europe/Berlni` is not a time zone");
    output.stderr_has("verdict.toml:1:");
}

#[test]
fn a_password_in_a_relays_transport_is_refused_and_never_shown() {
    let project = project_with_relays(&relay(
        "leaky",
        "smtps://user:hunter2secret@smtp.example.invalid:465",
        "",
    ));
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("must not hold the SMTP password");
    assert!(
        !output.stderr.contains("hunter2secret"),
        "{}",
        output.stderr
    );
    let output = project.run(&["send"]);
    output.code(2);
    assert!(
        !output.stderr.contains("hunter2secret"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_hostile_now_is_refused() {
    let project = TestProject::demo();
    let output = project
        .command()
        .env("VERDICT_NOW", "tomorrow")
        .arg("status")
        .output()
        .unwrap();
    let output = Output::from(output);
    output.code(2);
    output.stderr_has("VERDICT_NOW=tomorrow is not a time");
}

fn set_not_after(project: &TestProject, at: chrono::DateTime<Utc>) {
    let path = format!("issues/{DEMO_ISSUE}.toml");
    let text = project.read(&path);
    let line = text.lines().find(|l| l.starts_with("send_at = ")).unwrap();
    let with = format!(
        "{line}\nnot_after = {}",
        at.format("%Y-%m-%dT%H:%M:%S+00:00")
    );
    project.write(&path, &text.replacen(line, &with, 1));
}

#[test]
fn past_the_send_window_nobody_pending_gets_the_issue() {
    let server = SmtpServer::start();
    let project = project_with_relays(&relay("only", &server.url(), "daily_cap = 5"));
    let now = Utc::now();
    set_not_after(&project, now + Duration::hours(6));
    project.run(&["check"]).success();
    // Inside the window: the cap lets five through.
    run_at(&project, now, &["send"]).success();
    assert_eq!(server.count(), 5);
    // The next day the window has closed: the rest expire, nothing is sent.
    let later = now + Duration::days(1);
    let output = run_at(&project, later, &["send"]);
    output.success();
    output.stdout_has("expired 19 (the send window closed)");
    assert_eq!(server.count(), 5);
    let status = run_at(&project, later, &["status"]);
    status.stdout_has("expired (its send window closed at");
    status.stdout_has("delivered 5,");
    let failed = run_at(&project, later, &["status", DEMO_ISSUE, "--failed"]);
    failed.stdout_has("send window (not_after) has closed");
    // A second run finds nothing to do.
    run_at(&project, later, &["send"]).success();
    assert_eq!(server.count(), 5);
}

#[test]
fn check_warns_when_the_window_closes_before_it_opens() {
    let project = TestProject::demo();
    set_not_after(&project, Utc::now() - Duration::days(3));
    let output = project.run(&["check"]);
    output.stderr_has("not_after is not after send_at");
    output.stderr_has("the send window closes before it opens");
    let project = TestProject::demo();
    let path = format!("issues/{DEMO_ISSUE}.toml");
    let text = project.read(&path);
    project.write(
        &path,
        &text.replacen("send_at = ", "not_after = \"next week\"\nsend_at = ", 1),
    );
    project
        .run(&["check"])
        .stderr_has("a TOML datetime with an offset");
}

/// Whether an unsubscribe link would act on the real service: its token
/// verifies, with the project's keys, for the address it carries.
fn link_works(project: &TestProject, link: &str) -> bool {
    let keys =
        verdict::store::tokens::Keys::load(&verdict::project::layout::Layout::new(project.path()))
            .unwrap();
    let url = url::Url::parse(link.trim_matches(|c| c == '<' || c == '>')).unwrap();
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let address = verdict::store::tokens::decode_address(&query["u"]).unwrap();
    keys.verify(
        verdict::store::tokens::Purpose::Unsubscribe,
        &address,
        &query["t"],
    )
}

#[test]
fn redirected_copies_are_marked_inert_and_name_their_reader_only_in_one_header() {
    let server = SmtpServer::start();
    let project = TestProject::demo();
    let output = project.run(&[
        "send",
        DEMO_ISSUE,
        "--redirect-to",
        "Editor@Example.NET",
        "--limit",
        "3",
        "--transport",
        &server.url(),
    ]);
    output.success();
    output.stdout_has("3 of 3 copies delivered to editor@example.net; nothing recorded");
    let received = server.received();
    assert_eq!(received.len(), 3);
    let mut intended = HashSet::new();
    for copy in &received {
        assert_eq!(copy.rcpt_tos, vec!["editor@example.net".to_string()]);
        let message = copy.parse();
        let reader = message
            .header_raw("X-Verdict-Intended-Recipient")
            .expect("the intended reader is named")
            .trim()
            .to_string();
        let to = message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address());
        assert_eq!(to, Some("editor@example.net"), "addressed to the editor");
        assert!(
            message.subject().unwrap().starts_with("[REDIRECTED] "),
            "{:?}",
            message.subject()
        );
        let raw = String::from_utf8_lossy(&copy.raw);
        assert_eq!(
            raw.matches(reader.as_str()).count(),
            1,
            "the reader's address is in the intended-recipient header only"
        );
        let text = message.body_text(0).unwrap().into_owned();
        let link = text
            .lines()
            .find(|l| l.contains("/unsubscribe?"))
            .expect("an unsubscribe link")
            .trim()
            .to_string();
        assert!(!link_works(&project, &link), "{link}");
        let header = message.header_raw("List-Unsubscribe").unwrap();
        let one_click = header.split(',').next().unwrap().trim();
        assert!(!link_works(&project, one_click), "{one_click}");
        intended.insert(reader);
    }
    assert_eq!(intended.len(), 3, "three different readers: {intended:?}");
    let ledger = project
        .path()
        .join(format!("state/ledger/{DEMO_ISSUE}.log"));
    assert!(!ledger.exists(), "nothing recorded");
    project.run(&["status"]).stdout_has("remaining 24");
    // Then the real send still reaches everyone, with links that work.
    let real = SmtpServer::start();
    project.run(&["send", "--transport", &real.url()]).success();
    assert_each_reader_once(&[&real]);
    let message = real.received().remove(0);
    let text = message.parse().body_text(0).unwrap().into_owned();
    let link = text
        .lines()
        .find(|l| l.contains("/unsubscribe?"))
        .unwrap()
        .trim()
        .to_string();
    assert!(link_works(&project, &link), "{link}");
}

#[test]
fn test_copies_are_marked_and_their_links_are_inert() {
    let server = SmtpServer::start();
    let project = TestProject::demo();
    project
        .run(&[
            "send",
            DEMO_ISSUE,
            "--to",
            "ml-team@example.com",
            "--transport",
            &server.url(),
        ])
        .success();
    let copy = server.received().remove(0);
    let message = copy.parse();
    assert!(message.subject().unwrap().starts_with("[TEST] "));
    let text = message.body_text(0).unwrap().into_owned();
    let link = text
        .lines()
        .find(|l| l.contains("/unsubscribe?"))
        .unwrap()
        .trim()
        .to_string();
    assert!(!link_works(&project, &link), "{link}");
}

#[test]
fn a_redirect_the_relay_refuses_is_reported_and_records_nothing() {
    let server = SmtpServer::with_faults(&[(
        "editor@example.net",
        "rcpt",
        "550 5.1.1 <editor@example.net>: Recipient address rejected: User unknown",
        None,
    )]);
    let project = TestProject::demo();
    let output = project.run(&[
        "send",
        DEMO_ISSUE,
        "--redirect-to",
        "editor@example.net",
        "--limit",
        "2",
        "--transport",
        &server.url(),
    ]);
    output.code(3);
    output.stdout_has("0 of 2 copies delivered to editor@example.net");
    output.stderr_has("User unknown");
    // The redirect address bounced, not the readers.
    assert!(project.added_suppressions().is_empty());
    assert!(!project.path().join("state/ledger").exists());
}

#[test]
fn careless_or_hostile_redirects_are_refused() {
    let project = TestProject::demo();
    project
        .run(&["send", "--redirect-to", "me@example.net"])
        .stderr_has("--redirect-to sends copies of one issue");
    let output = project.run(&[
        "send",
        DEMO_ISSUE,
        "--redirect-to",
        "me@example.net\r\nBcc: victim@example.org",
    ]);
    output.code(2);
    let output = project.run(&["send", DEMO_ISSUE, "--redirect-to", "not an address"]);
    output.code(2);
    output.stderr_has("not an address");
    assert!(!project.path().join("outbox").exists());
}

#[test]
fn one_now_per_run_every_time_it_writes_follows_verdict_now() {
    let server = SmtpServer::with_faults(&[(
        "labs@example.org",
        "rcpt",
        "550 5.1.1 <labs@example.org>: Recipient address rejected: User unknown",
        None,
    )]);
    let project = project_with_relays(&relay("only", &server.url(), "daily_cap = 100"));
    let now = (Utc::now() + Duration::days(3))
        .format("%Y-%m-%dT%H:%M:00Z")
        .to_string();
    let minute = &now[..16];
    let output = run_at(
        &project,
        chrono::DateTime::parse_from_rfc3339(&now).unwrap().into(),
        &["send"],
    );
    output.code(3);
    let ledger = project.read(&format!("state/ledger/{DEMO_ISSUE}.log"));
    let times: Vec<&str> = ledger
        .match_indices("\"at\":\"")
        .map(|(i, m)| &ledger[i + m.len()..i + m.len() + 16])
        .collect();
    assert!(times.len() >= 25, "{ledger}");
    assert!(times.iter().all(|t| *t == minute), "{minute}: {times:?}");
    let suppressed = project.rows("subscribers/suppressed.csv");
    let row = suppressed
        .lines()
        .find(|l| l.starts_with("labs@example.org,bounced,"))
        .unwrap();
    assert!(row.contains(minute), "{row}");
    let book = project.read("state/relays.json");
    assert!(
        book.contains(&format!("\"day\": \"{}\"", &now[..10])),
        "{book}"
    );
    assert!(book.contains(&format!("\"since\": \"{minute}")), "{book}");
}

/// `verdict ARGS` under `ulimit -n limit`, with only standard input, output
/// and error open: descriptors the test inherits (a shell's, a job server's)
/// differ between machines and would change the room the run finds.
fn run_with_open_files(project: &TestProject, limit: u32, args: &str) -> Output {
    let binary = env!("CARGO_BIN_EXE_verdict");
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "for fd in $(ls /proc/$$/fd); do if [ \"$fd\" -gt 2 ]; then exec {{fd}}>&-; fi; done; \
             ulimit -n {limit} && exec {binary} --project {} {args}",
            project.path().display()
        ))
        .env_remove("VERDICT_TRANSPORT")
        .output()
        .unwrap();
    Output::from(output)
}

#[test]
fn at_fifteen_open_files_no_relay_is_found_down_by_emfile() {
    let first = SmtpServer::start();
    let second = SmtpServer::start();
    let project = project_with_relays(&format!(
        "{}{}",
        relay("first", &first.url(), "concurrency = 8"),
        relay("second", &second.url(), "concurrency = 8"),
    ));
    // Two relays need a connection each besides the run's files: refused
    // before anything is sent, with what to do.
    let output = run_with_open_files(&project, 15, "send");
    output.code(1);
    output.stderr_has("raise it with `ulimit -n` (at least 16)");
    assert_eq!(first.count() + second.count(), 0);
    assert!(!project.path().join("state/relays.json").exists());
    // One relay fits, with one connection, and nothing is found down.
    let output = run_with_open_files(&project, 15, &format!("send --transport {}", first.url()));
    output.success();
    output.stderr_has("using 1");
    assert_each_reader_once(&[&first]);
    assert!(!project.read("state/relays.json").contains("down"));
}
