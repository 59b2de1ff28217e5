//! The web side: the comparison site `verdict archive` writes into `public/`:
//! a page per published issue (`page`) with its social card (`card`), the body
//! of verdicts they add up to (`standings`): a page per tool with its record
//! over time (`tools`, `chart`), a page per category, the leaderboards on the
//! index; an about page, an Atom feed and a sitemap (`feed`). Every page wears
//! the same `shell`. A rerun renders only issues and cards whose inputs
//! changed and rewrites only files whose content changed.

mod card;
mod chart;
mod feed;
mod output;
mod page;
pub mod shell;
mod standings;
mod tools;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::author::issue::{Issue, ToolLogo};
use crate::author::markdown::Markdown;
use crate::diagnostic::FileDiagnostics;
use crate::project::Project;
use crate::project::templates::Roster;
use crate::store::fs::FsError;
use crate::store::tokens::{ClickFrom, Keys};
use card::{CardStyle, Painter};
use output::Output;
use page::Neighbours;
pub(crate) use page::plural;
use shell::{Frame, Head, SocialImage};
use standings::Standings;

/// Everything the pages need besides the issue.
pub struct SiteContext<'a> {
    pub frame: Frame<'a>,
    pub roster: &'a Roster,
    /// The site's root, ending with `/`.
    pub base: Url,
    /// Whether issue pages have social cards.
    pub cards: bool,
    /// The keys that sign the issue pages' counted links to tools, when
    /// links are counted (`[community] count_clicks`); else tools are linked
    /// directly.
    pub clicks: Option<&'a Keys>,
}

impl<'a> SiteContext<'a> {
    /// The site of a project, its links to tools signed by `clicks`; it needs
    /// `base_url`.
    pub fn new(
        project: &'a Project,
        cards: bool,
        clicks: Option<&'a Keys>,
    ) -> Result<SiteContext<'a>, SiteError> {
        let base = project.config.site_root().ok_or(SiteError::NoBaseUrl)?;
        Ok(SiteContext {
            frame: Frame {
                config: &project.config,
                theme: &project.theme,
                site: true,
                about: project.layout.about().is_file(),
            },
            roster: &project.roster,
            base,
            cards,
            clicks: clicks.filter(|_| project.config.community.count_clicks),
        })
    }

    /// Where a page's link to tool `index` of an issue leads: through the
    /// counter, or to the tool itself.
    pub fn tool_link(&self, issue: &Issue, index: usize) -> String {
        match (self.clicks, issue.tools.get(index)) {
            (Some(keys), Some(_)) => keys.click_url(&self.base, &issue.id, index, ClickFrom::Site),
            (None, Some(tool)) => tool.link.clone(),
            (_, None) => String::new(),
        }
    }

    /// The absolute address of a path on the site.
    pub fn url(&self, path: &str) -> String {
        self.base
            .join(path)
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// The absolute address of an issue's page.
    pub fn issue_url(&self, id: &str) -> String {
        self.url(&format!("issues/{id}.html"))
    }

    /// The social card of an issue, when the site has cards.
    fn card(&self, issue: &Issue) -> Option<SocialImage> {
        self.cards.then(|| SocialImage {
            url: self.url(&format!("cards/{}.png", issue.id)),
            alt: card::alt_text(issue),
            width: card::WIDTH,
            height: card::HEIGHT,
        })
    }
}

/// Why the site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(
        "the archive needs base_url in verdict.toml: the public address of the site, e.g. base_url = \"https://verdicts.example.com\""
    )]
    NoBaseUrl,
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error("cannot record what the build wrote: {0}")]
    Manifest(#[from] serde_json::Error),
    #[error("the social card of {issue}: {error}")]
    Card {
        issue: String,
        error: card::CardError,
    },
    #[error(transparent)]
    Clicks(#[from] crate::web::clicks::ClicksError),
}

/// The clicks counted on each published issue's links to its tools, which
/// the tool pages show.
#[derive(Debug, Default)]
struct Clicked(std::collections::HashMap<String, Vec<crate::web::clicks::ToolClicks>>);

impl Clicked {
    fn read(project: &Project, issues: &[&Issue]) -> Result<Clicked, SiteError> {
        let mut clicked = Clicked::default();
        for issue in issues {
            let counts = crate::web::clicks::read(&project.layout, &issue.id, issue.tools.len())?;
            clicked.0.insert(issue.id.clone(), counts);
        }
        Ok(clicked)
    }

    /// The clicks on one tool in one issue, wherever its links were.
    fn on(&self, issue: &Issue, index: usize) -> u64 {
        self.0
            .get(&issue.id)
            .and_then(|counts| counts.get(index))
            .map_or(0, |c| c.total())
    }
}

/// How to build the site.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Draw a social card per issue (`cards/ISSUE.png`).
    pub cards: bool,
}

