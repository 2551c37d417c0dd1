//! Waiting for a function's process to exit *without reaping it*: while the
//! leader is an unreaped zombie its pid (= the group id) cannot be reused,
//! so signalling the group afterwards can never hit an unrelated process.

#[cfg_attr(windows, allow(unused_imports))]
use std::io;

#[cfg(unix)]
use super::group::Signal;

#[cfg(target_os = "linux")]
pub(crate) struct ExitWaiter {
    pid: i32,
    pidfd: Option<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>>,
}

#[cfg(target_os = "linux")]
impl ExitWaiter {
    pub fn new(pid: i32) -> Self {
        use std::os::fd::{FromRawFd, OwnedFd};
        use tokio::io::unix::AsyncFd;
        use tokio::io::Interest;
        // pidfd (Linux ≥ 5.3) is readable once the process has exited; older
        // kernels fall back to a blocking waitid on the blocking pool.
        // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let pidfd = (fd >= 0)
            // SAFETY: `fd` was just returned by pidfd_open and is owned by no one else.
            .then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
            // SAFETY: an OwnedFd stays open and unchanged until the AsyncFd drops it.
            .and_then(|fd| unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.ok());
        ExitWaiter { pid, pidfd }
    }

    pub async fn exited(&self) -> io::Result<()> {
        match &self.pidfd {
            Some(fd) => fd.readable().await.map(|mut g| g.retain_ready()),
            None => wait_no_reap(self.pid).await,
        }
    }

    /// Signals the leader itself, through its pidfd when there is one (the
    /// pid cannot have been reused: the leader is not reaped yet).
    pub fn signal_leader(&self, sig: Signal) {
        use std::os::fd::AsRawFd;
        let sig = sig.number();
        match &self.pidfd {
            // SAFETY: the pidfd is open for as long as `self`; a null siginfo is allowed.
            Some(fd) => unsafe {
                libc::syscall(libc::SYS_pidfd_send_signal, fd.get_ref().as_raw_fd(), sig, std::ptr::null::<()>(), 0);
            },
            // SAFETY: kill has no memory effects; ESRCH for a gone pid is harmless.
            None => unsafe {
                libc::kill(self.pid, sig);
            },
        }
    }
}

#[cfg(windows)]
pub use super::job_windows::ExitWaiter;

#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) struct ExitWaiter {
    pid: i32,
}

#[cfg(all(unix, not(target_os = "linux")))]
impl ExitWaiter {
    pub fn new(pid: i32) -> Self {
        ExitWaiter { pid }
    }

    pub async fn exited(&self) -> io::Result<()> {
        wait_no_reap(self.pid).await
    }

    pub fn signal_leader(&self, sig: Signal) {
        // SAFETY: kill has no memory effects; ESRCH for a gone pid is harmless.
        unsafe { libc::kill(self.pid, sig.number()) };
    }
}

/// waitid(WEXITED | WNOWAIT): returns once the child exited, leaving it to be
/// reaped by `Child::wait`.
#[cfg(unix)]
async fn wait_no_reap(pid: i32) -> io::Result<()> {
    tokio::task::spawn_blocking(move || loop {
        // SAFETY: siginfo_t is plain data for which all-zero bytes are valid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, writable siginfo_t for the call.
        let rc = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    })
    .await
    .map_err(io::Error::other)?
}
