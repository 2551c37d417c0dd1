//! The warm path of a call (CONTRACT §10, docs/ARCHITECTURE.md): a warm
//! function's load, env, command, plan and pool are made once (`Prepared`)
//! and reused by its calls until its files change (`Pools::epoch`: edits
//! seen by the runtime's own watch, `reload()`, `watch()`) or the host
//! environment does. A call then costs admission, a token, its request and
//! the turn on a process. The function's directory is checked again before
//! each process starts (in the pool), as for one-shot before each spawn.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::capture::LogSink;
use super::classify::{Finished, Terms};
use super::plan::{self, Command};
use super::redact::Redactor;
use super::supervise::Limits;
use super::{deadline_after, epoch_ms, launch, Call, Ends, Engine};
use crate::env::EnvMap;
use crate::function::{load, recheck_dir, FunctionDef};
use crate::manifest::{WarmMode, WarmSpec};
use crate::outcome::ErrorInfo;
use crate::registry::RuntimeDef;
use crate::sandbox::Confinement;
use crate::warm::{Pool, WarmCall};

/// What the stages before admission made for a warm function.
pub(crate) struct Made<'a> {
    pub function: FunctionDef,
    pub runtime: &'a RuntimeDef,
    pub command: Command,
    pub env: EnvMap,
    pub spec: WarmSpec,
    pub host: Arc<EnvMap>,
    /// `Pools::epoch` read before the function was loaded.
    pub epoch: u64,
    /// The sandbox its processes start in (CONTRACT §11), if any.
    pub sandbox: Option<Confinement>,
}

/// A call past admission.
pub(super) struct Admitted {
    spec: plan::CallSpec,
    cancel: tokio_util::sync::CancellationToken,
    on_log: Option<LogSink>,
}

/// A warm function ready for calls: everything a call would otherwise
/// load, resolve and plan.
pub(crate) struct Prepared {
    pub function: FunctionDef,
    runtime: RuntimeDef,
    command: Command,
    env: EnvMap,
    spec: WarmSpec,
    pool: Arc<Pool>,
    memory_limit: Option<u64>,
    host: Arc<EnvMap>,
    pub epoch: u64,
    sandbox: Option<Confinement>,
}

impl Prepared {
    /// Made for this host environment (the same snapshot, or equal).
    pub fn made_for(&self, host: &Arc<EnvMap>) -> bool {
        Arc::ptr_eq(&self.host, host) || *self.host == **host
    }
}

impl Engine {
    /// The pool of a warm function with its current plan, remembered for
    /// the function's next calls.
    pub(super) fn prepare_warm(&self, made: Made<'_>) -> Arc<Prepared> {
        let Made { function, runtime, command, env, spec, host, epoch, sandbox } = made;
        let marker = if spec.mode == WarmMode::Worker { "ALYX_WORKER" } else { "ALYX_STANDBY" };
        let mut plan =
            plan::warm_plan(&function, Some(runtime), command.clone(), env.clone(), &self.settings(), marker);
        // security (§11): every worker and standby process starts inside the
        // function's sandbox, with a private temp dir of its own.
        plan.sandbox = sandbox.clone();
        let memory_limit = plan.memory_limit;
        let pool = self.pools.pool(&function.name, &spec, plan, &self.options.functions_dir);
        let runtime = runtime.clone();
        let prepared =
            Arc::new(Prepared { function, runtime, command, env, spec, pool, memory_limit, host, epoch, sandbox });
        self.pools.remember(Arc::clone(&prepared));
        prepared
    }

    /// One call of a warm function: admitted like any call, then served by
    /// a worker or by a standby process.
    pub(super) async fn warm_call(
        &self,
        prepared: &Prepared,
        call: Call,
        queued_ms: &mut u64,
    ) -> Result<Finished, ErrorInfo> {
        let function = &prepared.function;
        let timeout = plan::timeout_of(&call.spec, function, &self.settings());
        let Call { spec, entry, cancel, on_log, started, .. } = call;
        let ticket = entry.ticket();
        let _admitted = self.admission.admit(&function.name, function.concurrency(), entry, &cancel).await?;
        *queued_ms = started.elapsed().as_millis() as u64;
        let call = Admitted { spec, cancel, on_log };
        match prepared.spec.mode {
            WarmMode::Worker => self.serve_worker(prepared, call, ticket, timeout).await,
            WarmMode::Standby => self.serve_standby(prepared, call, timeout).await,
        }
    }

