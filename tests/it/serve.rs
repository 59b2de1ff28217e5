//! `verdict serve` over real HTTP on 127.0.0.1: one-click unsubscribe (RFC 8058),
//! forged links, limits, clean shutdown, and the path from a received email.

use std::process::Stdio;
use std::time::Duration;

use mail_parser::MessageParser;
use verdict::project::layout::Layout;
use verdict::store::tokens::Keys;

use crate::harness::{DEMO_ISSUE, Output, TestProject};
use crate::server::{SECRET, Serve, get, post};
use crate::smtp::SmtpServer;

const SUPPRESSED: &str = "subscribers/suppressed.csv";

fn suppressed_lines(project: &TestProject, email: &str) -> usize {
    project
        .rows(SUPPRESSED)
        .lines()
        .filter(|l| l.starts_with(&format!("{email},")))
        .count()
}

#[test]
fn get_confirms_without_unsubscribing_and_post_unsubscribes_once() {
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    let link = serve.link("ml-team@example.com");

    let (status, page) = get(&link);
    assert_eq!(status, 200);
    assert!(page.contains("<form method=\"post\""), "{page}");
    assert!(page.contains("ml-team@example.com"));
    assert_eq!(
        suppressed_lines(&project, "ml-team@example.com"),
        0,
        "GET must not unsubscribe"
    );

    for _ in 0..3 {
        let (status, page) = post(&link, "List-Unsubscribe=One-Click");
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("You are unsubscribed"));
    }
    assert_eq!(
        suppressed_lines(&project, "ml-team@example.com"),
        1,
        "repeated POSTs record one entry"
    );
    assert!(
        project
            .rows(SUPPRESSED)
            .contains("ml-team@example.com,unsubscribed,")
    );

    let (status, body) = get(&format!("{}/healthz", serve.base));
    assert_eq!((status, body.as_str()), (200, "ok"));
}

#[test]
fn links_in_issues_sent_before_tokens_had_purposes_and_key_ids_still_unsubscribe() {
    use base64::Engine as _;
    use hmac::{KeyInit, Mac};
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    // The link format of earlier versions: the bare HMAC-SHA256 of the address.
    let email = "ml-team@example.com";
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(email.as_bytes());
    let b64 = base64::prelude::BASE64_URL_SAFE_NO_PAD;
    let legacy = format!(
        "{}/unsubscribe?u={}&t={}",
        serve.base,
        b64.encode(email),
        b64.encode(mac.finalize().into_bytes())
    );
    assert_eq!(post(&legacy, "List-Unsubscribe=One-Click").0, 200);
    assert_eq!(suppressed_lines(&project, email), 1);
    // The same old format for another address is a forgery.
    let other = legacy.replace(&b64.encode(email), &b64.encode("labs@example.org"));
    assert_eq!(post(&other, "List-Unsubscribe=One-Click").0, 403);
    assert_eq!(suppressed_lines(&project, "labs@example.org"), 0);
}

#[test]
fn forged_or_garbled_links_get_a_4xx_and_write_nothing() {
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    let before = project.rows(SUPPRESSED);
    let genuine = serve.link("ml-team@example.com");
    let forged = Keys::new("a-different-secret-0123456789", &[])
        .unwrap()
        .unsubscribe_url(
            &format!("{}/unsubscribe", serve.base),
            "ml-team@example.com",
        );
    let other_address = genuine.replace("u=bWwtdGVhbUBleGFtcGxlLmNvbQ", "u=bGFic0BleGFtcGxlLm9yZw");
    let garbled = format!("{}/unsubscribe?u=%%%&t=!!", serve.base);
    let missing = format!("{}/unsubscribe", serve.base);
    for url in [&forged, &other_address, &garbled, &missing] {
        let (status, _) = post(url, "List-Unsubscribe=One-Click");
        assert!((400..500).contains(&status), "{url} answered {status}");
        let (status, _) = get(url);
        assert!((400..500).contains(&status), "{url} answered {status}");
    }
    let (status, _) = post(&genuine, "something=else");
    assert_eq!(status, 400, "a POST without the RFC 8058 body");
    let (status, _) = post(
        &genuine,
        &format!("List-Unsubscribe=One-Click&pad={}", "x".repeat(4096)),
    );
    assert_eq!(status, 413, "an oversized body");
    assert_eq!(project.rows(SUPPRESSED), before);
}

