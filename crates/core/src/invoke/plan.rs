//! Planning (pure: no process, no I/O): a loaded function, its resolved
//! command and one call's options → the `LaunchPlan` the launch stage
//! starts. `check_call` is where a call's own values are validated before
//! anything else happens (CONTRACT §14).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::env::{apply, EnvMap};
use crate::function::FunctionDef;
use crate::input::JsonInput;
use crate::outcome::{Code, ErrorInfo};
use crate::protocol::{Context, Request};
use crate::registry::RuntimeDef;

pub(crate) use super::request::RequestParts;

/// `auth` (as JSON) and `requestId` are passed in env vars: bounded so a
/// huge or NUL-carrying value is INVALID_INPUT, not a failed spawn.
pub(crate) const MAX_CALL_VALUE_BYTES: usize = 64 * 1024;

/// One call as the caller described it (after JSON decoding).
pub(crate) struct CallSpec {
    pub request_id: String,
    pub input: JsonInput,
    pub auth: Option<Value>,
    pub env: std::collections::BTreeMap<String, String>,
    pub timeout_ms: Option<u64>,
}

/// The program a function runs as: resolved runtime program (or the entry
/// itself), its arguments, and the entry file appended after any
/// runtime-specific flags.
#[derive(Debug, Clone, PartialEq, Hash)]
pub(crate) struct Command {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub entry: Option<OsString>,
}

/// Runtime-wide settings a plan reads.
pub(crate) struct Settings<'a> {
    pub alyx_url: &'a str,
    pub default_timeout_ms: u64,
}

/// Everything the launch stage needs to start one process for one call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LaunchPlan {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    pub env: Vec<(OsString, OsString)>,
    pub timeout: Duration,
    /// The manifest `memory` limit in bytes.
    pub memory_limit: Option<u64>,
    /// The sandbox its process starts in (CONTRACT §11), if any.
    pub sandbox: Option<crate::sandbox::Confinement>,
}

/// Validates what the caller passed, before any loading or queueing (the
/// call's `env` is checked next, by `crate::call_env`).
pub(crate) fn check_call(call: &CallSpec) -> Result<(), ErrorInfo> {
    let auth = call.auth.as_ref().map(Value::to_string);
    for (what, value) in [("requestId", Some(call.request_id.as_str())), ("auth", auth.as_deref())] {
        let Some(value) = value else { continue };
        if value.len() > MAX_CALL_VALUE_BYTES {
            let message = format!("{what} is {} bytes; at most {MAX_CALL_VALUE_BYTES} are allowed", value.len());
            return Err(ErrorInfo::new(Code::InvalidInput, message));
        }
        // In JSON text (auth) a NUL is written `\u0000`.
        if value.contains('\0') || value.contains("\\u0000") {
            return Err(ErrorInfo::new(Code::InvalidInput, format!("{what} must not contain a NUL character")));
        }
    }
    Ok(())
}

/// The timeout a call runs under: the call's, the manifest's, the default.
pub(crate) fn timeout_of(call: &CallSpec, function: &FunctionDef, settings: &Settings) -> Duration {
    Duration::from_millis(call.timeout_ms.or(function.timeout_ms()).unwrap_or(settings.default_timeout_ms))
}

/// Builds the plan and the request to write (kept apart: the request moves
/// into the stdin writer). `base_env` is the function's environment (host
/// allowlist, options.env, manifest env); `token` the call's secret.
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan(
    function: &FunctionDef,
    runtime: Option<&RuntimeDef>,
    command: Command,
    mut base_env: EnvMap,
    call: CallSpec,
    settings: &Settings,
    token: &str,
    now_ms: u64,
) -> (LaunchPlan, RequestParts) {
    let timeout = timeout_of(&call, function, settings);
    let deadline_ms = now_ms.saturating_add(timeout.as_millis() as u64);
    let memory_mb = function.memory_mb();
    let Command { program, args, entry } = command;
    let args = program_args(args, entry, memory_mb, runtime, &mut base_env);
    let auth_json = call.auth.as_ref().map_or_else(|| "null".to_string(), Value::to_string);
    apply(&mut base_env, &call.env);
    let request_id = call.request_id.clone();
    let request = request(function, call, settings, token, deadline_ms);
    let alyx_vars = [
        ("ALYX_FUNCTION_NAME", function.name.clone()),
        ("ALYX_FUNCTION_DIR", function.dir.to_string_lossy().into_owned()),
        ("ALYX_REQUEST_ID", request_id),
        ("ALYX_URL", settings.alyx_url.to_string()),
        ("ALYX_INTERNAL_TOKEN", token.to_string()),
        ("ALYX_DEADLINE_MS", deadline_ms.to_string()),
        ("ALYX_AUTH", auth_json),
        ("PYTHONUNBUFFERED", "1".to_string()),
    ];
    (launch_plan(function, program, args, base_env, alyx_vars, timeout, memory_mb), request)
}

/// The request (CONTRACT §4.1) for one call, due at `deadline_ms`.
pub(crate) fn request(
    function: &FunctionDef,
    call: CallSpec,
    settings: &Settings,
    token: &str,
    deadline_ms: u64,
) -> RequestParts {
    let context_env: Map<String, Value> =
        function.env.iter().chain(call.env.iter()).map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
    let (head, tail) = Request {
        request_id: &call.request_id,
        function_name: &function.name,
        function: &function.name,
        context: Context {
            auth: call.auth.as_ref(),
            env: &context_env,
            alyx_url: settings.alyx_url,
            internal_token: token,
            deadline_ms,
        },
    }
    .to_parts();
    RequestParts { head, input: call.input, tail }
}

