//! Sign-ups with double opt-in. `POST /subscribe` answers every well-formed
//! request the same way at the same speed: it only checks the form and queues
//! the request. A worker then decides, away from the answer, whether a
//! confirmation email goes out (not to a subscriber, never to an address
//! suppressed as bounced or complained, within the `limits`), records it
//! (`store`) and sends it through the project's transport, retrying a relay that
//! is down. The signed, expiring link shows a page on which a person clicks to
//! confirm (no script: a link scanner confirms nothing); the `POST` adds the
//! reader with how consent was given and sends the welcome email.

mod limits;
mod store;

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::html;
use serde::Deserialize;
use tokio::sync::mpsc;

pub use store::last_capped;

use super::Service;
use super::client::{ClientKey, Peer};
use crate::project::config::Signup as SignupConfig;
use crate::project::templates::{EmailText, Emails};
use crate::send::message::{OneOff, one_off};
use crate::send::transport::{AnyTransport, Class, Transport};
use crate::store::fs::FsError;
use crate::store::lists::Subscriber;
use crate::store::tokens::Purpose;
use limits::{Limits, Refused};
use store::{Pending, Store};

/// The longest name a sign-up may give.
const MAX_NAME_CHARS: usize = 100;
/// Requests waiting for the worker; more are answered the same and dropped.
const QUEUE: usize = 1024;
/// Attempts at a confirmation email through a relay that is down, and the
/// waits between them.
const RETRY_WAITS: [std::time::Duration; 2] = [
    std::time::Duration::from_secs(30),
    std::time::Duration::from_secs(300),
];

/// One request from the form, on its way to the worker.
#[derive(Debug)]
struct Ask {
    email: String,
    name: Option<String>,
    at: DateTime<Utc>,
}

/// Sign-ups of a running service.
pub struct Signups {
    transport: AnyTransport,
    /// Signs the confirmation and welcome emails as the issues are signed.
    dkim: Option<Arc<crate::send::message::DkimSigner>>,
    emails: Emails,
    limits: Limits,
    store: Store,
    queue: mpsc::Sender<Ask>,
    /// Taken by the worker when the service starts.
    waiting: std::sync::Mutex<Option<mpsc::Receiver<Ask>>>,
}

impl Signups {
    /// Reads the pending sign-ups still within their link's life.
    pub fn load(
        layout: &crate::project::layout::Layout,
        transport: AnyTransport,
        emails: Emails,
        config: SignupConfig,
        dkim: Option<Arc<crate::send::message::DkimSigner>>,
    ) -> Result<Signups, FsError> {
        let store = Store::load(&layout.pending_signups(), Utc::now() - config.link_valid)?;
        let (queue, waiting) = mpsc::channel(QUEUE);
        Ok(Signups {
            transport,
            dkim,
            emails,
            limits: Limits::new(config),
            store,
            queue,
            waiting: std::sync::Mutex::new(Some(waiting)),
        })
    }
}

/// Starts the worker that sends confirmation emails; the service calls it
/// once, when it starts.
pub(super) fn start(service: &Arc<Service>) {
    let Some(signups) = &service.signups else {
        return;
    };
    let Some(mut waiting) = signups
        .waiting
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    else {
        return;
    };
    let service = service.clone();
    tokio::spawn(async move {
        while let Some(ask) = waiting.recv().await {
            handle(&service, ask).await;
        }
    });
}

/// What the sign-up form posts.
#[derive(Debug, Deserialize)]
pub(super) struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    /// The honeypot: people leave it empty.
    #[serde(default)]
    website: String,
}

/// A name as typed, if it may be shown and kept: one line, without controls,
/// direction overrides or anything that reads as a link.
fn clean_name(raw: &str) -> Result<Option<String>, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err("Give a name of up to 100 characters, or none.");
    }
    if crate::diagnostic::text::has_control_char(name)
        || crate::diagnostic::text::bidi_control_offset(name).is_some()
    {
        return Err("Give the name on one line, without control characters.");
    }
    let lower = name.to_lowercase();
    let looks_like_link = lower.contains("://")
        || lower.contains("www.")
        || lower.contains('@')
        || lower.split_whitespace().any(|word| {
            let word = word.trim_matches(|c: char| !c.is_alphanumeric());
            word.rsplit_once('.').is_some_and(|(host, tld)| {
                !host.is_empty() && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
            })
        });
    if looks_like_link {
        return Err("Give just a name: no web or email addresses.");
    }
    Ok(Some(name.to_string()))
}

