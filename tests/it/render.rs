//! Golden renderings of the demo issue, and escaping of everything an editor writes.

use std::time::{Duration, UNIX_EPOCH};

use verdict::author::issue::Issue;
use verdict::author::render::{self, Personalisation, RenderedIssue};
use verdict::project::Project;
use verdict::project::layout::Layout;
use verdict::send::message::Composer;
use verdict::store::tokens::Keys;

use crate::harness::{DEMO_ISSUE, TestProject, repo_root};

pub(crate) fn test_keys() -> Keys {
    Keys::new("test-secret-for-golden-files", &[]).unwrap()
}

fn demo() -> (Project, Issue) {
    let project = Project::load(&Layout::new(repo_root())).unwrap();
    let path = project.find_issue(DEMO_ISSUE).unwrap();
    let issue = project.load_issue(&path).unwrap().issue;
    (project, issue)
}

fn fill(
    project: &Project,
    rendered: &RenderedIssue,
    email: &str,
    name: Option<&str>,
) -> (String, String) {
    let url = test_keys().unsubscribe_url(project.config.unsubscribe_url.as_str(), email);
    let issue = project
        .load_issue(&project.find_issue(DEMO_ISSUE).unwrap())
        .unwrap()
        .issue;
    let votes =
        Composer::new(&project.config, &issue, rendered.clone(), test_keys()).vote_links(email);
    let person = Personalisation {
        name,
        email,
        unsubscribe_url: &url,
        votes: &votes,
    };
    (rendered.html.fill(&person), rendered.text.fill(&person))
}

#[test]
fn demo_issue_html_and_text_are_golden() {
    let (project, issue) = demo();
    let rendered = render::render(&issue, project.context_signed_by(Some(&test_keys())));
    let (html, text) = fill(
        &project,
        &rendered,
        "ml-team@example.com",
        Some("Équipe ML"),
    );
    insta::assert_snapshot!("demo_html", html);
    insta::assert_snapshot!("demo_text", text);
}

#[test]
fn demo_issue_eml_is_golden_with_a_fixed_clock_and_boundary() {
    let (project, issue) = demo();
    let rendered = render::render(&issue, project.context_signed_by(Some(&test_keys())));
    let composer = Composer::new(&project.config, &issue, rendered, test_keys())
        .with_date(UNIX_EPOCH + Duration::from_secs(1_795_683_600))
        .with_boundary("verdict-golden-boundary");
    let message = composer
        .compose("ml-team@example.com", Some("Équipe ML"))
        .unwrap();
    insta::assert_snapshot!("demo_eml", String::from_utf8(message.bytes).unwrap());
}

#[test]
fn text_part_lines_fit_in_72_columns_except_links() {
    let (project, issue) = demo();
    let rendered = render::render(&issue, project.context_signed_by(Some(&test_keys())));
    let (_, text) = fill(&project, &rendered, "ml-team@example.com", None);
    for line in text.lines() {
        let long = line.chars().count() > 72;
        assert!(
            !long || line.contains("https://"),
            "line over 72 columns: {line:?}"
        );
    }
    assert!(
        text.contains("Panel ship: 75% (3 ship, 1 skip: 3\u{2013}1)"),
        "{text}"
    );
    assert!(text.contains("Community:  \u{2014}"), "{text}");
    assert!(
        text.contains("    \u{2014} The Skeptic"),
        "quotes are attributed:\n{text}"
    );
}

#[test]
fn demo_html_meets_the_email_client_rules() {
    let (project, issue) = demo();
    let rendered = render::render(&issue, project.context_signed_by(Some(&test_keys())));
    let (html, _) = fill(&project, &rendered, "ml-team@example.com", None);
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\""));
    assert!(html.contains("width=\"600\""));
    assert!(html.contains("@media only screen and (max-width:599px)"));
    assert!(html.contains("prefers-color-scheme:dark"));
    assert!(html.contains("<meta name=\"color-scheme\" content=\"light dark\">"));
    let tables = html.matches("<table").count();
    assert_eq!(
        tables,
        html.matches("<table role=\"presentation\"").count(),
        "every layout table is presentational"
    );
    assert!(!html.contains("<img") || !html.contains("alt=\"\""));
    assert!(!html.contains("<script"));
    assert!(html.contains("Hi there,"));
    assert!(html.contains("75% panel ship"));
    assert!(html.len() < verdict::author::render::GMAIL_CLIP_BYTES);
}

const HOSTILE: &str =
    r#"<script>alert("x")</script> & "quotes" 'single' {{ braces }} Ünïcödé 日本語"#;

