//! The page every web page of the newsletter wears, whoever writes it: the
//! theme's colours in light and dark, the head with its metadata, the site's
//! header and navigation, and the footer. A body goes inside.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::project::config::Config;
use crate::project::templates::{Palette, Theme};

/// What the newsletter's pages share: its configuration and theme, and which
/// parts of the site exist to link to.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub config: &'a Config,
    pub theme: &'a Theme,
    /// Whether there is a site to link to (a newsletter without `base_url`
    /// has only the service's pages).
    pub site: bool,
    /// Whether the site has an about page.
    pub about: bool,
}

/// What a page says about itself in its `<head>`.
#[derive(Debug, Clone)]
pub struct Head {
    /// The window's title and the title a shared link shows.
    pub title: String,
    pub description: String,
    /// The page's own absolute address, for pages of the site.
    pub canonical: Option<String>,
    /// `article` for an issue, `website` for the others.
    pub kind: &'static str,
    /// From the page to the site's root: "", "../", or the site's absolute
    /// address for a page served elsewhere (by `verdict serve`).
    pub root: String,
    /// The picture a shared link shows.
    pub image: Option<SocialImage>,
}

/// A picture for link previews (`og:image`).
#[derive(Debug, Clone)]
pub struct SocialImage {
    /// Absolute: link previews fetch it from elsewhere.
    pub url: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

impl Head {
    /// A page outside the site's own files (a confirmation, an error), linking
    /// to the site at `root`.
    pub fn plain(title: impl Into<String>, root: impl Into<String>) -> Head {
        Head {
            title: title.into(),
            description: String::new(),
            canonical: None,
            kind: "website",
            root: root.into(),
            image: None,
        }
    }
}

/// A whole page: `main` inside the newsletter's head, header and footer.
pub fn page(frame: Frame<'_>, head: &Head, main: Markup) -> Markup {
    let Frame { config, theme, .. } = frame;
    let name = &config.name;
    let root = &head.root;
    html! {
        (DOCTYPE)
        html lang=(config.language) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                // No icon to fetch: the site loads nothing but itself (and logos).
                link rel="icon" href="data:,";
                title { (head.title) }
                @if !head.description.is_empty() {
                    meta name="description" content=(head.description);
                }
                @if let Some(canonical) = &head.canonical {
                    link rel="canonical" href=(canonical);
                    meta property="og:url" content=(canonical);
                }
                @if frame.site {
                    link rel="alternate" type="application/atom+xml" title=(name) href=(format!("{root}feed.xml"));
                }
                meta property="og:type" content=(head.kind);
                meta property="og:site_name" content=(name);
                meta property="og:title" content=(head.title);
                @if !head.description.is_empty() {
                    meta property="og:description" content=(head.description);
                    meta name="twitter:description" content=(head.description);
                }
                meta name="twitter:title" content=(head.title);
                @if let Some(image) = &head.image {
                    meta property="og:image" content=(image.url);
                    meta property="og:image:type" content="image/png";
                    meta property="og:image:width" content=(image.width);
                    meta property="og:image:height" content=(image.height);
                    meta property="og:image:alt" content=(image.alt);
                    meta name="twitter:card" content="summary_large_image";
                    meta name="twitter:image" content=(image.url);
                    meta name="twitter:image:alt" content=(image.alt);
                } @else {
                    @if let Some(logo) = &theme.logo {
                        meta property="og:image" content=(logo.url);
                    }
                    meta name="twitter:card" content="summary";
                }
                style { (PreEscaped(stylesheet(theme))) }
            }
            body {
                a class="skip-link" href="#main" { "Skip to the content" }
                header class="site" {
                    div class="wrap" {
                        @if let Some(logo) = &theme.logo {
                            img src=(logo.url) alt=(logo.alt) width=(logo.width);
                        }
                        @if frame.site {
                            nav aria-label="Site" {
                                a class="name" href=(format!("{root}index.html")) { (name) }
                                " "
                                a href=(format!("{root}tools.html")) { "Tools" }
                                @if frame.about {
                                    " "
                                    a href=(format!("{root}about.html")) { "About" }
                                }
                                " "
                                a href=(format!("{root}feed.xml")) { "Feed" }
                            }
                        } @else {
                            p class="name" { (name) }
                        }
                    }
                }
                main id="main" class="wrap" { (main) }
                footer class="site" {
                    div class="wrap" {
                        p { (theme.footer_text) }
                        p { (config.postal_address) }
                    }
                }
            }
        }
    }
}

