//! DKIM: what the relay receives verifies with an independent verifier (dkimpy,
//! given the public keys directly) for RSA, Ed25519 and both on one message,
//! including readers whose headers need encoding; keys made by `verdict dkim
//! keygen` sign for the records it prints; `check` catches bad keys.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::harness::{DEMO_ISSUE, TestProject, repo_root};
use crate::smtp::{SmtpServer, python};

/// The headers every signature must cover.
const SIGNED: [&str; 11] = [
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "mime-version",
    "content-type",
];

pub(crate) fn fixture(name: &str) -> std::path::PathBuf {
    repo_root().join("tests/fixtures/dkim").join(name)
}

/// Copies a fixture key into the project's state/, private as keygen makes it.
pub(crate) fn install_key(project: &TestProject, key_fixture: &str, relative: &str) {
    let path = project.path().join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::copy(fixture(key_fixture), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

pub(crate) fn append_config(project: &TestProject, text: &str) {
    let config = project.read("verdict.toml");
    project.write("verdict.toml", &format!("{config}\n{text}"));
}

/// The single `[dkim]` table of earlier versions, with one fixture key.
fn with_dkim(project: &TestProject, key_fixture: &str, algorithm: &str, domain: &str) {
    install_key(project, key_fixture, "state/dkim.key");
    append_config(
        project,
        &format!(
            "[dkim]\ndomain = \"{domain}\"\nselector = \"verdict\"\nkey_file = \"state/dkim.key\"\nalgorithm = \"{algorithm}\"\n"
        ),
    );
}

/// An RSA key (selector `rsa`) and an Ed25519 key (selector `ed`) as `[[dkim]]`.
pub(crate) fn with_both_keys(project: &TestProject) {
    install_key(project, "rsa.pem", "state/dkim/rsa.pem");
    install_key(project, "ed25519.key", "state/dkim/ed.key");
    append_config(
        project,
        "[[dkim]]\ndomain = \"example.com\"\nselector = \"rsa\"\nkey_file = \"state/dkim/rsa.pem\"\n\n[[dkim]]\ndomain = \"example.com\"\nselector = \"ed\"\nkey_file = \"state/dkim/ed.key\"\nalgorithm = \"ed25519\"\n",
    );
}

/// Runs the verifier on a message: its exit status and one line per signature.
fn run_verifier(raw: &[u8], records: &[String]) -> (bool, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("message.eml");
    std::fs::write(&file, raw).unwrap();
    let output = Command::new(python())
        .arg(repo_root().join("tests/dkim_verify.py"))
        .arg(&file)
        .args(records)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.stderr.is_empty() || output.status.success(),
        "the verifier broke: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.success(),
        text.lines().map(str::to_string).collect(),
    )
}

/// Verifies every signature of a message; the verifier's lines.
#[track_caller]
fn verify(raw: &[u8], records: &[String]) -> Vec<String> {
    let (ok, lines) = run_verifier(raw, records);
    assert!(
        ok,
        "DKIM did not verify: {lines:?}\n{}",
        String::from_utf8_lossy(raw)
    );
    lines
}

/// The record files of the fixtures: `selector=file`, or a file for any selector.
fn record(selector: &str, record_fixture: &str) -> String {
    let path = fixture(record_fixture).display().to_string();
    if selector.is_empty() {
        path
    } else {
        format!("{selector}={path}")
    }
}

#[track_caller]
fn assert_covers_every_header(line: &str) {
    let signed: Vec<String> = line
        .split(" h=")
        .nth(1)
        .unwrap_or_default()
        .to_ascii_lowercase()
        .split(':')
        .map(str::to_string)
        .collect();
    for header in SIGNED {
        assert!(
            signed.iter().filter(|h| *h == header).count() >= 2,
            "{header} is not signed and over-signed: {line}"
        );
    }
}

fn signed_delivery_verifies(key: &str, algorithm: &str, record_fixture: &str) {
    let project = TestProject::demo();
    with_dkim(&project, key, algorithm, "example.com");
    project.run(&["check"]).success();
    let server = SmtpServer::start();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    let received = server.received();
    assert_eq!(received.len(), 24);
    for message in &received {
        let lines = verify(&message.raw, &[record("", record_fixture)]);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].contains(&format!("a={algorithm}-sha256")),
            "{lines:?}"
        );
        assert_covers_every_header(&lines[0]);
    }
}

