//! The threads sandboxed processes are spawned from. Landlock binds the
//! thread that restricts itself for good (and every thread and process it
//! starts afterwards), so each spawn needs a thread of its own, made by an
//! unrestricted one. A [`Restricted`] thread enforces its rules first and
//! then waits, parked, for the one spawn it will do: made ahead
//! (`ahead.rs`), it takes the ruleset's cost off the call's path.

use std::sync::mpsc::{sync_channel, SyncSender};

use super::rules::Rules;
use super::SpawnError;

type Job = Box<dyn FnOnce() + Send>;

/// The spawner only spawns: a small stack is plenty.
const STACK: usize = 256 * 1024;

/// A parked thread already restricted to its rules; it runs one job and ends.
pub struct Restricted {
    jobs: SyncSender<Job>,
}

impl Restricted {
    /// A new thread restricted to `rules`; returns once the kernel enforced
    /// them (`Unavailable` when it cannot). `after` runs on it after the
    /// job (never without one).
    pub fn new(rules: Rules, after: impl FnOnce() + Send + 'static) -> Result<Restricted, SpawnError> {
        let (jobs, parked) = sync_channel::<Job>(1);
        let (status, restricted) = sync_channel(1);
        std::thread::Builder::new()
            .name("alyx-sandbox".into())
            .stack_size(STACK)
            .spawn(move || {
                let outcome = super::landlock::restrict_current_thread(&rules);
                let enforced = outcome.is_ok();
                drop(status.send(outcome));
                if let (true, Ok(job)) = (enforced, parked.recv()) {
                    job();
                    after();
                }
            })
            .map_err(SpawnError::Io)?;
        restricted.recv().map_err(|_| SpawnError::Io(gone()))?.map_err(SpawnError::Unavailable)?;
        Ok(Restricted { jobs })
    }

    /// Runs `job` on this thread and waits for its result.
    pub fn run<T: Send + 'static>(self, job: impl FnOnce() -> T + Send + 'static) -> std::io::Result<T> {
        let (done, result) = sync_channel(1);
        self.jobs.send(Box::new(move || drop(done.send(job())))).map_err(|_| gone())?;
        result.recv().map_err(|_| gone())
    }
}

fn gone() -> std::io::Error {
    std::io::Error::other("the sandbox spawner thread ended without an answer")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::{landlock_here, Network};

    fn anything() -> Rules {
        Rules { read: vec!["/".into()], write: vec!["/".into()], network: Network::Allowed }
    }

    #[test]
    fn every_job_gets_a_thread_of_its_own() {
        if !landlock_here() {
            return;
        }
        let ids: Vec<_> = (0..4)
            .map(|_| Restricted::new(anything(), || ()).unwrap().run(|| std::thread::current().id()).unwrap())
            .collect();
        let me = std::thread::current().id();
        for (i, id) in ids.iter().enumerate() {
            assert_ne!(*id, me);
            assert!(!ids[..i].contains(id), "a thread ran two jobs: {ids:?}");
        }
    }

    #[test]
    fn a_panicking_job_is_an_error_not_a_hang() {
        if !landlock_here() {
            return;
        }
        assert!(Restricted::new(anything(), || ()).unwrap().run(|| -> () { panic!("on purpose") }).is_err());
        assert_eq!(Restricted::new(anything(), || ()).unwrap().run(|| 7).unwrap(), 7);
    }
}