/// The stylesheet: the theme's colours as custom properties, dark ones under
/// `prefers-color-scheme`; grids that put cards side by side when there is
/// room and one under another on a phone.
fn stylesheet(theme: &Theme) -> String {
    let vars = |p: &Palette| {
        format!(
            "--bg:{};--surface:{};--text:{};--muted:{};--accent:{};--border:{};--ship:{};--skip:{};--track:{};",
            p.background,
            p.surface,
            p.text,
            p.muted,
            p.accent,
            p.border,
            p.ship,
            p.skip,
            p.bar_track
        )
    };
    format!(
        ":root{{{light}color-scheme:light dark}}\
@media (prefers-color-scheme:dark){{:root{{{dark}}}}}\
*{{box-sizing:border-box}}\
body{{margin:0;background:var(--bg);color:var(--text);font-family:{font};line-height:1.6;font-size:1.0625rem;overflow-wrap:break-word}}\
.wrap{{max-width:62rem;margin:0 auto;padding:0 1rem}}\
a{{color:var(--accent)}}\
.skip-link{{position:absolute;left:-100vw}}.skip-link:focus{{left:1rem;top:1rem;background:var(--surface);padding:.5rem}}\
header.site{{border-bottom:1px solid var(--border);padding:.75rem 0}}\
header.site nav{{display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap}}\
header.site .name{{font-weight:800;color:var(--text);text-decoration:none;font-size:1.15rem;margin:0}}\
header.site img{{display:block;height:auto;max-width:100%}}\
main.wrap{{padding-top:1.5rem;padding-bottom:2rem}}\
.kicker{{color:var(--accent);text-transform:uppercase;letter-spacing:.08em;font-weight:700;font-size:.8rem;margin:0}}\
h1{{font-size:clamp(1.7rem,5vw,2.6rem);line-height:1.15;margin:.3rem 0 .5rem}}\
h2{{line-height:1.25;margin:2rem 0 .75rem}}h3{{margin:1.25rem 0 .5rem}}\
.date{{color:var(--muted);margin:0 0 1rem}}.muted{{color:var(--muted)}}\
.tools{{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));margin:1.5rem 0}}\
.card{{background:var(--surface);border:1px solid var(--border);border-radius:.6rem;padding:1rem 1.1rem}}\
.category{{color:var(--muted);text-transform:uppercase;letter-spacing:.06em;font-size:.8rem;font-weight:700;margin:0}}\
.category a{{color:inherit}}\
.card h2.tool{{margin:.2rem 0 .3rem;font-size:1.35rem}}.version{{color:var(--muted);font-weight:400}}\
.tool a{{color:inherit}}\
.logo{{float:right;width:3rem;height:3rem;object-fit:contain;margin:0 0 .5rem .75rem}}\
.tagline{{margin:0 0 .8rem}}\
.bar{{display:block;width:100%;height:.5rem;border-radius:.25rem}}.bar .track{{fill:var(--track)}}.bar .fill{{fill:var(--ship)}}\
.stats{{display:grid;grid-template-columns:repeat(auto-fit,minmax(6.5rem,1fr));gap:.5rem;margin:.8rem 0 .3rem}}\
.stats dt{{color:var(--muted);font-size:.75rem;text-transform:uppercase;letter-spacing:.05em}}.stats dd{{margin:0;font-weight:800;font-size:1.2rem}}\
.split{{color:var(--muted);margin:0;white-space:nowrap}}\
.panelist h3 .role,.review .role{{color:var(--muted);font-weight:400;font-size:.95rem}}\
.reviews{{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr))}}\
.review{{margin:0;border-top:1px solid var(--border);padding-top:.6rem}}\
.review blockquote{{margin:.4rem 0 0}}.review blockquote p{{margin:0}}\
.badge{{display:inline-block;padding:.05rem .6rem;border-radius:1rem;color:#fff;font-size:.8rem;font-weight:700;text-transform:uppercase;letter-spacing:.05em}}\
.badge.ship{{background:var(--ship)}}.badge.skip{{background:var(--skip)}}\
.bottom-line{{border-left:4px solid var(--accent);padding-left:1rem}}\
.cta{{background:var(--surface);border:1px solid var(--border);border-radius:.6rem;padding:1.25rem;margin-top:2.5rem}}\
.cta h2{{margin-top:.3rem}}\
.cta form{{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end}}\
.field{{display:flex;flex-direction:column;flex:1 1 14rem}}\
.field label{{font-weight:600;font-size:.9rem}}\
input{{font:inherit;padding:.55rem .6rem;border:1px solid var(--muted);border-radius:.4rem;background:var(--bg);color:var(--text);width:100%}}\
button{{font:inherit;font-weight:700;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:var(--accent);color:var(--bg);cursor:pointer}}\
.trap{{position:absolute;left:-100vw;width:1px;height:1px;overflow:hidden}}\
.issues{{list-style:none;padding:0}}.issues>li{{border-bottom:1px solid var(--border);padding:1rem 0}}\
.issues h2,.issues h3{{margin:.2rem 0}}.ships{{list-style:none;padding:0;margin:.3rem 0 0;color:var(--muted)}}\
.boards{{display:grid;gap:1rem 2rem;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr))}}\
table{{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}}\
caption{{text-align:left;font-weight:700;padding:.25rem 0}}\
th,td{{text-align:left;padding:.4rem .5rem .4rem 0;border-bottom:1px solid var(--border);vertical-align:top}}\
th{{color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.05em}}\
td.num,th.num{{text-align:right;white-space:nowrap;padding-right:0;padding-left:.5rem}}\
td.rank,th.rank{{text-align:right;width:2.25rem;padding-right:.75rem;color:var(--muted)}}\
.count{{display:block;color:var(--muted);font-size:.8rem;font-weight:400}}\
.chart{{margin:1rem 0}}.chart svg{{display:block;width:100%;height:auto;max-height:16rem}}\
.chart .grid{{stroke:var(--border);stroke-width:1}}.chart .axis{{fill:var(--muted);font-size:12px;font-family:inherit}}\
.chart .panel{{stroke:var(--ship);fill:none;stroke-width:3}}.chart .panel-dot{{fill:var(--ship)}}\
.chart .vote{{stroke:var(--accent);fill:none;stroke-width:3;stroke-dasharray:6 4}}.chart .vote-dot{{fill:var(--accent)}}\
.legend{{list-style:none;padding:0;margin:.25rem 0;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;color:var(--muted);font-size:.9rem}}\
.swatch{{display:inline-block;width:1.5rem;height:.25rem;vertical-align:middle;margin-right:.4rem;border-radius:.125rem}}\
.swatch.panel{{background:var(--ship)}}.swatch.vote{{background:var(--accent)}}\
.pager{{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));margin-top:2rem;padding-top:1rem;border-top:1px solid var(--border)}}\
.pager a{{display:block}}.pager .next{{text-align:right}}\
.pager .label{{display:block;color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.05em}}\
.chips{{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}}\
.chips a{{display:inline-block;padding:.2rem .7rem;border:1px solid var(--border);border-radius:1rem;background:var(--surface);text-decoration:none}}\
.notice{{max-width:38rem;margin:0 auto}}.notice form{{margin:1.5rem 0}}\
.notice .figures{{list-style:none;padding:0;margin:.5rem 0 0}}.notice .figures li{{border-top:1px solid var(--border);padding:.6rem 0}}\
.notice .back{{border-top:1px solid var(--border);padding-top:1rem;margin-top:2rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem}}\
button.quiet{{background:transparent;color:var(--accent);border:1px solid var(--accent)}}\
footer.site{{border-top:1px solid var(--border);color:var(--muted);padding:1rem 0 2rem;font-size:.9rem}}\
img{{max-width:100%;height:auto}}pre{{overflow-x:auto}}",
        light = vars(&theme.colors),
        dark = vars(&theme.dark_colors),
        font = theme.font_family,
    )
}
