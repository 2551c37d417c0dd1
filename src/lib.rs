//! napi binding of alyx-core: converts types and nothing else. Payloads
//! cross as JSON text (V8's JSON.stringify/parse on the JS side, serde on
//! this side), which is far faster than field-by-field conversion for large
//! inputs and outputs. `index.js` wraps this into `FunctionRuntime`.

use std::sync::Arc;

use alyx_core::watch::{EventSink, Watcher};
use alyx_core::{InvokeOptions, Runtime, RuntimeOptions};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use tokio_util::sync::CancellationToken;

/// The native half of `FunctionRuntime`; use the class from `index.js`.
#[napi]
pub struct NativeRuntime {
    inner: Arc<Runtime>,
}

/// A handle to cancel one call (made for a call with an `AbortSignal`).
#[napi]
pub struct NativeCall {
    token: CancellationToken,
}

#[napi]
impl NativeCall {
    #[napi]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

fn type_error(message: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, message.to_string())
}

#[napi]
impl NativeRuntime {
    /// `optionsJson`: `RuntimeOptions` as JSON.
    /// When the JS environment goes away (a `worker_threads` Worker ends or
    /// is terminated), the runtime closes: its functions get SIGTERM, then
    /// SIGKILL after `killGraceMs`.
    #[napi(constructor)]
    pub fn new(env: Env, options_json: String) -> Result<Self> {
        let options: RuntimeOptions =
            serde_json::from_str(&options_json).map_err(|e| type_error(format!("invalid runtime options: {e}")))?;
        // Inside the async runtime, so warm functions start their processes
        // in the background right away (CONTRACT §10).
        let runtime = within_runtime_if_available(|| Runtime::new(options));
        let inner = Arc::new(runtime.map_err(type_error)?);
        let weak = Arc::downgrade(&inner);
        env.add_env_cleanup_hook(weak, |weak| {
            if let Some(rt) = weak.upgrade() {
                rt.shutdown();
            }
        })?;
        Ok(NativeRuntime { inner })
    }

    /// Starts closing without waiting (see `close`).
    #[napi]
    pub fn shutdown(&self) {
        self.inner.shutdown();
    }

    /// `build(name?)`: `FunctionBuildReport[]` as JSON; rejects for an
    /// unknown or invalid function.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn build<'env>(&self, env: &'env Env, name: Option<String>) -> Result<PromiseRaw<'env, String>> {
        self.inner.capture_host_env();
        let inner = Arc::clone(&self.inner);
        env.spawn_future(async move {
            let reports = inner.build_reports(name.as_deref()).await;
            reports.map(|r| to_json(&r)).map_err(|e| Error::new(Status::GenericFailure, e.message))
        })
    }

    /// A cancel handle for the next `invoke` (a child of the close token).
    #[napi]
    pub fn new_call(&self) -> NativeCall {
        NativeCall { token: self.inner.call_token() }
    }

    /// Resolves with the `InvokeResult` as JSON text; rejects only when closed.
    /// `call` (from `newCall`) cancels it; `onLog` receives each log entry as
    /// JSON text while the function runs.
    /// The call itself takes the invocation's place in the concurrency queue.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn invoke<'env>(
        &self,
        env: &'env Env,
        name: String,
        input_json: String,
        options_json: String,
        call: Option<&NativeCall>,
        on_log: Option<ThreadsafeFunction<String, (), String, Status, false>>,
    ) -> Result<PromiseRaw<'env, String>> {
        let mut options: InvokeOptions =
            serde_json::from_str(&options_json).map_err(|e| type_error(format!("invalid invoke options: {e}")))?;
        options.cancel = call.map(|c| c.token.clone());
        let (sink, batches) = tokio::sync::mpsc::channel(LOG_BATCHES_IN_FLIGHT);
        if on_log.is_some() {
            options.on_log = Some(sink);
        }
        let pending = self.inner.invoke(&name, input_json, options);
        env.spawn_future(async move {
            // Every onLog batch is delivered (and its callback has run)
            // before the result is: the forwarder ends when the call's
            // sender is dropped, at the end of the call.
            let (result, ()) = tokio::join!(pending, forward_logs(batches, on_log));
            result.map(|r| r.to_json()).map_err(|e| Error::new(Status::GenericFailure, e.to_string()))
        })
    }

    /// `warmup(name?)`: resolves once `min` processes of that warm function
    /// (or of every one) are ready. Rejects with the error as JSON text
    /// (`{ code, message, details }`), which `index.js` turns into an Error.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn warmup<'env>(&self, env: &'env Env, name: Option<String>) -> Result<PromiseRaw<'env, ()>> {
        self.inner.capture_host_env();
        let inner = Arc::clone(&self.inner);
        env.spawn_future(async move {
            inner.warmup(name.as_deref()).await.map_err(|e| Error::new(Status::GenericFailure, to_json(&e)))
        })
    }

    /// `PoolInfo[]` as JSON.
    #[napi]
    pub fn pools(&self) -> String {
        to_json(&self.inner.pools())
    }

    /// `{ running, queued, functions }` as JSON.
    #[napi]
    pub fn stats(&self) -> String {
        to_json(&self.inner.stats())
    }

    /// `FunctionInfo[]` as JSON, sorted by name.
    #[napi]
    pub fn list(&self) -> String {
        to_json(&self.inner.list())
    }

    /// `FunctionInfo` or `null`, as JSON.
    #[napi]
    pub fn get(&self, name: String) -> String {
        to_json(&self.inner.get(&name))
    }

    /// `Diagnostic[]` as JSON.
    #[napi]
    pub fn diagnostics(&self) -> String {
        to_json(&self.inner.diagnostics())
    }

    /// Rescans; `FunctionInfo[]` as JSON.
    #[napi]
    pub fn reload(&self) -> String {
        to_json(&self.inner.reload())
    }

    /// `RuntimeInfo[]` as JSON.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn runtimes<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, String>> {
        self.inner.capture_host_env();
        let inner = Arc::clone(&self.inner);
        env.spawn_future(async move { Ok(to_json(&inner.runtimes().await)) })
    }

    /// Watches functionsDir; `callback` receives each `WatchEvent` as JSON.
    /// Throws when the directory does not exist.
    #[napi]
    pub fn watch(
        &self,
        debounce_ms: u32,
        callback: ThreadsafeFunction<String, (), String, Status, false>,
    ) -> Result<NativeWatcher> {
        let sink: EventSink = Arc::new(move |event| {
            callback.call(to_json(&event), ThreadsafeFunctionCallMode::NonBlocking);
        });
        let debounce = std::time::Duration::from_millis(debounce_ms.into());
        let watcher = within_runtime_if_available(|| self.inner.watch(debounce, sink)).map_err(Error::from_reason)?;
        Ok(NativeWatcher { inner: Arc::new(tokio::sync::Mutex::new(Some(watcher))) })
    }

    /// Which function serves `method` `path` (no query, no prefix), as
    /// JSON: `{status: "found", function, params, webhook?}`,
    /// `{status: "methodNotAllowed", allow}` or `{status: "notFound"}`.
    #[napi]
    pub fn match_route(&self, method: String, path: String) -> String {
        to_json(&self.inner.match_route(&method, &path))
    }

    /// Checks a webhook signature (header value) against the raw body.
    #[napi]
    pub fn verify_webhook(&self, function: String, hook: u32, body: &[u8], signature: String) -> bool {
        self.inner.capture_host_env();
        self.inner.verify_webhook(&function, hook as usize, body, &signature)
    }

    /// `EventHook[]` as JSON: functions with a hook matching the event.
    #[napi]
    pub fn event_hooks(&self, kind: String, source: String, action: String) -> String {
        to_json(&self.inner.event_hooks(&kind, &source, &action))
    }

    #[napi]
    pub fn verify_token(&self, token: String) -> bool {
        self.inner.verify_token(&token)
    }

    /// `TokenClaims` or `null`, as JSON.
    #[napi]
    pub fn token_claims(&self, token: String) -> String {
        to_json(&self.inner.token_claims(&token))
    }

    #[napi]
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Cancels running invocations and resolves once their processes are gone.
    #[napi]
    pub async fn close(&self) -> Result<()> {
        self.inner.close().await;
        Ok(())
    }
}

