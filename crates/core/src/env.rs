//! The function's environment (CONTRACT §6): cleared, then rebuilt from an
//! allowlist of host variables and the layers the caller gives.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};

use serde::Deserialize;

/// Host variables every function gets by default.
#[cfg(not(windows))]
pub const HOST_ALLOWLIST: &[&str] = &["PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR"];
#[cfg(windows)]
pub const HOST_ALLOWLIST: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "SystemRoot",
    "PATHEXT",
    "ComSpec",
    "TEMP",
    "TMP",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
];

/// Which host variables pass through (`inheritEnv`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum InheritEnv {
    /// `true`: everything; `false`: nothing at all.
    All(bool),
    /// Exactly these names.
    Names(Vec<String>),
    /// The allowlist plus the runtime's own variables.
    #[default]
    #[serde(skip)]
    Allowlist,
}

pub type EnvMap = BTreeMap<OsString, OsString>;

/// The host environment, read once. Take it on the host's own thread (the
/// JS thread): reading `environ` from a worker while the host's code calls
/// setenv (Node's `process.env.X = …`) is a data race in libc.
pub fn snapshot() -> EnvMap {
    std::env::vars_os().collect()
}

/// A fingerprint of the process environment that changes whenever a
/// variable is set, changed or removed: the addresses of its entries.
/// `setenv`/`unsetenv` (what `process.env` uses) replace entries and never
/// edit one in place, and glibc never frees an entry, so a change always
/// moves an address. Reading it costs ~50 ns where a snapshot costs ~5 µs
/// of the JS thread's time per call (BENCHMARKS.md, "JS-thread CPU").
#[cfg(all(unix, not(target_os = "macos")))]
pub fn fingerprint() -> Option<u64> {
    use std::hash::{Hash, Hasher};
    extern "C" {
        static environ: *const *const libc::c_char;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    // SAFETY: `environ` is the C library's NULL-terminated array of entry
    // pointers; it is read on the host thread, the one that changes it, and
    // only the pointer values are read (never the strings).
    unsafe {
        let mut entry = environ;
        (entry as usize).hash(&mut h);
        while !entry.is_null() && !(*entry).is_null() {
            (*entry as usize).hash(&mut h);
            entry = entry.add(1);
        }
    }
    Some(h.finish())
}

/// Elsewhere there is no cheap fingerprint: every call takes a snapshot.
#[cfg(not(all(unix, not(target_os = "macos"))))]
pub fn fingerprint() -> Option<u64> {
    None
}

/// A variable of a snapshot, as text.
pub fn lookup(env: &EnvMap, key: &str) -> Option<String> {
    env.get(OsStr::new(key)).map(|v| v.to_string_lossy().into_owned())
}

/// Host variables to pass through, before any layer is applied.
pub fn host_layer(
    inherit: &InheritEnv,
    runtime_vars: &[String],
    host: impl Iterator<Item = (OsString, OsString)>,
) -> EnvMap {
    let host: Vec<_> = host.collect();
    let wanted = |name: &OsStr| -> bool {
        match inherit {
            InheritEnv::All(all) => *all,
            InheritEnv::Names(names) => names.iter().any(|n| same_name(OsStr::new(n), name)),
            InheritEnv::Allowlist => {
                HOST_ALLOWLIST.iter().any(|n| same_name(OsStr::new(n), name))
                    || runtime_vars.iter().any(|n| same_name(OsStr::new(n), name))
            }
        }
    };
    host.into_iter().filter(|(k, _)| wanted(k)).collect()
}

#[cfg(windows)]
fn same_name(a: &OsStr, b: &OsStr) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(not(windows))]
fn same_name(a: &OsStr, b: &OsStr) -> bool {
    a == b
}

/// Applies string layers in order: later layers win.
pub fn apply<'a, I>(env: &mut EnvMap, layer: I)
where
    I: IntoIterator<Item = (&'a String, &'a String)>,
{
    for (k, v) in layer {
        env.insert(OsString::from(k), OsString::from(v));
    }
}

/// Appends `dir` to a search-path variable (`PYTHONPATH`, `RUBYLIB`), after
/// whatever it already holds, so earlier entries keep winning.
pub fn append_path(env: &mut EnvMap, var: &str, dir: &std::path::Path) {
    let current = env.get(OsStr::new(var)).filter(|v| !v.is_empty());
    let paths = current.into_iter().flat_map(std::env::split_paths).chain([dir.to_path_buf()]);
    if let Ok(joined) = std::env::join_paths(paths) {
        env.insert(var.into(), joined);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Vec<(OsString, OsString)> {
        [("PATH", "/bin"), ("HOME", "/root"), ("SECRET", "s"), ("GOCACHE", "/c"), ("NODE_OPTIONS", "x")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect()
    }

    fn keys(m: &EnvMap) -> Vec<String> {
        m.keys().map(|k| k.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn default_is_allowlist_plus_runtime_vars() {
        let m = host_layer(&InheritEnv::Allowlist, &["GOCACHE".into()], host().into_iter());
        assert_eq!(keys(&m), ["GOCACHE", "HOME", "PATH"]);
        let m = host_layer(&InheritEnv::Allowlist, &[], host().into_iter());
        assert_eq!(keys(&m), ["HOME", "PATH"]);
    }

    #[test]
    fn inherit_all_none_and_names() {
        assert_eq!(host_layer(&InheritEnv::All(true), &[], host().into_iter()).len(), 5);
        assert!(host_layer(&InheritEnv::All(false), &["GOCACHE".into()], host().into_iter()).is_empty());
        let m = host_layer(&InheritEnv::Names(vec!["SECRET".into()]), &[], host().into_iter());
        assert_eq!(keys(&m), ["SECRET"]);
    }

    #[test]
    fn inherit_env_deserialises_from_js_forms() {
        assert_eq!(serde_json::from_str::<InheritEnv>("true").unwrap(), InheritEnv::All(true));
        assert_eq!(serde_json::from_str::<InheritEnv>("[\"A\"]").unwrap(), InheritEnv::Names(vec!["A".into()]));
    }

    #[test]
    fn later_layers_win() {
        let mut m = host_layer(&InheritEnv::Allowlist, &[], host().into_iter());
        let a = BTreeMap::from([("HOME".to_string(), "/a".to_string()), ("X".to_string(), "1".to_string())]);
        let b = BTreeMap::from([("X".to_string(), "2".to_string())]);
        apply(&mut m, &a);
        apply(&mut m, &b);
        assert_eq!(m[OsStr::new("HOME")], "/a");
        assert_eq!(m[OsStr::new("X")], "2");
    }

    #[test]
    fn append_path_keeps_earlier_entries_first() {
        let mut m = EnvMap::new();
        append_path(&mut m, "PYTHONPATH", std::path::Path::new("/sdk"));
        assert_eq!(m[OsStr::new("PYTHONPATH")], "/sdk");
        m.insert("RUBYLIB".into(), "/mine".into());
        append_path(&mut m, "RUBYLIB", std::path::Path::new("/sdk"));
        assert_eq!(m[OsStr::new("RUBYLIB")], "/mine:/sdk");
    }
}
