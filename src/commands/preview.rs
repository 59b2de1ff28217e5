//! `verdict preview`: write an issue's HTML, text and complete `.eml` to a folder.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::message::Composer;
use crate::project::Project;
use crate::render::{self, Personalisation};
use crate::unsubscribe::Signer;

/// Write the HTML, the text and a complete .eml of an issue, and print their paths.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The issue: a path, a file name in issues/ or an id.
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
}

pub fn execute(root: &Path, args: Args) -> Result<()> {
    let project = Project::load(root)?;
    let path = project.find_issue(&args.issue)?;
    let parsed = project.load_issue(&path)?;
    let issue = &parsed.issue;
    let email = crate::subscribers::normalize_address(&args.to).map_err(crate::Error::Usage)?;
    let rendered = render::render(issue, project.context());
    let signer = Signer::load(&project.root)?;
    let dkim = crate::message::load_dkim(&project.root, &project.config, &project.config_source)
        .map_err(crate::Error::invalid)?;
    let composer = Composer::new(&project.config, issue, rendered.clone(), signer).with_dkim(dkim);
    let outgoing = composer
        .compose(&email, args.name.as_deref())
        .map_err(crate::Error::failed)?;
    let unsubscribe_url = composer.unsubscribe_url(&email);
    let person = Personalisation {
        name: args.name.as_deref(),
        email: &email,
        unsubscribe_url: &unsubscribe_url,
    };
    let out = args
        .out
        .map(|dir| crate::fs::resolve(&std::env::current_dir().unwrap_or_default(), dir))
        .unwrap_or_else(|| project.root.join("preview").join(&issue.id));
    let files = [
        ("html", rendered.html.fill(&person).into_bytes()),
        ("txt", rendered.text.fill(&person).into_bytes()),
        ("eml", outgoing.bytes),
    ];
    for (extension, bytes) in files {
        let file = out.join(format!("{}.{extension}", issue.id));
        crate::fs::write_atomic(&file, &bytes)?;
        println!("{}", project.display_path(&file));
    }
    Ok(())
}
