//! One warm function's workers (CONTRACT §10): ready ones, busy ones, ones
//! starting; calls beyond `max` wait FIFO. Starts run on the pool's task
//! tracker and hand a ready worker to the oldest waiting call; a start that
//! fails fails the oldest waiting call with WORKER_START_FAILED (never a hang).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::worker::Worker;
use start::hand_over;

mod care;
mod standby;
mod start;
use crate::invoke::admit::cancelled;
use crate::invoke::plan::LaunchPlan;
use crate::manifest::{WarmMode, WarmSpec};
use crate::outcome::ErrorInfo;

/// `pools()`: one warm function's processes.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PoolInfo {
    pub name: String,
    pub mode: &'static str,
    pub ready: usize,
    pub busy: usize,
    pub starting: usize,
    pub served: u64,
    pub replaced: u64,
    pub last_error: Option<String>,
    /// Pids of the ready and busy processes (tests check replacements by pid).
    pub pids: Vec<i32>,
}

/// A call waiting for a worker, with its ticket (call order).
type Waiter = (u64, oneshot::Sender<Result<Worker, ErrorInfo>>);

struct State {
    spec: WarmSpec,
    /// What new workers are started from, and its generation: a new plan
    /// (edited files, a changed manifest) retires the older workers.
    plan: Option<Arc<LaunchPlan>>,
    /// The files changed since `plan` was made: start nothing from it.
    plan_stale: bool,
    /// The functions directory: a function's directory is checked again
    /// right before each of its processes starts (CONTRACT §14).
    root: std::path::PathBuf,
    generation: u64,
    idle: Vec<Worker>,
    busy_pids: Vec<i32>,
    starting: usize,
    waiters: VecDeque<Waiter>,
    served: u64,
    /// When a call last took a standby process: with `min: 0`, one spare is
    /// kept while calls come (within `idle` of the last).
    last_take: Option<Instant>,
    replaced: u64,
    failures: u64,
    last_failure: Option<ErrorInfo>,
}

pub(crate) struct Pool {
    name: String,
    /// Where background work runs when called from a host thread.
    handle: Option<tokio::runtime::Handle>,
    state: Mutex<State>,
    changed: Notify,
    tasks: TaskTracker,
    closed: CancellationToken,
    grace: Duration,
}

impl Pool {
    pub fn new(
        name: &str,
        spec: WarmSpec,
        closed: CancellationToken,
        tasks: TaskTracker,
        grace: Duration,
    ) -> Arc<Pool> {
        let state = State {
            spec,
            plan: None,
            plan_stale: false,
            root: std::path::PathBuf::new(),
            generation: 0,
            idle: Vec::new(),
            busy_pids: Vec::new(),
            starting: 0,
            waiters: VecDeque::new(),
            served: 0,
            last_take: None,
            replaced: 0,
            failures: 0,
            last_failure: None,
        };
        let handle = tokio::runtime::Handle::try_current().ok();
        Arc::new(Pool {
            name: name.to_string(),
            handle,
            state: Mutex::new(state),
            changed: Notify::new(),
            tasks,
            closed,
            grace,
        })
    }

    /// Records what workers start from now. A different plan (a changed
    /// manifest, runtime or build output) starts a new generation: ready
    /// workers of the old one stop, busy ones stop after their call.
    pub fn set_plan(self: &Arc<Self>, spec: &WarmSpec, plan: LaunchPlan, root: &std::path::Path) {
        let retired = {
            let mut s = self.state.lock().unwrap();
            s.spec = spec.clone();
            if s.root != root {
                s.root = root.to_path_buf();
            }
            let stale = std::mem::take(&mut s.plan_stale);
            let (same, first) = (s.plan.as_deref() == Some(&plan), s.plan.is_none());
            if !same {
                s.plan = Some(Arc::new(plan));
            }
            // A stale pool already began its new generation (`files_changed`).
            if same || first || stale {
                Vec::new()
            } else {
                s.generation += 1;
                std::mem::take(&mut s.idle)
            }
        };
        self.retire(retired);
        self.top_up();
    }

    /// The function's files changed: a new generation begins, and no
    /// process starts until `set_plan` brings the plan of the new files
    /// (after any rebuild).
    pub fn files_changed(self: &Arc<Self>) {
        let retired = {
            let mut s = self.state.lock().unwrap();
            s.generation += 1;
            s.plan_stale = true;
            std::mem::take(&mut s.idle)
        };
        self.retire(retired);
    }

