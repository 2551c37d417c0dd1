//! From the host's and the manifest's policies to the rules one call runs
//! under (CONTRACT §11): readable = what both allow, network = the
//! stricter, writable = the call's own temp dir plus the `write` paths the
//! host allows. Paths are resolved against the function's directory.

use std::path::{Path, PathBuf};

use super::policy::{Network, SandboxPolicy};

/// Always readable besides the function's directory and its program: what
/// any dynamically linked interpreter needs to start at all.
const SYSTEM_READ: &[&str] = &[
    "/lib",
    "/lib64",
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/etc/ld.so.cache",
    "/dev/urandom",
    "/dev/random",
    "/dev/zero",
];

/// What one sandboxed call may do. Paths are absolute; the ones that do not
/// exist are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub read: Vec<PathBuf>,
    pub write: Vec<PathBuf>,
    pub network: Network,
}

/// The effective policy of a function, and the `write` paths it drops
/// (each with why: outside what the host allows, or missing). `None`: neither side asks for a sandbox.
pub fn effective(
    host: Option<&SandboxPolicy>,
    own: Option<&SandboxPolicy>,
    dir: &Path,
) -> Option<(SandboxPolicy, Vec<String>)> {
    let policy = match (host, own) {
        (None, None) => return None,
        (Some(p), None) | (None, Some(p)) => p.clone(),
        (Some(h), Some(o)) => SandboxPolicy {
            read: intersect(&resolve_all(&h.read, dir), &resolve_all(&o.read, dir)),
            write: h.write.clone(),
            network: h.network.stricter(&o.network),
        },
    };
    let mut dropped = Vec::new();
    let mut write: Vec<String> = resolve_all(&policy.write, dir).iter().map(|p| p.to_string_lossy().into()).collect();
    if let (Some(host), Some(own)) = (host, own) {
        let allowed: Vec<PathBuf> = std::iter::once(real(dir)).chain(resolve_all(&host.write, dir)).collect();
        for path in resolve_all(&own.write, dir) {
            match allowed.iter().any(|a| path.starts_with(a)) {
                true => write.push(path.to_string_lossy().into()),
                false => dropped.push(format!(
                    "sandbox.write: {} is outside the function's directory and the runtime's write paths: dropped",
                    path.display()
                )),
            }
        }
    }
    let from_host = host.map(|h| resolve_all(&h.write, dir)).unwrap_or_default();
    write.retain(|p| {
        let exists = Path::new(p).exists();
        if !exists {
            let field = if from_host.iter().any(|h| h == Path::new(p)) {
                "RuntimeOptions.sandbox.write"
            } else {
                "sandbox.write"
            };
            dropped.push(format!("{field}: {p} does not exist: skipped"));
        }
        exists
    });
    Some((SandboxPolicy { write, ..policy }, dropped))
}

impl Rules {
    /// The rules of one call: `policy` (from [`effective`]), plus the
    /// function's directory and `program` readable, and `temp` writable.
    pub fn for_call(policy: &SandboxPolicy, dir: &Path, program: &Path, temp: &Path) -> Rules {
        let mut read = resolve_all(&policy.read, dir);
        read.push(real(dir));
        read.extend([program.to_path_buf(), real(program)]);
        read.extend(shebang_interpreter(program));
        read.extend(system_read().iter().cloned());
        let mut write: Vec<PathBuf> = policy.write.iter().map(PathBuf::from).collect();
        write.extend([temp.to_path_buf(), PathBuf::from("/dev/null")]);
        for list in [&mut read, &mut write] {
            list.retain(|p| p.exists());
            list.sort();
            list.dedup();
        }
        Rules { read, write, network: policy.network.clone() }
    }
}

/// [`SYSTEM_READ`] as it exists on this machine, looked up once.
fn system_read() -> &'static [PathBuf] {
    static PATHS: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();
    PATHS.get_or_init(|| SYSTEM_READ.iter().map(PathBuf::from).filter(|p| p.exists()).collect())
}

fn real(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn resolve_all(paths: &[String], dir: &Path) -> Vec<PathBuf> {
    paths.iter().map(|p| real(&dir.join(p))).collect()
}

/// Subtrees both lists allow: for each pair, the deeper of the two when
/// one contains the other.
fn intersect(a: &[PathBuf], b: &[PathBuf]) -> Vec<String> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let inner = if x.starts_with(y) { Some(x) } else { y.starts_with(x).then_some(y) };
            if let Some(p) = inner.map(|p| p.to_string_lossy().into_owned()) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// `#!/bin/sh` → `/bin/sh`: a script's interpreter must be readable too.
fn shebang_interpreter(program: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(program).ok()?.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?.split(|&b| b == b'\n').next()?;
    let interpreter = std::str::from_utf8(line).ok()?.split_whitespace().next()?;
    Some(real(Path::new(interpreter)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(read: &[&str], write: &[&str], network: Network) -> SandboxPolicy {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        SandboxPolicy { read: strings(read), write: strings(write), network }
    }

    #[test]
    fn a_manifest_only_tightens_the_host_policy() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = real(tmp.path());
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let host = policy(&["/usr", "/etc"], &[], Network::Ports(vec![443]));
        let own = policy(&["/", "/usr/share"], &["data", "/etc", "missing"], Network::Allowed);
        let (p, dropped) = effective(Some(&host), Some(&own), &dir).unwrap();
        assert_eq!(p.read, ["/usr", "/usr/share", "/etc"].map(|s| real(Path::new(s)).to_string_lossy().into_owned()));
        assert_eq!(p.write, [dir.join("data").to_string_lossy()]);
        assert_eq!(p.network, Network::Ports(vec![443]));
        assert_eq!(dropped.len(), 2, "{dropped:?}");
        assert!(dropped[0].contains("/etc") && dropped[1].contains("missing"), "{dropped:?}");
    }

    #[test]
    fn no_policy_on_either_side_is_no_sandbox() {
        assert!(effective(None, None, Path::new("/tmp")).is_none());
        let (p, _) = effective(None, Some(&SandboxPolicy::default()), Path::new("/tmp")).unwrap();
        assert_eq!(p, SandboxPolicy::default());
    }
}
