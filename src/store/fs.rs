//! File access that names its path in every error; atomic writes through
//! exclusive temporary files; the private `state/` folder.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An I/O failure together with the path it happened on.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}")]
pub struct FsError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl FsError {
    pub fn new(action: &'static str, path: &Path, source: io::Error) -> Self {
        FsError {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// Whether the file was simply not there.
    pub fn is_not_found(&self) -> bool {
        self.source.kind() == io::ErrorKind::NotFound
    }
}

/// Reads a whole UTF-8 file.
pub fn read_to_string(path: &Path) -> Result<String, FsError> {
    fs::read_to_string(path).map_err(|e| FsError::new("cannot read", path, e))
}

/// Reads a whole UTF-8 file; `None` when it does not exist. Any other error is
/// an error, never an empty file.
pub fn read_optional(path: &Path) -> Result<Option<String>, FsError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FsError::new("cannot read", path, e)),
    }
}

/// Creates a directory and its parents, 0755 at most whatever the umask.
pub fn create_dir_all(path: &Path) -> Result<(), FsError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o755);
    builder
        .create(path)
        .map_err(|e| FsError::new("cannot create directory", path, e))
}

/// Creates a private directory (0700 whatever the umask) and its parents; an
/// existing one is tightened to 0700 as well.
pub fn create_private_dir(path: &Path) -> Result<(), FsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !path.is_dir() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(path)
                .map_err(|e| FsError::new("cannot create directory", path, e))?;
        }
        // DirBuilder's mode is filtered by the umask only to be stricter; set it
        // exactly so that an old, looser folder is closed too.
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
            .map_err(|e| FsError::new("cannot restrict", path, e))
    }
    #[cfg(not(unix))]
    create_dir_all(path)
}

/// Opens a file for appending, creating it if needed with `mode`: under a
/// permissive umask (000) that mode is taken as is, so it is never more than
/// the file needs.
pub fn open_append(path: &Path, mode: u32) -> Result<File, FsError> {
    let mut options = OpenOptions::new();
    options.create(true).append(true).read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    options
        .open(path)
        .map_err(|e| FsError::new("cannot open", path, e))
}

/// Writes `bytes` to `path` so that a reader (or a crash) sees either the old file
/// or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Like [`write_atomic`], with the content produced by a writer callback so that
/// large files (the subscriber list) stream instead of being built in memory.
///
/// The temporary file is created exclusively with a random name beside the target
/// (so nobody can plant it), fsynced, then renamed over the target, and the folder
/// fsynced. A symlinked target keeps its link: the file it points at is replaced.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut io::BufWriter<&File>) -> io::Result<()>,
) -> Result<(), FsError> {
    let target = resolve_symlink(path)?;
    let temp = temp_beside(path, &target, write)?;
    let fail = |e| FsError::new("cannot write", path, e);
    crate::store::faults::check("write", path).map_err(fail)?;
    keep_mode(&target, temp.as_file()).map_err(fail)?;
    crate::store::faults::check("fsync", path).map_err(fail)?;
    temp.as_file().sync_all().map_err(fail)?;
    temp.persist(&target).map_err(|e| fail(e.error))?;
    sync_dir(parent(&target)).map_err(fail)
}

/// An empty temporary file in `dir` (`.verdict-*.tmp`, a dotfile the site never
/// serves) on the way to `path`; 0600, tempfile's mode on Unix.
pub(crate) fn temp_in(dir: &Path, path: &Path) -> Result<tempfile::NamedTempFile, FsError> {
    tempfile::Builder::new()
        .prefix(".verdict-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| FsError::new("cannot write", path, e))
}

/// A temporary file beside `target` holding what `write` wrote, created 0600
/// (tempfile's mode on Unix) so that nothing is readable before it is meant to be.
fn temp_beside(
    path: &Path,
    target: &Path,
    write: impl FnOnce(&mut io::BufWriter<&File>) -> io::Result<()>,
) -> Result<tempfile::NamedTempFile, FsError> {
    let dir = parent(target);
    create_dir_all(dir)?;
    let fail = |e| FsError::new("cannot write", path, e);
    let temp = temp_in(dir, path)?;
    {
        let mut buffered = io::BufWriter::new(temp.as_file());
        write(&mut buffered).map_err(fail)?;
        buffered.flush().map_err(fail)?;
    }
    Ok(temp)
}

/// Writes a file only its owner can read (secrets), atomically: the file is
/// 0600 from the moment it exists, never briefly readable by others.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let target = resolve_symlink(path)?;
    let temp = temp_beside(path, &target, |file| file.write_all(bytes))?;
    let fail = |e| FsError::new("cannot write", path, e);
    temp.as_file().sync_all().map_err(fail)?;
    temp.persist(&target).map_err(|e| fail(e.error))?;
    sync_dir(parent(&target)).map_err(fail)
}

