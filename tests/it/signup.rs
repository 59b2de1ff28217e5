//! Readers join and vote through `verdict serve`, against the running binary:
//! double opt-in with the confirmation and welcome emails in the outbox,
//! resubscribing, answers that do not tell who is on the list, limits, expired
//! and forged links, and votes recorded once per reader and tool.

use std::collections::HashSet;
use std::path::PathBuf;

use mail_parser::MessageParser;
use verdict::store::tokens::{Keys, Purpose};

use crate::browser::{Look, open};
use crate::harness::{DEMO_ISSUE, TestProject, link_in};
use crate::server::{SECRET, Serve, get, post, send_with_secret};

/// The .eml files in the project's outbox, newest last.
pub(crate) fn outbox(project: &TestProject) -> Vec<PathBuf> {
    let dir = project.path().join("outbox");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
    files
}

/// The messages in the outbox to one address.
pub(crate) fn mail_to(project: &TestProject, email: &str) -> Vec<String> {
    outbox(project)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .filter_map(|raw| {
            let message = MessageParser::default().parse(&raw)?;
            let to = message.to()?.first()?.address()?.to_string();
            (to == email).then(|| String::from_utf8_lossy(&raw).into_owned())
        })
        .collect()
}

/// Waits for the service to decide on `n` sign-ups in all, then returns the
/// messages to `email` (a confirmation decided on is in the outbox once the
/// line "confirmation sent" is printed).
pub(crate) fn after_sign_ups(
    serve: &Serve,
    n: usize,
    project: &TestProject,
    email: &str,
) -> Vec<String> {
    serve.wait_for("sign-up: ", n);
    mail_to(project, email)
}

/// The confirmation link mailed to `email`, once the service has decided on
/// its first sign-up.
fn confirmation_link(serve: &Serve, project: &TestProject, email: &str) -> String {
    link_in(
        &text_of(&after_sign_ups(serve, 1, project, email)[0]),
        "https://verdicts.example.com/subscribe/confirm?",
    )
}

pub(crate) fn text_of(raw: &str) -> String {
    let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
    message.body_text(0).unwrap().into_owned()
}

pub(crate) fn local(serve: &Serve, link: &str) -> String {
    link.replace("https://verdicts.example.com", &serve.base)
}

