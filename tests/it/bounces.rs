//! `verdict bounces import` against reports in the documented formats of the
//! mail systems that send them (tests/fixtures/bounces), read from a folder of
//! .eml files, an mbox and a Maildir, and against unsubscribe requests made
//! from the List-Unsubscribe header of a message verdict really sent.

use std::path::{Path, PathBuf};

use mail_parser::MessageParser;

use crate::harness::{DEMO_ISSUE, TestProject, repo_root};
use crate::smtp::SmtpServer;

const SUPPRESSED: &str = "subscribers/suppressed.csv";

fn fixtures() -> PathBuf {
    repo_root().join("tests/fixtures/bounces")
}

/// The keys the fixtures' proofs were made with: their Message-IDs and
/// return-path tags (identity key) and the unsubscribe links they quote.
const FIXTURES_IDENTITY_KEY: &str = "bounce-fixtures-identity-key-0123456789";
const FIXTURES_SECRET: &str = "bounce-fixtures-link-secret-0123456789";

/// The demo project with the keys of the fixtures, so that the proofs quoted
/// in them are the ones verdict would have made, and signed return paths
/// (`bounce_address = "bounces+@example.com"`).
fn fixtures_project() -> TestProject {
    let project = TestProject::demo();
    project.write("state/identity-key", FIXTURES_IDENTITY_KEY);
    project.write("state/secret", FIXTURES_SECRET);
    project.edit(
        "verdict.toml",
        "from = \"Weekly AI Tool Verdicts <verdicts@example.com>\"",
        "from = \"Weekly AI Tool Verdicts <verdicts@example.com>\"\nbounce_address = \"bounces+@example.com\"",
    );
    project
}

/// The fixtures' project after a send through a real SMTP server.
fn sent_through_a_relay() -> (SmtpServer, TestProject) {
    let server = SmtpServer::start();
    let project = fixtures_project();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    (server, project)
}

fn import(project: &TestProject, paths: &[&Path], extra: &[&str]) -> crate::harness::Output {
    let mut args: Vec<&str> = vec!["bounces", "import"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    args.extend_from_slice(extra);
    project.run(&args)
}

fn suppressed(project: &TestProject) -> Vec<(String, String)> {
    project.added_suppressions()
}

/// What the fixtures prove: hard bounces from Postfix, Exim (5.0.0 with 5.1.1
/// in the reply), Gmail and Microsoft 365 (5.1.10) by our Message-ID, Sendmail
/// (no original quoted) by the signed return path it was delivered to, Amazon
/// SES (its own Message-ID) by the signed unsubscribe link in the quoted
/// headers; complaints from Yahoo and Outlook.com (recipient redacted) by our
/// Message-ID. AOL's complaint quotes nothing and proves nothing.
fn expected() -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = [
        ("analytics@example.com", "bounced"),
        ("campus@example.org", "bounced"),
        ("data-desk@example.org", "bounced"),
        ("design@example.org", "bounced"),
        ("fintech@example.org", "bounced"),
        ("growth@example.com", "bounced"),
        ("infra@example.com", "complained"),
        ("labs@example.org", "complained"),
    ]
    .iter()
    .map(|(a, r)| (a.to_string(), r.to_string()))
    .collect();
    rows.sort();
    rows
}

/// How many reports the fixtures folder holds, one per file.
fn fixture_count() -> usize {
    std::fs::read_dir(fixtures()).unwrap().count()
}

