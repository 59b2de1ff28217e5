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
    let list = project.rows("subscribers/subscribers.csv");
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
        "Which one? <img src=x onerror=alert(1)>",
    );
    archive(&project);
    let html = project.read(PAGE);
    assert!(
        !html.contains("<script>alert") && !html.contains("<img src=x"),
        "raw markup on the page"
    );
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; {{ braces }}"));
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
fn a_rerun_writes_nothing_and_an_edit_rewrites_only_what_it_changes() {
    let project = TestProject::demo();
    project.write(
        "issues/2026-11-19-older.toml",
        &project.read(&format!("issues/{DEMO_ISSUE}.toml")),
    );
    archive(&project);
    let files = site_files(&project);
    // Two issue pages and cards, two tool pages, a category, the tool list,
    // about, index, feed, sitemap.
    assert_eq!(files.len(), 12, "{files:?}");
    let mtime = |path: &str| {
        std::fs::metadata(project.path().join(path))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before: Vec<_> = files.iter().map(|f| mtime(f)).collect();
    let again = archive(&project);
    assert!(
        again.contains(&format!("0 file(s) written, {} unchanged", files.len())),
        "{again}"
    );
    assert_eq!(files.iter().map(|f| mtime(f)).collect::<Vec<_>>(), before);
    assert_eq!(site_files(&project), files);

    // Words only: the page changes, the card (names and figures) does not.
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
    assert!(!edited.contains("cards/"), "{edited}");
    assert!(!edited.contains(&format!("wrote {PAGE}")), "{edited}");
    assert_eq!(
        mtime(PAGE),
        before[files.iter().position(|f| f == PAGE).unwrap()]
    );
    // A verdict: the figures change, so does the card.
    project.edit(
        "issues/2026-11-19-older.toml",
        "verdict = \"skip\"",
        "verdict = \"ship\"",
    );
    let edited = archive(&project);
    assert!(
        edited.contains("wrote public/cards/2026-11-19-older.png"),
        "{edited}"
    );
    assert!(!edited.contains(&format!("cards/{DEMO_ISSUE}")), "{edited}");
    // A profile: every page showing the tool, not the others.
    project.edit(
        "tools/axolotl.toml",
        "pricing = \"Paid\"",
        "pricing = \"Freemium\"",
    );
    let edited = archive(&project);
    assert!(edited.contains(&format!("wrote {PAGE}")), "{edited}");
    assert!(
        edited.contains("wrote public/tools/axolotl.html"),
        "{edited}"
    );
    assert!(!edited.contains("tools/mistral-medium-3.html"), "{edited}");
    assert!(project.read(PAGE).contains("<dd>Freemium</dd>"));
}

/// Every file of the built site but the manifest, relative to the project.
fn site_files(project: &TestProject) -> Vec<String> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if !path.ends_with(".verdict-archive.json") {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut files = Vec::new();
    walk(&project.path().join("public"), project.path(), &mut files);
    files.sort();
    files
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
    // The subject the editor wrote titles the entry.
    assert_eq!(
        entry["title"],
        "Axolotl v0.16 vs Mistral Medium 3: which one should you ship with?"
    );
    assert_eq!(entry["content_type"], "text/html");
    let content = entry["content"].as_str().unwrap();
    assert!(content.contains("Reviewer scorecard"));
    // Links in the entry lead to the site wherever the feed is read.
    assert!(content.contains("href=\"https://verdicts.example.com/tools/axolotl.html\""));
    assert!(
        content.contains("href=\"https://verdicts.example.com/categories/developer-tools.html\"")
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
        .arg(project.path().join("public/tools/axolotl.html"))
        .arg(project.path().join("public/tools.html"))
        .arg(
            project
                .path()
                .join("public/categories/developer-tools.html"),
        )
        .arg(project.path().join("public/about.html"))
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
fn preview_serves_the_email_and_the_page_and_reloads_once_per_save() {
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
        .write_all(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        .unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    // The stream is open once its headers arrive: then edit.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(events.read(&mut byte).expect("the stream's headers"), 1);
        head.push(byte[0]);
    }
    // A page elsewhere that points its own name at this machine reads nothing.
    let mut rebound = std::net::TcpStream::connect(address).unwrap();
    rebound
        .write_all(b"GET /email.html HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    rebound.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "Which one should you ship with?",
        "Edited while previewing.",
    );
    // One event per save, naming the file and its size after the save: an
    // editor's save is several file events, and the browser reloads once.
    let issue = format!("issues/{DEMO_ISSUE}.toml");
    let size = || {
        std::fs::metadata(project.path().join(&issue))
            .unwrap()
            .len()
    };
    let mut received = Vec::new();
    let mut next_event = || {
        let mut buffer = [0u8; 1024];
        loop {
            let text = String::from_utf8_lossy(&received).into_owned();
            if let Some(at) = text.find("data: ") {
                let end = at + text[at..].find('\n').unwrap();
                let event = text[at + 6..end].trim().to_string();
                received.drain(..end);
                return event;
            }
            let n = events.read(&mut buffer).expect("a reload event");
            assert!(n > 0, "the event stream ended");
            received.extend_from_slice(&buffer[..n]);
        }
    };
    assert_eq!(next_event(), format!("{issue} {}", size()));
    let (_, email) = get(&format!("{base}/email.html"));
    assert!(email.contains("Edited while previewing."));
    // A mistake shows as its diagnostic, and the page keeps reloading.
    project.edit(&issue, "verdict = \"ship\"", "verdict = \"shp\"");
    assert_eq!(
        next_event(),
        format!("{issue} {}", size()),
        "the second save's, not the first's again"
    );
    let (_, problem) = get(&format!("{base}/page.html"));
    assert!(
        problem.contains("did you mean `ship`?") && problem.contains("EventSource"),
        "{problem}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// A send time `days` ago, whatever today is.
fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

/// A review table.
fn review(reviewer: &str, verdict: &str, quote: &str) -> String {
    format!(
        "\n[[tool.review]]\nreviewer = \"{reviewer}\"\nverdict = \"{verdict}\"\nquote = \"{quote}\"\n"
    )
}

const BETA: &str = r#"
[[tool]]
name = "Beta Chat"
category = "Chat Assistants"
tagline = "A chat assistant"
pricing = "Freemium"
link = "https://beta.example.com"
description = "Beta answers questions."
"#;

/// The demo and two more published issues: Axolotl again against Beta Chat
/// (no profile), and Beta Chat against Gamma in the same category, with its
/// own kicker and title.
fn three_issues(project: &TestProject) {
    let older = format!(
        r#"subject = "Axolotl v0.15 vs Beta Chat: fine-tune or chat?"
preheader = "Two tools, two jobs."
intro = "Two tools."
send_at = {at}

[[tool]]
tool = "axolotl"
version = "v0.15"
description = "Axolotl before the MoE release."
community_vote = 40
{a1}{a2}{BETA}community_vote = 80
{b1}{b2}"#,
        at = days_ago(16),
        a1 = review("builder", "ship", "Version fifteen is solid."),
        a2 = review("skeptic", "skip", "Wait for the next release."),
        b1 = review("builder", "ship", "Beta answers well."),
        b2 = review("skeptic", "ship", "Beta holds up."),
    );
    project.write("issues/2026-11-12-axolotl-vs-beta-chat.toml", &older);
    let middle = format!(
        r#"subject = "Beta Chat vs Gamma: which chat assistant?"
kicker = "Chat assistants"
title = "Two chat assistants, one winner"
preheader = "Chat, compared."
intro = "Two chat assistants."
send_at = {at}
{BETA}community_vote = 70
{b1}{b2}{b3}
[[tool]]
name = "Gamma"
category = "chat assistants"
tagline = "Another chat assistant"
pricing = "Free"
link = "https://gamma.example.com"
description = "Gamma chats too."
community_vote = 60
{g1}{g2}"#,
        at = days_ago(9),
        b1 = review("builder", "ship", "Still good."),
        b2 = review("skeptic", "skip", "Slower now."),
        b3 = review("futurist", "ship", "Where chat goes."),
        g1 = review("builder", "ship", "Gamma is quick."),
        g2 = review("operator", "skip", "Gamma has no buyer."),
    );
    project.write("issues/2026-11-19-beta-chat-vs-gamma.toml", &middle);
}

#[test]
fn a_tool_page_gathers_every_comparison_its_record_over_time_and_the_quotes() {
    let project = TestProject::demo();
    three_issues(&project);
    let output = archive(&project);
    assert!(output.contains("3 published issue(s)"), "{output}");
    let page = project.read("public/tools/axolotl.html");
    let text = visible_text(&page);
    // The profile speaks for the tool, not one issue's tagline.
    assert!(
        text.contains("Axolotl Open-source fine-tuning for open-weight language models"),
        "{text}"
    );
    assert!(page.contains("href=\"../categories/developer-tools.html\""));
    // 3 of 4 and 1 of 2 reviews say ship: 4 of 6, 67%.
    assert!(text.contains("Panel ship 67%"), "{text}");
    assert!(text.contains("Reviews 4 ship / 2 skip"), "{text}");
    assert!(text.contains("Community 40%"), "{text}");
    assert!(text.contains("Comparisons 2"), "{text}");
    // The chart: a point per comparison, a vote where there was one.
    assert_eq!(page.matches("class=\"panel-dot\"").count(), 2);
    assert_eq!(page.matches("class=\"vote-dot\"").count(), 1);
    assert!(page.contains("role=\"img\" aria-label=\"Axolotl's panel ship rate in 2 comparisons"));
    // Every comparison, newest first, and what the panel said in each.
    let newest = page.find(&format!("../issues/{DEMO_ISSUE}.html")).unwrap();
    let oldest = page
        .find("../issues/2026-11-12-axolotl-vs-beta-chat.html")
        .unwrap();
    assert!(newest < oldest);
    for quote in [
        "Version fifteen is solid.",
        "Wait for the next release.",
        "40x memory reduction",
    ] {
        assert!(text.contains(quote), "no {quote:?}");
    }
    assert!(!text.contains("Beta answers well."), "another tool's quote");
    // A tool without a profile has its page by its name.
    let beta = visible_text(&project.read("public/tools/beta-chat.html"));
    assert!(beta.contains("Comparisons 2"), "{beta}");
    assert!(beta.contains("Community 75%"), "{beta}");
}

#[test]
fn categories_and_the_leaderboard_rank_tools_by_panel_and_by_readers() {
    let project = TestProject::demo();
    three_issues(&project);
    archive(&project);
    // "Chat Assistants" and "chat assistants" are one category.
    let chat = visible_text(&project.read("public/categories/chat-assistants.html"));
    assert!(
        chat.contains("Beta Chat") && chat.contains("Gamma"),
        "{chat}"
    );
    assert!(!chat.contains("Axolotl v0.16 vs"), "{chat}");
    assert!(chat.contains("Two chat assistants, one winner"), "{chat}");
    assert!(chat.contains("Axolotl v0.15 vs Beta Chat"), "{chat}");
    let index = project.read("public/index.html");
    let board = visible_text(index.split("id=\"leaderboard\"").nth(1).unwrap());
    // Beta Chat 4 of 5 (80%), Mistral 3 of 4 (75%), Axolotl 4 of 6 (67%), Gamma 1 of 2.
    let panel = [
        "1 Beta Chat 2 comparisons 80% 5 reviews 75% in 2 issues",
        "2 Mistral Medium 3 1 comparison 75% 4 reviews \u{2014} no vote yet",
        "3 Axolotl 2 comparisons 67% 6 reviews 40% in 1 issue",
        "4 Gamma 1 comparison 50% 2 reviews 60% in 1 issue",
    ];
    let mut from = 0;
    for row in panel {
        from += board[from..]
            .find(row)
            .unwrap_or_else(|| panic!("{row:?} after {from}: {board}"));
    }
    // By readers: Beta Chat 75%, Gamma 60%, Axolotl 40%; Mistral has no vote.
    let readers = board
        .split("Community vote")
        .nth(1)
        .unwrap()
        .split("All 4 tools")
        .next()
        .unwrap();
    let order: Vec<usize> = ["Beta Chat", "Gamma", "Axolotl"]
        .iter()
        .map(|name| readers.find(name).unwrap())
        .collect();
    assert!(order.is_sorted(), "{readers}");
    assert!(!readers.contains("Mistral"), "{readers}");
    let all = visible_text(&project.read("public/tools.html"));
    assert!(
        all.contains("All tools") || all.contains("Every tool"),
        "{all}"
    );
    assert!(
        all.contains("Chat Assistants (2)") && all.contains("Developer Tools (2)"),
        "{all}"
    );
    let sitemap = project.read("public/sitemap.xml");
    for page in [
        "tools/axolotl.html",
        "tools/beta-chat.html",
        "categories/chat-assistants.html",
        "tools.html",
        "about.html",
    ] {
        assert!(
            sitemap.contains(&format!("https://verdicts.example.com/{page}")),
            "{page}"
        );
    }
}

#[test]
fn issues_link_to_their_neighbours_and_a_new_issue_updates_the_one_before() {
    let project = TestProject::demo();
    three_issues(&project);
    archive(&project);
    let middle = project.read("public/issues/2026-11-19-beta-chat-vs-gamma.html");
    assert!(middle.contains("<a href=\"2026-11-12-axolotl-vs-beta-chat.html\" rel=\"prev\">"));
    assert!(middle.contains(&format!("<a href=\"{DEMO_ISSUE}.html\" rel=\"next\">")));
    let newest = project.read(PAGE);
    assert!(newest.contains("rel=\"prev\"") && !newest.contains("rel=\"next\""));
    let oldest = project.read("public/issues/2026-11-12-axolotl-vs-beta-chat.html");
    assert!(!oldest.contains("rel=\"prev\"") && oldest.contains("rel=\"next\""));
    // A newer issue: the one before it gains a link, the others stay as they are.
    let demo = project.read(&format!("issues/{DEMO_ISSUE}.toml"));
    let send_at = demo.lines().find(|l| l.starts_with("send_at")).unwrap();
    project.write(
        "issues/2026-11-27-again.toml",
        &demo.replace(send_at, &format!("send_at = {}", days_ago(1))),
    );
    let output = archive(&project);
    assert!(output.contains(&format!("wrote {PAGE}")), "{output}");
    assert!(
        output.contains("wrote public/issues/2026-11-27-again.html"),
        "{output}"
    );
    assert!(
        !output.contains("wrote public/issues/2026-11-19"),
        "{output}"
    );
    assert!(
        !output.contains("wrote public/issues/2026-11-12"),
        "{output}"
    );
    assert!(
        project
            .read(PAGE)
            .contains("<a href=\"2026-11-27-again.html\" rel=\"next\">")
    );
}

#[test]
fn an_issue_sets_its_kicker_and_title_and_its_subject_titles_the_page_and_the_feed() {
    let project = TestProject::demo();
    three_issues(&project);
    archive(&project);
    let page = project.read("public/issues/2026-11-19-beta-chat-vs-gamma.html");
    assert!(page.contains(
        "<p class=\"kicker\">Chat assistants</p><h1>Two chat assistants, one winner</h1>"
    ));
    assert!(page.contains("<title>Beta Chat vs Gamma: which chat assistant?</title>"));
    assert!(page.contains(
        "<meta property=\"og:title\" content=\"Beta Chat vs Gamma: which chat assistant?\">"
    ));
    // The demo keeps the default kicker and the tools' names.
    assert!(project.read(PAGE).contains("<p class=\"kicker\">AI tool comparison</p><h1>Axolotl v0.16 vs Mistral Medium 3 (72B Instruct)</h1>"));
    let index = visible_text(&project.read("public/index.html"));
    assert!(index.contains("Two chat assistants, one winner"), "{index}");
    let feed = project.read("public/feed.xml");
    assert!(feed.contains("<title>Beta Chat vs Gamma: which chat assistant?</title>"));
    // The email says the same.
    let out = project.preview("2026-11-19", &[]);
    let email = std::fs::read_to_string(out.join("2026-11-19-beta-chat-vs-gamma.html")).unwrap();
    assert!(email.contains("Chat assistants") && email.contains("Two chat assistants, one winner"));
}

#[test]
fn the_about_page_comes_from_markdown_and_goes_with_it() {
    let project = TestProject::demo();
    archive(&project);
    let about = project.read("public/about.html");
    assert!(
        about.contains("<h1>About Weekly AI Tool Verdicts</h1>"),
        "{about}"
    );
    assert!(
        about.contains("<title>About Weekly AI Tool Verdicts</title>"),
        "{about}"
    );
    assert!(about.contains("<h2>How a verdict is made</h2>"), "{about}");
    assert!(
        about.contains("<strong>would you ship with it?</strong>"),
        "{about}"
    );
    assert!(
        project
            .read(PAGE)
            .contains("<a href=\"../about.html\">About</a>")
    );
    project.remove("templates/about.md");
    let output = archive(&project);
    assert!(output.contains("removed public/about.html"), "{output}");
    assert!(!project.path().join("public/about.html").exists());
    for page in [PAGE, "public/index.html", "public/tools/axolotl.html"] {
        assert!(!project.read(page).contains("about.html"), "{page}");
    }
    // Without a heading of its own, the page is "About" the newsletter.
    project.write(
        "templates/about.md",
        "We compare tools.\n\n## Contact\n\nWrite to us.\n",
    );
    archive(&project);
    let about = project.read("public/about.html");
    assert!(about.contains("<h1>About Weekly AI Tool Verdicts</h1><div class=\"about\"><p>We compare tools.</p><h2>Contact</h2><p>Write to us.</p></div>"), "{about}");
}

/// The size and the pixels of a PNG, as a decoder reads it.
fn decode_png(path: &std::path::Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    let pixels = buffer[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

#[test]
fn each_issue_has_a_social_card_in_the_newsletters_colours_and_tags_that_show_it() {
    let project = TestProject::demo();
    archive(&project);
    let card = project
        .path()
        .join(format!("public/cards/{DEMO_ISSUE}.png"));
    let (width, height, pixels) = decode_png(&card);
    assert_eq!((width, height), (1200, 630));
    let count = |rgb: [u8; 3]| pixels.iter().filter(|p| **p == rgb).count();
    // templates/theme.toml: background #f3f4f6 fills most of it; the accent
    // bar (#4f46e5), the surfaces (#ffffff) and the ship figures (#047857) show.
    assert!(count([0xf3, 0xf4, 0xf6]) > pixels.len() / 4);
    assert!(count([0x4f, 0x46, 0xe5]) > 1200 * 10);
    assert!(count([0xff, 0xff, 0xff]) > pixels.len() / 4);
    assert!(
        count([0x04, 0x78, 0x57]) > 5000,
        "the ship bars and figures"
    );
    // Text drawn: many shades from anti-aliased glyph edges.
    let shades: std::collections::HashSet<[u8; 3]> = pixels.iter().copied().collect();
    assert!(shades.len() > 100, "{} shades", shades.len());
    let page = project.read(PAGE);
    let url = format!("https://verdicts.example.com/cards/{DEMO_ISSUE}.png");
    assert!(page.contains(&format!("<meta property=\"og:image\" content=\"{url}\">")));
    assert!(page.contains("<meta property=\"og:image:width\" content=\"1200\"><meta property=\"og:image:height\" content=\"630\">"));
    assert!(page.contains("<meta property=\"og:image:alt\" content=\"Axolotl v0.16 vs Mistral Medium 3 (72B Instruct). Axolotl v0.16: 75% panel ship; Mistral Medium 3 (72B Instruct): 75% panel ship\">"));
    assert!(page.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"));
    // Another issue, other names and figures: another picture.
    let demo = project.read(&format!("issues/{DEMO_ISSUE}.toml"));
    project.write(
        "issues/2026-11-19-other.toml",
        &demo
            .replace(
                "tool = \"axolotl\"",
                "tool = \"axolotl\"\nname = \"<Ax & \\\"Co\\\"> Ultra Long Name Of A Tool\"",
            )
            .replace("verdict = \"skip\"", "verdict = \"ship\""),
    );
    archive(&project);
    let (_, _, other) = decode_png(&project.path().join("public/cards/2026-11-19-other.png"));
    assert_ne!(other, pixels);
    let page = project.read("public/issues/2026-11-19-other.html");
    assert!(!page.contains("<Ax") && page.contains("&lt;Ax &amp; &quot;Co&quot;&gt;"));
    // Without cards: no picture, and the old ones go.
    let output = project.run(&["archive", "--no-cards"]);
    output.success();
    assert!(
        output
            .stdout
            .contains(&format!("removed public/cards/{DEMO_ISSUE}.png")),
        "{}",
        output.stdout
    );
    assert!(!card.exists());
    let page = project.read(PAGE);
    assert!(!page.contains("og:image") && page.contains("content=\"summary\""));
}

#[test]
fn in_a_real_browser_every_kind_of_page_is_accessible_light_and_dark_phone_and_desktop() {
    let project = TestProject::demo();
    three_issues(&project);
    archive(&project);
    let serve = Serve::start(&project);
    let chart = "const svg = document.querySelector('.chart svg');\
                 return svg ? [svg.getAttribute('role'), svg.getBoundingClientRect().width > 200] : null";
    for page in [
        "/index.html",
        "/tools/axolotl.html",
        "/categories/chat-assistants.html",
        "/tools.html",
        "/about.html",
        "/issues/2026-11-19-beta-chat-vs-gamma.html",
    ] {
        let url = format!("{}{page}", serve.base);
        for look in [
            Look::at(375).axe().eval(chart),
            Look::at(1280).axe().dark().eval(chart),
        ] {
            let shown = open(&url, &look);
            assert_eq!(
                shown.console_errors(),
                Vec::<String>::new(),
                "{page} {look:?}"
            );
            assert!(!shown.overflows(), "{page} {look:?}: {:?}", shown.report);
            assert_eq!(shown.violations(), Vec::<String>::new(), "{page} {look:?}");
            if page.starts_with("/tools/") {
                assert_eq!(shown.eval(0)[0], "img", "{page}");
                assert_eq!(shown.eval(0)[1], true, "{page}: the chart is shown");
            }
        }
    }
}