    /// The function's directory (where its processes run).
    pub fn dir(&self) -> Option<std::path::PathBuf> {
        self.state.lock().unwrap().plan.as_ref().map(|p| p.cwd.clone())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A ready worker for one call: an idle one, a new one (under `max`), or
    /// the next one released, in call order.
    pub async fn acquire(self: &Arc<Self>, ticket: u64, cancel: &CancellationToken) -> Result<Worker, ErrorInfo> {
        let rx = {
            let mut s = self.state.lock().unwrap();
            loop {
                let Some(worker) = s.idle.pop() else { break };
                if worker.is_dead() {
                    s.replaced += 1;
                    s.last_error_text("a ready worker exited and was replaced".into());
                    self.retire(vec![worker]);
                    continue;
                }
                if worker.generation == s.generation {
                    s.busy_pids.push(worker.pid());
                    return Ok(worker);
                }
                self.retire(vec![worker]);
            }
            let (tx, rx) = oneshot::channel();
            let at = s.waiters.partition_point(|(t, _)| *t < ticket);
            s.waiters.insert(at, (ticket, tx));
            self.start_if_room(&mut s);
            rx
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(cancelled()),
            got = rx => got.unwrap_or_else(|_| Err(cancelled())),
        }
    }

    /// Gives a worker back after a call: to the oldest waiting call, to the
    /// ready set, or (dead, faulted, old, or at `maxRequests`) away.
    pub fn release(self: &Arc<Self>, mut worker: Option<Worker>, pid: i32, fault: Option<String>) {
        let mut stop = Vec::new();
        {
            let mut s = self.state.lock().unwrap();
            s.busy_pids.retain(|p| *p != pid);
            s.served += 1;
            if let Some(reason) = fault {
                s.replaced += 1;
                s.last_failure = None;
                s.last_error_text(reason);
                worker = None;
            }
            if let Some(mut w) = worker.take() {
                w.served += 1;
                w.idle_since = Instant::now();
                let worn = s.spec.max_requests > 0 && w.served >= s.spec.max_requests;
                if worn || w.generation != s.generation || self.closed.is_cancelled() {
                    stop.push(w);
                } else if let Some(w) = hand_over(&mut s, w) {
                    s.idle.push(w);
                }
            }
            self.start_if_room(&mut s);
        }
        self.retire(stop);
        self.changed.notify_waiters();
    }

    /// Kills the ready workers now (dropping one kills its group and reaps
    /// it); calls still waiting get CANCELLED.
    pub fn kill_ready(&self) {
        drop(self.take_ready());
    }

    /// Stops every ready worker (on the task tracker the caller waits
    /// for); calls still waiting get CANCELLED.
    pub fn close(&self) {
        self.retire(self.take_ready());
    }

    /// The ready workers, taken out of the pool; calls still waiting get
    /// CANCELLED.
    fn take_ready(&self) -> Vec<Worker> {
        let (idle, waiters) = {
            let mut s = self.state.lock().unwrap();
            (std::mem::take(&mut s.idle), std::mem::take(&mut s.waiters))
        };
        for (_, w) in waiters {
            let _ = w.send(Err(cancelled()));
        }
        idle
    }

    /// Stops workers in the background (stdin closed, grace, kill).
    fn retire(&self, workers: Vec<Worker>) {
        let grace = self.grace;
        for w in workers {
            self.spawn(w.stop(grace));
        }
    }

    /// Runs `task` on the tracker `close()` waits for, from any thread.
    fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(&self, task: F) {
        match tokio::runtime::Handle::try_current().ok().or_else(|| self.handle.clone()) {
            Some(handle) => drop(self.tasks.spawn_on(task, &handle)),
            // No async runtime anywhere: dropping a worker kills its group.
            None => drop(task),
        }
    }
}

impl State {
    /// Processes ready for a call (for `warmup`): booted spare ones, and for
    /// workers the busy ones too (they come back after their call).
    fn ready(&self) -> usize {
        let booted = self.idle.iter().filter(|w| w.booted).count();
        match self.spec.mode {
            WarmMode::Standby => booted,
            WarmMode::Worker => booted + self.busy_pids.len(),
        }
    }

    fn last_error_text(&mut self, text: String) {
        self.last_failure = Some(ErrorInfo::new(crate::outcome::Code::WorkerStartFailed, text));
    }
}