    /// One call on a worker (CONTRACT §10): its deadline, token and request
    /// are made when a worker takes it, so waiting for one does not count.
    async fn serve_worker(
        &self,
        prepared: &Prepared,
        call: Admitted,
        ticket: u64,
        timeout: Duration,
    ) -> Result<Finished, ErrorInfo> {
        let Admitted { spec, cancel, on_log } = call;
        let request_id = spec.request_id.clone();
        let mut token = None;
        let begin = || {
            let now_ms = epoch_ms();
            let issued = token.insert(self.issue_token(&prepared.function, &request_id, now_ms, timeout)?);
            let deadline_ms = now_ms.saturating_add(timeout.as_millis() as u64);
            let request = plan::request(&prepared.function, spec, &self.settings(), issued.as_str(), deadline_ms);
            let kill_grace = Duration::from_millis(self.options.kill_grace_ms);
            let (memory_limit, max_output) = (prepared.memory_limit, self.options.max_output_bytes);
            let deadline = deadline_after(Instant::now(), timeout);
            let limits = Limits { deadline, cancel: cancel.clone(), memory_limit, kill_grace };
            let terms = Terms { timeout, memory_limit, max_output, redactor: Redactor::new(issued.as_str()) };
            let on_log: Option<&LogSink> = on_log.as_ref();
            Ok(WarmCall { request, request_id: &request_id, limits, max_output, on_log, terms })
        };
        crate::warm::serve(&prepared.pool, ticket, &cancel, begin).await
    }

    /// One call on a standby process started ahead (CONTRACT §10), or on a
    /// fresh one when none is there; from the request on, the one-shot path.
    async fn serve_standby(
        &self,
        prepared: &Prepared,
        call: Admitted,
        timeout: Duration,
    ) -> Result<Finished, ErrorInfo> {
        let function = &prepared.function;
        let taken = prepared.pool.take_standby();
        let now_ms = epoch_ms();
        let token = self.issue_token(function, &call.spec.request_id, now_ms, timeout)?;
        let settings = self.settings();
        let (launched, _lease) = match taken {
            Some(taken) => {
                let deadline_ms = now_ms.saturating_add(timeout.as_millis() as u64);
                let request = plan::request(function, call.spec, &settings, token.as_str(), deadline_ms);
                let (process, lease) = taken.into_parts();
                (launch::feed(process, request), Some(lease))
            }
            None => {
                // security (§14): checked right before a spawn.
                recheck_dir(&self.options.functions_dir, &function.name)?;
                let (command, env) = (prepared.command.clone(), prepared.env.clone());
                let runtime = Some(&prepared.runtime);
                let (mut plan, request) =
                    plan::plan(function, runtime, command, env, call.spec, &settings, token.as_str(), now_ms);
                plan.sandbox = prepared.sandbox.clone();
                (launch::oneshot(&plan, request)?, None)
            }
        };
        let ends = Ends { timeout, memory_limit: prepared.memory_limit, cancel: call.cancel };
        Ok(self.supervised(launched, ends, call.on_log.as_ref(), token.as_str()).await)
    }

    /// A function's `warm`: the host's `RuntimeOptions.warm` entry, else
    /// its manifest's. A sandboxed function's warm processes start inside
    /// its sandbox (CONTRACT §11), each with a temp dir of its own.
    pub fn warm_spec(&self, function: &FunctionDef) -> Option<WarmSpec> {
        match self.warm.get(&function.name) {
            Some(spec) => spec.clone(),
            None => function.manifest.as_ref().and_then(|m| m.warm.clone()),
        }
    }

    /// The pool of a warm function, ready to start processes from its
    /// current files (after any build); None for other functions.
    pub async fn warm_pool(&self, name: &str, host: &Arc<EnvMap>) -> Result<Option<Arc<Pool>>, ErrorInfo> {
        let epoch = self.pools.epoch();
        let function = load(&self.options.functions_dir, name, &self.registry, host).map_err(|e| e.to_error())?;
        let runtime = self.runtime_of(&function)?;
        let Some(spec) = self.warm_spec(&function) else {
            self.pools.forget(name);
            return Ok(None);
        };
        // security (§11): never started unsandboxed where the OS cannot do it.
        let sandbox = Confinement::of(self.options.sandbox.0.as_ref(), &function, host)?;
        let env = self.function_env(&function, runtime, host);
        let (command, _) = self.command(&function, runtime, &env, host).await?;
        let made = Made { function, runtime, command, env, spec, host: Arc::clone(host), epoch, sandbox };
        Ok(Some(Arc::clone(&self.prepare_warm(made).pool)))
    }
}
