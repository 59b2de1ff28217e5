//! DKIM: the keys `verdict.toml` names, read once (`key`); relaxed
//! canonicalisation (`canon`); the signature fields, one per key (`sign`); and
//! the DNS records that publish the keys (`record`).

mod canon;
mod key;
mod record;
mod sign;

use std::sync::Arc;

pub use canon::{BodyPlan, CanonicalPiece, RelaxedBody};
pub use key::{KeyError, MIN_RSA_BITS, PrivateKey};
pub use record::{KeyRecord, is_dns_name, name as record_name};
pub use sign::{DkimKey, DkimSigner, SIGNED_HEADERS, split};

use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::project::config::{Config, DkimSettings};
use crate::project::layout::Layout;

/// Reads one configured key; a problem is located in verdict.toml.
pub fn load_key(settings: &DkimSettings, layout: &Layout) -> Result<PrivateKey, Diagnostic> {
    let shown = settings.key_file.value.display();
    let at_key_file = |message: String| {
        Diagnostic::error(message)
            .at(settings.key_file.span.clone())
            .help("expected a PEM private key (PKCS#8 or PKCS#1) or the base64 of an Ed25519 key; `verdict dkim keygen --selector NAME` makes one")
    };
    let path = layout.resolve(&settings.key_file.value);
    let text = std::fs::read(&path)
        .map_err(|e| at_key_file(format!("cannot read the DKIM key {shown}: {e}")))?;
    let key =
        PrivateKey::parse(&text).map_err(|e| at_key_file(format!("the DKIM key {shown} {e}")))?;
    if let Some(algorithm) = &settings.algorithm
        && algorithm.value != key.algorithm()
    {
        return Err(Diagnostic::error(format!(
            "the DKIM key {shown} is {}, not {}",
            key.algorithm().name(),
            algorithm.value.name()
        ))
        .at(algorithm.span.clone())
        .help(format!(
            "write algorithm = \"{}\", or leave `algorithm` out: the key file says which",
            key.algorithm().name()
        )));
    }
    Ok(key)
}

/// Reads every configured key into one signer; `None` when no key is
/// configured. Every key that does not load is reported.
pub fn load_dkim(
    config: &Config,
    layout: &Layout,
) -> Result<Option<Arc<DkimSigner>>, FileDiagnostics> {
    if config.dkim.is_empty() {
        return Ok(None);
    }
    let mut report = config.source.clone();
    let mut keys = Vec::new();
    for settings in &config.dkim {
        match load_key(settings, layout) {
            Ok(key) => keys.push(DkimKey {
                domain: settings.domain.value.clone(),
                selector: settings.selector.value.clone(),
                key,
            }),
            Err(problem) => report.push(problem),
        }
    }
    if report.error_count() > 0 {
        return Err(report);
    }
    Ok(Some(Arc::new(DkimSigner::new(keys))))
}