fn sign_up(serve: &Serve, email: &str, name: &str) -> (u16, String) {
    let body = format!(
        "email={}&name={}&website=",
        urlencode(email),
        urlencode(name)
    );
    post(&format!("{}/subscribe", serve.base), &body)
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[test]
fn a_reader_signs_up_confirms_and_is_welcomed() {
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    let (status, page) = sign_up(&serve, "New.Reader@Example.com", "Nina <b>Spam</b>");
    assert_eq!(status, 200);
    assert!(page.contains("Check your inbox"));
    let confirmations = after_sign_ups(&serve, 1, &project, "new.reader@example.com");
    assert_eq!(confirmations.len(), 1);
    let text = text_of(&confirmations[0]);
    assert!(
        !confirmations[0].contains("Nina"),
        "the confirmation carries nothing the requester typed"
    );
    let link = link_in(&text, "https://verdicts.example.com/subscribe/confirm?");
    let before = project.rows("subscribers/subscribers.csv");

    let (status, page) = get(&local(&serve, &link));
    assert_eq!(status, 200);
    assert!(page.contains("<form method=\"post\""), "{page}");
    assert!(
        !page.contains("<script"),
        "no page acts by script, so a link scanner confirms nothing: {page}"
    );
    assert!(
        page.contains("as <strong>Nina &lt;b&gt;Spam&lt;/b&gt;</strong>"),
        "the name typed is shown, escaped, before it is kept: {page}"
    );
    assert_eq!(
        project.rows("subscribers/subscribers.csv"),
        before,
        "GET subscribes nobody"
    );

    let (status, page) = post(&local(&serve, &link), "");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You are subscribed"));
    let list = project.rows("subscribers/subscribers.csv");
    let row = list
        .lines()
        .find(|l| l.starts_with("new.reader@example.com,"))
        .expect("on the list");
    assert!(row.contains("Nina <b>Spam</b>"), "{row}");
    assert!(
        row.contains("double opt-in: asked 20")
            && row.contains("through the sign-up form, confirmed 20"),
        "{row}"
    );
    assert!(
        list.starts_with("email,name,subscribed_at,consent\n"),
        "{list}"
    );

    let mail = mail_to(&project, "new.reader@example.com");
    assert_eq!(mail.len(), 2, "a welcome email");
    let welcome = text_of(&mail[1]);
    assert!(
        welcome.contains(&format!(
            "https://verdicts.example.com/issues/{DEMO_ISSUE}.html"
        )),
        "{welcome}"
    );
    assert!(mail[1].contains("List-Unsubscribe: <https://verdicts.example.com/unsubscribe?u="));
    // A second confirmation changes nothing and sends nothing.
    assert_eq!(post(&local(&serve, &link), "").0, 200);
    assert_eq!(mail_to(&project, "new.reader@example.com").len(), 2);
    assert_eq!(
        project
            .rows("subscribers/subscribers.csv")
            .matches("new.reader@example.com")
            .count(),
        1
    );
    // The next issue goes to them.
    project.write(
        "issues/2026-12-03-next.toml",
        &project.read(&format!("issues/{DEMO_ISSUE}.toml")),
    );
    project.run(&["send"]).success();
    assert_eq!(
        mail_to(&project, "new.reader@example.com").len(),
        4,
        "both due issues reach them"
    );
}

#[test]
fn an_unsubscribed_reader_comes_back_only_through_a_confirmed_sign_up() {
    let project = TestProject::demo();
    // ops@example.org unsubscribed earlier (the demo's suppression list).
    assert!(project.run(&["subscribers", "add", "ops@example.org"]).code == 2);
    let serve = Serve::start(&project);
    sign_up(&serve, "ops@example.org", "");
    let link = confirmation_link(&serve, &project, "ops@example.org");
    assert_eq!(post(&local(&serve, &link), "").0, 200);
    let history = project.rows("subscribers/suppressed.csv");
    let unsubscribed = history.find("ops@example.org,unsubscribed").unwrap();
    let resubscribed = history.find("ops@example.org,resubscribed").unwrap();
    assert!(
        unsubscribed < resubscribed,
        "the history is kept:\n{history}"
    );
    project.run(&["send"]).success();
    assert!(
        mail_to(&project, "ops@example.org").len() >= 2,
        "the issue reaches them again"
    );
}

#[test]
fn the_unsubscribe_page_offers_the_way_back_through_a_confirmed_sign_up() {
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    let email = "ml-team@example.com";
    let (status, page) = post(&serve.link(email), "List-Unsubscribe=One-Click");
    assert_eq!(status, 200);
    assert!(page.contains("You are unsubscribed"), "{page}");
    // The undo is a form a person submits, for this address, on this host.
    let form = &page[page.find("<form").expect("an undo form")..];
    let form = &form[..form.find("</form>").unwrap()];
    assert!(
        form.contains("method=\"post\" action=\"/subscribe\""),
        "{form}"
    );
    assert!(
        form.contains(&format!("name=\"email\" value=\"{email}\"")),
        "{form}"
    );
    assert!(!page.contains("<script"));
    // Submitting it subscribes nobody: it mails a link to confirm.
    let (status, page) = post(
        &format!("{}/subscribe", serve.base),
        &format!("email={}", urlencode(email)),
    );
    assert_eq!(status, 200);
    assert!(page.contains("Check your inbox"), "{page}");
    let suppressed = |project: &TestProject| {
        project
            .rows("subscribers/suppressed.csv")
            .lines()
            .filter(|l| l.starts_with(email))
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(suppressed(&project), ["unsubscribed"]);
    let link = confirmation_link(&serve, &project, email);
    assert_eq!(get(&local(&serve, &link)).0, 200);
    assert_eq!(
        suppressed(&project),
        ["unsubscribed"],
        "GET changes nothing"
    );
    let (status, page) = post(&local(&serve, &link), "");
    assert_eq!(status, 200);
    assert!(page.contains("You are subscribed"), "{page}");
    assert_eq!(suppressed(&project), ["unsubscribed", "resubscribed"]);
}

#[test]
fn the_answer_does_not_tell_who_is_on_the_list() {
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    sign_up(&serve, "pending@example.com", "");
    let answers: HashSet<(u16, String)> = [
        "brand-new@example.com",
        "pending@example.com",
        "ml-team@example.com",
        "ops@example.org",
    ]
    .iter()
    .map(|email| sign_up(&serve, email, ""))
    .collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    serve.wait_for("sign-up: ", 5);
    assert!(
        mail_to(&project, "ml-team@example.com").is_empty(),
        "a subscriber gets nothing"
    );
    assert_eq!(
        mail_to(&project, "pending@example.com").len(),
        1,
        "one confirmation per address within the window"
    );
}

#[test]
fn limits_honeypot_and_bad_input() {
    let project = TestProject::demo();
    project.write(
        "verdict.toml",
        &format!(
            "{}\n[signup]\nper_client_per_hour = 4\nper_hour = 2\n",
            project.read("verdict.toml")
        ),
    );
    let serve = Serve::start(&project);
    let (status, _) = post(
        &format!("{}/subscribe", serve.base),
        "email=bot%40example.com&website=http%3A%2F%2Fspam",
    );
    assert_eq!(status, 200, "a bot gets the same answer");
    assert!(
        mail_to(&project, "bot@example.com").is_empty(),
        "and nothing is sent"
    );
    sign_up(&serve, "one@example.com", "");
    sign_up(&serve, "two@example.com", "");
    let (status, _) = sign_up(&serve, "three@example.com", "");
    assert_eq!(status, 200);
    serve.wait_for("sign-up: ", 3);
    serve.wait_for("sign-up: nothing sent (the hourly cap", 1);
    assert!(
        mail_to(&project, "three@example.com").is_empty(),
        "over the hourly cap nothing is sent"
    );
    let (status, _) = sign_up(&serve, "four@example.com", "");
    assert_eq!(status, 429, "over the cap per client");
    // X-Forwarded-For from a peer that is not a trusted proxy changes nothing.
    let forged = crate::server::agent()
        .post(&format!("{}/subscribe", serve.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", "203.0.113.7")
        .send("email=five%40example.com")
        .unwrap();
    assert_eq!(forged.status().as_u16(), 429);
    project
        .run(&["status"])
        .stdout_has("sign-ups: the hourly cap of confirmation emails was reached at");

    let fresh = TestProject::demo();
    fresh.write(
        "verdict.toml",
        &format!(
            "{}\n[signup]\nper_client_per_hour = 20\n",
            fresh.read("verdict.toml")
        ),
    );
    let serve = Serve::start(&fresh);
    assert_eq!(sign_up(&serve, "not an address", "").0, 400);
    assert_eq!(sign_up(&serve, "ok@example.com", &"x".repeat(101)).0, 400);
    assert_eq!(sign_up(&serve, "ok@example.com", "two\nlines").0, 400);
    for name in [
        "Nina http://spam.example",
        "see spam.example",
        "Ada\u{202E}gpj.exe",
    ] {
        assert_eq!(sign_up(&serve, "ok@example.com", name).0, 400, "{name}");
    }
    assert_eq!(
        post(
            &format!("{}/subscribe", serve.base),
            &format!("email=a%40example.com&name={}", "x".repeat(5000))
        )
        .0,
        413
    );
    assert!(outbox(&fresh).is_empty());
}

#[test]
fn forged_altered_and_expired_links_subscribe_nobody() {
    let project = TestProject::demo();
    let serve = Serve::start(&project);
    sign_up(&serve, "careful@example.com", "");
    let link = local(
        &serve,
        &confirmation_link(&serve, &project, "careful@example.com"),
    );
    let before = project.rows("subscribers/subscribers.csv");
    // Garbled links get the same themed answer as forged ones.
    for garbled in [
        format!("{}/subscribe/confirm?p=x&e=soon&t=y", serve.base),
        format!("{}/vote?i=x&n=many&v=ship", serve.base),
    ] {
        let (status, page) = get(&garbled);
        assert_eq!(status, 403, "{garbled}");
        assert!(page.contains("<h1>This link is not valid</h1>"), "{page}");
    }
    let altered_id = link.replacen("p=", "p=0", 1);
    let forged = format!(
        "{}/subscribe/confirm?p={}&e=9999999999&t=AAAA",
        serve.base,
        "0".repeat(32)
    );
    let expires: i64 = link
        .split("e=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let later = link.replace(&format!("e={expires}"), &format!("e={}", expires + 3600));
    for bad in [&altered_id, &forged, &later] {
        assert_eq!(get(bad).0, 403, "{bad}");
        assert_eq!(post(bad, "").0, 403, "{bad}");
    }
    // A link signed right but past its time.
    let id = link.split("p=").nth(1).unwrap().split('&').next().unwrap();
    let past = chrono::Utc::now().timestamp() - 60;
    let token = Keys::new(SECRET, &[])
        .unwrap()
        .sign(Purpose::Confirm, &format!("{id}:{past}"));
    let expired = format!("{}/subscribe/confirm?p={id}&e={past}&t={token}", serve.base);
    assert_eq!(get(&expired).0, 410);
    assert_eq!(post(&expired, "").0, 410);
    assert_eq!(project.rows("subscribers/subscribers.csv"), before);
}

/// The vote links of one reader's copy of the demo issue, as (ship, skip) per tool.
fn vote_links(project: &TestProject, email: &str) -> Vec<(String, String)> {
    let raw = mail_to(project, email)
        .into_iter()
        .next()
        .expect("the issue in the outbox");
    let text = text_of(&raw);
    let links: Vec<String> = text
        .lines()
        .filter(|l| {
            l.trim_start().starts_with("Ship it:") || l.trim_start().starts_with("Skip it:")
        })
        .map(|l| l.split_whitespace().last().unwrap().to_string())
        .collect();
    links
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect()
}

#[test]
fn readers_vote_once_per_tool_the_last_vote_counts_and_tallies_show_from_the_minimum() {
    let project = TestProject::demo();
    project.write(
        "verdict.toml",
        &format!(
            "{}\n[community]\nmin_votes = 3\n",
            project.read("verdict.toml")
        ),
    );
    send_with_secret(&project);
    let serve = Serve::start(&project);
    let ml = vote_links(&project, "ml-team@example.com");
    assert_eq!(ml.len(), 2, "a ship and a skip link per tool");
    let (status, page) = get(&local(&serve, &ml[0].0));
    assert_eq!(status, 200);
    assert!(
        page.contains("Axolotl v0.16") && page.contains("ship it"),
        "{page}"
    );
    assert!(
        !project
            .path()
            .join(format!("state/votes/{DEMO_ISSUE}.log"))
            .exists(),
        "GET records nothing"
    );
    assert_eq!(post(&local(&serve, &ml[0].0), "").0, 200);
    assert_eq!(
        post(&local(&serve, &ml[0].1), "").0,
        200,
        "a change of mind"
    );
    for email in ["labs@example.org", "qa@example.com"] {
        let links = vote_links(&project, email);
        assert_eq!(post(&local(&serve, &links[0].0), "").0, 200);
    }
    let votes = project.run(&["votes", DEMO_ISSUE]);
    votes.success();
    votes.stdout_has("Axolotl v0.16: 2 ship, 1 skip: community 67%");
    votes.stdout_has(
        "Mistral Medium 3 (72B Instruct): 0 ship, 0 skip: community \u{2014} (shown from 3 votes)",
    );
    project.run(&["status", DEMO_ISSUE]).stdout_has(
        "readers: Axolotl v0.16: 2 ship, 1 skip: community 67%; 0 clicks (email 0, site 0)",
    );
    project.run(&["archive"]).success();
    let page = project.read(&format!("public/issues/{DEMO_ISSUE}.html"));
    assert!(
        page.contains("<dt>Community</dt><dd>67%</dd>"),
        "the page shows the tally"
    );
    let out = project.preview(DEMO_ISSUE, &[]);
    assert!(
        std::fs::read_to_string(out.join(format!("{DEMO_ISSUE}.txt")))
            .unwrap()
            .contains("Community:  67%")
    );
    // Forged or altered links record nothing.
    let log = project.read(&format!("state/votes/{DEMO_ISSUE}.log"));
    let altered = local(&serve, &ml[0].0.replace("v=ship", "v=skip"));
    let other_tool = local(&serve, &ml[0].0.replace("n=0", "n=1"));
    let other_reader = local(
        &serve,
        &ml[0]
            .0
            .replace("u=bWwtdGVhbUBleGFtcGxlLmNvbQ", "u=bGFic0BleGFtcGxlLm9yZw"),
    );
    for bad in [altered, other_tool, other_reader] {
        assert_eq!(post(&bad, "").0, 403, "{bad}");
    }
    assert_eq!(project.read(&format!("state/votes/{DEMO_ISSUE}.log")), log);
    // The issue file's own figure wins.
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "# No community vote yet: it renders as \"—\".",
        "community_vote = 50",
    );
    project
        .run(&["votes", DEMO_ISSUE])
        .stdout_has("community 50% (set in the issue file)");
}

#[test]
fn the_vote_page_shows_the_tally_and_leads_to_the_issue_and_the_other_tool() {
    let project = project_with("[community]\nmin_votes = 2");
    send_with_secret(&project);
    let serve = Serve::start(&project);
    let ml = vote_links(&project, "ml-team@example.com");
    let (status, page) = get(&local(&serve, &ml[0].0));
    assert_eq!(status, 200);
    assert!(
        page.contains(
            "<strong>Axolotl v0.16</strong>: 0 votes so far; the readers' figure shows from 2 votes (2 more)"
        ),
        "{page}"
    );
    assert!(page.contains(&format!(
        "href=\"https://verdicts.example.com/issues/{DEMO_ISSUE}.html\""
    )));
    // The reader's own links to vote on the other tool.
    let other = link_in(&page, "https://verdicts.example.com/vote?i=").replace("&amp;", "&");
    let other = other.split('"').next().unwrap().to_string();
    assert_eq!(other, ml[1].0, "the email's ship link for the other tool");
    assert!(page.contains(&ml[1].1.replace('&', "&amp;")));
    assert!(
        !page.contains(&ml[0].1.replace('&', "&amp;")),
        "not this tool's"
    );

    let (status, page) = post(&local(&serve, &ml[0].0), "");
    assert_eq!(status, 200);
    assert!(page.contains("Your vote counts"), "{page}");
    assert!(
        page.contains("1 vote so far"),
        "the vote just made counts: {page}"
    );
    let labs = vote_links(&project, "labs@example.org");
    let (_, page) = post(&local(&serve, &labs[0].1), "");
    assert!(
        page.contains("<strong>Axolotl v0.16</strong>: 50% ship, from 2 votes"),
        "{page}"
    );
    // The issue file's own figure is what readers see.
    project.edit(
        &format!("issues/{DEMO_ISSUE}.toml"),
        "# No community vote yet: it renders as \"—\".",
        "community_vote = 40",
    );
    let (_, page) = get(&local(&serve, &ml[1].1));
    assert!(
        page.contains("<strong>Axolotl v0.16</strong>: 40% ship (the editors' figure)"),
        "{page}"
    );
}

#[test]
fn in_a_real_browser_a_reader_joins_from_the_page_and_ends_on_the_list() {
    let project = TestProject::demo();
    project.run(&["archive"]).success();
    let serve = Serve::start(&project);
    let page = open(
        &format!("{}/issues/{DEMO_ISSUE}.html", serve.base),
        &Look::at(375)
            .type_into("#email", "browser.reader@example.com")
            .type_into("#name", "Bea")
            .submit("form button[type=submit]")
            .eval("return document.querySelector('h1').textContent"),
    );
    assert_eq!(page.eval(0), "Check your inbox");
    let link = confirmation_link(&serve, &project, "browser.reader@example.com");
    let before = project.rows("subscribers/subscribers.csv");
    // A mail scanner opens the link in a browser: it confirms nothing.
    let scanned = open(
        &local(&serve, &link),
        &Look::at(375).eval("return document.querySelector('h1').textContent"),
    );
    assert_eq!(
        scanned.eval(0),
        "Confirm your subscription to Weekly AI Tool Verdicts"
    );
    assert_eq!(project.rows("subscribers/subscribers.csv"), before);
    // A person clicks.
    let confirmed = open(
        &local(&serve, &link),
        &Look::at(375)
            .submit("form button[type=submit]")
            .eval("return document.querySelector('h1').textContent"),
    );
    assert_eq!(confirmed.eval(0), "You are subscribed");
    let list = project.rows("subscribers/subscribers.csv");
    assert!(
        list.lines()
            .any(|l| l.starts_with("browser.reader@example.com,Bea,")),
        "{list}"
    );
}

#[test]
fn in_a_real_browser_a_scanner_that_opens_every_vote_link_casts_no_vote() {
    let project = project_with("[community]\nmin_votes = 1");
    send_with_secret(&project);
    let serve = Serve::start(&project);
    let links: Vec<String> = vote_links(&project, "ml-team@example.com")
        .into_iter()
        .flat_map(|(ship, skip)| [local(&serve, &ship), local(&serve, &skip)])
        .collect();
    assert_eq!(links.len(), 4, "ship and skip for each tool");
    let log = project.path().join(format!("state/votes/{DEMO_ISSUE}.log"));
    // A mail security gateway opens all four links of the email in a
    // browser, as the reader's mail arrives: every page loads, nothing counts.
    let heading = "return document.querySelector('h1').textContent";
    let scanned = open(
        &links[0],
        &links[1..]
            .iter()
            .fold(Look::at(375).eval(heading), |look, url| {
                look.then(url, None)
            }),
    );
    let titles: Vec<serde_json::Value> = std::iter::once(scanned.eval(0).clone())
        .chain(scanned.visits().iter().map(|page| page.eval(0).clone()))
        .collect();
    assert_eq!(
        titles,
        [
            "Your vote on Axolotl v0.16",
            "Your vote on Axolotl v0.16",
            "Your vote on Mistral Medium 3 (72B Instruct)",
            "Your vote on Mistral Medium 3 (72B Instruct)",
        ]
    );
    assert!(!log.exists(), "a scanner's visits were recorded as votes");
    project
        .run(&["votes", DEMO_ISSUE])
        .stdout_has("Axolotl v0.16: 0 ship, 0 skip: community \u{2014} (shown from 1 vote);");
    // The reader presses the button on one of them: that one vote counts.
    let voted = open(
        &links[3],
        &Look::at(375)
            .submit("form button[type=submit]")
            .eval(heading),
    );
    assert_eq!(voted.eval(0), "Your vote counts");
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
    project
        .run(&["votes", DEMO_ISSUE])
        .stdout_has("Mistral Medium 3 (72B Instruct): 0 ship, 1 skip");
}

#[test]
fn in_a_real_browser_the_services_pages_wear_the_theme_and_pass_axe_light_and_dark() {
    let project = TestProject::demo();
    send_with_secret(&project);
    let serve = Serve::start(&project);
    sign_up(&serve, "browser.page@example.com", "");
    let confirm = local(
        &serve,
        &confirmation_link(&serve, &project, "browser.page@example.com"),
    );
    let vote = vote_links(&project, "ml-team@example.com");
    let submit = Some("form button[type=submit]");
    let pages = [
        (
            local(&serve, &vote[0].0),
            None,
            "Your vote on Axolotl v0.16",
        ),
        (local(&serve, &vote[0].1), submit, "Your vote counts"),
        (
            confirm.clone(),
            None,
            "Confirm your subscription to Weekly AI Tool Verdicts",
        ),
        (confirm, submit, "You are subscribed"),
        (
            serve.link("labs@example.org"),
            None,
            "Unsubscribe from Weekly AI Tool Verdicts?",
        ),
        (serve.link("qa@example.com"), submit, "You are unsubscribed"),
        (
            format!("{}/unsubscribe?u=x&t=y", serve.base),
            None,
            "This link is not valid",
        ),
        (
            format!("{}/nothing.html", serve.base),
            None,
            "Page not found",
        ),
    ];
    let seen = "return [document.querySelector('h1').textContent, \
                getComputedStyle(document.body).backgroundColor, \
                document.querySelectorAll('script').length, \
                [...document.querySelectorAll('main a')].some(a => a.href.startsWith('https://verdicts.example.com/'))]";
    // Two browsers, light at 375 px and dark at 1280 px, each going through
    // every page.
    for (look, background) in [
        (Look::at(375).axe(), "rgb(243, 244, 246)"),
        (Look::at(1280).axe().dark(), "rgb(11, 15, 25)"),
    ] {
        let (first, press, _) = &pages[0];
        let look = pages[1..]
            .iter()
            .fold(look.eval(seen), |look, (url, press, _)| {
                look.then(url, *press)
            });
        let look = match press {
            Some(selector) => look.submit(selector),
            None => look,
        };
        let first_page = open(first, &look);
        let shown = std::iter::once(first_page.report.clone())
            .chain(first_page.visits().into_iter().map(|p| p.report));
        for (report, (_, _, title)) in shown.zip(&pages) {
            let shown = crate::browser::Page { report };
            let what = format!(
                "{title} at {}px{}",
                look.width,
                if look.dark { " dark" } else { "" }
            );
            assert_eq!(shown.eval(0)[0], *title, "{what}");
            assert_eq!(shown.eval(0)[1], background, "{what}: the theme's colours");
            assert_eq!(shown.eval(0)[2], 0, "{what}: no script");
            assert_eq!(shown.eval(0)[3], true, "{what}: a way back to the site");
            assert!(!shown.overflows(), "{what}: {:?}", shown.report);
            assert_eq!(shown.violations(), Vec::<String>::new(), "{what}");
            // An error page's own status is all Chromium may complain of.
            let errors: Vec<String> = shown
                .console_errors()
                .into_iter()
                .filter(|e| !e.contains("the server responded with a status of 40"))
                .collect();
            assert_eq!(errors, Vec::<String>::new(), "{what}");
        }
    }
}

/// The demo project with `extra` appended to its verdict.toml.
fn project_with(extra: &str) -> TestProject {
    let project = TestProject::demo();
    project.write(
        "verdict.toml",
        &format!("{}\n{extra}\n", project.read("verdict.toml")),
    );
    project
}

#[test]
fn a_relay_that_refuses_or_goes_silent_changes_nothing_in_the_answer_or_the_log() {
    use crate::smtp::SmtpServer;
    for (stage, reply) in [
        (
            "rcpt",
            "550 5.1.1 <refused.reader@example.com>: Recipient address rejected",
        ),
        ("rcpt-silent", ""),
    ] {
        let relay = SmtpServer::with_faults(&[("*", stage, reply, None)]);
        let project = TestProject::demo();
        project.edit(
            "verdict.toml",
            "transport = \"outbox:outbox\"",
            &format!("transport = \"{}\"", relay.url()),
        );
        let serve = Serve::start(&project);
        let (status, page) = sign_up(&serve, "refused.reader@example.com", "");
        assert_eq!(status, 200, "{stage}: {page}");
        assert!(page.contains("Check your inbox"));
        if stage == "rcpt" {
            serve.wait_for("sign-up: confirmation not sent", 1);
            // The refusal is logged, its address masked.
            let errors = serve.wait_for_error("…@example.com");
            for line in errors.iter().chain(serve.output().iter()) {
                assert!(!line.contains("refused.reader"), "{line}");
            }
        }
    }
}

#[test]
fn addresses_that_bounced_or_complained_get_no_confirmation_whoever_asks() {
    let project = TestProject::demo();
    let suppressed = project.read("subscribers/suppressed.csv");
    project.write(
        "subscribers/suppressed.csv",
        &format!(
            "{suppressed}gone@example.com,bounced,2026-01-01T00:00:00Z,550 5.1.1\nangry@example.com,complained,2026-01-01T00:00:00Z,feedback abuse\n"
        ),
    );
    let serve = Serve::start(&project);
    let answers: HashSet<(u16, String)> =
        ["gone@example.com", "angry@example.com", "ops@example.org"]
            .iter()
            .map(|email| sign_up(&serve, email, ""))
            .collect();
    assert_eq!(answers.len(), 1, "one answer for all");
    serve.wait_for(
        "sign-up: nothing sent (suppressed as bounced or complained)",
        2,
    );
    serve.wait_for("sign-up: confirmation sent", 1);
    assert!(mail_to(&project, "gone@example.com").is_empty());
    assert!(mail_to(&project, "angry@example.com").is_empty());
    assert_eq!(
        mail_to(&project, "ops@example.org").len(),
        1,
        "an address that unsubscribed may come back through a confirmation"
    );
}

#[test]
fn tags_of_one_mailbox_and_one_domain_are_limited_as_one() {
    let project = project_with("[signup]\nper_client_per_hour = 100\nper_domain_per_hour = 3");
    let serve = Serve::start(&project);
    for tag in 1..=10 {
        sign_up(&serve, &format!("victim+{tag}@example.com"), "");
    }
    for n in 1..=5 {
        sign_up(&serve, &format!("reader{n}@elsewhere.example"), "");
    }
    serve.wait_for("sign-up: ", 15);
    let to_victim = outbox(&project)
        .iter()
        .filter(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).contains("To: victim+"))
        .count();
    assert_eq!(to_victim, 1, "ten tags of one mailbox get one confirmation");
    let to_domain = outbox(&project)
        .iter()
        .filter(|p| {
            String::from_utf8_lossy(&std::fs::read(p).unwrap()).contains("@elsewhere.example")
        })
        .count();
    assert_eq!(to_domain, 3, "per_domain_per_hour");
    // The refusals above did not spend the hourly cap: a new address gets one.
    sign_up(&serve, "fresh@example.org", "");
    serve.wait_for("sign-up: confirmation sent", 5);
    assert_eq!(mail_to(&project, "fresh@example.org").len(), 1);
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_quota() {
    let project = project_with(
        "[signup]\nper_client_per_hour = 2\n\n[serve]\ntrusted_proxies = [\"127.0.0.1\"]",
    );
    let serve = Serve::start(&project);
    let ask = |client: &str, email: &str| {
        crate::server::agent()
            .post(&format!("{}/subscribe", serve.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", client)
            .send(format!("email={}", urlencode(email)))
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(ask("203.0.113.7", "a1@example.com"), 200);
    assert_eq!(ask("203.0.113.7", "a2@example.com"), 200);
    assert_eq!(ask("203.0.113.7", "a3@example.com"), 429);
    // What a client claims before the proxy's own addition is not believed.
    assert_eq!(ask("198.51.100.1, 203.0.113.7", "a4@example.com"), 429);
    assert_eq!(ask("203.0.113.8", "b1@example.com"), 200);
    // IPv6 clients count per /64.
    assert_eq!(ask("2001:db8:1:2::1", "c1@example.com"), 200);
    assert_eq!(ask("2001:db8:1:2::ffff", "c2@example.com"), 200);
    assert_eq!(ask("2001:db8:1:2:abcd::9", "c3@example.com"), 429);
    assert_eq!(ask("2001:db8:1:3::1", "d1@example.com"), 200);
}

#[test]
fn votes_repeat_once_expire_and_are_rate_limited_per_link() {
    let project = project_with("[community]\nmin_votes = 1");
    send_with_secret(&project);
    let serve = Serve::start(&project);
    let links = vote_links(&project, "ml-team@example.com");
    let (ship, skip) = (local(&serve, &links[0].0), local(&serve, &links[0].1));
    let (status, page) = get(&ship);
    assert_eq!(status, 200);
    assert!(!page.contains("<script"), "{page}");
    let log = format!("state/votes/{DEMO_ISSUE}.log");
    assert_eq!(post(&ship, "").0, 200);
    let once = project.read(&log);
    for _ in 0..3 {
        assert_eq!(post(&ship, "").0, 200, "the same vote again is fine");
    }
    assert_eq!(project.read(&log), once, "and writes nothing");
    assert_eq!(post(&skip, "").0, 200);
    assert_eq!(project.read(&log).lines().count(), 2, "a change is written");
    for _ in 0..10 {
        post(&ship, "");
    }
    assert_eq!(post(&ship, "").0, 429, "a link used too often");
    drop(serve);

    // Vote links close vote_link_days after the issue went out (two days ago).
    let closed = project_with("[community]\nvote_link_days = 1");
    send_with_secret(&closed);
    let serve = Serve::start(&closed);
    let links = vote_links(&closed, "ml-team@example.com");
    assert_eq!(get(&local(&serve, &links[0].0)).0, 410);
    assert_eq!(post(&local(&serve, &links[0].0), "").0, 410);
    assert!(!closed.path().join(&log).exists());
}
