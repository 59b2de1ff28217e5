//! Counted links to tools: `GET /go?i=ISSUE&n=TOOL[&f=site]&t=TOKEN` counts
//! one click on the tool of that issue (from the email, or from the issue's
//! page) and redirects (303) to the tool's link as the issue file gives it
//! now. The link is signed for the issue, the tool and where it is, and is
//! the same for every reader: it carries nothing of the reader, and nothing of
//! the request is kept but the count. The destination never comes from the
//! request, so the route redirects nowhere but to a tool of an issue; a forged
//! or altered link gets 403 and no redirect. `HEAD` (link checkers) is
//! answered alike and not counted; nor are clicks before the issue is out
//! (test copies, previews).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Service;
use crate::store::tokens::{ClickFrom, Purpose, click_payload};

/// Why a counted link leads nowhere.
enum Refusal {
    /// Forged or altered.
    Forged,
    /// Genuine, for an issue or tool that is no longer there.
    Gone,
}

/// The issue, tool and source a genuine link names.
fn check(
    service: &Service,
    query: &HashMap<String, String>,
) -> Result<(String, usize, ClickFrom), Refusal> {
    let field = |key: &str| query.get(key).map(String::as_str).unwrap_or_default();
    let from = match field("f") {
        "" => ClickFrom::Email,
        "site" => ClickFrom::Site,
        _ => return Err(Refusal::Forged),
    };
    let issue_id = field("i");
    let plausible = crate::author::issue::parse_file_name(&format!("{issue_id}.toml")).is_ok();
    let tool = field("n")
        .parse::<usize>()
        .ok()
        .filter(|n| *n < crate::author::issue::MAX_TOOLS)
        .filter(|_| plausible)
        .ok_or(Refusal::Forged)?;
    let payload = click_payload(issue_id, tool, from);
    if !service.links.verify(Purpose::Click, &payload, field("t")) {
        return Err(Refusal::Forged);
    }
    Ok((issue_id.to_string(), tool, from))
}

pub(super) async fn go(
    State(service): State<Arc<Service>>,
    method: Method,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let target = check(&service, &query).and_then(|(issue_id, tool, from)| {
        let issue = service.issue(&issue_id).ok_or(Refusal::Gone)?;
        let link = issue.tools.get(tool).ok_or(Refusal::Gone)?.link.clone();
        let location = HeaderValue::from_str(&link).map_err(|_| Refusal::Gone)?;
        // A person following a link makes a GET; link checkers ask with HEAD.
        if method == Method::GET && service.project.is_published(&issue, chrono::Utc::now()) {
            service.clicks.count(&issue.id, tool, from);
        }
        Ok(location)
    });
    match target {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(Refusal::Forged) => service.problem(
            StatusCode::FORBIDDEN,
            "This link is not valid",
            "Use the links in one of our emails or on the site.",
        ),
        Err(Refusal::Gone) => service.problem(
            StatusCode::NOT_FOUND,
            "This tool is no longer here",
            "The comparison this link came from has changed since.",
        ),
    }
}
