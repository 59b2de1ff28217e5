//! The relays verdict sends through (`[[relay]]`, else the one transport, as
//! `verdict send` picks it): each host resolves; online, a session that sends
//! nothing (EHLO, TLS with a certificate that verifies, AUTH, MAIL FROM, RSET,
//! QUIT) says what the relay offers, and each address's reverse DNS is checked
//! to lead back to it.

use std::net::IpAddr;

use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Ehlo, Mail, Rset};
use lettre::transport::smtp::extension::ClientId;

use super::dns::Answer;
use super::summary::Need;
use super::{Check, Context, Group};
use crate::send::transport::{SmtpEndpoint, TlsMode, TransportSpec};

/// A relay and the addresses its host resolved to.
pub(super) struct Relay {
    /// How reports name it.
    pub name: String,
    pub host: String,
    pub endpoint: Option<SmtpEndpoint>,
    pub password_file: Option<std::path::PathBuf>,
    pub addresses: Vec<IpAddr>,
    pub lookup: Answer<Vec<IpAddr>>,
}

/// The configured SMTP relays with their addresses; an outbox has none.
pub(super) async fn resolve(context: &Context<'_>) -> Vec<Relay> {
    let config = &context.project.config;
    let forced = crate::send::transport::forced(None).ok().flatten();
    let specs: Vec<(String, TransportSpec, Option<std::path::PathBuf>)> = match forced {
        Some(chosen) => vec![(chosen.spec.to_string(), chosen.spec, None)],
        None if !config.relays.is_empty() => config
            .relays
            .iter()
            .map(|r| (r.name.clone(), r.transport.clone(), r.password_file.clone()))
            .collect(),
        None => vec![(config.transport.to_string(), config.transport.clone(), None)],
    };
    let relays = specs
        .into_iter()
        .map(|(name, spec, password_file)| async move {
            match spec {
                TransportSpec::Outbox(_) => Relay {
                    name,
                    host: String::new(),
                    endpoint: None,
                    password_file,
                    addresses: Vec::new(),
                    lookup: Answer::Missing,
                },
                TransportSpec::Smtp(endpoint) => {
                    let lookup = context.dns.addresses(&endpoint.host).await;
                    let addresses = match &lookup {
                        Answer::Found(addresses) => addresses.clone(),
                        _ => Vec::new(),
                    };
                    Relay {
                        name,
                        host: endpoint.host.clone(),
                        endpoint: Some(endpoint),
                        password_file,
                        addresses,
                        lookup,
                    }
                }
            }
        });
    futures_util::future::join_all(relays).await
}

