//! The paths `verdict serve` answers besides the site, in one place: its router,
//! its `--help`, README and the check of `unsubscribe_url` read them from here
//! (a value of the project, so that its configuration needs nothing of the web).

/// One route of the service.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub path: &'static str,
    pub methods: &'static str,
    pub what: &'static str,
}

/// Sign-up form posts (double opt-in).
pub const SUBSCRIBE: &str = "/subscribe";
/// The link in the confirmation email.
pub const CONFIRM: &str = "/subscribe/confirm";
/// The per-tool vote links every email carries.
pub const VOTE: &str = "/vote";
/// The counted links to tools, in emails and on issue pages.
pub const GO: &str = "/go";
/// Liveness, for a supervisor or a proxy.
pub const HEALTH: &str = "/healthz";
/// The Atom feed, served with its content type.
pub const FEED: &str = "/feed.xml";

/// Every fixed route, in the order `serve --help` and README list them; the
/// unsubscribe route's path is `unsubscribe_url`'s and the site answers the rest.
pub const FIXED: &[Route] = &[
    Route {
        path: SUBSCRIBE,
        methods: "POST",
        what: "a sign-up from the site's form: sends the confirmation email",
    },
    Route {
        path: CONFIRM,
        methods: "GET, POST",
        what: "the confirmation link: GET shows a page, its POST subscribes",
    },
    Route {
        path: VOTE,
        methods: "GET, POST",
        what: "a reader's vote on a tool: GET shows a page, its POST records the vote",
    },
    Route {
        path: GO,
        methods: "GET, HEAD",
        what: "a counted link to a tool: counts the GET per issue and tool (never per reader) and redirects (303) to the tool's link in the issue file",
    },
    Route {
        path: HEALTH,
        methods: "GET",
        what: "answers ok",
    },
    Route {
        path: FEED,
        methods: "GET",
        what: "the Atom feed in public/",
    },
];

/// The pages and folders of the site `verdict archive` writes, which the
/// service hands out from `public/`.
pub const SITE: &[&str] = &[
    "/",
    "/index.html",
    "/sitemap.xml",
    "/tools.html",
    "/about.html",
];
/// The site's folders.
pub const SITE_FOLDERS: &[&str] = &["/issues/", "/tools/", "/categories/", "/cards/", "/logos/"];

/// Whether `path` is taken: one of the service's own routes or a page of the
/// site (so not free for the unsubscribe link).
pub fn is_taken(path: &str) -> bool {
    let trimmed = path.trim_end_matches('/');
    FIXED.iter().any(|route| route.path == trimmed)
        || SITE.contains(&path)
        || SITE_FOLDERS.iter().any(|folder| path.starts_with(folder))
}
