//! `verdict archive`, the site it writes, `verdict serve` serving it and
//! `verdict preview --serve`: checked against the model, by a real feed parser,
//! by html-validate and in a real browser.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::browser::{Look, open};
use crate::harness::{DEMO_ISSUE, TestProject, repo_root};
use crate::server::{Serve, agent, get};
use crate::smtp::python;

const PAGE: &str = "public/issues/2026-11-26-axolotl-vs-mistral-medium-3.html";

/// The demo issue as the model reads it, profiles resolved.
fn demo_issue(project: &TestProject) -> verdict::author::issue::Issue {
    let layout = verdict::project::layout::Layout::new(project.path());
    let loaded = verdict::project::Project::load(&layout).unwrap();
    let path = loaded.find_issue(DEMO_ISSUE).unwrap();
    loaded.load_issue(&path).unwrap().issue
}

fn archive(project: &TestProject) -> String {
    let output = project.run(&["archive"]);
    output.success();
    output.stdout
}

/// Text as a page shows it: tags dropped, entities read, spaces collapsed.
fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_issue_page_holds_every_field_of_the_model_in_the_example_pages_order() {
    let project = TestProject::demo();
    archive(&project);
    let html = project.read(PAGE);
    let text = visible_text(html.split("<body>").nth(1).unwrap());
    let issue = demo_issue(&project);
    let mut expected = vec![
        "AI tool comparison".to_string(),
        "Axolotl v0.16 vs Mistral Medium 3 (72B Instruct)".to_string(),
        "Which one should you ship with?".to_string(),
    ];
    for tool in &issue.tools {
        expected.push(tool.category.clone());
        expected.push(tool.name.clone());
        expected.push(tool.tagline.clone());
        expected.push("Panel ship 75%".into());
        expected.push("Community \u{2014}".into());
        expected.push(format!("Entry {}", tool.pricing));
    }
    expected.push("The tools".into());
    for tool in &issue.tools {
        expected.push(
            tool.description
                .0
                .split_whitespace()
                .take(12)
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    expected.push("Reviewer scorecard".into());
    for tool in &issue.tools {
        for review in &tool.reviews {
            let quote = review
                .quote
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(text.contains(&quote), "a quote is missing: {quote}");
        }
    }
    expected.push("The Builder Developer experience".into());
    expected.push("Ship on Axolotl v0.16".into());
    expected.push("Skip on".into());
    expected.push("The bottom line".into());
    expected.push("Weekly AI Tool Verdicts Get the next comparison in your inbox".into());
    expected.push("New AI tools ship daily. We compare them before you waste an afternoon.".into());
    let mut from = 0;
    for needle in &expected {
        let at = text[from..]
            .find(needle.as_str())
            .unwrap_or_else(|| panic!("{needle:?} is missing or out of order after {from}"));
        from += at;
    }
    // The subscribe form posts to verdict serve, labelled.
    assert!(html.contains("<form method=\"post\" action=\"../subscribe\">"));
    assert!(html.contains("<label for=\"email\">Email address</label><input type=\"email\" id=\"email\" name=\"email\" required"));
    // Metadata on every page.
    for page in [PAGE, "public/index.html"] {
        let html = project.read(page);
        for tag in [
            "<link rel=\"canonical\"",
            "application/atom+xml",
            "property=\"og:title\"",
            "property=\"og:url\"",
            "name=\"twitter:card\"",
        ] {
            assert!(html.contains(tag), "{page}: no {tag}");
        }
        assert_eq!(html.matches("<h1").count(), 1, "{page}: one h1");
        assert!(!html.contains("<script"), "{page}: no JavaScript is needed");
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"//"),
            "{page}: no external resource"
        );
    }
}

#[test]
fn no_subscriber_data_reaches_a_page() {
    let project = TestProject::demo();
    archive(&project);
    let list = project.read("subscribers/subscribers.csv");
    let mut pages = vec![
        project.read(PAGE),
        project.read("public/index.html"),
        project.read("public/feed.xml"),
    ];
    pages.push(project.read("public/sitemap.xml"));
    for page in &pages {
        for row in list.lines().skip(1) {
            let email = row.split(',').next().unwrap();
            assert!(!page.contains(email), "{email} is on a page");
        }
        assert!(
            !page.contains("Hi there")
                && !page.contains("?u=")
                && !page.contains("&t=")
                && !page.contains("&amp;t="),
            "personal parts on a page"
        );
    }
}

#[test]
fn markdown_and_every_field_are_escaped_as_in_the_email() {
    let project = TestProject::demo();
    let hostile = r#"<script>alert(\"x\")</script> & {{ braces }}"#;
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "tagline = \"15x faster MoE+LoRA fine-tuning with 40x memory reduction\"",
        &format!("tagline = \"{hostile}\""),
    );
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "Which one should you ship with?",
        "Which one? <img src=x onerror=alert(1)> [link](javascript:alert(1))",
    );
    archive(&project);
    let html = project.read(PAGE);
    assert!(
        !html.contains("<script>alert") && !html.contains("<img src=x"),
        "raw markup on the page"
    );
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; {{ braces }}"));
    assert!(!html.contains("javascript:"));
}

