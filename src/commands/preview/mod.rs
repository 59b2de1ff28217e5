//! `verdict preview`: write an issue's HTML, text and complete `.eml` to a folder,
//! or serve them and the issue's web page with live reload (`live`).

mod live;

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::author::render::{self, Personalisation};
use crate::error::Result;
use crate::project::Project;
use crate::project::layout::Layout;
use crate::send::message::Composer;
use crate::store::tokens::Keys;

/// Write the HTML, the text and a complete .eml of an issue, and print their
/// paths; with --serve, show them and the issue's web page in a browser,
/// reloaded whenever the issue file or templates/ change. A preview links the
/// tools directly, so that each link can be checked; sent emails lead through
/// the click counter while [community] count_clicks is on.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The issue: its id, a unique start of it, or its file name in issues/.
    pub issue: String,
    /// Where to write the files (default: preview/<issue id>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The address the preview is personalised for.
    #[arg(long, default_value = "reader@example.com", value_name = "ADDR")]
    pub to: String,
    /// The name the preview greets.
    #[arg(long)]
    pub name: Option<String>,
    /// Serve the email and the web page on 127.0.0.1, reloading on every change.
    #[arg(long)]
    pub serve: bool,
    /// Where --serve listens (on this machine only).
    #[arg(
        long,
        default_value = "127.0.0.1:8000",
        value_name = "ADDR:PORT",
        requires = "serve"
    )]
    pub listen: SocketAddr,
}

pub(crate) fn execute(layout: &Layout, args: Args) -> Result<()> {
    if args.serve {
        return live::serve(layout, args);
    }
    let project = Project::load(layout)?;
    let path = project.find_issue(&args.issue)?;
    let parsed = project.load_issue(&path)?;
    let issue = &crate::web::votes::with_community(
        layout,
        &parsed.issue,
        project.config.community.min_votes,
    )?;
    let email = crate::store::lists::normalize_address(&args.to)?;
    // Tools linked directly, so that the editor can follow each link; the
    // emails sent link them through the click counter.
    let rendered = render::render(issue, project.context_signed_by(None));
    // Preview-only keys: no link in a preview acts on the real service.
    let keys = Keys::ephemeral();
    let dkim = crate::send::message::load_dkim(&project.config, layout)?;
    let composer = Composer::new(&project.config, issue, rendered.clone(), keys).with_dkim(dkim);
    let outgoing = composer.compose(&email, args.name.as_deref())?;
    let unsubscribe_url = composer.unsubscribe_url(&email);
    let votes = composer.vote_links(&email);
    let person = Personalisation {
        name: args.name.as_deref(),
        email: &email,
        unsubscribe_url: &unsubscribe_url,
        votes: &votes,
    };
    let out = match args.out {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => std::env::current_dir().unwrap_or_default().join(dir),
        None => layout.preview_dir(&issue.id),
    };
    let files = [
        ("html", rendered.html.fill(&person).into_bytes()),
        ("txt", rendered.text.fill(&person).into_bytes()),
        ("eml", outgoing.bytes),
    ];
    for (extension, bytes) in files {
        let file = out.join(format!("{}.{extension}", issue.id));
        crate::store::fs::write_atomic(&file, &bytes)?;
        crate::say!("{}", layout.display(&file));
    }
    Ok(())
}
