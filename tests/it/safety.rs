//! Nothing an editor or a subscriber types can add a header, and no secret shows.

use crate::harness::{DEMO_ISSUE, TestProject};
use crate::smtp::SmtpServer;

#[test]
fn line_breaks_in_config_fields_that_reach_headers_are_refused_with_their_location() {
    for (from, to, expect) in [
        (
            "name = \"Weekly AI Tool Verdicts\"",
            "name = \"Weekly\\r\\nBcc: all@example.com\"",
            "verdict.toml:5:8",
        ),
        (
            "reply_to = \"editors@example.com\"",
            "reply_to = \"editors@example.com\\nBcc: all@example.com\"",
            "verdict.toml:9:12",
        ),
        (
            "from = \"Weekly AI Tool Verdicts <verdicts@example.com>\"",
            "from = \"Weekly\\n <verdicts@example.com>\"",
            "verdict.toml:7:8",
        ),
    ] {
        let project = TestProject::demo();
        project.edit("verdict.toml", from, to);
        let output = project.run(&["check"]);
        output.code(2);
        assert!(
            output.stderr.contains(expect),
            "expected {expect} in:\n{}",
            output.stderr
        );
        output.stderr_has("line break or control character");
    }
}

#[test]
fn a_subscriber_name_with_a_line_break_is_refused_with_its_line_and_never_reaches_a_header() {
    let project = TestProject::demo();
    let list = project.read("subscribers/subscribers.csv");
    project.write(
        "subscribers/subscribers.csv",
        &format!(
            "{list}evil@example.com,\"Evil\r\nBcc: everyone@example.com\",2026-01-01T00:00:00Z\n"
        ),
    );
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("subscribers/subscribers.csv:27:19");
    output.stderr_has("would reach the To header");

    // A send refuses the damaged list whole: nothing is sent or recorded.
    let server = SmtpServer::start();
    let send = project.run(&["send", "--transport", &server.url()]);
    send.code(2);
    send.stderr_has("subscribers/subscribers.csv:27:19");
    assert_eq!(server.count(), 0);
    assert!(!project.path().join("state/ledger").exists());
}

#[test]
fn an_import_with_a_header_in_a_name_is_refused() {
    let project = TestProject::demo();
    let file = project.path().join("in.csv");
    std::fs::write(
        &file,
        "email,name\nx@example.com,\"X\nBcc: y@example.com\"\n",
    )
    .unwrap();
    let output = project.run(&["subscribers", "import", file.to_str().unwrap()]);
    output.code(2);
    output.stderr_has("in.csv:2:");
}

#[test]
fn debug_logging_shows_neither_the_smtp_password_nor_the_token_secret() {
    const PASSWORD: &str = "correct-horse-battery-staple-42";
    const SECRET: &str = "token-secret-that-must-not-leak-99";
    let project = TestProject::demo();
    let server = SmtpServer::start_with(&[], Some(&format!("newsletter:{PASSWORD}")));
    let url = format!("smtp://newsletter@127.0.0.1:{}", server.port);
    let output = project
        .command()
        .env("VERDICT_SMTP_PASSWORD", PASSWORD)
        .env("VERDICT_SECRET", SECRET)
        .args(["--verbose", "send", "--transport", &url])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{all}");
    assert!(
        all.contains("debug: SMTP password from VERDICT_SMTP_PASSWORD"),
        "debug logging is on: {all}"
    );
    assert!(
        all.contains("debug: link secret from VERDICT_SECRET"),
        "{all}"
    );
    assert_eq!(server.count(), 24, "authenticated delivery");
    assert!(!all.contains(PASSWORD), "the password leaked:\n{all}");
    assert!(!all.contains(SECRET), "the secret leaked:\n{all}");

    // A wrong password stops the run without recording anyone, and still does not show.
    let project = TestProject::demo();
    let output = project
        .command()
        .env("VERDICT_SMTP_PASSWORD", "wrong-password-also-secret")
        .args(["--verbose", "send", "--transport", &url])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(!all.contains("wrong-password-also-secret"), "{all}");
    assert!(all.contains("535"), "the relay's refusal is shown: {all}");
    let status = project.run(&["status"]);
    status.stdout_has("delivered 0, failed 0");
}