#[test]
fn a_hundred_concurrent_unsubscribes_are_all_recorded() {
    let project = TestProject::demo();
    // Behind a reverse proxy on this machine: its connections are many clients'.
    project.write(
        "verdict.toml",
        &format!(
            "{}\n[serve]\ntrusted_proxies = [\"127.0.0.1\"]\n",
            project.read("verdict.toml")
        ),
    );
    let serve = Serve::start(&project);
    let links: Vec<(String, String)> = (0..100)
        .map(|i| {
            let email = format!("reader{i:03}@example.net");
            let link = serve.link(&email);
            (email, link)
        })
        .collect();
    let threads: Vec<_> = links
        .iter()
        .cloned()
        .map(|(_, link)| std::thread::spawn(move || post(&link, "List-Unsubscribe=One-Click").0))
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), 200);
    }
    let text = project.rows(SUPPRESSED);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .map(|r| r.expect("a well-formed row"))
        .collect();
    assert_eq!(rows.len(), 101, "one existing entry and a hundred new ones");
    assert!(rows.iter().all(|r| r.len() == 4));
    for (email, _) in &links {
        assert_eq!(suppressed_lines(&project, email), 1, "{email}");
    }
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    let (status, _) = get(&format!("{}/healthz", serve.base));
    assert_eq!(status, 200);
    serve.stop();
}

#[test]
fn one_click_from_a_received_email_keeps_the_next_issue_away() {
    let project = TestProject::demo();
    let smtp = SmtpServer::start();
    let mut send = project.command();
    send.env("VERDICT_SECRET", SECRET)
        .args(["send", "--transport", &smtp.url()]);
    assert!(send.status().unwrap().success());

    let received = smtp.received();
    let message = received
        .iter()
        .find(|m| m.to() == "labs@example.org")
        .unwrap();
    let parsed = MessageParser::default().parse(&message.raw).unwrap();
    let header = parsed
        .header_raw("List-Unsubscribe")
        .unwrap()
        .replace(['\r', '\n'], "");
    let https = header
        .split(['<', '>'])
        .find(|part| part.starts_with("https://"))
        .unwrap()
        .to_string();
    // The reverse proxy maps the public address to the service on loopback.
    let serve = Serve::start(&project);
    let local = https.replace("https://verdicts.example.com", &serve.base);
    let (status, _) = post(&local, "List-Unsubscribe=One-Click");
    assert_eq!(status, 200);

    project.write(
        "issues/2026-12-03-next.toml",
        &project.read(&format!("issues/{DEMO_ISSUE}.toml")),
    );
    let mut next = project.command();
    next.env("VERDICT_SECRET", SECRET)
        .args(["send", "--transport", &smtp.url()]);
    assert!(next.status().unwrap().success());
    let later: Vec<_> = smtp.received().into_iter().skip(received.len()).collect();
    assert_eq!(later.len(), received.len() - 1);
    assert!(
        later.iter().all(|m| m.to() != "labs@example.org"),
        "the unsubscribed reader got the next issue"
    );
}

