//! The DKIM key named in `verdict.toml`, loaded into lettre's signer; problems
//! are located at the `key_file` line.

use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;

use crate::diagnostic::{Diagnostic, FileDiagnostics};
use crate::project::config::{Config, DkimAlgorithm};
use crate::project::layout::Layout;

/// Headers the DKIM signature covers (those absent from a message are skipped).
/// Content-Type is left out: lettre writes it after signing, so it cannot be covered.
pub const SIGNED_HEADERS: [&str; 10] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
];

/// Reads the DKIM key named in the configuration, if any.
pub fn load_dkim(config: &Config, layout: &Layout) -> Result<Option<DkimConfig>, FileDiagnostics> {
    let Some(dkim) = &config.dkim else {
        return Ok(None);
    };
    let shown = dkim.key_file.value.display();
    let fail = |message: String| {
        config.problem(
            Diagnostic::error(message)
                .at(dkim.key_file.span.clone())
                .help("expected a PEM RSA private key (PKCS#1) or, for ed25519, the base64 of the 32-byte private key"),
        )
    };
    let path = layout.resolve(&dkim.key_file.value);
    let pem = std::fs::read_to_string(&path)
        .map_err(|e| fail(format!("cannot read the DKIM key {shown}: {e}")))?;
    let algorithm = match dkim.algorithm {
        DkimAlgorithm::Rsa => DkimSigningAlgorithm::Rsa,
        DkimAlgorithm::Ed25519 => DkimSigningAlgorithm::Ed25519,
    };
    let key = DkimSigningKey::new(pem.trim(), algorithm)
        .map_err(|_| fail(format!("the DKIM key {shown} cannot be parsed")))?;
    let headers = SIGNED_HEADERS
        .iter()
        .filter(|h| **h != "Reply-To" || config.reply_to.is_some())
        .map(|h| HeaderName::new_from_ascii_str(h))
        .collect();
    Ok(Some(DkimConfig::new(
        dkim.selector.clone(),
        dkim.domain.value.clone(),
        key,
        headers,
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    )))
}
