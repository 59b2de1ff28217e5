//! Reading `verdict.toml` field by field from TOML with spans, so that every
//! problem in the file is reported at once, located, with did-you-mean.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use toml::de::DeTable;
use url::Url;

use super::transport::TransportSpec;
use super::{
    Community, Config, DkimAlgorithm, DkimSettings, RelayConfig, Sending, Serve, Signup, Zone,
    bounds, fields,
};
use crate::diagnostic::table_reader::{Located, TableReader};
use crate::diagnostic::{Diagnostic, FileDiagnostics};

pub(super) fn parse(path: &str, source: &str) -> Result<Config, FileDiagnostics> {
    let mut report = FileDiagnostics::new(path, source);
    let document = match crate::diagnostic::syntax::document(
        source,
        "README.md describes every field of verdict.toml",
        &mut report,
    ) {
        Some(document) => document,
        None => return Err(report),
    };
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
    let mut reader = TableReader::new(table, 0..0, "verdict.toml", &fields::ROOT, diagnostics);
    let name = reader.required::<String>("name");
    let from = reader.required::<String>("from");
    let reply_to = reader.optional::<String>("reply_to");
    let postal_address = reader.required::<String>("postal_address");
    let base_url = reader.optional::<String>("base_url");
    let unsubscribe_url = reader.required::<String>("unsubscribe_url");
    let unsubscribe_mailto = reader.optional::<String>("unsubscribe_mailto");
    let bounce_address = reader.optional::<String>("bounce_address");
    let language = reader.defaulted::<String>("language");
    let transport = reader.defaulted::<String>("transport");
    let password_file = reader.optional::<String>("smtp_password_file");
    let time_zone = reader.defaulted::<String>("time_zone");
    let sending = reader.table("sending");
    let dkim_label = if table
        .get("dkim")
        .is_some_and(|v| v.get_ref().as_table().is_some())
    {
        "[dkim]"
    } else {
        "[[dkim]]"
    };
    let dkim = reader.tables_or_table("dkim");
    let community = reader.table("community");
    let signup = reader.table("signup");
    let serve = reader.table("serve");
    let relays = reader.tables("relay");
    reader.finish();

    let mut warnings = Vec::new();
    let name = name.and_then(|n| one_line(n, "name", diagnostics));
    let postal_address = postal_address.and_then(|p| one_line(p, "postal_address", diagnostics));
    let from = from.and_then(|f| mailbox(f, diagnostics));
    let reply_to = reply_to.map(|r| mailbox(r, diagnostics));
    let unsubscribe_mailto = unsubscribe_mailto.map(|m| mailbox(m, diagnostics));
    let bounce_address = bounce_address.map(|m| mailbox(m, diagnostics));
    let unsubscribe_url = unsubscribe_url.and_then(|u| {
        let span = u.span.clone();
        site_url(u, "unsubscribe_url", diagnostics, &mut warnings)
            .and_then(|url| own_path(url, span, diagnostics))
    });
    let base_url = base_url.map(|u| site_url(u, "base_url", diagnostics, &mut warnings));
    let language = language.and_then(|l| language_tag(l, diagnostics));
    let transport = transport.and_then(|t| transport_spec(t, diagnostics));
    let smtp_password_file = password_file.map(|p| PathBuf::from(p.value));
    let sending = read_sending(sending.map(|(_, t)| t), diagnostics);
    let dkim: Vec<Option<DkimSettings>> = dkim
        .unwrap_or_default()
        .iter()
        .map(|(span, table)| read_dkim(span.clone(), table, dkim_label, diagnostics))
        .collect();
    let mut published = std::collections::HashSet::new();
    for key in dkim.iter().flatten() {
        if !published.insert((key.selector.value.clone(), key.domain.value.clone())) {
            diagnostics.push(
                Diagnostic::error(format!(
                    "two DKIM keys share the selector `{}` at {}",
                    key.selector.value, key.domain.value
                ))
                .at(key.selector.span.clone())
                .label("DNS publishes one key per selector")
                .help("give each key its own selector; `verdict dkim keygen --selector NAME` makes a new key"),
            );
        }
    }
    let time_zone = time_zone.and_then(|zone| match Zone::named(&zone.value) {
        Some(tz) => Some(tz),
        None => {
            diagnostics.push(
                Diagnostic::error(format!("`{}` is not a time zone", zone.value))
                    .at(zone.span)
                    .help("expected an IANA time zone name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\""),
            );
            None
        }
    });
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
    let community = read_community(community.map(|(_, t)| t), diagnostics);
    let signup = read_signup(signup.map(|(_, t)| t), diagnostics);
    let serve = read_serve(serve.map(|(_, t)| t), diagnostics);

    let from = from?;
    let unsubscribe_mailto = match unsubscribe_mailto {
        None => from.email.clone(),
        Some(mailbox) => mailbox?.email,
    };
    let reply_to = match reply_to {
        None => None,
        Some(mailbox) => Some(mailbox?),
    };
    let bounce_address = match bounce_address {
        None => None,
        Some(mailbox) => Some(mailbox?.email),
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
        bounce_address,
        language: language?,
        transport: transport?,
        smtp_password_file,
        sending: sending?,
        dkim: dkim.into_iter().collect::<Option<Vec<_>>>()?,
        community: community?,
        signup: signup?,
        serve: serve?,
        time_zone: time_zone?,
        relays: relays.into_iter().collect::<Option<Vec<_>>>()?,
        source: FileDiagnostics::new(source.path.clone(), source.source.clone()),
        warnings,
    })
}

