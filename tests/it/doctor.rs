//! `verdict doctor` against a real DNS server (dnsmasq on loopback, answering
//! only the zone each test writes): a domain set up right passes everything;
//! each broken variant is named with its fix; online, a real SMTP server
//! (aiosmtpd) and an https server stand in for the relay and the site, with
//! certificates from a test authority.

use crate::dkim::{append_config, fixture, with_both_keys};
use crate::dns::{DnsServer, Zone};
use crate::harness::{Output, TestProject, repo_root};
use crate::smtp::{SmtpServer, python};

/// A TXT record of the DKIM fixtures.
fn fixture_record(file: &str) -> String {
    std::fs::read_to_string(fixture(file))
        .unwrap()
        .trim()
        .to_string()
}

/// example.com as it should be: SPF for the relay, both keys, DMARC, MX.
fn good_zone() -> Zone {
    Zone::new()
        .txt("example.com", "v=spf1 ip4:127.0.0.1 -all")
        .txt("rsa._domainkey.example.com", &fixture_record("rsa.txt"))
        .txt("ed._domainkey.example.com", &fixture_record("ed25519.txt"))
        .txt(
            "_dmarc.example.com",
            "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com",
        )
        .mx("example.com", "mx.example.com", 10)
        .host("mx.example.com", "127.0.0.2")
        .host("relay.example.com", "127.0.0.1")
        .host("web.example.com", "127.0.0.1")
}

/// The demo signing with both fixture keys through relay.example.com.
fn project_with_relay(port: u16) -> TestProject {
    let project = TestProject::demo();
    with_both_keys(&project);
    project.edit(
        "verdict.toml",
        "transport = \"outbox:outbox\"",
        &format!("transport = \"smtp://relay.example.com:{port}\""),
    );
    project
}

fn doctor(project: &TestProject, dns: &DnsServer, extra: &[&str]) -> Output {
    let mut command = project.command();
    command
        .args(["doctor", "--resolver", &dns.address()])
        .args(extra)
        .env(
            "SSL_CERT_FILE",
            repo_root().join("tests/fixtures/tls/test-ca.pem"),
        );
    Output::from(command.output().unwrap())
}

/// The lines of a report with this status.
fn lines_with<'a>(output: &'a Output, status: &str) -> Vec<&'a str> {
    output
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(status))
        .collect()
}

/// A bulk sender requirement is shown as met or not.
#[track_caller]
fn assert_requirement(output: &Output, mark: &str, requirement: &str) {
    assert!(
        output
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("{mark} "))
                && l.trim_end().ends_with(requirement)),
        "{requirement} is not {mark}:\n{}",
        output.stdout
    );
}

#[track_caller]
fn assert_all_pass(output: &Output) {
    output.success();
    assert!(
        lines_with(output, "FAIL").is_empty() && lines_with(output, "warn").is_empty(),
        "{}",
        output.stdout
    );
}

#[test]
fn a_domain_set_up_right_passes_every_check() {
    let dns = DnsServer::start(&good_zone());
    let project = project_with_relay(2525);
    let output = doctor(&project, &dns, &[]);
    assert_all_pass(&output);
    for expected in [
        "one SPF record at example.com, 0 of 10 lookups: v=spf1 ip4:127.0.0.1 -all",
        "example.com ends with -all",
        "relay.example.com (127.0.0.1) may send as example.com: SPF pass",
        "rsa._domainkey.example.com publishes the configured key (rsa, 2048 bits)",
        "ed._domainkey.example.com publishes the configured key (ed25519, 256 bits)",
        "_dmarc.example.com: v=DMARC1; p=quarantine",
        "DKIM is aligned with From example.com (adkim=r, relaxed): signed as example.com",
        "SPF is aligned with From example.com",
        "example.com (From and bounces) receives mail: MX mx.example.com",
        "one-click unsubscribe is advertised",
        "a DKIM signature that verifies covers List-Unsubscribe and List-Unsubscribe-Post",
        "relay.example.com resolves to 127.0.0.1",
        "Gmail and Yahoo bulk sender requirements: 4 of 4 checked met (run with --online for the rest)",
    ] {
        output.stdout_has(expected);
    }
    doctor(&project, &dns, &["--strict"]).success();

    let json = doctor(&project, &dns, &["--json"]);
    json.success();
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["domain"], "example.com");
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 14, "{checks:?}");
    assert!(checks.iter().all(|c| c["status"] == "pass"), "{checks:?}");
    assert!(
        report["bulk_sender"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !r["met"].is_null())
            .all(|r| r["met"] == true)
    );
}

/// Runs the doctor on a variant and returns its output.
fn variant(zone: Zone, project: &TestProject) -> Output {
    let dns = DnsServer::start(&zone);
    doctor(project, &dns, &[])
}

