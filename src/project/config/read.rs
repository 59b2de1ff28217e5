//! Reading `verdict.toml` field by field from TOML with spans, so that every
//! problem in the file is reported at once, located, with did-you-mean.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use toml::de::DeTable;
use url::Url;

use super::{Community, Config, DkimAlgorithm, DkimSettings, RelayConfig, Sending, Signup, bounds};
use crate::diagnostic::table_reader::{Located, TableReader};
use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::send::transport::TransportSpec;

pub(super) fn parse(path: &str, source: &str) -> Result<Config, FileDiagnostics> {
    let mut report = FileDiagnostics::new(path, source);
    let (document, syntax_errors) = DeTable::parse_recoverable(source);
    if !syntax_errors.is_empty() {
        for error in &syntax_errors {
            report.push(Diagnostic::from_toml(error).help(
                "fix the TOML syntax first; README.md describes every field of verdict.toml",
            ));
        }
        return Err(report);
    }
    let mut diagnostics = Vec::new();
    let config = read_config(document.get_ref(), &mut diagnostics, &report);
    // A password written into the file is not shown back in the error about it,
    // whether in `transport` or in a [[relay]]'s.
    let relays = document
        .get_ref()
        .get("relay")
        .and_then(|r| r.get_ref().as_array())
        .into_iter()
        .flat_map(|items| items.iter())
        .filter_map(|item| item.get_ref().as_table()?.get("transport"));
    for transport in document
        .get_ref()
        .get("transport")
        .into_iter()
        .chain(relays)
    {
        if let Some(text) = transport.get_ref().as_str()
            && let Ok(url) = url::Url::parse(text)
            && let Some(password) = url.password().filter(|p| !p.is_empty())
        {
            let span = transport.span();
            if let Some(at) = source
                .get(span.clone())
                .and_then(|t| t.find(&format!(":{password}@")))
            {
                let start = span.start + at + 1;
                report
                    .source
                    .replace_range(start..start + password.len(), &"*".repeat(password.len()));
            }
        }
    }
    diagnostics.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    for diagnostic in diagnostics {
        report.push(diagnostic);
    }
    match config {
        Some(config) if report.error_count() == 0 => Ok(config),
        _ => Err(report),
    }
}

