//! `verdict serve`'s HTTP side: one accept loop with limits that no client can
//! outlast (a cap on connections, a deadline for request headers, a bounded
//! graceful shutdown), one log line per request, and the routes: one-click
//! unsubscribe (`unsubscribe`), sign-ups with double opt-in (`signup`), the
//! community vote (`vote`) and the static site. Signed links have their secret
//! reloaded when it is rotated (`links`); both lists are followed in memory
//! (`lists`), so that no request reads a whole list.

mod links;
mod lists;
mod signup;
mod unsubscribe;
mod vote;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::{Html, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use maud::{DOCTYPE, Markup, html};

pub use links::Links;
pub use lists::Lists;
pub use signup::Signups;

/// Request bodies are small forms; anything larger is refused.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// What the service needs.
pub struct Service {
    pub layout: crate::project::layout::Layout,
    pub config: crate::project::config::Config,
    pub theme: crate::project::templates::Theme,
    pub roster: crate::project::templates::Roster,
    pub tools: crate::author::issue::ToolProfiles,
    pub links: Links,
    pub lists: Lists,
    /// The path of the unsubscribe URL, e.g. `/unsubscribe`.
    pub unsubscribe_path: String,
    /// Sign-ups, when the newsletter has a site (`base_url`).
    pub signups: Option<Signups>,
}

impl Service {
    /// An address on the site (`base_url` joined with `path`).
    fn base_join(&self, path: &str) -> String {
        self.config
            .base_url
            .as_ref()
            .and_then(|base| {
                let mut base = base.clone();
                if !base.path().ends_with('/') {
                    base.set_path(&format!("{}/", base.path()));
                }
                base.join(path).ok()
            })
            .map(|url| url.to_string())
            .unwrap_or_default()
    }

    /// An issue of the project by its exact id, read now.
    fn issue(&self, id: &str) -> Option<crate::author::issue::Issue> {
        let path = self.layout.issues_dir().join(format!("{id}.toml"));
        let source = std::fs::read_to_string(&path).ok()?;
        let catalog = crate::author::issue::Catalog {
            roster: &self.roster,
            tools: &self.tools,
        };
        crate::author::issue::Issue::parse(&self.layout.display(&path), &source, catalog)
            .ok()
            .map(|parsed| parsed.issue)
    }

    /// The page of the newest issue whose send time has passed.
    fn latest_issue_url(&self) -> Option<String> {
        let now = chrono::Utc::now();
        let mut paths: Vec<_> = std::fs::read_dir(self.layout.issues_dir())
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        paths.iter().rev().find_map(|path| {
            let id = path.file_stem()?.to_str()?;
            let issue = self.issue(id)?;
            issue
                .send_time()
                .is_some_and(|at| at <= now)
                .then(|| self.base_join(&format!("issues/{id}.html")))
        })
    }
}

/// The address a request came from: the peer, or, from a proxy on this
/// machine, the last address it put in `X-Forwarded-For`.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::IpAddr);

impl ClientAddr {
    pub fn behind_proxy(self, headers: &axum::http::HeaderMap) -> std::net::IpAddr {
        if !self.0.is_loopback() {
            return self.0;
        }
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|last| last.trim().parse().ok())
            .unwrap_or(self.0)
    }
}

/// What keeps the server within bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; more are closed at once.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (idle
    /// keep-alive connections included).
    pub header_timeout: Duration,
    /// How long a shutdown waits for connections under way.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Builds the router.
fn router(service: Arc<Service>) -> Router {
    let path = service.unsubscribe_path.clone();
    Router::new()
        .route(
            &path,
            get(unsubscribe::confirm_page).post(unsubscribe::unsubscribe),
        )
        .route("/subscribe", axum::routing::post(signup::subscribe))
        .route(
            "/subscribe/confirm",
            get(signup::confirm_page).post(signup::confirm),
        )
        .route("/vote", get(vote::vote_page).post(vote::vote))
        .route("/healthz", get(|| async { "ok" }))
        .merge(site_routes(&service.layout.public_dir()))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(log_request))
        .with_state(service)
}

/// The static site: files with their content types, cached for five minutes
/// (pages change when `verdict archive` runs), the feed as Atom.
fn site_routes(site: &std::path::Path) -> Router<Arc<Service>> {
    use axum::http::{HeaderValue, header};
    use tower_http::services::{ServeDir, ServeFile};
    use tower_http::set_header::SetResponseHeaderLayer;
    let cache = SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    let feed = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/atom+xml; charset=utf-8"),
        ))
        .service(ServeFile::new(site.join("feed.xml")));
    Router::new()
        .route_service("/feed.xml", feed)
        .fallback_service(ServeDir::new(site))
        .layer(cache)
}

/// One line per request: when, method, path without its query (where tokens
/// and addresses are), status, duration.
async fn log_request(request: Request, next: Next) -> Response {
    let began = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    crate::say!(
        "{} {method} {} {} {}ms",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
        crate::send::transport::escape_reply(&path),
        response.status().as_u16(),
        began.elapsed().as_millis()
    );
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
    let app = router(Arc::new(service));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
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
                eprintln!("warning: cannot accept a connection: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Over the cap: closed at once, so that a flood cannot hold descriptors.
            continue;
        };
        let _ = stream.set_nodelay(true);
        let peer = stream
            .peer_addr()
            .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |a| a.ip());
        let app = app.clone().layer(axum::Extension(ClientAddr(peer)));
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!(
            "note: connections still open after {} s; stopping anyway",
            limits.shutdown_grace.as_secs()
        );
    }
    Ok(())
}

/// A page of the service: the newsletter's name and the content.
pub(crate) fn page(newsletter: &str, content: Markup) -> Html<String> {
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
                body { main { (content) } }
            }
        }
        .into_string(),
    )
}
