//! Standby processes in a pool (CONTRACT §10): started ahead, counted
//! ready once they wait on stdin (`super::super::boot`), taken by a call
//! (busy until that call's process is done), and replaced at once when
//! there is room under `max`, else when the call ends (CONTRACT §10). On a
//! machine with few cores the replacement's boot shares the CPU with the
//! call; BENCHMARKS.md ("Warm processes") measures what a sparse caller sees.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Pool, Worker};
use crate::invoke::plan::LaunchPlan;
use crate::process::Process;
use crate::warm::boot;

/// How often a booting standby process is looked at, at most.
const BOOT_POLL_MAX: Duration = Duration::from_millis(10);

/// A standby process a call took; busy in `pools()` until dropped.
pub(crate) struct Taken {
    worker: Worker,
    lease: Lease,
}

/// Counts a taken standby process as busy until the call is over.
pub(crate) struct Lease {
    pool: Arc<Pool>,
    pid: i32,
}

impl Taken {
    /// The process, whole again for the one-shot path, and the lease to keep
    /// until the call is over.
    pub fn into_parts(self) -> (Process, Lease) {
        (self.worker.into_process(), self.lease)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut s = self.pool.state.lock().unwrap();
        s.busy_pids.retain(|p| *p != self.pid);
        self.pool.start_if_room(&mut s);
        drop(s);
        self.pool.changed.notify_waiters();
    }
}

impl Pool {
    /// A process started ahead for one call: a booted one, else the one that
    /// has booted longest (it answers sooner than a fresh process); `None`
    /// when there is none. Dead or outdated ones are discarded.
    pub fn take_standby(self: &Arc<Self>) -> Option<Taken> {
        let mut s = self.state.lock().unwrap();
        let generation = s.generation;
        let (keep, old): (Vec<Worker>, Vec<Worker>) =
            std::mem::take(&mut s.idle).into_iter().partition(|w| !w.is_dead_now() && w.generation == generation);
        s.idle = keep;
        let at = s.idle.iter().position(|w| w.booted).or_else(|| (!s.idle.is_empty()).then_some(0));
        let taken = at.map(|i| s.idle.remove(i));
        s.last_take = Some(Instant::now());
        if let Some(w) = &taken {
            s.busy_pids.push(w.pid());
            s.served += 1;
        }
        // A replacement at once (or, with nothing spare, one for the next call).
        self.start_if_room(&mut s);
        drop(s);
        self.retire(old);
        let pool = Arc::clone(self);
        taken.map(|worker| Taken { lease: Lease { pool, pid: worker.pid() }, worker })
    }

    /// Spawns a standby process (it is spare, not ready, at once) and marks
    /// it ready when it waits on stdin, or after `plan.timeout` when it
    /// never seems to (then nothing better can be told).
    pub(super) async fn start_standby(self: Arc<Self>, plan: &LaunchPlan, generation: u64) {
        let spawned = Worker::spawn(plan, generation, crate::sandbox::CallTemp::Process);
        let pid = {
            let mut s = self.state.lock().unwrap();
            s.starting -= 1;
            match spawned {
                Err(e) => {
                    s.failures += 1;
                    s.last_failure = Some(e);
                    None
                }
                Ok(w) if self.closed.is_cancelled() || w.generation != s.generation => {
                    drop(s);
                    self.retire(vec![w]);
                    None
                }
                Ok(w) => {
                    let pid = w.pid();
                    s.idle.push(w);
                    Some(pid)
                }
            }
        };
        self.changed.notify_waiters();
        if let Some(pid) = pid {
            self.wait_boot(pid, plan.timeout).await;
        }
    }

    async fn wait_boot(&self, pid: i32, within: Duration) {
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            tokio::select! {
                _ = self.closed.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(BOOT_POLL_MAX);
            if !self.state.lock().unwrap().idle.iter().any(|w| w.pid() == pid && !w.is_dead_now()) {
                return; // taken by a call, stopped, or exited
            }
            let booted = match boot::waits_on_stdin(pid) {
                Some(false) => started.elapsed() >= within,
                Some(true) | None => true,
            };
            if booted {
                let mut s = self.state.lock().unwrap();
                if let Some(w) = s.idle.iter_mut().find(|w| w.pid() == pid) {
                    w.booted = true;
                    w.idle_since = Instant::now();
                }
                drop(s);
                self.changed.notify_waiters();
                return;
            }
        }
    }
}

impl super::State {
    /// Spare standby processes to keep: `min`, and at least one while calls
    /// come (the last within `idle`).
    pub(super) fn standby_floor(&self) -> usize {
        let min = self.spec.min as usize;
        match self.last_take {
            Some(at) if at.elapsed() < self.spec.idle() => min.max(1),
            _ => min,
        }
    }
}
