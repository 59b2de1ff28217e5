//! `verdict serve`'s HTTP side: one accept loop with limits that no client can
//! outlast (a cap on connections and on each client's, deadlines for the
//! headers and for the whole request, a bounded graceful shutdown), security
//! headers and one log line per request, and the routes: one-click unsubscribe
//! (`unsubscribe`), sign-ups with double opt-in (`signup`), the community vote
//! (`vote`), counted links to tools (`go`, written to disk every few seconds
//! and at shutdown) and the static site (`site`), on pages in the newsletter's
//! colours (`pages`).
//! Clients are told apart by `client`. Signed links are checked with the keys
//! as they are now (`store::tokens::LiveKeys`); both lists are followed in
//! memory (`store::lists::Lists`), so that no request reads a whole list.

mod client;
mod go;
mod pages;
mod signup;
mod site;
mod unsubscribe;
mod vote;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

use crate::project::routes;

pub use crate::store::lists::Lists;
pub use client::Proxies;
use client::{ClientKey, Connections, Peer};
pub use signup::{Signups, last_capped};

/// Request bodies are small forms; anything larger is refused.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// How often counted clicks are written to `state/clicks/`: at most this
/// much counting is lost if the service is killed (a clean stop writes all).
pub const CLICKS_WRITTEN_EVERY: Duration = Duration::from_secs(5);

/// What the service needs.
pub struct Service {
    /// The project, loaded once when the service started.
    pub project: Arc<crate::project::Project>,
    pub links: crate::store::tokens::LiveKeys,
    pub lists: Lists,
    /// The path of the unsubscribe URL, e.g. `/unsubscribe`.
    pub unsubscribe_path: String,
    /// Sign-ups, when the newsletter has a site (`base_url`).
    pub signups: Option<Signups>,
    /// Who may say who the client is.
    pub proxies: Proxies,
    /// The readers' votes as they stand.
    pub ballots: crate::web::votes::Ballots,
    /// Uses of each vote link in the last hour.
    pub vote_links: client::Window<u64>,
    /// Clicks on the links to tools, until they are written.
    pub clicks: crate::web::clicks::Counter,
}

impl Service {
    /// The service of a loaded project.
    pub fn new(
        project: crate::project::Project,
        links: crate::store::tokens::LiveKeys,
        lists: Lists,
        signups: Option<Signups>,
    ) -> Service {
        Service {
            unsubscribe_path: project.config.unsubscribe_url.path().to_string(),
            proxies: Proxies(project.config.serve.trusted_proxies.clone()),
            links,
            lists,
            signups,
            ballots: crate::web::votes::Ballots::default(),
            vote_links: client::Window::new(10, chrono::Duration::hours(1), 100_000),
            clicks: crate::web::clicks::Counter::new(project.layout.clone()),
            project: Arc::new(project),
        }
    }
}

impl Service {
    /// An address on the site (`base_url` joined with `path`).
    fn base_join(&self, path: &str) -> String {
        self.project
            .config
            .site_root()
            .and_then(|root| root.join(path).ok())
            .map(|url| url.to_string())
            .unwrap_or_default()
    }

    /// A path on the site as a form on one of the service's pages names it:
    /// without scheme and host, so that it goes where the page came from (the
    /// service answers the site's forms as well as its pages).
    fn site_path(&self, path: &str) -> String {
        let joined = self.base_join(path);
        url::Url::parse(&joined)
            .map(|url| url.path().to_string())
            .unwrap_or_else(|_| format!("/{path}"))
    }

    /// An issue of the project by its exact id, read now.
    fn issue(&self, id: &str) -> Option<crate::author::issue::Issue> {
        let path = self.project.layout.issues_dir().join(format!("{id}.toml"));
        self.project
            .load_issue(&path)
            .ok()
            .map(|parsed| parsed.issue)
    }

    /// The page of the newest published issue.
    fn latest_issue_url(&self) -> Option<String> {
        let issue = self.project.latest_published(chrono::Utc::now())?;
        Some(self.base_join(&format!("issues/{}.html", issue.id)))
    }
}