/// The one answer every accepted sign-up gets, whatever the address's standing.
fn check_your_inbox(service: &Service) -> Response {
    let newsletter = &service.project.config.name;
    service.page(
        "Check your inbox",
        html! {
            p { "If the address can get " (newsletter) ", a link to confirm is on its way. The subscription starts when you follow it." }
            p { "Nothing arrived? Look in the spam folder, or try again in an hour." }
        },
    )
    .into_response()
}

pub(super) async fn subscribe(
    State(service): State<Arc<Service>>,
    axum::Extension(peer): axum::Extension<Peer>,
    headers: axum::http::HeaderMap,
    Form(form): Form<SignupForm>,
) -> Response {
    let Some(signups) = &service.signups else {
        return not_open(&service);
    };
    let now = Utc::now();
    let client = ClientKey::of(service.proxies.client(peer.0, &headers));
    if !signups.limits.client_may_ask(client, now) {
        return service.problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ups",
            "Too many sign-ups came from your network in the last hour. Please try again later.",
        );
    }
    let Ok(email) = crate::store::lists::normalize_address(&form.email) else {
        return service.problem(
            StatusCode::BAD_REQUEST,
            "That is not an email address",
            "Go back and check the address.",
        );
    };
    let name = match clean_name(&form.name) {
        Ok(name) => name,
        Err(advice) => {
            return service.problem(StatusCode::BAD_REQUEST, "That name cannot be used", advice);
        }
    };
    if form.website.is_empty()
        && signups
            .queue
            .try_send(Ask {
                email,
                name,
                at: now,
            })
            .is_err()
    {
        tracing::warn!("the sign-up queue is full; a request was dropped");
    }
    check_your_inbox(&service)
}

fn not_open(service: &Service) -> Response {
    service.problem(
        StatusCode::NOT_FOUND,
        "Sign-ups are not open here",
        "This newsletter takes no sign-ups through this address.",
    )
}

/// The worker's part of a request: whether a confirmation goes out, and
/// sending it. Nothing here reaches the requester.
async fn handle(service: &Arc<Service>, ask: Ask) {
    let Some(signups) = &service.signups else {
        return;
    };
    let worker = service.clone();
    let email = ask.email.clone();
    let standing = tokio::task::spawn_blocking(move || worker.lists.standing(&email)).await;
    let standing = match standing {
        Ok(Ok(standing)) => standing,
        Ok(Err(error)) => {
            tracing::error!("a sign-up could not be looked up: {error}");
            return;
        }
        Err(_) => return,
    };
    if standing.subscribed && !standing.suppressed {
        return decided("nothing sent (already subscribed)");
    }
    if standing.blocked {
        return decided("nothing sent (suppressed as bounced or complained)");
    }
    match signups.limits.take(&ask.email, ask.at) {
        Ok(()) => {}
        Err(Refused::Everyone) => {
            tracing::warn!(
                "the hourly cap of confirmation emails ([signup] per_hour = {}) is reached; sign-ups wait",
                signups.limits.config.per_hour
            );
            if let Err(error) = signups.store.capped(ask.at) {
                tracing::warn!("cannot note the cap: {error}");
            }
            return decided("nothing sent (the hourly cap of confirmation emails is reached)");
        }
        Err(Refused::Mailbox) => {
            return decided("nothing sent (this mailbox got a confirmation within resend_after)");
        }
        Err(Refused::Domain) => {
            return decided("nothing sent (per_domain_per_hour is reached for its domain)");
        }
    }
    let id = crate::store::tokens::hex(&rand::random::<[u8; 16]>());
    let pending = Pending {
        email: ask.email.clone(),
        name: ask.name,
        requested: ask.at,
    };
    if let Err(error) = signups.store.request(&id, pending) {
        tracing::error!("a sign-up could not be recorded: {error}");
        signups.limits.give_back(&ask.email);
        return;
    }
    let service = service.clone();
    tokio::spawn(async move {
        confirm_with_retries(&service, &id, &ask.email, ask.at).await;
    });
}

/// One line in the service's log per request the worker decided on, without
/// the address: what an operator needs to follow sign-ups.
fn decided(what: &str) {
    tracing::info!("sign-up: {what}");
}

