//! `verdict check` reads every file any command reads, so that `serve` and
//! `send` refuse nothing that check passed: the sign-up emails, the addresses
//! of the service, a transport that would leak the password.

use crate::harness::TestProject;

/// Each mistake (file, from, to), what check says about it, and a piece of the
/// line it points at (the mistake's own line when empty).
const MISTAKES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "templates/emails.toml",
        "and you will not hear from us again.\n\"\"\"",
        "and you will not hear from us again.",
        "this multi-line string is never closed",
        "text = \"\"\"",
    ),
    (
        "templates/emails.toml",
        "[welcome]",
        "[welcom]",
        "unknown field `welcom` in templates/emails.toml",
        "",
    ),
    (
        "templates/emails.toml",
        "**[Confirm your subscription]({link})**",
        "**Confirm your subscription**",
        "the confirmation email has no {link}",
        "text = \"\"\"",
    ),
    (
        "templates/emails.toml",
        "(the link works for {days} days)",
        "(the link works for {dayz} days)",
        "unknown placeholder {dayz}",
        "",
    ),
    (
        "templates/emails.toml",
        "Read the latest one now: [{latest}]({latest})",
        "Read the latest one now: [here](javascript:alert(1))",
        "a `javascript:` link is never shown",
        "",
    ),
    (
        "verdict.toml",
        "unsubscribe_url = \"https://verdicts.example.com/unsubscribe\"",
        "unsubscribe_url = \"https://verdicts.example.com/vote\"",
        "`verdict serve` answers /vote itself",
        "",
    ),
    (
        "verdict.toml",
        "transport = \"outbox:outbox\"",
        "transport = \"smtp://newsletter@smtp.example.invalid:25\"",
        "this transport would send the SMTP password in clear text",
        "",
    ),
    (
        "verdict.toml",
        "base_url = \"https://verdicts.example.com\"",
        "base_url = \"http://verdicts.example.com\"",
        "`http://verdicts.example.com` is not an https:// URL",
        "",
    ),
];

#[test]
fn check_refuses_what_serve_and_send_would_refuse_at_its_line() {
    for (file, from, to, message, at) in MISTAKES {
        let project = TestProject::demo();
        project.edit(file, from, to);
        let at = if at.is_empty() { to } else { at };
        let line = project
            .read(file)
            .lines()
            .position(|l| l.contains(at))
            .unwrap()
            + 1;
        let check = project.run(&["check"]);
        check.code(2);
        check.stderr_has(message);
        check.stderr_has(&format!("{file}:{line}:"));
        // serve reads all of these: it refuses them too, at once, as check did.
        let serve = project.run(&["serve", "--listen", "127.0.0.1:0"]);
        assert_eq!(serve.code, 2, "serve with {to}: {serve:?}");
    }
}

#[test]
fn addresses_on_this_machine_are_accepted_with_a_warning_and_nothing_else() {
    for (url, accepted) in [
        ("http://localhost:8080", true),
        ("http://127.0.0.1:33080", true),
        ("http://[::1]:8080", true),
        ("http://news.localhost", true),
        ("http://localhost.example.com", false),
        ("http://127.0.0.1.example.com", false),
        ("http://10.0.0.1", false),
        ("ftp://localhost", false),
    ] {
        let project = TestProject::demo();
        project.edit(
            "verdict.toml",
            "base_url = \"https://verdicts.example.com\"",
            &format!("base_url = \"{url}\""),
        );
        let check = project.run(&["check"]);
        if accepted {
            check.success();
            check.stderr_has("warning: `base_url` is on this machine");
        } else {
            check.code(2);
            check.stderr_has(&format!("`{url}` is not an https:// URL"));
        }
    }
}

#[test]
fn check_reads_the_state_a_send_would_stop_on() {
    let project = TestProject::demo();
    std::fs::create_dir_all(project.path().join("state/ledger")).unwrap();
    project.write(
        &format!("state/ledger/{}.log", crate::harness::DEMO_ISSUE),
        "{\"kind\":\"start\",\"at\":\"2026-11-26T09:00:00Z\"}\nnot json\n{\"kind\":\"start\",\"at\":\"2026-11-26T09:00:00Z\"}\n",
    );
    let check = project.run(&["check"]);
    check.code(2);
    check.stderr_has(&format!(
        "{}.log:2: unreadable record",
        crate::harness::DEMO_ISSUE
    ));
    project.remove(&format!("state/ledger/{}.log", crate::harness::DEMO_ISSUE));
    project.run(&["check"]).success();
    // A damaged relay book matters once there are relays.
    project.write("state/relays.json", "{\"day\": \"2026-11-28\", \"deliv");
    project.run(&["check"]).success();
    project.write(
        "verdict.toml",
        &format!(
            "{}\n[[relay]]\nname = \"only\"\ntransport = \"outbox:outbox\"\ndaily_cap = 5\n",
            project.read("verdict.toml")
        ),
    );
    let check = project.run(&["check"]);
    check.code(2);
    check.stderr_has("state/relays.json:1:");
}

#[test]
fn a_list_row_with_extra_fields_or_a_dotless_domain_stops_check_and_send() {
    const SUPPRESSED: &str = "subscribers/suppressed.csv";
    for (file, content, place, message) in [
        (
            "subscribers/subscribers.csv",
            "email,name,subscribed_at,consent\nann@example.com,Ann,,\nray@example.com,Ray,,,extra\n",
            "subscribers/subscribers.csv:3:23",
            "this row has 5 fields, but the header has 4",
        ),
        (
            SUPPRESSED,
            "email,reason,at,detail\nx@example.com,bounced,2026-11-02T10:15:00Z,550 no such user, gone\n",
            "subscribers/suppressed.csv:2:61",
            "this row has 5 fields, but the header has 4",
        ),
        (
            "subscribers/subscribers.csv",
            "email,name\nann@example.com,Ann\ndan@exmaple,Dan\n",
            "subscribers/subscribers.csv:3:1",
            "`dan@exmaple` has a domain without a dot",
        ),
    ] {
        let project = TestProject::demo();
        project.write(file, content);
        let check = project.run(&["check"]);
        check.code(2);
        check.stderr_has(place);
        check.stderr_has(message);
        let send = project.run(&["send"]);
        send.code(2);
        send.stderr_has(place);
        assert!(
            !project
                .path()
                .join(format!("state/ledger/{}.log", crate::harness::DEMO_ISSUE))
                .exists(),
            "nothing is recorded"
        );
    }
}
