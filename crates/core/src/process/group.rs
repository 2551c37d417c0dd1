//! Process groups: every function runs as the leader of its own group so a
//! timeout or cancel reaches its grandchildren too. Live groups are tracked
//! process-wide so the host can kill them all when it exits.

use std::collections::BTreeSet;
use std::sync::Mutex;

static LIVE_GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Registers a group for `kill_all` until dropped.
#[derive(Debug)]
pub(crate) struct GroupGuard {
    pgid: i32,
}

impl GroupGuard {
    pub fn register(pgid: i32) -> Self {
        LIVE_GROUPS.lock().unwrap().insert(pgid);
        GroupGuard { pgid }
    }

    pub fn signal(&self, sig: Signal) {
        signal_group(self.pgid, sig);
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        LIVE_GROUPS.lock().unwrap().remove(&self.pgid);
        #[cfg(windows)]
        super::job_windows::forget(self.pgid as u32);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Term,
    Kill,
}

#[cfg(unix)]
impl Signal {
    pub fn number(self) -> i32 {
        match self {
            Signal::Term => libc::SIGTERM,
            Signal::Kill => libc::SIGKILL,
        }
    }
}

#[cfg(unix)]
pub(crate) fn signal_group(pgid: i32, sig: Signal) {
    // SAFETY: kill has no memory effects; ESRCH (group already gone) is the
    // expected, harmless failure.
    unsafe { libc::kill(-pgid, sig.number()) };
}

#[cfg(not(unix))]
pub(crate) fn signal_group(_pgid: i32, _sig: Signal) {
    // Windows: the function's job object; Term and Kill both terminate it.
    #[cfg(windows)]
    super::job_windows::terminate(_pgid as u32);
}

/// SIGKILLs every live function process group in this host process. Called
/// when the host exits or is told to stop (SIGINT/SIGTERM). Returns how many.
pub fn kill_all() -> usize {
    let groups = LIVE_GROUPS.lock().unwrap();
    for &pgid in groups.iter() {
        signal_group(pgid, Signal::Kill);
    }
    groups.len()
}

/// Name of a signal number, as Node spells it (`"SIGKILL"`).
#[cfg(unix)]
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("SIG{sig}"),
    };
    name.to_string()
}

/// No signals off Unix: `Exit::Signal` never happens there.
#[cfg(not(unix))]
pub fn signal_name(sig: i32) -> String {
    format!("SIG{sig}")
}
