//! Where a runtime's program is found (README "Runtimes: where they are
//! found"): a Python `.venv/` in the function's directory; a relative
//! `command` in the function's directory; a bare name on PATH, then in the
//! `node_modules/.bin` folders from functionsDir up to the root and from the
//! host's cwd up (where `npm i deno bun` puts them). A version-manager shim
//! (pyenv, asdf: a script that execs the real interpreter) is swapped for the
//! interpreter it runs, asked once, so calls do not pay for the shim.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::discovery::is_executable;
use crate::process::{oneshot, Spec};
use crate::registry::RuntimeDef;

/// Where to look.
pub struct Places<'a> {
    /// The host's PATH.
    pub path: Option<&'a OsStr>,
    pub functions_dir: &'a Path,
    /// The host's current directory, if it has one.
    pub cwd: Option<PathBuf>,
    /// The function's directory; `None` when describing runtimes in general.
    pub function_dir: Option<&'a Path>,
}

impl<'a> Places<'a> {
    pub fn new(path: Option<&'a OsStr>, functions_dir: &'a Path, function_dir: Option<&'a Path>) -> Self {
        Places { path, functions_dir, cwd: std::env::current_dir().ok(), function_dir }
    }

    /// `node_modules/.bin` of `functions_dir` and each parent, then of the
    /// cwd and each parent; each folder once.
    fn node_bins(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        let starts = [Some(self.functions_dir), self.cwd.as_deref()];
        for dir in starts.into_iter().flatten().flat_map(Path::ancestors) {
            let bin = dir.join("node_modules").join(".bin");
            if !dirs.contains(&bin) {
                dirs.push(bin);
            }
        }
        dirs
    }

    /// The places a bare name is looked for, as told to users.
    pub fn described(&self) -> Vec<String> {
        let mut out = vec!["PATH".to_string()];
        out.push(format!("node_modules/.bin from {} up to /", self.functions_dir.display()));
        if let Some(cwd) = self.cwd.as_deref().filter(|c| !self.functions_dir.starts_with(c)) {
            out.push(format!("node_modules/.bin from the cwd {} up", cwd.display()));
        }
        out
    }
}

/// A runtime's program as found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Absolute, so spawning takes the posix_spawn path.
    pub program: PathBuf,
    pub args: Vec<String>,
    /// `PATH`, a `node_modules/.bin` folder, a virtualenv, or a function directory.
    pub found_in: String,
    /// The version-manager shim `program` was resolved from.
    pub shim: Option<PathBuf>,
}

/// Not found: the RUNTIME_NOT_FOUND message, and where it was looked for.
#[derive(Debug, Clone, PartialEq)]
pub struct NotFound {
    pub message: String,
    pub looked_in: Vec<String>,
}

/// Finds `def`'s program (no shim resolution: see [`unshim`]).
pub fn locate(def: &RuntimeDef, places: &Places) -> Result<Found, NotFound> {
    let found = |program: PathBuf, found_in: String| Found { program, args: def.args.clone(), found_in, shim: None };
    if let Some(dir) = places.function_dir.filter(|_| def.programs.iter().all(|p| is_bare(p))) {
        for rel in &def.local_programs {
            let candidate = dir.join(rel);
            if is_executable(&candidate) {
                let env_dir = Path::new(rel).components().next().map(|c| dir.join(c)).unwrap_or(dir.to_path_buf());
                return Ok(found(candidate, env_dir.display().to_string()));
            }
        }
    }
    let mut looked_in = Vec::new();
    for program in &def.programs {
        if Path::new(program).is_absolute() {
            if let Ok(p) = which::which(program) {
                return Ok(found(p, "the configured path".into()));
            }
            looked_in.push(program.clone());
        } else if !is_bare(program) {
            let Some(dir) = places.function_dir else {
                looked_in.push(format!("each function's directory ({program})"));
                continue;
            };
            let candidate: PathBuf = dir.join(program).components().collect();
            if is_executable(&candidate) {
                return Ok(found(std::path::absolute(&candidate).unwrap_or(candidate), dir.display().to_string()));
            }
            looked_in.push(candidate.display().to_string());
        } else {
            let cwd = places.cwd.clone().unwrap_or_else(|| PathBuf::from("/"));
            if let Ok(p) = which::which_in(program, places.path, cwd) {
                return Ok(found(p, "PATH".into()));
            }
            for bin in places.node_bins() {
                if let Ok(p) = which::which_in(program, Some(&bin), &bin) {
                    return Ok(found(p, bin.display().to_string()));
                }
            }
            for place in places.described() {
                if !looked_in.contains(&place) {
                    looked_in.push(place);
                }
            }
        }
    }
    Err(NotFound { message: not_found_message(def, &looked_in), looked_in })
}

