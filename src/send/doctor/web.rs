//! Online: the unsubscribe endpoint and the site answer over https with a
//! certificate that verifies, their hosts resolved through the doctor's DNS.

use std::sync::Arc;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use url::Url;

use super::dns::Answer;
use super::summary::Need;
use super::{Check, Context, Group};

const UNSUBSCRIBE: &str = "the unsubscribe endpoint";

pub(super) async fn checks(context: &Context<'_>) -> Vec<Check> {
    if !context.options.online {
        return Vec::new();
    }
    let config = &context.project.config;
    let mut pages = vec![(UNSUBSCRIBE, config.unsubscribe_url.clone())];
    if let Some(base) = &config.base_url {
        pages.push(("the site", base.clone()));
    }
    let answers = pages.into_iter().map(|(what, url)| async move {
        let shown = url
            .as_str()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        let check = match tokio::time::timeout(context.options.deadline * 3, get(context, &url))
            .await
        {
            Err(_) => Check::fail(
                Group::Site,
                format!("{what} {shown} did not answer in time"),
            ),
            Ok(Err(error)) => Check::fail(Group::Site, format!("{what} {shown}: {error}")),
            Ok(Ok(status)) if status.is_server_error() => {
                Check::fail(Group::Site, format!("{what} {shown} answers {status}"))
                    .fix("check that `verdict serve` runs behind the reverse proxy")
            }
            Ok(Ok(status)) if what == "the site" && status.is_client_error() => Check::warn(
                Group::Site,
                format!("{what} {shown} answers {status}"),
            )
            .fix(
                "publish the site: `verdict archive`, served by `verdict serve` or your web server",
            ),
            Ok(Ok(status)) => Check::pass(
                Group::Site,
                format!("{what} {shown} answers over https ({status}), certificate verified"),
            ),
        };
        if what == UNSUBSCRIBE {
            check.need(Need::OneClick)
        } else {
            check
        }
    });
    futures_util::future::join_all(answers).await
}

/// A GET of `url` over TLS to the address the doctor's DNS gives its host.
async fn get(context: &Context<'_>, url: &Url) -> Result<hyper::StatusCode, String> {
    let host = url.host_str().ok_or("no host")?.to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let address = match context.dns.addresses(&host).await {
        Answer::Found(addresses) => addresses.first().copied().ok_or("no address")?,
        Answer::Missing => return Err(format!("{host} does not resolve")),
        Answer::Failed(error) => return Err(format!("{host} could not be looked up: {error}")),
    };
    let tcp = tokio::net::TcpStream::connect((address, port))
        .await
        .map_err(|e| format!("cannot connect to {address}:{port}: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    // The system's authorities (SSL_CERT_FILE and SSL_CERT_DIR are honoured).
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.clone())
        .map_err(|e| format!("{host}: {e}"))?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {host} failed: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("no HTTP from {host}: {e}"))?;
    let driver = tokio::spawn(connection);
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, url.authority())
        .header(
            hyper::header::USER_AGENT,
            concat!("verdict-doctor/", env!("CARGO_PKG_VERSION")),
        )
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("no answer from {host}: {e}"));
    driver.abort();
    Ok(response?.status())
}
