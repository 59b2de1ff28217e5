//! Replies and bounces: the From domain (which is also the envelope sender's,
//! where bounces go) and the Reply-To domain must receive mail: MX records, or
//! an address to fall back on (RFC 5321 5.1).

use super::dns::Answer;
use super::{Check, Context, Group};

pub(super) async fn checks(context: &Context<'_>) -> Vec<Check> {
    let config = &context.project.config;
    let mut domains = vec![(context.domain.clone(), "From and bounces")];
    if let Some(reply_to) = &config.reply_to {
        let domain = reply_to.email.domain().to_ascii_lowercase();
        if domain != context.domain {
            domains.push((domain, "Reply-To"));
        }
    }
    let lookups = domains.iter().map(|(domain, role)| async move {
        let (mx, address) = tokio::join!(context.dns.mx(domain), context.dns.addresses(domain));
        match (mx, address) {
            (Answer::Found(exchanges), _) => Check::pass(
                Group::Mx,
                format!("{domain} ({role}) receives mail: MX {}", exchanges.join(", ")),
            ),
            (Answer::Failed(error), _) => Check::fail(
                Group::Mx,
                format!("the MX of {domain} ({role}) could not be looked up: {error}"),
            ),
            (Answer::Missing, Answer::Found(addresses)) => Check::warn(
                Group::Mx,
                format!(
                    "{domain} ({role}) has no MX record; mail goes to its address {} instead",
                    addresses.first().map(ToString::to_string).unwrap_or_default()
                ),
            )
            .fix(format!("publish MX {domain} naming the server that receives its mail")),
            (Answer::Missing, _) => Check::fail(
                Group::Mx,
                format!("{domain} ({role}) has no MX record and no address: replies and bounces are lost, and receivers distrust such a sender"),
            )
            .fix(format!("publish MX {domain} naming the server that receives its mail (10 mx.{domain}.)")),
        }
    });
    futures_util::future::join_all(lookups).await
}
