//! Writing the site's files: each changed file is staged beside its target,
//! all of them are made durable together, then each is renamed into place, so
//! that a reader sees a whole old file or a whole new one. One flush of the
//! file system for the lot, not two `fsync`s per file: a first build writes
//! thousands of pages.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::TempPath;

use crate::store::fs::FsError;

/// Files staged for one build; dropped without [`Output::commit`], the staged
/// files are deleted and the site is left as it was.
#[derive(Default)]
pub(super) struct Output {
    staged: Mutex<Vec<(TempPath, PathBuf)>>,
}

impl Output {
    /// Stages `bytes` for `path` unless the file holds them already; says
    /// whether it will be written.
    pub(super) fn write_if_changed(&self, path: &Path, bytes: &[u8]) -> Result<bool, FsError> {
        if std::fs::read(path).is_ok_and(|existing| existing == bytes) {
            return Ok(false);
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| FsError::new("cannot create", dir, e))?;
        let fail = |e| FsError::new("cannot write", path, e);
        let mut temp = crate::store::fs::temp_in(dir, path)?;
        // Through the seam tests use to fill the disk mid-build.
        crate::store::faults::write(path, temp.as_file_mut(), bytes).map_err(fail)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Published files are readable by the web server (tempfile makes 0600).
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(fail)?;
        }
        #[cfg(not(target_os = "linux"))]
        temp.as_file().sync_all().map_err(fail)?;
        let staged = temp.into_temp_path();
        self.staged
            .lock()
            .map_err(|_| fail(std::io::Error::other("a writer stopped")))?
            .push((staged, path.to_path_buf()));
        Ok(true)
    }

    /// Makes every staged file durable, renames each into place, and makes
    /// the renames durable.
    pub(super) fn commit(self) -> Result<(), FsError> {
        let staged = self.staged.into_inner().unwrap_or_default();
        let mut dirs: Vec<PathBuf> = staged
            .iter()
            .filter_map(|(_, target)| target.parent().map(Path::to_path_buf))
            .collect();
        dirs.sort();
        dirs.dedup();
        for dir in &dirs {
            flush_file_system(dir).map_err(|e| FsError::new("cannot sync", dir, e))?;
        }
        for (temp, target) in staged {
            temp.persist(&target)
                .map_err(|e| FsError::new("cannot write", &target, e.error))?;
        }
        for dir in &dirs {
            crate::store::fs::sync_dir(dir).map_err(|e| FsError::new("cannot sync", dir, e))?;
        }
        Ok(())
    }
}

/// Writes out everything written to the file system holding `dir`.
#[cfg(target_os = "linux")]
fn flush_file_system(dir: &Path) -> std::io::Result<()> {
    let handle = std::fs::File::open(dir)?;
    rustix::fs::syncfs(&handle).map_err(std::io::Error::from)
}

/// Each staged file was synced when written.
#[cfg(not(target_os = "linux"))]
fn flush_file_system(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}