#[track_caller]
fn assert_names_fix(output: &Output, problem: &str, fix: &str) {
    output.code(1);
    let at = output
        .stdout
        .lines()
        .position(|l| l.trim_start().starts_with("FAIL") && l.contains(problem))
        .unwrap_or_else(|| panic!("no FAIL line with {problem:?}:\n{}", output.stdout));
    let next = output.stdout.lines().nth(at + 1).unwrap_or_default();
    assert!(
        next.trim_start().starts_with("fix:") && next.contains(fix),
        "the fix after {problem:?} is not {fix:?}:\n{}",
        output.stdout
    );
    output.stderr_has("check(s) failed");
}

#[test]
fn a_relay_missing_from_spf_is_named_with_the_mechanism_to_add() {
    let zone = good_zone()
        .without("example.com")
        .txt("example.com", "v=spf1 ip4:192.0.2.10 -all")
        .mx("example.com", "mx.example.com", 10);
    let output = variant(zone, &project_with_relay(2525));
    assert_names_fix(
        &output,
        "relay.example.com (127.0.0.1) is not in the SPF record of example.com: SPF fail",
        "add ip4:127.0.0.1 to the SPF record of example.com",
    );
    assert_requirement(&output, "NOT met", "SPF and DKIM set up, passing");
}

#[test]
fn an_spf_record_over_ten_lookups_is_named() {
    let includes: Vec<String> = (1..=11)
        .map(|i| format!("include:s{i}.example.com"))
        .collect();
    let mut zone = good_zone()
        .without("example.com")
        .txt(
            "example.com",
            &format!("v=spf1 {} ip4:127.0.0.1 -all", includes.join(" ")),
        )
        .mx("example.com", "mx.example.com", 10);
    for i in 1..=11 {
        zone = zone.txt(&format!("s{i}.example.com"), "v=spf1 ip4:192.0.2.1 -all");
    }
    let output = variant(zone, &project_with_relay(2525));
    assert_names_fix(
        &output,
        "the SPF record of example.com needs 11 DNS lookups; over 10",
        "replace include: mechanisms by the ip4:/ip6: ranges",
    );
}

#[test]
fn another_dkim_key_published_is_named_with_the_record_to_publish() {
    // An RSA key made elsewhere, published where the configured one belongs.
    let other = TestProject::demo();
    let made = other.run(&["dkim", "keygen", "--selector", "rsa"]);
    made.success();
    let value: String = made
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("value: "))
        .unwrap()
        .split('"')
        .skip(1)
        .step_by(2)
        .collect();
    let zone = good_zone()
        .without("rsa._domainkey.example.com")
        .txt("rsa._domainkey.example.com", &value);
    let output = variant(zone, &project_with_relay(2525));
    let expected = fixture_record("rsa.txt");
    assert_names_fix(
        &output,
        "rsa._domainkey.example.com holds another key than the configured one",
        &format!(
            "publish TXT rsa._domainkey.example.com \"{}\"",
            &expected[..255]
        ),
    );
    // The Ed25519 signature still verifies and aligns.
    output.stdout_has("ed._domainkey.example.com publishes the configured key");
    output.stdout_has("DKIM is aligned with From example.com");
}

#[test]
fn no_dmarc_record_is_named_with_one_to_publish() {
    let zone = good_zone().without("_dmarc.example.com");
    let output = variant(zone, &project_with_relay(2525));
    assert_names_fix(
        &output,
        "no DMARC record at _dmarc.example.com",
        "publish TXT _dmarc.example.com \"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com\"",
    );
    assert_requirement(&output, "NOT met", "a DMARC record");
    assert_requirement(
        &output,
        "NOT met",
        "From aligned with SPF or DKIM (DMARC passes)",
    );
}

#[test]
fn a_dmarc_policy_of_none_warns_and_fails_only_when_strict() {
    let zone = good_zone()
        .without("_dmarc.example.com")
        .txt("_dmarc.example.com", "v=DMARC1; p=none");
    let dns = DnsServer::start(&zone);
    let project = project_with_relay(2525);
    let output = doctor(&project, &dns, &[]);
    output.success();
    let warnings = lines_with(&output, "warn");
    assert_eq!(warnings.len(), 1, "{}", output.stdout);
    assert!(warnings[0].contains("_dmarc.example.com has p=none"));
    output.stdout_has("fix: once the reports show your mail passing, publish TXT _dmarc.example.com \"v=DMARC1; p=quarantine;");
    let strict = doctor(&project, &dns, &["--strict"]);
    strict.code(1);
    strict.stderr_has("--strict fails on warnings");
}