fn read_config(
    table: &DeTable<'_>,
    diagnostics: &mut Vec<Diagnostic>,
    source: &FileDiagnostics,
) -> Option<Config> {
    let mut reader = TableReader::new(table, 0..0, "verdict.toml", diagnostics);
    let name = reader.required::<String>(
        "name",
        "the newsletter's name, e.g. name = \"Weekly AI Tool Verdicts\"",
    );
    let from = reader.required::<String>(
        "from",
        "the sender, e.g. from = \"Weekly AI Tool Verdicts <verdicts@example.com>\"",
    );
    let reply_to = reader.optional::<String>("reply_to", "an address for replies");
    let postal_address = reader.required::<String>(
        "postal_address",
        "the sender's postal address, printed in every footer",
    );
    let base_url = reader.optional::<String>("base_url", "the site's https:// address");
    let unsubscribe_url = reader.required::<String>(
        "unsubscribe_url",
        "the https:// address where `verdict serve` answers unsubscribes",
    );
    let unsubscribe_mailto = reader.optional::<String>(
        "unsubscribe_mailto",
        "an address that receives unsubscribe requests by mail",
    );
    let language = reader.optional::<String>("language", "a language tag such as \"en\"");
    let transport = reader.optional::<String>(
        "transport",
        "outbox:DIR or an SMTP URL such as smtps://user@smtp.example.com:465",
    );
    let password_file = reader.optional::<String>(
        "smtp_password_file",
        "the path of a file holding the SMTP password",
    );
    let sending = reader.table("sending", "a [sending] table");
    let dkim = reader.table("dkim", "a [dkim] table");
    let community = reader.table("community", "a [community] table");
    let time_zone = reader.optional::<String>(
        "time_zone",
        "an IANA time zone such as \"Europe/Berlin\" or \"UTC\"",
    );
    let relays = reader.tables("relay", "one [[relay]] table per relay");
    let signup = reader.table("signup", "a [signup] table");
    reader.finish();

    let name = name.and_then(|n| one_line(n, "name", diagnostics));
    let postal_address = postal_address.and_then(|p| one_line(p, "postal_address", diagnostics));
    let from = from.and_then(|f| mailbox(f, diagnostics));
    let reply_to = reply_to.map(|r| mailbox(r, diagnostics));
    let unsubscribe_mailto = unsubscribe_mailto.map(|m| mailbox(m, diagnostics));
    let unsubscribe_url = unsubscribe_url.and_then(|u| https_url(u, diagnostics));
    let base_url = base_url.map(|u| https_url(u, diagnostics));
    let language = match language {
        None => Some("en".to_string()),
        Some(language) => language_tag(language, diagnostics),
    };
    let transport = match transport {
        None => Some(TransportSpec::Outbox(PathBuf::from("outbox"))),
        Some(transport) => transport_spec(transport, diagnostics),
    };
    let smtp_password_file = password_file.map(|p| PathBuf::from(p.value));
    let sending = match sending {
        None => Some(Sending::default()),
        Some((_, table)) => read_sending(table, diagnostics),
    };
    let dkim = match dkim {
        None => Some(None),
        Some((span, table)) => read_dkim(span, table, diagnostics).map(Some),
    };
    let time_zone = match time_zone {
        None => Some(chrono_tz::Tz::UTC),
        Some(zone) => match zone.value.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                diagnostics.push(
                    Diagnostic::error(format!("`{}` is not a time zone", zone.value))
                        .at(zone.span)
                        .help("expected an IANA time zone name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\""),
                );
                None
            }
        },
    };
    let relays: Vec<Option<RelayConfig>> = relays
        .unwrap_or_default()
        .iter()
        .map(|(span, table)| read_relay(span.clone(), table, diagnostics))
        .collect();
    let mut names = std::collections::HashSet::new();
    for relay in relays.iter().flatten() {
        if !names.insert(relay.name.clone()) {
            diagnostics.push(
                Diagnostic::error(format!("two relays are named `{}`", relay.name))
                    .help("give each [[relay]] a name of its own: name = \"backup\""),
            );
        }
    }
    let community = match community {
        None => Some(Community::default()),
        Some((_, table)) => read_community(table, diagnostics),
    };
    let signup = match signup {
        None => Some(Signup::default()),
        Some((_, table)) => read_signup(table, diagnostics),
    };

    let from = from?;
    let unsubscribe_mailto = match unsubscribe_mailto {
        None => from.email.clone(),
        Some(mailbox) => mailbox?.email,
    };
    let reply_to = match reply_to {
        None => None,
        Some(mailbox) => Some(mailbox?),
    };
    let base_url = match base_url {
        None => None,
        Some(url) => Some(url?),
    };
    Some(Config {
        name: name?,
        from,
        reply_to,
        postal_address: postal_address?,
        base_url,
        unsubscribe_url: unsubscribe_url?,
        unsubscribe_mailto,
        language: language?,
        transport: transport?,
        smtp_password_file,
        sending: sending?,
        dkim: dkim?,
        community: community?,
        signup: signup?,
        time_zone: time_zone?,
        relays: relays.into_iter().collect::<Option<Vec<_>>>()?,
        source: FileDiagnostics::new(source.path.clone(), source.source.clone()),
    })
}