/// Sends a confirmation email, again after a wait while the relay is down;
/// a refusal or the last failure gives the limits back (and is logged without
/// the address), so that the reader may ask again at once.
async fn confirm_with_retries(service: &Arc<Service>, id: &str, email: &str, at: DateTime<Utc>) {
    let Some(signups) = &service.signups else {
        return;
    };
    let mut waits = RETRY_WAITS.iter();
    loop {
        let failure = match confirmation(service, signups, id, email, at) {
            Ok(message) => match signups.transport.send(&message).await {
                Ok(_) => return decided("confirmation sent"),
                Err(failure) => failure,
            },
            Err(error) => {
                tracing::error!("a confirmation email could not be made: {error}");
                signups.limits.give_back(email);
                return;
            }
        };
        let retry = matches!(failure.class, Class::Transient | Class::Unreachable);
        match waits.next() {
            Some(wait) if retry => {
                tracing::warn!(
                    "a confirmation email was not sent ({}); trying again in {} s",
                    crate::send::transport::mask_addresses(&failure.to_string()),
                    wait.as_secs()
                );
                tokio::time::sleep(*wait).await;
            }
            _ => {
                tracing::error!(
                    "a confirmation email was not sent: {}",
                    crate::send::transport::mask_addresses(&failure.to_string())
                );
                signups.limits.give_back(email);
                return decided("confirmation not sent (the relay failed; see the log)");
            }
        }
    }
}

/// The confirmation email of a pending sign-up.
fn confirmation(
    service: &Service,
    signups: &Signups,
    id: &str,
    email: &str,
    at: DateTime<Utc>,
) -> Result<crate::send::message::Outgoing, String> {
    let expires = (at + signups.limits.config.link_valid).timestamp();
    let token = service
        .links
        .get()
        .sign(Purpose::Confirm, &confirm_payload(id, expires));
    let link = format!(
        "{}?p={id}&e={expires}&t={token}",
        service.base_join("subscribe/confirm")
    );
    let days = signups.limits.config.link_valid.num_days().to_string();
    let site = service.base_join("");
    let values = [
        ("newsletter", service.project.config.name.as_str()),
        ("link", link.as_str()),
        ("days", days.as_str()),
        ("site", site.as_str()),
    ];
    signup_email(service, &signups.emails.confirm, &values, email, None)
}

/// One of the sign-up emails of `templates/emails.toml` to `to`, its
/// placeholders filled with `values`, DKIM-signed when keys are configured.
fn signup_email(
    service: &Service,
    text: &EmailText,
    values: &[(&str, &str)],
    to: &str,
    unsubscribe: Option<&str>,
) -> Result<crate::send::message::Outgoing, String> {
    let mut message = one_off(
        &service.project.config,
        &service.project.theme,
        &OneOff {
            to,
            subject: &EmailText::fill(&text.subject, values),
            text: &EmailText::fill(&text.text, values),
            unsubscribe,
        },
    )
    .map_err(|e| e.to_string())?;
    if let Some(dkim) = service.signups.as_ref().and_then(|s| s.dkim.as_ref()) {
        let now = Utc::now().timestamp().max(0) as u64;
        message.bytes = dkim
            .sign_message(&message.bytes, now)
            .map_err(|e| format!("cannot sign the email: the DKIM key {e}"))?;
    }
    Ok(message)
}

/// What a confirmation link's token signs.
fn confirm_payload(id: &str, expires: i64) -> String {
    format!("{id}:{expires}")
}

/// The query of a confirmation link.
#[derive(Debug, Deserialize)]
pub(super) struct ConfirmQuery {
    #[serde(default)]
    p: String,
    #[serde(default)]
    e: i64,
    #[serde(default)]
    t: String,
}

/// Why a confirmation link does not work.
enum LinkProblem {
    Forged,
    Expired,
}

fn check_link(service: &Service, query: &ConfirmQuery) -> Result<(), LinkProblem> {
    let genuine = query.p.len() == 32
        && query.p.chars().all(|c| c.is_ascii_hexdigit())
        && service.links.verify(
            Purpose::Confirm,
            &confirm_payload(&query.p, query.e),
            &query.t,
        );
    if !genuine {
        return Err(LinkProblem::Forged);
    }
    if Utc::now().timestamp() > query.e {
        return Err(LinkProblem::Expired);
    }
    Ok(())
}

fn link_problem(service: &Service, problem: LinkProblem) -> Response {
    match problem {
        LinkProblem::Forged => service.problem(
            StatusCode::FORBIDDEN,
            "This link is not valid",
            "Use the link from the confirmation email, or sign up again.",
        ),
        LinkProblem::Expired => service.problem(
            StatusCode::GONE,
            "This link has expired",
            "Sign up again to get a new one.",
        ),
    }
}

