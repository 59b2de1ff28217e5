//! One-click unsubscribe (RFC 8058): GET shows a confirmation page and changes
//! nothing (mail scanners follow links); a POST with a genuine signed link and
//! the body `List-Unsubscribe=One-Click`, form-encoded or multipart as RFC 8058
//! prefers, suppresses the address durably, once, at once. The page that says
//! so offers the way back: the site's sign-up for the same address, which
//! subscribes nobody until the reader follows the link it mails (the one path
//! by which a suppressed address returns).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::Service;
use crate::store::lists::{Reason, Suppression};
use crate::store::tokens::{Purpose, decode_address};

/// The RFC 8058 body of a one-click unsubscribe.
pub(super) const ONE_CLICK_KEY: &str = "List-Unsubscribe";
const ONE_CLICK_VALUE: &str = "One-Click";

/// The address a link is for, if its token is genuine.
fn verified_address(service: &Service, query: &HashMap<String, String>) -> Option<String> {
    let encoded = query.get("u")?;
    let token = query.get("t")?;
    let email = crate::store::lists::normalize_address(&decode_address(encoded)?).ok()?;
    service
        .links
        .verify(Purpose::Unsubscribe, &email, token)
        .then_some(email)
}

pub(super) async fn confirm_page(
    State(service): State<Arc<Service>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let newsletter = &service.project.config.name;
    let Some(email) = verified_address(&service, &query) else {
        return invalid_link(&service);
    };
    let action = format!(
        "{}?u={}&t={}",
        service.unsubscribe_path,
        query.get("u").map(String::as_str).unwrap_or_default(),
        query.get("t").map(String::as_str).unwrap_or_default()
    );
    service
        .page(
            &format!("Unsubscribe from {newsletter}?"),
            html! {
                p { "Press the button to stop all email to " strong { (email) } "." }
                form method="post" action=(action) {
                    input type="hidden" name=(ONE_CLICK_KEY) value=(ONE_CLICK_VALUE);
                    button type="submit" { "Unsubscribe" }
                }
            },
        )
        .into_response()
}

/// Whether a body says `List-Unsubscribe=One-Click`, in either encoding.
async fn is_one_click(request: Request, service: &Arc<Service>) -> bool {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if multipart {
        let Ok(mut form) = Multipart::from_request(request, service).await else {
            return false;
        };
        while let Ok(Some(field)) = form.next_field().await {
            let named = field.name() == Some(ONE_CLICK_KEY);
            if named
                && field
                    .text()
                    .await
                    .is_ok_and(|v| v.trim() == ONE_CLICK_VALUE)
            {
                return true;
            }
        }
        return false;
    }
    let Ok(body) = Bytes::from_request(request, service).await else {
        return false;
    };
    url::form_urlencoded::parse(&body)
        .any(|(key, value)| key == ONE_CLICK_KEY && value == ONE_CLICK_VALUE)
}

pub(super) async fn unsubscribe(
    State(service): State<Arc<Service>>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let Some(email) = verified_address(&service, &query) else {
        return invalid_link(&service);
    };
    let too_large = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n > super::MAX_BODY_BYTES);
    if too_large {
        return service.problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request is too large",
            "Nothing was changed. Use the button on the unsubscribe page.",
        );
    }
    if !is_one_click(request, &service).await {
        return service.problem(
            StatusCode::BAD_REQUEST,
            "Nothing was changed",
            &format!(
                "An unsubscribe needs the body {ONE_CLICK_KEY}={ONE_CLICK_VALUE} (RFC 8058), which the button on the unsubscribe page sends."
            ),
        );
    }
    let entry = Suppression::now(&email, Reason::Unsubscribed, "one-click unsubscribe");
    let recorder = service.clone();
    let written = tokio::task::spawn_blocking(move || recorder.lists.suppress(entry)).await;
    match written {
        Ok(Ok(_)) => unsubscribed_page(&service, &email),
        Ok(Err(error)) => {
            tracing::error!("cannot record an unsubscribe: {error}");
            service.problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "The unsubscribe could not be saved; nothing was changed.",
            )
        }
        Err(_) => service.problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Please try again",
            "Something went wrong on our side.",
        ),
    }
}

/// What happened, and the way back: a sign-up for the same address, which
/// mails a link to confirm (so nobody is subscribed by a click on this page
/// alone, nor anyone else through it).
fn unsubscribed_page(service: &Service, email: &str) -> Response {
    let newsletter = &service.project.config.name;
    service
        .page(
            "You are unsubscribed",
            html! {
                p { strong { (email) } " will get no more email from " (newsletter) "." }
                @if service.signups.is_some() {
                    h2 { "Unsubscribed by mistake?" }
                    p { "Subscribe again: we email " strong { (email) } " a link to confirm, and nothing changes until you follow it." }
                    form method="post" action=(service.site_path(crate::project::routes::SUBSCRIBE.trim_start_matches('/'))) {
                        input type="hidden" name="email" value=(email);
                        button type="submit" class="quiet" { "Subscribe me again" }
                    }
                }
            },
        )
        .into_response()
}

fn invalid_link(service: &Service) -> Response {
    service.problem(
        StatusCode::FORBIDDEN,
        "This link is not valid",
        "Use the unsubscribe link from one of our emails, or reply to it and we will remove you.",
    )
}
