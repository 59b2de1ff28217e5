//! `verdict serve`: the newsletter's web side (unsubscribes, sign-ups, votes,
//! counted links, the site), meant to sit behind the user's TLS reverse proxy.

use std::net::SocketAddr;

use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::Layout;
use crate::web::serve::{Limits, Lists, Service, Signups};

/// Serve the newsletter's web side behind your TLS reverse proxy: one-click
/// unsubscribes (RFC 8058), sign-ups with double opt-in, readers' votes, counted
/// links to tools (per issue and tool, never per reader), and the site `verdict
/// archive` writes into public/. Every route is listed below.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on; keep it on loopback behind a reverse proxy.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// Connections open at once; more are closed at once.
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub max_connections: usize,
    /// Connections one client (an address, or an IPv6 /64) may hold open.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub max_connections_per_client: usize,
    /// Seconds a client may take to send a request's headers.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub header_timeout: u64,
    /// Seconds a whole request may take, its body included.
    #[arg(long, default_value_t = 20, value_name = "SECONDS")]
    pub request_timeout: u64,
}

pub(crate) fn execute(layout: &Layout, args: Args) -> Result<()> {
    // The configuration refuses an unsubscribe_url that clashes with a route.
    let project = Project::load(layout)?;
    let limits = [
        args.max_connections,
        args.max_connections_per_client,
        args.header_timeout as usize,
        args.request_timeout as usize,
    ];
    if limits.contains(&0) {
        return Err(Error::usage(
            "--max-connections, --max-connections-per-client, --header-timeout and --request-timeout must be at least 1",
        ));
    }
    // One service per project: two would keep two views of the lists.
    let _lock = crate::store::lock::SendLock::acquire(&layout.serve_lock())?;
    // Sign-ups need a site to link to and a transport for their emails.
    let signups = match &project.config.base_url {
        None => None,
        Some(_) => {
            let (_, transport) =
                crate::send::transport::open_for(&project.config, layout, None, 4, false)?;
            let emails = crate::project::templates::Emails::load(layout)?;
            let dkim = crate::send::message::load_dkim(&project.config, layout)?;
            Some(Signups::load(
                layout,
                transport,
                emails,
                project.config.signup.clone(),
                dkim,
            )?)
        }
    };
    let links = crate::store::tokens::LiveKeys::load(layout)?;
    let key = links.get().key_id();
    let proxies = project.config.serve.trusted_proxies.len();
    let service = Service::new(project, links, Lists::load(layout)?, signups);
    let limits = Limits {
        max_connections: args.max_connections,
        per_client_connections: args.max_connections_per_client,
        header_timeout: std::time::Duration::from_secs(args.header_timeout),
        request_timeout: std::time::Duration::from_secs(args.request_timeout),
        ..Limits::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::failed)?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Error::Failed(format!("cannot listen on {}: {e}", args.listen)))?;
        let local = listener.local_addr().map_err(Error::failed)?;
        crate::say!(
            "listening on http://{local}{} (unsubscribe), http://{local}/ (the site in public/) and http://{local}/healthz; links are signed with key {key}",
            service.unsubscribe_path
        );
        if proxies == 0 {
            tracing::info!(
                "note: [serve] trusted_proxies is empty, so X-Forwarded-For is believed from nobody; behind a reverse proxy, list it there"
            );
        }
        crate::web::serve::run(service, listener, limits, shutdown_signal())
            .await
            .map_err(Error::failed)?;
        crate::say!("stopped");
        Ok(())
    })
}

/// SIGTERM (systemd, a supervisor) or Ctrl-C.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = terminate => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}