#[test]
fn reports_from_each_mail_system_suppress_hard_bounces_and_complaints_only() {
    let project = fixtures_project();
    let output = import(&project, &[&fixtures()], &[]);
    output.success();
    output.stdout_has(&format!(
        "read {} message(s) from 1 source(s)",
        fixture_count()
    ));
    output.stdout_has("hard bounces: 6 (suppressed as bounced: 6, already suppressed: 0)");
    output.stdout_has("complaints: 2 (suppressed as complained: 2, already suppressed: 0)");
    output.stdout_has("without proof that they are about our email to the reader (nothing changed; see the notes): 1");
    output.stderr_has("arf-aol.eml: a complaint feedback abuse (AOL SComp), without proof that it is about our email to mlops@example.org");
    // Gmail's DMARC refusal and a full Microsoft 365 mailbox.
    output.stdout_has("policy, content, quota (nothing changed): 2");
    output.stdout_has("delays and temporary failures (nothing changed): 1");
    output.stdout_has("other feedback reports (nothing changed): 1");
    output.stdout_has("auto-replies (ignored): 1");
    output.stdout_has("not reports (ignored): 1");
    // A bounce of a test copy and one from another list.
    output.stdout_has("test copies (ignored): 2");
    output.stdout_has("malformed (see the notes): 1");
    output.stderr_has(
        "malformed-dsn.eml: a delivery status notification without a per-recipient part",
    );
    assert_eq!(suppressed(&project), expected());
    let detail = project.rows(SUPPRESSED);
    assert!(
        detail.contains("RESOLVER.ADR.RecipientNotFound"),
        "{detail}"
    );
    assert!(
        detail.contains("feedback abuse (Yahoo!-Mail-Feedback/2.0)"),
        "{detail}"
    );

    assert!(detail.contains("(proof: a signed return path)"), "{detail}");
    assert!(
        detail.contains("(proof: the reader's signed unsubscribe link)"),
        "{detail}"
    );
    assert!(detail.contains("(proof: our Message-ID)"), "{detail}");

    // The same mailbox again changes nothing: what was understood is skipped,
    // what was not (malformed, unproven, not a report) is read again.
    let before = project.rows(SUPPRESSED);
    let again = import(&project, &[&fixtures()], &[]);
    again.success();
    let count = |output: &crate::harness::Output, label: &str| -> usize {
        output
            .stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(label)?.trim().parse().ok())
            .unwrap_or(0)
    };
    let not_understood = count(&output, "malformed (see the notes):")
        + count(&output, "not reports (ignored):")
        + count(
            &output,
            "without proof that they are about our email to the reader (nothing changed; see the notes):",
        );
    assert_eq!(
        count(&again, "already read before (skipped):"),
        18 - not_understood,
        "{}",
        again.stdout
    );
    assert!(!again.stdout.contains("hard bounces"), "{}", again.stdout);
    assert_eq!(project.rows(SUPPRESSED), before);

    // After review, the editor accepts the unproven complaint.
    let accepted = import(&project, &[&fixtures()], &["--accept-unproven"]);
    accepted.success();
    accepted.stdout_has("without proof, acted on as accepted (--accept-unproven): 1");
    let mut all = expected();
    all.push(("mlops@example.org".into(), "complained".into()));
    all.sort();
    assert_eq!(suppressed(&project), all);
    assert!(
        project
            .rows(SUPPRESSED)
            .contains("(accepted without proof)")
    );

    // The suppressed readers do not get the next send.
    project.run(&["send"]).success();
    let sent = std::fs::read_dir(project.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(sent, 24 - all.len());
}

#[test]
fn a_dry_run_shows_what_would_change_and_writes_nothing() {
    let project = fixtures_project();
    let before = project.rows(SUPPRESSED);
    let output = import(&project, &[&fixtures()], &["--dry-run"]);
    output.success();
    output.stdout_has("(dry run: nothing written)");
    output.stdout_has("hard bounces: 6 (would suppress as bounced: 6");
    assert_eq!(project.rows(SUPPRESSED), before);
    assert!(!project.path().join("state/bounces-seen.log").exists());
    // A real run afterwards still does it all.
    import(&project, &[&fixtures()], &[]).success();
    assert_eq!(suppressed(&project), expected());
}

