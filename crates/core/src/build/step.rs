//! A manifest `build` step: when it is stale, and running a build command
//! under supervision (`process::oneshot`), reporting its output.

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::walk;
use crate::manifest::BuildConfig;
use crate::process::oneshot::{self, Completed};
use crate::process::Spec;
use crate::registry::find_program;

/// What a build did, for `build` watch events, `build()` and BUILD_FAILED details.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BuildReport {
    pub success: bool,
    pub duration_ms: u64,
    pub output: String,
}

impl BuildReport {
    /// Nothing needed building.
    pub fn skipped() -> Self {
        BuildReport { success: true, duration_ms: 0, output: String::new() }
    }

    /// A failed build from its BUILD_FAILED error (details: output, durationMs).
    pub fn from_error(e: &crate::outcome::ErrorInfo) -> Self {
        let detail = |k: &str| e.details.as_ref().and_then(|d| d.get(k));
        BuildReport {
            success: false,
            duration_ms: detail("durationMs").and_then(|v| v.as_u64()).unwrap_or(0),
            output: detail("output").and_then(|v| v.as_str()).map_or_else(|| e.message.clone(), str::to_string),
        }
    }
}

/// How one build command runs: its environment and its bounds.
pub(crate) struct Run<'a> {
    pub env: &'a [(OsString, OsString)],
    pub timeout: Duration,
    pub grace: Duration,
    pub cancel: &'a CancellationToken,
}

/// Runs a command in `dir`, reporting its outcome.
pub(crate) async fn run_command(dir: &Path, program: &str, args: &[String], run: &Run<'_>) -> BuildReport {
    let started = Instant::now();
    let finish = |success: bool, output: String| BuildReport {
        success,
        duration_ms: started.elapsed().as_millis() as u64,
        output,
    };
    let path = run.env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.clone());
    let Some(program_path) =
        find_program(program, path).or_else(|| find_program(&dir.join(program).to_string_lossy(), None))
    else {
        return finish(false, format!("build command `{program}` was not found on PATH"));
    };
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let spec = Spec { program: &program_path, args: &args, cwd: dir, env: run.env };
    match oneshot::run(&spec, run.timeout, run.grace, run.cancel).await {
        Ok(done) => finish(done.success(), describe(done, run.timeout)),
        Err(e) => finish(false, format!("could not start `{program}`: {e}")),
    }
}

fn describe(done: Completed, timeout: Duration) -> String {
    if done.timed_out {
        format!("{}\n[alyx] build timed out after {} ms and was killed", done.output, timeout.as_millis())
    } else if done.cancelled {
        format!("{}\n[alyx] build was stopped: the runtime closed", done.output)
    } else {
        done.output
    }
}

/// True when `output` is missing or older than any watched source.
pub(crate) fn is_stale(dir: &Path, build: &BuildConfig) -> bool {
    let output = dir.join(&build.output);
    let Ok(built) = output.metadata().and_then(|m| m.modified()) else {
        return true;
    };
    let matcher = watch_matcher(&build.watch);
    let output_rel = Path::new(&build.output);
    let mut newest: Option<SystemTime> = None;
    let _ = walk::files(dir, &|d| d == output, &mut |rel, entry| {
        if is_source(rel, output_rel, matcher.as_ref()) {
            newest = newest.max(entry.metadata().and_then(|m| m.modified()).ok());
        }
    });
    newest.is_some_and(|newest| newest > built)
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
fn is_source(rel: &Path, output_rel: &Path, matcher: Option<&globset::GlobSet>) -> bool {
    if rel.starts_with(output_rel) {
        return false;
    }
    match matcher {
        Some(m) => m.is_match(rel),
        None => true,
    }
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
            timeout: None,
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
