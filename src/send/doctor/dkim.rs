//! DKIM: each configured key's record at `selector._domainkey.domain` exists and
//! is that key. The probe message, signed with every key, is verified by
//! mail-auth against DNS as a receiver would; a signature that does not
//! verify against a record that exists means the record holds another key.

use mail_auth::{DkimOutput, DkimResult};

use super::dns::Answer;
use super::summary::Need;
use super::{Check, Context, Group};
use crate::send::message::dkim::{KeyRecord, record_name};

/// mail-auth's verdict on each signature of the probe.
pub(super) async fn verify<'x>(context: &Context<'x>) -> Vec<DkimOutput<'x>> {
    if context.keys.is_none() {
        return Vec::new();
    }
    tokio::time::timeout(
        context.options.deadline * 2,
        context.dns.authenticator.verify_dkim(context.probe),
    )
    .await
    .unwrap_or_default()
}

/// The TXT records at each configured key's name, as published.
pub(super) async fn records(context: &Context<'_>) -> Vec<(String, Answer<Vec<String>>)> {
    let names: Vec<String> = context
        .keys
        .iter()
        .flat_map(|k| k.keys())
        .map(|key| record_name(&key.domain, &key.selector))
        .collect();
    let answers =
        futures_util::future::join_all(names.iter().map(|name| context.dns.txt(name))).await;
    names.into_iter().zip(answers).collect()
}

/// One check per configured key.
pub(super) fn checks(
    context: &Context<'_>,
    outputs: &[DkimOutput<'_>],
    records: &[(String, Answer<Vec<String>>)],
) -> Vec<Check> {
    let Some(signer) = &context.keys else {
        return vec![
            Check::fail(Group::Dkim, "no DKIM key is configured: messages go out unsigned")
                .fix("run `verdict dkim keygen --selector s2026`, publish the record it prints and add its [[dkim]] table to verdict.toml")
                .need(Need::Authenticated),
        ];
    };
    signer
        .keys()
        .iter()
        .map(|key| {
            let name = record_name(&key.domain, &key.selector);
            let kind = format!("{}, {} bits", key.key.algorithm().name(), key.key.bits());
            let expected = KeyRecord::new(&key.domain, &key.selector, &key.key)
                .map(|r| r.quoted())
                .unwrap_or_default();
            let publish = format!("publish TXT {name} {expected}");
            let published = records
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, answer)| answer);
            let output = outputs.iter().find(|o| {
                o.signature()
                    .is_some_and(|s| s.s.eq_ignore_ascii_case(&key.selector) && s.d.eq_ignore_ascii_case(&key.domain))
            });
            let check = match (published, output.map(DkimOutput::result)) {
                (_, Some(DkimResult::Pass)) => Check::pass(
                    Group::Dkim,
                    format!("{name} publishes the configured key ({kind}); the signature verifies"),
                ),
                (Some(Answer::Missing) | None, _) => {
                    Check::fail(Group::Dkim, format!("no DKIM record at {name}")).fix(publish)
                }
                (Some(Answer::Failed(error)), _) => Check::fail(
                    Group::Dkim,
                    format!("the DKIM record at {name} could not be looked up: {error}"),
                ),
                (Some(Answer::Found(found)), result) => {
                    let shown = found.join(" | ");
                    let why = match result {
                        Some(DkimResult::Fail(_)) => "holds another key than the configured one",
                        Some(DkimResult::PermError(_)) | Some(DkimResult::Neutral(_)) => {
                            "is not a usable DKIM key record"
                        }
                        Some(DkimResult::TempError(_)) => "could not be read in time",
                        _ => "did not verify the signature",
                    };
                    Check::fail(
                        Group::Dkim,
                        format!(
                            "{name} {why} ({kind} configured, p=…{} published, p=…{} expected): {shown}",
                            tail_of_p(&shown),
                            tail_of_p(&expected)
                        ),
                    )
                    .fix(publish)
                }
            };
            check.need(Need::Authenticated)
        })
        .collect()
}

/// The last characters of a record's public key, enough to tell two apart.
fn tail_of_p(record: &str) -> String {
    let key: String = record
        .rsplit("p=")
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        .collect();
    key.chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}
