//! Starting a function's process and stopping it: own process group, piped
//! stdio, exit detection, kill escalation. Where a process is *spawned* is
//! decided by the launch stage (docs/ARCHITECTURE.md); this module builds the
//! `Command` and adopts the started child.

pub(crate) mod capture;
pub(crate) mod exit;
pub(crate) mod group;
#[cfg(windows)]
mod job_windows;
pub(crate) mod memory;
pub(crate) mod oneshot;

use std::ffi::OsString;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::process::{ChildStderr, ChildStdin, ChildStdout};

use exit::ExitWaiter;
use group::{GroupGuard, Signal};

/// After SIGKILL by pid the leader is gone within milliseconds unless the
/// kernel holds it (uninterruptible sleep); never wait longer than this.
const KILL_WAIT: Duration = Duration::from_secs(1);

/// What to start. `program` must be an absolute path: with one, std spawns
/// through posix_spawn (vfork-style, no copy of the host's address space);
/// a bare name with a changed PATH, or any `pre_exec`, makes it fork.
pub(crate) struct Spec<'a> {
    pub program: &'a Path,
    pub args: &'a [OsString],
    pub cwd: &'a Path,
    pub env: &'a [(OsString, OsString)],
}

impl Spec<'_> {
    /// The `Command` for this spec: cleared env, piped stdio, own group.
    pub(crate) fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(self.program);
        cmd.args(self.args)
            .current_dir(self.cwd)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        #[cfg(windows)]
        std::os::windows::process::CommandExt::creation_flags(&mut cmd, job_windows::SPAWN_FLAGS);
        cmd
    }
}

pub(crate) struct Process {
    child: std::process::Child,
    group: Option<GroupGuard>,
    exit: ExitWaiter,
    pub stdin: Option<ChildStdin>,
    pub stdout: Option<ChildStdout>,
    pub stderr: Option<ChildStderr>,
    /// A sandboxed process's private temp dir (`crate::sandbox::spawn`):
    /// removed when this is dropped, after the group is killed and reaped.
    pub private_temp: Option<crate::sandbox::PrivateTemp>,
}

/// How the leader ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Code(i32),
    // Only Unix reports a terminating signal; Windows has exit codes alone.
    #[cfg_attr(not(unix), allow(dead_code))]
    Signal(i32),
}

impl Process {
    /// Spawns `spec` on this thread (the sandbox spawner's, or a worker's):
    /// functions, build steps and version probes alike.
    pub(crate) fn spawn(spec: &Spec) -> io::Result<Process> {
        only_stdio_inherits();
        Process::adopt(spec.command().spawn()?)
    }

    /// Takes charge of a child started from `Spec::command`: registers its
    /// group for host-exit cleanup and watches for its exit.
    pub(crate) fn adopt(mut child: std::process::Child) -> io::Result<Process> {
        #[cfg(windows)]
        if let Err(e) = job_windows::adopt(&child) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            const PIPE_BYTES: libc::c_int = 1 << 20;
            for fd in [child.stdin.as_ref().map(|p| p.as_raw_fd()), child.stdout.as_ref().map(|p| p.as_raw_fd())]
                .into_iter()
                .flatten()
            {
                // SAFETY: `fd` is a pipe this process owns for the call; F_SETPIPE_SZ
                // only resizes its buffer (failure leaves the default size).
                unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, PIPE_BYTES) };
            }
        }
        let pid = child.id() as i32;
        let exit = ExitWaiter::new(pid);
        let group = Some(GroupGuard::register(pid));
        let stdin = child.stdin.take().map(ChildStdin::from_std).transpose()?;
        let stdout = child.stdout.take().map(ChildStdout::from_std).transpose()?;
        let stderr = child.stderr.take().map(ChildStderr::from_std).transpose()?;
        Ok(Process { child, group, exit, stdin, stdout, stderr, private_temp: None })
    }

    pub(crate) fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn signal(&self, sig: Signal) {
        // Only while the leader is unreaped: afterwards its pid may be reused.
        // The leader is signalled by pid too: it may have moved itself to
        // another process group (CONTRACT §14).
        if let Some(group) = &self.group {
            group.signal(sig);
            self.exit.signal_leader(sig);
        }
    }

    /// Resolves once the leader has exited; it stays unreaped until `reap`.
    pub(crate) async fn exited(&self) -> io::Result<()> {
        self.exit.exited().await
    }

    /// SIGTERM to the group and the leader, SIGKILL after `grace` if the
    /// leader still runs. Bounded: returns at most `grace` + KILL_WAIT later,
    /// with when SIGKILL was sent, if it was.
    pub(crate) async fn terminate(&self, grace: Duration) -> Option<tokio::time::Instant> {
        self.signal(Signal::Term);
        if tokio::time::timeout(grace, self.exited()).await.is_ok() {
            return None;
        }
        let killed = tokio::time::Instant::now();
        self.signal(Signal::Kill);
        let _ = tokio::time::timeout(KILL_WAIT, self.exited()).await;
        Some(killed)
    }

    /// Kills whatever is left in the group (grandchildren outliving the
    /// leader), then reaps the leader. Call after `exited` or `terminate`.
    pub(crate) fn reap(&mut self) -> io::Result<Exit> {
        self.signal(Signal::Kill);
        self.group = None;
        let status = self.child.wait()?;
        Ok(exit_of(status))
    }
}

/// Only stdin, stdout and stderr may reach a function (CONTRACT §14), and
/// std's posix_spawn path (no fork of the host) cannot close other fds in
/// the child. So every host fd from 3 up is marked close-on-exec first: one
/// `close_range` call. Node and libuv open everything close-on-exec anyway;
/// this catches fds a host or an addon left inheritable. The flag changes
/// nothing for the host's own use of those fds (docs/ARCHITECTURE.md).
#[cfg(target_os = "linux")]
fn only_stdio_inherits() {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets a flag on open
    // fds; it closes nothing and touches no memory.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, 3 as libc::c_uint, libc::c_uint::MAX, CLOSE_RANGE_CLOEXEC) };
    if rc == 0 {
        return;
    }
    // Kernels before 5.11: mark each open fd instead.
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else { return };
    let fds: Vec<i32> =
        fds.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).filter(|fd| *fd > 2).collect();
    for fd in fds {
        // SAFETY: F_GETFD/F_SETFD on an fd number only read or set its flag;
        // an fd closed meanwhile fails with EBADF, which is harmless.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn only_stdio_inherits() {}

impl Drop for Process {
    fn drop(&mut self) {
        // An invocation abandoned half way: kill the group and reap the
        // leader so neither a process nor a zombie is left behind.
        if self.group.is_some() {
            self.signal(Signal::Kill);
            self.group = None;
            let _ = self.child.wait();
        }
    }
}

#[cfg(unix)]
fn exit_of(status: ExitStatus) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Code(code),
        (None, Some(sig)) => Exit::Signal(sig),
        (None, None) => Exit::Code(-1),
    }
}

#[cfg(not(unix))]
fn exit_of(status: ExitStatus) -> Exit {
    Exit::Code(status.code().unwrap_or(-1))
}
