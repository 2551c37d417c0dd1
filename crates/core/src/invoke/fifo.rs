//! A FIFO slot queue (admission, `admit.rs`). Unlike a semaphore, whose
//! order is the order waiters are first *polled*, waiters here are served
//! by their ticket: a number taken synchronously when the host called
//! `invoke`, so calls are served in call order whatever reaches the queue
//! first.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

#[derive(Debug)]
pub(crate) struct FifoSlots {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    free: usize,
    waiters: BTreeMap<u64, oneshot::Sender<Slot>>,
}

/// A held slot; dropping it hands the slot to the next waiter.
#[derive(Debug)]
pub(crate) struct Slot {
    owner: Arc<FifoSlots>,
    armed: bool,
}

/// A place in line: either already served or waiting for a slot.
pub(crate) enum Place {
    Ready(Slot),
    Waiting(oneshot::Receiver<Slot>),
}

impl Place {
    /// Waits for the slot. Dropping a waiting place gives up its turn; a slot
    /// handed over at that very moment is passed on, never lost.
    pub async fn slot(self) -> Slot {
        match self {
            Place::Ready(slot) => slot,
            Place::Waiting(rx) => rx.await.expect("FifoSlots outlives its waiters"),
        }
    }
}

impl FifoSlots {
    pub fn new(slots: usize) -> Arc<Self> {
        Arc::new(FifoSlots { state: Mutex::new(State { free: slots, waiters: BTreeMap::new() }) })
    }

    /// A place for the call with `ticket` (unique per queue): a free slot at
    /// once, or a turn in ticket order.
    pub fn join(self: &Arc<Self>, ticket: u64) -> Place {
        let mut st = self.state.lock().unwrap();
        if st.free > 0 {
            st.free -= 1;
            Place::Ready(Slot { owner: Arc::clone(self), armed: true })
        } else {
            let (tx, rx) = oneshot::channel();
            st.waiters.insert(ticket, tx);
            Place::Waiting(rx)
        }
    }

    fn release(self: &Arc<Self>) {
        let mut st = self.state.lock().unwrap();
        while let Some((_, tx)) = st.waiters.pop_first() {
            match tx.send(Slot { owner: Arc::clone(self), armed: true }) {
                Ok(()) => return,
                // That waiter gave up: the slot goes to the next one.
                Err(mut slot) => slot.armed = false,
            }
        }
        st.free += 1;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.armed {
            self.owner.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_in_join_order() {
        let q = FifoSlots::new(1);
        let first = q.join(0).slot().await;
        let places: Vec<Place> = (1..4).map(|t| q.join(t)).collect();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        // Poll the later places first: order must still be join order.
        for (i, place) in places.into_iter().enumerate().rev() {
            let tx = tx.clone();
            tokio::spawn(async move {
                let slot = place.slot().await;
                tx.send(i).unwrap();
                tokio::task::yield_now().await;
                drop(slot);
            });
        }
        tokio::task::yield_now().await;
        drop(first);
        let mut order = Vec::new();
        for _ in 0..3 {
            order.push(rx.recv().await.unwrap());
        }
        assert_eq!(order, [0, 1, 2]);
    }

    #[tokio::test]
    async fn abandoned_place_passes_its_turn_on() {
        let q = FifoSlots::new(1);
        let held = q.join(0).slot().await;
        let abandoned = q.join(1);
        let next = q.join(2);
        drop(abandoned);
        drop(held);
        let _slot = next.slot().await;
        assert!(matches!(q.join(3), Place::Waiting(_)), "exactly one slot exists");
    }

    #[tokio::test]
    async fn slot_handed_to_a_place_dropped_unpolled_is_not_lost() {
        let q = FifoSlots::new(1);
        let held = q.join(0).slot().await;
        let waiting = q.join(1);
        drop(held); // hands the slot into `waiting`'s channel
        drop(waiting); // never polled: the slot inside must be released
        assert!(matches!(q.join(2), Place::Ready(_)));
    }

    #[tokio::test]
    async fn an_earlier_ticket_arriving_late_goes_first() {
        let q = FifoSlots::new(1);
        let held = q.join(0).slot().await;
        let late = q.join(5);
        let early = q.join(3);
        drop(held);
        let _slot = early.slot().await;
        drop(late);
    }
}
