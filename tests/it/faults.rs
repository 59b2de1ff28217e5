//! Writes and fsyncs that fail, injected through the append log's seam
//! (`VERDICT_FAULTS`, read by debug builds): every durable file of a send (the
//! ledger, the relay book), the lists, the votes, the sign-ups, the bounce
//! reports read and the site either reports the failure or stops, without a
//! false "done" and without losing or half-writing anything; what failed works
//! on the next try.

use std::collections::HashMap;

use crate::harness::{DEMO_ISSUE, Output, TestProject};
use crate::server::{SECRET, Serve, get, post};
use crate::smtp::SmtpServer;

const SUPPRESSED: &str = "subscribers/suppressed.csv";

#[test]
fn a_failed_write_or_fsync_of_the_suppression_list_answers_503_and_the_retry_records_once() {
    for fault in ["write:suppressed.csv", "fsync:suppressed.csv"] {
        let project = TestProject::demo();
        let before = project.read(SUPPRESSED);
        let serve = Serve::launch_with(&project, Some(SECRET), &[], &[("VERDICT_FAULTS", fault)]);
        let link = serve.link("ml-team@example.com");
        let (status, page) = post(&link, "List-Unsubscribe=One-Click");
        assert_eq!(status, 503, "{fault}: {page}");
        assert_eq!(
            project.read(SUPPRESSED),
            before,
            "{fault}: nothing half-written"
        );
        // The fault happened once: the reader's retry is recorded, once.
        assert_eq!(post(&link, "List-Unsubscribe=One-Click").0, 200, "{fault}");
        let after = project.rows(SUPPRESSED);
        assert_eq!(
            after
                .lines()
                .filter(|l| l.starts_with("ml-team@example.com,"))
                .count(),
            1,
            "{fault}: {after}"
        );
    }
}

#[test]
fn a_failed_write_of_the_list_or_the_sign_ups_loses_no_reader_and_blocks_nobody() {
    for op in ["write", "fsync"] {
        sign_up_log_fails(op);
        list_fails_at_the_confirmation(op);
    }
}

/// The sign-up log fails at the request: nothing is mailed, and the same
/// address may ask again at once (it is not held for an hour).
fn sign_up_log_fails(op: &str) {
    let project = TestProject::demo();
    let faults = format!("{op}:signups.log");
    let serve = Serve::launch_with(&project, Some(SECRET), &[], &[("VERDICT_FAULTS", &faults)]);
    let ask = |email: &str| {
        post(
            &format!("{}/subscribe", serve.base),
            &format!("email={}&name=&website=", email.replace('@', "%40")),
        )
    };
    assert_eq!(ask("again@example.com").0, 200);
    serve.wait_for_error("a sign-up could not be recorded");
    assert_eq!(ask("again@example.com").0, 200);
    serve.wait_for("sign-up: confirmation sent", 1);
}

/// The list fails at the confirmation: 503, and the link still works after.
fn list_fails_at_the_confirmation(op: &str) {
    let project = TestProject::demo();
    let faults = format!("{op}:subscribers.csv");
    let serve = Serve::launch_with(&project, Some(SECRET), &[], &[("VERDICT_FAULTS", &faults)]);
    post(
        &format!("{}/subscribe", serve.base),
        "email=late%40example.com&name=&website=",
    );
    serve.wait_for("sign-up: confirmation sent", 1);
    let link = project
        .outbox_link(
            "late@example.com",
            "https://verdicts.example.com/subscribe/confirm?",
        )
        .replace("https://verdicts.example.com", &serve.base);
    let before = project.read("subscribers/subscribers.csv");
    assert_eq!(post(&link, "").0, 503, "{op}");
    assert_eq!(
        project.read("subscribers/subscribers.csv"),
        before,
        "{op}: nothing half-written"
    );
    assert_eq!(post(&link, "").0, 200);
    assert!(
        project
            .rows("subscribers/subscribers.csv")
            .contains("late@example.com,")
    );
}

#[test]
fn a_failed_write_of_the_votes_answers_503_and_counts_nothing() {
    for op in ["write", "fsync"] {
        votes_fail(op);
    }
}

