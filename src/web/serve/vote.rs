//! The community vote's links: `GET /vote` names the tool and the choice and
//! confirms in one click (or by a few lines of script); `POST /vote` records the
//! vote durably. Links are signed for the reader, the issue, the tool and the
//! choice; a forged or altered one gets 403 and records nothing.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{PreEscaped, html};
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

fn ballot(service: &Service, query: &VoteQuery) -> Option<Ballot> {
    let verdict = crate::web::votes::parse_choice(&query.v)?;
    let email = crate::store::lists::normalize_address(&decode_address(&query.u)?).ok()?;
    let plausible_id = crate::author::issue::parse_file_name(&format!("{}.toml", query.i)).is_ok();
    if !plausible_id || query.n >= crate::author::issue::MAX_TOOLS {
        return None;
    }
    let signed = crate::web::votes::signed_payload(&query.i, query.n, verdict, &email);
    if !service.links.verify(Purpose::Vote, &signed, &query.t) {
        return None;
    }
    let issue = service.issue(&query.i)?;
    (query.n < issue.tools.len()).then_some(Ballot {
        email,
        issue,
        tool: query.n,
        verdict,
    })
}

fn invalid(newsletter: &str) -> Response {
    let body = page(
        newsletter,
        html! { h1 { "This link is not valid" } p { "Use the vote links from one of our emails." } },
    );
    (StatusCode::FORBIDDEN, body).into_response()
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
    let Some(ballot) = ballot(&service, &query) else {
        return invalid(newsletter);
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
            form id="vote" method="post" action=(action) {
                button type="submit" { "Count my vote" }
            }
            script { (PreEscaped("document.getElementById('vote').submit();")) }
        },
    )
    .into_response()
}

pub(super) async fn vote(
    State(service): State<Arc<Service>>,
    Query(query): Query<VoteQuery>,
) -> Response {
    let newsletter = service.project.config.name.clone();
    let Some(ballot) = ballot(&service, &query) else {
        return invalid(&newsletter);
    };
    let layout = service.project.layout.clone();
    let keys = service.links.get();
    let (issue_id, tool, verdict, email) = (
        ballot.issue.id.clone(),
        ballot.tool,
        ballot.verdict,
        ballot.email.clone(),
    );
    let recorded = tokio::task::spawn_blocking(move || {
        crate::web::votes::record(&layout, &keys, &issue_id, tool, verdict, &email)
    })
    .await;
    match recorded {
        Ok(Ok(())) => page(
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