#[test]
fn everything_an_editor_writes_is_escaped_and_intact() {
    let project = TestProject::demo();
    let escaped_toml = HOSTILE.replace('\\', "\\\\").replace('"', "\\\"");
    let issue = format!(
        r#"subject = "{e}"
preheader = "{e}"
intro = "{e}"
bottom_line = "{e}"

[[tool]]
name = "{e}"
version = "{e}"
category = "{e}"
tagline = "{e}"
pricing = "{e}"
link = "https://example.com/?q=<script>&x={{{{y}}}}"
description = "{e}"

[[tool.review]]
reviewer = "builder"
verdict = "ship"
quote = "{e}"

[[tool]]
name = "{e} two"
category = "{e}"
tagline = "{e}"
pricing = "{e}"
link = "https://example.org"
description = "{e}"

[[tool.review]]
reviewer = "skeptic"
verdict = "skip"
quote = "{e}"
"#,
        e = escaped_toml
    );
    project.write("issues/2026-12-03-hostile.toml", &issue);
    let project = Project::load(&Layout::new(project.path())).unwrap();
    let parsed = project
        .load_issue(&project.layout.issues_dir().join("2026-12-03-hostile.toml"))
        .unwrap();
    // Tools linked directly: the editor's link itself is what is escaped.
    let rendered = render::render(&parsed.issue, project.context_signed_by(None));
    let (html, text) = fill(
        &project,
        &rendered,
        "reader@example.com",
        Some("<b>Reader</b> & co"),
    );

    assert!(!html.contains("<script"), "raw script tag in HTML");
    assert!(!html.contains("<b>Reader"), "raw name markup in HTML");
    let escaped_html = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot; 'single' {{ braces }} Ünïcödé 日本語";
    // subject (title), preheader, intro, bottom line, 2 names, version, category x2,
    // tagline x2, pricing x2, descriptions x2, quotes x2 and more appear escaped.
    assert!(html.matches(escaped_html).count() >= 15, "{html}");
    assert!(html.contains("Hi &lt;b&gt;Reader&lt;/b&gt; &amp; co,"));
    assert!(html.contains("href=\"https://example.com/?q=&lt;script&gt;&amp;x={{y}}\""));

    assert!(
        text.matches(HOSTILE).count() >= 10,
        "text keeps the words as written:\n{text}"
    );
    assert!(text.contains("Hi <b>Reader</b> & co,"));
}

#[test]
fn the_greeting_comes_from_the_templates_and_check_warns_of_low_contrast() {
    let project = TestProject::demo();
    project
        .edit(
            "templates/theme.toml",
            "greeting = \"Hi {name},\"",
            "greeting = \"Hello {name}!\"",
        )
        .edit(
            "templates/theme.toml",
            "greeting_without_name = \"Hi there,\"",
            "greeting_without_name = \"Hello, reader!\"",
        )
        .edit(
            "templates/theme.toml",
            "muted = \"#4b5563\"",
            "muted = \"#9ca3af\"",
        );
    let out = project.preview(DEMO_ISSUE, &["--name", "Ada"]);
    let text = std::fs::read_to_string(out.join(format!("{DEMO_ISSUE}.txt"))).unwrap();
    assert!(text.contains("Hello Ada!"), "{text}");
    project.preview(DEMO_ISSUE, &[]);
    let html = std::fs::read_to_string(out.join(format!("{DEMO_ISSUE}.html"))).unwrap();
    assert!(html.contains("Hello, reader!"));
    let check = project.run(&["check"]);
    check.success();
    check.stderr_has(
        "light: muted on surface (secondary text: #9ca3af on #ffffff) is 2.54:1 and muted on background (the footer: #9ca3af on #f3f4f6) is 2.31:1, below WCAG AA (4.5:1)",
    );
    // The surface is white already: only the text can change.
    check.stderr_has("darken `muted` in [colors] until the ratio reaches 4.5:1");
    let line = project
        .read("templates/theme.toml")
        .lines()
        .position(|l| l == "muted = \"#9ca3af\"")
        .unwrap()
        + 1;
    check.stderr_has(&format!("templates/theme.toml:{line}:9"));
}

#[test]
fn hostile_theme_values_are_refused_with_their_place() {
    let project = TestProject::demo();
    project.edit(
        "templates/theme.toml",
        "accent = \"#4f46e5\"",
        "accent = \"red}</style><script>alert(1)</script>\"",
    );
    let output = project.run(&["check"]);
    output.code(2);
    output.stderr_has("templates/theme.toml:");
    output.stderr_has("is not a CSS colour");
}

#[test]
fn images_in_markdown_must_be_on_the_web() {
    let project = TestProject::demo();
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "reviewer split, and community vote comparison.",
        "reviewer split. ![chart](javascript:alert(1)) ![pixel](data:image/png;base64,AAAA)",
    );
    project
        .run(&["check"])
        .code(2)
        .stderr_has("an image must be on the web: `javascript:alert(1)`");
    project
        .run(&["preview", DEMO_ISSUE])
        .code(2)
        .stderr_has("an image must be on the web: `data:image/png;base64,AAAA`");
}

#[test]
fn a_version_of_several_words_reads_the_same_on_the_card_and_everywhere_else() {
    let (project, issue) = demo();
    let rendered = render::render(&issue, project.context_signed_by(Some(&test_keys())));
    let (html, text) = fill(&project, &rendered, "ml-team@example.com", None);
    let card = "Mistral Medium 3 <span class=\"muted\" style=\"font-weight:400;color:#4b5563;\">(72B Instruct)</span>";
    assert!(html.contains(card), "the card shows the version otherwise");
    assert!(html.contains("Mistral Medium 3 (72B Instruct)"));
    assert!(text.contains("Mistral Medium 3 (72B Instruct)"));
    assert!(!html.contains(">72B Instruct<"));
}
