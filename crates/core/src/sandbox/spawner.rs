//! The threads sandboxed processes are spawned from. Landlock binds the
//! thread that restricts itself for good, so each spawn needs a thread of
//! its own. Creating it on the call's path costs more than the clone: a
//! new thread waits for its first time slice behind every runnable task,
//! milliseconds on a loaded machine. So the next spawner thread is made
//! ahead and parked; a spawn wakes it with its job and makes the next one
//! while the job runs.

use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;

type Job = Box<dyn FnOnce() + Send>;

/// The spawner only builds a ruleset and spawns: a small stack is plenty.
const STACK: usize = 256 * 1024;

/// The parked thread the next job goes to.
static NEXT: Mutex<Option<SyncSender<Job>>> = Mutex::new(None);

/// Runs `job` on a thread that runs nothing else and ends with it, and
/// waits for its result.
pub fn on_fresh_thread<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> std::io::Result<T> {
    let parked = NEXT.lock().unwrap().take();
    let thread = match parked {
        Some(thread) => thread,
        None => park()?,
    };
    let (done, result) = sync_channel(1);
    let job: Job = Box::new(move || drop(done.send(job())));
    if let Err(returned) = thread.send(job) {
        // That thread is gone (it could not have run a job): use a new one.
        park()?.send(returned.0).map_err(|_| gone())?;
    }
    // The next one, made while this job runs.
    if let Ok(next) = park() {
        NEXT.lock().unwrap().get_or_insert(next);
    }
    result.recv().map_err(|_| gone())
}

/// A new thread, parked until it is sent its one job.
fn park() -> std::io::Result<SyncSender<Job>> {
    let (sender, jobs) = sync_channel::<Job>(1);
    std::thread::Builder::new().name("alyx-sandbox".into()).stack_size(STACK).spawn(move || {
        if let Ok(job) = jobs.recv() {
            job();
        }
    })?;
    Ok(sender)
}

fn gone() -> std::io::Error {
    std::io::Error::other("the sandbox spawner thread ended without an answer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_gets_a_thread_of_its_own() {
        let ids: Vec<_> = (0..4).map(|_| on_fresh_thread(|| std::thread::current().id()).unwrap()).collect();
        let me = std::thread::current().id();
        for (i, id) in ids.iter().enumerate() {
            assert_ne!(*id, me);
            assert!(!ids[..i].contains(id), "a thread ran two jobs: {ids:?}");
        }
    }

    #[test]
    fn a_panicking_job_is_an_error_not_a_hang() {
        assert!(on_fresh_thread(|| -> () { panic!("on purpose") }).is_err());
        assert_eq!(on_fresh_thread(|| 7).unwrap(), 7);
    }
}
