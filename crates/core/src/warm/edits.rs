//! Edits reach warm functions without `watch()` (CONTRACT §10): the
//! directories of warm functions are watched here, and a change marks the
//! directory dirty; the pools' tending loop (every 250 ms) starts a new
//! generation of processes for it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify_debouncer_full::notify::event::EventKind;
use notify_debouncer_full::notify::{self, RecommendedWatcher, RecursiveMode, Watcher};

use crate::build::walk::IGNORED_DIRS;
use crate::watch::is_editor_temp;

#[derive(Default)]
pub(crate) struct EditWatch {
    watcher: Mutex<Option<RecommendedWatcher>>,
    dirs: Arc<Mutex<BTreeSet<PathBuf>>>,
    dirty: Arc<Mutex<BTreeSet<PathBuf>>>,
}

impl EditWatch {
    /// Watches `dir` (a warm function's directory) from now on.
    pub fn watch(&self, dir: &Path) {
        if !self.dirs.lock().unwrap().insert(dir.to_path_buf()) {
            return;
        }
        let mut slot = self.watcher.lock().unwrap();
        if slot.is_none() {
            let (dirs, dirty) = (Arc::clone(&self.dirs), Arc::clone(&self.dirty));
            let handler = move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                if matches!(event.kind, EventKind::Access(_)) {
                    return;
                }
                let dirs = dirs.lock().unwrap();
                for path in &event.paths {
                    if let Some(dir) = dirs.iter().find(|d| counts(d, path)) {
                        dirty.lock().unwrap().insert(dir.clone());
                    }
                }
            };
            // Without a watcher (inotify limits), edits still reach warm
            // functions through reload() and watch().
            *slot = notify::recommended_watcher(handler).ok();
        }
        if let Some(watcher) = slot.as_mut() {
            let _ = watcher.watch(dir, RecursiveMode::Recursive);
        }
    }

    /// Directories changed since the last call.
    pub fn take_dirty(&self) -> Vec<PathBuf> {
        std::mem::take(&mut *self.dirty.lock().unwrap()).into_iter().collect()
    }

    pub fn close(&self) {
        self.watcher.lock().unwrap().take();
    }
}

/// A change under `dir` that means new code: not caches, not editor files.
fn counts(dir: &Path, path: &Path) -> bool {
    let Ok(inner) = path.strip_prefix(dir) else { return false };
    let parts: Vec<&str> = inner.iter().filter_map(|p| p.to_str()).collect();
    !parts.iter().any(|p| IGNORED_DIRS.contains(p)) && !parts.last().is_some_and(|f| is_editor_temp(f))
}
