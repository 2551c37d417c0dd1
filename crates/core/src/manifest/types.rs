//! The parsed manifest. Serializes with the YAML field names (this is what
//! `parseManifest()` returns to JS); `None` options are omitted, lists and
//! maps are always present.

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::duration::parse_duration;
use super::env_expand::expand_vars;
use super::memory::parse_memory_mb;
use super::warm::WarmSpec;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Manifest {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// `entry`, or its alias `entrypoint` (`entry` wins when both are given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// As written (`30` → "30"); see [`Manifest::timeout_ms`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// As written; see [`Manifest::memory_mb`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// As written, unexpanded (`8080` → "8080", `true` → "true", empty → "").
    pub env: BTreeMap<String, String>,
    pub dependencies: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    pub routes: Vec<Route>,
    pub hooks: Vec<Hook>,
    pub schedules: Vec<Schedule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildConfig>,
    /// `sandbox: true` or a policy; `None` when absent or `false` (§11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<crate::sandbox::SandboxPolicy>,
    /// `warm` with its defaults filled in; `None` = one-shot (CONTRACT §10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warm: Option<WarmSpec>,
    /// Keys this version does not know (Alyx manifests carry extra ones):
    /// accepted, and reported by `diagnostics()` with a "did you mean".
    #[serde(skip)]
    pub unknown_keys: Vec<UnknownKey>,
}

/// A manifest key nobody reads: `routes[0].metods`, and its likely intent.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownKey {
    pub field: String,
    pub did_you_mean: Option<String>,
}

impl std::fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown key `{}` (ignored", self.field)?;
        match &self.did_you_mean {
            Some(key) => write!(f, "; did you mean `{key}`?)"),
            None => f.write_str(")"),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Route {
    pub path: String,
    /// Upper-cased.
    pub methods: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Hook {
    #[serde(rename = "type")]
    pub r#type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// "sync" or "async".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<HookConfig>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Verification {
    /// "hmac-sha256" or "hmac-sha1".
    #[serde(rename = "type")]
    pub r#type: String,
    pub header: String,
    /// As written (often `${SECRET}`), unexpanded.
    pub secret: String,
}

/// A hook's free-form `config`; only `timeout` has a meaning here.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct HookConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Every other key (e.g. `on_failure`), as JSON.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Schedule {
    pub name: String,
    /// "cron", "interval" or "one_time".
    #[serde(rename = "type")]
    pub r#type: String,
    pub expression: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Free-form (e.g. `skip_if_running`), as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<Map<String, Value>>,
    /// Free-form input passed to the scheduled invocation, as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct BuildConfig {
    pub command: String,
    pub args: Vec<String>,
    pub output: String,
    /// Globs, relative to the function directory.
    pub watch: Vec<String>,
    /// A duration; the build is killed past it (default 10 min).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

impl BuildConfig {
    /// `timeout` in milliseconds (a parsed manifest is validated).
    pub fn timeout_ms(&self) -> Option<u64> {
        let duration = parse_duration(self.timeout.as_deref()?).ok()?;
        Some(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1))
    }
}

impl Manifest {
    /// `timeout` in milliseconds, rounded up (a parsed manifest is validated).
    pub fn timeout_ms(&self) -> Option<u64> {
        let duration = parse_duration(self.timeout.as_deref()?).ok()?;
        Some(u64::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX))
    }

    /// `memory` in megabytes (a parsed manifest is validated).
    pub fn memory_mb(&self) -> Option<u64> {
        parse_memory_mb(self.memory.as_deref()?).ok()
    }

    /// `env` with `${VAR}` and `$VAR` expanded through `lookup` (usually
    /// `|k| std::env::var(k).ok()`); unset → "", `$$` → `$`.
    pub fn expanded_env(&self, lookup: impl Fn(&str) -> Option<String>) -> BTreeMap<String, String> {
        self.env.iter().map(|(k, v)| (k.clone(), expand_vars(v, &lookup))).collect()
    }
}
