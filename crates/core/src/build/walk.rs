//! The one directory walker of the build code: the files of a function
//! directory that can be build sources (staleness, Go cache key).

use std::fs::DirEntry;
use std::io;
use std::path::Path;

/// Where generated artifacts live; ignored by discovery, staleness and watch.
pub(crate) const CACHE_DIR: &str = ".alyx";
/// Directories never treated as build sources.
pub(crate) const IGNORED_DIRS: &[&str] = &[".git", "node_modules", "__pycache__", CACHE_DIR];

/// Calls `visit(relative path, entry)` for every regular file under `root`,
/// skipping IGNORED_DIRS and directories for which `skip_dir(path)` holds.
/// Symlinks are not followed. Stops at the first I/O error.
pub(crate) fn files(
    root: &Path,
    skip_dir: &dyn Fn(&Path) -> bool,
    visit: &mut dyn FnMut(&Path, &DirEntry),
) -> io::Result<()> {
    walk(root, root, skip_dir, visit)
}

fn walk(
    root: &Path,
    dir: &Path,
    skip_dir: &dyn Fn(&Path) -> bool,
    visit: &mut dyn FnMut(&Path, &DirEntry),
) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !IGNORED_DIRS.iter().any(|d| entry.file_name() == *d) && !skip_dir(&path) {
                walk(root, &path, skip_dir, visit)?;
            }
        } else if kind.is_file() {
            visit(path.strip_prefix(root).unwrap_or(&path), &entry);
        }
    }
    Ok(())
}
