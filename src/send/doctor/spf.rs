//! SPF (RFC 7208) of the envelope sender's domain: exactly one `v=spf1`
//! record, its DNS lookups within the limit of 10, its ending (`-all`,
//! `~all`), and mail-auth's evaluation for every address the relays resolve to.

use std::net::IpAddr;

use mail_auth::spf::{Macro, Mechanism, Qualifier, Spf};
use mail_auth::{SpfOutput, SpfResult};

use super::dns::{Answer, Dns};
use super::relays::Relay;
use super::summary::Need;
use super::{Check, Context, Group};

/// RFC 7208 4.6.4: at most 10 mechanisms and modifiers that cause lookups.
const LOOKUP_LIMIT: usize = 10;

/// The TXT records of the domain that are SPF records.
pub(super) async fn records(context: &Context<'_>) -> Answer<Vec<String>> {
    match context.dns.txt(&context.domain).await {
        Answer::Found(records) => {
            let spf: Vec<String> = records.into_iter().filter(|r| is_spf(r)).collect();
            if spf.is_empty() {
                Answer::Missing
            } else {
                Answer::Found(spf)
            }
        }
        other => other,
    }
}

/// Whether a TXT record is an SPF record (its version tag, any case).
fn is_spf(record: &str) -> bool {
    let record = record.trim_start().to_ascii_lowercase();
    record == "v=spf1" || record.starts_with("v=spf1 ")
}

/// The SPF checks, and the evaluation for the first relay address (DMARC
/// aligns with it).
pub(super) async fn checks(
    context: &Context<'_>,
    records: &Answer<Vec<String>>,
    relays: &[Relay],
) -> (Vec<Check>, Option<SpfOutput>) {
    let domain = &context.domain;
    let suggested = suggestion(relays);
    let records = match records {
        Answer::Found(records) => records,
        Answer::Missing => {
            return (
                vec![
                    Check::fail(Group::Spf, format!("{domain} has no SPF record"))
                        .fix(format!("publish TXT {domain} \"{suggested}\""))
                        .need(Need::Authenticated),
                ],
                None,
            );
        }
        Answer::Failed(error) => {
            return (
                vec![
                    Check::fail(
                        Group::Spf,
                        format!("the SPF record of {domain} could not be looked up: {error}"),
                    )
                    .need(Need::Authenticated),
                ],
                None,
            );
        }
    };
    let mut checks = Vec::new();
    if records.len() > 1 {
        checks.push(
            Check::fail(
                Group::Spf,
                format!(
                    "{domain} has {} SPF records; receivers then treat SPF as an error (RFC 7208 3.2)",
                    records.len()
                ),
            )
            .fix(format!(
                "keep one TXT record that starts with v=spf1 at {domain}, merging their mechanisms"
            ))
            .need(Need::Authenticated),
        );
        return (checks, None);
    }
    let record = &records[0];
    let parsed = match context.dns.spf(domain).await {
        Answer::Found(parsed) => parsed,
        _ => {
            checks.push(
                Check::fail(
                    Group::Spf,
                    format!("the SPF record of {domain} does not parse: {record}"),
                )
                .fix(format!("publish TXT {domain} \"{suggested}\""))
                .need(Need::Authenticated),
            );
            return (checks, None);
        }
    };
    let lookups = count_lookups(&context.dns, &parsed, 0).await;
    if lookups > LOOKUP_LIMIT {
        checks.push(
            Check::fail(
                Group::Spf,
                format!(
                    "the SPF record of {domain} needs {lookups} DNS lookups; over {LOOKUP_LIMIT}, receivers treat it as an error (RFC 7208 4.6.4): {record}"
                ),
            )
            .fix("replace include: mechanisms by the ip4:/ip6: ranges they stand for, or drop services that no longer send for you")
            .need(Need::Authenticated),
        );
    } else {
        checks.push(
            Check::pass(
                Group::Spf,
                format!(
                    "one SPF record at {domain}, {lookups} of {LOOKUP_LIMIT} lookups: {record}"
                ),
            )
            .need(Need::Authenticated),
        );
    }
    checks.push(ending(domain, &parsed));
    let mut first = None;
    let evaluations = relays.iter().flat_map(|relay| {
        relay
            .addresses
            .iter()
            .map(move |address| evaluate(context, relay, *address))
    });
    for (check, output) in futures_util::future::join_all(evaluations).await {
        checks.push(check);
        first.get_or_insert(output);
    }
    (checks, first)
}