/// The fixtures as one mbox (mboxrd: body lines starting with "From " quoted).
fn mbox_of_fixtures(path: &Path) {
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut mbox = String::new();
    for name in names {
        mbox.push_str("From MAILER-DAEMON Thu Nov 26 09:00:00 2026\n");
        for line in std::fs::read_to_string(name).unwrap().lines() {
            if line.trim_start_matches('>').starts_with("From ") {
                mbox.push('>');
            }
            mbox.push_str(line);
            mbox.push('\n');
        }
        mbox.push('\n');
    }
    std::fs::write(path, mbox).unwrap();
}

#[test]
fn an_mbox_and_a_maildir_give_the_same_result_and_notes_are_located() {
    let project = fixtures_project();
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("bounces.mbox");
    mbox_of_fixtures(&mbox);
    let output = import(&project, &[&mbox], &[]);
    output.success();
    output.stdout_has(&format!("read {} message(s)", fixture_count()));
    assert_eq!(suppressed(&project), expected());
    // The malformed report is named by the line of its "From " line.
    let text = std::fs::read_to_string(&mbox).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("broken-dsn-1@mail.example.com"))
        .unwrap();
    let from_line = text.lines().take(line).collect::<Vec<_>>();
    let from_line = from_line
        .iter()
        .rposition(|l| l.starts_with("From "))
        .unwrap()
        + 1;
    output.stderr_has(&format!(
        "bounces.mbox:{from_line}: a delivery status notification"
    ));

    let project = fixtures_project();
    let maildir = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for (i, entry) in std::fs::read_dir(fixtures()).unwrap().enumerate() {
        let sub = if i % 2 == 0 { "cur" } else { "new" };
        let name = format!("17956836{i:02}.M1P1.mx.example.com:2,S");
        std::fs::copy(entry.unwrap().path(), maildir.join(sub).join(name)).unwrap();
    }
    let output = import(&project, &[&maildir], &[]);
    output.success();
    output.stdout_has(&format!("read {} message(s)", fixture_count()));
    assert_eq!(suppressed(&project), expected());
    // The mbox copies of the same reports are already read: as many as the
    // Maildir import remembered (all but what it did not understand).
    let again = import(&project, &[&mbox], &[]);
    again.success();
    assert!(!again.stdout.contains("hard bounces"), "{}", again.stdout);
    let seen = std::fs::read_to_string(project.path().join("state/bounces-seen.log"))
        .unwrap()
        .lines()
        .count();
    again.stdout_has(&format!("already read before (skipped): {seen}"));
}

#[test]
fn a_bounce_is_matched_by_the_message_id_verdict_sent_even_after_forwarding() {
    // The reader forwards to another mailbox, which does not exist: the
    // report names the forwarding target, the Message-ID names the reader.
    let (server, project) = sent_through_a_relay();
    let received = server.received();
    let copy = received
        .iter()
        .find(|r| r.to() == "qa@example.com")
        .unwrap();
    let headers_end = copy.raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let original_headers = String::from_utf8_lossy(&copy.raw[..headers_end]).replace("\r\n", "\n");
    let report = format!(
        "From: MAILER-DAEMON@forward.example.net\nTo: verdicts@example.com\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <fwd-1@forward.example.net>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nGone.\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; forward.example.net\n\nFinal-Recipient: rfc822; old-qa@forward.example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such mailbox\n\n--b\nContent-Type: text/rfc822-headers\n\n{original_headers}\n\n--b--\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forwarded.eml");
    std::fs::write(&path, report).unwrap();
    let output = import(&project, &[&path], &[]);
    output.success();
    output.stdout_has("hard bounces: 1 (suppressed as bounced: 1");
    assert_eq!(
        suppressed(&project),
        vec![("qa@example.com".to_string(), "bounced".to_string())]
    );
}

/// The subject an RFC 2369 mail program writes from a mailto link.
fn mailto_subject(list_unsubscribe: &str) -> (String, String) {
    let mailto = list_unsubscribe
        .split(['<', '>'])
        .find(|part| part.starts_with("mailto:"))
        .expect("a mailto in List-Unsubscribe");
    let (address, query) = mailto
        .trim_start_matches("mailto:")
        .split_once('?')
        .unwrap();
    let subject = query.strip_prefix("subject=").unwrap().replace("%20", " ");
    (address.to_string(), subject)
}

