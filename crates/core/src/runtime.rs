//! `FunctionRuntime`: options, the concurrency queue, and `invoke` from a
//! name and JSON input to an `InvokeResult`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::builder::{BuildReport, Builds};
use crate::catalog::{Catalog, Diagnostic};
use crate::env::{apply, host_layer, snapshot, EnvMap, InheritEnv};
use crate::executor::{execute, Finished, Job, LogSink, RequestParts};
use crate::function::{load, recheck_dir, FunctionDef, FunctionInfo};
use crate::outcome::{Code, ErrorInfo, InvokeResult};
use crate::protocol::{Context, Request};
use crate::queue::{FifoSlots, Place};
use crate::registry::{memory_hint, Launch, Registry, RuntimeSpec};
use crate::sandbox::{CallSandbox, SandboxOption};
use crate::token::TokenStore;

/// `new FunctionRuntime(options)`; JSON names are the JS ones.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RuntimeOptions {
    pub functions_dir: PathBuf,
    pub timeout_ms: u64,
    pub max_concurrency: usize,
    pub max_output_bytes: usize,
    pub kill_grace_ms: u64,
    pub alyx_url: String,
    pub env: BTreeMap<String, String>,
    pub inherit_env: InheritEnv,
    pub runtimes: BTreeMap<String, RuntimeSpec>,
    pub token_ttl_ms: u64,
    /// Signs tokens so other replicas verify them (CONTRACT §12).
    pub token_secret: Option<String>,
    /// Per-call env names allowed despite loading code (CONTRACT §14).
    pub allow_call_env: Vec<String>,
    /// The sandbox every function gets at least (CONTRACT §11).
    pub sandbox: SandboxOption,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            functions_dir: PathBuf::new(),
            timeout_ms: 30_000,
            max_concurrency: 0,
            max_output_bytes: 64 * 1024 * 1024,
            kill_grace_ms: 500,
            alyx_url: "http://localhost:8090".into(),
            env: BTreeMap::new(),
            inherit_env: InheritEnv::Allowlist,
            runtimes: BTreeMap::new(),
            token_ttl_ms: 300_000,
            token_secret: None,
            allow_call_env: Vec::new(),
            sandbox: SandboxOption::default(),
        }
    }
}

/// Per-call options; `cancel` and `on_log` are set by the host binding.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InvokeOptions {
    pub auth: Option<Value>,
    pub env: BTreeMap<String, String>,
    pub timeout_ms: Option<u64>,
    pub request_id: Option<String>,
    #[serde(skip)]
    pub cancel: Option<CancellationToken>,
    #[serde(skip)]
    pub on_log: Option<LogSink>,
}

/// `invoke` after `close()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FunctionRuntime is closed")
    }
}

impl std::error::Error for Closed {}

pub struct Runtime {
    options: RuntimeOptions,
    registry: Registry,
    tokens: Arc<TokenStore>,
    slots: Option<Arc<FifoSlots>>,
    /// Per-function queues for a manifest's `concurrency`, with their limit.
    function_slots: std::sync::Mutex<BTreeMap<String, (u32, Arc<FifoSlots>)>>,
    catalog: std::sync::RwLock<Catalog>,
    builds: Builds,
    /// The host environment as last read on a calling (host) thread; work
    /// on worker threads uses this copy instead of reading `environ`.
    host_env: std::sync::RwLock<Arc<EnvMap>>,
    closed: CancellationToken,
    in_flight: TaskTracker,
}

