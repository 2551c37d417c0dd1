//! `FunctionRuntime`: a small facade over the catalog (what functions
//! exist) and the invocation pipeline (`invoke/`, docs/ARCHITECTURE.md).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::build::Builds;
use crate::catalog::{Catalog, Diagnostic};
use crate::env::{fingerprint, snapshot, EnvMap};
use crate::function::FunctionInfo;
use crate::input::JsonInput;
use crate::invoke::admit::{Admission, Stats};
use crate::invoke::classify::Finished;
use crate::invoke::plan::CallSpec;
use crate::invoke::{Call, Engine};
use crate::options::{Closed, InvokeOptions, RuntimeOptions};
use crate::outcome::InvokeResult;
use crate::registry::Registry;
use crate::token::TokenStore;
use crate::warm::Pools;
use crate::watch::{EventSink, Watched, Watcher};

mod build;
mod warm;
mod watched;

pub use build::FunctionBuild;
use warm::refresh_warm;

pub struct Runtime {
    engine: Arc<Engine>,
    catalog: RwLock<Catalog>,
    /// The host environment as last read on a calling (host) thread, with
    /// its fingerprint; work on worker threads uses this copy instead of
    /// reading `environ`.
    host_env: RwLock<(Option<u64>, Arc<EnvMap>)>,
    closed: CancellationToken,
    in_flight: TaskTracker,
    tickets: AtomicU64,
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
        let print = fingerprint();
        let host_env = Arc::new(snapshot());
        let catalog = RwLock::new(Catalog::scan(&options.functions_dir, &registry, &host_env));
        let closed = CancellationToken::new();
        let grace = Duration::from_millis(options.kill_grace_ms);
        let warm = crate::warm::overrides(&options)?;
        let engine = Engine {
            pools: Arc::new(Pools::new(closed.child_token(), grace)),
            warm,
            admission: Admission::new(options.max_concurrency, options.max_queue),
            builds: Builds::new(closed.child_token(), options.cache_dir.clone(), grace),
            tokens: Arc::new(TokenStore::new(options.token_secret.as_deref())?),
            registry,
            options,
        };
        let engine = Arc::new(engine);
        engine.pools.on_refresh(refresh_warm(&engine, Arc::clone(&host_env)));
        let runtime = Runtime {
            engine,
            catalog,
            host_env: RwLock::new((print, host_env)),
            closed,
            in_flight: TaskTracker::new(),
            tickets: AtomicU64::new(0),
        };
        runtime.warm_in_background();
        Ok(runtime)
    }

    pub fn options(&self) -> &RuntimeOptions {
        &self.engine.options
    }

    pub fn registry(&self) -> &Registry {
        &self.engine.registry
    }

    /// A cancel token for one call (a child of the close token): give it to
    /// `InvokeOptions::cancel` to be able to abort that call.
    pub fn call_token(&self) -> CancellationToken {
        self.closed.child_token()
    }

    /// Runs `name` with `input` (JSON text). Every failure of the function is
    /// an `InvokeResult`; only a closed runtime is an `Err`. The call takes
    /// its place in line (its ticket) here, synchronously, so calls are
    /// served in the order they were made, whatever polls first.
    pub fn invoke(
        &self,
        name: &str,
        input: impl Into<crate::Input>,
        options: InvokeOptions,
    ) -> impl std::future::Future<Output = Result<InvokeResult, Closed>> + Send + 'static {
        let started = Instant::now();
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        let known_limit = self.catalog.read().unwrap().functions.get(name).and_then(|f| f.concurrency());
        let entry = self.engine.admission.enter(name, known_limit, ticket);
        let open = (!self.closed.is_cancelled()).then(|| self.in_flight.token());
        let host = self.capture_host_env();
        let engine = Arc::clone(&self.engine);
        let (closed, given) = (self.closed.clone(), options.cancel.clone());
        let (name, input) = (name.to_string(), input.into());
        async move {
            let _in_flight = open.ok_or(Closed)?;
            // Made here, on a worker thread, not on the host's: the close
            // token's child list is a lock the workers take too.
            let cancel = given.unwrap_or_else(|| closed.child_token());
            let request_id = options.request_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let (finished, queued_ms) = match JsonInput::check(input) {
                Ok(input) => {
                    let spec = CallSpec {
                        request_id: request_id.clone(),
                        input,
                        auth: options.auth,
                        env: options.env,
                        timeout_ms: options.timeout_ms,
                    };
                    let call = Call { name, spec, entry, cancel, on_log: options.on_log, started };
                    // Boxed: the pipeline's state (~10 KB) is allocated on
                    // the worker thread at first poll, not moved around on
                    // the host thread that called `invoke`.
                    let outcome = Box::pin(engine.run(call, &host)).await;
                    (outcome.finished, outcome.queued_ms)
                }
                Err(e) => (Finished::failed(e), 0),
            };
            Ok(finished.into_result(request_id, started.elapsed().as_millis() as u64, queued_ms))
        }
    }

    /// Valid functions from the last scan, sorted by name.
    pub fn list(&self) -> Vec<FunctionInfo> {
        let catalog = self.catalog.read().unwrap();
        catalog.functions.values().map(|f| self.info(f)).collect()
    }

    pub fn get(&self, name: &str) -> Option<FunctionInfo> {
        self.catalog.read().unwrap().functions.get(name).map(|f| self.info(f))
    }

    /// `FunctionInfo`, with `warm` as the host's options decide it.
    fn info(&self, function: &crate::function::FunctionDef) -> FunctionInfo {
        FunctionInfo { warm: self.engine.warm_spec(function), ..function.info(self.options().timeout_ms) }
    }

    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let catalog = self.catalog.read().unwrap();
        let mut out = catalog.all_diagnostics();
        // security (§11): manifest `write` paths the sandbox drops.
        out.extend(crate::sandbox::dropped_paths(self.options().sandbox.0.as_ref(), catalog.functions.values()));
        out
    }

    /// The last scan, for the manifest's triggers (`triggers.rs`).
    pub(crate) fn catalog(&self) -> std::sync::RwLockReadGuard<'_, Catalog> {
        self.catalog.read().unwrap()
    }

    /// Rescans the functions directory.
    pub fn reload(&self) -> Vec<FunctionInfo> {
        let fresh = Catalog::scan(self.functions_dir(), self.registry(), &self.capture_host_env());
        *self.catalog.write().unwrap() = fresh;
        self.engine.pools.files_changed(None);
        self.list()
    }

    pub fn functions_dir(&self) -> &Path {
        &self.options().functions_dir
    }

    /// Every runtime with availability, path and version.
    pub async fn runtimes(&self) -> Vec<crate::runtime_info::RuntimeInfo> {
        let host = self.host_env();
        crate::runtime_info::describe_all(self.registry(), &self.engine.places(&host, None), &host).await
    }

    /// Calls running and waiting, in total and per function.
    pub fn stats(&self) -> Stats {
        self.engine.admission.stats()
    }

    /// Reads the host environment now; call on a host thread (see `host_env`).
    /// An environment unchanged since the last read is not copied again.
    pub fn capture_host_env(&self) -> Arc<EnvMap> {
        let print = fingerprint();
        {
            let (last, env) = &*self.host_env.read().unwrap();
            if print.is_some() && *last == print {
                return Arc::clone(env);
            }
        }
        let fresh = Arc::new(snapshot());
        *self.host_env.write().unwrap() = (print, Arc::clone(&fresh));
        fresh
    }

    /// The host environment as last captured.
    pub fn host_env(&self) -> Arc<EnvMap> {
        Arc::clone(&self.host_env.read().unwrap().1)
    }

    pub fn verify_token(&self, token: &str) -> bool {
        self.engine.tokens.verify(token)
    }

    /// `tokenClaims`: what a token `verify_token` accepts says; else `None`.
    pub fn token_claims(&self, token: &str) -> Option<crate::token::Claims> {
        self.engine.tokens.claims(token)
    }

    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Watches the functions directory (CONTRACT §8); inside a tokio runtime.
    pub fn watch(self: &Arc<Self>, debounce: Duration, sink: EventSink) -> Result<Watcher, String> {
        self.capture_host_env();
        crate::watch::start(Arc::clone(self) as Arc<dyn Watched>, debounce, sink)
    }

    /// Starts closing without waiting (host teardown: a worker thread's
    /// environment going away); running functions get SIGTERM → SIGKILL.
    pub fn shutdown(&self) {
        self.closed.cancel();
        // Nothing may wait any more (a Worker's environment is going away):
        // ready warm processes are killed now (CONTRACT §14).
        self.engine.pools.kill_now();
        crate::sandbox::forget_prepared();
    }

    /// Cancels every running or queued invocation (their results say
    /// CANCELLED) and every build, and waits until all have finished and
    /// their processes are gone.
    pub async fn close(&self) {
        self.closed.cancel();
        self.in_flight.close();
        self.in_flight.wait().await;
        self.engine.pools.close().await;
        self.engine.builds.wait().await;
        // Spawns prepared ahead hold temp dirs (crate::sandbox::spawn).
        crate::sandbox::forget_prepared();
    }
}
