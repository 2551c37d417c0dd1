//! `new FunctionRuntime(options)` and `invoke(name, input, options)`
//! options (CONTRACT §2); JSON names are the JS ones.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::env::InheritEnv;
use crate::invoke::capture::LogSink;
use crate::registry::RuntimeSpec;
use crate::sandbox::SandboxOption;

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
    /// Calls allowed to wait for a slot; more → QUEUE_FULL. None: unlimited.
    pub max_queue: Option<usize>,
    /// Where compiled artifacts (Go binaries) go; None: `<fn>/.alyx`.
    pub cache_dir: Option<PathBuf>,
    /// Signs tokens so other replicas verify them (CONTRACT §12).
    pub token_secret: Option<String>,
    /// Per-call env names allowed despite loading code (CONTRACT §14).
    pub allow_call_env: Vec<String>,
    /// The sandbox every function gets at least (CONTRACT §11).
    pub sandbox: SandboxOption,
    /// Per function name: `true`, `false` or `{ mode, min, max, idle,
    /// maxRequests }` (CONTRACT §10); overrides the manifest's `warm`.
    pub warm: BTreeMap<String, Value>,
    /// Search-path variable → a bundled SDK folder appended to it
    /// (`PYTHONPATH` → `…/sdk/python`) for the runtimes that read it. The JS
    /// layer fills it from the package (`sdkPaths: false` leaves it empty).
    pub sdk_paths: BTreeMap<String, PathBuf>,
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
            max_queue: None,
            cache_dir: None,
            token_secret: None,
            allow_call_env: Vec::new(),
            sandbox: SandboxOption::default(),
            warm: BTreeMap::new(),
            sdk_paths: BTreeMap::new(),
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
    /// From `Runtime::call_token` (a child of the runtime's close token).
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
