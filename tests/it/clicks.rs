//! What readers went to look at, counted by `verdict serve` without tracking
//! anyone: the tool links of a sent issue and of its page lead through `/go`,
//! the same link for every reader; a GET counts and redirects to the tool's
//! link in the issue file, exactly under concurrent clicks and across a
//! restart; forged links go nowhere; nothing but the counts is written.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use verdict::store::tokens::{ClickFrom, Keys};

use crate::harness::{DEMO_ISSUE, TestProject};
use crate::server::{SECRET, Serve, get, get_location, head_location};
use crate::signup::{local, mail_to, text_of};

const AXOLOTL: &str = "https://github.com/axolotl-ai-cloud/axolotl";
const MISTRAL: &str = "https://mistral.ai";

/// The demo project holding the service's secret, so that every command
/// signs with the key the service checks.
fn project_with_secret(extra_config: &str) -> TestProject {
    let project = TestProject::demo();
    project.write("state/secret", SECRET);
    if !extra_config.is_empty() {
        project.write(
            "verdict.toml",
            &format!("{}\n{extra_config}\n", project.read("verdict.toml")),
        );
    }
    project
}

fn send(project: &TestProject) {
    project.run(&["send"]).success();
}

/// The "Visit TOOL:" links of one reader's copy of the demo issue.
fn visit_links(project: &TestProject, email: &str) -> Vec<String> {
    let raw = mail_to(project, email)
        .pop()
        .expect("the issue in the outbox");
    text_of(&raw)
        .lines()
        .filter(|l| l.starts_with("Visit "))
        .map(|l| l.split_whitespace().last().unwrap().to_string())
        .collect()
}

/// Every file under `state/` with its content, but the service's lock.
fn state_files(project: &TestProject) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let name = path.strip_prefix(root).unwrap().display().to_string();
                // The running service's lock names it, and goes with it.
                if name != "serve.lock" {
                    out.insert(name, std::fs::read(&path).unwrap());
                }
            }
        }
    }
    let mut files = BTreeMap::new();
    let root = project.path().join("state");
    walk(&root, &root, &mut files);
    files
}

/// The demo issue's counts as (email, site) per tool; empty without a file.
fn counts(project: &TestProject) -> Vec<(u64, u64)> {
    let path = project
        .path()
        .join(format!("state/clicks/{DEMO_ISSUE}.json"));
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["email"].as_u64().unwrap(), t["site"].as_u64().unwrap()))
        .collect()
}

