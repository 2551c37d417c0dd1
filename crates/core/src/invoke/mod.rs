//! One call as a chain of stages, each a module with one job and a typed
//! hand-off (docs/ARCHITECTURE.md):
//! `plan::check_call` → load → build (`crate::build`) → `admit` → `plan`
//! → `launch` → `supervise` → `classify`.

pub(crate) mod admit;
pub(crate) mod capture;
pub(crate) mod classify;
mod fifo;
pub(crate) mod launch;
pub(crate) mod plan;
pub(crate) mod redact;
mod request;
pub(crate) mod supervise;
pub(crate) mod warm;

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use std::collections::BTreeMap;

use crate::build::{Artifact, Builds, Ready};
use crate::env::{append_path, apply, host_layer, EnvMap};
use crate::function::{load, recheck_dir, FunctionDef};
use crate::manifest::WarmSpec;
use crate::options::RuntimeOptions;
use crate::outcome::{Code, ErrorInfo};
use crate::registry::{Launch, Registry, RuntimeDef};
use crate::resolve::Places;
use crate::sandbox::Confinement;
use crate::token::TokenStore;
use crate::warm::Pools;
use admit::{cancelled, Admission};
use capture::{Capture, LogSink};
use classify::{classify, Finished, Terms};
use plan::{CallSpec, Command, Settings};
use redact::Redactor;
use supervise::{supervise, Limits};

/// What every call shares: the runtime's settings and machinery.
pub(crate) struct Engine {
    pub options: RuntimeOptions,
    pub registry: Registry,
    pub tokens: std::sync::Arc<TokenStore>,
    pub admission: Admission,
    pub builds: Builds,
    /// Warm functions' processes (CONTRACT §10).
    pub pools: std::sync::Arc<Pools>,
    /// `RuntimeOptions.warm`, validated: overrides a manifest's `warm`.
    pub warm: BTreeMap<String, Option<WarmSpec>>,
}

/// One call on its way through the stages.
pub(crate) struct Call {
    pub name: String,
    pub spec: CallSpec,
    /// Taken when the host called `invoke`: the call's place in line.
    pub entry: admit::Entry,
    /// A child of the runtime's close token (no relay task).
    pub cancel: CancellationToken,
    pub on_log: Option<LogSink>,
    pub started: Instant,
}

/// A call's outcome and how long it waited before its process started.
pub(crate) struct Outcome {
    pub finished: Finished,
    pub queued_ms: u64,
}

impl Engine {
    pub async fn run(&self, call: Call, host: &Arc<EnvMap>) -> Outcome {
        let mut queued_ms = 0;
        let finished = match self.stages(call, host, &mut queued_ms).await {
            Ok(finished) => finished,
            Err(error) => Finished::failed(error),
        };
        Outcome { finished, queued_ms }
    }

    async fn stages(&self, call: Call, host: &Arc<EnvMap>, queued_ms: &mut u64) -> Result<Finished, ErrorInfo> {
        plan::check_call(&call.spec)?;
        // security (§14): a caller's env cannot load code or rewrite ALYX_*.
        crate::call_env::validate(&call.spec.env, &self.options.allow_call_env)?;
        if call.cancel.is_cancelled() {
            return Err(cancelled());
        }
        // A warm function's load, env, command and plan, made by an earlier
        // call and still current (invoke/warm.rs).
        if let Some(prepared) = self.pools.prepared(&call.name, host) {
            return self.warm_call(&prepared, call, queued_ms).await;
        }
        let epoch = self.pools.epoch();
        let function = load(&self.options.functions_dir, &call.name, &self.registry, host).map_err(|e| e.to_error())?;
        let runtime = self.runtime_of(&function)?;
        // security (§11): a sandbox the OS cannot enforce fails the call
        // here, before it builds or waits for a slot.
        let sandbox = Confinement::of(self.options.sandbox.0.as_ref(), &function, host)?;
        let env = self.function_env(&function, runtime, host);
        let settings = self.settings();
        let timeout = plan::timeout_of(&call.spec, &function, &settings);
        // A call waiting on a build ends at its own deadline (counted from
        // the call) or abort; the build itself goes on for the next caller.
        let preparing = self.command(&function, runtime, &env, host);
        let command = if function.build().is_none() && runtime.launch != Launch::GoBuild {
            preparing.await?.0
        } else {
            tokio::select! {
                biased;
                _ = call.cancel.cancelled() => return Err(cancelled()),
                _ = tokio::time::sleep_until(deadline_after(call.started, timeout)) => return Err(build_wait_timeout(timeout)),
                ready = preparing => ready?.0,
            }
        };
        let Some(spec) = self.warm_spec(&function) else {
            self.pools.forget(&function.name);
            let parts = OneShot { function: &function, runtime, command, env, timeout, sandbox };
            return self.one_shot(parts, call, queued_ms).await;
        };
        let made = warm::Made { function, runtime, command, env, spec, host: Arc::clone(host), epoch, sandbox };
        let prepared = self.prepare_warm(made);
        self.warm_call(&prepared, call, queued_ms).await
    }