fn request(from: &str, to: &str, subject: &str, id: &str) -> String {
    format!(
        "From: <{from}>\nTo: <{to}>\nSubject: {subject}\nMessage-ID: <{id}@example.net>\nDate: Thu, 26 Nov 2026 12:00:00 +0000\nContent-Type: text/plain\n\nThis message was created by a mail program for an unsubscribe link.\n"
    )
}

#[test]
fn an_unsubscribe_request_by_mail_with_a_valid_token_unsubscribes_and_a_forged_one_does_not() {
    let project = fixtures_project();
    project.run(&["send"]).success();
    let outbox = project.path().join("outbox");
    let mut requests = Vec::new();
    for entry in std::fs::read_dir(&outbox).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        let message = MessageParser::default().parse(&raw).unwrap();
        let to = message
            .to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_string();
        let header = message
            .header_raw("List-Unsubscribe")
            .unwrap()
            .replace(['\r', '\n'], "");
        let link = header
            .split(['<', '>'])
            .find(|part| part.starts_with("https://"))
            .unwrap()
            .to_string();
        requests.push((to, mailto_subject(&header), link));
    }
    requests.sort();
    let (reader, (mailbox, subject), _) = requests
        .iter()
        .find(|(to, _, _)| to == "support@example.com")
        .unwrap()
        .clone();
    assert_eq!(mailbox, "verdicts@example.com");
    let dir = tempfile::tempdir().unwrap();
    let genuine = dir.path().join("genuine.eml");
    std::fs::write(&genuine, request(&reader, &mailbox, &subject, "req-1")).unwrap();

    // Forged: the token of one reader with the address of another, and a
    // token altered by one character.
    let (other_reader, (_, other_subject), other_link) = requests
        .iter()
        .find(|(to, _, _)| to == "studio@example.org")
        .unwrap()
        .clone();
    let words: Vec<&str> = subject.split(' ').collect();
    let other: Vec<&str> = other_subject.split(' ').collect();
    let swapped = format!("unsubscribe {} {}", other[1], words[2]);
    let mut altered = words[2].to_string();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let altered = format!("unsubscribe {} {altered}", words[1]);
    std::fs::write(
        dir.path().join("forged-1.eml"),
        request("attacker@example.net", &mailbox, &swapped, "forged-1"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("forged-2.eml"),
        request("attacker@example.net", &mailbox, &altered, "forged-2"),
    )
    .unwrap();
    // A mail program that puts the one-click link into the body instead.
    let pasted = request(&other_reader, &mailbox, "Unsubscribe me please", "req-2").replace(
        "This message was created by a mail program for an unsubscribe link.",
        &format!("Please take me off: <{other_link}>."),
    );
    std::fs::write(dir.path().join("pasted-link.eml"), pasted).unwrap();
    // A plain "unsubscribe" from someone, without a token.
    std::fs::write(
        dir.path().join("plain.eml"),
        request("someone@example.org", &mailbox, "Unsubscribe", "plain-1"),
    )
    .unwrap();

    let output = import(&project, &[dir.path()], &[]);
    output.success();
    output.stdout_has("unsubscribe requests: 2 (unsubscribed: 2, already suppressed: 0)");
    output.stdout_has("unsubscribe requests without a valid token (nothing changed): 3");
    output.stderr_has(
        "plain.eml: an unsubscribe request from someone@example.org without a valid token",
    );
    assert_eq!(
        suppressed(&project),
        vec![
            ("studio@example.org".to_string(), "unsubscribed".to_string()),
            (
                "support@example.com".to_string(),
                "unsubscribed".to_string()
            ),
        ]
    );
}