fn not_found_message(def: &RuntimeDef, looked_in: &[String]) -> String {
    format!(
        "runtime \"{}\" needs `{}`, which was not found (searched: {}). {}",
        def.name,
        def.programs.join("` or `"),
        looked_in.join(", "),
        def.install_hint
    )
}

/// A name with no directory part: looked up on PATH and in node_modules.
fn is_bare(program: &str) -> bool {
    Path::new(program).components().count() == 1 && !Path::new(program).is_absolute()
}

/// [`locate`], then [`unshim`] in the function's directory with its env.
pub async fn find(def: &RuntimeDef, places: &Places<'_>, env: &crate::env::EnvMap) -> Result<Found, NotFound> {
    let found = locate(def, places)?;
    let cwd = places.function_dir.map(Path::to_path_buf).or_else(|| places.cwd.clone()).unwrap_or_default();
    let env: Vec<(OsString, OsString)> = env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    Ok(unshim(found, def, &env, &cwd).await)
}

/// Real interpreters behind shims, per (shim, cwd, env): pyenv picks the
/// version from `.python-version` in the cwd and from `PYENV_VERSION`.
type ShimKey = (PathBuf, PathBuf, Vec<(OsString, OsString)>);
static UNSHIMMED: Mutex<Option<HashMap<ShimKey, Option<PathBuf>>>> = Mutex::new(None);

/// When `found` is a script (`#!…`) and the runtime knows how to ask its
/// interpreter for its own path (`sys.executable`), the interpreter the
/// script runs in `cwd` with `env`; asked once, then cached.
pub async fn unshim(mut found: Found, def: &RuntimeDef, env: &[(OsString, OsString)], cwd: &Path) -> Found {
    let Some(query) = def.real_path_query.as_ref().filter(|_| is_script(&found.program)) else {
        return found;
    };
    let key = (found.program.clone(), cwd.to_path_buf(), env.to_vec());
    let cached = UNSHIMMED.lock().unwrap().get_or_insert_with(HashMap::new).get(&key).cloned();
    let real = match cached {
        Some(real) => real,
        None => {
            let real = ask_real_path(&found.program, query, env, cwd).await;
            UNSHIMMED.lock().unwrap().get_or_insert_with(HashMap::new).insert(key, real.clone());
            real
        }
    };
    if let Some(real) = real {
        found.shim = Some(std::mem::replace(&mut found.program, real));
    }
    found
}

async fn ask_real_path(shim: &Path, query: &[String], env: &[(OsString, OsString)], cwd: &Path) -> Option<PathBuf> {
    let args: Vec<OsString> = query.iter().map(OsString::from).collect();
    let spec = Spec { program: shim, args: &args, cwd, env };
    let never = tokio_util::sync::CancellationToken::new();
    let done = oneshot::run(&spec, Duration::from_secs(10), Duration::from_millis(100), &never).await.ok()?;
    if !done.success() {
        return None;
    }
    let line = done.output.lines().rev().find(|l| !l.trim().is_empty())?;
    let real = PathBuf::from(line.trim());
    (real.is_absolute() && is_executable(&real) && !is_script(&real)).then_some(real)
}

/// A file that starts with `#!`: a script, not the interpreter itself.
fn is_script(path: &Path) -> bool {
    let mut head = [0u8; 2];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && &head == b"#!"
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