fn read_sending(table: &DeTable<'_>, diagnostics: &mut Vec<Diagnostic>) -> Option<Sending> {
    let defaults = Sending::default();
    let mut reader = TableReader::new(table, 0..0, "[sending]", diagnostics);
    let concurrency = reader.optional::<u32>("concurrency", "SMTP connections at once, 1 to 1000");
    let rate = reader.optional::<f64>("rate", "messages per second, or 0 for unpaced");
    let max_attempts =
        reader.optional::<u32>("max_attempts", "attempts per recipient and run, 1 to 20");
    let retry_delay_ms = reader.optional::<u64>(
        "retry_delay_ms",
        "the first retry delay in milliseconds, 1 to 600000",
    );
    let timeout_secs = reader.optional::<u64>(
        "timeout_secs",
        "the SMTP command deadline in seconds, 1 to 600",
    );
    let connect_timeout_secs = reader.optional::<u64>(
        "connect_timeout_secs",
        "the connection deadline in seconds, 1 to 120",
    );
    let give_up_after_hours = reader.optional::<u64>(
        "give_up_after_hours",
        "hours after which a deferred reader is given up on, 1 to 8760",
    );
    let judge_window = reader.optional::<u64>(
        "judge_window",
        "the recent attempts each relay is judged on, 10 to 100000",
    );
    let refusal_percent = reader.optional::<u64>(
        "refusal_percent",
        "the share of hard refusals (percent) past which a relay is refusing, 1 to 100",
    );
    let stall_secs = reader.optional::<u64>(
        "stall_secs",
        "seconds without progress after which a run stops, 1 to 86400",
    );
    let uncertain_retries = reader.optional::<u64>(
        "uncertain_retries",
        "retries of a message cut off after its final dot, 0 to 5",
    );
    reader.finish();
    let concurrency = within(
        concurrency,
        1,
        u64::from(bounds::MAX_CONCURRENCY),
        "concurrency",
        diagnostics,
    )
    .map(|v| v.map_or(defaults.concurrency, |v| v as u32));
    let rate = match rate {
        None => Some(defaults.rate),
        Some(rate) if bounds::rate_ok(rate.value) => Some(rate.value),
        Some(rate) => {
            diagnostics.push(
                Diagnostic::error(format!("`rate` {} is out of range", rate.value))
                    .at(rate.span)
                    .help(format!(
                        "0 sends unpaced; otherwise a rate from {} to {} messages per second",
                        bounds::MIN_RATE,
                        bounds::MAX_RATE
                    )),
            );
            None
        }
    };
    let max_attempts = within(max_attempts, 1, 20, "max_attempts", diagnostics)
        .map(|v| v.map_or(defaults.max_attempts, |v| v as u32));
    let retry_delay = within(retry_delay_ms, 1, 600_000, "retry_delay_ms", diagnostics)
        .map(|v| v.map_or(defaults.retry_delay, Duration::from_millis));
    let timeout = within(timeout_secs, 1, 600, "timeout_secs", diagnostics)
        .map(|v| v.map_or(defaults.timeout, Duration::from_secs));
    let connect_timeout = within(
        connect_timeout_secs,
        1,
        120,
        "connect_timeout_secs",
        diagnostics,
    )
    .map(|v| v.map_or(defaults.connect_timeout, Duration::from_secs));
    let give_up_after = within(
        give_up_after_hours,
        1,
        8760,
        "give_up_after_hours",
        diagnostics,
    )
    .map(|v| {
        v.map_or(defaults.give_up_after, |h| {
            chrono::Duration::hours(h as i64)
        })
    });
    let judge_window = within(judge_window, 10, 100_000, "judge_window", diagnostics)
        .map(|v| v.map_or(defaults.judge_window, |v| v as u32));
    let refusal_percent = within(refusal_percent, 1, 100, "refusal_percent", diagnostics)
        .map(|v| v.map_or(defaults.refusal_percent, |v| v as u32));
    let stall_after = within(stall_secs, 1, 86_400, "stall_secs", diagnostics)
        .map(|v| v.map_or(defaults.stall_after, Duration::from_secs));
    let uncertain_retries = within(uncertain_retries, 0, 5, "uncertain_retries", diagnostics)
        .map(|v| v.map_or(defaults.uncertain_retries, |v| v as u32));
    Some(Sending {
        concurrency: concurrency?,
        rate: rate?,
        max_attempts: max_attempts?,
        retry_delay: retry_delay?,
        timeout: timeout?,
        connect_timeout: connect_timeout?,
        give_up_after: give_up_after?,
        judge_window: judge_window?,
        refusal_percent: refusal_percent?,
        stall_after: stall_after?,
        uncertain_retries: uncertain_retries?,
    })
}

