//! The static site as `verdict serve` hands it out: files under `public/` and
//! nothing else. No dotfile or dot-folder (the archive's manifest, a `.git`),
//! no path that leaves `public/` (`..`, a symlink pointing out), no redirect
//! that a browser would read as another host (`//host`). Pages are cached
//! briefly; the feed is Atom.

use std::path::{Component, Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

use super::Service;

/// The file under `public` a request path names, if it is one the site may
/// serve. `None` for anything else, which is then answered as missing.
pub(super) fn resolve(public: &Path, request_path: &str) -> Option<Resolved> {
    let decoded = percent_encoding::percent_decode_str(request_path)
        .decode_utf8()
        .ok()?;
    if !decoded.starts_with('/') || decoded.contains("//") || decoded.contains(['\\', '\0']) {
        return None;
    }
    let relative = decoded.trim_start_matches('/');
    let mut path = PathBuf::new();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(part) if !part.to_string_lossy().starts_with('.') => path.push(part),
            _ => return None,
        }
    }
    let root = public.canonicalize().ok()?;
    let target = root.join(&path).canonicalize().ok()?;
    if !target.starts_with(&root) {
        return None;
    }
    // A symlink inside may not lead to a dotfile either.
    if target
        .strip_prefix(&root)
        .ok()?
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    {
        return None;
    }
    if target.is_dir() {
        if !decoded.ends_with('/') {
            return Some(Resolved::Folder(format!("{decoded}/")));
        }
        let index = target.join("index.html");
        return index.is_file().then_some(Resolved::File(index));
    }
    target.is_file().then_some(Resolved::File(target))
}

/// What a request path comes to.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Resolved {
    File(PathBuf),
    /// A folder named without its final slash: redirect here (a path on this
    /// host: it starts with one slash, never two).
    Folder(String),
}

/// Answers GET and HEAD for files of the site.
pub(super) async fn serve(
    State(service): State<std::sync::Arc<Service>>,
    request: Request,
) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return service.problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "Nothing to do here",
            "This address only shows pages.",
        );
    }
    let public = service.project.layout.public_dir();
    let missing = || {
        service.problem(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no page at this address.",
        )
    };
    match resolve(&public, request.uri().path()) {
        None => missing(),
        Some(Resolved::Folder(location)) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Some(Resolved::File(file)) => {
            let atom = file.file_name().is_some_and(|n| n == "feed.xml");
            let served = tower_http::services::ServeFile::new(&file)
                .oneshot(request)
                .await;
            let mut response = match served {
                Ok(response) => response.into_response(),
                Err(_) => return missing(),
            };
            if atom {
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/atom+xml; charset=utf-8"),
                );
            }
            if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
                // Pages change when `verdict archive` runs.
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=300"),
                );
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_public_and_no_dotfiles_are_served() {
        let dir = tempfile::tempdir().unwrap();
        let public = dir.path().join("public");
        std::fs::create_dir_all(public.join("issues")).unwrap();
        std::fs::create_dir_all(public.join(".git")).unwrap();
        std::fs::write(public.join("index.html"), "index").unwrap();
        std::fs::write(public.join("issues/a.html"), "a").unwrap();
        std::fs::write(public.join(".manifest.json"), "{}").unwrap();
        std::fs::write(public.join(".git/config"), "x").unwrap();
        std::fs::create_dir_all(dir.path().join("state")).unwrap();
        std::fs::write(dir.path().join("state/secret"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("state/secret"), public.join("leak.txt"))
            .unwrap();
        std::os::unix::fs::symlink(dir.path().join("state"), public.join("state")).unwrap();
        std::os::unix::fs::symlink(public.join(".manifest.json"), public.join("m.json")).unwrap();
        let file = |p: &str| Resolved::File(public.canonicalize().unwrap().join(p));
        assert_eq!(resolve(&public, "/"), Some(file("index.html")));
        assert_eq!(
            resolve(&public, "/issues/a.html"),
            Some(file("issues/a.html"))
        );
        assert_eq!(
            resolve(&public, "/issues%2Fa.html"),
            Some(file("issues/a.html"))
        );
        assert_eq!(
            resolve(&public, "/issues"),
            Some(Resolved::Folder("/issues/".into()))
        );
        for bad in [
            "/.manifest.json",
            "/.git/config",
            "/%2egit/config",
            "/../state/secret",
            "/issues/../../state/secret",
            "/%2e%2e/state/secret",
            "/leak.txt",
            "/state/secret",
            "/m.json",
            "//issues",
            "//evil.example/",
            "/issues\\a.html",
            "/nothing.html",
            "/a%00.html",
        ] {
            assert_eq!(resolve(&public, bad), None, "{bad}");
        }
    }
}
