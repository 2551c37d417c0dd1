//! Memory of a function, for the manifest `memory` limit (CONTRACT §14):
//! the proportional set size (PSS) summed over every process of the
//! function's process group and every descendant of its leader. PSS splits
//! shared pages between the processes that share them, so four forks of one
//! 80 MB heap count 80 MB, not 320 MB; and membership by group catches a
//! double-forked grandchild that was re-parented away from the leader.
//! Linux reads /proc; elsewhere there is no measurement (and so no
//! enforcement beyond the runtimes' own hints).

/// Bytes used by the function whose leader is `leader` (also its group id).
#[cfg(target_os = "linux")]
pub fn group_pss(leader: i32) -> Option<u64> {
    let members = linux::members(leader);
    let total: u64 = members.iter().filter_map(|&pid| linux::pss_bytes(pid)).sum();
    (total > 0).then_some(total)
}

#[cfg(not(target_os = "linux"))]
pub fn group_pss(_leader: i32) -> Option<u64> {
    None
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::{HashMap, HashSet};

    /// A fork bomb: what was counted already decides.
    const MAX_MEMBERS: usize = 4096;

    /// `(pid, ppid, pgrp)` of one process, from `/proc/<pid>/stat`.
    fn stat(pid: i32) -> Option<(i32, i32, i32)> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // comm may hold spaces and parens: the fields start after the last ')'.
        let rest = &text[text.rfind(')')? + 1..];
        let mut fields = rest.split_whitespace().skip(1); // state
        let ppid = fields.next()?.parse().ok()?;
        let pgrp = fields.next()?.parse().ok()?;
        Some((pid, ppid, pgrp))
    }

    /// The leader, the members of its group, and the leader's descendants
    /// (which may have left the group), from one pass over /proc.
    pub fn members(leader: i32) -> Vec<i32> {
        let Ok(dir) = std::fs::read_dir("/proc") else { return vec![leader] };
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        let mut found: HashSet<i32> = HashSet::from([leader]);
        for entry in dir.flatten() {
            let Some((pid, ppid, pgrp)) = entry.file_name().to_str().and_then(|n| n.parse().ok()).and_then(stat) else {
                continue;
            };
            if pgrp == leader {
                found.insert(pid);
            }
            children.entry(ppid).or_default().push(pid);
        }
        let mut stack: Vec<i32> = found.iter().copied().collect();
        while let Some(pid) = stack.pop() {
            if found.len() >= MAX_MEMBERS {
                break;
            }
            for &child in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
                if found.insert(child) {
                    stack.push(child);
                }
            }
        }
        found.into_iter().collect()
    }

    /// PSS from `smaps_rollup` (Linux ≥ 4.14), else resident pages.
    pub fn pss_bytes(pid: i32) -> Option<u64> {
        if let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) {
            let kb = rollup.lines().find_map(|l| l.strip_prefix("Pss:"))?;
            return kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok().map(|kb| kb * 1024);
        }
        let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        // SAFETY: sysconf only reads a system constant.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
        Some(pages * page)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::process::Command;
    use std::time::Duration;

    fn sh(script: &str) -> std::process::Child {
        use std::os::unix::process::CommandExt;
        Command::new("/bin/sh").args(["-c", script]).process_group(0).spawn().unwrap()
    }

    #[test]
    fn measures_this_process() {
        let pss = super::group_pss(std::process::id() as i32).unwrap();
        assert!(pss > 1024 * 1024, "{pss}");
    }

    #[test]
    fn counts_a_double_forked_grandchild_that_stays_in_the_group() {
        // The middle shell exits at once, so `sleep` is re-parented to init
        // (or a subreaper) but keeps the group id of the leader.
        let mut leader = sh("(sleep 30 & exit 0); sleep 30");
        let pgid = leader.id() as i32;
        std::thread::sleep(Duration::from_millis(300));
        let members = super::linux::members(pgid);
        let sleeps = members
            .iter()
            .filter(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "sleep"))
            .count();
        // SAFETY: kill only sends a signal to the test's own group.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        leader.wait().unwrap();
        assert_eq!(sleeps, 2, "both sleeps counted: {members:?}");
    }
}
