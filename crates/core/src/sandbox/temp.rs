//! A sandboxed process's private temp dir (CONTRACT §11): made before it
//! starts, removed when this is dropped (the call, or the warm process,
//! ended).
//!
//! Removal is split in two. The directory is unlinked at once: its path is
//! gone and nothing can create entries in it any more. The filesystem's
//! release of its inode and block happens when the last reference goes, and
//! we hold one (an open fd) so that this happens later, off the call's path:
//! on ext4 mounted with `discard` that release waits for a device discard
//! (~0.1 ms here, measured with `bench/sandbox.mjs`). The fd is closed by
//! the thread preparing the next sandboxed spawn (`ahead.rs`), which runs
//! anyway; waking a thread only for it cost the call ~40 µs.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::TempDir;

pub struct PrivateTemp {
    dir: Option<TempDir>,
    held: Option<File>,
}

impl PrivateTemp {
    /// A fresh `alyx-call-*` directory (mode 0700) under `root`.
    pub fn new(root: &Path) -> std::io::Result<PrivateTemp> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("alyx-call-");
        // Owner only, whatever the umask: other users have no business in it.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let dir = builder.tempdir_in(root)?;
        let held = File::open(dir.path())?;
        Ok(PrivateTemp { dir: Some(dir), held: Some(held) })
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("present until dropped").path()
    }

    /// A worker's temp dir for its current call (CONTRACT §11: one per
    /// call): `call` inside this one, made by [`PrivateTemp::begin_call`]
    /// and removed with everything else by [`PrivateTemp::empty`] once the
    /// call is over. The same path each time, so a runtime that caches its
    /// temp dir's path (Python's `tempfile`) still finds one; Landlock's
    /// rule, bound to this directory, covers each new one.
    pub fn call_dir(&self) -> PathBuf {
        self.path().join("call")
    }

    /// Makes the call dir, unless it is there (made at spawn, for the
    /// worker's start and its first call).
    pub fn begin_call(&self) -> std::io::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(self.call_dir()) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
            _ => Ok(()),
        }
    }

    /// Removes everything inside, keeping the directory (and its inode, which
    /// a Landlock rule may hold): a warm worker's temp dir between calls.
    pub fn empty(&self) -> std::io::Result<()> {
        for entry in std::fs::read_dir(self.path())? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(entry.path())?;
            } else {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }
}

impl Drop for PrivateTemp {
    fn drop(&mut self) {
        // Contents and the directory itself are removed here, before the
        // call's result is handed back; only the last close waits.
        if let Some(dir) = self.dir.take() {
            // Most calls leave it empty: one rmdir, no listing.
            let path = dir.keep();
            if std::fs::remove_dir(&path).is_err() {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
        let Some(held) = self.held.take() else { return };
        let mut released = RELEASED.lock().unwrap_or_else(|e| e.into_inner());
        if released.len() < MAX_RELEASED {
            released.push(held);
        }
    }
}

/// Unlinked temp dirs whose last fd is still open; see the module comment.
static RELEASED: Mutex<Vec<File>> = Mutex::new(Vec::new());

/// Past this many, a temp dir's fd is closed on the call's path instead.
const MAX_RELEASED: usize = 256;

/// Closes the fds of removed temp dirs, releasing their inodes.
pub fn close_released() {
    let held = std::mem::take(&mut *RELEASED.lock().unwrap_or_else(|e| e.into_inner()));
    drop(held);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_directory_and_its_contents_are_gone_once_dropped() {
        let root = tempfile::tempdir().unwrap();
        let temp = PrivateTemp::new(root.path()).unwrap();
        let path = temp.path().to_path_buf();
        std::fs::create_dir(path.join("sub")).unwrap();
        std::fs::write(path.join("sub/file"), "x").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o700);
        }
        temp.begin_call().unwrap();
        std::fs::write(temp.call_dir().join("file"), "x").unwrap();
        temp.begin_call().unwrap();
        assert!(temp.call_dir().join("file").exists(), "a call dir that is there is kept");
        temp.empty().unwrap();
        assert!(path.is_dir(), "emptied, not removed");
        assert!(!temp.call_dir().exists(), "the call dir goes with the rest");
        assert_eq!(std::fs::read_dir(&path).unwrap().count(), 0);
        std::fs::write(path.join("again"), "x").unwrap();
        drop(temp);
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }
}
