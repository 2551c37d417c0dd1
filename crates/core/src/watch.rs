//! `watch()` (CONTRACT §8): the functions directory watched recursively
//! with notify's debouncer, events grouped per function and held until that
//! function has been quiet for the debounce period, then the catalog is
//! refreshed, builds re-run, and one event per function is reported.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_full::notify::event::{EventKind, MetadataKind, ModifyKind};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer_opt, DebounceEventResult, RecommendedCache};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::build::walk::IGNORED_DIRS;
use crate::build::BuildReport;
use crate::function::LoadError;
use crate::outcome::{Code, ErrorInfo};

type Rt = Arc<dyn Watched>;

/// The narrow handle the watcher works through (implemented by `Runtime`).
pub(crate) trait Watched: Send + Sync + 'static {
    fn root(&self) -> PathBuf;
    /// Cancelled when the runtime closes: the watcher stops with it.
    fn closed_token(&self) -> CancellationToken;
    /// Names known to the last scan: valid, and diagnosed.
    fn known_names(&self) -> (Vec<String>, Vec<String>);
    /// The function's build output relative to its directory, if any.
    fn build_output(&self, name: &str) -> Option<PathBuf>;
    /// Re-reads one function: `None` = gone, `Some(Err)` = diagnosed.
    fn refresh(&self, name: &str) -> Option<Result<(), LoadError>>;
    /// Whether a change should trigger `build`: a build step or Go sources.
    fn builds_on_change(&self, name: &str) -> bool;
    #[allow(clippy::type_complexity)]
    fn build<'a>(
        &'a self,
        name: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<BuildReport>, ErrorInfo>> + Send + 'a>>;
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    Added,
    Changed,
    Removed,
    Build,
    Error,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WatchEvent {
    #[serde(rename = "type")]
    pub kind: EventType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<PathBuf>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl WatchEvent {
    fn new(kind: EventType, name: &str, paths: &BTreeSet<PathBuf>) -> Self {
        WatchEvent {
            kind,
            name: Some(name.to_string()),
            paths: Some(paths.iter().cloned().collect()),
            build: None,
            message: None,
        }
    }
}

pub type EventSink = Arc<dyn Fn(WatchEvent) + Send + Sync>;

/// A running watcher; `close` (or drop) stops it and frees its OS watches.
pub struct Watcher {
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Watcher {
    /// Stops watching and waits until no further event can be delivered.
    pub async fn close(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Editor temp files that never count as a change.
pub fn is_editor_temp(name: &str) -> bool {
    name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with('~')
        || name.starts_with(".#")
        || name == "4913"
        || name.ends_with(".tmp")
}

/// Reads (open/close of a file we run, a directory we scan) and atime
/// updates are not changes: without this, invoking a function would look
/// like editing it.
fn is_change(kind: &EventKind) -> bool {
    !matches!(kind, EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)))
}

/// The function a path belongs to, unless the path is ignored.
fn function_of(root: &Path, path: &Path, rt: &dyn Watched) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut parts = rel.components().filter_map(|c| match c {
        Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
        _ => None,
    });
    let name = parts.next()?;
    if crate::discovery::is_skipped_dir(&name) {
        return None;
    }
    let inner: Vec<String> = parts.collect();
    if inner.iter().any(|p| IGNORED_DIRS.contains(&p.as_str())) || inner.last().is_some_and(|f| is_editor_temp(f)) {
        return None;
    }
    if let Some(output) = rt.build_output(&name) {
        // The build's output (and the directory it lives in) is written by
        // the build itself: watching it would make a build trigger itself.
        let inner_path: PathBuf = inner.iter().collect();
        let first = output.components().next().map(|c| PathBuf::from(c.as_os_str()));
        let output_dir = first.filter(|_| output.components().count() > 1);
        if inner_path.starts_with(&output) || output_dir.is_some_and(|d| inner_path.starts_with(d)) {
            return None;
        }
    }
    if inner.is_empty() && root.join(&name).is_file() {
        return None;
    }
    Some(name)
}

/// Starts watching the functions directory. Must be called inside a
/// tokio runtime. Fails when the directory does not exist.
pub(crate) fn start(rt: Rt, debounce: Duration, sink: EventSink) -> Result<Watcher, String> {
    {
        let root = rt.root();
        if !root.is_dir() {
            return Err(format!("cannot watch {}: not a directory (create it first)", root.display()));
        }
        let (tx, rx) = mpsc::unbounded_channel::<DebounceEventResult>();
        // notify's debouncer pairs renames and drops duplicates; its own
        // window is half ours, the rest is the per-function quiet period.
        let half = (debounce / 2).max(Duration::from_millis(5));
        // Symlinks are not followed: one leading out of functionsDir (to
        // /usr, say) must not make us watch the whole tree behind it (§14).
        let config = notify_debouncer_full::notify::Config::default().with_follow_symlinks(false);
        let handler = move |result: DebounceEventResult| {
            let _ = tx.send(result);
        };
        let mut debouncer = new_debouncer_opt::<_, RecommendedWatcher, RecommendedCache>(
            half,
            None,
            handler,
            RecommendedCache::new(),
            config,
        )
        .map_err(|e| format!("cannot start watching {}: {e}", root.display()))?;
        debouncer
            .watch(&root, RecursiveMode::Recursive)
            .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
        let stop = CancellationToken::new();
        let closed = rt.closed_token();
        let stop2 = stop.clone();
        let task = tokio::spawn(async move {
            run(rt, root, half, rx, sink, stop2, closed).await;
            // Dropping the debouncer here frees the OS watches.
            debouncer.stop_nonblocking();
        });
        Ok(Watcher { stop, task: Some(task) })
    }
}

async fn run(
    rt: Rt,
    root: PathBuf,
    quiet: Duration,
    mut rx: mpsc::UnboundedReceiver<DebounceEventResult>,
    sink: EventSink,
    stop: CancellationToken,
    closed: CancellationToken,
) {
    let (valid, diagnosed) = rt.known_names();
    let mut announced: HashSet<String> = valid.into_iter().chain(diagnosed).collect();
    let mut pending: BTreeMap<String, (Instant, BTreeSet<PathBuf>)> = BTreeMap::new();
    loop {
        let next_due = pending.values().map(|(due, _)| *due).min();
        let tick = async {
            match next_due {
                Some(due) => tokio::time::sleep_until(due).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = closed.cancelled() => return,
            msg = rx.recv() => match msg {
                None => return,
                Some(Err(errors)) => {
                    for e in errors {
                        sink(WatchEvent { kind: EventType::Error, name: None, paths: Some(e.paths.clone()), build: None, message: Some(e.to_string()) });
                    }
                }
                Some(Ok(events)) => {
                    for event in events.into_iter().filter(|e| is_change(&e.kind)) {
                        for path in &event.paths {
                            if let Some(name) = function_of(&root, path, rt.as_ref()) {
                                let entry = pending.entry(name).or_insert_with(|| (Instant::now(), BTreeSet::new()));
                                entry.0 = Instant::now() + quiet;
                                entry.1.insert(path.clone());
                            }
                        }
                    }
                }
            },
            _ = tick => {
                let now = Instant::now();
                let due: Vec<String> = pending.iter().filter(|(_, (d, _))| *d <= now).map(|(n, _)| n.clone()).collect();
                for name in due {
                    let (_, paths) = pending.remove(&name).expect("listed above");
                    settle(rt.as_ref(), &name, &paths, &mut announced, &sink).await;
                }
            }
        }
    }
}

/// Brings one function up to date and reports what happened to it.
async fn settle(
    rt: &dyn Watched,
    name: &str,
    paths: &BTreeSet<PathBuf>,
    announced: &mut HashSet<String>,
    sink: &EventSink,
) {
    match rt.refresh(name) {
        None => {
            if announced.remove(name) {
                sink(WatchEvent::new(EventType::Removed, name, paths));
            }
        }
        Some(Ok(())) => {
            let kind = if announced.insert(name.to_string()) { EventType::Added } else { EventType::Changed };
            sink(WatchEvent::new(kind, name, paths));
            if rt.builds_on_change(name) {
                let build = match rt.build(name).await {
                    Ok(report) => report,
                    Err(e) if e.code == Code::BuildFailed.as_str() => Some(BuildReport::from_error(&e)),
                    Err(e) => {
                        sink(WatchEvent { message: Some(e.message), ..WatchEvent::new(EventType::Error, name, paths) });
                        None
                    }
                };
                if let Some(report) = build {
                    sink(WatchEvent { build: Some(report), ..WatchEvent::new(EventType::Build, name, paths) });
                }
            }
        }
        Some(Err(e)) => {
            // A directory still without an entry file is not announced yet:
            // when its entry appears, that is its `added`.
            if !matches!(e, LoadError::NoEntry(_)) {
                announced.insert(name.to_string());
            }
            sink(WatchEvent {
                message: Some(e.message().to_string()),
                ..WatchEvent::new(EventType::Error, name, paths)
            });
        }
    }
}
