//! `verdict preview ISSUE --serve`: the email (HTML and text) and the issue's web
//! page on 127.0.0.1, rendered afresh on every request and reloaded in the
//! browser (server-sent events) once per save of the issue file, verdict.toml,
//! templates/ or tools/. A mistake in the file shows as its diagnostics, located.

use std::convert::Infallible;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, html};
use notify::Watcher;
use tokio::sync::broadcast;

use super::Args;
use crate::author::render::{self, Personalisation};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::Layout;

/// What every request renders from.
struct Live {
    layout: Layout,
    issue: String,
    to: String,
    name: Option<String>,
    /// One message per save, naming what changed.
    changes: broadcast::Sender<String>,
}

/// The parts of the preview, rendered now.
struct Views {
    email: String,
    text: String,
    page: Option<String>,
}

/// Answers only requests addressed to this machine by name or address: a web
/// page elsewhere that points its own host name at 127.0.0.1 (DNS rebinding)
/// reads nothing.
async fn local_host_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    if matches!(name, "localhost" | "127.0.0.1" | "::1") {
        next.run(request).await
    } else {
        (
            StatusCode::MISDIRECTED_REQUEST,
            "the preview answers only http://127.0.0.1, http://[::1] and http://localhost\n",
        )
            .into_response()
    }
}

/// Reloads the page when anything it was made from changes.
const RELOAD: &str =
    "<script>new EventSource('/events').onmessage=function(){location.reload()};</script>";

impl Live {
    fn render(&self) -> std::result::Result<Views, String> {
        let project = Project::load(&self.layout).map_err(|e| Error::from(e).to_string())?;
        let path = project
            .find_issue(&self.issue)
            .map_err(|e| Error::from(e).to_string())?;
        let issue = project
            .load_issue(&path)
            .map_err(|e| Error::from(e).to_string())?
            .issue;
        let issue = crate::web::votes::with_community(
            &self.layout,
            &issue,
            project.config.community.min_votes,
        )
        .map_err(|e| e.to_string())?;
        // Tools linked directly, so that the editor can follow each link.
        let rendered = render::render(&issue, project.context_signed_by(None));
        // Preview-only keys: no link on these pages acts on the real service.
        let keys = crate::store::tokens::Keys::ephemeral();
        let composer =
            crate::send::message::Composer::new(&project.config, &issue, rendered.clone(), keys);
        let url = composer.unsubscribe_url(&self.to);
        let votes = composer.vote_links(&self.to);
        let person = Personalisation {
            name: self.name.as_deref(),
            email: &self.to,
            unsubscribe_url: &url,
            votes: &votes,
        };
        Ok(Views {
            email: rendered.html.fill(&person),
            text: rendered.text.fill(&person),
            page: crate::web::site::issue_page(&project, &issue, None).ok(),
        })
    }
}

/// How long the files stay still before a save counts as done: an editor's one
/// save is several events (a temporary file, a rename, a change of mode).
const SAVE_SETTLES: Duration = Duration::from_millis(150);

/// Calls `settled` once per burst of changes: after the first, with every path
/// changed until none has for `quiet`. Returns when the sender is gone.
fn debounce(
    edits: &std::sync::mpsc::Receiver<std::path::PathBuf>,
    quiet: Duration,
    mut settled: impl FnMut(Vec<std::path::PathBuf>),
) {
    while let Ok(first) = edits.recv() {
        let mut paths = vec![first];
        loop {
            match edits.recv_timeout(quiet) {
                Ok(path) => {
                    if !paths.contains(&path) {
                        paths.push(path);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    settled(paths);
                    return;
                }
            }
        }
        settled(paths);
    }
}

/// What a save changed, as the reload event says it: each file and its size.
fn describe(root: &std::path::Path, paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|path| {
            let shown = path.strip_prefix(root).unwrap_or(path).display();
            match std::fs::metadata(path) {
                Ok(meta) => format!("{shown} {}", meta.len()),
                Err(_) => format!("{shown} removed"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Puts the reload script into a page, before `</body>` or at the end.
fn with_reload(html: &str) -> String {
    match html.rfind("</body>") {
        Some(at) => format!("{}{RELOAD}{}", &html[..at], &html[at..]),
        None => format!("{html}{RELOAD}"),
    }
}

fn problem_page(problem: &str) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "verdict preview: a problem" } }
            body { main { h1 { "Fix this, and the preview reloads" } pre { (problem) } } }
        }
    };
    Html(with_reload(&page.into_string())).into_response()
}

fn view(live: &Live, pick: impl Fn(Views) -> Option<String>) -> Response {
    match live.render() {
        Ok(views) => match pick(views) {
            Some(html) => Html(with_reload(&html)).into_response(),
            None => (
                StatusCode::NOT_FOUND,
                Html(with_reload(
                    "<!DOCTYPE html><html lang=\"en\"><title>No web page</title><p>The web page needs base_url in verdict.toml.</p></html>",
                )),
            )
                .into_response(),
        },
        Err(problem) => problem_page(&problem),
    }
}

async fn index(State(live): State<Arc<Live>>) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "verdict preview: " (live.issue) } }
            body { main {
                h1 { "Preview of " (live.issue) }
                ul {
                    li { a href="/email.html" { "The email (HTML)" } }
                    li { a href="/text.html" { "The email (text)" } }
                    li { a href="/page.html" { "The web page" } }
                }
                p { "Each reloads when the issue file, verdict.toml, templates/ or tools/ change." }
            } }
        }
    };
    Html(with_reload(&page.into_string())).into_response()
}