pub(super) async fn confirm_page(
    State(service): State<Arc<Service>>,
    query: Result<Query<ConfirmQuery>, QueryRejection>,
) -> Response {
    // A garbled link is as invalid as a forged one.
    let Ok(Query(query)) = query else {
        return link_problem(&service, LinkProblem::Forged);
    };
    let newsletter = &service.project.config.name;
    if let Err(problem) = check_link(&service, &query) {
        return link_problem(&service, problem);
    }
    let name = service
        .signups
        .as_ref()
        .and_then(|s| s.store.get(&query.p))
        .and_then(|pending| pending.name);
    let action = format!("?p={}&e={}&t={}", query.p, query.e, query.t);
    // A person clicks: a link scanner that opens the page confirms nothing.
    service
        .page(
            &format!("Confirm your subscription to {newsletter}"),
            html! {
                @if let Some(name) = name {
                    p { "You asked to subscribe as " strong { (name) } "." }
                }
                form method="post" action=(action) {
                    button type="submit" { "Yes, subscribe me" }
                }
            },
        )
        .into_response()
}

pub(super) async fn confirm(
    State(service): State<Arc<Service>>,
    query: Result<Query<ConfirmQuery>, QueryRejection>,
) -> Response {
    // A garbled link is as invalid as a forged one.
    let Ok(Query(query)) = query else {
        return link_problem(&service, LinkProblem::Forged);
    };
    if let Err(problem) = check_link(&service, &query) {
        return link_problem(&service, problem);
    }
    let Some(signups) = &service.signups else {
        return not_open(&service);
    };
    let Some(pending) = signups.store.get(&query.p) else {
        // Confirmed already (a second click), or the service lost it: either way
        // there is nothing left to do but say where things stand.
        return subscribed_page(&service);
    };
    let now = Utc::now();
    let consent = format!(
        "double opt-in: asked {} through the sign-up form, confirmed {}",
        pending
            .requested
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let subscriber = Subscriber {
        email: pending.email.clone(),
        name: pending.name.clone(),
        subscribed_at: Some(now),
        consent: Some(consent),
    };
    let worker = service.clone();
    let added = tokio::task::spawn_blocking(move || worker.lists.subscribe(subscriber)).await;
    match added {
        Ok(Ok(added)) => {
            // The reader is on the list either way; without this record a
            // restarted service would offer the link again, which adds nobody twice.
            if let Err(error) = signups.store.confirmed(&query.p, now) {
                tracing::warn!("a confirmed sign-up was not noted: {error}");
            }
            if added && let Err(error) = welcome(&service, signups, &pending.email).await {
                tracing::warn!(
                    "the welcome email was not sent: {}",
                    crate::send::transport::mask_addresses(&error)
                );
            }
            subscribed_page(&service)
        }
        _ => service.problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "Something went wrong on our side; nothing was recorded.",
        ),
    }
}

async fn welcome(service: &Arc<Service>, signups: &Signups, email: &str) -> Result<(), String> {
    let latest = service
        .latest_issue_url()
        .unwrap_or_else(|| service.base_join(""));
    let site = service.base_join("");
    let values = [
        ("newsletter", service.project.config.name.as_str()),
        ("latest", latest.as_str()),
        ("site", site.as_str()),
    ];
    let unsubscribe = service
        .links
        .get()
        .unsubscribe_url(service.project.config.unsubscribe_url.as_str(), email);
    let message = signup_email(
        service,
        &signups.emails.welcome,
        &values,
        email,
        Some(&unsubscribe),
    )?;
    signups
        .transport
        .send(&message)
        .await
        .map(|_| ())
        .map_err(|f| f.to_string())
}

fn subscribed_page(service: &Service) -> Response {
    let newsletter = &service.project.config.name;
    service
        .page(
            "You are subscribed",
            html! {
                p { "The next comparison of " (newsletter) " comes to your inbox." }
            },
        )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_one_plain_line_without_links() {
        assert_eq!(
            clean_name("  Ada Lovelace "),
            Ok(Some("Ada Lovelace".into()))
        );
        assert_eq!(clean_name("J. R. Smith"), Ok(Some("J. R. Smith".into())));
        assert_eq!(clean_name(""), Ok(None));
        for bad in [
            "Win a prize at https://evil.example",
            "visit evil.example now",
            "www.evil",
            "me@evil.example",
            "Ada\u{202E}txt.exe",
            "Ada\u{2066}x",
            "two\nlines",
            &"x".repeat(101),
        ] {
            assert!(clean_name(bad).is_err(), "{bad:?}");
        }
    }
}
