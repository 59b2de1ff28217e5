//! `verdict preview` and `verdict new` through the real binary.

use mail_parser::{MessageParser, MimeHeaders};

use crate::harness::{DEMO_ISSUE, TestProject};

#[test]
fn preview_writes_html_text_and_an_eml_a_mime_parser_reads() {
    let project = TestProject::demo();
    let issue = format!("issues/{DEMO_ISSUE}.toml");
    let subject = "Axolotl vs Mistral — Ünïcödé 日本語 ✓ “quoted”";
    project.edit(
        &issue,
        "subject = \"Axolotl v0.16 vs Mistral Medium 3: which one should you ship with?\"",
        &format!("subject = \"{subject}\""),
    );
    let out = project.path().join("out");
    let output = project.run(&["preview", DEMO_ISSUE, "--out", out.to_str().unwrap()]);
    output.success();
    let printed: Vec<&str> = output.stdout.lines().collect();
    assert_eq!(printed.len(), 3, "{}", output.stdout);
    for extension in ["html", "txt", "eml"] {
        let file = out.join(format!("{DEMO_ISSUE}.{extension}"));
        assert!(file.is_file(), "{} missing", file.display());
        assert!(output.stdout.contains(&format!("{DEMO_ISSUE}.{extension}")));
    }

    let raw = std::fs::read(out.join(format!("{DEMO_ISSUE}.eml"))).unwrap();
    assert!(
        raw.split(|b| *b == b'\n').all(|line| line.len() <= 998),
        "SMTP line limit"
    );
    let message = MessageParser::default()
        .parse(&raw)
        .expect("a MIME message");
    assert_eq!(message.subject(), Some(subject));
    let root = message.content_type().expect("content type");
    assert_eq!(root.ctype(), "multipart");
    assert_eq!(root.subtype(), Some("alternative"));
    assert_eq!(message.text_body_count(), 1);
    assert_eq!(message.html_body_count(), 1);
    let text_part = message.part(message.text_body[0]).unwrap();
    let text_type = text_part.content_type().unwrap();
    assert_eq!(
        (text_type.ctype(), text_type.subtype()),
        ("text", Some("plain"))
    );
    assert_eq!(
        text_type
            .attribute("charset")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("utf-8")
    );
    let html_part = message.part(message.html_body[0]).unwrap();
    let html_type = html_part.content_type().unwrap();
    assert_eq!(
        (html_type.ctype(), html_type.subtype()),
        ("text", Some("html"))
    );
    assert_eq!(
        html_type
            .attribute("charset")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("utf-8")
    );

    let text = message.body_text(0).unwrap();
    let html = message.body_html(0).unwrap();
    assert!(text.contains("Panel ship: 75% (3 ship, 1 skip: 3\u{2013}1)"));
    let html_file = std::fs::read_to_string(out.join(format!("{DEMO_ISSUE}.html"))).unwrap();
    assert_eq!(html.replace("\r\n", "\n").trim_end(), html_file.trim_end());
    assert!(
        message
            .message_id()
            .is_some_and(|id| id.ends_with("@example.com"))
    );
    assert!(message.header("List-Unsubscribe-Post").is_some());
}

#[test]
fn new_scaffolds_the_next_issue_with_every_field() {
    let project = TestProject::demo();
    let output = project.run(&["new", "Alpha", "Beta Tool"]);
    output.success();
    let path = output.stdout.trim();
    assert_eq!(
        path, "issues/2026-12-03-alpha-vs-beta-tool.toml",
        "a week after the demo issue"
    );
    let scaffold = project.read(path);
    for field in [
        "subject",
        "preheader",
        "intro",
        "send_at",
        "bottom_line",
        "name",
        "version",
        "category",
        "tagline",
        "pricing",
        "link",
        "description",
        "community_vote",
        "reviewer",
        "verdict",
        "quote",
    ] {
        assert!(
            scaffold.contains(&format!("{field} =")),
            "{field} missing from the scaffold"
        );
    }
    assert_eq!(scaffold.matches("[[tool]]").count(), 2);
    assert!(scaffold.starts_with("#:schema ../schemas/issue.schema.json\n"));
    // A scaffold previews at once, and check lists what is still to write.
    project.run(&["preview", path]).success();
    let check = project.run(&["check", path]);
    check.success();
    check.stderr_has("warning: this text is still the scaffold's");
    let line = scaffold
        .lines()
        .position(|l| l.starts_with("tagline = \"TODO: "))
        .unwrap()
        + 1;
    check.stderr_has(&format!("{path}:{line}:11"));
    // Once it has a send time, a placeholder left is an error: it never reaches readers.
    project.edit(
        path,
        "# send_at = 2026-01-01T09:00:00+00:00",
        "send_at = 2026-12-03T09:00:00+00:00",
    );
    let check = project.run(&["check", path]);
    check.code(2);
    check.stderr_has("error: this text is still the scaffold's");
    project.run(&["send", "--dry-run"]).code(2);
    // It never overwrites.
    project
        .run(&["new", "Alpha", "Beta Tool", "--date", "2026-12-03"])
        .code(2);
    // A project without schemas/ gets no #:schema line to a file that is not there.
    std::fs::remove_dir_all(project.path().join("schemas")).unwrap();
    let output = project.run(&["new", "Gamma", "Delta", "--date", "2026-12-10"]);
    output.success();
    assert!(project.read(output.stdout.trim()).starts_with("# An issue"));
}

#[test]
fn an_issue_named_by_its_absolute_path_from_another_folder_is_found() {
    let project = TestProject::demo();
    let absolute = project
        .path()
        .join(format!("issues/{DEMO_ISSUE}.toml"))
        .canonicalize()
        .unwrap();
    let absolute = absolute.to_str().unwrap();
    let out = project.path().join("out");
    project
        .run(&["preview", absolute, "--out", out.to_str().unwrap()])
        .success();
    assert!(out.join(format!("{DEMO_ISSUE}.html")).is_file());
    project.run(&["check", absolute]).success();
    project.run(&["status", absolute]).success();
    project.run(&["send", absolute, "--dry-run"]).success();
    // A file outside issues/ is still not an issue of this project.
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join(format!("{DEMO_ISSUE}.toml"));
    std::fs::copy(
        project.path().join(format!("issues/{DEMO_ISSUE}.toml")),
        &outside,
    )
    .unwrap();
    project
        .run(&["preview", outside.to_str().unwrap()])
        .code(2)
        .stderr_has("no issue named");
}

#[test]
fn preview_serve_listens_on_this_machine_only() {
    let project = TestProject::demo();
    let output = project.run(&["preview", DEMO_ISSUE, "--serve", "--listen", "0.0.0.0:0"]);
    output.code(2);
    output.stderr_has("listens on this machine only");
}
