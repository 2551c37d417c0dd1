//! Build steps (manifest `build`) and the Go compile cache: run before an
//! invocation when the artifact is stale, one build at a time per function
//! (concurrent invocations wait for and share it), killed like a function
//! if it runs past its timeout.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::function::FunctionDef;
use crate::manifest::BuildConfig;
use crate::outcome::{Code, ErrorInfo};
use crate::process::oneshot::{self, Completed};
use crate::process::Spec;
use crate::registry::find_program;

pub const BUILD_TIMEOUT: Duration = Duration::from_secs(300);
/// Where generated artifacts live; ignored by discovery, staleness and watch.
pub const CACHE_DIR: &str = ".alyx";
/// Directories never treated as build sources.
pub const IGNORED_DIRS: &[&str] = &[".git", "node_modules", "__pycache__", CACHE_DIR];

/// What a build did, for `build` watch events and BUILD_FAILED details.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BuildReport {
    pub success: bool,
    pub duration_ms: u64,
    pub output: String,
}

#[derive(Debug, Default)]
pub struct Builds {
    locks: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
}

impl Builds {
    fn lock_for(&self, dir: &Path) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(self.locks.lock().unwrap().entry(dir.to_path_buf()).or_default())
    }

    /// Runs the manifest build when `output` is missing or older than a
    /// watched source. `Ok(None)`: nothing to do.
    pub async fn ensure_built(
        &self,
        def: &FunctionDef,
        env: &[(OsString, OsString)],
        grace: Duration,
    ) -> Result<Option<BuildReport>, ErrorInfo> {
        let Some(build) = def.build() else {
            return Ok(None);
        };
        let lock = self.lock_for(&def.dir);
        let _one_at_a_time = lock.lock().await;
        if !is_stale(&def.dir, build) {
            return Ok(None);
        }
        let report = run_build(&def.dir, build, env, grace).await;
        if report.success && !def.entry.is_file() {
            return Err(build_failed(
                format!("build succeeded but its output {} does not exist", def.entry.display()),
                &report,
            ));
        }
        if !report.success {
            return Err(build_failed(format!("build of \"{}\" failed", def.name), &report));
        }
        Ok(Some(report))
    }

    /// The Go function's compiled binary, built when its sources (or the Go
    /// version) changed. Returns the binary and the build, if one ran.
    pub async fn go_binary(
        &self,
        def: &FunctionDef,
        go: &Path,
        env: &[(OsString, OsString)],
        grace: Duration,
    ) -> Result<(PathBuf, Option<BuildReport>), ErrorInfo> {
        let version = go_version(go, &def.dir, env).await;
        let key = crate::gocache::source_key(&def.dir, &version)
            .map_err(|e| ErrorInfo::new(Code::BuildFailed, format!("cannot read Go sources: {e}")))?;
        let binary = crate::gocache::binary_path(&def.dir, &key);
        if binary.is_file() {
            return Ok((binary, None));
        }
        let lock = self.lock_for(&def.dir);
        let _one_at_a_time = lock.lock().await;
        if binary.is_file() {
            return Ok((binary, None));
        }
        let report = crate::gocache::compile(def, go, &binary, env, grace).await?;
        if !report.success {
            return Err(build_failed(format!("go build of \"{}\" failed", def.name), &report));
        }
        Ok((binary, Some(report)))
    }
}

fn build_failed(message: String, report: &BuildReport) -> ErrorInfo {
    let details = serde_json::Map::from_iter([
        ("output".to_string(), report.output.clone().into()),
        ("durationMs".to_string(), report.duration_ms.into()),
    ]);
    ErrorInfo::new(Code::BuildFailed, message).with_details(details)
}

/// Runs a command in `dir` under the build timeout, reporting its outcome.
pub async fn run_command(
    dir: &Path,
    program: &str,
    args: &[String],
    env: &[(OsString, OsString)],
    grace: Duration,
) -> BuildReport {
    let started = Instant::now();
    let finish = |success: bool, output: String| BuildReport {
        success,
        duration_ms: started.elapsed().as_millis() as u64,
        output,
    };
    let path = env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.clone());
    let Some(program_path) =
        find_program(program, path).or_else(|| find_program(&dir.join(program).to_string_lossy(), None))
    else {
        return finish(false, format!("build command `{program}` was not found on PATH"));
    };
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let spec = Spec { program: &program_path, args: &args, cwd: dir, env };
    match oneshot::run(&spec, BUILD_TIMEOUT, grace).await {
        Ok(done) => {
            let success = done.success();
            finish(success, describe(done))
        }
        Err(e) => finish(false, format!("could not start `{program}`: {e}")),
    }
}

