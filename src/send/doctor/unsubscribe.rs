//! List-Unsubscribe as readers' mailboxes read it on the probe message: an
//! https link, one-click POST advertised (RFC 8058), a mailto, and both
//! headers covered by a DKIM signature that verifies (what Gmail and Yahoo
//! require before they show their unsubscribe button).

use mail_auth::{DkimOutput, DkimResult};

use super::summary::Need;
use super::{Check, Context, Group};

pub(super) fn checks(context: &Context<'_>, dkim: &[DkimOutput<'_>]) -> Vec<Check> {
    let header = |name: &str| {
        context
            .probe
            .raw_parsed_headers()
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| {
                String::from_utf8_lossy(value)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
    };
    let group = Group::ListUnsubscribe;
    let mut checks = Vec::new();
    let Some(list_unsubscribe) = header("List-Unsubscribe") else {
        return vec![
            Check::fail(group, "the messages carry no List-Unsubscribe header")
                .need(Need::OneClick),
        ];
    };
    let links: Vec<&str> = list_unsubscribe
        .split(',')
        .map(|part| part.trim().trim_start_matches('<').trim_end_matches('>'))
        .collect();
    checks.push(
        match links.iter().find(|l| l.starts_with("https://")) {
            Some(link) => Check::pass(
                group,
                format!(
                    "List-Unsubscribe has an https link ({}…)",
                    link.split('?').next().unwrap_or(link)
                ),
            ),
            None => Check::fail(group, "List-Unsubscribe has no https link")
                .fix("set unsubscribe_url in verdict.toml to the https address of `verdict serve`"),
        }
        .need(Need::OneClick),
    );
    checks.push(
        match header("List-Unsubscribe-Post") {
            Some(value) if value.eq_ignore_ascii_case("List-Unsubscribe=One-Click") => Check::pass(
                group,
                "one-click unsubscribe is advertised (List-Unsubscribe-Post, RFC 8058)",
            ),
            _ => Check::fail(
                group,
                "no List-Unsubscribe-Post: List-Unsubscribe=One-Click header",
            ),
        }
        .need(Need::OneClick),
    );
    // A sign-up email stands in for an issue when none can be read; it has
    // no mailto, and says nothing of the issues' one.
    if context.probe_is_issue {
        checks.push(mailto(group, &links));
    }
    let covered = dkim.iter().any(|output| {
        *output.result() == DkimResult::Pass
            && output.signature().is_some_and(|signature| {
                ["list-unsubscribe", "list-unsubscribe-post"]
                    .iter()
                    .all(|name| signature.h.iter().any(|h| h.eq_ignore_ascii_case(name)))
            })
    });
    checks.push(if covered {
        Check::pass(group, "a DKIM signature that verifies covers List-Unsubscribe and List-Unsubscribe-Post")
    } else {
        Check::fail(group, "no DKIM signature that verifies covers List-Unsubscribe and List-Unsubscribe-Post, so Gmail and Yahoo show no unsubscribe button")
            .fix("fix the DKIM records above: verdict's signatures cover both headers")
    }.need(Need::OneClick));
    checks
}

/// Whether List-Unsubscribe offers a mailto too.
fn mailto(group: Group, links: &[&str]) -> Check {
    if links.iter().any(|l| l.starts_with("mailto:")) {
        Check::pass(
            group,
            "List-Unsubscribe has a mailto for mail programs without one-click",
        )
    } else {
        Check::warn(group, "List-Unsubscribe has no mailto")
            .fix("set unsubscribe_mailto in verdict.toml")
    }
}