/// An empty table stands for an absent one: every key takes its default.
fn empty_table() -> &'static DeTable<'static> {
    static EMPTY: std::sync::OnceLock<DeTable<'static>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(DeTable::new)
}

fn read_sending(table: Option<&DeTable<'_>>, diagnostics: &mut Vec<Diagnostic>) -> Option<Sending> {
    let table = table.unwrap_or(empty_table());
    let mut reader = TableReader::new(table, 0..0, "[sending]", &fields::SENDING, diagnostics);
    let concurrency = reader.defaulted::<u32>("concurrency");
    let rate = reader.defaulted::<f64>("rate");
    let max_attempts = reader.defaulted::<u32>("max_attempts");
    let retry_delay_ms = reader.defaulted::<u64>("retry_delay_ms");
    let timeout_secs = reader.defaulted::<u64>("timeout_secs");
    let connect_timeout_secs = reader.defaulted::<u64>("connect_timeout_secs");
    let give_up_after_hours = reader.defaulted::<u64>("give_up_after_hours");
    let judge_window = reader.defaulted::<u32>("judge_window");
    let refusal_percent = reader.defaulted::<u32>("refusal_percent");
    let stall_secs = reader.defaulted::<u64>("stall_secs");
    let uncertain_retries = reader.defaulted::<u32>("uncertain_retries");
    reader.finish();
    let rate = rate.and_then(|rate| paced(rate, diagnostics));
    Some(Sending {
        concurrency: concurrency?.value,
        rate: rate?,
        max_attempts: max_attempts?.value,
        retry_delay: Duration::from_millis(retry_delay_ms?.value),
        timeout: Duration::from_secs(timeout_secs?.value),
        connect_timeout: Duration::from_secs(connect_timeout_secs?.value),
        give_up_after: chrono::Duration::hours(give_up_after_hours?.value as i64),
        judge_window: judge_window?.value,
        refusal_percent: refusal_percent?.value,
        stall_after: Duration::from_secs(stall_secs?.value),
        uncertain_retries: uncertain_retries?.value,
    })
}

