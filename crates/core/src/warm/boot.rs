//! When a standby process has booted (CONTRACT §10, docs/PROTOCOL.md
//! "Standby"): it is ready once it waits for its request, i.e. a thread of
//! it (or of a child it started) is blocked reading stdin: in `read(0, …)`,
//! or in an epoll wait whose set holds fd 0 (Node, Bun, anything on an
//! event loop). Stdin is any fd open on the same file as fd 0 (Deno reads a
//! duplicate of it). Linux tells us through `/proc/<pid>/task/<tid>/syscall`
//! (the syscall a blocked thread is in, with its arguments) and
//! `/proc/<pid>/fdinfo/<epfd>` (the fds an epoll set watches). Reading them
//! costs a few µs and never stops the process.

/// How many processes (the leader and its descendants) are looked at.
#[cfg(target_os = "linux")]
const MAX_PROCESSES: usize = 16;

/// `Some(true)` when `pid` (or a descendant) waits on its stdin, `Some(false)`
/// when it does not yet, `None` when this system cannot tell (no /proc, or
/// not allowed to read it): the caller then counts the process ready.
#[cfg(target_os = "linux")]
pub(crate) fn waits_on_stdin(pid: i32) -> Option<bool> {
    let mut queue = vec![pid];
    let mut seen = 0;
    let mut readable = false;
    while let Some(pid) = queue.pop() {
        seen += 1;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { continue };
        for task in tasks.flatten() {
            let dir = task.path();
            let Ok(syscall) = std::fs::read_to_string(dir.join("syscall")) else { continue };
            readable = true;
            if blocked_on_stdin(pid, &syscall) {
                return Some(true);
            }
            if let Ok(children) = std::fs::read_to_string(dir.join("children")) {
                queue.extend(children.split_ascii_whitespace().filter_map(|c| c.parse::<i32>().ok()));
            }
        }
        if seen >= MAX_PROCESSES {
            break;
        }
    }
    readable.then_some(false)
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn waits_on_stdin(_pid: i32) -> Option<bool> {
    None
}

/// `syscall` is a line of `/proc/<pid>/task/<tid>/syscall`: the syscall
/// number and its arguments in hex, `running`, or `-1 …` outside a syscall.
#[cfg(target_os = "linux")]
fn blocked_on_stdin(pid: i32, syscall: &str) -> bool {
    let mut fields = syscall.split_ascii_whitespace();
    let Some(Ok(number)) = fields.next().map(str::parse::<i64>) else { return false };
    let Some(first) = fields.next().and_then(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).ok()) else {
        return false;
    };
    if READS.contains(&number) {
        return is_stdin(pid, first);
    }
    EPOLL_WAITS.contains(&number) && epoll_watches_stdin(pid, first)
}

/// Whether `fd` of `pid` is its stdin: fd 0 or a duplicate (same pipe).
#[cfg(target_os = "linux")]
fn is_stdin(pid: i32, fd: u64) -> bool {
    if fd == 0 {
        return true;
    }
    let target = |fd: u64| std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok();
    target(fd).is_some_and(|t| Some(t) == target(0))
}

/// The epoll set `epfd` of `pid` watches fd 0 (`tfd:        0 events: …`).
#[cfg(target_os = "linux")]
fn epoll_watches_stdin(pid: i32, epfd: u64) -> bool {
    let Ok(info) = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{epfd}")) else { return false };
    info.lines()
        .filter_map(|l| l.strip_prefix("tfd:")?.split_ascii_whitespace().next()?.parse::<u64>().ok())
        .any(|fd| is_stdin(pid, fd))
}

#[cfg(target_os = "linux")]
const READS: [i64; 3] = [libc::SYS_read, libc::SYS_readv, libc::SYS_pread64];

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
const EPOLL_WAITS: [i64; 3] = [libc::SYS_epoll_wait, libc::SYS_epoll_pwait, libc::SYS_epoll_pwait2];

#[cfg(all(target_os = "linux", not(target_arch = "x86_64")))]
const EPOLL_WAITS: [i64; 2] = [libc::SYS_epoll_pwait, libc::SYS_epoll_pwait2];

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn syscall_lines_are_read_as_the_kernel_writes_them() {
        let read0 = format!("{} 0x0 0x55b6f526f770 0x2000 0x0 0x0 0x0 0x7ffe 0x7fd7", libc::SYS_read);
        let read3 = format!("{} 0x3 0x55b6f526f770 0x2000 0x0 0x0 0x0 0x7ffe 0x7fd7", libc::SYS_read);
        assert!(blocked_on_stdin(1, &read0));
        assert!(!blocked_on_stdin(i32::MAX, &read3), "no such process: fd 3 is not its stdin");
        assert!(!blocked_on_stdin(1, "running"));
        assert!(!blocked_on_stdin(1, "-1 0x7ffe 0x7fd7"));
    }

    #[test]
    fn a_child_blocked_reading_its_stdin_is_seen_and_a_busy_one_is_not() {
        use std::process::{Command, Stdio};
        let mut reader = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        // Deno's way: a thread reads a duplicate of fd 0.
        let dup = "exec 3<&0; exec python3 -c 'import os; os.read(3, 1)'";
        let mut dup_reader = Command::new("sh").args(["-c", dup]).stdin(Stdio::piped()).spawn().unwrap();
        let mut busy = Command::new("sh").args(["-c", "while :; do :; done"]).stdin(Stdio::piped()).spawn().unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while waits_on_stdin(reader.id() as i32) != Some(true) && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(waits_on_stdin(reader.id() as i32), Some(true));
        while waits_on_stdin(dup_reader.id() as i32) != Some(true) && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(waits_on_stdin(dup_reader.id() as i32), Some(true), "reading a duplicate of fd 0");
        assert_eq!(waits_on_stdin(busy.id() as i32), Some(false));
        for child in [&mut reader, &mut dup_reader, &mut busy] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
