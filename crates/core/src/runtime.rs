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

use crate::env::{apply, host_layer, InheritEnv};
use crate::executor::{execute, Finished, Job, LogSink};
use crate::function::{resolve, FunctionDef};
use crate::outcome::{Code, ErrorInfo, InvokeResult};
use crate::protocol::{Context, Request};
use crate::queue::{FifoSlots, Place};
use crate::registry::{Launch, Registry, RuntimeSpec};
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
    closed: CancellationToken,
    in_flight: TaskTracker,
}

impl Runtime {
    pub fn new(mut options: RuntimeOptions) -> Result<Self, String> {
        if options.functions_dir.as_os_str().is_empty() {
            return Err("functionsDir is required".into());
        }
        options.functions_dir = std::path::absolute(&options.functions_dir).map_err(|e| format!("functionsDir: {e}"))?;
        if options.timeout_ms == 0 {
            return Err("timeoutMs must be greater than 0".into());
        }
        let registry = Registry::new(&options.runtimes)?;
        let slots = (options.max_concurrency > 0).then(|| FifoSlots::new(options.max_concurrency));
        Ok(Runtime {
            options,
            registry,
            tokens: Arc::new(TokenStore::default()),
            slots,
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
        input: &str,
        options: InvokeOptions,
    ) -> impl std::future::Future<Output = Result<InvokeResult, Closed>> + Send + 'static {
        let this = Arc::clone(self);
        let started = Instant::now();
        let admitted = (!self.closed.is_cancelled()).then(|| (self.in_flight.token(), self.slots.as_ref().map(|s| s.join())));
        let (name, input) = (name.to_string(), input.to_string());
        async move {
            let (_in_flight, place) = admitted.ok_or(Closed)?;
            let request_id = options.request_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let finished = match parse_input(&input) {
                Ok(input) => this.run(&name, &input, &options, &request_id, place).await,
                Err(e) => Finished::failed(e),
            };
            Ok(finished.into_result(request_id, started.elapsed().as_millis() as u64))
        }
    }

    async fn run(&self, name: &str, input: &RawValue, options: &InvokeOptions, request_id: &str, place: Option<Place>) -> Finished {
        let cancel = self.closed.child_token();
        let user_cancel = options.cancel.clone().unwrap_or_default();
        let cancelled = || cancel.is_cancelled() || user_cancel.is_cancelled();
        if cancelled() {
            return Finished::failed(cancelled_error());
        }
        let function = match resolve(&self.options.functions_dir, name, &self.registry) {
            Ok(f) => f,
            Err(e) => return Finished::failed(e),
        };
        let (program, args) = match self.command_for(&function) {
            Ok(c) => c,
            Err(e) => return Finished::failed(e),
        };
        // FIFO queue for maxConcurrency; an abort while queued spawns nothing.
        let _slot = match place {
            Some(place) => tokio::select! {
                slot = place.slot() => Some(slot),
                _ = cancel.cancelled() => return Finished::failed(cancelled_error()),
                _ = user_cancel.cancelled() => return Finished::failed(cancelled_error()),
            },
            None => None,
        };

        let timeout = Duration::from_millis(options.timeout_ms.or(function.timeout_ms).unwrap_or(self.options.timeout_ms));
        let deadline = Instant::now() + timeout;
        let deadline_ms = epoch_ms() + timeout.as_millis() as u64;
        let ttl = Duration::from_millis(self.options.token_ttl_ms);
        let token = match self.tokens.issue(ttl) {
            Ok(t) => t,
            Err(e) => return Finished::failed(ErrorInfo::new(Code::SpawnFailed, format!("no OS randomness for a token: {e}"))),
        };
        let context_env: Map<String, Value> = function
            .env
            .iter()
            .chain(options.env.iter())
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        let request = Request {
            request_id,
            function_name: &function.name,
            function: &function.name,
            input,
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
        let runtime_vars = self.registry.get(&function.runtime).map(|d| d.host_env.clone()).unwrap_or_default();
        let mut env = host_layer(&self.options.inherit_env, &runtime_vars, std::env::vars_os());
        apply(&mut env, &self.options.env);
        apply(&mut env, &function.env);
        apply(&mut env, &options.env);
        for (k, v) in alyx_vars {
            env.insert(k.into(), v.into());
        }

        let job = Job {
            program,
            args,
            cwd: function.dir.clone(),
            env: env.into_iter().collect(),
            request: request.to_bytes(),
            deadline,
            timeout,
            kill_grace: Duration::from_millis(self.options.kill_grace_ms),
            max_output: self.options.max_output_bytes,
            cancel: either(cancel.clone(), user_cancel.clone()),
            on_log: options.on_log.clone(),
            secret: token.as_str().to_string(),
        };
        execute(job).await
    }

    /// The absolute program and its arguments for a function.
    fn command_for(&self, function: &FunctionDef) -> Result<(PathBuf, Vec<OsString>), ErrorInfo> {
        let def = self.registry.get(&function.runtime).ok_or_else(|| {
            ErrorInfo::new(Code::RuntimeNotFound, format!("unknown runtime \"{}\" for function \"{}\"", function.runtime, function.name))
        })?;
        let entry = function.entry.clone().into_os_string();
        match def.launch {
            Launch::Binary => Ok((function.entry.clone(), Vec::new())),
            Launch::Interpreter | Launch::GoBuild => {
                let resolved = self.registry.resolve(def).map_err(|m| ErrorInfo::new(Code::RuntimeNotFound, m))?;
                let mut args: Vec<OsString> = resolved.args.into_iter().map(OsString::from).collect();
                if def.launch == Launch::GoBuild {
                    args.insert(0, "run".into());
                }
                args.push(entry);
                Ok((resolved.program, args))
            }
        }
    }

    pub fn verify_token(&self, token: &str) -> bool {
        self.tokens.verify(token)
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

fn parse_input(input: &str) -> Result<Box<RawValue>, ErrorInfo> {
    let text = if input.trim().is_empty() { "null" } else { input };
    RawValue::from_string(text.to_string())
        .map_err(|e| ErrorInfo::new(Code::InvalidInput, format!("input is not valid JSON: {e}")))
}

/// A token cancelled when either of two is.
fn either(a: CancellationToken, b: CancellationToken) -> CancellationToken {
    let both = a.child_token();
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
