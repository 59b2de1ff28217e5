//! DKIM: what the relay receives verifies with an independent verifier (dkimpy,
//! given the public key directly) for RSA and Ed25519, and `check` catches bad keys.

use std::process::Command;

use crate::harness::{TestProject, repo_root};
use crate::smtp::{SmtpServer, python};

fn with_dkim(project: &TestProject, key_fixture: &str, algorithm: &str, domain: &str) {
    let key = std::fs::read(repo_root().join("tests/fixtures/dkim").join(key_fixture)).unwrap();
    std::fs::create_dir_all(project.path().join("state")).unwrap();
    std::fs::write(project.path().join("state/dkim.key"), key).unwrap();
    let config = project.read("verdict.toml");
    project.write(
        "verdict.toml",
        &format!("{config}\n[dkim]\ndomain = \"{domain}\"\nselector = \"verdict\"\nkey_file = \"state/dkim.key\"\nalgorithm = \"{algorithm}\"\n"),
    );
}

fn verify(raw: &[u8], record_fixture: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("message.eml");
    std::fs::write(&file, raw).unwrap();
    let output = Command::new(python())
        .arg(repo_root().join("tests/dkim_verify.py"))
        .arg(&file)
        .arg(repo_root().join("tests/fixtures/dkim").join(record_fixture))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "DKIM did not verify: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

fn signed_delivery_verifies(key: &str, algorithm: &str, record: &str) {
    let project = TestProject::demo();
    with_dkim(&project, key, algorithm, "example.com");
    project.run(&["check"]).success();
    let server = SmtpServer::start();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    let received = server.received();
    assert_eq!(received.len(), 24);
    for message in received.iter().take(3) {
        let verdict = verify(&message.raw, record);
        let signed = verdict
            .trim()
            .trim_start_matches("pass h=")
            .to_ascii_lowercase();
        let signed: Vec<&str> = signed.split(':').collect();
        for header in [
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "list-unsubscribe",
            "list-unsubscribe-post",
        ] {
            assert!(
                signed.contains(&header),
                "{header} is not signed: {verdict}"
            );
        }
        let text = String::from_utf8_lossy(&message.raw);
        assert!(text.contains(&format!("a={algorithm}-sha256")), "{text}");
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
fn a_tampered_message_fails_verification() {
    let project = TestProject::demo();
    with_dkim(&project, "rsa.pem", "rsa", "example.com");
    let server = SmtpServer::start();
    project
        .run(&["send", "--transport", &server.url()])
        .success();
    let raw = String::from_utf8(server.received()[0].raw.clone()).unwrap();
    let tampered = raw.replacen("Subject: Axolotl", "Subject: Forged", 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.eml");
    std::fs::write(&file, tampered).unwrap();
    let status = Command::new(python())
        .arg(repo_root().join("tests/dkim_verify.py"))
        .arg(&file)
        .arg(repo_root().join("tests/fixtures/dkim/rsa.txt"))
        .output()
        .unwrap();
    assert!(!status.status.success(), "the verifier accepts anything");
}

#[test]
fn check_errors_on_an_unreadable_or_unparsable_key_and_warns_on_misalignment() {
    let project = TestProject::demo();
    with_dkim(&project, "rsa.pem", "rsa", "example.com");
    std::fs::write(project.path().join("state/dkim.key"), "not a key").unwrap();
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("the DKIM key state/dkim.key cannot be parsed");
    assert!(
        output.stderr.contains("verdict.toml:"),
        "located: {}",
        output.stderr
    );

    std::fs::remove_file(project.path().join("state/dkim.key")).unwrap();
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("cannot read the DKIM key state/dkim.key");

    let project = TestProject::demo();
    with_dkim(&project, "rsa.pem", "rsa", "mailer.example.net");
    let output = project.run(&["check"]);
    output.success();
    output.stderr_has(
        "the DKIM domain mailer.example.net is not aligned with the From domain example.com",
    );
}
