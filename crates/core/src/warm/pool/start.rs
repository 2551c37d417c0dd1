//! Starting a pool's processes: when (calls waiting, fewer than `min`, room
//! under `max`), and what happens to one once it has started or failed to.

use std::sync::Arc;

use super::{Pool, State, Worker};
use crate::invoke::admit::cancelled;
use crate::invoke::plan::LaunchPlan;
use crate::manifest::WarmMode;
use crate::outcome::ErrorInfo;

impl Pool {
    /// Starts workers until `min` are ready or busy (background; errors are
    /// recorded for `pools()` and `warmup`).
    pub fn top_up(self: &Arc<Self>) {
        let mut s = self.state.lock().unwrap();
        self.start_if_room(&mut s);
    }

    /// Resolves once `min` workers are ready or busy; fails with the first
    /// start failure after it was called.
    pub async fn warmup(self: &Arc<Self>) -> Result<(), ErrorInfo> {
        let failures_before = self.state.lock().unwrap().failures;
        self.top_up();
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let s = self.state.lock().unwrap();
                if s.failures > failures_before {
                    return Err(s.last_failure.clone().unwrap_or_else(cancelled));
                }
                if s.ready() >= s.spec.min as usize {
                    return Ok(());
                }
            }
            if self.closed.is_cancelled() {
                return Err(cancelled());
            }
            tokio::select! {
                _ = changed => {}
                _ = self.closed.cancelled() => return Err(cancelled()),
            }
        }
    }

    /// Starts one worker when calls wait for more than are starting, or
    /// fewer than `min` exist, and there is room under `max`.
    pub(super) fn start_if_room(self: &Arc<Self>, s: &mut State) {
        s.waiters.retain(|(_, w)| !w.is_closed());
        if s.plan.is_none() || s.plan_stale {
            return;
        }
        let standby = s.spec.mode == WarmMode::Standby;
        loop {
            // Standby processes are used up by calls: `min` counts spare ones.
            let spare = s.idle.len() + s.starting;
            let live = spare + s.busy_pids.len();
            let short = if standby { spare < s.standby_floor() } else { live < s.spec.min as usize };
            let wanted = s.waiters.len() > s.starting || short;
            if !wanted || live >= s.spec.max as usize || self.closed.is_cancelled() {
                return;
            }
            self.start_one_more(s);
        }
    }

    pub(super) fn start_one_more(self: &Arc<Self>, s: &mut State) {
        if s.plan_stale || self.closed.is_cancelled() {
            return;
        }
        let Some(plan) = s.plan.clone() else { return };
        s.starting += 1;
        let (pool, generation) = (Arc::clone(self), s.generation);
        self.spawn(async move { pool.start_one(&plan, generation).await });
    }

    async fn start_one(self: Arc<Self>, plan: &LaunchPlan, generation: u64) {
        let (standby, root) = {
            let s = self.state.lock().unwrap();
            (s.spec.mode == WarmMode::Standby, s.root.clone())
        };
        // security (§14): the directory may have been swapped since it was loaded.
        let checked = crate::function::recheck_dir(&root, &self.name);
        let started = match (checked, standby) {
            (Err(e), _) => Err(e),
            (Ok(()), true) => return self.start_standby(plan, generation).await,
            (Ok(()), false) => Worker::start(plan, plan.timeout, &self.closed, generation).await,
        };
        let mut stop = Vec::new();
        {
            let mut s = self.state.lock().unwrap();
            s.starting -= 1;
            match started {
                Ok(w) if self.closed.is_cancelled() || w.generation != s.generation => stop.push(w),
                Ok(w) => {
                    if let Some(w) = hand_over(&mut s, w) {
                        s.idle.push(w);
                    }
                }
                Err(e) => {
                    s.failures += 1;
                    s.last_failure = Some(e.clone());
                    s.waiters.retain(|(_, w)| !w.is_closed());
                    if let Some((_, waiter)) = s.waiters.pop_front() {
                        let _ = waiter.send(Err(e));
                    }
                    // Not retried for `min` alone (a broken worker would
                    // restart for ever): the next call or `warmup()` retries.
                    if s.waiters.is_empty() {
                        drop(s);
                        self.changed.notify_waiters();
                        return;
                    }
                }
            }
            self.start_if_room(&mut s);
        }
        self.retire(stop);
        self.changed.notify_waiters();
    }
}

/// Gives `w` to the oldest call still waiting; returns it when none is.
pub(super) fn hand_over(s: &mut State, mut w: Worker) -> Option<Worker> {
    while let Some((_, waiter)) = s.waiters.pop_front() {
        let pid = w.pid();
        match waiter.send(Ok(w)) {
            Ok(()) => {
                s.busy_pids.push(pid);
                return None;
            }
            Err(Ok(back)) => w = back,
            Err(Err(_)) => unreachable!("sent Ok"),
        }
    }
    Some(w)
}
