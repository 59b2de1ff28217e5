//! `verdict serve`: the one-click unsubscribe service, meant to sit behind the
//! user's TLS reverse proxy.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::project::Project;
use crate::serve::{Limits, Service};
use crate::unsubscribe::Signer;

/// Serve one-click unsubscribes (RFC 8058) and their confirmation page.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on; keep it on loopback behind a reverse proxy.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// Stop after this many requests (tests, supervised runs).
    #[arg(long, hide = true)]
    pub max_requests: Option<u64>,
    /// Stop after this many seconds (tests, supervised runs).
    #[arg(long, hide = true)]
    pub max_seconds: Option<u64>,
}

pub fn execute(root: &Path, args: Args) -> Result<()> {
    let project = Project::load(root)?;
    let signer = Signer::load(&project.root)?;
    let url = url::Url::parse(project.config.unsubscribe_url.get_ref()).map_err(Error::failed)?;
    let service = Service {
        root: project.root.clone(),
        signer,
        newsletter: project.config.name.get_ref().clone(),
        path: url.path().to_string(),
    };
    let limits = Limits {
        max_requests: args.max_requests,
        max_duration: args.max_seconds.map(Duration::from_secs),
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
        println!(
            "listening on http://{local}{} (unsubscribe) and http://{local}/healthz",
            service.path
        );
        crate::serve::run(service, listener, limits)
            .await
            .map_err(Error::failed)?;
        println!("stopped");
        Ok(())
    })
}