#[test]
fn garbage_missing_paths_and_hostile_values_never_crash_or_write() {
    let project = fixtures_project();
    let before = project.rows(SUPPRESSED);
    let missing = project.path().join("no-such-mailbox");
    let output = import(&project, &[&missing], &[]);
    output.code(1);
    output.stderr_has("no-such-mailbox");
    assert_eq!(project.rows(SUPPRESSED), before);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("binary.eml"),
        [0u8, 159, 146, 150, 255, 0, 1],
    )
    .unwrap();
    std::fs::write(dir.path().join("empty.eml"), b"").unwrap();
    // A DSN with an unknown Action and a recipient with terminal escapes.
    std::fs::write(
        dir.path().join("hostile.eml"),
        "From: x@example.net\nMessage-ID: <h-1@example.net>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\nFinal-Recipient: rfc822; \u{1b}[31mevil@example.net\nAction: exploded\nStatus: 5.1.1\n\n--b--\n",
    )
    .unwrap();
    // A hard bounce about an address nobody subscribed.
    std::fs::write(
        dir.path().join("stranger.eml"),
        "From: x@example.net\nMessage-ID: <h-2@example.net>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\nFinal-Recipient: rfc822; stranger@example.net\nAction: failed\nStatus: 5.1.1\n\n--b--\n",
    )
    .unwrap();
    let output = import(&project, &[dir.path()], &[]);
    output.success();
    output.stderr_has("binary.eml: not an email message");
    output.stderr_has("empty.eml: not an email message");
    output.stderr_has("hostile.eml: unknown Action `exploded`");
    output.stderr_has(
        "stranger.eml: failed 5.1.1 not matched to a reader (it names stranger@example.net)",
    );
    assert!(!output.stderr.contains('\u{1b}'), "{}", output.stderr);
    output.stdout_has("malformed (see the notes): 3");
    assert_eq!(project.rows(SUPPRESSED), before);
}

/// A delivery status notification about `recipients` (one failed group each),
/// delivered to `to`, quoting `original` headers (if any).
fn dsn(id: &str, to: &str, recipients: &[&str], original: Option<&str>) -> String {
    let groups: String = recipients
        .iter()
        .map(|r| format!("Final-Recipient: rfc822; {r}\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\n\n"))
        .collect();
    let quoted = original
        .map(|headers| format!("--b\nContent-Type: text/rfc822-headers\n\n{headers}\n\n"))
        .unwrap_or_default();
    format!(
        "From: MAILER-DAEMON@mx.example.net\nTo: <{to}>\nDelivered-To: {to}\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <{id}@mx.example.net>\nDate: Thu, 26 Nov 2026 12:00:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nGone.\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n{groups}{quoted}--b--\n"
    )
}

#[test]
fn forged_bounces_and_complaints_suppress_nobody() {
    use sha2::Digest;
    let project = fixtures_project();
    let before = project.rows(SUPPRESSED);
    let dir = tempfile::tempdir().unwrap();
    // The Message-ID as earlier versions computed it, from public facts only.
    let public_id = |email: &str| {
        let digest = sha2::Sha256::new()
            .chain_update(DEMO_ISSUE.as_bytes())
            .chain_update([0])
            .chain_update(email.as_bytes())
            .finalize();
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("<{DEMO_ISSUE}.{hex}@example.com>")
    };
    let forged_original = format!(
        "From: Weekly AI Tool Verdicts <verdicts@example.com>\nTo: <qa@example.com>\nMessage-ID: {}\nList-Id: Weekly AI Tool Verdicts <weekly-ai-tool-verdicts.example.com>\nList-Unsubscribe: <https://verdicts.example.com/unsubscribe?u=cWFAZXhhbXBsZS5jb20&t=59f0a6ae.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA>",
        public_id("qa@example.com")
    );
    let reports = [
        // A bounce naming a subscriber, nothing quoted.
        dsn("f1", "verdicts@example.com", &["ml-team@example.com"], None),
        // One message naming many readers.
        dsn(
            "f2",
            "verdicts@example.com",
            &["labs@example.org", "support@example.com", "infra@example.com"],
            None,
        ),
        // An "original" with our List-Id, the old public Message-ID and a bad token.
        dsn("f3", "verdicts@example.com", &["qa@example.com"], Some(&forged_original)),
        // Sent to a return path with a made-up tag.
        dsn(
            "f4",
            "bounces+0123456789abcdef01234567@example.com",
            &["design@example.org"],
            None,
        ),
        // An abuse complaint naming a subscriber.
        "From: abuse@mx.example.net\nTo: verdicts@example.com\nSubject: complaint\nMessage-ID: <f5@mx.example.net>\nDate: Thu, 26 Nov 2026 12:00:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nSpam.\n\n--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: forged/1.0\nVersion: 1\nOriginal-Rcpt-To: growth@example.com\n\n--b--\n".to_string(),
    ];
    for (i, report) in reports.iter().enumerate() {
        std::fs::write(dir.path().join(format!("forged-{i}.eml")), report).unwrap();
    }
    let output = import(&project, &[dir.path()], &[]);
    output.success();
    assert_eq!(project.rows(SUPPRESSED), before, "{}", output.stdout);
    output.stdout_has("without proof that they are about our email to the reader");
    assert!(
        !output.stdout.contains("suppressed as"),
        "{}",
        output.stdout
    );
    // Nothing unproven is remembered: after review it can still be accepted.
    assert!(!project.path().join("state/bounces-seen.log").exists());
}