async fn email(State(live): State<Arc<Live>>) -> Response {
    view(&live, |views| Some(views.email))
}

async fn text(State(live): State<Arc<Live>>) -> Response {
    view(&live, |views| {
        let page = html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "The text part" } }
                body { pre { (views.text) } }
            }
        };
        Some(page.into_string())
    })
}

async fn page(State(live): State<Arc<Live>>) -> Response {
    view(&live, |views| views.page)
}

async fn events(State(live): State<Arc<Live>>) -> impl IntoResponse {
    let changes = live.changes.subscribe();
    let stream = futures_util::stream::unfold(changes, |mut changes| async move {
        match changes.recv().await {
            Ok(changed) => Some((Ok::<_, Infallible>(Event::default().data(changed)), changes)),
            Err(broadcast::error::RecvError::Lagged(_)) => Some((
                Ok::<_, Infallible>(Event::default().data("reload")),
                changes,
            )),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    });
    (
        [(header::CACHE_CONTROL, "no-store")],
        Sse::new(stream).keep_alive(KeepAlive::default()),
    )
}

pub(super) fn serve(layout: &Layout, args: Args) -> Result<()> {
    if !args.listen.ip().is_loopback() {
        return Err(Error::usage(
            "the preview listens on this machine only: use --listen 127.0.0.1:PORT",
        ));
    }
    if !args.listen.ip().is_loopback() {
        return Err(Error::usage(format!(
            "preview --serve listens on this machine only (127.0.0.1 or ::1), not {}",
            args.listen
        )));
    }
    let to = crate::store::lists::normalize_address(&args.to)?;
    let (changes, _) = broadcast::channel(16);
    let live = Arc::new(Live {
        layout: layout.clone(),
        issue: args.issue.clone(),
        to,
        name: args.name.clone(),
        changes: changes.clone(),
    });
    // The first render says at once whether the issue exists.
    Project::load(layout)?.find_issue(&args.issue)?;
    let (saved, edits) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && (event.kind.is_modify() || event.kind.is_create() || event.kind.is_remove())
        {
            // Editors' swap and backup files are not what the preview is made of.
            for path in event
                .paths
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            {
                let _ = saved.send(path);
            }
        }
    })
    .map_err(Error::failed)?;
    let reloads = changes.clone();
    let root = layout.root().to_path_buf();
    std::thread::spawn(move || {
        debounce(&edits, SAVE_SETTLES, |paths| {
            let _ = reloads.send(describe(&root, &paths));
        })
    });
    for (path, mode) in [
        (layout.issues_dir(), notify::RecursiveMode::NonRecursive),
        (
            layout.root().join("templates"),
            notify::RecursiveMode::Recursive,
        ),
        (layout.config(), notify::RecursiveMode::NonRecursive),
        (layout.tools_dir(), notify::RecursiveMode::NonRecursive),
    ] {
        // A project without tool profiles has no tools/ to watch.
        if !path.exists() {
            continue;
        }
        watcher
            .watch(&path, mode)
            .map_err(|e| Error::failed(format!("cannot watch {}: {e}", path.display())))?;
    }
    let app = Router::new()
        .route("/", get(index))
        .route("/email.html", get(email))
        .route("/text.html", get(text))
        .route("/page.html", get(page))
        .route("/events", get(events))
        .layer(axum::middleware::from_fn(local_host_only))
        .with_state(live);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::failed)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Error::failed(format!("cannot listen on {}: {e}", args.listen)))?;
        let local = listener.local_addr().map_err(Error::failed)?;
        crate::say!(
            "previewing {} at http://{local}/ (Ctrl-C to stop)",
            args.issue
        );
        let stopping = Arc::new(tokio::sync::Notify::new());
        let stop = {
            let stopping = stopping.clone();
            async move {
                let _ = tokio::signal::ctrl_c().await;
                stopping.notify_one();
            }
        };
        let served = axum::serve(listener, app).with_graceful_shutdown(stop);
        // Event streams never end by themselves: after Ctrl-C they get a second.
        tokio::select! {
            result = served.into_future() => result.map_err(Error::failed)?,
            () = async {
                stopping.notified().await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            } => {}
        }
        drop(watcher);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_events_is_one_save_and_the_next_burst_another() {
        let (send, receive) = std::sync::mpsc::channel();
        // One editor save: the file written, renamed over, its mode set.
        for path in ["issues/a.toml", "issues/a.toml", "issues/a.toml"] {
            send.send(std::path::PathBuf::from(path)).unwrap();
        }
        // The next save comes once the first is told; then the editor quits.
        let mut second = Some(send.clone());
        drop(send);
        let mut saves = Vec::new();
        debounce(&receive, Duration::from_millis(50), |paths| {
            saves.push(paths);
            if let Some(second) = second.take() {
                for path in ["templates/theme.toml", "issues/a.toml"] {
                    second.send(std::path::PathBuf::from(path)).unwrap();
                }
            }
        });
        assert_eq!(saves.len(), 2, "{saves:?}");
        assert_eq!(saves[0], [std::path::PathBuf::from("issues/a.toml")]);
        assert_eq!(saves[1].len(), 2);
    }
}
