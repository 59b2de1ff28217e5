//! The resolver every check asks: the system's, or the server `--resolver`
//! names; each lookup under a deadline, answers typed by mail-auth.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use mail_auth::MessageAuthenticator;
use mail_auth::common::cache::NoCache;
use mail_auth::hickory_resolver::config::{
    NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use mail_auth::spf::Spf;
use mail_auth::{IpLookupStrategy, MX, RecordSet, Txt};

/// What a lookup came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    Found(T),
    /// The name or the record does not exist (NXDOMAIN, or no data).
    Missing,
    /// The resolver did not answer in time, or failed.
    Failed(String),
}

/// The DNS as the checks see it.
#[derive(Clone)]
pub struct Dns {
    pub authenticator: Arc<MessageAuthenticator>,
    /// Shown in the report: which server answered.
    pub server: String,
    deadline: Duration,
}

type Cache<V> = NoCache<Box<str>, V>;

impl Dns {
    /// A resolver asking `server` only, or the system's when `None`.
    pub fn new(server: Option<SocketAddr>, deadline: Duration) -> Result<Dns, String> {
        let mut options = ResolverOpts::default();
        // The resolver's own timeout comes later than the deadline of each
        // lookup, so that a silent server is always reported the same way:
        // "no answer within" the time the editor gave.
        options.timeout = deadline + Duration::from_millis(500);
        options.attempts = 1;
        options.cache_size = 0;
        let (config, shown) = match server {
            Some(address) => {
                let mut name_server = NameServerConfig::udp_and_tcp(address.ip());
                for connection in &mut name_server.connections {
                    connection.port = address.port();
                }
                // Only that server: no hosts file, no search domains.
                options.use_hosts_file = ResolveHosts::Never;
                (
                    ResolverConfig::from_name_servers(vec![name_server]),
                    address.to_string(),
                )
            }
            None => {
                let (config, system) = mail_auth::hickory_resolver::system_conf::read_system_conf()
                    .map_err(|e| format!("cannot read the system's resolver settings: {e}"))?;
                options.ndots = system.ndots;
                let shown = config
                    .name_servers()
                    .first()
                    .map_or("the system's resolver".to_string(), |s| {
                        format!("{} (the system's)", s.ip)
                    });
                (config, shown)
            }
        };
        let authenticator = MessageAuthenticator::new(config, options)
            .map_err(|e| format!("cannot make a resolver: {e}"))?;
        Ok(Dns {
            authenticator: Arc::new(authenticator),
            server: shown,
            deadline,
        })
    }

    /// Runs a lookup under the deadline and sorts its outcome.
    async fn answer<T>(&self, lookup: impl Future<Output = mail_auth::Result<T>>) -> Answer<T> {
        match tokio::time::timeout(self.deadline, lookup).await {
            Err(_) => Answer::Failed(format!("no answer within {} s", self.deadline.as_secs())),
            Ok(Ok(found)) => Answer::Found(found),
            Ok(Err(error)) => sort_error(error),
        }
    }

    /// Every TXT record at `name`, each with its strings joined.
    pub async fn txt(&self, name: &str) -> Answer<Vec<String>> {
        let name = fqdn(name);
        let lookup = async {
            let found = self
                .authenticator
                .resolver()
                .txt_lookup(name.as_str())
                .await
                .map_err(mail_auth::Error::from)?;
            Ok(found
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    mail_auth::hickory_resolver::proto::rr::RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part))
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect::<Vec<_>>())
        };
        match self.answer(lookup).await {
            Answer::Found(records) if records.is_empty() => Answer::Missing,
            other => other,
        }
    }

    /// The SPF record of a domain, parsed.
    pub async fn spf(&self, domain: &str) -> Answer<Arc<Spf>> {
        self.answer(
            self.authenticator
                .txt_lookup::<Spf>(fqdn(domain), None::<&Cache<Txt>>),
        )
        .await
    }

    /// The addresses of a host name (an address stands for itself).
    pub async fn addresses(&self, host: &str) -> Answer<Vec<IpAddr>> {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Answer::Found(vec![ip]);
        }
        let name = fqdn(host);
        match self
            .answer(self.authenticator.ip_lookup(
                &name,
                IpLookupStrategy::Ipv4thenIpv6,
                10,
                None::<&Cache<RecordSet<std::net::Ipv4Addr>>>,
                None::<&Cache<RecordSet<std::net::Ipv6Addr>>>,
            ))
            .await
        {
            Answer::Found(addresses) if addresses.is_empty() => Answer::Missing,
            other => other,
        }
    }

    /// The mail exchangers of a domain, most preferred first.
    pub async fn mx(&self, domain: &str) -> Answer<Vec<String>> {
        match self
            .answer(
                self.authenticator
                    .mx_lookup(fqdn(domain), None::<&Cache<RecordSet<MX>>>),
            )
            .await
        {
            Answer::Found(set) => {
                let mut exchanges: Vec<&MX> = set.rrset.iter().collect();
                exchanges.sort_by_key(|mx| mx.preference);
                let names: Vec<String> = exchanges
                    .iter()
                    .flat_map(|mx| mx.exchanges.iter())
                    .map(|name| name.trim_end_matches('.').to_string())
                    .collect();
                if names.is_empty() {
                    Answer::Missing
                } else {
                    Answer::Found(names)
                }
            }
            Answer::Missing => Answer::Missing,
            Answer::Failed(e) => Answer::Failed(e),
        }
    }

    /// The names an address points back to (PTR).
    pub async fn reverse(&self, address: IpAddr) -> Answer<Vec<String>> {
        match self
            .answer(
                self.authenticator
                    .ptr_lookup(address, None::<&NoCache<IpAddr, RecordSet<Box<str>>>>),
            )
            .await
        {
            Answer::Found(set) if set.rrset.is_empty() => Answer::Missing,
            Answer::Found(set) => Answer::Found(
                set.rrset
                    .iter()
                    .map(|name| name.trim_end_matches('.').to_string())
                    .collect(),
            ),
            Answer::Missing => Answer::Missing,
            Answer::Failed(e) => Answer::Failed(e),
        }
    }
}

/// A name as the resolver takes it, rooted so that no search domain is added.
pub(super) fn fqdn(name: &str) -> String {
    let name = name.trim_end_matches('.');
    format!("{name}.")
}

/// NXDOMAIN and "no records" are answers; anything else is a failure to ask.
fn sort_error<T>(error: mail_auth::Error) -> Answer<T> {
    match error {
        mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(_))
        | mail_auth::Error::Dns(mail_auth::DnsError::InvalidRecordType) => Answer::Missing,
        other => Answer::Failed(other.to_string()),
    }
}
