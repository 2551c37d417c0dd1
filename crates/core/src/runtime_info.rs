//! `runtimes()`: each registered runtime, whether it is installed, where it
//! was found or looked for (`resolve.rs`), and its version (asked once per
//! program, then cached).

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use crate::env::EnvMap;
use crate::process::{oneshot, Spec};
use crate::registry::{Launch, Registry, RuntimeDef};
use crate::resolve::{find, Places};

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeInfo {
    pub name: String,
    pub command: String,
    pub args: Vec<String>,
    pub extensions: Vec<String>,
    pub available: bool,
    pub path: Option<PathBuf>,
    pub version: Option<String>,
    pub install_hint: String,
    /// `PATH`, a `node_modules/.bin` folder, …; null when not found.
    pub found_in: Option<String>,
    /// The version-manager shim `path` was resolved from (pyenv, asdf).
    pub shim: Option<PathBuf>,
    /// Where it was looked for, when not found.
    pub looked_in: Vec<String>,
}

static VERSIONS: Mutex<Option<HashMap<PathBuf, Option<String>>>> = Mutex::new(None);

/// `host`: the host environment (a shim is asked with it).
pub async fn describe_all(registry: &Registry, places: &Places<'_>, host: &EnvMap) -> Vec<RuntimeInfo> {
    let mut out = Vec::new();
    for def in registry.all() {
        out.push(describe(def, places, host).await);
    }
    out
}

async fn describe(def: &RuntimeDef, places: &Places<'_>, host: &EnvMap) -> RuntimeInfo {
    let mut info = RuntimeInfo {
        name: def.name.clone(),
        command: def.programs.first().cloned().unwrap_or_default(),
        args: def.args.clone(),
        extensions: def.extensions.clone(),
        available: def.launch == Launch::Binary,
        path: None,
        version: None,
        install_hint: def.install_hint.clone(),
        found_in: None,
        shim: None,
        looked_in: Vec::new(),
    };
    if def.launch == Launch::Binary {
        return info;
    }
    match find(def, places, host).await {
        Ok(found) => {
            info.available = true;
            info.version = version_of(&found.program, &def.version_args, host).await;
            info.path = Some(found.program);
            info.found_in = Some(found.found_in);
            info.shim = found.shim;
        }
        Err(not_found) => info.looked_in = not_found.looked_in,
    }
    info
}

/// The version a runtime program reports (`version_args` of its runtime
/// definition), asked once per program: the one version cache, shared by
/// `runtimes()` and the Go build cache key.
pub(crate) async fn version_of(program: &Path, version_args: &[String], host: &EnvMap) -> Option<String> {
    if let Some(v) = VERSIONS.lock().unwrap().get_or_insert_with(HashMap::new).get(program) {
        return v.clone();
    }
    let args: Vec<OsString> = version_args.iter().map(OsString::from).collect();
    let env: Vec<(OsString, OsString)> =
        ["PATH", "HOME"].iter().filter_map(|k| Some((OsString::from(k), host.get(OsStr::new(k))?.clone()))).collect();
    let cwd = std::env::temp_dir();
    let spec = Spec { program, args: &args, cwd: &cwd, env: &env };
    let never = tokio_util::sync::CancellationToken::new();
    let version = match oneshot::run(&spec, Duration::from_secs(10), Duration::from_millis(100), &never).await {
        Ok(done) if done.success() => parse_version(&done.output),
        _ => None,
    };
    VERSIONS.lock().unwrap().get_or_insert_with(HashMap::new).insert(program.to_path_buf(), version.clone());
    version
}

/// The first version-looking token of the first line: `deno 2.9.6 (…)` →
/// `2.9.6`, `v20.20.2` → `20.20.2`, `go version go1.26.8 linux/amd64` → `1.26.8`.
pub fn parse_version(text: &str) -> Option<String> {
    let line = text.lines().find(|l| !l.trim().is_empty())?;
    line.split_whitespace()
        .map(|tok| tok.trim_start_matches(|c: char| !c.is_ascii_digit()))
        .find(|tok| tok.contains('.') && tok.starts_with(|c: char| c.is_ascii_digit()))
        .map(|tok| tok.trim_end_matches([',', ')']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_parsed_from_each_runtime_banner() {
        for (banner, want) in [
            ("deno 2.9.6 (stable, release, x86_64-unknown-linux-gnu)\nv8 15.0", "2.9.6"),
            ("v20.20.2\n", "20.20.2"),
            ("1.4.5\n", "1.4.5"),
            ("Python 3.11.7\n", "3.11.7"),
            ("go version go1.26.8 linux/amd64\n", "1.26.8"),
            ("ruby 3.1.2p20 (2022-04-12 revision 4491bb740a) [x86_64-linux-gnu]", "3.1.2p20"),
        ] {
            assert_eq!(parse_version(banner).as_deref(), Some(want), "{banner}");
        }
        assert_eq!(parse_version("no digits here"), None);
    }

    #[tokio::test]
    async fn sh_like_runtime_is_found_with_path() {
        let reg = Registry::with_defaults();
        let host = crate::env::snapshot();
        let dir = std::env::temp_dir();
        let places = Places::new(host.get(OsStr::new("PATH")).map(OsString::as_os_str), &dir, None);
        let infos = describe_all(&reg, &places, &host).await;
        assert_eq!(infos.len(), 7);
        let binary = infos.iter().find(|i| i.name == "binary").unwrap();
        assert!(binary.available);
        let python = infos.iter().find(|i| i.name == "python").unwrap();
        if python.available {
            assert!(python.path.as_ref().unwrap().is_absolute());
            assert!(python.version.as_deref().unwrap().starts_with('3'), "{:?}", python.version);
        }
    }
}