/// What the record says of everyone else.
fn ending(domain: &str, spf: &Spf) -> Check {
    let all = spf
        .directives
        .iter()
        .find(|d| matches!(d.mechanism, Mechanism::All))
        .map(|d| d.qualifier.clone());
    match all {
        Some(Qualifier::Fail) => Check::pass(
            Group::Spf,
            format!("{domain} ends with -all: mail from other servers fails SPF"),
        ),
        Some(Qualifier::SoftFail) => Check::pass(
            Group::Spf,
            format!(
                "{domain} ends with ~all: mail from other servers soft-fails SPF (-all is stricter once every sender is listed)"
            ),
        ),
        Some(Qualifier::Pass) => Check::fail(
            Group::Spf,
            format!("{domain} ends with +all: every server on the Internet may send as {domain}"),
        )
        .fix("end the SPF record with -all (or ~all)")
        .need(Need::Authenticated),
        Some(Qualifier::Neutral) | None if spf.redirect.is_none() => Check::warn(
            Group::Spf,
            format!("the SPF record of {domain} says nothing of other servers (no -all or ~all)"),
        )
        .fix("end the SPF record with -all (or ~all)"),
        _ => Check::pass(
            Group::Spf,
            format!("{domain} hands the rest of its SPF to a redirect"),
        ),
    }
}

/// mail-auth's verdict on one relay address sending as the envelope sender.
async fn evaluate(context: &Context<'_>, relay: &Relay, address: IpAddr) -> (Check, SpfOutput) {
    let sender = context.project.config.from.email.to_string();
    let helo = relay.host.as_str();
    let output = context
        .dns
        .authenticator
        .verify_spf(mail_auth::spf::verify::SpfParameters::verify_mail_from(
            address,
            helo,
            "verdict.invalid",
            &sender,
        ))
        .await;
    let domain = &context.domain;
    let who = format!("{} ({address})", relay.host);
    let check = match output.result() {
        SpfResult::Pass => Check::pass(
            Group::Spf,
            format!("{who} may send as {domain}: SPF pass"),
        ),
        SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral | SpfResult::None => {
            Check::fail(
                Group::Spf,
                format!(
                    "{who} is not in the SPF record of {domain}: SPF {}",
                    output.result().to_string().to_ascii_lowercase()
                ),
            )
            .fix(format!(
                "add {} to the SPF record of {domain} (or the include: your relay's documentation gives)",
                mechanism(address)
            ))
        }
        SpfResult::TempError => Check::fail(
            Group::Spf,
            format!("SPF of {domain} could not be evaluated for {who}: a lookup failed"),
        ),
        SpfResult::PermError => Check::fail(
            Group::Spf,
            format!("SPF of {domain} is an error for {who} (too many lookups, or a broken include)"),
        )
        .fix("simplify the SPF record: fewer include: mechanisms, each pointing at a record that exists"),
    }
    .need(Need::Authenticated);
    (check, output)
}

/// The mechanism that lets one address send.
fn mechanism(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => format!("ip4:{v4}"),
        IpAddr::V6(v6) => format!("ip6:{v6}"),
    }
}

/// A record that lets the relays' addresses send, to publish when there is none.
fn suggestion(relays: &[Relay]) -> String {
    let mut words = vec!["v=spf1".to_string()];
    for relay in relays {
        for address in &relay.addresses {
            let word = mechanism(*address);
            if !words.contains(&word) {
                words.push(word);
            }
        }
    }
    words.push("-all".into());
    words.join(" ")
}

/// The DNS lookups evaluating `spf` takes (RFC 7208 4.6.4), following
/// include: and redirect= to the records they name; a name built from macros
/// counts once, unexpanded.
fn count_lookups<'a>(
    dns: &'a Dns,
    spf: &'a Spf,
    depth: usize,
) -> std::pin::Pin<Box<dyn Future<Output = usize> + Send + 'a>> {
    Box::pin(async move {
        let mut count = 0;
        let mut nested = Vec::new();
        for directive in spf.directives.iter() {
            match &directive.mechanism {
                Mechanism::Include { macro_string } => {
                    count += 1;
                    nested.extend(literal(macro_string));
                }
                Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr { .. }
                | Mechanism::Exists { .. } => count += 1,
                Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => {}
            }
        }
        if let Some(redirect) = &spf.redirect {
            count += 1;
            nested.extend(literal(redirect));
        }
        // Deep enough to pass the limit, shallow enough to stop a loop.
        if depth < LOOKUP_LIMIT {
            for name in nested {
                if let Answer::Found(inner) = dns.spf(&name).await {
                    count += count_lookups(dns, &inner, depth + 1).await;
                }
            }
        }
        count
    })
}

/// The domain a macro string names, when it is plain text.
fn literal(name: &Macro) -> Option<String> {
    match name {
        Macro::Literal(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        _ => None,
    }
}
