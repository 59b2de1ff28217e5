//! The pages the service answers with: one shape for all of them.

use axum::response::Html;
use maud::{DOCTYPE, Markup, html};

/// A page of the service: the newsletter's name and the content.
pub(crate) fn page(newsletter: &str, content: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="robots" content="noindex";
                    title { (newsletter) }
                    style { "body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.6rem 1.2rem}" }
                }
                body { main { (content) } }
            }
        }
        .into_string(),
    )
}
