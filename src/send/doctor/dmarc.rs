//! DMARC (RFC 7489 and its successor) at `_dmarc.<From domain>`: the record,
//! its policy, and whether the DKIM and SPF results align with From, as
//! mail-auth evaluates the probe message.

use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::dmarc::{Alignment, Policy};
use mail_auth::{DkimOutput, DkimResult, DmarcResult, SpfOutput};

use super::dns::Answer;
use super::summary::Need;
use super::{Check, Context, Group};

/// The TXT records at `_dmarc.<domain>` that are DMARC records.
pub(super) async fn record(context: &Context<'_>) -> Answer<Vec<String>> {
    match context.dns.txt(&format!("_dmarc.{}", context.domain)).await {
        Answer::Found(records) => {
            let dmarc: Vec<String> = records
                .into_iter()
                .filter(|r| r.trim_start().to_ascii_lowercase().starts_with("v=dmarc1"))
                .collect();
            if dmarc.is_empty() {
                Answer::Missing
            } else {
                Answer::Found(dmarc)
            }
        }
        other => other,
    }
}

pub(super) async fn checks(
    context: &Context<'_>,
    record: Answer<Vec<String>>,
    dkim: &[DkimOutput<'_>],
    spf: Option<&SpfOutput>,
) -> Vec<Check> {
    let domain = &context.domain;
    let name = format!("_dmarc.{domain}");
    let suggested = format!("v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{domain}");
    let found = match record {
        Answer::Found(found) => found,
        Answer::Missing => {
            return vec![
                Check::fail(Group::Dmarc, format!("no DMARC record at {name}"))
                    .fix(format!(
                        "publish TXT {name} \"{suggested}\" (p=none first if you want reports before enforcing)"
                    ))
                    .need(Need::Dmarc),
            ];
        }
        Answer::Failed(error) => {
            return vec![
                Check::fail(
                    Group::Dmarc,
                    format!("the DMARC record at {name} could not be looked up: {error}"),
                )
                .need(Need::Dmarc),
            ];
        }
    };
    let spf = spf
        .cloned()
        .unwrap_or_else(|| SpfOutput::new(domain.clone()).with_result(mail_auth::SpfResult::None));
    let output = context
        .dns
        .authenticator
        .verify_dmarc(DmarcParameters::new(context.probe, dkim, domain, &spf))
        .await;
    let Some(parsed) = output.dmarc_record() else {
        return vec![
            Check::fail(
                Group::Dmarc,
                format!(
                    "the DMARC record at {name} does not parse: {}",
                    found.join(" | ")
                ),
            )
            .fix(format!("publish TXT {name} \"{suggested}\""))
            .need(Need::Dmarc),
        ];
    };
    let mut checks = Vec::new();
    let shown = found.join(" | ");
    checks.push(
        match parsed.p {
            Policy::Reject | Policy::Quarantine => {
                Check::pass(Group::Dmarc, format!("{name}: {shown}"))
            }
            Policy::None | Policy::Unspecified => Check::warn(
                Group::Dmarc,
                format!("{name} has p=none: receivers only report, and act on nothing: {shown}"),
            )
            .fix(format!(
                "once the reports show your mail passing, publish TXT {name} \"{}\"",
                suggested
            )),
        }
        .need(Need::Dmarc),
    );
    let adkim = mode(parsed.adkim, "adkim");
    let aspf = mode(parsed.aspf, "aspf");
    let mut signing: Vec<String> = dkim
        .iter()
        .filter(|o| *o.result() == DkimResult::Pass)
        .filter_map(|o| o.signature().map(|s| s.d.to_ascii_lowercase()))
        .collect();
    signing.dedup();
    checks.push(
        match output.dkim_result() {
            DmarcResult::Pass => Check::pass(
                Group::Dmarc,
                format!("DKIM is aligned with From {domain} ({adkim}): signed as {}", signing.join(", ")),
            ),
            _ if signing.is_empty() => Check::fail(
                Group::Dmarc,
                format!("no DKIM signature verifies, so none can align with From {domain}"),
            )
            .fix("publish the DKIM records above"),
            _ => Check::fail(
                Group::Dmarc,
                format!(
                    "DKIM signs as {} which is not aligned with From {domain} ({adkim})",
                    signing.join(", ")
                ),
            )
            .fix(format!(
                "sign as {domain}: `verdict dkim keygen --selector s2026 --domain {domain}`, publish the record and add the [[dkim]] table"
            )),
        }
        .need(Need::Aligned),
    );
    checks.push(
        match output.spf_result() {
            DmarcResult::Pass => Check::pass(
                Group::Dmarc,
                format!("SPF is aligned with From {domain} ({aspf}): the envelope sender is {}", context.project.config.from.email),
            ),
            _ => Check::warn(
                Group::Dmarc,
                format!("SPF does not pass aligned with From {domain} ({aspf}); DMARC rests on DKIM alone"),
            )
            .fix("let the relays send as your domain in its SPF record (see SPF above)"),
        }
        .need(Need::Aligned),
    );
    checks
}

fn mode(alignment: Alignment, tag: &str) -> String {
    match alignment {
        Alignment::Relaxed => format!("{tag}=r, relaxed"),
        Alignment::Strict => format!("{tag}=s, strict"),
    }
}
