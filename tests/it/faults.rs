//! Failure injection through the append log's seam (VERDICT_FAULTS, read by
//! debug builds): a write or an fsync that fails in the ledger or the relay
//! book stops the run or reports it, loses no outcome and claims nothing done
//! that is not; the next run finishes the job.

use std::collections::HashMap;

use crate::harness::{Output, TestProject};
use crate::smtp::SmtpServer;

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
