//! How many confirmation emails go out, and to whom: per client (asks per
//! hour), per mailbox (one within `resend_after`, with `+tags` counted as the
//! mailbox they reach), per mailbox domain and for everyone together per hour.
//! A request refused by one limit spends no other.

use chrono::{DateTime, Duration, Utc};

use crate::project::config::Signup;
use crate::send::ledger::address_key;
use crate::web::serve::client::{ClientKey, Window};

/// The sign-up limits of a running service.
pub(super) struct Limits {
    pub config: Signup,
    clients: Window<ClientKey>,
    mailboxes: Window<u64>,
    domains: Window<String>,
    everyone: Window<()>,
}

/// Which limit stopped a confirmation email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// The mailbox got one within `resend_after`.
    Mailbox,
    Domain,
    /// The hourly cap for everyone.
    Everyone,
}

/// The mailbox an address reaches: `reader+tag@example.com` is
/// `reader@example.com`.
pub(super) fn mailbox(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split_once('+').map_or(local, |(base, _)| base);
            format!("{local}@{domain}")
        }
        None => email.to_string(),
    }
}

impl Limits {
    pub(super) fn new(config: Signup) -> Limits {
        const KEYS: usize = 100_000;
        Limits {
            clients: Window::new(config.per_client_per_hour, Duration::hours(1), KEYS),
            mailboxes: Window::new(1, config.resend_after, KEYS),
            domains: Window::new(config.per_domain_per_hour, Duration::hours(1), KEYS),
            everyone: Window::new(config.per_hour, Duration::hours(1), 1),
            config,
        }
    }

    /// Whether this client may ask (and counts the ask).
    pub(super) fn client_may_ask(&self, client: ClientKey, now: DateTime<Utc>) -> bool {
        self.clients.allow(&client, now)
    }

    /// Whether a confirmation email may go to `email` now; if so it is counted
    /// in every limit, else in none.
    pub(super) fn take(&self, email: &str, now: DateTime<Utc>) -> Result<(), Refused> {
        let mailbox = address_key(&mailbox(email));
        let domain = email.rsplit_once('@').map_or("", |(_, d)| d).to_string();
        if !self.mailboxes.allow(&mailbox, now) {
            return Err(Refused::Mailbox);
        }
        if !self.domains.allow(&domain, now) {
            self.mailboxes.forget_last(&mailbox);
            return Err(Refused::Domain);
        }
        if !self.everyone.allow(&(), now) {
            self.mailboxes.forget_last(&mailbox);
            self.domains.forget_last(&domain);
            return Err(Refused::Everyone);
        }
        Ok(())
    }

    /// Takes back what [`take`](Limits::take) counted for an email that was
    /// not sent after all, so that the reader may ask again at once.
    pub(super) fn give_back(&self, email: &str) {
        let domain = email.rsplit_once('@').map_or("", |(_, d)| d).to_string();
        self.mailboxes.forget_last(&address_key(&mailbox(email)));
        self.domains.forget_last(&domain);
        self.everyone.forget_last(&());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_reach_one_mailbox_and_a_refusal_spends_no_other_limit() {
        assert_eq!(mailbox("victim+1@example.com"), "victim@example.com");
        let limits = Limits::new(Signup {
            link_valid: Duration::days(7),
            resend_after: Duration::hours(1),
            per_client_per_hour: 5,
            per_hour: 2,
            per_domain_per_hour: 10,
        });
        let now = Utc::now();
        assert_eq!(limits.take("victim+1@example.com", now), Ok(()));
        for tag in 2..=10 {
            assert_eq!(
                limits.take(&format!("victim+{tag}@example.com"), now),
                Err(Refused::Mailbox)
            );
        }
        // The refusals above spent nothing of the hourly cap.
        assert_eq!(limits.take("other@example.org", now), Ok(()));
        assert_eq!(
            limits.take("third@example.net", now),
            Err(Refused::Everyone)
        );
        // The refused third may ask again as soon as there is room.
        limits.give_back("other@example.org");
        assert_eq!(limits.take("third@example.net", now), Ok(()));
    }
}
