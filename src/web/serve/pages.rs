//! The pages the service answers with: the site's own shell (the theme's
//! colours, light and dark, its header and footer) around a notice that says
//! what happened and leads back to the site. No page runs a script; a form's
//! button is how a person acts.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};

use super::Service;
use crate::web::site::shell::{self, Frame, Head};

impl Service {
    /// A page: `title` as its heading, `content` under it, and the way back
    /// to the site (its latest comparison, its front page).
    pub(crate) fn page(&self, title: &str, content: Markup) -> Html<String> {
        let config = &self.project.config;
        let root = self.base_join("");
        let frame = Frame {
            config,
            theme: &self.project.theme,
            site: config.base_url.is_some(),
            about: self.project.layout.about().is_file(),
        };
        let latest = self.latest_issue_url();
        let head = Head::plain(format!("{title} \u{2014} {}", config.name), root.clone());
        let main = html! {
            div class="notice" {
                h1 { (title) }
                (content)
                @if frame.site {
                    p class="back" {
                        @if let Some(latest) = latest {
                            a href=(latest) { "Read the latest comparison" }
                        }
                        a href=(format!("{root}index.html")) { "Every comparison of " (config.name) }
                    }
                }
            }
        };
        Html(shell::page(frame, &head, main).into_string())
    }

    /// A page that says why a request was not done, with its status.
    pub(crate) fn problem(&self, status: StatusCode, title: &str, text: &str) -> Response {
        (status, self.page(title, html! { p { (text) } })).into_response()
    }
}
