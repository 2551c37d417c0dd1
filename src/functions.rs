//! The binding's free functions: manifests, schedules, sandbox support,
//! outcome codes, the host-exit kill.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::to_json;

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
    // Nothing will use a spawn prepared ahead: remove its temp dir too.
    alyx_core::sandbox::forget_prepared();
    alyx_core::kill_all_process_groups() as u32
}
