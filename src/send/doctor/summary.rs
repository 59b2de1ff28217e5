//! Gmail's and Yahoo's requirements for bulk senders (February 2024), each
//! met or not according to the checks that bear on it.

use serde::Serialize;

use super::{Check, Status};

/// A requirement a check bears on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// SPF and DKIM both set up and passing.
    Authenticated,
    /// A DMARC record (p=none is enough).
    Dmarc,
    /// From aligned with the SPF or the DKIM domain.
    Aligned,
    /// One-click unsubscribe (RFC 8058), signed.
    OneClick,
    /// Sending addresses with forward-confirmed reverse DNS.
    ReverseDns,
    /// Mail carried over TLS.
    Tls,
}

impl Need {
    const ALL: [Need; 6] = [
        Need::Authenticated,
        Need::Dmarc,
        Need::Aligned,
        Need::OneClick,
        Need::ReverseDns,
        Need::Tls,
    ];

    fn describe(self) -> &'static str {
        match self {
            Need::Authenticated => "SPF and DKIM set up, passing",
            Need::Dmarc => "a DMARC record",
            Need::Aligned => "From aligned with SPF or DKIM (DMARC passes)",
            Need::OneClick => "one-click unsubscribe, signed by DKIM",
            Need::ReverseDns => "reverse DNS of the sending addresses",
            Need::Tls => "mail carried over TLS",
        }
    }

    /// Alignment needs one passing check; reverse DNS and TLS need every
    /// check to pass; the others need none to fail (p=none is a DMARC record).
    fn met(self, statuses: &[Status]) -> bool {
        match self {
            Need::Aligned => statuses.contains(&Status::Pass),
            Need::ReverseDns | Need::Tls => statuses.iter().all(|s| *s == Status::Pass),
            _ => !statuses.contains(&Status::Fail),
        }
    }
}

/// One requirement and whether it is met (`None`: not checked; online only).
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub requirement: &'static str,
    pub met: Option<bool>,
}

pub(super) fn requirements(checks: &[Check]) -> Vec<Requirement> {
    let statuses = |need: Need| -> Vec<Status> {
        checks
            .iter()
            .filter(|c| c.need == Some(need))
            .map(|c| c.status)
            .collect()
    };
    Need::ALL
        .iter()
        .map(|&need| {
            let found = statuses(need);
            let met = if found.is_empty() {
                // Without a DMARC record there is nothing to align with.
                (need == Need::Aligned && !statuses(Need::Dmarc).is_empty()).then_some(false)
            } else {
                Some(need.met(&found))
            };
            Requirement {
                requirement: need.describe(),
                met,
            }
        })
        .collect()
}
