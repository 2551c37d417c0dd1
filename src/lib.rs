//! napi binding of alyx-core: converts types and nothing else. Small
//! values cross as JSON text (V8's JSON.stringify/parse on the JS side,
//! serde on this side); a call's input and result cross as strings made as
//! cheaply as they can be (`call.rs`). `index.js` wraps this into
//! `FunctionRuntime`.

pub mod call;
mod external;
pub mod functions;
mod prefault;
pub mod watcher;

use std::sync::Arc;

use alyx_core::watch::EventSink;
use alyx_core::{Runtime, RuntimeOptions};
use call::{CallOptions, Done, NativeCall, Reply};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::JsString;
use napi_derive::napi;
use watcher::NativeWatcher;

/// The native half of `FunctionRuntime`; use the class from `index.js`.
#[napi]
pub struct NativeRuntime {
    inner: Arc<Runtime>,
    done: Done,
}

pub(crate) fn type_error(message: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, message.to_string())
}

#[napi]
impl NativeRuntime {
    /// `optionsJson`: `RuntimeOptions` as JSON. `onDone(batch)` gets the
    /// results of `invoke`s as `[id, resultJson, id, resultJson, …]`
    /// (`null` instead of the JSON when the runtime was already closed).
    /// When the JS environment goes away (a `worker_threads` Worker ends or
    /// is terminated), the runtime closes: its functions get SIGTERM, then
    /// SIGKILL after `killGraceMs`.
    #[napi(constructor, ts_args_type = "optionsJson: string, onDone: (batch: Array<number | string | null>) => void")]
    pub fn new(env: Env, options_json: String, on_done: Function<call::Batch, ()>) -> Result<Self> {
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
        Ok(NativeRuntime { inner, done: Done::new(on_done)? })
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

    /// Starts call `id`; its result goes to `onDone` (see the constructor).
    /// `input` is the input's JSON text as `JSON.stringify` wrote it (in
    /// lib/input-json.js; this class is not exported): valid, one line, so not
    /// parsed again (`alyx_core::Input::serialized`); or that text with long
    /// strings left out, as parts (`alyx_core::Input::serialized_parts`). `call` (from `newCall`) cancels
    /// it; `onLog` receives batches of log entries as JSON arrays while the
    /// function runs, all before the result. The call takes its place in the
    /// concurrency queue here, synchronously.
    #[napi(
        ts_args_type = "id: number, name: string, input: string | string[], options: CallOptions | undefined | null, call?: NativeCall | undefined | null, onLog?: ((batchJson: string) => void) | undefined | null"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn invoke(
        &self,
        env: Env,
        id: u32,
        name: String,
        input: Either<JsString, Array>,
        options: Option<CallOptions>,
        call: Option<&NativeCall>,
        on_log: Option<call::OnLog>,
    ) -> Result<()> {
        let input = call::input_of(&env, input)?;
        let mut options = options.map(CallOptions::into_core).transpose()?.unwrap_or_default();
        options.cancel = call.map(|c| c.token.clone());
        let logs = on_log.map(|tsfn| {
            let (sink, batches) = tokio::sync::mpsc::channel(call::LOG_BATCHES_IN_FLIGHT);
            options.on_log = Some(sink);
            call::forward_logs(batches, tsfn)
        });
        let pending = self.inner.invoke(&name, input, options);
        let done = self.done.start(&env);
        napi::bindgen_prelude::spawn(async move {
            // Every onLog batch is delivered (and its callback has run)
            // before the result is: the forwarder ends when the call's
            // sender is dropped, at the end of the call.
            let result = match logs {
                Some(logs) => tokio::join!(pending, logs).0,
                None => pending.await,
            };
            done.send(id, Reply::new(result.ok().map(|r| r.into_json())));
        });
        Ok(())
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

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("core types always serialise")
}
