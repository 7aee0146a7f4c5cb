//! Files only the platform's user may read: the master key and credentials
//! profiles. Created with their final permissions, never widened afterwards.

use std::path::Path;

/// Creates `path` (which must not exist) holding `text`, readable and
/// writable by its owner only, and flushes it to disk.
#[cfg(unix)]
pub(crate) fn create(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Creates `path` holding `text`.
#[cfg(not(unix))]
pub(crate) fn create(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// Creates `dir` and its parents, the new ones open to their owner only.
#[cfg(unix)]
pub(crate) fn create_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Creates `dir` and its parents.
#[cfg(not(unix))]
pub(crate) fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}
