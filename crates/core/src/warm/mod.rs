//! Warm processes (CONTRACT §10, docs/ARCHITECTURE.md): a second launcher
//! beside one-shot. `Pools` holds one `Pool` per warm function; a call takes
//! a worker, `Worker::serve` runs one turn under the same `Limits` as a
//! one-shot process, and `classify` turns it into the same outcome shapes.

mod boot;
mod edits;
mod lines;
mod liveness;
mod pool;
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
use crate::invoke::capture::{Capture, LogSink, EXCERPT_BYTES};
use crate::invoke::classify::{classify, Finished, Terms};
use crate::invoke::plan::{LaunchPlan, RequestParts};
use crate::invoke::supervise::{Limits, Supervised};
use crate::invoke::warm::Prepared;
use crate::manifest::WarmSpec;
use crate::options::RuntimeOptions;
use crate::outcome::{Code, ErrorInfo};
use crate::process::Exit;
pub(crate) use pool::Pool;
pub use pool::PoolInfo;
use worker::Turn;

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

/// One call for a worker, made once a worker took it.
pub(crate) struct WarmCall<'a> {
    pub request: RequestParts,
    pub request_id: &'a str,
    /// The deadline counts from when a worker took the call.
    pub limits: Limits,
    pub max_output: usize,
    pub on_log: Option<&'a LogSink>,
    pub terms: Terms,
}

/// Runs one call on a worker of `pool`, taken in call order (`ticket`):
/// `begin` makes the call's request once a worker is there (its deadline
/// and token count from then, not from the wait). The outcome is the one a
/// one-shot process would have had, with `exitCode: null` while the worker
/// lives on. A fault stops only this worker; the pool replaces it.
pub(crate) async fn serve<'a>(
    pool: &Arc<Pool>,
    ticket: u64,
    cancel: &CancellationToken,
    begin: impl FnOnce() -> Result<WarmCall<'a>, ErrorInfo>,
) -> Result<Finished, ErrorInfo> {
    let mut worker = pool.acquire(ticket, cancel).await?;
    let pid = worker.pid();
    let call = match begin() {
        Ok(call) => call,
        Err(e) => {
            pool.release(Some(worker), pid, None);
            return Err(e);
        }
    };
    let turn = worker
        .serve(call.request, call.request_id, &call.limits, call.max_output, call.on_log, &call.terms.redactor)
        .await;
    match turn {
        Turn::Answered(capture) => {
            let run = Supervised { stop: None, exit: Ok(Exit::Code(0)) };
            let mut finished = classify(run, capture, &call.terms);
            finished.exit_code = None;
            // CONTRACT §11: a sandboxed worker's temp dir is the call's; the
            // next call finds it empty (a worker that cannot be cleaned is replaced).
            match worker.empty_temp() {
                Ok(()) => pool.release(Some(worker), pid, None),
                Err(e) => {
                    drop(worker);
                    pool.release(
                        None,
                        pid,
                        Some(format!("a worker was replaced: its temp dir could not be emptied: {e}")),
                    );
                }
            }
            Ok(finished)
        }
        Turn::Ended { run, capture, answered } => {
            let timed_out = run.stop == Some(crate::invoke::supervise::Stop::Timeout);
            let mut finished = classify(run, capture, &call.terms);
            if let (true, true, Some(error)) = (timed_out, answered, finished.error.as_mut()) {
                error.message = format!(
                    "function timed out after {} ms: the worker wrote its response but not the end marker \
                     {{\"alyx\":\"end\",\"request_id\":\"…\"}} on stderr, which must follow each call's logs \
                     (docs/PROTOCOL.md)",
                    call.terms.timeout.as_millis()
                );
            }
            let why = finished.error.as_ref().map_or("the worker exited".into(), |e| e.message.clone());
            drop(worker);
            pool.release(None, pid, Some(format!("a worker was replaced after a call: {why}")));
            Ok(finished)
        }
        Turn::Foreign(id, capture) => {
            drop(worker);
            let finished = foreign(&id, call.request_id, capture, &call.terms);
            pool.release(None, pid, Some(format!("a worker was replaced: {}", finished_message(&finished))));
            Ok(finished)
        }
    }
}

/// INVALID_OUTPUT for a response line naming another call.
fn foreign(got: &str, want: &str, capture: Capture, terms: &Terms) -> Finished {
    let message = format!(
        "worker's response line carries request_id {got:?}, not this call's {want:?}: each response must name the request it answers"
    );
    let stdout = terms.redactor.text(&String::from_utf8_lossy(&capture.stdout)).into_owned();
    let mut cut = stdout.len().min(EXCERPT_BYTES);
    while !stdout.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut details = serde_json::Map::new();
    details.insert("stdout".into(), stdout[..cut].into());
    details.insert("stderr".into(), capture.tail.text().into());
    let error = ErrorInfo { details: Some(details), ..ErrorInfo::new(Code::InvalidOutput, message) };
    Finished { logs: capture.stderr.into_entries(), ..Finished::failed(error) }
}

fn finished_message(f: &Finished) -> String {
    f.error.as_ref().map(|e| e.message.clone()).unwrap_or_default()
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
