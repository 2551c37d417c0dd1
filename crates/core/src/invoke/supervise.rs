//! Supervision: one implementation of "watch a started process until it is
//! done or must be stopped" — deadline, cancel, output cap, memory limit,
//! then terminate → reap → drain. Every launch of a function and every
//! build step goes through `supervise` (docs/ARCHITECTURE.md).

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::process::{memory, Exit, Process};

/// How often a memory-limited function's memory is sampled.
const MEMORY_SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// How long to keep reading pipes after the process is gone: a descendant
/// that left the process group could otherwise hold them open for ever.
pub(crate) const DRAIN_AFTER_KILL: Duration = Duration::from_secs(1);

/// What may stop a process before it finishes on its own.
pub(crate) struct Limits {
    pub deadline: Instant,
    pub cancel: CancellationToken,
    /// Bytes; sampled every MEMORY_SAMPLE_EVERY.
    pub memory_limit: Option<u64>,
    pub kill_grace: Duration,
}

/// Why the runtime stopped a process. A process ended this way is never
/// reported as KILLED (CONTRACT §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Timeout,
    Cancelled,
    OutputTooLarge,
    MemoryLimit(u64),
}

/// The pipes' readers ended because stdout passed its cap.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OverCap;

/// What supervision saw: why it stopped the process (if it did) and how
/// the leader ended.
pub(crate) struct Supervised {
    pub stop: Option<Stop>,
    pub exit: io::Result<Exit>,
}

/// Runs `io` (the readers of the process's pipes, written by the launcher)
/// alongside the process until the leader exits or a limit stops it, then
/// reaps the leader and gives `io` at most DRAIN_AFTER_KILL more.
pub(crate) async fn supervise<F>(process: &mut Process, io: F, limits: &Limits) -> Supervised
where
    F: Future<Output = Result<(), OverCap>>,
{
    tokio::pin!(io);
    let mut io_done = false;
    let stop = match watch(process, io.as_mut(), &mut io_done, limits, false).await {
        Watched::Stopped(stop) => Some(stop),
        _ => None,
    };
    finish(process, io, io_done, stop, limits).await
}

/// One call served by a process that outlives it (a warm worker, CONTRACT
/// §10): the same watch, but the turn is over when `io` is done (the call's
/// response and end marker read) while the process runs on. `None` then;
/// otherwise the process was stopped or died, and was reaped like a
/// one-shot process.
pub(crate) async fn supervise_turn<F>(process: &mut Process, io: F, limits: &Limits) -> Option<Supervised>
where
    F: Future<Output = Result<(), OverCap>>,
{
    tokio::pin!(io);
    let mut io_done = false;
    let stop = match watch(process, io.as_mut(), &mut io_done, limits, true).await {
        Watched::IoDone => return None,
        Watched::Stopped(stop) => Some(stop),
        Watched::Exited => None,
    };
    Some(finish(process, io, io_done, stop, limits).await)
}

/// Stops the process if a limit hit, reaps it, drains what is left.
async fn finish<F>(
    process: &mut Process,
    io: std::pin::Pin<&mut F>,
    io_done: bool,
    mut stop: Option<Stop>,
    limits: &Limits,
) -> Supervised
where
    F: Future<Output = Result<(), OverCap>>,
{
    // After a SIGKILL, waiting for the leader and draining share one
    // DRAIN_AFTER_KILL: a call ends at most killGraceMs + 1 s after its
    // deadline, abort or close (CONTRACT §14).
    let mut drain_until = None;
    if stop.is_some() {
        drain_until = process.terminate(limits.kill_grace).await.map(|killed| killed + DRAIN_AFTER_KILL);
    }
    // The leader is gone (unreaped): `reap` kills what is left of its group,
    // so grandchildren holding the pipes open cannot stall us. Only a
    // descendant that left the group can still hold them: it gets
    // DRAIN_AFTER_KILL, and what was read is kept.
    let exit = process.reap();
    let drain_until = drain_until.unwrap_or_else(|| Instant::now() + DRAIN_AFTER_KILL);
    if !io_done && tokio::time::timeout_at(drain_until, io).await == Ok(Err(OverCap)) {
        stop = stop.or(Some(Stop::OutputTooLarge));
    }
    Supervised { stop, exit }
}

/// How the wait ended.
enum Watched {
    Exited,
    Stopped(Stop),
    /// `io` finished and the caller asked to stop there.
    IoDone,
}

/// The wait itself: returns when the leader exited, a limit hit, or (with
/// `until_io`) `io` finished.
async fn watch<F>(
    process: &Process,
    mut io: std::pin::Pin<&mut F>,
    io_done: &mut bool,
    limits: &Limits,
    until_io: bool,
) -> Watched
where
    F: Future<Output = Result<(), OverCap>>,
{
    let exited = process.exited();
    tokio::pin!(exited);
    let pid = process.pid();
    let mut sampler = tokio::time::interval(MEMORY_SAMPLE_EVERY);
    loop {
        tokio::select! {
            // Cancellation first: a call cancelled while its process exits
            // is still reported the way the caller asked.
            biased;
            _ = limits.cancel.cancelled() => return Watched::Stopped(Stop::Cancelled),
            _ = tokio::time::sleep_until(limits.deadline) => return Watched::Stopped(Stop::Timeout),
            r = &mut io, if !*io_done => {
                *io_done = true;
                if r.is_err() {
                    return Watched::Stopped(Stop::OutputTooLarge);
                }
                if until_io {
                    return Watched::IoDone;
                }
            }
            _ = &mut exited => return Watched::Exited,
            _ = sampler.tick(), if limits.memory_limit.is_some() => {
                let limit = limits.memory_limit.unwrap_or(u64::MAX);
                if let Some(used) = memory::group_pss(pid).filter(|used| *used > limit) {
                    return Watched::Stopped(Stop::MemoryLimit(used));
                }
            }
        }
    }
}
