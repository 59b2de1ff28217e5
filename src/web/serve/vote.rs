//! The community vote's links: `GET /vote` names the tool and the choice and
//! changes nothing; a person clicks its button, and `POST /vote` records the
//! vote durably, once per change (the same vote again writes nothing), within a
//! rate per link, while the issue's vote links work (`vote_link_days` after it
//! went out). Links are signed for the reader, the issue, the tool and the
//! choice; a forged or altered one gets 403 and records nothing. Both pages
//! show what readers say so far and lead to the issue's page and to the
//! reader's vote on the other tools.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Service;
use crate::author::issue::{Issue, Verdict};
use crate::store::tokens::{Purpose, decode_address};
use crate::web::site::plural;
use crate::web::votes::{Shown, Tally};

/// The query of a vote link.
#[derive(Debug, Deserialize)]
pub(super) struct VoteQuery {
    #[serde(default)]
    i: String,
    #[serde(default)]
    n: usize,
    #[serde(default)]
    v: String,
    #[serde(default)]
    u: String,
    #[serde(default)]
    t: String,
}

/// A genuine vote: the reader, the issue and the tool, and the choice.
struct Ballot {
    email: String,
    issue: Issue,
    tool: usize,
    verdict: Verdict,
}

/// Why a vote link does not count.
enum Refusal {
    /// Forged, altered, or for an issue or tool that does not exist.
    Invalid,
    /// The issue's vote links have expired.
    Closed,
    /// The link was used too often in the last hour.
    TooOften,
}

/// The link's query and the ballot it casts, or why it casts none (a garbled
/// link is as invalid as a forged one).
fn checked(
    service: &Service,
    query: Result<Query<VoteQuery>, QueryRejection>,
) -> Result<(VoteQuery, Ballot), Refusal> {
    let Ok(Query(query)) = query else {
        return Err(Refusal::Invalid);
    };
    let ballot = ballot(service, &query)?;
    Ok((query, ballot))
}

/// The ballot of a well-formed link: signed by us, for a tool of a published
/// issue, while its vote links are open.
fn ballot(service: &Service, query: &VoteQuery) -> Result<Ballot, Refusal> {
    let verdict = crate::web::votes::parse_choice(&query.v).ok_or(Refusal::Invalid)?;
    let email = decode_address(&query.u)
        .and_then(|raw| crate::store::lists::normalize_address(&raw).ok())
        .ok_or(Refusal::Invalid)?;
    let plausible_id = crate::author::issue::parse_file_name(&format!("{}.toml", query.i)).is_ok();
    if !plausible_id || query.n >= crate::author::issue::MAX_TOOLS {
        return Err(Refusal::Invalid);
    }
    let signed = crate::web::votes::signed_payload(&query.i, query.n, verdict, &email);
    if !service.links.verify(Purpose::Vote, &signed, &query.t) {
        return Err(Refusal::Invalid);
    }
    let issue = service.issue(&query.i).ok_or(Refusal::Invalid)?;
    if query.n >= issue.tools.len() {
        return Err(Refusal::Invalid);
    }
    let open_until = issue.send_time().map(|at| {
        at.with_timezone(&chrono::Utc) + service.project.config.community.vote_link_valid
    });
    if open_until.is_none_or(|end| chrono::Utc::now() > end) {
        return Err(Refusal::Closed);
    }
    Ok(Ballot {
        email,
        issue,
        tool: query.n,
        verdict,
    })
}

fn refused(service: &Service, refusal: Refusal) -> Response {
    let (status, title, text) = match refusal {
        Refusal::Invalid => (
            StatusCode::FORBIDDEN,
            "This link is not valid",
            "Use the vote links from one of our emails.",
        ),
        Refusal::Closed => (
            StatusCode::GONE,
            "Voting on this issue has closed",
            "Vote links work for a while after an issue goes out; the next issue brings new ones.",
        ),
        Refusal::TooOften => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many votes",
            "This vote link was used many times in the last hour. Please try again later.",
        ),
    };
    service.problem(status, title, text)
}

fn words(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ship => "ship it",
        Verdict::Skip => "skip it",
    }
}

/// The tally of each tool of the ballot's issue as it stands.
async fn tallies(service: &Arc<Service>, issue: &Issue) -> Option<Vec<Tally>> {
    let worker = service.clone();
    let (id, tools) = (issue.id.clone(), issue.tools.len());
    tokio::task::spawn_blocking(move || worker.ballots.tallies(&worker.project.layout, &id, tools))
        .await
        .ok()?
        .ok()
}

