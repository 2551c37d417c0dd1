//! A pool's background care (CONTRACT §10): ready workers that died, went
//! over their memory limit (sampled while idle too) or idled past `idle`
//! above `min` are stopped; `pools()` reads the counts.

use std::sync::Arc;

use super::{Pool, PoolInfo, Worker};
use crate::manifest::WarmMode;

impl Pool {
    /// Background care every few hundred ms: ready workers that died, went
    /// over their memory limit or idled past `idle` above `min` are stopped;
    /// then the pool is topped up to `min`.
    pub fn tend(self: &Arc<Self>) {
        let (limit, pids) = {
            let s = self.state.lock().unwrap();
            let limit = s.plan.as_ref().and_then(|p| p.memory_limit);
            (limit, if limit.is_some() { s.idle.iter().map(Worker::pid).collect() } else { Vec::new() })
        };
        // Sampled without the lock: reading /proc takes a moment.
        let over: Vec<(i32, u64)> = match limit {
            Some(l) => pids
                .into_iter()
                .filter_map(|p| crate::process::memory::group_pss(p).filter(|u| *u > l).map(|u| (p, u)))
                .collect(),
            None => Vec::new(),
        };
        let mut out = Vec::new();
        let mut s = self.state.lock().unwrap();
        let mut keep = Vec::new();
        for w in std::mem::take(&mut s.idle) {
            let why = if w.is_dead_now() {
                Some("a ready worker exited and was replaced".to_string())
            } else {
                over.iter().find(|(p, _)| *p == w.pid()).map(|(_, used)| {
                    format!("a ready worker went over its memory limit ({} MB in use) and was replaced", used >> 20)
                })
            };
            match why {
                Some(why) => {
                    s.replaced += 1;
                    s.last_error_text(why);
                    out.push(w);
                }
                None => keep.push(w),
            }
        }
        // Longest idle last, so shrinking stops it first.
        keep.sort_by_key(|w| std::cmp::Reverse(w.idle_since));
        let (min, idle) = (s.spec.min as usize, s.spec.idle());
        // Busy standby processes are used up, so only spare ones count.
        let busy = if s.spec.mode == WarmMode::Standby { 0 } else { s.busy_pids.len() };
        while keep.len() + busy > min && keep.last().is_some_and(|w| w.idle_since.elapsed() >= idle) {
            out.push(keep.pop().expect("checked"));
        }
        s.idle = keep;
        self.start_if_room(&mut s);
        drop(s);
        self.retire(out);
    }

    pub fn info(&self) -> PoolInfo {
        let s = self.state.lock().unwrap();
        PoolInfo {
            name: self.name.clone(),
            mode: s.spec.mode.as_str(),
            ready: s.idle.iter().filter(|w| w.booted).count(),
            busy: s.busy_pids.len(),
            starting: s.starting + s.idle.iter().filter(|w| !w.booted).count(),
            served: s.served,
            replaced: s.replaced,
            last_error: s.last_failure.as_ref().map(|e| e.message.clone()),
            pids: s.idle.iter().map(Worker::pid).chain(s.busy_pids.iter().copied()).collect(),
        }
    }
}
