//! Sign-ups with double opt-in: `POST /subscribe` answers the same page whoever
//! asks (no enumeration) and sends one confirmation email through the project's
//! transport, within limits per address, per client and per hour; the signed,
//! expiring link shows a page whose `POST` (submitted by a few lines of script,
//! or by hand) adds the reader to the list with how consent was given and
//! sends the welcome email. Pending sign-ups are kept in `state/signups.log`.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{PreEscaped, html};
use serde::{Deserialize, Serialize};

use super::{ClientAddr, Service, page};
use crate::project::config::Signup as Limits;
use crate::project::templates::{EmailText, Emails};
use crate::send::ledger::address_key;
use crate::send::message::{OneOff, one_off};
use crate::send::transport::{AnyTransport, Transport};
use crate::store::fs::FsError;
use crate::store::lists::Subscriber;

/// The longest name a sign-up may give.
const MAX_NAME_CHARS: usize = 100;

/// One line of `state/signups.log`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Record {
    Requested {
        id: String,
        email: String,
        #[serde(default)]
        name: Option<String>,
        at: DateTime<Utc>,
    },
    Confirmed {
        id: String,
        at: DateTime<Utc>,
    },
}

/// A sign-up waiting for its confirmation.
#[derive(Debug, Clone)]
struct Pending {
    email: String,
    name: Option<String>,
    requested: DateTime<Utc>,
}

/// Sign-ups of a running service.
pub struct Signups {
    transport: AnyTransport,
    /// Signs the confirmation and welcome emails as the issues are signed.
    dkim: Option<std::sync::Arc<crate::send::message::DkimSigner>>,
    emails: Emails,
    limits: Limits,
    file: std::path::PathBuf,
    state: Mutex<State_>,
}

#[derive(Default)]
struct State_ {
    pending: HashMap<String, Pending>,
    /// When each address (hashed) last got a confirmation email.
    last_sent: HashMap<u64, DateTime<Utc>>,
    /// Sign-up requests per client in the last hour.
    clients: HashMap<IpAddr, VecDeque<DateTime<Utc>>>,
    /// Confirmation emails sent in the last hour.
    sent: VecDeque<DateTime<Utc>>,
}

impl Signups {
    /// Reads the pending sign-ups still within their link's life.
    pub fn load(
        layout: &crate::project::layout::Layout,
        transport: AnyTransport,
        emails: Emails,
        limits: Limits,
        dkim: Option<std::sync::Arc<crate::send::message::DkimSigner>>,
    ) -> Result<Signups, FsError> {
        let file = layout.pending_signups();
        let mut state = State_::default();
        let horizon = Utc::now() - limits.link_valid;
        if let Some(text) = crate::store::fs::read_optional(&file)? {
            for line in text.lines() {
                match serde_json::from_str::<Record>(line) {
                    Ok(Record::Requested {
                        id,
                        email,
                        name,
                        at,
                    }) if at > horizon => {
                        state.last_sent.insert(address_key(&email), at);
                        state.pending.insert(
                            id,
                            Pending {
                                email,
                                name,
                                requested: at,
                            },
                        );
                    }
                    Ok(Record::Confirmed { id, .. }) => {
                        state.pending.remove(&id);
                    }
                    _ => {}
                }
            }
        }
        Ok(Signups {
            transport,
            dkim,
            emails,
            limits,
            file,
            state: Mutex::new(state),
        })
    }