fn describe(done: Completed) -> String {
    if done.timed_out {
        format!("{}\n[alyx] build timed out after {} s and was killed", done.output, BUILD_TIMEOUT.as_secs())
    } else {
        done.output
    }
}

async fn run_build(dir: &Path, build: &BuildConfig, env: &[(OsString, OsString)], grace: Duration) -> BuildReport {
    run_command(dir, &build.command, &build.args, env, grace).await
}

async fn go_version(go: &Path, dir: &Path, env: &[(OsString, OsString)]) -> String {
    static VERSIONS: Mutex<Option<HashMap<PathBuf, String>>> = Mutex::new(None);
    if let Some(v) = VERSIONS.lock().unwrap().get_or_insert_with(HashMap::new).get(go) {
        return v.clone();
    }
    let args = [OsString::from("env"), OsString::from("GOVERSION")];
    let spec = Spec { program: go, args: &args, cwd: dir, env };
    let version = match oneshot::run(&spec, Duration::from_secs(30), Duration::from_millis(100)).await {
        Ok(done) if done.success() => done.output.trim().to_string(),
        _ => "unknown".to_string(),
    };
    VERSIONS.lock().unwrap().get_or_insert_with(HashMap::new).insert(go.to_path_buf(), version.clone());
    version
}

/// True when `output` is missing or older than any watched source.
pub fn is_stale(dir: &Path, build: &BuildConfig) -> bool {
    let output = dir.join(&build.output);
    let Ok(built) = output.metadata().and_then(|m| m.modified()) else {
        return true;
    };
    let matcher = watch_matcher(&build.watch);
    newest_source(dir, dir, &output, matcher.as_ref()).is_some_and(|newest| newest > built)
}

fn watch_matcher(globs: &[String]) -> Option<globset::GlobSet> {
    if globs.is_empty() {
        return None;
    }
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        if let Ok(glob) = globset::Glob::new(g) {
            b.add(glob);
        }
    }
    b.build().ok()
}

/// Whether a path inside a function directory is a build source: matched by
/// the watch globs, or (without globs) anything but the output.
pub fn is_source(rel: &Path, output_rel: &Path, matcher: Option<&globset::GlobSet>) -> bool {
    if rel.starts_with(output_rel) {
        return false;
    }
    match matcher {
        Some(m) => m.is_match(rel),
        None => true,
    }
}

fn newest_source(root: &Path, dir: &Path, output: &Path, matcher: Option<&globset::GlobSet>) -> Option<SystemTime> {
    let output_rel = output.strip_prefix(root).unwrap_or(output);
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if IGNORED_DIRS.iter().any(|d| name == *d) || path == output {
                continue;
            }
            newest = newest.max(newest_source(root, &path, output, matcher));
        } else if ft.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            if is_source(rel, output_rel, matcher) {
                newest = newest.max(entry.metadata().and_then(|m| m.modified()).ok());
            }
        }
    }
    newest
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn build(output: &str, watch: &[&str]) -> BuildConfig {
        BuildConfig {
            command: "sh".into(),
            args: vec![],
            output: output.into(),
            watch: watch.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn set_mtime(path: &Path, secs_ago: u64) {
        let t = SystemTime::now() - Duration::from_secs(secs_ago);
        fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
    }

    #[test]
    fn staleness_follows_output_and_sources() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        fs::write(d.join("src.ts"), "").unwrap();
        fs::write(d.join("notes.md"), "").unwrap();
        assert!(is_stale(d, &build("dist/out.js", &[])), "missing output");
        fs::create_dir(d.join("dist")).unwrap();
        fs::write(d.join("dist/out.js"), "").unwrap();
        set_mtime(&d.join("src.ts"), 100);
        set_mtime(&d.join("notes.md"), 100);
        assert!(!is_stale(d, &build("dist/out.js", &[])));
        set_mtime(&d.join("dist/out.js"), 200);
        assert!(is_stale(d, &build("dist/out.js", &[])), "a source is newer");
        assert!(!is_stale(d, &build("dist/out.js", &["*.go"])), "no watched source is newer");
        assert!(is_stale(d, &build("dist/out.js", &["*.ts"])));
        fs::create_dir(d.join(".alyx")).unwrap();
        fs::write(d.join(".alyx/junk"), "").unwrap();
        set_mtime(&d.join("src.ts"), 300);
        set_mtime(&d.join("notes.md"), 300);
        assert!(!is_stale(d, &build("dist/out.js", &[])), ".alyx is never a source");
    }
}