/// What a build did.
#[derive(Debug, Default)]
pub struct Built {
    pub published: usize,
    /// Files written because they are new or their content changed.
    pub written: Vec<PathBuf>,
    pub unchanged: usize,
    /// Files of things no longer on the site, removed.
    pub removed: Vec<PathBuf>,
    /// Issue files that could not be read; the rest of the site is built.
    pub invalid: Vec<FileDiagnostics>,
}

/// What the last build rendered from, so that a rerun renders only what
/// changed and removes what is gone.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// A hash of everything all pages depend on (configuration, templates, the
    /// verdict version).
    shared: String,
    /// Per issue id: a hash of everything its page shows.
    issues: BTreeMap<String, String>,
    /// Per issue id: a hash of its card's SVG.
    #[serde(default)]
    cards: BTreeMap<String, String>,
    /// Every other file the build wrote, relative to the site's folder.
    #[serde(default)]
    files: BTreeSet<String>,
}

const MANIFEST: &str = ".verdict-archive.json";

fn digest(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    crate::store::tokens::hex(&hasher.finalize()[..16])
}

/// The words that describe a page for search and link previews.
fn description(issue: &Issue) -> String {
    let text = issue
        .preheader
        .clone()
        .unwrap_or_else(|| issue.intro.to_text(10_000, ""));
    let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.chars().count() > 200 {
        format!("{}…", words.chars().take(199).collect::<String>())
    } else {
        words
    }
}

/// The comparison page of one issue, for `preview --serve`, its links to
/// tools signed by `clicks` (a preview's own keys).
pub fn issue_page(
    project: &Project,
    issue: &Issue,
    clicks: Option<&Keys>,
) -> Result<String, SiteError> {
    let cx = SiteContext::new(project, false, clicks)?;
    Ok(page::issue_page(
        &cx,
        issue,
        description(issue),
        Neighbours::default(),
    ))
}

/// A published issue with a hash of everything its page is made of.
struct Entry {
    issue: Issue,
    inputs: String,
    out_at: DateTime<Utc>,
}