impl Runtime {
    pub fn new(mut options: RuntimeOptions) -> Result<Self, String> {
        if options.functions_dir.as_os_str().is_empty() {
            return Err("functionsDir is required".into());
        }
        options.functions_dir =
            std::path::absolute(&options.functions_dir).map_err(|e| format!("functionsDir: {e}"))?;
        if options.timeout_ms == 0 {
            return Err("timeoutMs must be greater than 0".into());
        }
        let registry = Registry::new(&options.runtimes)?;
        let tokens = Arc::new(TokenStore::new(options.token_secret.as_deref())?);
        let slots = (options.max_concurrency > 0).then(|| FifoSlots::new(options.max_concurrency));
        let host_env = Arc::new(snapshot());
        let catalog = std::sync::RwLock::new(Catalog::scan(&options.functions_dir, &registry, &host_env));
        Ok(Runtime {
            options,
            registry,
            tokens,
            slots,
            function_slots: Default::default(),
            catalog,
            builds: Builds::default(),
            host_env: std::sync::RwLock::new(host_env),
            closed: CancellationToken::new(),
            in_flight: TaskTracker::new(),
        })
    }

    pub fn options(&self) -> &RuntimeOptions {
        &self.options
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Runs `name` with `input` (JSON text). Every failure of the function is
    /// an `InvokeResult`; only a closed runtime is an `Err`. The call itself
    /// takes the invocation's place in the `maxConcurrency` queue, so calls
    /// are served in the order they were made, whatever polls first.
    pub fn invoke(
        self: &Arc<Self>,
        name: &str,
        input: impl Into<String>,
        options: InvokeOptions,
    ) -> impl std::future::Future<Output = Result<InvokeResult, Closed>> + Send + 'static {
        let this = Arc::clone(self);
        let started = Instant::now();
        let admitted =
            (!self.closed.is_cancelled()).then(|| (self.in_flight.token(), self.slots.as_ref().map(|s| s.join())));
        let host = self.capture_host_env();
        let (name, input) = (name.to_string(), input.into());
        async move {
            let (_in_flight, place) = admitted.ok_or(Closed)?;
            let request_id = options.request_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let finished = match parse_input(input) {
                Ok(input) => this.run(&name, input, &options, &request_id, place, &host).await,
                Err(e) => Finished::failed(e),
            };
            Ok(finished.into_result(request_id, started.elapsed().as_millis() as u64))
        }
    }