/// What readers say so far of each tool, and the reader's way to the issue
/// and to their vote on the other tools.
fn standing(service: &Service, ballot: &Ballot, tallies: Option<&[Tally]>) -> Markup {
    let issue = &ballot.issue;
    let min_votes = service.project.config.community.min_votes;
    let keys = service.links.get();
    let base = service.project.config.base_url.as_ref();
    let vote_link = |tool: usize, verdict: Verdict| {
        base.map(|base| {
            crate::web::votes::link(&keys, base, &issue.id, tool, verdict, &ballot.email)
        })
    };
    html! {
        @if let Some(tallies) = tallies {
            h2 { "What readers say so far" }
            ul class="figures" {
                @for (tool, tally) in issue.tools.iter().zip(tallies) {
                    li {
                        strong { (tool.display_name()) } ": "
                        @match crate::web::votes::shown(tool, *tally, min_votes) {
                            Shown::Set(_) => { (tool.community_label()) " ship (the editors' figure)" }
                            Shown::Tally(percent) => {
                                (percent) "% ship, from " (plural(tally.total(), "vote"))
                            }
                            Shown::Waiting { min_votes } => {
                                (plural(tally.total(), "vote")) " so far; the readers' figure shows from "
                                (min_votes) " votes (" (min_votes.saturating_sub(tally.total())) " more)"
                            }
                        }
                    }
                }
            }
        }
        @if issue.tools.len() > 1 {
            h2 { "Your vote on the other tool" @if issue.tools.len() > 2 { "s" } }
            @for (index, tool) in issue.tools.iter().enumerate().filter(|(i, _)| *i != ballot.tool) {
                @if let (Some(ship), Some(skip)) = (vote_link(index, Verdict::Ship), vote_link(index, Verdict::Skip)) {
                    p {
                        (tool.display_name()) ": "
                        a href=(ship) { "Ship it" } " \u{b7} " a href=(skip) { "Skip it" }
                    }
                }
            }
        }
        p { a href=(service.base_join(&format!("issues/{}.html", issue.id))) { "Back to the comparison: " (issue.title()) } }
    }
}

pub(super) async fn vote_page(
    State(service): State<Arc<Service>>,
    query: Result<Query<VoteQuery>, QueryRejection>,
) -> Response {
    let (query, ballot) = match checked(&service, query) {
        Ok(checked) => checked,
        Err(refusal) => return refused(&service, refusal),
    };
    let tool = &ballot.issue.tools[ballot.tool];
    let action = format!(
        "?i={}&n={}&v={}&u={}&t={}",
        query.i, query.n, query.v, query.u, query.t
    );
    let tallies = tallies(&service, &ballot.issue).await;
    service
        .page(
            &format!("Your vote on {}", tool.display_name()),
            html! {
                p { "You say: " strong { (words(ballot.verdict)) } ", in " (ballot.issue.title()) "." }
                // A person clicks: a link scanner that opens the page votes nothing.
                form method="post" action=(action) {
                    button type="submit" { "Count my vote" }
                }
                (standing(&service, &ballot, tallies.as_deref()))
            },
        )
        .into_response()
}

pub(super) async fn vote(
    State(service): State<Arc<Service>>,
    query: Result<Query<VoteQuery>, QueryRejection>,
) -> Response {
    let ballot = match checked(&service, query) {
        Ok((_, ballot)) => ballot,
        Err(refusal) => return refused(&service, refusal),
    };
    let link = crate::send::ledger::address_key(&format!(
        "{}\0{}\0{}",
        ballot.issue.id, ballot.tool, ballot.email
    ));
    if !service.vote_links.allow(&link, chrono::Utc::now()) {
        return refused(&service, Refusal::TooOften);
    }
    let keys = service.links.get();
    let worker = service.clone();
    let (issue_id, tool, verdict, email) = (
        ballot.issue.id.clone(),
        ballot.tool,
        ballot.verdict,
        ballot.email.clone(),
    );
    let recorded = tokio::task::spawn_blocking(move || {
        worker.ballots.record_change(
            &worker.project.layout,
            &keys,
            &issue_id,
            tool,
            verdict,
            &email,
        )
    })
    .await;
    match recorded {
        Ok(Ok(_)) => {
            let tallies = tallies(&service, &ballot.issue).await;
            service
                .page(
                    "Your vote counts",
                    html! {
                        p { "You say " strong { (words(ballot.verdict)) } " for " (ballot.issue.tools[ballot.tool].display_name()) ". Change your mind with the other link in the email: your last vote is the one that counts." }
                        (standing(&service, &ballot, tallies.as_deref()))
                    },
                )
                .into_response()
        }
        _ => service.problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "The vote could not be saved.",
        ),
    }
}