/// The runtime's arguments, its memory-limit flags and env (from the runtime
/// definition), then the entry — shared by one-shot and warm plans.
fn program_args(
    mut args: Vec<OsString>,
    entry: Option<OsString>,
    memory_mb: Option<u64>,
    runtime: Option<&RuntimeDef>,
    env: &mut EnvMap,
) -> Vec<OsString> {
    if let (Some(mb), Some(def)) = (memory_mb, runtime) {
        args.extend(def.memory_args(mb).into_iter().map(OsString::from));
        for (k, v) in def.memory_env(mb) {
            env.insert(k.into(), v.into());
        }
    }
    args.extend(entry);
    args
}

/// The plan of a process started before any call (a warm worker or a
/// standby process, CONTRACT §10): like a one-shot plan, but with none of
/// the per-call variables (those travel in each request) and `marker`
/// (`ALYX_WORKER` or `ALYX_STANDBY`) set to 1. `timeout` is the function's.
pub(crate) fn warm_plan(
    function: &FunctionDef,
    runtime: Option<&RuntimeDef>,
    command: Command,
    mut base_env: EnvMap,
    settings: &Settings,
    marker: &str,
) -> LaunchPlan {
    let timeout = Duration::from_millis(function.timeout_ms().unwrap_or(settings.default_timeout_ms));
    let memory_mb = function.memory_mb();
    let Command { program, args, entry } = command;
    let args = program_args(args, entry, memory_mb, runtime, &mut base_env);
    let vars = [
        ("ALYX_FUNCTION_NAME", function.name.clone()),
        ("ALYX_FUNCTION_DIR", function.dir.to_string_lossy().into_owned()),
        ("ALYX_URL", settings.alyx_url.to_string()),
        ("PYTHONUNBUFFERED", "1".to_string()),
        (marker, "1".to_string()),
    ];
    launch_plan(function, program, args, base_env, vars, timeout, memory_mb)
}

/// The plan both launchers hand on: `vars` (the runtime's own variables)
/// set last, over every other layer of `env`.
fn launch_plan<'a>(
    function: &FunctionDef,
    program: PathBuf,
    args: Vec<OsString>,
    mut env: EnvMap,
    vars: impl IntoIterator<Item = (&'a str, String)>,
    timeout: Duration,
    memory_mb: Option<u64>,
) -> LaunchPlan {
    for (k, v) in vars {
        env.insert(k.into(), v.into());
    }
    LaunchPlan {
        program,
        args,
        cwd: function.dir.clone(),
        env: env.into_iter().collect(),
        timeout,
        memory_limit: memory_mb.map(|mb| mb.saturating_mul(1024 * 1024)),
        sandbox: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    fn function(memory: Option<&str>) -> FunctionDef {
        let manifest = memory.map(|m| crate::manifest::parse_manifest(&format!("name: f\nmemory: {m}\n")).unwrap());
        FunctionDef {
            name: "f".into(),
            dir: PathBuf::from("/fns/f"),
            entry: PathBuf::from("/fns/f/index.js"),
            runtime: "node".into(),
            manifest,
            env: [("FROM_MANIFEST".to_string(), "m".to_string())].into(),
        }
    }

    fn call() -> CallSpec {
        CallSpec {
            request_id: "r1".into(),
            input: JsonInput::of("{\"a\":1}"),
            auth: None,
            env: [("CALL".to_string(), "c".to_string())].into(),
            timeout_ms: Some(1234),
        }
    }

    fn command() -> Command {
        Command { program: "/usr/bin/node".into(), args: vec![], entry: Some("/fns/f/index.js".into()) }
    }

    #[test]
    fn memory_flags_come_from_the_runtime_definition_before_the_entry() {
        let registry = Registry::with_defaults();
        let settings = Settings { alyx_url: "http://x", default_timeout_ms: 30_000 };
        let (plan, _) = plan(
            &function(Some("64mb")),
            registry.get("node"),
            command(),
            EnvMap::new(),
            call(),
            &settings,
            "tok",
            1_000,
        );
        assert_eq!(plan.args, [OsString::from("--max-old-space-size=64"), OsString::from("/fns/f/index.js")]);
        assert_eq!(plan.memory_limit, Some(64 * 1024 * 1024));
        assert_eq!(plan.timeout, Duration::from_millis(1234));
    }

    #[test]
    fn request_and_env_carry_the_call() {
        let settings = Settings { alyx_url: "http://x", default_timeout_ms: 30_000 };
        let (plan, request) = plan(&function(None), None, command(), EnvMap::new(), call(), &settings, "tok", 1_000);
        let text = [request.head.as_slice(), request.input.as_bytes(), request.tail.as_slice()].concat();
        let req: Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(req["context"]["deadline_ms"], 2234);
        assert_eq!(req["context"]["env"], serde_json::json!({"FROM_MANIFEST": "m", "CALL": "c"}));
        let env: std::collections::BTreeMap<_, _> = plan.env.into_iter().collect();
        assert_eq!(env[&OsString::from("CALL")], "c");
        assert_eq!(env[&OsString::from("ALYX_INTERNAL_TOKEN")], "tok");
        assert_eq!(plan.args, [OsString::from("/fns/f/index.js")]);
    }

    #[test]
    fn oversized_or_nul_call_values_are_invalid_input() {
        let mut c = call();
        c.request_id = "x".repeat(MAX_CALL_VALUE_BYTES + 1);
        assert_eq!(check_call(&c).unwrap_err().code, "INVALID_INPUT");
        let mut c = call();
        c.auth = Some(serde_json::json!({"id": "a\u{0}b"}));
        assert_eq!(check_call(&c).unwrap_err().code, "INVALID_INPUT");
        assert!(check_call(&call()).is_ok());
    }
}