    async fn run(
        &self,
        name: &str,
        input: Box<RawValue>,
        options: &InvokeOptions,
        request_id: &str,
        place: Option<Place>,
        host: &EnvMap,
    ) -> Finished {
        // One token for "stop": the caller's signal or the runtime closing.
        let cancel = either(self.closed.child_token(), options.cancel.clone().unwrap_or_default());
        // Ends `either`'s relay task with the invocation, however it ends.
        let _relay_ends = cancel.clone().drop_guard();
        if cancel.is_cancelled() {
            return Finished::failed(cancelled_error());
        }
        // security (§14): a caller's env cannot load code or rewrite ALYX_*.
        if let Err(e) = crate::call_env::validate(&options.env, &self.options.allow_call_env) {
            return Finished::failed(e);
        }
        let function = match load(&self.options.functions_dir, name, &self.registry, host) {
            Ok(f) => f,
            Err(e) => return Finished::failed(e.to_error()),
        };
        let mut env = self.function_env(&function, host);
        let (program, args) = match self.command_for(&function, &env, host).await {
            Ok((program, args, _build)) => (program, args),
            Err(e) => return Finished::failed(e),
        };
        // FIFO queues: the function's own `concurrency`, then maxConcurrency
        // (whose place was taken at call time). An abort while queued
        // spawns nothing.
        let places = function.concurrency().map(|limit| self.function_queue(&function.name, limit).join());
        let mut held_slots = Vec::with_capacity(2); // released when run() returns
        for place in places.into_iter().chain(place) {
            tokio::select! {
                slot = place.slot() => held_slots.push(slot),
                _ = cancel.cancelled() => return Finished::failed(cancelled_error()),
            }
        }
        // security (§14): the directory may have been swapped while queued.
        if let Err(e) = recheck_dir(&self.options.functions_dir, &function) {
            return Finished::failed(e);
        }
        // security (§11): the call's sandbox and private temp dir, if any;
        // the temp dir is removed when `sandbox` drops, as run() returns.
        let temp_root = host.get(std::ffi::OsStr::new("TMPDIR")).map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        let sandbox = match CallSandbox::prepare(self.options.sandbox.0.as_ref(), &function, &program, &temp_root) {
            Ok(s) => s,
            Err(e) => return Finished::failed(e),
        };

        let timeout =
            Duration::from_millis(options.timeout_ms.or(function.timeout_ms()).unwrap_or(self.options.timeout_ms));
        let deadline = Instant::now() + timeout;
        let deadline_ms = epoch_ms() + timeout.as_millis() as u64;
        let ttl = Duration::from_millis(self.options.token_ttl_ms);
        let token = match self.tokens.issue(ttl, &function.name, request_id, deadline_ms) {
            Ok(t) => t,
            Err(e) => {
                return Finished::failed(ErrorInfo::new(
                    Code::SpawnFailed,
                    format!("no OS randomness for a token: {e}"),
                ))
            }
        };
        let context_env: Map<String, Value> =
            function.env.iter().chain(options.env.iter()).map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
        let request = Request {
            request_id,
            function_name: &function.name,
            function: &function.name,
            input: &input,
            context: Context {
                auth: options.auth.as_ref(),
                env: &context_env,
                alyx_url: &self.options.alyx_url,
                internal_token: token.as_str(),
                deadline_ms,
            },
        };
        let auth_json = options.auth.as_ref().map_or_else(|| "null".to_string(), Value::to_string);
        let alyx_vars = [
            ("ALYX_FUNCTION_NAME", function.name.clone()),
            ("ALYX_FUNCTION_DIR", function.dir.to_string_lossy().into_owned()),
            ("ALYX_REQUEST_ID", request_id.to_string()),
            ("ALYX_URL", self.options.alyx_url.clone()),
            ("ALYX_INTERNAL_TOKEN", token.as_str().to_string()),
            ("ALYX_DEADLINE_MS", deadline_ms.to_string()),
            ("ALYX_AUTH", auth_json),
            ("PYTHONUNBUFFERED", "1".to_string()),
        ];
        if let (Some(mb), Some(def)) = (function.memory_mb(), self.registry.get(&function.runtime)) {
            for (k, v) in memory_hint(def, mb).1 {
                env.insert(k.into(), v.into());
            }
        }
        apply(&mut env, &options.env);
        for (k, v) in alyx_vars {
            env.insert(k.into(), v.into());
        }
        if let Some(sandbox) = &sandbox {
            for k in ["TMPDIR", "TMP", "TEMP"] {
                env.insert(k.into(), sandbox.temp_dir().into());
            }
        }

        let job = Job {
            program,
            args,
            cwd: function.dir.clone(),
            env: env.into_iter().collect(),
            request: {
                let (head, tail) = request.to_parts();
                RequestParts { head, input, tail }
            },
            deadline,
            timeout,
            kill_grace: Duration::from_millis(self.options.kill_grace_ms),
            max_output: self.options.max_output_bytes,
            memory_limit: function.memory_mb().map(|mb| mb * 1024 * 1024),
            cancel: cancel.clone(),
            on_log: options.on_log.clone(),
            secret: token.as_str().to_string(),
            sandbox: sandbox.as_ref().map(|s| s.rules.clone()),
        };
        execute(job).await
    }

    /// The environment a function and its build share: allowlisted host
    /// variables (plus its runtime's own), `options.env`, the manifest `env`.
    fn function_env(&self, function: &FunctionDef, host: &EnvMap) -> EnvMap {
        let runtime_vars = self.registry.get(&function.runtime).map(|d| d.host_env.clone()).unwrap_or_default();
        let mut env = host_layer(&self.options.inherit_env, &runtime_vars, host.clone().into_iter());
        apply(&mut env, &self.options.env);
        apply(&mut env, &function.env);
        env
    }