/// Waits until the counts on disk are `expected` (the service writes them
/// every few seconds).
fn wait_for_counts(project: &TestProject, expected: &[(u64, u64)]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while counts(project) != expected {
        assert!(
            Instant::now() < deadline,
            "the counts on disk are {:?}, not {expected:?}",
            counts(project)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_click_counts_for_its_tool_and_redirects_to_the_link_the_issue_file_gives() {
    let project = project_with_secret("");
    send(&project);
    let links = visit_links(&project, "ml-team@example.com");
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(links[0].starts_with(&format!(
        "https://verdicts.example.com/go?i={DEMO_ISSUE}&n=0&t="
    )));
    // The same link for every reader: it cannot tell who followed it.
    assert_eq!(visit_links(&project, "labs@example.org"), links);
    let raw = mail_to(&project, "ml-team@example.com").pop().unwrap();
    assert!(
        raw.contains("/go?i=3D"),
        "the HTML part links through it too"
    );
    assert!(
        !raw.contains(&format!("href=3D\"{MISTRAL}\"")),
        "no tool is linked directly"
    );

    let serve = Serve::start(&project);
    let before = state_files(&project);
    for _ in 0..3 {
        assert_eq!(
            get_location(&local(&serve, &links[0])),
            (303, Some(AXOLOTL.to_string()))
        );
    }
    assert_eq!(
        get_location(&local(&serve, &links[1])),
        (303, Some(MISTRAL.to_string()))
    );
    // A link checker's HEAD is answered alike and not counted.
    assert_eq!(
        head_location(&local(&serve, &links[1])),
        (303, Some(MISTRAL.to_string()))
    );
    // The destination is the issue file's as it is now: a link fixed after
    // the issue went out is where the email's link leads.
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "tool = \"mistral-medium-3\"",
        "tool = \"mistral-medium-3\"\nlink = \"https://mistral.ai/news/\"",
    );
    assert_eq!(
        get_location(&local(&serve, &links[1])),
        (303, Some("https://mistral.ai/news/".to_string()))
    );

    // Forged and altered links go nowhere and count nothing.
    let forged = Keys::new("a-different-secret-0123456789", &[])
        .unwrap()
        .click_url(
            &url::Url::parse(&serve.base).unwrap(),
            DEMO_ISSUE,
            0,
            ClickFrom::Email,
        );
    let token = links[0].split("&t=").nth(1).unwrap().to_string();
    let go = format!("{}/go", serve.base);
    for bad in [
        forged,
        local(&serve, &links[0].replace("&n=0", "&n=1")),
        local(&serve, &links[0].replace("&t=", "&f=site&t=")),
        local(&serve, &links[0].replace("&t=", "&f=web&t=")),
        local(&serve, &links[0].replace("2026-11-26", "2026-11-19")),
        local(&serve, &links[0][..links[0].len() - 2]),
        format!("{go}?i={DEMO_ISSUE}&n=x&t={token}"),
        format!("{go}?i=../verdict&n=0&t={token}"),
        format!("{go}?i={DEMO_ISSUE}&n=0"),
        format!("{go}?u=https://evil.example/&t={token}"),
        go.clone(),
    ] {
        assert_eq!(get_location(&bad), (403, None), "{bad}");
        assert_eq!(head_location(&bad), (403, None), "{bad}");
    }
    let (_, page) = get(&format!("{go}?i={DEMO_ISSUE}&n=0"));
    assert!(page.contains("This link is not valid"), "{page}");
    // The log has each request's path, never its query.
    let logged = serve.wait_for("path=/go answered", 29);
    assert!(
        logged
            .iter()
            .all(|l| !l.contains('?') && !l.contains(&token)),
        "{logged:?}"
    );

    serve.stop();
    assert_eq!(counts(&project), vec![(3, 0), (2, 0)]);
    // Nothing else was written: no reader, client or time, only the counts.
    let mut after = state_files(&project);
    let written = after
        .remove(&format!("clicks/{DEMO_ISSUE}.json"))
        .expect("the counts");
    let changed: Vec<&String> = after
        .keys()
        .chain(before.keys())
        .filter(|name| after.get(*name) != before.get(*name))
        .collect();
    assert!(changed.is_empty(), "clicks changed {changed:?}");
    let written = String::from_utf8(written).unwrap();
    assert!(
        written.chars().all(|c| c.is_ascii_digit()
            || c.is_whitespace()
            || "{}[]:,\"".contains(c)
            || c.is_ascii_lowercase()),
        "{written}"
    );
    assert!(
        !written.contains('@') && !written.contains("t="),
        "{written}"
    );

    let votes = project.run(&["votes", DEMO_ISSUE]);
    votes.success();
    votes.stdout_has("Axolotl v0.16: 0 ship, 0 skip: community \u{2014} (shown from 10 votes); 3 clicks (email 3, site 0)");
    votes.stdout_has("; 2 clicks (email 2, site 0)");
}

#[test]
fn two_hundred_clicks_at_once_count_two_hundred_and_outlive_a_restart_with_the_sites() {
    // Behind a reverse proxy on this machine: its connections are many clients'.
    let project = project_with_secret("[serve]\ntrusted_proxies = [\"127.0.0.1\"]");
    send(&project);
    project.run(&["archive"]).success();
    let links = visit_links(&project, "ml-team@example.com");
    let serve = Serve::start(&project);
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let link = local(&serve, &links[i % 2]);
            std::thread::spawn(move || get_location(&link).0)
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), 303);
    }
    // Written within a few seconds, without waiting for a stop.
    wait_for_counts(&project, &[(100, 0), (100, 0)]);

    // The issue's page links through the counter too, counted apart.
    let page = project.read(&format!("public/issues/{DEMO_ISSUE}.html"));
    let site_link = crate::harness::link_in(&page, "https://verdicts.example.com/go?")
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(site_link.contains("&f=site&t="), "{site_link}");
    serve.stop();
    let serve = Serve::start(&project);
    for _ in 0..5 {
        assert_eq!(
            get_location(&local(&serve, &site_link)),
            (303, Some(AXOLOTL.to_string()))
        );
    }
    assert_eq!(get_location(&local(&serve, &links[0])).0, 303);
    serve.stop();
    assert_eq!(counts(&project), vec![(101, 5), (100, 0)]);

    // The tool pages show them.
    project.run(&["archive"]).success();
    let tool = project.read("public/tools/axolotl.html");
    assert!(
        tool.contains("<dt>Clicks</dt><dd>106</dd>"),
        "{}",
        &tool[tool.find("class=\"stats\"").unwrap()..][..600]
    );
    assert!(tool.contains("<th scope=\"col\" class=\"num\">Clicks</th>"));
}