/// A rate is 0 (unpaced) or within bounds.
fn paced(rate: Located<f64>, diagnostics: &mut Vec<Diagnostic>) -> Option<f64> {
    if bounds::rate_ok(rate.value) {
        return Some(rate.value);
    }
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

fn read_relay(
    span: Range<usize>,
    table: &DeTable<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<RelayConfig> {
    let mut reader = TableReader::new(table, span, "[[relay]]", &fields::RELAY, diagnostics);
    let name = reader.optional::<String>("name");
    let transport = reader.required::<String>("transport");
    let rate = reader.optional::<f64>("rate");
    let concurrency = reader.optional::<u32>("concurrency");
    let daily_cap = reader.optional::<u64>("daily_cap");
    let weight = reader.defaulted::<u32>("weight");
    let password_file = reader.optional::<String>("password_file");
    reader.finish();
    let transport = transport_spec(transport?, diagnostics)?;
    let rate = match rate {
        Some(rate) => Some(paced(rate, diagnostics)?),
        None => None,
    };
    Some(RelayConfig {
        name: name
            .map(|n| n.value)
            .unwrap_or_else(|| transport.to_string()),
        transport,
        rate,
        concurrency: concurrency.map(|c| c.value),
        daily_cap: daily_cap.map(|c| c.value),
        weight: weight?.value,
        password_file: password_file.map(|p| PathBuf::from(p.value)),
    })
}

fn read_community(
    table: Option<&DeTable<'_>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Community> {
    let table = table.unwrap_or(empty_table());
    let mut reader = TableReader::new(table, 0..0, "[community]", &fields::COMMUNITY, diagnostics);
    let min_votes = reader.defaulted::<u32>("min_votes");
    let link_days = reader.defaulted::<u32>("vote_link_days");
    let count_clicks = reader.defaulted::<bool>("count_clicks");
    reader.finish();
    Some(Community {
        min_votes: min_votes?.value,
        vote_link_valid: chrono::Duration::days(i64::from(link_days?.value)),
        count_clicks: count_clicks?.value,
    })
}

fn read_signup(table: Option<&DeTable<'_>>, diagnostics: &mut Vec<Diagnostic>) -> Option<Signup> {
    let table = table.unwrap_or(empty_table());
    let mut reader = TableReader::new(table, 0..0, "[signup]", &fields::SIGNUP, diagnostics);
    let days = reader.defaulted::<u32>("link_valid_days");
    let minutes = reader.defaulted::<u32>("resend_after_minutes");
    let per_client = reader.defaulted::<u32>("per_client_per_hour");
    let per_hour = reader.defaulted::<u32>("per_hour");
    let per_domain = reader.defaulted::<u32>("per_domain_per_hour");
    reader.finish();
    Some(Signup {
        link_valid: chrono::Duration::days(i64::from(days?.value)),
        resend_after: chrono::Duration::minutes(i64::from(minutes?.value)),
        per_client_per_hour: per_client?.value,
        per_hour: per_hour?.value,
        per_domain_per_hour: per_domain?.value,
    })
}

fn read_serve(table: Option<&DeTable<'_>>, diagnostics: &mut Vec<Diagnostic>) -> Option<Serve> {
    let table = table.unwrap_or(empty_table());
    let mut reader = TableReader::new(table, 0..0, "[serve]", &fields::SERVE, diagnostics);
    let proxies = reader.optional::<Vec<String>>("trusted_proxies");
    reader.finish();
    let mut trusted = Vec::new();
    let mut ok = true;
    let span = proxies.as_ref().map(|p| p.span.clone()).unwrap_or_default();
    for text in proxies.map(|p| p.value).unwrap_or_default() {
        let parsed = text
            .parse::<ipnet::IpNet>()
            .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
        match parsed {
            Ok(net) => trusted.push(net),
            Err(_) => {
                ok = false;
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{text}` in trusted_proxies is not an address or network"
                    ))
                    .at(span.clone())
                    .help(
                        "expected IP addresses or networks such as \"127.0.0.1\" or \"10.0.0.0/8\"",
                    ),
                );
            }
        }
    }
    ok.then_some(Serve {
        trusted_proxies: trusted,
    })
}

fn read_dkim(
    span: Range<usize>,
    table: &DeTable<'_>,
    label: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<DkimSettings> {
    let mut reader = TableReader::new(table, span, label, &fields::DKIM, diagnostics);
    let domain = reader.required::<String>("domain");
    let selector = reader.required::<String>("selector");
    let key_file = reader.required::<String>("key_file");
    let algorithm = reader.optional::<DkimAlgorithm>("algorithm");
    reader.finish();
    let domain = domain?;
    let selector = selector?;
    let label_ok = crate::diagnostic::text::is_dns_name;
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
        selector: Located {
            value: selector.value.to_ascii_lowercase(),
            span: selector.span,
        },
        key_file: Located {
            value: PathBuf::from(key_file.value),
            span: key_file.span,
        },
        algorithm,
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
        Err(_) => {
            diagnostics.push(
                Diagnostic::error(format!(
                    "`{}` is not a valid email address: {}",
                    field.value,
                    crate::diagnostic::text::address_problem(&field.value)
                ))
                .at(field.span)
                .label("not an email address")
                .help("expected `address@domain` such as `name@example.com`, or `Name <name@example.com>`"),
            );
            None
        }
    }
}

/// An https:// address; an http:// one on this machine is accepted with a
/// warning, so that the whole flow can be tried locally.
fn site_url(
    field: Located<String>,
    key: &str,
    diagnostics: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Url> {
    match Url::parse(&field.value) {
        Ok(url) if url.scheme() == "https" && url.host().is_some() => Some(url),
        Ok(url) if url.scheme() == "http" && is_this_machine(&url) => {
            warnings.push(
                Diagnostic::warning(format!("`{key}` is on this machine"))
                    .at(field.span)
                    .label("links work only here, and without TLS")
                    .help("fine for trying verdict out; set the public https:// address before mailing readers"),
            );
            Some(url)
        }
        _ => {
            diagnostics.push(
                Diagnostic::error(format!("`{}` is not an https:// URL", field.value))
                    .at(field.span)
                    .help(format!("expected an address such as {}, or http://localhost:8080/… or http://127.0.0.1:8080/… to try it on this machine", fields::ROOT.field(key).map_or("https://news.example.com", |f| f.example.trim_matches('"')))),
            );
            None
        }
    }
}

/// Whether a URL names this machine: localhost or a loopback address.
fn is_this_machine(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The unsubscribe path must be free: not one of the service's own routes.
fn own_path(url: Url, span: Range<usize>, diagnostics: &mut Vec<Diagnostic>) -> Option<Url> {
    if !crate::project::routes::is_taken(url.path()) {
        return Some(url);
    }
    diagnostics.push(
        Diagnostic::error(format!(
            "`verdict serve` answers {} itself (a route of its own, or a page of the site)",
            url.path()
        ))
        .at(span)
        .label("the unsubscribe link needs a path of its own")
        .help("use a path such as /unsubscribe"),
    );
    None
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
        Ok(TransportSpec::Smtp(endpoint))
            if endpoint.user.is_some() && !endpoint.is_encrypted() && !endpoint.is_loopback() =>
        {
            // What opening the transport would refuse, said where it is written.
            diagnostics.push(
                Diagnostic::error("this transport would send the SMTP password in clear text")
                    .at(field.span)
                    .label("a login over an unencrypted connection to another machine")
                    .help("use smtps://…:465, or smtp://…:587?tls=required"),
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
        assert_eq!(
            config.sending,
            Sending {
                concurrency: 4,
                rate: 0.0,
                max_attempts: 4,
                retry_delay: Duration::from_secs(1),
                timeout: Duration::from_secs(30),
                connect_timeout: Duration::from_secs(10),
                give_up_after: chrono::Duration::hours(72),
                judge_window: 50,
                refusal_percent: 10,
                stall_after: Duration::from_secs(300),
                uncertain_retries: 1,
            }
        );
        assert_eq!(config.community.min_votes, 10);
        assert_eq!(config.signup.link_valid, chrono::Duration::days(7));
        assert_eq!(config.time_zone, Zone::utc());
        assert_eq!(config.language, "en");
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
