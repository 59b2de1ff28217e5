//! Which transport a run uses and with what password: `--transport` over
//! `VERDICT_TRANSPORT` over `verdict.toml`; the password from
//! `VERDICT_SMTP_PASSWORD` or the file `verdict.toml` names, never from verdict.toml.

use std::fmt;
use std::path::Path;

use super::{Password, SpecError, TransportSpec};
use crate::store::fs::FsError;

/// The environment variable that overrides `transport` in verdict.toml.
pub const TRANSPORT_ENV: &str = "VERDICT_TRANSPORT";
/// The environment variable holding the SMTP password.
pub const PASSWORD_ENV: &str = "VERDICT_SMTP_PASSWORD";

/// Why a transport cannot be used. Never shows a password.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{origin}: {source}")]
    Spec {
        origin: Origin,
        #[source]
        source: SpecError,
    },
    #[error(
        "the transport names the user {user} but no password is set: put it in {PASSWORD_ENV} or in the file named by smtp_password_file"
    )]
    NoPassword { user: String },
    #[error(
        "refusing to send the password in clear text to {host}: use smtps://…:465 or smtp://…:587?tls=required"
    )]
    PasswordInClear { host: String },
    #[error("cannot set up TLS for {host}: {reason}")]
    Tls { host: String, reason: String },
    #[error("cannot read the SMTP password: {0}")]
    PasswordFile(#[from] FsError),
}

/// Where the transport string came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Environment,
    Config,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Flag => "--transport",
            Origin::Environment => TRANSPORT_ENV,
            Origin::Config => "transport in verdict.toml",
        })
    }
}

/// The transport a run uses, and where it was chosen.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub spec: TransportSpec,
    pub origin: Origin,
}

/// Picks the transport: the flag, else a non-empty environment value, else the
/// configuration's (already checked when verdict.toml was read).
pub fn choose(
    flag: Option<&str>,
    env: Option<&str>,
    config: &TransportSpec,
) -> Result<Chosen, OpenError> {
    Ok(overriding(flag, env)?.unwrap_or_else(|| Chosen {
        spec: config.clone(),
        origin: Origin::Config,
    }))
}

/// The transport the flag or a non-empty environment value names, if any.
fn overriding(flag: Option<&str>, env: Option<&str>) -> Result<Option<Chosen>, OpenError> {
    let (text, origin) = match (flag, env.map(str::trim).filter(|e| !e.is_empty())) {
        (Some(flag), _) => (flag, Origin::Flag),
        (None, Some(env)) => (env, Origin::Environment),
        (None, None) => return Ok(None),
    };
    let spec = TransportSpec::parse(text).map_err(|source| OpenError::Spec { origin, source })?;
    Ok(Some(Chosen { spec, origin }))
}

/// The transport a project sends through (the flag, else `VERDICT_TRANSPORT`,
/// else verdict.toml), opened with its password and the sending deadlines.
pub fn open_for(
    config: &crate::project::config::Config,
    layout: &crate::project::layout::Layout,
    flag: Option<&str>,
    pool_size: u32,
    dangerous_accept_invalid_certs: bool,
) -> Result<(Chosen, super::AnyTransport), OpenError> {
    let env = std::env::var(TRANSPORT_ENV).ok();
    let chosen = choose(flag, env.as_deref(), &config.transport)?;
    let transport = open_spec(
        config,
        layout,
        &chosen.spec,
        None,
        pool_size,
        dangerous_accept_invalid_certs,
    )?;
    Ok((chosen, transport))
}

/// The transport forced on a run by `--transport` or `VERDICT_TRANSPORT`, if
/// any: it replaces the `[[relay]]` tables.
pub fn forced(flag: Option<&str>) -> Result<Option<Chosen>, OpenError> {
    overriding(flag, std::env::var(TRANSPORT_ENV).ok().as_deref())
}

/// Opens `spec` with the sending deadlines and its password: a relay's own
/// `password_file`, else the environment's, else the project's smtp_password_file.
pub fn open_spec(
    config: &crate::project::config::Config,
    layout: &crate::project::layout::Layout,
    spec: &TransportSpec,
    password_file: Option<&Path>,
    pool_size: u32,
    dangerous_accept_invalid_certs: bool,
) -> Result<super::AnyTransport, OpenError> {
    let password = password_for(config, layout, password_file)?;
    crate::debug!("transport {spec}");
    super::open(
        spec,
        layout.root(),
        super::SmtpOptions {
            password,
            pool_size,
            timeout: config.sending.timeout,
            connect_timeout: config.sending.connect_timeout,
            dangerous_accept_invalid_certs,
        },
    )
}

/// A relay's SMTP password: its own `password_file`, else the environment's,
/// else the project's smtp_password_file.
pub fn password_for(
    config: &crate::project::config::Config,
    layout: &crate::project::layout::Layout,
    password_file: Option<&Path>,
) -> Result<Option<super::Password>, FsError> {
    match password_file {
        Some(own) => read_password(None, Some(&layout.resolve(own))),
        None => {
            let project_file = config
                .smtp_password_file
                .as_ref()
                .map(|f| layout.resolve(f));
            read_password(std::env::var(PASSWORD_ENV).ok(), project_file.as_deref())
        }
    }
}

/// The SMTP password: the environment's, else the first line of `file`.
pub(super) fn read_password(
    env: Option<String>,
    file: Option<&Path>,
) -> Result<Option<Password>, FsError> {
    if let Some(password) = env.filter(|p| !p.is_empty()) {
        crate::debug!("SMTP password from {PASSWORD_ENV}");
        return Ok(Some(Password(password)));
    }
    let Some(file) = file else {
        return Ok(None);
    };
    crate::debug!("SMTP password from {}", file.display());
    let text = crate::store::fs::read_to_string(file)?;
    Ok(Some(Password(
        text.trim_end_matches(['\r', '\n']).to_string(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_beats_the_environment_which_beats_the_file() {
        let config = TransportSpec::parse("outbox:outbox").unwrap();
        let chosen = choose(Some("smtp://127.0.0.1:25"), Some("outbox:env"), &config).unwrap();
        assert_eq!(
            (chosen.origin, chosen.spec.to_string()),
            (Origin::Flag, "smtp://127.0.0.1:25".into())
        );
        let chosen = choose(None, Some("outbox:env"), &config).unwrap();
        assert_eq!(chosen.origin, Origin::Environment);
        let chosen = choose(None, Some("  "), &config).unwrap();
        assert_eq!(
            (chosen.origin, chosen.spec),
            (Origin::Config, config.clone())
        );
        let error = choose(None, Some("ftp://x.invalid"), &config).unwrap_err();
        assert!(error.to_string().starts_with(TRANSPORT_ENV), "{error}");
    }

    #[test]
    fn the_password_comes_from_the_environment_or_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("password");
        std::fs::write(&file, "from-file\n").unwrap();
        assert_eq!(
            read_password(Some("env".into()), Some(&file)).unwrap(),
            Some(Password("env".into()))
        );
        assert_eq!(
            read_password(None, Some(&file)).unwrap(),
            Some(Password("from-file".into()))
        );
        assert_eq!(read_password(Some(String::new()), None).unwrap(), None);
        assert!(read_password(None, Some(&dir.path().join("missing"))).is_err());
    }
}