#[test]
fn only_published_issues_are_on_the_site_newest_first() {
    let project = TestProject::demo();
    let demo = project.read(&format!("issues/{DEMO_ISSUE}.toml"));
    let older = demo.replace(
        "tool = \"axolotl\"",
        "tool = \"axolotl\"\nname = \"Older Tool\"",
    );
    project.write("issues/2026-11-19-older.toml", &older);
    let draft = demo
        .lines()
        .filter(|l| !l.starts_with("send_at"))
        .collect::<Vec<_>>()
        .join("\n");
    project.write(
        "issues/2026-12-03-future.toml",
        &format!("send_at = 2099-01-01T09:00:00+00:00\n{draft}"),
    );
    project.write("issues/2026-12-10-draft.toml", &draft);
    let output = archive(&project);
    assert!(output.contains("2 published issue(s)"), "{output}");
    assert!(
        project
            .path()
            .join("public/issues/2026-11-19-older.html")
            .is_file()
    );
    assert!(
        !project
            .path()
            .join("public/issues/2026-12-03-future.html")
            .exists()
    );
    assert!(
        !project
            .path()
            .join("public/issues/2026-12-10-draft.html")
            .exists()
    );
    let index = project.read("public/index.html");
    let newest = index
        .find("issues/2026-11-26-axolotl-vs-mistral-medium-3.html")
        .unwrap();
    let oldest = index.find("issues/2026-11-19-older.html").unwrap();
    assert!(newest < oldest, "newest first");
    let text = visible_text(&index);
    assert!(text.contains("26 November 2026"), "{text}");
    assert!(text.contains("Older Tool v0.16: 75% panel ship"), "{text}");
    // Back to a draft: its page goes.
    project.write("issues/2026-11-19-older.toml", &draft);
    let output = archive(&project);
    assert!(
        output.contains("removed public/issues/2026-11-19-older.html"),
        "{output}"
    );
}

#[test]
fn a_rerun_rewrites_only_what_changed() {
    let project = TestProject::demo();
    project.write(
        "issues/2026-11-19-older.toml",
        &project.read(&format!("issues/{DEMO_ISSUE}.toml")),
    );
    archive(&project);
    let mtime = |path: &str| {
        std::fs::metadata(project.path().join(path))
            .unwrap()
            .modified()
            .unwrap()
    };
    let files = [
        PAGE,
        "public/issues/2026-11-19-older.html",
        "public/index.html",
        "public/feed.xml",
        "public/sitemap.xml",
    ];
    let before: Vec<_> = files.iter().map(|f| mtime(f)).collect();
    std::thread::sleep(Duration::from_millis(20));
    let again = archive(&project);
    assert!(again.contains("0 file(s) written, 5 unchanged"), "{again}");
    assert_eq!(files.iter().map(|f| mtime(f)).collect::<Vec<_>>(), before);
    project.edit(
        "issues/2026-11-19-older.toml",
        "Which one should you ship with?",
        "Which one, then?",
    );
    let edited = archive(&project);
    assert!(
        edited.contains("wrote public/issues/2026-11-19-older.html"),
        "{edited}"
    );
    assert!(!edited.contains(&format!("wrote {PAGE}")), "{edited}");
    assert_eq!(mtime(PAGE), before[0]);
}

