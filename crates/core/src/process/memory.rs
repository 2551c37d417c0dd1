//! Resident memory of a function's process tree, for the manifest `memory`
//! limit. Linux reads /proc; elsewhere there is no measurement (and so no
//! enforcement beyond the runtimes' own hints).

/// Sum of RSS over `pid` and all its descendants, in bytes.
#[cfg(target_os = "linux")]
pub fn tree_rss(pid: i32) -> Option<u64> {
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    let mut total = 0u64;
    let mut stack = vec![pid];
    let mut seen = 0usize;
    while let Some(p) = stack.pop() {
        seen += 1;
        if seen > 4096 {
            break; // a fork bomb: what we counted already decides
        }
        let Ok(statm) = std::fs::read_to_string(format!("/proc/{p}/statm")) else { continue };
        let resident: u64 = statm.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        total += resident * page;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else { continue };
        for task in tasks.flatten() {
            if let Ok(children) = std::fs::read_to_string(task.path().join("children")) {
                stack.extend(children.split_whitespace().filter_map(|c| c.parse::<i32>().ok()));
            }
        }
    }
    (seen > 0 && total > 0).then_some(total)
}

#[cfg(not(target_os = "linux"))]
pub fn tree_rss(_pid: i32) -> Option<u64> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn measures_this_process() {
        let rss = super::tree_rss(std::process::id() as i32).unwrap();
        assert!(rss > 1024 * 1024, "{rss}");
    }

    #[test]
    fn includes_children() {
        let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        let me = std::process::id() as i32;
        let with_child = super::tree_rss(me).unwrap();
        let child_rss = super::tree_rss(child.id() as i32).unwrap();
        assert!(with_child >= child_rss);
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