fn votes_fail(op: &str) {
    let project = TestProject::demo();
    let mut send = project.command();
    send.env("VERDICT_SECRET", SECRET).arg("send");
    assert!(send.status().unwrap().success());
    let faults = format!("{op}:votes");
    let serve = Serve::launch_with(&project, Some(SECRET), &[], &[("VERDICT_FAULTS", &faults)]);
    let link = project
        .outbox_link("ml-team@example.com", "https://verdicts.example.com/vote?")
        .replace("https://verdicts.example.com", &serve.base);
    assert_eq!(get(&link).0, 200);
    assert_eq!(post(&link, "").0, 503, "{op}");
    let log = project.path().join(format!("state/votes/{DEMO_ISSUE}.log"));
    assert!(
        std::fs::read(&log).map_or(true, |b| b.is_empty()),
        "{op}: nothing half-written"
    );
    assert_eq!(
        post(&link, "").0,
        200,
        "{op}: the vote counts on the next try"
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
}

#[test]
fn a_failed_write_of_the_reports_read_leaves_the_import_to_run_again_with_the_same_result() {
    for op in ["write", "fsync"] {
        reports_read_fail(op);
    }
}

fn reports_read_fail(op: &str) {
    let faults = format!("{op}:bounces-seen.log");
    let project = TestProject::demo();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("request.eml"),
        "From: <someone@example.net>\nTo: <verdicts@example.com>\nSubject: unsubscribe\nMessage-ID: <r1@example.net>\nDate: Thu, 26 Nov 2026 12:00:00 +0000\n\nplease\n",
    )
    .unwrap();
    let mut import = project.command();
    import
        .env("VERDICT_FAULTS", &faults)
        .args(["bounces", "import", dir.path().to_str().unwrap()]);
    let output = crate::harness::Output::from(import.output().unwrap());
    // A report without a token is listed and not remembered: nothing to write.
    output.success();
    // A report that is remembered fails to be noted: the import says so.
    std::fs::write(
        dir.path().join("auto.eml"),
        "From: <away@example.net>\nTo: <verdicts@example.com>\nSubject: Out of office\nAuto-Submitted: auto-replied\nMessage-ID: <a1@example.net>\nDate: Thu, 26 Nov 2026 12:00:00 +0000\n\naway\n",
    )
    .unwrap();
    let mut import = project.command();
    import
        .env("VERDICT_FAULTS", &faults)
        .args(["bounces", "import", dir.path().to_str().unwrap()]);
    let failed = crate::harness::Output::from(import.output().unwrap());
    failed.code(1);
    failed.stderr_has("injected");
    failed.stderr_has("bounces-seen.log");
    assert!(
        std::fs::read(project.path().join("state/bounces-seen.log")).map_or(true, |b| b.is_empty())
    );
    // Run again: the same result, now remembered.
    project
        .run(&["bounces", "import", dir.path().to_str().unwrap()])
        .success()
        .stdout_has("auto-replies (ignored): 1");
    project
        .run(&["bounces", "import", dir.path().to_str().unwrap()])
        .success()
        .stdout_has("already read before (skipped): 1");
}

#[test]
fn a_full_disk_during_archive_leaves_the_previous_site_whole() {
    let project = TestProject::demo();
    project.run(&["archive"]).success();
    let page = project
        .path()
        .join(format!("public/issues/{DEMO_ISSUE}.html"));
    let before = std::fs::read(&page).unwrap();
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "Which one should you ship with?",
        "Edited before a full disk.",
    );
    let mut archive = project.command();
    archive.env("VERDICT_FAULTS", "write:public").arg("archive");
    let output = crate::harness::Output::from(archive.output().unwrap());
    assert_ne!(output.code, 0, "{}", output.stdout);
    assert_eq!(
        std::fs::read(&page).unwrap(),
        before,
        "the old page is whole"
    );
    for entry in walk(&project.path().join("public")) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "a leftover {name}");
    }
    project.run(&["archive"]).success();
    assert!(
        String::from_utf8(std::fs::read(&page).unwrap())
            .unwrap()
            .contains("Edited before a full disk.")
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn send_with_faults(project: &TestProject, url: &str, faults: &str) -> Output {
    Output::from(
        project
            .command()
            .env("VERDICT_FAULTS", faults)
            .args(["send", "--transport", url, "--concurrency", "2"])
            .output()
            .unwrap(),
    )
}

#[test]
fn a_failed_ledger_write_or_fsync_stops_the_run_and_the_next_one_finishes() {
    for fault in ["write:ledger@3", "fsync:ledger@3"] {
        let project = TestProject::demo();
        let server = SmtpServer::start();
        let output = send_with_faults(&project, &server.url(), fault);
        output.code(1);
        output.stderr_has("sending stopped: cannot write");
        output.stderr_has("injected");
        let recorded = project.ledger_outcomes();
        assert!(recorded < 24, "{fault}: {recorded}");
        assert!(
            server.count() >= recorded,
            "{fault}: nothing recorded that was not sent"
        );
        assert!(
            !project.run(&["status"]).stdout.contains(": sent;"),
            "{fault}: no false done"
        );
        project
            .run(&["send", "--transport", &server.url()])
            .success();
        project.run(&["status"]).stdout_has(": sent;");
        let mut copies: HashMap<String, usize> = HashMap::new();
        for message in server.received() {
            *copies.entry(message.to().to_string()).or_insert(0) += 1;
        }
        assert_eq!(copies.len(), 24, "{fault}");
        let twice = copies.values().filter(|n| **n > 1).count();
        assert!(
            twice <= 2 && copies.values().all(|n| *n <= 2),
            "{fault}: at most the messages in flight again: {copies:?}"
        );
    }
}

#[test]
fn a_relay_book_that_cannot_be_saved_is_reported_and_loses_no_outcome() {
    for fault in [
        "write:relays.json,write:relays.json@2,write:relays.json@3",
        "fsync:relays.json,fsync:relays.json@2,fsync:relays.json@3",
    ] {
        let project = TestProject::demo();
        let server = SmtpServer::start();
        let output = send_with_faults(&project, &server.url(), fault);
        output.code(1);
        output.stderr_has("relays.json");
        output.stderr_has("every outcome is in the ledger");
        assert_eq!(project.ledger_outcomes(), 24, "{fault}");
        project.run(&["status"]).stdout_has(": sent;");
        assert!(!project.path().join("state/relays.json").exists());
    }
}
