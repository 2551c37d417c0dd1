//! Builds (CONTRACT §6): a manifest `build` step (`step.rs`) or a Go
//! compile (`go.rs`), run before a call when the artifact is stale. One
//! build per function at a time (single flight): concurrent callers share
//! it, and it runs on its own task so it outlives a caller that gave up
//! (the caller's own deadline or abort ends only its wait). Bounded by
//! `build.timeout`; `close()` stops every build.

pub(crate) mod go;
pub(crate) mod step;
pub(crate) mod walk;

use std::collections::HashMap;
use std::ffi::OsString;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::env::EnvMap;
use crate::function::FunctionDef;
use crate::outcome::{Code, ErrorInfo};
use crate::registry::RuntimeDef;
pub use step::BuildReport;
use step::Run;

/// `build.timeout` when the manifest does not say.
pub(crate) const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(600);

type Outcome = Result<Option<BuildReport>, ErrorInfo>;
type Flights = Arc<Mutex<HashMap<PathBuf, watch::Receiver<Option<Outcome>>>>>;

/// What a function needs before it can run.
pub(crate) enum Artifact<'a> {
    /// Nothing to build.
    None,
    /// The manifest `build` step.
    Step,
    /// A Go compile with this `go` program.
    Go(&'a Path),
}

/// The result of making a function ready: a Go binary to run, if any, and
/// the build that ran for it, if one did.
#[derive(Default)]
pub(crate) struct Ready {
    pub binary: Option<PathBuf>,
    pub report: Option<BuildReport>,
}

pub(crate) struct Builds {
    flights: Flights,
    tasks: TaskTracker,
    stop: CancellationToken,
    cache_dir: Option<PathBuf>,
    grace: Duration,
}

impl Builds {
    /// `stop`: cancelled when the runtime closes; it kills running builds.
    pub fn new(stop: CancellationToken, cache_dir: Option<PathBuf>, grace: Duration) -> Self {
        Builds { flights: Flights::default(), tasks: TaskTracker::new(), stop, cache_dir, grace }
    }

    /// Builds what `artifact` needs for `def` if it is stale, sharing a
    /// build already under way. `env` is the function's environment.
    pub async fn ready(
        &self,
        def: &FunctionDef,
        runtime: &RuntimeDef,
        artifact: Artifact<'_>,
        env: &EnvMap,
        host: &EnvMap,
    ) -> Result<Ready, ErrorInfo> {
        let env: Vec<(OsString, OsString)> = env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let timeout = def.build().and_then(|b| b.timeout_ms()).map_or(DEFAULT_BUILD_TIMEOUT, Duration::from_millis);
        match artifact {
            Artifact::None => Ok(Ready::default()),
            Artifact::Step => {
                let build = def.build().expect("Artifact::Step has a build").clone();
                if !step::is_stale(&def.dir, &build) {
                    return Ok(Ready::default());
                }
                let (def, stop, grace) = (def.clone(), self.stop.clone(), self.grace);
                let report = self
                    .single_flight(&def.dir.clone(), async move {
                        if !step::is_stale(&def.dir, &build) {
                            return Ok(None);
                        }
                        let run = Run { env: &env, timeout, grace, cancel: &stop };
                        let report = step::run_command(&def.dir, &build.command, &build.args, &run).await;
                        check_step(&def, report).map(Some)
                    })
                    .await?;
                Ok(Ready { binary: None, report })
            }
            Artifact::Go(go) => {
                let version = crate::runtime_info::version_of(go, &runtime.version_args, host).await;
                let version = version.unwrap_or_else(|| "unknown".into());
                let key = go::source_key(&def.dir, &version)
                    .map_err(|e| ErrorInfo::new(Code::BuildFailed, format!("cannot read Go sources: {e}")))?;
                let binary = go::binary_path(def, self.cache_dir.as_deref(), &key);
                if binary.is_file() {
                    return Ok(Ready { binary: Some(binary), report: None });
                }
                let (def, go, stop, grace, out) =
                    (def.clone(), go.to_path_buf(), self.stop.clone(), self.grace, binary.clone());
                let report = self
                    .single_flight(&def.dir.clone(), async move {
                        if out.is_file() {
                            return Ok(None);
                        }
                        let run = Run { env: &env, timeout, grace, cancel: &stop };
                        let report = go::compile(&def, &go, &out, &run).await?;
                        if !report.success {
                            return Err(build_failed(format!("go build of \"{}\" failed", def.name), &report));
                        }
                        Ok(Some(report))
                    })
                    .await?;
                Ok(Ready { binary: Some(binary), report })
            }
        }
    }

    /// Runs `build` unless a build of `key` is under way; either way waits
    /// for that one build's outcome. The build runs on its own task.
    async fn single_flight<F>(&self, key: &Path, build: F) -> Outcome
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let mut rx = {
            let mut flights = self.flights.lock().unwrap();
            match flights.get(key) {
                Some(rx) => rx.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    flights.insert(key.to_path_buf(), rx.clone());
                    let (flights, key) = (Arc::clone(&self.flights), key.to_path_buf());
                    self.tasks.spawn(async move {
                        let outcome = build.await;
                        flights.lock().unwrap().remove(&key);
                        let _ = tx.send(Some(outcome));
                    });
                    rx
                }
            }
        };
        let outcome = rx.wait_for(Option::is_some).await;
        match outcome {
            Ok(done) => done.clone().expect("waited for Some"),
            Err(_) => Err(ErrorInfo::new(Code::BuildFailed, "the build ended without an outcome")),
        }
    }

    /// Waits until every build has ended (after `stop` fired, promptly).
    pub async fn wait(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }
}

fn check_step(def: &FunctionDef, report: BuildReport) -> Result<BuildReport, ErrorInfo> {
    if report.success && !def.entry.is_file() {
        let message = format!("build succeeded but its output {} does not exist", def.entry.display());
        return Err(build_failed(message, &report));
    }
    if !report.success {
        return Err(build_failed(format!("build of \"{}\" failed", def.name), &report));
    }
    Ok(report)
}

fn build_failed(message: String, report: &BuildReport) -> ErrorInfo {
    let details = serde_json::Map::from_iter([
        ("output".to_string(), report.output.clone().into()),
        ("durationMs".to_string(), report.duration_ms.into()),
    ]);
    ErrorInfo::new(Code::BuildFailed, message).with_details(details)
}