#[test]
fn a_signed_return_path_names_the_reader_and_a_proven_report_acts_on_that_reader_only() {
    let (server, project) = sent_through_a_relay();
    let received = server.received();
    let copy = received
        .iter()
        .find(|r| r.to() == "qa@example.com")
        .unwrap();
    assert!(
        copy.mail_from.starts_with("bounces+") && copy.mail_from.ends_with("@example.com"),
        "{}",
        copy.mail_from
    );
    let others: std::collections::HashSet<&str> =
        received.iter().map(|r| r.mail_from.as_str()).collect();
    assert_eq!(others.len(), received.len(), "one return path per reader");
    // A relay that quotes nothing: the return path it was delivered to proves
    // the reader; the other readers the same message names are not touched.
    let report = dsn(
        "verp-1",
        &copy.mail_from,
        &[
            "old-qa@forward.example.net",
            "labs@example.org",
            "infra@example.com",
        ],
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verp.eml");
    std::fs::write(&path, report).unwrap();
    let output = import(&project, &[&path], &[]);
    output.success();
    assert_eq!(
        suppressed(&project),
        vec![("qa@example.com".to_string(), "bounced".to_string())]
    );
    // A test copy goes out with the plain bounce address: it names no reader.
    let test = SmtpServer::start();
    project
        .run(&[
            "send",
            DEMO_ISSUE,
            "--to",
            "editor@example.com",
            "--transport",
            &test.url(),
        ])
        .success();
    assert_eq!(test.received()[0].mail_from, "bounces+@example.com");
}

#[test]
fn a_report_cut_in_half_by_an_unescaped_from_line_is_not_remembered_as_read() {
    let project = fixtures_project();
    let fixture = std::fs::read_to_string(fixtures().join("postfix-user-unknown.eml")).unwrap();
    // A mailer that does not quote "From " lines in bodies splits the report.
    let at = fixture
        .find("Content-Type: message/delivery-status")
        .unwrap();
    let cut = format!(
        "From MAILER-DAEMON Thu Nov 26 09:00:00 2026\n{}\nFrom the relay, with regrets:\n{}",
        &fixture[..at],
        &fixture[at..]
    );
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("cut.mbox");
    std::fs::write(&mbox, cut).unwrap();
    let output = import(&project, &[&mbox], &[]);
    output.success();
    assert!(suppressed(&project).is_empty(), "{}", output.stdout);
    // The whole report, read later, still acts.
    let whole = import(
        &project,
        &[&fixtures().join("postfix-user-unknown.eml")],
        &[],
    );
    whole.success();
    whole.stdout_has("hard bounces: 1 (suppressed as bounced: 1");
}