/// Builds the site of every issue published by `now` into `out`.
pub fn build(
    project: &Project,
    out: &Path,
    now: DateTime<Utc>,
    options: Options,
) -> Result<Built, SiteError> {
    // Pages link through the counter only with the service's own secret:
    // never made here (a site built elsewhere links tools directly).
    let cx = SiteContext::new(project, options.cards, project.link_keys())?;
    let layout = &project.layout;
    let signer = cx.clicks.map(|keys| keys.key_id().to_string());
    let mut built = Built::default();
    let output = Output::default();
    let about = std::fs::read_to_string(layout.about()).ok();
    let shared = digest(&[
        env!("CARGO_PKG_VERSION").as_bytes(),
        // The rendering code itself: a build that renders differently renders anew.
        include_bytes!("page.rs"),
        include_bytes!("shell.rs"),
        include_bytes!("feed.rs"),
        include_bytes!("../../author/markdown.rs"),
        include_bytes!("../../author/issue/mod.rs"),
        project.config.source.source.as_bytes(),
        &std::fs::read(layout.theme()).unwrap_or_default(),
        &std::fs::read(layout.panel()).unwrap_or_default(),
        // The navigation links the about page.
        &[u8::from(about.is_some()), u8::from(options.cards)],
        // Counted links are signed by this key.
        signer.unwrap_or_default().as_bytes(),
    ]);
    let manifest_path = out.join(MANIFEST);
    let old: Manifest = std::fs::read(&manifest_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let mut manifest = Manifest {
        shared: shared.clone(),
        ..Manifest::default()
    };

    let published = project.published(now)?;
    built.invalid = published.invalid;
    let mut entries: Vec<Entry> = Vec::with_capacity(published.issues.len());
    for crate::project::PublishedIssue {
        issue,
        source,
        out_at,
    } in published.issues
    {
        // Readers' votes count on the page once there are enough of them.
        let issue =
            crate::web::votes::with_community(layout, &issue, project.config.community.min_votes)?;
        let community: Vec<String> = issue.tools.iter().map(|t| t.community_label()).collect();
        let profiles: Vec<&str> = issue
            .tools
            .iter()
            .filter_map(|t| t.profile.as_deref())
            .filter_map(|id| project.tools.get(id))
            .map(|p| p.source.as_str())
            .collect();
        let inputs = digest(&[
            shared.as_bytes(),
            source.as_bytes(),
            profiles.join("\0").as_bytes(),
            community.join(",").as_bytes(),
        ]);
        entries.push(Entry {
            issue,
            inputs,
            out_at,
        });
    }
    built.published = entries.len();
    let oldest_first: Vec<&Issue> = entries.iter().map(|e| &e.issue).collect();
    let newest_first: Vec<&Issue> = oldest_first.iter().rev().copied().collect();
    let standings = Standings::of(&oldest_first, &project.tools);
    // Shown on the tool pages while links are counted.
    let clicked = project
        .config
        .community
        .count_clicks
        .then(|| Clicked::read(project, &oldest_first))
        .transpose()?;

    // Issue pages, each with the titles of its neighbours.
    let pages = out.join("issues");
    for (i, entry) in entries.iter().enumerate() {
        let issue = &entry.issue;
        let neighbours = Neighbours {
            older: i.checked_sub(1).map(|j| &entries[j].issue),
            newer: entries.get(i + 1).map(|e| &e.issue),
        };
        let around = |other: Option<&Issue>| {
            other
                .map(|o| format!("{}\0{}", o.id, o.title()))
                .unwrap_or_default()
        };
        let inputs = digest(&[
            entry.inputs.as_bytes(),
            around(neighbours.older).as_bytes(),
            around(neighbours.newer).as_bytes(),
        ]);
        let path = pages.join(format!("{}.html", issue.id));
        let same_inputs = old.issues.get(&issue.id) == Some(&inputs);
        manifest.issues.insert(issue.id.clone(), inputs);
        if same_inputs && path.is_file() {
            built.unchanged += 1;
            continue;
        }
        let html = page::issue_page(&cx, issue, description(issue), neighbours);
        record(
            &mut built,
            &path,
            output.write_if_changed(&path, html.as_bytes())?,
        );
    }
    for id in old
        .issues
        .keys()
        .filter(|id| !manifest.issues.contains_key(*id))
    {
        remove(&mut built, &pages.join(format!("{id}.html")));
    }
    if options.cards {
        let drawn = Drawn {
            old: &old,
            manifest: &mut manifest,
            built: &mut built,
            output: &output,
        };
        cards(project, &cx, &oldest_first, out, drawn)?;
    }
    for id in old
        .cards
        .keys()
        .filter(|id| !manifest.cards.contains_key(*id))
    {
        remove(&mut built, &out.join("cards").join(format!("{id}.png")));
    }

    // The body of verdicts: tools, categories, the index; the about page.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for tool in &standings.tools {
        files.push((
            format!("tools/{}.html", tool.key),
            tools::tool_page(&cx, tool, clicked.as_ref()).into_bytes(),
        ));
    }
    for category in &standings.categories {
        files.push((
            format!("categories/{}.html", category.slug),
            tools::category_page(&cx, &standings, category, &newest_first).into_bytes(),
        ));
    }
    files.push((
        "tools.html".into(),
        tools::tools_index(&cx, &standings).into_bytes(),
    ));
    if let Some(about) = &about {
        files.push(("about.html".into(), about_page(&cx, about).into_bytes()));
    }
    for logo in logos(&oldest_first) {
        let from = layout.tools_dir().join(logo);
        files.push((
            format!("logos/{logo}"),
            std::fs::read(&from).map_err(|e| FsError::new("cannot read", &from, e))?,
        ));
    }
    files.push((
        "index.html".into(),
        page::index_page(&cx, &newest_first, &standings).into_bytes(),
    ));
    files.push((
        "feed.xml".into(),
        feed::atom(
            &cx,
            &newest_first,
            &entries
                .iter()
                .map(|e| (e.issue.id.as_str(), e.out_at))
                .collect(),
        )
        .into_bytes(),
    ));
    files.push((
        "sitemap.xml".into(),
        feed::sitemap(&cx, &newest_first, &standings, about.is_some()).into_bytes(),
    ));
    for (name, content) in &files {
        let path = out.join(name);
        record(&mut built, &path, output.write_if_changed(&path, content)?);
        manifest.files.insert(name.clone());
    }
    for name in old.files.difference(&manifest.files) {
        remove(&mut built, &out.join(name));
    }
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    output.write_if_changed(&manifest_path, &manifest_bytes)?;
    output.commit()?;
    Ok(built)
}