#[test]
fn clicks_on_an_issue_not_out_yet_and_with_counting_off() {
    // A test copy's links work before the issue is out, and count nothing.
    let project = project_with_secret("");
    project.set_demo_send_at(Some("2099-01-07T09:00:00+00:00"));
    project
        .run(&["send", DEMO_ISSUE, "--to", "editor@example.com"])
        .success();
    let links = visit_links(&project, "editor@example.com");
    let serve = Serve::start(&project);
    assert_eq!(
        get_location(&local(&serve, &links[0])),
        (303, Some(AXOLOTL.to_string()))
    );
    serve.stop();
    assert_eq!(counts(&project), Vec::new());

    // Counting off: tools are linked directly everywhere, and no page counts.
    let project = project_with_secret("[community]\ncount_clicks = false");
    send(&project);
    project.run(&["archive"]).success();
    let links = visit_links(&project, "ml-team@example.com");
    assert_eq!(links, [AXOLOTL, MISTRAL]);
    let page = project.read(&format!("public/issues/{DEMO_ISSUE}.html"));
    assert!(!page.contains("/go?") && page.contains(&format!("href=\"{MISTRAL}\"")));
    assert!(!project.read("public/tools/axolotl.html").contains("Clicks"));
    project
        .run(&["votes", DEMO_ISSUE])
        .success()
        .stdout_has("community \u{2014} (shown from 10 votes)\n");
}

#[test]
fn an_issue_sent_early_with_now_is_out_its_page_feed_and_clicks_with_it() {
    let project = project_with_secret("");
    project.set_demo_send_at(Some("2099-01-07T09:00:00+00:00"));
    let page = format!("public/issues/{DEMO_ISSUE}.html");
    project
        .run(&["archive"])
        .success()
        .stdout_has("0 published issue(s)");
    assert!(!project.path().join(&page).exists());
    project.run(&["send", DEMO_ISSUE, "--now"]).success();
    // Its email links its page: the page is there from the send on, dated
    // by the send, and stays on every later run.
    for _ in 0..2 {
        project
            .run(&["archive"])
            .success()
            .stdout_has("1 published issue(s)");
        assert!(project.path().join(&page).exists());
    }
    let feed = project.read("public/feed.xml");
    assert!(
        feed.contains(&format!("/issues/{DEMO_ISSUE}.html")),
        "{feed}"
    );
    assert!(
        !feed.contains("2099-01-07"),
        "dated by its schedule: {feed}"
    );
    // A reader's click counts.
    let links = visit_links(&project, "ml-team@example.com");
    let serve = Serve::start(&project);
    assert_eq!(
        get_location(&local(&serve, &links[0])),
        (303, Some(AXOLOTL.to_string()))
    );
    wait_for_counts(&project, &[(1, 0)]);
}

#[test]
fn a_damaged_counts_file_is_a_located_error_and_loses_no_click() {
    let project = project_with_secret("");
    send(&project);
    let counts_file = format!("state/clicks/{DEMO_ISSUE}.json");
    project.write(&counts_file, "{\"tools\": [{\"email\": 4}\n  oops");
    let links = visit_links(&project, "ml-team@example.com");
    let serve = Serve::start(&project);
    for _ in 0..2 {
        assert_eq!(get_location(&local(&serve, &links[1])).0, 303);
    }
    let errors = serve.wait_for_error("cannot write the click counts");
    assert!(
        errors
            .iter()
            .any(|l| l.contains(&format!("{counts_file}:2:3"))),
        "{errors:?}"
    );
    let votes = project.run(&["votes", DEMO_ISSUE]);
    votes.code(1).stderr_has(&format!("{counts_file}:2:3"));
    project
        .run(&["check"])
        .code(2)
        .stderr_has(&format!("{counts_file}:2:3"));
    project
        .run(&["archive"])
        .code(1)
        .stderr_has(&format!("{counts_file}:2:3"));
    // Repaired, the clicks that waited are written.
    project.write(&counts_file, "{\"tools\": [{\"email\": 4, \"site\": 0}]}");
    wait_for_counts(&project, &[(4, 0), (2, 0)]);
    let errors = serve.wait_for_error("the click counts are written again");
    assert_eq!(
        errors
            .iter()
            .filter(|l| l.contains("cannot write the click counts"))
            .count(),
        1,
        "said once, not every few seconds: {errors:?}"
    );
    serve.stop();
}

#[test]
fn a_setting_that_is_not_true_or_false_is_a_located_error() {
    let project = project_with_secret("[community]\ncount_clicks = \"yes\"");
    let check = project.run(&["check"]);
    check.code(2).stderr_has("count_clicks");
    check.stderr_has("expected true or false");
    let line = project.read("verdict.toml").lines().count();
    check.stderr_has(&format!("verdict.toml:{line}:16"));
}