#[test]
fn the_feed_reads_in_a_real_feed_parser_and_links_the_pages() {
    let project = TestProject::demo();
    archive(&project);
    let output = Command::new(python())
        .arg(repo_root().join("tests/feed.py"))
        .arg(project.path().join("public/feed.xml"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let feed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(feed["bozo"], false, "{}", feed["bozo_exception"]);
    assert_eq!(feed["version"], "atom10");
    assert_eq!(feed["title"], "Weekly AI Tool Verdicts");
    let entry = &feed["entries"][0];
    assert_eq!(
        entry["link"],
        format!("https://verdicts.example.com/issues/{DEMO_ISSUE}.html")
    );
    assert_eq!(
        entry["title"],
        "Axolotl v0.16 vs Mistral Medium 3 (72B Instruct)"
    );
    assert_eq!(entry["content_type"], "text/html");
    assert!(
        entry["content"]
            .as_str()
            .unwrap()
            .contains("Reviewer scorecard")
    );
    assert!(entry["published"].as_str().unwrap().starts_with("20"));
    let sitemap = project.read("public/sitemap.xml");
    assert!(sitemap.contains(&format!(
        "<loc>https://verdicts.example.com/issues/{DEMO_ISSUE}.html</loc>"
    )));
}

#[test]
fn the_pages_pass_html_validate() {
    let project = TestProject::demo();
    archive(&project);
    let modules = std::env::var("VERDICT_TEST_NODE_MODULES").unwrap_or_else(|_| {
        repo_root()
            .join("target/test-node/node_modules")
            .display()
            .to_string()
    });
    let output = Command::new(format!("{modules}/.bin/html-validate"))
        .arg("--config")
        .arg(repo_root().join("tests/browser/htmlvalidate.json"))
        .arg(project.path().join("public/index.html"))
        .arg(project.path().join(PAGE))
        .output()
        .expect("html-validate (installed by scripts/test.sh)");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn serve_serves_the_site_with_types_and_caching() {
    let project = TestProject::demo();
    archive(&project);
    let serve = Serve::start(&project);
    for (path, content_type) in [
        ("/", "text/html"),
        (&format!("/issues/{DEMO_ISSUE}.html")[..], "text/html"),
        ("/feed.xml", "application/atom+xml"),
        ("/sitemap.xml", "xml"),
    ] {
        let response = agent()
            .get(&format!("{}{path}", serve.base))
            .call()
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        let kind = headers.get("content-type").unwrap().to_str().unwrap();
        assert!(kind.contains(content_type), "{path}: {kind}");
        assert_eq!(
            headers.get("cache-control").unwrap(),
            "public, max-age=300",
            "{path}"
        );
    }
    assert_eq!(get(&format!("{}/issues/missing.html", serve.base)).0, 404);
    assert_eq!(get(&format!("{}/../verdict.toml", serve.base)).0, 404);
}

#[test]
fn in_a_real_browser_the_page_has_no_errors_a_labelled_form_and_fits_a_phone() {
    let project = TestProject::demo();
    archive(&project);
    let serve = Serve::start(&project);
    let url = format!("{}/issues/{DEMO_ISSUE}.html", serve.base);
    let form = "const input = document.querySelector('form input[type=email]');\
                return [input.labels.length, input.required, document.querySelector('form').action]";
    let badges = "return [...document.querySelectorAll('.badge')]\
                  .filter(b => b.getBoundingClientRect().left < 0 || b.getBoundingClientRect().width == 0).length";
    let shown = open(&url, &Look::at(1280).eval(badges));
    assert_eq!(shown.eval(0), 0, "every verdict badge is on screen");
    for look in [
        Look::at(375).axe().eval(form),
        Look::at(1280).axe().dark(),
        Look::at(320),
    ] {
        let page = open(&url, &look);
        assert_eq!(page.console_errors(), Vec::<String>::new(), "{look:?}");
        assert!(!page.overflows(), "{look:?}: {:?}", page.report);
        assert_eq!(page.violations(), Vec::<String>::new(), "{look:?}");
        if !look.eval.is_empty() {
            assert_eq!(page.eval(0)[0], 1, "the email field has its label");
            assert_eq!(page.eval(0)[1], true);
            assert_eq!(page.eval(0)[2], format!("{}/subscribe", serve.base));
        }
    }
}

#[test]
fn the_email_links_to_its_page() {
    let project = TestProject::demo();
    let out = project.preview(DEMO_ISSUE, &[]);
    let html = std::fs::read_to_string(out.join(format!("{DEMO_ISSUE}.html"))).unwrap();
    let url = format!("https://verdicts.example.com/issues/{DEMO_ISSUE}.html");
    assert!(html.contains(&format!(
        "href=\"{url}\" style=\"color:#4b5563;text-decoration:underline;\">Read on the web"
    )));
    assert!(html.contains("View in browser"));
    let text = std::fs::read_to_string(out.join(format!("{DEMO_ISSUE}.txt"))).unwrap();
    assert!(text.contains(&format!("Read on the web: {url}")));
}

#[test]
fn preview_serves_the_email_and_the_page_and_reloads_on_every_change() {
    let project = TestProject::demo();
    let mut child = project
        .command()
        .args([
            "preview",
            "2026-11-26",
            "--serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    crate::harness::watchdog(child.id(), Duration::from_secs(60));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let (status, page) = get(&format!("{base}/page.html"));
    assert_eq!(status, 200);
    assert!(page.contains("Reviewer scorecard") && page.contains("EventSource"));
    let (_, email) = get(&format!("{base}/email.html"));
    assert!(email.contains("Hi there,"));
    // Listen for a reload, then edit the issue.
    let address = base.trim_start_matches("http://");
    let mut events = std::net::TcpStream::connect(address).unwrap();
    events
        .write_all(b"GET /events HTTP/1.1\r\nHost: preview\r\nAccept: text/event-stream\r\n\r\n")
        .unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "Which one should you ship with?",
        "Edited while previewing.",
    );
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    while !String::from_utf8_lossy(&received).contains("data: reload") {
        let n = events.read(&mut buffer).expect("a reload event");
        assert!(n > 0, "the event stream ended");
        received.extend_from_slice(&buffer[..n]);
    }
    let (_, email) = get(&format!("{base}/email.html"));
    assert!(email.contains("Edited while previewing."));
    // A mistake shows as its diagnostic, and the page keeps reloading.
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "verdict = \"ship\"",
        "verdict = \"shp\"",
    );
    let (_, problem) = get(&format!("{base}/page.html"));
    assert!(
        problem.contains("did you mean `ship`?") && problem.contains("EventSource"),
        "{problem}"
    );
    let _ = child.kill();
    let _ = child.wait();
}
