//! The one-click unsubscribe service: GET shows a confirmation page and changes
//! nothing (mail scanners follow links); an RFC 8058 POST with a valid signed token
//! suppresses the address durably, idempotently, at once.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};

use crate::layout::Layout;
use crate::subscribers::{self, Reason, Suppression};
use crate::unsubscribe::{Signer, decode_address};

/// The RFC 8058 body of a one-click unsubscribe.
pub const ONE_CLICK_BODY: &str = "List-Unsubscribe=One-Click";
/// Request bodies are tiny; anything larger is refused.
pub const MAX_BODY_BYTES: usize = 1024;

/// What the service needs.
pub struct Service {
    pub layout: Layout,
    pub signer: Signer,
    pub newsletter: String,
    /// The path of the unsubscribe URL, e.g. `/unsubscribe`.
    pub path: String,
}

struct Shared {
    service: Service,
}

/// Builds the router.
fn router(shared: Arc<Shared>) -> Router {
    let path = shared.service.path.clone();
    Router::new()
        .route(&path, get(confirm_page).post(unsubscribe))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

/// Serves until SIGTERM or Ctrl-C, finishing requests under way.
pub async fn run(service: Service, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let shared = Arc::new(Shared { service });
    let app = router(shared);
    let shutdown = async move {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = terminate => {},
            _ = tokio::signal::ctrl_c() => {},
        }
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The address a link is for, if its token is genuine.
fn verified_address(shared: &Shared, query: &HashMap<String, String>) -> Option<String> {
    let encoded = query.get("u")?;
    let token = query.get("t")?;
    let email = subscribers::normalize_address(&decode_address(encoded)?).ok()?;
    shared.service.signer.verify(&email, token).then_some(email)
}

async fn confirm_page(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let newsletter = &shared.service.newsletter;
    match verified_address(&shared, &query) {
        None => invalid_link(newsletter),
        Some(email) => {
            let action = format!(
                "{}?u={}&t={}",
                shared.service.path,
                query.get("u").map(String::as_str).unwrap_or_default(),
                query.get("t").map(String::as_str).unwrap_or_default()
            );
            page(
                newsletter,
                html! {
                    h1 { "Unsubscribe from " (newsletter) "?" }
                    p { "Press the button to stop all email to " strong { (email) } "." }
                    form method="post" action=(action) {
                        input type="hidden" name="List-Unsubscribe" value="One-Click";
                        button type="submit" { "Unsubscribe" }
                    }
                },
            )
            .into_response()
        }
    }
}

async fn unsubscribe(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let newsletter = shared.service.newsletter.clone();
    let Some(email) = verified_address(&shared, &query) else {
        return invalid_link(&newsletter);
    };
    let one_click = url::form_urlencoded::parse(&body)
        .any(|(key, value)| format!("{key}={value}") == ONE_CLICK_BODY);
    if !one_click {
        return (
            StatusCode::BAD_REQUEST,
            format!("expected the body {ONE_CLICK_BODY} (RFC 8058)\n"),
        )
            .into_response();
    }
    let layout = shared.service.layout.clone();
    let entry = Suppression::now(&email, Reason::Unsubscribed, "one-click unsubscribe");
    let written =
        tokio::task::spawn_blocking(move || subscribers::suppress(&layout, &[entry])).await;
    match written {
        Ok(Ok(_)) => page(
            &newsletter,
            html! {
                h1 { "You are unsubscribed" }
                p { strong { (email) } " will get no more email from " (newsletter) "." }
            },
        )
        .into_response(),
        Ok(Err(error)) => {
            eprintln!("error: cannot record the unsubscribe of {email}: {error}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the unsubscribe could not be saved; please try again\n",
            )
                .into_response()
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response(),
    }
}

fn invalid_link(newsletter: &str) -> Response {
    let body = page(
        newsletter,
        html! {
            h1 { "This link is not valid" }
            p { "Use the unsubscribe link from one of our emails, or reply to it and we will remove you." }
        },
    );
    (StatusCode::FORBIDDEN, body).into_response()
}

fn page(newsletter: &str, content: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="robots" content="noindex";
                    title { (newsletter) }
                    style { "body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.6rem 1.2rem}" }
                }
                body { (content) }
            }
        }
        .into_string(),
    )
}