    /// A call on a fresh process of its own (CONTRACT §4, §6).
    async fn one_shot(&self, parts: OneShot<'_>, call: Call, queued_ms: &mut u64) -> Result<Finished, ErrorInfo> {
        let OneShot { function, runtime, command, env, timeout, sandbox } = parts;
        let _admitted = self.admission.admit(&function.name, function.concurrency(), call.entry, &call.cancel).await?;
        *queued_ms = call.started.elapsed().as_millis() as u64;
        // security (§14): the directory may have been swapped while queued.
        recheck_dir(&self.options.functions_dir, &function.name)?;
        let now_ms = epoch_ms();
        let token = self.issue_token(function, &call.spec.request_id, now_ms, timeout)?;
        let settings = self.settings();
        let (mut plan, request) =
            plan::plan(function, Some(runtime), command, env, call.spec, &settings, token.as_str(), now_ms);
        // security (§11): the process starts inside the function's sandbox,
        // with a private temp dir removed when the process is dropped.
        plan.sandbox = sandbox;
        let launched = launch::oneshot(&plan, request)?;
        let ends = Ends { timeout: plan.timeout, memory_limit: plan.memory_limit, cancel: call.cancel };
        Ok(self.supervised(launched, ends, call.on_log.as_ref(), token.as_str()).await)
    }

    /// Supervises a launched process (fresh, or a standby one) to its
    /// outcome; the timeout counts from now.
    async fn supervised(
        &self,
        launched: launch::Launched,
        ends: Ends,
        on_log: Option<&LogSink>,
        token: &str,
    ) -> Finished {
        let max_output = self.options.max_output_bytes;
        let redactor = Redactor::new(token);
        let Ends { timeout, memory_limit, cancel } = ends;
        let kill_grace = Duration::from_millis(self.options.kill_grace_ms);
        let limits = Limits { deadline: deadline_after(Instant::now(), timeout), cancel, memory_limit, kill_grace };
        let launch::Launched { mut process, stdout, stderr, writer: _writer } = launched;
        let mut capture = Capture::new();
        let io = capture.read(stdout, stderr, max_output, on_log, &redactor);
        let run = supervise(&mut process, io, &limits).await;
        let terms = Terms { timeout, memory_limit, max_output, redactor };
        classify(run, capture, &terms)
    }

    /// The call's internal token (CONTRACT §5), valid until its deadline.
    fn issue_token(
        &self,
        function: &FunctionDef,
        request_id: &str,
        now_ms: u64,
        timeout: Duration,
    ) -> Result<crate::token::TokenGuard, ErrorInfo> {
        let deadline_ms = now_ms.saturating_add(timeout.as_millis() as u64);
        let ttl = Duration::from_millis(self.options.token_ttl_ms);
        self.tokens
            .issue(ttl, &function.name, request_id, deadline_ms)
            .map_err(|e| ErrorInfo::new(Code::SpawnFailed, format!("no OS randomness for a token: {e}")))
    }