#[test]
fn a_dkim_domain_not_aligned_with_from_is_named() {
    let project = TestProject::demo();
    crate::dkim::install_key(&project, "rsa.pem", "state/dkim/rsa.pem");
    append_config(
        &project,
        "[[dkim]]\ndomain = \"mailer.example.net\"\nselector = \"rsa\"\nkey_file = \"state/dkim/rsa.pem\"\n",
    );
    project.edit(
        "verdict.toml",
        "transport = \"outbox:outbox\"",
        "transport = \"smtp://relay.example.com:2525\"",
    );
    let zone = good_zone().txt(
        "rsa._domainkey.mailer.example.net",
        &fixture_record("rsa.txt"),
    );
    let output = variant(zone, &project);
    output.stdout_has("rsa._domainkey.mailer.example.net publishes the configured key");
    assert_names_fix(
        &output,
        "DKIM signs as mailer.example.net which is not aligned with From example.com",
        "verdict dkim keygen --selector s2026 --domain example.com",
    );
}

#[test]
fn a_domain_without_mx_is_named() {
    let zone = good_zone()
        .without("example.com")
        .txt("example.com", "v=spf1 ip4:127.0.0.1 -all");
    let output = variant(zone, &project_with_relay(2525));
    assert_names_fix(
        &output,
        "example.com (From and bounces) has no MX record and no address",
        "publish MX example.com",
    );
}

#[test]
fn no_dkim_key_and_an_outbox_are_named() {
    let dns = DnsServer::start(&good_zone());
    let project = TestProject::demo();
    let output = doctor(&project, &dns, &[]);
    assert_names_fix(
        &output,
        "no DKIM key is configured",
        "verdict dkim keygen --selector s2026",
    );
    output.stdout_has("outbox:outbox writes files and sends nothing");
    assert_requirement(&output, "NOT met", "one-click unsubscribe, signed by DKIM");
}

#[test]
fn without_an_issue_a_sign_up_email_stands_in() {
    let dns = DnsServer::start(&good_zone());
    let project = project_with_relay(2525);
    project.remove(&format!("issues/{}.toml", crate::harness::DEMO_ISSUE));
    let output = doctor(&project, &dns, &[]);
    assert_all_pass(&output);
    output.stdout_has("no issue to compose from: a sign-up email stands in");
    output.stdout_has("rsa._domainkey.example.com publishes the configured key");
    output.stdout_has(
        "a DKIM signature that verifies covers List-Unsubscribe and List-Unsubscribe-Post",
    );
}

#[test]
fn a_silent_dns_server_fails_the_checks_in_time_and_a_bad_config_is_exit_2() {
    // A port nobody answers on: every lookup runs into its deadline.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let project = project_with_relay(2525);
    let output = project.run(&[
        "doctor",
        "--resolver",
        &silent.local_addr().unwrap().to_string(),
        "--timeout",
        "1",
    ]);
    output.code(1);
    output.stdout_has("could not be looked up");
    // Said one way, with the time the editor gave.
    output.stdout_has("no answer within 1 s");
    assert!(
        !output.stdout.contains("timed out") && !output.stdout.contains("1.5 s"),
        "{}",
        output.stdout
    );
    assert!(
        lines_with(&output, "pass")
            .iter()
            .all(|l| !l.contains("SPF"))
    );

    let dns = DnsServer::start(&good_zone());
    project.edit("verdict.toml", "name = ", "nmae = ");
    let output = doctor(&project, &dns, &[]);
    output.code(2);
    output.stderr_has("did you mean `name`?");
    let output = project.run(&["doctor", "--resolver", "not-an-address"]);
    output.code(2);
}

/// An https server for web.example.com with the test authority's certificate.
struct HttpsServer {
    child: std::process::Child,
    port: u16,
}

