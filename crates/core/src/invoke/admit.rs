//! Admission (CONTRACT §6): a call first waits for its function's
//! `concurrency`, then for a global `maxConcurrency` slot, both served in
//! call order (`fifo.rs`). A call waiting on its own function holds no
//! global slot, so no mix of limits can deadlock. `maxQueue` bounds the
//! calls waiting; `stats()` counts them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::fifo::{FifoSlots, Place, Slot};
use crate::outcome::{Code, ErrorInfo};

/// Calls running and waiting, for `stats()`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub running: usize,
    pub queued: usize,
}

/// `stats()`: totals and per function (only functions with calls).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub running: usize,
    pub queued: usize,
    pub functions: BTreeMap<String, Counts>,
}

type Tallies = Arc<Mutex<BTreeMap<String, Counts>>>;

pub(crate) struct Admission {
    global: Option<Arc<FifoSlots>>,
    functions: Mutex<BTreeMap<String, (u32, Arc<FifoSlots>)>>,
    tallies: Tallies,
    max_queue: Option<usize>,
}

/// A call's first place in line, taken synchronously when the host called
/// `invoke` (so calls are served in call order): the function's queue when
/// the catalog knows a `concurrency` for it, else the global queue.
pub(crate) struct Entry {
    ticket: u64,
    concurrency: Option<u32>,
    place: Option<Place>,
}

/// An admitted call: its slots and its place in the running count, all
/// given back when dropped.
pub(crate) struct Admitted {
    _slots: Vec<Slot>,
    _running: Tally,
}

impl Entry {
    /// The call's place in call order.
    pub fn ticket(&self) -> u64 {
        self.ticket
    }
}

impl Admission {
    pub fn new(max_concurrency: usize, max_queue: Option<usize>) -> Self {
        Admission {
            global: (max_concurrency > 0).then(|| FifoSlots::new(max_concurrency)),
            functions: Mutex::default(),
            tallies: Tallies::default(),
            max_queue,
        }
    }

    /// Takes the call's first place in line (see `Entry`); `concurrency` is
    /// what the catalog knows of the function.
    pub fn enter(&self, name: &str, concurrency: Option<u32>, ticket: u64) -> Entry {
        let place = match concurrency {
            Some(limit) => Some(self.function_queue(name, limit).join(ticket)),
            None => self.global.as_ref().map(|g| g.join(ticket)),
        };
        Entry { ticket, concurrency, place }
    }

    /// Waits for the call's slots: its function's (`concurrency`, as loaded
    /// now), then the global one. Fails with QUEUE_FULL when it would wait
    /// behind `maxQueue` others, and with CANCELLED when `cancel` fires first
    /// (nothing was spawned).
    pub async fn admit(
        &self,
        name: &str,
        concurrency: Option<u32>,
        entry: Entry,
        cancel: &CancellationToken,
    ) -> Result<Admitted, ErrorInfo> {
        let Entry { ticket, place, .. } = entry;
        // The manifest changed since the catalog read it: line up afresh
        // (a global place must never be held while waiting on the function).
        let place = if entry.concurrency == concurrency { place } else { None };
        let mut slots = Vec::with_capacity(2);
        let mut global_place = None;
        match (concurrency, place) {
            (Some(_), Some(place)) => slots.push(self.wait(name, place, cancel).await?),
            (Some(limit), None) => {
                let place = self.function_queue(name, limit).join(ticket);
                slots.push(self.wait(name, place, cancel).await?);
            }
            (None, place) => global_place = place,
        }
        if let Some(global) = &self.global {
            let place = global_place.unwrap_or_else(|| global.join(ticket));
            slots.push(self.wait(name, place, cancel).await?);
        }
        // `close()` or an abort that came while the slot was handed over.
        if cancel.is_cancelled() {
            return Err(cancelled());
        }
        Ok(Admitted { _slots: slots, _running: Tally::new(&self.tallies, name, |c| &mut c.running) })
    }

    async fn wait(&self, name: &str, place: Place, cancel: &CancellationToken) -> Result<Slot, ErrorInfo> {
        if let Place::Ready(slot) = place {
            return Ok(slot);
        }
        if let Some(max) = self.max_queue {
            let waiting: usize = self.tallies.lock().unwrap().values().map(|c| c.queued).sum();
            if waiting >= max {
                return Err(ErrorInfo::new(
                    Code::QueueFull,
                    format!("{waiting} calls are already waiting (maxQueue {max}); this one did not run"),
                ));
            }
        }
        let _queued = Tally::new(&self.tallies, name, |c| &mut c.queued);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(cancelled()),
            slot = place.slot() => Ok(slot),
        }
    }

    fn function_queue(&self, name: &str, limit: u32) -> Arc<FifoSlots> {
        let mut queues = self.functions.lock().unwrap();
        let entry = queues.entry(name.to_string()).or_insert_with(|| (limit, FifoSlots::new(limit as usize)));
        if entry.0 != limit {
            *entry = (limit, FifoSlots::new(limit as usize));
        }
        Arc::clone(&entry.1)
    }

    pub fn stats(&self) -> Stats {
        let tallies = self.tallies.lock().unwrap();
        let mut stats = Stats::default();
        for (name, counts) in tallies.iter() {
            stats.running += counts.running;
            stats.queued += counts.queued;
            stats.functions.insert(name.clone(), *counts);
        }
        stats
    }
}

pub(crate) fn cancelled() -> ErrorInfo {
    ErrorInfo::new(Code::Cancelled, "invocation was cancelled")
}

/// One unit of a function's running or queued count, for as long as it lives.
struct Tally {
    tallies: Tallies,
    name: String,
    field: fn(&mut Counts) -> &mut usize,
}

impl Tally {
    fn new(tallies: &Tallies, name: &str, field: fn(&mut Counts) -> &mut usize) -> Self {
        *field(tallies.lock().unwrap().entry(name.to_string()).or_default()) += 1;
        Tally { tallies: Arc::clone(tallies), name: name.to_string(), field }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        let mut tallies = self.tallies.lock().unwrap();
        if let Some(counts) = tallies.get_mut(&self.name) {
            *(self.field)(counts) -= 1;
            if *counts == Counts::default() {
                tallies.remove(&self.name);
            }
        }
    }
}