    pub(crate) fn settings(&self) -> Settings<'_> {
        Settings { alyx_url: &self.options.alyx_url, default_timeout_ms: self.options.timeout_ms }
    }

    pub fn runtime_of(&self, function: &FunctionDef) -> Result<&RuntimeDef, ErrorInfo> {
        self.registry.get(&function.runtime).ok_or_else(|| {
            let message = format!("unknown runtime \"{}\" for function \"{}\"", function.runtime, function.name);
            ErrorInfo::new(Code::RuntimeNotFound, message)
        })
    }

    /// The environment a function and its build share: allowlisted host
    /// variables (plus its runtime's own), `options.env`, the manifest `env`.
    pub fn function_env(&self, function: &FunctionDef, runtime: &RuntimeDef, host: &EnvMap) -> EnvMap {
        let mut env = host_layer(&self.options.inherit_env, &runtime.host_env, host.clone().into_iter());
        apply(&mut env, &self.options.env);
        apply(&mut env, &function.env);
        if let Some((var, dir)) = runtime.sdk_path_var.as_deref().and_then(|v| self.options.sdk_paths.get_key_value(v))
        {
            append_path(&mut env, var, dir);
        }
        env
    }

    /// Where runtimes are looked for (`resolve.rs`), for one function or none.
    pub fn places<'a>(&'a self, host: &'a EnvMap, function_dir: Option<&'a Path>) -> Places<'a> {
        Places::new(host.get(OsStr::new("PATH")).map(OsString::as_os_str), &self.options.functions_dir, function_dir)
    }

    /// The program and arguments a function runs as, after any build step
    /// or Go compile it needs (returned when one ran).
    pub async fn command(
        &self,
        function: &FunctionDef,
        runtime: &RuntimeDef,
        env: &EnvMap,
        host: &EnvMap,
    ) -> Result<(Command, Ready), ErrorInfo> {
        let resolved = match runtime.launch {
            Launch::Binary => None,
            _ => Some(
                crate::resolve::find(runtime, &self.places(host, Some(&function.dir)), env)
                    .await
                    .map_err(|e| ErrorInfo::new(Code::RuntimeNotFound, e.message))?,
            ),
        };
        let artifact = match (&resolved, runtime.launch) {
            _ if function.build().is_some() => Artifact::Step,
            (Some(go), Launch::GoBuild) => Artifact::Go(&go.program),
            _ => Artifact::None,
        };
        let mut ready = self.builds.ready(function, runtime, artifact, env, host).await?;
        let command = match (ready.binary.take(), resolved) {
            (Some(binary), _) => Command { program: binary, args: Vec::new(), entry: None },
            (None, Some(r)) => Command {
                program: r.program,
                args: r.args.into_iter().map(OsString::from).collect(),
                entry: Some(function.entry.clone().into_os_string()),
            },
            (None, None) => Command { program: function.entry.clone(), args: Vec::new(), entry: None },
        };
        Ok((command, ready))
    }
}

/// What a one-shot call needs from the stages before it.
struct OneShot<'a> {
    function: &'a FunctionDef,
    runtime: &'a RuntimeDef,
    command: Command,
    env: EnvMap,
    timeout: Duration,
    sandbox: Option<Confinement>,
}

/// What ends a launched process besides its own exit.
struct Ends {
    timeout: Duration,
    memory_limit: Option<u64>,
    cancel: CancellationToken,
}

fn build_wait_timeout(timeout: Duration) -> ErrorInfo {
    let message = format!("function timed out after {} ms while waiting for its build", timeout.as_millis());
    ErrorInfo::new(Code::Timeout, message)
}

/// `start + d`, or a deadline a century away when that does not fit.
pub(crate) fn deadline_after(start: Instant, d: Duration) -> Instant {
    start.checked_add(d).unwrap_or_else(|| start + Duration::from_secs(100 * 365 * 86_400))
}

pub(crate) fn epoch_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
