//! Whether a warm process has exited, asked of the kernel without reaping
//! it (a standby process is handed its request only if it still lives).

/// Whether `pid` (our child) has exited or is exiting, without reaping it.
/// A killed process whose leader thread is already a zombie while its other
/// threads still exit is not waitable yet: /proc shows it (`Z`).
#[cfg(unix)]
pub(super) fn exited_unreaped(pid: i32) -> bool {
    // SAFETY: waitid writes only into `info`, a zeroed siginfo_t we own;
    // WNOWAIT leaves the child unreaped and WNOHANG never blocks.
    let exited = unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) == 0 && info.si_pid() != 0
    };
    exited || leader_zombie(pid)
}

#[cfg(target_os = "linux")]
fn leader_zombie(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    let state = stat.rfind(')').and_then(|i| stat[i + 1..].split_ascii_whitespace().next());
    matches!(state, Some("Z" | "X"))
}

#[cfg(all(unix, not(target_os = "linux")))]
fn leader_zombie(_pid: i32) -> bool {
    false
}

#[cfg(not(unix))]
pub(super) fn exited_unreaped(_pid: i32) -> bool {
    false
}