impl HttpsServer {
    fn start(status: u16) -> Self {
        use std::io::BufRead;
        let tls = repo_root().join("tests/fixtures/tls");
        let mut child = std::process::Command::new(python())
            .arg(repo_root().join("tests/https_server.py"))
            .arg("--cert")
            .arg(tls.join("test-hosts.pem"))
            .arg("--key")
            .arg(tls.join("test-hosts-key.pem"))
            .args(["--status", &status.to_string(), "--max-seconds", "120"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the https server's port");
        HttpsServer { child, port }
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A relay with STARTTLS under the test authority's certificate, and login.
fn tls_relay(faults: &[crate::smtp::Fault<'_>]) -> SmtpServer {
    let tls = repo_root().join("tests/fixtures/tls");
    let cert = tls.join("test-hosts.pem").display().to_string();
    let key = tls.join("test-hosts-key.pem").display().to_string();
    SmtpServer::with_options(
        faults,
        &[
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--auth",
            "newsletter:relay-secret",
            "--smtputf8",
        ],
    )
}

fn online_project(relay: &SmtpServer, site: &HttpsServer) -> TestProject {
    online_project_with(
        &format!(
            "smtp://newsletter@relay.example.com:{}?tls=required",
            relay.port
        ),
        site,
    )
}

fn online_project_with(transport: &str, site: &HttpsServer) -> TestProject {
    let project = TestProject::demo();
    with_both_keys(&project);
    project.edit(
        "verdict.toml",
        "transport = \"outbox:outbox\"",
        &format!("transport = \"{transport}\""),
    );
    project.edit(
        "verdict.toml",
        "base_url = \"https://verdicts.example.com\"",
        &format!("base_url = \"https://web.example.com:{}\"", site.port),
    );
    project.edit(
        "verdict.toml",
        "unsubscribe_url = \"https://verdicts.example.com/unsubscribe\"",
        &format!(
            "unsubscribe_url = \"https://web.example.com:{}/unsubscribe\"",
            site.port
        ),
    );
    project
}

fn online(project: &TestProject, dns: &DnsServer) -> Output {
    let mut command = project.command();
    command
        .args(["doctor", "--online", "--resolver", &dns.address()])
        .env(
            "SSL_CERT_FILE",
            repo_root().join("tests/fixtures/tls/test-ca.pem"),
        )
        .env("VERDICT_SMTP_PASSWORD", "relay-secret");
    Output::from(command.output().unwrap())
}

#[test]
fn online_the_relay_and_the_site_are_visited_without_sending() {
    let relay = tls_relay(&[]);
    let site = HttpsServer::start(200);
    let dns = DnsServer::start(&good_zone());
    let project = online_project(&relay, &site);
    let output = online(&project, &dns);
    assert_all_pass(&output);
    output.stdout_has(&format!(
        "relay.example.com:{} (127.0.0.1) accepts the newsletter's sender; it offers TLS (certificate verified), AUTH (logged in), SIZE",
        relay.port
    ));
    output.stdout_has("SMTPUTF8");
    assert!(
        lines_with(&output, "pass")
            .iter()
            .any(|l| l.contains("127.0.0.1 has reverse DNS")
                && l.contains("which resolves back to it")),
        "{}",
        output.stdout
    );
    output.stdout_has(&format!(
        "the unsubscribe endpoint https://web.example.com:{}/unsubscribe answers over https (200 OK), certificate verified",
        site.port
    ));
    output.stdout_has("Gmail and Yahoo bulk sender requirements: 6 of 6 checked met\n");
    assert_eq!(relay.count(), 0, "the doctor sent a message");
}

#[test]
fn online_an_unverifiable_certificate_a_refused_sender_and_a_failing_site_are_named() {
    // A certificate nobody vouches for.
    let relay = SmtpServer::with_self_signed_tls();
    let site = HttpsServer::start(502);
    let dns = DnsServer::start(&good_zone());
    let project = online_project(&relay, &site);
    let output = online(&project, &dns);
    output.code(1);
    let fails = lines_with(&output, "FAIL");
    assert!(
        fails
            .iter()
            .any(|l| l.contains("STARTTLS failed") && l.contains("certificate")),
        "{}",
        output.stdout
    );
    assert!(
        fails
            .iter()
            .any(|l| l.contains("the site") && l.contains("502")),
        "{}",
        output.stdout
    );
    assert_requirement(&output, "NOT met", "mail carried over TLS");

    // A relay that refuses the newsletter's sender.
    let relay = tls_relay(&[(
        "verdicts@example.com",
        "mail",
        "550 5.7.1 Sender not allowed",
        None,
    )]);
    let site = HttpsServer::start(200);
    let project = online_project(&relay, &site);
    let output = online(&project, &dns);
    output.code(1);
    assert!(
        lines_with(&output, "FAIL")
            .iter()
            .any(|l| l.contains("MAIL FROM:<verdicts@example.com> refused") && l.contains("550")),
        "{}",
        output.stdout
    );
}

#[test]
fn online_a_relay_without_tls_warns_and_fails_the_tls_requirement() {
    let relay = SmtpServer::start();
    let site = HttpsServer::start(200);
    let dns = DnsServer::start(&good_zone());
    let project = online_project_with(&format!("smtp://relay.example.com:{}", relay.port), &site);
    let output = online(&project, &dns);
    output.success();
    let warnings = lines_with(&output, "warn");
    assert_eq!(warnings.len(), 1, "{}", output.stdout);
    assert!(
        warnings[0].contains("it offers no TLS"),
        "{}",
        output.stdout
    );
    output.stdout_has("fix: use smtps:// or ?tls=required in the transport");
    assert_requirement(&output, "NOT met", "mail carried over TLS");
    assert_requirement(&output, "met", "reverse DNS of the sending addresses");
    let mut strict = project.command();
    strict
        .args([
            "doctor",
            "--online",
            "--strict",
            "--resolver",
            &dns.address(),
        ])
        .env(
            "SSL_CERT_FILE",
            repo_root().join("tests/fixtures/tls/test-ca.pem"),
        );
    Output::from(strict.output().unwrap()).code(1);
    assert_eq!(relay.count(), 0);
}
