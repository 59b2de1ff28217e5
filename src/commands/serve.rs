//! `verdict serve`: the one-click unsubscribe service, meant to sit behind the
//! user's TLS reverse proxy.

use std::net::SocketAddr;

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::project::Project;
use crate::serve::Service;
use crate::unsubscribe::Signer;

/// Serve one-click unsubscribes (RFC 8058) and their confirmation page.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on; keep it on loopback behind a reverse proxy.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
}

pub fn execute(layout: &Layout, args: Args) -> Result<()> {
    let project = Project::load(layout)?;
    let signer = Signer::load(layout)?;
    let path = project.config.unsubscribe_url.path().to_string();
    if path == "/healthz" {
        return Err(Error::usage(
            "unsubscribe_url must not use the path /healthz, which verdict serve answers itself",
        ));
    }
    let service = Service {
        layout: layout.clone(),
        signer,
        newsletter: project.config.name.clone(),
        path,
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
        crate::serve::run(service, listener)
            .await
            .map_err(Error::failed)?;
        println!("stopped");
        Ok(())
    })
}
