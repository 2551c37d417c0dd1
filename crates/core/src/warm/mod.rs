//! Warm processes (CONTRACT §10, docs/ARCHITECTURE.md): a second launcher
//! beside one-shot. `Pools` holds one `Pool` per warm function; a call takes
//! a worker, `Worker::serve` runs one turn under the same `Limits` as a
//! one-shot process, and `classify` turns it into the same outcome shapes.

mod boot;
mod edits;
mod lines;
mod liveness;
mod pool;
mod serve;
mod turn;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::env::EnvMap;
use crate::invoke::plan::LaunchPlan;
use crate::invoke::warm::Prepared;
use crate::manifest::WarmSpec;
use crate::options::RuntimeOptions;
pub(crate) use pool::Pool;
pub use pool::PoolInfo;
pub(crate) use serve::{serve, WarmCall};

/// How often ready workers are checked (memory, exits, idle time).
const TEND_EVERY: Duration = Duration::from_millis(250);

/// Makes a pool's plan afresh from the function's files (set by the
/// runtime: loading and building belong to the invocation pipeline).
pub(crate) type Refresh = Box<dyn Fn(&str) + Send + Sync>;

pub(crate) struct Pools {
    map: Mutex<BTreeMap<String, Arc<Pool>>>,
    /// What warm calls reuse between calls (`crate::invoke::warm`), valid
    /// while `epoch` has not moved since it was made.
    prepared: Mutex<HashMap<String, Arc<Prepared>>>,
    /// Moves on every change of any warm function's files (edits, `reload()`,
    /// `watch()`), and when a function stops being warm.
    epoch: AtomicU64,
    edits: edits::EditWatch,
    refresh: std::sync::OnceLock<Refresh>,
    closed: CancellationToken,
    tasks: TaskTracker,
    grace: Duration,
    tending: std::sync::Once,
}

impl Pools {
    pub fn new(closed: CancellationToken, grace: Duration) -> Self {
        Pools {
            map: Mutex::default(),
            prepared: Mutex::default(),
            epoch: AtomicU64::new(0),
            edits: edits::EditWatch::default(),
            refresh: std::sync::OnceLock::new(),
            closed,
            tasks: TaskTracker::new(),
            grace,
            tending: std::sync::Once::new(),
        }
    }

    /// How a pool whose files changed gets its new plan (see `Refresh`).
    pub fn on_refresh(&self, refresh: Refresh) {
        let _ = self.refresh.set(refresh);
    }

    /// The current epoch: read it before loading what a `Prepared` holds.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// What `name`'s calls reuse, if nothing changed since it was made.
    pub fn prepared(&self, name: &str, host: &Arc<EnvMap>) -> Option<Arc<Prepared>> {
        let found = self.prepared.lock().unwrap().get(name).cloned()?;
        (found.epoch == self.epoch() && found.made_for(host)).then_some(found)
    }

    pub fn remember(&self, prepared: Arc<Prepared>) {
        if prepared.epoch == self.epoch() {
            self.prepared.lock().unwrap().insert(prepared.function.name.clone(), prepared);
        }
    }

    fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.prepared.lock().unwrap().clear();
    }

    /// The pool of `name`, made on first use, starting processes from `plan`
    /// (in a directory of `root`, checked again before each start).
    pub fn pool(self: &Arc<Self>, name: &str, spec: &WarmSpec, plan: LaunchPlan, root: &Path) -> Arc<Pool> {
        self.start_tending();
        let pool = {
            let mut map = self.map.lock().unwrap();
            let make = || Pool::new(name, spec.clone(), self.closed.clone(), self.tasks.clone(), self.grace);
            let pool = map.entry(name.to_string()).or_insert_with(make);
            Arc::clone(pool)
        };
        self.edits.watch(&plan.cwd);
        pool.set_plan(spec, plan, root);
        pool
    }

    /// A function that is no longer warm: its pool's workers stop.
    pub fn forget(&self, name: &str) {
        let pool = self.map.lock().unwrap().remove(name);
        if let Some(pool) = pool {
            self.invalidate();
            pool.close();
        }
    }

    /// The function's files changed (`None`: any function's): new calls
    /// get new workers, in-flight calls finish on the old ones.
    pub fn files_changed(&self, name: Option<&str>) {
        self.invalidate();
        let pools: Vec<Arc<Pool>> = match name {
            Some(name) => self.map.lock().unwrap().get(name).cloned().into_iter().collect(),
            None => self.map.lock().unwrap().values().cloned().collect(),
        };
        for pool in pools {
            pool.files_changed();
            if let Some(refresh) = self.refresh.get() {
                refresh(pool.name());
            }
        }
    }

    /// Pools whose directories changed on disk get a new generation.
    fn apply_edits(&self) {
        for dir in self.edits.take_dirty() {
            let pools: Vec<Arc<Pool>> = self.map.lock().unwrap().values().cloned().collect();
            for pool in pools.into_iter().filter(|p| p.dir().as_deref() == Some(dir.as_path())) {
                self.files_changed(Some(pool.name()));
            }
        }
    }

    /// `future`, tracked so `close()` waits for it.
    pub fn track<F: std::future::Future<Output = ()>>(&self, future: F) -> impl std::future::Future<Output = ()> {
        self.tasks.track_future(future)
    }

    pub fn infos(&self) -> Vec<PoolInfo> {
        self.map.lock().unwrap().values().map(|p| p.info()).collect()
    }

    /// Kills every ready warm process at once, without waiting (host
    /// teardown); busy ones end with their calls, which are cancelled.
    pub fn kill_now(&self) {
        let pools: Vec<Arc<Pool>> = self.map.lock().unwrap().values().cloned().collect();
        for pool in pools {
            pool.kill_ready();
        }
        self.edits.close();
    }

    /// Stops every warm process and waits until all are gone. Call after
    /// the close token fired and the calls have finished.
    pub async fn close(&self) {
        let pools: Vec<Arc<Pool>> = self.map.lock().unwrap().values().cloned().collect();
        for pool in pools {
            pool.close();
        }
        self.edits.close();
        self.tasks.close();
        self.tasks.wait().await;
    }

    fn start_tending(self: &Arc<Self>) {
        self.tending.call_once(|| {
            let pools = Arc::downgrade(self);
            let closed = self.closed.clone();
            self.tasks.spawn(async move {
                let mut tick = tokio::time::interval(TEND_EVERY);
                loop {
                    tokio::select! {
                        _ = closed.cancelled() => return,
                        _ = tick.tick() => {}
                    }
                    let Some(pools) = pools.upgrade() else { return };
                    pools.apply_edits();
                    let all: Vec<Arc<Pool>> = pools.map.lock().unwrap().values().cloned().collect();
                    for pool in all {
                        pool.tend();
                    }
                }
            });
        });
    }
}

/// `RuntimeOptions.warm`, validated; errors name the option
/// (`options.warm.hello.max: must be ≥ 1`).
pub(crate) fn overrides(options: &RuntimeOptions) -> Result<BTreeMap<String, Option<WarmSpec>>, String> {
    let mut out = BTreeMap::new();
    for (name, value) in &options.warm {
        let spec = WarmSpec::from_json(value, true).map_err(|e| {
            let field = e.field.replacen("warm", &format!("warm.{name}"), 1);
            format!("options.{field}: {}", e.message)
        })?;
        out.insert(name.clone(), spec);
    }
    Ok(out)
}