#[test]
fn rsa_signatures_verify_independently() {
    signed_delivery_verifies("rsa.pem", "rsa", "rsa.txt");
}

#[test]
fn ed25519_signatures_verify_independently() {
    signed_delivery_verifies("ed25519.key", "ed25519", "ed25519.txt");
}

#[test]
fn both_keys_sign_readers_whose_headers_need_encoding() {
    let project = TestProject::demo();
    with_both_keys(&project);
    project.write(
        "subscribers/subscribers.csv",
        "email,name,subscribed_at\n\
         josé@example.com,\"José Müller, \"\"Ops\"\" — Zürich\",2026-01-01T00:00:00Z\n\
         leser@bücher.example,Zoë Ünal,2026-01-01T00:00:00Z\n\
         plain@example.com,,2026-01-01T00:00:00Z\n",
    );
    let subject = "Axolotl v0.16 vs Mistral Medium 3: which one should you ship with this week, and why does it matter for your fine-tuning budget? Ünïcödé inside";
    let issue = format!("issues/{DEMO_ISSUE}.toml");
    project.edit(
        &issue,
        "subject = \"Axolotl v0.16 vs Mistral Medium 3: which one should you ship with?\"",
        &format!("subject = \"{subject}\""),
    );
    // Paragraphs that start with a dot: SMTP doubles that dot on the wire and
    // the server takes it off again; the signature is over the message itself.
    project.edit(
        &issue,
        "reviewer split, and community vote comparison.\n",
        "reviewer split, and community vote comparison.\n\n.NET teams: read on.\n\n...and the rest of you too.\n",
    );
    project.run(&["check"]).success();
    let server = SmtpServer::with_smtputf8();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    let received = server.received();
    assert_eq!(received.len(), 3);
    let records = [record("rsa", "rsa.txt"), record("ed", "ed25519.txt")];
    for message in &received {
        let raw = String::from_utf8_lossy(&message.raw);
        assert!(raw.contains("\r\n.NET teams"), "no line starts with a dot");
        assert!(raw.contains("\r\n...and the rest"), "{raw}");
        let lines = verify(&message.raw, &records);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("pass d=example.com s=rsa a=rsa-sha256"));
        assert!(lines[1].starts_with("pass d=example.com s=ed a=ed25519-sha256"));
        for line in &lines {
            assert_covers_every_header(line);
        }
        let parsed = message.parse();
        assert_eq!(parsed.subject(), Some(subject));
    }
    let to = |address: &str| {
        received
            .iter()
            .find(|m| m.to() == address)
            .unwrap_or_else(|| panic!("nothing for {address}"))
            .parse()
            .to()
            .unwrap()
            .first()
            .unwrap()
            .name()
            .map(str::to_string)
    };
    assert_eq!(
        to("josé@example.com").as_deref(),
        Some("José Müller, \"Ops\" — Zürich")
    );
    assert_eq!(
        to("leser@xn--bcher-kva.example").as_deref(),
        Some("Zoë Ünal")
    );
}

#[test]
fn test_copies_and_redirected_copies_are_signed_too() {
    let project = TestProject::demo();
    with_both_keys(&project);
    let server = SmtpServer::start();
    project
        .run(&[
            "send",
            DEMO_ISSUE,
            "--to",
            "editor@example.com",
            "--transport",
            &server.url(),
        ])
        .success();
    project
        .run(&[
            "send",
            DEMO_ISSUE,
            "--redirect-to",
            "editor@example.com",
            "--limit",
            "2",
            "--transport",
            &server.url(),
        ])
        .success();
    let received = server.received();
    assert_eq!(received.len(), 3);
    let records = [record("rsa", "rsa.txt"), record("ed", "ed25519.txt")];
    for message in &received {
        assert_eq!(verify(&message.raw, &records).len(), 2);
    }
}