    /// The email with its DKIM signatures, when keys are configured.
    fn signed(
        &self,
        mut message: crate::send::message::Outgoing,
    ) -> Result<crate::send::message::Outgoing, String> {
        if let Some(dkim) = &self.dkim {
            let now = Utc::now().timestamp().max(0) as u64;
            message.bytes = dkim
                .sign_message(&message.bytes, now)
                .map_err(|e| format!("cannot sign the email: the DKIM key {e}"))?;
        }
        Ok(message)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn append(&self, record: &Record) -> Result<(), FsError> {
        if let Some(dir) = self.file.parent() {
            crate::store::fs::create_private_dir(dir)?;
        }
        let mut line = serde_json::to_vec(record).unwrap_or_default();
        line.push(b'\n');
        let mut file = crate::store::fs::open_append(&self.file, 0o600)?;
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(|e| FsError::new("cannot write", &self.file, e))
    }

    /// Whether this client may ask again (and counts the ask).
    fn client_may_ask(&self, client: IpAddr, now: DateTime<Utc>) -> bool {
        let hour_ago = now - chrono::Duration::hours(1);
        let mut state = self.state();
        let asks = state.clients.entry(client).or_default();
        while asks.front().is_some_and(|at| *at < hour_ago) {
            asks.pop_front();
        }
        if asks.len() >= self.limits.per_client_per_hour as usize {
            return false;
        }
        asks.push_back(now);
        // Forget quiet clients, so that the table stays small.
        if state.clients.len() > 10_000 {
            state
                .clients
                .retain(|_, asks| asks.back().is_some_and(|at| *at >= hour_ago));
        }
        true
    }
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

/// The one answer every accepted sign-up gets, whatever the address's standing.
fn check_your_inbox(newsletter: &str) -> Response {
    page(
        newsletter,
        html! {
            h1 { "Check your inbox" }
            p { "If the address can get " (newsletter) ", a link to confirm is on its way. The subscription starts when you follow it." }
            p { "Nothing arrived? Look in the spam folder, or try again in an hour." }
        },
    )
    .into_response()
}

pub(super) async fn subscribe(
    State(service): State<Arc<Service>>,
    axum::Extension(client): axum::Extension<ClientAddr>,
    headers: axum::http::HeaderMap,
    Form(form): Form<SignupForm>,
) -> Response {
    let newsletter = service.config.name.clone();
    let Some(signups) = &service.signups else {
        return (StatusCode::NOT_FOUND, "sign-ups are not open here\n").into_response();
    };
    let now = Utc::now();
    if !signups.client_may_ask(client.behind_proxy(&headers), now) {
        let body = page(
            &newsletter,
            html! { h1 { "Too many sign-ups" } p { "Too many sign-ups came from your network in the last hour. Please try again later." } },
        );
        return (StatusCode::TOO_MANY_REQUESTS, body).into_response();
    }
    let Ok(email) = crate::store::lists::normalize_address(&form.email) else {
        let body = page(
            &newsletter,
            html! { h1 { "That is not an email address" } p { "Go back and check the address." } },
        );
        return (StatusCode::BAD_REQUEST, body).into_response();
    };
    let name = form.name.trim();
    if name.chars().count() > MAX_NAME_CHARS || crate::diagnostic::text::has_control_char(name) {
        let body = page(
            &newsletter,
            html! { h1 { "That name is not one line" } p { "Give a name of up to 100 characters, or none." } },
        );
        return (StatusCode::BAD_REQUEST, body).into_response();
    }
    if !form.website.is_empty() {
        return check_your_inbox(&newsletter);
    }
    let name = (!name.is_empty()).then(|| name.to_string());
    let worker = service.clone();
    let sent =
        tokio::task::spawn_blocking(move || worker.lists.standing(&email).map(|s| (email, s)))
            .await;
    let (email, standing) = match sent {
        Ok(Ok(found)) => found,
        _ => return unavailable(&newsletter),
    };
    if standing.subscribed && !standing.suppressed {
        return check_your_inbox(&newsletter);
    }
    if let Err(error) = request(&service, signups, email, name, now).await {
        eprintln!("error: a sign-up could not be recorded: {error}");
        return unavailable(&newsletter);
    }
    check_your_inbox(&newsletter)
}

/// Records a sign-up and sends its confirmation, within the limits.
async fn request(
    service: &Arc<Service>,
    signups: &Signups,
    email: String,
    name: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let key = address_key(&email);
    let id = crate::send::message::hex(&rand::random::<[u8; 16]>());
    {
        let mut state = signups.state();
        if state
            .last_sent
            .get(&key)
            .is_some_and(|at| *at > now - signups.limits.resend_after)
        {
            return Ok(());
        }
        let hour_ago = now - chrono::Duration::hours(1);
        while state.sent.front().is_some_and(|at| *at < hour_ago) {
            state.sent.pop_front();
        }
        if state.sent.len() >= signups.limits.per_hour as usize {
            eprintln!("warning: the hourly cap of confirmation emails is reached; sign-ups wait");
            return Ok(());
        }
        state.sent.push_back(now);
        state.last_sent.insert(key, now);
        state.pending.insert(
            id.clone(),
            Pending {
                email: email.clone(),
                name: name.clone(),
                requested: now,
            },
        );
    }
    signups
        .append(&Record::Requested {
            id: id.clone(),
            email: email.clone(),
            name,
            at: now,
        })
        .map_err(|e| e.to_string())?;
    let expires = (now + signups.limits.link_valid).timestamp();
    let token = service.links.signer().token(&confirm_text(&id, expires));
    let link = format!(
        "{}?p={id}&e={expires}&t={token}",
        service.base_join("subscribe/confirm")
    );
    let days = signups.limits.link_valid.num_days().to_string();
    let site = service.base_join("");
    let values = [
        ("newsletter", service.config.name.as_str()),
        ("link", link.as_str()),
        ("days", days.as_str()),
        ("site", site.as_str()),
    ];
    let text = &signups.emails.confirm;
    let message = one_off(
        &service.config,
        &service.theme,
        &OneOff {
            to: &email,
            subject: &EmailText::fill(&text.subject, &values),
            text: &EmailText::fill(&text.text, &values),
            unsubscribe: None,
        },
    )
    .map_err(|e| e.to_string())
    .and_then(|m| signups.signed(m))?;
    if let Err(failure) = signups.transport.send(&message).await {
        // Let the reader try again at once: nothing reached them.
        signups.state().last_sent.remove(&key);
        return Err(format!("the confirmation email was not sent: {failure}"));
    }
    Ok(())
}

/// What a confirmation link's token signs.
fn confirm_text(id: &str, expires: i64) -> String {
    format!("confirm:{id}:{expires}")
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
        && service
            .links
            .verify_text(&confirm_text(&query.p, query.e), &query.t);
    if !genuine {
        return Err(LinkProblem::Forged);
    }
    if Utc::now().timestamp() > query.e {
        return Err(LinkProblem::Expired);
    }
    Ok(())
}

fn link_problem(newsletter: &str, problem: LinkProblem) -> Response {
    match problem {
        LinkProblem::Forged => (
            StatusCode::FORBIDDEN,
            page(newsletter, html! { h1 { "This link is not valid" } p { "Use the link from the confirmation email, or sign up again." } }),
        )
            .into_response(),
        LinkProblem::Expired => (
            StatusCode::GONE,
            page(newsletter, html! { h1 { "This link has expired" } p { "Sign up again to get a new one." } }),
        )
            .into_response(),
    }
}

pub(super) async fn confirm_page(
    State(service): State<Arc<Service>>,
    Query(query): Query<ConfirmQuery>,
) -> Response {
    let newsletter = &service.config.name;
    if let Err(problem) = check_link(&service, &query) {
        return link_problem(newsletter, problem);
    }
    let action = format!("?p={}&e={}&t={}", query.p, query.e, query.t);
    page(
        newsletter,
        html! {
            h1 { "Confirm your subscription to " (newsletter) }
            form id="confirm" method="post" action=(action) {
                button type="submit" { "Yes, subscribe me" }
            }
            // People need no second click; mail scanners, which run no scripts, confirm nothing.
            script { (PreEscaped("document.getElementById('confirm').submit();")) }
        },
    )
    .into_response()
}

pub(super) async fn confirm(
    State(service): State<Arc<Service>>,
    Query(query): Query<ConfirmQuery>,
) -> Response {
    let newsletter = service.config.name.clone();
    if let Err(problem) = check_link(&service, &query) {
        return link_problem(&newsletter, problem);
    }
    let Some(signups) = &service.signups else {
        return (StatusCode::NOT_FOUND, "sign-ups are not open here\n").into_response();
    };
    let pending = signups.state().pending.get(&query.p).cloned();
    let Some(pending) = pending else {
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
            let _ = signups.append(&Record::Confirmed {
                id: query.p.clone(),
                at: now,
            });
            signups.state().pending.remove(&query.p);
            if added && let Err(error) = welcome(&service, signups, &pending.email).await {
                eprintln!("warning: the welcome email was not sent: {error}");
            }
            subscribed_page(&service)
        }
        _ => unavailable(&newsletter),
    }
}

async fn welcome(service: &Arc<Service>, signups: &Signups, email: &str) -> Result<(), String> {
    let latest = service
        .latest_issue_url()
        .unwrap_or_else(|| service.base_join(""));
    let site = service.base_join("");
    let values = [
        ("newsletter", service.config.name.as_str()),
        ("latest", latest.as_str()),
        ("site", site.as_str()),
    ];
    let unsubscribe = service
        .links
        .signer()
        .url(service.config.unsubscribe_url.as_str(), email);
    let text = &signups.emails.welcome;
    let message = one_off(
        &service.config,
        &service.theme,
        &OneOff {
            to: email,
            subject: &EmailText::fill(&text.subject, &values),
            text: &EmailText::fill(&text.text, &values),
            unsubscribe: Some(&unsubscribe),
        },
    )
    .map_err(|e| e.to_string())
    .and_then(|m| signups.signed(m))?;
    signups
        .transport
        .send(&message)
        .await
        .map(|_| ())
        .map_err(|f| f.to_string())
}

fn subscribed_page(service: &Service) -> Response {
    let newsletter = &service.config.name;
    page(
        newsletter,
        html! {
            h1 { "You are subscribed" }
            p { "The next comparison of " (newsletter) " comes to your inbox." }
            @if let Some(latest) = service.latest_issue_url() {
                p { a href=(latest) { "Read the latest one now" } }
            }
        },
    )
    .into_response()
}

fn unavailable(newsletter: &str) -> Response {
    let body = page(
        newsletter,
        html! { h1 { "Please try again" } p { "Something went wrong on our side; nothing was recorded." } },
    );
    (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
}