/// What keeps the server within bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; more are closed at once.
    pub max_connections: usize,
    /// Connections one client (an address, or an IPv6 /64) may hold open;
    /// trusted proxies are not counted, their clients are.
    pub per_client_connections: usize,
    /// How long a client may take to send a request's headers (idle
    /// keep-alive connections included).
    pub header_timeout: Duration,
    /// How long a whole request may take, its body and the answer included.
    pub request_timeout: Duration,
    /// How long a shutdown waits for connections under way.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 512,
            per_client_connections: 16,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Builds the router.
fn router(service: Arc<Service>, limits: Limits) -> Router {
    let path = service.unsubscribe_path.clone();
    Router::new()
        .route(
            &path,
            get(unsubscribe::confirm_page).post(unsubscribe::unsubscribe),
        )
        .route(routes::SUBSCRIBE, axum::routing::post(signup::subscribe))
        .route(
            routes::CONFIRM,
            get(signup::confirm_page).post(signup::confirm),
        )
        .route(routes::VOTE, get(vote::vote_page).post(vote::vote))
        .route(routes::GO, get(go::go))
        .route(routes::HEALTH, get(|| async { "ok" }))
        .fallback(site::serve)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(move |request, next| {
            within_deadline(limits.request_timeout, request, next)
        }))
        .layer(middleware::from_fn(security_headers))
        // One line per request: method, path without its query (where tokens
        // and addresses are), status, duration.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %crate::send::transport::escape_reply(request.uri().path()),
                    )
                })
                .on_request(())
                .on_response(
                    |response: &Response, latency: Duration, _: &tracing::Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            ms = latency.as_millis() as u64,
                            "answered"
                        );
                    },
                )
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        )
        .with_state(service)
}

/// A whole request, its body included, within the deadline: a client that
/// sends headers and then stalls its body gets 408 and loses its connection.
async fn within_deadline(deadline: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response =
                (StatusCode::REQUEST_TIMEOUT, "the request took too long\n").into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

/// What every answer carries: no sniffing, no script, no framing, no referrer
/// (links carry tokens), and no caching of anything but the site's files.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Serves until `shutdown` completes, then lets the requests under way finish
/// for at most the grace period.
pub async fn run(
    service: Service,
    listener: tokio::net::TcpListener,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let service = Arc::new(service);
    signup::start(&service);
    let writer = service.clone();
    let clicks = tokio::spawn(async move {
        let mut every = tokio::time::interval(CLICKS_WRITTEN_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // A problem is logged when it starts and when it ends, not every time.
        let mut problem: Option<String> = None;
        loop {
            every.tick().await;
            let now = write_clicks(&writer).await.err();
            match (&problem, &now) {
                (_, Some(error)) if problem.as_ref() != Some(error) => {
                    tracing::error!("cannot write the click counts (kept in memory): {error}");
                }
                (Some(_), None) => tracing::info!("note: the click counts are written again"),
                _ => {}
            }
            problem = now;
        }
    });
    let app = router(service.clone(), limits);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let per_client = Arc::new(Connections::default());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors, say: wait instead of spinning.
                tracing::warn!("cannot accept a connection: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let peer = stream
            .peer_addr()
            .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |a| a.ip());
        // One client may not hold every slot; a proxy speaks for many.
        let counted = (!service.proxies.trusts(peer)).then(|| ClientKey::of(peer));
        if let Some(key) = counted
            && !per_client.enter(key, limits.per_client_connections)
        {
            continue;
        }
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Over the cap: closed at once, so that a flood cannot hold descriptors.
            if let Some(key) = counted {
                per_client.leave(key);
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone().layer(axum::Extension(Peer(peer)));
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
        let connection = graceful.watch(connection);
        let per_client = per_client.clone();
        tokio::spawn(async move {
            let _ = connection.await;
            if let Some(key) = counted {
                per_client.leave(key);
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!(
            "note: connections still open after {} s; stopping anyway",
            limits.shutdown_grace.as_secs()
        );
    }
    clicks.abort();
    if let Err(error) = write_clicks(&service).await {
        tracing::error!("cannot write the click counts; they are lost: {error}");
    }
    Ok(())
}

/// Writes the clicks counted so far; what cannot be written waits in memory
/// for the next time.
async fn write_clicks(service: &Arc<Service>) -> Result<(), String> {
    let writer = service.clone();
    match tokio::task::spawn_blocking(move || writer.clicks.write()).await {
        Ok(written) => written.map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    }
}
