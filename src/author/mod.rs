//! Writing and rendering an issue: the issue file read into the model (`issue`),
//! its Markdown (`markdown`), and one rendering per issue into an HTML and a text
//! template with per-reader slots (`render`, over `pieces`).

pub mod issue;
pub mod markdown;
pub mod pieces;
pub mod render;