#[test]
fn an_unsubscribe_during_a_send_is_kept_and_honoured_by_the_next_run() {
    let project = TestProject::demo();
    let smtp = SmtpServer::start();
    let serve = Serve::start(&project);
    let sending = project
        .command()
        .env("VERDICT_SECRET", SECRET)
        .args(["send", "--transport", &smtp.url(), "--rate", "20"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    smtp.wait_for(2, Duration::from_secs(30));
    let (status, _) = post(
        &serve.link("security@example.org"),
        "List-Unsubscribe=One-Click",
    );
    assert_eq!(status, 200);
    let output = sending.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        suppressed_lines(&project, "security@example.org"),
        1,
        "the unsubscribe was lost"
    );
    project.write(
        "issues/2026-12-03-next.toml",
        &project.read(&format!("issues/{DEMO_ISSUE}.toml")),
    );
    let before = smtp.count();
    let mut next = project.command();
    next.args(["send", "--transport", &smtp.url()]);
    assert!(next.status().unwrap().success());
    let later: Vec<_> = smtp.received().into_iter().skip(before).collect();
    assert!(!later.is_empty());
    assert!(later.iter().all(|m| m.to() != "security@example.org"));
}

/// A reader's unsubscribe link as `verdict send` would make it now, with the
/// project's keys as they are on disk (previews sign with keys of their own).
fn link_signed_now(project: &TestProject, email: &str) -> String {
    let keys = Keys::load(&Layout::new(project.path())).unwrap();
    keys.unsubscribe_url("https://verdicts.example.com/unsubscribe", email)
}

#[test]
fn links_sent_before_a_secret_rotation_keep_working() {
    use std::os::unix::fs::PermissionsExt;
    let project = TestProject::demo();
    let preview = |to: &str| link_signed_now(&project, to);
    let before = preview("labs@example.org");
    let secret = project.path().join("state/secret");
    assert_eq!(
        std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
        0o600
    );

    project.run(&["rotate-secret"]).success();
    let after = preview("labs@example.org");
    assert_ne!(before, after, "the rotation did not change the secret");
    let other = preview("qa@example.com");
    let serve = Serve::launch(&project, None, &[]);
    let local = |link: &str| link.replace("https://verdicts.example.com", &serve.base);
    assert_eq!(
        post(&local(&before), "List-Unsubscribe=One-Click").0,
        200,
        "an old link stopped working"
    );
    assert_eq!(post(&local(&other), "List-Unsubscribe=One-Click").0, 200);
    assert_eq!(suppressed_lines(&project, "labs@example.org"), 1);
    assert_eq!(suppressed_lines(&project, "qa@example.com"), 1);

    // Once the old secret is retired, its links stop working.
    std::fs::write(project.path().join("state/secret.old"), "").unwrap();
    drop(serve);
    let serve = Serve::launch(&project, None, &[]);
    let retired = before.replace("https://verdicts.example.com", &serve.base);
    assert_eq!(post(&retired, "List-Unsubscribe=One-Click").0, 403);
}

#[test]
fn a_rotation_while_the_service_runs_is_taken_at_once() {
    let project = TestProject::demo();
    let preview = |to: &str| link_signed_now(&project, to);
    let before = preview("labs@example.org");
    let serve = Serve::launch(&project, None, &[]);
    project.run(&["rotate-secret"]).success();
    let after = preview("qa@example.com");
    let local = |link: &str| link.replace("https://verdicts.example.com", &serve.base);
    assert_eq!(
        post(&local(&after), "List-Unsubscribe=One-Click").0,
        200,
        "a link made with the new secret"
    );
    assert_eq!(
        post(&local(&before), "List-Unsubscribe=One-Click").0,
        200,
        "a link made before the rotation"
    );
    assert_eq!(suppressed_lines(&project, "qa@example.com"), 1);
    // What the service makes from now on is signed with the new key.
    let new_key = Keys::load(&Layout::new(project.path())).unwrap().key_id();
    post(
        &format!("{}/subscribe", serve.base),
        "email=fresh%40example.com&name=&website=",
    );
    serve.wait_for("sign-up: confirmation sent", 1);
    let confirm = project.outbox_link(
        "fresh@example.com",
        "https://verdicts.example.com/subscribe/confirm?",
    );
    assert!(
        confirm.contains(&format!("&t={new_key}.")),
        "{confirm} is not signed with {new_key}"
    );
    assert_eq!(post(&local(&confirm), "").0, 200);
}

#[test]
fn a_one_click_post_may_be_multipart_as_rfc_8058_prefers() {
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    let body = "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
    let (status, page) = crate::server::post_as(
        &serve.link("ml-team@example.com"),
        "multipart/form-data; boundary=XyZ",
        body,
    );
    assert_eq!(status, 200, "{page}");
    assert_eq!(suppressed_lines(&project, "ml-team@example.com"), 1);
    let wrong = body.replace("One-Click", "Something-Else");
    let (status, _) = crate::server::post_as(
        &serve.link("qa@example.com"),
        "multipart/form-data; boundary=XyZ",
        &wrong,
    );
    assert_eq!(status, 400);
    assert_eq!(suppressed_lines(&project, "qa@example.com"), 0);
}

#[test]
fn rows_typed_into_the_suppression_list_by_hand_do_not_break_unsubscribing() {
    let project = TestProject::demo();
    let text = project.rows(SUPPRESSED);
    project.write(
        SUPPRESSED,
        &format!("{text}Hand.Typed@Example.com\ngarbage row without an address\nlast@example.com"),
    );
    let serve = Serve::start(&project);
    assert_eq!(
        post(
            &serve.link("ml-team@example.com"),
            "List-Unsubscribe=One-Click"
        )
        .0,
        200
    );
    assert_eq!(
        post(
            &serve.link("hand.typed@example.com"),
            "List-Unsubscribe=One-Click"
        )
        .0,
        200
    );
    let after = project.rows(SUPPRESSED);
    assert_eq!(after.matches("ml-team@example.com").count(), 1);
    assert_eq!(
        after
            .to_lowercase()
            .matches("hand.typed@example.com")
            .count(),
        1,
        "{after}"
    );
    assert!(
        after.contains("last@example.com\nml-team@example.com,"),
        "the typed last row was kept:\n{after}"
    );
    let check = project.run(&["check"]);
    check.code(2);
    check.stderr_has("subscribers/suppressed.csv:4:1");
}

#[test]
fn a_client_that_floods_or_stalls_leaves_room_for_every_other_and_the_shutdown() {
    use std::io::{Read, Write};
    let project = TestProject::demo();
    let mut serve = Serve::launch(
        &project,
        Some(SECRET),
        &["--header-timeout", "2", "--request-timeout", "2"],
    );
    let address = serve.base.trim_start_matches("http://").to_string();
    // One client opens 600 connections, sends a POST's headers (with a genuine
    // link, so that the body is awaited) and stalls the body.
    let genuine = serve.link("labs@example.org");
    let genuine = genuine.trim_start_matches(&serve.base).to_string();
    let stalled: Vec<std::net::TcpStream> = (0..600)
        .filter_map(|_| {
            let mut stream = crate::server::connect_from("127.0.0.1", &address);
            let head = format!("POST {genuine} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\nList");
            stream.write_all(head.as_bytes()).ok().map(|()| stream)
        })
        .collect();
    // Another client is served at once: health and a one-click unsubscribe.
    let (status, body) = crate::server::request_from(
        "127.0.0.2",
        &serve.base,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((status, body.as_str()), (200, "ok"));
    let link = serve.link("ml-team@example.com");
    let target = link.trim_start_matches(&serve.base);
    let body = "List-Unsubscribe=One-Click";
    let (status, _) = crate::server::request_from(
        "127.0.0.2",
        &serve.base,
        &format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(status, 200);
    assert_eq!(suppressed_lines(&project, "ml-team@example.com"), 1);
    // The stalled requests are answered 408 at the deadline and closed: no
    // client holds a connection for as long as it likes.
    let mut first = stalled.into_iter().next().unwrap();
    first
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut answer = String::new();
    first
        .read_to_string(&mut answer)
        .expect("the service closes a stalled request");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A client that never finishes its headers is cut off at the deadline.
    let mut slow = std::net::TcpStream::connect(&address).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut buffer = Vec::new();
    slow.read_to_end(&mut buffer)
        .expect("the service closes a connection whose headers never end");
    // A half-open connection does not hold the shutdown past its grace.
    let mut half_open = std::net::TcpStream::connect(&address).unwrap();
    half_open
        .write_all(b"POST /unsubscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nList")
        .unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &serve.child.id().to_string()])
        .status()
        .unwrap();
    let status = serve.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn an_unsubscribe_path_that_clashes_with_a_route_is_a_located_error_everywhere() {
    for path in [
        "/healthz",
        "/subscribe",
        "/subscribe/confirm",
        "/vote",
        "/feed.xml",
        "/",
        "/issues/mine",
    ] {
        let project = TestProject::demo();
        project.edit(
            "verdict.toml",
            "unsubscribe_url = \"https://verdicts.example.com/unsubscribe\"",
            &format!("unsubscribe_url = \"https://verdicts.example.com{path}\""),
        );
        let line = project
            .read("verdict.toml")
            .lines()
            .position(|l| l.starts_with("unsubscribe_url"))
            .unwrap()
            + 1;
        let check = project.run(&["check"]);
        check.code(2);
        check.stderr_has(&format!("verdict.toml:{line}:19"));
        check.stderr_has(&format!("`verdict serve` answers {path} itself"));
        let serve = project.run(&["serve", "--listen", "127.0.0.1:0"]);
        serve.code(2);
        serve.stderr_has(&format!("`verdict serve` answers {path} itself"));
        assert!(!serve.stderr.contains("panicked"), "{}", serve.stderr);
    }
}

#[test]
fn every_request_is_logged_without_tokens_or_addresses_as_lines_or_json() {
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    let link = serve.link("ml-team@example.com");
    get(&link);
    post(&link, "List-Unsubscribe=One-Click");
    get(&format!("{}/unsubscribe?u=bad&t=bad", serve.base));
    get(&format!("{}/healthz", serve.base));
    let lines = serve.wait_for("answered", 4);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[0].contains("method=GET path=/unsubscribe answered status=200 ms="),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("method=POST path=/unsubscribe answered status=200"),
        "{lines:?}"
    );
    assert!(
        lines[2].contains("method=GET path=/unsubscribe answered status=403"),
        "{lines:?}"
    );
    assert!(
        lines[3].contains("method=GET path=/healthz answered status=200"),
        "{lines:?}"
    );
    let token = link.split("t=").nth(1).unwrap();
    for line in &lines {
        assert!(
            !line.contains("ml-team") && !line.contains("u=") && !line.contains(token),
            "{line}"
        );
    }
    drop(serve);
    // For journald or a log store: one JSON object per line.
    let serve = Serve::launch_with(
        &project,
        Some(SECRET),
        &[],
        &[("VERDICT_LOG_FORMAT", "json")],
    );
    get(&format!("{}/healthz", serve.base));
    let line = serve.wait_for("answered", 1).remove(0);
    let json: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(json["fields"]["status"], 200, "{line}");
    assert_eq!(json["span"]["path"], "/healthz", "{line}");
    assert_eq!(json["level"], "INFO", "{line}");
}

#[test]
fn the_site_is_public_and_nothing_else_and_every_answer_is_hardened() {
    let project = TestProject::demo();
    project.run(&["archive"]).success();
    let public = project.path().join("public");
    std::fs::create_dir_all(project.path().join("state")).unwrap();
    std::fs::write(
        project.path().join("state/secret"),
        "a-secret-nobody-may-read-0123",
    )
    .unwrap();
    std::os::unix::fs::symlink(project.path().join("state/secret"), public.join("leak.txt"))
        .unwrap();
    std::os::unix::fs::symlink(project.path().join("subscribers"), public.join("people")).unwrap();
    std::fs::create_dir_all(public.join(".git")).unwrap();
    std::fs::write(public.join(".git/config"), "[core]").unwrap();
    std::fs::create_dir_all(public.join("issues/old")).unwrap();
    let serve = Serve::start(&project);
    let agent = crate::server::agent();
    let fetch = |path: &str| {
        agent
            .get(&format!("{}{path}", serve.base))
            .config()
            .max_redirects(0)
            .build()
            .call()
            .unwrap()
    };
    let index = fetch("/");
    assert_eq!(index.status().as_u16(), 200);
    let header = |response: &ureq::http::Response<ureq::Body>, name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(header(&index, "x-content-type-options"), "nosniff");
    let csp = header(&index, "content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(header(&index, "referrer-policy"), "no-referrer");
    assert_eq!(header(&index, "cache-control"), "public, max-age=300");
    for path in [
        "/leak.txt",
        "/people/subscribers.csv",
        "/.git/config",
        "/%2egit/config",
        "/.verdict-archive.json",
        "/../state/secret",
        "/%2e%2e/state/secret",
        "/nothing-here.html",
    ] {
        let response = fetch(path);
        assert_eq!(response.status().as_u16(), 404, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-store", "{path}");
    }
    // A folder without its slash is redirected on this host, never to another.
    let folder = fetch("/issues/old");
    assert_eq!(folder.status().as_u16(), 308);
    assert_eq!(header(&folder, "location"), "/issues/old/");
    let sneaky = fetch("//issues/old");
    assert_eq!(sneaky.status().as_u16(), 404);
    // The service's own pages are hardened too, and never cached.
    let (status, _) = get(&format!("{}/unsubscribe?u=x&t=y", serve.base));
    assert_eq!(status, 403);
    let page = fetch("/unsubscribe?u=x&t=y");
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert_eq!(header(&page, "x-frame-options"), "DENY");
}

#[test]
fn a_second_service_on_one_project_refuses_to_start() {
    let project = TestProject::demo();
    let _serve = Serve::start(&project);
    let second = project.run(&["serve", "--listen", "127.0.0.1:0"]);
    second.code(4);
    second.stderr_has("another verdict serve is running on this project");
}

#[test]
fn a_link_signed_with_another_key_is_refused_and_both_keys_are_named_once() {
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    let other = Keys::new("a-different-secret-0123456789", &[]).unwrap();
    let ours = Keys::new(SECRET, &[]).unwrap();
    let link = other.unsubscribe_url(
        &format!("{}/unsubscribe", serve.base),
        "ml-team@example.com",
    );
    for _ in 0..3 {
        assert_eq!(post(&link, "List-Unsubscribe=One-Click").0, 403);
    }
    let named: Vec<String> = serve
        .wait_for_error(&format!("key {}", other.key_id()))
        .into_iter()
        .filter(|l| l.contains(&format!("key {}", other.key_id())))
        .collect();
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(named[0].contains(&ours.key_id().to_string()), "{named:?}");
    assert!(
        serve
            .first
            .contains(&format!("signed with key {}", ours.key_id())),
        "{}",
        serve.first
    );
}

#[test]
fn send_status_and_serve_name_the_key_that_signs_links() {
    let project = TestProject::demo();
    let server = crate::smtp::SmtpServer::start();
    let sent = project.run(&["send", "--transport", &server.url()]);
    sent.success();
    // The run made the project's secret; its id is what every command names.
    let keys = Keys::load(&Layout::new(project.path())).unwrap();
    let line = format!(
        "links: signed with key {} (from state/secret)",
        keys.key_id()
    );
    sent.stdout_has(&line);
    project.run(&["status"]).stdout_has(&line);
    let serve = Serve::launch(&project, None, &[]);
    assert!(
        serve
            .first
            .contains(&format!("signed with key {}", keys.key_id())),
        "{}",
        serve.first
    );
    // A secret from the environment is named as such.
    let from_env = Keys::new(SECRET, &[]).unwrap();
    let output = Output::from(
        project
            .command()
            .env("VERDICT_SECRET", SECRET)
            .arg("status")
            .output()
            .unwrap(),
    );
    output.stdout_has(&format!(
        "links: signed with key {} (from VERDICT_SECRET)",
        from_env.key_id()
    ));
    assert_ne!(from_env.key_id(), keys.key_id());
}