    fn function_queue(&self, name: &str, limit: u32) -> Arc<FifoSlots> {
        let mut queues = self.function_slots.lock().unwrap();
        let entry = queues.entry(name.to_string()).or_insert_with(|| (limit, FifoSlots::new(limit as usize)));
        if entry.0 != limit {
            *entry = (limit, FifoSlots::new(limit as usize));
        }
        Arc::clone(&entry.1)
    }

    /// The absolute program and its arguments for a function, after any
    /// build step or Go compile it needs (reported when one ran).
    async fn command_for(
        &self,
        function: &FunctionDef,
        env: &EnvMap,
        host: &EnvMap,
    ) -> Result<(PathBuf, Vec<OsString>, Option<BuildReport>), ErrorInfo> {
        let def = self.registry.get(&function.runtime).ok_or_else(|| {
            ErrorInfo::new(
                Code::RuntimeNotFound,
                format!("unknown runtime \"{}\" for function \"{}\"", function.runtime, function.name),
            )
        })?;
        let builds = function.build().is_some() || def.launch == Launch::GoBuild;
        let build_env: Vec<(OsString, OsString)> =
            if builds { env.iter().map(|(k, v)| (k.clone(), v.clone())).collect() } else { Vec::new() };
        let grace = Duration::from_millis(self.options.kill_grace_ms);
        let resolved = match def.launch {
            Launch::Binary => None,
            _ => Some(
                self.registry
                    .resolve(def, host.get(std::ffi::OsStr::new("PATH")).map(OsString::as_os_str))
                    .map_err(|m| ErrorInfo::new(Code::RuntimeNotFound, m))?,
            ),
        };
        let built = self.builds.ensure_built(function, &build_env, grace).await?;
        let entry = function.entry.clone().into_os_string();
        match (def.launch, resolved) {
            (Launch::GoBuild, Some(go)) if function.build().is_none() => {
                let (binary, report) = self.builds.go_binary(function, &go.program, &build_env, grace).await?;
                Ok((binary, Vec::new(), report))
            }
            (Launch::Interpreter | Launch::GoBuild, Some(resolved)) => {
                let mut args: Vec<OsString> = resolved.args.into_iter().map(OsString::from).collect();
                if let Some(mb) = function.memory_mb() {
                    args.extend(memory_hint(def, mb).0.into_iter().map(OsString::from));
                }
                args.push(entry);
                Ok((resolved.program, args, built))
            }
            _ => Ok((function.entry.clone(), Vec::new(), built)),
        }
    }

    /// Valid functions from the last scan, sorted by name.
    pub fn list(&self) -> Vec<FunctionInfo> {
        let catalog = self.catalog.read().unwrap();
        catalog.functions.values().map(|f| f.info(self.options.timeout_ms)).collect()
    }