fn read_relay(
    span: Range<usize>,
    table: &DeTable<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<RelayConfig> {
    let mut reader = TableReader::new(table, span, "[[relay]]", diagnostics);
    let name = reader.optional::<String>("name", "a short name, e.g. name = \"primary\"");
    let transport = reader.required::<String>(
        "transport",
        "an SMTP URL such as smtps://user@smtp.example.com:465, or outbox:DIR",
    );
    let rate = reader.optional::<f64>(
        "rate",
        "messages per second through this relay, or 0 for unpaced",
    );
    let concurrency = reader.optional::<u32>("concurrency", "its connections at once, 1 to 1000");
    let daily_cap = reader.optional::<u64>(
        "daily_cap",
        "messages it may take per calendar day, 1 or more",
    );
    let weight = reader.optional::<u32>("weight", "its share of the audience, 1 to 1000");
    let password_file = reader.optional::<String>(
        "password_file",
        "the path of a file holding its SMTP password",
    );
    reader.finish();
    let transport = transport_spec(transport?, diagnostics)?;
    let rate = match rate {
        Some(rate) if !bounds::rate_ok(rate.value) => {
            diagnostics.push(
                Diagnostic::error(format!("`rate` {} is out of range", rate.value))
                    .at(rate.span)
                    .help(format!(
                        "0 sends unpaced; otherwise from {} to {} messages per second",
                        bounds::MIN_RATE,
                        bounds::MAX_RATE
                    )),
            );
            return None;
        }
        rate => rate.map(|r| r.value),
    };
    let concurrency = within(
        concurrency,
        1,
        u64::from(bounds::MAX_CONCURRENCY),
        "concurrency",
        diagnostics,
    )?;
    let daily_cap = within(daily_cap, 1, u64::MAX, "daily_cap", diagnostics)?;
    let weight = within(weight, 1, 1000, "weight", diagnostics)?;
    Some(RelayConfig {
        name: name
            .map(|n| n.value)
            .unwrap_or_else(|| transport.to_string()),
        transport,
        rate,
        concurrency: concurrency.map(|c| c as u32),
        daily_cap,
        weight: weight.map_or(1, |w| w as u32),
        password_file: password_file.map(|p| PathBuf::from(p.value)),
    })
}

fn read_community(table: &DeTable<'_>, diagnostics: &mut Vec<Diagnostic>) -> Option<Community> {
    let mut reader = TableReader::new(table, 0..0, "[community]", diagnostics);
    let min_votes = reader.optional::<u32>(
        "min_votes",
        "votes on a tool before its community percentage shows, 1 to 100000",
    );
    reader.finish();
    let min_votes = within(min_votes, 1, 100_000, "min_votes", diagnostics)?;
    Some(Community {
        min_votes: min_votes.map_or(Community::default().min_votes, |v| v as u32),
    })
}

fn read_signup(table: &DeTable<'_>, diagnostics: &mut Vec<Diagnostic>) -> Option<Signup> {
    let defaults = Signup::default();
    let mut reader = TableReader::new(table, 0..0, "[signup]", diagnostics);
    let days = reader.optional::<u32>("link_valid_days", "days a confirmation link works, 1 to 60");
    let minutes = reader.optional::<u32>(
        "resend_after_minutes",
        "minutes before an address may get another confirmation email, 1 to 10080",
    );
    let per_client = reader.optional::<u32>(
        "per_client_per_hour",
        "sign-up requests one client may make in an hour, 1 to 10000",
    );
    let per_hour =
        reader.optional::<u32>("per_hour", "confirmation emails in an hour, 1 to 1000000");
    reader.finish();
    let days = within(days, 1, 60, "link_valid_days", diagnostics);
    let minutes = within(minutes, 1, 10_080, "resend_after_minutes", diagnostics);
    let per_client = within(per_client, 1, 10_000, "per_client_per_hour", diagnostics);
    let per_hour = within(per_hour, 1, 1_000_000, "per_hour", diagnostics);
    Some(Signup {
        link_valid: days?.map_or(defaults.link_valid, |d| chrono::Duration::days(d as i64)),
        resend_after: minutes?.map_or(defaults.resend_after, |m| {
            chrono::Duration::minutes(m as i64)
        }),
        per_client_per_hour: per_client?.map_or(defaults.per_client_per_hour, |v| v as u32),
        per_hour: per_hour?.map_or(defaults.per_hour, |v| v as u32),
    })
}

/// `None` when out of range (reported); `Some(None)` when absent.
fn within<T: Into<u64> + Copy>(
    value: Option<Located<T>>,
    min: u64,
    max: u64,
    key: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Option<u64>> {
    let Some(value) = value else {
        return Some(None);
    };
    let number: u64 = value.value.into();
    if (min..=max).contains(&number) {
        Some(Some(number))
    } else {
        diagnostics.push(
            Diagnostic::error(format!("`{key}` {number} is out of range"))
                .at(value.span)
                .help(format!("expected a whole number from {min} to {max}")),
        );
        None
    }
}

fn read_dkim(
    span: Range<usize>,
    table: &DeTable<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<DkimSettings> {
    let mut reader = TableReader::new(table, span, "[dkim]", diagnostics);
    let domain = reader.required::<String>(
        "domain",
        "the signing domain, e.g. domain = \"example.com\"",
    );
    let selector =
        reader.required::<String>("selector", "the selector, e.g. selector = \"verdict\"");
    let key_file = reader.required::<String>(
        "key_file",
        "the path of the private key, e.g. key_file = \"state/dkim.pem\"",
    );
    let algorithm = reader.optional::<DkimAlgorithm>("algorithm", "\"rsa\" or \"ed25519\"");
    reader.finish();
    let domain = domain?;
    let selector = selector?;
    let label_ok = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    };
    if !label_ok(&domain.value) {
        diagnostics.push(
            Diagnostic::error(format!("`{}` is not a domain name", domain.value))
                .at(domain.span.clone())
                .help("expected a domain such as example.com"),
        );
        return None;
    }
    if !label_ok(&selector.value) {
        diagnostics.push(
            Diagnostic::error(format!("`{}` is not a DKIM selector", selector.value))
                .at(selector.span)
                .help("expected letters, digits and `-`, e.g. verdict"),
        );
        return None;
    }
    let key_file = key_file?;
    Some(DkimSettings {
        domain: Located {
            value: domain.value.to_ascii_lowercase(),
            span: domain.span,
        },
        selector: selector.value,
        key_file: Located {
            value: PathBuf::from(key_file.value),
            span: key_file.span,
        },
        algorithm: algorithm.map(|a| a.value).unwrap_or_default(),
    })
}

fn one_line(
    field: Located<String>,
    key: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    if let Err(d) = crate::diagnostic::text::header_safe(&field.value, field.span.clone()) {
        diagnostics.push(d);
        return None;
    }
    if field.value.trim().is_empty() {
        diagnostics.push(
            Diagnostic::error(format!("`{key}` must not be empty"))
                .at(field.span)
                .help("the name and postal address appear in every email's footer"),
        );
        return None;
    }
    Some(field.value.trim().to_string())
}

fn mailbox(field: Located<String>, diagnostics: &mut Vec<Diagnostic>) -> Option<Mailbox> {
    if let Err(d) = crate::diagnostic::text::header_safe(&field.value, field.span.clone()) {
        diagnostics.push(d);
        return None;
    }
    match field.value.parse::<Mailbox>() {
        Ok(mailbox) => Some(mailbox),
        Err(e) => {
            diagnostics.push(
                Diagnostic::error(format!(
                    "`{}` is not a valid email address: {e}",
                    field.value
                ))
                .at(field.span)
                .help("expected `Name <address@domain>` or `address@domain`"),
            );
            None
        }
    }
}

fn https_url(field: Located<String>, diagnostics: &mut Vec<Diagnostic>) -> Option<Url> {
    match Url::parse(&field.value) {
        Ok(url) if url.scheme() == "https" && url.host().is_some() => Some(url),
        _ => {
            diagnostics.push(
                Diagnostic::error(format!("`{}` is not an https:// URL", field.value))
                    .at(field.span)
                    .help("expected an address such as https://news.example.com/unsubscribe"),
            );
            None
        }
    }
}

fn language_tag(field: Located<String>, diagnostics: &mut Vec<Diagnostic>) -> Option<String> {
    let ok = !field.value.is_empty()
        && field.value.len() <= 35
        && field
            .value
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Some(field.value)
    } else {
        diagnostics.push(
            Diagnostic::error(format!("`{}` is not a language tag", field.value))
                .at(field.span)
                .help("expected a tag such as \"en\", \"de\" or \"pt-BR\""),
        );
        None
    }
}

fn transport_spec(
    field: Located<String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<TransportSpec> {
    match TransportSpec::parse(&field.value) {
        Ok(spec) if spec.has_url_password() => {
            diagnostics.push(
                Diagnostic::error("verdict.toml must not hold the SMTP password")
                    .at(field.span)
                    .label("this URL carries a password")
                    .help(format!(
                        "remove it and set {} instead, or name a file holding it: smtp_password_file, or a [[relay]]'s password_file",
                        crate::send::transport::PASSWORD_ENV
                    )),
            );
            None
        }
        Ok(spec) => Some(spec),
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(format!("the transport is not usable: {error}"))
                    .at(field.span)
                    .help("expected outbox:DIR, smtp://host:port, smtp://user@host:587?tls=required or smtps://user@host:465"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "News"
from = "news@example.com"
postal_address = "1 Example Plaza"
unsubscribe_url = "https://news.example.com/unsubscribe"
"#;

    #[test]
    fn a_minimal_file_gets_the_defaults() {
        let config = Config::parse("verdict.toml", MINIMAL).unwrap();
        assert_eq!(config.sending, Sending::default());
        assert_eq!(
            config.transport,
            TransportSpec::Outbox(PathBuf::from("outbox"))
        );
        assert_eq!(config.unsubscribe_mailto.to_string(), "news@example.com");
        assert_eq!(config.sender().name.as_deref(), Some("News"));
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_place() {
        let source = format!(
            "{MINIMAL}transprot = \"smtp://x\"\n[sending]\nrate = 1e-300\nretry_delay_ms = 18446744073709551615\nconcurency = 3\n"
        );
        let report = Config::parse("verdict.toml", &source).unwrap_err();
        let rendered = report.render(false);
        assert_eq!(report.error_count(), 4, "{rendered}");
        assert!(rendered.contains("did you mean `transport`?"), "{rendered}");
        assert!(
            rendered.contains("did you mean `concurrency`?"),
            "{rendered}"
        );
        assert!(rendered.contains("`rate` 0.000"), "{rendered}");
        assert!(rendered.contains("verdict.toml:9:1"), "{rendered}");
        assert!(
            rendered.contains("`retry_delay_ms` 18446744073709551615 is out of range"),
            "{rendered}"
        );
    }

    #[test]
    fn the_transport_string_is_checked_and_may_not_carry_a_password() {
        let bad = format!("{MINIMAL}transport = \"smtp://x.invalid?tls=sometimes\"\n");
        let rendered = Config::parse("verdict.toml", &bad)
            .unwrap_err()
            .render(false);
        assert!(
            rendered.contains("unknown tls mode `sometimes`"),
            "{rendered}"
        );
        let with_password = format!("{MINIMAL}transport = \"smtps://u:hunter2@x.invalid\"\n");
        let rendered = Config::parse("verdict.toml", &with_password)
            .unwrap_err()
            .render(false);
        assert!(
            rendered.contains("must not hold the SMTP password"),
            "{rendered}"
        );
    }
}