/// Where the cards of a build go and what they are checked against.
struct Drawn<'b> {
    old: &'b Manifest,
    manifest: &'b mut Manifest,
    built: &'b mut Built,
    output: &'b Output,
}

/// Draws the card of every issue whose card would look different from the
/// last build's (or is missing), on every core.
fn cards(
    project: &Project,
    cx: &SiteContext<'_>,
    issues: &[&Issue],
    out: &Path,
    drawn: Drawn<'_>,
) -> Result<(), SiteError> {
    let Drawn {
        old,
        manifest,
        built,
        output,
    } = drawn;
    let painter = Painter::new();
    let style = CardStyle {
        newsletter: &project.config.name,
        host: cx.base.host_str().unwrap_or_default(),
        colors: &project.theme.colors,
    };
    let dir = out.join("cards");
    let mut due: Vec<(&Issue, String)> = Vec::new();
    for issue in issues {
        let svg = painter.svg(issue, style);
        let hash = digest(&[include_bytes!("card.rs"), svg.as_bytes()]);
        let path = dir.join(format!("{}.png", issue.id));
        if old.cards.get(&issue.id) == Some(&hash) && path.is_file() {
            built.unchanged += 1;
        } else {
            due.push((issue, svg));
        }
        manifest.cards.insert(issue.id.clone(), hash);
    }
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = due.len().div_ceil(workers).max(1);
    let results: Vec<Result<Vec<(PathBuf, bool)>, SiteError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = due
            .chunks(chunk)
            .map(|part| {
                let (painter, dir) = (&painter, &dir);
                scope.spawn(move || {
                    part.iter()
                        .map(|(issue, svg)| {
                            let png = painter.png(svg).map_err(|error| SiteError::Card {
                                issue: issue.id.clone(),
                                error,
                            })?;
                            let path = dir.join(format!("{}.png", issue.id));
                            let changed = output.write_if_changed(&path, &png)?;
                            Ok((path, changed))
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(SiteError::Card {
                        issue: String::new(),
                        error: card::CardError::Png("the drawing thread stopped".into()),
                    })
                })
            })
            .collect()
    });
    for result in results {
        for (path, changed) in result? {
            record(built, &path, changed);
        }
    }
    Ok(())
}

/// The logo files the published issues show, each once.
fn logos<'a>(issues: &[&'a Issue]) -> BTreeSet<&'a str> {
    issues
        .iter()
        .flat_map(|issue| &issue.tools)
        .filter_map(|tool| match &tool.logo {
            Some(ToolLogo::File(name)) => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

/// The about page from `templates/about.md`: its first `#` heading, if it
/// starts with one, is the page's title.
fn about_page(cx: &SiteContext<'_>, source: &str) -> String {
    let trimmed = source.trim_start();
    let (title, body) = match trimmed.strip_prefix("# ") {
        Some(rest) => {
            let (line, body) = rest.split_once('\n').unwrap_or((rest, ""));
            (line.trim().trim_end_matches('#').trim().to_string(), body)
        }
        None => (format!("About {}", cx.frame.config.name), trimmed),
    };
    let name = &cx.frame.config.name;
    let head = Head {
        title: if title.contains(name.as_str()) {
            title.clone()
        } else {
            format!("{title} \u{2014} {name}")
        },
        description: cx.frame.theme.header_text.clone(),
        canonical: Some(cx.url("about.html")),
        kind: "website",
        root: String::new(),
        image: None,
    };
    let main = maud::html! {
        h1 { (title) }
        div class="about" { (maud::PreEscaped(Markdown(body.to_string()).to_html_document())) }
        (page::call_to_action(cx, "subscribe"))
    };
    shell::page(cx.frame, &head, main).into_string()
}

fn record(built: &mut Built, path: &Path, changed: bool) {
    if changed {
        built.written.push(path.to_path_buf());
    } else {
        built.unchanged += 1;
    }
}

fn remove(built: &mut Built, path: &Path) {
    if std::fs::remove_file(path).is_ok() {
        built.removed.push(path.to_path_buf());
    }
}