#[test]
fn a_changed_or_added_header_or_body_fails_verification() {
    let project = TestProject::demo();
    with_both_keys(&project);
    let server = SmtpServer::start();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    let raw = String::from_utf8(server.received()[0].raw.clone()).unwrap();
    let records = [record("rsa", "rsa.txt"), record("ed", "ed25519.txt")];
    assert_eq!(verify(raw.as_bytes(), &records).len(), 2);
    let body_start = raw.find("\r\n\r\n").unwrap();
    let (header, body) = raw.split_at(body_start);
    for (what, tampered) in [
        (
            "subject",
            raw.replacen("Subject: Axolotl", "Subject: Forged", 1),
        ),
        ("a second From", format!("From: ceo@example.com\r\n{raw}")),
        (
            "an added Reply-To",
            format!("{header}\r\nReply-To: thief@example.net{body}"),
        ),
        (
            "the content type",
            raw.replacen("multipart/alternative", "multipart/mixed", 1),
        ),
        (
            "the body",
            raw.replacen("Which one should you ship", "Which one should you skip", 1),
        ),
    ] {
        assert_ne!(tampered, raw, "{what}: nothing was changed");
        let (ok, lines) = run_verifier(tampered.as_bytes(), &records);
        assert!(!ok, "{what}: the verifier accepts it: {lines:?}");
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("fail")).count(),
            2,
            "{what}: {lines:?}"
        );
    }
    // Whitespace that relaxed canonicalisation ignores does not matter.
    let refolded = raw.replacen("Subject: ", "Subject:   ", 1);
    assert_eq!(verify(refolded.as_bytes(), &records).len(), 2);
}

/// The record a keygen printed: the `value:` line's quoted strings joined.
fn printed_record(stdout: &str) -> String {
    let value = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("value: "))
        .unwrap_or_else(|| panic!("no value line in {stdout}"));
    let strings: Vec<&str> = value
        .split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s)
        .collect();
    assert!(strings.iter().all(|s| s.len() <= 255), "{value}");
    strings.concat()
}

/// The `[[dkim]]` table a keygen printed.
fn printed_table(stdout: &str) -> String {
    let start = stdout.find("[[dkim]]").unwrap();
    let end = start + stdout[start..].find("algorithm = ").unwrap();
    let end = end + stdout[end..].find('\n').unwrap();
    stdout[start..=end].to_string()
}

