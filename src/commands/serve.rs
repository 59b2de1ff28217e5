//! `verdict serve`: the one-click unsubscribe service, meant to sit behind the
//! user's TLS reverse proxy.

use std::net::SocketAddr;

use crate::error::{Error, Result};
use crate::project::Project;
use crate::project::layout::Layout;
use crate::web::serve::{Limits, Links, Lists, Service, Signups};

/// Serve one-click unsubscribes (RFC 8058) and their confirmation page, and the
/// site `verdict archive` writes into public/.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on; keep it on loopback behind a reverse proxy.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// Connections open at once; more are closed at once.
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub max_connections: usize,
    /// Seconds a client may take to send a request's headers.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub header_timeout: u64,
}

pub fn execute(layout: &Layout, args: Args) -> Result<()> {
    let project = Project::load(layout)?;
    let path = project.config.unsubscribe_url.path().to_string();
    if path == "/healthz" {
        return Err(Error::usage(
            "unsubscribe_url must not use the path /healthz, which verdict serve answers itself",
        ));
    }
    if args.max_connections == 0 || args.header_timeout == 0 {
        return Err(Error::usage(
            "--max-connections and --header-timeout must be at least 1",
        ));
    }
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
    let service = Service {
        layout: layout.clone(),
        links: Links::load(layout)?,
        lists: Lists::load(layout)?,
        unsubscribe_path: path,
        signups,
        config: project.config.clone(),
        theme: project.theme.clone(),
        roster: project.roster.clone(),
    };
    let limits = Limits {
        max_connections: args.max_connections,
        header_timeout: std::time::Duration::from_secs(args.header_timeout),
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
            "listening on http://{local}{} (unsubscribe), http://{local}/ (the site in public/) and http://{local}/healthz",
            service.unsubscribe_path
        );
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
