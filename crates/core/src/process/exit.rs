//! Waiting for a function's process to exit *without reaping it*: while the
//! leader is an unreaped zombie its pid (= the group id) cannot be reused,
//! so signalling the group afterwards can never hit an unrelated process.

#[cfg_attr(windows, allow(unused_imports))]
use std::io;

#[cfg(target_os = "linux")]
pub struct ExitWaiter {
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
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let pidfd = (fd >= 0)
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
}

#[cfg(windows)]
pub use super::job_windows::ExitWaiter;

#[cfg(all(unix, not(target_os = "linux")))]
pub struct ExitWaiter {
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
}

/// waitid(WEXITED | WNOWAIT): returns once the child exited, leaving it to be
/// reaped by `Child::wait`.
#[cfg(unix)]
async fn wait_no_reap(pid: i32) -> io::Result<()> {
    tokio::task::spawn_blocking(move || loop {
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
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