/// Creates a private file (0600) holding `bytes` unless the path exists: of two
/// processes creating it at once, exactly one succeeds and the other gets
/// `Ok(false)`, so both go on with the one file that won.
pub fn create_private_new(path: &Path, bytes: &[u8]) -> Result<bool, FsError> {
    let temp = temp_beside(path, path, |file| file.write_all(bytes))?;
    let fail = |e| FsError::new("cannot write", path, e);
    temp.as_file().sync_all().map_err(fail)?;
    match temp.persist_noclobber(path) {
        Ok(_) => {
            sync_dir(parent(path)).map_err(fail)?;
            Ok(true)
        }
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(fail(e.error)),
    }
}

/// Creates a new file only its owner can read (a private key): 0600 from its
/// first byte, in a private folder, complete and fsynced before it appears
/// under its name, and never over a file already there.
pub fn create_private(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let dir = parent(path);
    create_private_dir(dir)?;
    let fail = |e| FsError::new("cannot write", path, e);
    // tempfile creates its files 0600 on Unix, whatever the umask.
    let mut temp = temp_in(dir, path)?;
    temp.write_all(bytes).map_err(fail)?;
    temp.as_file().sync_all().map_err(fail)?;
    temp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            FsError::new("will not replace", path, e.error)
        } else {
            fail(e.error)
        }
    })?;
    sync_dir(dir).map_err(fail)
}

/// The file a path finally names: a symlink is followed so that replacing the
/// file keeps the link (editors link lists kept elsewhere).
fn resolve_symlink(path: &Path) -> Result<PathBuf, FsError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).or_else(|e| match fs::read_link(path) {
                // A dangling link: write where it points.
                Ok(target) if e.kind() == io::ErrorKind::NotFound => Ok(parent(path).join(target)),
                _ => Err(FsError::new("cannot follow the link", path, e)),
            })
        }
        _ => Ok(path.to_path_buf()),
    }
}

/// A replaced file keeps its permissions (tempfile makes new files 0600).
fn keep_mode(target: &Path, temp: &File) -> io::Result<()> {
    match fs::metadata(target) {
        Ok(meta) => temp.set_permissions(meta.permissions()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                // A new data file is readable like any file the user makes (0644),
                // not private; secrets go through write_private.
                temp.set_permissions(fs::Permissions::from_mode(0o644))?;
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Makes a rename or a new file in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Makes a new file and its folder entry durable.
pub fn sync_dir_of(path: &Path) -> Result<(), FsError> {
    let dir = parent(path);
    sync_dir(dir).map_err(|e| FsError::new("cannot sync", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_replaces_the_file_a_symlink_points_at() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        let link = dir.path().join("link.csv");
        fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_private_file_is_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("list.csv");
        fs::write(&file, "a").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&file, b"b").unwrap();
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let secret = dir.path().join("secret");
        write_private(&secret, b"s").unwrap();
        assert_eq!(
            fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let leftovers = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn a_private_file_is_never_readable_by_others_and_a_new_one_is_made_once() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        // An old, loose file is replaced by a private one, not loosened.
        fs::write(&secret, "old").unwrap();
        fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&secret, b"new").unwrap();
        assert_eq!(
            fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let fresh = dir.path().join("fresh");
        assert!(create_private_new(&fresh, b"first").unwrap());
        assert!(!create_private_new(&fresh, b"second").unwrap());
        assert_eq!(fs::read_to_string(&fresh).unwrap(), "first");
        assert_eq!(
            fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_private_dir_is_0700_even_under_a_permissive_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state/ledger");
        fs::create_dir_all(&state).unwrap();
        fs::set_permissions(&state, fs::Permissions::from_mode(0o777)).unwrap();
        create_private_dir(&state).unwrap();
        assert_eq!(
            fs::metadata(&state).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}