/// Whether each relay's host resolves.
pub(super) fn summarise(relays: &[Relay]) -> Vec<Check> {
    relays
        .iter()
        .map(|relay| match (&relay.endpoint, &relay.lookup) {
            (None, _) => Check::warn(
                Group::Relays,
                format!(
                    "{} writes files and sends nothing: SPF and the relay cannot be checked",
                    relay.name
                ),
            )
            .fix("set transport (or [[relay]] tables) in verdict.toml to your relay's SMTP URL"),
            (Some(_), Answer::Found(addresses)) => Check::pass(
                Group::Relays,
                format!(
                    "{} resolves to {}",
                    relay.host,
                    addresses
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            (Some(_), Answer::Missing) => Check::fail(
                Group::Relays,
                format!(
                    "{} does not resolve: verdict cannot reach this relay",
                    relay.host
                ),
            )
            .fix(format!(
                "check the host name of {} in verdict.toml",
                relay.name
            )),
            (Some(_), Answer::Failed(error)) => Check::fail(
                Group::Relays,
                format!("{} could not be looked up: {error}", relay.host),
            ),
        })
        .collect()
}

/// Online: a session with each relay address, and its reverse DNS.
pub(super) async fn checks(context: &Context<'_>, relays: &[Relay]) -> Vec<Check> {
    if !context.options.online {
        return Vec::new();
    }
    let probes = relays.iter().flat_map(|relay| {
        relay.endpoint.iter().flat_map(move |endpoint| {
            relay
                .addresses
                .iter()
                .map(move |address| probe(context, relay, endpoint, *address))
        })
    });
    futures_util::future::join_all(probes)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// One relay address: its reverse DNS and a session that sends nothing.
async fn probe(
    context: &Context<'_>,
    relay: &Relay,
    endpoint: &SmtpEndpoint,
    address: IpAddr,
) -> Vec<Check> {
    let (reverse, session) = tokio::join!(
        reverse_dns(context, address),
        session(context, relay, endpoint, address)
    );
    vec![session, reverse]
}

/// Forward-confirmed reverse DNS: the PTR name resolves back to the address.
async fn reverse_dns(context: &Context<'_>, address: IpAddr) -> Check {
    let names = match context.dns.reverse(address).await {
        Answer::Found(names) => names,
        Answer::Missing => {
            return Check::warn(Group::Relays, format!("{address} has no reverse DNS (PTR)"))
                .fix("ask whoever runs the relay for a PTR record naming it")
                .need(Need::ReverseDns);
        }
        Answer::Failed(error) => {
            return Check::warn(
                Group::Relays,
                format!("the reverse DNS of {address} could not be looked up: {error}"),
            )
            .need(Need::ReverseDns);
        }
    };
    for name in &names {
        if let Answer::Found(addresses) = context.dns.addresses(name).await
            && addresses.contains(&address)
        {
            return Check::pass(
                Group::Relays,
                format!("{address} has reverse DNS {name}, which resolves back to it"),
            )
            .need(Need::ReverseDns);
        }
    }
    Check::warn(
        Group::Relays,
        format!(
            "{address} has reverse DNS {} but that name does not resolve back to it",
            names.join(", ")
        ),
    )
    .fix("make the PTR name's A/AAAA record point at the address")
    .need(Need::ReverseDns)
}

/// EHLO, TLS, AUTH, MAIL FROM, RSET, QUIT: everything but a message.
async fn session(
    context: &Context<'_>,
    relay: &Relay,
    endpoint: &SmtpEndpoint,
    address: IpAddr,
) -> Check {
    let shown = format!("{}:{} ({address})", endpoint.host, endpoint.port);
    match tokio::time::timeout(
        context.options.deadline * 4,
        talk(context, relay, endpoint, address),
    )
    .await
    {
        Err(_) => Check::fail(
            Group::Relays,
            format!("{shown} did not finish a session in time"),
        ),
        Ok(Err(failure)) => {
            Check::fail(Group::Relays, format!("{shown}: {failure}")).need(Need::Tls)
        }
        Ok(Ok(offers)) => {
            let check = Check::new(
                Group::Relays,
                if offers.encrypted {
                    super::Status::Pass
                } else {
                    super::Status::Warn
                },
                format!(
                    "{shown} accepts the newsletter's sender; it offers {}",
                    offers.describe()
                ),
            );
            let check = if offers.encrypted {
                check
            } else {
                check.fix("use smtps:// or ?tls=required in the transport: Gmail wants mail carried over TLS")
            };
            check.need(Need::Tls)
        }
    }
}

/// What a relay offered in its session.
struct Offers {
    encrypted: bool,
    authenticated: bool,
    extensions: Vec<String>,
}

impl Offers {
    fn describe(&self) -> String {
        let mut words = Vec::new();
        words.push(
            if self.encrypted {
                "TLS (certificate verified)"
            } else {
                "no TLS"
            }
            .to_string(),
        );
        if self.authenticated {
            words.push("AUTH (logged in)".into());
        }
        for wanted in ["SIZE", "PIPELINING", "SMTPUTF8", "8BITMIME"] {
            if let Some(found) = self.extensions.iter().find(|e| {
                e.split_whitespace()
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case(wanted))
            }) {
                words.push(found.clone());
            }
        }
        words.join(", ")
    }
}

async fn talk(
    context: &Context<'_>,
    relay: &Relay,
    endpoint: &SmtpEndpoint,
    address: IpAddr,
) -> Result<Offers, String> {
    let hello = ClientId::default();
    let tls = || {
        TlsParameters::new(endpoint.host.clone())
            .map_err(|e| format!("cannot set up TLS for {}: {e}", endpoint.host))
    };
    let implicit = match endpoint.tls {
        TlsMode::Wrapper => Some(tls()?),
        _ => None,
    };
    let mut smtp = AsyncSmtpConnection::connect_tokio1(
        (address, endpoint.port),
        Some(context.options.deadline),
        &hello,
        implicit,
        None,
    )
    .await
    .map_err(|e| format!("no SMTP session: {e}"))?;
    let mut encrypted = endpoint.tls == TlsMode::Wrapper;
    if !encrypted && endpoint.tls != TlsMode::None && smtp.can_starttls() {
        smtp.starttls(tls()?, &hello)
            .await
            .map_err(|e| format!("STARTTLS failed: {e}"))?;
        encrypted = true;
    } else if endpoint.tls == TlsMode::Required {
        return Err("STARTTLS is required by the transport but not offered".into());
    }
    let mut authenticated = false;
    if let Some(user) = &endpoint.user {
        // As the sending transport takes it: the files and environment first.
        let password = crate::send::transport::password_for(
            &context.project.config,
            &context.project.layout,
            relay.password_file.as_deref(),
        )
        .map_err(|e| e.to_string())?
        .or_else(|| endpoint.url_password.clone());
        let Some(password) = password else {
            return Err(format!(
                "the relay wants user {user} to log in but no password is set ({})",
                crate::send::transport::PASSWORD_ENV
            ));
        };
        let credentials =
            lettre::transport::smtp::authentication::Credentials::new(user.clone(), password.0);
        smtp.auth(
            &[
                lettre::transport::smtp::authentication::Mechanism::Plain,
                lettre::transport::smtp::authentication::Mechanism::Login,
            ],
            &credentials,
        )
        .await
        .map_err(|e| format!("login as {user} refused: {e}"))?;
        authenticated = true;
    }
    let ehlo = smtp
        .command(Ehlo::new(hello.clone()))
        .await
        .map_err(|e| format!("EHLO refused: {e}"))?;
    let extensions: Vec<String> = ehlo.message().skip(1).map(str::to_string).collect();
    let from = context.project.config.from.email.clone();
    smtp.command(Mail::new(Some(from.clone()), vec![]))
        .await
        .map_err(|e| format!("MAIL FROM:<{from}> refused: {e}"))?;
    smtp.command(Rset)
        .await
        .map_err(|e| format!("RSET refused: {e}"))?;
    let _ = smtp.quit().await;
    Ok(Offers {
        encrypted,
        authenticated,
        extensions,
    })
}
