//! `verdict check` reads every file any command reads, so that `serve` and
//! `send` refuse nothing that check passed: the sign-up emails, the addresses
//! of the service, a transport that would leak the password.

use crate::harness::{DEMO_ISSUE, TestProject};

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

/// Careless edits check refuses: (file, from, to, what it says, where it
/// points: a piece of the edited line, whose first character is the column).
const CARELESS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "templates/panel.toml",
        "name = \"The Builder\"",
        "name = \"\"",
        "`name` is empty",
        "\"\"",
    ),
    (
        "templates/panel.toml",
        "name = \"The Skeptic\"",
        "name = \"   \"",
        "`name` is empty",
        "\"   \"",
    ),
    (
        "templates/panel.toml",
        "role = \"Developer experience\"",
        "role = \"\"",
        "`role` is empty",
        "\"\"",
    ),
    (
        "templates/theme.toml",
        "header_text = \"Side-by-side AI tool comparisons\"",
        "header_text = \"\"",
        "`header_text` is empty",
        "\"\"",
    ),
    (
        "templates/theme.toml",
        "text = \"#111827\"",
        "text = \"rgba(0, 0, 0, 0.1)\"",
        "`rgba(0, 0, 0, 0.1)` is see-through: the colour must be opaque",
        "\"rgba",
    ),
    (
        "templates/theme.toml",
        "ship = \"#047857\"\nskip = \"#b91c1c\"\nbar_track = \"#e5e7eb\"",
        "ship = \"transparent\"\nskip = \"#b91c1c\"\nbar_track = \"#e5e7eb\"",
        "`transparent` is see-through: the colour must be opaque",
        "\"transparent\"",
    ),
    (
        "verdict.toml",
        "from = \"Weekly AI Tool Verdicts <verdicts@example.com>\"",
        "from = \"hello@@promptcirc\"",
        "`hello@@promptcirc` is not a valid email address: it has 2 `@` where an address has one",
        "\"hello",
    ),
    (
        "issues/2026-11-26-axolotl-vs-mistral-medium-3.toml",
        "tool = \"mistral-medium-3\"",
        "tool = \"axolotl\"",
        "tool 2 is tool 1 again: the profile `axolotl` is compared with itself",
        "\"axolotl\"",
    ),
    (
        "issues/2026-11-26-axolotl-vs-mistral-medium-3.toml",
        "tool = \"mistral-medium-3\"",
        "tool = \"mistral-medium-3\"\nname = \"AXOLOTL\"",
        "tool 2 is tool 1 again: `AXOLOTL` is compared with itself",
        "\"AXOLOTL\"",
    ),
];

#[test]
fn careless_edits_are_errors_at_their_line_and_column() {
    for (file, from, to, message, at) in CARELESS {
        let project = TestProject::demo();
        let before = project.read(file);
        let edited_at = before
            .find(from)
            .unwrap_or_else(|| panic!("{file} has no {from:?}"));
        project.edit(file, from, to);
        let edited = project.read(file);
        let point = edited_at + to.find(at).unwrap();
        let line = edited[..point].matches('\n').count() + 1;
        let column = point - edited[..point].rfind('\n').map_or(0, |n| n + 1) + 1;
        let check = project.run(&["check"]);
        check.code(2);
        check.stderr_has(message);
        check.stderr_has(&format!("{file}:{line}:{column}"));
        check.stderr_has(": 1 error(s)");
    }
}

#[test]
fn a_colour_too_dark_for_both_its_backgrounds_gets_one_warning_that_can_work() {
    let project = TestProject::demo();
    project.edit(
        "templates/theme.toml",
        "text = \"#e5e7eb\"",
        "text = \"#1a1a1a\"",
    );
    let line = project
        .read("templates/theme.toml")
        .lines()
        .position(|l| l == "text = \"#1a1a1a\"")
        .unwrap()
        + 1;
    let check = project.run(&["check"]);
    check.success();
    let at_the_line = format!("templates/theme.toml:{line}:8");
    assert_eq!(
        check.stderr.matches(&at_the_line).count(),
        1,
        "{}",
        check.stderr
    );
    // Body text on the surface and the header on the background both fail,
    // and only lighter text can reach 4.5:1 on either dark colour.
    check.stderr_has(
        "dark: text on surface (body text: #1a1a1a on #151b2b) is 1.01:1 and text on background",
    );
    check.stderr_has("lighten `text` in [dark_colors] until the ratio reaches 4.5:1");
    check.stderr_has("lighten this colour");
    assert!(!check.stderr.contains("darken"), "{}", check.stderr);
}

#[test]
fn a_colour_between_a_light_and_a_dark_background_is_told_to_move_them() {
    let project = TestProject::demo();
    // Light cards on a dark page: no text colour reads on both.
    project.edit(
        "templates/theme.toml",
        "background = \"#f3f4f6\"",
        "background = \"#333333\"",
    );
    let check = project.run(&["check"]);
    check.success();
    check.stderr_has(
        "no single change of `text` reaches 4.5:1 on all of `surface` and `background` in [colors]",
    );
    check.stderr_has("no shade of this colour passes on all of them");
    assert_eq!(
        check.stderr.matches("light: text on").count(),
        1,
        "{}",
        check.stderr
    );
}

#[test]
fn an_unclosed_strong_marker_is_a_warning_at_it() {
    let project = TestProject::demo();
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "Pick **Axolotl v0.16** if",
        "Pick **Axolotl v0.16 if",
    );
    let check = project.run(&["check"]);
    check.success();
    check.stderr_has("this `**` is not closed: readers would see the asterisks");
    check.stderr_has(&format!("issues/{DEMO_ISSUE}.toml:13:6"));
}