#[test]
fn a_password_is_never_sent_in_clear_to_a_remote_host() {
    let project = TestProject::demo();
    let output = project
        .command()
        .env("VERDICT_SMTP_PASSWORD", "pw-value-123")
        .args([
            "send",
            "--transport",
            "smtp://user@relay.example.invalid:25",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing to send the password in clear text"),
        "{stderr}"
    );
    assert!(!stderr.contains("pw-value-123"));
    assert!(
        !project
            .path()
            .join(format!("state/ledger/{DEMO_ISSUE}.log"))
            .exists()
            || {
                let ledger = project.read(&format!("state/ledger/{DEMO_ISSUE}.log"));
                !ledger.contains("\"outcome\"")
            }
    );
}

#[test]
fn a_password_in_verdict_toml_is_refused() {
    let project = TestProject::demo();
    project.edit(
        "verdict.toml",
        "transport = \"outbox:outbox\"",
        "transport = \"smtps://user:hunter2@smtp.example.invalid\"",
    );
    let output = project.run(&["send"]);
    output.code(2);
    output.stderr_has("verdict.toml must not hold the SMTP password");
    assert!(!output.stderr.contains("hunter2"));
}

#[test]
fn tls_certificates_are_verified_unless_dangerously_told_otherwise() {
    let project = TestProject::demo();
    let server = SmtpServer::with_self_signed_tls();
    let url = format!("smtp://127.0.0.1:{}?tls=required", server.port);
    let refused = project.run(&["send", "--transport", &url]);
    refused.code(1);
    refused.stderr_has("STARTTLS with 127.0.0.1 failed");
    assert!(
        refused.stderr.to_lowercase().contains("certificate"),
        "{}",
        refused.stderr
    );
    assert_eq!(server.count(), 0);
    // The relay requires STARTTLS, so a delivery means the session was encrypted.
    let accepted = project.run(&[
        "send",
        "--transport",
        &url,
        "--dangerous-accept-invalid-certs",
    ]);
    accepted.success();
    assert_eq!(server.count(), 24);
}

#[test]
fn under_a_permissive_umask_nothing_is_made_writable_by_others_and_state_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let project = TestProject::demo();
    let binary = env!("CARGO_BIN_EXE_verdict");
    let root = project.path().display().to_string();
    for command in [
        "send",
        "subscribers unsubscribe someone@example.com",
        "rotate-secret",
    ] {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask 000 && exec {binary} --project {root} {command}"
            ))
            .env_remove("VERDICT_TRANSPORT")
            .env_remove("VERDICT_SECRET")
            .status()
            .unwrap();
        assert!(status.success(), "{command}");
    }
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let state = project.path().join("state");
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("ledger")), 0o700);
    for private in [
        "secret",
        "secret.old",
        "send.lock",
        "ledger/2026-11-26-axolotl-vs-mistral-medium-3.log",
    ] {
        assert_eq!(mode(&state.join(private)), 0o600, "{private}");
    }
    let mut stack = vec![project.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(
                mode(&path) & 0o002,
                0,
                "{} is writable by others",
                path.display()
            );
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
}

#[test]
fn a_symlinked_list_stays_a_symlink_after_a_change() {
    let project = TestProject::demo();
    let real = project.path().join("elsewhere.csv");
    std::fs::rename(project.path().join("subscribers/subscribers.csv"), &real).unwrap();
    std::os::unix::fs::symlink(&real, project.path().join("subscribers/subscribers.csv")).unwrap();
    project
        .run(&["subscribers", "add", "linked@example.com"])
        .success();
    let link = project.path().join("subscribers/subscribers.csv");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&real)
            .unwrap()
            .contains("linked@example.com")
    );
}

#[test]
fn an_export_neutralises_cells_a_spreadsheet_would_run_and_imports_back() {
    let project = TestProject::demo();
    project
        .run(&[
            "subscribers",
            "add",
            "=cmd@example.com",
            "--name",
            "@SUM(A1:A9)",
        ])
        .success();
    let out = project.path().join("export.csv");
    project
        .run(&["subscribers", "export", "--out", out.to_str().unwrap()])
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("'=cmd@example.com,'@SUM(A1:A9)"), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with(['=', '+', '-', '@'])),
        "{text}"
    );
    let fresh = TestProject::demo();
    fresh.write("subscribers/subscribers.csv", "email,name,subscribed_at\n");
    fresh
        .run(&["subscribers", "import", out.to_str().unwrap()])
        .success();
    assert!(
        fresh
            .read("subscribers/subscribers.csv")
            .contains("=cmd@example.com,@SUM(A1:A9)")
    );
}