#[test]
fn keys_made_by_keygen_sign_for_the_records_it_prints() {
    let project = TestProject::demo();
    let dir = tempfile::tempdir().unwrap();
    let mut records = Vec::new();
    for (selector, algorithm, bits) in [("s2026", "rsa", 2048), ("ed2026", "ed25519", 256)] {
        // A permissive umask must not make the key readable by others.
        let output = Command::new("sh")
            .arg("-c")
            .arg("umask 000 && exec \"$@\"")
            .arg("sh")
            .arg(env!("CARGO_BIN_EXE_verdict"))
            .args(["--project", project.path().to_str().unwrap()])
            .args([
                "dkim",
                "keygen",
                "--selector",
                selector,
                "--algorithm",
                algorithm,
            ])
            .output()
            .unwrap();
        let output = crate::harness::Output::from(output);
        output.success();
        let key_file = format!("state/dkim/{selector}._domainkey.example.com.pem");
        output.stdout_has(&format!("({algorithm}, {bits} bits) in {key_file}"));
        output.stdout_has(&format!("name:  {selector}._domainkey.example.com"));
        output.stdout_has(&format!(
            "zone file: {selector}._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k={algorithm}; p="
        ));
        let mode = std::fs::metadata(project.path().join(&key_file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{key_file}");
        let state = std::fs::metadata(project.path().join("state/dkim"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(state & 0o777, 0o700);
        let value = printed_record(&output.stdout);
        assert!(value.starts_with(&format!("v=DKIM1; k={algorithm}; p=")));
        let file = dir.path().join(format!("{selector}.txt"));
        std::fs::write(&file, &value).unwrap();
        records.push(format!("{selector}={}", file.display()));
        append_config(&project, &printed_table(&output.stdout));
    }
    let check = project.run(&["check"]);
    check.success();
    assert!(!check.stderr.contains("DKIM"), "{}", check.stderr);

    let show = project.run(&["dkim", "show"]);
    show.success();
    for record in &records {
        let (_, file) = record.split_once('=').unwrap();
        let value = std::fs::read_to_string(file).unwrap();
        let shown: Vec<&str> = show
            .stdout
            .lines()
            .filter(|l| l.trim().starts_with("value: "))
            .collect();
        assert!(
            shown.iter().any(|l| printed_record(l) == value),
            "{value} not shown in {}",
            show.stdout
        );
    }

    let server = SmtpServer::start();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    for message in server.received().iter().take(4) {
        let lines = verify(&message.raw, &records);
        assert_eq!(lines.len(), 2, "{lines:?}");
    }

    // A selector already configured, or a key already made, is not replaced.
    let again = project.run(&["dkim", "keygen", "--selector", "s2026"]);
    again.code(2);
    again.stderr_has("already has a key for selector s2026 at example.com");
    let before = project.read("state/dkim/ed2026._domainkey.example.com.pem");
    std::fs::write(
        project.path().join("verdict.toml"),
        std::fs::read_to_string(repo_root().join("verdict.toml")).unwrap(),
    )
    .unwrap();
    let made = project.run(&["dkim", "keygen", "--selector", "ed2026"]);
    made.code(2);
    made.stderr_has("exists already");
    assert_eq!(
        project.read("state/dkim/ed2026._domainkey.example.com.pem"),
        before
    );
}

#[test]
fn keygen_refuses_bad_names_and_says_how_to_join_an_old_dkim_table() {
    let project = TestProject::demo();
    let bad = project.run(&["dkim", "keygen", "--selector", "my key"]);
    bad.code(2);
    bad.stderr_has("`my key` is not a DKIM selector");
    let bad = project.run(&[
        "dkim",
        "keygen",
        "--selector",
        "s1",
        "--domain",
        "exa mple.com",
    ]);
    bad.code(2);
    bad.stderr_has("is not a domain name");
    let bad = project.run(&["dkim", "keygen", "--selector", "s1", "--algorithm", "dsa"]);
    bad.code(2);
    assert!(!project.path().join("state/dkim").exists());

    with_dkim(&project, "rsa.pem", "rsa", "example.com");
    let made = project.run(&[
        "dkim",
        "keygen",
        "--selector",
        "mail",
        "--domain",
        "news.example.com",
    ]);
    made.success();
    made.stdout_has("name:  mail._domainkey.news.example.com");
    made.stdout_has("key_file = \"state/dkim/mail._domainkey.news.example.com.pem\"");
    made.stdout_has("verdict.toml has a [dkim] table: write its header as [[dkim]] too");

    let none = TestProject::demo().run(&["dkim", "show"]);
    none.code(2);
    none.stderr_has("verdict dkim keygen --selector");
}

#[test]
fn check_reports_every_bad_key_at_its_line() {
    let project = TestProject::demo();
    with_both_keys(&project);
    std::fs::write(project.path().join("state/dkim/rsa.pem"), "not a key").unwrap();
    let public = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        std::fs::read_to_string(fixture("rsa.txt"))
            .unwrap()
            .trim()
            .rsplit("p=")
            .next()
            .unwrap()
    );
    std::fs::write(project.path().join("state/dkim/ed.key"), public).unwrap();
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("the DKIM key state/dkim/rsa.pem is not a private key in PEM");
    output.stderr_has(
        "the DKIM key state/dkim/ed.key is a public key; key_file names the private key",
    );
    output.stderr_has("verdict dkim keygen --selector NAME");
    assert_eq!(
        output.stderr.matches("verdict.toml:").count(),
        2,
        "{}",
        output.stderr
    );
    project
        .run(&["dkim", "show"])
        .code(2)
        .stderr_has("the DKIM key state/dkim/rsa.pem is not a private key in PEM");
    // send stops before sending anything.
    let server = SmtpServer::start();
    project.run(&["send", "--transport", &server.url()]).code(2);
    assert_eq!(server.count(), 0);

    std::fs::remove_file(project.path().join("state/dkim/rsa.pem")).unwrap();
    project
        .run(&["check"])
        .code(2)
        .stderr_has("cannot read the DKIM key state/dkim/rsa.pem");
}

#[test]
fn check_refuses_a_weak_or_mislabelled_key_and_duplicate_selectors() {
    let project = TestProject::demo();
    with_dkim(&project, "rsa1024.pem", "rsa", "example.com");
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("is an RSA key under 2048 bits, too weak to sign with");

    let project = TestProject::demo();
    with_dkim(&project, "ed25519.key", "rsa", "example.com");
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("the DKIM key state/dkim.key is ed25519, not rsa");
    output.stderr_has("write algorithm = \"ed25519\"");

    let project = TestProject::demo();
    with_both_keys(&project);
    let config = project
        .read("verdict.toml")
        .replace("selector = \"ed\"", "selector = \"RSA\"");
    project.write("verdict.toml", &config);
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("two DKIM keys share the selector `rsa` at example.com");

    let project = TestProject::demo();
    with_both_keys(&project);
    let config = project
        .read("verdict.toml")
        .replacen("selector = \"ed\"", "selctor = \"ed\"", 1);
    project.write("verdict.toml", &config);
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("unknown field `selctor` in [[dkim]]");
    output.stderr_has("did you mean `selector`?");
}

#[test]
fn check_warns_on_misalignment_a_readable_key_and_ed25519_alone() {
    let project = TestProject::demo();
    with_dkim(&project, "ed25519.key", "ed25519", "mailer.example.net");
    std::fs::set_permissions(
        project.path().join("state/dkim.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let output = project.run(&["check"]);
    output.success();
    output.stderr_has(
        "the DKIM domain mailer.example.net is not aligned with the From domain example.com",
    );
    output.stderr_has("the DKIM key state/dkim.key can be read by others (mode 644)");
    output.stderr_has("chmod 600 state/dkim.key");
    output.stderr_has("every DKIM key is Ed25519");
    // Aligned, private, with RSA beside Ed25519: nothing to say.
    let project = TestProject::demo();
    with_both_keys(&project);
    let output = project.run(&["check"]);
    output.success();
    assert!(!output.stderr.contains("DKIM"), "{}", output.stderr);
    assert!(Path::new(&project.path().join("state/dkim/rsa.pem")).exists());
}

#[test]
fn sign_up_confirmations_are_signed_with_every_key() {
    let project = TestProject::demo();
    with_both_keys(&project);
    let serve = crate::server::Serve::start(&project);
    let (status, page) = crate::server::post(
        &format!("{}/subscribe", serve.base),
        "email=new.reader%40example.com&name=Nina&website=",
    );
    assert_eq!(status, 200, "{page}");
    // The confirmation is sent by the service's queue once the page is answered.
    serve.wait_for("sign-up: confirmation sent", 1);
    let outbox: Vec<_> = std::fs::read_dir(project.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(outbox.len(), 1);
    let raw = std::fs::read(&outbox[0]).unwrap();
    let records = [record("rsa", "rsa.txt"), record("ed", "ed25519.txt")];
    let lines = verify(&raw, &records);
    assert_eq!(lines.len(), 2, "{lines:?}");
}