    pub fn get(&self, name: &str) -> Option<FunctionInfo> {
        self.catalog.read().unwrap().functions.get(name).map(|f| f.info(self.options.timeout_ms))
    }

    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let catalog = self.catalog.read().unwrap();
        let mut out = catalog.all_diagnostics();
        // security (§11): manifest `write` paths the sandbox drops.
        out.extend(crate::sandbox::dropped_paths(self.options.sandbox.0.as_ref(), catalog.functions.values()));
        out
    }

    /// The last scan, for the manifest's triggers (`triggers.rs`).
    pub(crate) fn catalog(&self) -> std::sync::RwLockReadGuard<'_, Catalog> {
        self.catalog.read().unwrap()
    }

    /// Rescans the functions directory.
    pub fn reload(&self) -> Vec<FunctionInfo> {
        let fresh = Catalog::scan(&self.options.functions_dir, &self.registry, &self.capture_host_env());
        *self.catalog.write().unwrap() = fresh;
        self.list()
    }

    /// Re-reads one function into the catalog (the watcher's unit of work).
    /// `None`: the directory is gone; `Some(Err)`: it is in `diagnostics()`.
    pub fn refresh(&self, name: &str) -> Option<Result<(), crate::function::LoadError>> {
        let host = self.host_env();
        self.catalog.write().unwrap().refresh(&self.options.functions_dir, name, &self.registry, &host)
    }

    pub fn functions_dir(&self) -> &std::path::Path {
        &self.options.functions_dir
    }

    /// Names known to the last scan, valid or diagnosed.
    pub fn known_names(&self) -> (Vec<String>, Vec<String>) {
        let c = self.catalog.read().unwrap();
        (c.functions.keys().cloned().collect(), c.diagnostics.iter().map(|d| d.name.clone()).collect())
    }

    /// The function's build output relative to its directory, if it has one.
    pub fn build_output(&self, name: &str) -> Option<PathBuf> {
        let c = self.catalog.read().unwrap();
        c.functions.get(name)?.build().map(|b| PathBuf::from(&b.output))
    }

    /// Whether a change should trigger `build`: a build step or Go sources.
    pub fn builds_on_change(&self, name: &str) -> bool {
        let c = self.catalog.read().unwrap();
        c.functions.get(name).is_some_and(|f| f.build().is_some() || f.runtime == "go")
    }

    /// Runs a function's build step (or Go compile) now if it is stale.
    pub async fn build(&self, name: &str) -> Result<Option<BuildReport>, ErrorInfo> {
        let host = self.host_env();
        let function = load(&self.options.functions_dir, name, &self.registry, &host).map_err(|e| e.to_error())?;
        let env = self.function_env(&function, &host);
        self.command_for(&function, &env, &host).await.map(|(_, _, report)| report)
    }

    /// Every runtime with availability, path and version.
    pub async fn runtimes(&self) -> Vec<crate::runtime_info::RuntimeInfo> {
        crate::runtime_info::describe_all(&self.registry, &self.host_env()).await
    }

    /// Reads the host environment now; call on a host thread (see `host_env`).
    pub fn capture_host_env(&self) -> Arc<EnvMap> {
        let fresh = Arc::new(snapshot());
        *self.host_env.write().unwrap() = Arc::clone(&fresh);
        fresh
    }

    /// The host environment as last captured.
    pub fn host_env(&self) -> Arc<EnvMap> {
        Arc::clone(&self.host_env.read().unwrap())
    }

    pub fn verify_token(&self, token: &str) -> bool {
        self.tokens.verify(token)
    }

    /// `tokenClaims`: what a token `verify_token` accepts says; else `None`.
    pub fn token_claims(&self, token: &str) -> Option<crate::token::Claims> {
        self.tokens.claims(token)
    }

    /// Cancelled when the runtime closes (watchers stop with it).
    pub fn closed_token(&self) -> CancellationToken {
        self.closed.clone()
    }

    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Cancels every running invocation (their results say CANCELLED) and
    /// waits until all have finished and their processes are gone.
    pub async fn close(&self) {
        self.closed.cancel();
        self.in_flight.close();
        self.in_flight.wait().await;
    }
}

fn cancelled_error() -> ErrorInfo {
    ErrorInfo::new(Code::Cancelled, "invocation was cancelled")
}

fn parse_input(input: String) -> Result<Box<RawValue>, ErrorInfo> {
    let text = if input.trim().is_empty() { "null".to_string() } else { input };
    RawValue::from_string(text).map_err(|e| ErrorInfo::new(Code::InvalidInput, format!("input is not valid JSON: {e}")))
}

/// A token cancelled when either of two is (already cancelled included).
fn either(a: CancellationToken, b: CancellationToken) -> CancellationToken {
    let both = a.child_token();
    if b.is_cancelled() {
        both.cancel();
        return both;
    }
    let out = both.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = b.cancelled() => both.cancel(),
            _ = both.cancelled() => {}
        }
    });
    out
}

fn epoch_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