/// Batches of log entries waiting for the JS thread, per call: bounded, so a
/// flooding function waits for `onLog` instead of growing host memory.
const LOG_BATCHES_IN_FLIGHT: usize = 4;

/// Hands each batch to `onLog` as a JSON array and waits until it has run.
async fn forward_logs(
    mut batches: tokio::sync::mpsc::Receiver<Vec<alyx_core::LogEntry>>,
    on_log: Option<ThreadsafeFunction<String, (), String, Status, false>>,
) {
    let Some(tsfn) = on_log else { return };
    while let Some(batch) = batches.recv().await {
        if tsfn.call_async(to_json(&batch)).await.is_err() {
            // The JS side is gone (env teardown): drain without delivering.
            batches.close();
        }
    }
}

/// A running watcher; `close()` frees its OS watches and its callback.
#[napi]
pub struct NativeWatcher {
    inner: Arc<tokio::sync::Mutex<Option<Watcher>>>,
}

#[napi]
impl NativeWatcher {
    /// Resolves once no further event can be delivered.
    #[napi]
    pub async fn close(&self) -> Result<()> {
        if let Some(mut watcher) = self.inner.lock().await.take() {
            watcher.close().await;
        }
        Ok(())
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("core types always serialise")
}

/// Parses and validates manifest text; the manifest as JSON (YAML names).
#[napi]
pub fn parse_manifest_json(yaml_text: String) -> Result<String> {
    alyx_core::manifest::parse_manifest(&yaml_text)
        .map(|m| to_json(&m))
        .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))
}

/// Reads, parses and validates a manifest file; the manifest as JSON.
#[napi]
pub fn load_manifest_json(path: String) -> Result<String> {
    let path = std::path::Path::new(&path);
    alyx_core::manifest::load_manifest(path)
        .map(|m| to_json(&m))
        .map_err(|e| Error::new(Status::InvalidArg, e.in_file(path)))
}

/// A schedule's next run strictly after `afterMs` (epoch ms); null when it
/// never runs again. Throws on an invalid expression or time zone.
#[napi]
pub fn schedule_next_run(
    kind: String,
    expression: String,
    timezone: Option<String>,
    after_ms: f64,
) -> Result<Option<f64>> {
    alyx_core::schedule::next_run(&kind, &expression, timezone.as_deref(), after_ms as i64)
        .map(|next| next.map(|ms| ms as f64))
        .map_err(|e| Error::new(Status::InvalidArg, e))
}

/// `FunctionRuntime.sandboxSupport()` as JSON: `{ available, abi, network, scoping }`.
#[napi]
pub fn sandbox_support_json() -> String {
    to_json(&alyx_core::sandbox::support())
}

/// Every outcome code the runtime produces (CONTRACT §3): `index.js`
/// builds `CODES` from this list.
#[napi]
pub fn outcome_codes() -> Vec<&'static str> {
    alyx_core::Code::ALL.iter().map(|c| c.as_str()).collect()
}

/// SIGKILLs the process group of every running function in this process;
/// `index.js` calls it when the host exits or receives SIGINT/SIGTERM.
#[napi]
pub fn kill_all_process_groups() -> u32 {
    alyx_core::kill_all_process_groups() as u32
}
