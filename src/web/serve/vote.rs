//! The community vote's links: `GET /vote` names the tool and the choice and
//! changes nothing; a person clicks its button, and `POST /vote` records the
//! vote durably, once per change (the same vote again writes nothing), within a
//! rate per link, while the issue's vote links work (`vote_link_days` after it
//! went out). Links are signed for the reader, the issue, the tool and the
//! choice; a forged or altered one gets 403 and records nothing.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::{Service, page};
use crate::author::issue::{Issue, Verdict};
use crate::store::tokens::{Purpose, decode_address};

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

fn refused(newsletter: &str, refusal: Refusal) -> Response {
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
    (
        status,
        page(newsletter, html! { h1 { (title) } p { (text) } }),
    )
        .into_response()
}

fn words(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ship => "ship it",
        Verdict::Skip => "skip it",
    }
}

pub(super) async fn vote_page(
    State(service): State<Arc<Service>>,
    Query(query): Query<VoteQuery>,
) -> Response {
    let newsletter = &service.project.config.name;
    let ballot = match ballot(&service, &query) {
        Ok(ballot) => ballot,
        Err(refusal) => return refused(newsletter, refusal),
    };
    let tool = &ballot.issue.tools[ballot.tool];
    let action = format!(
        "?i={}&n={}&v={}&u={}&t={}",
        query.i, query.n, query.v, query.u, query.t
    );
    page(
        newsletter,
        html! {
            h1 { "Your vote on " (tool.display_name()) }
            p { "You say: " strong { (words(ballot.verdict)) } ", in " (ballot.issue.title()) "." }
            // A person clicks: a link scanner that opens the page votes nothing.
            form method="post" action=(action) {
                button type="submit" { "Count my vote" }
            }
        },
    )
    .into_response()
}

pub(super) async fn vote(
    State(service): State<Arc<Service>>,
    Query(query): Query<VoteQuery>,
) -> Response {
    let newsletter = service.project.config.name.clone();
    let ballot = match ballot(&service, &query) {
        Ok(ballot) => ballot,
        Err(refusal) => return refused(&newsletter, refusal),
    };
    let link = crate::send::ledger::address_key(&format!(
        "{}\0{}\0{}",
        ballot.issue.id, ballot.tool, ballot.email
    ));
    if !service.vote_links.allow(&link, chrono::Utc::now()) {
        return refused(&newsletter, Refusal::TooOften);
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
        Ok(Ok(_)) => page(
            &newsletter,
            html! {
                h1 { "Your vote counts" }
                p { "You say " strong { (words(ballot.verdict)) } " for " (ballot.issue.tools[ballot.tool].display_name()) ". Change your mind with the other link in the email: your last vote is the one that counts." }
            },
        )
        .into_response(),
        _ => {
            let body = page(&newsletter, html! { h1 { "Please try again" } p { "The vote could not be saved." } });
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}
